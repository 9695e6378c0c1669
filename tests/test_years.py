"""The yearly cycle: next year's report from last year's, with no stale figure able to slip through.

Years are data: a figure keeps its key, `previous.x` and `year(2021).x` reach earlier years, a new
year starts empty, a half-filled year lists what is missing, an unchanged year warns, and tables
that count the same thing must agree.
"""

from __future__ import annotations

import csv
import io
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import CONTENT_2022, STYLES
from render.assemble import assemble
from render.build import build
from render.cli import main
from render.errors import ContentError, MissingFigures
from render.load import load_content
from render.scaffold import new_year


def model_error(content: Path) -> str:
    with pytest.raises(ContentError) as caught:
        assemble(load_content(content), STYLES)
    return caught.value.describe()


def prose(report) -> str:
    return " ".join(b.markdown for s in report.sections for b in s.blocks if hasattr(b, "markdown"))


def line_of(path: Path, needle: str) -> int:
    return next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in t)


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# --- years are data ------------------------------------------------------------------------------


def test_previous_reaches_last_year_from_the_history_file(tiny_content):
    text = prose(assemble(load_content(tiny_content), STYLES))
    # facts.csv: calls = 12500; history.csv: calls for 2021 = 10000.
    assert "up 25% from 10,000 in 2021" in text


def test_the_2022_report_reads_2021_from_its_history():
    report = assemble(load_content(CONTENT_2022), STYLES)
    history = read_rows(CONTENT_2022 / "data" / "history.csv")
    entries_2021 = int(
        next(r["value"] for r in history if r["key"] == "ncic_entries" and r["year"] == "2021")
    )
    assert f"in 2021, it recorded {entries_2021:,}" in prose(report)
    assert not any(key[-5:-4] == "_" and key[-4:].isdigit() for key in report.facts)  # no year in a key


def test_any_earlier_year_the_content_holds_is_reachable(tiny_content):
    section = tiny_content / "sections" / "intro.md"
    section.write_text(section.read_text() + "\nIn {{ report.year - 1 }}: {{ year(2021).calls | number }}.\n")
    assert "In 2021: 10,000." in prose(assemble(load_content(tiny_content), STYLES))


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("{{ previous.visits | number }}", "2021 has no figure 'visits': add the row 'visits,2021"),
        ("{{ year(1999).calls | number }}", "holds no figures for 1999"),
        ("{{ year(2022).calls | number }}", "not an earlier year"),
    ],
)
def test_an_earlier_figure_the_content_lacks_says_where_to_add_it(tiny_content, expression, expected):
    section = tiny_content / "sections" / "intro.md"
    section.write_text(section.read_text() + f"\nLast year: {expression}.\n")
    message = model_error(tiny_content)
    assert f"intro.md, line {line_of(section, 'Last year')}" in message and expected in message


@pytest.mark.parametrize(
    "row, expected",
    [
        ("calls,2022,1,calls,", "earlier years than 2022 only"),
        ("calls,2020,1,visits,", "in 'visits' but this year's calls is in 'calls'"),
    ],
)
def test_history_rows_are_validated(tiny_content, row, expected):
    history = tiny_content / "data" / "history.csv"
    history.write_text(history.read_text() + row + "\n")
    message = model_error(tiny_content)
    assert f"history.csv, line {line_of(history, row)}" in message and expected in message


def test_a_history_row_for_a_year_with_its_own_folder_is_refused(tiny_content):
    shutil.copytree(tiny_content, tiny_content.with_name("2021"))
    message = model_error(tiny_content)
    assert "2021 has its own content folder" in message


def test_previous_reads_last_years_folder_when_there_is_one(tiny_content):
    older = tiny_content.with_name("2021")
    shutil.copytree(tiny_content, older)
    (older / "data" / "history.csv").unlink()
    config = older / "report.toml"
    config.write_text(config.read_text().replace("year = 2022", "year = 2021"))
    facts = older / "data" / "facts.csv"
    facts.write_text(facts.read_text().replace("calls,12500", "calls,8000"))
    history = tiny_content / "data" / "history.csv"
    history.write_text("key,year,value,unit,note\n")  # 2021 now has a folder
    assert "up 56% from 8,000 in 2021" in prose(assemble(load_content(tiny_content), STYLES))


@pytest.mark.parametrize(
    "file, old, new",
    [
        ("data/cases.schema.json", "Example case data, {{ report.year }}", "Example case data, 2022"),
        ("report.toml", 'caption = "Cases by kind, {{ report.year }}"', 'caption = "Cases by kind, 2022"'),
        ("sections/intro.md", "in {{ report.year }}", "in 2022"),
    ],
)
def test_a_typed_year_is_refused_in_every_text(tiny_content, file, old, new):
    path = tiny_content / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    message = model_error(tiny_content)
    assert f"{Path(file).name}, line {line_of(path, new)}" in message
    assert "{{ report.year }}" in message  # the hint says how to write it


def test_a_year_in_a_link_address_is_fine_but_not_in_its_words(tiny_content):
    section = tiny_content / "sections" / "intro.md"
    base = section.read_text()
    section.write_text(base + "\n[Read the annual letter](https://www.example.org/2021/letter).\n")
    assemble(load_content(tiny_content), STYLES)
    section.write_text(base + "\n[Read the 2021 letter](https://www.example.org/letter).\n")
    assert "a number is typed into the text: '2021'" in model_error(tiny_content)


# --- a new year ----------------------------------------------------------------------------------


def test_new_starts_next_year_with_every_figure_empty_and_the_rest_kept(tiny_content):
    made = new_year(2023, tiny_content.parent)
    folder = made.folder
    assert folder == tiny_content.with_name("2023") and made.source == tiny_content
    config = (folder / "report.toml").read_text()
    assert "year = 2023" in config and config.count("\n") == (tiny_content / "report.toml").read_text().count(
        "\n"
    )
    assert "# A minimal report" in config  # comments kept
    for kept in ("sections/intro.md", "data/cases.schema.json", "data/history.csv"):
        assert (folder / kept).read_bytes() == (tiny_content / kept).read_bytes(), kept
    assert [r["children"] for r in read_rows(folder / "data" / "cases.csv")] == ["", ""]
    assert [r["kind"] for r in read_rows(folder / "data" / "cases.csv")] == ["Runaway", "Abduction"]
    facts = {r["key"]: r["value"] for r in read_rows(folder / "data" / "facts.csv")}
    assert facts == {"calls": "", "founded_year": "1984"}  # the fixed date is kept
    controls = read_rows(folder / "data" / "control_totals.csv")
    assert [(c["expected"], c["tolerance"]) for c in controls] == [("", "0")]
    assert made.emptied == 4 and made.kept == 1


def test_new_refuses_an_existing_year_and_needs_an_earlier_one(tiny_content, tmp_path):
    new_year(2023, tiny_content.parent)
    with pytest.raises(ContentError, match="2023 already exists"):
        new_year(2023, tiny_content.parent)
    with pytest.raises(ContentError, match="no earlier year"):
        new_year(2021, tiny_content.parent)


def test_a_new_year_lists_every_figure_still_to_fill_in(tiny_content, tmp_path, capsys):
    new_year(2023, tiny_content.parent)
    folder = tiny_content.with_name("2023")
    assert main(["build", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    # 2 table cells + 1 fact + 1 published total are empty; the fixed founding year is filled.
    assert "1 of 5 figures filled in; 4 still to fill in" in err
    assert "cases.csv: 2 to fill in" in err and "Runaway (line 2, cell B2)" in err
    assert "facts.csv: 1 to fill in" in err and "calls (line 2, cell B2)" in err
    assert "control_totals.csv: 1 to fill in" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    facts = folder / "data" / "facts.csv"
    facts.write_text(facts.read_text().replace("calls,,", "calls,13000,"))
    with pytest.raises(MissingFigures) as caught:
        load_content(folder)
    assert caught.value.filled == 2 and caught.value.total == 5


# --- nothing stale -------------------------------------------------------------------------------


def copy_of_last_year(tiny_content: Path, *, reorder: bool = False) -> Path:
    new_year(2023, tiny_content.parent)
    folder = tiny_content.with_name("2023")
    for name in ("cases.csv", "facts.csv", "control_totals.csv"):
        shutil.copy(tiny_content / "data" / name, folder / "data" / name)
    if reorder:  # the same values saved in another order are still the same values
        cases = folder / "data" / "cases.csv"
        header, *rows = cases.read_text().splitlines()
        cases.write_text("\n".join([header, *reversed(rows)]) + "\n")
    return folder


def test_a_table_and_facts_identical_to_last_year_warn(tiny_content, tmp_path):
    folder = copy_of_last_year(tiny_content, reorder=True)
    result = build(folder, tmp_path / "out", styles_dir=STYLES, formats=("pptx",))
    messages = [w.describe() for w in result.warnings]
    assert any("cases.csv" in m and "identical to 2022's" in m for m in messages)
    assert any(
        "facts.csv" in m and "1 of 1 figures are the same as in 2022" in m and "calls" in m for m in messages
    )
    assert all("founded_year" not in m for m in messages)  # a fixed figure never counts


def test_one_repeated_value_is_allowed(tiny_content, tmp_path):
    folder = copy_of_last_year(tiny_content)
    facts = folder / "data" / "facts.csv"
    facts.write_text(facts.read_text().replace("calls,12500", "calls,13000"))
    cases = folder / "data" / "cases.csv"
    cases.write_text(cases.read_text().replace("Abduction,50", "Abduction,60"))
    controls = folder / "data" / "control_totals.csv"
    controls.write_text(controls.read_text().replace(",350,", ",360,"))
    result = build(folder, tmp_path / "out", styles_dir=STYLES, formats=("pptx",))
    assert result.warnings == []  # Runaway 300 repeats; the table as a whole changed


def test_strict_turns_warnings_into_errors_and_writes_nothing(tiny_content, tmp_path, capsys):
    folder = copy_of_last_year(tiny_content)
    out = tmp_path / "out"
    assert main(["build", str(folder), "--out", str(out), "--only", "pptx", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "--strict turns warnings into errors" in err and "identical to 2022's" in err
    assert not out.exists() or not any(p.suffix == ".pptx" for p in out.iterdir())


def test_warnings_are_printed_and_counted_in_the_summary(tiny_content, tmp_path, capsys):
    folder = copy_of_last_year(tiny_content)
    assert main(["build", str(folder), "--out", str(tmp_path / "out"), "--only", "pptx"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("Warning:") == 2
    assert "2 warnings (above)" in captured.out


# --- consistency ---------------------------------------------------------------------------------


def test_a_broken_consistency_rule_names_both_tables_and_both_values(content_copy):
    # A clumsy edit: one state's count changed, and its published totals "fixed" to match, so the
    # control totals pass; the cases by type still say otherwise.
    data = content_copy / "data"
    states = data / "cases_by_state.csv"
    states.write_text(states.read_text().replace("Alabama,Active,57", "Alabama,Active,157"))
    controls = data / "control_totals.csv"
    rows = read_rows(controls)
    for row in rows:
        if (
            row["table"] == "cases_by_state"
            and row["aggregate"] == "sum"
            and (row["where"] in ("", "state=Alabama", "status=Active"))
        ):
            row["expected"] = str(int(row["expected"]) + 100)
    write_rows(controls, rows)
    message = model_error(content_copy)
    config = content_copy / "report.toml"
    assert f"report.toml, line {line_of(config, 'children whose cases we took in') - 1}" in message
    assert "cases_by_type.csv" in message and "cases_by_state.csv" in message
    assert "27,644" in message and "27,744" in message


# --- the whole round trip ------------------------------------------------------------------------


def _double(text: str) -> str:
    return str(int(text) * 2) if text.isdigit() else str(Decimal(text) * 2)


def _fill_next_year(old: Path, new: Path) -> None:
    """What the data team does: every figure of the new year, each different from last year's, with
    the tables that count the same things still agreeing."""
    for path in sorted((new / "data").glob("*.csv")):
        if path.stem in ("history", "control_totals"):
            continue
        before, after = read_rows(old / "data" / path.name), read_rows(path)
        if path.stem == "facts":
            for b, a in zip(before, after):
                if a["value"] == "":
                    value = Decimal(b["value"])
                    a["value"] = str(value / 2 if b["unit"] == "percent" else value * 2)
        else:
            numeric = [k for k in after[0] if after[0][k] == ""]
            if any(k.endswith("_pct") for k in numeric):  # shares: the same shares, in another order
                for k in numeric:
                    values = [b[k] for b in before]
                    for a, v in zip(after, values[1:] + values[:1]):
                        a[k] = v
            else:
                for b, a in zip(before, after):
                    for k in numeric:
                        a[k] = _double(b[k])
        write_rows(path, after)


def _published_totals(new: Path, old: Path) -> None:
    """The published totals, added up independently from the CSVs the test wrote."""
    old_rows = read_rows(old / "data" / "control_totals.csv")
    controls = read_rows(new / "data" / "control_totals.csv")
    for row, before in zip(controls, old_rows):
        rows = read_rows(new / "data" / f"{row['table']}.csv")
        key, _, value = row["where"].partition("=")
        part = sum(Decimal(r[row["measure"]]) for r in rows if not key or r[key] == value)
        if row["aggregate"] == "share":
            whole = sum(Decimal(r[row["measure"]]) for r in rows)
            places = Decimal(1).scaleb(-len(before["expected"].partition(".")[2]))
            row["expected"] = str((100 * part / whole).quantize(places, ROUND_HALF_UP))
        else:
            row["expected"] = str(part)
    write_rows(new / "data" / "control_totals.csv", controls)


def test_a_new_year_round_trip_prints_only_the_new_years_figures(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_2022, content / "2022")
    assert main(["new", "2023", "--content", str(content)]) == 0
    new = content / "2023"
    with pytest.raises(MissingFigures):
        load_content(new)
    _fill_next_year(content / "2022", new)
    _published_totals(new, content / "2022")
    result = build(new, tmp_path / "out", styles_dir=STYLES)
    assert result.warnings == []
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(result.outputs["pdf"])).pages).split())

    old_facts = {r["key"]: r for r in read_rows(content / "2022" / "data" / "facts.csv")}
    ncic_2022 = int(old_facts["ncic_entries"]["value"])
    ncic_2023 = ncic_2022 * 2
    assert f"In 2023, the FBI recorded {ncic_2023:,} entries" in text
    assert f"The year before, in 2022, it recorded {ncic_2022:,}" in text
    assert f"{ncic_2023 - ncic_2022:,} more entries in 2023, a rise of 100.0%" in text
    hotline_2022 = int(old_facts["hotline_calls"]["value"])
    assert f"{hotline_2022 * 2:,}" in text and f"{hotline_2022:,}" not in text
    children_2022 = sum(
        int(r["children"]) for r in read_rows(content / "2022" / "data" / "cases_by_type.csv")
    )
    assert f"{children_2022 * 2:,}" in text and f"{children_2022:,}" not in text
    assert "Source: NCMEC case data, 2023." in text and "2022 Impact Report" not in text

    from pptx import Presentation

    slides = " ".join(
        shape.text_frame.text
        for slide in Presentation(str(result.outputs["pptx"])).slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    assert f"{hotline_2022 * 2:,}" in slides and f"{hotline_2022:,}" not in slides


@pytest.mark.parametrize(
    "same, expected",
    [
        ('["tables.cases.total()", "tables.cases.total(kind=\'Runaway\')"]', "300"),
        ('["tables.cases.total()", "tables.casse.total()"]', "cannot be computed"),
        ('["tables.cases.total()", "report.organisation"]', "is not a number"),
    ],
)
def test_a_consistency_rule_on_a_small_report(tiny_content, same, expected):
    config = tiny_content / "report.toml"
    config.write_text(config.read_text() + f'\n[[consistency]]\nwhat = "cases"\nsame = {same}\n')
    message = model_error(tiny_content)
    assert (
        f"report.toml, line {line_of(config, '[[consistency]]')}" in message
        or f"line {line_of(config, 'same =')}" in message
    )
    assert expected in message
