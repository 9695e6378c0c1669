"""Workbooks made by tests with openpyxl: a year's CSV files as sheets, typed as a data team would
type them (numbers as numbers shown with thousands separators, percentages formatted as %), and
small edits to a sheet's cells."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl

PERCENT_FORMAT = "0.00%"


def typed(text: str, kind: str, percent: bool) -> tuple[object, str]:
    """A CSV cell as a typed cell value and its number format."""
    if text == "":
        return None, "General"
    if kind == "string":
        return text, "General"
    number = Decimal(text)
    if percent:  # as Excel stores a cell formatted as %: the fraction
        return float(number / 100), PERCENT_FORMAT
    if kind == "integer" or number == number.to_integral_value() and "." not in text:
        return int(number), "#,##0"  # shown as 27,644: the build reads the number stored
    return float(text), "#,##0.0##"


def csv_rows(path: Path) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) if any(row)]


def sheet_from_csv(ws, data: Path, name: str, *, percent_cells: bool = True) -> None:
    """Fill `ws` with data/NAME.csv, typed by data/NAME.schema.json."""
    schema = json.loads((data / f"{name}.schema.json").read_text(encoding="utf-8"))
    kinds = {f["name"]: f.get("type", "string") for f in schema["fields"]}
    units = {f["name"]: f.get("unit", "") for f in schema["fields"]}
    header, *rows = csv_rows(data / f"{name}.csv")
    ws.append(header)
    for row in rows:
        texts = dict(zip(header, row))
        cells = []
        for column, text in zip(header, row):
            unit = units.get(column) or texts.get("unit", "")
            percent = (
                percent_cells
                and kinds[column] != "string"
                and (unit == "percent" or (not units.get(column) and texts.get("aggregate") == "share"))
            )
            cells.append(typed(text.strip(), kinds[column], percent))
        ws.append([value for value, _ in cells])
        for cell, (_, number_format) in zip(ws[ws.max_row], cells):
            cell.number_format = number_format


def workbook_from_csvs(data: Path, book: str = "data.xlsx", *, remove: bool = True, **options) -> Path:
    """Every CSV table of a data folder as one sheet of one workbook; the CSVs removed."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for path in sorted(data.glob("*.csv")):
        sheet_from_csv(wb.create_sheet(path.stem), data, path.stem, **options)
        if remove:
            path.unlink()
    target = data / book
    wb.save(target)
    return target


def edit(book: Path, sheet: str, **cells) -> None:
    """Set cells of a sheet: edit(book, "cases", B2=300, B3="text")."""
    wb = openpyxl.load_workbook(book)
    for coordinate, value in cells.items():
        wb[sheet][coordinate] = value
    wb.save(book)


def members(book: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rezip(book: Path, parts: dict[str, bytes]) -> None:
    """Write the workbook again from its parts (some replaced or added by a test)."""
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
