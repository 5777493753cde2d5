"""A scenario made to replay an event log's own case dates (``[arrivals.replay]``), for ``evaluate``.

The variant keeps the scenario's process, agencies, calendar, costs and levers; only its arrivals and horizon
change: projects sign on the log's case dates (one per case), with the classes drawn by the weights of the
scenario's own stream or replay (by the counts of its named projects when it has neither), from the first
case date to the observation end.  Its named projects are left out: the log's cases are the projects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from sim.core.errors import ScenarioError
from sim.scenario.frozen import thaw
from sim.scenario.scenario import Scenario, build_scenario

#: what the variant sets: a user's override of these would undo the replay, so it is left out
REPLACED = ("scenario.start_date", "scenario.end_date", "scenario.horizon_years", "scenario.warmup_days")


def class_weights(sc: Scenario) -> dict[str, float]:
    """The class weights of the replayed projects: the scenario's stream's (or replay's), else the number of
    its named projects of each class."""
    if sc.stream is not None:
        return {name: float(w) for name, w in sc.stream.classes}
    return {name: float(k) for name, k in Counter(p.cls for p in sc.projects).items()}


def replay_scenario(sc: Scenario, dates: Sequence[dt.date], end: dt.date) -> Scenario:
    """``sc`` with projects signing on ``dates`` (one per case, any order) from the first of them to ``end``.

    The warm-up is dropped (every case counts).  A reform cut-over (``reform_date`` with levers on) stays when
    it falls inside the new horizon; before it, every project is reformed (the levers apply throughout);
    after it, none is (the levers are off).

    Raises:
        ScenarioError: the variant is not valid (e.g. more cases than a replay takes), each problem saying that
            it is about the replaying variant.
    """
    start = min(dates)
    raw = thaw(sc.raw)
    table = {k: v for k, v in dict(raw.get("scenario", {})).items() if k not in ("horizon_years", "reform_date")}
    table.update(start_date=start, end_date=end, warmup_days=0)
    levers: tuple[str, ...] = sc.levers
    if sc.reform_date is not None and sc.levers:
        if sc.reform_date > end:
            levers = ()
        elif sc.reform_date > start:
            table["reform_date"] = sc.reform_date
    raw["scenario"] = table
    raw["arrivals"] = {"replay": {"dates": sorted(dates), "classes": class_weights(sc)}}
    kept = {
        path: value
        for path, value in sc.overrides
        if path not in (*REPLACED, "scenario.reform_date", "arrivals") and not path.startswith("arrivals.")
    }
    try:
        variant = build_scenario(raw, sc.source, levers=levers, overrides=thaw(kept))
    except ScenarioError as e:
        raise ScenarioError(
            [replace(p, message=f"{p.message} (in the scenario replaying the log's case dates)") for p in e.problems]
        ) from None
    return replace(variant, files=sc.files, assumptions=sc.assumptions)
