"""The report as one immutable object: what every renderer (PDF, deck) receives.

Renderers never read files; they read this model. Everything here is already validated and every
number already bound, so a renderer only decides how things look.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from markdown_it.token import Token

from .errors import ContentError
from .formatting import Percent
from .text import parse


@dataclass(frozen=True)
class Field:
    """One column of a data table, as its Table Schema describes it."""

    name: str
    type: str  # "string", "integer" or "number"
    title: str
    description: str = ""
    unit: str = ""
    required: bool = True
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    pattern: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in ("integer", "number")


@dataclass(frozen=True)
class DataTable:
    """A validated tidy table: typed rows, in file order, with the schema that describes them."""

    name: str
    title: str
    description: str
    source: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    rows: tuple[tuple, ...]
    path: Path  # the CSV file, or the workbook
    lines: tuple[int, ...] = ()  # the file line (a workbook: the sheet row) of each row, for messages
    figures: int = 0  # required numbers the file holds (filled in), for the new-year checklist
    sheet: str | None = None  # the workbook's sheet that holds the table
    schema: Path | None = None  # the schema file (NAME.schema.json beside a CSV when not given)

    @property
    def schema_path(self) -> Path:
        return self.schema or self.path.with_name(f"{self.path.stem}.schema.json")

    @property
    def shown(self) -> str:
        """Where the table is, in words: `cases.csv` or `data.xlsx, sheet 'cases'`."""
        return self.path.name if self.sheet is None else f"{self.path.name}, sheet '{self.sheet}'"

    def place_of_row(self, index: int) -> str:
        """A row's place in words: `line 4 of cases.csv` or `row 4 of data.xlsx, sheet 'cases'`."""
        number = self.lines[index] if self.lines else index + 2
        return f"{'line' if self.sheet is None else 'row'} {number} of {self.shown}"

    def error(self, message: str, *, row: int | None = None, hint: str | None = None) -> ContentError:
        """A mistake in the table, or in its row number `row` (0 for the first data row)."""
        number = None if row is None else self.lines[row] if self.lines else row + 2
        return ContentError.at(self.path, message, sheet=self.sheet, row=number, hint=hint)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def column(self, name: str) -> list:
        i = self._index(name)
        return [row[i] for row in self.rows]

    @property
    def dimensions(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.is_numeric)

    @property
    def measures(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_numeric)

    def categories(self, name: str) -> list[str]:
        """Distinct values of a column in display order: the schema's enum order, else file order."""
        present = list(dict.fromkeys(self.column(name)))
        enum = self.field(name).enum
        if enum:
            return [v for v in enum if v in present]
        return present

    def _index(self, name: str) -> int:
        for i, f in enumerate(self.fields):
            if f.name == name:
                return i
        known = ", ".join(f.name for f in self.fields)
        raise KeyError(f"table {self.name!r} has no column {name!r} (columns: {known})")

    def _measure(self, measure: str | None) -> str:
        if measure is not None:
            self._index(measure)
            if not self.field(measure).is_numeric:
                names = ", ".join(f.name for f in self.measures)
                raise KeyError(f"column {measure!r} of table {self.name!r} is not numeric (numeric: {names})")
            return measure
        numeric = self.measures
        if len(numeric) != 1:
            names = ", ".join(f.name for f in numeric)
            raise KeyError(f"table {self.name!r} has several numeric columns ({names}); name one")
        return numeric[0].name

    def matching(self, where: dict[str, str]) -> list[tuple]:
        indexed = [(self._index(k), v) for k, v in where.items()]
        for k, v in where.items():
            if v not in self._values[k]:
                raise KeyError(f"table {self.name!r} has no row with {k} = {v!r}")
        if not indexed:
            return list(self.rows)
        return [row for row in self.rows if all(row[i] == v for i, v in indexed)]

    @cached_property
    def _values(self) -> dict[str, frozenset]:
        """Each column's distinct values, to look a row up by without walking the table each time."""
        return {f.name: frozenset(self.column(f.name)) for f in self.fields}

    def total(self, measure: str | None = None, **where: str) -> int | float:
        """Sum of a numeric column over the rows matching `where` (all rows when empty)."""
        name = self._measure(measure)
        m = self._index(name)
        result = sum(row[m] for row in self.matching(where))
        return Percent(result) if self.field(name).unit == "percent" else result

    def share(self, measure: str | None = None, **where: str) -> float:
        """The matching rows' percentage (0–100) of the column's grand total."""
        measure = self._measure(measure)
        whole = self.total(measure)
        return Percent(100.0 * self.total(measure, **where) / whole if whole else 0.0)

    def value(self, measure: str | None = None, **where: str) -> int | float:
        """The value of exactly one matching row."""
        rows = self.matching(where)
        if len(rows) != 1:
            raise KeyError(f"table {self.name!r}: {len(rows)} rows match {where}, expected one")
        name = self._measure(measure)
        value = rows[0][self._index(name)]
        return Percent(value) if self.field(name).unit == "percent" else value


@dataclass(frozen=True)
class Fact:
    """A stand-alone figure from facts.csv, such as the number of hotline calls."""

    key: str
    value: int | float
    unit: str
    description: str
    fixed: bool = False  # a date or definition that does not change from year to year


@dataclass(frozen=True)
class Series:
    """The numbers a chart draws: labelled values, already aggregated and ordered."""

    labels: tuple[str, ...]
    values: tuple[float, ...]
    group_labels: tuple[str, ...] = ()  # heatmap columns; empty for a simple series
    matrix: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart declared in report.toml, with its data and its words (title, alt text, caption)."""

    id: str
    kind: str  # "bar" or "heatmap"
    title: str
    table: str
    series: Series
    value_label: str  # axis title, e.g. "Children"
    unit: str  # "children", "percent" …
    alt: str
    alt_by_author: bool
    caption: str
    scale: str = "linear"  # or "log"
    note: str = ""  # e.g. "Top 15 of 54 states and territories; all are in the table."
    show_share: bool = False
    short_labels: dict[str, str] = field(default_factory=dict, hash=False)  # long category → chart label
    share_decimals: int = 1
    sorted: bool = False  # bars ordered largest first
    whole: float = 0.0  # the total the shares are of (every category, drawn or not)
    apart: tuple[str, float] | None = None  # a category too large to draw beside the rest: stated
    stacked: bool = False  # two parts of a whole: one bar in two segments


@dataclass(frozen=True)
class Cell:
    """A table cell as printed, with the number behind it (None for a row header)."""

    text: str
    value: float | None = None

    @property
    def numeric(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class TableView:
    """A data table laid out for reading: caption, header row, row headers, body and total row."""

    id: str
    caption: str
    table: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]  # first cell of each row is its row header
    totals: tuple[Cell, ...] | None
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Prose:
    """A run of narrative Markdown with every data expression already replaced by its value, and
    its tokens: parsed once here, read by every renderer (which never changes them)."""

    markdown: str
    tokens: tuple[Token, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.tokens:
            object.__setattr__(self, "tokens", parse(self.markdown))


@dataclass(frozen=True)
class ChartRef:
    chart_id: str


@dataclass(frozen=True)
class TableRef:
    table_id: str


@dataclass(frozen=True)
class KeyFigure:
    """A big number with a short label: the figure a reader should take away from a section."""

    value: str  # formatted, e.g. "110,153"
    label: str  # about 8 words, e.g. "calls answered by our call center"


Block = Prose | ChartRef | TableRef | KeyFigure


@dataclass(frozen=True)
class Image:
    """A picture placed in the narrative: a checked file in the content's images/ folder."""

    src: str  # as written in the Markdown
    path: Path  # the resolved file
    alt: str  # what it shows, for screen readers; empty when decorative
    decorative: bool = False
    width: float = 0.0  # intrinsic size in CSS px (decorative images are drawn to this ratio)
    height: float = 0.0


@dataclass(frozen=True)
class Section:
    """One Markdown file: a chapter opener (level 1) or a section inside a chapter (level 2)."""

    id: str
    title: str
    level: int
    blocks: tuple[Block, ...]
    path: Path
    images: dict[str, Image] = field(default_factory=dict, hash=False)  # src as written → image
    takeaway: str = ""  # the one sentence the section should leave (a slide's title)
    notes: tuple[Prose, ...] = ()  # what a presenter says over it, never printed

    @property
    def key_figures(self) -> tuple[KeyFigure, ...]:
        return tuple(b for b in self.blocks if isinstance(b, KeyFigure))

    @property
    def chart_ids(self) -> tuple[str, ...]:
        return tuple(b.chart_id for b in self.blocks if isinstance(b, ChartRef))

    @property
    def table_ids(self) -> tuple[str, ...]:
        return tuple(b.table_id for b in self.blocks if isinstance(b, TableRef))


T = TypeVar("T", bound="HasLevel")


class HasLevel(Protocol):
    level: int


@dataclass(frozen=True)
class Chapter(Generic[T]):
    """A chapter opener (level 1) and the sections inside it, in reading order."""

    opener: T
    sections: tuple[T, ...] = ()


def chapters_of(sections: Sequence[T]) -> list[Chapter[T]]:
    """Group sections under the chapter opener before them (the first one opens a chapter anyway)."""
    chapters: list[Chapter[T]] = []
    for s in sections:
        if s.level == 1 or not chapters:
            chapters.append(Chapter(s))
        else:
            chapters[-1] = Chapter(chapters[-1].opener, (*chapters[-1].sections, s))
    return chapters


def number_tables(sections: Sequence[Section], appendix: Sequence[str]) -> dict[str, str]:
    """Table id → its number: 1, 2 … in reading order, then A1, A2 … in the data appendix."""
    inline = (t for s in sections for t in s.table_ids)
    numbers = {t: str(n) for n, t in enumerate(inline, start=1)}
    numbers.update({t: f"A{n}" for n, t in enumerate(appendix, start=1)})
    return numbers


@dataclass(frozen=True)
class Headline:
    """A headline number for the 'at a glance' page and a big-number slide."""

    value: str  # formatted, e.g. "32,059,029"
    label: str
    source: str
    section: str


@dataclass(frozen=True)
class DeckPlan:
    """What the deck shows, from report.toml's [deck] table (defaults when absent)."""

    sections: tuple[str, ...]
    charts: tuple[str, ...]
    tables: tuple[str, ...]
    max_table_rows: int
    closing: str


@dataclass(frozen=True)
class ReportMeta:
    title: str
    subtitle: str
    year: int
    published_year: int
    organisation: str
    language: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    tagline: str = ""
    website: str = ""
    hotline: str = ""  # the back cover's call to action (Markdown)
    how_to_help: tuple[str, ...] = ()  # the back cover's links (Markdown)
    nobreak: tuple[str, ...] = ()  # phrases never broken across lines (a phone number)
    pdf_standard: str = "ua-2"  # "ua-1" or "ua-2"

    @property
    def website_name(self) -> str:
        """The website as people say it: "missingkids.org"."""
        return re.sub(r"^https?://(www\.)?|/$", "", self.website)


@dataclass(frozen=True)
class Report:
    """Everything a renderer needs, validated and bound."""

    meta: ReportMeta
    sections: tuple[Section, ...]
    tables: dict[str, DataTable] = field(hash=False)
    facts: dict[str, Fact] = field(hash=False)
    charts: dict[str, Chart] = field(hash=False)
    table_views: dict[str, TableView] = field(hash=False)
    headlines: tuple[Headline, ...]
    deck: DeckPlan
    content_dir: Path | None = None
    styles_dir: Path | None = None
    appendix: tuple[str, ...] = ()  # table views printed in the data appendix, in order
    chart_data: dict[str, str] = field(default_factory=dict, hash=False)  # chart id → its data's table view

    @property
    def chapters(self) -> list[Chapter[Section]]:
        return chapters_of(self.sections)

    @cached_property
    def figure_numbers(self) -> dict[str, str]:
        """Chart id → its figure number, in reading order: the PDF prints it, the deck refers to it."""
        return {c: str(n) for n, c in enumerate((c for s in self.sections for c in s.chart_ids), start=1)}

    @cached_property
    def table_numbers(self) -> dict[str, str]:
        """Table id → its number: 1, 2 … in reading order, then A1, A2 … in the data appendix."""
        return number_tables(self.sections, self.appendix)

    @cached_property
    def data_chart(self) -> dict[str, str]:
        """Table view id → the chart that shows its data (the other way round from chart_data)."""
        return {view: chart for chart, view in self.chart_data.items()}

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)
