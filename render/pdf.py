"""Stage: the PDF. Lay the model out with Jinja2 templates and print CSS; WeasyPrint writes PDF/UA-1.

Structure choices follow WeasyPrint 70's tagging behaviour (see the shared notes): charts are <img>
with alt text (never <figure>), page numbers in the contents sit outside the links, decorative
graphics are CSS backgrounds, and headings never skip a level.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from .charts import render_svg
from .errors import ContentError
from .model import Chapter, Chart, ChartRef, Prose, Report, TableView, chapters_of
from .tagging import repair
from .text import link_texts, markdown_to_html
from .theme import Theme


@dataclass(frozen=True)
class LaidOutBlock:
    kind: str  # "prose", "chart" or "table"
    html: str = ""
    chart: Chart | None = None
    src: str = ""
    view: TableView | None = None
    number: int = 0


@dataclass(frozen=True)
class LaidOutSection:
    id: str
    title: str
    level: int
    blocks: tuple[LaidOutBlock, ...]


def offline_fetcher() -> URLFetcher:
    """The renderer never touches the network: only embedded data and local files may load,
    and a resource that fails to load stops the build instead of silently disappearing."""
    return URLFetcher(allowed_protocols={"data", "file"}, fail_on_errors=True)


def lay_out(report: Report, svgs: dict[str, bytes]) -> list[Chapter[LaidOutSection]]:
    """Prose as HTML, charts as embedded SVG, each figure and table with its number."""

    def block(b) -> LaidOutBlock:
        if isinstance(b, Prose):
            return LaidOutBlock("prose", html=markdown_to_html(b.markdown, heading_offset=1))
        if isinstance(b, ChartRef):
            src = "data:image/svg+xml;base64," + base64.b64encode(svgs[b.chart_id]).decode()
            chart = report.charts[b.chart_id]
            return LaidOutBlock("chart", chart=chart, src=src, number=report.figure_numbers[b.chart_id])
        view = report.table_views[b.table_id]
        return LaidOutBlock("table", view=view, number=report.table_numbers[b.table_id])

    return chapters_of(
        [LaidOutSection(s.id, s.title, s.level, tuple(block(b) for b in s.blocks)) for s in report.sections]
    )


def _environment(styles_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([styles_dir / "templates", styles_dir]),
        autoescape=jinja2.select_autoescape(["j2", "html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report, theme: Theme, svgs: dict[str, bytes]) -> tuple[str, str]:
    """The report as an HTML document and its stylesheet."""
    env = _environment(theme.styles_dir)
    weights = {
        "regular": (400, "normal"),
        "italic": (400, "italic"),
        "semibold": (600, "normal"),
        "bold": (700, "normal"),
        "bold_italic": (700, "italic"),
        "black": (900, "normal"),
    }
    faces = [
        {"url": path.as_uri(), "weight": weights[style][0], "style": weights[style][1]}
        for style, path in theme.font_files.items()
    ]
    css = env.get_template("report.css.j2").render(
        font_faces=faces, font_family=theme.font_family, c=theme.colors, meta=report.meta
    )
    html = env.get_template("report.html.j2").render(
        meta=report.meta, headlines=report.headlines, chapters=lay_out(report, svgs)
    )
    return html, css


@contextmanager
def _source_date(year: int) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH while WeasyPrint writes. Without HarfBuzz-subset it subsets fonts with
    fontTools, which stamps each subset with the current time unless this is set; the report's
    publication year is a stable, meaningful stamp, so the same inputs give the same bytes."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(year, 1, 1, tzinfo=UTC).timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def render_pdf(report: Report, theme: Theme, html: str, css: str) -> bytes:
    fonts = FontConfiguration()
    fetcher = offline_fetcher()
    try:
        with _source_date(report.meta.published_year):
            document = weasyprint.HTML(string=html, base_url=str(theme.styles_dir), url_fetcher=fetcher)
            stylesheet = weasyprint.CSS(string=css, font_config=fonts, url_fetcher=fetcher)
            written = document.write_pdf(stylesheets=[stylesheet], font_config=fonts, pdf_variant="pdf/ua-1")
    except FatalURLFetchingError as e:
        raise ContentError(
            theme.styles_dir,
            f"a resource could not be loaded: {e}",
            hint="only local files can be used; check paths in the theme and templates",
        ) from None
    return repair(written, link_descriptions(report))


def link_descriptions(report: Report) -> dict[str, str]:
    """Every external link's address → its words, from the narrative."""
    found: dict[str, str] = {}
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Prose):
                for href, words in link_texts(block.markdown).items():
                    found.setdefault(href, words)
    return found


def chart_svgs(report: Report, theme: Theme) -> dict[str, bytes]:
    return {cid: render_svg(chart, theme) for cid, chart in report.charts.items()}
