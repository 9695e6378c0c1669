"""Mistakes a comms person can make, and the messages they get: file, place, found, expected.

Each test edits a private copy of the real 2022 content, then builds it for real.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import STYLES
from render.build import build
from render.cli import main
from render.errors import ContentError


def build_error(content: Path, tmp_path: Path, formats=("pdf",)) -> str:
    with pytest.raises(ContentError) as caught:
        build(content, tmp_path / "out", styles_dir=STYLES, formats=formats)
    return caught.value.describe()


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def append_line(path: Path, text: str) -> int:
    """Add a line of text at the end of a content file; returns its line number."""
    before = path.read_text(encoding="utf-8")
    path.write_text(before + f"\n{text}\n", encoding="utf-8")
    return before.count("\n") + 2


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# --- control totals ----------------------------------------------------------------------------


def test_corrupted_cell_fails_its_control_total_naming_table_cell_and_both_values(content_copy, tmp_path):
    data = content_copy / "data" / "cases_by_type.csv"
    replace_in(data, "Family abduction,Active,316", "Family abduction,Active,317")
    message = build_error(content_copy, tmp_path)
    assert "cases_by_type" in message
    assert "case_type = 'Family abduction'" in message
    assert "1,240" in message and "1,239" in message  # computed row total and the published one
    assert "status = 'Active'" in message
    assert "3,416" in message and "3,415" in message  # the column total fails too
    assert "the grand total" in message and "27,645" in message and "27,644" in message


def test_published_percentages_come_out_of_the_counts(content_copy, tmp_path):
    data = content_copy / "data" / "offender_relationship.csv"
    replace_in(data, "Other relative,335", "Other relative,345")
    message = build_error(content_copy, tmp_path)
    assert "offender_relationship" in message and "Other relative" in message
    assert "11.88%" in message  # the published percentage that no longer matches


# --- CSV validation ----------------------------------------------------------------------------


def test_an_empty_figure_is_on_the_checklist_with_its_row_and_cell(content_copy, tmp_path):
    data = content_copy / "data" / "cases_by_type.csv"
    line = line_of(data, "Family abduction,Active,316")
    replace_in(data, "Family abduction,Active,316", "Family abduction,Active,")
    message = build_error(content_copy, tmp_path)
    assert "cases_by_type.csv: 1 to fill in" in message
    assert f"Family abduction / Active (line {line}, cell C{line})" in message


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("Family abduction,Active,316", "Family abduction;Active;316", "one cell containing semicolons"),
        ("Family abduction,Active,316", 'Family abduction,Active,"3,16"', "whole number"),
        ("Family abduction,Active,316", "Family abduction,Active,316,9", "has 4 values but the header has 3"),
        ("Family abduction,Resolved,923", "Family abduction,Active,923", "duplicate row"),
        ("Family abduction,Active,316", "Family Abducton,Active,316", "did you mean 'Family abduction'"),
        ("Family abduction,Active,316", "Family abduction,Active,-3", "below the smallest allowed value"),
    ],
)
def test_bad_csv_row_is_named_by_file_line_and_column(content_copy, tmp_path, old, new, expected):
    data = content_copy / "data" / "cases_by_type.csv"
    line = line_of(data, old)
    replace_in(data, old, new)
    message = build_error(content_copy, tmp_path)
    assert f"cases_by_type.csv, line {line}" in message
    assert expected in message


def test_thousands_separator_names_the_spreadsheet_cell(content_copy, tmp_path):
    data = content_copy / "data" / "cases_by_type.csv"
    line = line_of(data, "Endangered runaway,Resolved,22347")
    replace_in(data, "Endangered runaway,Resolved,22347", 'Endangered runaway,Resolved,"22,347"')
    message = build_error(content_copy, tmp_path)
    assert f"column 'children' (cell C{line})" in message
    assert "write 22347" in message


def test_missing_and_extra_columns_are_listed(content_copy, tmp_path):
    data = content_copy / "data" / "files_by_type.csv"
    replace_in(data, "file_type,files", "file_type,count")
    message = build_error(content_copy, tmp_path)
    assert "missing column(s) 'files'" in message and "unexpected column(s) 'count'" in message


def test_facts_key_must_be_a_usable_name(content_copy, tmp_path):
    replace_in(content_copy / "data" / "facts.csv", "hotline_calls,110153", "hotline calls,110153")
    assert "does not have the expected form" in build_error(content_copy, tmp_path)


# --- narrative ---------------------------------------------------------------------------------


def test_changed_figure_shows_up_in_the_pdf_and_the_old_one_does_not(content_copy, tmp_path):
    replace_in(content_copy / "data" / "facts.csv", "hotline_calls,110153", "hotline_calls,123456")
    result = build(content_copy, tmp_path / "out", styles_dir=STYLES, formats=("pdf",))
    text = "\n".join(p.extract_text() for p in PdfReader(str(result.outputs["pdf"])).pages)
    assert "123,456" in text
    assert "110,153" not in text


def test_undefined_name_in_text_names_file_and_line(content_copy, tmp_path):
    section = content_copy / "sections" / "hotline.md"
    replace_in(section, "{{ hotline_calls | number }}", "{{ hotline_callz | number }}")
    message = build_error(content_copy, tmp_path)
    assert f"hotline.md, line {line_of(section, 'hotline_callz')}" in message
    assert "'hotline_callz' is undefined" in message and "did you mean 'hotline_calls'" in message


def test_unknown_table_row_in_text_is_an_error(content_copy, tmp_path):
    section = content_copy / "sections" / "by-state.md"
    replace_in(section, 'state="Texas"', 'state="Texass"')
    message = build_error(content_copy, tmp_path)
    assert f"by-state.md, line {line_of(section, 'Texass')}" in message and "Texass" in message


def test_number_typed_into_prose_is_refused(content_copy, tmp_path):
    section = content_copy / "sections" / "training.md"
    replace_in(section, "{{ training_countries }} countries", "59 countries")
    message = build_error(content_copy, tmp_path)
    assert f"training.md, line {line_of(section, '59 countries')}" in message
    assert "a number is typed into the text: '59'" in message


def test_malformed_link_is_an_error_naming_file_and_line(content_copy, tmp_path):
    section = content_copy / "sections" / "global-problem.md"
    replace_in(section, "https://www.missingkids.org/content/ncmec", "http:///content/ncmec")
    message = build_error(content_copy, tmp_path)
    assert f"global-problem.md, line {line_of(section, 'http:///content')}" in message
    assert "malformed" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[here](https://www.missingkids.org/)", "does not say where it goes"),
        ("[https://www.missingkids.org/](https://www.missingkids.org/)", "bare address"),
        ("see https://www.missingkids.org/ today", "bare web address"),
        ("[the site](www.missingkids.org)", "not an absolute web address"),
    ],
)
def test_link_text_and_bare_urls(content_copy, tmp_path, text, expected):
    line = append_line(content_copy / "sections" / "thanks.md", f"Visit {text}.")
    message = build_error(content_copy, tmp_path)
    assert f"thanks.md, line {line}" in message and expected in message


def test_heading_level_gap_is_an_error(content_copy, tmp_path):
    section = content_copy / "sections" / "training.md"
    section.write_text(section.read_text() + "\n#### Too deep\n\nText.\n")
    message = build_error(content_copy, tmp_path)
    assert "training.md, line" in message and "jumps from 2 to 4" in message


def test_chart_declared_but_not_placed_is_an_error(content_copy, tmp_path):
    replace_in(content_copy / "sections" / "child-sex-trafficking.md", '{{ chart("cst-by-age") }}', "")
    assert "chart 'cst-by-age' is declared but not placed" in build_error(content_copy, tmp_path)


def test_misspelt_setting_in_report_toml(content_copy, tmp_path):
    replace_in(
        content_copy / "report.toml",
        'caption = "Missing children by case type',
        'captoin = "Missing children by case type',
    )
    message = build_error(content_copy, tmp_path)
    assert (
        "report.toml" in message
        and "unknown setting 'captoin'" in message
        and "did you mean 'caption'" in message
    )


def test_author_alt_text_wins_over_generated(content_copy, tmp_path):
    replace_in(
        content_copy / "report.toml",
        "[charts.files-by-type]\n",
        '[charts.files-by-type]\nalt = "Images and videos are almost all of the files."\n',
    )
    from render.assemble import assemble
    from render.load import load_content

    report = assemble(load_content(content_copy), STYLES)
    chart = report.charts["files-by-type"]
    assert chart.alt == "Images and videos are almost all of the files." and chart.alt_by_author


# --- the command line --------------------------------------------------------------------------


def test_cli_failure_exits_nonzero_without_traceback_and_keeps_last_good_pdf(content_copy, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(content_copy), "--out", str(out), "--only", "pdf", "--quiet"]) == 0
    pdf = out / "impact-report-2022.pdf"
    good = pdf.read_bytes()
    replace_in(content_copy / "data" / "files_by_type.csv", "Image,49404779", "Image,49404780")
    capsys.readouterr()
    assert main(["build", str(content_copy), "--out", str(out), "--only", "pdf", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "files_by_type" in err and "88,377,208" in err and "88,377,207" in err
    assert pdf.read_bytes() == good
    assert [p.name for p in out.iterdir()] == ["impact-report-2022.pdf"], "no temporary files left behind"


def test_cli_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    text = capsys.readouterr().out
    for option in ("CONTENT_DIR", "--out", "--only", "--styles", "--quiet"):
        assert option in text
    assert re.search(r"newest year", text)


def test_a_mistake_found_while_rendering_the_deck_in_parallel_is_reported_like_any_other(
    content_copy, tmp_path
):
    """The deck renders in a worker process beside the PDF; its errors must still arrive whole."""
    import shutil

    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    replace_in(styles / "theme.toml", 'title_color = "#0B3D6B"', 'title_color = "#D0D8E0"')
    out = tmp_path / "out"
    with pytest.raises(ContentError) as caught:
        build(content_copy, out, styles_dir=styles, formats=("pdf", "pptx"))
    message = caught.value.describe()
    assert "theme.toml" in message and "title_color" in message and "4.5:1" in message
    assert not out.exists() or not any(out.iterdir()), "nothing is written when one output fails"


def test_content_errors_survive_pickling():
    import pickle

    error = ContentError(Path("a.csv"), "bad", line=3, where="column 'x'", hint="fix it")
    again = pickle.loads(pickle.dumps(error))
    assert again.describe() == error.describe()
    from render.errors import ContentErrors

    several = ContentErrors([error, ContentError(None, "other")])
    assert pickle.loads(pickle.dumps(several)).describe() == several.describe()


def test_newest_year_folder_is_the_default(tmp_path):
    from render.build import newest_content_dir

    for name in ("2021", "2023", "2022", "drafts"):
        (tmp_path / name).mkdir()
    assert newest_content_dir(tmp_path).name == "2023"
    with pytest.raises(ContentError):
        newest_content_dir(tmp_path / "missing")


# --- found in review: mistakes that must not pass silently or crash ----------------------------


def test_top_n_chart_always_shows_the_largest_even_in_file_order(content_copy, tmp_path):
    replace_in(content_copy / "report.toml", "top = 15\n", 'top = 15\nsort = "data"\n')
    from render.assemble import assemble
    from render.load import load_content

    chart = assemble(load_content(content_copy), STYLES).charts["top-states"]
    assert "Texas" in chart.series.labels and "New York" in chart.series.labels
    assert list(chart.series.labels) == sorted(chart.series.labels, key=lambda s: (s == "Unknown", s))
    assert "Texas is the largest, with 3,144" in chart.alt


def test_unknown_sort_is_refused(content_copy, tmp_path):
    replace_in(content_copy / "report.toml", "top = 15\n", 'top = 15\nsort = "Descending"\n')
    message = build_error(content_copy, tmp_path)
    assert "report.toml, line" in message and "sort = 'Descending'" in message


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("{{ tables.cases_by_type.total }}", "without calling it: write total()"),
        ("{{ tables.cases_by_type }}", "not a number or text"),
        ("{{ hotline_calls }}", "needs a format"),
        ("{{ reports_outside_us_pct }}", "needs a format"),
        ("{{ hotline_calz | default(0) | number }}", "No filter named 'default'"),
        ("{{ 12906 | millions(1) }}", "too small to show in millions"),
    ],
)
def test_expressions_that_would_print_something_wrong_are_errors(
    content_copy, tmp_path, expression, expected
):
    line = append_line(content_copy / "sections" / "thanks.md", f"Total: {expression}.")
    message = build_error(content_copy, tmp_path)
    assert f"thanks.md, line {line}" in message
    assert expected in message


def test_text_column_named_as_a_measure_is_a_located_error(content_copy, tmp_path):
    controls = content_copy / "data" / "control_totals.csv"
    controls.write_text(controls.read_text() + "cases_by_type,,case_type,sum,1,0,x\n")
    message = build_error(content_copy, tmp_path)
    assert "control_totals.csv, line" in message and "'case_type'" in message and "not numeric" in message


def test_control_total_errors_name_the_real_line_despite_blank_lines(content_copy, tmp_path):
    controls = content_copy / "data" / "control_totals.csv"
    lines = controls.read_text().splitlines(keepends=True)
    controls.write_text(lines[0] + "\n" + "".join(lines[1:]))
    replace_in(
        controls,
        "cases_by_type,case_type=Family abduction,children,sum,1239",
        "cases_by_type,case_type=Family abduction,children,sum,1240",
    )
    assert f"line {line_of(controls, ',1240,')} of control_totals.csv" in build_error(content_copy, tmp_path)


@pytest.mark.parametrize(
    "name", ["sections/thanks.md", "data/facts.csv", "report.toml", "data/cst_by_age.schema.json"]
)
def test_a_file_not_saved_as_utf8_is_a_located_error(content_copy, tmp_path, name):
    path = content_copy / name
    text = path.read_text(encoding="utf-8")
    cut = text.index("\n", len(text) // 2) + 1
    path.write_bytes(text[:cut].encode("utf-8") + "Revé\n".encode("latin-1") + text[cut:].encode("utf-8"))
    message = build_error(content_copy, tmp_path)
    assert f"{path.name}, line {text[:cut].count(chr(10)) + 1}" in message and "UTF-8" in message


def test_setting_that_is_not_a_whole_number_is_a_located_error(content_copy, tmp_path):
    replace_in(
        content_copy / "report.toml",
        'share_decimals = 2\ntitle = "Relationship',
        'share_decimals = "two"\ntitle = "Relationship',
    )
    message = build_error(content_copy, tmp_path)
    assert "report.toml, line" in message and "share_decimals = 'two'" in message


def test_trailing_empty_spreadsheet_columns_are_ignored(content_copy, tmp_path):
    data = content_copy / "data" / "files_by_type.csv"
    data.write_text("".join(line.rstrip("\n") + ",,\n" for line in data.read_text().splitlines()))
    build(content_copy, tmp_path / "out", styles_dir=STYLES, formats=("pdf",))


def test_percentages_are_never_added_up(content_copy, tmp_path):
    replace_in(content_copy / "report.toml", 'rows = "sex"\n', 'rows = "sex"\ntotals = true\n')
    assert "percentages cannot be totalled" in build_error(content_copy, tmp_path)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("{{ hotline_calls | percent }}", "is not a percentage"),
        ("{{ reports_outside_us_pct | number }}", "is a percentage: use | percent"),
        ('{{ tables.cases_by_type.share(case_type="Family abduction") | number(1) }}', "is a percentage"),
        ('{{ tables.cst_by_age.value(age_group="15 to 17") | millions(1) }}', "is a percentage"),
    ],
)
def test_filters_know_percentages_from_counts(content_copy, tmp_path, expression, expected):
    line = append_line(content_copy / "sections" / "thanks.md", f"Share: {expression}.")
    message = build_error(content_copy, tmp_path)
    assert f"thanks.md, line {line}" in message and expected in message


def test_python_dash_m_render_is_the_same_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "render", "build", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "CONTENT_DIR" in done.stdout and "--out" in done.stdout
