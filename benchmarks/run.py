"""``python -m benchmarks``: Journey Ledger against DuckDB alone and against pandas, at several sizes.

For each size, an event log is made with the sample generator (``sample_data/generate.py``, the
sample's stages, 24 months, logins and feature use at a fifth of the sample's rate: ~20 events per
person, so 500,000 people make the 10 million events) and every step runs ``--runs`` times, each in a fresh process
(:mod:`benchmarks.steps`), in rounds (every step once per round): the figure is the median time and the
median peak resident memory of that process (Python, DuckDB and all).

Steps: ingest (``Workspace.ingest``: read, check, store, and compute the lifecycle of the
settings the pages open with and the journey of every event; the time until the events are
stored, before that first look, is shown beneath it with its own ratio); the bare DuckDB ``CREATE TABLE AS
SELECT * FROM read_csv(...)`` of the same file into a database file; the model commands from the
stored events under another churn window than the stage map's, so that the lifecycle is computed
(movements, stages, drivers, cohorts, and ``overview``: all of them as the Overview page needs them,
``analytics.model.compute``; the stages and drivers read the stored journey, as under any settings
counting every event); ``full``, the same Overview reading nothing stored, everything computed from
the log; the Overview ending with the previous month (the first look's lifecycle and journey cut
at that date); the Overview's first look (the settings the pages open with, their lifecycle stored
by the ingest), and the same by quarter (its lifecycle made from the stored months); the page's model
call ``ui.state.results`` in a fresh process and then cached; one bare DuckDB window pass ordering
every customer's events; the movements in plain pandas. Ratios, with their targets, follow the
table: the model's compares the Overview reading nothing stored, and the Overview with its
lifecycle computed and the first look are shown beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ROOT / "sample_data" / "stages.toml"
EVENTS_PER_PERSON = 20
USAGE = 0.2  # the generator's usage multiplier that gives ~20 events per person
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
COMMANDS = ("movements", "stages", "drivers", "cohorts", "full", "overview", "earlier", "first_look", "quarter")
TARGETS = {  # ratio: (what, how compared, target)
    "ingest": ("ingest / bare DuckDB read_csv into a file", "<=", 1.5),
    "ingest_events": ("  ingest until the events are stored (before the first look) / bare read", "<=", 1.5),
    "model": ("overview, nothing stored (the full model) / one bare window pass", "<=", 5.0),
    "overview": ("  overview, lifecycle computed (another churn window) / window pass", "<=", 5.0),
    "first_look": ("  first look (lifecycle stored at ingest) / window pass", "<=", 5.0),
    "pandas": ("pandas movements / Journey Ledger movements", ">=", 3.0),
}


def parse_size(text: str) -> int:
    """An event count: 100k, 1m, 10m, 100m or a number."""
    return SIZES.get(text.lower()) or int(float(text))


def label(events: int) -> str:
    for name, n in SIZES.items():
        if n == events:
            return name.upper()
    return f"{events:,}"


def run_step(step: str, args: dict) -> dict:
    """Run one step in a fresh process; its JSON result plus ``peak_mb`` (its own peak RSS)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), JOURNEY_LEDGER_SAMPLE="0")
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.steps", step, json.dumps(args)],
                            stdout=out, stderr=err, cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed ({proc.returncode}):\n{err.read().decode()[-3000:]}")
    result = json.loads(out.read().decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def summarize(results: list[dict]) -> dict:
    """Median seconds (and of each extra figure a step reports: the cached rerun, the ingest until its
    events are stored, pandas' load) and median peak MB over a step's processes."""
    out = {"seconds": statistics.median(r["seconds"] for r in results),
           "peak_mb": statistics.median(r["peak_mb"] for r in results),
           "all_seconds": [r["seconds"] for r in results]}
    for extra in ("cached", "load", "events"):
        if extra in results[0]:
            out[extra] = statistics.median(r[extra] for r in results)
            out[f"all_{extra}"] = [r[extra] for r in results]
    return out


def generate(events: int, folder: Path, log) -> tuple[Path, int]:
    people = max(10, round(events / EVENTS_PER_PERSON))
    path = folder / f"events_{people}_people_usage{USAGE}.csv"
    if not path.exists():
        t = time.perf_counter()
        tmp = path.with_suffix(".part")
        # In a process of its own: a child's peak memory as Linux reports it (wait4's ru_maxrss) starts
        # from its parent's at the fork, so a driver swollen by generating 100 M events would lend
        # every step its own peak (the 100 M run read 4,388 MB for every step).
        subprocess.run([sys.executable, "-c", "import sys; from sample_data.generate import write_csv; "
                        "write_csv(sys.argv[1], customers=int(sys.argv[2]), usage=float(sys.argv[3]))",
                        str(tmp), str(people), str(USAGE)],
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
        tmp.rename(path)
        log(f"  generated {path} ({people:,} people) in {time.perf_counter() - t:.0f} s")
    return path, people


def bench_size(events: int, folder: Path, runs: int, log, skip_pandas: bool = False) -> dict:
    csv, people = generate(events, folder, log)
    ws = folder / f"ws_{people}.duckdb"
    for p in (ws, Path(f"{ws}.wal")):
        p.unlink(missing_ok=True)
    base = {"csv": str(csv), "stages": str(STAGES), "workspace": str(ws)}
    size: dict = {"events_target": events, "people": people, "csv_mb": csv.stat().st_size / 2**20}
    bare = dict(base, workspace=str(folder / "bare.duckdb"))
    plan = [("ingest", "ingest", base), ("bare_ingest", "bare_ingest", bare),
            *((command, "command", dict(base, command=command)) for command in COMMANDS),
            ("page", "page", base), ("window", "window", base)]
    if not skip_pandas:
        plan.append(("pandas_movements", "pandas_movements", base))
    # In rounds, every step once per round, so that a machine that slows down or speeds up during the
    # run weighs on both sides of each ratio alike (run one after the other, a slow spell could fall
    # on the bare read's three runs alone).
    results: dict[str, list[dict]] = {name: [] for name, _, _ in plan}
    for i in range(runs):
        for name, step, args in plan:
            r = run_step(step, args)
            results[name].append(r)
            log(f"    {name} run {i + 1}: {r['seconds']:.3f} s, {r['peak_mb']:.0f} MB")
            if step == "bare_ingest":
                for p in (folder / "bare.duckdb", folder / "bare.duckdb.wal"):
                    p.unlink(missing_ok=True)
            if step == "ingest" and i == 0:  # the log's size, and pandas against the model, once
                check = run_step("agree", base) if not skip_pandas else run_step("window", base)
                size.update({k: check[k] for k in ("rows", "customers", "periods", "customers_end", "differences")
                             if k in check})
                if check.get("differences"):
                    raise AssertionError("pandas and the model disagree on the movements:\n"
                                         + "\n".join(check["differences"][:20]))
    size["steps"] = {name: summarize(rs) for name, rs in results.items()}
    return size


# ratio: (numerator step, its figure, denominator step), each figure a step's seconds unless named
RATIOS = {
    "ingest": ("ingest", "seconds", "bare_ingest"),
    "ingest_events": ("ingest", "events", "bare_ingest"),
    "model": ("full", "seconds", "window"),
    "overview": ("overview", "seconds", "window"),
    "first_look": ("first_look", "seconds", "window"),
    "pandas": ("pandas_movements", "seconds", "movements"),
}


def ratios(size: dict) -> dict:
    """Each ratio of the medians."""
    s = size["steps"]
    return {key: s[top][figure] / s[bottom]["seconds"]
            for key, (top, figure, bottom) in RATIOS.items() if top in s}


def round_ratios(size: dict) -> dict:
    """Each ratio round by round (the steps of a round ran minutes apart): how much the noise moves it."""
    s = size["steps"]
    return {key: [a / b for a, b in zip(s[top][f"all_{figure}"], s[bottom]["all_seconds"], strict=True)]
            for key, (top, figure, bottom) in RATIOS.items() if top in s}


ROWS = (
    ("ingest", "ingest (Workspace.ingest, first look's lifecycle and journey included)"),
    ("ingest_events", "  of which the events stored (read, checked, sorted, written)"),
    ("bare_ingest", "  DuckDB bare read_csv -> file"),
    ("movements", "movements"),
    ("stages", "stages"),
    ("drivers", "drivers"),
    ("cohorts", "cohorts"),
    ("full", "overview, nothing stored (all computed from the log)"),
    ("overview", "overview, lifecycle computed (journey stored)"),
    ("earlier", "overview, previous month's end (first look's lifecycle and journey cut)"),
    ("first_look", "overview, first look (lifecycle and journey stored)"),
    ("quarter", "overview, first look by quarter (lifecycle from the stored months)"),
    ("page", "page rerun, uncached (first look)"),
    ("page_cached", "page rerun, cached"),
    ("window", "  DuckDB bare window pass"),
    ("pandas_movements", "  pandas movements"),
)

# rows showing an extra figure of a step: (step, figure, decimals)
PARTS = {"ingest_events": ("ingest", "events", 2), "page_cached": ("page", "cached", 4)}


def table(sizes: list[dict]) -> str:
    """One markdown table: a row per step, seconds and peak MB per size."""
    head = "| step | " + " | ".join(f"{label(s['events_target'])} s | {label(s['events_target'])} MB" for s in sizes) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(sizes)]
    for key, name in ROWS:
        cells = []
        for s in sizes:
            st = s["steps"]
            if key in PARTS:  # a figure of another step's processes: their peak memory is that step's
                step, extra, digits = PARTS[key]
                cells += [f"{st[step][extra]:.{digits}f}", "(same)"]
            elif key in st:
                cells += [f"{st[key]['seconds']:.2f}", f"{st[key]['peak_mb']:,.0f}"]
            else:
                cells += ["", ""]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| events (rows kept) | " + " | ".join(f"{s['rows']:,} | " for s in sizes) + "|")
    lines.append("| customers (people) | " + " | ".join(f"{s['customers']:,} | " for s in sizes) + "|")
    return "\n".join(lines)


def ratio_table(sizes: list[dict]) -> str:
    lines = ["| ratio | target | " + " | ".join(label(s["events_target"]) for s in sizes) + " |",
             "|---|---|" + "---:|" * len(sizes)]
    by_size = [(ratios(s), round_ratios(s)) for s in sizes]
    for key, (what, op, target) in TARGETS.items():
        cells = []
        for medians, per_round in by_size:
            r = medians.get(key)
            if r is None:
                cells.append("")
                continue
            ok = r <= target if op == "<=" else r >= target
            rounds = per_round[key]
            spread = f" ({min(rounds):.2f}-{max(rounds):.2f})" if len(rounds) > 1 else ""
            cells.append(f"{r:.2f} {'ok' if ok else 'MISSED'}{spread}")
        lines.append(f"| {what} | {op} {target} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Each ratio is of the medians; in brackets, the lowest and the highest of it taken round by round.")
    return "\n".join(lines)


def versions() -> str:
    import duckdb
    import numpy
    import pandas

    return (f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pandas.__version__}, "
            f"numpy {numpy.__version__}, {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"memory limit {os.environ.get('JOURNEY_LEDGER_MEMORY_LIMIT') or '2GB (default)'}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m,10m", help="event counts: 100k, 1m, 10m, 100m or numbers")
    parser.add_argument("--runs", type=int, default=3, help="processes per step; the median is shown")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "journey_ledger_bench"),
                        help="where the logs and workspaces go (generated logs are kept and reused)")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--no-pandas", action="store_true", help="skip pandas (it needs ~2x the events in memory)")
    parser.add_argument("--quiet", action="store_true")
    opts = parser.parse_args(argv)
    folder = Path(opts.dir)
    folder.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        if not opts.quiet:
            print(text, file=sys.stderr, flush=True)

    started = datetime.now(UTC)
    load = os.getloadavg()
    sizes = []
    for text in opts.sizes.split(","):
        events = parse_size(text)
        log(f"size {label(events)}")
        sizes.append(bench_size(events, folder, opts.runs, log, skip_pandas=opts.no_pandas))
    report = (f"Journey Ledger benchmark, {started:%Y-%m-%d %H:%M} UTC, {opts.runs} runs per step (median), "
              f"load average at start {load[0]:.2f}\n{versions()}\n\n{table(sizes)}\n\n{ratio_table(sizes)}\n")
    print(report)
    out = {"started": started.isoformat(), "versions": versions(), "load_average": load, "sizes": sizes,
           "ratios": [ratios(s) for s in sizes], "round_ratios": [round_ratios(s) for s in sizes], "report": report}
    if opts.json:
        Path(opts.json).write_text(json.dumps(out, indent=2, default=str))
    return out
