"""Validate data files against their schemas and published control totals, before anything renders.

A data mistake must never turn into a silently different number, so every check here names the file,
the line and the column, what it found, and what it expected. Schemas follow the Frictionless Table
Schema format (fields, types, constraints, primaryKey); we check the subset the reports use, with
error messages written for spreadsheet users.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import ascii_uppercase
from typing import Protocol

from .errors import ContentError, ContentErrors, MissingFigures, read_utf8
from .formatting import rounded
from .model import DataTable, Field
from .paths import Resolver

MAX_ERRORS_PER_FILE = 20
MAX_TABLE_BYTES = 20_000_000  # a yearly report's table is kilobytes; this stops a runaway export
MAX_DIGITS = 15  # beyond this a float cannot hold every digit, and no report counts that high
INTEGER = re.compile(r"^[+-]?\d+$")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def cell_name(column_index: int, line: int) -> str:
    """Spreadsheet-style cell reference (C6) so an editor can jump straight to the cell."""
    letters, n = "", column_index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = ascii_uppercase[r] + letters
    return f"{letters}{line}"


def read_schema(path: Path, resolver: Resolver) -> dict:
    if not path.exists() and not path.is_symlink():
        raise ContentError(
            path,
            "the schema file is missing",
            hint=f"every data table needs a schema beside it: create {path.name}",
        )
    path = resolver.file(path, what="schema")
    try:
        schema = json.loads(read_utf8(path, bom=True))
    except json.JSONDecodeError as e:
        raise ContentError(path, f"the schema is not valid JSON: {e.msg}", line=e.lineno) from None
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise ContentError(path, 'the schema needs a "fields" list describing each column')
    return schema


def fields_from_schema(schema: dict, path: Path) -> tuple[Field, ...]:
    fields = []
    for i, spec in enumerate(schema["fields"]):
        if not isinstance(spec, dict) or "name" not in spec:
            raise ContentError(path, f'field number {i + 1} has no "name"')
        ftype = spec.get("type", "string")
        if ftype not in ("string", "integer", "number"):
            raise ContentError(
                path, f'field "{spec["name"]}" has type "{ftype}"', hint='use "string", "integer" or "number"'
            )
        c = spec.get("constraints", {})
        fields.append(
            Field(
                name=spec["name"],
                type=ftype,
                title=spec.get("title", spec["name"]),
                description=spec.get("description", ""),
                unit=spec.get("unit", ""),
                required=bool(c.get("required", False)),
                enum=tuple(c.get("enum", ())),
                minimum=c.get("minimum"),
                pattern=c.get("pattern"),
            )
        )
    return tuple(fields)


class _Empty(Exception):
    """A required number not filled in yet: goes on the checklist, not in the error list."""


Fail = Callable[..., ContentError]  # fail(message, hint=None): an error placed at one cell


def _parse_cell(text: str, f: Field, fail: Fail) -> object:
    """Turn one cell's text into a typed value or raise an error naming the cell."""
    if text == "" and f.required and f.is_numeric:
        raise _Empty()
    if text == "":
        if f.required:
            hint = "fill in the cell; every row needs a value here"
            raise fail(f"the {f.title.lower()} is empty", hint=hint)
        return None
    if f.type == "integer":
        if not INTEGER.match(text):
            hint = "write whole numbers without thousands separators or decimals, e.g. 2999"
            if re.fullmatch(r"[+-]?\d{1,3}([,.\s]\d{3})+", text):
                digits = re.sub(r"[,.\s]", "", text)
                hint = f"remove the thousands separators: write {digits}"
            raise fail(f"found {text!r} where a whole number was expected", hint=hint)
        if len(text.lstrip("+-")) > MAX_DIGITS:
            raise fail(
                f"found a {len(text.lstrip('+-'))}-digit number where a count was expected",
                hint="check the cell: no count in a report has more than 15 digits",
            )
        value: object = int(text)
    elif f.type == "number":
        if not NUMBER.match(text):
            hint = "write a plain number with a dot for decimals and no % sign, e.g. 38.22"
            raise fail(f"found {text!r} where a number was expected", hint=hint)
        digits = len(re.sub(r"[eE].*|[^0-9]", "", text).lstrip("0"))
        if digits > MAX_DIGITS:
            raise fail(
                f"found a number with {digits} digits, more than a report can print exactly",
                hint="check the cell: round it to at most 15 significant digits",
            )
        value = float(text) if any(ch in text for ch in ".eE") else int(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(f"found {text!r} where a number was expected")
    else:
        value = text
        if f.enum and text not in f.enum:
            close = difflib.get_close_matches(text, f.enum, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else "use one of: " + ", ".join(repr(v) for v in f.enum)
            )
            hint += " (new categories are added to the list in the schema file)"
            raise fail(f"{text!r} is not a known {f.title.lower()}", hint=hint)
        if f.pattern and not re.fullmatch(f.pattern, text):
            raise fail(f"{text!r} does not have the expected form ({f.description or f.pattern})")
    if f.minimum is not None and isinstance(value, (int, float)) and value < f.minimum:
        raise fail(
            f"found {text}, below the smallest allowed value {f.minimum:g}",
            hint="check the figure (the smallest value is set in the schema file)",
        )
    return value


# --- where a table's rows come from: a CSV file or a workbook's sheet -------------------------------


@dataclass
class TableSource:
    """The file (and sheet) holding one table, and its schema: every message about the table's
    cells is placed from here, by line in a CSV, by sheet and cell in a workbook."""

    name: str
    path: Path  # the CSV file or the workbook
    schema: Path
    sheet: str | None = None  # the sheet's name as on its tab, for a workbook
    book: object = None  # the open workbook (workbook.Book), for a sheet

    @property
    def shown(self) -> str:
        return self.path.name if self.sheet is None else f"{self.path.name}, sheet '{self.sheet}'"

    def error(
        self,
        message: str,
        *,
        row: int | None = None,
        cell: str | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> ContentError:
        return ContentError.at(
            self.path, message, sheet=self.sheet, row=row, cell=cell, column=column, hint=hint
        )

    def row_name(self, row: int) -> str:
        return f"line {row}" if self.sheet is None else f"row {row}"

    def checklist_place(self, row: int, cell: str) -> tuple[Path | str, str]:
        """(group, where) of an empty figure on the new-year checklist."""
        if self.sheet is None:
            return self.path, f"line {row}, cell {cell}"
        return f"{self.path}, sheet '{self.sheet}'", f"cell {cell}"


class RawCell(Protocol):
    """One cell as read, before typing."""

    coordinate: str  # as the spreadsheet names it: C4

    def text(self, f: Field, percent: bool, fail: Fail) -> str:
        """The cell's value written as a CSV would hold it ("" when empty), for the one typing path
        both kinds of file share; or an error of the cell's own (a workbook's error cell …).
        `percent`: the cell is in a column (or row) whose unit is percent."""
        ...


@dataclass(frozen=True)
class TextCell:
    """A CSV cell: its text is its value."""

    value: str
    coordinate: str

    def text(self, f: Field, percent: bool, fail: Fail) -> str:
        return self.value


@dataclass(frozen=True)
class RawRow:
    number: int  # the CSV line or the sheet row
    cells: tuple[RawCell, ...]  # one per header column


@dataclass
class Grid:
    """A table as read from its file, not yet typed: the header's names, and the rows (with the
    file's own structural mistakes among them, in order)."""

    header: list[str]
    header_row: int
    rows: Iterable[RawRow | ContentError]


def read_table(
    source: TableSource | Path,
    resolver: Resolver,
    figures_in: set[str] | None = None,
    *,
    allow_empty: bool = False,
) -> DataTable:
    """Read one table (a CSV file, or a workbook's sheet) with its schema into a validated
    DataTable. `figures_in` names the columns that hold the year's figures, for the checklist's
    count (all numeric columns when not given)."""
    if isinstance(source, Path):
        source = TableSource(source.stem, source, source.with_name(f"{source.stem}.schema.json"))
    schema = read_schema(source.schema, resolver)
    fields = fields_from_schema(schema, source.schema)
    if source.sheet is None:
        grid = _csv_grid(source, resolver, [f.name for f in fields])
    else:
        from .workbook import sheet_grid  # openpyxl is loaded only for a year with a workbook

        grid = sheet_grid(source)
    return _typed(source, schema, fields, grid, figures_in, allow_empty)


def _csv_grid(source: TableSource, resolver: Resolver, names: list[str]) -> Grid:
    csv_path = source.path
    real = resolver.file(csv_path, what="data file")
    if real.stat().st_size > MAX_TABLE_BYTES:
        raise ContentError(
            csv_path,
            f"the file is {real.stat().st_size / 1e6:.0f} MB; a data table may be at most "
            f"{MAX_TABLE_BYTES / 1e6:.0f} MB",
            hint="a report needs the figures it prints: aggregate the data before it goes here",
        )
    text = read_utf8(real, bom=True)
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ContentError(
            csv_path, "the file is empty", hint="the first line must name the columns: " + ",".join(names)
        ) from None
    header = [h.strip() for h in header]
    # Spreadsheets often save empty columns after the last one; they carry nothing, so drop them
    # (a value in such a column is still an error below).
    blank_tail = 0
    while len(header) > 1 and header[-1] == "":
        header.pop()
        blank_tail += 1
    if len(header) == 1 and ";" in header[0]:
        raise ContentError(
            csv_path,
            "the header is one cell containing semicolons",
            line=1,
            hint="save the file as CSV with commas as separators (not semicolons)",
        )

    def rows() -> Iterator[RawRow | ContentError]:
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield ContentError(
                    csv_path,
                    f"the line cannot be read as CSV ({e})",
                    line=reader.line_num,
                    hint="check the quotes on this line",
                )
                return
            line = reader.line_num
            if not raw or all(c.strip() == "" for c in raw):
                continue
            if blank_tail and len(raw) > len(header) and all(c.strip() == "" for c in raw[len(header) :]):
                raw = raw[: len(header)]
            if len(raw) != len(header):
                if len(raw) == 1 and ";" in raw[0]:
                    msg, hint = (
                        "the row is one cell containing semicolons",
                        "separate the values with commas, not semicolons",
                    )
                else:
                    msg = f"the row has {len(raw)} values but the header has {len(header)} columns"
                    hint = (
                        "a value containing a comma must be put in double quotes"
                        if len(raw) > len(header)
                        else "fill in every column"
                    )
                yield ContentError(csv_path, msg, line=line, hint=hint)
            else:
                yield RawRow(line, tuple(TextCell(c.strip(), cell_name(i, line)) for i, c in enumerate(raw)))

    return Grid(header, 1, rows())


def _in_percent(f: Field, texts: dict[str, str]) -> bool:
    """Whether the column, in this row, holds percentages (so a workbook's cell formatted as % is
    right here): its unit says so, or a column without a unit takes its row's: the `unit` cell
    (facts, history), or a control total's `share`, which is a percentage."""
    if f.unit:
        return f.unit == "percent"
    if "unit" in texts:
        return texts["unit"] == "percent"
    return texts.get("aggregate") == "share"


def _typed(
    source: TableSource,
    schema: dict,
    fields: tuple[Field, ...],
    grid: Grid,
    figures_in: set[str] | None,
    allow_empty: bool,
) -> DataTable:
    """The one validation path of every table, whatever file it came from: the header against the
    schema, each cell typed and checked, empty figures gathered for the checklist, duplicates."""
    names = [f.name for f in fields]
    header = grid.header
    missing_cols = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    if missing_cols or extra:
        parts = []
        if missing_cols:
            parts.append("missing column(s) " + ", ".join(repr(m) for m in missing_cols))
        if extra:
            parts.append("unexpected column(s) " + ", ".join(repr(x) for x in extra))
        if source.sheet is None:
            hint = "the header must be exactly: " + ",".join(names)
        else:
            hint = "the first row of the sheet must name the columns: " + ", ".join(names)
        raise source.error(
            "; ".join(parts), row=grid.header_row, hint=f"{hint} (as described in {source.schema.name})"
        )
    order = [header.index(n) for n in names]
    strings = [i for i, f in enumerate(fields) if not f.is_numeric]
    numbers = [i for i, f in enumerate(fields) if f.is_numeric]

    errors: list[ContentError] = []
    rows: list[tuple] = []
    row_lines: list[int] = []
    figures = 0  # required numbers in the file, for the checklist's count
    missing: list[tuple[Path | str, str, str]] = []
    seen_keys: dict[tuple, int] = {}
    key_idx = [names.index(k) for k in schema.get("primaryKey", [])]
    for raw in grid.rows:
        if isinstance(raw, ContentError):
            errors.append(raw)
            if len(errors) >= MAX_ERRORS_PER_FILE:
                break
            continue
        line = raw.number
        values: list[object] = [None] * len(fields)
        texts: dict[str, str] = {}
        ok = True
        empty: list[str] = []
        for i in strings + numbers:  # text first: a number's unit may be named in its row
            f, cell = fields[i], raw.cells[order[i]]

            def fail(message: str, hint: str | None = None, f=f, cell=cell, line=line) -> ContentError:
                return source.error(message, row=line, cell=cell.coordinate, column=f.name, hint=hint)

            try:
                texts[f.name] = cell.text(f, f.is_numeric and _in_percent(f, texts), fail)
                values[i] = _parse_cell(texts[f.name], f, fail)
            except _Empty:
                empty.append(cell.coordinate)
            except ContentError as e:
                errors.append(e)
                ok = False
        figures += sum(
            1 for f in fields if f.required and f.is_numeric and (figures_in is None or f.name in figures_in)
        )
        if empty:
            keys = set(schema.get("primaryKey", [])) or {f.name for f in fields if not f.is_numeric}
            label = " / ".join(str(v) for f, v in zip(fields, values) if f.name in keys and v)
            label = label or source.row_name(line)
            for cell in empty:
                group, where = source.checklist_place(line, cell)
                missing.append((group, label, where))
        elif ok:
            key = tuple(values[i] for i in key_idx)
            if key_idx and key in seen_keys:
                label = ", ".join(f"{names[i]}={values[i]!r}" for i in key_idx)
                errors.append(
                    source.error(
                        f"duplicate row for {label}",
                        row=line,
                        hint=f"{source.row_name(seen_keys[key])} already has it; keep one",
                    )
                )
            seen_keys.setdefault(key, line)
            rows.append(tuple(values))
            row_lines.append(line)
        if len(errors) >= MAX_ERRORS_PER_FILE:
            break
    if errors:
        raise ContentErrors(errors)
    if missing:
        raise MissingFigures(missing, figures - len(missing), figures)
    if not rows and not allow_empty:
        raise source.error("the table has a header but no rows")
    return DataTable(
        name=source.name,
        title=schema.get("title", source.name),
        description=schema.get("description", ""),
        source=schema.get("source", ""),
        fields=fields,
        primary_key=tuple(schema.get("primaryKey", [])),
        rows=tuple(rows),
        path=source.path,
        lines=tuple(row_lines),
        figures=figures,
        sheet=source.sheet,
        schema=source.schema,
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def check_controls(tables: dict[str, DataTable], controls: DataTable) -> None:
    """Compare every published total and percentage with the one computed from the data."""
    errors: list[ContentError] = []
    names = [f.name for f in controls.fields]
    for index, row in enumerate(controls.rows):
        c = dict(zip(names, row))
        place = f"control total on {controls.place_of_row(index)}"
        table = tables.get(c["table"])
        if table is None:
            errors.append(
                controls.error(
                    f"no data table named {c['table']!r}",
                    row=index,
                    hint="use a table's name (its CSV file name without .csv, or its sheet's name): "
                    + ", ".join(sorted(tables)),
                )
            )
            continue
        where: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in (c["where"] or "").split("&"))):
            key, _, value = part.partition("=")
            where[key.strip()] = value.strip()
        try:
            if c["aggregate"] == "share":
                computed = table.share(c["measure"], **where)
            else:
                computed = table.total(c["measure"], **where)
        except KeyError as e:
            errors.append(controls.error(str(e).strip('"'), row=index))
            continue
        expected = c["expected"]
        tolerance = c["tolerance"] or 0
        if c["aggregate"] == "share":
            decimals = len(str(expected).split(".")[1]) if "." in str(expected) else 0
            differs = (
                rounded(computed, decimals) != rounded(expected, decimals)
                and abs(computed - expected) > tolerance
            )
        else:
            differs = abs(computed - expected) > tolerance
        if differs:
            what = "the grand total" if not where else " & ".join(f"{k} = {v!r}" for k, v in where.items())
            kind = "percentage" if c["aggregate"] == "share" else "total"
            shown_c = f"{computed:.4f}%" if kind == "percentage" else _fmt(computed)
            shown_e = f"{expected}%" if kind == "percentage" else _fmt(expected)
            errors.append(
                table.error(
                    f"table {table.name!r}, {what}, column {c['measure']!r}: the {kind} computed from the "
                    f"data is {shown_c} but the published {kind} is {shown_e}",
                    hint=f"check the numbers in {table.shown}; the published figure is the {place}",
                )
            )
    if errors:
        raise ContentErrors(errors)


def refuse_adding_percentages(table: DataTable, measure: Field, kept: list[str], fail) -> None:
    """Percentages of different groups cannot be added; only a table with no other breakdown may
    be drawn or listed by one column."""
    others = [f.name for f in table.dimensions if f.name not in kept]
    if measure.unit == "percent" and others:
        raise fail(f"{measure.name} is a percentage and would be added up across {', '.join(others)}")
