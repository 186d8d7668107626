"""The workspace, the sidebar's choices and the cached model results, shared by every page.

The workspace is opened once per server process (``st.cache_resource``): DuckDB lets one
process write a file, and every session reads and writes through that one connection, a cursor
per call. The sidebar's choices live in the URL (``st.query_params``) so a link opens the same
view; they are also kept in the session so that moving between pages keeps them.

Two things make that keeping explicit. Streamlit clears the URL's parameters when the sidebar's page
links are followed, and a widget's state belongs to the page that drew it: the next page's widget of the
same key starts from its default. So each choice is also kept under ``keep_<name>``, a plain session
value that no page owns, and is given to the widget before every draw. Choosing another dataset starts
its view afresh (its whole date range, all customers, its last complete period): a date range or a
segment of one dataset means nothing for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import streamlit as st

from analytics.errors import JourneyLedgerError
from analytics.model import Results, Settings, compute, stages_of
from analytics.workspace import Dataset, Workspace, default_path
from ui.format import md
from views import charts, narrative
from views.format import plural

ALL = "All customers"
GRAINS = {"month": "Month", "quarter": "Quarter"}


@st.cache_resource(show_spinner="Opening the workspace...")
def _open(path: str) -> Workspace:
    return Workspace(path)


def workspace() -> Workspace:
    """The process's workspace (``$JOURNEY_LEDGER_WORKSPACE`` or ``data/workspace.duckdb``)."""
    return _open(str(default_path()))


def dataset_version(ds: Dataset) -> str:
    """Changes whenever the dataset's events or stage map change: part of every cache key."""
    return f"{ds.events_table}:{hash(ds.stage_map.to_toml())}"


@st.cache_data(show_spinner="Computing the customer asset...", max_entries=200)
def results(dataset: str, version: str, settings: Settings) -> Results:
    """The model's tables, cached per dataset version and settings (``version`` keys the cache)."""
    return compute(workspace(), dataset, settings)


@st.cache_data(show_spinner="Computing each segment's stages...", max_entries=200)
def segment_stages(dataset: str, version: str, settings: Settings) -> pd.DataFrame:
    """The stage table alone under ``settings`` (a segment's, for the Cohorts page), cached as :func:`results`."""
    return stages_of(workspace(), dataset, settings)


@st.cache_data(show_spinner="Computing with the edited stage map...", max_entries=20)
def preview_results(dataset: str, version: str, stage_map_toml: str, settings: Settings) -> Results:
    """The model's tables with a stage map that is not saved yet (the Data page's preview)."""
    from analytics.stagemap import parse_stage_map

    return compute(workspace(), dataset, settings, parse_stage_map(stage_map_toml))


def _keep(name: str) -> str:
    return f"keep_{name}"


def _synced(name: str, valid: list, default, *, kept_as=None):
    """The value of query parameter ``name``: from the URL, else the session, else ``default``.

    The widget keyed ``qp_<name>`` is set to it before it is drawn; the URL follows the widget. The
    session's value is read through ``kept_as`` when given (a period in this page's grain), and is kept
    unless it is only the kept value read so: a month chosen elsewhere shows as its quarter on
    Prioritise and stays the month for the other pages, while a quarter chosen there (by link or in the
    sidebar) is the latest choice and is kept.
    """
    key = f"qp_{name}"
    value = st.query_params.get(name)
    kept = st.session_state.get(_keep(name))
    if value not in valid:
        value = kept_as(kept) if kept_as and kept else kept
        if value not in valid:
            value = default
    if not (kept_as and kept and kept_as(kept) == value):
        st.session_state[_keep(name)] = value
    st.session_state[key] = value  # always: the previous page's widget of this key is not this page's
    if st.query_params.get(name) != value and value is not None:
        st.query_params[name] = value
    return key


def kept_choice(key: str, valid, default):
    """For a page's own widget keyed ``key`` (no URL parameter): set it, before it is drawn, to the choice
    kept for it this session when still in ``valid``, else ``default``; returns the ``on_change`` that keeps
    a new choice. Streamlit drops a widget's state on another page: the choice came back as the default."""
    kept = st.session_state.get(_keep(key))
    st.session_state[key] = kept if kept in valid else default
    return lambda: st.session_state.__setitem__(_keep(key), st.session_state[key])


def in_grain(period: str, grain: str) -> str:
    """A period's label in ``grain``: a month's quarter ('2026-02' -> '2026-Q1'), a quarter's last month
    ('2026-Q1' -> '2026-03'); anything else as it is."""
    year, _, part = period.partition("-")
    if grain == "quarter" and part.isdigit():
        return f"{year}-Q{(int(part) - 1) // 3 + 1}"
    if grain == "month" and part[:1] == "Q" and part[1:].isdigit():
        return f"{year}-{3 * int(part[1:]):02d}"
    return period


# Choosing another dataset forgets the choices that belong to the dataset shown before.
_PER_DATASET = ("from", "to", "segment", "period")


def _to_url(name: str):
    def callback() -> None:
        value = st.session_state[f"qp_{name}"]
        st.session_state[_keep(name)] = value
        if value is None:
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = value
        if name == "dataset":
            _forget_dataset_choices()

    return callback


def _forget_dataset_choices() -> None:
    for name in _PER_DATASET:
        st.query_params.pop(name, None)
        st.session_state.pop(_keep(name), None)


def choose_dataset(ws: Workspace) -> Dataset | None:
    """The sidebar's dataset choice (``?dataset=NAME``); None when the workspace has none."""
    names = ws.names()
    if not names:
        st.sidebar.info("No datasets yet: upload an export on the Data page.")
        return None
    asked = st.query_params.get("dataset")
    if asked is not None and asked not in names:
        _forget_dataset_choices()  # they were the missing dataset's
        st.sidebar.warning(f"There is no dataset named {md(asked)} (renamed or deleted?), so another one is shown.")
        st.query_params.pop("dataset")
    key = _synced("dataset", names, names[0])
    name = st.sidebar.selectbox("Dataset", names, key=key, on_change=_to_url("dataset"))
    try:
        return ws.dataset(name)
    except JourneyLedgerError as exc:  # deleted by another session between the two calls
        st.sidebar.error(str(exc))
        return None


@dataclass(frozen=True)
class View:
    """What the sidebar chose: the dataset, the model's results and the period to show."""

    dataset: Dataset
    results: Results
    period: str  # the chosen period's label
    start: date  # first day shown in trends and heatmaps

    @property
    def grain(self) -> str:
        return self.results.settings.grain

    @property
    def segment(self) -> str | None:
        return self.results.settings.segment

    def periods_shown(self) -> list[str]:
        """The periods from the start of the date range up to the chosen period."""
        return charts.periods_from(self.results.periods, self.start, self.period)

    @property
    def label(self) -> str:
        """The chosen period as it reads: '2026-04', or '2026-05 so far (to 2026-05-15)' when it is not over."""
        return narrative.period_label(self.period, self.results.periods, self.results.settings.as_of)

    def caption(self) -> str:
        """The line under every page's title (Markdown, user text escaped): 'Sample · month 2026-10 so far
        (to 2026-10-15) · segment: Enterprise · as of 2026-10-15'."""
        segment = f" · segment: {md(self.segment)}" if self.segment else ""
        return f"{md(self.dataset.name)} · {self.grain} {self.label}{segment} · as of {self.results.settings.as_of:%Y-%m-%d}"

    def part_period_note(self) -> str | None:
        """What to say when the chosen period is not over (:func:`views.narrative.part_period_note`)."""
        return narrative.part_period_note(self.period, self.results.periods, self.results.settings.as_of, self.grain)


def stop_without_stages(view: View, consequence: str) -> None:
    """On a page that has nothing to show without stages (Drivers, Prioritise): when the dataset's
    stage map has none, say so, with ``consequence`` (what the page cannot show), and stop the page."""
    if not view.results.stage_names:
        st.info(f"The stage map of {md(view.dataset.name)} has no stages, so every event is Unmapped and {consequence}: "
                "add stages on the Data page (its Stage map tab).")
        st.stop()


def sidebar(ws: Workspace, *, grain: str | None = None) -> View | None:
    """Draw the sidebar (dataset, grain, date range, period, segment) and compute the view.

    ``grain`` fixes the grain for a page (the quarterly meeting). Returns None, with the reason
    shown, when there is nothing to show.
    """
    ds = choose_dataset(ws)
    if ds is None:
        return None
    if ds.first_event is None:
        st.info("This dataset has no events.")
        return None
    if grain is None:
        key = _synced("grain", list(GRAINS), "month")
        grain = st.sidebar.radio("Periods", list(GRAINS), format_func=GRAINS.get, key=key,
                                 on_change=_to_url("grain"), horizontal=True)
    first, last = ds.first_event.date(), ds.last_event.date()
    start = _date_param("from", first, first, last)
    end = _date_param("to", last, first, last)
    if start > end:
        st.sidebar.warning(f"The start date {start.isoformat()} was after the end date {end.isoformat()}, "
                           "so the range starts at the first event instead.")
        start = first
    if not st.session_state.pop("date_range_half", False):  # as for _synced, unless half of a range is picked
        st.session_state["date_range"] = (start, end)
    chosen = st.sidebar.date_input(
        "Date range", min_value=first, max_value=last, key="date_range", format="YYYY-MM-DD", on_change=_dates_to_url,
        help="The end date is the report's 'as of': later events are ignored. The start limits the trend charts.",
    )
    if isinstance(chosen, tuple) and len(chosen) == 2:
        start, end = chosen
    _keep_dates((start, end))
    as_of = as_of_for(ds, end)
    base = results(ds.name, dataset_version(ds), Settings(grain=grain, as_of=as_of))
    segments = [ALL, *base.segments]
    key = _synced("segment", segments, ALL)
    segment = st.sidebar.selectbox("Segment", segments, key=key, on_change=_to_url("segment"),
                                   help="Only the customers whose latest segment is this one.")
    res = base if segment == ALL else results(ds.name, dataset_version(ds), Settings(grain=grain, as_of=as_of, segment=segment))
    periods = list(res.periods["period"])
    if not periods:
        st.info("No events up to the chosen end date.")
        return None
    complete = list(res.periods.loc[res.periods["complete"], "period"])
    default = complete[-1] if complete else periods[-1]
    # a page of its own grain (Prioritise, by quarter) shows the quarter of the month chosen elsewhere, and
    # leaves that month for the other pages unless a quarter is chosen there
    key = _synced("period", periods, default, kept_as=lambda p: in_grain(p, grain))
    period = st.sidebar.selectbox(
        "Period", list(reversed(periods)), key=key, on_change=_to_url("period"),
        format_func=lambda p: p if p in complete else f"{p} (so far)",
    )
    st.sidebar.caption(
        f"As of {res.settings.as_of:%Y-%m-%d %H:%M} UTC. A customer is lost after "
        f"{plural(res.settings.churn_after_days, 'day')} without a payment or at a churn event."
    )
    return View(dataset=ds, results=res, period=period, start=start)


def as_of_for(ds: Dataset, end: date) -> datetime | date:
    """The model's as-of for the sidebar's end date: the latest event itself when the end date is its day
    (DOMAIN.md's default, the instant of the command line's report and of the stored first look), else the
    end of the chosen day (every event on it counts)."""
    return ds.last_event if end >= ds.last_event.date() else end


def _keep_dates(dates: tuple[date, date]) -> None:
    for name, day in zip(("from", "to"), dates, strict=True):
        st.session_state[_keep(name)] = st.query_params[name] = day.isoformat()


def _dates_to_url() -> None:
    chosen = st.session_state["date_range"]
    if isinstance(chosen, tuple) and len(chosen) == 2:
        _keep_dates(chosen)
    else:  # the start is picked, the end is next: leave the widget as it is
        st.session_state["date_range_half"] = True


def _date_param(name: str, default: date, low: date, high: date) -> date:
    """The date of query parameter ``name`` (else the session's, else ``default``), within [low, high]."""
    text = st.query_params.get(name) or st.session_state.get(_keep(name))
    try:
        value = date.fromisoformat(text) if text else default
    except ValueError:
        value = default
    return min(max(value, low), high)
