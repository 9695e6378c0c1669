"""Excel workbooks (.xlsx) as data: a table per sheet, read into the same rows and cells the CSV
reader makes, so one validation path (validate.py) types and checks both, and every message names
the workbook, the sheet and the cell as Excel shows them.

Read with openpyxl (normal mode, cached values, external links never loaded); compared with
python-calamine, it is the one reader that gives a cell's number format (to tell 38% from 0.38),
its formula (to tell a formula without a computed value from an empty cell), error cells (#N/A)
as errors, merged ranges, and sheet visibility, and it can write the workbooks `new --xlsx`
makes. It is imported only when a year has a workbook.

A workbook is a zip of XML parts, so before openpyxl opens anything the zip's directory is checked:
size, number of parts, each part's and all parts' unpacked size (which stops zip bombs: Python's
zipfile never unpacks past the size a part declares), links to other workbooks and data
connections (refused: their values may be stale and would be published unchecked), and XML
entity declarations (which Excel never writes; defusedxml refuses them inside openpyxl too).
"""

from __future__ import annotations

import datetime
import math
import re
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .errors import ContentError
from .model import Field
from .paths import Resolver
from .validate import MAX_TABLE_BYTES, NUMBER, Fail, Grid, RawRow, TableSource

MAX_WORKBOOK_BYTES = MAX_TABLE_BYTES  # on disk, as for a CSV file
MAX_PARTS = 1_000  # a workbook of 16 sheets has about 40 parts
MAX_PART_BYTES = MAX_TABLE_BYTES  # unpacked: a sheet's XML may be as large as a CSV file may be
MAX_UNPACKED_BYTES = 100_000_000  # all parts together
PROLOG_BYTES = 8_192  # where an XML part would declare a DOCTYPE or entities
SHEET_NAME_MAX = 31  # Excel's limit on a sheet's name
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
PLAIN_FORMATS = {"General", "0", "@"}  # formats that show a number as it is stored
AGAIN = "open it in Excel or LibreOffice and save it again as an Excel Workbook (.xlsx)"
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a formula element in a sheet's XML
_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # quoted text, escaped characters, [Red] / [$-409]


def is_percent_format(number_format: str) -> bool:
    """0%, 0.00%, #,##0.0% …; not a % that is only shown as text ("%" or \\%)."""
    return "%" in _LITERAL.sub("", number_format or "")


def sheet_name(table: str, schema: dict) -> str:
    """The sheet a table is read from: the schema's "sheet", else the table's name cut to the 31
    characters Excel allows."""
    return schema.get("sheet") or table[:SHEET_NAME_MAX]


def sheet_key(name: str) -> str:
    """Excel tells sheet names apart without regard to case: so does the build."""
    return name.strip().casefold()


def sheet_name_problem(name: object) -> str | None:
    """Why `name` cannot be a sheet's name, or None."""
    if not isinstance(name, str) or not name.strip():
        return "a sheet name is text of 1 to 31 characters"
    if len(name) > SHEET_NAME_MAX:
        return f"it has {len(name)} characters; Excel allows {SHEET_NAME_MAX}"
    bad = sorted(set(name) & SHEET_NAME_FORBIDDEN)
    if bad or name.startswith("'") or name.endswith("'"):
        return "Excel does not allow " + (" ".join(bad) if bad else "an apostrophe at either end")
    return None


class Book:
    """An open workbook: checked before openpyxl saw it, its cells' cached values loaded, its
    formulas loaded only when an empty-looking cell must be told from a formula without a value."""

    def __init__(self, path: Path, real: Path, values, has_formulas: bool) -> None:
        self.path = path  # as the content names it, for messages
        self.real = real
        self.values = values
        self.has_formulas = has_formulas
        self._formulas = None

    @property
    def worksheets(self) -> list:
        return self.values.worksheets  # chart sheets are not among them

    def formula(self, sheet: str, coordinate: str) -> str | None:
        """The formula in a cell that has no value, if it has one."""
        if not self.has_formulas:
            return None
        if self._formulas is None:
            self._formulas = _load(self.path, self.real, data_only=False)
        cell = self._formulas[sheet][coordinate]
        if cell.data_type != "f":
            return None
        return str(getattr(cell.value, "text", cell.value))  # an array formula keeps its text apart


def open_book(path: Path, resolver: Resolver) -> Book:
    """The workbook at `path` (in the data folder), or a ContentError naming it."""
    real = resolver.file(path, what="workbook")
    has_formulas = check_archive(path, real)
    return Book(path, real, _load(path, real, data_only=True), has_formulas)


def _load(path: Path, real: Path, *, data_only: bool):
    import openpyxl

    try:
        with warnings.catch_warnings():  # openpyxl warns about features it does not read (slicers …)
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(real, data_only=data_only, keep_links=False)
    except Exception as e:  # noqa: BLE001 - a damaged part can raise anything; it is the file's fault
        raise ContentError(path, f"the workbook cannot be read ({_reason(e)})", hint=AGAIN) from None


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text[:200]}" if text else type(e).__name__


def check_archive(path: Path, real: Path) -> bool:
    """The checks made before any XML is parsed; returns whether a sheet holds a formula."""
    size = real.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise ContentError(
            path,
            f"the workbook is {size / 1e6:.0f} MB; a workbook may be at most "
            f"{MAX_WORKBOOK_BYTES / 1e6:.0f} MB",
            hint="a report needs the figures it prints: keep the tables in a workbook of their own",
        )
    if not zipfile.is_zipfile(real):
        with open(real, "rb") as f:
            head = f.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: Excel 97-2003, or a password
            raise ContentError(
                path,
                "this is an Excel 97-2003 workbook (.xls) or a workbook protected by a password",
                hint="open it in Excel, remove any password (File → Info → Protect Workbook), and save it "
                "as an Excel Workbook (.xlsx)",
            )
        raise ContentError(
            path,
            "this is not an Excel workbook (an .xlsx file is a zip archive, and this file is not one)",
            hint="was it saved in another format under an .xlsx name, or not fully downloaded? " + AGAIN,
        )
    try:
        with zipfile.ZipFile(real) as z:
            infos = z.infolist()
            _check_sizes(path, infos)
            names = {i.filename for i in infos}
            links = sorted(n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
            if links:
                raise ContentError(
                    path,
                    f"the workbook takes values from {len(links)} other workbook(s) through links; the "
                    "build never follows them, and their values here may be out of date",
                    hint="break the links so the values are kept in this workbook (Excel: Data → Edit "
                    "Links → Break Link; LibreOffice: Edit → Links to External Files → Break Link), "
                    "then save",
                )
            if "xl/connections.xml" in names:
                raise ContentError(
                    path,
                    "the workbook has data connections (queries to databases, web pages or files); the "
                    "build never refreshes them, and their values here may be out of date",
                    hint="remove the connections so the values are kept in this workbook (Excel: Data → "
                    "Queries & Connections, delete each), then save",
                )
            if "xl/workbook.xml" not in names:
                raise ContentError(
                    path, "this is not an Excel workbook (it has no xl/workbook.xml)", hint=AGAIN
                )
            has_formulas = False
            for info in infos:
                if not info.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with z.open(info) as part:
                    head = part.read(PROLOG_BYTES)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise ContentError(
                            path,
                            f"the part {info.filename} declares XML entities, which Excel never writes; "
                            "it is not read",
                            hint="the file did not come from a spreadsheet program as it is: " + AGAIN,
                        )
                    if info.filename.startswith("xl/worksheets/") and not has_formulas:
                        has_formulas = bool(FORMULA.search(head + part.read()))
    except ContentError:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged or encrypted zip: the file's fault, not ours
        raise ContentError(path, f"the workbook cannot be read ({_reason(e)})", hint=AGAIN) from None
    return has_formulas


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_PARTS:
        raise ContentError(
            path,
            f"the workbook is made of {len(infos):,} parts; a workbook of tables has a few dozen "
            f"(at most {MAX_PARTS:,} are read)",
            hint="keep the tables in a workbook of their own, without pictures or embedded files",
        )
    for info in infos:
        # Python's zipfile stops at the size a part declares (and then fails its checksum), so
        # the declared sizes bound everything openpyxl will unpack.
        if info.file_size > MAX_PART_BYTES:
            raise ContentError(
                path,
                f"the part {info.filename} unpacks to {info.file_size / 1e6:,.0f} MB; a part may unpack "
                f"to at most {MAX_PART_BYTES / 1e6:.0f} MB",
                hint="a report's tables are far smaller: keep them in a workbook of their own",
            )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise ContentError(
            path,
            f"the workbook unpacks to {total / 1e6:,.0f} MB; at most "
            f"{MAX_UNPACKED_BYTES / 1e6:.0f} MB is read",
            hint="a report's tables are far smaller: keep them in a workbook of their own",
        )


# --- one sheet as rows of cells --------------------------------------------------------------------


@dataclass(frozen=True)
class SheetCell:
    """A workbook cell: its cached value, how Excel stores and shows it, and its formula when it
    has no value."""

    coordinate: str
    value: object
    data_type: str  # n number, s text, b boolean, d date, e error
    number_format: str
    formula: str | None = None

    @property
    def empty(self) -> bool:
        return self.formula is None and (self.value is None or str(self.value).strip() == "")

    def text(self, f: Field, percent: bool, fail: Fail) -> str:
        """The value as a CSV would hold it, read from the stored value, never the shown text."""
        v = self.value
        if self.formula is not None:
            raise fail(
                f"the formula {self.formula} has no computed value",
                hint="the workbook was saved by a program that does not calculate formulas: open it in "
                "Excel or LibreOffice and save it, or type the figure itself",
            )
        if v is None:
            return ""
        if self.data_type == "e":
            raise fail(
                f"the cell shows the error {v}",
                hint="correct the formula (or the cells it uses), or type the figure itself",
            )
        if isinstance(v, bool):
            raise fail(f"found {str(v).upper()} where {_expected(f)} was expected", hint=_type_hint(f))
        if isinstance(v, datetime.datetime | datetime.date | datetime.time | datetime.timedelta):
            raise fail(
                f"the cell is formatted as a date or time (it shows {_shown_date(v)}) where {_expected(f)} "
                "was expected",
                hint=_type_hint(f) + "; a number formatted as a date shows as one",
            )
        if isinstance(v, str):
            text = v.strip()
            if f.is_numeric and NUMBER.match(text):
                raise fail(
                    f"the cell holds {text!r} as text, not as a number",
                    hint="Excel keeps it as text (SUM leaves it out; a green triangle marks it): select the "
                    "cell, click the warning sign beside it and choose 'Convert to Number'",
                )
            return text
        as_percent = is_percent_format(self.number_format)
        if not f.is_numeric:
            if self.number_format not in PLAIN_FORMATS:
                raise fail(
                    f"the cell holds the number {number_text(v)}, shown through the format "
                    f"{self.number_format!r}; column {f.name!r} holds text",
                    hint="type it as text, starting with an apostrophe (e.g. '00123), or format the cell as "
                    "Text before typing",
                )
            return number_text(v)
        if as_percent and not percent:
            raise fail(
                f"the cell is formatted as a percentage (it shows {number_text(v, percent=True)}%), but "
                f"column {f.name!r} does not hold percentages here",
                hint="format the cell as a number (Home → Number Format → General) and type the figure "
                "itself; only a column whose unit is percent (or a row of facts or history whose unit "
                "is percent) takes cells formatted as %",
            )
        return number_text(v, percent=as_percent)


def number_text(v: int | float, *, percent: bool = False) -> str:
    """A cell's number as a CSV would hold it. A float keeps the 15 significant digits Excel
    shows (a computed 0.1 + 0.2 is stored as 0.30000000000000004); a percentage cell's fraction
    is scaled in decimal (0.0729 × 100 is 7.290000000000001 in binary, 7.29 here)."""
    if isinstance(v, float):
        if not math.isfinite(v):
            return repr(v)
        d = Decimal(f"{v:.15g}")
    else:
        d = Decimal(v)
    if percent:
        d = d.scaleb(2)
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _expected(f: Field) -> str:
    return {"integer": "a whole number", "number": "a number"}.get(f.type, "text")


def _type_hint(f: Field) -> str:
    if f.is_numeric:
        return "format the cell as a number (Home → Number Format → General) and type the figure"
    return "format the cell as Text and type the words"


def _shown_date(v: object) -> str:
    if isinstance(v, datetime.datetime) and v.time() == datetime.time():
        return v.date().isoformat()
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    return str(v)


def _cells(ws) -> dict[tuple[int, int], object]:
    """The cells the sheet holds, by (row, column). openpyxl's public iteration makes a cell for
    every empty position of the sheet's extent (a stray value in XFD1048576 would make 17 billion),
    so the sparse store it keeps is read instead (openpyxl is pinned to 3.1)."""
    return ws._cells


def sheet_grid(source: TableSource) -> Grid:
    """A sheet as a table: its first row with content is the header; each later row with content
    is a row; a value outside the header's columns and a merged range are errors."""
    book: Book = source.book
    ws = book.values[source.sheet]
    merged = sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    if merged:  # before anything else: a merged range's cells read as empty, a misleading cause
        raise _many(
            [
                source.error(
                    f"cells {r.coord} are merged; a table has one value in each cell",
                    cell=r.coord.split(":")[0],
                    hint="unmerge them (Excel: Home → Merge & Center → Unmerge Cells) and fill in each cell",
                )
                for r in merged
            ]
        )
    from openpyxl.utils import get_column_letter

    by_row: dict[int, dict[int, SheetCell]] = {}
    for (row, col), c in sorted(_cells(ws).items()):
        value = c.value
        formula = book.formula(source.sheet, c.coordinate) if value is None else None
        cell = SheetCell(c.coordinate, value, c.data_type, c.number_format, formula)
        if not cell.empty:
            by_row.setdefault(row, {})[col] = cell
    if not by_row:
        raise source.error(
            "the sheet is empty",
            hint="its first row names the columns (as in the schema file), and each row below is one row "
            "of the table",
        )
    header_row = min(by_row)
    columns = sorted(by_row[header_row])
    header = [_header_name(by_row[header_row][c]) for c in columns]

    def rows():
        for number in sorted(by_row):
            if number == header_row:
                continue
            cells = by_row[number]
            for col in sorted(set(cells) - set(columns)):
                yield source.error(
                    f"the cell holds {_shown(cells[col])}, but its column has no name in the header row "
                    f"(row {header_row})",
                    cell=f"{get_column_letter(col)}{number}",
                    hint="name the column in the header row if it belongs to the table, or move notes "
                    "to another sheet",
                )
            if any(c in cells for c in columns):
                yield RawRow(
                    number,
                    tuple(
                        cells.get(c) or SheetCell(f"{get_column_letter(c)}{number}", None, "n", "General")
                        for c in columns
                    ),
                )

    return Grid(header, header_row, rows())


def _header_name(cell: SheetCell) -> str:
    return number_text(cell.value) if isinstance(cell.value, int | float) else str(cell.value or "").strip()


def _shown(cell: SheetCell) -> str:
    if cell.formula is not None:
        return f"the formula {cell.formula}"
    return repr(cell.value.strip()) if isinstance(cell.value, str) else str(cell.value)


def _many(errors: list[ContentError]) -> ContentError:
    from .errors import ContentErrors

    return errors[0] if len(errors) == 1 else ContentErrors(errors)
