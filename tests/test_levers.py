"""Reform levers: :func:`sim.scenario.levers.apply_levers` as a pure patch on the raw table, choosing levers
through :func:`sim.load`, the shipped scenarios' levers as listed by ``approval-sim levers``, and
common random numbers between a run with a lever and one without.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import pytest

import sim
from sim.core.errors import ScenarioError
from sim.engine.compiled import compile_scenario
from sim.engine.replication import simulate
from sim.scenario.levers import apply_levers
from sim.scenario.loading import read_with_extends

from helpers.cli import run_cli
from helpers.scenarios import date, dist, project, project_class, scenario_toml, stage, workdays

ROOT = Path(__file__).resolve().parent.parent
PRE = ROOT / "scenarios" / "pre_reform.toml"
REFORM = ROOT / "scenarios" / "reform.toml"


def tri(low, mode, high, unit="workday"):
    return {"dist": "triangular", "low": low, "mode": mode, "high": high, "unit": unit}


def raw_table() -> dict:
    """A small raw table (not a full scenario: apply_levers does not validate)."""
    return {
        "scenario": {"name": "raw"},
        "agencies": {"bureau": {"staff": 2}},
        "stages": {
            "a": {
                "agency": "bureau",
                "effort": tri(1, 2, 4),
                "fees_cny": 100,
                "defect": {"p": 0.5, "fix": {"dist": "fixed", "value": 3, "unit": "workday"}},
            },
            "b": {
                "agency": "bureau",
                "after": ["a"],
                "prepare": {"dist": "lognormal", "median": 4, "p90": 9, "unit": "day"},
                "name": "stage b",
            },
            "c": {
                "agency": "bureau",
                "after": ["b"],
                "lag": {"dist": "empirical", "samples": [1, 2, 5], "unit": "workday"},
            },
        },
        "levers": {
            "skip_b": {"name": "skip b", "skip": ["b"], "after": {"c": ["a"]}},
            "half": {"scale": {"stages.a.effort": 0.5, "stages.a.fees_cny": 0.5}},
            "fifth": {"scale": {"stages.a.effort": 0.2, "stages.b.prepare": 2, "stages.c.lag": 3}},
            "setter": {
                "set": {
                    "stages.a.defect.p": 0.1,
                    "agencies.bureau.staff": 5,
                    "stages.a.tolerant": {"deadline_workdays": 10, "fail_p": 0.05},
                }
            },
            "same_staff": {"set": {"agencies.bureau.staff": 5}},
            "other_staff": {"set": {"agencies.bureau.staff": 7}},
            "bad_path": {"set": {"stages.nope.effort": 1}},
            "bad_scale": {"scale": {"stages.b.name": 2}},
            "missing_value": {"scale": {"stages.b.lag": 2}},
            "skip_unknown": {"skip": ["zzz"]},
        },
    }


# ---------------------------------------------------------------------------
# apply_levers: a pure function of the raw table
# ---------------------------------------------------------------------------
def test_apply_levers_does_not_mutate_its_input_and_returns_a_new_table():
    raw = raw_table()
    before = copy.deepcopy(raw)
    out = apply_levers(raw, ["skip_b", "half", "fifth", "setter"], "f.toml")
    assert raw == before
    assert out is not raw and out["stages"] is not raw["stages"]
    # changing the result does not reach back into the input (a deep copy)
    out["stages"]["c"]["lag"]["samples"].append(99)
    out["agencies"]["bureau"]["staff"] = 0
    assert raw == before
    # no levers: an equal copy
    same = apply_levers(raw, [], "f.toml")
    assert same == raw and same is not raw


def test_skip_and_after_patch_enabled_and_after():
    out = apply_levers(raw_table(), ["skip_b"], "f.toml")
    assert out["stages"]["b"]["enabled"] is False
    assert out["stages"]["c"]["after"] == ["a"]
    # nothing else changed
    expected = raw_table()
    expected["stages"]["b"]["enabled"] = False
    expected["stages"]["c"]["after"] = ["a"]
    assert out == expected


def test_set_replaces_values_and_creates_the_last_key():
    out = apply_levers(raw_table(), ["setter"], "f.toml")
    assert out["stages"]["a"]["defect"]["p"] == 0.1
    assert out["stages"]["a"]["defect"]["fix"] == raw_table()["stages"]["a"]["defect"]["fix"]
    assert out["agencies"]["bureau"]["staff"] == 5
    assert out["stages"]["a"]["tolerant"] == {"deadline_workdays": 10, "fail_p": 0.05}


def test_scale_numbers_and_every_parameter_of_a_distribution_not_its_unit():
    out = apply_levers(raw_table(), ["half", "fifth"], "f.toml")
    a, b, c = (out["stages"][k] for k in "abc")
    # two levers scaling one path multiply: 0.5 * 0.2 = 0.1
    assert a["effort"] == pytest.approx({"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.4, "unit": "workday"})
    assert a["effort"]["dist"] == "triangular" and a["effort"]["unit"] == "workday"
    assert a["fees_cny"] == pytest.approx(50)
    assert b["prepare"] == {"dist": "lognormal", "median": 8, "p90": 18, "unit": "day"}
    assert c["lag"] == {"dist": "empirical", "samples": [3, 6, 15], "unit": "workday"}
    # the order of the levers does not matter
    assert apply_levers(raw_table(), ["fifth", "half"], "f.toml") == out


def test_sets_apply_before_scales():
    raw = raw_table()
    raw["levers"]["set_effort"] = {"set": {"stages.a.effort": {"dist": "fixed", "value": 10, "unit": "workhour"}}}
    out = apply_levers(raw, ["half", "set_effort"], "f.toml")
    assert out["stages"]["a"]["effort"] == {"dist": "fixed", "value": 5, "unit": "workhour"}


def test_two_levers_setting_one_path_to_the_same_value_agree():
    out = apply_levers(raw_table(), ["setter", "same_staff"], "f.toml")
    assert out["agencies"]["bureau"]["staff"] == 5


def test_conflicting_sets_name_both_levers():
    with pytest.raises(ScenarioError) as e:
        apply_levers(raw_table(), ["setter", "other_staff"], "f.toml")
    (problem,) = e.value.problems
    assert problem.file == "f.toml"
    assert problem.path == "levers.other_staff"
    assert "agencies.bureau.staff" in problem.message and "'setter'" in problem.message
    assert "5" in problem.message and "7" in problem.message
    # skip versus a set of the same enabled flag to another value also conflicts
    raw = raw_table()
    raw["levers"]["enable_b"] = {"set": {"stages.b.enabled": True}}
    with pytest.raises(ScenarioError) as e:
        apply_levers(raw, ["skip_b", "enable_b"], "f.toml")
    msg = str(e.value)
    assert "skip_b" in msg and "enable_b" in msg and "stages.b.enabled" in msg


@pytest.mark.parametrize(
    "lever, where, words",
    [
        ("bad_path", "levers.bad_path", ("stages.nope.effort", "'stages.nope'")),
        ("bad_scale", "levers.bad_scale", ("stages.b.name", "'stage b'", "not a number or distribution")),
        ("missing_value", "levers.missing_value", ("stages.b.lag", "no such value")),
        ("skip_unknown", "levers.skip_unknown", ("stages.zzz.enabled",)),
    ],
)
def test_bad_lever_contents_are_scenario_errors_at_the_levers_key_path(lever, where, words):
    with pytest.raises(ScenarioError) as e:
        apply_levers(raw_table(), [lever], "f.toml")
    (problem,) = e.value.problems
    assert problem.file == "f.toml" and problem.path == where
    for w in words:
        assert w in problem.message


def test_unknown_lever_is_a_scenario_error_listing_the_declared_ones():
    with pytest.raises(ScenarioError) as e:
        apply_levers(raw_table(), ["halve"], "f.toml")
    (problem,) = e.value.problems
    assert problem.path == "levers"
    assert "'halve'" in problem.message and '"half"' in problem.message  # did you mean
    assert "skip_b" in problem.message  # declared levers listed


@pytest.mark.parametrize(
    "table, where",
    [
        ({"scale": {"stages.a.effort": -1}}, 'levers.x.scale."stages.a.effort"'),
        ({"scale": {"stages.a.effort": "double"}}, 'levers.x.scale."stages.a.effort"'),
        ({"skip": "b"}, "levers.x.skip"),
        ({"after": {"c": "a"}}, 'levers.x.after."c"'),
        ({"sett": {}}, "levers.x.sett"),
        ({"one_off_cny": -5}, "levers.x.one_off_cny"),
    ],
)
def test_malformed_lever_tables_name_the_key(table, where):
    raw = raw_table()
    raw["levers"]["x"] = table
    with pytest.raises(ScenarioError) as e:
        apply_levers(raw, ["x"], "f.toml")
    assert [p.path for p in e.value.problems] == [where]


# ---------------------------------------------------------------------------
# Choosing levers through sim.load and Scenario.with_levers
# ---------------------------------------------------------------------------
TINY = scenario_toml(
    "levers",
    settings={"levers": ["fast"]},
    agencies={"bureau": 1},
    projects=[project("p", "std", "2024-03-04")],
    stages={
        "filing": stage("bureau", effort=workdays(2)),
        "check": stage("bureau", after="filing", effort=workdays(3)),
        "permit": stage("bureau", after="check", effort=workdays(1)),
    },
    milestones="permit",
    levers={
        "fast": {"name": "faster filing", "scale": {"stages.filing.effort": 0.5}, "one_off_cny": 1000},
        "no_check": {"skip": ["check"], "after": {"permit": ["filing"]}, "one_off_cny": 250},
    },
)


@pytest.fixture
def tiny(write_scenario) -> Path:
    return write_scenario(TINY, "tiny.toml")


def test_load_resolves_all_none_lists_and_the_files_own(tiny):
    own = sim.load(tiny)
    assert own.levers == ("fast",)
    assert own.declared_levers == ("fast", "no_check")
    assert own.stage_by_id["filing"].effort.params == (1.0,)
    assert own.one_off_cny == 1000
    none = sim.load(tiny, levers="none")
    assert none.levers == () and none.one_off_cny == 0
    assert none.stage_by_id["filing"].effort.params == (2,)
    assert none.stage_by_id["check"].enabled
    every = sim.load(tiny, levers="all")
    assert every.levers == ("fast", "no_check") and every.one_off_cny == 1250
    assert not every.stage_by_id["check"].enabled
    assert every.stage_by_id["permit"].after == ("filing",)
    assert sim.load(tiny, levers="no_check, fast").levers == ("no_check", "fast")
    assert sim.load(tiny, levers="no_check").levers == ("no_check",)
    assert sim.load(tiny, levers=["no_check", "no_check"]).levers == ("no_check",)
    assert sim.load(tiny, levers=[]).levers == ()
    # the same through with_levers, from any starting point
    assert none.with_levers("all") == every
    assert every.with_levers("none") == none
    assert every.with_levers(["fast"]) == own
    with pytest.raises(ScenarioError, match="unknown lever 'fsat'"):
        sim.load(tiny, levers="fsat")


def test_no_lever_run_and_lever_run_differ_exactly_as_patched(tiny):
    def permit(sc):
        res = simulate(compile_scenario(sc), rep=0, seed=0)
        return res.projects[0].milestones["construction_permit"]

    # none: 2 + 3 + 1 working days from Mon 03-04 09:00 -> Mon 03-11 17:00
    assert permit(sim.load(tiny, levers="none")) == pytest.approx(datetime_clock(3, 11, 17))
    # fast: 1 + 3 + 1 -> Fri 03-08 17:00; all: 1 + 1 -> Tue 03-05 17:00
    assert permit(sim.load(tiny)) == pytest.approx(datetime_clock(3, 8, 17))
    assert permit(sim.load(tiny, levers="all")) == pytest.approx(datetime_clock(3, 5, 17))


def datetime_clock(month: int, day: int, hour: float) -> float:
    import datetime as dt

    return (dt.date(2024, month, day) - dt.date(2024, 1, 1)).days + hour / 24


# ---------------------------------------------------------------------------
# The shipped scenarios
# ---------------------------------------------------------------------------
PROCESS_FIELDS = (
    "start_date",
    "end_date",
    "seed",
    "warmup_days",
    "calendar",
    "shutdowns",
    "agencies",
    "classes",
    "projects",
    "stream",
    "stages",
    "milestones",
    "costs",
    "agents",
)


def test_reform_without_levers_is_the_pre_reform_process():
    pre = sim.load(PRE)
    assert pre.levers == ()
    reform_off = sim.load(REFORM, levers="none")
    assert reform_off.levers == () and reform_off.base is None and reform_off.one_off_cny == 0
    for f in PROCESS_FIELDS:
        assert getattr(reform_off, f) == getattr(pre, f), f
    # and the reform switches every declared lever on by default
    reform = sim.load(REFORM)
    assert set(reform.levers) == set(pre.declared_levers)
    assert reform.declared_levers == pre.declared_levers
    assert sim.load(PRE, levers="all").stages == reform.stages


@pytest.fixture(scope="module")
def levers_listing() -> dict[str, dict[str, list[str]]]:
    """`approval-sim levers` of the shipped files: lever id -> its indented lines."""
    out = {}
    for path in (PRE, REFORM):
        res = run_cli("levers", path, timeout=60)
        assert res.returncode == 0, res.stderr
        listing: dict[str, list[str]] = {}
        current = None
        for line in res.stdout.splitlines():
            if line.startswith("    "):
                listing[current].append(line.strip())
            elif line.strip():
                current = line.split(":", 1)[0]
                listing[current] = []
                out.setdefault(f"{path.name}:heads", []).append(line)
        out[path.name] = listing
    return out


def test_levers_command_lists_every_declared_lever(levers_listing):
    pre = sim.load(PRE)
    assert list(levers_listing["pre_reform.toml"]) == list(pre.declared_levers)
    assert list(levers_listing["reform.toml"]) == list(pre.declared_levers)
    for lever_id, name in pre.lever_names:
        heads = [h for h in levers_listing["pre_reform.toml:heads"] if h.startswith(f"{lever_id}:")]
        assert heads == [f"{lever_id}: {name}"]  # off by default in pre_reform.toml
        heads = [h for h in levers_listing["reform.toml:heads"] if h.startswith(f"{lever_id}:")]
        assert heads == [f"{lever_id}: {name}  [on by default]"]
        assert levers_listing["pre_reform.toml"][lever_id], f"{lever_id} lists no change"
    assert levers_listing["reform.toml"] == levers_listing["pre_reform.toml"]


STAGE_LINE = re.compile(
    r"^(?P<stage>[A-Za-z][\w-]*): (?:(?P<skipped>skipped)|after (?P<after>.*)|"
    r"(?P<field>\S+) (?P<op>x|=) (?P<value>.*))$"
)
OTHER_LINE = re.compile(r"^(?P<path>[A-Za-z][\w.-]*) (?P<op>x|=) (?P<value>.*)$")


def listed_paths(lines: list[str]) -> tuple[dict[str, tuple[str, str]], bool]:
    """Dotted path -> (op, value text) of a lever's listing, and whether it lists a one-off cost."""
    paths, cost = {}, False
    for line in lines:
        if line.startswith("one-off cost CNY "):
            cost = True
        elif m := STAGE_LINE.match(line):
            sid = m["stage"]
            if m["skipped"]:
                paths[f"stages.{sid}.enabled"] = ("=", "false")
            elif m["after"] is not None:
                paths[f"stages.{sid}.after"] = ("=", m["after"])
            else:
                paths[f"stages.{sid}.{m['field']}"] = (m["op"], m["value"])
        elif m := OTHER_LINE.match(line):
            paths[m["path"]] = (m["op"], m["value"])
        else:
            raise AssertionError(f"cannot read the listing line {line!r}")
    return paths, cost


def changed_paths(a, b, path: str = "") -> set[str]:
    """Dotted paths where two raw tables differ (a key present on one side only is one path)."""
    out = set()
    for k in set(a) | set(b):
        p = f"{path}.{k}" if path else k
        if k not in a or k not in b:
            out.add(p)
        elif isinstance(a[k], dict) and isinstance(b[k], dict):
            out |= changed_paths(a[k], b[k], p)
        elif a[k] != b[k]:
            out.add(p)
    return out


def get(raw: dict, path: str):
    node = raw
    for k in path.split("."):
        node = node[k]
    return node


def under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


@pytest.mark.parametrize("lever", sim.load(PRE).declared_levers)
def test_each_pre_reform_lever_changes_only_what_the_levers_command_lists(lever, levers_listing):
    raw = read_with_extends(PRE)
    listed, cost = listed_paths(levers_listing["pre_reform.toml"][lever])
    on = apply_levers(raw, [lever], str(PRE))
    changed = changed_paths(raw, on)
    # every change of the raw table is below a listed path, and every listed path changes something
    assert [p for p in changed if not any(under(p, q) for q in listed)] == []
    assert [q for q in listed if not any(under(p, q) for p in changed)] == []
    # a listed scale multiplies what was there (numbers, or each parameter of a distribution)
    for path, (op, value) in listed.items():
        if op == "x":
            old, new = get(raw, path), get(on, path)
            k = float(value)
            if isinstance(old, dict):
                assert {key: v for key, v in new.items() if isinstance(v, str)} == {
                    key: v for key, v in old.items() if isinstance(v, str)
                }
                for key, v in old.items():
                    if not isinstance(v, str):
                        assert new[key] == pytest.approx(v * k), (path, key)
            else:
                assert new == pytest.approx(old * k)
    # the built scenario: only the listed stages, classes and agent pool differ; agencies never
    off_sc, on_sc = sim.load(PRE, levers="none"), sim.load(PRE, levers=[lever])
    stages_listed = {q.split(".")[1] for q in listed if q.startswith("stages.")}
    differing = {s.id for s in off_sc.stages if s != on_sc.stage_by_id[s.id]}
    assert differing == stages_listed
    assert [s.id for s in on_sc.stages] == [s.id for s in off_sc.stages]
    classes_listed = {q.split(".")[1] for q in listed if q.startswith("classes.")}
    assert {c.id for c in off_sc.classes if c != on_sc.class_by_id[c.id]} == classes_listed
    assert (on_sc.agents != off_sc.agents) == any(under(q, "agents") for q in listed)
    agencies_listed = {q.split(".")[1] for q in listed if q.startswith("agencies.")}
    assert {a.id for a in off_sc.agencies if a != on_sc.agency_by_id[a.id]} == agencies_listed
    # everything else stays as it was unless the lever lists a change under it
    for field, top in (
        ("projects", "arrivals"),
        ("stream", "arrivals"),
        ("milestones", "milestones"),
        ("shutdowns", "shutdowns"),
        ("calendar", "calendar"),
        ("costs", "costs"),
        ("start_date", "scenario"),
        ("end_date", "scenario"),
    ):
        if not any(under(q, top) for q in listed):
            assert getattr(on_sc, field) == getattr(off_sc, field), field
    assert (on_sc.one_off_cny > 0) == cost


# ---------------------------------------------------------------------------
# Common random numbers
# ---------------------------------------------------------------------------
CRN = scenario_toml(
    "crn",
    end_date="2025-12-31",
    agencies={"gx": 1, "gy": 1, "gz": 1, "gw": 2},
    classes={
        "std": {
            "investment_cny": dist("lognormal", "cny", median=1e8, p90=3e8),
            "attributes": {"flag": {"p": 0.5}},
        }
    },
    stream={
        "rate": 30,
        "per": "year",
        "from": date("2024-01-01"),
        "until": date("2024-12-31"),
        "classes": {"std": 1},
    },
    stages={
        "start": stage("gw", prepare=tri(1, 2, 5), effort=dist("exponential", mean=0.5)),
        # X: the stage the levers touch
        "x": stage(
            "gx",
            after="start",
            prepare=tri(1, 3, 6),
            effort=tri(1, 4, 9),
            defect={"p": 0.4, "decay": 0.5, "max_rounds": 6, "fix": dist("uniform", low=1, high=5)},
        ),
        # Y, Y2: independent of X (own agencies, not after X)
        "y": stage(
            "gy",
            after="start",
            prepare=tri(2, 4, 8),
            effort=tri(1, 2, 6),
            defect={"p": 0.5, "decay": 0.5, "max_rounds": 6, "fix": dist("uniform", low=1, high=4)},
            lag=dist("uniform", "day", low=1, high=10),
        ),
        "y2": stage(after="y", build=tri(10, 20, 40, "day")),
        # Z: after X, so it moves with X
        "z": stage("gz", after=["x", "y"], effort=tri(1, 2, 4), defect={"p": 0.3, "fix": workdays(2)}),
    },
    milestones="z",
    levers={
        "x_faster": {"scale": {"stages.x.effort": 0.5}},
        "x_tolerant": {"set": {"stages.x.tolerant": {"deadline_workdays": 6, "fail_p": 0.3}}},
        "x_skipped": {"skip": ["x"]},
    },
)

# the stage record's fields compared (rec_tuple(r)[0] is "started", [4] "prepare")
RECORD_FIELDS = tuple(
    "started submitted issued submissions prepare queue review sitting rework supplement lag build clock within "
    "same_day capped".split()
)


def rec_tuple(r) -> tuple:
    return tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in (getattr(r, f) for f in RECORD_FIELDS))


def crn_run(sc, rep: int):
    res = simulate(compile_scenario(sc), rep=rep, seed=7)
    stages = {(pid, r.stage): rec_tuple(r) for _idx, pid, r in res.stages}
    projects = {p.id: (p.cls, p.investment_cny, p.signed) for p in res.projects}
    return stages, projects


@pytest.mark.parametrize("lever", ["x_faster", "x_tolerant", "x_skipped"])
def test_a_lever_on_one_stage_leaves_every_independent_stage_record_identical(write_scenario, lever):
    path = write_scenario(CRN, "crn.toml")
    off, on = sim.load(path, levers="none"), sim.load(path, levers=[lever])
    moved = 0
    for rep in range(3):
        s_off, p_off = crn_run(off, rep)
        s_on, p_on = crn_run(on, rep)
        assert p_on == p_off  # same arrivals, classes, investments
        assert len(p_off) > 15
        for key, r in s_off.items():
            if key[1] in ("start", "y", "y2"):
                assert s_on[key] == r, key
        assert {k for k in s_on if k[1] in ("start", "y", "y2")} == {k for k in s_off if k[1] in ("start", "y", "y2")}
        # X itself starts at the same moment (its predecessor is unchanged) and, unless skipped,
        # its preparation is the same draw
        for key, r in s_off.items():
            if key[1] == "x" and key in s_on:
                assert s_on[key][0] == r[0] and s_on[key][4] == r[4]
        moved += sum(s_on.get(k) != r for k, r in s_off.items() if k[1] in ("x", "z"))
    assert moved > 0  # the lever did change X and what depends on it


AGENT_CRN = scenario_toml(
    "crn agents",
    end_date="2025-12-31",
    agencies={"bureau": 50},
    classes={"std": project_class(attributes={"uses_agent": False})},
    stream={"rate": 30, "from": date("2024-01-01"), "until": date("2024-12-31"), "classes": {"std": 1}},
    stages={
        "filing": stage(
            "bureau",
            prepare=tri(1, 3, 6),
            effort=tri(1, 4, 9),
            defect={"p": 0.5, "decay": 0.5, "max_rounds": 8, "fix": dist("uniform", low=1, high=5)},
        ),
        "permit": stage(
            "bureau",
            after="filing",
            prepare=dist("uniform", low=1, high=3),
            effort=dist("exponential", mean=2),
            defect={"p": 0.4, "fix": workdays(2)},
        ),
    },
    milestones="permit",
    levers={
        # agents that neither shorten nor improve anything, and are never short: only the timing moves
        "agents": {
            "set": {
                "classes.std.attributes.uses_agent": True,
                "agents": {
                    "staff": 50,
                    "prepare_scale": 1,
                    "defect_scale": 1,
                    "effort": dist("uniform", low=0.5, high=1),
                },
            }
        }
    },
)


def test_the_agent_lever_keeps_each_stages_review_and_defect_draws(write_scenario):
    # Switching agent service on must not change what the agency's review and the defect checks draw
    # (common random numbers): each stage's effort, defect and fix draws are the same with and
    # without the lever, so review time, submissions and rework of every stage visit agree.
    path = write_scenario(AGENT_CRN, "agents.toml")
    off, on = sim.load(path, levers="none"), sim.load(path, levers="all")
    for rep in range(2):
        s_off = {(pid, r.stage): r for _i, pid, r in simulate(compile_scenario(off), rep=rep, seed=3).stages}
        s_on = {(pid, r.stage): r for _i, pid, r in simulate(compile_scenario(on), rep=rep, seed=3).stages}
        assert set(s_on) == set(s_off) and len(s_off) > 30
        for key, r in s_off.items():
            if math.isnan(r.issued) or math.isnan(s_on[key].issued):
                continue  # ran past the horizon
            got = s_on[key]
            assert (got.submissions, got.queue) == (r.submissions, 0.0), key
            assert got.review == pytest.approx(r.review, abs=1e-9), key
            assert got.rework == pytest.approx(r.rework, abs=1e-9), key
