"""Charts chosen for their data: shares of a whole never on a log axis, a dominant share stated
rather than drawn, two parts of a whole as one bar, one number format, readable cell labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import STYLES
from render.charts import build_chart
from render.errors import ContentError
from render.model import DataTable, Field
from render.settings import ChartSettings
from render.theme import Theme, contrast_ratio


def fail(message: str, key: str) -> ContentError:
    return ContentError(Path("report.toml"), message, where=key)


def reports(rows) -> DataTable:
    return DataTable(
        name="reports",
        title="Reports",
        description="",
        source="",
        fields=(Field("kind", "string", "Kind"), Field("count", "integer", "Reports", unit="reports")),
        primary_key=("kind",),
        rows=tuple(rows),
        path=Path("reports.csv"),
    )


def chart_of(rows, **spec):
    settings = ChartSettings(**{"table": "reports", "category": "kind", "show_share": True, **spec})
    return build_chart(
        "c", settings, reports(rows), title="Reports", caption="", author_alt="", note="", fail=fail
    )


def test_shares_of_a_whole_are_refused_on_a_log_axis():
    with pytest.raises(ContentError) as caught:
        chart_of([("A", 990), ("B", 10)], scale="log")
    assert "never drawn on a logarithmic axis" in caught.value.describe()


def test_a_share_ten_times_the_next_is_stated_and_the_rest_drawn_to_scale():
    chart = chart_of([("Huge", 99_000), ("Big", 600), ("Small", 400)])
    assert chart.apart == ("Huge", 99_000)
    assert chart.series.labels == ("Big", "Small")
    assert "Huge (99,000, 99.0%) is not drawn: it is 165 times the largest bar shown." in chart.note
    assert chart.alt.startswith("Huge is most of the total: 99,000 of 100,000 reports, 99.0%.")


def test_no_share_is_set_apart_when_none_dwarfs_the_next():
    chart = chart_of([("A", 500), ("B", 300), ("C", 200)])
    assert chart.apart is None and chart.series.labels == ("A", "B", "C")
    assert chart_of([("Huge", 99_000), ("B", 600), ("C", 400)], set_apart="never").apart is None


def test_two_parts_of_a_whole_are_one_stacked_bar():
    assert chart_of([("A", 992), ("B", 8)]).stacked
    assert not chart_of([("A", 500), ("B", 300), ("C", 200)]).stacked


def test_the_heatmap_label_reaches_4_5_to_1_on_every_colour_of_the_ramp():
    from matplotlib.colors import LinearSegmentedColormap, to_hex

    from render.chart_draw import _label_ink

    theme = Theme.load(STYLES)
    ramp = LinearSegmentedColormap.from_list("theme", theme.chart["heatmap"])
    for step in range(201):
        shade = to_hex(ramp(step / 200)).upper()
        ink, cell = _label_ink(theme, shade)
        assert contrast_ratio(ink, cell) >= 4.5, (step, shade, ink, cell)


def test_a_ramp_neither_ink_can_read_gets_its_cells_moved():
    from render.chart_draw import _label_ink

    theme = Theme.load(STYLES)
    dark, light = theme.colors["text"], theme.colors["on_primary"]
    # A mid-tone where both dark and white ink fall short of 4.5:1.
    shade = next(
        f"#{v:02X}{v:02X}{v:02X}"
        for v in range(255)
        if max(
            contrast_ratio(dark, f"#{v:02X}{v:02X}{v:02X}"), contrast_ratio(light, f"#{v:02X}{v:02X}{v:02X}")
        )
        < 4.5
    )
    ink, cell = _label_ink(theme, shade)
    assert cell != shade and contrast_ratio(ink, cell) >= 4.5


def test_every_number_on_the_charts_is_written_as_the_text_writes_it(report):
    """One number format across axes and labels: 30,000,000, never 30.0M or 10K."""
    from render.chart_draw import render_svg

    theme = Theme.load(STYLES)
    for chart in report.charts.values():
        svg = render_svg(chart, theme).decode()
        words = re.findall(r"<text[^>]*>([^<]*)</text>|<!-- (.*?) -->", svg)
        numbers = [w for pair in words for w in pair if re.search(r"\d", w or "")]
        assert numbers, chart.id
        assert not [n for n in numbers if re.search(r"\d(\.\d)?[KMB]\b", n)], (chart.id, numbers)
