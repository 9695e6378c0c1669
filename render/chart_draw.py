"""Stage: charts, the drawing half. Draw a Chart (charts.build_chart) with matplotlib and seaborn.

The same Chart renders as SVG for the PDF (vector, its words as text in the report's face) and as
PNG for slides (bigger type, wider aspect). Meaning never rests on colour alone: every bar and cell
carries its value as a direct label.

Kept apart from the model (charts.py) because importing matplotlib, seaborn and pandas costs about a
second, which only the renderers should pay.
"""

from __future__ import annotations

import io
import math
from functools import cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, to_hex  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator  # noqa: E402

from .charts import PDF_WRAP, SLIDE_WRAP, label_lines, wrap_label  # noqa: E402
from .formatting import compact, decimals_of, format_value, share_percent  # noqa: E402
from .model import Chart  # noqa: E402
from .theme import Theme, contrast_ratio  # noqa: E402


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


def _fit_labels(ax, fig, values: list[float], labels: list, scale: str, low: float) -> None:
    """Widen the value axis just enough that every direct label ends inside the plot area."""
    fig.get_layout_engine().execute(fig)
    box = ax.get_window_extent()
    width = box.width
    need = 0.0
    for value, label in zip(values, labels):
        text_px = label.get_window_extent().width + 16
        if width - text_px <= 0:
            continue
        stretch = width / (width - text_px)
        if scale == "log":
            need = max(need, math.log10(low) + (math.log10(value) - math.log10(low)) * stretch)
        else:
            need = max(need, value * stretch)
    if scale == "log":
        ax.set_xlim(low, 10 ** (need + 0.03))
    else:
        ax.set_xlim(0, need * 1.03)


def _bar(ax, chart: Chart, theme: Theme, size: float, wrap: int) -> None:
    labels = [wrap_label(chart.short_labels.get(lbl, lbl), wrap) for lbl in chart.series.labels]
    values = list(chart.series.values)
    color = theme.chart["palette"][0]
    if chart.scale == "log":
        # On a log axis a bar's length depends on an arbitrary baseline, so show positions (a dot
        # plot) instead: each dot sits at its value, with a faint guide line to read across.
        positions = list(range(len(values)))
        ax.set_yticks(positions, labels)
        ax.set_ylim(len(values) - 0.5, -0.5)
        for y in positions:
            ax.axhline(y, color=theme.chart["grid"], linewidth=0.8, zorder=1)
        ax.scatter(values, positions, s=(size * 1.1) ** 2, color=color, zorder=3)
        ends = list(zip(values, positions))
        offset = size * 0.9
    else:
        sns.barplot(x=values, y=labels, orient="h", color=color, ax=ax, saturation=1, width=0.68)
        ends = [(p.get_width(), p.get_y() + p.get_height() / 2) for p in ax.patches]
        offset = 4 + size * 0.2  # clear of the label's white backing box
    decimals = decimals_of(values)
    whole = sum(values)
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
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: f"{v:g}%" if chart.unit == "percent" else compact(v))
        )
    ax.grid(axis="x", linewidth=0.6)
    ax.set_axisbelow(True)
    sns.despine(ax=ax, left=True, bottom=True)
    ax.tick_params(axis="both", which="both", length=0)
    _fit_labels(ax, ax.figure, values, texts, chart.scale, low)


def _heatmap(ax, chart: Chart, theme: Theme, size: float, wrap: int) -> None:
    ramp = theme.chart["heatmap"]
    cmap = LinearSegmentedColormap.from_list("theme", ramp)
    matrix = [list(r) for r in chart.series.matrix]
    top = max(max(r) for r in matrix) or 1
    sns.heatmap(
        matrix,
        ax=ax,
        cmap=cmap,
        vmin=0,
        vmax=top,
        cbar=False,
        linewidths=1,
        linecolor=theme.chart["background"],
        square=False,
        xticklabels=[wrap_label(c, 11) for c in chart.series.group_labels],
        yticklabels=list(chart.series.labels),
    )
    dark, light = theme.colors["text"], theme.colors["on_primary"]
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            cell = to_hex(cmap(value / top))
            ink = dark if contrast_ratio(dark, cell) >= contrast_ratio(light, cell) else light
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
    ax.set_xlabel("")
    ax.set_ylabel("")
    plt.setp(ax.get_xticklabels(), rotation=0)
    plt.setp(ax.get_yticklabels(), rotation=0)


def _draw(
    chart: Chart, theme: Theme, *, width: float, size: float, height: float | None, wrap: int, save: dict
) -> bytes:
    """Draw and save the chart inside the theme's style, so save-time settings (SVG text) apply.
    The style starts from matplotlib's defaults: a matplotlibrc on the machine changes nothing, so
    the picture depends only on what chart_cache's key covers."""
    with plt.style.context("default"), plt.rc_context(_style(theme, size)):
        n = len(chart.series.labels)
        if height is None:
            line = size / 72 * 1.3
            tallest = max(label_lines(chart, lbl, wrap) for lbl in chart.series.labels)
            per_row = max(0.36 * size / 10.5, tallest * line + 0.1)
            height = n * per_row + 0.8 * size / 10.5
            if chart.kind == "heatmap":
                height = n * 0.42 * size / 10.5 + 0.9
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        try:
            (_heatmap if chart.kind == "heatmap" else _bar)(ax, chart, theme, size, wrap)
            buffer = io.BytesIO()
            fig.savefig(buffer, **save)
        finally:
            plt.close(fig)
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
        save={"format": "png", "dpi": k["slide_dpi"], "metadata": {"Software": None}},
    )
