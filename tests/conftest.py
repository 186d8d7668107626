"""Shared fixtures: a fresh workspace per test and small CSV files written on the spot."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["JOURNEY_LEDGER_SAMPLE"] = "0"  # new workspaces start empty unless a test asks for the sample

from analytics.workspace import Workspace  # noqa: E402

RETAIL = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"

WORKED_EXAMPLE = """customer_id,timestamp,event,revenue
A,2026-01-03,site_visit,0
A,2026-01-05,purchase,100
A,2026-02-05,renewal,100
A,2026-03-05,renewal,120
A,2026-03-20,cancel,0
B,2026-01-10,ad_click,0
B,2026-02-01,purchase,50
B,2026-02-10,support_ticket,0
C,2026-01-20,purchase,80
C,2026-01-25,login,0
C,2026-04-02,purchase,80
D,2026-03-01,site_visit,0
E,2026-04-10,purchase,200
"""

WORKED_STAGES = """churn_after_days = 45
churn_events = ["cancel"]
friction_events = ["support_ticket"]

[[stages]]
name = "Discover"
goal = "I want to know what my options are."
events = ["ad_click", "site_visit"]

[[stages]]
name = "Buy"
goal = "I want to get it without fuss."
events = ["purchase"]

[[stages]]
name = "Onboard"
goal = "I want to be productive quickly."
events = ["onboarding_call"]

[[stages]]
name = "Use"
goal = "I want it to work when I need it."
events = ["login", "support_ticket"]

[[stages]]
name = "Renew"
goal = "I want to keep getting value for my money."
events = ["renewal", "cancel"]
"""


@pytest.fixture
def ws(tmp_path) -> Workspace:
    w = Workspace(tmp_path / "ws.duckdb", seed_sample=False)
    yield w
    w.close()


@pytest.fixture
def write(tmp_path):
    """write(name, text_or_bytes) -> path of a file in the test's folder."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode(encoding)
        path.write_bytes(content)
        return path

    return _write


@pytest.fixture
def downloads(monkeypatch):
    """The files the page offers for download, by name (recorded as Streamlit stores them)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    real = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            files[filename] = path_or_data
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files
