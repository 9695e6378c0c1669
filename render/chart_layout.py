"""Stage: charts, the geometry. Where a chart's axes sit in its figure, and how far its value axis
reaches so that every value label fits, computed from the sizes of the chart's texts.

The rule is the one matplotlib's constrained layout applied to these charts: each edge of the axes
moves in until every tick label, axis label and value label lies inside the figure, with the
layout's pad (3 pt) to spare. Asking matplotlib for it meant drawing the whole figure without
output two or three times per picture (about half of a chart's drawing time); here each text's box
is worked out from its measured size as matplotlib's Text lays it out, so the charts come out
where constrained layout placed them.

A text is measured as the renderer that draws it measures it (Metrics): the SVG backend from the
font's unhinted outlines, Agg from hinted glyphs at its resolution, which differ by up to a few
points on a long label. Measuring with the wrong one moves the axes by as much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib
from matplotlib import cbook
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.textpath import TextToPath

try:  # matplotlib's cache of text sizes per renderer, which its Text layout reads
    from matplotlib.text import _get_text_metrics_with_cache as _text_metrics
except ImportError:  # private, so perhaps gone one day: measure, and let the drawing measure again

    def _text_metrics(renderer, text, prop, ismath, dpi):
        return renderer.get_text_width_height_descent(text, prop, ismath)


LABEL_ROOM = 16 * 72 / 100  # points a value label keeps clear of the plot's end (16 px at 100 dpi)


@dataclass(frozen=True)
class Box:
    """A text's extent in points, in figure coordinates (y up)."""

    x0: float
    y0: float
    x1: float
    y1: float


class Metrics:
    """Text sizes in points as one of matplotlib's renderers measures them (its
    get_text_width_height_descent, in the font the rc settings in force choose), and the boxes
    matplotlib's Text lays them out in: lines at least as tall as the font's ascender and
    descender, parted by its line gap."""

    def __init__(self, renderer: RendererBase | TextToPath, dpi: float):
        self._renderer = renderer
        self._dpi = dpi
        self._points = 72 / dpi
        self._props: dict[float, FontProperties] = {}
        self._lines: dict[tuple[str, float], tuple[float, float, float]] = {}
        self._heights: dict[float, tuple[float, float, float]] = {}

    @classmethod
    def svg(cls) -> Metrics:
        """As the SVG backend measures: unhinted outlines at 100 points, scaled, in points."""
        return cls(TextToPath(), 72)

    @classmethod
    def agg(cls, dpi: float) -> Metrics:
        """As Agg measures at `dpi`: hinted glyphs (as a Figure's own canvas measured before it
        was saved, at the figure's dpi)."""
        return cls(RendererAgg(1, 1, dpi), dpi)

    @classmethod
    def of_canvas(cls, canvas: FigureCanvasAgg) -> Metrics:
        """As the Agg canvas that will draw the figure measures, at the figure's dpi: the texts
        measured here are not measured again when it draws them."""
        return cls(canvas.get_renderer(), canvas.figure.dpi)

    def _prop(self, size: float) -> FontProperties:
        if size not in self._props:
            self._props[size] = FontProperties(size=size)
        return self._props[size]

    def line(self, text: str, size: float) -> tuple[float, float, float]:
        """A line's width, ascent and descent in points (matplotlib's mathtext where the line is
        math, as Text decides)."""
        key = (text, size)
        if key not in self._lines:
            if not text:
                self._lines[key] = (0.0, 0.0, 0.0)
            else:
                math_text = cbook.is_math_text(text)
                clean = text if math_text else text.replace(r"\$", "$")
                w, h, d = _text_metrics(self._renderer, clean, self._prop(size), math_text, self._dpi)
                p = self._points
                self._lines[key] = (w * p, (h - d) * p, d * p)
        return self._lines[key]

    def _height(self, size: float) -> tuple[float, float, float]:
        """The font's ascender, descender and line gap at `size`, in points (OS/2's typographic
        metrics, else hhea's, as Text reads them)."""
        if size not in self._heights:
            font = get_font(findfont(self._prop(size)))
            scale = size / font.get_sfnt_table("head")["unitsPerEm"]
            for table, gap, ascent, descent in (
                ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                ("hhea", "lineGap", "ascent", "descent"),
            ):
                if (t := font.get_sfnt_table(table)) is not None:
                    self._heights[size] = (t[ascent] * scale, -t[descent] * scale, t[gap] * scale)
                    break
            else:  # no such tables: Text measures "lp" instead
                _, a, d = self.line("lp", size)
                self._heights[size] = (a, d, 0.0)
        return self._heights[size]

    def width(self, text: str, size: float) -> float:
        """The widest line of `text` in points."""
        return max(self.line(line, size)[0] for line in text.split("\n"))

    def box(self, text: str, size: float, x: float, y: float, ha: str, va: str) -> Box:
        """Where `text` sets when anchored at (x, y) points with these alignments: matplotlib's
        Text layout for unrotated text."""
        lines = text.split("\n")
        min_ascent, min_descent, gap = self._height(size)
        if len(lines) == 1:
            gap = 0.0
        top = 0.0
        width = baseline = descent = 0.0
        for line in lines:
            w, a, d = self.line(line, size)
            a = max(a, min_ascent) + gap / 2
            d = max(d, min_descent) + gap / 2
            width, baseline, descent = max(width, w), a - top, d
            top -= a + d
        height = -top
        left = {"left": 0.0, "right": width}.get(ha, width / 2)
        below = {
            "bottom": 0.0,
            "top": height,
            "center": height / 2,
            "baseline": descent,
            "center_baseline": height - baseline / 2,
        }[va]
        return Box(x - left, y - below, x - left + width, y - below + height)


def axes_points(ax) -> tuple[float, float, float, float]:
    """The axes' edges in figure points."""
    w, h = ax.figure.get_size_inches() * 72
    p = ax.get_position()
    return p.x0 * w, p.y0 * h, p.x1 * w, p.y1 * h


def _to_points(ax, transform, xy) -> tuple[float, float]:
    x, y = transform.transform(xy)
    dpi = ax.figure.dpi
    return x * 72 / dpi, y * 72 / dpi


def _within(view: tuple[float, float], loc: float, transform) -> bool:
    """matplotlib's test for a tick it draws: inside the view, to a relative 1e-10."""
    (low, high), (at,) = sorted(transform.transform(list(view))), transform.transform([loc])
    slack = 1e-10 * (high - low)
    return low - slack <= at <= high + slack


def tick_labels(ax, which: str) -> list[tuple[float, str]]:
    """The major ticks matplotlib draws on the x or y axis: (position, label)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    locs = list(axis.get_majorticklocs())
    labels = axis.get_major_formatter().format_ticks(locs)
    transform, view = axis.get_transform(), tuple(axis.get_view_interval())
    return [(loc, label) for loc, label in zip(locs, labels) if _within(view, loc, transform)]


def label_boxes(ax, metrics: Metrics, size: float, *, x_side: str, y_va: str) -> list[Box]:
    """Every text of the axes that the layout keeps inside the figure, where it sets now: tick
    labels (`size` points, set off by the ticks' pad; the charts draw no tick marks), the x axis
    label, and texts and annotations (value labels)."""
    x0, y0, x1, y1 = axes_points(ax)
    boxes = []
    rc = matplotlib.rcParams
    xt, yt = ax.get_xaxis_transform(), ax.get_yaxis_transform()
    under = [y0]
    for loc, label in tick_labels(ax, "x"):
        if label:
            x, _ = _to_points(ax, xt, (loc, 0))
            if x_side == "bottom":
                boxes.append(metrics.box(label, size, x, y0 - rc["xtick.major.pad"], "center", "top"))
                under.append(boxes[-1].y0)
            else:
                boxes.append(metrics.box(label, size, x, y1 + rc["xtick.major.pad"], "center", "bottom"))
    for loc, label in tick_labels(ax, "y"):
        if label:
            _, y = _to_points(ax, yt, (0, loc))
            boxes.append(metrics.box(label, size, x0 - rc["ytick.major.pad"], y, "right", y_va))
    if xlabel := ax.get_xlabel():
        # Only its height counts: the layout lets an axis label wider than the axes stick out.
        below = min(under) - ax.xaxis.labelpad
        b = metrics.box(xlabel, size, (x0 + x1) / 2, below, "center", "top")
        boxes.append(Box((x0 + x1) / 2, b.y0, (x0 + x1) / 2, b.y1))
    for text in ax.texts:
        if hasattr(text, "xyann"):  # an annotation, set off from its point in points
            x, y = _to_points(ax, ax.transData, text.xy)
            x, y = x + text.xyann[0], y + text.xyann[1]
        else:
            x, y = _to_points(ax, ax.transData, text.get_position())
        boxes.append(metrics.box(text.get_text(), text.get_fontsize(), x, y, text.get_ha(), text.get_va()))
    return boxes


def place_axes(
    ax, metrics: Metrics, size: float, *, x_side: str = "bottom", y_va: str = "center_baseline"
) -> None:
    """Move the axes' edges until its texts fit the figure with constrained layout's pad to spare,
    in the two passes constrained layout makes (tick labels move as the axes do)."""
    width, height = ax.figure.get_size_inches() * 72
    pad_x = matplotlib.rcParams["figure.constrained_layout.w_pad"] * 72
    pad_y = matplotlib.rcParams["figure.constrained_layout.h_pad"] * 72
    for _ in range(2):
        x0, y0, x1, y1 = axes_points(ax)
        boxes = label_boxes(ax, metrics, size, x_side=x_side, y_va=y_va)
        left = pad_x + max([0.0] + [x0 - b.x0 for b in boxes])
        right = pad_x + max([0.0] + [b.x1 - x1 for b in boxes])
        bottom = pad_y + max([0.0] + [y0 - b.y0 for b in boxes])
        top = pad_y + max([0.0] + [b.y1 - y1 for b in boxes])
        ax.set_position(
            [left / width, bottom / height, (width - left - right) / width, (height - bottom - top) / height]
        )


def value_reach(
    widths: list[float], values: list[float], plot_width: float, scale: str, low: float
) -> tuple[float, float]:
    """The value axis's limits that let each value's label (its width in points) end at least
    LABEL_ROOM inside a plot `plot_width` points wide, with 3% to spare."""
    need = 0.0
    for value, width in zip(values, widths):
        text = width + LABEL_ROOM
        if plot_width - text <= 0:
            continue
        stretch = plot_width / (plot_width - text)
        if scale == "log":
            need = max(need, math.log10(low) + (math.log10(value) - math.log10(low)) * stretch)
        else:
            need = max(need, value * stretch)
    if scale == "log":
        return low, 10 ** (need + 0.03)
    return 0.0, need * 1.03
