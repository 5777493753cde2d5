"""The scenario: a frozen, validated description of an approval process.

Its parts (stages, agencies, calendars, ...) are the dataclasses of :mod:`sim.scenario.spec`, re-exported here.

:func:`build_scenario` turns the raw (merged) TOML table into a
:class:`Scenario`, reporting every problem with its key path.  Loading files,
``extends`` and ``--set`` overrides live in :mod:`sim.scenario.loading`; the meaning of
each key is documented in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from sim.core.errors import Problem, ScenarioError, did_you_mean
from sim.core.kpi import kpi_names
from sim.scenario.conditions import Condition
from sim.scenario.frozen import FrozenDict, freeze, thaw
from sim.scenario.graph import find_cycle
from sim.scenario.levers import Change, apply_levers, lever_changes
from sim.scenario.limits import MAX_CNY, MAX_SPAN_DAYS, show
from sim.scenario.naming import variant_name
from sim.scenario.overrides import apply_overrides, parse_overrides
from sim.scenario.schema import RawTable, Reader
from sim.scenario.sections import (
    parse_agency,
    parse_arrivals,
    parse_calendar,
    parse_horizon_end,
    parse_milestones,
    parse_project_class,
    parse_reform_date,
    parse_shutdowns,
    parse_stage,
)
from sim.scenario.spec import (
    Agency,
    CalendarSpec,
    Costs,
    Defect,
    Limit,
    Milestone,
    NamedProject,
    ProjectClass,
    Shutdown,
    Sittings,
    Stage,
    Stream,
)
from sim.scenario.stage_options import (
    AgentPool,
    parse_agents,
)
from sim.scenario.targets import Target, parse_targets

#: which levers to switch on: "all", "none", comma-separated ids or a list of ids; None: the file's own
LeverChoice = str | list[str] | tuple[str, ...] | None

__all__ = [
    "Agency",
    "CalendarSpec",
    "Costs",
    "Defect",
    "LeverChoice",
    "Limit",
    "Milestone",
    "NamedProject",
    "ProjectClass",
    "Scenario",
    "Shutdown",
    "Sittings",
    "Stage",
    "Stream",
    "build_scenario",
    "resolve_levers",
]


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable scenario.  Build one with :func:`sim.load`.

    Immutable all the way down: its parts are frozen dataclasses and tuples, ``raw`` (the merged table of the
    file, levers not applied) and the values of ``overrides`` are read-only copies, and the look-up tables
    (``stage_by_id``, ``milestone``...) are read-only dicts.
    """

    name: str
    description: str
    source: str
    start_date: dt.date
    end_date: dt.date
    seed: int
    warmup_days: float
    calendar: CalendarSpec
    shutdowns: tuple[Shutdown, ...]
    agencies: tuple[Agency, ...]
    classes: tuple[ProjectClass, ...]
    projects: tuple[NamedProject, ...]
    stream: Stream | None
    stages: tuple[Stage, ...]
    milestones: tuple[tuple[str, Milestone], ...]
    costs: Costs = Costs()
    agents: AgentPool | None = None
    levers: tuple[str, ...] = ()
    lever_names: tuple[tuple[str, str], ...] = ()
    one_off_cny: float = 0.0
    reform_date: dt.date | None = None
    base: Scenario | None = field(default=None, compare=False, repr=False)
    targets: tuple[Target, ...] = ()
    overrides: tuple[tuple[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: the files the loader read: the scenario file, then the files it extends (empty if not loaded from a file)
    files: tuple[str, ...] = field(default=(), compare=False, repr=False)
    #: the lines of those files marked ASSUMPTION: (file, line number, stripped line)
    assumptions: tuple[tuple[str, int, str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # read-only copies: a change to the caller's table, or an attempt to change these, cannot alter results
        object.__setattr__(self, "raw", freeze(self.raw))
        object.__setattr__(self, "overrides", tuple((k, freeze(v)) for k, v in self.overrides))

    def with_levers(self, names: LeverChoice) -> Scenario:
        """The same scenario with exactly the levers ``names`` on ("all", "none" or an iterable of ids).

        Unless it was given a name (:meth:`with_name`), the result's name says which levers differ from the
        file's own: ``"Reform (...) [levers: none]"`` (:mod:`sim.scenario.naming`)."""
        return self._same_files(
            build_scenario(thaw(self.raw), self.source, levers=names, overrides=thaw(dict(self.overrides)))
        )

    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[str]) -> Scenario:
        """A new scenario with dotted-path values replaced, validated like a file; levers stay as they are.

        ``overrides`` is a mapping of key path to value, or ``"key.path=value"`` strings as ``--set`` takes
        them (a single string is one override). Example:
        ``sc.with_overrides({"agencies.planning.staff": 4, "stages.eia.defect.p": 0.1})``.  Unless it was given
        a name (:meth:`with_name`), the result's name lists the overrides:
        ``"Pre-reform (LNA before 2017) [agencies.planning.staff=4, stages.eia.defect.p=0.1]"``.
        """
        merged = {**thaw(dict(self.overrides)), **parse_overrides(overrides, self.source)}
        levers = None if "scenario.levers" in merged else self.levers  # an override of the levers applies
        return self._same_files(build_scenario(thaw(self.raw), self.source, levers=levers, overrides=merged))

    def with_name(self, name: str) -> Scenario:
        """The same scenario named ``name`` (the ``scenario.name`` override): tables, figures and reports show
        it, and later :meth:`with_levers` and :meth:`with_overrides` keep it instead of naming the change."""
        return self.with_overrides({"scenario.name": name})

    def _same_files(self, other: Scenario) -> Scenario:
        return replace(other, files=self.files, assumptions=self.assumptions)

    @property
    def declared_levers(self) -> tuple[str, ...]:
        """Every lever the scenario declares, in file order."""
        return tuple(k for k, _ in self.lever_names)

    @property
    def horizon_days(self) -> int:
        """Length of the simulated period in calendar days (end date included)."""
        return (self.end_date - self.start_date).days + 1

    @cached_property
    def agency_by_id(self) -> Mapping[str, Agency]:
        """The agencies by id (read-only)."""
        return FrozenDict({a.id: a for a in self.agencies})

    @cached_property
    def stage_by_id(self) -> Mapping[str, Stage]:
        """The stages by id (read-only)."""
        return FrozenDict({s.id: s for s in self.stages})

    @cached_property
    def class_by_id(self) -> Mapping[str, ProjectClass]:
        """The project classes by id (read-only)."""
        return FrozenDict({c.id: c for c in self.classes})

    @cached_property
    def milestone(self) -> Mapping[str, Milestone]:
        """Where each milestone is reached, by milestone name (read-only)."""
        return FrozenDict(dict(self.milestones))


TOP_KEYS = (
    "extends",
    "scenario",
    "calendar",
    "shutdowns",
    "agencies",
    "agents",
    "classes",
    "arrivals",
    "stages",
    "milestones",
    "costs",
    "levers",
    "targets",
)


def resolve_levers(raw: RawTable, levers: LeverChoice, file: str) -> tuple[str, ...]:
    """The active lever ids: ``levers`` ("all", "none", a comma list or an iterable) or the file's own."""
    declared = list((raw.get("levers") or {}) if isinstance(raw.get("levers"), dict) else {})
    if levers is None:
        scenario_table = raw.get("scenario")
        levers = scenario_table.get("levers", []) if isinstance(scenario_table, dict) else []
        if not isinstance(levers, list) or not all(isinstance(x, str) for x in levers):
            raise ScenarioError([Problem(file, "scenario.levers", "must be a list of lever ids")])
    if isinstance(levers, str):
        levers = {"all": declared, "none": []}.get(levers.strip(), [x.strip() for x in levers.split(",") if x.strip()])
    if not isinstance(levers, (list, tuple)) or not all(isinstance(x, str) for x in levers):
        raise ScenarioError(
            [Problem(file, "scenario.levers", f'must be a list of lever ids, "all" or "none", got {levers!r}')]
        )
    return tuple(dict.fromkeys(levers))


def build_scenario(
    raw: RawTable, file: str, levers: LeverChoice = None, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Validate the merged raw table of a scenario file and build the :class:`Scenario`.

    Args:
        raw: the merged table (after ``extends`` and overrides), levers not applied.
        file: the file name used in messages.
        levers: the levers to switch on ("all", "none", ids); None means the file's ``scenario.levers``.
        overrides: dotted paths and values applied after the levers (see :mod:`sim.scenario.overrides`).

    Raises:
        ScenarioError: with every problem found, each naming ``file`` and a key path.
    """
    overrides = parse_overrides(overrides or {}, file)
    if levers is None and "scenario.levers" in overrides:
        levers = overrides["scenario.levers"]
    active = resolve_levers(raw, levers, file)
    _check_declared_levers(raw, file)
    origins = _origins(raw, active, overrides)
    try:
        return _build(raw, file, levers, overrides, active, origins)
    except ScenarioError as e:
        raise ScenarioError(_annotate(e.problems, origins)) from None


def _build(
    raw: RawTable,
    file: str,
    levers: LeverChoice,
    overrides: dict[str, Any],
    active: tuple[str, ...],
    origins: Mapping[str, str],
) -> Scenario:
    """:func:`build_scenario` once the levers are resolved."""
    patched = apply_overrides(
        apply_levers(raw, active, file, "scenario.levers" if levers is None else "levers"), overrides, file
    )
    r = Reader(file)
    top = r.table(patched, "", TOP_KEYS, required=("scenario", "stages", "milestones"))
    lever_tables = r.id_table(top.get("levers"), "levers")
    scenario_table = r.table(
        top.get("scenario"),
        "scenario",
        (
            "name",
            "description",
            "start_date",
            "end_date",
            "horizon_years",
            "seed",
            "warmup_days",
            "levers",
            "reform_date",
        ),
        required=("name",),
    )  # start_date: reported by r.date below
    before = len(r.problems)
    start = r.date(scenario_table, "start_date", "scenario") or dt.date(2000, 1, 1)
    end = parse_horizon_end(r, scenario_table, start)
    horizon_known = len(r.problems) == before  # else its stand-in is not checked against: no follow-on problems
    calendar = parse_calendar(r, top.get("calendar"))
    shutdowns = parse_shutdowns(r, top.get("shutdowns"))
    agencies = tuple(parse_agency(r, k, v) for k, v in r.id_table(top.get("agencies"), "agencies").items())
    classes = tuple(parse_project_class(r, k, v) for k, v in r.id_table(top.get("classes"), "classes").items())
    projects, stream = parse_arrivals(r, top.get("arrivals"), start, end, horizon_known)
    stages = tuple(parse_stage(r, k, v) for k, v in r.id_table(top.get("stages"), "stages").items())
    milestones = parse_milestones(r, top.get("milestones"))
    costs_table = r.table(top.get("costs"), "costs", ("applicant_day_cny", "capital_rate"))
    costs = Costs(
        r.number(costs_table, "applicant_day_cny", "costs", 0.0, lo=0, hi=MAX_CNY),
        r.number(costs_table, "capital_rate", "costs", 0.0, lo=0, hi=1),
    )
    try:
        own: tuple[str, ...] | None = resolve_levers(raw, None, file)
    except ScenarioError:  # the file's own list is malformed (reported if it is the one used): name the levers
        own = None
    scenario = Scenario(
        name=variant_name(
            r.string(scenario_table, "name", "scenario", ""), overrides, active, own, tuple(lever_tables)
        ),
        description=r.string(scenario_table, "description", "scenario", ""),
        source=file,
        start_date=start,
        end_date=end,
        seed=r.number(scenario_table, "seed", "scenario", 0, lo=0, hi=2**63 - 1, integer=True),
        warmup_days=r.number(scenario_table, "warmup_days", "scenario", 0.0, lo=0, hi=MAX_SPAN_DAYS),
        calendar=calendar,
        shutdowns=shutdowns,
        agencies=agencies,
        classes=classes,
        projects=projects,
        stream=stream,
        stages=stages,
        milestones=milestones,
        costs=costs,
        agents=parse_agents(r, top.get("agents")),
        levers=active,
        lever_names=tuple((k, v.get("name", k) if isinstance(v, dict) else k) for k, v in lever_tables.items()),
        one_off_cny=sum(
            r.number(lever_tables.get(k, {}), "one_off_cny", f"levers.{k}", 0.0, lo=0, hi=MAX_CNY) for k in active
        ),
        reform_date=parse_reform_date(r, scenario_table, start, end, active, horizon_known),
        targets=parse_targets(r, top.get("targets"), tuple(lever_tables)),
        overrides=tuple(overrides.items()),
        raw=raw,
    )
    check_references(scenario, r, origins)
    r.raise_if_any()
    if scenario.reform_date is not None and active:
        # the process before the cut-over: no levers, and the overrides that apply to it
        base_raw = apply_overrides(raw, overrides, file, skip_missing=True)
        scenario = replace(scenario, base=build_scenario(base_raw, file, levers=()))
    return scenario


def _check_declared_levers(raw: RawTable, file: str) -> None:
    """Check the shape of every declared lever, on or off (a misspelt key of a lever that is off is an error)."""
    declared = raw.get("levers")
    problems: list[Problem] = []
    for name, table in declared.items() if isinstance(declared, dict) else ():
        try:
            lever_changes(name, table, file)
        except ScenarioError as e:
            problems += e.problems
    if problems:
        raise ScenarioError(problems)


BUILTIN_ATTRIBUTES = ("class", "investment_cny")


def known_attributes(sc: Scenario) -> set[str]:
    """Project attribute names that conditions may read."""
    names = set(BUILTIN_ATTRIBUTES)
    for c in sc.classes:
        names.update(k for k, _ in c.attributes)
    for p in sc.projects:
        names.update(k for k, _ in p.attributes)
    return names


def _origins(raw: RawTable, active: tuple[str, ...], overrides: Mapping[str, Any]) -> dict[str, str]:
    """Key path -> what put a value there: the active levers' changes and the overrides (for messages)."""
    declared: dict[str, Any] = raw["levers"] if isinstance(raw.get("levers"), dict) else {}
    out: dict[str, list[str]] = {}
    for name in active:
        if isinstance(declared.get(name), dict):
            for c in lever_changes(name, declared[name], ""):
                out.setdefault(c.path, []).append(_describe_change(c))
    for path, value in overrides.items():
        out.setdefault(path, []).append(f"the override {path} = {show(value, 40)}")
    return {k: "; ".join(v) for k, v in out.items()}


def _describe_change(c: Change) -> str:
    if c.op == "scale":
        return f"lever {c.lever!r} scales {c.path} by {c.value:g}"
    if c.path.startswith("stages.") and c.path.endswith(".enabled") and c.value is False:
        return f"lever {c.lever!r} skips stage {c.path[len('stages.') : -len('.enabled')]!r}"
    return f"lever {c.lever!r} sets {c.path}"


def _related(problem_path: str, changed: str) -> bool:
    """Whether a problem at ``problem_path`` may come from a value set at ``changed`` (one holds the other)."""

    def inside(a: str, b: str) -> bool:
        return a == b or (a.startswith(b) and a[len(b)] in ".[")

    return bool(problem_path) and (inside(problem_path, changed) or inside(changed, problem_path))


def _annotate(problems: Iterable[Problem], origins: Mapping[str, str]) -> list[Problem]:
    """``problems``, each naming the levers and overrides that changed its value, if any."""
    out = []
    for p in problems:
        notes = [text for path, text in origins.items() if _related(p.path, path) and text not in p.message]
        out.append(replace(p, message=f"{p.message} ({'; '.join(notes)})") if notes else p)
    return out


def check_references(sc: Scenario, r: Reader, origins: Mapping[str, str] | None = None) -> None:
    """Record a problem in ``r`` for every broken reference in ``sc`` (``origins``: what changed which key path,
    to name the levers that close a cycle of stages)."""
    agencies, stages, classes = sc.agency_by_id, sc.stage_by_id, sc.class_by_id
    shutdowns = {w.id for w in sc.shutdowns}
    attrs = known_attributes(sc)

    def ref(path: str, name: str, pool: Collection[str], what: str) -> None:
        if name and name not in pool:
            allowed = ", ".join(sorted(pool)) or "none defined"
            r.error(path, f"unknown {what} {name!r}{did_you_mean(name, pool)}; defined: {allowed}")

    def cond(path: str, c: Condition | None) -> None:
        if c is not None:
            for name in c.attributes:
                ref(f"{path}.{name}", name, attrs, "project attribute")

    for a in sc.agencies:
        cond(f"agencies.{a.id}.priority", a.priority)
    for w in sc.shutdowns:
        cond(f"shutdowns.{w.id}.exempt", w.exempt)
    for s in sc.stages:
        path = f"stages.{s.id}"
        if s.agency is not None:
            ref(f"{path}.agency", s.agency, agencies, "agency")
        for i, dep in enumerate(s.after):
            ref(f"{path}.after[{i}]", dep, stages, "stage")
            if dep == s.id:
                r.error(f"{path}.after[{i}]", "a stage cannot come after itself")
        for i, window in enumerate(s.shutdowns):
            ref(f"{path}.shutdowns[{i}]", window, shutdowns, "shutdown window")
        cond(f"{path}.when", s.when)
        if s.feedback is not None and s.feedback.to:
            ref(f"{path}.feedback.to", s.feedback.to, stages, "stage")
            back = stages.get(s.feedback.to)
            if back is not None and (back.agency is None or back.effort is None):
                r.error(f"{path}.feedback.to", f"stage {back.id!r} has no agency effort to go back to")
        if not any((s.prepare, s.effort, s.lag, s.build, s.agency)):
            r.error(path, "does nothing: give at least one of prepare, agency/effort, lag or build")
    if not sc.stages:
        r.error("stages", "at least one stage is needed")
    for key, m in sc.milestones:
        ref(f"milestones.{key}" if m.short else f"milestones.{key}.stage", m.stage, stages, "stage")

    seen: dict[str, int] = {}
    for i, p in enumerate(sc.projects):
        if p.id in seen:
            r.error(
                f"arrivals.projects[{i}].id",
                f"duplicate project id {p.id!r} (first at arrivals.projects[{seen[p.id]}])",
            )
        seen.setdefault(p.id, i)
        ref(f"arrivals.projects[{i}].class", p.cls, classes, "project class")
    if sc.stream is not None:
        for name, _ in sc.stream.classes:
            ref(f"{sc.stream.key}.classes.{name}", name, classes, "project class")
    if not sc.projects and sc.stream is None:
        r.error("arrivals", "no projects: give [[arrivals.projects]], [arrivals.stream] or [arrivals.replay]")

    for key in ("regional", "prereview", "commitment"):
        for s in sc.stages:
            opt = getattr(s, key)
            if opt is not None:
                ref(f"stages.{s.id}.{key}.attribute", opt.attribute, attrs, "project attribute")
    if sc.agents is not None:
        cond("agents.when", sc.agents.when)
    kpis = kpi_names(stages, classes, agencies)
    for t in sc.targets:
        if t.kpi:
            ref(f"targets.{t.id}.kpi", t.kpi, kpis, "KPI")

    cycle = find_cycle({s.id: [d for d in s.after if d in stages] for s in sc.stages})
    if cycle:
        changed = origins or {}
        made = [changed[f"stages.{s}.after"] for s in cycle[:-1] if f"stages.{s}.after" in changed]
        because = f"; {'; '.join(dict.fromkeys(made))}" if made else ""
        r.error(f"stages.{cycle[0]}.after", f"the stages' after form a cycle: {' -> '.join(cycle)}{because}")
