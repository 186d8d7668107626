"""Helpers for the headless page tests: workspaces with data, AppTest on app.py, page text."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from analytics.model import Settings, compute
from analytics.stagemap import load_stage_map, parse_stage_map
from analytics.workspace import SAMPLE_FILE, SAMPLE_STAGES, Workspace
from tests.conftest import ROOT, WORKED_EXAMPLE, WORKED_STAGES
from ui.format import COUNT_FORMAT

SAMPLE_LAST_DAY = date(2026, 10, 31)  # the bundled sample's last event


def example_workspace(folder: Path, name: str = "Example") -> Path:
    """A workspace holding the DOMAIN.md worked example as dataset ``name``."""
    path = folder / "example.duckdb"
    ws = Workspace(path, seed_sample=False)
    csv = folder / "example.csv"
    csv.write_text(WORKED_EXAMPLE)
    ws.ingest(csv, name, stage_map=parse_stage_map(WORKED_STAGES))
    ws.close()
    return path


def sample_workspace(folder: Path) -> Path:
    """A workspace holding the bundled sample as dataset 'Sample'."""
    path = folder / "sample.duckdb"
    ws = Workspace(path, seed_sample=False)
    ws.ingest(SAMPLE_FILE, "Sample", stage_map=load_stage_map(SAMPLE_STAGES))
    ws.close()
    return path


def sample_with_results(folder: Path, segment: str) -> tuple[Path, dict]:
    """The sample ingested as 'Sample', and the model's results the pages should show (as of its last day),
    for every segment (key None) and for `segment`."""
    path = sample_workspace(folder)
    ws = Workspace(path, seed_sample=False)
    expected = {seg: compute(ws, "Sample", Settings(as_of=SAMPLE_LAST_DAY, segment=seg)) for seg in (None, segment)}
    ws.close()
    return path, expected


def shop_workspace(folder: Path) -> Path:
    """A workspace holding 'Shop', a shop's purchases ingested without a stage map (as the README ingests the
    online retail export): three customers buying every month of 2025, every event Unmapped."""
    path = folder / "shop.duckdb"
    ws = Workspace(path, seed_sample=False)
    csv = folder / "shop.csv"
    csv.write_text("customer_id,timestamp,event,revenue\n" + "".join(
        f"C{c},2025-{m:02d}-0{c},purchase,{10 * c}\n" for c in range(1, 4) for m in range(1, 13)))
    ws.ingest(csv, "Shop")
    assert ws.dataset("Shop").stage_map.stages == ()
    ws.close()
    return path


def open_page(page: str, **query) -> AppTest:
    """An AppTest of app.py switched to ``pages/<page>.py`` with the given query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(f"pages/{page}.py")
    for k, v in query.items():
        at.query_params[k] = v
    return at


def plain(markdown: str) -> str:
    """Text as a reader sees it: the pages escape Markdown characters in user text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def metrics(at) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def texts(at) -> list[str]:
    return [plain(m.value) for m in at.markdown] + [plain(m.value) for m in at.subheader] + [plain(m.value) for m in at.caption]


def ok(at: AppTest) -> AppTest:
    """The page ran without an exception or an error box."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def shown_table(at: AppTest, index: str):
    """The page's one table as data (raw) and as the reader sees it (shown, from its Styler), by ``index``."""
    from streamlit import dataframe_util

    assert len(at.dataframe) == 1
    element = at.dataframe[0]
    raw = element.value.set_index(index, drop=False)
    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(element.proto.arrow_data.styler.display_values)
    return raw, shown.set_index(index, drop=False)


def formatted_counts(at: AppTest) -> set[str]:
    """The whole-number columns of the page's tables, each checked to be written with thousands separators
    (ui.format.COUNT_FORMAT): Streamlit draws a number as it is unless its column says otherwise."""
    seen = set()
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        for column, dtype in table.value.dtypes.items():
            if pd.api.types.is_integer_dtype(dtype) and column != "rank":
                assert config.get(column, {}).get("type_config", {}).get("format") == COUNT_FORMAT, column
                seen.add(column)
    return seen
