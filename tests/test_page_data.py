"""The Data page, opened headless with AppTest: upload, map, ingest, report, rename, delete."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from analytics.stagemap import parse_stage_map
from analytics.workspace import Workspace
from tests.conftest import WORKED_STAGES
from tests.pages_helpers import example_workspace, formatted_counts, open_page, plain, shop_workspace


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The Data page on a workspace of its own holding the worked example (tmp_path / example.duckdb)."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(example_workspace(tmp_path)))
    return open_page("data")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def form_widget(widgets, name: str):
    """The widget ``name`` of the upload form or the stage map editor (its key is the name, '@' and the uploaded
    file's id, or the name, the dataset's and the saved stage map's version)."""
    [w] = [w for w in widgets if w.key and w.key.split("@")[0] == name]
    return w


def form_values(at) -> dict:
    """Every widget of the upload form, by name: its value."""
    return {w.key.split("@")[0]: w.value for kind in (at.selectbox, at.text_input, at.radio, at.checkbox)
            for w in kind if w.key and w.key.startswith(("map_", "upload_"))}


def test_opens_on_the_dataset_with_its_report(app):
    at = app.run()
    assert not at.exception
    assert at.query_params["dataset"] == ["Example"] or at.query_params["dataset"] == "Example"
    assert metrics(at) == {"Rows read": "13 rows", "Rows kept": "13 rows", "Rows refused": "0 rows", "Customers": "5 people"}
    table = at.dataframe[0].value
    assert list(table["dataset"]) == ["Example"] and list(table["customers"]) == [5]
    stages = [df.value for df in at.dataframe if "stage" in df.value.columns][0]
    assert list(stages["stage"]) == ["Discover", "Buy", "Onboard", "Use", "Renew"]


def test_upload_map_and_ingest_a_shop_export(app):
    at = app.run()
    shop = b"Inv,Qty,Unit Price,Client,InvoiceDate\n1,2,1.25,c1,2026-01-01 10:00\n2,1,4,,2026-01-02 10:00\n3,1,4,c2,2026-01-03\n"
    at.file_uploader(key="upload").set_value(("shop.csv", shop, "text/csv")).run()
    assert not at.exception and not at.error
    chosen = form_values(at)
    assert chosen["map_customer_id"] == "Client"
    assert chosen["map_timestamp"] == "InvoiceDate"
    assert chosen["map_event"] == "(the same value on every row)"
    assert chosen["map_revenue"] == "(quantity x unit price)"
    assert chosen["map_event_constant"] == "purchase"
    form_widget(at.text_input, "upload_name").set_value("Shop")
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert at.query_params["dataset"] in ("Shop", ["Shop"])
    assert metrics(at) == {"Rows read": "3 rows", "Rows kept": "2 rows", "Rows refused": "1 row", "Customers": "2 people"}
    refused = [df.value for df in at.dataframe if "reason" in df.value.columns][0]
    assert refused.to_dict("records") == [
        {"reason": "no customer id", "rows": 1, "first rows": "row 3", "what to do": "fill in who the customer is, or remove the rows"}
    ]


def test_a_bad_upload_shows_one_error_and_saves_nothing(app):
    at = app.run()
    at.file_uploader(key="upload").set_value(("bad.csv", b"\x00\x01binary", "text/csv")).run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == ["bad.csv is not a text file (it holds binary data); export the events as CSV and upload that."]
    assert list(at.dataframe[0].value["dataset"]) == ["Example"]


def rename_box(at):
    [box] = [t for t in at.text_input if t.label == "New name"]
    return box


def delete_box(at):
    [box] = [c for c in at.checkbox if plain(c.label).startswith("Yes, delete ")]
    return box


def test_rename_then_delete(app):
    at = app.run()
    rename_box(at).set_value("Renamed")
    at.button(key="rename").click().run()
    assert not at.exception
    assert list(at.dataframe[0].value["dataset"]) == ["Renamed"]
    delete_box(at).check().run()
    at.button(key="delete").click().run()
    assert not at.exception
    assert "The workspace has no datasets yet. Upload an export below." in [i.value for i in at.info]


def test_stage_map_edit_previews_then_saves(app, tmp_path):
    at = app.run()
    form_widget(at.number_input, "edit_churn_days_Example").set_value(400).run()
    assert not at.exception and not at.error
    cards = metrics(at)
    # March with W = 400: only A's cancel loses a customer (B and C stay active).
    assert cards["Customers lost"] == "1"
    assert cards["Active customers at the end"] == "2"
    at.button(key="save_stage_map").click().run()
    assert not at.exception
    ws = Workspace(tmp_path / "example.duckdb", seed_sample=False)
    try:
        assert ws.dataset("Example").stage_map.churn_after_days == 400
        assert ws.dataset("Example").stage_map.stage_names == ["Discover", "Buy", "Onboard", "Use", "Renew"]
    finally:
        ws.close()


def test_without_churn_events_only_the_window_loses_customers(app):
    at = app.run()
    form_widget(at.multiselect, "edit_churn_events_Example").set_value([]).run()
    assert not at.exception and not at.error
    # A's cancel no longer counts (its window runs to 19 April); B and C still run out in March.
    assert metrics(at)["Customers lost"] == "2"


def test_counts_in_tables_have_thousands_separators(tmp_path, monkeypatch):
    """Every whole-number column of the page's tables (rows kept, customers, rows per reason or event) is
    written 401,604, not 401604: Streamlit draws a number as it is unless its column says otherwise."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(shop_workspace(tmp_path)))
    at = open_page("data").run()
    assert not at.exception
    seen = formatted_counts(at)
    assert {"rows kept", "customers", "rows"} <= seen  # the datasets list and the events with no stage


@pytest.fixture
def two(tmp_path, monkeypatch):
    """The Data page on a workspace holding the worked example twice: 'Example' and 'Copy'."""
    path = example_workspace(tmp_path)
    ws = Workspace(path, seed_sample=False)
    ws.ingest(tmp_path / "example.csv", "Copy")
    ws.close()
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    return open_page("data", dataset="Example")


def names_listed(at) -> list[str]:
    return sorted(at.dataframe[0].value["dataset"])


def said(at) -> list[str]:
    """The page's success messages, but the validation report's own."""
    return [plain(s.value) for s in at.success if s.value != "Every row was kept."]


def test_the_delete_confirmation_is_unticked_for_every_dataset_shown(two):
    """One tick deleted one dataset after another: the box kept its state under one key for every dataset."""
    at = two.run()
    assert plain(delete_box(at).label) == "Yes, delete 'Example' and its 13 events"
    delete_box(at).check().run()
    assert not at.button(key="delete").disabled
    at.selectbox(key="qp_dataset").set_value("Copy").run()  # switching dataset in the sidebar
    assert not at.exception
    assert plain(delete_box(at).label) == "Yes, delete 'Copy' and its 13 events"
    assert delete_box(at).value is False and at.button(key="delete").disabled
    delete_box(at).check().run()
    at.button(key="delete").click().run()
    assert not at.exception and not at.error
    assert names_listed(at) == ["Example"]
    assert said(at) == ["Deleted 'Copy' (13 events)."]
    # the next dataset shown starts unticked: the button cannot be clicked again
    assert plain(delete_box(at).label) == "Yes, delete 'Example' and its 13 events"
    assert delete_box(at).value is False and at.button(key="delete").disabled
    at.run()
    assert names_listed(at) == ["Example"] and said(at) == []  # the message was said once


def test_the_new_name_box_shows_the_dataset_shown(two):
    at = two.run()
    rename_box(at).set_value("Something else").run()
    at.selectbox(key="qp_dataset").set_value("Copy").run()
    assert not at.exception
    assert rename_box(at).value == "Copy"


def test_rename_says_what_happened(two):
    at = two.run()
    rename_box(at).set_value("  Example ")
    at.button(key="rename").click().run()
    assert not at.exception and not at.error
    assert [plain(i.value) for i in at.info] == ["The dataset is already called 'Example'; nothing changed."]
    assert names_listed(at) == ["Copy", "Example"]
    rename_box(at).set_value("Renamed")
    at.button(key="rename").click().run()
    assert not at.exception and not at.error
    assert names_listed(at) == ["Copy", "Renamed"]
    assert said(at) == ["Renamed 'Example' to 'Renamed'."]
    assert rename_box(at).value == "Renamed"


CLEAN = b"customer_id,timestamp,event,revenue\nc1,2026-01-01,purchase,10\nc2,2026-01-02,purchase,20\n"
FULL = (b"customer_id,timestamp,event,stage,revenue,segment,channel,satisfaction\n"
        b"c1,2026-01-01,purchase,Buy,10,Pro,web,5\nc2,2026-01-02,purchase,Buy,20,Solo,email,4\n")


def test_a_new_upload_starts_from_its_own_suggestions(app):
    """The form of the first file (its mapping, date format and name) was carried to the next file: the new
    file's stage, segment, channel and satisfaction columns were shown unmapped and dropped at the ingest."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("clean.csv", CLEAN, "text/csv")).run()
    assert form_values(at)["map_stage"] == "(not mapped)"
    form_widget(at.text_input, "map_date_format").set_value("%Y-%m-%d")
    form_widget(at.text_input, "upload_name").set_value("Example").run()  # an existing name: replace?
    assert plain(form_widget(at.checkbox, "upload_replace").label) == "Replace the existing dataset 'Example'"
    form_widget(at.checkbox, "upload_replace").check().run()
    at.file_uploader(key="upload").set_value(("full.csv", FULL, "text/csv")).run()
    assert not at.exception and not at.error
    chosen = form_values(at)
    assert {c: chosen[f"map_{c}"] for c in ("stage", "segment", "channel", "satisfaction")} == {
        "stage": "stage", "segment": "segment", "channel": "channel", "satisfaction": "satisfaction"}
    assert chosen["map_date_format"] == "" and chosen["upload_name"] == "full"
    assert not [c for c in at.checkbox if c.label.startswith("Replace")]
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    ws = Workspace(Path(os.environ["JOURNEY_LEDGER_WORKSPACE"]), seed_sample=False)
    try:
        assert set(ws.dataset("full").mapping) >= {"stage", "segment", "channel", "satisfaction"}
        assert "date_format" not in ws.dataset("full").mapping
        assert ws.dataset("Example").rows_kept == 13  # not replaced
    finally:
        ws.close()


def test_after_an_ingest_the_form_is_cleared_and_says_it_saved(app):
    """The form stayed armed after an ingest: a second click on Ingest failed with 'already exists'."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("clean.csv", CLEAN, "text/csv")).run()
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert at.query_params["dataset"] in ("clean", ["clean"])
    assert said(at) == ["Saved 'clean': 2 rows kept, 0 rows refused; its validation report is above."]
    assert [u.value for u in at.file_uploader if u.label == "Event export"] == [None]  # an empty uploader
    assert not [b for b in at.button if b.key == "ingest"] and not form_values(at)
    at.run()
    assert said(at) == []  # said once


@pytest.mark.parametrize("file_name, name", [
    ("journey.2025-11.csv", "journey.2025-11"),
    ("export.v2.CSV.GZ", "export.v2"),
    ("events.tsv", "events"),
    ("events.gz", "events"),
    ("q3.report.txt", "q3.report"),
])
def test_the_suggested_name_drops_only_the_extension(app, file_name, name):
    """The name stopped at the first dot: 'journey.2025-11.csv' was suggested as 'journey'."""
    at = app.run()
    content = gzip.compress(CLEAN) if file_name.lower().endswith(".gz") else CLEAN
    at.file_uploader(key="upload").set_value((file_name, content, "text/csv")).run()
    assert not at.exception and not at.error
    assert form_values(at)["upload_name"] == name


# the browser review's badrows.csv: every refusal reason, and line 9 with a field too many
BAD_LINES = (b"customer_id,timestamp,event,revenue\nB1,2025-01-01,purchase,10\nB1,not a date,login,0\n"
             b"B2,2025-02-01,purchase,abc\n,2025-02-01,purchase,5\nB3,2025-02-01,,5\nB4,1980-01-01,purchase,5\n"
             b"B5,2099-01-01,purchase,5\nB6,2025-03-01,purchase,5,extra\nB7,2025-03-01,purchase,\"1,234.50\"\n"
             b"B8,2025-03-02,purchase,$12\nB9,2025-03-03,purchase,nan\nB10,2025-03-03,purchase,NaN\n")


def test_a_line_with_too_many_fields_near_the_top_is_refused_not_fatal(app):
    """Line 9 has 5 fields under a header of 4: the strict preview read (DuckDB reads ahead) refused the whole
    file as 'could not be read as CSV'; the command line takes it and refuses that line."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("badrows.csv", BAD_LINES, "text/csv")).run()
    assert not at.exception and not at.error
    preview = [df.value for df in at.dataframe if list(df.value.columns) == ["customer_id", "timestamp", "event", "revenue"]]
    assert list(preview[0]["customer_id"].fillna("")) == ["B1", "B1", "B2", "", "B3"]
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    refused = [df.value for df in at.dataframe if "reason" in df.value.columns][0].set_index("reason")
    assert refused.loc["wrong number of fields", "rows"] == 1
    assert refused.loc["wrong number of fields", "first rows"] == "row 9"  # one row: not 'rows 9'
    assert refused.loc["revenue not a number", "first rows"] == "rows 4, 12, 13"  # the header is row 1
    assert "Rows are numbered as a spreadsheet numbers them: the header is row 1." in [plain(c.value) for c in at.caption]
    assert metrics(at)["Rows read"] == "12 rows"


def test_a_gzip_file_named_csv_is_read(app):
    """A gzip file named .csv was told it 'could not be read as CSV; save it as a comma-separated file': wrong
    advice. It is known by its magic bytes and read, preview and ingest."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("export.csv", gzip.compress(CLEAN), "text/csv")).run()
    assert not at.exception and not at.error
    preview = [df.value for df in at.dataframe if "timestamp" in df.value.columns][0]
    assert list(preview["customer_id"]) == ["c1", "c2"]
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Rows kept"] == "2 rows"


DAY_FIRST = b"customer_id,timestamp,event,revenue\nD0,23/06/2025,purchase,10\nD0,14/02/2025 10:30,login,0\n" \
            b"D1,13/10/2025,purchase,10\nD1,06/09/2025 10:30,login,0\n"


def test_a_date_format_without_percent_codes_is_said_at_once(app):
    """'dd/mm/yyyy' (a natural try) read no date, and the ingest said 'N rows have timestamp not readable'."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("dayfirst.csv", DAY_FIRST, "text/csv")).run()
    form_widget(at.text_input, "map_date_format").set_value("dd/mm/yyyy").run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        "The date format 'dd/mm/yyyy' has no % codes, so it reads no date; write it with them, such as "
        "%d/%m/%Y for 23/06/2025, or %d/%m/%Y %H:%M for 23/06/2025 14:05 (Unix seconds for 1767398400)."]
    assert at.button(key="ingest").disabled
    form_widget(at.text_input, "map_date_format").set_value("%d/%m/%Y").run()
    assert not at.error and not at.button(key="ingest").disabled


def test_day_first_dates_with_and_without_a_time_are_all_kept(app):
    """The rows of one of the two forms were all refused, with no word but the refusals' count."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("dayfirst.csv", DAY_FIRST, "text/csv")).run()
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Rows kept"] == "4 rows" and metrics(at)["Rows refused"] == "0 rows"
    assert "timestamps read with the formats %d/%m/%Y %H:%M or %d/%m/%Y, a date without a time as midnight" in [
        plain(i.value) for i in at.info]


EPOCH = b"customer_id,timestamp,event,revenue\nE0,1767398400,purchase,10\nE1,1767571200,purchase,10\n"


@pytest.mark.parametrize("typed", ["%s", "Unix seconds"])
def test_unix_seconds_can_be_named_on_the_page(app, typed):
    """'%s' was refused as not valid, and 'Unix seconds' as a format without % codes."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("epoch.csv", EPOCH, "text/csv")).run()
    box = form_widget(at.text_input, "map_date_format")
    assert "Unix seconds (or %s)" in box.help
    box.set_value(typed).run()
    assert not at.error and not at.button(key="ingest").disabled
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Rows kept"] == "2 rows" and metrics(at)["Rows refused"] == "0 rows"


def test_a_windows_1252_upload_is_previewed_and_kept(app):
    """It failed at upload with 'File is not latin-1 encoded' and the advice to save a comma-separated file."""
    at = app.run()
    content = "customer_id,timestamp,event,revenue\nRenée “Smart”,2026-01-03,purchase,€10\n".encode("cp1252")
    at.file_uploader(key="upload").set_value(("win.csv", content, "text/csv")).run()
    assert not at.error
    assert at.dataframe[-1].value["customer_id"].tolist() == ["Renée “Smart”"]
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Rows kept"] == "1 row"


NEW_MAP = WORKED_STAGES.replace("churn_after_days = 45", "churn_after_days = 60")


def toml_uploader(at):
    [u] = [u for u in at.file_uploader if u.label == "Stage map (TOML)"]
    return u


def saved_map(tmp_path, name="Example"):
    ws = Workspace(tmp_path / "example.duckdb", seed_sample=False)
    try:
        return ws.dataset(name).stage_map
    finally:
        ws.close()


def test_a_stage_map_from_a_toml_file_is_what_the_editor_shows_next(app, tmp_path):
    """After 'Use this stage map' the editor still showed the old settings (an unsaved churn window of 400
    against the file's 60) as pending edits, with 'Save stage map', which would have put them back."""
    at = app.run()
    form_widget(at.number_input, "edit_churn_days_Example").set_value(400).run()
    assert [b for b in at.button if b.key == "save_stage_map"]  # pending edits
    toml_uploader(at).set_value(("new.toml", NEW_MAP.encode(), "application/toml")).run()
    at.button(key="stage_map_apply").click().run()
    assert not at.exception and not at.error
    assert saved_map(tmp_path).churn_after_days == 60
    assert form_widget(at.number_input, "edit_churn_days_Example").value == 60
    assert "No changes yet." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "save_stage_map"]
    assert not [m for m in at.markdown if m.value.startswith("**Effect of the edits")]
    assert said(at) == ["Stage map replaced from new.toml."]
    assert toml_uploader(at).value is None  # not left armed


def test_saving_the_edits_starts_the_editor_afresh(app, tmp_path):
    at = app.run()
    form_widget(at.number_input, "edit_churn_days_Example").set_value(400).run()
    at.button(key="save_stage_map").click().run()
    assert not at.exception and not at.error
    assert saved_map(tmp_path).churn_after_days == 400
    assert said(at) == ["Stage map saved."]
    assert "No changes yet." in [c.value for c in at.caption]


def test_with_a_table_error_the_toml_file_can_still_replace_the_map(app, tmp_path):
    """With an error in the table (a stage name twice) the 'Replace from a TOML file' section disappeared."""
    at = app.run()
    at.session_state[at.data_editor[0].key] = {"edited_rows": {1: {"stage": "Discover"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert [plain(e.value) for e in at.error] == [
        "The edited stage map: the stage 'Discover' is listed twice; give each stage its own name."]
    assert [e.label for e in at.expander] == ["Replace from a TOML file, or download it"]
    toml_uploader(at).set_value(("new.toml", NEW_MAP.encode(), "application/toml")).run()
    at.button(key="stage_map_apply").click().run()
    assert not at.exception and not at.error
    assert saved_map(tmp_path).churn_after_days == 60 and said(at) == ["Stage map replaced from new.toml."]


def tab_warnings(at, tab: str) -> list[str]:
    [t] = [t for t in at.tabs if t.label == tab]
    return [plain(w.value) for w in t.warning]


def edit_table(at, edited_rows: dict) -> None:
    """Edit cells of the stage map's table (AppTest takes a data editor's edits through the session state)."""
    at.session_state[at.data_editor[0].key] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    at.run()


def test_a_stage_without_a_name_is_an_error(app):
    """A row whose stage name was blank was dropped, its events with it, without a word."""
    at = app.run()
    edit_table(at, {1: {"stage": ""}})  # Buy, with its purchase
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        "The edited stage map: row 2 of the table has events or a goal but no stage name; a stage needs a name, "
        "so give it one or clear the row."]
    assert not [b for b in at.button if b.key == "save_stage_map"]


def test_stage_map_warnings_do_not_stop_a_save(app, tmp_path):
    """A stage with no events and a misspelt event were saved without a word."""
    at = app.run()
    edit_table(at, {1: {"events": "purchse"}, 2: {"events": ""}})  # Buy's purchase misspelt; Onboard emptied
    assert not at.exception and not at.error
    assert tab_warnings(at, "Stage map") == [
        "Stage 'Onboard' has no events, so nobody enters it; list its events, or remove it.",
        "The event 'purchse' of the stage map never occurs in the data; check its spelling.",
    ]
    at.button(key="save_stage_map").click().run()
    assert not at.exception and not at.error
    assert [s.events for s in saved_map(tmp_path).stages][1:3] == [("purchse",), ()]
    # the saved map's report says the same
    assert tab_warnings(at, "Validation report") == [
        "Stage 'Onboard' has no events, so nobody enters it; list its events, or remove it.",
        "The event 'purchse' of the stage map never occurs in the data; check its spelling.",
    ]


def test_stage_names_in_the_data_that_the_map_lacks_are_counted(tmp_path, monkeypatch):
    """Evaluate and Onboard in the file's stage column, unknown to the map, were placed by event name while the
    report said 'Every event belongs to a stage.'"""
    path = tmp_path / "stages.duckdb"
    ws = Workspace(path, seed_sample=False)
    csv = tmp_path / "s.csv"
    csv.write_text("customer_id,timestamp,event,stage,revenue\nA,2026-01-03,site_visit,Discover,0\n"
                   "A,2026-01-05,purchase,Evaluate,100\nB,2026-01-06,purchase,Evaluate,50\nB,2026-01-07,login,Onboard,0\n")
    ws.ingest(csv, "Staged", stage_map=parse_stage_map(WORKED_STAGES.replace('"onboarding_call"', '"login"')
                                                       .replace('["login", "support_ticket"]', '["support_ticket"]')))
    ws.close()
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    at = open_page("data").run()
    assert not at.exception and not at.error
    expected = ("The stage column of 2 rows names a stage the stage map does not have (Evaluate: 2 rows); those rows "
                "were placed by their event name instead. Add the stage to the map, or correct the column.")
    # in the validation report and under the stage map's table (Onboard is a stage of this map)
    assert expected in tab_warnings(at, "Validation report") and expected in tab_warnings(at, "Stage map")
    # with Evaluate added to the map, the editor's warning goes
    at.session_state[at.data_editor[0].key] = {"edited_rows": {}, "added_rows": [{"stage": "Evaluate"}], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    assert expected not in tab_warnings(at, "Stage map") and tab_warnings(at, "Stage map")  # the others stay


ONE = b"customer_id,timestamp,event,revenue\nc1,2026-01-01,purchase,10\n,2026-01-02,purchase,5\nc1,2026-01-01,purchase,10\n"


def test_one_of_a_kind_is_written_in_the_singular(app):
    """'Rows refused 1 rows', '1 events from 1 people', 'its 1 events', 'rows 4' for a single row."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("one.csv", ONE, "text/csv")).run()
    form_widget(at.text_input, "upload_name").set_value("One")
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert metrics(at) == {"Rows read": "3 rows", "Rows kept": "1 row", "Rows refused": "2 rows", "Customers": "1 person"}
    caption = next(plain(c.value) for c in at.caption if " from " in c.value and "uploaded" in c.value)
    assert caption.startswith("1 event from 1 person, 2026-01-01 to 2026-01-01;")
    assert any("Duplicate rows removed: 1 row." in plain(c.value) for c in at.caption)
    refused = [df.value for df in at.dataframe if "reason" in df.value.columns][0].set_index("reason")
    assert refused.loc["no customer id", "first rows"] == "row 3"
    assert plain(delete_box(at).label) == "Yes, delete 'One' and its 1 event"
    assert said(at) == ["Saved 'One': 1 row kept, 2 rows refused; its validation report is above."]


def test_no_usable_row_lists_its_rows_and_says_more_only_when_there_are(app):
    """'No row ... could be used: 4 rows have ... (rows 2, 3, 4, 5...)': '...' with no more rows."""
    at = app.run()

    def errors_for(name: str, rows: int) -> list[str]:
        """The errors of an upload of ``rows`` rows, none with a customer id."""
        data = b"customer_id,timestamp,event,revenue\n" + b"".join(b",2026-01-0%d,x,1\n" % d for d in range(1, rows + 1))
        at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
        at.button(key="ingest").click().run()
        return [plain(e.value) for e in at.error]

    assert errors_for("four.csv", 4) == [
        "No row of four.csv could be used: 4 rows have no customer id (rows 2, 3, 4, 5); fill in who the customer is, "
        "or remove the rows."]
    assert errors_for("seven.csv", 7) == [
        "No row of seven.csv could be used: 7 rows have no customer id (rows 2, 3, 4, 5, 6, ...); fill in who the "
        "customer is, or remove the rows."]
    assert errors_for("one.csv", 1) == [
        "No row of one.csv could be used: 1 row has no customer id (row 2); fill in who the customer is, or remove "
        "the rows."]


def test_the_previews_asset_change_is_written_like_its_value(tmp_path, monkeypatch):
    """'Asset value (a year) 1.84 M' beside its change '-762,208': two forms of one figure."""
    path = tmp_path / "big.duckdb"
    ws = Workspace(path, seed_sample=False)
    csv = tmp_path / "big.csv"
    csv.write_text("customer_id,timestamp,event,revenue\n"
                   + "".join(f"P1,2026-{m:02d}-01,purchase,1000000\n" for m in range(1, 8))
                   + "P2,2026-01-01,purchase,200000\nP2,2026-02-01,purchase,200000\n")
    ws.ingest(csv, "Big")
    ws.close()
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    at = open_page("data").run()
    # June 2026: with 90 days P2 was lost in May; with 400, P2 and its 400,000 a year are still there
    form_widget(at.number_input, "edit_churn_days_Big").set_value(400).run()
    assert not at.exception and not at.error
    [card] = [m for m in at.metric if m.label == "Asset value (a year)"]
    assert (card.value, card.delta) == ("6.40 M", "+0.40 M")


def test_a_new_upload_takes_the_stage_map_of_the_dataset_shown(tmp_path, monkeypatch):
    """It took the newest dataset's map whatever was shown: the online retail export got the sample's 400-day
    churn window, and every cohort read 100% retained. Each dataset's option says what its map decides."""
    path = example_workspace(tmp_path)
    ws = Workspace(path, seed_sample=False)
    csv = tmp_path / "other.csv"
    csv.write_text("customer_id,timestamp,event,revenue\nc1,2026-05-01,order,10\n")
    ws.ingest(csv, "Other *x*")  # newer than Example, with the default map (no stages, 90 days)
    ws.close()
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(path))
    upload = ("new.csv", b"customer_id,timestamp,event,revenue\nc9,2026-06-01,purchase,5\n", "text/csv")
    for shown, options in (("Example", "Same as dataset: Example (5 stages, lost after 45 days without a payment)"),
                           ("Other *x*", r"Same as dataset: Other \*x\* (0 stages, lost after 90 days without a payment)")):
        at = open_page("data", dataset=shown).run()
        at.file_uploader(key="upload").set_value(upload).run()
        assert not at.exception
        choice = form_widget(at.radio, "upload_stage_choice")
        assert choice.value == f"Same as dataset: {shown}"
        assert options in choice.options


LATIN1_MAP = ('churn_after_days = 45\nchurn_events = ["kündigung"]\n\n[[stages]]\nname = "Entdecken"\n'
              'goal = "Ich möchte meine Möglichkeiten kennen."\nevents = ["site_visit", "ad_click"]\n')


def test_a_stage_map_not_in_utf8_is_refused_on_the_upload_form_as_in_the_editor(app, tmp_path):
    """The upload form's Ingest read a Latin-1 stage map with '\ufffd' for every 'ö' and 'ü' and saved it (an event
    'kündigung' then never matched), while the editor's 'Use this stage map' refused the same file."""
    latin1 = LATIN1_MAP.encode("latin-1")
    refusal = ["goals.toml is not UTF-8 text; save it as UTF-8 TOML."]
    at = app.run()
    toml_uploader(at).set_value(("goals.toml", latin1, "application/toml")).run()
    at.button(key="stage_map_apply").click().run()
    assert not at.exception and [plain(e.value) for e in at.error] == refusal
    assert saved_map(tmp_path).churn_after_days == 45  # the editor saved nothing
    at.file_uploader(key="upload").set_value(("clean.csv", CLEAN, "text/csv")).run()
    form_widget(at.radio, "upload_stage_choice").set_value("Upload a stage map (TOML)").run()
    [upload_map] = [u for u in at.file_uploader if u.key and u.key.startswith("upload_stage_file@")]
    upload_map.set_value(("goals.toml", latin1, "application/toml")).run()
    at.button(key="ingest").click().run()
    assert not at.exception and [plain(e.value) for e in at.error] == refusal
    assert names_listed(at) == ["Example"]  # nothing saved
    # the same map in UTF-8 (with a byte order mark, as Windows Notepad writes it) is saved letter for letter
    [upload_map] = [u for u in at.file_uploader if u.key and u.key.startswith("upload_stage_file@")]
    upload_map.set_value(("goals.toml", "\ufeff".encode() + LATIN1_MAP.encode(), "application/toml")).run()
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    clean = saved_map(tmp_path, "clean")
    assert clean.churn_events == ("kündigung",)
    assert [(s.name, s.goal) for s in clean.stages] == [("Entdecken", "Ich möchte meine Möglichkeiten kennen.")]


def preview_table(at):
    """The preview's 'lost now / lost with the edits' table, by stage."""
    [table] = [df.value for df in at.dataframe if "lost with the edits" in df.value.columns]
    return table


def test_the_preview_lists_the_stages_in_journey_order(app):
    """With a stage renamed or added the preview read Buy, Discover, Onboard, Recommend, Renew, Unmapped, Use:
    a frame of two series of different stages is sorted alphabetically, Unmapped in the middle."""
    at = app.run()
    at.session_state[at.data_editor[0].key] = {"edited_rows": {4: {"stage": "Recommend"}},
                                               "added_rows": [{"stage": "Advocate"}], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    table = preview_table(at)
    # the edited map's stages in its order, then the stage the edits take away, then Unmapped
    assert list(table.index) == ["Discover", "Buy", "Onboard", "Use", "Recommend", "Advocate", "Renew", "Unmapped"]
    # March: A is lost at Renew (Recommend with the edits), B and C at Use
    assert list(table["lost now"]) == [0, 0, 0, 2, 0, 0, 1, 0]
    assert list(table["lost with the edits"]) == [0, 0, 0, 2, 1, 0, 0, 0]


def editor_rows(at) -> list[tuple]:
    """The stage map's table as the editor is given it: (order, stage, events) per row."""
    return [(r["order"], r["stage"], r["events"]) for r in at.data_editor[0].value.to_dict("records")]


def test_a_new_stage_takes_the_place_typed_in_its_order(app, tmp_path):
    """A new row always goes last and the editor cannot move rows: a stage between Use and Renew meant retyping
    every row below. The number typed in 'order' is its place, in the preview, the saved map and the table."""
    at = app.run()
    assert editor_rows(at)[3:] == [(4, "Use", "login, support_ticket"), (5, "Renew", "renewal, cancel")]
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {3: {"events": "login"}}, "deleted_rows": [],
        "added_rows": [{"order": 5, "stage": "Support", "customer goal": "I want help when stuck.", "events": "support_ticket"}]}
    at.run()
    assert not at.exception and not at.error
    assert "Journey order with the edits: Discover, Buy, Onboard, Use, Support, Renew." in [plain(c.value) for c in at.caption]
    table = preview_table(at)
    assert list(table.index) == ["Discover", "Buy", "Onboard", "Use", "Support", "Renew", "Unmapped"]
    assert list(table["lost with the edits"]) == [0, 0, 0, 1, 1, 1, 0]  # B's support ticket is Support's now
    at.button(key="save_stage_map").click().run()
    assert not at.exception and not at.error
    saved = saved_map(tmp_path)
    assert saved.stage_names == ["Discover", "Buy", "Onboard", "Use", "Support", "Renew"]
    assert saved.stages[4].goal == "I want help when stuck." and saved.stages[3].events == ("login",)
    # the table is shown sorted, numbered afresh, with no edits left over
    assert editor_rows(at) == [(1, "Discover", "ad_click, site_visit"), (2, "Buy", "purchase"),
                               (3, "Onboard", "onboarding_call"), (4, "Use", "login"), (5, "Support", "support_ticket"),
                               (6, "Renew", "renewal, cancel")]
    assert "No changes yet." in [c.value for c in at.caption]


def test_a_stage_moved_down_or_up_takes_the_place_typed(app, tmp_path):
    """Discover given 5 goes after Renew (5): moved down, it takes the fifth place; Onboard given 1 goes before
    Discover's old place, first; a number cleared keeps the stage where it was."""
    at = app.run()
    edit_table(at, {0: {"order": 5}, 2: {"order": 1}, 3: {"order": None}})
    assert not at.exception and not at.error
    assert list(preview_table(at).index)[:5] == ["Onboard", "Buy", "Use", "Renew", "Discover"]
    at.button(key="save_stage_map").click().run()
    assert not at.exception and not at.error
    assert saved_map(tmp_path).stage_names == ["Onboard", "Buy", "Use", "Renew", "Discover"]
    assert [r[:2] for r in editor_rows(at)] == [(1, "Onboard"), (2, "Buy"), (3, "Use"), (4, "Renew"), (5, "Discover")]


UNSAVED = ("This stage map has unsaved edits. They are kept while you look at other pages; save them below, or "
           "discard them to go back to the saved map.")


def away_and_back(at):
    """Visit the Journey page by the sidebar, then come back to Data (Streamlit drops the state of widgets not drawn)."""
    at.switch_page("pages/journey.py").run()
    assert not at.exception
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def test_unsaved_edits_are_kept_while_visiting_another_page(app, tmp_path):
    """A goal changed and a churn window of 33 were gone after a visit to the Journey page: back to 45, no word."""
    at = app.run()
    form_widget(at.number_input, "edit_churn_days_Example").set_value(33).run()
    at.session_state[at.data_editor[0].key] = {"edited_rows": {0: {"customer goal": "Show me my options."}},
                                               "added_rows": [{"order": 3, "stage": "Win back"}], "deleted_rows": []}
    at.run()
    assert [i.value for i in at.info] == [UNSAVED]
    for _ in range(2):  # twice: the table's added row is drawn once, not once more per visit
        away_and_back(at)
        assert not at.error and [i.value for i in at.info] == [UNSAVED]
        assert form_widget(at.number_input, "edit_churn_days_Example").value == 33
        assert editor_rows(at)[-1][:2] == (3, "Win back") and len(editor_rows(at)) == 6
        assert at.data_editor[0].value["customer goal"][0] == "Show me my options."
        assert list(preview_table(at).index) == ["Discover", "Buy", "Win back", "Onboard", "Use", "Renew", "Unmapped"]
        at.run()
        assert len(editor_rows(at)) == 6 and len(preview_table(at)) == 7
    at.button(key="save_stage_map").click().run()
    assert not at.exception and not at.error and not at.info
    saved = saved_map(tmp_path)
    assert saved.churn_after_days == 33 and saved.stage_names == ["Discover", "Buy", "Win back", "Onboard", "Use", "Renew"]
    assert saved.stages[0].goal == "Show me my options."
    away_and_back(at)  # saved: nothing is left to bring back
    assert not at.info and "No changes yet." in [c.value for c in at.caption]
    assert [r[:2] for r in editor_rows(at)][2] == (3, "Win back") and len(editor_rows(at)) == 6


def test_unsaved_edits_can_be_discarded_and_assignments_are_kept_too(tmp_path, monkeypatch):
    """The events no stage claims are assigned in a table of their own: their choices are kept as the stages are."""
    monkeypatch.setenv("JOURNEY_LEDGER_WORKSPACE", str(shop_workspace(tmp_path)))
    at = open_page("data").run()
    stages, picks = at.data_editor[0].key, at.data_editor[1].key
    at.session_state[stages] = {"edited_rows": {}, "added_rows": [{"stage": "Buy"}], "deleted_rows": []}
    at.run()
    at.session_state[picks] = {"edited_rows": {0: {"assign to": "Buy"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    away_and_back(at)
    assert [i.value for i in at.info] == [UNSAVED]
    assert list(at.data_editor[0].value["stage"]) == ["Buy"]
    assert at.data_editor[1].value.to_dict("records") == [{"event": "purchase", "rows": 36, "assign to": "Buy"}]
    assert list(preview_table(at).index) == ["Buy", "Unmapped"]
    at.button(key="stage_map_discard").click().run()
    assert not at.exception and not at.error and not at.info
    assert list(at.data_editor[0].value["stage"]) == [] and "No changes yet." in [c.value for c in at.caption]
    assert list(at.data_editor[1].value["assign to"]) == [None]
    away_and_back(at)
    assert not at.info and list(at.data_editor[0].value["stage"]) == []


def test_unsaved_edits_of_a_map_saved_again_elsewhere_are_put_aside(app, tmp_path):
    """Another session saved a new map meanwhile: the edits of the old one are not drawn over it unasked."""
    at = app.run()
    form_widget(at.number_input, "edit_churn_days_Example").set_value(33).run()
    at.switch_page("pages/journey.py").run()
    ws = Workspace(tmp_path / "example.duckdb", seed_sample=False)
    try:
        ws.set_stage_map("Example", parse_stage_map(NEW_MAP))  # churn window 60, saved by someone else
    finally:
        ws.close()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    aside = [
        "The stage map of 'Example' was saved again elsewhere (in another tab, or by someone else) after you began "
        "editing it, so your unsaved edits are put aside. Bring them back to go on with them (saving them then "
        "replaces the other changes), or discard them to edit the map as saved now."]
    assert tab_warnings(at, "Stage map") == aside
    assert not [b for b in at.button if b.key == "save_stage_map"] and not at.number_input
    at.button(key="stage_map_draft_back").click().run()
    assert not at.exception and not at.error and aside[0] not in tab_warnings(at, "Stage map")
    assert form_widget(at.number_input, "edit_churn_days_Example").value == 33
    assert [i.value for i in at.info] == [UNSAVED] and saved_map(tmp_path).churn_after_days == 60
    at.button(key="save_stage_map").click().run()
    assert saved_map(tmp_path).churn_after_days == 33


EURO = b"customer_id;timestamp;event;revenue\nK1;2026-01-15;purchase;1.500\nK2;2026-01-16;purchase;12.000\nK3;2026-01-17;purchase;250\n"


def stored_revenues(tmp_path, name):
    ws = Workspace(tmp_path / "example.duckdb", seed_sample=False)
    try:
        ds = ws.dataset(name)
        with ws.cursor() as cur:
            return [float(r[0]) for r in cur.execute(f"SELECT revenue FROM {ds.events_with_ids()} ORDER BY ts").fetchall()]
    finally:
        ws.close()


def test_european_thousands_are_read_and_the_report_says_with_which_mark(app, tmp_path):
    """1.500 and 12.000 in a semicolon export were stored as 1.5 and 12 without a word."""
    at = app.run()
    at.file_uploader(key="upload").set_value(("euro.csv", EURO, "text/csv")).run()
    assert form_values(at)["map_decimal_mark"] == "detect"
    form_widget(at.text_input, "upload_name").set_value("Euro")
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert stored_revenues(tmp_path, "Euro") == [1500, 12000, 250]
    assert any("numbers read with a decimal comma (1.234,50), the convention of semicolon-separated files" in plain(c.value)
               for c in at.caption)


def test_the_decimal_mark_can_be_chosen_on_the_form(app, tmp_path):
    at = app.run()
    at.file_uploader(key="upload").set_value(("euro.csv", EURO, "text/csv")).run()
    assert form_widget(at.selectbox, "map_decimal_mark").options == ["detect", "point: 1,234.50", "comma: 1.234,50"]
    form_widget(at.selectbox, "map_decimal_mark").set_value("point: 1,234.50").run()
    form_widget(at.text_input, "upload_name").set_value("Point")
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert stored_revenues(tmp_path, "Point") == [1.5, 12, 250]
    assert any("numbers read with a decimal point (1,234.50), as chosen in the mapping" in plain(c.value) for c in at.caption)


def test_an_excel_sep_line_is_not_taken_for_the_header(app):
    """The preview showed the columns 'sep=' and 'column_2', and the ingest found no customer column."""
    at = app.run()
    content = b"sep=;\r\ncustomer_id;timestamp;event;revenue\r\nA;2026-01-05;purchase;10\r\nB;2026-01-06;purchase;20\r\n"
    at.file_uploader(key="upload").set_value(("excel_sep_line.csv", content, "text/csv")).run()
    assert not at.exception and not at.error
    [preview] = [df.value for df in at.dataframe if "timestamp" in df.value.columns]
    assert list(preview.columns) == ["customer_id", "timestamp", "event", "revenue"]
    assert list(preview["customer_id"]) == ["A", "B"]
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Rows kept"] == "2 rows"


def test_satisfaction_left_empty_is_named_by_column_and_row(app):
    at = app.run()
    content = b'customer_id,timestamp,event,revenue,csat\nA,2026-01-05,purchase,10.5,4\nA,2026-02-05,purchase,100,"4,5"\n' \
              b"A,2026-03-05,purchase,100,n/a\n"
    at.file_uploader(key="upload").set_value(("satisfaction.csv", content, "text/csv")).run()
    at.button(key="ingest").click().run()
    assert not at.exception and not at.error
    assert ("2 satisfaction values (column csat, rows 3, 4) are not numbers and were left empty; write them as numbers "
            "such as 4.5 (or, if the file writes 4,5, set the decimal mark to comma)") in [plain(i.value) for i in at.info]
