"""Property-based tests (Hypothesis) on random small scenarios.

Each example is a random scenario on the real Chinese calendar: a Poisson
stream and a few named projects, three agency stages (A -> B -> C, C also
after A) with random staff, sittings, priority, office hours, durations,
defects, limits and lags, then a construction stage with an optional winter
shutdown.  The properties:

* bookkeeping: every counted project is either reached or censored in every
  KPI; capped projects are censored; stage and limit KPIs count
  every stage visit;
* records: no negative time in any category, started <= submitted <= issued;
* reproducibility: same seed -> identical summary and rows; ``jobs=2`` ->
  identical to ``jobs=1``;
* common random numbers: changing one stage leaves the draws of the others.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.compiled import compile_scenario
from sim.engine.records import SPLIT
from sim.engine.replication import simulate
from sim.runs.runner import run
from sim.runs.summary import KPIS
from sim.scenario.scenario import build_scenario

START = dt.date(2024, 1, 1)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_text(text: str):
    return build_scenario(tomllib.loads(text), "<hypothesis>")


# -- strategies -----------------------------------------------------------------
def _num(x: float) -> str:
    return repr(float(x))


@st.composite
def dists(draw, units=("workday", "workhour", "day")) -> str:
    """A duration distribution as an inline TOML table (values well above float resolution)."""
    unit = draw(st.sampled_from(units))
    scale = {"workday": 1.0, "workhour": 8.0, "day": 1.0, "week": 1 / 7, "month": 1 / 30}[unit]
    a = draw(st.floats(0.05, 5.0)) * scale
    kind = draw(st.sampled_from(("fixed", "uniform", "triangular", "exponential")))
    if kind == "fixed":
        body = f"value = {_num(a)}"
    elif kind == "uniform":
        body = f"low = {_num(a)}, high = {_num(a + draw(st.floats(0.1, 5.0)) * scale)}"
    elif kind == "triangular":
        m, h = draw(st.floats(0.0, 3.0)) * scale, draw(st.floats(0.1, 3.0)) * scale
        body = f"low = {_num(a)}, mode = {_num(a + m)}, high = {_num(a + m + h)}"
    else:
        body = f"mean = {_num(a)}"
    return f'{{dist = "{kind}", {body}, unit = "{unit}"}}'


@st.composite
def agencies(draw, name: str) -> str:
    lines = [f"[agencies.{name}]", f"staff = {draw(st.integers(1, 3))}"]
    if draw(st.booleans()):
        lines.append('priority = {class = "large"}')
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"sittings = {{every = {draw(st.integers(1, 10))}, capacity = {draw(st.integers(1, 3))}}}")
    if draw(st.integers(0, 3)) == 0:
        o = draw(st.integers(7, 10))
        lines.append(f'hours = ["{o:02d}:00", "{o + draw(st.integers(2, 9)):02d}:30"]')
    return "\n".join(lines) + "\n"


@st.composite
def agency_stages(
    draw, sid: str, agency: str, after: tuple[str, ...] = (), when: bool = False, effort: str | None = None
) -> str:
    lines = [f"[stages.{sid}]", f'agency = "{agency}"']
    if after:
        lines.append("after = [" + ", ".join(f'"{a}"' for a in after) + "]")
    if when and draw(st.booleans()):
        lines.append(f"when = {{flag = {str(draw(st.booleans())).lower()}}}")
    if draw(st.booleans()):
        lines.append(f"prepare = {draw(dists())}")
    lines.append(f"effort = {effort or draw(dists())}")
    if draw(st.booleans()):
        lines.append(f"lag = {draw(dists(('day', 'workday')))}")
    if draw(st.booleans()):
        p, decay = draw(st.floats(0.0, 1.0)), draw(st.floats(0.0, 1.0))
        lines.append(
            f"defect = {{p = {_num(p)}, decay = {_num(decay)}, max_rounds = {draw(st.integers(1, 4))}, "
            f"fix = {draw(dists(('workday', 'day')))}}}"
        )
    if draw(st.booleans()):
        ex = draw(st.lists(st.sampled_from(("sitting", "lag")), unique=True, max_size=2))
        lines.append(f"limit = {{workdays = {draw(st.integers(1, 30))}, excludes = {ex!r}}}".replace("'", '"'))
    return "\n".join(lines) + "\n"


@st.composite
def scenario_parts(draw) -> dict[str, str]:
    """The pieces of a random scenario (so that tests can swap one of them)."""
    horizon = draw(st.integers(30, 400))
    end = START + dt.timedelta(days=horizon - 1)
    until = START + dt.timedelta(days=draw(st.integers(0, horizon - 1)))
    warmup = draw(st.sampled_from((0, 0, 0, 10, 30)))
    head = (
        f'[scenario]\nname = "prop"\nstart_date = {START}\nend_date = {end}\n'
        f"seed = {draw(st.integers(0, 2**31))}\nwarmup_days = {warmup}\n"
    )
    head += '[shutdowns.winter]\nfrom = "11-15"\nto = "03-15"\n'
    classes = (
        '[classes.small]\ninvestment_cny = {dist = "fixed", value = 5e7, unit = "cny"}\n'
        f"attributes = {{flag = {{p = {_num(draw(st.floats(0, 1)))}}}}}\n"
        '[classes.large]\ninvestment_cny = {dist = "lognormal", median = 5e8, p90 = 2e9, unit = "cny"}\n'
        f"attributes = {{flag = {{p = {_num(draw(st.floats(0, 1)))}}}}}\n"
        f"construction_scale = {_num(draw(st.floats(0.5, 2.0)))}\n"
    )
    arrivals = (
        f'[arrivals.stream]\nrate = {_num(draw(st.floats(1.0, 12.0)))}\nper = "month"\n'
        f"until = {until}\nclasses = {{small = 2, large = 1}}\n"
    )
    for i in range(draw(st.integers(0, 3))):
        signed = START + dt.timedelta(days=draw(st.integers(0, horizon - 1)))
        cls = draw(st.sampled_from(("small", "large")))
        arrivals += f'[[arrivals.projects]]\nid = "n{i}"\nclass = "{cls}"\nsigned = {signed}\n'
    build = f'[stages.W]\nafter = ["C"]\nbuild = {draw(dists(("day", "week", "month")))}\n'
    if draw(st.booleans()):
        build += 'shutdowns = ["winter"]\n'
    return {
        "head": head,
        "classes": classes,
        "arrivals": arrivals,
        "agency_a": draw(agencies("a")),
        "agency_b": draw(agencies("b")),
        "agency_c": draw(agencies("c")),
        "A": draw(agency_stages("A", "a")),
        "B": draw(agency_stages("B", "b", ("A",), when=True)),
        "C": draw(agency_stages("C", "c", ("A", "B"))),
        "W": build,
        "milestones": (
            '[milestones]\nconstruction_permit = "C"\nconstruction_start = "W"\ncompletion = "W"\nproduction = "W"\n'
        ),
    }


def assemble(parts: dict[str, str]) -> str:
    return "\n".join(
        parts[k]
        for k in ("head", "classes", "arrivals", "agency_a", "agency_b", "agency_c", "A", "B", "C", "W", "milestones")
    )


scenarios = scenario_parts().map(assemble)


def nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


# -- bookkeeping ------------------------------------------------------------------
@SETTINGS
@given(text=scenarios, seed=st.integers(0, 2**32 - 1))
def test_every_counted_project_is_reached_or_censored(text, seed):
    sc = load_text(text)
    n_reps = 2
    result = run(sc, n=n_reps, seed=seed)
    summary, counts = result.summary, result.summary["projects"]
    cs = compile_scenario(sc)
    reps = [simulate(cs, r, seed) for r in range(n_reps)]
    counted = [p for res in reps for p in res.projects if p.signed >= cs.warmup]
    counted_idx = [{p.idx for p in res.projects if p.signed >= cs.warmup} for res in reps]
    assert counts["projects"] == len(counted)
    kf = summary["kpis"]
    for k in KPIS:
        if k != "within_limit_share":
            assert kf[k]["n"] + kf[k]["censored"] == counts["projects"], k
    permit = counts["reached_construction_permit"]
    for k in ("approval_workdays", "approval_days", "submissions", "cost_pre_construction_cny"):
        assert kf[k]["n"] == permit, k
    for k in ("to_production_months", "cost_delay_cny"):
        assert kf[k]["n"] == counts["reached_production"], k
    assert counts["reached_production"] <= permit
    # capping happens in A, B or C, all before the permit: a capped project is censored
    assert counts["capped"] == sum(p.capped for p in counted)
    assert counts["capped"] <= kf["approval_days"]["censored"]
    assert sum(1 for p in counted if p.capped and not nan(p.milestones["construction_permit"])) == 0
    # stage KPIs count every visit (finished or not) of a counted project
    visits = {s: 0 for s in ("A", "B", "C", "W")}
    limited = {s.id for s in sc.stages if s.limit is not None}
    limit_visits = 0
    for res, ok in zip(reps, counted_idx):
        for idx, _pid, r in res.stages:
            if idx in ok:
                visits[r.stage] += 1
                limit_visits += r.stage in limited
    for s, v in visits.items():
        assert summary["stages"][s]["n"] + summary["stages"][s]["censored"] == v, s
    assert kf["within_limit_share"]["n"] + kf["within_limit_share"]["censored"] == limit_visits


# -- records ------------------------------------------------------------------------
@SETTINGS
@given(text=scenarios, seed=st.integers(0, 2**32 - 1))
def test_records_have_no_negative_time_and_ordered_stamps(text, seed):
    sc = load_text(text)
    cs = compile_scenario(sc)
    res = simulate(cs, 0, seed, events=True)
    for _idx, pid, r in res.stages:
        where = (pid, r.stage)
        for c in SPLIT:
            v = getattr(r, c)
            assert not nan(v) and v >= 0.0, (where, c, v)
        assert r.started >= 0.0
        if not nan(r.submitted):
            assert r.submitted >= r.started, where
        if not nan(r.issued):
            assert r.issued >= r.started, where
            if not nan(r.submitted):
                assert r.issued >= r.submitted, where
        if not nan(r.build_start):
            assert r.build_start >= r.started, where
            if not nan(r.issued):
                assert r.issued >= r.build_start, where
        if not nan(r.clock):
            assert r.clock >= -1e-9, where
        if sc.stage_by_id[r.stage].agency is None:
            assert r.submissions == 0 and nan(r.submitted), where
        else:  # submitted once the applicant has prepared; 0 submissions only while preparing
            assert (r.submissions >= 1) == (not nan(r.submitted)), where
    for p in res.projects:
        ms = p.milestones
        if not nan(p.first_submission):
            assert p.first_submission >= p.signed
        if not nan(ms["construction_permit"]):
            assert ms["construction_permit"] >= p.first_submission
            assert p.kpi["approval_workdays"] >= 0 and p.kpi["approval_days"] >= 0
        if not nan(ms["production"]):
            assert ms["production"] >= ms["construction_start"] >= ms["construction_permit"]
            assert p.kpi["to_production_months"] >= 0
        for c in SPLIT:
            assert p.split[c] >= 0.0
    for _idx, _stage, _step, _res, t0, t1 in res.events:
        assert t1 > t0


# -- reproducibility -------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(text=scenarios, seed=st.integers(0, 2**32 - 1))
def test_same_seed_gives_identical_summary_and_rows(text, seed):
    sc = load_text(text)
    a = run(sc, n=2, seed=seed, keep_rows=True)
    b = run(sc, n=2, seed=seed, keep_rows=True)
    assert a.summary == b.summary
    assert a.project_rows == b.project_rows
    assert a.stage_rows == b.stage_rows


JOBS_EXAMPLES = [
    # priority, sittings, defects with decay, a when condition, lag, limits, a winter shutdown
    """
    [scenario]
    name = "jobs1"
    start_date = 2024-01-01
    horizon_years = 2
    seed = 3
    [shutdowns.winter]
    from = "11-15"
    to = "03-15"
    [agencies.bureau]
    staff = 2
    priority = {class = "large"}
    [agencies.panel]
    staff = 1
    sittings = {every = 10, capacity = 3}
    [classes.small]
    investment_cny = {dist = "lognormal", median = 5e7, p90 = 9e7, unit = "cny"}
    attributes = {pre_consulted = {p = 0.5}}
    [classes.large]
    investment_cny = {dist = "lognormal", median = 5e8, p90 = 2e9, unit = "cny"}
    construction_scale = 1.5
    [arrivals.stream]
    rate = 30
    classes = {small = 2, large = 1}
    until = 2024-12-31
    [stages.filing]
    agency = "bureau"
    prepare = {dist = "triangular", low = 2, mode = 5, high = 15, unit = "workday"}
    effort = {dist = "exponential", mean = 4, unit = "workhour"}
    defect = {p = 0.3, decay = 0.5, max_rounds = 3, fix = {dist = "uniform", low = 1, high = 5, unit = "workday"}}
    limit = {workdays = 5}
    [stages.eia]
    agency = "panel"
    after = ["filing"]
    when = {pre_consulted = false}
    effort = {dist = "lognormal", median = 2, p90 = 5, unit = "workday"}
    lag = {dist = "fixed", value = 10, unit = "day"}
    limit = {workdays = 30, excludes = ["sitting", "lag"]}
    [stages.permit]
    agency = "bureau"
    after = ["filing", "eia"]
    effort = {dist = "empirical", samples = [1, 2, 3], unit = "workday"}
    [stages.civil]
    after = ["permit"]
    build = {dist = "fixed", value = 5, unit = "month"}
    shutdowns = ["winter"]
    [milestones]
    construction_permit = "permit"
    construction_start = "civil"
    completion = "civil"
    production = "civil"
    """,
    # heavy queueing at one desk with short office hours, a warm-up, strict capping
    """
    [scenario]
    name = "jobs2"
    start_date = 2024-01-01
    end_date = 2024-09-30
    warmup_days = 30
    seed = 11
    [agencies.desk]
    staff = 1
    hours = ["08:30", "11:30"]
    [classes.std]
    investment_cny = {dist = "fixed", value = 1e8, unit = "cny"}
    [arrivals.stream]
    rate = 8
    per = "month"
    classes = {std = 1}
    [stages.apply]
    agency = "desk"
    effort = {dist = "exponential", mean = 2, unit = "workhour"}
    defect = {p = 0.6, max_rounds = 2, fix = {dist = "triangular", low = 0.5, mode = 1, high = 4, unit = "workday"}}
    limit = {workdays = 3}
    [stages.works]
    after = ["apply"]
    build = {dist = "uniform", low = 20, high = 90, unit = "day"}
    [milestones]
    construction_permit = "apply"
    construction_start = "works"
    completion = "works"
    production = "works"
    """,
]


@pytest.mark.parametrize("text", JOBS_EXAMPLES, ids=["multi", "desk"])
def test_two_jobs_give_the_same_summary_and_rows_as_one(text):
    sc = load_text(textwrap.dedent(text))
    one = run(sc, n=6, jobs=1, keep_rows=True)
    two = run(sc, n=6, jobs=2, keep_rows=True)
    assert one.summary == two.summary
    assert one.project_rows == two.project_rows
    assert one.stage_rows == two.stage_rows
    assert one.summary["meta"]["replications"] == 6


# -- common random numbers -----------------------------------------------------------
def _fields(r) -> tuple:
    return tuple(
        getattr(r, f)
        for f in (
            "started",
            "submitted",
            "issued",
            "submissions",
            "prepare",
            "queue",
            "review",
            "sitting",
            "rework",
            "lag",
            "build",
            "build_start",
            "clock",
            "within",
            "capped",
        )
    )


def _same(a: tuple, b: tuple) -> bool:
    return all((x == y) or (nan(x) and nan(y)) for x, y in zip(a, b))


@SETTINGS
@given(parts=scenario_parts(), other=st.data(), seed=st.integers(0, 2**32 - 1))
def test_changing_stage_b_leaves_stage_a_and_the_arrivals_alone(parts, other, seed):
    """A has its own agency and does not depend on B, so nothing about A may change
    when B's effort, defect or agency change: the arrivals, the project draws and every
    A record are identical."""
    changed = dict(parts)
    changed["B"] = other.draw(agency_stages("B", "b", ("A",), when=True))
    changed["agency_b"] = other.draw(agencies("b"))
    base, var = (compile_scenario(load_text(assemble(p))) for p in (parts, changed))
    ra, rb = simulate(base, 0, seed), simulate(var, 0, seed)
    assert [(p.id, p.signed, p.cls, p.investment_cny) for p in ra.projects] == [
        (p.id, p.signed, p.cls, p.investment_cny) for p in rb.projects
    ]
    a_recs = {pid: _fields(r) for _i, pid, r in ra.stages if r.stage == "A"}
    b_recs = {pid: _fields(r) for _i, pid, r in rb.stages if r.stage == "A"}
    assert a_recs.keys() == b_recs.keys()
    for pid in a_recs:
        assert _same(a_recs[pid], b_recs[pid]), pid


@SETTINGS
@given(parts=scenario_parts(), a_effort=dists(), b_effort=dists(("workday",)), seed=st.integers(0, 2**32 - 1))
def test_changing_stage_a_leaves_stage_b_draws_alone(parts, a_effort, b_effort, seed):
    """B's own draws (review length, defect rounds) do not move when A changes, even though
    B starts at other times: with B's desk never queueing (ample staff, no sittings, office
    hours 09:00-17:00) its review in working days is exactly its draw."""
    b = (
        '[stages.B]\nagency = "b"\nafter = ["A"]\n'
        f"effort = {b_effort}\n"
        'defect = {p = 0.5, decay = 0.8, max_rounds = 5, fix = {dist = "uniform", low = 1, high = 3, '
        'unit = "workday"}}\n'
    )
    parts = dict(parts, B=b, agency_b="[agencies.b]\nstaff = 1000\n")
    changed = dict(parts)
    changed["A"] = parts["A"].replace(parts["A"].split("effort = ", 1)[1].split("\n", 1)[0], a_effort, 1)
    base, var = (compile_scenario(load_text(assemble(p))) for p in (parts, changed))
    ra, rb = simulate(base, 0, seed), simulate(var, 0, seed)
    xa = {pid: r for _i, pid, r in ra.stages if r.stage == "B"}
    xb = {pid: r for _i, pid, r in rb.stages if r.stage == "B"}
    for pid in xa.keys() & xb.keys():
        ra_, rb_ = xa[pid], xb[pid]
        if nan(ra_.issued) or nan(rb_.issued):
            continue  # cut off by the horizon in one of the two runs
        assert ra_.submissions == rb_.submissions, pid
        assert ra_.queue == 0.0 and rb_.queue == 0.0
        assert ra_.review == pytest.approx(rb_.review, abs=1e-8), pid  # the same effort draws
        assert ra_.rework == pytest.approx(rb_.rework, abs=1e-8), pid  # the same defects and fixes
