"""The unit vocabulary (:mod:`sim.core.units`): every unit a run reports is explained and labelled, and
numbers are written in their unit."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.core.units import REPORTED_UNITS, UNIT_LABEL, format_value

SMALL = Path(__file__).resolve().parent / "data/valid_small.toml"


def _units(node: object) -> set[str]:
    """Every ``unit`` value anywhere in a summary."""
    if isinstance(node, dict):
        found = {node["unit"]} if isinstance(node.get("unit"), str) else set()
        for value in node.values():
            found |= _units(value)
        return found
    return set()


def test_every_reported_unit_is_explained_in_the_summary_and_has_a_label():
    summary = sim.run(sim.load(SMALL), n=2, seed=1).summary
    reported = _units({k: v for k, v in summary.items() if k != "meta"})
    # the small scenario reports every kind of statistic: KPIs, stage times, shares, agency load, CNY
    assert {"workday", "day", "month", "count", "share", "files", "cny"} <= reported
    assert reported <= set(summary["meta"]["units"]), reported - set(summary["meta"]["units"])
    assert reported <= set(UNIT_LABEL)
    assert set(UNIT_LABEL) == set(REPORTED_UNITS)


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (1_234_567.0, "cny", "123.5万"),
        (0.98765, "share", "0.988"),
        (1234.56, "workday", "1,234.6"),
        (42.345, "day", "42.34"),
        (-3.5, "month", "-3.50"),
        (None, "day", "-"),
    ],
)
def test_format_value_writes_a_number_in_its_unit(value, unit, text):
    assert format_value(value, unit) == text
