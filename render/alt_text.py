"""Describe a chart in words from its data, so a screen-reader user gets what the picture shows.

Written the way a person would say it: the message first (the largest category, its share of the
whole, how far ahead it is), then the next ones and the smallest, the total, and where every value
is. Numbers are rounded as the chart's own labels round them, so the words and the picture never
disagree; a label is used as the data writes it, never wrapped in column-name grammar ("5 case
type categories"). Short where the data allows (about 250 characters). An author's own alt text,
written in report.toml, always replaces this.
"""

from __future__ import annotations

import re

from .formatting import format_value, number, share_percent

MENTIONED = 3  # categories named after the largest, when there are more
LENGTH = 250  # about what a listener takes in at once; exceeded only when the labels are long


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_bar(
    title: str,
    labels: list[str],
    values: list[float],
    unit: str,
    *,
    category_name: str = "",
    total: float | None = None,
    of_count: int | None = None,
    scale: str = "linear",
    decimals: int = 0,
    share_decimals: int = 1,
    data_table: str = "",
) -> str:
    """Alt text for a bar (or dot) chart. `total` is the whole table's total when the bars show only
    its largest categories (`of_count` of them in all); `data_table` names the table with every
    value ("Table A1"). `category_name` is accepted for callers but never printed."""
    is_share = unit == "percent"
    whole = total if total is not None else sum(values)
    ranked = sorted(zip(labels, values), key=lambda lv: lv[1], reverse=True)

    def figure(v: float) -> str:
        return format_value(v, unit, decimals)

    def share(v: float) -> str:
        return share_percent(100 * v / whole, share_decimals) if whole and not is_share else ""

    def item(label: str, v: float) -> str:
        return f"{label} ({figure(v)}{', ' + share(v) if share(v) else ''})"

    (top, top_value), rest = ranked[0], ranked[1:]
    counted = f" {unit}" if unit and not is_share else ""
    if is_share:
        opening = f"{top} is the largest share, {figure(top_value)}."
    elif whole and top_value / whole > 0.5:
        opening = f"{top} is most of the total: {figure(top_value)} of {number(whole)}{counted}, "
        opening += f"{share(top_value)}."
    else:
        opening = f"{top} is the largest, with {figure(top_value)}{counted}" + (
            f" ({share(top_value)} of {number(whole)})." if share(top_value) else "."
        )
    shape = "Dot chart on a logarithmic scale" if scale == "log" else "Bar chart"
    if of_count and of_count > len(labels):
        shape += f" of the {len(labels)} largest of {of_count}"
    closing = f"{shape}: {title}." + (f" All values are in {data_table}." if data_table else "")
    middle = []
    if len(rest) == 1:
        middle.append(f"{rest[0][0]} follows with {figure(rest[0][1])}{_paren(share(rest[0][1]))}.")
    elif rest:
        shown = "shown " if of_count and of_count > len(labels) else ""
        smallest = f"The smallest {shown}is {item(*rest[-1])}."
        named: list[str] = []
        for label, v in rest[:-1][:MENTIONED]:
            trial = named + [item(label, v)]
            sentence = ("Next come " if len(trial) > 1 else "Next is ") + _list(trial) + "."
            if named and len(" ".join([opening, sentence, smallest, closing])) > LENGTH:
                break
            named = trial
        if named:
            middle.append(("Next come " if len(named) > 1 else "Next is ") + _list(named) + ".")
        middle.append(smallest)
    return " ".join([opening, *middle, closing])


def _paren(text: str) -> str:
    return f" ({text})" if text else ""


def describe_heatmap(
    title: str,
    row_labels: list[str],
    column_labels: list[str],
    matrix: list[list[float]],
    unit: str,
    *,
    row_name: str = "",
    column_name: str = "",
    data_table: str = "",
) -> str:
    """Alt text for a labelled heatmap: the row and the column that hold the most, the largest
    cell, and the total."""
    total = sum(sum(row) for row in matrix)
    row_totals = sorted(((sum(r), row_labels[i]) for i, r in enumerate(matrix)), reverse=True)
    rows, columns = range(len(row_labels)), range(len(column_labels))
    column_totals = sorted(
        ((sum(matrix[r][c] for r in rows), column_labels[c]) for c in columns), reverse=True
    )
    cell_value, cell_row, cell_column = max(
        (matrix[r][c], row_labels[r], column_labels[c]) for r in rows for c in columns
    )

    def share(v: float) -> str:
        return share_percent(100 * v / total, 0) if total else ""

    (row_value, row), (column_value, column) = row_totals[0], column_totals[0]
    row_name, column_name = _plain(row_name), _plain(column_name).lower()
    parts = [
        f"{row_name} {row} is the largest: {number(row_value)} of {number(total)} {unit} "
        f"({share(row_value)}).",
        f"By {column_name or 'column'}, {column} is largest ({number(column_value)}, {share(column_value)}).",
        f"The largest single group is {cell_row}, {cell_column}: {number(cell_value)}.",
        f"Heatmap: {title}." + (f" All values are in {data_table}." if data_table else ""),
    ]
    return " ".join(p.strip() for p in parts)


def _plain(name: str) -> str:
    """A column title without its parenthetical ("Age group (years)" → "Age group")."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip()
