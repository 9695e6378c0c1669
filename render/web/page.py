"""What the web edition's page holds, in reading order: the same chapters, sections, key figures,
charts, tables, "at a glance" figures and back-cover words as the PDF, decided here and drawn by
the styles' templates (styles/web/).

It shares with the PDF's layout what must read the same (the prose as the one Markdown parser
renders it, the glance figures, the back cover, phrases kept on one line) and leaves out what only
a printed page needs (page flow marks, tables split to fit a page's width, page numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from ..layout import BackCover, GlanceGroup, glance_groups, keep_together
from ..model import Chapter, Chart, ChartRef, KeyFigure, Prose, Report, Section, TableView, chapters_of
from ..text import markdown_blocks_html, markdown_inline_html
from .svg import inline_svg


@dataclass(frozen=True)
class WebBlock:
    """One block of a section: prose (as HTML), a key figure, a chart or a table."""

    kind: str  # "prose", "key-figure", "chart" or "table"
    html: str = ""  # prose; a chart's inline SVG
    value: str = ""  # a key figure's number
    label: str = ""  # a key figure's label, as HTML
    chart: Chart | None = None
    view: TableView | None = None
    number: str = ""  # "Figure 2", "Table A1": the number alone
    link: str = ""  # the other presentation of the same data: "table-x" for a chart, "chart-x" for a table
    link_number: str = ""


@dataclass(frozen=True)
class WebSection:
    id: str
    title: str
    level: int
    blocks: tuple[WebBlock, ...]


@dataclass(frozen=True)
class Download:
    href: str  # relative to the page: "../impact-report-2022.pdf"
    words: str  # "the report as a PDF"


@dataclass(frozen=True)
class WebPage:
    chapters: tuple[Chapter[WebSection], ...]
    glance: tuple[GlanceGroup, ...]
    appendix: tuple[WebBlock, ...]
    back: BackCover
    downloads: tuple[Download, ...]


def web_page(
    report: Report,
    svgs: dict[str, bytes],
    images: dict[Path, str],
    downloads: tuple[Download, ...] = (),
) -> WebPage:
    """The page's content. `svgs` are the charts' pictures, `images` each narrative picture's file →
    its address in the web edition."""
    nobreak = report.meta.nobreak

    def table(view_id: str) -> WebBlock:
        chart = report.data_chart.get(view_id)
        linked = bool(chart) and view_id in report.appendix
        return WebBlock(
            "table",
            view=report.table_views[view_id],
            number=report.table_numbers[view_id],
            link=f"chart-{chart}" if linked else "",
            link_number=report.figure_numbers.get(chart, "") if linked else "",
        )

    def chart(chart_id: str) -> WebBlock:
        c = report.charts[chart_id]
        number = report.figure_numbers[chart_id]
        data = report.chart_data.get(chart_id)
        in_appendix = data in report.appendix
        return WebBlock(
            "chart",
            html=inline_svg(svgs[chart_id], f"chart-{chart_id}", f"Figure {number}: {c.title}", c.alt),
            chart=c,
            number=number,
            link=f"table-{data}" if in_appendix else "",
            link_number=report.table_numbers[data] if in_appendix else "",
        )

    def blocks(section: Section) -> tuple[WebBlock, ...]:
        out: list[WebBlock] = []
        for b in section.blocks:
            if isinstance(b, Prose):
                pieces = markdown_blocks_html(
                    b.tokens, heading_offset=1, image=_image_html(section, images), id_prefix=section.id
                )
                out += [WebBlock("prose", html=keep_together(html, nobreak)) for _, html in pieces]
            elif isinstance(b, KeyFigure):
                out.append(WebBlock("key-figure", value=b.value, label=markdown_inline_html(b.label)))
            elif isinstance(b, ChartRef):
                out.append(chart(b.chart_id))
            else:
                out.append(table(b.table_id))
        return tuple(out)

    sections = [WebSection(s.id, s.title, s.level, blocks(s)) for s in report.sections]
    meta = report.meta
    back = BackCover(
        hotline=keep_together(markdown_inline_html(meta.hotline), nobreak) if meta.hotline else "",
        help=tuple(markdown_inline_html(item) for item in meta.how_to_help),
        website_text=meta.website_name,
    )
    return WebPage(
        chapters=tuple(chapters_of(sections)),
        glance=tuple(glance_groups(report)),
        appendix=tuple(table(view_id) for view_id in report.appendix),
        back=back,
        downloads=downloads,
    )


def _image_html(section: Section, addresses: dict[Path, str]):
    """A narrative picture at its address in the web edition, with its alt text and intrinsic size
    (so the page does not jump as it loads); a decorative one with empty alt text."""

    def render(token) -> str:
        image = section.images[str(token.attrs.get("src", ""))]
        src = escape(addresses[image.path])
        alt = "" if image.decorative else escape(image.alt)
        size = f'width="{round(image.width)}" height="{round(image.height)}"'
        kind = "decorative-image" if image.decorative else "narrative-image"
        return f'<img class="{kind}" src="{src}" alt="{alt}" {size}>'

    return render
