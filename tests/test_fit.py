"""``sim.fit`` and ``approval-sim fit``: a scenario fitted to an event log.

The truth comes from outside the code: a hand-made log whose stages, order, shares, rework and working-day
durations are counted by hand below; a log simulated from a known scenario, whose parameters the fit must
recover within their sampling error; and the two public Dutch permit logs, whose fits must validate and run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli.main import main
from sim.engine.compiled import compile_scenario
from sim.eventlog.stages import stage_id

from helpers.logs import write_csv
from helpers.scenarios import dist, project_class, scenario_toml, stage, workdays

LOGS = Path(__file__).resolve().parents[1] / "scenarios" / "logs"

# -- a hand-made log ----------------------------------------------------------------------------------------
#
# Ten cases, case k starting on working day 3k from Monday 2024-03-04 (no day of a case overlaps another's):
#   A_review (group desk) 09:00-13:00 of its first day: 0.5 working day of an 09:00-17:00 office day;
#   cases 0, 3, 6 are reworked: A_review again two days later, 13:00-15:00 (0.25 working day);
#   cases 1, 2, 5, 9 run B_check (group lab) the next day, 10:00-12:00;
#   C_decide (group desk), 1 hour: the next day 14:00 (cases without B or rework), two days later 14:00 (with
#   B), or two days later 16:00 (reworked, after the second review).
REWORKED = {0, 3, 6}
WITH_B = {1, 2, 5, 9}


def working_day(i: int) -> dt.date:
    """The i-th working day (Monday to Friday) from Monday 2024-03-04."""
    weeks, day = divmod(i, 5)
    return dt.date(2024, 3, 4) + dt.timedelta(weeks=weeks, days=day)


def hand_log(path: Path) -> Path:
    rows = []

    def add(case: int, activity: str, day: int, start: str, end: str, group: str) -> None:
        d = working_day(day).isoformat()
        rows.append([f"c{case}", activity, f"{d} {start}", f"{d} {end}", group[0] + "1", group])

    for k in range(10):
        b = 3 * k
        add(k, "A_review", b, "09:00", "13:00", "desk")
        if k in REWORKED:
            add(k, "A_review", b + 2, "13:00", "15:00", "desk")
            add(k, "C_decide", b + 2, "16:00", "17:00", "desk")
        elif k in WITH_B:
            add(k, "B_check", b + 1, "10:00", "12:00", "lab")
            add(k, "C_decide", b + 2, "14:00", "15:00", "desk")
        else:
            add(k, "C_decide", b + 1, "14:00", "15:00", "desk")
    return write_csv(path, ("case_id", "activity", "start_time", "end_time", "resource", "group"), rows)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> sim.FittedScenario:
    return sim.fit(hand_log(tmp_path_factory.mktemp("hand") / "hand.csv"), stage_by="prefix:1")


def test_hand_log_stages_graph_and_profiles(hand: sim.FittedScenario) -> None:
    f = hand.facts
    assert list(f["stages"]) == ["A", "B", "C"] and f["left_out"] == []
    # A ends before B starts in all 4 cases with both, B before C in all 4, A before C in all 10: A -> C goes
    # in the transitive reduction (a run passes a skipped B's readiness on to C)
    assert f["edges"] == [["A", "B"], ["B", "C"]] and f["sinks"] == ["C"]
    assert [f["stages"][s]["share"] for s in "ABC"] == [1.0, 0.4, 1.0]
    assert [f["stages"][s]["optional"] for s in "ABC"] == [False, True, False]
    assert [(p["cases"], p["runs"]) for p in f["profiles"]] == [(6, []), (4, ["B"])]
    sc = hand.scenario
    assert sc.stage_by_id["B"].when is not None and sc.stage_by_id["B"].when.holds({"has_B": True})
    assert not sc.stage_by_id["B"].when.holds({"has_B": False})
    assert sc.stage_by_id["case_end"].after == ("C",)
    assert dict(sc.stream.classes) == {"profile_1": 6.0, "profile_2": 4.0}
    assert {a.id: (a.staff, a.name) for a in sc.agencies} == {"desk": (1, "desk"), "lab": (1, "lab")}
    assert [sc.stage_by_id[s].agency for s in "ABC"] == ["desk", "lab", "desk"]


def test_hand_log_calendar_and_arrivals(hand: sim.FittedScenario) -> None:
    sc = hand.scenario
    assert sc.calendar.weekend == (5, 6) and sc.calendar.hours == (9.0, 17.0) and sc.calendar.country is None
    assert (sc.start_date, sc.end_date) == (dt.date(2024, 3, 4), dt.date(2024, 4, 12))
    # 10 cases from 2024-03-04 to 2024-04-10: 38 days, both included, of 365.2425 / 12 days a month (written
    # to 4 significant digits)
    assert sc.stream.rate_per_day * 365.2425 / 12 == pytest.approx(10 / (38 / (365.2425 / 12)), rel=1e-3)
    assert (sc.stream.start, sc.stream.end) == (dt.date(2024, 3, 4), dt.date(2024, 4, 10))


def test_hand_log_rework_and_working_day_durations(hand: sim.FittedScenario) -> None:
    a, b, c = (hand.scenario.stage_by_id[s] for s in "ABC")
    # rework: 3 of 10 visits had a second A_review; too few (under 10) for a decay; the cap is raised from
    # the 2 rounds seen until 0.3 ** rounds < 0.001: 0.3 ** 5 = 0.00243, 0.3 ** 6 = 0.000729
    assert (a.defect.p, a.defect.decay, a.defect.max_rounds) == (0.3, 1.0, 6)
    # fix: 13:00 of the first day to 13:00 two days later = 0.5 + 1 + 0.5 working days, in all 3
    assert a.defect.fix.kind == "fixed" and a.defect.fix.params == (2.0,)
    assert b.defect is None and c.defect is None
    facts = hand.facts["stages"]
    # effort: 10 rounds of 4 hours, 3 of 2 hours, on an 8-hour day: median 0.5
    assert facts["A"]["effort"]["median"] == pytest.approx(0.5, abs=1e-9) and facts["A"]["effort"]["n"] == 13
    assert (b.effort.kind, b.effort.params) == ("fixed", (0.25,))  # 4 visits: too few, their median
    assert (c.effort.kind, c.effort.params) == ("fixed", (0.125,))  # every C_decide: 1 hour
    # lag: A ends with its last review (0); B from A's end (13:00) to 12:00 next day = 0.875 - 0.25 of work;
    # C: 1.125 after A alone (13:00 to 15:00 next day, 1.25 - 0.125), 1.25 after B (12:00 to 15:00 next day,
    # 1.375 - 0.125), 0.125 after the rework (15:00 to 17:00 the same day, 0.25 - 0.125): median 1.125
    assert (a.lag.kind, a.lag.params) == ("fixed", (0.0,))
    assert (b.lag.kind, b.lag.params) == ("fixed", (0.625,))
    assert facts["C"]["lag"]["median"] == pytest.approx(1.125, abs=1e-9) and facts["C"]["lag"]["n"] == 10


def test_every_fitted_value_is_commented(hand: sim.FittedScenario) -> None:
    keys = ("effort", "lag", "staff", "p", "decay", "max_rounds", "fix", "after", "when", "weekend", "hours", "rate")
    fitted_part = hand.text.split("[stages.case_end]")[0]  # the end stage's zero lag is not fitted, and says so
    lines = [line for line in fitted_part.splitlines() if re.match(rf"({'|'.join(keys)}) = ", line)]
    assert len(lines) >= 15
    for line in lines:
        assert "# FITTED from hand.csv: " in line or "# ASSUMPTION: " in line, line
    assert hand.text.startswith("# Fitted by approval-sim fit from hand.csv")
    assert "command: approval-sim fit hand.csv --stage-by prefix:1" in hand.text
    json.dumps(hand.facts, allow_nan=False)


def test_fitted_working_days_are_the_engines(hand: sim.FittedScenario) -> None:
    """The fit measures on the calendar class the engine builds, with the same working days."""
    from sim.fitting.calendar_fit import fit_calendar
    from sim.fitting.clock import log_clock

    log = sim.read_log(hand.log_path)
    fitted = fit_calendar(log_clock(log), log.date_only, None, "hand.csv").calendar
    engine = compile_scenario(hand.scenario).zone
    assert type(fitted) is type(engine) and np.array_equal(fitted.working, engine.working)
    for t0, t1 in ((0.4, 3.6), (4.5, 9.2), (0.0, 39.9)):
        assert fitted.workdays_between(t0, t1) == engine.workdays_between(t0, t1)


def test_replay_arrivals_and_write(hand: sim.FittedScenario, tmp_path: Path) -> None:
    replayed = sim.fit(hand.log_path, stage_by="prefix:1", replay=True)
    days = sorted(replayed.scenario.stream.days)
    assert days == sorted((working_day(3 * k) - dt.date(2024, 3, 4)).days for k in range(10))
    out = replayed.write(tmp_path / "fitted.toml")
    assert sim.load(out).stream.days == replayed.scenario.stream.days
    with pytest.raises(sim.OutputError, match="holds an earlier approval-sim output"):
        replayed.write(out)
    replayed.write(out, force=True)
    mine = tmp_path / "mine.toml"
    mine.write_text("# my notes\n", encoding="utf-8")
    with pytest.raises(sim.OutputError, match="not written by approval-sim"):
        replayed.write(mine, force=True)
    assert mine.read_text(encoding="utf-8") == "# my notes\n"
    with pytest.raises(sim.OutputError, match="input"):
        replayed.write(hand.log_path, force=True)


def test_investment_from_a_case_attribute(tmp_path: Path) -> None:
    rows = [[f"c{k}", "A_review", f"2024-03-0{4 + k} 10:00", str(1e6 * (k + 1))] for k in range(5)]
    log = write_csv(tmp_path / "budget.csv", ("case_id", "activity", "end_time", "case:budget"), rows)
    fitted = sim.fit(log, investment="budget")
    (cls,) = fitted.scenario.classes
    assert cls.investment.kind == "lognormal" and cls.investment.unit == "cny"
    # a lognormal's median is the geometric mean of the values: (1 x 2 x 3 x 4 x 5) ** (1/5) million
    assert cls.investment.params[0] == pytest.approx(120**0.2 * 1e6, rel=1e-3)
    assert "FITTED from budget.csv: n=5 cases, lognormal" in fitted.text and "(case attribute budget)" in fitted.text
    with pytest.raises(sim.LogError, match="--investment.*the case attributes are: budget"):
        sim.fit(log, investment="cost")


def test_stage_ids_are_scenario_ids() -> None:
    assert stage_id("08_AWB45") == "s_08_AWB45"
    assert stage_id("T02 Check confirmation of receipt") == "T02_Check_confirmation_of_receipt"
    assert stage_id("审批 A") == "审批_A"
    assert stage_id(" :: ") == "stage"


# -- recovery of a known scenario ---------------------------------------------------------------------------

TRUTH_STAFF = {"window": 1, "bureau": 2, "panel": 3}
TRUTH_AGENCY = {
    "intake": "window",
    "check": "bureau",
    "review_a": "bureau",
    "review_b": "panel",
    "review_c": "panel",
    "decision": "window",
}
RATE_PER_YEAR = 200.0


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory) -> tuple[sim.FittedScenario, Path]:
    """A truth scenario run once (about 300 projects), its events.csv fitted."""
    folder = tmp_path_factory.mktemp("truth")
    effort, lag = workdays(0.5), dist("lognormal", median=5, p90=10)
    text = scenario_toml(
        "truth",
        agencies=TRUTH_STAFF,
        classes={"std": project_class(attributes={"needs_c": {"p": 0.4}})},
        stream={"rate": RATE_PER_YEAR, "until": dt.date(2025, 6, 30), "classes": {"std": 1}},
        calendar={"country": "none", "weekend": ["sat", "sun"], "hours": ["09:00", "17:00"]},
        start_date="2024-01-01",
        end_date="2025-12-31",
        stages={
            "intake": stage("window", effort=effort, lag=lag),
            "check": stage("bureau", after="intake", effort=effort, lag=lag, defect={"p": 0.3, "fix": workdays(2)}),
            "review_a": stage("bureau", after="check", effort=effort, lag=lag),
            "review_b": stage("panel", after="check", effort=effort, lag=lag),
            "review_c": stage("panel", after="check", effort=effort, lag=lag, when={"needs_c": True}),
            "decision": stage("window", after=["review_a", "review_b", "review_c"], effort=effort, lag=lag),
        },
        milestones="decision",
    )
    (folder / "truth.toml").write_text(text, encoding="utf-8")
    sim.run(sim.load(folder / "truth.toml"), n=1, seed=3, out=folder / "run", event_formats=("csv",))
    # approval-sim's events.csv names the agency as the resource of its work and has no group column
    log = sim.read_log(folder / "run" / "events.csv", group="resource")
    return sim.fit(log, stage_by="prefix:1", stage_sep=":"), folder


def test_recovers_the_stages_graph_and_agencies(recovered: tuple[sim.FittedScenario, Path]) -> None:
    f = recovered[0].facts
    assert set(f["stages"]) == set(TRUTH_AGENCY)
    edges = {("intake", "check"), *(("check", r) for r in ("review_a", "review_b", "review_c"))}
    edges |= {(r, "decision") for r in ("review_a", "review_b", "review_c")}
    assert {tuple(e) for e in f["edges"]} == edges
    assert {s: v["agency"] for s, v in f["stages"].items()} == TRUTH_AGENCY
    for agency, staff in TRUTH_STAFF.items():
        assert abs(f["agencies"][agency]["staff"] - staff) <= 1, (agency, f["agencies"][agency])


def test_recovers_shares_rework_rate_and_effort(recovered: tuple[sim.FittedScenario, Path]) -> None:
    fitted = recovered[0]
    f = fitted.facts
    n = f["cases"]
    share = f["stages"]["review_c"]["share"]
    assert abs(share - 0.4) <= 3 * math.sqrt(0.4 * 0.6 / n)
    assert [s for s, v in f["stages"].items() if v["optional"]] == ["review_c"]
    p, visits = f["stages"]["check"]["defect"]["p"], f["stages"]["check"]["visits"]
    assert abs(p - 0.3) <= 3 * math.sqrt(0.3 * 0.7 / visits)
    assert [s for s, v in f["stages"].items() if "defect" in v] == ["check"]
    months = f["arrivals"]["months"]
    assert abs(f["arrivals"]["rate_per_month"] - RATE_PER_YEAR / 12) <= 3 * math.sqrt(n) / months
    for s, v in f["stages"].items():
        assert abs(v["effort"]["median"] - 0.5) <= 0.15 * 0.5, (s, v["effort"])
        assert abs(v["lag"]["median"] - 5.0) <= 0.2 * 5.0, (s, v["lag"])
    sc = fitted.scenario
    assert sc.calendar.weekend == (5, 6) and sc.calendar.hours == (9.0, 17.0)


def test_a_lever_on_the_fitted_scenario_shortens_the_defect_stage(recovered: tuple[sim.FittedScenario, Path]) -> None:
    fitted, folder = recovered
    fitted.write(folder / "fitted.toml")
    reform = folder / "reform.toml"
    reform.write_text(
        'extends = "fitted.toml"\n\n[levers.tolerant]\nname = "tolerant acceptance"\n'
        'set = {"stages.check.tolerant" = {deadline_workdays = 30, fail_p = 0}}\n',
        encoding="utf-8",
    )
    before = sim.run(sim.load(reform, levers="none"), n=2, seed=5).summary()["stages"]["check"]["mean"]
    after = sim.run(sim.load(reform, levers="all"), n=2, seed=5).summary()["stages"]["check"]["mean"]
    assert after < 0.9 * before


# -- the real logs ------------------------------------------------------------------------------------------


def test_bpic_2015_fits_validates_and_runs() -> None:
    fitted = sim.fit(LOGS / "bpic15_1_until_2013-06.csv.gz", zone="Europe/Amsterdam", stage_by="prefix:2")
    f = fitted.facts
    assert f["cases"] == 840 and f["mode"] == "lead" and len(f["stages"]) == 18
    assert {x["stage"] for x in f["left_out"]} == {"s_99_NOCODE", "s_16_LGSV"}
    assert list(f["agencies"]) == ["office"] and fitted.scenario.calendar.weekend == (5, 6)
    assert "s_01_HOOFD" in f["stages"] and not f["stages"]["s_01_HOOFD"]["optional"]
    assert "# ASSUMPTION: no start times" in fitted.text
    json.dumps(f, allow_nan=False)
    result = sim.run(fitted.scenario, n=2, seed=1)
    assert result.summary()["kpis"]["approval_days"]["n"] > 1000


def test_wabo_receipt_fits_validates_and_runs() -> None:
    from sim.cli.fit_command import summary

    fitted = sim.fit(LOGS / "receipt_until_2011-08.xes.gz")
    f = fitted.facts
    assert f["cases"] == 1044 and f["mode"] == "lead"
    assert "Group_1" in f["agencies"] and all(v["groups"] for v in f["agencies"].values())
    # its steps follow one another within minutes: 80 % of the staff's time spread over its rounds is longer
    # than most visits, which the file and the command say
    assert f["stages"]["T02_Check_confirmation_of_receipt"]["shorter_than_effort_share"] > 0.5
    assert "of this stage's visits (their lag is 0)" in fitted.text
    assert "warning: the assumed effort is longer than most visits" in summary(fitted, "receipt.toml")
    result = sim.run(fitted.scenario, n=2, seed=1)
    assert result.summary()["kpis"]["approval_days"]["n"] > 1000


# -- the command line ---------------------------------------------------------------------------------------


def test_cli_writes_the_scenario_and_refuses_what_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = hand_log(tmp_path / "hand.csv")
    out = tmp_path / "fitted" / "hand.toml"
    assert status(["fit", str(log), "--stage-by", "prefix:1", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "3 by --stage-by prefix:1" in said and "desk (1 staff)" in said and "A p=0.3" in said
    assert f"approval-sim run {out}" in said
    assert sim.load(out).stage_by_id["A"].defect.p == 0.3
    assert status(["fit", str(log), "--stage-by", "prefix:1", "-o", str(out)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert status(["fit", str(log), "--stage-by", "prefix:1", "--replay", "-o", str(out), "--force"]) == 0
    assert sim.load(out).stream.days
    mine = tmp_path / "mine.toml"
    mine.write_text("[scenario]\n", encoding="utf-8")
    for extra in ([], ["--force"]):
        assert status(["fit", str(log), "--stage-by", "prefix:1", "-o", str(mine), *extra]) == 2
        assert "not written by approval-sim" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "[scenario]\n"


@pytest.mark.parametrize(
    "options, named",
    [
        (["--country", "XX"], "--country"),
        (["--waiting", "(queue"], "--waiting"),
        (["--stage-by", "prefix:0"], "--stage-by"),
        (["--stage-map", "MAP"], "map.toml"),
        (["--stage-map", "DROP"], "no stage left"),
        (["--min-share", "1.5"], "--min-share"),
        (["--investment", "budget"], "--investment"),
        (["--zone", "Mars/Base"], "--zone"),
    ],
)
def test_cli_bad_input_exits_2_naming_it(
    options: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = hand_log(tmp_path / "hand.csv")
    (tmp_path / "map.toml").write_text("[stages\nA = '^A'\n", encoding="utf-8")
    (tmp_path / "drop.toml").write_text("[stages]\nX = '^X'\n[options]\notherwise = 'drop'\n", encoding="utf-8")
    paths = {"MAP": str(tmp_path / "map.toml"), "DROP": str(tmp_path / "drop.toml")}
    assert status(["fit", str(log), "-o", str(tmp_path / "out.toml"), *(paths.get(o, o) for o in options)]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "out.toml").exists()


def status(args: list[str]) -> int | str | None:
    """The exit status of ``approval-sim ARGS`` run in this process (argparse's errors exit)."""
    try:
        return main(args)
    except SystemExit as e:
        return e.code
