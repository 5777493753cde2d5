"""Optional stage behaviours that reforms switch on, and the agent pool.

Each is a small frozen dataclass with a parser that reports problems by key
path.  What they do in the simulation is in :mod:`sim.engine.replication`:

- :class:`Tolerant` — 容缺受理: a defective application is accepted and the
  missing documents are supplied in parallel by a deadline; on failure the
  result is voided and the stage is redone.
- :class:`Regional` — 区域评估: for projects inside the regionally assessed zone
  the stage is skipped or replaced by a light registration.
- :class:`PreReview` — 提前咨询 / 预审批: for pre-consulted projects the review
  runs alongside the predecessors; the formal step is only the sign-off.
- :class:`Commitment` — 信用承诺制: downstream stages start on the applicant's
  signed commitment; verification runs later and may impose a stop-work delay.
- :class:`AgentPool` — 代办服务: free government agents prepare and file for
  the project: shorter preparation, fewer defects, limited agents.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.conditions import Condition, parse_condition
from sim.scenario.distributions import Dist
from sim.scenario.limits import MAX_FEEDBACK_P, MAX_SCALE, MAX_STAFF, MAX_WORKDAYS
from sim.scenario.schema import Reader


@dataclass(frozen=True)
class Tolerant:
    """Tolerant acceptance: supplement deadline (working days) and failure probability."""

    deadline: float
    fail_p: float


@dataclass(frozen=True)
class Regional:
    """What happens to the stage for projects whose ``attribute`` is true."""

    mode: str  # "skip" or "light"
    attribute: str
    prepare: Dist | None
    effort: Dist | None
    lag: Dist | None


@dataclass(frozen=True)
class PreReview:
    """Pre-consultation: review beforehand, formal sign-off of ``signoff`` effort."""

    attribute: str
    signoff: Dist


@dataclass(frozen=True)
class Commitment:
    """Start downstream on commitment; verify later; stop-work penalty with probability ``penalty_p``."""

    attribute: str
    verify: Dist | None
    penalty_p: float
    penalty: Dist | None


@dataclass(frozen=True)
class Feedback:
    """After review, with probability ``p`` the file goes back to stage ``to``'s agency, then is reviewed again."""

    p: float
    to: str


@dataclass(frozen=True)
class AgentPool:
    """Government agents who prepare and file applications for the projects that use them."""

    name: str
    staff: int
    when: Condition
    prepare_scale: float
    defect_scale: float
    effort: Dist


def parse_tolerant(r: Reader, raw: object, path: str) -> Tolerant:
    """A stage's tolerant acceptance (``tolerant``)."""
    t = r.table(raw, path, ("deadline_workdays", "fail_p"), required=("deadline_workdays",))
    return Tolerant(
        r.number(t, "deadline_workdays", path, 5.0, lo=0, lo_open=True, hi=MAX_WORKDAYS),
        r.number(t, "fail_p", path, 0.0, lo=0, hi=1),
    )


def parse_regional(r: Reader, raw: object, path: str) -> Regional:
    """A stage's regional assessment (``regional``)."""
    t = r.table(raw, path, ("mode", "attribute", "prepare", "effort", "lag"), required=("mode",))
    mode = r.string(t, "mode", path, "skip", choices=("skip", "light"))
    reg = Regional(
        mode,
        r.string(t, "attribute", path, "in_assessed_zone"),
        r.dist(t, "prepare", path),
        r.dist(t, "effort", path),
        r.dist(t, "lag", path),
    )
    if mode == "skip" and any((reg.prepare, reg.effort, reg.lag)):
        r.error(path, 'mode = "skip" takes no prepare, effort or lag; use mode = "light" for a registration step')
    return reg


def parse_prereview(r: Reader, raw: object, path: str) -> PreReview:
    """A stage's pre-consultation (``prereview``)."""
    t = r.table(raw, path, ("attribute", "signoff"), required=("signoff",))
    signoff = r.dist(t, "signoff", path) or Dist("fixed", (0.0,), "workhour")
    return PreReview(r.string(t, "attribute", path, "pre_consulted"), signoff)


def parse_commitment(r: Reader, raw: object, path: str) -> Commitment:
    """A stage's credit commitment (``commitment``)."""
    t = r.table(raw, path, ("attribute", "verify", "penalty_p", "penalty"))
    c = Commitment(
        r.string(t, "attribute", path, "credit_commitment"),
        r.dist(t, "verify", path),
        r.number(t, "penalty_p", path, 0.0, lo=0, hi=1),
        r.dist(t, "penalty", path),
    )
    if c.penalty_p > 0 and c.penalty is None:
        r.error(f"{path}.penalty", "missing: a stop-work delay distribution is needed when penalty_p > 0")
    if c.penalty is not None and c.penalty.unit not in ("day", "week", "month"):
        r.error(
            f"{path}.penalty.unit", f"a stop-work delay is in calendar units (day, week, month), got {c.penalty.unit!r}"
        )
    return c


def parse_feedback(r: Reader, raw: object, path: str) -> Feedback:
    """A stage's feedback to an earlier stage (``feedback``)."""
    t = r.table(raw, path, ("p", "to"), required=("p", "to"))
    before = len(r.problems)
    fb = Feedback(r.number(t, "p", path, 0.0, lo=0, hi=1), r.string(t, "to", path, ""))
    if len(r.problems) == before and fb.p > MAX_FEEDBACK_P:
        r.error(
            f"{path}.p",
            f"must be <= {MAX_FEEDBACK_P:g}, got {fb.p:g}: a file that goes back with probability p is reviewed "
            "1 / (1 - p) times on average (1 means it never leaves)",
        )
    return fb


def parse_agents(r: Reader, raw: object) -> AgentPool | None:
    """The agent service (``[agents]``), or None if the scenario has none."""
    if raw is None:
        return None
    path = "agents"
    t = r.table(raw, path, ("name", "staff", "when", "prepare_scale", "defect_scale", "effort"), required=("staff",))
    when = parse_condition(r, t["when"], f"{path}.when") if "when" in t else Condition((("uses_agent", "eq", True),))
    return AgentPool(
        r.string(t, "name", path, "代办员 agents"),
        r.number(t, "staff", path, 1, lo=1, hi=MAX_STAFF, integer=True),
        when or Condition(()),
        r.number(t, "prepare_scale", path, 1.0, lo=0, hi=MAX_SCALE),
        r.number(t, "defect_scale", path, 1.0, lo=0, hi=1),
        r.dist(t, "effort", path) or Dist("fixed", (0.5,), "workday"),
    )
