"""Time user commands on this work tree against another commit, side by side in one run.

``python benchmarks/versus.py --before REV [--after REV] [--turns 5] [--n 200]``

Checks out ``--before`` (and ``--after``, if given; else the work tree as it is) into temporary
``git worktree`` folders and runs each command once per turn on both trees,
alternating which goes first, each in a fresh ``python -m sim`` process whose ``sim`` package is that tree's
(``PYTHONPATH``).  The ratio of a command is the median over turns of (after / before) within a turn, so
load that drifts during the run cancels out.  Prints a Markdown table; ``--json FILE`` also writes it.

The commands are what users run: a scenario's run, and the README's main job (pre-reform vs reform with
plots, the report and lever attribution).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands(n: int) -> dict[str, list[str]]:
    """The timed commands (``OUT`` is replaced by a fresh output folder)."""
    return {
        f"run scenarios/pre_reform.toml -n {n}": ["run", "scenarios/pre_reform.toml", "-n", str(n), "-q", "-o", "OUT"],
        f"README main job (compare ... -n {n} --jobs 2 --attribute)": [
            "compare",
            "scenarios/pre_reform.toml",
            "scenarios/reform.toml",
            "-n",
            str(n),
            "--seed",
            "1",
            "--jobs",
            "2",
            "--attribute",
            "-q",
            "-o",
            "OUT",
        ],
    }


def timed(tree: Path, args: list[str], scratch: Path) -> float:
    """Wall time of ``python -m sim ARGS`` with ``tree``'s package, run in ``tree``."""
    out = Path(tempfile.mkdtemp(dir=scratch)) / "out"
    argv = [sys.executable, "-m", "sim", *[str(out) if a == "OUT" else a for a in args]]
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="the commit to compare with (e.g. HEAD~3, a hash)")
    ap.add_argument("--after", help="the commit to compare (default: this work tree as it is)")
    ap.add_argument("--turns", type=int, default=5, help="turns; each runs every command on both trees")
    ap.add_argument("--n", type=int, default=200, help="replications of each command")
    ap.add_argument("--json", type=Path, help="also write the table as JSON here")
    a = ap.parse_args(argv)
    before_rev = subprocess.run(
        ["git", "rev-parse", "--short", a.before], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    after_rev = subprocess.run(
        ["git", "rev-parse", "--short", a.after or "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    dirty = not a.after and bool(
        subprocess.run(["git", "status", "--porcelain", "--", "sim"], cwd=ROOT, capture_output=True).stdout
    )
    scratch = Path(tempfile.mkdtemp(prefix="versus-"))
    trees = {"before": (scratch / "before", before_rev)}
    if a.after:
        trees["after"] = (scratch / "after", after_rev)
    for tree, rev in trees.values():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True
        )
    before = trees["before"][0]
    after = trees["after"][0] if a.after else ROOT
    rows = []
    try:
        times: dict[str, dict[str, list[float]]] = {}
        cmds = commands(a.n)
        for turn in range(a.turns):
            for name, args in cmds.items():
                order = [("before", before), ("after", after)]
                if turn % 2:
                    order.reverse()
                for side, tree in order:
                    times.setdefault(name, {}).setdefault(side, []).append(timed(tree, args, scratch))
            print(f"turn {turn + 1}/{a.turns} done", file=sys.stderr)
        for name, t in times.items():
            ratios = [x / y for x, y in zip(t["after"], t["before"])]
            rows.append(
                {
                    "command": name,
                    "before_s": statistics.median(t["before"]),
                    "after_s": statistics.median(t["after"]),
                    "ratio": statistics.median(ratios),
                    "ratios": ratios,
                }
            )
    finally:
        for tree, _rev in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
    head = f"before {before_rev}, after {after_rev}{' (sim/ modified)' if dirty else ''}, {a.turns} turns"
    print(f"{head}\n\n| command | before (s) | after (s) | after / before (median within turns) |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| `{r['command']}` | {r['before_s']:.2f} | {r['after_s']:.2f} | {r['ratio']:.2f} |")
    if a.json:
        a.json.write_text(json.dumps({"header": head, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
