"""Data: upload an export, map its columns, read the validation report, manage datasets."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics.errors import JourneyLedgerError
from analytics.ingest import date_format_problem, inspect_file, preview_rows
from analytics.mapping import CANONICAL, CONSTANT_ALLOWED, REQUIRED, Mapping, Source, suggest_mapping
from analytics.model import Settings
from analytics.stagemap import DEFAULT_STAGE_MAP, UNMAPPED, stage_map_from_bytes, stage_map_from_dict
from ui.format import count_columns, day, md, when
from ui.report import render_report
from ui.state import choose_dataset, dataset_version, preview_results, results, workspace
from views.format import count, money, signed

NOT_MAPPED = "(not mapped)"
CONSTANT = "(the same value on every row)"
PRODUCT = "(quantity x unit price)"
FLASH = "data_page_messages"


def flash(where: str, text: str) -> None:
    """Say ``text`` (Markdown, user text escaped) at ``where`` on the next run: every change on this page is
    followed by ``st.rerun()``, which would drop a message shown before it."""
    st.session_state.setdefault(FLASH, []).append((where, text))


def show_flash(where: str) -> None:
    """The messages kept for ``where`` by :func:`flash`, once."""
    messages = st.session_state.get(FLASH, [])
    for w, text in messages:
        if w == where:
            st.success(text)
    st.session_state[FLASH] = [(w, text) for w, text in messages if w != where]


st.title("Data")
ws = workspace()
current = choose_dataset(ws)

# The stage map editor's unsaved edits, per dataset: {name: {"base": the saved map's digest the edits were made to,
# "gen": the editor's generation, "shown": what its widgets were drawn from, "now": what they hold, "changed": bool}}.
# A session value that no page owns (as ui.state's keep_<name>): Streamlit drops the state of widgets not drawn in
# a run, so a visit to another page (or dataset) lost every unsaved edit without a word.
DRAFTS = "keep_stage_map_drafts"
TABLE_COLUMNS = ("order", "stage", "customer goal", "events", "was")


def fresh_draft(sm) -> dict:
    """The editor's values for the saved map ``sm``, with no edit."""
    places = list(range(1, len(sm.stages) + 1))
    # 'was' (hidden) is a row's place in the saved map: a stage given another place moves before or after the
    # stage already there, as it moves up or down (see in_journey_order)
    rows = [{"order": i, "stage": x.name, "customer goal": x.goal, "events": ", ".join(x.events), "was": i}
            for i, x in zip(places, sm.stages, strict=True)]
    return {"churn_days": sm.churn_after_days, "baseline": sm.baseline_periods, "churn_events": list(sm.churn_events),
            "rows": rows, "assigned": {}}


def drop_draft(ds_name: str) -> None:
    """Forget the unsaved edits of ``ds_name``, and draw its editor afresh (its widgets under new keys)."""
    st.session_state.get(DRAFTS, {}).pop(ds_name, None)
    st.session_state["stage_map_round"] = st.session_state.get("stage_map_round", 0) + 1


def stage_map_editor(ds) -> None:
    """Edit the stage map in the page: stages, goals, events, unmapped events, churn window; preview; save."""
    sm = ds.stage_map
    digest = hashlib.sha256(sm.to_toml().encode()).hexdigest()[:12]
    drafts = st.session_state.setdefault(DRAFTS, {})
    draft = drafts.get(ds.name)
    show_flash("stage_map")
    if draft is not None and draft["base"] != digest:
        if draft["changed"]:
            stale_draft(ds, draft, digest)
            return
        draft = None  # nothing unsaved: the editor starts from the map saved now
    # The editor's widgets are keyed by the saved map (and by this session's saves): a widget keeps its state
    # under its key, so after a stage map was saved (here, from a TOML file, or by another session) the editor
    # went on showing the old settings as unsaved edits, and saving them put the old map back. The generation
    # changes when the widgets are drawn afresh from a draft: a data editor's state is its edits against the data
    # it is given, so the draft's table is given to a new one (under the old key, its edits would apply twice).
    gen = draft["gen"] if draft is not None else 0

    def key(name: str) -> str:
        return f"{name}_{ds.name}@{digest}.{st.session_state.get('stage_map_round', 0)}.{gen}"

    if draft is None:
        draft = {"base": digest, "gen": 0, "shown": fresh_draft(sm), "changed": False}
    elif key("edit_churn_days") not in st.session_state:  # back from another page or dataset: the widgets are gone
        gen = draft["gen"] = draft["gen"] + 1
        draft["shown"] = draft["now"]
    shown = draft["shown"]
    notice = st.container()  # the unsaved edits are said first, once the widgets below tell whether there are any

    events = ws.event_counts(ds.name)
    st.caption(
        "Stages in journey order, each with the customer's goal and the events (touchpoints) that belong to it. "
        "Edit the table, assign unmapped events, and see the effect below before saving."
    )
    c = st.columns(3)
    churn_days = c[0].number_input("Churn window (days without a payment)", 1, 3650, shown["churn_days"],
                                   key=key("edit_churn_days"))
    baseline = c[1].number_input("Baseline (previous periods)", 1, 36, shown["baseline"], key=key("edit_baseline"))
    event_names = sorted({e for e, _ in events} | set(sm.churn_events) | set(shown["churn_events"]))
    churn_events = c[2].multiselect("Churn events (explicit loss)", event_names, default=shown["churn_events"],
                                    key=key("edit_churn_events"))
    table = st.data_editor(
        pd.DataFrame(shown["rows"], columns=list(TABLE_COLUMNS), dtype="object"),
        num_rows="dynamic", width="stretch", hide_index=True, key=key("edit_stages"), placeholder="",
        column_order=TABLE_COLUMNS[:-1],
        column_config={
            "order": st.column_config.NumberColumn(
                "order", min_value=1, step=1, format="%d", width="small",
                help="The stage's place in the journey. Type 5 to make it the fifth stage: the stages after it move "
                     "down one. A new stage without a number goes last. The table is sorted by it when saved."),
            "events": st.column_config.TextColumn("events (comma-separated)", width="large"),
        },
    )
    records = table.to_dict("records")
    ordered = in_journey_order(records)
    stage_names = [str(r["stage"]).strip() for r in ordered if isinstance(r["stage"], str) and r["stage"].strip()]
    unmapped = ds.report.get("unmapped", [])
    assigned: dict[str, str] = {}
    if unmapped:
        st.markdown("**Events no stage claims** (shown as Unmapped): assign them here")
        picks = st.data_editor(
            pd.DataFrame({"event": [u["event"] for u in unmapped], "rows": [u["rows"] for u in unmapped],
                          "assign to": [shown["assigned"].get(u["event"]) for u in unmapped]}, dtype="object"),
            disabled=["event", "rows"], hide_index=True, key=key("edit_unmapped"), placeholder="",
            column_config={"assign to": st.column_config.SelectboxColumn("assign to stage", options=stage_names),
                           **count_columns("rows")},
        )
        assigned = {r["event"]: r["assign to"] for r in picks.to_dict("records") if r["assign to"] in stage_names}
        picked = {r["event"]: r["assign to"] for r in picks.to_dict("records") if isinstance(r["assign to"], str)}
    else:
        picked = {}

    def filled(x) -> bool:
        return isinstance(x, str) and bool(x.strip())

    # a row left wholly empty (the editor's new row) is no stage; a row with a goal or events but no name was
    # dropped, its events with it, without a word
    nameless = [i for i, r in enumerate(records, start=1)
                if not filled(r["stage"]) and (filled(r["customer goal"]) or filled(r["events"]))]
    raw = {
        "churn_after_days": int(churn_days), "baseline_periods": int(baseline),
        "churn_events": list(churn_events), "friction_events": list(sm.friction_events),
        "stages": [
            {"name": str(r["stage"]).strip(), "goal": str(r["customer goal"] or "").strip(),
             "events": [e.strip() for e in str(r["events"] or "").split(",") if e.strip()]
             + [e for e, stage in assigned.items() if stage == str(r["stage"]).strip()]}
            for r in ordered if filled(r["stage"])
        ],
    }
    try:
        if nameless:
            raise JourneyLedgerError(f"The edited stage map: row {nameless[0]} of the table has events or a goal but "
                                     "no stage name; a stage needs a name, so give it one or clear the row.")
        edited = stage_map_from_dict(raw, "The edited stage map")
    except JourneyLedgerError as exc:
        st.error(md(exc))
        edited = None
    if edited is not None:  # what the data says about the map: warnings, which do not stop it being saved
        for warning in edited.warnings_against({e for e, _ in events}, ws.stage_counts(ds.name)):
            st.warning(md(warning))
    draft.update(changed=edited != sm, now={
        "churn_days": int(churn_days), "baseline": int(baseline), "churn_events": list(churn_events),
        "rows": [{c: r.get(c) for c in TABLE_COLUMNS} for r in records], "assigned": picked})
    drafts[ds.name] = draft
    if draft["changed"]:
        with notice:
            st.info("This stage map has unsaved edits. They are kept while you look at other pages; save them "
                    "below, or discard them to go back to the saved map.")
            if st.button("Discard the edits", key="stage_map_discard"):
                drop_draft(ds.name)
                st.rerun()
    if edited == sm:
        st.caption("No changes yet.")
    elif edited is not None:
        if edited.stage_names != [str(r["stage"]).strip() for r in records if filled(r["stage"])]:
            st.caption(f"Journey order with the edits: {md(', '.join(edited.stage_names))}.")
        preview_effect(ds, edited)
        if st.button("Save stage map", type="primary", key="save_stage_map"):
            save_stage_map(ds, edited, "Stage map saved.")
    # below the table's errors too: a map that cannot be edited into shape can still be replaced
    replace_from_file(ds, key("stage_map_upload"))


def replace_from_file(ds, uploader_key: str) -> None:
    """Replace the stage map from a TOML file, or download it."""
    sm = ds.stage_map
    with st.expander("Replace from a TOML file, or download it"):
        st.download_button("Download the stage map (TOML)", sm.to_toml(), file_name="stages.toml",
                           mime="application/toml", key="download_stage_map")
        toml_file = st.file_uploader("Stage map (TOML)", type=["toml"], key=uploader_key)
        if toml_file is not None and st.button("Use this stage map", key="stage_map_apply"):
            try:
                new = stage_map_from_bytes(toml_file.getvalue(), toml_file.name)
            except JourneyLedgerError as exc:
                st.error(md(exc))
            else:
                save_stage_map(ds, new, f"Stage map replaced from {md(toml_file.name)}.")


def stale_draft(ds, draft: dict, digest: str) -> None:
    """The unsaved edits of a stage map that was saved again meanwhile (another tab, another person): not drawn
    over the map saved now, where saving them would silently undo its changes, until asked for."""
    st.warning(f"The stage map of '{md(ds.name)}' was saved again elsewhere (in another tab, or by someone else) "
               "after you began editing it, so your unsaved edits are put aside. Bring them back to go on with them "
               "(saving them then replaces the other changes), or discard them to edit the map as saved now.")
    c = st.columns(2)
    if c[0].button("Bring back my edits", key="stage_map_draft_back"):
        draft.update(base=digest, gen=draft["gen"] + 1, shown=draft["now"])  # drawn afresh on the map saved now
        st.rerun()
    if c[1].button("Discard my edits", key="stage_map_draft_discard"):
        drop_draft(ds.name)
        st.rerun()
    replace_from_file(ds, f"stage_map_upload_{ds.name}@{digest}.{st.session_state.get('stage_map_round', 0)}.aside")


def _place(value) -> float | None:
    """A number of the table's order column (None when empty)."""
    return None if value is None or pd.isna(value) else float(value)


def in_journey_order(records: list[dict]) -> list[dict]:
    """The stage table's rows sorted by their 'order' number, as typed: a stage given the place of another goes
    before it when moved up (or new), after it when moved down ('was' is a row's place in the saved map), so the
    number typed is the place taken. Other ties keep the table's order; a row without a number keeps its place,
    a new one goes last. (The editor cannot move a row, and adds one only at the end.)"""

    def place(item: tuple[int, dict]) -> tuple[float, int, int]:
        i, r = item
        was, order = _place(r.get("was")), _place(r.get("order"))
        if order is None:
            return (was if was is not None else float("inf"), 0, i)
        return (order, -1 if was is None or order < was else 1 if order > was else 0, i)

    return [r for _, r in sorted(enumerate(records), key=place)]


def save_stage_map(ds, stage_map, done: str) -> None:
    """Save ``stage_map`` for ``ds``; on success start the editor afresh from it and say ``done`` (Markdown)."""
    try:
        with st.spinner("Saving the stage map and recomputing the customer lifecycle..."):
            ws.set_stage_map(ds.name, stage_map)
    except JourneyLedgerError as exc:  # the dataset renamed or deleted by another session meanwhile
        st.error(md(exc))
        return
    drop_draft(ds.name)  # the edits are saved, or replaced by the file's map
    flash("stage_map", done)
    st.rerun()


def preview_effect(ds, edited) -> None:
    """The latest complete month with the saved map and with the edited one, side by side."""
    version = dataset_version(ds)
    now = results(ds.name, version, Settings())
    then = preview_results(ds.name, version, edited.to_toml(), Settings())
    complete = list(now.periods.loc[now.periods["complete"], "period"]) or list(now.periods["period"])
    if not complete:
        return
    period = complete[-1]
    a = now.movements.set_index("period").loc[period]
    b = then.movements.set_index("period").loc[period]
    st.markdown(f"**Effect of the edits on {period}**")
    c = st.columns(3)
    c[0].metric("Active customers at the end", count(b.customers_end), delta_text(b.customers_end - a.customers_end))
    c[1].metric("Customers lost", count(b.churned), delta_text(b.churned - a.churned), delta_color="inverse")
    # the change in its value's form: "1.84 M" beside "-0.76 M", not "-762,208"
    c[2].metric("Asset value (a year)", money(b.value_end),
                delta_text(b.value_end - a.value_end, lambda d: money(d, like=b.value_end)))
    before = now.stages[now.stages.period == period].set_index("stage")["lost"]
    after = then.stages[then.stages.period == period].set_index("stage")["lost"]
    # in journey order, as every stage table: the edited map's stages, then the stages the edits remove, then
    # Unmapped (a frame of two series of different stages sorted them alphabetically, Unmapped among them)
    order = list(dict.fromkeys([*edited.stage_names, *ds.stage_map.stage_names, *before.index, *after.index]))
    order = [s for s in order if s != UNMAPPED] + [UNMAPPED]
    lost = pd.DataFrame({"lost now": before.reindex(order), "lost with the edits": after.reindex(order)})
    lost = lost.dropna(how="all").fillna(0).astype(int)
    st.dataframe(lost, width="stretch", placeholder="-", column_config=count_columns(*lost.columns))


def delta_text(d, fmt=None) -> str | None:
    fmt = fmt or count
    return None if not d else signed(d, fmt)


# ---- the datasets in the workspace ----------------------------------------------------------
st.header("Datasets in this workspace")
datasets = ws.datasets()
if datasets:
    st.dataframe(
        pd.DataFrame(
            {
                "dataset": [d.name for d in datasets],
                "rows kept": [d.rows_kept for d in datasets],
                "customers": [d.customers for d in datasets],
                "first event": [day(d.first_event) for d in datasets],
                "last event": [day(d.last_event) for d in datasets],
                "uploaded (UTC)": [when(d.uploaded_at) for d in datasets],
                "source file": [d.source_file for d in datasets],
            }
        ),
        hide_index=True,
        width="stretch",
        placeholder="-",
        column_config=count_columns("rows kept", "customers"),
    )
else:
    st.info("The workspace has no datasets yet. Upload an export below.")
    show_flash("dataset")  # the last one was just deleted

# ---- the chosen dataset -----------------------------------------------------------------------
if current is not None:
    st.header(f"Dataset: {md(current.name)}")
    st.caption(
        f"{count(current.rows_kept, 'events')} from {count(current.customers, 'people')}, "
        f"{day(current.first_event)} to {day(current.last_event)}; uploaded {when(current.uploaded_at)} UTC "
        f"from {md(current.source_file)}."
    )
    show_flash("dataset")
    tab_report, tab_stages, tab_manage = st.tabs(["Validation report", "Stage map", "Rename or delete"])
    with tab_report:
        render_report(current.report)
    with tab_stages:
        stage_map_editor(current)
    with tab_manage:
        # Both widgets are keyed by the dataset's name: a widget keeps its state under its key, so one key for
        # every dataset showed the previous dataset's name here, and kept the delete confirmation ticked for the
        # next dataset shown (after switching, or after a delete). A widget not drawn in a run loses its state.
        new_name = st.text_input("New name", value=current.name, key=f"rename_to_{current.name}")
        if st.button("Rename", key="rename"):
            if new_name.strip() == current.name:
                st.info(f"The dataset is already called '{md(current.name)}'; nothing changed.")
            else:
                try:
                    ws.rename(current.name, new_name)
                except JourneyLedgerError as exc:
                    st.error(md(exc))
                else:
                    flash("dataset", f"Renamed '{md(current.name)}' to '{md(new_name.strip())}'.")
                    st.query_params["dataset"] = new_name.strip()
                    st.rerun()
        sure_key = f"delete_sure_{current.name}"
        events = count(current.rows_kept, "events")
        sure = st.checkbox(f"Yes, delete '{md(current.name)}' and its {events}", key=sure_key)
        if st.button("Delete dataset", key="delete", disabled=not sure, type="primary"):
            try:
                ws.remove(current.name)
            except JourneyLedgerError as exc:
                st.error(md(exc))
            else:
                st.session_state.pop(sure_key, None)  # a dataset uploaded again under this name starts unticked
                flash("dataset", f"Deleted '{md(current.name)}' ({events}).")
                del st.query_params["dataset"]
                st.rerun()

# ---- upload -----------------------------------------------------------------------------------
st.header("Upload an export")
st.caption(
    "A CSV (or .csv.gz) with one row per customer event: who, when, what happened and, if any, "
    "the money. Comma, semicolon or tab separated; UTF-8, UTF-16 or Latin-1. Up to "
    f"{st.get_option('server.maxUploadSize'):,} MB here (the server's upload limit); for larger files use "
    "`python -m analytics ingest FILE --name NAME` on the server."
)
# A successful ingest starts a new round: an uploader under a new key is empty (the file just ingested is not
# left armed for a second ingest), and the form of the next file starts from that file's own suggestions.
upload_round = st.session_state.get("upload_round", 0)
uploaded = st.file_uploader("Event export", type=["csv", "gz", "tsv", "txt"],
                            key="upload" if upload_round == 0 else f"upload@{upload_round}")
show_flash("upload")


def _saved_upload(file) -> Path:
    """The upload written to a temporary file once per upload (DuckDB reads files, not buffers)."""
    key = f"upload_path_{file.file_id}"
    if key not in st.session_state:
        suffix = ".csv.gz" if file.name.lower().endswith(".gz") else ".csv"
        with tempfile.NamedTemporaryFile(prefix="journey-ledger-", suffix=suffix, delete=False) as tmp:
            tmp.write(file.getvalue())
        st.session_state[key] = tmp.name
    return Path(st.session_state[key])


UPLOAD_EXTENSIONS = (".csv.gz", ".tsv.gz", ".txt.gz", ".csv", ".tsv", ".txt", ".gz")


def default_name(file_name: str) -> str:
    """The dataset name an upload suggests: its file name without the extension, and only that
    ('journey.2025-11.csv' is 'journey.2025-11', not 'journey')."""
    base = Path(file_name).name
    for ext in UPLOAD_EXTENSIONS:
        if base.lower().endswith(ext) and len(base) > len(ext):
            return base[: -len(ext)]
    return base


def _form_key(name: str, file) -> str:
    """The key of a widget of the upload form of ``file``: every widget of the form belongs to the file uploaded.
    (A widget keeps its state under its key: under keys of their own, the mapping, the date format and the name
    of a new file came from the previous file's form, and the new file's columns were left unmapped.)"""
    return f"{name}@{file.file_id}"


DECIMAL_MARK_OPTIONS = {"detect": None, "point: 1,234.50": ".", "comma: 1.234,50": ","}


def _mapping_form(columns: list[str], suggested: Mapping, file) -> Mapping:
    """One row of choices per canonical column, starting from the suggestion."""
    sources: dict[str, Source] = {}
    for canonical in CANONICAL:
        options = [NOT_MAPPED, *columns]
        if canonical in CONSTANT_ALLOWED:
            options.append(CONSTANT)
        if canonical == "revenue":
            options.append(PRODUCT)
        src = suggested.get(canonical)
        default = NOT_MAPPED
        if src is not None:
            default = CONSTANT if src.constant is not None else PRODUCT if src.product else src.column
        label = canonical + (" (required)" if canonical in REQUIRED else "")
        left, right = st.columns([2, 3])
        choice = left.selectbox(label, options, index=options.index(default), key=_form_key(f"map_{canonical}", file))
        if choice == CONSTANT:
            value = right.text_input(
                f"Value of {canonical} on every row", value=(src.constant if src and src.constant else "purchase"),
                key=_form_key(f"map_{canonical}_constant", file),
            )
            if value.strip():
                sources[canonical] = Source(constant=value.strip())
        elif choice == PRODUCT:
            qty_default, price_default = src.product if src and src.product else (columns[0], columns[-1])
            a = right.selectbox("Quantity column", columns, index=columns.index(qty_default), key=_form_key("map_revenue_a", file))
            b = right.selectbox("Unit price column", columns, index=columns.index(price_default), key=_form_key("map_revenue_b", file))
            sources[canonical] = Source(product=(a, b))
        elif choice != NOT_MAPPED:
            sources[canonical] = Source(column=choice)
    date_format = st.text_input(
        "Date format (leave empty to detect it)", value="", placeholder="for example %d/%m/%Y %H:%M",
        key=_form_key("map_date_format", file),
        help="ISO 8601 dates (2026-03-31, 2026-03-31T14:05:00+02:00) and common formats are detected. "
        "Dates like 03/04/2026 that could be day/month or month/day need their format here, written with "
        "% codes: %d/%m/%Y for 23/06/2025, %m/%d/%Y %H:%M for 06/23/2025 14:05. A format without a time "
        "also reads the same dates with a time after them (23/06/2025 14:05 or 14:05:30). Two-digit years "
        "(%d/%m/%y), AM/PM times (%m/%d/%Y %I:%M %p) and Unix timestamps (1767398400) are detected too; "
        "name the last with Unix seconds (or %s) or Unix milliseconds.",
    ).strip()
    if date_format and date_format_problem(date_format):
        st.error(md(date_format_problem(date_format)))
    mark = st.selectbox(
        "Decimal mark", list(DECIMAL_MARK_OPTIONS), key=_form_key("map_decimal_mark", file),
        help="How the file writes its numbers (revenue, satisfaction). Detected from the first rows: 12,50 or "
        "1.234,50 says comma, 12.5 or 1,234.50 says point; when no number says (1.500 reads both ways), a "
        "semicolon-separated file is read with a comma, any other with a point. Choose it if the report says "
        "the numbers were read with the wrong one.",
    )
    return Mapping(sources=sources, date_format=date_format or None, decimal_mark=DECIMAL_MARK_OPTIONS[mark])


if uploaded is not None:
    try:
        path = _saved_upload(uploaded)
        info = inspect_file(path, uploaded.name)
        with ws.cursor() as cur:
            preview = preview_rows(cur, info)
    except JourneyLedgerError as exc:
        st.error(md(exc))
    except Exception:  # noqa: BLE001 - any other failure reading the preview is still the file's fault
        st.error(f"{md(uploaded.name)} could not be read as CSV; save it as a comma-separated file and try again.")
    else:
        st.subheader("1. Check the columns")
        st.caption(f"{len(info.columns)} columns found; the first rows as read:")
        st.dataframe(preview, hide_index=True, width="stretch", placeholder="")  # an empty cell as the file has it
        st.subheader("2. Map them")
        mapping = _mapping_form(info.columns, suggest_mapping(info.columns), uploaded)
        st.subheader("3. Stage map and name")
        others = [d.name for d in datasets]
        stage_options = ["No stages yet (assign events later)", "Upload a stage map (TOML)"]
        stage_options += [f"Same as dataset: {n}" for n in others]
        maps = {f"Same as dataset: {d.name}": d.stage_map for d in datasets}

        def stage_option(option: str) -> str:
            """An option as shown: a dataset's map with what it decides (its stages and churn window)."""
            if option not in maps:
                return option
            sm = maps[option]
            return (f"Same as dataset: {md(option.removeprefix('Same as dataset: '))} "
                    f"({count(len(sm.stages), 'stages')}, lost after {count(sm.churn_after_days, 'days')} without a payment)")

        # the default is the map of the dataset shown above (the newest was taken whatever was being looked at)
        shown_map = f"Same as dataset: {current.name}" if current is not None else None
        stage_choice = st.radio(
            "Stage map", stage_options, index=stage_options.index(shown_map) if shown_map in stage_options else 0,
            format_func=stage_option, key=_form_key("upload_stage_choice", uploaded),
        )
        stage_file = None
        if stage_choice == stage_options[1]:
            stage_file = st.file_uploader("Stage map (TOML)", type=["toml"], key=_form_key("upload_stage_file", uploaded))
        name = st.text_input("Dataset name", value=default_name(uploaded.name), key=_form_key("upload_name", uploaded))
        replace = False
        if name.strip() in others:
            # keyed by the name too: a replacement agreed for one dataset is not carried to another
            replace = st.checkbox(f"Replace the existing dataset '{md(name.strip())}'",
                                  key=_form_key(f"upload_replace@{name.strip()}", uploaded))
        bad_format = bool(mapping.date_format and date_format_problem(mapping.date_format))  # said above
        if st.button("Ingest", type="primary", key="ingest", disabled=bad_format):
            try:
                if stage_choice == stage_options[1]:
                    if stage_file is None:
                        raise JourneyLedgerError("Choose a stage map file first, or pick another stage map option.")
                    stage_map = stage_map_from_bytes(stage_file.getvalue(), stage_file.name)
                elif stage_choice.startswith("Same as dataset: "):
                    stage_map = ws.dataset(stage_choice.removeprefix("Same as dataset: ")).stage_map
                else:
                    stage_map = DEFAULT_STAGE_MAP
                with st.spinner(f"Reading {uploaded.name}..."):
                    ds = ws.ingest(path, name, mapping=mapping, stage_map=stage_map,
                                   source_name=uploaded.name, replace=replace)
            except JourneyLedgerError as exc:
                st.error(md(exc))
            else:
                # the events now live in the workspace: the temporary copy of the upload can go
                path.unlink(missing_ok=True)
                st.session_state.pop(f"upload_path_{uploaded.file_id}", None)
                st.session_state["upload_round"] = upload_round + 1
                flash("upload", f"Saved '{md(ds.name)}': {count(ds.rows_kept, 'rows')} kept, "
                      f"{count(ds.report['rows_refused'], 'rows')} refused; its validation report is above.")
                st.query_params["dataset"] = ds.name
                st.rerun()
