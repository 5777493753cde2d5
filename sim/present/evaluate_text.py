"""The text ``approval-sim evaluate`` prints: a scenario against an event log (evaluate.json's content)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.core.text import printable
from sim.present.terminal import _aligned

#: stages shown in the table of the worst ones, and month rows shown before the rest are left out
WORST = 8
MONTHS = 36


def _n(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _range(pair: Sequence[float | None] | None, digits: int = 1) -> str:
    return "-" if pair is None else f"[{_n(pair[0], digits)}, {_n(pair[1], digits)}]"


def _inside(value: float | None, pair: Sequence[float | None] | None) -> str:
    if value is None or pair is None or pair[0] is None or pair[1] is None:
        return ""
    return "yes" if pair[0] <= value <= pair[1] else "NO"


def format_evaluation(d: Mapping[str, Any]) -> str:
    """evaluate.json as text: the case durations observed and simulated (with the 95 % ranges of the
    replications), the worst stages, the stages not in both, and the cases started and ended per month (the
    warnings of ``meta`` are not repeated: the command line prints them as warnings)."""
    meta, cd = d["meta"], d["case_duration_days"]
    rep = meta["replay"]
    out = [
        f"{printable(meta['scenario'])} against {printable(meta['log'])}: {cd['observed']['n']:,} cases observed "
        f"until {meta['T_end']} ({printable(meta['T_end_from'])})",
        f"{meta['replications']} replications (seed {meta['seed']}) replaying the {rep['cases']:,} case dates from "
        f"{rep['start_date']} to {rep['end_date']}; log cut into stages with {printable(meta['stage_map']['log'])}",
        "",
    ]
    o, s = cd["observed"], cd["simulated"]
    table = [["case duration, days", "", "observed", "simulated", "95% range of replications", "observed inside"]]
    table.append(["cases", "", f"{o['n']:,}", f"{_n(s['n_per_replication'])} per replication", "", ""])
    table.append(["mean", "", _n(o["mean"]), _n(s["mean"]), "", ""])
    for q in ("p10", "p50", "p90"):
        table.append([q, "", _n(o[q]), _n(s[q]), _range(s["ci95"][q]), _inside(o[q], s["ci95"][q])])
    out.append(_aligned(table))
    rel = cd["wasserstein_rel"]
    out.append(
        f"Wasserstein distance {_n(cd['wasserstein_days'], 2)} days = {'-' if rel is None else f'{rel:.3f}'} of the "
        "observed mean (0: the same distribution)"
    )
    st = d["stages"]
    out += ["", f"stages: {len(st['matched'])} in both"]
    for key, what in (("only_in_log", "only in the log"), ("only_in_scenario", "only in the scenario")):
        if st[key]:
            names = ", ".join(st[key][:12]) + (f" and {len(st[key]) - 12} more" if len(st[key]) > 12 else "")
            out.append(f"  {what}: {printable(names)}")
    if st["worst"]:
        out += ["", f"the worst stages ({min(WORST, len(st['worst']))} of {len(st['worst'])}, by gap):"]
        rows = [["stage", "", "share obs", "sim", "rework obs", "sim", "to end p50 obs", "sim", "95% range", "gap"]]
        for name in st["worst"][:WORST]:
            e = st["by_stage"][name]
            ob, sm = e["observed"], e["simulated"]
            rows.append(
                [
                    name,
                    "",
                    _n(ob["share"], 2),
                    _n(sm["share"], 2),
                    _n(ob["rework_share"], 2),
                    _n(sm["rework_share"], 2),
                    _n(ob["to_end_p50"]),
                    _n(sm["to_end_p50"]),
                    _range(sm["ci95"]["to_end_p50"]),
                    _n(e["gap"], 2),
                ]
            )
        out.append(_aligned(rows))
    months = list(d["monthly"].items())
    out += ["", "cases per month (simulated: mean per replication):"]
    rows = [["month", "", "started obs", "sim", "ended obs", "sim"]]
    shown = months if len(months) <= MONTHS else months[: MONTHS // 2] + months[-MONTHS // 2 :]
    for month, m in shown:
        started, ended = m["started"], m["ended"]
        rows.append(
            [
                month,
                "",
                f"{started['observed']:,}",
                _n(started["simulated"]),
                f"{ended['observed']:,}",
                _n(ended["simulated"]),
            ]
        )
    out.append(_aligned(rows))
    if len(months) > MONTHS:
        out.append(f"({len(months) - MONTHS} months in between are in evaluate.json)")
    return "\n".join(out)
