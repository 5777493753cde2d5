"""Where the README's main job spends its time: the phases of the command, and inside a replication.

``python benchmarks/main_job_profile.py [--n 200] [--jobs 2] [--json FILE]``

1. Runs the main job, ``approval-sim compare scenarios/pre_reform.toml scenarios/reform.toml -n N --seed 1
   --jobs J --attribute -o TMP``, in this process through :func:`sim.cli.main.main`, and times its phases:
   the comparison's replications, the lever attribution's subsets, building the figures, writing them all (and
   each that this process draws; the slowest are drawn meanwhile in a second process) and the report.  The
   phases are the command's own functions, timed by wrapping them.
2. Profiles replications of the reform scenario with cProfile (in this process, one at a time) and sums the
   own time of every function by where it lives: SimPy's kernel, the engine's stage visits, the working-time
   calendar, the random numbers, the reduction of a finished project (KPIs, critical path), and the rest.

Prints two Markdown tables; ``--json`` also writes them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: (label, test on the profiled function's file path): the first that matches names the function's share
GROUPS: list[tuple[str, Callable[[str], bool]]] = [
    ("SimPy's kernel (event queue, processes, timeouts)", lambda f: "/simpy/" in f),
    ("stage visits (sim/engine/stage_flow.py)", lambda f: f.endswith("engine/stage_flow.py")),
    ("staff desks, sittings, monitors, projects", lambda f: "/sim/engine/" in f and "draws" not in f),
    ("working-time calendar and distributions (sim/scenario)", lambda f: "/sim/scenario/" in f),
    ("random numbers (sim/engine/draws.py, numpy)", lambda f: "draws.py" in f or "numpy" in f),
    ("reduction: KPIs, critical path, arrays (sim/runs)", lambda f: "/sim/runs/" in f),
]


def phases(n: int, jobs: int) -> list[tuple[str, float]]:
    """Run the main job once and time its phases (seconds, in the order they ran)."""
    import sim.cli.comparison_commands as commands
    import sim.present.plots as plots
    import sim.present.report as report
    from sim.cli.main import main

    timed: list[tuple[str, float]] = []

    def wrap(module: Any, name: str, label: Callable[..., str]) -> None:
        real = getattr(module, name)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            out = real(*args, **kwargs)
            timed.append((label(*args), time.perf_counter() - t))
            return out

        setattr(module, name, timed_call)

    wrap(commands, "_comparison", lambda *a: f"comparison: {n} replications of each scenario")
    wrap(commands, "_attribution", lambda *a: f"lever attribution: every subset of levers, {a[2]} replications each")
    wrap(plots, "all_figures", lambda *a: "building the figures")
    wrap(plots, "save", lambda *a: f"writing {a[3]} (PNG, SVG, CSV) in this process")
    wrap(plots, "save_all", lambda *a: f"writing every figure ({', '.join(plots.SECOND_PROCESS)} in a second process)")
    wrap(report, "write_report", lambda *a: "writing report.html")  # (the command imports it when it runs)
    out = Path(tempfile.mkdtemp(prefix="main-job-"))
    argv = ["compare", "scenarios/pre_reform.toml", "scenarios/reform.toml", "-n", str(n), "--seed", "1"]
    argv += ["--jobs", str(jobs), "--attribute", "-q", "-o", str(out / "main")]
    t = time.perf_counter()
    try:
        main(argv)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    total = time.perf_counter() - t
    return [*timed, ("the whole command (in this process)", total)]


def replication_profile(n: int) -> tuple[float, list[tuple[str, float]]]:
    """cProfile ``n`` replications of the reform scenario; (profiled seconds, own time per group)."""
    import sim
    from sim.engine.compiled import compile_scenario
    from sim.runs.runner import reduced_replication

    cs = compile_scenario(sim.load(ROOT / "scenarios" / "reform.toml"))
    reduced_replication(cs, 0, 1)  # warm
    prof = cProfile.Profile()
    prof.enable()
    for rep in range(n):
        reduced_replication(cs, rep, 1)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    shares: dict[str, float] = {label: 0.0 for label, _ in GROUPS}
    shares["other (Python builtins, gc, the rest)"] = 0.0
    for (path, _line, _fn), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        label = next((lb for lb, test in GROUPS if test(path)), "other (Python builtins, gc, the rest)")
        shares[label] += tottime
    return total, sorted(shares.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="replications of the comparison (default 200, as the README)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2, as the README)")
    ap.add_argument("--profile-n", type=int, default=100, help="replications profiled with cProfile (default 100)")
    ap.add_argument("--json", type=Path, help="also write the tables as JSON here")
    a = ap.parse_args(argv)
    os.chdir(ROOT)
    timed = phases(a.n, a.jobs)
    whole = timed[-1][1]
    print(f"### The main job's phases (-n {a.n} --jobs {a.jobs})\n")
    print("| phase | wall s | share of the command |\n|---|---|---|")
    for label, s in timed:
        print(f"| {label} | {s:.2f} | {100 * s / whole:.0f} % |")
    total, shares = replication_profile(a.profile_n)
    print(f"\n### Inside a replication: cProfile of {a.profile_n} replications of scenarios/reform.toml\n")
    print(f"{total:.2f} s profiled (cProfile slows Python calls about 2x; the shares are what matters).\n")
    print("| where | own time s | share |\n|---|---|---|")
    for label, s in shares:
        print(f"| {label} | {s:.2f} | {100 * s / total:.0f} % |")
    if a.json:
        a.json.write_text(json.dumps({"phases": timed, "profiled_s": total, "replication": shares}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
