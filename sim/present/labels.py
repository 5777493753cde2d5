"""The words of the figures: labels made drawable, phase names of the national scheme, KPI and milestone names,
numbers with a true minus sign."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sim.core.kpi import MILESTONES
from sim.present import fonts
from sim.present.fonts import strip_cjk

if TYPE_CHECKING:
    from sim.analysis.compare import Comparison
    from sim.scenario.scenario import Stage

#: the four national phases of 国办发〔2019〕11号, numbered 1 to 4 in this order: Chinese name -> English name
PHASE_GLOSSARY = {
    "立项用地规划许可": "Project approval and land-use planning",
    "工程建设许可": "Engineering construction permit",
    "施工许可": "Construction permit",
    "竣工验收": "Completion acceptance",
}

#: how each milestone of :data:`sim.core.kpi.MILESTONES` is named on the figures
MILESTONE_LABEL = {m: m.replace("_", " ") for m in MILESTONES}
#: the milestones a typical project's timeline marks (completion is not drawn)
TIMELINE_MILESTONES = tuple(m for m in MILESTONES if m != "completion")
KPI_SHORT = {
    "approval_workdays": "approval time",
    "approval_days": "approval time",
    "to_production_months": "signing to production",
    "submissions": "submissions",
    "cost_pre_construction_cny": "cost to the permit",
    "cost_delay_cny": "cost of delay",
}
KPI_TEXT = {
    "approval_workdays": "approval time (first application to construction permit)",
    "approval_days": "approval time (first application to construction permit)",
    "to_production_months": "signing to production start",
    "submissions": "submissions to the permit",
    "cost_pre_construction_cny": "cost up to the construction permit",
    "cost_delay_cny": "capital cost of the time to production",
}


def label(text: str, fallback: str = "") -> str:
    """A label for the figures: as is with a CJK font, CJK stripped without one (then ``fallback`` if
    nothing readable is left); dollar signs escaped so they never start mathtext."""
    if fonts.cjk_font() is None:
        cmap = fonts.base_charmap()
        s = strip_cjk(text)
        s = "".join(ch for ch in s if not cmap or ord(ch) in cmap)
        if not re.search(r"[A-Za-z]", s):
            s = fallback or s
    else:
        s = text
    return s.replace("$", r"\$")


def national_phase(phase: str) -> int | None:
    """The number (1 to 4) of the national phase that ``phase`` names, by its Chinese or English name
    ("3 施工许可" -> 3, "Completion acceptance" -> 4); None for any other phase ("assessments")."""
    for k, zh in enumerate(PHASE_GLOSSARY, 1):
        if zh in phase:
            return k
    plain = _NUMBER.sub("", strip_cjk(phase)).strip().lower()
    return next((k for k, en in enumerate(PHASE_GLOSSARY.values(), 1) if plain == en.lower()), None)


_NUMBER = re.compile(r"^\s*\d+[\s.:)、-]*")


def phase_labels(phases: Iterable[str]) -> dict[str, str]:
    """The label of each phase of a process, numbered as in the national scheme: a national phase gets its
    number and names ("3 施工许可" -> "3 施工许可 Construction permit", or "3 Construction permit" without a
    Chinese font) whatever number the file gives it; when the process has national phases, the others lose a
    number of their own ("4 construction" -> "Construction"), so no two sections share one."""
    phases = list(dict.fromkeys(phases))
    numbers = {ph: national_phase(ph) for ph in phases}
    national = any(numbers.values())
    out = {}
    for ph in phases:
        k = numbers[ph]
        if k is not None:
            zh, en = list(PHASE_GLOSSARY.items())[k - 1]
            out[ph] = label(f"{k} {zh} {en}") if fonts.cjk_font() else f"{k} {en}"
            continue
        name = (_NUMBER.sub("", ph) if national else ph).strip() or ph
        plain = strip_cjk(name)
        out[ph] = capital(label(name, fallback=f"phase {plain}" if plain else "other phase"))
    return out


def phase_label(phase: str) -> str:
    """A phase's label on its own (:func:`phase_labels`); a Chinese-only national phase ("1 立项用地规划许可")
    gets its English name."""
    return phase_labels([phase])[phase]


def capital(text: str) -> str:
    """The first letter upper-case ("4 construction" -> "4 Construction")."""
    m = re.search(r"[^\W\d_]", text)
    return text if m is None else text[: m.start()] + text[m.start()].upper() + text[m.start() + 1 :]


def signed(x: float, digits: int = 1) -> str:
    """A signed number with a true minus sign: "+3.0", "−4.7"."""
    return f"{x:+.{digits}f}".replace("-", "\u2212")


def shorten(text: str, width: int = 52) -> str:
    """Cut a long label with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def scenario_labels(cmp: Comparison) -> list[str]:
    """Readable scenario names, in comparison order."""
    return [label(sc.name, fallback=Path(sc.source).stem) for sc in cmp.scenarios]


def holder(resource: str) -> str:
    """Who holds the file during an event-log step, from its resource."""
    return {
        "applicant": "applicant",
        "agents": "agent service",
        "agent": "agent service",
        "contractor": "contractor",
        "-": "nobody",
    }.get(resource, "agency")


def iter_phases(stages: Iterable[Stage]) -> Iterator[str]:
    """Phase names in stage order, each once."""
    seen: set[str] = set()
    for st in stages:
        ph = st.phase or "(no phase)"
        if ph not in seen:
            seen.add(ph)
            yield ph
