"""The public API is pinned by ``sim.__all__``."""

import importlib

import sim


def test_every_public_name_imports():
    mod = importlib.import_module("sim")
    for name in sim.__all__:
        assert getattr(mod, name) is not None, name


def test_all_is_sorted_and_has_the_documented_entry_points():
    assert list(sim.__all__) == sorted(sim.__all__)
    assert {"load", "run", "Scenario", "ScenarioError"} <= set(sim.__all__)


def test_load_and_run_from_python(tmp_path):
    sc = sim.load("scenarios/pre_reform.toml", {"arrivals.stream.rate": 6})
    res = sim.run(sc, n=2, seed=5)
    kpi = res.summary["kpis"]["approval_workdays"]
    assert kpi["unit"] == "workday"
    assert kpi["n"] + kpi["censored"] == res.summary["projects"]["projects"]
