"""The forecast's statistical checks at full size (the test suite runs small versions of them).

``python benchmarks/forecast_truth.py [--n 600] [--json benchmarks/forecast_truth.json]``

1. State equivalence on ``scenarios/pre_reform.toml`` itself (Chinese calendar, sittings, defects, a winter
   shutdown): for each replication, its state on 2024-09-02 is written as a backlog from its own records and
   event log (``tests/helpers/backlog_state.py``) and forecast; per replication, the mean time from that date
   to each open file's next decision, construction permit and production is compared between the forecast
   and the replication continued (two-sample Kolmogorov-Smirnov; p should be large, and is uniform under the
   right model).
2. M/M/1 with one file in service (for 40 days already) and k waiting: the time to clear them against the
   Erlang(k + 1, mu) distribution (mean (k + 1)/mu; one-sample KS), for k = 0, 4 and 19.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import sim  # noqa: E402
from sim.engine.compiled import compile_scenario  # noqa: E402
from sim.engine.replication import Collector, simulate  # noqa: E402
from sim.engine.warm import WarmReplication, warm_start  # noqa: E402
from sim.scenario.backlog_reading import backlog_from_rows  # noqa: E402

from helpers.backlog_state import backlog_rows_at  # noqa: E402
from helpers.ks import ks_one_sample, ks_two_sample  # noqa: E402
from helpers.scenarios import dist, scenario_toml, stage  # noqa: E402


def _means(result: object, ids: set[str], T: float) -> list[float]:
    """Mean over the files ``ids`` of the time from T to the next decision, the permit and production."""
    first: dict[str, float] = {}
    for _, pid, r in result.stages:  # type: ignore[attr-defined]
        if pid in ids and r.issued > T:
            first[pid] = min(first.get(pid, math.inf), r.issued - T)
    out = [float(np.mean(list(first.values()))) if first else math.nan]
    for m in ("construction_permit", "production"):
        v = [p.milestones[m] - T for p in result.projects if p.id in ids]  # type: ignore[attr-defined]
        later = [x for x in v if x > 0]
        out.append(float(np.mean(later)) if later else math.nan)
    return out


def state_equivalence(n: int) -> dict[str, object]:
    sc = sim.load(ROOT / "scenarios" / "pre_reform.toml")
    cs = compile_scenario(sc)
    as_of = dt.date(2024, 9, 2)
    T = float((as_of - sc.start_date).days)
    truth, warm = [], []
    files = 0
    for rep in range(n):
        full = simulate(cs, rep, 20240101, events=True)
        rows = backlog_rows_at(cs, full, T)
        if not rows:
            continue
        backlog = backlog_from_rows(rows, "state", sc, as_of)
        files += len(backlog)
        ids = {p.id for p in backlog.projects}
        result = WarmReplication(cs, warm_start(cs, backlog), rep, 20240101, Collector(cs, rep)).run()
        truth.append(_means(full, ids, T))
        warm.append(_means(result, ids, T))
    a, b = np.array(truth), np.array(warm)
    out: dict[str, object] = {"replications": len(a), "open_files_per_replication": files / max(1, len(a))}
    for k, name in enumerate(("next_decision_days", "construction_permit_days", "production_days")):
        ok = ~(np.isnan(a[:, k]) | np.isnan(b[:, k]))
        d, p = ks_two_sample(a[ok, k], b[ok, k])
        out[name] = {"continued": float(a[ok, k].mean()), "forecast": float(b[ok, k].mean()), "ks_d": d, "ks_p": p}
    return out


def mm1(k: int, n: int, folder: Path) -> dict[str, object]:
    mu = 1.0
    text = scenario_toml(
        "mm1",
        agencies={"desk": 1},
        always_open=True,
        stream={"rate": 0.7, "per": "day", "classes": {"std": 1}},
        stages={"serve": stage("desk", effort=dist("exponential", "day", mean=1 / mu))},
        milestones="serve",
        end_date="2024-06-30",
    )
    path = folder / "mm1.toml"
    path.write_text(text, encoding="utf-8")
    lines = ["project,class,signed,stage,state,since", "b0,std,2024-01-02,serve,in_review,2024-01-20"]
    lines += [f"b{i},std,2024-01-02,serve,queued,2024-02-01 {i // 60:02d}:{i % 60:02d}" for i in range(1, k + 1)]
    backlog = folder / f"open{k}.csv"
    backlog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fc = sim.forecast(sim.load(path), backlog, as_of="2024-03-01", n=n, seed=100 + k)  # independent checks
    clear = (fc.issued[:, :, 0] - fc.at).max(axis=1)

    def erlang(t: np.ndarray) -> np.ndarray:
        return 1.0 - sum(np.exp(-mu * t) * (mu * t) ** j / math.factorial(j) for j in range(k + 1))

    d, p = ks_one_sample(clear, erlang)
    return {"k": k, "replications": n, "mean": float(clear.mean()), "expected_mean": (k + 1) / mu, "ks_d": d, "ks_p": p}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=600, help="replications of the state-equivalence check")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    t0 = time.perf_counter()
    results: dict[str, object] = {"state_equivalence_pre_reform": state_equivalence(args.n)}
    with tempfile.TemporaryDirectory() as tmp:
        results["mm1"] = [mm1(k, 4000, Path(tmp)) for k in (0, 4, 19)]
    results["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(results, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
