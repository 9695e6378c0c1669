"""Lay a tidy data table out for reading: row headers, spread columns, totals and shares.

Totals and shares are computed here from the data, never stored, so a table always adds up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .errors import ContentError
from .formatting import decimals_of, format_value, percent, share_percent
from .model import Cell, DataTable, TableView
from .settings import TableSettings
from .validate import refuse_adding_percentages


def _number(value: float, unit: str, decimals: int) -> Cell:
    return Cell(format_value(value, unit, decimals), value)


def build_view(
    view_id: str,
    spec: TableSettings,
    table: DataTable,
    caption: str,
    note: str,
    *,
    fail: Callable[[str, str], ContentError],
) -> TableView:
    """The table laid out for reading. `fail(message, key)` makes the error for one of its settings."""

    def wrong(message: str, key: str = "table") -> ContentError:
        error = fail(message, key)
        error.hint = error.hint or "columns of " + table.name + ": " + ", ".join(f.name for f in table.fields)
        return error

    rows_field = spec.rows
    if rows_field not in [f.name for f in table.dimensions]:
        raise wrong(f"rows = {rows_field!r} is not a text column of {table.name}", "rows")
    row_labels = table.categories(rows_field)
    totals = spec.totals
    columns_field = spec.columns

    if columns_field:
        if columns_field not in [f.name for f in table.dimensions]:
            raise wrong(f"columns = {columns_field!r} is not a text column of {table.name}", "columns")
        if len(table.measures) != 1:
            raise wrong("spreading over columns needs a table with exactly one numeric column", "columns")
        measure = table.measures[0]
        if totals and measure.unit == "percent":
            raise wrong("percentages cannot be totalled; remove `totals`", "totals")
        decimals = decimals_of(table.column(measure.name))
        col_labels = table.categories(columns_field)
        header = [table.field(rows_field).title, *col_labels] + (["Total"] if totals else [])
        rows = []
        for r in row_labels:
            values = [table.total(measure.name, **{rows_field: r, columns_field: c}) for c in col_labels]
            cells = [Cell(r)] + [_number(v, measure.unit, decimals) for v in values]
            if totals:
                cells.append(_number(sum(values), measure.unit, decimals))
            rows.append(tuple(cells))
        total_row = None
        if totals:
            col_totals = [table.total(measure.name, **{columns_field: c}) for c in col_labels]
            total_row = tuple(
                [Cell("Total")] + [_number(v, measure.unit, decimals) for v in col_totals + [sum(col_totals)]]
            )
    else:
        names = spec.values or [m.name for m in table.measures]
        measures = []
        for name in names:
            if name not in [m.name for m in table.measures]:
                raise wrong(f"values: {name!r} is not a numeric column of {table.name}", "values")
            measures.append(table.field(name))
        for m in measures:
            refuse_adding_percentages(table, m, [rows_field], lambda msg: wrong(msg, "rows"))
        share = spec.share
        share_decimals = spec.share_decimals
        header = [table.field(rows_field).title] + [m.title for m in measures]
        if share:
            header.append("Share of total")
        rows = []
        for r in row_labels:
            cells = [Cell(r)]
            for m in measures:
                d = decimals_of(table.column(m.name))
                cells.append(_number(table.total(m.name, **{rows_field: r}), m.unit, d))
            if share:
                part = table.share(measures[0].name, **{rows_field: r})
                cells.append(Cell(share_percent(part, share_decimals), part))
            rows.append(tuple(cells))
        total_row = None
        if totals:
            if any(m.unit == "percent" for m in measures):
                raise wrong("percentages cannot be totalled; remove `totals`", "totals")
            total_cells = [Cell("Total")]
            for m in measures:
                decimals = decimals_of(table.column(m.name))
                total_cells.append(_number(table.total(m.name), m.unit, decimals))
            if share:
                total_cells.append(Cell(percent(100, share_decimals), 100.0))
            total_row = tuple(total_cells)
    return TableView(
        id=view_id,
        caption=caption,
        table=table.name,
        header=tuple(header),
        rows=tuple(rows),
        totals=total_row,
        note=note,
        source=table.source,
    )


def largest_first(view: TableView) -> TableView:
    """The rows ordered by their total (the Total column when there is one, else the first
    numeric column), largest first, as a chart sorted by value shows them; the total row stays last."""
    column = len(view.header) - 1 if view.header[-1] == "Total" else 1
    rows = sorted(view.rows, key=lambda row: -(row[column].value or 0))
    return replace(view, rows=tuple(rows))
