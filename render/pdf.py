"""Stage: the PDF. Lay the model out with Jinja2 templates and print CSS; WeasyPrint writes PDF/UA-1.

Structure choices follow WeasyPrint 70's tagging behaviour (see the shared notes): charts are <img>
with alt text (never <figure>), page numbers in the contents sit outside the links, decorative
graphics are CSS backgrounds, and headings never skip a level.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from .charts import render_svg
from .errors import ContentError
from .model import ChartRef, Prose, Report, Section, TableRef
from .tagging import repair
from .text import link_texts, markdown_to_html
from .theme import Theme


@dataclass
class Chapter:
    opener: Section
    sections: list[Section] = field(default_factory=list)


@dataclass
class LaidOutBlock:
    kind: str
    html: str = ""
    chart: object = None
    src: str = ""
    view: object = None
    number: int = 0


@dataclass
class LaidOutSection:
    id: str
    title: str
    level: int
    blocks: list[LaidOutBlock]


def chapters_of(sections: tuple[Section, ...]) -> list[Chapter]:
    chapters: list[Chapter] = []
    for s in sections:
        if s.level == 1 or not chapters:
            chapters.append(Chapter(s))
        else:
            chapters[-1].sections.append(s)
    return chapters


def offline_fetcher() -> URLFetcher:
    """The renderer never touches the network: only embedded data and local files may load,
    and a resource that fails to load stops the build instead of silently disappearing."""
    return URLFetcher(allowed_protocols={"data", "file"}, fail_on_errors=True)


def lay_out(report: Report, theme: Theme, svgs: dict[str, bytes]) -> list[Chapter]:
    """Number figures and tables in reading order and turn prose into HTML."""
    figure_no = table_no = 0
    laid: list[Chapter] = []
    for chapter in chapters_of(report.sections):
        out = None
        for s in [chapter.opener] + chapter.sections:
            blocks = []
            for b in s.blocks:
                if isinstance(b, Prose):
                    blocks.append(LaidOutBlock("prose", html=markdown_to_html(b.markdown, heading_offset=1)))
                elif isinstance(b, ChartRef):
                    figure_no += 1
                    src = "data:image/svg+xml;base64," + base64.b64encode(svgs[b.chart_id]).decode()
                    blocks.append(
                        LaidOutBlock("chart", chart=report.charts[b.chart_id], src=src, number=figure_no)
                    )
                elif isinstance(b, TableRef):
                    table_no += 1
                    blocks.append(LaidOutBlock("table", view=report.table_views[b.table_id], number=table_no))
            ls = LaidOutSection(s.id, s.title, s.level, blocks)
            if out is None:
                out = Chapter(ls)  # type: ignore[arg-type]
            else:
                out.sections.append(ls)  # type: ignore[arg-type]
        laid.append(out)  # type: ignore[arg-type]
    return laid


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
        meta=report.meta, headlines=report.headlines, chapters=lay_out(report, theme, svgs)
    )
    return html, css


def render_pdf(report: Report, theme: Theme, html: str, css: str) -> bytes:
    fonts = FontConfiguration()
    fetcher = offline_fetcher()
    # Without HarfBuzz-subset, WeasyPrint subsets fonts with fontTools, which stamps each subset
    # with the current time unless SOURCE_DATE_EPOCH is set: pin it so the same inputs give the
    # same bytes. The report's own publication year is a meaningful, stable stamp.
    epoch = str(int(datetime(report.meta.published_year, 1, 1, tzinfo=UTC).timestamp()))
    saved_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        document = weasyprint.HTML(string=html, base_url=str(theme.styles_dir), url_fetcher=fetcher)
        stylesheet = weasyprint.CSS(string=css, font_config=fonts, url_fetcher=fetcher)
        written = document.write_pdf(stylesheets=[stylesheet], font_config=fonts, pdf_variant="pdf/ua-1")
    except FatalURLFetchingError as e:
        raise ContentError(
            theme.styles_dir,
            f"a resource could not be loaded: {e}",
            hint="only local files can be used; check paths in the theme and templates",
        ) from None
    finally:
        if saved_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved_epoch
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
