"""Reading a backlog file (:func:`read_backlog`) or rows (:func:`backlog_from_rows`), checking every cell.

Each problem names the file, the row (numbered as in a spreadsheet: the header is row 1) and the column,
what was wrong and what is allowed; the command line exits with status 2.  The checks against the
process are in :mod:`sim.scenario.backlog_checks`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.core.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.backlog import (
    OPTIONAL,
    PROJECT_COLUMNS,
    REQUIRED,
    ROUND_STATES,
    STATES,
    Backlog,
    BacklogProject,
    StageState,
    text_of,
)
from sim.scenario.backlog_checks import check_graph
from sim.scenario.limits import MAX_CNY, MAX_SPAN_DAYS
from sim.scenario.scenario import Scenario, known_attributes

#: most projects a backlog may hold
MAX_PROJECTS = 100_000
#: most characters of a project id
MAX_ID = 200

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def read_backlog(path: str | Path, scenario: Scenario, as_of: dt.date) -> Backlog:
    """Read and check a backlog CSV file (UTF-8, a BOM allowed) against ``scenario`` at ``as_of``.

    Raises:
        ScenarioError: every problem found, each naming the file, the row and the column.
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ScenarioError([Problem(name, "", f"cannot read the backlog: {e.strerror or e}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError([Problem(name, "", f"is not UTF-8 text ({e.reason} at byte {e.start})")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        table = list(reader)
    except csv.Error as e:
        raise ScenarioError([Problem(name, f"row {reader.line_num}", f"is not valid CSV: {e}")]) from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise ScenarioError([Problem(name, "row 1", "the file is empty: give a header row (project,stage,state,...)")])
    header = [h.strip() for h in table[0]]
    rows = [(i, dict(zip(header, cells))) for i, cells in enumerate(table[1:], 2) if any(c.strip() for c in cells)]
    problems = _check_header(name, header, scenario, [len(c) for c in table[1:]])
    if problems:
        raise ScenarioError(problems)
    return backlog_from_rows(rows, name, scenario, as_of)


def _check_header(name: str, header: list[str], sc: Scenario, widths: list[int]) -> list[Problem]:
    problems = []
    allowed = [*REQUIRED, *OPTIONAL, *sorted(attribute_columns(sc))]
    seen: set[str] = set()
    for j, h in enumerate(header, 1):
        if h in seen:
            problems.append(Problem(name, f"row 1, column {j}", f"the column {h!r} is given twice"))
        seen.add(h)
        if h not in allowed:
            problems.append(
                Problem(
                    name,
                    f"row 1, column {j}",
                    f"unknown column {h!r}{did_you_mean(h, allowed)}; allowed: {', '.join(allowed)} "
                    "(besides project, stage and state: the project's class, signing date, investment and the "
                    "scenario's project attributes, and the stage's since, round, submitted, paused_workdays)",
                )
            )
    for c in REQUIRED:
        if c not in header:
            problems.append(Problem(name, "row 1", f"the column {c!r} is missing; required: {', '.join(REQUIRED)}"))
    for i, n in enumerate(widths, 2):
        if n > len(header):
            problems.append(Problem(name, f"row {i}", f"has {n} cells, more than the {len(header)} columns"))
            break
    return problems


def attribute_columns(sc: Scenario) -> set[str]:
    """The project attributes of ``sc`` a backlog may give as columns (besides class and investment)."""
    names = known_attributes(sc)
    if sc.base is not None:
        names |= known_attributes(sc.base)
    return names - {"class", "investment_cny"}


def backlog_from_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], source: str, scenario: Scenario, as_of: dt.date
) -> Backlog:
    """A :class:`Backlog` from (row number, column -> cell) pairs, checked against ``scenario``.

    Raises:
        ScenarioError: every problem found (up to 50), each naming ``source``, the row and the column.
    """
    cells = _Cells(source, scenario, as_of)
    by_project: dict[str, list[tuple[int, Mapping[str, str]]]] = {}
    for i, row in rows:
        pid = row.get("project", "").strip()
        if cells.project_id(i, pid):
            by_project.setdefault(pid, []).append((i, row))
    if not by_project and not cells.problems:
        cells.add(2, "project", "the backlog has no rows: list one row per open project and stage")
    if len(by_project) > MAX_PROJECTS:
        cells.add(2, "project", f"{len(by_project):,} projects; at most {MAX_PROJECTS:,} are allowed")
        raise ScenarioError(cells.problems)
    projects = [cells.project(pid, prows) for pid, prows in by_project.items()]
    found = [p for p in projects if p is not None]
    if not cells.problems:
        cells.problems.extend(check_graph(source, scenario, found))
    if cells.problems:
        raise ScenarioError(cells.problems[:50])
    return Backlog(source, as_of, tuple(found))


class _Cells:
    """Reads the cells of a backlog's rows, collecting every problem."""

    def __init__(self, source: str, sc: Scenario, as_of: dt.date):
        self.source, self.sc, self.as_of = source, sc, as_of
        self.problems: list[Problem] = []
        self.open_hour = 0.0 if sc.calendar.always_open else sc.calendar.hours[0]
        self.columns = attribute_columns(sc)
        self.kinds = _attribute_kinds(sc)

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.source, f"row {row}, column {column}", message))

    def project_id(self, i: int, pid: str) -> bool:
        if not pid:
            self.add(i, "project", "is empty; give the project's id")
        elif len(pid) > MAX_ID or not pid.isprintable():
            self.add(i, "project", f"must be printable text of at most {MAX_ID} characters")
        else:
            return True
        return False

    def project(self, pid: str, rows: list[tuple[int, Mapping[str, str]]]) -> BacklogProject | None:
        """One project from its rows: its own columns agree; its stages checked one by one."""
        before = len(self.problems)
        given: dict[str, tuple[int, str]] = {}
        for i, row in rows:
            for c in (*PROJECT_COLUMNS, *self.columns):
                v = row.get(c, "").strip()
                if not v:
                    continue
                if c in given and given[c][1] != v:
                    first = given[c][0]
                    self.add(i, c, f"{v!r} differs from {given[c][1]!r} on row {first} of project {pid!r}")
                given.setdefault(c, (i, v))
        first = rows[0][0]
        cls = given.get("class")
        if cls is None:
            self.add(first, "class", f"project {pid!r} has no class on any of its rows; give one of {self._classes()}")
        elif cls[1] not in self.sc.class_by_id:
            self.add(
                cls[0],
                "class",
                f"unknown class {cls[1]!r}{did_you_mean(cls[1], self.sc.class_by_id)}; allowed: {self._classes()}",
            )
        signed = given.get("signed")
        signed_at = None
        if signed is None:
            self.add(first, "signed", f"project {pid!r} has no signing date on any of its rows (YYYY-MM-DD)")
        else:
            signed_at = self.date(signed[0], "signed", signed[1])
        investment = None
        if "investment_cny" in given:
            i, v = given["investment_cny"]
            investment = self.number(i, "investment_cny", v, 0.0, MAX_CNY)
        attributes = []
        for c in sorted(self.columns):
            if c in given:
                value = self.attribute(given[c][0], c, given[c][1])
                if value is not None:
                    attributes.append((c, value))
        stages = []
        seen: dict[str, int] = {}
        for i, row in rows:
            stage = self.stage(i, row, signed_at)
            if stage is None:
                continue
            if stage.stage in seen:
                self.add(
                    i,
                    "stage",
                    f"project {pid!r} lists stage {stage.stage!r} twice (rows {seen[stage.stage]} "
                    f"and {i}); give one row per project and stage",
                )
                continue
            seen[stage.stage] = i
            stages.append(stage)
        if len(self.problems) > before or signed_at is None or cls is None:
            return None
        return BacklogProject(pid, cls[1], signed_at, investment, tuple(attributes), tuple(stages), first)

    def stage(self, i: int, row: Mapping[str, str], signed: dt.datetime | None) -> StageState | None:
        before = len(self.problems)
        stage = row.get("stage", "").strip()
        if stage not in self.sc.stage_by_id:
            hint = did_you_mean(stage, self.sc.stage_by_id)
            self.add(i, "stage", f"unknown stage {stage!r}{hint}; allowed: {', '.join(self.sc.stage_by_id)}")
        state = row.get("state", "").strip()
        if state not in STATES:
            self.add(i, "state", f"unknown state {state!r}{did_you_mean(state, STATES)}; allowed: {', '.join(STATES)}")
        since_text = row.get("since", "").strip()
        since = None
        if state == "not_started":
            if since_text:
                self.add(i, "since", "a stage not started has no date: leave since empty")
        elif state in STATES and not since_text:
            what = "the decision's date" if state == "done" else f"the date the stage became {state}"
            self.add(i, "since", f"is empty; a {state} stage needs {what} (YYYY-MM-DD or YYYY-MM-DD HH:MM)")
        elif since_text:
            since = self.date(i, "since", since_text)
        if since is not None and signed is not None and since < signed:
            self.add(i, "since", f"{since_text} is before the project signed ({text_of(signed)})")
        round_text = row.get("round", "").strip()
        rounds = 1
        if round_text:
            if not (round_text.isascii() and round_text.isdigit()) or not 1 <= int(round_text) <= 100:
                what = "a whole number from 1 to 100 (1: the first submission)"
                self.add(i, "round", f"must be {what}, got {round_text!r}")
            else:
                rounds = int(round_text)
        submitted = None
        text = row.get("submitted", "").strip()
        if text:
            submitted = self.date(i, "submitted", text)
            if submitted is not None and since is not None and submitted > since and state in ROUND_STATES:
                self.add(i, "submitted", f"the first submission ({text}) is after since ({since_text})")
        paused = 0.0
        text = row.get("paused_workdays", "").strip()
        if text:
            paused = self.number(i, "paused_workdays", text, 0.0, float(MAX_SPAN_DAYS)) or 0.0
        if len(self.problems) > before:
            return None
        return StageState(stage, state, since, rounds, submitted, paused, i)

    def date(self, i: int, column: str, text: str) -> dt.datetime | None:
        """A date (the office opening of that day) or a date and time, before the as-of date."""
        if _DATE.fullmatch(text) is None:
            self.add(i, column, f"{text!r} is not a date: YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS] for a time of day")
            return None
        try:
            t = dt.datetime.fromisoformat(text)
        except ValueError as e:
            self.add(i, column, f"{text!r} is not a date ({e})")
            return None
        if len(text) == 10:  # a day: its office opening
            t += dt.timedelta(hours=self.open_hour)
        if t.date() >= self.as_of:
            self.add(
                i,
                column,
                f"{text} is not before the as-of date {self.as_of} (the backlog is the state at "
                "00:00 of that day: everything in it happened before)",
            )
            return None
        return t

    def number(self, i: int, column: str, text: str, lo: float, hi: float) -> float | None:
        x = float(text) if _NUMBER.fullmatch(text) else math.nan
        if not lo <= x <= hi:
            self.add(i, column, f"must be a number from {lo:g} to {hi:g}, got {text!r}")
            return None
        return x

    def attribute(self, i: int, column: str, text: str) -> Any:
        kind = self.kinds.get(column, str)
        if kind is bool:
            low = text.lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            self.add(i, column, f"the attribute {column} is true or false, got {text!r}")
            return None
        if kind is float:
            return self.number(i, column, text, -1e300, 1e300)
        return text

    def _classes(self) -> str:
        return ", ".join(self.sc.class_by_id)


def _attribute_kinds(sc: Scenario) -> dict[str, type]:
    """Each attribute's type, from the classes' (and named projects') values: bool, float or str."""
    kinds: dict[str, type] = {}
    for sc_ in (sc, sc.base) if sc.base is not None else (sc,):
        values = [v for c in sc_.classes for v in c.attributes] + [v for p in sc_.projects for v in p.attributes]
        for k, v in values:
            kinds.setdefault(k, bool if isinstance(v, (bool, dict)) else float if isinstance(v, (int, float)) else str)
    return kinds
