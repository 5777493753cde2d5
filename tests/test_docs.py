"""The documentation works: README.md, docs/*.md and benchmarks/README.md, checked as a reader would use them.

- Every ```python block runs. The blocks of one page run in order in one namespace, as one session, in a
  temporary folder where ``scenarios/`` is the repository's. A block whose first line is
  ``# doc-test: skip (reason)`` is only compiled; at most :data:`MAX_SKIPPED` blocks may say so, for examples
  that need an outside service (a Dask scheduler).
- Every ``approval-sim`` (or ``python -m sim``) line of a ```bash or ```console block, and every inline
  ```approval-sim ...``` span, is checked against the command line's own parser: the command and each
  option must exist, and a line that is a complete command (not a synopsis with ``[...]``) must parse.
- ```toml and ```json blocks parse; every fence names its language, so no example escapes these checks.
- Every relative link points to an existing file, and an ``#anchor`` to a heading of it.
- The README stays an entry point (at most :data:`README_MAX_CHARS` characters) with exactly two set-up
  commands, the test one being the command ``.ci/run`` runs; nothing refers to files outside the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from helpers.markdown import anchors, prose

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = (README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md")
README_MAX_CHARS = 12_000
MAX_SKIPPED = 2
SKIP = re.compile(r"#\s*doc-test:\s*skip\s*\((?P<reason>[^)]+)\)\s*$")
LANGUAGES = {"python", "bash", "console", "text", "toml", "json"}
SHELL = {"bash", "console"}
FORBIDDEN = ("../shared", "shared/", "CONTEXT.md", "DESIGN.md", "seed document")


# --------------------------------------------------------------------------------------------------------
# Reading the pages


@dataclass(frozen=True)
class Block:
    """A fenced block: its page, the line of its first content line, its language and text."""

    page: Path
    line: int
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(text: str, page: Path) -> Iterator[Block]:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(`{3,})(.*)$", lines[i])
        if m is None:
            i += 1
            continue
        indent, fence, lang = len(m.group(1)), m.group(2), m.group(3).strip()
        body, j = [], i + 1
        while j < len(lines) and not re.match(rf"^\s*{fence}\s*$", lines[j]):
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        yield Block(page, i + 2, lang, "\n".join(body) + "\n")
        i = j + 1


def page_blocks(page: Path) -> list[Block]:
    return list(blocks(page.read_text(encoding="utf-8"), page))


def all_blocks() -> list[Block]:
    return [b for page in PAGES for b in page_blocks(page)]


# --------------------------------------------------------------------------------------------------------
# Python examples


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder in which ``scenarios/`` is the repository's, as in a checkout."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def run_python_blocks(found: list[Block]) -> int:
    """Run a page's Python blocks in order in one namespace; returns how many ran (skipped ones compile)."""
    namespace: dict = {"__name__": "__doc_example__"}
    ran = 0
    for b in found:
        if b.lang != "python":
            continue
        # pad with blank lines so that a traceback points at the page's own line numbers
        source = "\n" * (b.line - 1) + b.text
        code = compile(source, str(b.page), "exec")
        if SKIP.match(b.text.splitlines()[0] if b.text.strip() else ""):
            continue
        try:
            exec(code, namespace)
        except Exception as e:
            raise AssertionError(f"the example at {b.where} fails: {type(e).__name__}: {e}") from e
        ran += 1
    return ran


PYTHON_PAGES = [p for p in PAGES if any(b.lang == "python" for b in page_blocks(p))]


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=[str(p.relative_to(ROOT)) for p in PYTHON_PAGES])
def test_python_examples_run(page: Path, workdir: Path) -> None:
    run_python_blocks(page_blocks(page))


def test_there_are_python_examples_and_few_are_skipped() -> None:
    python = [b for b in all_blocks() if b.lang == "python"]
    skipped = [b for b in python if b.text.strip() and SKIP.match(b.text.splitlines()[0])]
    assert len(python) >= 10, f"only {len(python)} Python examples found: is the fence parser broken?"
    assert len(skipped) <= MAX_SKIPPED, f"too many skipped examples: {[b.where for b in skipped]}"
    for b in python:  # a skip marker anywhere but the first line would be ignored: refuse it
        later = [line for line in b.text.splitlines()[1:] if "doc-test" in line]
        assert not later, f"{b.where}: the doc-test marker must be the block's first line"


# --------------------------------------------------------------------------------------------------------
# Command lines


@cache
def parser() -> argparse.ArgumentParser:
    from sim.cli import build_parser

    return build_parser()


@cache
def subcommand_options() -> dict[str, dict[str, argparse.Action]]:
    """Each command with its options (option string -> action)."""
    subparsers = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {opt: a for a in sub._actions for opt in a.option_strings} for name, sub in subparsers.choices.items()
    }


def command_lines(b: Block) -> Iterator[list[str]]:
    """The arguments after ``approval-sim`` (or ``python -m sim``) of each command in a shell block."""
    text = re.sub(r"\\\n\s*", " ", b.text)  # continuation lines
    for line in text.splitlines():
        line = re.sub(r"^\s*\$\s+", "", line)
        if not line.strip():
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as e:
            raise AssertionError(f"{b.where}: cannot split {line!r}: {e}") from e
        command: list[str] = []
        for tok in [*tokens, ";"]:
            if tok in {"&&", "||", ";", "|"}:
                if command[:1] == ["approval-sim"]:
                    yield command[1:]
                elif command[:3] == ["python", "-m", "sim"]:
                    yield command[3:]
                command = []
            else:
                command.append(tok)


OPTION = re.compile(r"^\[*(--?[A-Za-z][\w-]*)(?:=.*)?\]*$")


def check_command(args: list[str], where: str, synopsis: bool = False) -> None:
    """The command and its options exist; unless ``synopsis``, a complete command line (no ``[...]``) parses."""
    commands = subcommand_options()
    assert args, f"{where}: approval-sim without a command"
    name = args[0]
    top = {opt for a in parser()._actions for opt in a.option_strings}
    if name in top:  # approval-sim --version, --help: options of the program itself
        assert len(args) == 1, f"{where}: approval-sim {name} takes nothing more"
        return
    if name == "COMMAND":  # the generic form, e.g. approval-sim COMMAND --help
        options = set.intersection(*(set(o) for o in commands.values()))
    else:
        assert name in commands, f"{where}: approval-sim has no command {name!r} (commands: {', '.join(commands)})"
        options = set(commands[name])
    for tok in args[1:]:
        m = OPTION.match(tok)
        if m and not re.match(r"^\[*-\d", tok):
            option = m.group(1)
            assert option in options, f"{where}: approval-sim {name} has no option {m.group(1)}"
    synopsis = (
        synopsis or name == "COMMAND" or any(t.startswith("[") or t.endswith("]") or t == "..." for t in args[1:])
    )
    if synopsis:
        return
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            parser().parse_args(args)
        except SystemExit as e:
            raise AssertionError(f"{where}: approval-sim {' '.join(args)} does not parse: {err.getvalue()}") from e


def inline_commands(page: Path) -> Iterator[tuple[list[str], str]]:
    text = page.read_text(encoding="utf-8")
    for m in re.finditer(r"(?<!`)`(approval-sim [^`]+)`(?!`)", text):
        line = text.count("\n", 0, m.start()) + 1
        yield shlex.split(m.group(1))[1:], f"{page.relative_to(ROOT)}:{line}"


def test_command_lines_name_real_commands_and_options() -> None:
    checked = 0
    for b in all_blocks():
        if b.lang in SHELL:
            for args in command_lines(b):
                check_command(args, b.where)
                checked += 1
    for page in PAGES:
        for args, where in inline_commands(page):  # prose names commands and options, not whole command lines
            check_command(args, where, synopsis=True)
            checked += 1
    assert checked >= 20, f"only {checked} command lines found: is the extraction broken?"


def test_every_command_is_documented() -> None:
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    for name in subcommand_options():
        assert f"approval-sim {name} " in cli, f"docs/cli.md does not show approval-sim {name}"
        assert f"`approval-sim {name} " in readme, f"the README's command list lacks approval-sim {name}"


# --------------------------------------------------------------------------------------------------------
# Other blocks, fences, links, the README


def test_fences_name_a_language_and_data_blocks_parse() -> None:
    for b in all_blocks():
        assert b.lang in LANGUAGES, f"{b.where}: a fence needs one of {sorted(LANGUAGES)}, not {b.lang!r}"
        if b.lang == "toml":
            tomllib.loads(b.text)
        elif b.lang == "json":
            json.loads(b.text)


def test_relative_links_point_to_existing_files_and_headings() -> None:
    checked = 0
    for page in PAGES:
        for m in re.finditer(r"\[[^\]]*\]\(([^)\s]+)\)", prose(page.read_text(encoding="utf-8"))):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            assert file.exists(), f"{page.relative_to(ROOT)}: link to {target} points to no file"
            assert file.is_relative_to(ROOT), f"{page.relative_to(ROOT)}: link to {target} leaves the repository"
            if anchor:
                assert file.suffix == ".md", f"{page.relative_to(ROOT)}: anchor into a non-Markdown file: {target}"
                assert anchor in anchors(file), f"{page.relative_to(ROOT)}: {target}: no such heading"
            checked += 1
    assert checked >= 20


def test_nothing_refers_outside_the_repository() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for word in FORBIDDEN:
            assert word not in text, f"{page.relative_to(ROOT)} mentions {word!r}: cite the source in docs/sources.md"


def test_readme_is_an_entry_point_with_two_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) <= README_MAX_CHARS, f"README.md has {len(text)} characters, more than {README_MAX_CHARS}"
    setup = text.split("\n## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [line for b in blocks(setup, README) if b.lang in SHELL for line in b.text.splitlines() if line.strip()]
    assert len(commands) == 2, f"the set-up should be exactly two commands, found {commands}"
    main, tests = commands
    assert main.startswith("pip install -e . && approval-sim compare scenarios/pre_reform.toml scenarios/reform.toml")
    assert tests == "pip install -e '.[test,dask]' && pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci, ".ci/run no longer runs the README's test command verbatim"


# --------------------------------------------------------------------------------------------------------
# The checks can fail


def test_a_broken_example_fails(workdir: Path) -> None:
    page = ROOT / "docs" / "broken.md"
    good = "```python\nimport sim\nbase = sim.load('scenarios/pre_reform.toml')\n```\n"
    assert run_python_blocks(list(blocks(good, page))) == 1
    for text in (
        good + "```python\nbase.with_overrides({'agencies.nowhere.staff': 1})\n```\n",
        "```python\nimport sim\nsim.run(sim.load('scenarios/missing.toml'), n=2)\n```\n",
        "```python\nthis is not python\n```\n",
    ):
        with pytest.raises((AssertionError, SyntaxError)):
            run_python_blocks(list(blocks(text, page)))


@pytest.mark.parametrize(
    "line",
    [
        "approval-sim simulate scenarios/reform.toml",
        "approval-sim run scenarios/reform.toml --replications-count 5",
        "approval-sim run scenarios/reform.toml -n many",
        "approval-sim report scenarios/pre_reform.toml scenarios/reform.toml",  # -o is required
        "approval-sim --versions",
        "approval-sim levers FILE [--force]",
    ],
)
def test_a_broken_command_line_fails(line: str) -> None:
    block = Block(ROOT / "docs" / "broken.md", 1, "bash", line + "\n")
    with pytest.raises(AssertionError):
        for args in command_lines(block):
            check_command(args, block.where)
