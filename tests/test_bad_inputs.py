"""A corpus of bad and awkward inputs: each is ingested correctly or refused with one sentence that
names the problem and the fix, the same on the command line and on the Data page, and a refused
file leaves the workspace byte for byte as it was."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from analytics.workspace import Workspace
from tests.conftest import ROOT, WORKED_EXAMPLE
from tests.pages_helpers import open_page, plain

H = "customer_id,timestamp,event,revenue\n"


@dataclass
class Case:
    name: str
    content: bytes
    refused: bool
    words: tuple[str, ...] = ()  # in the refusal sentence, or in the report's refusal labels
    kept: int | None = None  # rows kept when ingested


def _bomb() -> bytes:
    return gzip.compress(H.encode() + b"a" * (64 << 20), 9)


CORPUS = [
    Case("empty.csv", b"", True, ("is empty", "export the data again")),
    Case("header-only.csv", H.encode(), True, ("has a header but no rows",)),
    Case("no-customer.csv", b"when,event\n2026-01-01,x\n", True, ("no customer_id column", "CustomerID")),
    Case("no-timestamp.csv", b"customer_id,event\na,x\n", True, ("no timestamp column", "InvoiceDate")),
    Case("unparseable-dates.csv", (H + "a,soon,x,1\nb,later,x,2\n").encode(), True, ("no date Journey Ledger can read", "'soon'")),
    Case("ambiguous-dates.csv", (H + "a,01/02/2026,x,1\nb,03/04/2026,x,2\n").encode(), True, ("'%d/%m/%Y' or '%m/%d/%Y'",)),
    Case("mixed-dates.csv", (H + "a,2026-01-01,x,1\nb,2026-01-02,x,1\nc,02/01/2026,x,1\n").encode(), False, ("timestamp not readable",), 2),
    Case("money-formats.csv", (H + 'a,2026-01-01,x,"1,234.50"\nb,2026-01-01,x,$12\nc,2026-01-01,x,twelve\nd,2026-01-01,x,"3,50"\n').encode(),
         False, ("revenue not a number",), 2),
    Case("latin-1.csv", (H + "Zoë,2026-01-01,café,1\n").encode("latin-1"), False, (), 1),
    Case("windows-1252.csv", (H + "Zoë,2026-01-01,café – “x”,€1\n").encode("cp1252"), False, ("Windows-1252",), 1),
    Case("utf-16.csv", (H + "Zoë,2026-01-01,café,1\n").encode("utf-16"), False, (), 1),
    Case("bom.csv", b"\xef\xbb\xbf" + (H + "a,2026-01-01,x,1\n").encode(), False, (), 1),
    Case("semicolons.csv", (H.replace(",", ";") + "a;2026-01-01;x;1\n").encode(), False, (), 1),
    Case("tabs.tsv", (H.replace(",", "\t") + "a\t2026-01-01\tx\t1\n").encode(), False, (), 1),
    Case("quoted-newlines.csv", (H + 'a,2026-01-01,"two\nlines, and a comma",1\nb,2026-01-02,x,1\n').encode(), False, (), 2),
    Case("ragged.csv", (H + "a,2026-01-01,x,1\nb,2026-01-01,x\nc,2026-01-01,x,1,extra\nd,2026-01-01,x,1\n").encode(),
         False, ("wrong number of fields", "rows 3, 4"), 2),
    Case("duplicates.csv", (H + "a,2026-01-01,x,1\na,2026-01-01,x,1\n").encode(), False, ("exact duplicate of an earlier row",), 1),
    Case("out-of-time.csv", (H + "a,2999-01-01,x,1\nb,1970-01-01,x,1\nc,2026-01-01,x,1\n").encode(), False,
         ("timestamp in the future", "timestamp before 1990-01-01"), 1),
    Case("binary.csv", bytes(range(256)) * 8, True, ("not a text file",)),
    Case("bomb.csv.gz", b"", True, ("compression bomb",)),
    Case("not-gzip.csv.gz", (H + "a,2026-01-01,x,1\n").encode(), True, ("ends in .gz but is not gzip-compressed",)),
    Case("hostile-names.csv", (b'"; drop table datasets; --",<script>alert(1)</script>,customer_id,timestamp,event,revenue\n'
                               b'1,2,a,2026-01-01,x,1\n'), False, (), 1),
    # European Excel: a semicolon file whose 1.500 is fifteen hundred, and one whose 12,50 says the comma
    Case("euro-thousands.csv", (H.replace(",", ";") + "a;2026-01-01;x;1.500\nb;2026-01-02;x;12.000\n").encode(), False,
         ("numbers read with a decimal comma (1.234,50), the convention of semicolon-separated files",), 2),
    Case("euro-decimals.csv", (H.replace(",", ";") + "a;2026-01-01;x;1,500\nb;2026-01-02;x;12,50\nc;2026-01-03;x;0,99\nd;2026-01-03;x;1.5\n").encode(),
         False, ("numbers read with a decimal comma (1.234,50), as the revenue column writes them", "set the decimal mark to point"), 3),
    Case("excel-sep-line.csv", ("sep=;\n" + H.replace(",", ";") + "a;2026-01-01;x;1\n").replace("\n", "\r\n").encode(), False, ("delimiter ';'",), 1),
    Case("title-line.csv", ("Export generated 2026-11-01 by HubSpot\n" + H + "a,2026-01-01,x,1\n").encode(), True,
         ("looks like a title rather than the header", "remove the lines above the header row")),
    Case("formula-cells.csv", (H + "=cmd|' /C calc'!A0,2026-01-01,+SUM(A1),1\n@me,2026-01-01,-x,2\n").encode(), False, (), 2),
]


def materialise(case: Case, folder: Path) -> Path:
    path = folder / case.name
    path.write_bytes(_bomb() if case.name == "bomb.csv.gz" else case.content)
    return path


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory) -> Path:
    """A workspace holding one dataset, closed: each test works on a copy."""
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "ws.duckdb"
    ws = Workspace(path, seed_sample=False)
    csv = folder / "example.csv"
    csv.write_text(WORKED_EXAMPLE)
    ws.ingest(csv, "Example")
    ws.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "analytics", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_command_line(case, workspace_file, tmp_path):
    ws_path = tmp_path / "ws.duckdb"
    ws_path.write_bytes(workspace_file.read_bytes())
    before = digest(ws_path)
    proc = cli("ingest", str(materialise(case, tmp_path)), "--name", "upload", "--workspace", str(ws_path))
    assert "Traceback" not in proc.stderr
    if case.refused:
        assert proc.returncode == 1
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
        for w in case.words:
            assert w in proc.stderr
        assert digest(ws_path) == before, "a refused file changed the workspace"
    else:
        assert proc.returncode == 0, proc.stderr
        assert f"Rows kept: {case.kept}" in proc.stdout
        for w in case.words:
            assert w in proc.stdout
        ws = Workspace(ws_path, seed_sample=False)
        try:
            assert sorted(ws.names()) == ["Example", "upload"]
            assert ws.dataset("Example").rows_kept == 13
        finally:
            ws.close()


REFUSED = [c for c in CORPUS if c.refused]


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_data_page_says_the_same_sentence(case, workspace_file, tmp_path, monkeypatch):
    ws_path = tmp_path / "ws.duckdb"
    ws_path.write_bytes(workspace_file.read_bytes())
    path = materialise(case, tmp_path)
    expected = cli("ingest", str(path), "--name", "upload", "--workspace", str(tmp_path / "other.duckdb")).stderr
    before = digest(ws_path)
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(ws_path))
    at = open_page("data").run()
    at.file_uploader(key="upload").set_value((case.name, path.read_bytes(), "text/csv")).run()
    if not at.error:
        at.button(key="ingest").click().run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [expected.removeprefix("error: ").rstrip("\n")]
    del at  # the page's workspace connection closes with the AppTest's cache
    import gc

    gc.collect()
    from ui.state import _open

    _open.clear()
    assert digest(ws_path) == before


def test_file_over_the_size_limit(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text(H + "a,2026-01-01,x,1\n" * 150_000)  # about 2.6 MB
    env = {"PATH": "/usr/bin:/bin", "JOURNEY_LEDGER_MAX_FILE_MB": "1", "JOURNEY_LEDGER_SAMPLE": "0"}
    proc = cli("ingest", str(big), "--name", "big", "--workspace", str(tmp_path / "w.duckdb"), env=env)
    assert proc.returncode == 1
    assert proc.stderr == ("error: big.csv is 2.4 MB uncompressed, over the limit of 1 MB; split it by date and upload "
                           "the parts as separate datasets, or raise JOURNEY_LEDGER_MAX_FILE_MB.\n")


@pytest.mark.parametrize(
    "toml, words",
    [
        ("churn_after_days = = 3", "is not valid TOML"),
        ('[[stages]]\nname = "Buy"\nevents = ["x"]\n[[stages]]\nname = "Use"\nevents = ["x"]', "listed under both 'Buy' and 'Use'"),
        ("colour = 3", "unknown key 'colour'"),
    ],
)
def test_bad_stage_maps_are_refused_before_reading(toml, words, tmp_path):
    stages = tmp_path / "stages.toml"
    stages.write_text(toml)
    csv = tmp_path / "e.csv"
    csv.write_text(WORKED_EXAMPLE)
    proc = cli("ingest", str(csv), "--name", "x", "--stages", str(stages), "--workspace", str(tmp_path / "w.duckdb"))
    assert proc.returncode == 1 and words in proc.stderr and proc.stderr.startswith("error: stages.toml")


def test_hostile_column_names_are_only_names(workspace_file, tmp_path):
    ws_path = tmp_path / "ws.duckdb"
    ws_path.write_bytes(workspace_file.read_bytes())
    case = next(c for c in CORPUS if c.name == "hostile-names.csv")
    path = materialise(case, tmp_path)
    proc = cli("ingest", str(path), "--name", "h", "--workspace", str(ws_path),
               "--map", "segment=; drop table datasets; --", "--map", "channel=<script>alert(1)</script>")
    assert proc.returncode == 0, proc.stderr
    ws = Workspace(ws_path, seed_sample=False)
    try:
        with ws.cursor() as cur:
            seg, chan = cur.execute(f"SELECT segment, channel FROM {ws.dataset('h').table}").fetchone()
        assert (seg, chan) == ("1", "2")
        assert sorted(ws.names()) == ["Example", "h"]
    finally:
        ws.close()
