"""Part 6 of benchmarks/run.py: the approval chain, engine vs hand-written SimPy, CPU time per project.

The engine runs scenarios/examples/approval_chain.toml through ``sim.run(scenario, n, seed, keep_rows=False)``
(compiling, simulating, reducing every project to its KPIs and summarising: what ``approval-sim run`` does
without writing its CSV rows); benchmarks/handwritten_approval.py runs the same chain written by hand, and
computes the same per-project measures.  Both run ``n`` replications in one process, timed with
``time.process_time`` (CPU time of that process: the machine is shared, and CPU time leaves out the time other
processes take the cores away, which wall time counts).  The ratio is per project (the two draw different
numbers of projects from the same Poisson stream), the median over turns of the ratio within a turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAIN = "scenarios/examples/approval_chain.toml"


def worker(kind: str, args: dict) -> dict:
    """One measurement (in the fresh process run.py spawned): ``chain-engine`` or ``chain-handwritten``."""
    if kind == "chain-engine":
        import sim

        sc = sim.load(ROOT / CHAIN)
        wall, cpu = time.perf_counter(), time.process_time()
        res = sim.run(sc, n=args["n"], seed=args["seed"], keep_rows=False)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        summary = res.summary
        means = {k: summary["kpis"][k]["mean"] for k in ("approval_workdays", "to_production_months")}
        means.update({f"stages.{k}": v["mean"] for k, v in summary["stages"].items()})
        projects = summary["projects"]["projects"]
    elif kind == "chain-handwritten":
        import handwritten_approval as m

        out = m.run(args["n"], args["seed"])
        cpu, wall, projects, means = out["cpu_s"], out["wall_s"], out["projects"], m.means(out)
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "replications": args["n"],
        "customers": projects,  # the name paired() divides by
        "cpu_us_per_project": 1e6 * cpu / max(1, projects),
        "means": means,
    }


def measure(
    quick: bool,
    seed: int,
    repeat: int,
    repeated: Callable[..., list[dict]],
    paired: Callable[..., float | None],
    log: Callable[[str], None],
) -> dict:
    """Both models, ``repeat`` turns, CPU time; the part's results with the paired ratio per project."""
    n = 100 if quick else 500
    log(f"part 6: {CHAIN}, {n} replications, engine and hand-written SimPy, x{repeat} (CPU time)")
    engine, hand = repeated(
        [("chain-engine", {"n": n, "seed": seed}), ("chain-handwritten", {"n": n, "seed": seed})], repeat, key="cpu_s"
    )
    return {
        "scenario": CHAIN,
        "replications": n,
        "engine": engine,
        "handwritten": hand,
        "chain_ratio": paired(engine, hand, per_customer=True),
        "chain_ratio_of_medians": (
            engine["cpu_us_per_project"] / hand["cpu_us_per_project"] if "cpu_s" in engine and "cpu_s" in hand else None
        ),
    }


def render(p: dict, f: Callable[..., str], table: Callable[[list[str], list[list[str]]], str]) -> list[str]:
    """The part's section of results.md."""
    out = [
        f"\n### 6. Approval chain: engine vs hand-written SimPy, CPU time per project (`{p['scenario']}`, "
        f"{p['replications']} replications)\n"
    ]
    rows = []
    for name, key in (("engine (`sim.run`, keep_rows=False)", "engine"), ("hand-written SimPy", "handwritten")):
        r = p[key]
        if "cpu_s" not in r:
            rows.append([name, r.get("error", "")] + [""] * 6)
            continue
        means = r["means"]
        rows.append(
            [
                name,
                f(r["cpu_s"]),
                f(r["wall_s"]),
                f(r["customers"]),
                f(r["cpu_us_per_project"], 0),
                f(means["approval_workdays"]),
                f(means["stages.eia"]),
                "1.00" if key == "engine" else f(p["chain_ratio"]),
            ]
        )
    out.append(
        table(
            [
                "model",
                "CPU s",
                "wall s",
                "projects",
                "CPU µs/project",
                "approval workdays (mean)",
                "eia workdays (mean)",
                "engine / this, per project",
            ],
            rows,
        )
    )
    runs = [f"{k} {' / '.join(f'{c:.2f}' for c in p[k].get('cpu_s_runs', []))}" for k in ("engine", "handwritten")]
    out.append(f"\nCPU times of all runs (s): {'; '.join(runs)}.")
    return out
