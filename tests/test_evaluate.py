"""``evaluate``: a scenario against an event log, like with like.

The metrics are checked on a log written here, against durations, quantiles, shares, rework and months
counted by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.eventlog.metrics import case_table, log_metrics
from sim.eventlog.rounds import round_numbers, stage_rounds
from sim.eventlog.stages import StageMap

from helpers.logs import write_csv

# -- metrics on a hand-made log ---------------------------------------------------------------------------

HEADER = ("case", "activity", "start", "end")
# stages by prefix:1 (reg, rev, pub); times at +08:00 except case D (dates alone: the clock as written)
ROWS = [
    ("A", "reg_intake", "", "2024-01-30 09:00+08:00"),
    ("A", "rev_check", "", "2024-02-01 09:00+08:00"),
    ("A", "rev_decide", "", "2024-02-03 09:00+08:00"),
    ("A", "rev_check", "", "2024-02-05 09:00+08:00"),  # rev_check again: a second round of rev
    ("A", "rev_decide", "", "2024-02-09 21:00+08:00"),
    ("B", "reg_intake", "", "2024-02-01 07:00+08:00"),  # 2024-01-31 23:00 UTC: a February case on its clock
    ("B", "rev_check", "", "2024-02-03 07:00+08:00"),
    ("B", "rev_decide", "", "2024-02-06 07:00+08:00"),
    ("B", "pub_notice", "", "2024-03-02 07:00+08:00"),
    ("C", "reg_intake", "2024-02-10 08:00+08:00", "2024-02-10 10:00+08:00"),  # with a start time
    ("C", "rev_check", "", "2024-02-12 08:00+08:00"),
    ("D", "reg_intake", "", "2024-03-01"),
    ("D", "rev_check", "", "2024-03-02"),
    ("D", "rev_check", "", "2024-03-08"),  # again: rework
]
# by hand: A 2024-01-30 09:00 -> 02-09 21:00 = 10.5 days; B 02-01 07:00 -> 03-02 07:00 = 30 days (2024 is a
# leap year); C 02-10 08:00 (its start) -> 02-12 08:00 = 2 days; D 03-01 -> 03-08 = 7 days
DURATIONS = {"A": 10.5, "B": 30.0, "C": 2.0, "D": 7.0}


@pytest.fixture
def tiny(tmp_path: Path) -> sim.EventLog:
    return sim.read_log(write_csv(tmp_path / "tiny.csv", HEADER, ROWS))


def test_rounds_start_where_an_activity_recurs():
    assert round_numbers(["prepare", "queue", "review", "rework", "queue", "review", "lag"]) == [0, 0, 0, 0, 1, 1, 1]
    assert round_numbers(["a", "a", "a"]) == [0, 1, 2]
    assert round_numbers([]) == []
    # two cases, stages 0 and 1 interleaved, -1 in no stage; case 1 starts afresh
    case = np.array([0, 0, 0, 0, 0, 1, 1])
    stage = np.array([0, 1, 0, -1, 1, 0, 0])
    activity = np.array([5, 5, 5, 7, 6, 5, 6])
    assert stage_rounds(case, stage, activity).tolist() == [0, 0, 1, -1, 0, 0, 0]


def test_metrics_of_a_hand_made_log(tiny):
    table = case_table(tiny, StageMap.parse("prefix:1"))
    assert dict(zip(table.ids, table.durations().tolist())) == pytest.approx(DURATIONS)
    m = log_metrics(table, ["2024-01", "2024-02", "2024-03", "2024-04"])
    d = m["case_duration_days"]
    # sorted 2, 7, 10.5, 30; linear quantiles at positions 0.3, 1.5 and 2.7
    assert d == pytest.approx({"n": 4, "mean": 49.5 / 4, "p10": 3.5, "p50": 8.75, "p90": 24.15})
    stages = m["stages"]
    assert list(stages) == ["reg", "rev", "pub"]
    # reg: ends with the case's first event, except C's (2 h after its start): 0, 0, 0, 1/12
    assert stages["reg"] == pytest.approx(
        {"cases": 4, "share": 1.0, "rework_share": 0.0, "to_end_p50": 0.0, "to_end_p90": 0.7 / 12}
    )
    # rev: reworked in A and D; ends 10.5 (A), 5 (B), 2 (C), 7 (D) days after the case's start
    assert stages["rev"] == pytest.approx(
        {"cases": 4, "share": 1.0, "rework_share": 0.5, "to_end_p50": 6.0, "to_end_p90": 7 + 0.7 * 3.5}
    )
    assert stages["pub"] == pytest.approx(
        {"cases": 1, "share": 0.25, "rework_share": 0.0, "to_end_p50": 30.0, "to_end_p90": 30.0}
    )
    assert m["started_per_month"] == {"2024-01": 1, "2024-02": 2, "2024-03": 1, "2024-04": 0}
    assert m["ended_per_month"] == {"2024-01": 0, "2024-02": 2, "2024-03": 2, "2024-04": 0}


def test_metrics_leave_out_what_completes_after_the_observation_end(tiny):
    until = (dt.datetime(2024, 3, 5) - dt.datetime(1970, 1, 1)).total_seconds()  # 03-05 00:00 on the clock
    table = case_table(tiny, StageMap.parse("prefix:1"), until)
    # D loses its second rev_check (03-08): 1 day long, no rework; B's pub_notice (03-02) stays
    assert dict(zip(table.ids, table.durations().tolist())) == pytest.approx({**DURATIONS, "D": 1.0})
    assert log_metrics(table)["stages"]["rev"]["rework_share"] == pytest.approx(0.25)
    # 02-04 00:00: A and B only, A to its rev_decide of 02-03 (4 days), B to its rev_check of 02-03 (2 days)
    early = case_table(tiny, StageMap.parse("prefix:1"), until - 30 * 86400)
    assert dict(zip(early.ids, early.durations().tolist())) == pytest.approx({"A": 4.0, "B": 2.0})
