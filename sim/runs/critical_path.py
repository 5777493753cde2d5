"""The approval time of one project along its critical path, by stage and kind of time.

A project's approval time runs from its first submission to the construction permit, in working days of the
zone calendar (:func:`sim.engine.records.project_kpis`).  Stages run in parallel, so the time split summed over
every stage is more than that.  Here the interval is walked back from the permit: each stage started the
moment its last predecessor was decided (or skipped), so the stages that decided last form a chain whose
spans follow one another without gaps, and each span is cut into the kinds of time the stage recorded.  The
pieces tile the interval, so they add up to the approval time exactly (up to rounding).

Inside a stage the record keeps totals per kind, not their order, so a stage is laid out as: before its first
submission the applicant's preparation, then what else came before it (waiting for an agent, or for a
pre-consultation to end); after it queueing, review, sittings, supplements, rework and lag, then whatever is
left (construction, or a wait no kind names).  Only the stage in which the interval begins is cut inside
(at its own submission, where the order is exact, or inside its preparation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sim.engine.compiled import StageGraph
from sim.engine.records import StageRecord
from sim.scenario.spec import Stage

#: the kinds of time of the critical path: the time categories of :data:`sim.engine.records.SPLIT`, then
#: ``wait``, time on the path that no category names (zero in the engine as it is, kept so the parts add up)
PATH_CATEGORIES = ("prepare", "queue", "review", "sitting", "rework", "supplement", "lag", "build", "wait")


def stage_pieces(rec: StageRecord, w0: float, w1: float, w_sub: float) -> list[tuple[str, float]]:
    """A stage visit's span as consecutive (category, working days) pieces that add up to it: ``w0``, ``w1`` and
    ``w_sub`` are the working times of its start, its decision and its first submission (NaN if none)."""
    span = w1 - w0 if w1 > w0 else 0.0
    if w_sub == w_sub:  # submitted: the preparation before it, the agency's time after it
        before = w_sub - w0
        before = 0.0 if before < 0.0 else span if before > span else before
        prepare = rec.prepare if rec.prepare < before else before
        waited = before - prepare  # waiting for an agent (queue) or for the pre-consultation (review)
        queue, review = rec.queue, rec.review
        if rec.prereview == rec.prereview:  # waited for its pre-consultation (counted as review)
            pieces = [("prepare", prepare), ("review", waited)]
            review = review - waited if review > waited else 0.0
        else:
            pieces = [("prepare", prepare), ("queue", waited)]
            queue = queue - waited if queue > waited else 0.0
        after = span - before
        if after > 0.0:  # (a stage decided at its submission, by a credit commitment, has nothing after it)
            rest = [
                ("queue", queue),
                ("review", review),
                ("sitting", rec.sitting),
                ("supplement", rec.supplement),
                ("rework", rec.rework),
                ("lag", rec.lag),
            ]
            pieces += _fitted(rest, after, rec)
        return pieces
    return _fitted([("prepare", rec.prepare), ("lag", rec.lag)], span, rec)


def _fitted(pieces: list[tuple[str, float]], span: float, rec: StageRecord) -> list[tuple[str, float]]:
    """``pieces`` made to fill ``span`` exactly: the rest as construction (a building stage) or a wait, or, if
    the pieces are longer (rounding), scaled down."""
    total = 0.0
    for _, v in pieces:
        total += v
    if total > span:
        return [(c, v * span / total) for c, v in pieces] if total > 0 else []
    pieces.append(("build" if rec.build > 0 else "wait", span - total))
    return pieces


def approval_path(
    graph: StageGraph,
    visits: Mapping[str, StageRecord],
    signed: float,
    permit_stage: str,
    start: float,
    end: float,
    worktime: Callable[[float], float],
    totals: dict[tuple[str, str], float],
) -> None:
    """Add to ``totals`` the working days from ``start`` to ``end`` (first submission to permit) on the critical
    path into ``permit_stage``, by (stage, category): what is added sums to ``worktime(end) - worktime(start)``.

    Args:
        graph: the stage graph that applied to the project.
        visits: the project's stage visits by stage id.
        signed: its signing time (when the stages without predecessors started).
        permit_stage: the stage of the construction-permit milestone.
        start: the first submission (clock time).
        end: the permit (clock time).
        worktime: the zone's cumulative working time of a clock time.
        totals: (stage, category) -> working days, summed over the projects added so far (a reducer's).
    """
    if not end > start:
        return
    by_id = graph.by_id
    w_start = worktime(start)
    stage = permit_stage
    hi, w_hi = end, worktime(end)
    released: dict[str, float] = {}
    while True:
        rec = visits.get(stage)
        if rec is not None and rec.started < hi:
            w0 = worktime(rec.started)
            sub = rec.submitted
            w1 = w_hi if hi == rec.issued else worktime(rec.issued)
            pieces = stage_pieces(rec, w0, w1, worktime(sub) if sub == sub else sub)
            if rec.started >= start and hi >= rec.issued:  # the whole stage is inside the interval
                for c, days in pieces:
                    if days > 0.0:
                        totals[stage, c] = totals.get((stage, c), 0.0) + days
            else:  # the interval begins (or ends) inside it
                lo, top, at = w_start - w0, w_hi - w0, 0.0
                for c, days in pieces:
                    part = (at + days if at + days < top else top) - (at if at > lo else lo)
                    if part > 0.0:
                        totals[stage, c] = totals.get((stage, c), 0.0) + part
                    at += days
                rest = top - (at if at > lo else lo)
                if rest > 0.0:  # the interval ends past the pieces (rounding)
                    totals[stage, "wait"] = totals.get((stage, "wait"), 0.0) + rest
            hi, w_hi = rec.started, w0
            if not hi > start:
                return
        after = by_id[stage].after
        if not after:
            break
        if len(after) == 1:
            stage = after[0]
        else:
            stage = max(after, key=lambda s: _release(s, by_id, visits, signed, released))
    if w_hi > w_start:  # nothing before: cannot happen (the first stages start at signing), kept so the parts add up
        totals[permit_stage, "wait"] = totals.get((permit_stage, "wait"), 0.0) + (w_hi - w_start)


def _release(
    stage: str, by_id: Mapping[str, Stage], visits: Mapping[str, StageRecord], signed: float, memo: dict[str, float]
) -> float:
    """When ``stage`` let its dependents start: its decision, or, skipped, when its predecessors were decided (a
    function of its own, not a closure: a recursive closure is a reference cycle that would keep every finished
    project's records alive until the garbage collector runs)."""
    rec = visits.get(stage)
    if rec is not None:
        return rec.issued
    t = memo.get(stage)
    if t is None:
        t = max((_release(s, by_id, visits, signed, memo) for s in by_id[stage].after), default=signed)
        memo[stage] = t
    return t
