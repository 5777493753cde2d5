"""The report's table of assumptions: each line marked ASSUMPTION put in its context (table, key, value, the whole
comment), checked on a file with every form TOML allows, and on the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import sim
from sim.present.assumptions import Assumption, assumptions, describe

ROOT = Path(__file__).resolve().parents[1]

TEXT = '''# A header comment
# with an ASSUMPTION in its second line
# ----------------------------------------

[scenario]
name = "x # not a comment"   # ASSUMPTION: name chosen
hours = ["09:00",            # ASSUMPTION: opening
         "17:00"]
staff = 3                    # SOURCE: a report
                             # continued: ASSUMPTION for the rest

[[arrivals.projects]]
id = "a"

[[arrivals.projects]]
id = "b"   # ASSUMPTION: the second project

[levers.x.set]
"stages.eia.consultancy_cny" = 20000   # ASSUMPTION: a form
description = """A text
with an ASSUMPTION inside"""
'''


def test_every_form_of_an_assumption_line(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(TEXT, encoding="utf-8")
    lines = [n for n, line in enumerate(TEXT.splitlines(), 1) if "ASSUMPTION" in line]  # as the loader records them
    assert list(describe(str(f), lines)) == [
        Assumption(str(f), 1, "comment above [scenario]", "", "A header comment with an ASSUMPTION in its second line"),
        Assumption(str(f), 6, "scenario.name", '"x # not a comment"', "ASSUMPTION: name chosen"),
        Assumption(str(f), 7, "scenario.hours", '["09:00", "17:00"]', "ASSUMPTION: opening"),
        Assumption(str(f), 9, "scenario.staff", "3", "SOURCE: a report continued: ASSUMPTION for the rest"),
        Assumption(str(f), 16, "arrivals.projects[1].id", '"b"', "ASSUMPTION: the second project"),
        Assumption(str(f), 19, 'levers.x.set."stages.eia.consultancy_cny"', "20000", "ASSUMPTION: a form"),
        Assumption(str(f), 20, "levers.x.set.description", '"""A text with an ASSUMPTION inside"""', ""),
    ]


def test_a_file_gone_since_it_was_loaded_keeps_the_recorded_lines(tmp_path):
    gone = str(tmp_path / "gone.toml")
    assert list(describe(gone, [4], ["staff = 3  # ASSUMPTION"])) == [
        Assumption(gone, 4, "", "", "staff = 3  # ASSUMPTION")
    ]


def test_the_shipped_scenarios(tmp_path):
    pre, reform = sim.load(ROOT / "scenarios/pre_reform.toml"), sim.load(ROOT / "scenarios/reform.toml")
    found = assumptions([pre, reform])  # reform extends pre_reform: its lines once
    recorded = {(Path(f).resolve(), n) for sc in (pre, reform) for f, n, _ in sc.assumptions}
    # a value's first line is a line the loader recorded; a comment of its own starts its block of comment lines
    assert all((Path(a.file).resolve(), a.line) in recorded or a.key.startswith("comment above") for a in found)
    assert len(found) == len({(a.file, a.line) for a in found})
    by_key = {a.key: a for a in found}
    staff = next(a for a in found if a.key.startswith("comment above [agencies."))
    assert "Staff = reviewers" in staff.comment and "ASSUMPTION" in staff.comment
    assert by_key["calendar.hours"].value == '["09:00", "17:00"]'
    assert by_key["costs.applicant_day_cny"].value == "1500"
    assert by_key["stages.eia.consultancy_cny"].comment.startswith("ASSUMPTION: EIA report")
