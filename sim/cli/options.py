"""Option types and the options several commands share: replications, seed, where to run, ``--set``,
``--levers``, the output folder ``-o``, and how an event log is read (its CSV columns, ``--zone``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

    from sim.core.output import OutputDir
    from sim.scenario.scenario import Scenario


def positive_int(text: str) -> int:
    import argparse

    try:
        value = whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def whole(text: str) -> int:
    """A whole number written with the digits 0-9 only (``int`` also takes other scripts' digits, ``_`` and signs)."""
    if not (text.isascii() and text.strip().lstrip("-").isdigit()):
        raise ValueError(text)
    return int(text)


def seed_number(text: str) -> int:
    import argparse

    try:
        value = whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def iso_date(text: str) -> dt.date:
    """A date option written YYYY-MM-DD (exactly: ``fromisoformat`` alone would also take 20130630)."""
    import argparse

    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD (such as 2013-06-30), got {text!r}") from None


def event_formats(text: str) -> tuple[str, ...]:
    import argparse

    from sim.runs.event_output import parse_formats

    try:
        return parse_formats(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_run_options(
    parser: argparse.ArgumentParser, out_help: str, *, several: bool = False, out_required: bool = True
) -> None:
    """``-n``, ``--seed``, where to run, ``-o``, ``--force`` and ``-q``; ``several``: the command takes several
    scenarios (the seed defaults to the first one's)."""
    from pathlib import Path

    whose = "the first scenario's" if several else "the scenario's"
    parser.add_argument("-n", "--replications", type=positive_int, default=100, help="replications (default 100)")
    parser.add_argument("--seed", type=seed_number, default=None, help=f"root seed (default: {whose} seed)")
    add_execution(parser)
    parser.add_argument("-o", "--out", type=Path, required=out_required, default=None, help=out_help)
    parser.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (no progress bar)")


def add_kpi(parser: argparse.ArgumentParser) -> None:
    """``--kpi``, its help listing the KPIs."""
    from sim.core.kpi import KPIS

    parser.add_argument(
        "--kpi",
        default="approval_workdays",
        help=f"KPI to measure: {', '.join(KPIS)}, stages.<stage id>, same_day.<stage id>, classes.<class>.<KPI> "
        "or agencies.<agency>.utilisation|mean_queue (default approval_workdays)",
    )


def add_execution(parser: argparse.ArgumentParser) -> None:
    from sim.runs.executors import KINDS

    parser.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
        default=None,
        help="worker processes (same results for any; default 1); with --executor dask, "
        "replications in progress at once (default: the cluster's threads)",
    )
    parser.add_argument(
        "--executor",
        choices=KINDS,
        default="local",
        help="where replications run: local processes (default) or a Dask cluster (same results)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="the Dask scheduler for --executor dask, e.g. tcp://HOST:8786",
    )


def add_overrides(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help)


def add_levers(parser: argparse.ArgumentParser, whose: str = "the scenario's") -> None:
    parser.add_argument(
        "--levers",
        default=None,
        metavar="LIST",
        help=f'reform levers to switch on: comma-separated ids, "all" or "none" (default: {whose} own scenario.levers)',
    )


def add_variants(parser: argparse.ArgumentParser) -> None:
    """The scenarios of ``compare`` and ``report``, each a file or a variant of one, with ``--set`` and
    ``--levers`` for all of them."""
    from pathlib import Path

    parser.add_argument(
        "scenarios",
        type=Path,
        nargs="+",
        metavar="SCENARIO",
        help="scenario files, the first the reference; FILE@levers=a,b, FILE@name=TEXT or FILE@KEY.PATH=VALUE "
        "(repeatable: FILE@levers=none@name=Base) makes a variant without a new file",
    )
    add_overrides(parser, "override a scenario value by dotted path in every scenario (repeatable)")
    add_levers(parser, "each scenario's")


#: what ``FILE@KEY=VALUE`` may set besides a dotted path
VARIANT_KEYS = ("levers", "name")


def load_variant(spec: Path, overrides: Sequence[str] = (), levers: str | None = None) -> Scenario:
    """The scenario of one ``compare``/``report`` argument: ``FILE`` or ``FILE@KEY=VALUE@...`` (a file that
    exists under the whole name is taken as it is), with ``overrides`` and ``levers`` for all applied first.

    A variant's own ``levers`` replace the common ones; ``name`` names it; any other key is a dotted-path
    override.  A variant without a ``name`` is named after what it changes (:mod:`sim.scenario.naming`).
    """
    from pathlib import Path

    from sim.core.errors import Problem, ScenarioError
    from sim.scenario.loading import load

    text = str(spec)
    path, own = Path(text), []
    if "@" in text and not path.exists():
        head, *parts = text.split("@")
        path = Path(head)
        for part in parts:
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise ScenarioError(
                    [Problem(head, f"@{part}", "a variant is FILE@KEY=VALUE, KEY levers, name or a dotted path")]
                )
            own.append((key.strip(), value.strip()))
    chosen = dict(own)
    name = chosen.pop("name", None)
    variant_levers = chosen.pop("levers", levers)
    paths = [f"{k}={v}" for k, v in own if k not in VARIANT_KEYS]
    sc = load(path, [*overrides, *paths], variant_levers)
    return sc if name is None else sc.with_name(name)


def output_dir(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> OutputDir:
    """The output folder ``-o``, claimed before anything runs; the scenarios' files may not be written over."""
    from sim.core.output import OutputDir

    return OutputDir(args.out, force=args.force, inputs=[f for sc in scenarios for f in sc.files])


#: the CSV columns of an event log that an option may name (``--case COL`` ...), as ``read_log`` takes them
LOG_COLUMNS = ("case", "activity", "time", "start", "resource", "group", "lifecycle")


def add_log_reading(parser: argparse.ArgumentParser) -> None:
    """The options that say how to read an event log: a CSV column for each role, and ``--zone``."""
    what = {
        "case": "the case id",
        "activity": "the activity",
        "time": "the (completion) time",
        "start": "the start time",
        "resource": "the resource",
        "group": "the group (agency, department)",
        "lifecycle": "the lifecycle transition (start/complete)",
    }
    for role in LOG_COLUMNS:
        parser.add_argument(
            f"--{role}",
            metavar="COL",
            default=None,
            help=f"CSV column of {what[role]} (default: guessed from its name)",
        )
    parser.add_argument(
        "--zone",
        default=None,
        metavar="TZ",
        help="convert times to this time zone, e.g. Europe/Amsterdam (default: each timestamp's own offset)",
    )


def share(text: str) -> float:
    """``--precision REL``: a number strictly between 0 and 1."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}") from None
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, exclusive (e.g. 0.05 for 5 %), got {text!r}")
    return value


def add_precision(
    parser: argparse.ArgumentParser,
    *,
    kpis: str | None = "the KPIs chosen with --kpi",
    allowed: str = "any KPI, stages.<stage id>, classes.<class>.<KPI>, agencies.<agency>.utilisation ...",
) -> None:
    """``--precision REL`` and, unless ``kpis`` is None (the command's own ``--kpi`` is the one measured),
    ``--kpi`` choosing its KPIs (repeatable, or comma-separated; ``allowed`` says which for the help)."""
    from sim.runs.precision import DEFAULT_KPIS

    whose = kpis or "--kpi"
    parser.add_argument(
        "--precision",
        type=share,
        default=None,
        metavar="REL",
        help=f"run replications until the 95%% CI half-width of {whose} is at most REL x the mean (e.g. 0.05), "
        "checked after each replication from the 10th; -n is then the cap",
    )
    if kpis is not None:
        parser.add_argument(
            "--kpi",
            action="append",
            default=None,
            metavar="KPI[,KPI...]",
            help=f"the KPIs of --precision (repeatable; default {', '.join(DEFAULT_KPIS)}): {allowed}",
        )


def precision_kpis(args: argparse.Namespace, file: str, allowed: Sequence[str]) -> tuple[str, ...] | None:
    """The KPIs named by ``--kpi`` (None: the default), checked: each one of ``allowed``, and ``--precision``
    given."""
    from sim.core.errors import Problem, ScenarioError
    from sim.runs.precision import kpi_problems

    if args.kpi is None:
        return None
    if args.precision is None:
        raise ScenarioError([Problem(file, "--kpi", "chooses the KPIs of --precision: give --precision REL too")])
    names = [k.strip() for item in args.kpi for k in item.split(",") if k.strip()]
    problems = kpi_problems(names, allowed) if names else ["needs a KPI name, e.g. --kpi approval_workdays"]
    if problems:
        raise ScenarioError([Problem(file, "--kpi", message) for message in problems])
    return tuple(names)


def add_stage_options(parser: argparse.ArgumentParser) -> None:
    """How a log is cut into stages (:class:`sim.eventlog.stages.StageMap`): ``--stage-by``, ``--stage-sep`` and
    ``--stage-map``, the same for every command that does it, so a log is cut the same way each time."""
    from pathlib import Path

    from sim.eventlog.stages import SEPARATOR, STAGE_BY_HELP

    parser.add_argument("--stage-by", default="activity", metavar="HOW", help=f"stages: {STAGE_BY_HELP}")
    parser.add_argument(
        "--stage-sep",
        default=SEPARATOR,
        metavar="S",
        help=f"what separates an activity's name parts (default {SEPARATOR!r})",
    )
    parser.add_argument(
        "--stage-map", type=Path, default=None, metavar="FILE", help="a TOML file of stage = regular expression"
    )
