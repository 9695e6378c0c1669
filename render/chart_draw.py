"""Stage: charts, the drawing half. Draw a Chart (charts.build_chart) with matplotlib.

The same Chart renders as SVG for the PDF (vector, its words as text in the report's face) and as
PNG for slides (bigger type, wider aspect). Meaning never rests on colour alone: every bar and cell
carries its value as a direct label.

Kept apart from the model (charts.py) because importing matplotlib costs most of a second, which only
the renderers should pay. Where the axes sit, and how far the value axis reaches, is worked out
from the sizes of the chart's texts (chart_layout) rather than by matplotlib drawing the figure to
lay it out: the same rule as its constrained layout, without drawing each picture two or three
times.
"""

from __future__ import annotations

import io
import math
import zlib
from functools import cache

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator
from PIL import Image

from .chart_layout import Metrics, axes_points, place_axes, value_reach
from .charts import PDF_WRAP, SLIDE_WRAP, label_lines, wrap_label
from .formatting import decimals_of, format_value, share_percent
from .model import Chart
from .theme import Theme, contrast_ratio

LABEL_CONTRAST = 4.5  # WCAG AA for a value printed on a data-coloured cell


@cache
def _register_fonts(files: tuple[str, ...]) -> None:
    for path in files:
        font_manager.fontManager.addfont(path)


def _style(theme: Theme, size: float) -> dict:
    c, k = theme.colors, theme.chart
    _register_fonts(tuple(str(p) for p in theme.font_files.values()))
    return {
        "font.family": theme.font_family,
        "font.size": size,
        "axes.labelsize": size,
        "xtick.labelsize": size,
        "ytick.labelsize": size,
        "text.color": c["text"],
        "axes.labelcolor": c["text"],
        "xtick.color": c["muted"],
        "ytick.color": c["text"],
        "axes.edgecolor": k["grid"],
        "grid.color": k["grid"],
        "figure.facecolor": k["background"],
        "axes.facecolor": k["background"],
        "svg.fonttype": "none",
        "svg.hashsalt": "impact-report",
        "pdf.fonttype": 42,
    }


def _log_ticks(value: float, _pos=None) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{value / size:,.0f}{suffix}"
    return f"{value:,.0f}"


def _fit_labels(ax, size: float, values: list[float], labels: list, scale: str, low: float) -> None:
    """Widen the value axis just enough that every direct label ends inside the plot area: the
    labels and the plot's width as the figure's own canvas measures them (Agg at the figure's
    dpi), with the axes placed for the axis as it stands before widening."""
    metrics = Metrics.agg(ax.figure.dpi)
    place_axes(ax, metrics, size)
    x0, _, x1, _ = axes_points(ax)
    widths = [metrics.width(label.get_text(), label.get_fontsize()) for label in labels]
    ax.set_xlim(*value_reach(widths, values, x1 - x0, scale, low))


def _ticks(ax, chart: Chart, values: list[float], size: float) -> MaxNLocator:
    """As many ticks as fit their numbers, written in full like the labels (30,000,000), across
    about three quarters of the figure's width."""
    widest = len(format_value(max(values) * 1.5, chart.unit, 0))
    room = ax.figure.get_figwidth() * 72 * 0.75
    bins = max(2, int(room / (widest * size * 0.6 + 2 * size)))
    return MaxNLocator(nbins=bins, integer=chart.unit != "percent", steps=[1, 2, 2.5, 5, 10])


def _bar(ax, chart: Chart, theme: Theme, size: float, wrap: int) -> None:
    k = theme.chart
    labels = [wrap_label(chart.short_labels.get(lbl, lbl), wrap) for lbl in chart.series.labels]
    values = list(chart.series.values)
    color = k["palette"][0]
    positions = list(range(len(values)))
    ax.set_yticks(positions, labels)
    ax.set_ylim(len(values) - 0.5, -0.5)
    if chart.scale == "log":
        # On a log axis a bar's length depends on an arbitrary baseline, so show positions (a dot
        # plot) instead: each dot sits at its value, with a faint guide line to read across.
        for y in positions:
            ax.axhline(y, color=theme.chart["grid"], linewidth=0.8, zorder=1)
        ax.scatter(values, positions, s=(size * 1.1) ** 2, color=color, zorder=3)
        ends = list(zip(values, positions))
        offset = size * 0.9
    else:
        ax.barh(positions, values, height=k["bar_width"], color=color, linewidth=0)
        ends = list(zip(values, positions))
        offset = 4 + size * 0.2  # clear of the label's white backing box
    decimals = decimals_of(values)
    whole = chart.whole or sum(values)
    texts = []
    for (x, y), value in zip(ends, values):
        text = format_value(value, chart.unit, decimals)
        if chart.show_share and whole:
            text += f"  ({share_percent(100 * value / whole, chart.share_decimals)})"
        texts.append(
            ax.annotate(
                text,
                (x, y),
                xytext=(offset, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=size,
                color=theme.colors["text"],
                bbox={
                    "boxstyle": "square,pad=0.15",
                    "facecolor": theme.chart["background"],
                    "edgecolor": "none",
                },
                zorder=4,
            )
        )
    ax.set_ylabel("")
    ax.set_xlabel(chart.value_label + (" (logarithmic scale)" if chart.scale == "log" else ""))
    low = 0.0
    if chart.scale == "log":
        ax.set_xscale("log")
        smallest = min(v for v in values if v > 0)
        low = 10 ** math.floor(math.log10(smallest))
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(_log_ticks))
    else:
        # The axis speaks the labels' language: 5,000 and 30,000,000, never 5K or 30.0M.
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_value(float(v), chart.unit, 0)))
        ax.xaxis.set_major_locator(_ticks(ax, chart, values, size))
    ax.grid(axis="x", linewidth=0.6)
    ax.set_axisbelow(True)
    _despine(ax)
    ax.tick_params(axis="both", which="both", length=0)
    _fit_labels(ax, size, values, texts, chart.scale, low)


def _despine(ax) -> None:
    for spine in ax.spines.values():
        spine.set_visible(False)


def _stacked(ax, chart: Chart, theme: Theme, size: float, wrap: int) -> None:
    """Two parts of a whole: one bar, each part a segment with its label, value and share beside
    it (a chart of two bars says less than this, and a log axis would hide how unequal they are)."""
    palette = theme.chart["palette"]
    whole = chart.whole or sum(chart.series.values)
    decimals = decimals_of(list(chart.series.values))
    left = 0.0
    for n, (label, value) in enumerate(zip(chart.series.labels, chart.series.values)):
        ax.barh(
            0,
            value,
            left=left,
            height=0.6,
            color=palette[n % len(palette)],
            edgecolor=theme.chart["background"],
        )
        text = f"{chart.short_labels.get(label, label)}: {format_value(value, chart.unit, decimals)} "
        text += f"({share_percent(100 * value / whole, chart.share_decimals)})"
        first = n == 0
        ax.annotate(
            text,
            (left if first else left + value, 0.3 if first else -0.3),
            xytext=(0, 4 if first else -4),
            textcoords="offset points",
            va="bottom" if first else "top",
            ha="left" if first else "right",
            fontsize=size,
            color=theme.colors["text"],
        )
        left += value
    ax.set_xlim(0, whole)
    ax.set_ylim(-1.2, 1.2)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_value(float(v), chart.unit, 0)))
    ax.xaxis.set_major_locator(_ticks(ax, chart, [whole], size))
    ax.set_xlabel(chart.value_label)
    _despine(ax)
    ax.tick_params(axis="both", which="both", length=0)


def _label_ink(theme: Theme, cell: str) -> tuple[str, str]:
    """The label colour for a data-coloured cell, and the cell colour: dark or white ink, whichever
    reads best; where neither reaches 4.5:1 the cell moves lighter or darker until one does."""
    dark, light = theme.colors["text"], theme.colors["on_primary"]
    for step in range(0, 21):
        for toward, ink in (("#FFFFFF", dark), ("#000000", light)):
            candidate = _mix(cell, toward, step / 20)
            if contrast_ratio(ink, candidate) >= LABEL_CONTRAST:
                return ink, candidate
    return dark, "#FFFFFF"


def _mix(colour: str, toward: str, amount: float) -> str:
    a = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(toward.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02X}" for x, y in zip(a, b))


def _heatmap(ax, chart: Chart, theme: Theme, size: float, wrap: int) -> None:
    ramp = theme.chart["heatmap"]
    cmap = LinearSegmentedColormap.from_list("theme", ramp)
    matrix = [list(r) for r in chart.series.matrix]
    top = max(max(r) for r in matrix) or 1
    # Cells of one unit each, row 0 at the top, parted by lines of the background colour.
    ax.pcolormesh(matrix, cmap=cmap, vmin=0, vmax=top, linewidths=1, edgecolor=theme.chart["background"])
    ax.set_xlim(0, len(matrix[0]))
    ax.set_ylim(len(matrix), 0)
    columns = [wrap_label(c, 11) for c in chart.series.group_labels]
    ax.set_xticks([c + 0.5 for c in range(len(matrix[0]))], columns)
    ax.set_yticks([r + 0.5 for r in range(len(matrix))], list(chart.series.labels), va="center")
    _despine(ax)
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            shade = to_hex(cmap(value / top)).upper()
            ink, cell = _label_ink(theme, shade)
            if cell != shade:  # repaint the cell in the colour its label can be read on
                ax.add_patch(
                    Rectangle((c, r), 1, 1, facecolor=cell, edgecolor=theme.chart["background"], linewidth=1)
                )
            ax.text(
                c + 0.5,
                r + 0.5,
                format_value(value, chart.unit),
                ha="center",
                va="center",
                fontsize=max(size * 0.95, 10),
                color=ink,
            )
    ax.xaxis.tick_top()
    ax.tick_params(length=0)


def _draw(
    chart: Chart, theme: Theme, *, width: float, size: float, height: float | None, wrap: int, save: dict
) -> bytes:
    """Draw and save the chart inside the theme's style, so save-time settings (SVG text) apply.
    The style starts from matplotlib's defaults: a matplotlibrc on the machine changes nothing, so
    the picture depends only on what chart_cache's key covers."""
    with matplotlib.style.context("default"), matplotlib.rc_context(_style(theme, size)):
        n = len(chart.series.labels)
        k = theme.chart
        if height is None:
            line = size / 72 * 1.3
            tallest = max(label_lines(chart, lbl, wrap) for lbl in chart.series.labels)
            per_row = max(k["row_height_in"] * size / 10.5, tallest * line + 0.1)
            height = n * per_row + 0.8 * size / 10.5
            if chart.kind == "heatmap":
                height = n * k["heatmap_row_in"] * size / 10.5 + 0.9
            elif chart.stacked:
                height = 4 * line + 0.6 * size / 10.5
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        heatmap = chart.kind == "heatmap"
        draw = _heatmap if heatmap else _stacked if chart.stacked else _bar
        draw(ax, chart, theme, size, wrap)
        # Placed as the renderer that draws the picture measures its texts.
        if save["format"] == "png":
            fig.dpi = save["dpi"]
            canvas = FigureCanvasAgg(fig)
            metrics = Metrics.of_canvas(canvas)
        else:
            metrics = Metrics.svg()
        if heatmap:
            place_axes(ax, metrics, size, x_side="top", y_va="center")
        else:
            place_axes(ax, metrics, size)
        if save["format"] == "png":
            return _png(canvas)
        buffer = io.BytesIO()
        fig.savefig(buffer, **save)
        return buffer.getvalue()


def _png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's figure as PNG at its dpi, the pixels savefig writes: RGB when every pixel is
    opaque (a chart on the theme's background always is), deflated with zlib's run-length strategy,
    and no metadata but the resolution. About three times faster to encode than savefig's RGBA at
    zlib's default strategy, which took a third of a slide chart's time, for files a few per cent
    larger."""
    canvas.draw()
    dpi = canvas.figure.dpi
    rgba = np.asarray(canvas.buffer_rgba())
    image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
    if rgba[..., 3].min() == 255:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="png", dpi=(dpi, dpi), compress_type=zlib.Z_RLE)
    return buffer.getvalue()


def render_svg(chart: Chart, theme: Theme) -> bytes:
    """The chart for the PDF: vector SVG sized to the text column, its words as SVG text."""
    k = theme.chart
    return _draw(
        chart,
        theme,
        width=k["pdf_width_in"],
        size=k["pdf_font_size"],
        height=None,
        wrap=PDF_WRAP,
        save={"format": "svg", "metadata": {"Date": None, "Creator": None}},
    )


def render_png(
    chart: Chart, theme: Theme, *, width_in: float | None = None, height_in: float | None = None
) -> bytes:
    """The chart for a slide: large type, PNG at twice slide resolution or better, drawn at the size
    it is placed at (default: the theme's slide chart size) so its type stays at the theme's size."""
    k = theme.chart
    return _draw(
        chart,
        theme,
        width=width_in or k["slide_width_in"],
        size=k["slide_font_size"],
        height=height_in or k["slide_height_in"],
        wrap=SLIDE_WRAP,
        save={"format": "png", "dpi": k["slide_dpi"]},
    )
