"""CPU instructions per customer of the engine, hand-written SimPy and Ciw on the rework network.

Each model runs in a fresh interpreter under valgrind's callgrind (``--callgrind-out-file=/dev/null``)
at two sizes, and the instructions per customer are (Ir_large - Ir_small) / (n_large - n_small): the
difference cancels interpreter start-up, imports and scenario loading. Why: wall times on a shared
2-core VM vary by about 10 % run to run, more than some goals' margins, whereas callgrind's instruction
count is deterministic for a given seed (see CHILD_ENV for what that takes). The caveat: instructions are a
proxy; they ignore cache misses, branch mispredictions and memory stalls, so the wall-time ratios
of run.py remain the goals' measure and this is a tie-breaker and a diagnostic.

    python benchmarks/instructions.py     # about 3 minutes (callgrind slows Python ~50x; Ciw takes half)
    python benchmarks/instructions.py --models engine --calendars 24/7,office,office-workday --out /tmp/ir

Writes instructions.json (machine, command, versions, every raw Ir count) to --out (default benchmarks/)
and prints a markdown table. Its last column divides by the customers that actually arrived (each model's
``customers``) instead of n: Poisson arrival counts differ from n by a few per cent at these sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODULES = {"engine": "engine_model", "handwritten": "handwritten_simpy", "ciw": "ciw_model"}
LABELS = {"engine": "engine (`sim.run`)", "handwritten": "hand-written SimPy", "ciw": "Ciw"}
#: fixed str hashes; one BLAS thread (OpenBLAS's spinning worker threads made ``import numpy`` alone vary
#: by tens of millions of instructions from run to run); no .pyc written, so that a module edited since
#: its last compile costs its compilation in both runs, not just in the first one
CHILD_ENV = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
COLLECTED = re.compile(r"^==\d+== Collected : (\d+)\s*$", re.M)


def child_code(model: str, n: int, seed: int, calendar: str | None) -> str:
    """Python source for the child: import the model from benchmarks/ and run it once."""
    args = f"{n}, {seed}" + (f", calendar={calendar!r}" if calendar else "")
    return (
        f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import {MODULES[model]} as m; "
        f"print('RESULT ' + json.dumps(m.run({args}), default=str))"
    )


def callgrind(model: str, n: int, seed: int, calendar: str | None) -> dict:
    """One run under callgrind: {"ir", "result"} (the model's own dict), or {"error"}."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-c",
        child_code(model, n, seed, calendar),
    ]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **CHILD_ENV})
    found = COLLECTED.search(p.stderr)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    if p.returncode != 0 or not found or not lines:
        return {"error": f"exit {p.returncode}: " + " | ".join(p.stderr.strip().splitlines()[-3:])}
    return {"ir": int(found.group(1)), "result": json.loads(lines[-1][len("RESULT ") :])}


def measure(model: str, calendar: str | None, small: int, large: int, seed: int) -> dict:
    """Both sizes of one model and the instructions per customer (or why there are none)."""
    row: dict = {"model": model, "calendar": calendar, "small": {"n": small}, "large": {"n": large}}
    for size, n in (("small", small), ("large", large)):
        print(f"  {model} {calendar or ''} n={n} ...", file=sys.stderr, flush=True)
        run = row[size]
        run.update(callgrind(model, n, seed, calendar))
        if "error" in run:
            row["error"] = run["error"]
            return row
        if "skipped" in run["result"]:
            row["skipped"] = run["result"]["skipped"]
            return row
    row["per_customer"] = (row["large"]["ir"] - row["small"]["ir"]) / (large - small)
    arrived = row["large"]["result"].get("customers", 0) - row["small"]["result"].get("customers", 0)
    row["per_arrived_customer"] = (row["large"]["ir"] - row["small"]["ir"]) / arrived if arrived > 0 else None
    return row


def machine(argv: list[str]) -> dict:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    versions = {}
    for pkg in ("simpy", "numpy", "ciw"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    commit = run("git", "rev-parse", "--short", "HEAD")
    if commit and run("git", "status", "--porcelain", "--", "sim"):
        commit += " (sim/ modified)"
    return {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "packages": versions,
        "valgrind": run("valgrind", "--version"),
        "commit": commit,
        "command": "python " + " ".join(shlex.quote(a) for a in argv),
    }


def render(rows: list[dict]) -> str:
    def per(model: str) -> float | None:
        return next((r.get("per_customer") for r in rows if r["model"] == model), None)

    hand, ciw = per("handwritten"), per("ciw")
    out = [
        "| model | calendar | instructions per customer | / hand-written SimPy | engine / Ciw | per customer arrived |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        x = r.get("per_customer")
        if x is None:
            why = f"skipped: {r['skipped']}" if "skipped" in r else f"error: {r.get('error')}"
            out.append(f"| {LABELS[r['model']]} | {r['calendar'] or ''} | {why} | | | |")
            continue
        vs_hand = f"{x / hand:.3f}" if hand else "–"
        vs_ciw = (f"{x / ciw:.3f}" if ciw else "–") if r["model"] == "engine" else ""
        arr = f"{r['per_arrived_customer']:,.0f}" if r.get("per_arrived_customer") else "–"
        out.append(f"| {LABELS[r['model']]} | {r['calendar'] or ''} | {x:,.0f} | {vs_hand} | {vs_ciw} | {arr} |")
    return "\n".join(out)


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=1000, help="customers of the small run (default 1000)")
    ap.add_argument("--large", type=int, default=6000, help="customers of the large run (default 6000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--models", default="engine,handwritten,ciw", help="comma list of engine,handwritten,ciw")
    ap.add_argument("--calendars", default="24/7", help="comma list of engine calendars: 24/7,office,office-workday")
    ap.add_argument("--out", default=str(HERE), help="folder for instructions.json (default: benchmarks/)")
    a = ap.parse_args(argv[1:])
    models = [m.strip() for m in a.models.split(",") if m.strip()]
    calendars = [c.strip() for c in a.calendars.split(",") if c.strip()]
    if bad := [m for m in models if m not in MODULES]:
        ap.error(f"unknown model(s) {bad}; choose among {','.join(MODULES)}")
    if bad := [c for c in calendars if c not in ("24/7", "office", "office-workday")]:
        ap.error(f"unknown calendar(s) {bad}; choose among 24/7,office,office-workday")
    if not 0 < a.small < a.large:
        ap.error("need 0 < --small < --large")
    if shutil.which("valgrind") is None:
        print(
            "instructions.py: valgrind not found on PATH (apt-get install valgrind); nothing measured", file=sys.stderr
        )
        return 2
    plan = [(m, c) for m in models for c in (calendars if m == "engine" else [None])]
    rows = [measure(m, c, a.small, a.large, a.seed) for m, c in plan]
    table = render(rows)
    outdir = Path(a.out)
    outdir.mkdir(parents=True, exist_ok=True)
    res = {"machine": machine(argv), "seed": a.seed, "small": a.small, "large": a.large, "rows": rows, "table": table}
    write_atomic(outdir / "instructions.json", json.dumps(res, indent=2, default=str) + "\n")
    print(table)
    print(f"\nwrote {outdir / 'instructions.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
