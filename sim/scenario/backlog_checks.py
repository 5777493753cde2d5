"""The checks of a backlog against the scenario's process: states the stage can be in, the stage graph, dates.

Each project is checked against the process that applies to it: the scenario's, or, with a reform date, the
process before the reform for a project signed before it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sim.core.errors import Problem
from sim.scenario.backlog import ROUND_STATES, BacklogProject, StageState
from sim.scenario.scenario import Scenario, Stage


def process_for(sc: Scenario, project: BacklogProject) -> Scenario:
    """The process ``project`` follows: before the reform date, the scenario without levers."""
    if sc.base is not None and sc.reform_date is not None and project.signed.date() < sc.reform_date:
        return sc.base
    return sc


def allowed_states(sc: Scenario, stage: Stage) -> list[str]:
    """The states a backlog row may give ``stage``: those of the steps it has."""
    reg = stage.regional
    states = ["done", "not_started"]
    if stage.prepare is not None or (reg is not None and reg.prepare is not None):
        states.append("preparing")
    if stage.agency is not None:
        if stage.effort is not None or (reg is not None and reg.effort is not None):
            states += ["queued", "in_review"]
        if sc.agency_by_id[stage.agency].sittings is not None:
            states.append("waiting_sitting")
        if stage.defect is not None:
            states.append("returned")
            if stage.tolerant is not None:
                states.append("supplementing")
    if stage.lag is not None or (reg is not None and reg.lag is not None):
        states.append("lag")
    if stage.build is not None:
        states.append("building")
    return states


def may_be_skipped(stage: Stage) -> bool:
    """Whether a project may pass ``stage`` without a decision: switched off, conditional, skipped under
    regional assessment, or issued at its submission under a credit commitment."""
    reg = stage.regional
    return (
        not stage.enabled
        or stage.when is not None
        or (reg is not None and reg.mode == "skip")
        or stage.commitment is not None
    )


def _ancestors(sc: Scenario, stage: str) -> set[str]:
    """Every stage ``stage`` waits for, directly or through others."""
    out: set[str] = set()
    stack = [stage]
    while stack:
        for before in sc.stage_by_id[stack.pop()].after:
            if before not in out:
                out.add(before)
                stack.append(before)
    return out


def decided_before(sc: Scenario, project: BacklogProject) -> set[str]:
    """The stages ``project`` does not list that a listed stage (done or under way) waits for, directly or
    through others: they were decided before (their dates unknown)."""
    listed = {s.stage for s in project.stages}
    stack = [s.stage for s in project.stages if s.state != "not_started"]
    behind: set[str] = set()
    while stack:
        for before in sc.stage_by_id[stack.pop()].after:
            if before not in behind:
                behind.add(before)
                stack.append(before)
    return behind - listed


def check_graph(source: str, sc: Scenario, projects: Iterable[BacklogProject]) -> list[Problem]:
    """Every row's state against its stage, and every stage under way or done against the ones it waits for."""
    problems: list[Problem] = []
    levers = f" (with the levers {', '.join(sc.levers)} on)" if sc.levers else ""

    def add(s: StageState, column: str, message: str) -> None:
        problems.append(Problem(source, f"row {s.row}, column {column}", message))

    for p in projects:
        process = process_for(sc, p)
        states = {s.stage: s for s in p.stages}
        for s in p.stages:
            stage = process.stage_by_id[s.stage]
            allowed = allowed_states(process, stage)
            if s.state not in allowed:
                add(
                    s,
                    "state",
                    f"stage {s.stage} cannot be {s.state}: it has no such step in the scenario; "
                    f"allowed for it: {', '.join(allowed)}",
                )
                continue
            if s.state in ROUND_STATES and s.round > 1:
                top = stage.defect.max_rounds if stage.defect is not None else 1
                if s.round > top:
                    add(
                        s,
                        "round",
                        f"is {s.round}, but stage {s.stage} allows at most {top} round"
                        f"{'s' if top > 1 else ''} of review (defect.max_rounds)",
                    )
            if s.state == "not_started":
                continue
            for before in stage.after:
                b = states.get(before)
                if b is None or b.state == "done":  # not listed: decided before (a listed stage waits for it)
                    if b is not None and b.since is not None and s.since is not None and s.since < b.since:
                        add(
                            s,
                            "since",
                            f"stage {s.stage} is {s.state} since {s.since:%Y-%m-%d %H:%M}, before the "
                            f"decision of {before} it waits for ({b.since:%Y-%m-%d %H:%M}, row {b.row})",
                        )
                    continue
                if may_be_skipped(process.stage_by_id[before]):
                    continue
                add(
                    s,
                    "state",
                    f"stage {s.stage} is {s.state}, but {before}, which it waits for, is {b.state} "
                    f"(row {b.row}); a stage starts when every stage in its after list is done{levers}",
                )
        behind = decided_before(process, p)
        for hidden in sorted(behind):  # decided before: so was every stage it waits for
            for before in process.stage_by_id[hidden].after:
                b = states.get(before)
                if b is None or b.state == "done" or may_be_skipped(process.stage_by_id[before]):
                    continue
                later = next(x for x in p.stages if x.state != "not_started" and hidden in _ancestors(process, x.stage))
                add(
                    b,
                    "state",
                    f"stage {before} is {b.state}, but {hidden}, which waits for it, was decided: {later.stage} "
                    f"after it is {later.state} (row {later.row}); list {hidden} and the stages between as they stand",
                )
        open_stages = [st.id for st in process.stages if st.enabled and st.id not in behind]
        if all(st in states and states[st].state == "done" for st in open_stages):
            problems.append(
                Problem(
                    source,
                    f"row {p.row}, column state",
                    f"project {p.id} is not open: every stage is done; leave it out of the backlog",
                )
            )
    return problems
