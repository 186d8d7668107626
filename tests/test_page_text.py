"""The product's text on every page: a missing value never reads "None"."""

from __future__ import annotations

import ast
import re

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


def shown_strings(path):
    """The string constants of a file that can reach a reader (docstrings left out), with their line numbers."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


SHOWN = CODE + sorted((ROOT / "views").glob("*.py"))


@pytest.mark.parametrize("path", SHOWN, ids=[str(p.relative_to(ROOT)) for p in SHOWN])
def test_the_text_for_readers_cites_no_file(path):
    """A caption for leaders said "(DOMAIN.md)": the pages and the report say what a rule is in plain words,
    never which of the project's files holds it."""
    assert [(line, s) for line, s in shown_strings(path) if re.search(r"[A-Za-z]\.md\b", s)] == []


def test_the_rule_sees_the_tables():
    assert sum(1 for p in CODE for _ in tables(p)) >= 13
