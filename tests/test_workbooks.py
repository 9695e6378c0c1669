"""A year's data in Excel workbooks: read as the CSV files are, every mistake located by workbook,
sheet and cell as Excel shows them, and workbooks held to the same safety rules as every input.

Workbooks are made here with openpyxl, from the tiny report's CSV files (tests/workbooks.py), and
edited cell by cell. Only the first test builds the real report.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import struct
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from workbooks import edit, members, rezip, sheet_from_csv, workbook_from_csvs

from conftest import STYLES, TINY
from render import workbook
from render.assemble import assemble
from render.build import build
from render.cli import main
from render.coverage import check_coverage
from render.errors import ContentError, MissingFigures
from render.load import load_content
from render.scaffold import new_year
from render.theme import Theme
from render.years import stale_warnings

# --- the real report from a workbook ----------------------------------------------------------------


def pdf_pages(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(pdf)).pages]


def slide_texts(deck: Path) -> list[list[str]]:
    """Each slide's words: its shapes' text, its tables' cells and its speaker notes."""
    slides = []
    for slide in Presentation(str(deck)).slides:
        words = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                words.append(shape.text_frame.text)
            if shape.has_table:
                words += [cell.text for row in shape.table.rows for cell in row.cells]
        if slide.has_notes_slide:
            words.append(slide.notes_slide.notes_text_frame.text)
        slides.append(words)
    return slides


def test_a_year_whose_data_is_a_workbook_builds_the_same_report(
    year_content, pdf_build, deck_build, tmp_path
):
    content = tmp_path / "content" / year_content.name
    shutil.copytree(year_content, content)
    book = workbook_from_csvs(content / "data")  # percentages formatted as %, as Excel keeps them
    assert not list((content / "data").glob("*.csv"))
    result = build(content, tmp_path / "out", styles_dir=STYLES)
    assert [w.message for w in result.warnings] == [w.message for w in pdf_build.warnings]
    assert pdf_pages(result.outputs["pdf"]) == pdf_pages(pdf_build.outputs["pdf"])
    assert slide_texts(result.outputs["pptx"]) == slide_texts(deck_build.outputs["pptx"])
    assert {t.shown for t in result.report.tables.values()} == {
        f"{book.name}, sheet '{name}'" for name in pdf_build.report.tables
    }


def test_the_workbook_holds_the_same_values_with_the_same_types_as_the_csv_files(year_content, tmp_path):
    content = tmp_path / "content" / year_content.name
    shutil.copytree(year_content, content)
    workbook_from_csvs(content / "data")
    from_csv, from_book = load_content(year_content), load_content(content)

    def typed(rows):
        return [[(type(v).__name__, v) for v in row] for row in rows]

    for name, table in from_csv.tables.items():
        assert typed(from_book.tables[name].rows) == typed(table.rows), name
    assert from_book.facts == from_csv.facts
    percent = [f for f in from_csv.facts.values() if f.unit == "percent"]
    assert percent and all(from_book.facts[f.key].value == f.value for f in percent)
    assert typed(from_book.earlier._history.items()) == typed(from_csv.earlier._history.items())


# --- small workbooks ------------------------------------------------------------------------------


@pytest.fixture
def tiny_book(tiny_content) -> Path:
    """The tiny report with its data as one workbook, data/data.xlsx: sheets cases (kind, children:
    Runaway 300 in row 2, Abduction 50 in row 3), control_totals, facts and history."""
    workbook_from_csvs(tiny_content / "data")
    return tiny_content


def book_of(content: Path) -> Path:
    return content / "data" / "data.xlsx"


def data_error(content: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_content(content)
    return caught.value.describe()


@pytest.mark.parametrize(
    "value, number_format, expected",
    [
        ("3,16", "@", "found '3,16' where a whole number was expected"),
        ("300", "@", "the cell holds '300' as text, not as a number"),
        ("#N/A", "General", "the cell shows the error #N/A"),
        (datetime(2022, 3, 1), "yyyy-mm-dd", "the cell is formatted as a date or time (it shows 2022-03-01)"),
        (True, "General", "found TRUE where a whole number was expected"),
        (0.5, "0%", "the cell is formatted as a percentage (it shows 50%), but column 'children' does not"),
        (300.5, "General", "found '300.5' where a whole number was expected"),
        (-3, "General", "found -3, below the smallest allowed value 0"),
    ],
)
def test_a_wrong_cell_is_named_by_workbook_sheet_and_cell(tiny_book, value, number_format, expected):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"]["B2"] = value
    wb["cases"]["B2"].number_format = number_format
    wb.save(book)
    message = data_error(tiny_book)
    assert f"data.xlsx, sheet 'cases', cell B2: {expected}" in message
    assert "Traceback" not in message and "\n  → " in message  # and what to do


@pytest.mark.parametrize(
    "value, number_format, expected",
    [
        ("Runawya", "General", "'Runawya' is not a known kind"),
        (12345, "00000", "the cell holds the number 12345, shown through the format '00000'; column 'kind'"),
    ],
)
def test_a_wrong_category_cell_is_named_too(tiny_book, value, number_format, expected):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"]["A2"] = value
    wb["cases"]["A2"].number_format = number_format
    wb.save(book)
    assert f"data.xlsx, sheet 'cases', cell A2: {expected}" in data_error(tiny_book)


def test_a_number_is_read_as_stored_not_as_shown(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"]["B2"].number_format = '0.0,,"M"'  # shows 0.0M
    wb["cases"]["B3"].number_format = "#,##0"
    wb["facts"]["B2"] = 12500.000000000002  # a computed value, stored with more digits than Excel shows
    wb["history"]["C2"] = 32059029
    wb["history"]["C2"].number_format = '0.0,,"M"'  # shows 32.1M
    wb.save(book)
    content = load_content(tiny_book)
    assert content.tables["cases"].rows == (("Runaway", 300), ("Abduction", 50))
    assert content.facts["calls"].value == 12500 and isinstance(content.facts["calls"].value, int)
    assert content.earlier.get(2021).facts["calls"].value == 32059029


def test_an_empty_required_text_cell_is_an_error_and_an_empty_figure_goes_on_the_checklist(tiny_book):
    edit(book_of(tiny_book), "cases", A3=None)
    assert "data.xlsx, sheet 'cases', cell A3: the kind is empty" in data_error(tiny_book)
    edit(book_of(tiny_book), "cases", A3="Abduction", B2=None)
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'cases': 1 to fill in" in message and "Runaway (cell B2)" in message


def test_a_formula_without_a_computed_value_is_named_and_one_with_a_value_is_read(tiny_book):
    book = book_of(tiny_book)
    edit(book, "cases", B2="=100*3")  # openpyxl, like any tool that does not calculate, stores no value
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'cases', cell B2: the formula =100*3 has no computed value" in message
    assert "save it" in message
    parts = members(book)
    sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
    saved = parts[sheet].replace(b"<f>100*3</f><v></v>", b"<f>100*3</f><v>300</v>")  # as Excel saves it
    assert saved != parts[sheet]
    rezip(book, {**parts, sheet: saved})
    assert load_content(tiny_book).tables["cases"].rows[0] == ("Runaway", 300)


def test_merged_cells_in_a_table_are_named_before_anything_they_hide(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"].merge_cells("B2:B3")
    wb.save(book)
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'cases', cell B2: cells B2:B3 are merged" in message
    assert "Unmerge" in message
    assert "to fill in" not in message and "empty" not in message  # B3 reads as empty: not the cause


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_that_is_a_table_is_an_error(tiny_book, state):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"].sheet_state = state
    wb.save(book)
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'cases': the sheet is hidden, and its name makes it the table 'cases'" in message
    assert "Unhide" in message


def test_a_hidden_sheet_that_is_no_table_is_not_read(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("workings").sheet_state = "hidden"
    wb["workings"]["A1"] = "=cases!B2*2"
    wb.save(book)
    assert load_content(tiny_book).tables["cases"].rows[0] == ("Runaway", 300)


def test_two_sources_for_one_table_name_both(tiny_content):
    data = tiny_content / "data"
    workbook_from_csvs(data, remove=False)
    for name in ("control_totals", "facts", "history"):
        (data / f"{name}.csv").unlink()
    message = data_error(tiny_content)
    assert "data.xlsx, sheet 'cases': this holds the table 'cases', and so does cases.csv" in message
    assert "keep the one that is up to date" in message
    (data / "cases.csv").unlink()
    shutil.copy(data / "data.xlsx", data / "more.xlsx")
    message = data_error(tiny_content)
    assert "more.xlsx, sheet 'cases': this holds the table 'cases', and so does sheet 'cases' of " in message


def test_a_value_outside_the_tables_columns_is_named(tiny_book):
    edit(book_of(tiny_book), "cases", D3="note: estimated")
    message = data_error(tiny_book)
    expected = "data.xlsx, sheet 'cases', cell D3: the cell holds 'note: estimated', but its column has no"
    assert expected in message


def test_a_far_away_stray_cell_is_found_at_once(tiny_book):
    edit(book_of(tiny_book), "cases", XFD1048576="x")  # Ctrl+End would go there
    start = time.perf_counter()
    message = data_error(tiny_book)
    assert time.perf_counter() - start < 10  # not 17 billion empty cells
    assert "sheet 'cases', cell XFD1048576: the cell holds 'x'" in message


def test_a_control_total_in_a_workbook_names_both_sheets(tiny_book):
    edit(book_of(tiny_book), "cases", B3=51)
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'cases': table 'cases', the grand total" in message
    assert "351" in message and "350" in message
    assert "control total on row 2 of data.xlsx, sheet 'control_totals'" in message


def test_a_history_row_is_named_by_its_sheet_row(tiny_book):
    edit(book_of(tiny_book), "history", B2=2022)
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'history', row 2: calls for 2022: the history holds earlier years" in message


def test_an_earlier_figure_missing_from_a_history_sheet_says_to_add_it_there(tiny_book):
    section = tiny_book / "sections" / "intro.md"
    section.write_text(section.read_text() + "\nLast year: {{ previous.visits | number }}.\n")
    with pytest.raises(ContentError) as caught:
        assemble(load_content(tiny_book), STYLES)
    assert "add the row 'visits,2021,<value>,<unit>' to data/data.xlsx, sheet 'history'" in str(caught.value)


def test_the_history_is_optional_in_a_workbook_as_in_csv_files(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    del wb["history"]
    wb.save(book)
    content = load_content(tiny_book)
    assert content.earlier.get(2021) is None
    assert new_year(2023, tiny_book.parent).emptied == 4


def test_a_consistency_rule_names_the_sheets_its_figures_come_from(tiny_book):
    config = tiny_book / "report.toml"
    rule = '\n[[consistency]]\nwhat = "calls and cases"\nsame = ["tables.cases.total()", "calls"]\n'
    config.write_text(config.read_text() + rule)
    with pytest.raises(ContentError) as caught:
        assemble(load_content(tiny_book), STYLES)
    message = str(caught.value)
    assert "tables.cases.total() is 350 (data.xlsx, sheet 'cases')" in message
    assert "calls is 12,500 (data.xlsx, sheet 'facts')" in message


def test_a_character_the_font_lacks_in_a_sheet_is_named_by_sheet_and_row(tiny_book):
    schema = tiny_book / "data" / "cases.schema.json"
    spec = json.loads(schema.read_text())
    spec["fields"][0]["constraints"]["enum"][1] = "Abduction \u2603"  # a snowman: written \u2603 here
    schema.write_text(json.dumps(spec))
    edit(book_of(tiny_book), "cases", A3="Abduction \u2603")
    with pytest.raises(ContentError) as caught:
        check_coverage(assemble(load_content(tiny_book), STYLES), Theme.load(STYLES))
    assert "data.xlsx, sheet 'cases', row 3: the character '\u2603' (U+2603 SNOWMAN)" in str(caught.value)


def test_an_unknown_table_in_control_totals_names_its_row(tiny_book):
    edit(book_of(tiny_book), "control_totals", A2="casse")
    message = data_error(tiny_book)
    assert "data.xlsx, sheet 'control_totals', row 2: no data table named 'casse'" in message


# --- which sheet is which table ---------------------------------------------------------------------


def test_a_workbook_named_after_a_table_holds_it_on_its_first_visible_sheet(tiny_content):
    data = tiny_content / "data"
    wb = openpyxl.Workbook()
    wb.active.title = "old"
    wb.active.sheet_state = "hidden"
    sheet_from_csv(wb.create_sheet("Sheet1"), data, "cases")
    wb.create_sheet("notes")["A1"] = "anything"
    wb.save(data / "cases.xlsx")
    (data / "cases.csv").unlink()
    table = load_content(tiny_content).tables["cases"]
    assert table.rows == (("Runaway", 300), ("Abduction", 50))
    assert table.shown == "cases.xlsx, sheet 'Sheet1'"


def test_sheet_names_match_without_regard_to_case_as_in_excel(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"].title = "renamed"  # openpyxl, like Excel, would make "Cases" "Cases1" beside "cases"
    wb["renamed"].title = "Cases"
    wb.save(book)
    assert load_content(tiny_book).tables["cases"].sheet == "Cases"


def test_a_table_without_data_names_its_schema_and_a_sheet_that_may_be_it(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"].title = "casse"
    wb.save(book)
    message = data_error(tiny_book)
    assert "cases.schema.json: this schema describes the table 'cases', but no file holds its data" in message
    assert "data.xlsx has a sheet named 'casse': is it this table? Name it 'cases'" in message


def test_a_workbook_holding_no_table_is_an_error(tiny_content):
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.save(tiny_content / "data" / "notes.xlsx")
    message = data_error(tiny_content)
    assert "notes.xlsx: the workbook holds no table: none of its sheets is named after one" in message


def add_table_like_cases(content: Path, name: str, sheet: str, schema_sheet: str | None = None) -> None:
    """A copy of the cases table named `name`, on the sheet `sheet` of data.xlsx (the schema naming
    its sheet when `schema_sheet` is given)."""
    data = content / "data"
    schema = json.loads((data / "cases.schema.json").read_text())
    if schema_sheet:
        schema["sheet"] = schema_sheet
    (data / f"{name}.schema.json").write_text(json.dumps(schema))
    wb = openpyxl.load_workbook(data / "data.xlsx")
    sheet_from_csv(wb.create_sheet(sheet), TINY / "data", "cases")
    wb.save(data / "data.xlsx")


def test_a_table_name_longer_than_excel_allows_is_read_from_its_first_31_characters(tiny_book):
    name = "children_by_kind_of_case_and_status_at_year_end"
    add_table_like_cases(tiny_book, name, name[:31])
    table = load_content(tiny_book).tables[name]
    assert table.sheet == "children_by_kind_of_case_and_st"
    assert table.rows == (("Runaway", 300), ("Abduction", 50))


def test_two_long_names_alike_in_31_characters_need_a_sheet_name_of_their_own(tiny_book):
    first, second = "children_by_kind_of_case_and_status_a", "children_by_kind_of_case_and_status_b"
    add_table_like_cases(tiny_book, first, first[:31])
    shutil.copy(tiny_book / "data" / f"{first}.schema.json", tiny_book / "data" / f"{second}.schema.json")
    message = data_error(tiny_book)
    assert (
        f"{second}.schema.json: the tables '{first}' and '{second}' would both be read from a sheet named "
        f"'{first[:31]}'" in message
    )
    assert '"sheet": "a name of at most 31 characters"' in message
    add_table_like_cases(tiny_book, second, "Kinds B", schema_sheet="kinds b")
    content = load_content(tiny_book)
    assert content.tables[second].sheet == "Kinds B" and content.tables[first].sheet == first[:31]


def test_a_sheet_name_excel_would_refuse_is_a_schema_error(tiny_book):
    schema = tiny_book / "data" / "cases.schema.json"
    schema.write_text(json.dumps({**json.loads(schema.read_text()), "sheet": "cases/kinds"}))
    message = data_error(tiny_book)
    assert 'cases.schema.json: "sheet": "cases/kinds" cannot be a sheet\'s name' in message
    assert "Excel does not allow /" in message


# --- percentages ------------------------------------------------------------------------------------


def add_shares_table(content: Path, cells: list[tuple[object, str]]) -> None:
    """A table `shares` (kind, share in percent) on a sheet of data.xlsx, with cells (value, format)."""
    data = content / "data"
    schema = json.loads((data / "cases.schema.json").read_text())
    schema["fields"][1] = {"name": "share", "type": "number", "title": "Share", "unit": "percent"}
    (data / "shares.schema.json").write_text(json.dumps(schema))
    wb = openpyxl.load_workbook(data / "data.xlsx")
    ws = wb.create_sheet("shares")
    ws.append(["kind", "share"])
    for kind, (value, number_format) in zip(("Runaway", "Abduction"), cells):
        ws.append([kind, value])
        ws.cell(ws.max_row, 2).number_format = number_format
    wb.save(data / "data.xlsx")


def test_a_percent_column_takes_a_cell_formatted_as_percent_and_a_plain_one_as_written(tiny_book):
    add_shares_table(tiny_book, [(0.0729, "0.00%"), (92.71, "General")])
    rows = load_content(tiny_book).tables["shares"].rows
    assert rows == (("Runaway", 7.29), ("Abduction", 92.71))  # 0.0729 × 100 is not 7.290000000000001


def test_a_cell_formatted_as_percent_elsewhere_is_an_error(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["facts"]["B2"] = 0.125  # calls, counted in calls
    wb["facts"]["B2"].number_format = "0.0%"
    wb.save(book)
    message = data_error(tiny_book)
    assert "sheet 'facts', cell B2: the cell is formatted as a percentage (it shows 12.5%)" in message
    assert "only a column whose unit is percent" in message


def test_a_fact_or_history_row_in_percent_and_a_published_share_take_percent_cells(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["facts"].append(["runaway_share", 0.3822, "percent", "Share of runaways", None])
    wb["history"].append(["runaway_share", 2021, 0.4, "percent", None])
    wb["control_totals"].append(["cases", "kind=Runaway", "children", "share", 0.8571, 0.0001, None])
    for ws, column in ((wb["facts"], "B"), (wb["history"], "C"), (wb["control_totals"], "E")):
        ws[f"{column}{ws.max_row}"].number_format = "0.00%"
    wb["control_totals"][f"F{wb['control_totals'].max_row}"].number_format = "0.00%"
    wb.save(book)
    content = load_content(tiny_book)  # 300 of 350 is 85.71%: the control total holds
    assert content.facts["runaway_share"].value == 38.22
    assert content.earlier.get(2021).facts["runaway_share"].value == 40
    edit(book, "control_totals", E3=0.8671)  # still formatted as %: 86.71%
    assert "the published percentage is 86.71%" in data_error(tiny_book)


# --- a new year ----------------------------------------------------------------------------------------


def test_new_xlsx_makes_one_workbook_with_a_read_me_and_a_sheet_per_table(tiny_content, capsys):
    assert main(["new", "2023", "--content", str(tiny_content.parent), "--xlsx"]) == 0
    assert "data/data.xlsx" in capsys.readouterr().out
    data = tiny_content.with_name("2023") / "data"
    assert not list(data.glob("*.csv"))
    assert sorted(p.name for p in data.glob("*.schema.json")) == sorted(
        p.name for p in (tiny_content / "data").glob("*.schema.json")
    )
    wb = openpyxl.load_workbook(data / "data.xlsx")
    assert wb.sheetnames == ["Read me", "cases", "control_totals", "facts", "history"]
    readme = " ".join(str(v) for row in wb["Read me"].iter_rows(values_only=True) for v in row if v)
    assert "Every empty cell is a figure of 2023 to fill in" in readme
    sheet = lambda name: list(wb[name].iter_rows(values_only=True))  # noqa: E731
    assert sheet("cases") == [("kind", "children"), ("Runaway", None), ("Abduction", None)]
    assert wb["cases"]["B1"].font.bold and "Number" not in (wb["cases"]["B1"].comment.text or "x")
    assert sheet("facts")[1][:3] == ("calls", None, "calls")
    assert sheet("facts")[2][:2] == ("founded_year", 1984)  # fixed: kept, as a number
    assert sheet("control_totals")[1][4:6] == (None, 0)  # the published total emptied, its tolerance kept
    assert sheet("history")[1][:3] == ("calls", 2021, 10000)


def test_a_new_workbook_year_lists_what_is_missing_by_sheet_and_cell(tiny_content, tmp_path, capsys):
    new_year(2023, tiny_content.parent, xlsx=True)
    folder = tiny_content.with_name("2023")
    assert main(["build", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "1 of 5 figures filled in; 4 still to fill in" in err
    assert "data.xlsx, sheet 'cases': 2 to fill in" in err
    assert "Runaway (cell B2)" in err and "Abduction (cell B3)" in err
    assert "data.xlsx, sheet 'facts': 1 to fill in" in err and "calls (cell B2)" in err
    assert "data.xlsx, sheet 'control_totals': 1 to fill in" in err and "(cell E2)" in err
    edit(folder / "data" / "data.xlsx", "cases", B2=310, B3=60)
    edit(folder / "data" / "data.xlsx", "facts", B2=13000)
    with pytest.raises(MissingFigures) as caught:
        load_content(folder)
    assert caught.value.filled == 4 and caught.value.total == 5
    edit(folder / "data" / "data.xlsx", "control_totals", E2=370)
    content = load_content(folder)
    assert content.tables["cases"].rows == (("Runaway", 310), ("Abduction", 60))


def test_new_from_a_workbook_year_empties_its_cells_in_place(tiny_book):
    book = book_of(tiny_book)
    wb = openpyxl.load_workbook(book)
    wb["cases"]["B2"].number_format = "#,##0"
    wb.create_sheet("Read me", 0)["A1"] = "Our own notes"
    wb.save(book)
    made = new_year(2023, tiny_book.parent)
    assert made.emptied == 4 and made.kept == 1
    wb = openpyxl.load_workbook(made.folder / "data" / "data.xlsx")
    assert wb["Read me"]["A1"].value == "Our own notes"
    assert wb["cases"]["B2"].value is None and wb["cases"]["B2"].number_format == "#,##0"
    assert wb["cases"]["A2"].value == "Runaway" and wb["facts"]["B3"].value == 1984


def test_new_xlsx_from_a_workbook_year_writes_the_new_workbook_in_its_place(tiny_book):
    wb = openpyxl.load_workbook(book_of(tiny_book))
    wb.create_sheet("workings")["A1"] = "last year's sums"
    wb.save(book_of(tiny_book))
    made = new_year(2023, tiny_book.parent, xlsx=True)
    assert made.workbook == made.folder / "data" / "data.xlsx"
    assert [p.name for p in (made.folder / "data").glob("*.xlsx")] == ["data.xlsx"]
    wb = openpyxl.load_workbook(made.workbook)
    assert wb.sheetnames == ["Read me", "cases", "control_totals", "facts", "history"]
    assert wb["cases"]["B2"].value is None and wb["facts"]["B3"].value == 1984


def test_a_table_moved_from_csv_to_a_workbook_is_compared_with_last_year_by_value(tiny_content):
    new_year(2023, tiny_content.parent)
    folder = tiny_content.with_name("2023")
    for name in ("cases.csv", "facts.csv", "control_totals.csv"):
        shutil.copy(tiny_content / "data" / name, folder / "data" / name)
    book = workbook_from_csvs(folder / "data")
    wb = openpyxl.load_workbook(book)  # the same values, saved in another order and format
    cases = wb["cases"]
    cases["A2"], cases["B2"], cases["A3"], cases["B3"] = "Abduction", 50.0, "Runaway", 300
    cases["B2"].number_format = "#,##0.00"
    wb.save(book)
    messages = stale(folder)
    assert any("data.xlsx, sheet 'cases': every value is identical to 2022's" in m for m in messages)
    assert any("data.xlsx, sheet 'facts': 1 of 1 figures are the same as in 2022" in m for m in messages)
    edit(book, "cases", B3=301)
    edit(book, "control_totals", E2=351)
    assert not any("sheet 'cases'" in m for m in stale(folder))


def stale(folder: Path) -> list[str]:
    """The build's warnings of figures unchanged since last year."""
    c = load_content(folder)
    found = stale_warnings(folder, c.settings.year, c.settings, c.tables, c.facts, c.earlier, c.facts_table)
    return [w.describe() for w in found]


# --- safety ------------------------------------------------------------------------------------------


def test_lock_files_beside_a_workbook_are_not_content(tiny_book):
    data = tiny_book / "data"
    (data / "~$data.xlsx").write_bytes(b"\x05user" + b"\x00" * 160)  # Excel's, while the file is open
    (data / ".~lock.data.xlsx#").write_text(",user,host,01.01.2023 10:00,file:///home/user;")  # LibreOffice's
    (data / "._data.xlsx").write_bytes(b"\x00\x05\x16\x07")  # a Mac's, on a shared drive
    assert load_content(tiny_book).tables["cases"].rows[0] == ("Runaway", 300)
    made = new_year(2023, tiny_book.parent)
    assert not (made.folder / "data" / "~$data.xlsx").exists()


def test_a_zip_bomb_is_refused_by_the_size_its_parts_declare(tiny_book):
    book = book_of(tiny_book)
    parts = members(book)
    rezip(book, {**parts, "xl/media/image1.png": b"\0" * 21_000_000})  # 21 MB, 20 KB packed
    assert book.stat().st_size < 200_000
    start = time.perf_counter()
    message = data_error(tiny_book)
    assert time.perf_counter() - start < 5
    assert "data.xlsx: the part xl/media/image1.png unpacks to 21 MB; a part may unpack to at most 20 MB" in (
        message
    )


def test_a_workbook_too_large_or_of_too_many_parts_is_refused(tiny_book, monkeypatch):
    book = book_of(tiny_book)
    parts = members(book)
    rezip(book, {**parts, **{f"xl/media/{i}.bin": b"" for i in range(1_000)}})
    assert f"data.xlsx: the workbook is made of {len(parts) + 1_000:,} parts" in data_error(tiny_book)
    rezip(book, parts)
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 10_000)
    assert "data.xlsx: the workbook unpacks to" in data_error(tiny_book)
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_BYTES", 1_000)
    assert "data.xlsx: the workbook is 0 MB; a workbook may be at most 0 MB" in data_error(tiny_book)


def lying_size(book: Path, part: str, declared: int) -> None:
    """Make `part` claim to unpack to `declared` bytes, in the zip's directory and its own header."""
    data = bytearray(book.read_bytes())
    name = part.encode()
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            length = struct.unpack_from("<H", data, start + name_at - (18 if name_at == 46 else 4))[0]
            if data[start + name_at : start + name_at + length] == name:
                struct.pack_into("<I", data, start + size_at, declared)
            start += 4
    book.write_bytes(bytes(data))


def test_a_part_larger_than_it_declares_is_not_unpacked_past_its_size(tiny_book):
    book = book_of(tiny_book)
    parts = members(book)
    sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
    padded = parts[sheet].replace(b"</sheetData>", b"<!--" + b" " * 5_000_000 + b"--></sheetData>")
    rezip(book, {**parts, sheet: padded})
    lying_size(book, sheet, 1_000)
    message = data_error(tiny_book)
    assert "data.xlsx: the workbook cannot be read (BadZipFile" in message


# A billion laughs: &lol9; would be 10^9 times "lol".
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join('<!ENTITY lol%d "%s">' % (i, "&lol%d;" % (i - 1) * 10) for i in range(1, 10))  # noqa: UP031
    + "]>"
)


def with_entities(xml: bytes, padding: int = 0) -> bytes:
    """The part with a billion-laughs DOCTYPE before its root element, and the entity used."""
    text = xml.decode()
    declaration, rest = text.split("?>", 1) if text.startswith("<?xml") else ("", text)
    declaration += "?>" if declaration else ""
    return f"{declaration}{' ' * padding}{LAUGHS}{rest.replace('Runaway', '&lol9;')}".encode()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_xml_entities_are_refused_before_anything_expands_them(tiny_book, part):
    book = book_of(tiny_book)
    parts = members(book)
    rezip(book, {**parts, part: with_entities(parts[part])})
    start = time.perf_counter()
    message = data_error(tiny_book)
    assert time.perf_counter() - start < 5
    assert f"data.xlsx: the part {part} declares XML entities, which Excel never writes" in message


def test_entities_past_where_they_are_looked_for_are_refused_by_the_xml_parser(tiny_book):
    book = book_of(tiny_book)
    parts = members(book)
    sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
    rezip(book, {**parts, sheet: with_entities(parts[sheet], padding=10_000)})
    start = time.perf_counter()
    message = data_error(tiny_book)
    assert time.perf_counter() - start < 5
    assert "data.xlsx: the workbook cannot be read" in message
    assert "lol" * 100 not in message


def test_links_to_other_workbooks_and_data_connections_are_refused(tiny_book):
    book = book_of(tiny_book)
    parts = members(book)
    link = b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    rezip(book, {**parts, "xl/externalLinks/externalLink1.xml": link})
    message = data_error(tiny_book)
    assert "data.xlsx: the workbook takes values from 1 other workbook(s) through links" in message
    assert "Break Link" in message
    rezip(book, {**parts, "xl/connections.xml": b"<connections/>"})
    assert "data.xlsx: the workbook has data connections" in data_error(tiny_book)


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("data.xlsx", b"kind,children\nRunaway,300\n", "this is not an Excel workbook"),
        ("data.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "this is an Excel 97-2003 workbook"),
        ("cases.xls", b"\xd0\xcf\x11\xe0", "this is an Excel 97-2003 workbook, which the build"),
        ("cases.ods", b"PK\x03\x04", "this is an OpenDocument spreadsheet, which the build does not read"),
    ],
)
def test_a_file_that_is_no_workbook_is_named(tiny_book, name, data, expected):
    (tiny_book / "data" / name).write_bytes(data)
    message = data_error(tiny_book)
    assert f"{name}: {expected}" in message
    assert ".xlsx" in message  # what to save it as
    assert "no file holds its data" not in message  # the tables may all be in the unreadable file


def test_a_workbook_mistake_fails_the_build_with_exit_2_and_no_traceback(tiny_book, tmp_path, capsys):
    edit(book_of(tiny_book), "cases", B2="3,16")
    assert main(["build", str(tiny_book), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "data.xlsx, sheet 'cases', cell B2: found '3,16' where a whole number was expected" in err
    assert "Traceback" not in err


def test_a_located_workbook_error_survives_pickling():
    error = ContentError.at(Path("data.xlsx"), "found '3,16'", sheet="cases", cell="C4", hint="write 316")
    again = pickle.loads(pickle.dumps(error))
    assert again.describe() == error.describe()
    assert error.describe() == "data.xlsx, sheet 'cases', cell C4: found '3,16'\n  → write 316"


def test_the_percent_format_is_told_from_a_percent_sign_in_text():
    assert workbook.is_percent_format("0.00%") and workbook.is_percent_format("#,##0.0%;[Red]-0.0%")
    assert not workbook.is_percent_format('0.0"%"') and not workbook.is_percent_format("0\\%")
    assert not workbook.is_percent_format("General")


def test_numbers_keep_the_15_digits_excel_shows():
    assert workbook.number_text(0.1 + 0.2) == "0.3"
    assert workbook.number_text(0.0729, percent=True) == "7.29"
    assert workbook.number_text(1e20) == "100000000000000000000"
    assert workbook.number_text(2999.0) == "2999"
    assert workbook.number_text(12345678901234567) == "12345678901234567"  # an integer is exact
    assert re.fullmatch(r"-?0", workbook.number_text(-0.0))
