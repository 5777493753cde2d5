"""Outputs land only where approval-sim owns them: nothing a user owns is overwritten or deleted.

Every output folder carries the marker ``.approval-sim``; ``--force`` replaces only a folder with that marker
holding nothing but what it lists (and a report only an earlier report, known by its generator tag), never
an input of the command.  The target is claimed before anything runs, so that two runs on one target cannot
both succeed, and every refusal comes before the simulation: the refused commands below ask for
``SLOW`` replications, minutes of work, and a refusal that came only after the run would time the test out.

Each test compares the whole folder tree before and after, so "nothing changed, nothing left behind" is
checked byte for byte, hidden files included.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import sim
from sim.core.output import OutputDir
from sim.core.output_file import OutputFile
from sim.core.output_places import MARKER, OutputError, OutputExists

from helpers.cli import run_cli

VALID_TEXT = (Path(__file__).parent / "data" / "valid_small.toml").read_text(encoding="utf-8")
SLOW = 100_000
"""Replications of the valid scenario that take minutes: a command refused only after its run times out."""
REFUSE_WITHIN = 60
GENERATOR = b'<meta name="generator" content="approval-sim'


def tree(root: Path) -> dict[str, object]:
    """Every entry under ``root``, hidden ones included: file bytes, "dir", or ("link", where it points)."""
    out: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = p.read_bytes()
    return out


def refused(res: subprocess.CompletedProcess[str], *fragments: object) -> None:
    """Exit status 2, one clean error line naming each fragment (the path, what was wrong or allowed)."""
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.stderr.startswith("error: "), res.stderr
    for fragment in fragments:
        assert str(fragment) in res.stderr, (fragment, res.stderr)


def ok(res: subprocess.CompletedProcess[str]) -> None:
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` made read-only: by its mode, or for root (whom modes do not stop) by the immutable flag."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root, and chattr +i is not available to make a folder read-only")
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.fixture
def scenario(write_scenario: Callable[..., Path]) -> Path:
    return write_scenario(VALID_TEXT, "s.toml")


def earlier_output(out: Path, scenario: Path, *extra: object) -> dict[str, object]:
    """Run into ``out`` (a few replications) and return the tree of what it wrote."""
    ok(run_cli("run", scenario, "-n", 2, "-q", "-o", out, *extra))
    return tree(out)


# -- report: its single HTML file ----------------------------------------------------------------------------


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
def test_report_never_writes_over_its_inputs(tmp_path, write_scenario, force):
    base = write_scenario(VALID_TEXT, "base.toml")
    child = write_scenario('extends = "base.toml"\n', "child.toml")
    before = tree(tmp_path)
    for inputs, target in (([base, child], base), ([base, child], child), ([child, child], base)):
        res = run_cli("report", *inputs, "-o", target, "-n", SLOW, *force, timeout=REFUSE_WITHIN)
        refused(res, target, "an input of this command", "choose another output file")
    assert tree(tmp_path) == before


def test_report_does_not_replace_a_file_it_did_not_write(tmp_path, scenario):
    mine = tmp_path / "mine.html"
    mine.write_text("<!DOCTYPE html><html><body>my notes</body></html>", encoding="utf-8")
    before = tree(tmp_path)
    for force in ((), ("--force",)):
        res = run_cli("report", scenario, scenario, "-o", mine, "-n", SLOW, *force, timeout=REFUSE_WITHIN)
        refused(res, mine, "not written by approval-sim", "choose another name")
    assert tree(tmp_path) == before


def test_report_force_replaces_its_own_earlier_report(tmp_path, scenario):
    out = tmp_path / "r.html"
    ok(run_cli("report", scenario, scenario, "-o", out, "-n", 2, "--seed", 1, "-q"))
    first = out.read_bytes()
    assert GENERATOR in first[:4096]
    refused(run_cli("report", scenario, scenario, "-o", out, "-n", SLOW, timeout=REFUSE_WITHIN), out, "use --force")
    assert out.read_bytes() == first
    ok(run_cli("report", scenario, scenario, "-o", out, "-n", 2, "--seed", 2, "-q", "--force"))
    assert "seed 2," in out.read_text(encoding="utf-8") and "seed 1," in first.decode("utf-8")
    assert sorted(os.listdir(tmp_path)) == ["r.html", "s.toml"]


def test_report_target_is_checked_before_the_run(tmp_path, scenario):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    for target, fragments in (
        (folder, ("is a folder", folder / "report.html")),
        (tmp_path, ("is a folder",)),
        (blocker / "r.html", (blocker, "is a file, not a folder")),
    ):
        for force in ((), ("--force",)):
            res = run_cli("report", scenario, scenario, "-o", target, "-n", SLOW, *force, timeout=REFUSE_WITHIN)
            refused(res, target, *fragments)
    assert tree(tmp_path) == before


def test_report_creates_missing_parent_folders(tmp_path, scenario):
    out = tmp_path / "new" / "deeper" / "r.html"
    ok(run_cli("report", scenario, scenario, "-o", out, "-n", 2, "-q"))
    assert GENERATOR in out.read_bytes()[:4096]
    assert sorted(os.listdir(out.parent)) == ["r.html"]


def test_report_into_a_read_only_place_is_refused_before_the_run(tmp_path, scenario):
    place = tmp_path / "place"
    place.mkdir()
    before = tree(tmp_path)
    with read_only(place):
        for target in (place / "r.html", place / "new" / "r.html"):
            res = run_cli("report", scenario, scenario, "-o", target, "-n", SLOW, timeout=REFUSE_WITHIN)
            refused(res, target, "not writable", "choose a place you can write to")
    assert tree(tmp_path) == before


# -- --force on output folders ------------------------------------------------------------------------------


def test_force_never_replaces_a_folder_approval_sim_did_not_write(tmp_path, scenario):
    user = tmp_path / "results"
    (user / "sub").mkdir(parents=True)
    (user / "notes.txt").write_text("mine", encoding="utf-8")
    (user / "sub" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    before = tree(tmp_path)
    for command in (("run", scenario), ("sweep", scenario, "--vary", "agencies.bureau.staff=1,2")):
        res = run_cli(*command, "-o", user, "-n", SLOW, "--force", timeout=REFUSE_WITHIN)
        refused(res, user, "not written by approval-sim", "choose a new folder")
        res = run_cli(*command, "-o", user, "-n", SLOW, timeout=REFUSE_WITHIN)
        refused(res, user, "not empty", "give a new or empty folder")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("extra", ["notes.txt", "sub"])
def test_force_keeps_an_output_folder_that_holds_a_users_file(tmp_path, scenario, extra):
    out = tmp_path / "out"
    earlier_output(out, scenario)
    if extra == "sub":
        (out / "sub").mkdir()
        (out / "sub" / "data.csv").write_text("mine", encoding="utf-8")
    else:
        (out / extra).write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    res = run_cli("run", scenario, "-o", out, "-n", SLOW, "--force", timeout=REFUSE_WITHIN)
    refused(res, out, "files approval-sim did not write", extra, "move them out")
    assert tree(tmp_path) == before


def test_force_replaces_an_earlier_output_and_leaves_nothing_else(tmp_path, scenario):
    out = tmp_path / "out"
    first = earlier_output(out, scenario, "--events", "--seed", 1)
    assert set(first) == {MARKER, "events.csv", "projects.csv", "stages.csv", "summary.json"}
    assert json.loads(first[MARKER])["files"] == ["events.csv", "projects.csv", "stages.csv", "summary.json"]
    refused(run_cli("run", scenario, "-o", out, "-n", SLOW, timeout=REFUSE_WITHIN), out, "use --force")
    assert tree(out) == first
    second = earlier_output(out, scenario, "--seed", 2, "--force")
    assert set(second) == {MARKER, "projects.csv", "stages.csv", "summary.json"}  # events.csv went with the rest
    assert json.loads(second["summary.json"])["meta"]["seed"] == 2
    assert sorted(os.listdir(tmp_path)) == ["out", "s.toml"], "a partial or old folder was left behind"


def test_force_never_replaces_a_folder_holding_an_input(tmp_path):
    """Even a folder whose marker claims the scenario file: the input rule stands on its own."""
    project = tmp_path / "project"
    project.mkdir()
    scenario = project / "s.toml"
    scenario.write_text(VALID_TEXT, encoding="utf-8")
    (project / MARKER).write_text(json.dumps({"generator": "approval-sim", "files": ["s.toml"]}), encoding="utf-8")
    child = tmp_path / "other" / "child.toml"  # outside the project: extends its scenario by the absolute path
    child.parent.mkdir()
    child.write_text(f'extends = "{scenario.as_posix()}"\n', encoding="utf-8")
    before = tree(tmp_path)
    for command in (("run", scenario), ("run", child), ("compare", child, child), ("attribute", child)):
        res = run_cli(*command, "-o", project, "-n", SLOW, "--force", timeout=REFUSE_WITHIN)
        refused(res, f"{project} holds {scenario}, an input of this command", "choose another output folder")
    assert tree(tmp_path) == before


def test_force_on_a_read_only_output_folder_is_refused_and_leaves_nothing(tmp_path, scenario):
    out = tmp_path / "out"
    earlier_output(out, scenario)
    before = tree(tmp_path)
    with read_only(out):
        res = run_cli("run", scenario, "-o", out, "-n", SLOW, "--force", timeout=REFUSE_WITHIN)
    refused(res, out, "read-only", "choose another folder")
    assert tree(tmp_path) == before


def test_output_in_a_read_only_folder_is_refused_before_the_run(tmp_path, scenario):
    place = tmp_path / "place"
    out = place / "out"
    earlier_output(out, scenario)
    before = tree(tmp_path)
    with read_only(place):
        for target, force in ((out, "--force"), (place / "new", "-q"), (place / "new" / "deeper", "-q")):
            res = run_cli("run", scenario, "-o", target, "-n", SLOW, force, timeout=REFUSE_WITHIN)
            refused(res, target, "not writable", "choose a place you can write to")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
def test_a_symbolic_link_is_never_an_output(tmp_path, scenario, force):
    out = tmp_path / "out"
    earlier_output(out, scenario)
    report = tmp_path / "r.html"
    ok(run_cli("report", scenario, scenario, "-o", report, "-n", 2, "-q"))
    (tmp_path / "link").symlink_to(out, target_is_directory=True)
    (tmp_path / "link.html").symlink_to(report)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    before = tree(tmp_path)
    for command, names in (
        (("run", scenario), ("link", "dangling")),
        (("report", scenario, scenario), ("link.html", "dangling")),
    ):
        for name in names:
            res = run_cli(*command, "-o", tmp_path / name, "-n", SLOW, *force, timeout=REFUSE_WITHIN)
            refused(res, tmp_path / name, "is a symbolic link", "give the path it points to")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
def test_the_current_folder_and_those_above_it_are_never_outputs(tmp_path, scenario, force):
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)  # empty: only the rule on the current folder stands in the way
    before = tree(tmp_path)
    for target in (".", "..", "../..", str(here), ""):
        res = run_cli("run", scenario, "-o", target, "-n", SLOW, *force, timeout=REFUSE_WITHIN, cwd=here)
        refused(res, "is the current folder or holds it", "give a new folder")
    assert tree(tmp_path) == before


def test_a_stale_partial_folder_is_named_and_kept(tmp_path, scenario):
    """A run killed with SIGKILL leaves its claim; the next run says what it is instead of guessing."""
    partial = tmp_path / ".out.approval-sim-partial"
    partial.mkdir()
    (partial / "projects.csv").write_text("half", encoding="utf-8")
    before = tree(tmp_path)
    res = run_cli("run", scenario, "-o", tmp_path / "out", "-n", SLOW, "--force", timeout=REFUSE_WITHIN)
    refused(res, "another approval-sim run is writing", partial, "remove")
    assert tree(tmp_path) == before


# -- two runs on one target at once ------------------------------------------------------------------------


@pytest.mark.parametrize("force", [False, True], ids=["new", "force"])
def test_two_runs_on_one_output_exactly_one_wins(tmp_path, scenario, force):
    out = tmp_path / "out"
    if force:
        earlier_output(out, scenario, "--seed", 1)
    command = [sys.executable, "-m", "sim", "run", str(scenario), "-n", "250", "-q", "-o", str(out)]
    procs = [
        subprocess.Popen(
            [*command, "--seed", str(seed), *(["--force"] if force else [])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (10, 11)
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(codes) == [0, 2], (codes, errs)
    winner, loser = (10, 11) if codes[0] == 0 else (11, 10)
    loser_err = errs[codes.index(2)]
    assert "Traceback" not in loser_err and str(out) in loser_err, loser_err
    # the winner's output is whole: the same bytes as the same run alone
    alone = tmp_path / "alone"
    ok(run_cli("run", scenario, "-n", 250, "-q", "-o", alone, "--seed", winner))
    assert tree(out) == tree(alone)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["seed"] == winner
    assert sorted(os.listdir(tmp_path)) == ["alone", "out", "s.toml"], "a partial or old folder was left behind"


def test_a_second_claim_on_a_target_fails_at_once(tmp_path):
    out, page = tmp_path / "out", tmp_path / "r.html"
    with OutputDir(out) as first, OutputFile(page, marker=GENERATOR) as report:
        with pytest.raises(OutputError, match="another approval-sim run is writing"):
            OutputDir(out, force=True)
        with pytest.raises(OutputError, match="another approval-sim run is writing"):
            OutputFile(page, force=True, marker=GENERATOR)
        first.write_json("a.json", 1)
        first.commit()
        report.write(GENERATOR + b">")
        report.commit()
    assert sorted(os.listdir(tmp_path)) == ["out", "r.html"]
    assert sorted(os.listdir(out)) == [MARKER, "a.json"]


# -- the Python API ----------------------------------------------------------------------------------------


def test_run_from_python_keeps_a_users_folder(tmp_path, scenario):
    user = tmp_path / "results"
    user.mkdir()
    (user / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    sc = sim.load(scenario)
    with pytest.raises(sim.OutputError, match="not written by approval-sim"):
        sim.run(sc, n=2, out=user, force=True)
    with pytest.raises(sim.OutputError, match="holds .*s.toml, an input"):
        sim.run(sc, n=2, out=tmp_path, force=True)
    with pytest.raises(OutputExists):
        sim.run(sc, n=2, out=user)
    assert tree(tmp_path) == before


def test_write_report_from_python_keeps_inputs_and_other_files(tmp_path, scenario):
    from sim.present import plots
    from sim.present.report import write_report

    sc = sim.load(scenario)
    cmp = sim.compare([sc, sc], n=2)
    figures = plots.all_figures(cmp)
    mine = tmp_path / "mine.html"
    mine.write_text("my notes", encoding="utf-8")
    before = tree(tmp_path)
    for target in (scenario, mine):
        with pytest.raises(OutputError):
            write_report(target, cmp, figures, force=True)
    assert tree(tmp_path) == before
    out = write_report(tmp_path / "r.html", cmp, figures)
    with pytest.raises(OutputExists):
        write_report(out, cmp, figures)
    assert write_report(out, cmp, figures, force=True) == out
    assert sorted(os.listdir(tmp_path)) == ["mine.html", "r.html", "s.toml"]


def test_a_folder_that_appears_during_the_run_is_kept(tmp_path):
    out = tmp_path / "out"
    d = OutputDir(out)
    d.write_json("a.json", 1)
    out.mkdir()
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="appeared while the output was being made"):
        d.commit()
    assert tree(tmp_path) == {"out": "dir", "out/mine.txt": b"mine"}


def test_a_file_that_appears_during_the_run_is_kept(tmp_path):
    page = tmp_path / "r.html"
    f = OutputFile(page, marker=GENERATOR)
    f.write(GENERATOR + b"> new")
    page.write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="appeared while the output was being made"):
        f.commit()
    assert tree(tmp_path) == {"r.html": b"mine"}


def test_a_users_file_added_to_an_output_during_a_forced_run_is_kept(tmp_path, scenario):
    out = tmp_path / "out"
    earlier_output(out, scenario)
    d = OutputDir(out, force=True)
    d.write_json("a.json", 1)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    with pytest.raises(OutputError, match="notes.txt"):
        d.commit()
    assert tree(tmp_path) == {k: v for k, v in before.items() if not k.startswith(".out.approval-sim-partial")}


def test_a_marker_naming_files_outside_its_folder_is_not_approval_sims(tmp_path):
    (tmp_path / "victim.txt").write_text("mine", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"generator": "approval-sim", "files": ["../victim.txt"]}), encoding="utf-8")
    before = tree(tmp_path)
    with pytest.raises(OutputError, match="not written by approval-sim"):
        OutputDir(out, force=True)
    assert tree(tmp_path) == before


def test_a_refused_or_abandoned_output_removes_the_folders_it_created(tmp_path):
    with OutputDir(tmp_path / "a" / "b" / "out") as d:
        d.write_json("x.json", 1)  # left without a commit: as after an exception
    with OutputFile(tmp_path / "c" / "r.html", marker=GENERATOR) as f:
        f.write("x")
    assert list(tmp_path.iterdir()) == []


# -- every output folder says who wrote it -----------------------------------------------------------------


def test_every_output_folder_carries_the_marker_listing_its_files(tmp_path, scenario):
    runs = {
        "run": ("run", scenario),
        "sweep": ("sweep", scenario, "--vary", "agencies.bureau.staff=1,2"),
        "tornado": ("tornado", scenario, "--vary", "agencies.bureau.staff=1,3"),
    }
    for name, command in runs.items():
        out = tmp_path / name
        ok(run_cli(*command, "-n", 2, "-q", "-o", out))
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
        assert marker["generator"].startswith("approval-sim")
        assert marker["files"] == sorted(p.name for p in out.iterdir() if p.name != MARKER), name


# -- the report's assumptions: only what the loader read -------------------------------------------------------


def assumption_case(tmp_path: Path) -> Path:
    """A scenario whose multi-line description holds lines shaped like ``extends``: to a private file outside
    its folder and to a binary file.  Only the real ``extends`` (base.toml) is a file it reads."""
    private = tmp_path / "private" / "notes.txt"
    private.parent.mkdir()
    private.write_text("ASSUMPTION: my salary is 1234\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (project / "base.toml").write_text(VALID_TEXT + "# ASSUMPTION: the base line\n", encoding="utf-8")
    child = project / "child.toml"
    child.write_text(
        'extends = "base.toml"  # ASSUMPTION: the child line\n\n[scenario]\ndescription = """\n'
        'extends = "../private/notes.txt"\nextends = "blob.bin"\n"""\n',
        encoding="utf-8",
    )
    return child


def test_assumptions_are_the_lines_of_the_files_the_loader_read(tmp_path):
    child = assumption_case(tmp_path)
    base = child.parent / "base.toml"
    sc = sim.load(child)
    assert [Path(f) for f in sc.files] == [child, base]
    n_base = len(VALID_TEXT.split("\n"))
    assert [(Path(f), i, text) for f, i, text in sc.assumptions] == [
        (child, 1, 'extends = "base.toml"  # ASSUMPTION: the child line'),
        (base, n_base, "# ASSUMPTION: the base line"),
    ]
    assert sc.with_levers("none").with_overrides({"agencies.bureau.staff": 3}).assumptions == sc.assumptions


def test_report_lists_no_line_of_a_file_the_loader_did_not_read(tmp_path):
    child = assumption_case(tmp_path)
    out = tmp_path / "r.html"
    ok(run_cli("report", child, child, "-n", 2, "-q", "-o", out))
    text = out.read_text(encoding="utf-8")
    assert "the child line" in text and "the base line" in text
    assert text.count("the base line") == 1  # a file shared by both scenarios is listed once
    assert "1234" not in text and "salary" not in text
