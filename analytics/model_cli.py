"""The model's commands: ``movements``, ``stages``, ``drivers``, ``cohorts``.

Each reads a stored dataset (``--dataset NAME``) or a CSV directly (``FILE --stages FILE
[--map ...]``, read into a throw-away in-memory workspace), and writes CSV (or JSON) to standard
output, unrounded.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from analytics.errors import JourneyLedgerError
from analytics.export import to_csv, to_json
from analytics.model import Model, Settings

TABLES = {
    "movements": ("movements", "the customer-asset waterfall per period (counts and value)"),
    "stages": ("stage_table", "per period and stage: entered, advanced, gained, lost, baselines, impact"),
    "drivers": ("drivers", "touchpoints of each stage against loss: risk ratios, intervals, p and q values"),
    "cohorts": ("cohorts", "retention by acquisition cohort"),
}


def _as_of(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-31") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    for command, (_, summary) in TABLES.items():
        p = sub.add_parser(command, parents=[common], help=summary, description=summary[0].upper() + summary[1:] + ".")
        source = p.add_argument_group("data (one of)")
        source.add_argument("file", metavar="FILE", nargs="?", help="read this CSV directly instead of a stored dataset")
        source.add_argument("--dataset", metavar="NAME", help="a dataset of the workspace")
        source.add_argument("--stages", metavar="FILE", help="with FILE: its stage map (TOML)")
        source.add_argument("--map", action="append", metavar="CANONICAL=SOURCE", help="with FILE: column mapping, as for ingest")
        source.add_argument("--date-format", metavar="FORMAT", help="with FILE: strptime format of the timestamps")
        source.add_argument("--decimal-mark", metavar="MARK", help="with FILE: the numbers' decimal mark, . or , (default: detected)")
        p.add_argument("--period", choices=["month", "quarter"], default="month", help="period grain (default month)")
        p.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                       help="end of the world: later events are ignored (default: the last event)")
        p.add_argument("--segment", metavar="NAME", help="only customers of this segment")
        p.add_argument("--churn-after-days", type=_positive, metavar="N", help="W, days without a payment before a loss (default: the stage map's)")
        p.add_argument("--baseline", type=_positive, metavar="K", help="periods in a stage's baseline (default: the stage map's)")
        p.add_argument("--format", choices=["csv", "json"], default="csv", help="output format (default csv)")
        p.set_defaults(func=run_table, table=command)


def open_model(args) -> Model:
    """The model of ``--dataset`` in the workspace, or of FILE read into memory."""
    from analytics.cli import read_mapping
    from analytics.stagemap import load_stage_map
    from analytics.workspace import Workspace

    settings = Settings(
        grain=args.period, as_of=args.as_of, segment=args.segment,
        churn_after_days=args.churn_after_days, baseline=args.baseline,
    )
    if (args.file is None) == (args.dataset is None):
        raise JourneyLedgerError("Give either --dataset NAME or a CSV file (with --stages FILE), not both or neither.")
    if args.dataset is not None:
        ws = Workspace(args.workspace)
        ds = ws.dataset(args.dataset)
    else:
        ws = Workspace(":memory:", seed_sample=False)
        stage_map = load_stage_map(args.stages) if args.stages else None
        ds = ws.ingest(args.file, "file", mapping=read_mapping(args), stage_map=stage_map)
    return Model(ws.cursor(), ds.events_table, ds.stage_map, settings)


def run_table(args) -> int:
    method, _ = TABLES[args.table]
    with open_model(args) as model:
        df = getattr(model, method)(exact=True)
    sys.stdout.write(to_json(df) + "\n" if args.format == "json" else to_csv(df))
    return 0
