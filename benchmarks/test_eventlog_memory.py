"""Reading a million events in under 500 MB: ``pytest benchmarks/test_eventlog_memory.py`` (about a minute).

Not part of the default suite (``tests/test_event_logs_in.py`` checks there that memory per event stays flat
on small logs).  Writes a synthetic BPIC-like log of 1,000,000 events as CSV and as gzipped XES (start and
complete events) into a temporary folder, reads each with ``sim.read_log`` in a fresh Python process and
takes that process's peak resident memory (``ru_maxrss``): interpreter, numpy and the log together.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers.logs import synthetic_csv, synthetic_rows  # noqa: E402

N_EVENTS = 1_000_000
LIMIT_MB = 500

READ = """
import json, resource, sys, time
import sim
t = time.perf_counter()
log = sim.read_log(sys.argv[1], zone="Europe/Amsterdam")
wall = time.perf_counter() - t
print(json.dumps({"events_read": log.events_read, "instances": len(log), "cases": log.n_cases, "wall_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def synthetic_xes(path: Path, n_events: int) -> Path:
    """The rows of ``synthetic_rows`` as a gzipped XES log: each row an activity with a start a minute before
    its completion (so ``n_events`` events make ``n_events / 2`` activities)."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849.2016" xmlns="http://www.xes-standard.org/">\n'
        )
        case = None
        for row in synthetic_rows(n_events // 2):
            if row[0] != case:
                if case is not None:
                    f.write("</trace>\n")
                case = row[0]
                f.write(f'<trace><string key="concept:name" value="{case}"/>\n')
            end = row[4]
            start = end[:14] + ("59" if end[14:16] == "00" else f"{int(end[14:16]) - 1:02d}") + end[16:]
            for transition, when in (("start", start), ("complete", end)):
                f.write(
                    f'<event><string key="concept:name" value="{row[1]}"/><string key="org:resource" value="{row[2]}"/>'
                    f'<string key="lifecycle:transition" value="{transition}"/>'
                    f'<date key="time:timestamp" value="{when}"/></event>\n'
                )
        f.write("</trace>\n</log>\n")
    return path


@pytest.mark.parametrize("fmt", ["csv", "xes.gz"])
def test_a_million_events_in_under_500_mb(tmp_path, fmt):
    path = tmp_path / f"million.{fmt}"
    if fmt == "csv":
        synthetic_csv(path, N_EVENTS)
    else:
        synthetic_xes(path, N_EVENTS)
    r = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    facts = json.loads(r.stdout)
    print(f"\n{fmt}: {facts}")
    assert facts["events_read"] == N_EVENTS
    assert facts["peak_mb"] < LIMIT_MB, f"{facts['peak_mb']:.0f} MB to read {N_EVENTS:,} events"
