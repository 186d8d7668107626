"""The workspace and the chosen dataset, shared by every page.

The workspace is opened once per server process (``st.cache_resource``): DuckDB lets one
process write a file, and every session reads and writes through that one connection, a cursor
per call. The chosen dataset lives in the URL (``?dataset=NAME``) so a link opens the same view.
"""

from __future__ import annotations

import streamlit as st

from analytics.errors import JourneyLedgerError
from analytics.workspace import Dataset, Workspace, default_path


@st.cache_resource(show_spinner="Opening the workspace...")
def _open(path: str) -> Workspace:
    return Workspace(path)


def workspace() -> Workspace:
    """The process's workspace (``$JOURNEY_LEDGER_WORKSPACE`` or ``data/workspace.duckdb``)."""
    return _open(str(default_path()))


def choose_dataset(ws: Workspace) -> Dataset | None:
    """The sidebar's dataset choice, kept in ``st.query_params['dataset']``; None when there is none."""
    names = ws.names()
    if not names:
        st.sidebar.info("No datasets yet: upload an export on the Data page.")
        return None
    wanted = st.query_params.get("dataset")
    current = wanted if wanted in names else names[0]
    # The URL is the source of truth: a link, or a page that just saved a dataset, sets it.
    if st.session_state.get("dataset_choice") != current:
        st.session_state["dataset_choice"] = current

    def _to_url() -> None:
        st.query_params["dataset"] = st.session_state["dataset_choice"]

    name = st.sidebar.selectbox("Dataset", names, key="dataset_choice", on_change=_to_url)
    if st.query_params.get("dataset") != name:
        st.query_params["dataset"] = name
    try:
        return ws.dataset(name)
    except JourneyLedgerError as exc:  # deleted by another session between the two calls
        st.sidebar.error(str(exc))
        return None
