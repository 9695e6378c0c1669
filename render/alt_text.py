"""Describe a chart in words from its data, so a screen-reader user gets what the picture shows.

Rules: say what kind of chart it is and what it shows, give the largest values (all of them when
there are few), the total, and point to the table with the full numbers. An author's own alt text,
written in report.toml, always replaces this.
"""

from __future__ import annotations

from .formatting import format_value, number, share_percent

ALL_VALUES_UP_TO = 8
LARGEST_SHOWN = 5


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
    category_name: str,
    total: float | None = None,
    of_count: int | None = None,
    scale: str = "linear",
    decimals: int = 0,
) -> str:
    """Alt text for a bar chart. `total` is the whole table's total when bars show only the top."""
    count = len(labels)

    def fmt(value: float) -> str:
        return format_value(value, unit, decimals)

    is_share = unit == "percent"
    whole = total if total is not None else sum(values)
    shape = f"Dot chart on a logarithmic scale: {title}." if scale == "log" else f"Bar chart: {title}."
    parts = [shape]
    if of_count and of_count > count:
        parts.append(f"It shows the {count} largest of {of_count} {category_name.lower()} values.")
    else:
        parts.append(f"It compares {count} {category_name.lower()} categories.")

    def item(label: str, value: float) -> str:
        text = f"{label}: {fmt(value)}"
        if not is_share and whole:
            text += f" ({share_percent(100 * value / whole, 1)})"
        return text

    ranked = sorted(zip(labels, values), key=lambda lv: lv[1], reverse=True)
    if count <= ALL_VALUES_UP_TO:
        parts.append("From largest to smallest: " + _list([item(lbl, v) for lbl, v in ranked]) + ".")
    else:
        top = ranked[:LARGEST_SHOWN]
        parts.append("The largest are " + _list([item(lbl, v) for lbl, v in top]) + ".")
        low_label, low_value = ranked[-1]
        parts.append(f"The smallest shown is {low_label} with {fmt(low_value)}.")
    if not is_share:
        parts.append(f"Total: {number(whole)} {unit}.".replace("  ", " "))
    if (of_count and of_count > count) or count > ALL_VALUES_UP_TO:
        parts.append("All values are in the table that follows.")
    return " ".join(parts)


def describe_heatmap(
    title: str,
    row_labels: list[str],
    column_labels: list[str],
    matrix: list[list[float]],
    unit: str,
    *,
    row_name: str,
    column_name: str,
) -> str:
    """Alt text for a labelled heatmap: its shape, the largest cells, and the totals by row."""
    cells = [
        (matrix[r][c], row_labels[r], column_labels[c])
        for r in range(len(row_labels))
        for c in range(len(column_labels))
    ]
    total = sum(v for v, _, _ in cells)
    top = sorted(cells, key=lambda t: t[0], reverse=True)[:LARGEST_SHOWN]
    row_totals = [(row_labels[r], sum(matrix[r])) for r in range(len(row_labels))]
    col_totals = [
        (column_labels[c], sum(matrix[r][c] for r in range(len(row_labels))))
        for c in range(len(column_labels))
    ]
    top_rows = sorted(row_totals, key=lambda t: t[1], reverse=True)
    top_cols = sorted(col_totals, key=lambda t: t[1], reverse=True)
    parts = [
        f"Heatmap: {title}.",
        f"Rows are {len(row_labels)} {row_name.lower()} groups and columns are "
        f"{len(column_labels)} {column_name.lower()} groups; each cell is labelled with its number of {unit},"
        " and darker cells hold more.",
        "The largest cells are " + _list([f"{r}, {c}: {number(v)}" for v, r, c in top]) + ".",
        f"By {row_name.lower()}, the largest totals are "
        + _list([f"{label} {number(v)}" for label, v in top_rows[:3]])
        + ".",
        f"By {column_name.lower()}, the largest totals are "
        + _list([f"{label} {number(v)}" for label, v in top_cols[:3]])
        + ".",
        f"Total: {number(total)} {unit}. All values are in the table that follows.",
    ]
    return " ".join(parts)
