"""The notebooks run as Jupyter runs them, and every figure they draw is shown as a picture.

Each notebook in ``notebooks/`` is executed with nbclient, the engine of ``jupyter nbconvert --execute`` and of
JupyterLab's and VS Code's kernels' protocol: a real IPython kernel (ipykernel) runs the cells and its display
formatter turns each result into the output bundle a front end renders.  A cell that fails fails the test; a
cell that calls a ``sim.plots`` figure function must have an ``image/png`` output, and no output may be a
figure shown only as text (``<Figure size 1300x660 with 2 Axes>``, what a figure without a display hook
gives).  The figures' display hook is also checked without a kernel, through IPython's own formatter, for
every figure function of ``sim.plots``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.formatters import DisplayFormatter
from nbclient import NotebookClient

import sim
from sim.present import plots

from helpers import REPO
from helpers.shared_scenarios import SMALL_WITH_LEVERS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FIGURE_CALL = re.compile(r"\bsim\.plots\.(?!save\b|all_figures\b)\w+\(")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def outputs_of(cell: nbformat.NotebookNode) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") in ("display_data", "execute_result")]


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_tweak_parameters.ipynb",
        "03_lanzhou_case.ipynb",
        "04_from_event_log.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} cell {i} has outputs: clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_every_figure_as_a_picture(path):
    nb = nbformat.read(path, as_version=4)
    # as Jupyter does: a python3 kernel started in the notebook's folder; a failing cell raises here
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    plotting = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        bundles = [o.get("data", {}) for o in outputs_of(cell)]
        for data in bundles:
            text = data.get("text/plain", "")
            assert not (text.startswith("<Figure size") and "image/png" not in data), (
                f"{path.name} cell {i} shows a figure as text only: {text}"
            )
        if FIGURE_CALL.search(cell.source):
            plotting += 1
            assert any("image/png" in data for data in bundles), (
                f"{path.name} cell {i} draws a figure but has no image/png output: {bundles}"
            )
    assert plotting >= 1, f"{path.name} draws no figure"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """One result of each kind a figure function takes, from a small scenario with three levers."""
    path = tmp_path_factory.mktemp("small") / "small.toml"
    path.write_text(SMALL_WITH_LEVERS, encoding="utf-8")
    base = sim.load(path, levers="none")
    every = base.with_levers("all")
    sim.run(base, n=1, seed=1, event_formats=("csv",), out=path.parent / "run")  # a log to evaluate against
    return {
        "evaluate": sim.evaluate(
            base, path.parent / "run" / "events.csv", n=2, seed=1, stage_by="prefix:1", stage_sep=":"
        ),
        "cmp": sim.compare([base, every], n=2, seed=1),
        "att": sim.attribute(every, n=2, seed=1),
        "sweep": sim.sweep(base, {"agencies.bureau.staff": [1, 2]}, n=2, seed=1),
        "tornado": sim.tornado(base, {"agencies.bureau.staff": (1, 2)}, n=2, seed=1),
        "forecast": sim.forecast(
            sim.load(REPO / "scenarios/pre_reform.toml"),
            REPO / "scenarios/examples/backlog_example.csv",
            "2024-09-02",
            n=2,
            seed=1,
        ),
    }


def figure_calls(results):
    cmp, att = results["cmp"], results["att"]
    calls = {name: fig for name, (fig, _rows) in plots.all_figures(cmp, att).items()}
    calls["sweep_figure"] = plots.sweep_figure(results["sweep"])
    calls["tornado_figure"] = plots.tornado_figure(results["tornado"])
    calls["forecast_figure"] = plots.forecast_figure(results["forecast"])
    calls["clearance_figure"] = plots.clearance_figure(results["forecast"])
    calls["evaluate_figure"] = plots.evaluate_figure(results["evaluate"])
    return calls


def test_every_figure_function_gives_a_png_to_ipython(results):
    figures = figure_calls(results)
    drawn = {name.removesuffix("_production") for name in figures}
    public = {n for n in plots.__all__ if not n.endswith("_data") and n not in ("save", "save_all", "all_figures")}
    assert public <= drawn, f"figure functions not checked: {sorted(public - drawn)}"
    formatter = DisplayFormatter()
    for name, fig in figures.items():
        data, _meta = formatter.format(fig)
        assert "image/png" in data, f"{name}: IPython gives only {sorted(data)}"
        png = data["image/png"]
        assert png[:8] == PNG_SIGNATURE, f"{name}: not a PNG"
        width = int.from_bytes(png[16:20], "big")  # the IHDR chunk: width, then height, big-endian
        assert width == round(fig.get_figwidth() * 100), f"{name}: {width} pixels wide"
