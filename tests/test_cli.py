"""The command line: help on every command, the ingest forms, clean errors and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analytics.cli import main
from tests.conftest import ROOT, WORKED_EXAMPLE, WORKED_STAGES

COMMANDS = ["ingest", "datasets", "show", "remove", "rename", "stage-map", "movements", "stages", "drivers", "cohorts"]


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m analytics {command}")
    assert "--workspace" in out


def test_ingest_show_list_remove(tmp_path, write, capsys):
    ws = str(tmp_path / "cli.duckdb")
    data, stages = write("example.csv", WORKED_EXAMPLE), write("stages.toml", WORKED_STAGES)
    assert main(["ingest", str(data), "--name", "Example", "--stages", str(stages), "--workspace", ws]) == 0
    out = capsys.readouterr().out
    assert "Dataset 'Example' saved" in out and "Rows kept: 13" in out and "Events with no stage: none" in out
    assert main(["datasets", "--workspace", ws]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:3] == ["name", "rows", "customers"]
    assert lines[1].split("\t")[:5] == ["Example", "13", "5", "2026-01-03", "2026-04-10"]
    assert main(["show", "Example", "--workspace", ws]) == 0
    out = capsys.readouterr().out
    assert "Stages: Discover > Buy > Onboard > Use > Renew" in out and "Churn after 45 days" in out
    assert main(["remove", "Example", "--workspace", ws]) == 0
    assert main(["datasets", "--workspace", ws]) == 0
    assert "No datasets yet" in capsys.readouterr().out


def test_map_forms_on_the_command_line(tmp_path, write, capsys):
    ws = str(tmp_path / "cli.duckdb")
    shop = write("shop.csv", "Inv,Qty,Price,Who,When\n1,2,1.5,c1,2026-01-01\n2,3,2,c2,2026-01-02\n")
    code = main([
        "ingest", str(shop), "--name", "Shop", "--workspace", ws,
        "--map", "customer_id=Who", "--map", "timestamp=When", "--map", "event='order'", "--map", "revenue=Qty*Price",
    ])
    assert code == 0
    out = capsys.readouterr().out
    assert "event <- 'order' on every row" in out and "revenue <- Qty x Price" in out


def test_the_decimal_mark_on_the_command_line(tmp_path, write, capsys):
    """--decimal-mark , reads 1,500 in a comma-separated file as one and a half, and the report says so."""
    ws = str(tmp_path / "cli.duckdb")
    data = write("e.csv", 'customer_id,timestamp,event,revenue\na,2026-01-01,buy,"1,500"\nb,2026-01-02,buy,"2.000,25"\n')
    assert main(["ingest", str(data), "--name", "E", "--workspace", ws, "--decimal-mark", ","]) == 0
    out = capsys.readouterr().out
    assert ("File: e.csv (utf-8, delimiter ',', timestamps ISO 8601; numbers read with a decimal comma (1.234,50), "
            "as chosen in the mapping)") in out.splitlines()
    from analytics.workspace import Workspace

    w = Workspace(ws, seed_sample=False)
    try:
        ds = w.dataset("E")
        with w.cursor() as cur:
            assert cur.execute(f"SELECT revenue FROM {ds.events_with_ids()} ORDER BY ts").fetchall() == [(1.5,), (2000.25,)]
    finally:
        w.close()
    # without it, 2.000,25 (read only with a comma) says the comma
    assert main(["ingest", str(data), "--name", "F", "--workspace", ws]) == 0
    assert "numbers read with a decimal comma (1.234,50), as the revenue column writes them)" in capsys.readouterr().out
    # a point chosen: 1,500 is fifteen hundred and 2.000,25 refused, with the way to the other mark
    assert main(["ingest", str(data), "--name", "P", "--workspace", ws, "--decimal-mark", "point"]) == 0
    out = capsys.readouterr().out
    assert "timestamps ISO 8601; numbers read with a decimal point (1,234.50), as chosen in the mapping)" in out
    assert ("  - revenue not a number: 1 (row 3); fix: write plain numbers such as 1234.50; if the file writes its "
            "numbers as 1.234,50, set the decimal mark to comma (in the mapping, or --decimal-mark , on the command line)") in out
    assert main(["ingest", str(data), "--name", "G", "--workspace", ws, "--decimal-mark", "x"]) == 1
    assert capsys.readouterr().err == ("error: The decimal mark 'x' is not one Journey Ledger reads; write . (or point) for "
                                       "1,234.50, , (or comma) for 1.234,50, or leave it out to detect it.\n")


def test_env_var_names_the_workspace(tmp_path, write):
    env = {"JOURNEY_LEDGER_WORKSPACE": str(tmp_path / "env.duckdb"), "PATH": "/usr/bin:/bin"}
    proc = run("ingest", str(write("e.csv", WORKED_EXAMPLE)), "--name", "E", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "env.duckdb").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "error: bad.csv is empty; export the data again, with its header row and its rows.\n"),
        (b"who,when\na,2026-01-01\n", "error: bad.csv has no customer_id column Journey Ledger could recognise; "
         "map a column that says who the customer is (for example CustomerID).\n"),
    ],
)
def test_bad_file_exits_non_zero_with_one_sentence(tmp_path, write, content, message):
    proc = run("ingest", str(write("bad.csv", content)), "--name", "x", "--workspace", str(tmp_path / "w.duckdb"))
    assert proc.returncode == 1
    assert proc.stderr == message
    assert proc.stdout == ""


def test_unknown_dataset_lists_the_known_ones(tmp_path, write, capsys):
    ws = str(tmp_path / "w.duckdb")
    main(["ingest", str(write("e.csv", WORKED_EXAMPLE)), "--name", "E", "--workspace", ws])
    capsys.readouterr()
    assert main(["show", "Nope", "--workspace", ws]) == 1
    assert capsys.readouterr().err == "error: There is no dataset called 'Nope' in the workspace; its datasets are: 'E'.\n"
