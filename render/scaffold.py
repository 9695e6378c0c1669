"""`impact-report new YEAR`: next year's content folder, made from the newest earlier year.

Everything that carries over is kept (the narrative, the schemas with their categories, the
settings, which totals to check, the dates and definitions marked `fixed`); every figure of the
year is emptied, in the CSV files and workbooks where it was, or, with `--xlsx`, in one new
workbook with a sheet per table and a "Read me" sheet first, for the data team to fill in. A build
of the new folder then fails with one checklist of what is still to fill in (by file and line, or
sheet and cell), so no figure of last year can be published as this year's.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .datafiles import find_tables, is_content
from .errors import ContentError, ContentErrors, read_utf8
from .load import CONTROLS, FACTS
from .paths import Resolver
from .settings import read_toml
from .tomlpos import key_lines
from .validate import INTEGER, NUMBER, TableSource, cell_name, read_schema
from .years import HISTORY


@dataclass(frozen=True)
class Scaffold:
    folder: Path
    source: Path
    emptied: int  # figures to fill in
    kept: int  # fixed figures carried over
    workbook: Path | None = None  # the one workbook of the year's data (--xlsx)


WORKBOOK_NAME = "data.xlsx"
README_SHEET = "Read me"


def earlier_year(content_root: Path, year: int) -> Path:
    """The newest year folder before `year`."""
    years = (
        sorted(
            (int(p.name), p)
            for p in content_root.iterdir()
            if p.is_dir() and p.name.isdigit() and int(p.name) < year and (p / "report.toml").is_file()
        )
        if content_root.is_dir()
        else []
    )
    if not years:
        raise ContentError(
            content_root,
            f"there is no earlier year to start {year} from",
            hint="a content folder holds one folder per year, e.g. content/2022 with its report.toml",
        )
    return years[-1][1]


def new_year(year: int, content_root: Path, *, xlsx: bool = False) -> Scaffold:
    """Write content_root/YEAR from the newest earlier year, all at once (a failure leaves nothing).
    With `xlsx`, the year's data is one workbook, data/data.xlsx, whatever files it came from."""
    target = content_root / str(year)
    if target.exists():
        raise ContentError(target, f"{year} already exists", hint="edit it, or remove it to start again")
    source = earlier_year(content_root, year)
    step = year - int(source.name)
    work = Path(tempfile.mkdtemp(prefix=f".{year}.", dir=content_root))
    try:
        shutil.copytree(source, work / "year", ignore=_ignored)
        folder = work / "year"
        _bump_years(folder / "report.toml", step)
        tables = _tables(folder / "data")
        emptied = kept = 0
        for table in tables:
            e, k = _empty(table)
            emptied, kept = emptied + e, kept + k
        if xlsx:
            book = _one_workbook(folder / "data", tables, year)
        else:
            book = None
            for table in tables:
                if table.source.sheet is None:
                    _write_csv(table)
            _write_workbooks(tables)
        folder.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Scaffold(target, source, emptied, kept, book and target / "data" / book.name)


def _ignored(folder: str, names: list[str]) -> set[str]:
    """Editors' and spreadsheets' leftovers are not content."""
    return {n for n in names if not is_content(n) or n.endswith(("~", ".tmp")) or n == "__pycache__"}


def _bump_years(config: Path, step: int) -> None:
    """year and published_year move on by `step`, on their own lines, comments kept."""
    data, text = read_toml(config)
    lines = text.splitlines(keepends=True)
    where = key_lines(text)
    for key in ("year", "published_year"):
        if key in data and (key,) in where:
            n = where[(key,)] - 1
            lines[n] = re.sub(r"=\s*\d+", f"= {data[key] + step}", lines[n], count=1)
    config.write_text("".join(lines), encoding="utf-8")


@dataclass
class _Table:
    """One table of the year being made, as its file holds it: the header, and each row's cells
    by column name (a CSV's text, or a workbook cell's value), to be emptied and written back."""

    source: TableSource
    schema: dict
    header: list[str]
    rows: list[dict[str, object]]
    cells: list[dict[str, str]]  # each row's cell addresses by column name
    text: list[list[str]] | None = None  # a CSV's rows as written, header first
    emptied: list[str] = field(default_factory=list)  # addresses of the cells emptied


def _tables(folder: Path) -> list[_Table]:
    """Every table of the data folder, read as it is (not validated: last year's data was)."""
    resolver = Resolver.of(folder)
    sources, errors = find_tables(folder, resolver, optional=frozenset({HISTORY}))
    if errors:
        raise ContentErrors(errors)
    tables = []
    for _name, source in sorted(sources.items()):
        schema = read_schema(source.schema, resolver)
        if source.sheet is None:
            text = list(csv.reader(io.StringIO(read_utf8(resolver.file(source.path), bom=True))))
            header = [h.strip() for h in text[0]] if text else []
            rows = [dict(zip(header, (c.strip() for c in row))) for row in text[1:]]
            cells = [{h: cell_name(i, n) for i, h in enumerate(header)} for n, row in enumerate(text[1:], 2)]
            tables.append(_Table(source, schema, header, rows, cells, text))
            continue
        from .workbook import sheet_grid

        grid = sheet_grid(source)
        rows, cells = [], []
        for raw in grid.rows:
            if isinstance(raw, ContentError):
                raise raw
            rows.append({h: _as_text(c) for h, c in zip(grid.header, raw.cells)})
            cells.append({h: c.coordinate for h, c in zip(grid.header, raw.cells)})
        tables.append(_Table(source, schema, grid.header, rows, cells))
    return tables


def _as_text(cell) -> str | None:
    """A workbook cell's value as a CSV would hold it (a cell formatted as % as the percentage)."""
    from .workbook import is_percent_format, number_text

    v = cell.value
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return None if v is None else str(v).strip()
    return number_text(v, percent=is_percent_format(cell.number_format))


def _figure_columns(table: _Table, row: dict[str, object]) -> tuple[list[str], bool]:
    """The columns of a row whose figures a new year empties, and whether the row is a fixed
    figure, kept as it is."""
    name = table.source.name
    if name == HISTORY:
        return [], False  # earlier years' figures do not change
    if name == CONTROLS:
        return ["expected"], False  # which totals to check, and their tolerances, carry over
    if name == FACTS:
        if str(row.get("kind") or "").strip() == "fixed":
            return [], True
        return ["value"], False
    return [f["name"] for f in table.schema["fields"] if f.get("type") in ("integer", "number")], False


def _empty(table: _Table) -> tuple[int, int]:
    """Empty this year's figures of one table; returns (emptied, kept as fixed)."""
    emptied = kept = 0
    for row, cells in zip(table.rows, table.cells):
        if not any(str(v).strip() for v in row.values() if v is not None):
            continue
        columns, fixed = _figure_columns(table, row)
        kept += fixed
        for column in columns:
            if column in row:
                emptied += row[column] is not None and str(row[column]).strip() != ""
                row[column] = None
                table.emptied.append(cells[column])
    return emptied, kept


def _write_csv(table: _Table) -> None:
    """The CSV as it was, its figures' cells emptied."""
    text = table.text or []
    header = text[0] if text else []
    for line, row in zip(text[1:], table.rows):
        for i, column in enumerate(h.strip() for h in header):
            if i < len(line) and row.get(column, "") is None:
                line[i] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(text)
    table.source.path.write_text(out.getvalue(), encoding="utf-8")


def _write_workbooks(tables: list[_Table]) -> None:
    """Each workbook as it was (formats, notes, other sheets), its figures' cells emptied."""
    import openpyxl

    by_book: dict[Path, list[_Table]] = {}
    for table in tables:
        if table.source.sheet is not None:
            by_book.setdefault(table.source.path, []).append(table)
    for path, held in by_book.items():
        wb = openpyxl.load_workbook(path, keep_links=False)  # formulas kept as formulas
        for table in held:
            ws = wb[table.source.sheet]
            for coordinate in table.emptied:
                ws[coordinate].value = None
        wb.save(path)


def _one_workbook(data: Path, tables: list[_Table], year: int) -> Path:
    """The year's data as one workbook: a "Read me" sheet, then a sheet per table (its header, its
    categories and keys, its figures emptied); the CSV files and workbooks it replaces removed."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font

    from .workbook import sheet_name

    names = {t.source.name: sheet_name(t.source.name, t.schema) for t in tables}
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = README_SHEET
    for table in tables:
        ws = wb.create_sheet(names[table.source.name])
        fields = [f["name"] for f in table.schema["fields"]]
        ws.append(fields)
        for row in table.rows:
            ws.append([_cell_value(row.get(name), table.schema, name) for name in fields])
        for cell, spec in zip(ws[1], table.schema["fields"]):
            cell.font = Font(bold=True)
            about = spec.get("title", spec["name"])
            if spec.get("description"):
                about += f": {spec['description']}"
            if spec.get("unit"):
                about += f" (unit: {spec['unit']})"
            cell.comment = Comment(about, "impact-report")
        ws.freeze_panes = "A2"
        _widths(ws)
    lines = [
        f"Figures for the {year} report",
        "",
        "Each sheet after this one is one table of the report, named after it. Every empty cell is a "
        f"figure of {year} to fill in.",
        "Type numbers as numbers: 2999, not 2,999 or '2999. Excel may show them with separators; the "
        "build reads the number stored in the cell, never the text shown.",
        "A percentage is typed as 38.22, or as 38.22% in a cell formatted as a percentage; only a "
        "column whose unit is percent (see the note on its name) takes cells formatted as %.",
        "Keep the sheet names, the first row of each sheet (the column names) and the categories as "
        "they are, and merge no cells. A new category (a new state, a new case type) is first added to "
        "the table's schema file in the data folder.",
        "Formulas are fine once Excel or LibreOffice has saved the workbook (they store the results). "
        "Links to other workbooks and data connections are not: paste their values instead.",
        "control_totals: the totals as the data team publishes them (their summary sheet, the audited "
        "accounts). Never copy the totals the build computes: the check would then check nothing.",
        f"Then build: `impact-report build content/{year}` lists every cell still empty, by sheet and cell.",
        "",
    ]
    for line in lines:
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    readme.append(["Sheet", "What it holds", "Figures to fill in"])
    for cell in readme[readme.max_row]:
        cell.font = Font(bold=True)
    for table in tables:
        what = table.schema.get("title", table.source.name)
        readme.append([names[table.source.name], what, len(table.emptied)])
    readme.column_dimensions["A"].width = 100
    readme.column_dimensions["B"].width = 60
    for row in readme.iter_rows(min_row=3, max_row=len(lines)):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    book = data / WORKBOOK_NAME
    replaced = {t.source.path for t in tables}  # last year's data.xlsx among them: written over
    if (book.exists() and book not in replaced) or any(t.source.name == book.stem for t in tables):
        book = data / f"figures-{year}.xlsx"
    wb.save(book)
    for path in replaced:
        if path != book:
            path.unlink()
    return book


def _cell_value(value: object, schema: dict, column: str) -> object:
    """A cell of the new workbook: a number kept (a fixed figure, a tolerance, a year) as a number."""
    if not isinstance(value, str) or value == "":
        return None if value == "" else value
    kind = next((f.get("type", "string") for f in schema["fields"] if f["name"] == column), "string")
    if kind in ("integer", "number") and NUMBER.match(value):
        return int(value) if INTEGER.match(value) else float(value)
    return value


def _widths(ws) -> None:
    from openpyxl.utils import get_column_letter

    for i, column in enumerate(ws.iter_cols(values_only=True), start=1):
        longest = max((len(str(v)) for v in column if v is not None), default=8)
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 10), 60)
