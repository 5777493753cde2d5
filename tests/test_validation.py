"""Bad scenarios are refused with every problem named by file, key path and a clear message.

Each bad scenario is the valid fixture ``tests/data/valid_small.toml`` with one
textual edit (see :func:`mutate`), written to ``tmp_path`` and loaded with
:func:`sim.scenario.loading.load`.
"""

from __future__ import annotations

import errno
import os
import tomllib
from pathlib import Path

import pytest

import sim
from sim.core.errors import Problem, ScenarioError
from sim.scenario.loading import load
from sim.scenario.scenario import build_scenario

from helpers.cli import run_cli
from helpers.scenarios import days, project, scenario_toml, stage

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid_small.toml"
VALID_TEXT = VALID.read_text(encoding="utf-8")


def mutate(text: str, mutation) -> str:
    """``text`` with ``mutation`` applied.

    A mutation is ``(old, new)``: replace the one occurrence of ``old`` by
    ``new``; ``(None, new)`` appends ``new``; a list applies each in turn.
    """
    for old, new in mutation if isinstance(mutation, list) else [mutation]:
        if old is None:
            text = text + "\n" + new + "\n"
            continue
        assert text.count(old) == 1, f"mutation target {old!r} occurs {text.count(old)} times in the fixture"
        text = text.replace(old, new)
    return text


def write(tmp_path: Path, mutation, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(mutate(VALID_TEXT, mutation), encoding="utf-8")
    return path


def problems_of(path: Path, overrides=()) -> tuple[Problem, ...]:
    with pytest.raises(ScenarioError) as info:
        load(path, overrides)
    assert info.value.problems, "a ScenarioError must hold at least one problem"
    return info.value.problems


def find(problems, key_path: str) -> Problem:
    """The problem at ``key_path``; fails listing all problems when there is none."""
    for p in problems:
        if p.path == key_path:
            return p
    pytest.fail(f"no problem at {key_path!r}; got:\n" + "\n".join(str(p) for p in problems))


STREAM = """[arrivals.stream]
rate = 20
classes = {small = 2, large = 1}
until = 2024-12-31
"""
PROJECT = """[[arrivals.projects]]
id = "flagship"
class = "large"
signed = 2024-03-01
investment_cny = 1e9
attributes = {pre_consulted = false}
"""

# (description, mutation, expected key path, expected message fragment)
BAD = [
    # syntax
    ("TOML syntax error", ("staff = 2", "staff = = 2"), "", "TOML syntax error"),
    # unknown keys, with suggestions
    ("unknown agency key", ("staff = 2", "stafff = 2"), "agencies.bureau.stafff", 'did you mean "staff"'),
    ("unknown top-level table", ("[costs]", "[cost]"), "cost", 'did you mean "costs"'),
    (
        "unknown distribution parameter",
        ("mode = 5,", "mode = 5, modee = 4,"),
        "stages.filing.prepare.modee",
        'did you mean "mode"',
    ),
    (
        "unknown time unit",
        ('unit = "workhour"', 'unit = "workhours"'),
        "stages.filing.effort.unit",
        'did you mean "workhour"',
    ),
    # wrong types
    ("staff is a string", ("staff = 2", 'staff = "two"'), "agencies.bureau.staff", "must be an integer"),
    ("staff is fractional", ("staff = 2", "staff = 2.5"), "agencies.bureau.staff", "must be an integer"),
    ("seed is a string", ("seed = 7", 'seed = "seven"'), "scenario.seed", "must be an integer"),
    (
        "signed is not a date",
        ("signed = 2024-03-01", 'signed = "March"'),
        "arrivals.projects[0].signed",
        "must be a date",
    ),
    ("after is not a list", ('after = ["permit"]', "after = 3"), "stages.civil.after", "list of strings"),
    (
        "duration is a bare number",
        ('effort = {dist = "empirical", samples = [1, 2, 3], unit = "workday"}', "effort = 5"),
        "stages.permit.effort",
        "must be a distribution table",
    ),
    ("limit is not a table", ("limit = {workdays = 10}", "limit = 10"), "stages.permit.limit", "must be a table"),
    (
        "sittings is not a table",
        ("sittings = {every = 10, capacity = 3}", "sittings = 3"),
        "agencies.panel.sittings",
        "must be a table",
    ),
    ("stream rate is a string", ("rate = 20\n", 'rate = "many"\n'), "arrivals.stream.rate", "must be a number"),
    ("probability is a boolean", ("p = 0.3", "p = true"), "stages.filing.defect.p", "must be a number"),
    (
        "condition is not a table",
        ("when = {pre_consulted = false}", 'when = "yes"'),
        "stages.eia.when",
        "non-empty table",
    ),
    # negative or impossible durations and parameters
    (
        "negative fixed duration",
        ('value = 10, unit = "day"', 'value = -10, unit = "day"'),
        "stages.eia.lag.value",
        ">= 0",
    ),
    ("negative exponential mean", ("mean = 4,", "mean = -4,"), "stages.filing.effort.mean", ">= 0"),
    (
        "negative empirical sample",
        ("samples = [1, 2, 3]", "samples = [1, -2, 3]"),
        "stages.permit.effort.samples",
        ">= 0",
    ),
    (
        "negative time limit",
        ("limit = {workdays = 5}", "limit = {workdays = -5}"),
        "stages.filing.limit.workdays",
        "> 0",
    ),
    ("negative fee", ("fees_cny = 2000", "fees_cny = -2000"), "stages.filing.fees_cny", ">= 0"),
    (
        "triangular low > high",
        ("low = 2, mode = 5, high = 15", "low = 20, mode = 5, high = 15"),
        "stages.filing.prepare",
        "low <= mode <= high",
    ),
    ("uniform low > high", ("low = 1, high = 5", "low = 5, high = 1"), "stages.filing.defect.fix", "low < high"),
    ("lognormal p90 < median", ("median = 2, p90 = 5", "median = 5, p90 = 2"), "stages.eia.effort", "median < p90"),
    ("defect p > 1", ("p = 0.3", "p = 1.3"), "stages.filing.defect.p", "<= 1"),
    (
        "attribute share p > 1",
        ("pre_consulted = {p = 0.5}", "pre_consulted = {p = 1.5}"),
        "classes.small.attributes.pre_consulted.p",
        "<= 1",
    ),
    (
        "unknown distribution name",
        ('dist = "triangular"', 'dist = "triangle"'),
        "stages.filing.prepare.dist",
        'did you mean "triangular"',
    ),
    (
        "build in working time",
        ('value = 60, unit = "day"', 'value = 60, unit = "workday"'),
        "stages.commissioning.build.unit",
        "calendar units",
    ),
    # references
    ("unknown agency", ('agency = "panel"', 'agency = "panle"'), "stages.eia.agency", 'did you mean "panel"'),
    (
        "unknown stage in after",
        ('after = ["permit"]', 'after = ["permt"]'),
        "stages.civil.after[0]",
        'did you mean "permit"',
    ),
    (
        "unknown stage in milestone",
        ('production = "commissioning"', 'production = "comissioning"'),
        "milestones.production",
        'did you mean "commissioning"',
    ),
    (
        "unknown class of a project",
        ('class = "large"\nsigned', 'class = "lage"\nsigned'),
        "arrivals.projects[0].class",
        'did you mean "large"',
    ),
    (
        "unknown class in stream",
        ("classes = {small = 2, large = 1}", "classes = {smal = 2, large = 1}"),
        "arrivals.stream.classes.smal",
        'did you mean "small"',
    ),
    (
        "unknown attribute in when",
        ("when = {pre_consulted = false}", "when = {pre_consult = false}"),
        "stages.eia.when.pre_consult",
        'did you mean "pre_consulted"',
    ),
    (
        "unknown attribute in priority",
        ('priority = {class = "large"}', 'priority = {clas = "large"}'),
        "agencies.bureau.priority.clas",
        'did you mean "class"',
    ),
    (
        "unknown shutdown window",
        ('shutdowns = ["winter"]', 'shutdowns = ["wintr"]'),
        "stages.civil.shutdowns[0]",
        'did you mean "winter"',
    ),
    # structure
    (
        "cycle in after",
        ("[stages.filing]\n", '[stages.filing]\nafter = ["eia"]\n'),
        "stages.filing.after",
        "filing -> eia -> filing",
    ),
    (
        "stage after itself",
        ("[stages.filing]\n", '[stages.filing]\nafter = ["filing"]\n'),
        "stages.filing.after[0]",
        "cannot come after itself",
    ),
    (
        "duplicate project id",
        (None, '[[arrivals.projects]]\nid = "flagship"\nclass = "small"\nsigned = 2024-04-01'),
        "arrivals.projects[1].id",
        "duplicate project id 'flagship'",
    ),
    (
        "signing date after the horizon",
        ("signed = 2024-03-01", "signed = 2027-03-01"),
        "arrivals.projects[0].signed",
        "outside the horizon 2024-01-01 to 2025-12-31",
    ),
    (
        "signing date before the horizon",
        ("signed = 2024-03-01", "signed = 2023-03-01"),
        "arrivals.projects[0].signed",
        "outside the horizon",
    ),
    (
        "stream ends after the horizon",
        ("until = 2024-12-31", "until = 2026-12-31"),
        "arrivals.stream.until",
        "outside the horizon",
    ),
    ("stream of more than a million projects", ("rate = 20\n", "rate = 2e6\n"), "arrivals.stream.rate", "1,000,000"),
    ("zero staff", ("staff = 2", "staff = 0"), "agencies.bureau.staff", ">= 1"),
    ("negative staff", ("staff = 2", "staff = -1"), "agencies.bureau.staff", ">= 1"),
    ("no arrivals", [(STREAM, ""), (PROJECT, "")], "arrivals", "no projects"),
    (
        "both end_date and horizon_years",
        ("horizon_years = 2", "horizon_years = 2\nend_date = 2025-01-01"),
        "scenario.end_date",
        "exactly one",
    ),
]


@pytest.mark.parametrize("mutation, key_path, fragment", [pytest.param(m, k, f, id=d) for d, m, k, f in BAD])
def test_bad_scenario_names_file_key_path_and_problem(tmp_path, mutation, key_path, fragment):
    path = write(tmp_path, mutation)
    problems = problems_of(path)
    problem = find(problems, key_path)
    assert problem.file == str(path)
    assert fragment in problem.message, f"{fragment!r} not in {problem.message!r}"
    # the rendered error names file, key path and message
    assert str(problem).startswith(f"{path}: {key_path + ': ' if key_path else ''}")


def test_valid_fixture_loads():
    sc = load(VALID)
    assert sc.name == "valid-small"
    assert {a.id for a in sc.agencies} == {"bureau", "panel"}
    assert sc.agency_by_id["panel"].sittings is not None
    assert sc.agency_by_id["bureau"].priority is not None
    assert sc.stream is not None and [p.id for p in sc.projects] == ["flagship"]
    assert sc.stage_by_id["civil"].shutdowns == ("winter",)


def test_syntax_error_gives_line_and_column(tmp_path):
    text = mutate(VALID_TEXT, ("staff = 2", "staff = = 2"))
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s == "staff = = 2")
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.file == str(path)
    assert f"line {line}, column 9" in problem.message


def test_missing_file_is_a_scenario_error(tmp_path):
    (problem,) = problems_of(tmp_path / "nope.toml")
    assert problem.file == str(tmp_path / "nope.toml") and "not found" in problem.message


def test_several_field_problems_are_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        [
            ("staff = 2", "stafff = 2"),
            ("p = 0.3", "p = 1.3"),
            ("low = 2, mode = 5, high = 15", "low = 20, mode = 5, high = 15"),
            ("signed = 2024-03-01", "signed = 2027-03-01"),
        ],
    )
    problems = problems_of(path)
    for key in (
        "agencies.bureau.stafff",
        "stages.filing.defect.p",
        "stages.filing.prepare",
        "arrivals.projects[0].signed",
    ):
        assert find(problems, key).file == str(path)


def test_field_and_reference_problems_are_reported_at_once(tmp_path):
    """A misspelt key must not hide a bad seed or a broken reference elsewhere in the file."""
    path = write(
        tmp_path,
        [
            ("staff = 2", "stafff = 2"),
            ("seed = 7", 'seed = "seven"'),
            ('agency = "panel"', 'agency = "panle"'),
            ("[stages.filing]\n", '[stages.filing]\nafter = ["eia"]\n'),
        ],
    )
    problems = problems_of(path)
    for key in ("agencies.bureau.stafff", "scenario.seed", "stages.eia.agency", "stages.filing.after"):
        find(problems, key)


def test_stream_just_under_the_project_cap_is_accepted(tmp_path):
    load(write(tmp_path, ("rate = 20\n", "rate = 9e5\n")))


# -- extends ---------------------------------------------------------------------


def test_extends_deep_merges(tmp_path):
    (tmp_path / "base.toml").write_text(VALID_TEXT, encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "base.toml"\n\n[scenario]\nname = "child"\n\n'
        "[agencies.bureau]\nstaff = 5\n\n"
        "[stages.eia.limit]\nworkdays = 20\n",
        encoding="utf-8",
    )
    base, sc = load(tmp_path / "base.toml"), load(child)
    assert sc.name == "child"
    assert sc.start_date == base.start_date and sc.seed == base.seed  # inherited beside the override
    bureau = sc.agency_by_id["bureau"]
    assert bureau.staff == 5
    assert bureau.name == "Development and Reform Bureau" and bureau.priority == base.agency_by_id["bureau"].priority
    assert sc.stage_by_id["eia"].limit.workdays == 20
    assert sc.stage_by_id["eia"].limit.excludes == ("sitting", "lag")  # sibling key of the override kept
    assert sc.stage_by_id["eia"].effort == base.stage_by_id["eia"].effort
    assert sc.agency_by_id["panel"] == base.agency_by_id["panel"]
    assert [s.id for s in sc.stages] == [s.id for s in base.stages]


def test_extends_chain_of_three(tmp_path):
    (tmp_path / "base.toml").write_text(VALID_TEXT, encoding="utf-8")
    (tmp_path / "mid.toml").write_text('extends = "base.toml"\n[agencies.bureau]\nstaff = 3\n', encoding="utf-8")
    # (a relative extends stays inside the extending file's folder: see test_failures.py)
    (tmp_path / "leaf.toml").write_text('extends = "mid.toml"\n[agencies.panel]\nstaff = 4\n', encoding="utf-8")
    sc = load(tmp_path / "leaf.toml")
    assert sc.agency_by_id["bureau"].staff == 3 and sc.agency_by_id["panel"].staff == 4


def test_extends_loop(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n', encoding="utf-8")
    b.write_text('extends = "a.toml"\n', encoding="utf-8")
    (problem,) = problems_of(a)
    assert problem.path == "extends"
    assert "loop" in problem.message and "a.toml -> b.toml -> a.toml" in problem.message


def test_extends_itself(tmp_path):
    a = tmp_path / "self.toml"
    a.write_text('extends = "self.toml"\n', encoding="utf-8")
    (problem,) = problems_of(a)
    assert problem.path == "extends" and "loop" in problem.message


def test_extends_missing_file(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text('extends = "nope.toml"\n', encoding="utf-8")
    (problem,) = problems_of(child)
    assert problem.file == str(child) and problem.path == "extends"
    assert "'nope.toml' not found" in problem.message


def test_problem_in_child_of_extends_names_child(tmp_path):
    (tmp_path / "base.toml").write_text(VALID_TEXT, encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[agencies.bureau]\nstafff = 5\n', encoding="utf-8")
    problem = find(problems_of(child), "agencies.bureau.stafff")
    assert problem.file == str(child)


# -- overrides -------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides", [{"agencies.bureau.staff": 4}, ["agencies.bureau.staff=4"], ["agencies.bureau.staff = 4"]]
)
def test_override_sets_value(overrides):
    sc = load(VALID, overrides)
    assert sc.agency_by_id["bureau"].staff == 4
    assert sc.agency_by_id["bureau"].priority is not None  # rest of the table untouched


def test_override_values_are_toml():
    sc = load(
        VALID, ['scenario.name="with space"', 'stages.eia.limit.excludes=["lag"]', "arrivals.stream.until=2024-06-30"]
    )
    assert sc.name == "with space"
    assert sc.stage_by_id["eia"].limit.excludes == ("lag",)
    assert sc.stream.end.isoformat() == "2024-06-30"


def test_override_does_not_change_the_file_or_a_second_load():
    load(VALID, {"agencies.bureau.staff": 9})
    assert load(VALID).agency_by_id["bureau"].staff == 2


@pytest.mark.parametrize(
    "overrides, key_path, fragment",
    [
        pytest.param(
            {"agencies.bureau.staff": "two"}, "agencies.bureau.staff", "must be an integer", id="mapping-type"
        ),
        pytest.param(["agencies.bureau.staff=two"], "agencies.bureau.staff", "must be an integer", id="string-type"),
        pytest.param(["agencies.bureau.staff=0"], "agencies.bureau.staff", ">= 1", id="string-range"),
        pytest.param({"stages.filing.defect.p": 2.0}, "stages.filing.defect.p", "<= 1", id="mapping-range"),
        pytest.param(
            ["agencies.bureau.stafff=3"], "agencies.bureau.stafff", 'did you mean "staff"', id="new-unknown-key"
        ),
        pytest.param(['stages.eia.agency="panle"'], "stages.eia.agency", 'did you mean "panel"', id="reference"),
    ],
)
def test_overrides_are_validated(overrides, key_path, fragment):
    problem = find(problems_of(VALID, overrides), key_path)
    assert problem.file == str(VALID)
    assert fragment in problem.message


@pytest.mark.parametrize(
    "overrides, key_path, fragment",
    [
        pytest.param(
            {"agencies.nope.staff": 3},
            "--set agencies.nope.staff",
            "'agencies.nope' is not a table",
            id="mapping-missing-table",
        ),
        pytest.param(
            ["agencies.burau.staff=3"],
            "--set agencies.burau.staff",
            'did you mean "bureau"',
            id="string-misspelt-table",
        ),
        pytest.param(
            ["agencies.bureau.sittings.every=3"],
            "--set agencies.bureau.sittings.every",
            "'agencies.bureau.sittings' is not a table",
            id="missing-nested-table",
        ),
        pytest.param(
            ["scenario.seed.x=1"], "--set scenario.seed.x", "'scenario.seed' is not a table", id="through-a-value"
        ),
        pytest.param(["agencies.bureau.staff"], "--set", "not key.path=value", id="no-equals"),
    ],
)
def test_override_of_missing_table(overrides, key_path, fragment):
    (problem,) = problems_of(VALID, overrides)
    assert problem.file == str(VALID)
    assert problem.path == key_path
    assert fragment in problem.message


# -- files that are not scenario files -------------------------------------------
# Only a regular file is read, at most 10 MB; anything else is refused by what it is, and every error of the
# operating system names the path. A regression here would hang (a pipe) or eat memory (/dev/zero): those
# run in a subprocess with a timeout.


def test_named_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    child = tmp_path / "child.toml"
    child.write_text('extends = "scenario.toml"\n', encoding="utf-8")
    proc = run_cli("validate", fifo, child, timeout=60)  # blocked forever in open() before
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"error: {fifo}: is a named pipe (FIFO), not a scenario file" in proc.stderr
    assert f"error: {child}: extends: 'scenario.toml' ({fifo}) is a named pipe (FIFO)" in proc.stderr


def test_device_is_refused_without_reading_it():
    proc = run_cli("validate", "/dev/zero", timeout=60)  # read until MemoryError before
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: /dev/zero: is a character device, not a scenario file" in proc.stderr


def test_folder_is_refused(tmp_path):
    (problem,) = problems_of(tmp_path)
    assert problem.file == str(tmp_path) and problem.message == "is a folder, not a scenario file"


def test_symlink_loop_is_named(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    (problem,) = problems_of(a)
    assert problem.file == str(a) and "symbolic link loop" in problem.message


def test_nul_in_the_path_is_named(tmp_path):
    (problem,) = problems_of(str(tmp_path / "a\0b.toml"))
    assert problem.message == "the path holds a NUL character"
    assert "\0" not in problem.file and "a\\0b.toml" in problem.file  # shown, not written raw to the terminal
    child = tmp_path / "child.toml"
    child.write_text('extends = "a\\u0000b.toml"\n', encoding="utf-8")
    (problem,) = problems_of(child)
    assert problem.path == "extends" and "NUL" in problem.message


def test_name_over_255_bytes_is_named(tmp_path):
    path = tmp_path / ("x" * 300 + ".toml")
    (problem,) = problems_of(path)
    assert problem.file == str(path) and "file name is too long" in problem.message


def test_unreadable_file_is_named(tmp_path, monkeypatch):
    # the tests may run as root, who reads any file: the operating system's refusal is simulated
    path = tmp_path / "secret.toml"
    path.write_text(VALID_TEXT, encoding="utf-8")
    real_open = os.open

    def refuse(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    (problem,) = problems_of(path)
    assert problem.file == str(path) and "permission denied" in problem.message


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="Linux /proc only")
def test_proc_self_mem_is_named():
    (problem,) = problems_of("/proc/self/mem")  # a "regular" file whose read fails
    assert problem.file == "/proc/self/mem" and problem.message.startswith("cannot be read")


def test_file_over_10_mb_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "wb") as f:
        f.truncate(11 * 1024 * 1024)  # sparse: costs no disk
    (problem,) = problems_of(path)
    assert "larger than 10 MB" in problem.message


def test_not_a_path_is_a_scenario_error():
    (problem,) = problems_of(42)
    assert "must be a str or a pathlib.Path" in problem.message


# -- depth: nesting, extends chains, stage chains ----------------------------------


def test_extends_chain_over_the_limit_is_refused_without_recursion_error(tmp_path):
    (tmp_path / "f0.toml").write_text(VALID_TEXT, encoding="utf-8")
    for i in range(1, 1200):  # a 1,200-deep chain ran out of stack before
        (tmp_path / f"f{i}.toml").write_text(f'extends = "f{i - 1}.toml"\n', encoding="utf-8")
    problems = problems_of(tmp_path / "f1199.toml")
    assert [p.path for p in problems] == ["extends"]
    assert "the extends chain is longer than 32 files" in problems[0].message


def test_extends_chain_at_the_limit_loads(tmp_path):
    (tmp_path / "f0.toml").write_text(VALID_TEXT, encoding="utf-8")
    for i in range(1, 32):
        (tmp_path / f"f{i}.toml").write_text(f'extends = "f{i - 1}.toml"\n', encoding="utf-8")
    assert load(tmp_path / "f31.toml").name == "valid-small"
    (tmp_path / "f32.toml").write_text('extends = "f31.toml"\n', encoding="utf-8")
    assert "longer than 32 files" in problems_of(tmp_path / "f32.toml")[0].message


def test_deep_values_from_python_are_refused():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    loop: list = []
    loop.append(loop)
    for value in (deep, loop):
        (problem,) = problems_of(VALID, {"stages.filing.after": value})
        assert problem.path == "--set stages.filing.after" and "nested more than 32" in problem.message


def test_a_chain_of_1500_stages_loads_and_a_cycle_through_it_is_named(tmp_path):
    n = 1500  # the cycle search and the stage order recursed once per stage before
    stages = {f"s{i}": stage(after=f"s{i - 1}" if i else (), lag=days(0.01)) for i in range(n)}
    text = scenario_toml(
        "chain",
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-01-02")],
        stages=stages,
        milestones=f"s{n - 1}",
    )
    path = tmp_path / "chain.toml"
    path.write_text(text, encoding="utf-8")
    assert len(load(path).stages) == n
    assert sim.run(load(path), n=1).summary()["projects"]["reached_production"] == 1
    stages["s0"] = stage(after=f"s{n - 1}", lag=days(0.01))
    path.write_text(
        scenario_toml(
            "chain",
            agencies={"bureau": 1},
            projects=[project("p", "std", "2024-01-02")],
            stages=stages,
            milestones=f"s{n - 1}",
        ),
        encoding="utf-8",
    )
    problem = find(problems_of(path), "stages.s0.after")
    assert f"s0 -> s{n - 1} -> s{n - 2}" in problem.message


# -- numbers, ids and names held to what the engine and the format mean ------------
# (the scenario-file cases are in tests/data/bad/; tests/test_valid_scenarios_run.py checks that every
# scenario within the bounds runs)


def test_horizon_years_problem_is_reported_once_at_its_key(tmp_path):
    path = write(tmp_path, ("horizon_years = 2", 'horizon_years = "two"'))
    problems = problems_of(path)
    assert [p.path for p in problems] == ["scenario.horizon_years"]  # no end_date or "outside the horizon" after it


@pytest.mark.parametrize("year", [1800, 1950])
def test_years_before_the_holiday_data_warn(tmp_path, year):
    text = mutate(VALID_TEXT, [("start_date = 2024-01-01", f"start_date = {year}-01-01")])
    text = text.replace("until = 2024-12-31", f"until = {year}-12-31").replace("2024-03-01", f"{year}-03-01")
    path = tmp_path / "old.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(sim.CalendarWarning, match=f"only from 2001; for {year}-{year + 1} the calendar uses weekends"):
        sim.run(load(path), n=1)


@pytest.mark.parametrize("good", ["a", "审批", "permit-2", "stage_3", "Z9"])
def test_ids_of_letters_digits_underscores_and_dashes_are_accepted(tmp_path, good):
    path = write(tmp_path, [("[stages.commissioning]", f'[stages."{good}"]'), ('"commissioning"', f'"{good}"')])
    assert good in load(path).stage_by_id


@pytest.mark.parametrize("bad", ["1st", "-a", "=a", "@a", "a.b", "a b", "a١", "", "a\u200bb"])
def test_ids_outside_the_rule_are_refused(tmp_path, bad):
    for where, mutation in (
        ("stages", [("[stages.commissioning]", f'[stages."{bad}"]'), ('"commissioning"', f'"{bad}"')]),
        ("project", ('id = "flagship"', f'id = "{bad}"')),
    ):
        problems = problems_of(write(tmp_path, mutation))
        assert any("an id must" in p.message for p in problems), (where, problems)


def test_weekday_full_names_are_accepted(tmp_path):
    path = write(tmp_path, (None, '[calendar]\nweekend = ["Saturday", "sun"]'))
    assert load(path).calendar.weekend == (5, 6)


@pytest.mark.parametrize("hours", [["9:00", "17:30"], ["09:00", "17"]])
def test_plain_office_hours_are_accepted(tmp_path, hours):
    path = write(tmp_path, (None, f'[calendar]\nhours = ["{hours[0]}", "{hours[1]}"]'))
    assert load(path).calendar.hours[0] == 9.0


@pytest.mark.parametrize("hours", [[" 9:00", "17:00"], ["٩:00", "17:00"], ["9:00", "+17:00"], ["9:0", "17:00"]])
def test_office_hours_with_blanks_signs_or_other_digits_are_refused(tmp_path, hours):
    path = write(tmp_path, (None, f'[calendar]\nhours = ["{hours[0]}", "{hours[1]}"]'))
    assert "must be" in find(problems_of(path), "calendar.hours").message


def test_lever_scaling_staff_by_a_whole_factor_keeps_an_integer(tmp_path):
    path = write(tmp_path, (None, '[levers.hire]\nscale = {"agencies.bureau.staff" = 2}'))
    assert load(path, levers="hire").agency_by_id["bureau"].staff == 4  # "must be an integer, got 4.0" before


def test_problems_name_the_override_that_caused_them():
    problem = find(problems_of(VALID, {"agencies.bureau.staff": 0}), "agencies.bureau.staff")
    assert "(the override agencies.bureau.staff = 0)" in problem.message


# -- the Python API: immutable scenarios, overrides in any documented form ---------


def test_scenarios_are_deeply_immutable():
    sc = load(VALID)
    before = sim.run(sc, n=1, seed=3).summary()["kpis"]
    attempts = [
        lambda: sc.milestone.__setitem__("construction_permit", sc.milestone["completion"]),
        lambda: sc.stage_by_id.pop("eia"),
        lambda: sc.agency_by_id.update(bureau=sc.agency_by_id["panel"]),
        lambda: sc.raw["agencies"]["bureau"].__setitem__("staff", 50),
        lambda: sc.raw["stages"]["eia"]["after"].append("permit"),
        lambda: sc.classes[0].attributes[0][1].__setitem__("p", 1.0),  # {p = share} of a class attribute
    ]
    for attempt in attempts:
        with pytest.raises((TypeError, AttributeError)):
            attempt()
    assert sim.run(sc, n=1, seed=3).summary()["kpis"] == before
    assert sc.with_overrides({}).raw == sc.raw  # raw still gives the file's table back


def test_the_callers_table_is_copied():
    raw = tomllib.loads(VALID_TEXT)
    sc = build_scenario(raw, "x.toml")
    raw["agencies"]["bureau"]["staff"] = 50
    assert sc.raw["agencies"]["bureau"]["staff"] == 2 and sc.with_levers("none").agency_by_id["bureau"].staff == 2


@pytest.mark.parametrize("overrides", [{1: 2}, {None: 2}, {("agencies", "bureau"): 2}])
def test_override_keys_must_be_strings(overrides):
    (problem,) = problems_of(VALID, overrides)
    assert problem.path == "--set" and "a key path must be a string" in problem.message
    with pytest.raises(ScenarioError):
        load(VALID).with_overrides(overrides)


def test_a_string_of_overrides_is_one_override():
    assert load(VALID, "agencies.bureau.staff=4").agency_by_id["bureau"].staff == 4  # not one per character
    assert load(VALID).with_overrides("agencies.bureau.staff=3").agency_by_id["bureau"].staff == 3


@pytest.mark.parametrize("overrides", [5, [1], [b"agencies.bureau.staff=4"], {"agencies.bureau.staff": {1, 2}}])
def test_overrides_of_another_form_are_refused(overrides):
    (problem,) = problems_of(VALID, overrides)
    assert problem.message


def test_numpy_values_are_numbers():
    np = pytest.importorskip("numpy")
    sc = load(VALID).with_overrides(
        {
            "agencies.bureau.staff": np.int64(4),
            "stages.filing.defect.p": np.float64(0.25),
            "stages.eia.enabled": np.bool_(True),
            "stages.permit.after": np.array(["filing"]),
            "stages.permit.effort.samples": np.arange(1, 4),
        }
    )
    assert sc.agency_by_id["bureau"].staff == 4 and sc.stage_by_id["filing"].defect.p == 0.25
    assert sc.stage_by_id["permit"].after == ("filing",)
    assert sc.stage_by_id["permit"].effort.params == ((1.0, 2.0, 3.0),)


def test_a_key_path_given_twice_is_refused():
    (problem,) = problems_of(VALID, ["agencies.bureau.staff=4", "agencies.bureau.staff=5"])
    assert problem.path == "--set agencies.bureau.staff" and "given twice" in problem.message


@pytest.mark.parametrize(
    "key, fragment",
    [
        ("extends", "resolved when the file is read"),
        ("levers", "cannot be changed"),
        ("levers.faster", "cannot be changed"),
        ("levers.faster.set", "the levers are applied from the file's own tables"),
        ("levers.faster.scale.x", "the levers are applied from the file's own tables"),
        ("agencies..staff", "is not a key path"),
        ("", "is not a key path"),
    ],
)
def test_overrides_that_could_have_no_effect_are_refused(key, fragment):
    (problem,) = problems_of(VALID, {key: 1})
    assert fragment in problem.message


def test_override_of_scenario_levers_is_still_allowed():
    assert load(VALID, {"scenario.levers": []}).levers == ()


# -- the command line ------------------------------------------------------------------


def test_set_extends_is_refused_by_the_cli():
    proc = run_cli("validate", VALID, "--set", 'extends="other.toml"')
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--set extends: extends cannot be changed here" in proc.stderr


@pytest.mark.parametrize("option", [["--seed", "١٢"], ["--seed", "1_2"], ["--seed", "+5"], ["-n", "٣"]])
def test_numbers_on_the_command_line_are_ascii_digits(option):
    proc = run_cli("run", VALID, "-q", "-n", "1", *option)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "must be" in proc.stderr and "whole number" in proc.stderr


def test_a_swept_path_given_twice_is_refused(tmp_path):
    proc = run_cli(
        "sweep", VALID, "--vary", "agencies.bureau.staff=1,2", "--vary", "agencies.bureau.staff=3", "-n", "1",
        "-q", "--out", tmp_path / "out",
    )  # fmt: skip
    assert proc.returncode == 2 and "varied twice" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_compare_attribute_without_levers_is_refused_before_running(tmp_path):
    proc = run_cli("compare", VALID, VALID, "--attribute", "-n", "1", "-q", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    # it silently left attribution out
    assert f"error: {VALID}: scenario.levers: --attribute attributes the levers of the last scenario" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_override_of_the_levers_applies_from_python():
    """``with_overrides({"scenario.levers": ...})`` switches exactly those levers on; it used to be ignored."""
    reform = load(Path(__file__).resolve().parents[1] / "scenarios" / "reform.toml")
    assert len(reform.levers) > 1 and "blueprint" in reform.levers
    assert reform.with_overrides({"scenario.levers": ["blueprint"]}).levers == ("blueprint",)
    assert reform.with_overrides(["scenario.levers=[]"]).levers == ()
    assert reform.with_overrides({"agencies.planning.staff": 3}).levers == reform.levers


def test_a_scenario_error_crosses_processes_whole():
    """Pickled (from a worker) or rebuilt from its args (as SimPy re-raises), the error keeps its problems."""
    import pickle

    from sim.core.errors import LogError

    for cls in (ScenarioError, LogError):
        e = cls([Problem("f.toml", "stages.x", "bad"), Problem("f.toml", "", "worse")])
        for again in (pickle.loads(pickle.dumps(e)), cls(*e.args)):
            assert again.problems == e.problems and str(again) == "f.toml: stages.x: bad\nf.toml: worse"
