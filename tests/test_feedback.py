"""Rework back to an earlier desk (Jackson feedback) against queueing theory, and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

from helpers.queueing import jackson_sojourn

ROOT = Path(__file__).resolve().parents[1]
REWORK = ROOT / "scenarios/examples/mmc_rework.toml"


def test_feedback_network_matches_jackson_theory():
    servers, lam = [2, 3, 1, 4, 2], [1.0, 1.25, 1.25, 1.25, 1.25]  # traffic equations: 1 / (1 - 0.2)
    means = [1.4, 1.68, 0.56, 2.24, 1.12]
    truth = jackson_sojourn(servers, lam, means)
    assert truth == pytest.approx(14.8725, abs=1e-4)
    res = sim.run(sim.load(REWORK), n=16, seed=7, jobs=2, keep_rows=False)
    kpi = res.summary["kpis"]["approval_days"]
    # 99 % interval from the 95 % one (t quantiles 2.947 / 2.131 for 15 degrees of freedom)
    half = (kpi["ci95"][1] - kpi["ci95"][0]) / 2 * 2.947 / 2.131
    assert abs(kpi["mean"] - truth) <= half, (kpi["mean"], truth, half)
    # and the same test would reject a network without the feedback loop (fewer visits: 3.7 days shorter)
    assert abs(kpi["mean"] - (truth - 0.25 * (2.599 + 1.8667 + 3.0402 + 2.1961))) > half
    for a in ("a1", "a2", "a3", "a4", "a5"):  # every desk runs at 0.7 with the feedback traffic included
        assert res.summary["agencies"][a]["utilisation"]["mean"] == pytest.approx(0.7, abs=0.03)


def test_feedback_to_a_stage_without_effort_or_always_back_is_refused(tmp_path):
    text = REWORK.read_text(encoding="utf-8")
    bad = tmp_path / "examples"
    bad.mkdir()
    (bad / "mmc_tandem.toml").write_text(
        (ROOT / "scenarios/examples/mmc_tandem.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    cases = [
        ('feedback = {p = 0.2, to = "s2"}', 'feedback = {p = 1, to = "s2"}', "stages.s3.feedback.p"),
        ('feedback = {p = 0.2, to = "s2"}', 'feedback = {p = 0.2, to = "s9"}', "stages.s3.feedback.to"),
    ]
    for old, new, path in cases:
        f = bad / "case.toml"
        f.write_text(text.replace(old, new), encoding="utf-8")
        with pytest.raises(sim.ScenarioError) as e:
            sim.load(f)
        assert path in [p.path for p in e.value.problems]
