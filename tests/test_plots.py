"""Figures: each returns a Figure with the expected artists, save() writes png/svg/csv atomically, the data
behind the figures is deterministic, and no label ever asks a font for a glyph it lacks."""

import warnings
from pathlib import Path

import pytest
from matplotlib.figure import Figure

import sim
from sim.analysis.attribution import attribute
from sim.analysis.compare import compare
from sim.present import colours, fonts, plots
from sim.present import labels as plot_labels
from sim.present.labels import capital
from sim.present.time_split_plots import VISIBLE_SHARE

ROOT = Path(__file__).resolve().parents[1]

TINY = f"""
extends = "{(ROOT / "tests/data/valid_small.toml").as_posix()}"

[agencies.idle]
name = "闲置局 Idle bureau"
staff = 1

[levers.fast_filing]
name = "快速备案 Fast filing"
scale = {{ "stages.filing.effort" = 0.3, "stages.filing.prepare" = 0.5 }}

[levers.no_eia]
name = "区域评估 Regional assessment"
skip = ["eia"]
"""


def _compare(seed=1):
    scs = [sim.load(ROOT / "scenarios/pre_reform.toml"), sim.load(ROOT / "scenarios/reform.toml")]
    return compare(scs, n=3, seed=seed, jobs=1)


@pytest.fixture(scope="module")
def cmp():
    return _compare()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def att(tiny):
    return attribute(sim.load(tiny, levers="all"), n=3, seed=1)


@pytest.fixture
def no_cjk(monkeypatch):
    """The labels as on a machine without a CJK font, whatever this one has."""
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)


def _gids(fig, prefix):
    return [a.get_gid() for ax in fig.axes for a in (*ax.lines, *ax.patches) if (a.get_gid() or "").startswith(prefix)]


def test_timeline_has_a_panel_per_scenario_and_a_segment_per_step(cmp, no_cjk):
    fig = plots.timeline(cmp)
    rows = plots.timeline_data(cmp)
    assert isinstance(fig, Figure) and len(fig.axes) == len(cmp.typical) == 2
    steps = [r for r in rows if r["kind"] == "step"]
    assert len(_gids(fig, "step:")) == len(steps) > 0
    assert {r["category"] for r in steps} <= {k for k, _, _ in colours.CATEGORIES}
    assert {r["project"] for r in rows} == {cmp.typical[0].project}
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "EIA report approval" in labels and "1 Project approval and land-use planning" in labels
    assert fig.axes[-1].get_xlabel() == "Date"
    assert fig.legends and any("Queueing" == t.get_text() for t in fig.legends[0].get_texts())


def test_distributions_one_ecdf_per_scenario_and_the_applicable_targets(cmp, no_cjk):
    fig = plots.distributions(cmp)
    assert len(fig.axes) == 2
    assert [ax.get_xlabel() for ax in fig.axes] == ["working days", "months"]
    for ax, key in zip(fig.axes, ("approval_workdays", "to_production_months")):
        main = [ln for ln in ax.lines if ln.get_gid() in (f"ecdf:{i}:{key}" for i in range(2))]
        assert len(main) == len(cmp.scenarios)
    rows = plots.distributions_data(cmp)
    targets = {(r["scenario_index"], r["target"]) for r in rows if r["kind"] == "target"}
    # the pre-reform fact belongs to the run without levers only; the reform facts to all levers
    assert targets == {(0, "approval_time_pre_reform"), (1, "approval_time_reform"), (1, "large_plants_to_production")}
    legend = " ".join(t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts())
    assert "target p50 117–157" in legend and "target p50 ≤ 45" in legend


def test_time_split_panels_units_and_a_legend_of_what_can_be_seen(cmp, no_cjk):
    fig = plots.time_split(cmp)
    titled = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_title(loc="left")}
    assert list(titled) == [
        "Approval time on the critical path, by kind of time",
        "Approval time on the critical path, by phase",
        "Work summed over all stages: parallel stages add up, so more than the approval time",
        "Construction",
    ]
    xlabels = [ax.get_xlabel() for ax in titled.values()]
    assert all("working days" in x for x in xlabels[:3]) and "calendar days" in xlabels[3]
    rows = plots.time_split_data(cmp)
    build = [r for r in rows if r["key"] == "build"]
    assert len(build) == 2 and all(r["unit"] == "day" and r["mean"] > 0 for r in build)
    for i in range(2):  # by kind and by phase, the critical path adds up to the same working days
        kind = sum(r["mean"] for r in rows if r["scenario_index"] == i and r["panel"] == "critical_path")
        phase = sum(r["mean"] for r in rows if r["scenario_index"] == i and r["panel"] == "critical_path_phase")
        assert kind == pytest.approx(phase)
    # every kind of time in the legend is a segment at least VISIBLE_SHARE of its panel wide; the others are named
    # under the legend with their values
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    legend = next(lg for lg in legends if lg.get_title().get_text() == "Kind of time")
    name_of = {capital(lab): k for k, lab, _ in colours.CATEGORIES}
    listed = [name_of[t.get_text()] for t in legend.get_texts()]
    assert "review" in listed
    drawn: dict[str, float] = {}
    by_kind, _, summed, _ = titled.values()
    for ax in (by_kind, summed):
        for patch in ax.patches:
            panel, _, key = (patch.get_gid() or "").partition(":")
            if panel in ("critical_path", "all_stages"):
                drawn[key] = max(drawn.get(key, 0.0), patch.get_width() / ax.get_xlim()[1])
    assert all(drawn[k] >= VISIBLE_SHARE for k in listed)
    hidden = [k for k, share in drawn.items() if share < VISIBLE_SHARE]
    note = " ".join(t.get_text() for ax in fig.axes for t in ax.texts if t.get_text().startswith("Too small"))
    assert all(capital(colours.CATEGORY_LABEL[k]) in note and k not in listed for k in hidden)


def test_waterfall_has_k_plus_2_bars_adding_up(att, no_cjk):
    fig = plots.waterfall(att)
    assert len(_gids(fig, "waterfall:")) == len(att.levers) + 2 == 4
    rows = plots.waterfall_data(att)
    assert [r["kind"] for r in rows] == ["none", "lever", "lever", "all"]
    assert rows[-2]["end"] == pytest.approx(rows[-1]["end"], abs=1e-5)  # Shapley values add up exactly
    assert abs(rows[1]["value"]) >= abs(rows[2]["value"])  # largest first
    assert "working days" in fig.axes[0].get_ylabel()
    ticks = " ".join(t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels())
    assert "Regional assessment" in ticks and "区域" not in ticks and "alone" in ticks
    with pytest.raises(ValueError, match="was not attributed"):
        plots.waterfall_data(att, "within_limit_share")


def test_agency_load_skips_agencies_that_never_worked(tiny, no_cjk):
    sc = sim.load(tiny)
    small = compare([sc, sc.with_levers("all")], n=2, seed=3)
    rows = plots.agency_load_data(small)
    assert {r["agency"] for r in rows} == {"bureau", "panel"}
    fig = plots.agency_load(small)
    assert len(fig.axes) == 4
    assert {ax.get_ylabel() for ax in fig.axes} == {"utilisation (share)", "queue (files)"}
    assert sum(len(ax.lines) for ax in fig.axes) == 4 * 2  # one line per scenario in each panel
    assert all(r["unit"] in ("share", "files") for r in rows)


def test_zone_view_lines_per_scenario_with_bands(cmp, no_cjk):
    fig = plots.zone_view(cmp)
    assert len(fig.axes) == 2
    assert len(_gids(fig, "zone:")) == 2 * len(cmp.scenarios)
    assert all(len(ax.collections) == len(cmp.scenarios) for ax in fig.axes)  # the 95 % bands
    rows = plots.zone_view_data(cmp)
    for i in range(2):
        prod = [r["mean"] for r in rows if r["scenario_index"] == i and r["milestone"] == "production"]
        assert prod == sorted(prod)  # cumulative


def test_save_writes_png_svg_csv_atomically(att, tmp_path, no_cjk):
    fig, rows = plots.waterfall(att), plots.waterfall_data(att)
    paths = plots.save(fig, rows, tmp_path / "out", "waterfall")
    assert [p.name for p in paths] == ["waterfall.png", "waterfall.svg", "waterfall.csv"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths[1].read_bytes()[:2000]
    lines = paths[2].read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == list(rows[0]) and len(lines) == len(rows) + 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)  # no temp left


def test_same_seed_same_rows_and_csv(cmp, tmp_path, no_cjk):
    again = _compare()
    for fn in (
        plots.timeline_data,
        plots.distributions_data,
        plots.time_split_data,
        plots.agency_load_data,
        plots.zone_view_data,
    ):
        assert fn(cmp) == fn(again), fn.__name__
    a = plots.save(plots.time_split(cmp), plots.time_split_data(cmp), tmp_path / "a", "split")[2]
    b = plots.save(plots.time_split(again), plots.time_split_data(again), tmp_path / "b", "split")[2]
    assert a.read_bytes() == b.read_bytes()


def test_no_missing_glyphs_on_the_shipped_scenarios(cmp, att, tmp_path, no_cjk):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figs = plots.all_figures(cmp, att)
        for name, (fig, rows) in figs.items():
            plots.save(fig, rows, tmp_path, name)  # draws both the png and the svg
    assert set(figs) == {
        "timeline",
        "distributions",
        "time_split",
        "agency_load",
        "zone_view",
        "waterfall",
        "waterfall_production",
    }
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    assert not glyphs, glyphs[:3]
    texts = [t.get_text() for fig, _ in figs.values() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert not any(fonts._CJK.search(t) for t in texts)
    assert any("Reform" in t for t in texts)


def test_every_axis_label_names_its_unit(cmp, att, no_cjk):
    units = ("working days", "calendar days", "months", "Date", "share", "files", "projects")
    for name, (fig, _) in plots.all_figures(cmp, att).items():
        for ax in fig.axes:
            texts = [t for t in (ax.get_xlabel(), ax.get_ylabel()) if t and t != "reform levers, largest effect first"]
            assert texts or name in ("time_split", "timeline"), name  # upper panels share the lower x axis
            for text in texts:
                assert any(u in text for u in units), (name, text)


def test_cjk_labels_kept_when_a_cjk_font_is_available(cmp, att, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: "DejaVu Serif")  # stands in for a CJK font
    monkeypatch.setattr(fonts, "_family_charmap", lambda family: frozenset(range(0x2E80, 0xA000)))  # its glyphs
    fig = plots.waterfall(att)  # built, not drawn: DejaVu Serif has no Chinese glyphs
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert any("区域评估 Regional assessment" in t.replace("\n", " ") for t in ticks)
    assert fig.axes[0].xaxis.label.get_fontfamily()[0] == "DejaVu Serif"
    tl = plots.timeline(cmp)
    labels = [t.get_text() for t in tl.axes[0].get_yticklabels()]
    assert any(t.startswith("1 立项用地规划许可") for t in labels)
    assert any(t.startswith("环境影响评价") for t in labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the stand-in font has no Chinese glyphs
        tl.draw_without_rendering()
    assert {t.get_fontfamily()[0] for t in tl.axes[0].get_yticklabels()} == {"DejaVu Serif"}  # kept after drawing


def test_strip_cjk_keeps_the_english_part():
    s = fonts.strip_cjk
    assert s("环境影响评价 EIA report approval") == "EIA report approval"
    assert s("Reform (蓝图管控 + 容缺受理 + 区域评估 + 代办服务)") == "Reform"
    assert s("提前咨询 / 预审批 Pre-consultation") == "Pre-consultation"
    assert s("并联审批 Parallel approval (one window)") == "Parallel approval (one window)"
    assert s("国办发〔2019〕11号 phases") == "2019 11 phases"
    assert s("Pre-reform (LNA before 2017)") == "Pre-reform (LNA before 2017)"
    assert s("蓝图管控") == ""


def test_labels_without_a_cjk_font(no_cjk):
    assert plot_labels.label("蓝图管控", fallback="blueprint") == "blueprint"
    assert plot_labels.label("Cost in $ and $") == r"Cost in \$ and \$"  # never mathtext
    assert plot_labels.phase_label("1 立项用地规划许可") == "1 Project approval and land-use planning"
    assert plot_labels.phase_label("4 竣工验收") == "4 Completion acceptance"
    assert plot_labels.phase_label("assessments") == "Assessments"
    assert plot_labels.phase_label("其他") == "Other phase"


def test_cjk_font_is_none_or_renders_the_sample():
    name = fonts.cjk_font()
    if name is not None:
        from matplotlib import font_manager

        path = font_manager.findfont(name, fallback_to_default=False)
        assert fonts._covers(path, fonts.CJK_SAMPLE)


def test_a_chinese_font_installed_after_matplotlib_listed_the_fonts_is_found(monkeypatch):
    """Matplotlib keeps its font list in a cache: a font installed later (apt-get install fonts-noto-cjk) is not
    in it, and the figures would lose their Chinese names until the cache is deleted."""
    from matplotlib import font_manager

    chinese = {f for f in font_manager.findSystemFonts() if fonts._covers(f, fonts.CJK_SAMPLE)}
    if not chinese:
        pytest.skip("no font on this system renders Chinese (on Debian: apt-get install fonts-noto-cjk)")
    stale = [e for e in font_manager.fontManager.ttflist if e.fname not in chinese]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # the list as cached before the install
    fonts.cjk_font.cache_clear()
    try:
        name = fonts.cjk_font()
        assert name is not None
        assert any(e.name == name and e.fname in chinese for e in font_manager.fontManager.ttflist)
    finally:
        fonts.cjk_font.cache_clear()


def test_figures_drawn_in_a_second_process_are_the_same_bytes(cmp, att, tmp_path):
    """With two jobs, the agency load and the waterfalls are drawn by a worker process from the comparison and the
    attribution: every file is byte for byte the one drawn here."""
    figures = plots.all_figures(cmp, att)
    assert set(plots.SECOND_PROCESS) <= set(figures)
    plots.save_all(figures, tmp_path / "one", cmp, att, jobs=1)
    figures = plots.all_figures(cmp, att)  # (a figure drawn once lays itself out again: fresh ones, as a command has)
    plots.save_all(figures, tmp_path / "two", cmp, att, jobs=2)
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())
    assert len(names) == 3 * len(figures)
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
