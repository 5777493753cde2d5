"""What the command line prints never acts on the terminal: control characters that come from a user's file
(scenario names, descriptions, lever names, target sources, ids and keys echoed in errors, parameter values)
are shown escaped (``\\x1b``), by the one function :func:`sim.present.terminal.printable`."""

from __future__ import annotations

import io
import re

import pytest

from sim.core.errors import Problem, ScenarioError
from sim.present import progress as progress_module
from sim.present.progress import Progress
from sim.present.terminal import printable, printable_lines

from helpers.cli import run_cli
from helpers.scenarios import project, scenario_toml, stage, workdays

#: an escape sequence that clears the screen, a hyperlink ended by BEL, a carriage return, the one-byte CSI,
#: a right-to-left override and a newline
EVIL = "\x1b[2J\x1b]8;;http://x\x07evil\r\x9b31m\u202egnp.exe\n"
SHOWN = r"\x1b[2J\x1b]8;;http://x\x07evil\r\x9b31m\u202egnp.exe\n"
#: what a terminal must never receive from approval-sim (line feeds are its own)
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def test_printable_escapes_what_acts_on_a_terminal_and_keeps_the_rest():
    assert printable(EVIL) == SHOWN
    assert printable("\t\x00\x7f\u2066\u2069\u2028\u200f") == r"\t\x00\x7f\u2066\u2069\u2028\u200f"
    assert printable("\udcff") == r"\udcff"  # an undecodable byte of a file name
    kept = "蓝图管控 Blueprint (é, ü, —) C:\\data\\x.toml 50%"
    assert printable(kept) == kept
    assert printable_lines(f"a{EVIL}b\nc") == f"a{SHOWN[:-2]}\nb\nc"  # line feeds kept, the rest escaped
    assert printable(3) == "3"


def test_a_problem_is_one_line_whatever_it_quotes():
    p = Problem("a\x1b[31m.toml", "scenario.x\ry", "bad value 'z\x07'\n")
    assert str(p) == r"a\x1b[31m.toml: scenario.x\ry: bad value 'z\x07'\n"
    assert str(ScenarioError([p, p])) == f"{p}\n{p}"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_description_is_escaped(monkeypatch):
    fake = FakeTerminal()
    monkeypatch.setattr(progress_module.sys, "stderr", fake)
    bar = Progress(f"{EVIL}: replications")
    with bar as tick:
        tick(1, 10)
        assert bar.bar is not None and bar.bar.desc == f"{SHOWN}: replications"
    assert not UNSAFE.search(fake.getvalue().replace("\r", "")), repr(fake.getvalue())


@pytest.fixture
def evil(write_scenario):
    """A scenario whose free text is full of control characters (ids are left plain: the loader decides
    what an id may be)."""
    text = scenario_toml(
        f"Evil{EVIL}name",
        settings={"description": f"about{EVIL}", "levers": ["fast"], "seed": 3},
        agencies={"bureau": {"staff": 1, "name": f"Bureau{EVIL}"}},
        projects=[project("p1", "std", "2024-02-05"), project("p2", "std", "2024-03-04")],
        stages={
            "filing": stage("bureau", effort=workdays(2)),
            "permit": stage("bureau", after="filing", effort=workdays(1)),
        },
        milestones="permit",
        levers={"fast": {"name": f"Fast{EVIL}filing", "scale": {"stages.filing.effort": 0.5}}},
        targets={"t": {"kpi": "approval_workdays", "stat": "mean", "max": 100, "source": f"src{EVIL}"}},
    )
    return write_scenario(text, "evil.toml")


def clean(res) -> str:
    """Both streams of a command, after checking that neither holds a control character but line feeds."""
    for stream in (res.stdout, res.stderr):
        found = UNSAFE.search(stream)
        assert found is None, f"{found.group()!r} reached the terminal: {stream!r}"
    assert "Traceback" not in res.stderr
    return res.stdout + res.stderr


@pytest.mark.parametrize(
    "command, shown",
    [
        (["validate"], f"(Evil{SHOWN}name: 2 stages"),
        (["run", "-n", 2], f"Evil{SHOWN}name: 2 replications"),
        (["levers"], f"fast: Fast{SHOWN}filing  [on by default]"),
        (["check", "-n", 2], f"source: src{SHOWN}"),
    ],
    ids=["validate", "run", "levers", "check"],
)
def test_a_scenarios_text_is_shown_escaped(evil, command, shown):
    res = run_cli(command[0], evil, *command[1:])
    assert res.returncode == 0, res.stderr
    assert shown in clean(res)


def test_compare_and_attribute_tables_show_names_escaped(evil, tmp_path):
    res = run_cli("compare", evil, evil, "--attribute", "-n", 2, "-o", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    out = clean(res)
    assert f"1: Evil{SHOWN}name" in out and f"2: Evil{SHOWN}name" in out


def test_sweep_values_are_shown_escaped(evil, tmp_path):
    res = run_cli("sweep", evil, "--vary", r'scenario.description="a\u001b[31m","b"', "-n", 1, "-o", tmp_path / "s")
    assert res.returncode == 0, res.stderr
    assert r"a\x1b[31m" in clean(res)


def test_error_messages_show_what_they_quote_escaped(write_scenario, tmp_path):
    bad = write_scenario('[scenario]\n"x\\u001b[2Jy" = 1\n', "bad.toml")
    res = run_cli("validate", bad)
    assert res.returncode == 2
    assert r"scenario.x\x1b[2Jy" in clean(res)
    res = run_cli("run", bad, "\x1b[2J")  # argparse quotes the command line
    assert res.returncode == 2
    assert r"unrecognized arguments: \x1b[2J" in clean(res)
    res = run_cli("run", tmp_path / "no\x1bfile.toml")
    assert res.returncode == 2
    assert r"no\x1bfile.toml" in clean(res)
