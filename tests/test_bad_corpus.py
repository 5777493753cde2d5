"""The corpus of malformed scenarios in ``tests/data/bad/``: each is refused with the expected problem.

Every ``tests/data/bad/NNN_description.toml`` holds one malformed scenario and begins with a comment header
stating what must be reported::

    # expect-path: stages.permit.effort.mean      (the problem's key path; "-" when it has none)
    # expect-message: must be > 0                 (a fragment of the message; one or more lines)
    # expect-file: support/loop_a.toml            (optional; relative to tests/data/bad/)

Which file a problem names:

- by default the case file itself. That includes problems in the *merged* table of a scenario that
  ``extends`` another: the key path points into the merged table, and the problem is reported against the
  file that was loaded, even when the bad key was inherited (``NNN_extends_parent_problem.toml``);
- file-level problems of an extended file (a TOML syntax error in it, an ``extends`` loop) are reported
  against that file: a loop against the file that is entered a second time. Those cases say
  ``# expect-file:``; their helper files live in ``tests/data/bad/support/`` (not collected as cases), each used
  by one case only, so that the CLI lines that name it belong to that case.

Two checks per case:

- in process: :func:`sim.scenario.loading.load` raises :class:`~sim.core.errors.ScenarioError` (and nothing
  else) holding a problem with that file, exactly that key path and every message fragment;
- through the CLI: one ``python -m sim validate`` of *all* the cases at once (validate reports each file);
  stderr has an ``error: FILE: PATH: ...`` line for the case with the fragments, the exit status is 2, and
  there is no traceback. Should a case crash the command, the files before and after it are validated again
  in new calls, so that one crash fails only its own case. Three ``run`` calls check exit status 2 on
  representative files.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.core.errors import ScenarioError
from sim.scenario.loading import load

BAD = Path(__file__).parent / "data" / "bad"
CASES = sorted(BAD.glob("*.toml"))
NAME = re.compile(r"^\d{3}_[a-z0-9_]+\.toml$")


@dataclass(frozen=True)
class Expectation:
    """What a case's header says must be reported."""

    path: str  # key path; "" for none (written "-")
    messages: tuple[str, ...]
    file: Path  # the file the problem must name


def expectation(case: Path) -> Expectation:
    """Parse the ``# expect-...`` lines of the leading comment block of ``case``."""
    text = case.read_bytes().decode("utf-8", errors="replace")  # one case is deliberately not UTF-8
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = re.match(r"#\s*expect-(path|message|file):\s*(.*?)\s*$", line)
        if m:
            fields.setdefault(m.group(1), []).append(m.group(2))
    assert len(fields.get("path", ())) == 1, f"{case.name}: needs exactly one '# expect-path:' line"
    assert fields.get("message"), f"{case.name}: needs at least one '# expect-message:' line"
    assert len(fields.get("file", ())) <= 1, f"{case.name}: at most one '# expect-file:' line"
    path = fields["path"][0]
    file = case.parent / fields["file"][0] if "file" in fields else case
    return Expectation("" if path == "-" else path, tuple(fields["message"]), file)


def _listing(problems) -> str:
    return "\n".join(f"  {p.file} | {p.path or '-'} | {p.message}" for p in problems)


# -- the corpus itself --------------------------------------------------------------------------------


def test_corpus_is_well_formed():
    assert len(CASES) >= 45
    for case in CASES:
        assert NAME.match(case.name), f"{case.name}: name it NNN_short_description.toml"
        exp = expectation(case)
        if exp.file != case:
            assert exp.file.is_file(), f"{case.name}: expect-file {exp.file} does not exist"
    numbers = [c.name[:3] for c in CASES]
    assert len(set(numbers)) == len(numbers), "two cases share a number"
    # each helper file serves one case, named in its first line (the CLI lines naming it belong to that case)
    for helper in sorted((BAD / "support").glob("*.toml")):
        owner = re.match(r"# Helper of tests/data/bad/(\S+\.toml)", helper.read_text(encoding="utf-8"))
        assert owner and (BAD / owner.group(1)).is_file(), f"{helper.name}: first line must name its case"
        others = [
            c.name
            for c in CASES
            if c.name != owner.group(1) and helper.name in c.read_bytes().decode("utf-8", "replace")
        ]
        assert not others, f"{helper.name} belongs to {owner.group(1)} but {others} use it too"


# -- in process --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_load_reports_the_expected_problem(case):
    exp = expectation(case)
    with pytest.raises(ScenarioError) as info:  # any other exception fails the test with its traceback
        load(case)
    problems = info.value.problems
    assert problems, "a ScenarioError must hold at least one problem"
    at_path = [p for p in problems if p.path == exp.path]
    assert at_path, f"no problem at key path {exp.path or '-'!r}; got:\n{_listing(problems)}"
    matching = [p for p in at_path if all(m in p.message for m in exp.messages)]
    assert matching, f"no problem at {exp.path or '-'!r} says all of {list(exp.messages)}; got:\n{_listing(problems)}"
    named = [p for p in matching if Path(p.file).resolve() == exp.file.resolve()]
    assert named, f"the problem names {matching[0].file}, expected {exp.file}"


# -- through the command line ------------------------------------------------------------------------


@dataclass
class CliOutcome:
    """What one ``validate`` call printed about one case."""

    lines: list[str] = field(default_factory=list)  # stderr lines naming the case (or its expect-file)
    status: int | None = None  # exit status of the call that validated it
    crash: str | None = None  # the traceback, if the case crashed the command


def _validate(files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", "validate", *map(str, files)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def cli_outcomes() -> dict[Path, CliOutcome]:
    """Validate every case in one call (more only if a case crashes the command)."""
    names = {case: {str(case), str(expectation(case).file)} for case in CASES}
    outcomes = {case: CliOutcome() for case in CASES}

    def validate(files: list[Path]) -> None:
        proc = _validate(files)
        lines = proc.stderr.splitlines()
        for case in files:
            outcomes[case].lines = [ln for ln in lines if any(ln.startswith(f"error: {n}: ") for n in names[case])]
            outcomes[case].status = proc.returncode
        if "Traceback" not in proc.stderr:
            return
        # validate works through the files in order: the first one with nothing to show crashed it
        ok = {ln[4:].split(" (")[0] for ln in proc.stdout.splitlines() if ln.startswith("ok: ")}
        crashed = next((i for i, c in enumerate(files) if not outcomes[c].lines and str(c) not in ok), len(files) - 1)
        outcomes[files[crashed]].crash = proc.stderr[proc.stderr.index("Traceback") :]
        if crashed > 0:
            validate(files[:crashed])  # again without the crash, for their own exit status
        if crashed + 1 < len(files):
            validate(files[crashed + 1 :])

    validate(CASES)
    return outcomes


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_validate_command_reports_the_case(case, cli_outcomes):
    exp = expectation(case)
    out = cli_outcomes[case]
    if out.crash:
        pytest.fail(f"validate crashed on {case.name}:\n{out.crash}")
    prefix = f"error: {exp.file}: " + (f"{exp.path}: " if exp.path else "")
    hits = [ln for ln in out.lines if ln.startswith(prefix) and all(m in ln for m in exp.messages)]
    assert hits, f"no stderr line starting {prefix!r} with {list(exp.messages)}; lines for this case:\n" + "\n".join(
        out.lines
    )
    assert out.status == 2


@pytest.mark.parametrize(
    "pattern", ["*_toml_syntax_double_equals.toml", "*_levers_in_conflict.toml", "*_extends_loop.toml"]
)
def test_run_command_exits_2(pattern):
    (case,) = BAD.glob(pattern)
    exp = expectation(case)
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(case), "-n", "1", "-q"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"error: {exp.file}: " in proc.stderr
