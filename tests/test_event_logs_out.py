"""The event logs a run writes (``run --events-format csv,xes,ocel``), read back by independent readers.

The XES file is read by pm4py (a test-only dependency) and checked against the schema's structure with
``xml.etree``; its counts come from events.csv and its times from stages.csv.  The OCEL 2.0 JSON file is
checked for the structure the standard's JSON schema sets (declared types and attributes, unique ids, every
related object existing) and read with pm4py's OCEL 2.0 importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

import pm4py
import pytest

import sim

from helpers.cli import run_cli

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid_small.toml"
REFORM = Path(__file__).parents[1] / "scenarios" / "reform.toml"
NS = "{http://www.xes-standard.org/}"
XS_DATETIME = re.compile(r"^-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
#: pm4py suggests a faster optional reader of its own
pytestmark = pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("logs")
    outs = {}
    for name, extra in {"one": (), "two": ("--jobs", 2)}.items():
        out = outs[name] = base / name
        r = run_cli("run", VALID, "-n", 3, "--seed", 5, "-q", "-o", out, "--events-format", "csv,xes,ocel", *extra)
        assert r.returncode == 0, r.stderr
    return outs


@pytest.fixture(scope="module")
def xes(logs):
    return pm4py.read_xes(str(logs["one"] / "events.xes"))


# -- XES -------------------------------------------------------------------------------------------------


def test_xes_counts_match_events_csv_and_projects_csv(logs, xes):
    rows = read_csv(logs["one"] / "events.csv")
    assert len(xes) == 2 * len(rows), "each activity gives a start and a complete event"
    assert Counter(xes["lifecycle:transition"]) == {"start": len(rows), "complete": len(rows)}
    assert set(xes["case:concept:name"]) == {r["case"] for r in rows}
    per_activity = Counter(r["activity"] for r in rows)
    assert Counter(xes["concept:name"]) == {a: 2 * n for a, n in per_activity.items()}
    projects = {f"{p['rep']}:{p['project']}": p for p in read_csv(logs["one"] / "projects.csv")}
    cases = xes.drop_duplicates("case:concept:name")
    assert len(cases) <= len(projects)
    for _, case in cases.iterrows():
        p = projects[case["case:concept:name"]]
        assert case["case:class"] == p["class"]
        assert case["case:investment_cny"] == pytest.approx(float(p["investment_cny"]), rel=1e-6)
        assert str(case["case:replication"]) == p["rep"] and case["case:project"] == p["project"]


def test_xes_times_match_stages_csv(logs, xes):
    """A stage visit's last complete event is its issue time; its first start is not before it started."""
    local = xes["time:timestamp"].dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M")
    events = xes.assign(stage=xes["concept:name"].str.split(":").str[0], local=local)
    by_visit = {key: g for key, g in events.groupby(["case:concept:name", "stage"])}
    checked = 0
    for visit in read_csv(logs["one"] / "stages.csv"):
        g = by_visit.pop((f"{visit['rep']}:{visit['project']}", visit["stage"]), None)
        if g is None:
            continue
        assert g[g["lifecycle:transition"] == "start"]["local"].min() >= visit["started"]
        if visit["issued"]:
            assert g[g["lifecycle:transition"] == "complete"]["local"].max() == visit["issued"], visit
            checked += 1
    assert by_visit == {}, "events of a stage visit stages.csv does not have"
    assert checked >= 100


def test_xes_events_are_time_sorted_with_offsets_and_pairs(logs):
    """Read with the standard library: the schema's order and types, every date with its offset."""
    root = ET.parse(logs["one"] / "events.xes").getroot()
    assert root.tag == f"{NS}log"
    float(root.get("xes.version"))  # xs:decimal
    order = {"extension": 0, "global": 1, "classifier": 2, "string": 3, "date": 3, "int": 3, "float": 3}
    order |= {"boolean": 3, "trace": 4}
    seen = [order[child.tag.removeprefix(NS)] for child in root]
    assert seen == sorted(seen), "log children out of the schema's order"
    prefixes = {e.get("prefix"): e.get("uri") for e in root.findall(f"{NS}extension")}
    assert prefixes == {p: f"http://www.xes-standard.org/{p}.xesext" for p in ("concept", "time", "lifecycle", "org")}
    traces = root.findall(f"{NS}trace")
    assert traces
    for trace in traces:
        attrs = {a.get("key"): a for a in trace if a.tag != f"{NS}event"}
        assert {"concept:name", "class", "investment_cny", "replication", "reformed", "project"} <= set(attrs)
        assert attrs["reformed"].tag == f"{NS}boolean" and attrs["reformed"].get("value") in ("true", "false")
        assert attrs["replication"].tag == f"{NS}int" and attrs["investment_cny"].tag == f"{NS}float"
        times, open_instances = [], set()
        for event in trace.findall(f"{NS}event"):
            a = {x.get("key"): x for x in event}
            for key in a:
                assert ":" not in key or key.split(":")[0] in prefixes, f"undeclared extension in {key}"
            stamp = a["time:timestamp"]
            assert stamp.tag == f"{NS}date" and XS_DATETIME.match(stamp.get("value")), stamp.get("value")
            when = dt.datetime.fromisoformat(stamp.get("value"))
            assert when.utcoffset() == dt.timedelta(hours=8)  # the calendar's country: Asia/Shanghai
            times.append(when)
            instance, transition = a["concept:instance"].get("value"), a["lifecycle:transition"].get("value")
            if transition == "start":
                assert instance not in open_instances
                open_instances.add(instance)
            else:
                assert transition == "complete" and instance in open_instances, "complete before its start"
                open_instances.remove(instance)
            if "org:group" in a:
                assert a["org:group"].get("value") in ("bureau", "panel")
        assert open_instances == set() and times == sorted(times)


def test_reformed_follows_the_reform_date(tmp_path):
    out = tmp_path / "out"
    r = run_cli(
        "run", REFORM, "-n", 1, "--seed", 2, "-q", "-o", out, "--events-format", "xes",
        "--set", "scenario.reform_date=2024-07-01",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        ".approval-sim",
        "events.xes",
        "projects.csv",
        "stages.csv",
        "summary.json",
    ]
    signed = {f"0:{p['project']}": p["signed"] for p in read_csv(out / "projects.csv")}
    seen = set()
    for trace in ET.parse(out / "events.xes").getroot().iter(f"{NS}trace"):
        attrs = {a.get("key"): a.get("value") for a in trace if a.tag != f"{NS}event"}
        assert attrs["reformed"] == ("true" if signed[attrs["concept:name"]] >= "2024-07-01" else "false")
        seen.add(attrs["reformed"])
    assert seen == {"true", "false"}


# -- OCEL 2.0 --------------------------------------------------------------------------------------------


def test_ocel_structure_follows_the_schema(logs):
    doc = json.loads((logs["one"] / "events.ocel.json").read_text(encoding="utf-8"))
    assert set(doc) == {"objectTypes", "eventTypes", "objects", "events"}
    types = {"string", "time", "integer", "float", "boolean"}
    object_types = {t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in doc["objectTypes"]}
    event_types = {t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in doc["eventTypes"]}
    for declared in (*object_types.values(), *event_types.values()):
        assert set(declared.values()) <= types
    assert set(object_types) == {"project", "stage_visit", "agency", "party"}
    assert object_types["project"] == {
        "project": "string", "class": "string", "investment_cny": "float", "replication": "integer",
        "reformed": "boolean",
    }  # fmt: skip
    ids = [o["id"] for o in doc["objects"]]
    assert len(ids) == len(set(ids)), "object ids are not unique"
    kinds = dict(zip(ids, (o["type"] for o in doc["objects"])))
    for o in doc["objects"]:
        assert o["type"] in object_types
        for a in o["attributes"]:
            assert a["name"] in object_types[o["type"]] and XS_DATETIME.match(a["time"])
        for rel in o["relationships"]:
            assert rel["objectId"] in kinds and rel["qualifier"] == "part-of"
            assert (o["type"], kinds[rel["objectId"]]) == ("stage_visit", "project")
    event_ids = [e["id"] for e in doc["events"]]
    assert len(event_ids) == len(set(event_ids)), "event ids are not unique"
    per_case = Counter()
    for e in doc["events"]:
        assert e["type"] in event_types and XS_DATETIME.match(e["time"])
        assert {a["name"] for a in e["attributes"]} <= set(event_types[e["type"]])
        qualifiers = defaultdict(list)
        for rel in e["relationships"]:
            assert rel["objectId"] in kinds, f"{e['id']} relates to a missing object {rel['objectId']}"
            qualifiers[rel["qualifier"]].append(kinds[rel["objectId"]])
        assert qualifiers["project"] == ["project"] and qualifiers["stage-visit"] == ["stage_visit"]
        assert qualifiers["handled-by"] in (["agency"], ["party"])
        per_case[next(r["objectId"] for r in e["relationships"] if r["qualifier"] == "project")] += 1
    rows = read_csv(logs["one"] / "events.csv")
    assert per_case == Counter({case: 2 * n for case, n in Counter(r["case"] for r in rows).items()})


def test_ocel_reads_in_pm4py_and_flattens_to_the_xes_log(logs, xes):
    ocel = pm4py.read_ocel2_json(str(logs["one"] / "events.ocel.json"))
    assert len(ocel.events) == len(xes)
    flat = pm4py.ocel_flattening(ocel, "project")
    assert Counter(zip(flat["case:concept:name"], flat["concept:name"], flat["lifecycle"])) == Counter(
        zip(xes["case:concept:name"], xes["concept:name"], xes["lifecycle:transition"])
    )


# -- options and determinism -----------------------------------------------------------------------------


def test_event_logs_do_not_depend_on_jobs(logs):
    for name in ("events.csv", "events.xes", "events.ocel.json"):
        assert (logs["one"] / name).read_bytes() == (logs["two"] / name).read_bytes(), name
    hidden = [p.name for p in logs["one"].iterdir() if p.name.startswith(".")]
    assert hidden == [".approval-sim"], "a spool file was left"


def test_an_unknown_format_is_bad_input(tmp_path):
    r = run_cli("run", VALID, "-n", 1, "-o", tmp_path / "out", "--events-format", "csv,parquet")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "parquet" in r.stderr and "csv, xes, ocel" in r.stderr
    assert not (tmp_path / "out").exists()


def test_python_api_writes_the_formats_and_cleans_up_a_bad_zone(tmp_path):
    sc = sim.load(VALID)
    res = sim.run(sc, n=1, seed=1, out=tmp_path / "ok", event_formats=["ocel"], event_zone="UTC")  # implies events
    assert res.out is not None and (res.out / "events.ocel.json").exists() and not (res.out / "events.csv").exists()
    doc = json.loads((res.out / "events.ocel.json").read_text(encoding="utf-8"))
    assert all(e["time"].endswith("+00:00") for e in doc["events"])
    with pytest.raises(ValueError, match="unknown time zone"):
        sim.run(sc, n=1, seed=1, out=tmp_path / "bad", event_formats=["xes"], event_zone="Mars/Base")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok"], "a failed run left files behind"
