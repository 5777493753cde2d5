"""Part 7 of benchmarks/run.py: a notebook's run, ``sim.run(sim.load("scenarios/pre_reform.toml"), n=50)``, warm.

What a notebook user waits for: the scenario is loaded and the modules imported (a warm Python session), and
``sim.run`` keeps its rows (its default ``keep_rows=True``, so that ``res.projects`` and ``res.stages`` can be
looked at).  The one process run.py spawns loads the scenario, runs it once each way untimed (n=5: imports,
caches and the code paths warm), then takes K turns; a turn times ``sim.run(sc, n, seed)`` and
``sim.run(sc, n, seed, keep_rows=False)`` back to back, which one goes first alternating turn by turn, with wall
time (``time.perf_counter``) and CPU time (``time.process_time``) of each call.  ``notebook_s`` is the median
wall time with rows; ``rows_ratio`` the median over turns of (with rows / without) within the turn in CPU time,
which leaves out the time other users of this shared machine hold the cores (the wall ratio is reported too).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/pre_reform.toml"
N = 50  # replications, with --quick too: the run is small
WAYS = (("rows", True), ("no_rows", False))  # key in the results, keep_rows


def worker(kind: str, args: dict) -> dict:
    """The ``notebook`` measurement, in the fresh process run.py spawned: ``args`` has n, seed and turns."""
    if kind != "notebook":
        raise SystemExit(f"unknown worker kind {kind!r}")
    import sim

    sc = sim.load(ROOT / SCENARIO)
    for _, keep in WAYS:  # warm-up, untimed
        sim.run(sc, n=5, seed=args["seed"], keep_rows=keep)
    n, seed = args["n"], args["seed"]
    turns: list[dict] = []
    projects = rows = 0
    for i in range(args["turns"]):
        turn: dict = {"first": WAYS[i % 2][0]}
        for key, keep in WAYS if i % 2 == 0 else WAYS[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            res = sim.run(sc, n=n, seed=seed, keep_rows=keep)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            turn[key] = {"wall_s": wall, "cpu_s": cpu}
            if keep:
                projects, rows = res.summary["projects"]["projects"], len(res.projects)
            del res  # each call starts with nothing of the previous one alive
        turns.append(turn)
    out: dict = {"scenario": SCENARIO, "replications": n, "turns": turns, "projects": projects, "rows_kept": rows}
    for key, _ in WAYS:
        out[key] = {m: statistics.median(t[key][m] for t in turns) for m in ("wall_s", "cpu_s")}
        out[key]["wall_s_runs"] = [t[key]["wall_s"] for t in turns]
        out[key]["cpu_s_runs"] = [t[key]["cpu_s"] for t in turns]
    out["notebook_s"] = out["rows"]["wall_s"]
    out["rows_ratio"] = statistics.median(t["rows"]["cpu_s"] / t["no_rows"]["cpu_s"] for t in turns)
    out["rows_ratio_wall"] = statistics.median(t["rows"]["wall_s"] / t["no_rows"]["wall_s"] for t in turns)
    return out


def measure(seed: int, repeat: int, spawn: Callable[..., dict], log: Callable[[str], None]) -> dict:
    """The part's results: one fresh process taking ``repeat`` turns (N replications, also with --quick)."""
    log(f"part 7: sim.run({SCENARIO}, n={N}) with and without rows, warm, {repeat} turns in one process")
    return spawn("notebook", n=N, seed=seed, turns=repeat)


def render(p: dict, f: Callable[..., str], table: Callable[[list[str], list[list[str]]], str]) -> list[str]:
    """The part's section of results.md."""
    out = [f"\n### 7. A notebook's run: `sim.run(pre_reform, n={N})`, warm\n"]
    if "turns" not in p:
        return out + [p.get("error", "not measured")]
    out.append(
        f"`{p['scenario']}`, {p['replications']} replications (seed fixed), in one Python process after an untimed "
        f"warm-up; {len(p['turns'])} turns, each running both calls back to back, which one first alternating.\n"
    )
    rows = []
    for name, key in (
        (f"`sim.run(sc, n={N})` (keeps rows)", "rows"),
        (f"`sim.run(sc, n={N}, keep_rows=False)`", "no_rows"),
    ):
        r = p[key]
        rows.append([name, f(r["wall_s"], 3), f(r["cpu_s"], 3), " / ".join(f"{w:.3f}" for w in r["wall_s_runs"])])
    out.append(table(["run", "wall s (median)", "CPU s (median)", "all wall times (s)"], rows))
    out.append(
        f"\nRows / no rows within a turn, median over turns: **{f(p['rows_ratio'])}** in CPU time "
        f"({f(p['rows_ratio_wall'])} in wall time). {f(p['projects'])} projects, {f(p['rows_kept'])} project rows kept."
    )
    return out
