"""The product's text on every page: a missing value never reads "None"."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

CODE = [p for d in ("pages", "ui") for p in sorted((ROOT / d).glob("*.py"))] + [ROOT / "app.py"]


def tables(path):
    """The ``st.dataframe`` and ``st.data_editor`` calls of a file, with their line numbers."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("dataframe", "data_editor"):
            yield node


@pytest.mark.parametrize("path", CODE, ids=[str(p.relative_to(ROOT)) for p in CODE])
def test_every_table_says_how_a_missing_value_reads(path):
    """Streamlit draws a missing cell as "None" in the browser, whatever a Styler formats it as: every
    table names its placeholder ("-" for a number that does not apply, "" for a cell to fill in)."""
    for call in tables(path):
        assert "placeholder" in {k.arg for k in call.keywords}, f"{path.name}:{call.lineno}"


def test_the_rule_sees_the_tables():
    assert sum(1 for p in CODE for _ in tables(p)) >= 13
