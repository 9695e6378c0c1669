"""report.toml and theme.toml are checked against their schema, each mistake on its key's own line.

Settings are typed by people who do not read Python: a wrong type is an error, never a guess.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from conftest import STYLES
from render.errors import ContentError
from render.load import load_content
from render.theme import Theme
from render.tomlpos import key_lines


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load_error(content: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_content(content)
    return caught.value.describe()


# --- where a key is written ----------------------------------------------------------------------

TOML = """\
# a comment with title = "not a key"
title = "Our {{ report.year }} [x] # not a comment"
year = 2022
notes = \"\"\"
fake = 1
[fake.table]
\"\"\"
sections = [
  "a", "b",  # two on a line
  "c",
]
site."home page".url = "https://example.org"

[charts."cases-by-type"]
kind = "bar"
labels = { "Long name" = "Short", nested = { deep = 1 } }

[[headlines]]
value = "1"

[[headlines]]
value = "2"
label = "two"
"""


def test_key_lines_of_nested_tables_dotted_keys_and_arrays():
    tomllib.loads(TOML)  # the fixture is valid TOML
    lines = key_lines(TOML)
    assert lines[("title",)] == 2
    assert lines[("year",)] == 3
    assert ("fake",) not in lines and ("fake", "table") not in lines  # inside a multi-line string
    assert [lines[("sections", i)] for i in range(3)] == [9, 9, 10]
    assert lines[("site", "home page", "url")] == 12
    assert lines[("charts", "cases-by-type")] == 14
    assert lines[("charts", "cases-by-type", "kind")] == 15
    assert lines[("charts", "cases-by-type", "labels", "Long name")] == 16
    assert lines[("charts", "cases-by-type", "labels", "nested", "deep")] == 16
    assert lines[("headlines", 0, "value")] == 19
    assert lines[("headlines", 1, "value")] == 22
    assert lines[("headlines", 1, "label")] == 23


# --- report.toml ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, key, expected",
    [
        ("year = 2022", 'year = "2022"', "year =", "write a whole number"),
        ('language = "en-US"', 'language = "english"', "language =", "is not a language tag"),
        ('keywords = ["test"]', 'keywords = "a, b"', "keywords =", "write a list"),
        ("totals = true", 'totals = "false"', "totals =", "write true or false"),
        ('kind = "bar"', 'kind = "pie"', "kind =", "is not allowed"),
        ('website = "https://www.example.org"', 'website = "example"', "website =", "not a web address"),
        ('sections = ["intro"]', 'sections = ["../../outside/secret"]', "sections =", "lower-case letters"),
        ('sections = ["intro"]', 'sections = ["/etc/passwd"]', "sections =", "lower-case letters"),
    ],
)
def test_a_wrong_type_or_value_is_an_error_on_its_own_line(tiny_content, old, new, key, expected):
    config = tiny_content / "report.toml"
    replace_in(config, old, new)
    message = load_error(tiny_content)
    assert f"report.toml, line {line_of(config, key)}" in message, message
    assert expected in message


def test_share_no_is_an_error_not_yes(tiny_content):
    config = tiny_content / "report.toml"
    replace_in(config, "totals = true", 'totals = true\nshare = "no"')
    message = load_error(tiny_content)
    assert f"line {line_of(config, 'share =')}" in message and "write true or false" in message


def test_unknown_key_in_a_nested_table_suggests_the_right_one(tiny_content):
    config = tiny_content / "report.toml"
    replace_in(config, 'category = "kind"', 'categroy = "kind"')
    message = load_error(tiny_content)
    assert f"line {line_of(config, 'categroy')}" in message
    assert "unknown setting 'categroy'" in message and "did you mean 'category'" in message


def test_missing_required_key_is_named(tiny_content):
    config = tiny_content / "report.toml"
    replace_in(config, 'author = "Example Org"\n', "")
    assert "has no 'author', which is required" in load_error(tiny_content)


def test_every_mistake_of_the_file_is_reported_at_once(tiny_content):
    config = tiny_content / "report.toml"
    replace_in(config, "year = 2022", 'year = "2022"')
    replace_in(config, "totals = true", "totals = 1")
    message = load_error(tiny_content)
    assert "2 problems" in message
    assert f"line {line_of(config, 'year =')}" in message and f"line {line_of(config, 'totals =')}" in message


def test_the_folder_and_the_year_must_agree(tiny_content):
    moved = tiny_content.rename(tiny_content.with_name("2023"))
    message = load_error(moved)
    assert "year = 2022, but the folder is named '2023'" in message
    assert f"line {line_of(moved / 'report.toml', 'year =')}" in message


def test_a_byte_order_mark_is_accepted(tiny_content):
    for path in (tiny_content / "report.toml", tiny_content / "sections" / "intro.md"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    content = load_content(tiny_content)
    assert content.settings.title.startswith("Tiny")
    assert content.sections[0].text.startswith("# Introduction")


# --- theme.toml ----------------------------------------------------------------------------------


@pytest.fixture
def styles_copy(tmp_path) -> Path:
    target = tmp_path / "styles"
    shutil.copytree(STYLES, target)
    return target


def theme_error(styles: Path) -> str:
    with pytest.raises(ContentError) as caught:
        Theme.load(styles)
    return caught.value.describe()


def test_a_key_missing_from_the_theme_is_located(styles_copy):
    theme = styles_copy / "theme.toml"
    text = theme.read_text()
    muted = next(line for line in text.splitlines() if line.startswith("muted"))
    theme.write_text(text.replace(muted + "\n", ""))
    message = theme_error(styles_copy)
    assert "[colors] has no 'muted'" in message
    assert f"theme.toml, line {line_of(theme, '[colors]')}" in message


def test_a_theme_colour_must_be_a_hex_colour(styles_copy):
    theme = styles_copy / "theme.toml"
    replace_in(theme, 'background = "#FFFFFF"', 'background = "white"')
    message = theme_error(styles_copy)
    assert "is not a colour" in message and f"line {line_of(theme, 'background = ')}" in message


@pytest.mark.parametrize("data", [b"", b"not a font at all" * 100], ids=["empty", "corrupt"])
def test_an_empty_or_corrupt_font_file_is_a_located_error(styles_copy, data):
    theme = styles_copy / "theme.toml"
    (styles_copy / "fonts").mkdir()
    (styles_copy / "fonts" / "Broken.ttf").write_bytes(data)
    replace_in(theme, 'package = "font_source_sans_pro"\n', "")
    replace_in(theme, 'regular = "SourceSansPro-Regular.ttf"', 'regular = "fonts/Broken.ttf"')
    text = theme.read_text()
    for style in ("italic", "semibold", "bold", "bold_italic", "black"):
        text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{style} ="))
    theme.write_text(text)
    message = theme_error(styles_copy)
    assert "Broken.ttf cannot be read as a font" in message
    assert f"theme.toml, line {line_of(theme, 'regular =')}" in message


def test_a_font_file_outside_the_styles_folder_is_refused(styles_copy, tmp_path):
    outside = tmp_path / "elsewhere.ttf"
    outside.write_bytes(b"")
    theme = styles_copy / "theme.toml"
    replace_in(theme, 'package = "font_source_sans_pro"\n', "")
    replace_in(theme, 'regular = "SourceSansPro-Regular.ttf"', 'regular = "../elsewhere.ttf"')
    assert "is outside" in theme_error(styles_copy)
