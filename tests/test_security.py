"""Safe by default: the server's settings, no HTML from user text, formula-safe exports."""

from __future__ import annotations

import re
import tomllib

import pytest

from analytics.export import safe_cell, to_csv
from analytics.stagemap import parse_stage_map
from analytics.workspace import Workspace
from tests.conftest import ROOT
from tests.pages_helpers import open_page

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_served_on_localhost_only():
    assert CONFIG["server"]["address"] == "localhost"
    assert CONFIG["browser"]["serverAddress"] == "localhost"


def test_no_usage_statistics():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_xsrf_protection_on():
    assert CONFIG["server"]["enableXsrfProtection"] is True


def test_no_error_details_or_developer_menus_for_users():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["client"]["toolbarMode"] == "viewer"
    assert CONFIG["client"]["disableDataExport"] is True  # the tables' toolbar CSV is not formula-safe
    assert CONFIG["global"]["developmentMode"] is False


def test_upload_size_limit_set_and_explained(tmp_path, monkeypatch):
    assert CONFIG["server"]["maxUploadSize"] == 500
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(tmp_path / "w.duckdb"))
    at = open_page("data").run()
    assert any("Up to 500 MB here" in c.value for c in at.caption)


CODE = [p for d in ("pages", "ui", "views") for p in (ROOT / d).glob("*.py")] + [ROOT / "app.py"]


@pytest.mark.parametrize("path", CODE, ids=[str(p.relative_to(ROOT)) for p in CODE])
def test_no_page_renders_html(path):
    text = path.read_text()
    assert "unsafe_allow_html" not in text
    assert not re.search(r"\bst\.html\(|components\.html\(|components\.v1", text)


HOSTILE = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold**"


def test_user_text_is_shown_as_text(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    ws = Workspace(path, seed_sample=False)
    csv = tmp_path / "h.csv"
    csv.write_text("customer_id,timestamp,event,revenue,segment\n"
                   f'a,2026-01-01,"{HOSTILE}",5,"{HOSTILE}"\na,2026-02-01,cancel,0,x\n')
    stages = parse_stage_map(f'[[stages]]\nname = "{HOSTILE}"\nevents = ["{HOSTILE}"]\n')
    ws.ingest(csv, HOSTILE, stage_map=stages)
    ws.close()
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    for page in ("overview", "data", "journey", "drivers", "cohorts", "prioritise"):
        at = open_page(page).run()
        assert not at.exception, page
        shown = [e.value for kind in ("markdown", "caption", "header", "subheader", "title", "error", "warning", "info")
                 for e in getattr(at, kind)]
        for text in shown:
            # the link, the image and the bold text only ever appear escaped
            assert "[click](javascript" not in text, (page, text)
            assert "**bold**" not in text, (page, text)


def test_exports_are_formula_safe():
    assert [safe_cell(v) for v in ["=1+1", "+1", "-1", "@A1", "\tx", "plain", 5]] == ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "plain", 5]
    import pandas as pd

    assert to_csv(pd.DataFrame({"=x": ["=HYPERLINK(1)", "ok"], "n": [-1, 2]})) == "'=x,n\n'=HYPERLINK(1),-1\nok,2\n"
