"""Stage: charts, the model half. Turn a chart declared in report.toml into its numbers and its
words: the series it draws, its alt text, and the checks on its settings.

Pure data: nothing here imports matplotlib, so binding the model (and every command that only
needs the model) never pays for the plotting library. Drawing the picture is chart_draw's job.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from .alt_text import describe_bar, describe_heatmap
from .errors import ContentError
from .formatting import decimals_of, format_value, number, share_percent
from .model import Chart, DataTable, Series
from .settings import ChartSettings
from .validate import refuse_adding_percentages


def build_chart(
    chart_id: str,
    spec: ChartSettings,
    table: DataTable,
    *,
    title: str,
    caption: str,
    author_alt: str,
    note: str,
    fail: Callable[[str, str], ContentError],
) -> Chart:
    """Aggregate the table into the series the chart draws, and describe it in words.
    `fail(message, key)` makes the error for a setting of this chart."""

    def wrong(message: str, key: str) -> ContentError:
        error = fail(message, key)
        error.hint = error.hint or "columns of " + table.name + ": " + ", ".join(f.name for f in table.fields)
        return error

    kind = spec.kind
    short_labels = dict(spec.labels)
    for long_label in short_labels:
        if not any(long_label in table.column(f.name) for f in table.dimensions):
            raise wrong(f"labels: {long_label!r} is not a category in {table.name}", "labels")
    measure_name = spec.value
    if measure_name is None:
        if len(table.measures) != 1:
            raise wrong('the table has several numeric columns: say which with value = "…"', "table")
        measure_name = table.measures[0].name
    if measure_name not in [m.name for m in table.measures]:
        raise wrong(f"value = {measure_name!r} is not a numeric column of {table.name}", "value")
    measure = table.field(measure_name)
    scale = spec.scale

    if kind == "bar":
        category = spec.category
        if category not in [f.name for f in table.dimensions]:
            raise wrong(f"category = {category!r} is not a text column of {table.name}", "category")
        refuse_adding_percentages(table, measure, [category], lambda m: wrong(m, "value"))
        labels = table.categories(category)
        values = [table.total(measure_name, **{category: c}) for c in labels]
        pairs = list(zip(labels, values))
        top = spec.top
        of_count = len(pairs)
        if top and top < len(pairs):
            # "Top N" always means the N largest, whatever order they are then drawn in.
            keep = {label for label, _ in sorted(pairs, key=lambda p: p[1], reverse=True)[:top]}
            pairs = [p for p in pairs if p[0] in keep]
            note = note or f"The {top} largest of {of_count}."
        if spec.sort == "descending":
            pairs.sort(key=lambda p: p[1], reverse=True)
        whole = table.total(measure_name)
        parts_of_a_whole = spec.show_share and measure.unit != "percent"
        if scale == "log" and parts_of_a_whole:
            raise wrong(
                "shares of a whole are never drawn on a logarithmic axis: beside each other, "
                "99.2% and 0.8% would look like neighbours",
                "scale",
            )
        apart = None
        if parts_of_a_whole and spec.set_apart == "auto" and len(pairs) >= 3:
            ranked = sorted(pairs, key=lambda p: p[1], reverse=True)
            if ranked[1][1] > 0 and ranked[0][1] > APART_RATIO * ranked[1][1]:
                # One category dwarfs the rest: state it as a number, draw the rest to scale.
                apart = ranked[0]
                pairs = [p for p in pairs if p != apart]
                said = apart_sentence(
                    apart, ranked[1][1], whole, measure.unit, decimals_of(values), spec.share_decimals
                )
                note = f"{note} {said}".strip()
        series = Series(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
        if scale == "log" and any(v <= 0 for v in series.values):
            zero = next(label for label, v in pairs if v <= 0)
            raise wrong(
                f"{zero!r} is {table.total(measure_name, **{category: zero})}, which a logarithmic "
                'scale cannot show; use scale = "linear" or leave the category out of the data',
                "scale",
            )
        everything = [*pairs, *([apart] if apart else [])]
        generated = describe_bar(
            title,
            [p[0] for p in everything],
            [p[1] for p in everything],
            measure.unit,
            category_name=table.field(category).title,
            total=whole,
            of_count=of_count,
            scale=scale,
            decimals=decimals_of(list(values)),
            share_decimals=spec.share_decimals,
        )
    else:  # heatmap
        apart, whole, parts_of_a_whole = None, table.total(measure_name), False
        rows, cols = spec.rows, spec.columns
        for key, name in (("rows", rows), ("columns", cols)):
            if name not in [f.name for f in table.dimensions]:
                raise wrong(f"{key} = {name!r} is not a text column of {table.name}", key)
        row_labels, col_labels = table.categories(rows), table.categories(cols)
        matrix = tuple(
            tuple(table.total(measure_name, **{rows: r, cols: c}) for c in col_labels) for r in row_labels
        )
        series = Series(tuple(row_labels), tuple(sum(r) for r in matrix), tuple(col_labels), matrix)
        generated = describe_heatmap(
            title,
            row_labels,
            col_labels,
            [list(r) for r in matrix],
            measure.unit,
            row_name=table.field(rows).title,
            column_name=table.field(cols).title,
        )
    return Chart(
        id=chart_id,
        kind=kind,
        title=title,
        table=table.name,
        series=series,
        value_label=measure.title,
        unit=measure.unit,
        alt=author_alt or generated,
        alt_by_author=bool(author_alt),
        caption=caption,
        scale=scale,
        note=note,
        show_share=spec.show_share and measure.unit != "percent",
        short_labels=short_labels,
        share_decimals=spec.share_decimals,
        sorted=kind == "bar" and spec.sort == "descending",
        whole=whole,
        apart=apart,
        stacked=parts_of_a_whole and len(series.labels) == 2 and apart is None,
    )


PDF_WRAP, SLIDE_WRAP = 30, 26  # characters per line of a category label
APART_RATIO = 10  # a share more than ten times the next is stated, not drawn beside it


def apart_sentence(
    apart: tuple[str, float], next_largest: float, whole: float, unit: str, decimals: int, share_decimals: int
) -> str:
    """What a chart says of the category it does not draw, wherever the chart is shown."""
    label, value = apart
    share = share_percent(100 * value / whole, share_decimals)
    return (
        f"{label} ({format_value(value, unit, decimals)}, {share}) is not drawn: it is "
        f"{number(value / next_largest)} times the largest bar shown."
    )


def wrap_label(label: str, width: int) -> str:
    return "\n".join(textwrap.wrap(label, width, break_long_words=False)) or label


def label_lines(chart: Chart, label: str, wrap: int = SLIDE_WRAP) -> int:
    """How many lines a category label takes on the chart (after any shorter chart label)."""
    return len(wrap_label(chart.short_labels.get(label, label), wrap).splitlines())
