"""Outputs land only where approval-sim owns them: nothing a user owns is overwritten or deleted."""

from __future__ import annotations

from pathlib import Path

import sim

from helpers.cli import run_cli

VALID_TEXT = (Path(__file__).parent / "data" / "valid_small.toml").read_text(encoding="utf-8")


def ok(res) -> None:
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr


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
