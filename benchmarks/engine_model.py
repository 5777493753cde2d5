"""The rework network run by the engine: scenarios/examples/mmc_rework.toml through ``sim.load`` overrides.

A stream may span at most 100 years, so ~200,000 customers at 1 per day do not fit one replication.
The overrides therefore change the time unit, not the network: arrivals at ``TIME_SCALE`` per day and
every service mean divided by ``TIME_SCALE`` is the same Jackson network with the clock running
``TIME_SCALE`` times faster (warm-up and horizon scaled alike), and ``approval_days x TIME_SCALE`` is
the sojourn in the scenario's days.  The engine does exactly the same work per customer.

Calendars (part 2 of run.py):

* ``"24/7"``: the scenario's own ``always_open = true``.
* ``"office"``: ``calendar.always_open = false``, ``country = "CN"``, default office hours 09:00-17:00,
  nothing else changed.  Service stays in calendar days (``unit = "day"``), so only submissions wait for
  office hours and the working-time bookkeeping runs on a real calendar.
* ``"office-workday"``: the same calendar with every service in working days, so each review goes through
  the calendar's ``add`` (table lookups); arrivals are thinned to the share of working days so that every
  desk still runs at utilisation 0.7 of its working time.

    python benchmarks/engine_model.py 20000 1 [24/7|office|office-workday]
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network import LAMBDA, MEANS, WARMUP  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "examples" / "mmc_rework.toml"
STAGES = ("s1", "s2", "s3", "s4", "s5")
TIME_SCALE = 10.0
CALENDARS = ("24/7", "office", "office-workday")


def working_share(years: float) -> float:
    """Share of calendar days that are working days on the CN calendar from the scenario's start."""
    from sim.core.units import DAYS_PER_YEAR
    from sim.scenario.calendar import working_day_mask

    n = int(years * DAYS_PER_YEAR) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(working_day_mask(dt.date(2024, 1, 1), n, country="CN").mean())


def overrides(n_customers: int, calendar: str = "24/7") -> dict:
    """``sim.load`` overrides that make one replication bring about ``n_customers`` after the warm-up."""
    from sim.core.units import DAYS_PER_YEAR

    if calendar not in CALENDARS:
        raise ValueError(f"calendar must be one of {CALENDARS}")
    rate = LAMBDA * TIME_SCALE  # arrivals per calendar day
    if calendar == "office-workday":  # keep utilisation 0.7 of working time
        rate *= working_share((WARMUP + n_customers) / (LAMBDA * TIME_SCALE * 0.6) / DAYS_PER_YEAR)
    unit = LAMBDA * TIME_SCALE / rate  # calendar days per model day
    ov = {
        "arrivals.stream.rate": rate,
        "arrivals.stream.per": "day",
        "scenario.warmup_days": WARMUP / (LAMBDA * TIME_SCALE) * unit,
        "scenario.horizon_years": (WARMUP + n_customers / LAMBDA) / TIME_SCALE * unit / DAYS_PER_YEAR,
    }
    for s, m in zip(STAGES, MEANS):
        ov[f"stages.{s}.effort.mean"] = m / TIME_SCALE
        if calendar == "office-workday":
            ov[f"stages.{s}.effort.unit"] = "workday"
    if calendar != "24/7":
        ov["calendar.always_open"] = False
        ov["calendar.country"] = "CN"
    return ov


def load(n_customers: int, calendar: str = "24/7"):
    import sim

    with warnings.catch_warnings():  # holiday data ends before the long horizon: expected
        warnings.simplefilter("ignore")
        return sim.load(SCENARIO, overrides(n_customers, calendar))


def run(n_customers: int, seed: int, calendar: str = "24/7") -> dict:
    """One replication through the public API ``sim.run`` (compile, simulate, reduce, summarise), timed.

    ``mean_sojourn`` is in the scenario's days (24/7 only: on a working calendar it is not the Jackson
    quantity); ``approval_days_mean`` is the engine's own KPI.
    """
    import sim

    t_load = time.perf_counter()
    sc = load(n_customers, calendar)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sim.run(sc, n=1, seed=seed, keep_rows=False)
    wall = time.perf_counter() - t
    kpi = res.summary["kpis"]["approval_days"]
    counts = res.summary["projects"]
    return {
        "wall_s": wall,
        "load_s": t - t_load,
        "customers": counts["projects"],
        "completed": counts["reached_construction_permit"],
        "mean_sojourn": kpi["mean"] * TIME_SCALE if calendar == "24/7" else None,
        "approval_days_mean": kpi["mean"],
        "calendar": calendar,
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    s = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    c = sys.argv[3] if len(sys.argv) > 3 else "24/7"
    print(run(n, s, c))
