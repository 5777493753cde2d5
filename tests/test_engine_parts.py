"""The engine's rewritten building blocks against independent truth.

* ``ContinuousCalendar`` against the general ``WorkCalendar`` with every day
  working 00:00-24:00, and the vectorised ``worktime_many`` against the scalar
  ``worktime`` on a real Chinese calendar;
* ``Desk`` against hand-written FIFO / priority queue recursions and against
  ``simpy.Resource`` fed the same pre-drawn times;
* ``DrawSource`` / ``Draws`` against numpy generators built here from the
  documented spawn keys (one long stream per key, a per-project overflow stream);
* ``Dist.quantile`` against each kind's analytic CDF and mean;
* ``LevelMonitor`` / ``WorkMonitor`` against direct integration loops.

Every expected value is computed here, from formulas or brute-force loops that
share no code with the module under test.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from statistics import NormalDist

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.engine.monitor
from sim.engine.desk import Desk
from sim.engine.draws import _CACHED, BLOCK, WIDTH, DrawSource
from sim.engine.monitor import BIN_DAYS, LevelMonitor, WorkMonitor
from sim.scenario.calendar import ContinuousCalendar, WorkCalendar, working_day_mask
from sim.scenario.distributions import parse_dist

ORIGIN = dt.date(2024, 1, 1)
TOL = 1e-9


def _cn_calendar(origin: dt.date = ORIGIN, n_days: int = 800) -> WorkCalendar:
    return WorkCalendar(origin, working_day_mask(origin, n_days, country="CN"), 9.0, 17.0)


CN = _cn_calendar()


def _same(a: float, b: float, tol: float = TOL) -> bool:
    """Equal within ``tol`` (absolute), infinities and NaNs matching exactly."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol


# =====================================================================================
# 1. ContinuousCalendar == WorkCalendar(all days working, 00:00-24:00)
# =====================================================================================


def _clock_times(n: int):
    """Clock times in [-5, n + 5]: arbitrary floats, whole days and half days."""
    return st.one_of(
        st.floats(-5.0, n + 5.0, allow_nan=False),
        st.integers(-5, n + 5).map(float),
        st.integers(-10, 2 * n + 10).map(lambda k: k / 2.0),
    )


@st.composite
def _continuous_case(draw):
    n = draw(st.integers(1, 60))
    ts = draw(st.lists(_clock_times(n), min_size=1, max_size=12))
    # work below 1e-9 days (30 microseconds) is float noise; its edge at the horizon is tested separately
    works = draw(
        st.lists(
            st.one_of(
                st.floats(0.0, float(n), allow_nan=False).filter(lambda w: w == 0 or w >= 1e-9),
                st.integers(0, n).map(float),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return n, ts, works


@settings(max_examples=150, deadline=None)
@given(_continuous_case())
def test_continuous_calendar_matches_general_all_working_24h_calendar(case):
    """Every method of ContinuousCalendar answers like the general calendar with every day 00:00-24:00."""
    n, ts, works = case
    fast = ContinuousCalendar(ORIGIN, n)
    ref = WorkCalendar(ORIGIN, np.ones(n, dtype=bool), 0.0, 24.0)
    for t in ts:
        assert _same(fast.worktime(t), ref.worktime(t)), ("worktime", t)
        assert _same(fast.next_open(t), ref.next_open(t)), ("next_open", t)
        for t1 in ts:
            assert _same(fast.workdays_between(t, t1), ref.workdays_between(t, t1)), ("workdays_between", t, t1)
        for w in works:
            assert _same(fast.add(t, w), ref.add(t, w)), ("add", t, w)
    for w in works + [t for t in ts]:
        assert _same(fast.at_worktime(w), ref.at_worktime(w)), ("at_worktime", w)
    arr = np.array(ts)
    got, want = fast.worktime_many(arr), ref.worktime_many(arr)
    assert np.all(np.abs(got - want) <= TOL), ("worktime_many", arr, got, want)


def test_continuous_calendar_worktime_is_the_clock_inside_the_horizon():
    """The engine uses the builtin ``float`` as a 24/7 zone's worktime for clock times of the run
    ([0, horizon)); that is only right if worktime is the identity there."""
    n = 400
    cal = ContinuousCalendar(ORIGIN, n)
    ts = [0, 0.0, 1e-12, 0.5, 7.0, 123.456789, float(np.nextafter(n, 0))] + np.random.default_rng(5).uniform(
        0, n, 200
    ).tolist()
    for t in ts:
        assert cal.worktime(t) == float(t) and type(cal.worktime(t)) is float


def test_continuous_calendar_worktime_many_equals_scalar_and_clock():
    """On a 24/7 calendar working time is the clock clipped to [0, n_days] (vector and scalar)."""
    n = 30
    fast = ContinuousCalendar(ORIGIN, n)
    t = np.array([-5.0, -1e-12, 0.0, 1e-12, 0.5, 1.0, 12.25, 29.999, 30.0, 30.5, 35.0])
    np.testing.assert_array_equal(fast.worktime_many(t), np.clip(t, 0.0, 30.0))
    assert fast.worktime_many(t).tolist() == [fast.worktime(x) for x in t]


# Regression (found by this file): at the end of the calendar, ContinuousCalendar gave a finite
# clock time where the general calendar gives inf, or the other way round:
# * the general at_worktime snaps working time within 1e-9 of a whole day to that day, so
#   work ending a rounding error after the last closing ends at the last closing (n_days);
#   ContinuousCalendar.at_worktime did not snap and returned inf, and add() inherited it;
# * add(n_days, w) with 0 < w < ulp(n_days)/2: the fast path computed t + w == n_days and
#   returned n_days, while the general calendar returns inf (no working time is left after
#   n_days, next_open(n_days) is inf).
@pytest.mark.parametrize("case", ["at_worktime_past_end", "add_ending_past_end", "add_tiny_at_end"])
def test_continuous_calendar_matches_general_at_the_last_closing(case):
    """Within float noise of the calendar's end, ContinuousCalendar answers like the general calendar."""
    n = 10
    fast = ContinuousCalendar(ORIGIN, n)
    ref = WorkCalendar(ORIGIN, np.ones(n, dtype=bool), 0.0, 24.0)
    if case == "at_worktime_past_end":
        w = n + 5e-10
        assert ref.at_worktime(w) == n  # the reference: snapped to the last closing
        got, want = fast.at_worktime(w), ref.at_worktime(w)
    elif case == "add_ending_past_end":
        t, w = n - 0.5, 0.5 + 5e-10
        got, want = fast.add(t, w), ref.add(t, w)
    else:
        t, w = float(n), 1e-300
        assert ref.add(t, w) == math.inf  # the reference: no working time after the end
        got, want = fast.add(t, w), ref.add(t, w)
    assert _same(got, want), (got, want)


def _cn_special_times(cal: WorkCalendar) -> list[float]:
    """Day boundaries, opening and closing times (and their float neighbours) around the calendar."""
    out = []
    for d in list(range(0, 40)) + list(range(cal.n_days - 5, cal.n_days + 3)):
        for x in (d, d + cal.open, d + cal.close, d + 9.0 / 24.0, d + 17.0 / 24.0):
            out += [x, np.nextafter(x, -np.inf), np.nextafter(x, np.inf)]
    return out + [-3.0, -1e-300, 0.0, 1e-300, float(cal.n_days), cal.n_days + 100.0, 1e9]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-50.0, CN.n_days + 50.0, allow_nan=False),
            st.integers(-3, CN.n_days + 3).map(float),
            st.integers(-3 * 24, (CN.n_days + 3) * 24).map(lambda h: h / 24.0),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_worktime_many_equals_scalar_worktime_exactly_on_cn_calendar(ts):
    """WorkCalendar.worktime_many(t) == [worktime(x) for x in t] bit for bit (CN calendar, 9-17)."""
    t = np.array(ts + _cn_special_times(CN))
    got = CN.worktime_many(t)
    want = [CN.worktime(float(x)) for x in t]
    bad = [(float(x), g, w) for x, g, w in zip(t, got.tolist(), want) if g != w]
    assert not bad, bad[:5]


# =====================================================================================
# 2. Desk against queue recursions and simpy.Resource
# =====================================================================================


def _run_desk(arrivals, services, servers, priorities=None, by_priority=False):
    """Drive a Desk: job k arrives at arrivals[k]; returns (start times, order of getting a server)."""
    env = simpy.Environment()
    desk = Desk(env, servers, by_priority=by_priority)
    starts = [None] * len(arrivals)
    order = []

    def check():
        assert 0 <= desk.free <= servers
        assert desk.free == 0 or desk.queue_length == 0  # never a free server while files wait

    def job(k):
        yield env.timeout(arrivals[k])
        free_before = desk.free
        ev = desk.take(priorities[k] if priorities else 0)
        assert (ev is None) == (free_before > 0)  # a free server is taken without waiting
        check()
        if ev is not None:
            yield ev
        starts[k] = env.now
        order.append(k)
        yield env.timeout(services[k])
        desk.give_back()
        check()

    for k in range(len(arrivals)):
        env.process(job(k))
    env.run()
    assert desk.free == servers and desk.queue_length == 0
    return starts, order


def _fifo_starts(arrivals, services, servers):
    """FIFO c-server queue, jobs in arrival order each taking the earliest free server (Kiefer-Wolfowitz)."""
    free_at = [0.0] * servers
    starts = []
    for a, s in zip(arrivals, services):
        j = min(range(servers), key=free_at.__getitem__)
        start = max(a, free_at[j])
        starts.append(start)
        free_at[j] = start + s
    return starts


@settings(max_examples=40, deadline=None)
@given(
    servers=st.sampled_from([1, 3]),
    gaps=st.lists(st.one_of(st.floats(0.0, 3.0), st.sampled_from([0.0, 0.5, 1.0, 2.0])), min_size=1, max_size=60),
    service=st.sampled_from([0.5, 1.0, 2.5, 3.0]),
)
def test_desk_fifo_md_c_start_times_match_recursion(servers, gaps, service):
    """M/D/c-style FIFO: files get a server in arrival order at the times the FIFO recursion gives."""
    arrivals = np.cumsum(gaps).tolist()
    services = [service] * len(arrivals)
    starts, order = _run_desk(arrivals, services, servers)
    assert order == sorted(order, key=lambda k: (starts[k], k)) == list(range(len(arrivals)))
    for got, want in zip(starts, _fifo_starts(arrivals, services, servers)):
        assert abs(got - want) <= 1e-9


def test_desk_fifo_hand_worked_example():
    """One server, service 2: arrivals 0, 0, 1, 5 start at 0, 2, 4, 6 (worked by hand)."""
    starts, order = _run_desk([0.0, 0.0, 1.0, 5.0], [2.0] * 4, 1)
    assert starts == [0.0, 2.0, 4.0, 6.0] and order == [0, 1, 2, 3]
    # three servers: the first three start at once, the fourth when the first finishes
    starts, _ = _run_desk([0.0, 0.0, 0.0, 0.0, 7.0], [2.0, 3.0, 4.0, 1.0, 1.0], 3)
    assert starts == [0.0, 0.0, 0.0, 2.0, 7.0]


def test_desk_priority_batch_lower_first_ties_fifo():
    """A batch at time 0 on one server: the first takes it, the rest go by (priority, arrival)."""
    rng = random.Random(7)
    prios = [rng.randint(0, 3) for _ in range(40)]
    starts, order = _run_desk([0.0] * 40, [1.0] * 40, 1, priorities=prios, by_priority=True)
    want = [0] + sorted(range(1, 40), key=lambda k: (prios[k], k))
    assert order == want
    assert [starts[k] for k in order] == [float(i) for i in range(40)]


def _priority_starts(arrivals, services, prios, servers):
    """Non-preemptive priority c-server queue by an event loop (distinct event times assumed)."""
    free_at = [0.0] * servers
    waiting: list[int] = []
    starts = [None] * len(arrivals)
    i, n = 0, len(arrivals)
    while i < n or waiting:
        nxt = arrivals[i] if i < n else math.inf
        j = min(range(servers), key=free_at.__getitem__)
        if waiting and free_at[j] < nxt:  # a server frees up before the next arrival: best waiting file
            k = min(waiting, key=lambda q: (prios[q], q))
            waiting.remove(k)
            starts[k] = free_at[j]
            free_at[j] += services[k]
        else:
            if free_at[j] <= nxt:
                starts[i] = nxt
                free_at[j] = nxt + services[i]
            else:
                waiting.append(i)
            i += 1
    return starts


@pytest.mark.parametrize("servers", [1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2])
def test_desk_priority_random_run_matches_event_loop(servers, seed):
    """Random arrivals, exponential service, priorities 0-2: starts equal an independent priority-queue loop."""
    rng = np.random.default_rng(seed)
    n = 400
    arrivals = np.cumsum(rng.exponential(1.0, n)).tolist()
    services = rng.exponential(0.9 * servers, n).tolist()
    prios = rng.integers(0, 3, n).tolist()
    starts, _ = _run_desk(arrivals, services, servers, priorities=prios, by_priority=True)
    want = _priority_starts(arrivals, services, prios, servers)
    assert max(abs(a - b) for a, b in zip(starts, want)) <= 1e-9
    # the queue really was busy enough for priorities to matter
    assert sum(1 for a, s in zip(arrivals, starts) if s > a) > n // 5


def _run_resource(arrivals, services, servers):
    env = simpy.Environment()
    res = simpy.Resource(env, servers)
    starts = [None] * len(arrivals)

    def job(k):
        yield env.timeout(arrivals[k])
        with res.request() as req:
            yield req
            starts[k] = env.now
            yield env.timeout(services[k])

    for k in range(len(arrivals)):
        env.process(job(k))
    env.run()
    return starts


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_desk_mm2_start_times_identical_to_simpy_resource(seed):
    """M/M/2 with pre-drawn times: Desk and simpy.Resource start every file at exactly the same time."""
    rng = np.random.default_rng(seed)
    n = 2000
    arrivals = np.cumsum(rng.exponential(1.0, n)).tolist()
    services = rng.exponential(1.8, n).tolist()  # rho = 0.9: long queues
    desk_starts, _ = _run_desk(arrivals, services, 2)
    res_starts = _run_resource(arrivals, services, 2)
    assert desk_starts == res_starts
    assert sum(1 for a, s in zip(arrivals, desk_starts) if s > a) > n // 3


# =====================================================================================
# 3. DrawSource / Draws against generators built from the documented spawn keys
# =====================================================================================


def _stream(seed, rep, key, n):
    """The whole block stream of ``key``: one long sequence (block b starts at b * BLOCK * WIDTH)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(rep, 3, key)))).random(n)


def _overflow(seed, rep, key, idx, n):
    spawn = (rep, 0, idx) if key == 0 else (rep, 0, idx, key - 1)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn))).random(n)


def _row(d) -> list[float]:
    """agent, then the WIDTH - 1 uniforms u() hands out before the row runs out."""
    return [d.agent] + [d.u() for _ in range(WIDTH - 1)]


N_PROJECTS = _CACHED * BLOCK + 3 * BLOCK + 17  # more blocks than a stream caches
KEYS = (0, 1, 4)


@pytest.fixture(scope="module")
def reference_streams():
    return {
        (seed, rep, key): _stream(seed, rep, key, N_PROJECTS * WIDTH)
        for seed in (2024,)
        for rep in (0, 3)
        for key in KEYS
    }


@pytest.mark.parametrize("order", ["increasing", "decreasing", "random", "interleaved"])
@pytest.mark.parametrize("rep", [0, 3])
def test_draw_rows_equal_independent_stream_in_any_request_order(order, rep, reference_streams):
    """Project idx's row for key = uniforms [idx*WIDTH, (idx+1)*WIDTH) of the key's stream, whatever the order."""
    seed = 2024
    pairs = [(key, idx) for key in KEYS for idx in range(N_PROJECTS)]
    if order == "decreasing":
        pairs = [(k, i) for k in KEYS for i in reversed(range(N_PROJECTS))]
    elif order == "random":
        random.Random(rep).shuffle(pairs)
    elif order == "interleaved":  # forward sweeps of all keys with periodic jumps back
        pairs = []
        for i in range(N_PROJECTS):
            for k in KEYS:
                pairs.append((k, i))
                if i % 97 == 0:
                    pairs.append((k, max(0, i - 5 * BLOCK)))
    src = DrawSource(seed, rep)
    for key, idx in pairs:
        want = reference_streams[seed, rep, key][idx * WIDTH : (idx + 1) * WIDTH]
        got = _row(src.draws(key, idx))
        assert got == want.tolist(), (order, key, idx)


def test_draw_rows_far_ahead_and_back_use_advance_correctly():
    """Jumping straight to block 40, then back to 3 and on to 41, gives the stream's own uniforms."""
    seed, rep, key = 99, 1, 2
    stream = _stream(seed, rep, key, 42 * BLOCK * WIDTH)
    src = DrawSource(seed, rep)
    for idx in [40 * BLOCK + 5, 3 * BLOCK, 3 * BLOCK + 127, 41 * BLOCK + 1, 40 * BLOCK, 0, 41 * BLOCK + 127]:
        assert _row(src.draws(key, idx)) == stream[idx * WIDTH : (idx + 1) * WIDTH].tolist(), idx


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rep=st.integers(0, 50),
    key=st.integers(0, 6),
    idx=st.integers(0, 3 * BLOCK),
    skip=st.integers(0, WIDTH + 3),
    n_extra=st.integers(1, 12),
)
def test_draws_overflow_continues_from_project_generator(seed, rep, key, idx, skip, n_extra):
    """Past the row, u() continues with spawn key (rep, 0, idx) for key 0, (rep, 0, idx, key - 1) otherwise;
    u4() hands out the same values as four u() calls, across the end of the row too."""
    b = idx // BLOCK
    stream = _stream(seed, rep, key, (b + 1) * BLOCK * WIDTH)
    row = stream[idx * WIDTH : (idx + 1) * WIDTH].tolist()
    expected = row[1:] + _overflow(seed, rep, key, idx, skip + 4 * n_extra + 8).tolist()

    src = DrawSource(seed, rep)
    d = src.draws(key, idx)
    assert d.agent == row[0]
    got = [d.u() for _ in range(skip)]
    for _ in range(n_extra):
        q = d.u4()
        assert isinstance(q, tuple) and len(q) == 4
        got += list(q)
    got.append(d.u())
    assert got == expected[: len(got)]


def test_draw_rows_differ_between_keys_reps_and_seeds():
    """Different keys, reps and seeds give different rows (and the agent uniform differs too)."""
    rows = {}
    for seed in (1, 2):
        for rep in (0, 1):
            src = DrawSource(seed, rep)
            for key in (0, 1, 2):
                for idx in (0, 1, BLOCK):
                    rows[seed, rep, key, idx] = tuple(_row(src.draws(key, idx)))
    assert len(set(rows.values())) == len(rows)
    assert len({r[0] for r in rows.values()}) == len(rows)
    assert all(0.0 <= x < 1.0 for r in rows.values() for x in r)


# =====================================================================================
# 4. Dist.quantile against analytic CDFs and means
# =====================================================================================

PHI = NormalDist()


def _dist(**raw):
    d, problems = parse_dist({**raw, "unit": "day"}, "test")
    assert not problems, problems
    return d


def _lognormal_mu_sigma(median, p90):
    return math.log(median), (math.log(p90) - math.log(median)) / PHI.inv_cdf(0.9)


def _cdf(kind, p):
    """Analytic CDF of each continuous kind, written from the textbook formulas."""
    if kind == "exponential":
        (m,) = p
        return lambda x: -math.expm1(-x / m) if x > 0 else 0.0
    if kind == "uniform":
        a, b = p
        return lambda x: min(1.0, max(0.0, (x - a) / (b - a)))
    if kind == "triangular":
        a, c, b = p

        def f(x):
            if x <= a:
                return 0.0
            if x <= c:
                return (x - a) ** 2 / ((b - a) * (c - a))
            if x < b:
                return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))
            return 1.0

        return f
    if kind == "lognormal":
        mu, sigma = _lognormal_mu_sigma(*p)
        return lambda x: 0.5 * math.erfc(-(math.log(x) - mu) / (sigma * math.sqrt(2.0))) if x > 0 else 0.0
    raise ValueError(kind)


def _mean_sd(kind, p):
    """Analytic mean and standard deviation of each kind."""
    if kind == "exponential":
        return p[0], p[0]
    if kind == "uniform":
        a, b = p
        return (a + b) / 2, (b - a) / math.sqrt(12)
    if kind == "triangular":
        a, c, b = p
        return (a + b + c) / 3, math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    if kind == "lognormal":
        mu, s = _lognormal_mu_sigma(*p)
        return math.exp(mu + s * s / 2), math.sqrt((math.exp(s * s) - 1) * math.exp(2 * mu + s * s))
    if kind == "empirical":
        x = p[0]
        m = sum(x) / len(x)
        return m, math.sqrt(sum((v - m) ** 2 for v in x) / len(x))
    if kind == "fixed":
        return p[0], 0.0
    raise ValueError(kind)


CONTINUOUS = [
    ("exponential", {"mean": 2.5}),
    ("exponential", {"mean": 0.01}),
    ("uniform", {"low": 1, "high": 4}),
    ("uniform", {"low": 0, "high": 0.5}),
    ("triangular", {"low": 2, "mode": 3, "high": 6}),
    ("triangular", {"low": 0, "mode": 0, "high": 5}),  # mode at the low end
    ("triangular", {"low": 1, "mode": 7, "high": 7}),  # mode at the high end
    ("lognormal", {"median": 3, "p90": 8}),
    ("lognormal", {"median": 0.2, "p90": 0.21}),
]
KEYS_OF = {
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("median", "p90"),
    "empirical": ("samples",),
    "fixed": ("value",),
}
U_GRID = [0.0, 1e-12, 1e-6, 0.001, 0.01, 0.1, 0.25, 1 / 3, 0.5, 0.6, 0.75, 0.9, 0.99, 0.999, 1 - 1e-9]


@pytest.mark.parametrize("kind,raw", CONTINUOUS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CONTINUOUS)])
def test_quantile_inverts_analytic_cdf(kind, raw):
    """CDF(quantile(u)) == u within 1e-9 at many u, and quantile is non-decreasing."""
    d = _dist(dist=kind, **raw)
    p = tuple(float(raw[k]) for k in KEYS_OF[kind])
    cdf = _cdf(kind, p)
    us = U_GRID + np.random.default_rng(5).random(300).tolist()
    for u in us:
        x = d.quantile(u)
        assert abs(cdf(x) - u) <= 1e-9, (u, x, cdf(x))
    xs = [d.quantile(u) for u in sorted(us)]
    assert all(a <= b for a, b in zip(xs, xs[1:]))


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0, 100), w1=st.floats(0, 50), w2=st.floats(0, 50), u=st.floats(0, 1, exclude_max=True))
def test_triangular_quantile_inverts_cdf_random_params(a, w1, w2, u):
    """Triangular with random low/mode/high: CDF(quantile(u)) == u."""
    if w1 + w2 < 1e-3:
        return
    d = _dist(dist="triangular", low=a, mode=a + w1, high=a + w1 + w2)
    lo, c, hi = d.params
    x = d.quantile(u)
    assert lo - 1e-12 * hi <= x <= hi + 1e-12 * hi  # in the support, up to rounding
    assert abs(_cdf("triangular", (lo, c, hi))(x) - u) <= 1e-9


@pytest.mark.parametrize("median,p90", [(3.0, 8.0), (0.2, 0.21), (10.0, 400.0), (1.0, 1.5)])
def test_lognormal_quantile_hits_median_and_p90(median, p90):
    """quantile(0.5) is the median and quantile(0.9) the p90, within 1e-9 relative."""
    d = _dist(dist="lognormal", median=median, p90=p90)
    assert math.isclose(d.quantile(0.5), median, rel_tol=1e-9)
    assert math.isclose(d.quantile(0.9), p90, rel_tol=1e-9)


@pytest.mark.parametrize("low,mode,high", [(2, 3, 6), (0, 1, 10), (5, 5.5, 6), (1, 1, 2), (1, 2, 2)])
def test_triangular_quantile_at_mode_share_is_mode(low, mode, high):
    """quantile((mode - low) / (high - low)) == mode."""
    d = _dist(dist="triangular", low=low, mode=mode, high=high)
    assert math.isclose(d.quantile((mode - low) / (high - low)), mode, rel_tol=1e-9, abs_tol=1e-12)


def test_fixed_quantile_is_the_value_everywhere():
    d = _dist(dist="fixed", value=4.5)
    assert all(d.quantile(u) == 4.5 for u in U_GRID)


def _check_empirical_quantile(samples):
    """quantile(u) is a u-quantile of the samples: #{x < q}/n <= u <= #{x <= q}/n, and non-decreasing."""
    d = _dist(dist="empirical", samples=samples)
    n = len(samples)
    us = U_GRID + [k / n for k in range(n)] + [(k + 0.5) / n for k in range(n)]
    for u in us:
        q = d.quantile(u)
        assert q in samples
        below = sum(1 for x in samples if x < q) / n
        at_most = sum(1 for x in samples if x <= q) / n
        assert below <= u <= at_most, (samples, u, q)
    xs = [d.quantile(u) for u in sorted(us)]
    assert all(a <= b for a, b in zip(xs, xs[1:])), xs


def test_empirical_quantile_sorted_samples():
    """Sorted samples: quantile(u) is a u-quantile (generalised inverse of the empirical CDF)."""
    _check_empirical_quantile([1.0, 2.0, 2.0, 3.5, 10.0])


# Regression (found by this file): Dist.quantile for "empirical" indexed the samples in the order
# they were written (parse_dist kept that order), so with unsorted samples quantile(u) was
# not "the value below which a share u of draws fall" and not monotone in u.  Each sample
# was still drawn with probability 1/n, but common random numbers lost their monotone
# coupling (a larger uniform no longer means a longer duration).
def test_empirical_quantile_unsorted_samples_is_still_a_quantile():
    """Samples written unsorted: quantile(u) must still be a u-quantile and non-decreasing in u."""
    _check_empirical_quantile([5.0, 1.0, 3.0, 2.0])


MEAN_CASES = CONTINUOUS + [
    ("empirical", {"samples": [1.0, 2.0, 2.0, 3.5, 10.0]}),
    ("empirical", {"samples": [4.0, 0.0, 7.0]}),
    ("fixed", {"value": 4.5}),
]


@pytest.mark.parametrize("kind,raw", MEAN_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(MEAN_CASES)])
def test_quantile_of_uniforms_has_analytic_mean_and_ks_fit(kind, raw):
    """quantile(U) for 20,000 seeded uniforms: mean within 4 SE of the analytic mean; KS distance small."""
    d = _dist(dist=kind, **raw)
    p = tuple(raw[k] for k in KEYS_OF[kind])
    p = (tuple(float(x) for x in p[0]),) if kind == "empirical" else tuple(float(x) for x in p)
    n = 20_000
    u = np.random.default_rng(20240101).random(n)
    x = np.array([d.quantile(v) for v in u])
    mean, sd = _mean_sd(kind, p)
    if sd == 0:
        assert np.all(x == mean)
        return
    assert abs(x.mean() - mean) <= 4 * sd / math.sqrt(n), (x.mean(), mean, sd)
    if kind in ("empirical",):
        return
    cdf = _cdf(kind, p)
    xs = np.sort(x)
    f = np.array([cdf(v) for v in xs])
    i = np.arange(1, n + 1)
    ks = max(np.max(i / n - f), np.max(f - (i - 1) / n))
    assert ks < 1.95 / math.sqrt(n)  # KS critical value at about the 0.1 % level


# =====================================================================================
# 5. LevelMonitor / WorkMonitor against direct integration
# =====================================================================================


def _bins(horizon):
    nb = max(1, math.ceil(horizon / BIN_DAYS))
    return [(k * BIN_DAYS, min((k + 1) * BIN_DAYS, horizon)) for k in range(nb)]


def _level_area(events, lo, hi):
    """Integral of the level over [lo, hi], walking the piecewise-constant level event by event."""
    area, level, prev = 0.0, 0, -math.inf
    for t, step in events + [(math.inf, 0)]:
        a, b = max(prev, lo), min(t, hi)
        if b > a:
            area += level * (b - a)
        level += step
        prev = t
    return area


@st.composite
def _level_case(draw, min_events):
    horizon = draw(st.one_of(st.floats(1.0, 60.0), st.sampled_from([7.0, 14.0, 21.0, 30.5])))
    warmup = draw(st.one_of(st.floats(0.0, horizon), st.sampled_from([0.0, 7.0]).filter(lambda w: w <= horizon)))
    n = draw(st.integers(min_events, min_events + 60))
    t, level, events = 0.0, 0, []
    for _ in range(n):
        t += draw(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 7.0]), st.floats(0.0, 3.0)))
        up = level == 0 or draw(st.booleans())
        level += 1 if up else -1
        events.append((t, 1 if up else -1))
    return horizon, warmup, events


def _check_level(horizon, warmup, events, unchecked=False):
    mon = LevelMonitor(warmup, horizon)
    for i, (t, step) in enumerate(events):
        if unchecked:  # the engine's hot path: bound appends, and a size check now and then
            (mon.up if step > 0 else mon.down)(t)
            if i % 3 == 2:
                mon.fold_if_full()
        else:
            (mon.arrive if step > 0 else mon.leave)(t)
    span = horizon - warmup
    if span > 0:
        want = _level_area(events, warmup, horizon) / span
        # the monitor differences cumulative areas at the window's ends: their rounding (a few ulps of
        # horizon x files) is divided by the span, so a window of a few ulps has no meaningful mean
        ill = 8 * len(events) * 2.2e-16 * max(1.0, horizon) / span
        assert math.isclose(mon.mean(), want, rel_tol=1e-9, abs_tol=1e-9 + ill), (mon.mean(), want)
    else:
        assert math.isnan(mon.mean())
    want_bins = [_level_area(events, a, b) / (b - a) for a, b in _bins(horizon)]
    np.testing.assert_allclose(mon.bin_means(), want_bins, rtol=1e-9, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(_level_case(min_events=8))
def test_level_monitor_small_fold_matches_direct_integration(case):
    """FOLD = 7 (folds mid-run): mean() and bin_means() equal the time-weighted level integrated directly."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.engine.monitor, "FOLD", 7)
        _check_level(*case)


@settings(max_examples=15, deadline=None)
@given(_level_case(min_events=0))
def test_level_monitor_unchecked_log_folded_now_and_then_matches_direct_integration(case):
    """``up``/``down`` with ``fold_if_full`` every third entry (FOLD = 7: logs emptied in place mid-run, the
    bound appends still writing to them): the same truth."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.engine.monitor, "FOLD", 7)
        _check_level(*case, unchecked=True)


@settings(max_examples=15, deadline=None)
@given(_level_case(min_events=0))
def test_level_monitor_default_fold_small_runs(case):
    """Default FOLD, short runs (folded only at the end): same truth."""
    _check_level(*case)


def test_level_monitor_default_fold_long_run():
    """Default FOLD with more than FOLD arrivals (folds mid-run): same truth."""
    rng = np.random.default_rng(3)
    horizon, warmup = 101.5, 20.0
    n = int(sim.engine.monitor.FOLD * 2.3)
    t, level, events = 0.0, 0, []
    for gap, coin in zip(rng.exponential(110.0 / (2 * n), 2 * n), rng.random(2 * n)):
        t += gap
        up = level == 0 or coin < 0.52
        level += 1 if up else -1
        events.append((float(t), 1 if up else -1))
    assert sum(1 for _, s in events if s > 0) > sim.engine.monitor.FOLD and events[-1][0] > horizon
    _check_level(horizon, warmup, events)


def test_level_monitor_hand_worked_example():
    """One file from 1 to 3 and one from 2 to 10, horizon 14, warm-up 0: area 2 + 8 = 10 -> mean 10/14;
    bins [0, 7): 2 + 5 = 7 -> 1.0; [7, 14): 3 -> 3/7."""
    mon = LevelMonitor(0.0, 14.0)
    for f, t in [("a", 1), ("a", 2), ("l", 3), ("l", 10)]:
        (mon.arrive if f == "a" else mon.leave)(float(t))
    assert math.isclose(mon.mean(), 10 / 14, rel_tol=1e-12)
    np.testing.assert_allclose(mon.bin_means(), [1.0, 3 / 7], rtol=1e-12)


def _work_truth(cal, staff, warmup, horizon, intervals):
    """(utilisation, per-bin utilisation) from the scalar workdays_between on clipped intervals."""

    def done(lo, hi):
        tot = 0.0
        for s, e in intervals:
            a, b = max(s, lo), min(e, hi)
            if b > a:
                tot += cal.workdays_between(a, b)
        return tot

    avail = cal.workdays_between(min(warmup, horizon), horizon)
    util = done(warmup, horizon) / (staff * avail) if avail > 0 else math.nan
    bins = []
    for a, b in _bins(horizon):
        av = cal.workdays_between(a, b)
        bins.append(done(a, b) / (staff * av) if av > 0 else math.nan)
    return util, bins


CAL_FOR_WORK = {
    "cn-2024-01-01": CN,
    "cn-2024-02-10": _cn_calendar(dt.date(2024, 2, 10), 400),  # opens with the Spring Festival week off
    "continuous": ContinuousCalendar(ORIGIN, 400),
}


@st.composite
def _work_case(draw, min_n):
    horizon = draw(st.one_of(st.floats(3.0, 120.0), st.sampled_from([7.0, 35.0, 100.5])))
    warmup = draw(st.one_of(st.floats(0.0, horizon), st.just(0.0)))
    staff = draw(st.integers(1, 4))
    n = draw(st.integers(min_n, min_n + 40))
    s, out = 0.0, []
    for _ in range(n):
        s += draw(st.one_of(st.floats(0.0, 4.0), st.sampled_from([0.0, 0.375, 0.7083333333333334, 1.0])))
        length = draw(st.one_of(st.floats(0.0, 30.0), st.sampled_from([0.0, 1.0, 7.0])))
        out.append((s, s + length))
    return horizon, warmup, staff, out


def _check_work(cal, horizon, warmup, staff, intervals, unchecked=False):
    mon = WorkMonitor(cal, staff, warmup, horizon)
    for i, (s, e) in enumerate(intervals):
        if unchecked:  # the engine's hot path: bound appends, and a size check now and then
            mon.log_start(s)
            mon.log_end(e)
            if i % 3 == 2:
                mon.fold_if_full()
        else:
            mon.add(s, e)
    util, bins = _work_truth(cal, staff, warmup, horizon, intervals)
    got = mon.utilisation()
    if math.isnan(util):
        assert math.isnan(got)
    else:
        # as for the level monitor: the monitor differences cumulative working time at the window's ends, and
        # their rounding (a few ulps of the horizon's working time x intervals) is divided by the window
        avail = staff * cal.workdays_between(min(warmup, horizon), horizon)
        ill = 8 * len(intervals) * 2.2e-16 * max(1.0, cal.worktime(horizon)) / avail
        assert math.isclose(got, util, rel_tol=1e-9, abs_tol=1e-12 + ill), (got, util)
    np.testing.assert_allclose(mon.bin_utilisation(), bins, rtol=1e-9, atol=1e-12, equal_nan=True)


def _check_work_fold_7(cal, case, unchecked: bool = False) -> None:
    """:func:`_check_work` with FOLD = 7, so that the logs fold mid-run."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.engine.monitor, "FOLD", 7)
        _check_work(cal, *case, unchecked=unchecked)


@pytest.mark.parametrize("cal_name", list(CAL_FOR_WORK))
@settings(max_examples=40, deadline=None)
@given(case=_work_case(min_n=8))
def test_work_monitor_small_fold_matches_scalar_workdays(cal_name, case):
    """FOLD = 7: utilisation and per-bin utilisation equal clipped workdays_between sums / available time."""
    _check_work_fold_7(CAL_FOR_WORK[cal_name], case)


@pytest.mark.parametrize("cal_name", list(CAL_FOR_WORK))
@settings(max_examples=25, deadline=None)
@given(case=_work_case(min_n=8))
def test_work_monitor_unchecked_log_folded_now_and_then_matches_scalar_workdays(cal_name, case):
    """``log_start``/``log_end`` with ``fold_if_full`` every third interval (FOLD = 7): the same truth."""
    _check_work_fold_7(CAL_FOR_WORK[cal_name], case, unchecked=True)


@pytest.mark.parametrize("cal_name", list(CAL_FOR_WORK))
def test_work_monitor_default_fold_long_run(cal_name):
    """Default FOLD with more than FOLD intervals (folds mid-run), some ending past the horizon."""
    cal = CAL_FOR_WORK[cal_name]
    rng = np.random.default_rng(8)
    horizon, warmup, staff = 66.6, 10.0, 3
    n = sim.engine.monitor.FOLD + 1500
    starts = np.cumsum(rng.exponential(70.0 / n, n))
    lengths = np.where(rng.random(n) < 0.1, 0.0, rng.exponential(2.0, n))
    intervals = [(float(s), float(s + L)) for s, L in zip(starts, lengths)]
    assert sum(1 for s, e in intervals if s < horizon < e) > 0 and intervals[-1][0] > horizon
    _check_work(cal, horizon, warmup, staff, intervals)


def test_work_monitor_bin_without_working_time_is_nan():
    """Spring Festival 2024 (Feb 10-17 off): the first bin from 2024-02-10 has no working time -> NaN."""
    cal = CAL_FOR_WORK["cn-2024-02-10"]
    assert cal.workdays_between(0.0, 7.0) == 0.0  # the premise, from the holiday mask
    mon = WorkMonitor(cal, 2, 0.0, 21.0)
    mon.add(1.0, 12.5)
    b = mon.bin_utilisation()
    assert math.isnan(b[0]) and not math.isnan(b[1])
    # 2024-02-18 (Sun) is a make-up working day; day 8 (Sun 02-18) to 12.5 (Thu 02-22 12:00):
    # Sun, Mon, Tue, Wed full days (4) + Thu 09:00-12:00 (3/8 day) = 4.375 of 2 * 6 working days (Sun-Fri)
    assert math.isclose(b[1], 4.375 / (2 * 6), rel_tol=1e-12)


def test_worktime_function_equals_worktime_on_cn_and_continuous_calendars():
    """The engine's worktime (a closure over the tables, or float on 24/7) gives the calendar's floats."""
    from sim.scenario.calendar import worktime_function

    ts = np.random.default_rng(9).uniform(-3.0, 803.0, 20_000).tolist() + [0, 0.0, 9 / 24, 17 / 24, 799.99]
    f = worktime_function(CN)
    assert all(f(t) == CN.worktime(t) for t in ts)
    cont = ContinuousCalendar(ORIGIN, 800)
    g = worktime_function(cont)
    assert all(g(t) == cont.worktime(t) for t in ts if 0 <= t < 800)


def test_next_open_function_equals_next_open_on_cn_and_continuous_calendars():
    """The engine's next_open (a closure over the tables, or float on 24/7) gives the calendar's floats,
    at random instants and at the edges: openings, closings, midnight, the last days."""
    from sim.scenario.calendar import next_open_function

    days = np.arange(-2, 803)
    edges = np.concatenate([days, days + 9 / 24, days + 17 / 24, days + 17 / 24 - 1e-12]).tolist()
    ts = np.random.default_rng(10).uniform(-3.0, 803.0, 20_000).tolist() + edges
    f = next_open_function(CN)
    assert all(f(t) == CN.next_open(t) for t in ts)
    cont = ContinuousCalendar(ORIGIN, 800)
    g = next_open_function(cont)
    assert all(g(t) == cont.next_open(t) for t in ts if 0 <= t < 800)
