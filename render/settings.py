"""The declared schema of report.toml and theme.toml: every key's type, allowed values and default.

Settings are written by people who do not read Python, so a wrong type is never guessed at:
`totals = "false"` is an error (not true), `keywords = "a, b"` is an error (not one keyword per
letter), an unknown key gets "did you mean", and every message names the key's own line.

Pydantic (v2, strict mode, unknown keys forbidden) does the checking: it is well kept, declares
types, defaults and constraints in one place per setting, and reports every mistake of a file at
once with the key path, which tomlpos turns into a line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, TypeVar, Union, get_args, get_origin

import langcodes
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from .errors import ContentError, ContentErrors, read_utf8
from .tomlpos import key_lines, line_of

# ---------------------------------------------------------------- value types


def _language(tag: str) -> str:
    if "_" in tag or not langcodes.tag_is_valid(tag):
        raise ValueError("language tag")
    return tag


Language = Annotated[str, AfterValidator(_language)]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
WebAddress = Annotated[str, StringConstraints(pattern=r"^(https?://[^\s/]+\.[^\s]+)?$")]
Decimals = Annotated[int, Field(ge=0, le=4)]
Size = Annotated[float, Field(gt=0, le=400)]


class Settings(BaseModel):
    """Strict: no type is coerced ("2022" is not 2022, "no" is not false); unknown keys are errors."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# ---------------------------------------------------------------- report.toml


class ChartSettings(Settings):
    table: str
    kind: Literal["bar", "heatmap"] = "bar"
    category: str | None = None
    value: str | None = None
    rows: str | None = None
    columns: str | None = None
    title: str | None = None
    caption: str | None = None
    alt: str | None = None
    note: str | None = None
    scale: Literal["linear", "log"] = "linear"
    sort: Literal["descending", "data"] = "descending"
    top: Annotated[int, Field(ge=0)] = 0
    show_share: bool = False
    share_decimals: Decimals = 1
    labels: dict[str, str] = {}
    # A share more than ten times the next: "auto" states it as a number and draws the rest.
    set_apart: Literal["auto", "never"] = "auto"


class TableSettings(Settings):
    table: str
    rows: str
    columns: str | None = None
    values: list[str] | None = None
    totals: bool = False
    share: bool = False
    share_decimals: Decimals = 1
    caption: str | None = None
    note: str | None = None
    # Where the table is printed: "auto" moves it to the data appendix when a chart in its section
    # already shows its data (one presentation per dataset), "inline" keeps it where it is placed.
    placement: Literal["auto", "inline", "appendix"] = "auto"
    # Row order: as in the data, or largest first; unset follows the chart that shows the data.
    sort: Literal["data", "descending"] | None = None


class HeadlineSettings(Settings):
    value: str
    label: str
    source: str = ""
    section: str = ""


class DeckSettings(Settings):
    sections: list[str] | None = None
    charts: list[str] | None = None
    tables: list[str] | None = None
    max_table_rows: Annotated[int, Field(ge=1, le=40)] = 8
    closing: str | None = None


class ConsistencySettings(Settings):
    """Figures that count the same thing in different places must agree, every year."""

    what: str  # what they all count, for the message
    same: Annotated[list[str], Field(min_length=2)]  # expressions, e.g. "tables.cases_by_type.total()"
    tolerance: Annotated[float, Field(ge=0)] = 0


class CheckSettings(Settings):
    """When a new year's figures look like last year's: more identical facts than either limit warns."""

    stale_facts: Annotated[int, Field(ge=0)] = 5
    stale_share: Annotated[float, Field(ge=0, le=100)] = 20


class BackCoverSettings(Settings):
    """What the back cover says besides the tagline and the website: where to call, how to help."""

    hotline: str = ""  # e.g. "Report a missing child: 1-800-THE-LOST"
    how_to_help: list[str] = []  # Markdown lines, e.g. "[Donate to find missing children](https://…)"


class ReportSettings(Settings):
    title: str
    subtitle: str = ""
    year: Annotated[int, Field(ge=1900, le=2200)]
    published_year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    organisation: str
    tagline: str = ""
    website: WebAddress = ""
    language: Language
    # PDF/UA-2 (PDF 2.0, which also meets WTPDF 1.0 Accessibility and Reuse) or PDF/UA-1 (PDF 1.7,
    # for readers and checkers that do not know PDF 2.0 yet).
    pdf_standard: Literal["ua-1", "ua-2"] = "ua-2"
    author: str
    subject: str
    keywords: list[str] = []
    allowed_in_prose: list[str] = []
    sections: Annotated[list[Ident], Field(min_length=1)]
    headlines: list[HeadlineSettings] = []
    charts: dict[Ident, ChartSettings] = {}
    tables: dict[Ident, TableSettings] = {}
    deck: DeckSettings = DeckSettings()
    consistency: list[ConsistencySettings] = []
    checks: CheckSettings = CheckSettings()
    back_cover: BackCoverSettings = BackCoverSettings()


class SectionSettings(Settings):
    """A section file's front matter."""

    takeaway: str | None = None


# ---------------------------------------------------------------- theme.toml


class FontSettings(Settings):
    family: str
    # Font files are looked up in this installed Python package's files/ folder, or, without a
    # package, relative to the styles folder.
    package: str | None = None
    regular: str
    italic: str | None = None
    semibold: str | None = None
    bold: str | None = None
    bold_italic: str | None = None
    black: str | None = None
    fallback: str = "Arial"


class ColourSettings(Settings):
    background: Colour
    text: Colour
    muted: Colour
    primary: Colour
    accent: Colour
    surface: Colour
    on_primary: Colour
    rule: Colour


class ChartStyle(Settings):
    palette: Annotated[list[Colour], Field(min_length=1)]
    heatmap: Annotated[list[Colour], Field(min_length=2)]
    background: Colour
    grid: Colour
    pdf_width_in: Annotated[float, Field(gt=1, le=12)]
    pdf_font_size: Annotated[float, Field(ge=8, le=24)]
    slide_width_in: Annotated[float, Field(gt=1, le=20)]
    slide_height_in: Annotated[float, Field(gt=1, le=12)]
    slide_font_size: Annotated[float, Field(ge=14, le=48)]
    slide_dpi: Annotated[int, Field(ge=72, le=600)]
    # Geometry, in inches for 10.5 pt type (scaled with the type size): a bar's row, a heatmap's
    # row, and how much of its row a bar fills.
    row_height_in: Annotated[float, Field(gt=0.1, le=1)] = 0.36
    heatmap_row_in: Annotated[float, Field(gt=0.1, le=1)] = 0.42
    bar_width: Annotated[float, Field(gt=0.1, le=1)] = 0.68


# Slide geometry, in points (72 to the inch) unless a name says otherwise. Text sizes have floors
# that are accessibility rules, not style: 18 pt for any slide text, 28 pt for titles.
Distance = Annotated[float, Field(ge=0, le=400)]
TextSize = Annotated[float, Field(ge=18, le=120)]
TitleSize = Annotated[float, Field(ge=28, le=300)]
Share = Annotated[float, Field(gt=0, lt=1)]


class BarStyle(Settings):
    """A short decorative bar in the accent colour (screen readers skip it)."""

    width: Annotated[float, Field(gt=0, le=400)]
    height: Annotated[float, Field(gt=0, le=40)]
    gap: Distance  # from the title it marks


class CoverStyle(Settings):
    title_size: TitleSize = 54
    subtitle_size: TextSize = 30
    footer_size: TextSize = 24  # organisation and year
    top: Share = 0.30  # where the title starts, as a share of the slide's height
    subtitle_gap: Distance = 12
    footer_gap: Distance = 40  # at least this much between the subtitle and the footer
    footer_bottom: Distance = 140  # the footer starts no higher than this above the bottom edge


class DividerStyle(Settings):
    title_size: TitleSize = 48


class PointsStyle(Settings):
    spacing: Annotated[float, Field(ge=0, le=3)] = 0.8  # space between points, in lines of their size
    indent: Annotated[float, Field(ge=0.5, le=3)] = 1.1  # bullet indent, in ems of their size


class NumberStyle(Settings):
    """One big number: the value, its label under it, its source under that."""

    label_size: TitleSize = 32  # the label is part of the slide's title
    label_gap: Distance = 6
    source_gap: Distance = 28


class FiguresStyle(Settings):
    """Two or three big numbers side by side, each with its label; also the figure beside a chart."""

    value_size: TitleSize = 72
    label_size: TextSize = 24
    label_gap: Distance = 6
    column_gap: Distance = 36
    per_slide: Annotated[int, Field(ge=1, le=4)] = 3  # at most this many side by side
    chart_share: Share = 0.28  # width of the figure column beside a chart, as a share of the content


class ChartSlideStyle(Settings):
    source_gap: Distance = 8  # between the chart and its source line
    row_pitch: Annotated[float, Field(ge=1.5, le=6)] = 2.6  # height a bar gets, in lines of chart type
    axis_room: Annotated[float, Field(ge=2, le=10)] = 5  # height the value axis and its name get, in lines


class TableSlideStyle(Settings):
    text_size: TextSize = 20
    cell_margin_x: Distance = 7.2
    cell_margin_y: Distance = 4
    column_air: Distance = 18  # added to each column when the table has the room
    header_rule: Annotated[float, Field(gt=0, le=12)] = 1.5
    row_rule: Annotated[float, Field(gt=0, le=12)] = 0.75
    note_gap: Distance = 10


class ClosingStyle(Settings):
    title_size: TitleSize = 44
    line_size: TextSize = 26
    gap: Distance = 28


class SlideStyle(Settings):
    width_in: Annotated[float, Field(gt=1, le=60)]
    height_in: Annotated[float, Field(gt=1, le=60)]
    title_size: TitleSize
    title_lines: Annotated[int, Field(ge=1, le=4)] = 2  # a title may shrink (never under 28 pt) to fit these
    body_size: TextSize
    points_size: TextSize | None = None  # the key points; default a third larger than body_size
    big_number_size: TitleSize
    note_size: Annotated[float, Field(ge=8, le=48)]
    background: Colour
    title_color: Colour
    text_color: Colour
    divider_background: Colour
    divider_text: Colour
    accent: Colour
    template: str = "deck-template.pptx"
    margin: Distance = 44  # left and right
    title_top: Distance = 30
    title_gap: Distance = 28  # between a title and what follows; the title bar sits in it
    bottom: Distance = 26  # nothing is drawn closer than this to the bottom edge
    title_bar: BarStyle = BarStyle(width=72, height=5, gap=9)  # under a content slide's title
    opener_bar: BarStyle = BarStyle(width=96, height=8, gap=24)  # above a cover, divider or closing title
    cover: CoverStyle = CoverStyle()
    divider: DividerStyle = DividerStyle()
    points: PointsStyle = PointsStyle()
    number: NumberStyle = NumberStyle()
    figures: FiguresStyle = FiguresStyle()
    chart: ChartSlideStyle = ChartSlideStyle()
    table: TableSlideStyle = TableSlideStyle()
    closing: ClosingStyle = ClosingStyle()


class PageStyle(Settings):
    size: Literal["letter", "A4"] = "letter"
    margin_top_in: Annotated[float, Field(ge=0.3, le=2)]
    margin_bottom_in: Annotated[float, Field(ge=0.3, le=2)]
    margin_side_in: Annotated[float, Field(ge=0.3, le=2)]
    main_column_in: Annotated[float, Field(ge=3, le=7)]
    gutter_in: Annotated[float, Field(ge=0, le=1)]
    body_size: Annotated[float, Field(ge=10, le=14)]

    @property
    def width_in(self) -> float:
        return 8.5 if self.size == "letter" else 8.27

    @property
    def height_in(self) -> float:
        return 11.0 if self.size == "letter" else 11.69

    @property
    def text_width_in(self) -> float:
        return self.width_in - 2 * self.margin_side_in

    @property
    def side_column_in(self) -> float:
        return self.text_width_in - self.main_column_in - self.gutter_in


class DarkColours(Settings):
    """The web edition's colours when the reader's system is set to dark: the roles of [colors]
    that are drawn on a dark background. Charts keep their own colours, on a light card."""

    background: Colour = "#12161F"
    text: Colour = "#E8ECF2"
    muted: Colour = "#B9C1CD"
    primary: Colour = "#9CC8F5"  # headings and links
    accent: Colour = "#F4A877"  # big numbers
    surface: Colour = "#1D2533"  # table headers, the contents
    rule: Colour = "#6B7A90"


class WebStyle(Settings):
    """The web edition: a reading column of a comfortable measure, and its dark colours."""

    measure_em: Annotated[float, Field(ge=25, le=50)] = 38  # the text column, in ems (60-75 characters)
    wide_em: Annotated[float, Field(ge=30, le=80)] = 48  # charts and tables
    dark: DarkColours = DarkColours()


class ThemeSettings(Settings):
    font: FontSettings
    colors: ColourSettings
    page: PageStyle
    chart: ChartStyle
    slides: SlideStyle
    web: WebStyle = WebStyle()

    @model_validator(mode="after")
    def _figures_fit(self) -> ThemeSettings:
        if self.chart.pdf_width_in > self.page.text_width_in + 0.01:
            raise ValueError(
                f"chart.pdf_width_in = {self.chart.pdf_width_in} is wider than the text column "
                f"({self.page.text_width_in:.2f} in)"
            )
        if self.page.side_column_in < 1.2:
            raise ValueError("page.main_column_in leaves less than 1.2 in for the side column")
        return self


# ---------------------------------------------------------------- reading and messages

# What each kind of mistake means to someone editing a TOML file.
_TYPE_WORDS = {
    "bool_type": "write true or false, without quotes",
    "int_type": "write a whole number, without quotes",
    "float_type": "write a number, without quotes",
    "string_type": 'write text in quotes, e.g. "…"',
    "list_type": 'write a list in square brackets, e.g. ["a", "b"]',
    "dict_type": "write a table of settings",
    "model_type": "write a table of settings",
    "model_attributes_type": "write a table of settings",
}


def _key_name(loc: tuple) -> str:
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(part if re.fullmatch(r"[A-Za-z0-9_]+", part) else f'"{part}"')
    return ".".join(parts)


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed in the table at `loc` (for "did you mean")."""
    current: object = model
    for part in loc:
        current = _inner(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            current = field.annotation if field else None
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return []
    current = _inner(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner(annotation: object) -> object:
    """The type inside Annotated[...] and X | None."""
    while get_origin(annotation) in (Annotated, Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0]
    return annotation


def _message(error: dict, model: type[BaseModel], file_name: str) -> tuple[str, str | None]:
    loc = tuple(error["loc"])
    # Pydantic adds the type name to the location of union members and validators; drop those.
    loc = tuple(
        p for p in loc if isinstance(p, int) or not re.match(r"^(function-|constrained-|int$|float$)", p)
    )
    kind = error["type"]
    key = _key_name(loc)
    given = error.get("input")
    if kind == "missing":
        table = _key_name(loc[:-1])
        where = f"[{table}]" if table else file_name
        return f"{where} has no {loc[-1]!r}, which is required", f"add a line: {loc[-1]} = …"
    if kind == "extra_forbidden":
        parent = loc[:-1]
        allowed = _allowed_keys(model, parent)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        where = f"[{_key_name(parent)}]" if parent else file_name
        hint = f"did you mean {close[0]!r}?" if close else "allowed here: " + ", ".join(allowed)
        return f"unknown setting {loc[-1]!r} in {where}", hint
    if kind in _TYPE_WORDS:
        return f"{key} = {_shown(given)}: {_TYPE_WORDS[kind]}", None
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{key} = {_shown(given)} is not allowed", f"use one of: {expected}"
    if kind == "string_pattern_mismatch":
        if loc and loc[0] == "website":
            return (
                f"website = {_shown(given)} is not a web address",
                "write it in full: https://www.example.org",
            )
        if loc and loc[0] in ("sections", "charts", "tables"):
            return (
                f"{key} = {_shown(given)}: a name here may hold only lower-case letters, digits, '-' and '_'",
                "it names a file or a chart in this folder; paths such as '../' are not allowed",
            )
        if re.search(r"colou?rs?|palette|heatmap|background|grid|accent|color", key):
            return f"{key} = {_shown(given)} is not a colour", 'write a hex colour such as "#0B3D6B"'
        return f"{key} = {_shown(given)} does not have the expected form", None
    if kind == "value_error" and loc and loc[-1] == "language":
        return (
            f"language = {_shown(given)} is not a language tag",
            'write a BCP 47 language tag such as "en-US", "en-GB", "fr" or "es-MX"',
        )
    if kind in (
        "greater_than_equal",
        "less_than_equal",
        "greater_than",
        "less_than",
        "too_short",
        "too_long",
    ):
        return f"{key} = {_shown(given)}: {error['msg'].lower()}", None
    return f"{key}: {error['msg']}", None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def read_toml(path: Path) -> tuple[dict, str]:
    """A TOML file's data and its text; a syntax error is a located mistake. A byte-order mark is
    accepted, as editors on Windows often write one."""
    if not path.is_file():
        raise ContentError(path, f"{path.name} is missing")
    text = read_utf8(path, bom=True)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ContentError(
            path,
            f"{path.name} is not valid TOML: {str(e).split(' (at')[0]}",
            line=int(m.group(1)) if m else None,
            hint="check quotes, brackets and commas on that line",
        ) from None


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: dict, text: str, path: Path) -> M:
    """The settings as a typed object, or every mistake in the file, each on its key's own line."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        lines = key_lines(text)
        errors = []
        for error in e.errors(include_url=False):
            message, hint = _message(error, model, path.name)
            loc = tuple(p for p in error["loc"] if isinstance(p, int) or p in _all_keys(data, error["loc"]))
            errors.append(ContentError(path, message, line=line_of(lines, loc), hint=hint))
        errors.sort(key=lambda err: err.line or 0)
        raise ContentErrors(errors) from None


def _all_keys(data: object, loc: tuple) -> set:
    """Keys present along `loc` in the data (pydantic inserts type names into some locations)."""
    found = set()
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            found.add(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
    return found
