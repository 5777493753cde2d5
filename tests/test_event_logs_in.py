"""Reading event logs: ``sim.read_log`` and ``approval-sim log`` on small synthetic CSV and XES logs.

The expected values are counted by hand from the logs written here: column guessing (pm4py's, Simod's and
approval-sim's own names), time zones (offsets kept or converted, date-only events), unsorted rows,
start/complete pairing, and bad logs, each named with its file, line or trace, what was wrong and what is
allowed (exit status 2 from the command line).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

import sim

from helpers.cli import run_cli
from helpers.logs import synthetic_csv, write_csv, xes_text

AMS_WINTER = dt.timezone(dt.timedelta(hours=1))
AMS_SUMMER = dt.timezone(dt.timedelta(hours=2))

#: BPIC15's shape: offsets one hour east of Amsterdam time, date-only events at 01:00, rows not time-sorted
BPIC_HEADER = ("case:concept:name", "concept:name", "org:resource", "start_timestamp", "time:timestamp", "case:channel")
BPIC_ROWS = [
    ("A", "02_DRZ_010", "560872", "", "2012-03-06 14:10:00+02:00", "Internet"),
    ("A", "01_HOOFD_010", "560872", "", "2012-03-05 01:00:00+02:00", "Internet"),  # date-only: 00:00 Amsterdam
    ("A", "01_HOOFD_020", "560890", "", "2012-03-05 10:30:00+02:00", "Internet"),
    ("B", "01_HOOFD_010", "560872", "", "2012-07-02 01:00:00+03:00", "Desk"),  # summer: still 00:00 Amsterdam
    ("B", "05_EIND_010", "", "", "2012-07-20 16:00:00+03:00", "Desk"),
]


@pytest.fixture
def bpic(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "bpic.csv.gz", BPIC_HEADER, BPIC_ROWS)


def test_bpic_like_csv_in_amsterdam_time(bpic):
    log = sim.read_log(bpic, zone="Europe/Amsterdam")
    assert isinstance(log, sim.EventLog) and log.format == "csv" and log.zone == "Europe/Amsterdam"
    assert log.columns == {
        "case": "case:concept:name", "activity": "concept:name", "time": "time:timestamp",
        "start": "start_timestamp", "resource": "org:resource",
    }  # fmt: skip
    rows = list(log.rows())
    assert [(r["case"], r["activity"]) for r in rows] == [
        ("A", "01_HOOFD_010"),
        ("A", "01_HOOFD_020"),
        ("A", "02_DRZ_010"),
        ("B", "01_HOOFD_010"),
        ("B", "05_EIND_010"),
    ]  # fmt: skip  (sorted by time within each case)
    assert [r["end"] for r in rows] == [
        dt.datetime(2012, 3, 5, 0, 0, tzinfo=AMS_WINTER),
        dt.datetime(2012, 3, 5, 9, 30, tzinfo=AMS_WINTER),
        dt.datetime(2012, 3, 6, 13, 10, tzinfo=AMS_WINTER),
        dt.datetime(2012, 7, 2, 0, 0, tzinfo=AMS_SUMMER),
        dt.datetime(2012, 7, 20, 15, 0, tzinfo=AMS_SUMMER),
    ]
    assert [r["date_only"] for r in rows] == [True, False, False, True, False]
    assert all(r["start"] is None for r in rows) and rows[4]["resource"] is None
    assert log.case_attributes == {"A": {"channel": "Internet"}, "B": {"channel": "Desk"}}


def test_without_a_zone_each_timestamp_keeps_its_offset(bpic):
    rows = list(sim.read_log(bpic).rows())
    assert rows[0]["end"] == dt.datetime(2012, 3, 5, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert rows[0]["end"].utcoffset() == dt.timedelta(hours=2) and not rows[0]["date_only"]
    assert rows[3]["end"].utcoffset() == dt.timedelta(hours=3)


def test_simod_names_with_start_times_and_a_semicolon(tmp_path):
    path = write_csv(
        tmp_path / "simod.csv",
        ("case_id", "activity", "resource", "start_time", "end_time"),
        [
            (7, "Review", "ann", "2024-03-04T09:00:00.000+08:00", "2024-03-04T11:30:00.000+08:00"),
            (7, "Decide", "bob", "2024-03-05", "2024-03-06"),
        ],
        delimiter=";",
    )
    log = sim.read_log(path)
    assert log.columns["case"] == "case_id" and log.columns["start"] == "start_time"
    first, second = log.rows()
    assert first["start"] == dt.datetime(2024, 3, 4, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert first["end"] - first["start"] == dt.timedelta(hours=2, minutes=30)
    assert second["date_only"] and second["start"] == dt.datetime(2024, 3, 5, tzinfo=dt.UTC)


def test_columns_named_by_the_user(tmp_path):
    path = write_csv(tmp_path / "own.csv", ("Dossier", "Stap", "Klaar"), [("d1", "intake", "2024-01-02 10:00")])
    with pytest.raises(sim.LogError, match="no case column"):
        sim.read_log(path)
    log = sim.read_log(path, case="Dossier", activity="Stap", time="Klaar", zone="Asia/Shanghai")
    (row,) = log.rows()
    assert row["case"] == "d1" and row["end"] == dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_runs_own_event_logs_read_back(tmp_path):
    out = tmp_path / "run"
    r = run_cli(
        "run", "tests/data/valid_small.toml", "-n", 2, "--seed", 3, "-q", "-o", out, "--events-format", "csv,xes"
    )
    assert r.returncode == 0, r.stderr
    from_csv = sim.read_log(out / "events.csv", zone="Asia/Shanghai")
    from_xes = sim.read_log(out / "events.xes")
    assert from_xes.events_read == 2 * len(from_xes) and from_xes.unmatched_starts == 0
    assert from_csv.events_read == len(from_csv) == len(from_xes)

    def key(row: dict) -> tuple:
        return row["case"], row["activity"], row["start"].strftime("%F %H:%M"), row["end"].strftime("%F %H:%M")

    assert sorted(map(key, from_csv.rows())) == sorted(map(key, from_xes.rows()))
    assert {row["end"].utcoffset() for row in from_xes.rows()} == {dt.timedelta(hours=8)}


# -- XES -------------------------------------------------------------------------------------------------

HEADER = """
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<global scope="event"><string key="concept:name" value="__INVALID__"/></global>
<string key="meta_info"><string key="nested" value="not an attribute of any trace"/></string>
"""


def test_xes_pairs_starts_and_completes_and_skips_nested_attributes(tmp_path):
    text = xes_text(
        [
            (
                {"concept:name": "c1", "channel": "Internet"},
                [
                    {
                        "concept:name": "review",
                        "lifecycle:transition": "start",
                        "time:timestamp": "2024-03-04T09:00:00+08:00",
                        "concept:instance": "1",
                    },  # noqa: E501
                    {
                        "concept:name": "review",
                        "lifecycle:transition": "start",
                        "time:timestamp": "2024-03-04T10:00:00+08:00",
                        "concept:instance": "2",
                    },  # noqa: E501
                    {
                        "concept:name": "review",
                        "lifecycle:transition": "complete",
                        "time:timestamp": "2024-03-04T12:00:00+08:00",
                        "concept:instance": "2",
                        "org:group": "planning",
                    },  # noqa: E501
                    {
                        "concept:name": "review",
                        "lifecycle:transition": "complete",
                        "time:timestamp": "2024-03-04T15:00:00+08:00",
                        "concept:instance": "1",
                        "org:resource": "ann",
                    },  # noqa: E501
                    {
                        "concept:name": "decide",
                        "lifecycle:transition": "schedule",
                        "time:timestamp": "2024-03-05T08:00:00+08:00",
                    },  # noqa: E501
                    {
                        "concept:name": "decide",
                        "lifecycle:transition": "start",
                        "time:timestamp": "2024-03-05T09:00:00+08:00",
                    },  # noqa: E501
                    {"concept:name": "decide", "time:timestamp": "2024-03-05T09:30:00+08:00"},
                    {
                        "concept:name": "notify",
                        "lifecycle:transition": "start",
                        "time:timestamp": "2024-03-05T10:00:00+08:00",
                    },  # noqa: E501
                ],
            ),
            ({"concept:name": "c2"}, [{"concept:name": "intake", "time:timestamp": "2024-03-01T00:00:00.000+08:00"}]),
        ],
        header=HEADER,
    )
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(text.encode()))
    log = sim.read_log(path, zone="Asia/Shanghai")
    rows = list(log.rows())
    summary = [
        (r["case"], r["activity"], r["start"] and r["start"].hour, r["end"].hour, r["resource"], r["group"])
        for r in rows
    ]
    assert summary == [
        ("c1", "review", 10, 12, None, "planning"),  # paired by concept:instance, not first in first out
        ("c1", "review", 9, 15, "ann", None),
        ("c1", "decide", 9, 9, None, None),  # no transition: a completion, paired with the start
        ("c2", "intake", None, 0, None, None),
    ]
    assert rows[3]["date_only"] and not rows[0]["date_only"]
    assert log.events_read == 9 and log.unmatched_starts == 1 and log.other_transitions == 1
    assert log.case_attributes == {"c1": {"channel": "Internet"}}


# -- bad logs --------------------------------------------------------------------------------------------


def _bad_csv(tmp_path: Path, header: tuple, rows: list) -> Path:
    return write_csv(tmp_path / "bad.csv", header, rows)


BAD = {
    "missing_time_column": (
        lambda t: _bad_csv(t, ("case", "activity", "when"), [("a", "x", "2024-01-01")]),
        "line 1",
        "no time column: name it with --time COLUMN",
    ),
    "unparseable_timestamp": (
        lambda t: _bad_csv(t, BPIC_HEADER[:5], [("a", "x", "r", "", "2024-01-01"), ("a", "y", "r", "", "01/02/2024")]),
        "line 3",
        "time:timestamp '01/02/2024' is not a timestamp: allowed are ISO 8601",
    ),
    "start_after_end": (
        lambda t: _bad_csv(
            t, ("case_id", "activity", "start_time", "end_time"), [("a", "x", "2024-01-02", "2024-01-01")]
        ),  # noqa: E501
        "line 2",
        "an activity cannot end before it starts",
    ),
    "header_only": (lambda t: _bad_csv(t, BPIC_HEADER, []), "bad.csv", "the log has no events"),
    "empty_file": (lambda t: _write(t / "bad.csv", ""), "line 1", "the file is empty"),
    "empty_case": (
        lambda t: _bad_csv(t, BPIC_HEADER[:5], [("", "x", "r", "", "2024-01-01")]),
        "line 2",
        "empty case:concept:name: every event needs its case and activity",
    ),
    "trace_without_events": (
        lambda t: _write(t / "bad.xes", xes_text([({"concept:name": "c9"}, [])])),
        "trace 1 (case c9)",
        "no events: every case needs at least one",
    ),
    "event_without_time": (
        lambda t: _write(t / "bad.xes", xes_text([({"concept:name": "c1"}, [{"concept:name": "x"}])])),
        "trace 1 (case c1), event 1",
        "no time:timestamp: allowed are ISO 8601",
    ),
    "trace_without_id": (
        lambda t: _write(t / "bad.xes", xes_text([({}, [{"concept:name": "x", "time:timestamp": "2024-01-01"}])])),
        "trace 1",
        "no concept:name: every trace needs its case id",
    ),
    "not_xml": (
        lambda t: _write(t / "bad.xes", '<log xmlns="http://www.xes-standard.org/"><trace></log>'),
        "line 1, column",
        "not well-formed XML",
    ),
    "not_xes": (lambda t: _write(t / "bad.xes", "<html></html>"), "line 1", "not an XES log"),
    "missing_file": (lambda t: t / "nowhere.csv", "nowhere.csv", "cannot open the log"),
    "truncated_gzip": (
        lambda t: _write_bytes(t / "bad.xes.gz", gzip.compress(xes_text([]).encode())[:-12]),
        "bad.xes.gz",
        "a damaged or truncated file",
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_log_names_file_place_and_problem(tmp_path, case):
    make, where, message = BAD[case]
    path = make(tmp_path)
    with pytest.raises(sim.LogError) as err:
        sim.read_log(path)
    text = str(err.value)
    assert str(path) in text and where in text and message in text, text


def test_a_bad_zone_and_column_options_on_xes(tmp_path, bpic):
    with pytest.raises(sim.LogError, match="unknown time zone 'Europe/Amsterdan'"):
        sim.read_log(bpic, zone="Europe/Amsterdan")
    xes = _write(
        tmp_path / "ok.xes",
        xes_text([({"concept:name": "c"}, [{"concept:name": "x", "time:timestamp": "2024-01-01"}])]),
    )  # noqa: E501
    with pytest.raises(sim.LogError, match="--case: column names are for CSV logs"):
        sim.read_log(xes, case="id")


def test_bad_logs_exit_2_from_the_command_line(tmp_path):
    for case in ("unparseable_timestamp", "trace_without_events", "missing_file"):
        path = BAD[case][0](tmp_path)
        r = run_cli("log", path)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith(f"error: {path}") and BAD[case][2] in r.stderr
    r = run_cli("log", path, "--zone", "Mars/Base")
    assert r.returncode == 2 and "unknown time zone" in r.stderr


# -- the log command -------------------------------------------------------------------------------------


def test_log_command_prints_and_writes_the_profile(tmp_path, bpic):
    out = tmp_path / "profile"
    r = run_cli("log", bpic, "--zone", "Europe/Amsterdam", "-o", out)
    assert r.returncode == 0, r.stderr
    for text in ("cases            2", "date-only        40.0%", "2012-03       1", "01_HOOFD_010  "):
        assert text in r.stdout, r.stdout
    facts = json.loads((out / "log.json").read_text(encoding="utf-8"))
    assert facts["cases"] == 2 and facts["events"] == facts["events_read"] == 5
    assert facts["activities"] == 4 and facts["resources"] == 2 and facts["groups"] == 0
    assert facts["events_without_resource"] == 1 and facts["date_only_share"] == 0.4
    assert facts["first_event"] == "2012-03-05T00:00:00+01:00" and facts["last_event"] == "2012-07-20T15:00:00+02:00"
    # events per case 3 and 2; durations 1 day 13:10 and 18 days 15:00 (numpy's linear percentiles)
    assert facts["events_per_case"] == {"p10": 2.1, "p50": 2.5, "p90": 2.9}
    a, b = 1 + 13 / 24 + 10 / 1440, 18 + 15 / 24
    assert facts["case_duration_days"]["p50"] == pytest.approx((a + b) / 2, abs=1e-3)
    assert facts["cases_started_per_month"] == {"2012-03": 1, "2012-07": 1}
    assert facts["case_attributes"] == ["channel"]
    r = run_cli("log", bpic, "-o", out)
    assert r.returncode == 2 and "--force" in r.stderr  # the folder exists: not replaced without --force


def test_reading_memory_stays_flat(tmp_path):
    """Memory per event does not grow with the log (benchmarks/test_eventlog_memory.py reads a million)."""
    per_event = []
    for n in (10_000, 40_000):
        path = synthetic_csv(tmp_path / f"log{n}.csv", n)
        tracemalloc.start()
        try:
            log = sim.read_log(path, zone="Europe/Amsterdam")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(log) == n
        per_event.append(peak / n)
    assert per_event[1] <= 1.1 * per_event[0], per_event
    assert per_event[1] < 250, f"{per_event[1]:.0f} bytes per event: a million would not fit in 500 MB"
