"""The engine against exact queueing theory.

On a 24/7 calendar with Poisson arrivals, exponential service and FIFO staff,
a stage is an M/M/c queue and stages in series form a Jackson network, whose
steady-state means are known exactly.  The truth is computed from the
textbook formulas (Erlang C, Little, Jackson: ``helpers/queueing.py``), never
from the engine's code.

Statistics: every check compares the mean over replications of a
per-replication mean (replications are independent; jobs within one are not)
with the theory, using a two-sided 99 % Student-t confidence interval.  The
seeds are fixed, so the tests are deterministic; 99 % rather than 95 % keeps
a change of seed or of the random-number plumbing from failing a correct
engine by bad luck (1 % per check instead of 5 %).  Each check also asserts
that its interval is narrow enough to catch a wrong model: with a service
time 10 % too long or too short every waiting-time, utilisation and sojourn
check here fails (verified by running the file with the means scaled by 0.9
and 1.1).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.engine.compiled import compile_scenario
from sim.runs.rows import project_columns, stage_columns
from sim.runs.runner import run
from sim.scenario.loading import load

from helpers.queueing import mmc_wq
from helpers.scenarios import dist, milestones_at, project_class, scenario_toml, stage

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "mmc_tandem.toml"

LAMBDA = 1.0  # arrivals per day in every scenario here
WARMUP = 100.0  # days; the M/M/c queues here relax in a few tens of days
HORIZON = 2100  # days of the single-station runs: 2000 measured days, ~2000 jobs per replication
REPS = 20  # replications per scenario
# Jobs arriving in the last TAIL days are left out of waiting and sojourn means:
# they may not be through by the horizon, and dropping only the unfinished ones
# would bias the means down.  P(a job is still in the system TAIL days after
# arriving) is below 1e-9 here (waits decay like exp(-(c mu - lambda) t), with
# c mu - lambda >= 0.25 per day), and the tests assert none is.
TAIL = 100.0
T995 = {19: 2.8609346065}  # 99.5 % quantile of Student's t, by degrees of freedom (scipy.stats.t.ppf)
T975 = {19: 2.0930240544}  # 97.5 % quantile, to widen the summary's 95 % intervals to 99 %


# -- statistics --------------------------------------------------------------------------------------------


def ci99(values: list[float]) -> tuple[float, float]:
    """(mean, half-width of the 99 % t interval) of independent per-replication values."""
    n = len(values)
    return statistics.fmean(values), T995[n - 1] * statistics.stdev(values) / math.sqrt(n)


def summary_ci99(entry: dict) -> tuple[float, float]:
    """(mean, 99 % half-width) of a summary.json entry, from its 95 % interval."""
    lo, hi = entry["ci95"]
    return entry["mean"], (hi - lo) / 2 * T995[REPS - 1] / T975[REPS - 1]


def assert_matches(name: str, mean: float, half: float, theory: Callable[[float], float]) -> None:
    """``theory(1)`` inside the interval mean ± half, and ``theory(0.9)``, ``theory(1.1)`` outside it.

    ``theory(s)`` is the value predicted with every service time scaled by
    ``s``; the second condition says the interval is narrow enough that an
    engine whose service times were 10 % off would fail this check.
    """
    truth = theory(1.0)
    assert abs(mean - truth) <= half, f"{name}: measured {mean:.4f} ± {half:.4f} (99 %), theory {truth:.4f}"
    for s in (0.9, 1.1):
        assert abs(mean - theory(s)) > half, (
            f"{name}: interval {mean:.4f} ± {half:.4f} cannot tell theory {truth:.4f} from {theory(s):.4f} "
            f"(service times x {s})"
        )


# -- running scenarios -------------------------------------------------------------------------------------


def single_station_toml(c: int, mean_service_days: float, unit: str, horizon_days: int) -> str:
    """One M/M/c stage on a 24/7 calendar; ``unit`` is the effort's unit (24 h per working day)."""
    per_unit = {"day": 1.0, "workday": 1.0, "workhour": 24.0}[unit]
    return scenario_toml(
        f"mm{c}",
        end_date=dt.date(2024, 1, 1) + dt.timedelta(days=horizon_days - 1),
        settings={"warmup_days": WARMUP},
        always_open=True,
        agencies={"desk": c},
        classes={"job": project_class(0)},
        stream={"rate": LAMBDA, "per": "day", "classes": {"job": 1}},
        stages={"serve": stage("desk", effort=dist("exponential", unit, mean=mean_service_days * per_unit))},
        milestones=milestones_at("serve", {"stage": "serve", "at": "end"}, completion="serve"),
    )


def clock(stamp: str, origin: dt.datetime) -> float:
    """A CSV time stamp as clock time (calendar days since the start date; NaN if empty)."""
    return (dt.datetime.fromisoformat(stamp) - origin) / dt.timedelta(days=1) if stamp else math.nan


@dataclass
class Observed:
    """A run of a scenario, with its stage rows as dicts holding clock times."""

    summary: dict
    horizon: float
    stages: list[dict]
    projects: list[dict]

    def rows(self, stage: str, first: float, last: float) -> dict[int, list[dict]]:
        """Per replication, the rows of ``stage`` submitted in [first, last)."""
        out: dict[int, list[dict]] = {r: [] for r in range(REPS)}
        for row in self.stages:
            if row["stage"] == stage and first <= row["submitted"] < last:
                out[row["rep"]].append(row)
        return out

    def waits(self, stage: str) -> list[float]:
        """Per replication, the mean queue time of jobs arriving at ``stage`` in [warm-up, horizon - TAIL)."""
        per_rep = self.rows(stage, WARMUP, self.horizon - TAIL)
        assert all(not math.isnan(r["issued"]) for rows in per_rep.values() for r in rows), "unfinished job"
        return [statistics.fmean(r["queue"] for r in rows) for rows in per_rep.values()]


def simulate(scenario, seed: int) -> Observed:
    res = run(scenario, n=REPS, seed=seed, jobs=2, keep_rows=True)
    origin = dt.datetime.combine(scenario.start_date, dt.time())
    times = ("started", "submitted", "issued", "signed", "first_submission", "construction_permit")

    def as_dicts(header: list[str], rows: list[list]) -> list[dict]:
        out = []
        for values in rows:
            d = dict(zip(header, values))
            for k in times:
                if k in d:
                    d[k] = clock(d[k], origin)
            out.append(d)
        return out

    return Observed(
        res.summary,
        float(scenario.horizon_days),
        as_dicts(stage_columns(), res.stage_rows),
        as_dicts(project_columns(compile_scenario(scenario)), res.project_rows),
    )


@dataclass(frozen=True)
class Case:
    c: int
    mean_service: float  # days
    unit: str  # unit the effort is written in
    seed: int

    def wq(self, scale: float = 1.0) -> float:
        """Theory: mean wait in queue, with the service time scaled by ``scale``."""
        return mmc_wq(self.c, LAMBDA, scale * self.mean_service)

    def rho(self, scale: float = 1.0) -> float:
        """Theory: utilisation lambda / (c mu)."""
        return LAMBDA * scale * self.mean_service / self.c


# M/M/1 at rho = 0.7: Wq = 1.6333 days; M/M/3 at rho = 0.8: Wq = 2.5888 days.
# The effort units differ on purpose: on 24/7 a working day and 24 working hours are a day.
CASES = [Case(1, 0.7, "workday", seed=11), Case(3, 2.4, "workhour", seed=12)]


@pytest.fixture(scope="module", params=CASES, ids=lambda k: f"M/M/{k.c}")
def station(request, tmp_path_factory) -> tuple[Case, Observed]:
    case = request.param
    path = tmp_path_factory.mktemp("mmc") / f"mm{case.c}.toml"
    path.write_text(single_station_toml(case.c, case.mean_service, case.unit, HORIZON))
    return case, simulate(load(path), case.seed)


@pytest.fixture(scope="module")
def tandem() -> Observed:
    return simulate(load(EXAMPLE), seed=21)


# -- single station ----------------------------------------------------------------------------------------


def test_always_open_working_day_is_a_calendar_day(station):
    """On 24/7, queue + review (working days) = issued - submitted (calendar days), to the minute of the stamps."""
    _, obs = station
    done = [r for r in obs.stages if not math.isnan(r["issued"])]
    assert len(done) > 0.9 * REPS * HORIZON * LAMBDA
    worst = max(abs(r["queue"] + r["review"] - (r["issued"] - r["submitted"])) for r in done)
    assert worst <= 2 / 1440, f"working and calendar days differ by {worst * 1440:.1f} minutes"
    assert all(r["started"] == r["submitted"] for r in done)  # no preparation: the job queues on arrival
    waited = [r["queue"] for r in done]
    assert min(waited) == 0 and max(waited) > 5  # some are served at once, some wait


def test_waiting_time_matches_erlang_c(station):
    case, obs = station
    mean, half = ci99(obs.waits("serve"))
    assert_matches(f"Wq of M/M/{case.c}", mean, half, case.wq)


def test_utilisation_is_lambda_over_c_mu(station):
    case, obs = station
    mean, half = summary_ci99(obs.summary["agencies"]["desk"]["utilisation"])
    assert_matches(f"utilisation of M/M/{case.c}", mean, half, case.rho)


def test_littles_law_for_the_queue(station):
    """The time-weighted number waiting equals arrival rate x mean wait, on each sample path.

    Over the measured window [warm-up, horizon] both sides count the same
    waiting; they differ only by the jobs waiting at its two ends (about Lq
    jobs x Wq days each, against Lq x 2000 job-days in all): well under 1 %.
    """
    case, obs = station
    per_rep = obs.rows("serve", WARMUP, obs.horizon)
    span = obs.horizon - WARMUP
    little = statistics.fmean(
        len(rows) / span * statistics.fmean(r["queue"] for r in rows) for rows in per_rep.values()
    )
    lq = obs.summary["agencies"]["desk"]["mean_queue"]["mean"]
    assert lq == pytest.approx(little, rel=0.01), f"M/M/{case.c}: Lq {lq:.4f} vs lambda * Wq {little:.4f}"
    # and against theory: Lq = lambda * Wq (Erlang C)
    mean, half = summary_ci99(obs.summary["agencies"]["desk"]["mean_queue"])
    assert_matches(f"Lq of M/M/{case.c}", mean, half, lambda s: LAMBDA * case.wq(s))


# -- tandem (the example scenario) --------------------------------------------------------------------------

TANDEM = {"s1": 2, "s2": 3, "s3": 1, "s4": 4, "s5": 2}  # station -> servers; mean service 0.7 c days


def station_wq(c: int, scale: float = 1.0) -> float:
    return mmc_wq(c, LAMBDA, scale * 0.7 * c)


def jackson_sojourn(scale: float = 1.0) -> float:
    """Mean time through the tandem: the sum of the stations' M/M/c sojourns Wq + 1/mu."""
    return sum(station_wq(c, scale) + scale * 0.7 * c for c in TANDEM.values())


def test_tandem_example_is_the_documented_network():
    sc = load(EXAMPLE)
    assert sc.calendar.always_open and sc.stream.rate_per_day == LAMBDA and sc.warmup_days == WARMUP
    assert [st.id for st in sc.stages] == list(TANDEM)
    for prev, st in zip([None, *TANDEM], sc.stages):
        c = TANDEM[st.id]
        assert st.after == ((prev,) if prev else ())
        assert sc.agency_by_id[st.agency].staff == c
        assert (st.effort.kind, st.effort.unit) == ("exponential", "day")
        assert st.effort.mean() == pytest.approx(0.7 * c)
    assert jackson_sojourn() == pytest.approx(14.8725, abs=1e-4)  # the value quoted in the file


def test_tandem_sojourn_matches_jackson(tandem):
    """Mean time through the five stations = sum of the M/M/c sojourns (Burke, Jackson)."""
    keep = [p for p in tandem.projects if WARMUP <= p["signed"] < tandem.horizon - TAIL]
    assert all(p["approval_days"] != "" for p in keep), "unfinished job"
    per_rep = [statistics.fmean(p["approval_days"] for p in keep if p["rep"] == r) for r in range(REPS)]
    mean, half = ci99(per_rep)
    assert_matches("tandem sojourn", mean, half, jackson_sojourn)
    # The summary's KPI: all projects signed after the warm-up; the ~0.7 % still
    # in the network at the horizon are censored, which biases it down a little.
    mean, half = summary_ci99(tandem.summary["kpis"]["approval_days"])
    assert_matches("approval_days KPI", mean, half, jackson_sojourn)


@pytest.mark.parametrize("stage", TANDEM)
def test_tandem_stations_match_erlang_c(tandem, stage):
    """Each station sees a Poisson(1) stream (Burke), so it is an M/M/c queue with rho = 0.7."""
    c = TANDEM[stage]
    mean, half = ci99(tandem.waits(stage))
    assert_matches(f"Wq at {stage}", mean, half, lambda s: station_wq(c, s))
    mean, half = summary_ci99(tandem.summary["agencies"][f"a{stage[1:]}"]["utilisation"])
    assert_matches(f"utilisation at {stage}", mean, half, lambda s: 0.7 * s)
