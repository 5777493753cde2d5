"""Which stage each activity of a log belongs to: the activity itself, the first N parts of its name, or the
first matching regular expression of a stage map file.

``fit`` and ``evaluate`` both go through :class:`StageMap`, so a log is cut into stages the same way when a
scenario is fitted to it and when the scenario is checked against it.

A stage map file is TOML::

    [stages]
    "01_HOOFD_0xx" = '^01_HOOFD_0'     # stage id = regex, tried in file order; the first match wins
    "01_HOOFD_1xx" = '^01_HOOFD_1'

    [options]
    otherwise = "prefix:2"             # activities no regex matches: "activity", "prefix:N" or "drop"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.core.errors import LogError, Problem
from sim.eventlog.model import EventLog

#: what ``--stage-by`` accepts
STAGE_BY_HELP = "'activity' (one stage per activity) or 'prefix:N' (the first N parts of the activity's name)"
#: the separator of the parts of an activity's name, by default
SEPARATOR = "_"
#: what a scenario id starts with when a name does not start with a letter (``08_AWB45`` -> ``s_08_AWB45``)
ID_PREFIX = "s_"


def stage_id(name: str) -> str:
    """``name`` as a scenario id (a stage's, an agency's): it starts with a letter and holds letters (of any
    script), the digits 0-9, ``_`` and ``-``.  Runs of other characters become ``_`` (``"T02 Check"`` ->
    ``"T02_Check"``), and a name that does not start with a letter gets :data:`ID_PREFIX` (``"01 HOOFD"`` ->
    ``"s_01_HOOFD"``)."""
    kept = "".join(c if c.isalpha() or c in "0123456789_-" else " " for c in name)
    text = "_".join(kept.split()).strip("_")
    if not text:
        return "stage"
    return text if text[0].isalpha() else ID_PREFIX + text


@dataclass(frozen=True)
class StageMap:
    """How activities are grouped into stages.

    Attributes:
        parts: 0 for one stage per activity, else the number of leading name parts that name the stage.
        separator: what separates the parts of an activity's name.
        rules: (stage, compiled regex) pairs from a stage map file, tried in order before ``parts``.
        drop_unmatched: activities no rule matches belong to no stage (with rules only).
        source: where the rules came from, for messages and ``# FITTED`` comments.
    """

    parts: int = 0
    separator: str = SEPARATOR
    rules: tuple[tuple[str, re.Pattern[str]], ...] = field(default=())
    drop_unmatched: bool = False
    source: str = ""

    @classmethod
    def parse(
        cls, stage_by: str = "activity", separator: str = SEPARATOR, stage_map: str | Path | None = None
    ) -> StageMap:
        """The map of ``--stage-by``, ``--stage-sep`` and ``--stage-map`` (the file's ``otherwise`` replaces
        ``stage_by`` for what its regexes do not match).

        Raises:
            LogError: a ``stage_by`` not understood, an empty separator, or a stage map file that cannot be read.
        """
        if not separator:
            raise LogError([Problem("--stage-sep", "", "is empty; give the character between name parts, e.g. '_'")])
        rules: list[tuple[str, re.Pattern[str]]] = []
        drop = False
        source = ""
        if stage_map is not None:
            rules, otherwise = _read_stage_map(Path(stage_map))
            source = str(stage_map)
            if otherwise is not None:
                if otherwise == "drop":
                    drop, stage_by = True, "activity"
                else:
                    stage_by = otherwise
        return cls(_parts(stage_by, "--stage-by"), separator, tuple(rules), drop, source)

    def describe(self) -> str:
        """The map in words, as the command-line options that make it."""
        base = "activity" if self.parts == 0 else f"prefix:{self.parts}"
        text = f"--stage-by {base}" + (f" --stage-sep '{self.separator}'" if self.separator != SEPARATOR else "")
        return text + (f" --stage-map {self.source}" if self.source else "")

    def stage_of(self, activity: str) -> str | None:
        """The stage id of an activity (None: dropped by the stage map)."""
        for stage, pattern in self.rules:
            if pattern.search(activity):
                return stage
        if self.drop_unmatched:
            return None
        if self.parts == 0:
            return stage_id(activity)
        return stage_id(self.separator.join(activity.split(self.separator)[: self.parts]))

    def apply(self, log: EventLog) -> tuple[list[str], np.ndarray]:
        """The stages of ``log``, in order of first appearance, and each activity instance's stage number
        (-1 where dropped)."""
        names: list[str] = []
        number: dict[str, int] = {}
        of_activity = np.full(len(log.activities), -1, dtype=np.int32)
        for a, activity in enumerate(log.activities):
            stage = self.stage_of(activity)
            if stage is not None:
                of_activity[a] = number.setdefault(stage, len(number))
                if len(names) < len(number):
                    names.append(stage)
        return names, of_activity[log.activity] if len(log) else np.zeros(0, dtype=np.int32)


def _parts(text: str, where: str) -> int:
    if text == "activity":
        return 0
    kind, _, n = text.partition(":")
    if kind == "prefix" and n.isdigit() and 1 <= int(n) <= 100:
        return int(n)
    raise LogError([Problem(where, "", f"is {text!r}; allowed: {STAGE_BY_HELP}, N from 1 to 100")])


def _read_stage_map(path: Path) -> tuple[list[tuple[str, re.Pattern[str]]], str | None]:
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise LogError([Problem(name, "", f"cannot be read: {e.strerror or e}")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise LogError([Problem(name, "", f"is not valid TOML: {e}")]) from None
    problems: list[Problem] = []
    unknown = sorted(set(raw) - {"stages", "options"})
    if unknown:
        problems.append(Problem(name, unknown[0], "unknown table; allowed: [stages] and [options]"))
    stages = raw.get("stages")
    if not isinstance(stages, dict) or not stages:
        problems.append(Problem(name, "stages", "must be a table of stage id = regular expression, not empty"))
        stages = {}
    rules: list[tuple[str, re.Pattern[str]]] = []
    for stage, pattern in stages.items():
        where = f"stages.{stage}"
        if stage_id(stage) != stage:
            problems.append(
                Problem(
                    name,
                    where,
                    f"a stage id starts with a letter and holds only letters, digits, '_' and '-' "
                    f"(such as {stage_id(stage)!r})",
                )
            )
        elif not isinstance(pattern, str):
            problems.append(Problem(name, where, "must be a regular expression (a string)"))
        else:
            try:
                rules.append((stage, re.compile(pattern)))
            except re.error as e:
                problems.append(Problem(name, where, f"is not a valid regular expression: {e}"))
    options = raw.get("options", {})
    otherwise: str | None = None
    if not isinstance(options, dict):
        problems.append(Problem(name, "options", "must be a table"))
    else:
        for key in sorted(set(options) - {"otherwise"}):
            problems.append(Problem(name, f"options.{key}", "unknown option; allowed: otherwise"))
        value = options.get("otherwise")
        if value is not None:
            if not isinstance(value, str):
                problems.append(Problem(name, "options.otherwise", f"must be 'drop' or {STAGE_BY_HELP}"))
            elif value != "drop":
                try:
                    _parts(value, f"{name}: options.otherwise")
                except LogError:
                    allowed = f"allowed: 'drop' or {STAGE_BY_HELP}"
                    problems.append(Problem(name, "options.otherwise", f"is {value!r}; {allowed}"))
                else:
                    otherwise = value
            else:
                otherwise = value
    if problems:
        raise LogError(problems)
    return rules, otherwise
