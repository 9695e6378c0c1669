"""Charts laid out without matplotlib's layout pass (chart_layout): whatever the labels, every word
of a chart lies inside its picture, and every value label ends inside the plot.

Checked on the pictures themselves, measured apart from the code that placed them: the SVG's text
anchors with the font file's advance widths and glyph ink (fontTools), and the PNG's pixels."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from conftest import CONTENT_2022, STYLES
from render.assemble import assemble
from render.chart_draw import render_png, render_svg
from render.charts import build_chart
from render.load import load_content
from render.settings import ChartSettings
from render.theme import Theme
from test_charts import fail, reports

THEME = Theme.load(STYLES)
SLACK = 0.5  # points: advance widths leave out kerning


def _chart(rows, **spec):
    settings = ChartSettings(**{"table": "reports", "category": "kind", **spec})
    return build_chart(
        "c", settings, reports(rows), title="Reports", caption="", author_alt="", note="", fail=fail
    )


def _charts():
    """The 2022 report's charts, and two made to push their labels to the edges: long category
    names and value labels on bars of nearly equal length (each label reaches the plot's end), and
    a logarithmic dot plot over five decades."""
    report = assemble(load_content(CONTENT_2022), STYLES)
    long_labels = _chart(
        [
            ("Apparent child sexual abuse material, reported by the public and by providers", 98_765_432),
            ("Online enticement", 97_234_567),
            ("Child sex trafficking", 96_888_888),
            ("Other", 95_000_000),
        ],
        show_share=True,
    )
    log = _chart(
        [("Files", 31_901_234), ("Enticement", 80_524), ("Other", 46_029), ("Scams", 1_336), ("Few", 12)],
        scale="log",
        show_share=False,
    )
    return {**{c.id: c for c in report.charts.values()}, "long-labels": long_labels, "log": log}


CHARTS = _charts()


class _Font:
    """Advance widths and glyph ink of the theme's regular face, in points."""

    def __init__(self, path: Path):
        font = TTFont(str(path))
        self.upm = font["head"].unitsPerEm
        self.cmap, self.hmtx, self.glyf = font.getBestCmap(), font["hmtx"], font["glyf"]

    def extent(self, text: str, size: float) -> tuple[float, float, float]:
        """Width, ink above the baseline and ink below it."""
        glyphs = [self.cmap.get(ord(ch), ".notdef") for ch in text]
        width = sum(self.hmtx[g][0] for g in glyphs)
        tops = [self.glyf[g].yMax for g in glyphs if self.glyf[g].numberOfContours]
        bottoms = [self.glyf[g].yMin for g in glyphs if self.glyf[g].numberOfContours]
        scale = size / self.upm
        return width * scale, max(tops, default=0) * scale, -min(bottoms, default=0) * scale


FONT = _Font(THEME.font_files["regular"])


def _texts(svg: str):
    """(text, size, anchor, x, y) of every text in matplotlib's SVG (y down, in points)."""
    found = []
    for attrs, text in re.findall(r"<text ([^>]*)>([^<]*)</text>", svg):
        style = re.search(r'style="([^"]*)"', attrs).group(1)
        size = float(re.search(r"font-size: ([\d.]+)px", style).group(1))
        anchor = m.group(1) if (m := re.search(r"text-anchor: (\w+)", style)) else "start"
        if m := re.search(r'x="([-\d.]+)" y="([-\d.]+)"', attrs):
            x, y = float(m.group(1)), float(m.group(2))
        else:
            x, y = (float(v) for v in re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", attrs).groups())
        found.append((html.unescape(text), size, anchor, x, y))
    return found


@pytest.mark.parametrize("chart_id", sorted(CHARTS))
def test_every_word_of_the_pdf_chart_lies_inside_it_and_value_labels_inside_the_plot(chart_id):
    chart = CHARTS[chart_id]
    svg = render_svg(chart, THEME).decode()
    width, height = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    corners = re.search(r'<g id="patch_2">\s*<path d="M ([\d.]+) [\d.]+\s*L ([\d.]+)', svg)
    plot_left, plot_right = float(corners.group(1)), float(corners.group(2))
    texts = _texts(svg)
    assert texts
    for text, size, anchor, x, y in texts:
        w, up, down = FONT.extent(text, size)
        left = x - {"start": 0, "middle": w / 2, "end": w}[anchor]
        where = (chart_id, text)
        assert left >= -SLACK and left + w <= width + SLACK, where
        assert y - up >= -SLACK and y + down <= height + SLACK, where
        if anchor == "start" and chart.kind == "bar" and not chart.stacked and x > plot_left:
            # a value label beside its bar (left-aligned, right of the axis's start)
            assert left + w <= plot_right + SLACK, where


@pytest.mark.parametrize("chart_id", ["long-labels", "log", "cases-by-age-race", "reports-by-source"])
@pytest.mark.parametrize("size", [None, (8.22, 3.0)], ids=["theme-size", "small"])
def test_nothing_of_a_slide_chart_touches_the_edge_of_its_picture(chart_id, size):
    """The PNG's outer pixels are all background: no label is cut off at the picture's edge."""
    kwargs = {"width_in": size[0], "height_in": size[1]} if size else {}
    image = np.asarray(Image.open(io.BytesIO(render_png(CHARTS[chart_id], THEME, **kwargs))).convert("RGB"))
    background = np.array([int(THEME.chart["background"].lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)])
    ring = 4  # pixels; the layout keeps 3 pt (8 px at the slides' 200 dpi) clear
    edges = [image[:ring], image[-ring:], image[:, :ring], image[:, -ring:]]
    assert all((edge == background).all() for edge in edges), chart_id
