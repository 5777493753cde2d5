"""Figures warn of nothing: every figure function, drawn to PNG and SVG with warnings turned into errors, on a
scenario whose ids are Chinese only and without a Chinese font (no "Glyph ... missing from font"), and a
tornado with nothing to draw (no "No artists with labels found to put in legend")."""

from __future__ import annotations

import io
import math
import warnings

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import sim
from sim.analysis.sweep import TornadoResult
from sim.present import fonts, plots

from helpers.scenarios import milestones_at, project, scenario_toml, stage, workdays

#: ids, phases and names in Chinese only, a dollar sign and a control character in names
CJK = scenario_toml(
    "规划 $5 审批",
    settings={"levers": ["快"], "seed": 4},
    agencies={"规划局": 2, "环保局": {"staff": 1, "name": "环保 $ 局\x1b"}},
    classes={"小": {"investment_cny": {"dist": "fixed", "value": 5e7, "unit": "cny"}}},
    projects=[project("项目甲", "小", "2024-02-05"), project("项目乙", "小", "2024-03-04")],
    stream={"rate": 12, "classes": {"小": 1}, "until": "2024-06-30"},
    stages={
        "备案": stage("规划局", phase="一 立项", effort=workdays(3)),
        "环评": stage("环保局", after="备案", phase="二", name="环评 $x$", effort=workdays(2)),
        "许可": stage("规划局", after="环评", phase="二", effort=workdays(1)),
        "建设": stage(after="许可", build={"dist": "fixed", "value": 2, "unit": "month"}),
    },
    milestones=milestones_at("许可", "建设"),
    levers={"快": {"name": "快速", "scale": {"stages.备案.effort": 0.5}}, "并": {"name": "并联", "skip": ["环评"]}},
    targets={"目标": {"kpi": "approval_workdays", "stat": "mean", "max": 60, "source": "来源"}},
)


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    path = tmp_path_factory.mktemp("cjk") / "规划.toml"
    path.write_text(CJK, encoding="utf-8")
    sc = sim.load(path)
    return {
        "cmp": sim.compare([sc.with_levers("none"), sc], n=2, seed=1),
        "att": sim.attribute(sc, n=2, seed=1, levers="all"),
        "sweep": sim.sweep(sc, {"agencies.规划局.staff": [1, 2], "levers": ["none", "all"]}, n=2, seed=1),
        "sweep_levers": sim.sweep(sc, {"levers": ["快", "并"]}, n=2, seed=1, kpi="stages.备案"),
        "tornado": sim.tornado(sc, {"agencies.规划局.staff": (1, 3), "levers": ("none", "快")}, n=2, seed=1),
    }


def figures(studies) -> dict[str, Figure]:
    cmp, att = studies["cmp"], studies["att"]
    out = {name: fn(cmp) for name, fn in [("timeline", plots.timeline), ("distributions", plots.distributions),
                                          ("time_split", plots.time_split), ("agency_load", plots.agency_load),
                                          ("zone_view", plots.zone_view)]}  # fmt: skip
    for kpi in ("approval_workdays", "to_production_months", "cost_pre_construction_cny"):
        out[f"waterfall {kpi}"] = plots.waterfall(att, kpi)
    out["sweep"] = plots.sweep_figure(studies["sweep"])
    out["sweep of levers"] = plots.sweep_figure(studies["sweep_levers"])
    out["tornado"] = plots.tornado_figure(studies["tornado"])
    nothing = {"parameter": "规划", "low_value": 1, "high_value": 2, "low_mean": None, "high_mean": None}
    out["empty tornado"] = plots.tornado_figure(
        TornadoResult("规划", "approval_workdays", "workday", None, [{**nothing, "swing": math.nan}], 2, 1)
    )
    return out


@pytest.fixture
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)


def test_no_figure_warns_on_a_scenario_with_chinese_ids(studies, no_cjk_font):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = figures(studies)
        for fig in drawn.values():
            for fmt in ("png", "svg"):
                fig.savefig(io.BytesIO(), format=fmt)  # a warning here is an error naming the figure's text
        figs = plots.all_figures(studies["cmp"], studies["att"])
        assert set(figs) >= {"timeline", "waterfall", "waterfall_production"}
        for fig, _ in figs.values():
            fig.savefig(io.BytesIO(), format="png")
    texts = [t.get_text() for fig in drawn.values() for t in fig.findobj(Text)]
    assert not any(fonts._CJK.search(t) for t in texts)
    assert not any("\x1b" in t for t in texts)
    ticks = [t.get_text() for t in drawn["agency_load"].findobj(Text)]
    assert any(r"\u89c4\u5212\u5c40" in t for t in ticks), "a Chinese-only id is written as its code points"


def test_figures_keep_chinese_with_a_font_that_has_it(studies, monkeypatch):
    """The fallback is only for fonts that lack the characters: with one that has them, ids stay as they are."""
    monkeypatch.setattr(fonts, "cjk_font", lambda: "DejaVu Serif")  # stands in for a CJK font
    monkeypatch.setattr(fonts, "_family_charmap", lambda family: frozenset(range(0x2E80, 0xA000)))
    fig = plots.agency_load(studies["cmp"])
    assert any("规划局" in t.get_text() for t in fig.findobj(Text))


def test_drawable_leaves_out_or_spells_what_no_font_has(no_cjk_font):
    d = fonts.drawable
    assert d("规划 Planning (审批)") == "Planning"
    assert d("规划局") == r"\u89c4\u5212\u5c40"
    assert d("a\x1bb\nc") == "a b\nc"
    assert d("Plain text, 50 %") == "Plain text, 50 %"
