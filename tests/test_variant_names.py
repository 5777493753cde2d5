"""Variants of a scenario are told apart by name: ``with_name``, and names that say what a variant changes.

A variant made with ``with_overrides`` or ``with_levers`` (or ``sim.load(..., levers=, overrides=)``, or
``--set`` / ``--levers`` on the command line) used to keep the file's name, so a comparison of two variants
showed two identical labels.  The expected names below are written out by hand from the rule in
``docs/python-api.md``: the file's name, then ``[levers: ...; key=value, ...]`` for what differs.
"""

from __future__ import annotations

import pytest

import sim

from helpers.cli import run_cli
from helpers.shared_scenarios import SMALL_WITH_LEVERS


@pytest.fixture
def small(write_scenario):
    return write_scenario(SMALL_WITH_LEVERS, "small.toml")


def test_the_file_itself_keeps_its_name(small):
    sc = sim.load(small)
    assert sc.name == "small"
    assert sc.with_overrides({}).name == "small"
    assert sc.with_levers("none").name == "small"  # the file switches no lever on: no change


def test_overrides_and_levers_are_named(small):
    sc = sim.load(small)
    assert sc.with_overrides({"agencies.bureau.staff": 2}).name == "small [agencies.bureau.staff=2]"
    assert sc.with_overrides(["stages.a.defect.p=0.25"]).name == "small [stages.a.defect.p=0.25]"
    assert sc.with_levers(["skip_b", "fast_a"]).name == "small [levers: skip_b, fast_a]"
    assert sc.with_levers("all").name == "small [levers: all]"
    tolerant = {"deadline_workdays": 5, "fail_p": 0.1}
    both = sc.with_overrides({"agencies.bureau.staff": 2, "stages.a.tolerant": tolerant}).with_levers(["fast_a"])
    assert (
        both.name
        == "small [levers: fast_a; agencies.bureau.staff=2, stages.a.tolerant={deadline_workdays = 5, fail_p = 0.1}]"
    )
    # back to the file's own levers: only the overrides are left to name
    assert both.with_levers("none").name == (
        "small [agencies.bureau.staff=2, stages.a.tolerant={deadline_workdays = 5, fail_p = 0.1}]"
    )


def test_the_same_variant_has_the_same_name_however_it_is_made(small):
    made = sim.load(small).with_levers(["fast_a"]).with_overrides({"agencies.bureau.staff": 3})
    loaded = sim.load(small, levers="fast_a", overrides={"agencies.bureau.staff": 3})
    assert made == loaded and made.name == loaded.name == "small [levers: fast_a; agencies.bureau.staff=3]"


def test_with_name_sets_the_name_and_later_variants_keep_it(small):
    sc = sim.load(small).with_levers(["skip_b"]).with_name("Without b")
    assert sc.name == "Without b" and sc.levers == ("skip_b",)
    assert sc.with_overrides({"agencies.bureau.staff": 2}).name == "Without b"
    assert sc.with_levers("all").name == "Without b"
    assert sc == sim.load(small).with_levers(["skip_b"]).with_overrides({"scenario.name": "Without b"})
    with pytest.raises(sim.ScenarioError, match="scenario.name"):
        sim.load(small).with_name(12)  # type: ignore[arg-type]


def test_a_comparison_of_variants_labels_each(small):
    base = sim.load(small)
    cmp = sim.compare([base, base.with_levers(["fast_a"]), base.with_overrides({"agencies.bureau.staff": 2})], n=1)
    assert cmp.names == ["small", "small [levers: fast_a]", "small [agencies.bureau.staff=2]"]


def test_the_command_line_names_a_variant(small):
    res = run_cli("run", small, "-n", "1", "--levers", "fast_a", "--set", "agencies.bureau.staff=2")
    assert res.returncode == 0, res.stderr
    assert "small [levers: fast_a; agencies.bureau.staff=2]: 1 replication" in res.stdout
