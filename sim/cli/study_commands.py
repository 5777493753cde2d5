"""The studies of one scenario's parameters: ``sweep`` (a grid) and ``tornado`` (one at a time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sim.cli.console import say, show
from sim.cli.options import add_kpi, add_levers, add_overrides, add_precision, add_run_options, output_dir

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from pathlib import Path

    from sim.analysis.sweep import SweepResult, TornadoResult
    from sim.scenario.scenario import Scenario

#: a study's result: a sweep or a tornado
S = TypeVar("S", bound="SweepResult | TornadoResult")


def add_parsers(sub: Any) -> None:
    """Add ``sweep`` and ``tornado`` to the subcommands ``sub``."""
    from pathlib import Path

    sweep_cmd = sub.add_parser("sweep", help="run a grid of parameter values with common random numbers")
    sweep_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    sweep_cmd.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        required=True,
        help="a parameter and its values, e.g. agencies.planning.staff=1,2,3,4 or levers=none,all "
        "(repeatable: the grid is the product)",
    )
    add_overrides(sweep_cmd, "override a scenario value by dotted path at every grid point (repeatable)")
    add_kpi(sweep_cmd)
    add_precision(sweep_cmd, kpis=None)
    add_run_options(sweep_cmd, out_help="output folder for sweep.json and the sweep figure (PNG, SVG, CSV)")
    tornado_cmd = sub.add_parser(
        "tornado", help="one-at-a-time sensitivity of a KPI to parameters (low and high values)"
    )
    tornado_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    tornado_cmd.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=LOW,HIGH",
        required=True,
        help="a parameter with its low and high value, e.g. agents.staff=2,8 (repeatable)",
    )
    add_overrides(tornado_cmd, "override a scenario value by dotted path in every run (repeatable)")
    add_kpi(tornado_cmd)
    add_precision(tornado_cmd, kpis=None)
    add_levers(tornado_cmd)
    add_run_options(tornado_cmd, out_help="output folder for tornado.json and the tornado figure (PNG, SVG, CSV)")


def _varied(items: list[str], overrides: list[str], file: str, pairs: bool = False) -> dict[str, list[Any]]:
    """The ``--vary`` parameters: path -> its values (with ``pairs``, exactly two: low and high).

    A path may be varied once, and not also be fixed by ``--set``: which value would hold is not obvious.
    """
    from sim.analysis.sweep import parse_values
    from sim.core.errors import Problem, ScenarioError
    from sim.scenario.overrides import parse_overrides

    fixed = parse_overrides(overrides, file)
    varied: dict[str, list[Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        values = parse_values(text) if sep else []
        if not sep or not key or not values or (pairs and len(values) != 2):
            want = "PATH=LOW,HIGH" if pairs else "PATH=V1,V2,..."
            raise ScenarioError([Problem(file, f"--vary {item}", f"must be {want}")])
        if key in fixed:
            raise ScenarioError([Problem(file, f"--vary {item}", f"{key} is also fixed by --set: give it once")])
        if key in varied:
            raise ScenarioError(
                [Problem(file, f"--vary {item}", f"{key} is varied twice: give all its values in one --vary")]
            )
        varied[key] = values
    return varied


def _check_kpi(sc: Scenario, kpi: str) -> None:
    """Refuse an unknown ``--kpi`` before anything runs, naming the option."""
    from sim.analysis.sweep import check_kpi

    check_kpi(sc, kpi, "--kpi")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import sweep
    from sim.present.terminal import format_points
    from sim.scenario.loading import load

    grid = _varied(args.vary, args.overrides, str(args.scenario))
    sc = load(args.scenario, args.overrides)
    res, out = _study(args, sc, "sweep", lambda tick: sweep(sc, grid, progress=tick, **_study_options(args)))
    if not args.quiet:
        stats = ("mean", "ci_lo", "ci_hi", "p50") + (("replications",) if res.precision else ())
        say(format_points(res.rows, res.parameters, res.kpi, stats=stats))
        if res.precision is not None:
            say(_precision_line(res.precision, "point"))
        say(f"\nwrote {show(out)}/")
    return 0


def _study_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options ``sweep`` and ``tornado`` share: replications, seed, KPI, precision and where to run."""
    return {
        "n": args.replications,
        "seed": args.seed,
        "kpi": args.kpi,
        "jobs": args.jobs,
        "executor": args.ex,
        "precision": args.precision,
    }


def _precision_line(precision: dict[str, Any], what: str) -> str:
    """How the precision of a sweep or tornado came out, in one line."""
    n = precision["replications"]
    head = (
        f"precision: 95% CI half-width <= {100 * precision['rel']:.3g}% of the mean of {', '.join(precision['kpis'])}"
    )
    if precision["reached"]:
        return f"{head}: reached at every {what}, with {min(n)} to {max(n)} replications (cap {precision['cap']})"
    return (
        f"{head}: NOT reached in {precision['not_reached']} of {len(n)} runs within the cap of "
        f"{precision['cap']} replications (-n)"
    )


def _study(
    args: argparse.Namespace, sc: Scenario, name: str, compute: Callable[[Callable[[int, int], None]], S]
) -> tuple[S, Path]:
    """Claim ``-o``, compute the study (a sweep or a tornado) with a progress bar, then write NAME.json and its
    figure (PNG, SVG, CSV) atomically; the result and the folder written."""
    from sim.analysis.sweep import TornadoResult
    from sim.present import plots
    from sim.present.progress import Progress

    _check_kpi(sc, args.kpi)
    what = "grid points" if name == "sweep" else "parameters"
    with output_dir(args, [sc]) as outdir:
        with Progress(f"{sc.name}: {what}", not args.quiet, unit="point" if name == "sweep" else "parameter") as tick:
            res = compute(tick)
        if isinstance(res, TornadoResult):
            fig, rows = plots.tornado_figure(res), plots.tornado_data(res)
        else:
            fig, rows = plots.sweep_figure(res), plots.sweep_data(res)
        outdir.write_json(f"{name}.json", res.to_dict())
        plots.save(fig, rows, outdir.tmp, name)
        return res, outdir.commit()


def _cmd_tornado(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import tornado
    from sim.present.terminal import format_points
    from sim.scenario.loading import load

    varied = _varied(args.vary, args.overrides, str(args.scenario), pairs=True)
    ranges = {path: (low, high) for path, (low, high) in varied.items()}
    sc = load(args.scenario, args.overrides, args.levers)
    res, out = _study(args, sc, "tornado", lambda tick: tornado(sc, ranges, progress=tick, **_study_options(args)))
    if not args.quiet:
        base = "no value (no project reached it)" if res.base is None else f"{res.base:.4g}"
        say(f"{show(res.kpi)} at base: {base}")
        counts = ("low_replications", "high_replications") if res.precision else ()
        say(
            format_points(
                res.rows,
                ["parameter", "low_value", "high_value"],
                res.kpi,
                stats=("low_mean", "high_mean", "swing", *counts),
            )
        )
        if res.precision is not None:
            say(_precision_line(res.precision, "run (the base and each end)"))
        say(f"\nwrote {show(out)}/")
    return 0


#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "sweep": _cmd_sweep,
    "tornado": _cmd_tornado,
}
