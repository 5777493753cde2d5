"""The text ``approval-sim log`` prints: an event log's profile (:func:`sim.eventlog.profile.profile`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: activities and months listed before the rest are summed up
MOST = 10


def _q(stats: Mapping[str, float | None], unit: str = "") -> str:
    values = [stats["p10"], stats["p50"], stats["p90"]]
    return " / ".join("-" if v is None else f"{v:g}" for v in values) + unit


def format_log_profile(p: Mapping[str, Any]) -> str:
    """The profile as aligned lines: what to check before fitting a scenario to the log."""
    share = f"{p['date_only_share']:.1%}"
    rows = [
        ("file", f"{p['file']} ({p['format'].upper()})"),
        ("read as", ", ".join(f"{role}={col}" for role, col in p["columns"].items())),
        ("time zone", p["zone"]),
        ("cases", f"{p['cases']:,}"),
        ("events", f"{p['events']:,} activity instances from {p['events_read']:,} events read"),
        ("activities", f"{p['activities']:,}"),
        ("resources", f"{p['resources']:,} ({p['events_without_resource']:,} events without one)"),
        ("groups", f"{p['groups']:,} ({p['events_without_group']:,} events without one)"),
        ("time span", f"{p['first_event']} to {p['last_event']} ({p['span_days']:,.1f} days)"),
        ("date-only", f"{share} of events (no clock time, or midnight on the log's clock)"),
        ("start times", f"{p['start_times_share']:.1%} of events have one"),
        ("events per case", _q(p["events_per_case"]) + "  (p10 / p50 / p90)"),
        ("case duration", _q(p["case_duration_days"], " calendar days") + "  (p10 / p50 / p90, first to last event)"),
    ]
    if p["unmatched_starts"] or p["other_transitions"]:
        rows.append(
            ("not used", f"{p['unmatched_starts']:,} starts without a complete, "
             f"{p['other_transitions']:,} events of other lifecycle transitions")
        )  # fmt: skip
    if p["case_attributes"]:
        rows.append(("case attributes", ", ".join(p["case_attributes"])))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("")
    lines.append("cases started per month:")
    months = p["cases_started_per_month"]
    for month, n in months.items():
        lines.append(f"  {month}  {n:>6,}")
    counts = list(p["activity_counts"].items())
    lines.append("")
    lines.append(f"most frequent activities ({min(MOST, len(counts))} of {len(counts)}):")
    name_width = max((len(a) for a, _ in counts[:MOST]), default=0)
    for activity, n in counts[:MOST]:
        lines.append(f"  {activity:<{name_width}}  {n:>8,}")
    return "\n".join(lines)
