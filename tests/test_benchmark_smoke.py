"""The benchmark (``python -m benchmarks``) at a tiny size, so that it cannot rot, and its pandas
movements against the model's on every number."""

from __future__ import annotations

from benchmarks import run


def test_benchmark_runs_at_a_tiny_size(tmp_path):
    out = run.main(["--sizes", "3000", "--runs", "1", "--dir", str(tmp_path), "--quiet"])
    size = out["sizes"][0]
    assert size["differences"] == []  # pandas and Model.movements agree on every number
    assert size["rows"] > 2000 and size["periods"] == 24
    for step in ("ingest", "bare_ingest", *run.COMMANDS, "page", "window", "pandas_movements"):
        assert size["steps"][step]["seconds"] > 0, step
        assert size["steps"][step]["peak_mb"] > 10, step
    assert size["steps"]["page"]["cached"] < size["steps"]["page"]["seconds"]
    # the events are stored before the first look is, within the same ingest
    assert 0 < size["steps"]["ingest"]["events"] < size["steps"]["ingest"]["seconds"]
    assert set(out["ratios"][0]) == {"ingest", "ingest_events", "model", "overview", "first_look", "pandas"}
    assert "|   of which the events stored (read, checked, sorted, written) |" in out["report"]
    assert "| overview, nothing stored (all computed from the log) |" in out["report"]
    assert "| overview, first look by quarter (lifecycle from the stored months) |" in out["report"]
    assert "| overview, previous month's end (first look's lifecycle and journey cut) |" in out["report"]
    assert "| ratio | target |" in out["report"]


def test_benchmark_without_pandas_reports_the_log_size(tmp_path, capsys):
    # the path taken at 100 M events, where pandas would not fit in memory; two runs, in rounds
    out = run.main(["--sizes", "3000", "--runs", "2", "--dir", str(tmp_path), "--no-pandas"])
    size = out["sizes"][0]
    assert size["rows"] > 2000 and size["customers"] > 10
    assert "pandas_movements" not in size["steps"]
    assert all(len(step["all_seconds"]) == 2 for step in size["steps"].values())
    # each ratio also round by round; of two rounds, the ratio of the medians (the means) lies between them
    rounds, medians = out["round_ratios"][0], out["ratios"][0]
    assert set(rounds) == set(medians) == {"ingest", "ingest_events", "model", "overview", "first_look"}
    for key, (a, b) in rounds.items():
        assert min(a, b) - 1e-9 <= medians[key] <= max(a, b) + 1e-9, key
    assert f"({min(rounds['model']):.2f}-{max(rounds['model']):.2f})" in out["report"]
    # every step once, then every step again: ingest and the bare read side by side in each round
    runs = [line.split()[0:3:2] for line in capsys.readouterr().err.splitlines() if " run " in line]
    steps = ["ingest", "bare_ingest", *run.COMMANDS, "page", "window"]
    assert runs == [[name, f"{i}:"] for i in (1, 2) for name in steps]
    assert "| events (rows kept) |" in out["report"]
