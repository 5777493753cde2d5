"""The approval chain of scenarios/examples/approval_chain.toml written by hand in plain SimPy.

What a SimPy user would write for it, without approval-sim: one ``simpy.Resource`` per agency, one generator
process per project (and one per parallel branch), one ``numpy.random.Generator`` per replication seeded from
``SeedSequence(seed, spawn_key=(replication,))``, and a working calendar made from the ``holidays`` package
(weekends, Chinese public holidays, the make-up working days 调休) with office hours 09:00-17:00.

Each stage: the applicant prepares (working days), submits at the next office opening, queues for a staff
member, who reviews (working days); with probability ``p x decay^(round - 1)`` the file is defective, the
applicant fixes it (working days) and submits again, up to ``max_rounds`` defective submissions (then the
project gives up); then the lag (calendar or working days).  Filing comes first, then land and EIA in
parallel, and the permit after both.  The clock counts calendar days from 2024-01-01 00:00, like the engine's.

Measured per project, as the engine reports them: approval working days (filing's first submission to the
permit's issue), months from signing to the permit, and per stage the working days from its first submission
to its issue.  Projects that have not reached the permit by the horizon are censored (left out of the means).

    python benchmarks/handwritten_approval.py 20 1          # 20 replications, seed 1
    python benchmarks/handwritten_approval.py 20 1 --json   # what run() returns, as JSON
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import sys
import time

import holidays
import numpy as np
import simpy

START = dt.date(2024, 1, 1)  # clock time 0 is 00:00 of this day
END = dt.date(2025, 12, 31)  # the last simulated day
HORIZON = (END - START).days + 1.0  # in calendar days
OPEN, CLOSE = 9 / 24, 17 / 24  # office hours as fractions of a day
SIGN_FROM, SIGN_UNTIL = dt.date(2024, 1, 1), dt.date(2024, 12, 31)  # projects sign on these days (inclusive)
RATE_PER_YEAR = 60
RATE = RATE_PER_YEAR / 365.2425  # signings per calendar day
DAYS_PER_MONTH = 365.2425 / 12

STAFF = {"drc": 2, "land": 2, "env": 1, "housing": 1}

# distributions: ("triangular", low, mode, high), ("exponential", mean), ("uniform", low, high), ("fixed", value)
# with a unit, "workday" or "day"; defects: (p, decay, max_rounds, fix)
STAGES = {
    "filing": {
        "agency": "drc",
        "prepare": ("triangular", 2, 4, 8),
        "effort": ("triangular", 0.5, 1, 3),
        "defect": (0.3, 0.5, 5, ("triangular", 1, 2, 4)),
    },
    "land": {
        "agency": "land",
        "prepare": ("triangular", 5, 10, 20),
        "effort": ("triangular", 2, 4, 8),
        "defect": (0.25, 0.5, 5, ("triangular", 2, 4, 8)),
    },
    "eia": {
        "agency": "env",
        "prepare": ("triangular", 8, 12, 20),
        "effort": ("exponential", 2.2),
        "defect": (0.3, 0.5, 5, ("triangular", 3, 6, 12)),
        "lag": (("fixed", 10), "day"),
    },
    "permit": {
        "agency": "housing",
        "prepare": ("triangular", 1, 2, 4),
        "effort": ("triangular", 1, 2, 3),
        "lag": (("uniform", 1, 3), "workday"),
    },
}


class Calendar:
    """Working days of the CN calendar from START, with office hours: clock time <-> working time.

    ``cum[d]`` is the number of working days before day ``d``; working time at clock time ``t`` is ``cum[d]``
    plus the share of day ``d``'s office hours gone by.  Clock times are floats in calendar days.
    """

    def __init__(self, n_days: int) -> None:
        years = range(START.year, START.year + n_days // 365 + 2)
        cn = holidays.country_holidays("CN", years=years)
        makeup = set(cn.weekend_workdays)
        self.working = []
        for d in range(n_days):
            day = START + dt.timedelta(days=d)
            self.working.append(day in makeup or (day.weekday() < 5 and day not in cn))
        self.cum = [0]
        for w in self.working:
            self.cum.append(self.cum[-1] + w)
        self.days = [d for d, w in enumerate(self.working) if w]  # the k-th working day (from 0)

    def worktime(self, t: float) -> float:
        """Working days from START to clock time ``t``."""
        d = int(t)
        if not self.working[d]:
            return self.cum[d]
        return self.cum[d] + min(1.0, max(0.0, (t - d - OPEN) / (CLOSE - OPEN)))

    def add(self, t: float, work: float) -> float:
        """The clock time at which ``work`` working days started at ``t`` are done (work waits for office
        hours; work that ends at closing time ends then, not at the next opening)."""
        if work <= 0:
            return t
        w = self.worktime(t) + work
        k = math.ceil(w) - 1  # it ends on working day number k (from 0)
        if k >= len(self.days):
            return math.inf
        return self.days[k] + OPEN + (w - k) * (CLOSE - OPEN)

    def next_open(self, t: float) -> float:
        """The first clock time at or after ``t`` at which the offices are open."""
        d = int(t)
        if d < len(self.working) and self.working[d] and t < d + CLOSE:
            return max(t, d + OPEN)
        k = bisect.bisect_right(self.days, d)
        return self.days[k] + OPEN if k < len(self.days) else math.inf


def simulate(seed: int, rep: int, calendar: Calendar) -> list[dict[str, float]]:
    """One replication: a record per project that signed (KPIs NaN when censored or capped)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(rep,))))
    env = simpy.Environment()
    desks = {agency: simpy.Resource(env, capacity=c) for agency, c in STAFF.items()}
    cal = calendar
    projects: list[dict[str, float]] = []

    def draw(d: tuple) -> float:
        if d[0] == "triangular":
            return rng.triangular(d[1], d[2], d[3])
        if d[0] == "exponential":
            return rng.exponential(d[1])
        if d[0] == "uniform":
            return rng.uniform(d[1], d[2])
        return d[1]

    def wait_until(t: float):
        return env.timeout(t - env.now)

    def stage(name: str, record: dict[str, float]):
        s = STAGES[name]
        yield wait_until(cal.add(env.now, draw(s["prepare"])))
        defect = s.get("defect")
        first = math.nan
        rounds = 0
        while True:
            rounds += 1
            yield wait_until(cal.next_open(env.now))  # submissions in office hours
            if rounds == 1:
                first = env.now
            with desks[s["agency"]].request() as turn:
                yield turn
                yield wait_until(cal.add(env.now, draw(s["effort"])))
            if defect is None or rng.random() >= defect[0] * defect[1] ** (rounds - 1):
                break
            if rounds >= defect[2]:  # the project gives up
                record["capped"] = 1.0
                return False
            yield wait_until(cal.add(env.now, draw(defect[3])))  # the applicant fixes the file
        if "lag" in s:
            dist, unit = s["lag"]
            value = draw(dist)
            yield wait_until(env.now + value if unit == "day" else cal.add(env.now, value))
        record[f"first_{name}"] = first
        record[f"issued_{name}"] = env.now
        return True

    def project(record: dict[str, float]):
        if not (yield env.process(stage("filing", record))):
            return
        land = env.process(stage("land", record))
        eia = env.process(stage("eia", record))
        yield land & eia  # the join
        if land.value and eia.value:
            yield env.process(stage("permit", record))

    def source():
        yield env.timeout((SIGN_FROM - START).days)
        while True:
            yield env.timeout(rng.exponential(1 / RATE))
            if env.now >= (SIGN_UNTIL - START).days + 1:
                return
            record = {"signed": env.now}
            projects.append(record)
            env.process(project(record))

    env.process(source())
    env.run(until=HORIZON)
    out = []
    for r in projects:
        permit = r.get("issued_permit", math.nan)
        done = permit == permit and permit <= HORIZON
        row = {
            "approval_workdays": cal.worktime(permit) - cal.worktime(r["first_filing"]) if done else math.nan,
            "to_production_months": (permit - r["signed"]) / DAYS_PER_MONTH if done else math.nan,
        }
        for name in STAGES:
            issued = r.get(f"issued_{name}", math.nan)
            ok = issued == issued
            row[f"stages.{name}"] = cal.worktime(issued) - cal.worktime(r[f"first_{name}"]) if ok else math.nan
        out.append(row)
    return out


def run(n: int, seed: int) -> dict:
    """``n`` replications; per measure, the sum and count of its values in each replication, timed.

    Returns ``{"wall_s", "cpu_s", "projects", "replications", "sums": {measure: [...]}, "counts": {...},
    "parameters": {...}}`` (the parameters as the test compares them with the scenario file).
    """
    t, c = time.perf_counter(), time.process_time()
    calendar = Calendar(int(HORIZON) + 1)
    sums: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    projects = 0
    for rep in range(n):
        rows = simulate(seed, rep, calendar)
        projects += len(rows)
        for key in rows[0] if rows else ():
            values = [r[key] for r in rows if r[key] == r[key]]
            sums.setdefault(key, []).append(math.fsum(values))
            counts.setdefault(key, []).append(len(values))
    return {
        "wall_s": time.perf_counter() - t,
        "cpu_s": time.process_time() - c,
        "projects": projects,
        "replications": n,
        "sums": sums,
        "counts": counts,
        "parameters": {
            "dates": [str(d) for d in (START, END, SIGN_FROM, SIGN_UNTIL)],
            "rate_per_year": RATE_PER_YEAR,
            "staff": STAFF,
            "stages": STAGES,
        },
    }


def means(result: dict) -> dict[str, float]:
    """The mean of each measure over all projects of all replications."""
    return {k: sum(v) / max(1, sum(result["counts"][k])) for k, v in result["sums"].items()}


if __name__ == "__main__":
    words = [a for a in sys.argv[1:] if a != "--json"]
    res = run(int(words[0]) if words else 20, int(words[1]) if len(words) > 1 else 1)
    if "--json" in sys.argv:
        print(json.dumps(res))
    else:
        print(f"{res['projects']} projects in {res['cpu_s']:.2f} s CPU; means: {means(res)}")
