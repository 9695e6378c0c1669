"""Which file, or which workbook's sheet, holds each of a year's tables.

A table is named by its schema, `data/NAME.schema.json`, and its rows come from exactly one place:

- `data/NAME.csv`;
- a sheet named NAME in any workbook in `data/` (so one workbook can hold every table). Excel
  allows 31 characters in a sheet's name, so a longer table name is cut to its first 31, or the
  schema names the sheet with `"sheet": "short name"`; Excel tells names apart without regard to
  case, and so does the build;
- `data/NAME.xlsx` without a sheet named NAME: its first visible sheet.

Other sheets (a "Read me", notes) are not read; a hidden sheet named after a table is an error,
since a table nobody can see is not one to publish. Two places for one table, a table without
data, and a workbook holding no table are errors naming every file involved. Excel's lock files
(`~$data.xlsx`), LibreOffice's (`.~lock.data.xlsx#`) and other hidden files are not content.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ContentError, read_utf8
from .paths import Resolver
from .validate import TableSource

if TYPE_CHECKING:
    from .workbook import Book

SCHEMA = ".schema.json"
WORKBOOK = ".xlsx"
# Spreadsheets the build cannot read: saved as .xlsx, they can be.
OTHER_SPREADSHEETS = {
    ".xls": "an Excel 97-2003 workbook",
    ".xlsm": "a macro-enabled workbook",
    ".xlsb": "a binary workbook",
    ".ods": "an OpenDocument spreadsheet",
    ".numbers": "a Numbers spreadsheet",
}


def is_content(name: str) -> bool:
    """False for lock files and other hidden files that spreadsheet programs leave beside a file."""
    return not name.startswith((".", "~$"))


def find_tables(
    folder: Path, resolver: Resolver, optional: frozenset[str] = frozenset()
) -> tuple[dict[str, TableSource], list[ContentError]]:
    """Every table's source, by name, and the mistakes in how the data folder is laid out.
    A table named in `optional` (the history) may have a schema and no data."""
    errors: list[ContentError] = []
    files = sorted(p for p in folder.iterdir() if is_content(p.name)) if folder.is_dir() else []
    schemas = {p.name[: -len(SCHEMA)]: p for p in files if p.name.endswith(SCHEMA)}
    found: dict[str, list[TableSource]] = {}
    workbooks = [p for p in files if p.suffix.lower() == WORKBOOK]
    if workbooks:
        from .workbook import open_book  # openpyxl is loaded only for a year with a workbook
    for path in files:
        if path.suffix == ".csv":
            found.setdefault(path.stem, []).append(
                TableSource(path.stem, path, _schema_of(folder, path.stem))
            )
        elif path.suffix.lower() in OTHER_SPREADSHEETS:
            errors.append(
                ContentError(
                    path,
                    f"this is {OTHER_SPREADSHEETS[path.suffix.lower()]}, which the build does not read",
                    hint="save it as an Excel Workbook (.xlsx) (or each table as CSV UTF-8), then delete "
                    "this file",
                )
            )
    unclaimed: list[tuple[Path, str]] = []  # visible sheets that are no table, for suggestions
    unreadable = False  # a workbook that cannot be opened may hold any table: none is said missing
    if workbooks:
        sheets, clashes = _sheet_names(schemas, resolver)
        errors += clashes
        for path in workbooks:
            try:
                book = open_book(path, resolver)
            except ContentError as e:
                errors += e.errors
                unreadable = True
                continue
            errors += _workbook_tables(book, schemas, sheets, found, unclaimed)
    for name, sources in sorted(found.items()):
        first, *others = sources
        for other in others:
            errors.append(
                ContentError.at(
                    other.path,
                    f"this holds the table {name!r}, and so does {_place(first, other)}; a table is read "
                    "from one place",
                    sheet=other.sheet,
                    hint="keep the one that is up to date and delete the other (or rename a sheet that "
                    "holds something else)",
                )
            )
    for name, schema in sorted(schemas.items()):
        if name not in found and name not in optional and not unreadable:
            errors.append(_no_data(name, schema, unclaimed, sheets if workbooks else {}))
    return {name: sources[0] for name, sources in found.items()}, errors


def _schema_of(folder: Path, name: str) -> Path:
    return folder / f"{name}{SCHEMA}"


def _place(source: TableSource, beside: TableSource) -> str:
    if source.sheet is None:
        return source.path.name
    book = "this workbook" if source.path == beside.path else source.path.name
    return f"sheet '{source.sheet}' of {book}"


def _sheet_names(schemas: dict[str, Path], resolver: Resolver) -> tuple[dict[str, str], list[ContentError]]:
    """Each table's sheet name (the schema's "sheet", or the name's first 31 characters), and the
    tables two of which would be read from one sheet."""
    from .workbook import sheet_key, sheet_name, sheet_name_problem

    names: dict[str, str] = {}
    errors = []
    for table, path in schemas.items():
        try:
            schema = json.loads(read_utf8(resolver.file(path, what="schema"), bom=True))
        except (ContentError, json.JSONDecodeError):
            schema = {}  # read_table reports a broken schema, with its line
        if not isinstance(schema, dict):
            schema = {}
        if "sheet" in schema and (problem := sheet_name_problem(schema["sheet"])):
            errors.append(
                ContentError(
                    path,
                    f'"sheet": {json.dumps(schema["sheet"])} cannot be a sheet\'s name: {problem}',
                    hint="name the sheet that holds this table with at most 31 characters, "
                    "none of [ ] : * ? / \\",
                )
            )
            schema = {}
        names[table] = sheet_name(table, schema)
    by_key: dict[str, str] = {}
    for table, name in sorted(names.items()):
        other = by_key.setdefault(sheet_key(name), table)
        if other != table:
            errors.append(
                ContentError(
                    schemas[table],
                    f"the tables {other!r} and {table!r} would both be read from a sheet named {name!r} "
                    "(Excel keeps 31 characters of a sheet's name)",
                    hint='name this table\'s sheet in its schema: "sheet": "a name of at most 31 characters"',
                )
            )
    return names, errors


def _workbook_tables(
    book: Book,
    schemas: dict[str, Path],
    sheets: dict[str, str],
    found: dict[str, list[TableSource]],
    unclaimed: list[tuple[Path, str]],
) -> list[ContentError]:
    """Record the tables a workbook holds in `found`; returns its mistakes."""
    from .workbook import sheet_key

    path = book.path
    errors = []
    table_of = {sheet_key(name): table for table, name in sheets.items()}
    held = []
    for ws in book.worksheets:
        table = table_of.get(sheet_key(ws.title))
        if table is None:
            if ws.sheet_state == "visible":
                unclaimed.append((path, ws.title))
            continue
        if ws.sheet_state != "visible":
            errors.append(
                ContentError(
                    path,
                    f"the sheet is hidden, and its name makes it the table {table!r}; a hidden sheet is "
                    "never read",
                    sheet=ws.title,
                    hint="unhide it if it holds the table (right-click any sheet tab → Unhide), or delete "
                    "or rename it",
                )
            )
            continue
        held.append(table)
        found.setdefault(table, []).append(TableSource(table, path, schemas[table], ws.title, book))
    stem = path.stem
    if stem in schemas and stem not in held:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        first = visible[0].title if visible else None
        if first is None:
            errors.append(
                ContentError(
                    path,
                    f"the workbook is named after the table {stem!r}, but every sheet in it is hidden",
                    hint="unhide the sheet that holds the table (right-click any sheet tab → Unhide)",
                )
            )
        elif sheet_key(first) in table_of:
            errors.append(
                ContentError(
                    path,
                    f"the workbook is named after the table {stem!r}, but has no sheet named "
                    f"{sheets[stem]!r}, and its first sheet holds the table {table_of[sheet_key(first)]!r}",
                    hint=f"name the sheet that holds {stem!r} {sheets[stem]!r}",
                )
            )
        else:
            held.append(stem)
            unclaimed.remove((path, first))
            found.setdefault(stem, []).append(TableSource(stem, path, schemas[stem], first, book))
    if not held and not errors:
        errors.append(
            ContentError(
                path,
                "the workbook holds no table: none of its sheets is named after one",
                hint="name each sheet after the table it holds ("
                + ", ".join(sorted(sheets.values()))
                + "), or name a workbook of one table after it",
            )
        )
    return errors


def _no_data(
    name: str, schema: Path, unclaimed: list[tuple[Path, str]], sheets: dict[str, str]
) -> ContentError:
    sheet = sheets.get(name, name)
    hint = f"add the data as {name}.csv, or as a sheet named {sheet!r} in a workbook in this folder"
    titles = {title: path for path, title in unclaimed}
    close = difflib.get_close_matches(sheet, list(titles), n=1, cutoff=0.6)
    if not close:
        by_key = {t.strip().casefold().replace(" ", "_"): t for t in titles}
        close = [by_key[k] for k in difflib.get_close_matches(sheet, list(by_key), n=1, cutoff=0.6)]
    if close:
        hint = f"{titles[close[0]].name} has a sheet named {close[0]!r}: is it this table? Name it {sheet!r}"
    return ContentError(
        schema,
        f"this schema describes the table {name!r}, but no file holds its data",
        hint=hint,
    )
