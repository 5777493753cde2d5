"""The tornado figure is readable: no label prints over another, whatever the effects.

The rows are written by hand, sorted by swing as ``sim.tornado`` sorts them, to cover what made the old
figure unreadable: a parameter that moves the KPI both ways, one whose low and high values move it the same
way (the two bars used to cover each other), one with no effect at all (both labels used to print on the
same spot at the base line), and long values.
"""

from __future__ import annotations

import itertools

from matplotlib.backends.backend_agg import FigureCanvasAgg

from sim.analysis.sweep import TornadoResult
from sim.present import plots


def row(parameter, low, high, low_mean, high_mean):
    return {
        "parameter": parameter,
        "low_value": low,
        "high_value": high,
        "low_mean": low_mean,
        "high_mean": high_mean,
        "swing": abs(high_mean - low_mean),
    }


RESULT = TornadoResult(
    "Reform (blueprint control + tolerant acceptance + regional assessment + agent service) [agents.staff=4]",
    "approval_workdays",
    "workday",
    42.0,
    [
        row("agencies.planning.staff", 1, 4, 46.8, 41.2),
        row("agents.prepare_scale", 0.3, 0.8, 40.1, 44.7),
        row("agents.staff", 1, 8, 44.0, 43.1),  # both above the base
        row("stages.eia.tolerant", "{deadline_workdays = 5, fail_p = 0.1}", "{deadline_workdays = 20}", 42.3, 41.9),
        row("agents.defect_scale", 0.05, 0.6, 42.0, 42.0),  # no effect
    ],
    n=10,
    seed=1,
)


def test_no_text_of_the_tornado_overlaps_another():
    fig = plots.tornado_figure(RESULT)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text().strip()] + [t for t in ax.get_yticklabels() if t.get_text()]
    assert len(ax.texts) == 2 * len(RESULT.rows)  # a label at the end of every bar, the empty ones included
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"{a!r} prints over {b!r}"
    figure_box = fig.bbox
    for text, box in boxes:  # nothing is cut off at the figure's edges
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1, f"{text!r} runs off the figure"
    title = fig._suptitle.get_window_extent(renderer)
    assert figure_box.x0 <= title.x0 and title.x1 <= figure_box.x1, "the title runs off the figure"


def test_each_bar_says_its_value_and_the_kpi_it_gives():
    fig = plots.tornado_figure(RESULT)
    labels = [t.get_text().strip() for t in fig.axes[0].texts]
    assert "1 \u2192 46.8" in labels and "4 \u2192 41.2" in labels
    assert "0.05 \u2192 42" in labels and "0.6 \u2192 42" in labels
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[-1] == "agencies.planning.staff\nswing 5.6 working days"  # the largest swing on top
    assert "42 working days" in fig.get_suptitle()
