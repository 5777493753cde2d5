"""Performance benchmark of the engine: ``python benchmarks/run.py [--quick] [--profile]``.

Seven parts, each measurement in a fresh Python process (its peak RSS is that process's own
``ru_maxrss``; for the command line, the ``ru_maxrss`` that ``os.wait4`` reports for it):

1. engine vs hand-written SimPy vs Ciw on the rework network (~200,000 customers; --quick ~20,000);
2. calendar cost: the same engine network on the CN working calendar vs 24/7;
3. replications of scenarios/lanzhou_2024.toml serial vs ``jobs=2`` (1,000; --quick 100);
4. memory: peak RSS of ``python -m sim run scenarios/lanzhou_2024.toml -n 100 -q -o TMP`` vs ``-n 10000``
   (--quick 1000);
5. scale: scenarios/reform.toml with 10x and 100x the arrivals and staff (--quick: 10x only);
6. the approval chain of scenarios/examples/approval_chain.toml: engine vs hand-written SimPy
   (benchmarks/handwritten_approval.py), CPU time per project (500 replications; --quick 100);
7. a notebook's run, warm: ``sim.run(sim.load("scenarios/pre_reform.toml"), n=50)`` with its rows and without
   (benchmarks/notebook_part.py; K turns in one process).

Writes benchmarks/results.md and benchmarks/results.json (with the machine and the command);
``--profile`` also writes benchmarks/profile.txt (cProfile of the engine on the rework network).
See benchmarks/README.md for what each part measures and the goals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

LANZHOU = "scenarios/lanzhou_2024.toml"
ZONE = "scenarios/reform.toml"
KB_PER_MB = 1024.0

# goals of the performance issue: (key, text, test on the measured value)
GOALS = [
    ("handwritten_ratio", "engine time / hand-written SimPy <= 1.2", lambda x: x <= 1.2),
    ("ciw_ratio", "engine >= 3x faster than Ciw (engine time / Ciw <= 0.333)", lambda x: x <= 1 / 3),
    ("calendar_ratio", "working calendar / 24/7 time per customer <= 1.3", lambda x: x <= 1.3),
    ("calendar_ratio_workday", "same, services in working days (informative) <= 1.3", lambda x: x <= 1.3),
    ("speedup", "jobs=2 speedup >= 1.8 with identical summaries", lambda x: x >= 1.8),
    ("memory_ratio", "peak RSS, many / 100 replications (CLI) <= 1.2", lambda x: x <= 1.2),
    ("scale_10x", "time per project at 10x within 1.5x of base", lambda x: x <= 1.5),
    ("scale_100x", "time per project at 100x within 1.5x of base", lambda x: x <= 1.5),
    ("chain_ratio", "approval chain: engine CPU time per project / hand-written SimPy <= 1.2", lambda x: x <= 1.2),
    ("notebook_s", "sim.run(pre_reform, n=50), warm, with rows <= 0.5 s", lambda x: x <= 0.5),
    ("rows_ratio", "rows / no rows, CPU time, sim.run(pre_reform, n=50) <= 1.3", lambda x: x <= 1.3),
]


# ---------------------------------------------------------------------------------------------------
# workers: each runs in its own interpreter and prints one line "RESULT <json>"
# ---------------------------------------------------------------------------------------------------
def _maxrss_kb(who: int = resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who).ru_maxrss
    return r / 1024.0 if sys.platform == "darwin" else float(r)  # bytes on macOS, kB on Linux


def _summary_hash(summary: dict) -> str:
    return hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()


def _scaled_zone(factor: float):
    """The zone scenario with ``factor`` x the arrival rate, the staff of every agency, the agent pool and
    the sitting capacities (so that every desk sees the same load per staff member)."""
    import sim

    base = sim.load(ZONE)
    if factor == 1:
        return base
    ov = {"arrivals.stream.rate": base.raw["arrivals"]["stream"]["rate"] * factor}
    for a in base.agencies:
        ov[f"agencies.{a.id}.staff"] = int(round(a.staff * factor))
        if a.sittings is not None:
            ov[f"agencies.{a.id}.sittings.capacity"] = int(round(a.sittings.capacity * factor))
    if base.agents is not None:
        ov["agents.staff"] = int(round(base.agents.staff * factor))
    return sim.load(ZONE, ov)


def worker(kind: str, args: dict) -> dict:
    if kind.startswith("chain-") or kind == "notebook":
        import chain_part
        import notebook_part

        import sim  # noqa: F401  (imported before the baseline so that it counts as baseline)

        base = _maxrss_kb()
        out = (notebook_part if kind == "notebook" else chain_part).worker(kind, args)
    elif kind == "handwritten":
        import handwritten_simpy as m

        base = _maxrss_kb()
        out = m.run(args["n"], args["seed"])
    elif kind == "ciw":
        import ciw_model as m

        base = _maxrss_kb()
        out = m.run(args["n"], args["seed"])
    elif kind == "engine":
        import engine_model as m

        import sim  # noqa: F401  (imported before the baseline so that it counts as baseline)

        base = _maxrss_kb()
        out = m.run(args["n"], args["seed"], args.get("calendar", "24/7"))
    elif kind == "reps":
        import sim

        sc = sim.load(LANZHOU)
        base = _maxrss_kb()
        t = time.perf_counter()
        res = sim.run(sc, n=args["n"], seed=args["seed"], jobs=args["jobs"], keep_rows=False)
        wall = time.perf_counter() - t
        out = {
            "wall_s": wall,
            "replications": args["n"],
            "jobs": args["jobs"],
            "summary_sha256": _summary_hash(res.summary),
            "approval_workdays_mean": res.summary["kpis"]["approval_workdays"]["mean"],
            "children_maxrss_kb": _maxrss_kb(resource.RUSAGE_CHILDREN),
        }
    elif kind == "scale":
        import sim

        sc = _scaled_zone(args["factor"])
        base = _maxrss_kb()
        t = time.perf_counter()
        res = sim.run(sc, n=args["n"], seed=args["seed"], keep_rows=False)
        wall = time.perf_counter() - t
        counts = res.summary["projects"]
        out = {
            "wall_s": wall,
            "replications": args["n"],
            "factor": args["factor"],
            "projects": counts["projects"],
            "reached_production": counts["reached_production"],
            "per_project_ms": 1000 * wall / max(1, counts["projects"]),
            "approval_workdays_p50": res.summary["kpis"]["approval_workdays"]["p50"],
        }
    elif kind == "profile":
        import cProfile
        import pstats

        import engine_model as m

        import sim  # noqa: F401

        base = _maxrss_kb()
        prof = cProfile.Profile()
        prof.enable()
        out = m.run(args["n"], args["seed"])
        prof.disable()
        st = pstats.Stats(prof)
        rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)
        total = sum(v[2] for _, v in st.stats.items())
        out["top"] = [
            {
                "function": f"{Path(f).name}:{line}({fn})" if line else fn,
                "ncalls": nc,
                "tottime_s": tt,
                "cumtime_s": ct,
                "share": tt / total,
            }
            for (f, line, fn), (cc, nc, tt, ct, _) in rows[: args.get("top", 25)]
        ]
        out["profiled_total_s"] = total
        with open(args["text"], "w", encoding="utf-8") as fh:
            st.stream = fh
            fh.write(f"cProfile of the engine on the rework network, {args['n']} customers, seed {args['seed']}\n")
            st.sort_stats("tottime").print_stats(30)
            st.sort_stats("cumulative").print_stats(30)
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")
    out["baseline_rss_mb"] = base / KB_PER_MB
    out["peak_rss_mb"] = _maxrss_kb() / KB_PER_MB
    return out


def spawn(kind: str, **args) -> dict:
    """Run one measurement in a fresh interpreter; errors are returned, never raised."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, json.dumps(args)]
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            out["process_s"] = elapsed
            return out
    tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
    return {"error": f"{kind} worker failed (exit {p.returncode}): " + " | ".join(tail)}


def repeated(runs: list[tuple[str, dict]], repeat: int, key: str = "wall_s") -> list[dict]:
    """Each (kind, args) measurement ``repeat`` times, in fresh processes, taking turns (so that drift in the
    machine's speed hits all alike); for each, the run with the median ``key`` (wall time, or ``cpu_s``: CPU
    time), with every one listed (``turns``, by turn, is what :func:`paired` compares)."""
    results: list[list[dict]] = [[] for _ in runs]
    for _ in range(repeat):
        for i, (kind, args) in enumerate(runs):
            results[i].append(spawn(kind, **args))
    out = []
    for rs in results:
        ok = sorted((r for r in rs if key in r), key=lambda r: r[key])
        if not ok:
            out.append(rs[0])
            continue
        med = dict(ok[(len(ok) - 1) // 2])
        med["wall_s_runs"] = [r["wall_s"] for r in rs if "wall_s" in r]
        if key != "wall_s":
            med[f"{key}_runs"] = [r[key] for r in rs if key in r]
        med["turns"] = [r.get(key) for r in rs]  # by turn (None: failed), for paired()
        out.append(med)
    return out


def paired(a: dict, b: dict, per_customer: bool = False) -> float | None:
    """The median over turns of a's wall time / b's in the same turn: the goals' ratios.

    The turns of :func:`repeated` run each measurement once, back to back, so a slow phase of this
    shared machine (single runs vary by +-15 % and more) slows the runs of one turn alike and cancels
    in their ratio, where a ratio of two medians taken from different turns keeps it.
    ``per_customer``: divide each side by its customers first (the same in every turn, fixed seed).
    """
    if not a or not b or not a.get("turns") or not b.get("turns"):
        return None
    rs = [x / y for x, y in zip(a["turns"], b["turns"]) if x and y]
    if not rs:
        return None
    r = statistics.median(rs)
    return r * b["customers"] / a["customers"] if per_customer else r


def cli_peak(n: int, seed: int) -> dict:
    """Wall time and peak RSS of ``python -m sim run LANZHOU -n N -q -o TMP`` (from os.wait4)."""
    tmp = Path(tempfile.mkdtemp(prefix="approval-sim-bench-"))
    cmd = [sys.executable, "-m", "sim", "run", LANZHOU, "-n", str(n), "--seed", str(seed), "-q", "-o", str(tmp / "out")]
    try:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            return {"error": f"exit {proc.returncode}: {err.decode(errors='replace').strip()[-300:]}"}
        size = sum(f.stat().st_size for f in (tmp / "out").iterdir())
        rss = ru.ru_maxrss / (1024.0 if sys.platform == "darwin" else 1.0)
        return {
            "command": " ".join(shlex.quote(c) for c in cmd[1:]).replace(str(tmp), "TMP"),
            "replications": n,
            "wall_s": wall,
            "peak_rss_mb": rss / KB_PER_MB,
            "output_mb": size / 2**20,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------------------------------
def machine(argv: list[str]) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    versions = {}
    for pkg in ("approval-sim", "simpy", "numpy", "holidays", "ciw"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sim"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        commit += " (sim/ modified)" if dirty else ""
    except OSError:
        commit = ""
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit,
        "command": "python " + " ".join(shlex.quote(a) for a in argv),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
    }


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ratio(a: dict, b: dict, key: str = "wall_s") -> float | None:
    if not a or not b or key not in a or key not in b or not b[key]:
        return None
    return a[key] / b[key]


def benchmark(quick: bool, seed: int, parts: set[int], profile: bool, outdir: Path = HERE, repeat: int = 3) -> dict:
    res: dict = {"quick": quick, "seed": seed, "repeat": repeat}
    n_cust = 20_000 if quick else 200_000
    if 1 in parts or 2 in parts:
        what = " and ".join(
            (["hand-written SimPy and Ciw"] if 1 in parts else [])
            + (["the engine on two office calendars"] if 2 in parts else [])
        )
        log(f"the engine (24/7) and {what} on the rework network, {n_cust} customers, x{repeat}, taking turns")
        # one turn runs every model and calendar once, the engine's first: paired() compares within turns
        kinds = [("engine", {"n": n_cust, "seed": seed, "calendar": "24/7"})]
        if 2 in parts:
            kinds += [("engine", {"n": n_cust, "seed": seed, "calendar": cal}) for cal in ("office", "office-workday")]
        if 1 in parts:
            kinds += [("handwritten", {"n": n_cust, "seed": seed}), ("ciw", {"n": n_cust, "seed": seed})]
        measured = dict(
            zip(
                ["24/7"]
                + (["office", "office-workday"] if 2 in parts else [])
                + (["handwritten", "ciw"] if 1 in parts else []),
                repeated(kinds, repeat),
            )
        )
        engine = measured["24/7"]
        p1 = {"customers_target": n_cust, "jackson": __import__("network").JACKSON, "engine": engine}
        if 1 in parts:
            p1["handwritten"], p1["ciw"] = measured["handwritten"], measured["ciw"]
            p1["handwritten_ratio"] = paired(engine, p1["handwritten"])
            p1["ciw_ratio"] = paired(engine, p1["ciw"])
            p1["handwritten_ratio_of_medians"] = ratio(engine, p1["handwritten"])
            p1["ciw_ratio_of_medians"] = ratio(engine, p1["ciw"])
        res["part1"] = p1
    if 2 in parts:
        p2 = {"24/7": engine, "office": measured["office"], "office-workday": measured["office-workday"]}
        for cal in ("24/7", "office", "office-workday"):
            r = p2[cal]
            if "wall_s" in r:
                r["us_per_customer"] = 1e6 * r["wall_s"] / max(1, r["customers"])
        for cal, key in (("office", "calendar_ratio"), ("office-workday", "calendar_ratio_workday")):
            p2[key] = paired(p2[cal], engine, per_customer=True)
            p2[key + "_of_medians"] = ratio(p2[cal], engine, "us_per_customer")
        res["part2"] = p2
    if 3 in parts:
        n = 100 if quick else 1000
        log(f"part 3: {n} replications of {LANZHOU}, serial and jobs=2, x{repeat}")
        serial, par = repeated(
            [("reps", {"n": n, "seed": seed, "jobs": 1}), ("reps", {"n": n, "seed": seed, "jobs": 2})], repeat
        )
        for r in (serial, par):
            if "wall_s" in r:
                r["reps_per_s"] = r["replications"] / r["wall_s"]
        identical = "summary_sha256" in serial and serial.get("summary_sha256") == par.get("summary_sha256")
        res["part3"] = {
            "serial": serial,
            "jobs2": par,
            "speedup": paired(serial, par),
            "speedup_of_medians": ratio(serial, par),
            "identical": identical,
        }
    if 4 in parts:
        many = 1000 if quick else 10000
        log("part 4: CLI peak RSS, -n 100")
        small = cli_peak(100, seed)
        log(f"part 4: CLI peak RSS, -n {many}")
        large = cli_peak(many, seed)
        res["part4"] = {"small": small, "large": large, "memory_ratio": ratio(large, small, "peak_rss_mb")}
    if 5 in parts:
        plan = [(1, 10), (10, 1), (100, 1)] if quick else [(1, 100), (10, 10), (100, 1)]
        p5: dict = {"scenario": ZONE, "runs": []}
        for factor, n in plan:
            log(f"part 5: {ZONE} at {factor}x, {n} replications")
            p5["runs"].append(spawn("scale", factor=factor, n=n, seed=seed))
        base = p5["runs"][0]
        for r in p5["runs"]:
            r["relative"] = ratio(r, base, "per_project_ms")
        p5["scale_10x"] = p5["runs"][1].get("relative")
        p5["scale_100x"] = p5["runs"][2].get("relative") if len(p5["runs"]) > 2 else None
        res["part5"] = p5
    if 6 in parts:
        import chain_part

        res["part6"] = chain_part.measure(quick, seed, repeat, repeated, paired, log)
    if 7 in parts:
        import notebook_part

        res["part7"] = notebook_part.measure(seed, repeat, spawn, log)
    if profile:
        n = 20_000
        log(f"profile: cProfile of the engine, {n} customers")
        res["profile"] = spawn("profile", n=n, seed=seed, text=str(outdir / "profile.txt"), top=25)
    res["goals"] = goals(res)
    return res


def _lookup(res: dict, key: str) -> float | None:
    where = {
        "handwritten_ratio": ("part1", "handwritten_ratio"),
        "ciw_ratio": ("part1", "ciw_ratio"),
        "calendar_ratio": ("part2", "calendar_ratio"),
        "calendar_ratio_workday": ("part2", "calendar_ratio_workday"),
        "speedup": ("part3", "speedup"),
        "memory_ratio": ("part4", "memory_ratio"),
        "scale_10x": ("part5", "scale_10x"),
        "scale_100x": ("part5", "scale_100x"),
        "chain_ratio": ("part6", "chain_ratio"),
        "notebook_s": ("part7", "notebook_s"),
        "rows_ratio": ("part7", "rows_ratio"),
    }[key]
    return res.get(where[0], {}).get(where[1])


def goals(res: dict) -> list[dict]:
    out = []
    for key, text, test in GOALS:
        value = _lookup(res, key)
        if value is None:
            skipped = res.get("part1", {}).get("ciw", {}).get("skipped") if key == "ciw_ratio" else None
            status = f"skipped ({skipped})" if skipped else "not measured"
        else:
            ok = test(value)
            if key == "speedup" and not res["part3"]["identical"]:
                ok = False
            status = "MET" if ok else "NOT MET"
        out.append({"goal": key, "text": text, "value": value, "status": status})
    return out


# ---------------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------------
def f(x, digits: int = 2, suffix: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}{suffix}"
    return f"{x:,}{suffix}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _all_runs(named: list[tuple[str, dict | None]]) -> str:
    """A line listing the wall times of every run behind the medians shown."""
    parts = [
        f"{name} {' / '.join(f'{w:.2f}' for w in r['wall_s_runs'])}" for name, r in named if r and r.get("wall_s_runs")
    ]
    return f"\nWall times of all runs (s): {'; '.join(parts)}." if parts else ""


def render(res: dict, mach: dict) -> str:
    out = []
    if "part1" in res:
        p = res["part1"]
        out.append(
            f"### 1. Rework network: engine vs hand-written SimPy vs Ciw (~{p['customers_target']:,} customers)\n"
        )
        out.append(
            f"Jackson mean sojourn {p['jackson']:.4f} days. Mean sojourn of the customers that arrived after "
            "the 100-day warm-up and finished by the horizon; ± is the 95 % batch-means half-width "
            "(20 batches; not available for the engine, which reports only the mean of one replication).\n"
        )
        rows = []
        for name, key in (("engine (`sim.run`)", "engine"), ("hand-written SimPy", "handwritten"), ("Ciw", "ciw")):
            r = p.get(key)
            if r is None:
                continue
            if "wall_s" not in r:
                rows.append([name] + [r.get("skipped") or r.get("error", "")] + [""] * 7)
                continue
            sojourn = f(r["mean_sojourn"], 3) + (f" ± {r['ci95_half']:.3f}" if r.get("ci95_half") else "")
            rows.append(
                [
                    name,
                    f(r["wall_s"]),
                    f(r["customers"]),
                    f(r["customers"] / r["wall_s"], 0),
                    f(r["peak_rss_mb"], 0),
                    f(r["baseline_rss_mb"], 0),
                    sojourn,
                    f(r["mean_sojourn"] - p["jackson"], 3),
                    "1.00" if key == "engine" else f(paired(p["engine"], r)),
                ]
            )
        out.append(
            table(
                [
                    "model",
                    "wall s",
                    "customers",
                    "customers/s",
                    "peak RSS MB",
                    "RSS after imports MB",
                    "mean sojourn (days)",
                    "minus Jackson",
                    "engine time / this",
                ],
                rows,
            )
        )
        out.append(
            _all_runs([("engine", p.get("engine")), ("hand-written", p.get("handwritten")), ("Ciw", p.get("ciw"))])
        )
    if "part2" in res:
        p = res["part2"]
        out.append("\n### 2. Calendar cost: the engine network on the CN working calendar vs 24/7\n")
        rows = []
        labels = {
            "24/7": "24/7 (scenario as shipped)",
            "office": "CN calendar, 09:00-17:00, services in calendar days",
            "office-workday": "CN calendar, 09:00-17:00, services in working days (informative)",
        }
        for cal in ("24/7", "office", "office-workday"):
            r = p[cal]
            if "wall_s" not in r:
                rows.append([labels[cal], r.get("error", ""), "", "", "", ""])
                continue
            rows.append(
                [
                    labels[cal],
                    f(r["wall_s"]),
                    f(r["customers"]),
                    f(r["us_per_customer"], 1),
                    f(r["peak_rss_mb"], 0),
                    f(paired(r, p["24/7"], per_customer=True)),
                ]
            )
        out.append(table(["calendar", "wall s", "customers", "µs/customer", "peak RSS MB", "ratio to 24/7"], rows))
        out.append(_all_runs([(c, p.get(c)) for c in ("24/7", "office", "office-workday")]))
    if "part3" in res:
        p = res["part3"]
        out.append(f"\n### 3. Replications: `{LANZHOU}`, serial vs `jobs=2`\n")
        rows = []
        for name, r in (("serial (jobs=1)", p["serial"]), ("jobs=2", p["jobs2"])):
            if "wall_s" not in r:
                rows.append([name, r.get("error", ""), "", "", ""])
                continue
            rows.append([name, f(r["replications"]), f(r["wall_s"]), f(r["reps_per_s"], 1), r["summary_sha256"][:12]])
        out.append(table(["run", "replications", "wall s", "replications/s", "summary.json sha256"], rows))
        out.append(_all_runs([("serial", p.get("serial")), ("jobs=2", p.get("jobs2"))]))
        out.append(f"\nSpeedup {f(p['speedup'])}; summaries identical: **{'yes' if p['identical'] else 'NO'}**.")
    if "part4" in res:
        p = res["part4"]
        out.append("\n### 4. Memory: peak RSS of the command line\n")
        rows = []
        for r in (p["small"], p["large"]):
            if "peak_rss_mb" not in r:
                rows.append([r.get("error", ""), "", "", "", ""])
                continue
            rows.append(
                [
                    f"`python {r['command']}`",
                    f(r["replications"]),
                    f(r["wall_s"], 1),
                    f(r["peak_rss_mb"], 1),
                    f(r["output_mb"], 1),
                ]
            )
        out.append(table(["command", "replications", "wall s", "peak RSS MB", "output MB"], rows))
        out.append(f"\nRatio {f(p['memory_ratio'])}.")
    if "part5" in res:
        p = res["part5"]
        out.append(f"\n### 5. Scale: `{p['scenario']}` with k x the arrivals, staff, agents and sitting capacity\n")
        rows = []
        for r in p["runs"]:
            if "wall_s" not in r:
                rows.append([r.get("error", "")] + [""] * 6)
                continue
            rows.append(
                [
                    f"{r['factor']:g}x",
                    f(r["replications"]),
                    f(r["projects"]),
                    f(r["wall_s"]),
                    f(r["per_project_ms"], 3),
                    f(r["relative"]),
                    f(r["peak_rss_mb"], 0),
                ]
            )
        out.append(
            table(
                ["arrivals", "replications", "projects", "wall s", "ms/project", "relative to base", "peak RSS MB"],
                rows,
            )
        )
    if "part6" in res:
        import chain_part

        out += chain_part.render(res["part6"], f, table)
    if "part7" in res:
        import notebook_part

        out += notebook_part.render(res["part7"], f, table)
    if "profile" in res and "top" in res["profile"]:
        p = res["profile"]
        out.append(
            f"\n### cProfile of the engine, rework network, 20,000 customers (top 10 by own time; "
            f"{p['profiled_total_s']:.1f} s profiled)\n"
        )
        rows = [
            [
                str(i + 1),
                f"`{t['function']}`",
                f(t["ncalls"]),
                f(t["tottime_s"]),
                f(100 * t["share"], 1),
                f(t["cumtime_s"]),
            ]
            for i, t in enumerate(p["top"][:10])
        ]
        out.append(table(["#", "function", "calls", "own s", "own %", "cumulative s"], rows))
    out.append("\n### Goals\n")
    out.append(
        table(["goal", "measured", "status"], [[g["text"], f(g["value"]), f"**{g['status']}**"] for g in res["goals"]])
    )
    head = [
        f"# Benchmark results{' (--quick)' if res['quick'] else ''}\n",
        f"- command: `{mach['command']}` (seed {res['seed']})",
        f"- date: {mach['date']}, commit {mach['commit']}",
        f"- machine: {mach['platform']}; CPU {mach['cpu']}; {mach['cores']} cores ({mach['usable_cores']} usable)",
        f"- Python {mach['python']}; " + ", ".join(f"{k} {v or 'not installed'}" for k, v in mach["packages"].items()),
        f"- every measurement ran in a fresh process; the timed ones (parts 1-3 and 6) {res.get('repeat', 1)} "
        "times each, taking turns (a turn runs each once, back to back); the tables show the run with the median "
        "wall time (part 6: CPU time), "
        "and every ratio is the median over turns of the ratio within a turn, so that a slow phase of the "
        "machine, which slows a whole turn, cancels (all wall times and the ratios of the medians are in "
        "results.json); part 7 takes its turns in one warm process and shows medians\n",
    ]
    return "\n".join(head + out) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (about a minute or two)")
    ap.add_argument("--profile", action="store_true", help="also cProfile the engine (writes profile.txt)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="turns of the timed measurements (parts 1-3, 6 and 7); the run with the median wall time (part 6: CPU "
        "time) is shown and ratios are medians of the ratios within a turn (default 3)",
    )
    ap.add_argument("--parts", default="1,2,3,4,5,6,7", help="comma-separated subset of 1-7 (default: all)")
    ap.add_argument("--out", default=str(HERE), help="folder for results.md and results.json (default: benchmarks/)")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "JSON"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv[1:])
    if a.worker:
        os.chdir(ROOT)
        try:
            out = worker(a.worker[0], json.loads(a.worker[1]))
        except Exception:
            traceback.print_exc()
            return 1
        print("RESULT " + json.dumps(out))
        return 0
    parts = {int(x) for x in a.parts.split(",") if x.strip()}
    mach = machine(argv)
    outdir = Path(a.out)
    outdir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    res = benchmark(a.quick, a.seed, parts, a.profile, outdir, max(1, a.repeat))
    res["total_s"] = time.perf_counter() - t
    res["machine"] = mach
    text = render(res, mach)
    print(text)
    (outdir / "results.md").write_text(text, encoding="utf-8")
    (outdir / "results.json").write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    log(f"done in {res['total_s']:.0f} s; wrote {outdir / 'results.md'} and {outdir / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
