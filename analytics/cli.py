"""``python -m analytics``: the command line.

Every command takes ``--workspace PATH`` (default ``$JOURNEY_LEDGER_WORKSPACE`` or
``data/workspace.duckdb``). Errors print one sentence to standard error and exit with status 1,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics.errors import JourneyLedgerError
from analytics.mapping import apply_overrides, parse_decimal_mark, parse_map_args, suggest_mapping
from analytics.stagemap import load_stage_map


def _workspace(args):
    from analytics.workspace import Workspace

    return Workspace(args.workspace)


def format_report(report: dict) -> str:
    """The validation report as plain text, as the Data page shows it."""
    from analytics.ingest import decimal_mark_text, refused_where  # here: no duckdb for --help

    lines = [
        f"File: {report['file']} ({report['encoding']}, delimiter {report['delimiter']!r}, "
        f"timestamps {report['date_format']}" + (f"; {mark}" if (mark := decimal_mark_text(report)) else "") + ")",
        f"Rows read: {report['rows_read']:,}",
        f"Rows kept: {report['rows_kept']:,}",
        f"Rows refused: {report['rows_refused']:,}" + (" (rows numbered as in a spreadsheet: the header is row 1)"
                                                       if report["refused"] else ""),
    ]
    for r in report["refused"]:
        lines.append(f"  - {r['label']}: {r['rows']:,} ({refused_where(r)}); fix: {r['fix']}")
    lines += [
        f"Customers: {report['customers']:,}",
        f"Date range: {report['first_event']} to {report['last_event']} (UTC)",
        f"Duplicate rows removed: {report['duplicates']:,}",
        "Mapping: " + "; ".join(f"{k} <- {v}" for k, v in report["mapping"].items()),
    ]
    if report["unmapped"]:
        lines.append("Events with no stage (shown as Unmapped):")
        lines += [f"  - {u['event']}: {u['rows']:,} {'row' if u['rows'] == 1 else 'rows'}" for u in report["unmapped"]]
    else:
        lines.append("Events with no stage: none")
    for note in report.get("notes", []):
        lines.append(f"Note: {note}")
    for w in report.get("warnings", []):
        lines.append(f"Warning: {w}")
    return "\n".join(lines)


def read_mapping(args):
    """The mapping for FILE: the suggestion with ``--map``, ``--date-format`` and ``--decimal-mark`` applied
    (None: suggest)."""
    from analytics.ingest import inspect_file

    decimal_mark = parse_decimal_mark(args.decimal_mark)
    if not (args.map or args.date_format or decimal_mark):
        return None
    columns = inspect_file(args.file).columns
    overrides = parse_map_args(args.map or [], columns)
    return apply_overrides(suggest_mapping(columns), overrides, args.date_format, decimal_mark)


def cmd_ingest(args) -> int:
    path = Path(args.file)
    stage_map = load_stage_map(args.stages) if args.stages else None
    mapping = read_mapping(args)
    ws = _workspace(args)
    ds = ws.ingest(path, args.name, mapping=mapping, stage_map=stage_map, replace=args.replace)
    print(f"Dataset {ds.name!r} saved in {ws.path}.")
    print(format_report(ds.report))
    return 0


def cmd_datasets(args) -> int:
    datasets = _workspace(args).datasets()
    if not datasets:
        print("No datasets yet; add one with: python -m analytics ingest FILE --name NAME")
        return 0
    print("name\trows\tcustomers\tfirst_event\tlast_event\tuploaded_at\tsource_file")
    for d in datasets:
        print(
            f"{d.name}\t{d.rows_kept}\t{d.customers}\t{d.first_event:%Y-%m-%d}\t{d.last_event:%Y-%m-%d}\t"
            f"{d.uploaded_at:%Y-%m-%d %H:%M:%S}\t{d.source_file}"
        )
    return 0


def cmd_show(args) -> int:
    ds = _workspace(args).dataset(args.name)
    print(f"Dataset: {ds.name}")
    print(f"Uploaded: {ds.uploaded_at:%Y-%m-%d %H:%M:%S} UTC from {ds.source_file}")
    print(f"Churn after {ds.stage_map.churn_after_days} days without a payment; churn events: "
          + (", ".join(ds.stage_map.churn_events) or "none"))
    print("Stages: " + (" > ".join(ds.stage_map.stage_names) or "none"))
    print(format_report(ds.report))
    return 0


def cmd_remove(args) -> int:
    ws = _workspace(args)
    ws.remove(args.name)
    print(f"Dataset {args.name!r} removed from {ws.path}.")
    return 0


def cmd_rename(args) -> int:
    _workspace(args).rename(args.name, args.new_name)
    print(f"Dataset {args.name!r} is now called {args.new_name!r}.")
    return 0


def cmd_stages(args) -> int:
    ws = _workspace(args)
    if args.file:
        ds = ws.set_stage_map(args.name, load_stage_map(args.file))
        print(f"Stage map of {ds.name!r} replaced from {Path(args.file).name}.")
    else:
        ds = ws.dataset(args.name)
    print(ds.stage_map.to_toml(), end="")
    return 0


def cmd_report(args) -> int:
    # The one command that writes views' output (plotly figures): imported here, so that the rest of
    # analytics never imports plotly.
    from views.report import write_report

    out = Path(args.out)
    grain = args.grain or ("quarter" if "-Q" in args.period else "month")
    write_report(_workspace(args), args.dataset, args.period, out, grain=grain, segment=args.segment)
    print(f"Report for {args.period} written to {out}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace", metavar="PATH", default=None,
        help="workspace file (default: $JOURNEY_LEDGER_WORKSPACE or data/workspace.duckdb)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m analytics",
        description="Journey Ledger: link customer-journey stages to customer-asset growth.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="read a CSV export into a dataset",
                       description="Read a CSV or CSV.gz export of customer events into a dataset of the workspace.")
    p.add_argument("file", metavar="FILE", help="the export (.csv or .csv.gz)")
    p.add_argument("--name", required=True, help="the dataset's name")
    p.add_argument("--stages", metavar="FILE", help="stage map (TOML); default: no stages, every event Unmapped")
    p.add_argument(
        "--map", action="append", metavar="CANONICAL=SOURCE",
        help="map a canonical column: customer_id=CustomerID, a constant event='purchase', "
             "a product revenue=Quantity*UnitPrice, or segment= to leave it unmapped (repeatable)",
    )
    p.add_argument("--date-format", metavar="FORMAT", help="strptime format of the timestamps, e.g. %%d/%%m/%%Y %%H:%%M")
    p.add_argument(
        "--decimal-mark", metavar="MARK",
        help="the numbers' decimal mark: . (or point) for 1,234.50, , (or comma) for 1.234,50; "
             "default: detected from the first rows (a comma in a semicolon-separated file that does not say)",
    )
    p.add_argument("--replace", action="store_true", help="replace the dataset if it exists")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("datasets", parents=[common], help="list the datasets with rows and customers",
                       description="List the workspace's datasets (tab-separated).")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("show", parents=[common], help="a dataset's summary and validation report",
                       description="Print a dataset's summary and its validation report.")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("remove", parents=[common], help="delete a dataset",
                       description="Delete a dataset and its events from the workspace.")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("rename", parents=[common], help="rename a dataset", description="Rename a dataset.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("new_name", metavar="NEW_NAME")
    p.set_defaults(func=cmd_rename)

    p = sub.add_parser("stage-map", parents=[common], help="print or replace a dataset's stage map",
                       description="Print a dataset's stage map as TOML, or replace it from FILE.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("file", metavar="FILE", nargs="?", help="new stage map (TOML)")
    p.set_defaults(func=cmd_stages)

    from analytics import model_cli

    model_cli.add_commands(sub, common)

    p = sub.add_parser(
        "report", parents=[common], help="the customer-asset report of a period, as HTML or PDF",
        description="Write the customer-asset report of a period (the Overview's figures; for a quarter, the "
                    "prioritisation and its plan too) as a self-contained HTML file or a PDF.",
    )
    p.add_argument("--dataset", required=True, metavar="NAME", help="a dataset of the workspace")
    p.add_argument("--period", required=True, metavar="PERIOD", help="2026-03 for a month, 2026-Q1 for a quarter")
    p.add_argument("--grain", choices=["month", "quarter"], help="default: quarter for 2026-Q1, else month")
    p.add_argument("--segment", metavar="NAME", help="only customers of this segment")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.html or FILE.pdf")
    p.set_defaults(func=cmd_report)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except JourneyLedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
