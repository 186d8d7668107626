"""Fuzzing: whatever bytes arrive, ingest and the model raise nothing but the product's own errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.errors import JourneyLedgerError
from analytics.model import Settings, compute
from analytics.stagemap import parse_stage_map
from analytics.workspace import Workspace
from tests.conftest import WORKED_STAGES

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def attempt(content: bytes, name: str = "fuzz.csv"):
    """Ingest ``content`` into a new workspace and run the model on it; return the dataset or the error."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        ws = Workspace(Path(folder) / "ws.duckdb", seed_sample=False)
        try:
            ds = ws.ingest(path, "fuzz", stage_map=parse_stage_map(WORKED_STAGES))
            for grain in ("month", "quarter"):
                res = compute(ws, "fuzz", Settings(grain=grain))
                assert (res.movements.customers_end >= 0).all()
            return ds
        except JourneyLedgerError as exc:
            assert str(exc) and "\n" not in str(exc) and "Traceback" not in str(exc)
            return exc
        finally:
            ws.close()


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(content):
    attempt(content)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_good_header(content):
    attempt(b"customer_id,timestamp,event,revenue\n" + content)


CELLS = {
    "customer_id": st.one_of(st.sampled_from(["a", "b", "C1", "17850.0", "", " ", "=1+1", "\"q\"", "é"]), st.text(max_size=6)),
    "timestamp": st.one_of(
        st.sampled_from(["2026-01-01", "2026-02-30", "2026-01-01T10:00:00+05:00", "01/02/2026", "13/01/2026",
                         "2026-13-01", "", "yesterday", "1989-12-31", "2999-01-01", "2026-01-01 25:00"]),
        st.dates().map(str), st.text(max_size=12),
    ),
    "event": st.one_of(st.sampled_from(["purchase", "renewal", "cancel", "login", "site_visit", "", "<b>x</b>"]), st.text(max_size=8)),
    "revenue": st.one_of(st.sampled_from(["0", "100", "-5", "1,234.50", "$12", "3,50", "", "1e3", "NaN", "inf",
                                          "99999999999999999999"]), st.text(max_size=6)),
}


@st.composite
def exports(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    rows = draw(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=30))

    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(ch in v for ch in (delimiter, '"', "\n", "\r")) else v

    lines = [delimiter.join(CELLS)] + [delimiter.join(cell(r[c]) for c in CELLS) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding, errors="replace")


@FUZZ
@given(exports())
def test_random_valid_looking_exports(content):
    attempt(content)
