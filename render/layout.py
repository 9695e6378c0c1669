"""The report laid out for a page: what goes on the cover, the contents, the "at a glance" spread,
each chapter (an opener page when it has sections), the data appendix and the back cover, with
every block of the narrative as its own unit so the page flow can move a figure past a paragraph.

Decisions about *what* is shown where live here; how it looks lives in the styles' templates and
CSS. Nothing here reads a file or draws anything.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, replace
from html import escape

from .deck_measure import font_face
from .model import Chapter, Chart, ChartRef, KeyFigure, Prose, Report, Section, TableView, chapters_of
from .text import markdown_blocks_html, markdown_inline_html
from .theme import Theme

# Table text as report.css.j2 sets it: 10 pt, cells padded 6 pt each side, or 3 pt in a compact table.
TABLE_FONT_SIZE, TABLE_PADDING, COMPACT_PADDING = 10.0, 6.0, 3.0
SMALL_TABLE_ROWS = 4  # set at its natural width, not across the page
CAPTION_ALLOWANCE = 60.0  # pt: a table's title and note above its first group of pieces
GLANCE_PER_CHAPTER = 12
GLANCE_COLUMNS = 3
GLANCE_ROWS_PER_PAGE = 7  # figure rows that fit a page with the chapter headings
# Heights the stylesheet gives the spread's title and each chapter heading (with their margins).
GLANCE_TITLE_IN, GLANCE_HEADING_IN, GLANCE_ROW_MAX_IN = 0.75, 0.62, 3.5
GLANCE_FIGURE_IN = 1.1  # a figure's number and a three-line label


@dataclass(frozen=True)
class TableLayout:
    """How a table is set across the text column."""

    parts: tuple[TableView, ...]  # the whole table, or groups of its columns
    compact: bool  # narrower cell padding
    break_words: bool  # a word too long for any column may break anywhere
    small: bool = False  # a few rows: set at its natural width
    columns: int = 1  # a long, narrow table set in 2 or 3 columns side by side
    # With columns > 1: the rows as pieces set side by side, a group of pieces per page at most
    # (our own split: CSS columns cost WeasyPrint a third of its layout time, balancing by trial).
    column_groups: tuple[tuple[TableView, ...], ...] = ()


@dataclass(frozen=True)
class LaidOutBlock:
    """One unit of the page flow: a paragraph (or list, or subheading), a key figure, a chart or a
    table. `flow` names it in the HTML so the flow pass can find its box on the page."""

    kind: str  # "prose", "key-figure", "chart" or "table"
    flow: str = ""
    html: str = ""
    chart: Chart | None = None
    src: str = ""
    view: TableView | None = None
    number: str = ""
    table: TableLayout | None = None
    value: str = ""  # a key figure's number
    label: str = ""  # a key figure's label, as HTML
    link: str = ""  # the other presentation of the same data: "table-x" for a chart, "chart-x" for a table
    link_number: str = ""  # its number
    movable: bool = False  # a chart or table the flow pass may move after the paragraphs that follow


@dataclass(frozen=True)
class LaidOutSection:
    id: str
    title: str
    level: int
    blocks: tuple[LaidOutBlock, ...]


@dataclass(frozen=True)
class GlanceGroup:
    """One chapter's figures on the "at a glance" spread."""

    chapter: str
    target: str  # the chapter's id, to link to
    figures: tuple[tuple[str, str], ...]  # (value, label HTML)


@dataclass(frozen=True)
class GlancePage:
    """One page of the "at a glance" spread: its chapter groups, and the height of a row of figures
    that fills the page (so the figures spread over it, not bunch at the top)."""

    groups: tuple[GlanceGroup, ...]
    row_height_in: float

    TEMPLATE_ATTRIBUTES = frozenset({"last_row_from"})

    @property
    def last_row_from(self) -> int:
        """Index of the first figure in the page's last row (its last group's): that row is not
        stretched, so the page ends with it."""
        last = len(self.groups[-1].figures) if self.groups else 0
        return last - (last % GLANCE_COLUMNS or GLANCE_COLUMNS)


@dataclass(frozen=True)
class BackCover:
    hotline: str  # HTML
    help: tuple[str, ...]  # HTML
    website_text: str  # the address as people say it: "missingkids.org"


@dataclass(frozen=True)
class LaidOutReport:
    chapters: tuple[Chapter[LaidOutSection], ...]
    glance: tuple[GlancePage, ...]
    appendix: tuple[LaidOutBlock, ...]
    back: BackCover

    def moved(self, moves: dict[str, int]) -> LaidOutReport:
        """The same report with each named block moved down (or, when negative, up) that many blocks."""

        def section(s: LaidOutSection) -> LaidOutSection:
            blocks = list(s.blocks)
            for flow, steps in moves.items():
                at = next((i for i, b in enumerate(blocks) if b.flow == flow), None)
                if at is not None:
                    block = blocks.pop(at)
                    blocks.insert(max(0, min(at + steps, len(blocks))), block)
            return replace(s, blocks=tuple(blocks))

        chapters = tuple(
            Chapter(section(c.opener), tuple(section(s) for s in c.sections)) for c in self.chapters
        )
        return replace(self, chapters=chapters)


def _column_groups(view: TableView, columns: int, theme: Theme) -> tuple[tuple[TableView, ...], ...]:
    """The rows of a long, narrow table cut into `columns` pieces side by side, in as few groups as
    fit a page each, rows shared out evenly; the total row ends the last piece."""
    page = theme.page
    room = (page.height_in - page.margin_top_in - page.margin_bottom_in) * 72
    row = TABLE_FONT_SIZE * 1.25 + 2 * 3.5 + 0.6  # one line, the padding and rule of table.data
    per_page = max(5, int((room - CAPTION_ALLOWANCE - 2 * row) // row))  # the header may take two lines
    rows = list(view.rows)
    groups = max(1, math.ceil(len(rows) / (per_page * columns)))
    per_group = math.ceil(len(rows) / groups)
    out = []
    for g in range(groups):
        chunk = rows[g * per_group : (g + 1) * per_group]
        per_piece = math.ceil(len(chunk) / columns)
        pieces = [chunk[i : i + per_piece] for i in range(0, len(chunk), per_piece)]
        out.append(
            tuple(
                replace(
                    view,
                    rows=tuple(piece),
                    totals=view.totals if g == groups - 1 and k == len(pieces) - 1 else None,
                )
                for k, piece in enumerate(pieces)
            )
        )
    return tuple(out)


def table_layout(view: TableView, theme: Theme) -> TableLayout:
    """The table as it fits across the text column: whole, with compact cells if that makes it fit,
    or in groups of columns that each repeat the row headers ("part 2 of 3"), so no column is ever
    cut off at the page edge. A column is as narrow as its longest word, or its longest number
    (numbers never wrap); header and total rows are bold. A long table narrow enough is set in two
    or three columns side by side; a table of a few rows at its natural width."""
    regular = font_face(theme.font_files["regular"])
    bold = font_face(theme.font_files.get("bold", theme.font_files["regular"]))
    body = [(row, regular) for row in view.rows] + ([(view.totals, bold)] if view.totals else [])

    def narrowest(j: int) -> float:
        words = [bold.width(w, TABLE_FONT_SIZE, fallback=False) for w in view.header[j].split()]
        for row, face in body:
            texts = [row[j].text] if row[j].numeric else row[j].text.split()
            words += [face.width(t, TABLE_FONT_SIZE, fallback=False) for t in texts]
        return max(words, default=0.0)

    def natural(j: int) -> float:
        """Unwrapped cells; the header may take two lines."""
        header = max(bold.width(w, TABLE_FONT_SIZE, fallback=False) for w in view.header[j].split())
        cells = [face.width(row[j].text, TABLE_FONT_SIZE, fallback=False) for row, face in body]
        return max([header, *cells]) + 2 * TABLE_PADDING

    room = theme.chart["pdf_width_in"] * 72
    words = [narrowest(j) for j in range(len(view.header))]
    small = len(view.rows) <= SMALL_TABLE_ROWS
    if sum(words) + 2 * TABLE_PADDING * len(words) <= room:
        width = sum(natural(j) for j in range(len(view.header)))
        columns = 1
        if len(view.rows) > 20:
            columns = 3 if 3 * width + 2 * 18 <= room else 2 if 2 * width + 18 <= room else 1
        groups = _column_groups(view, columns, theme) if columns > 1 else ()
        return TableLayout(
            (view,), compact=False, break_words=False, small=small, columns=columns, column_groups=groups
        )
    widths = [w + 2 * COMPACT_PADDING for w in words]
    if sum(widths) <= room or widths[0] + max(widths[1:], default=0) > room:
        return TableLayout((view,), compact=True, break_words=sum(widths) > room, small=small)
    groups: list[list[int]] = [[]]
    used = widths[0]
    for j in range(1, len(widths)):
        if groups[-1] and used + widths[j] > room:
            groups.append([])
            used = widths[0]
        groups[-1].append(j)
        used += widths[j]
    parts = []
    for n, columns in enumerate(groups, start=1):
        keep = (0, *columns)
        parts.append(
            replace(
                view,
                caption=f"{view.caption} (part {n} of {len(groups)})",
                header=tuple(view.header[j] for j in keep),
                rows=tuple(tuple(row[j] for j in keep) for row in view.rows),
                totals=tuple(view.totals[j] for j in keep) if view.totals else None,
            )
        )
    return TableLayout(tuple(parts), compact=True, break_words=False, small=small)


def _image_html(section: Section):
    """Render a Markdown image from the section's checked images: a file URL and its alt text, or,
    when decorative, a CSS background (an artifact, never an untagged figure)."""

    def render(token) -> str:
        image = section.images[str(token.attrs.get("src", ""))]
        url = escape(image.path.as_uri())
        if image.decorative:
            ratio = 100 * image.height / image.width
            return (
                f'<span class="decorative-image" style="background-image: url(\'{url}\'); '
                f'padding-bottom: {ratio:.2f}%"></span>'
            )
        return f'<img class="narrative-image" src="{url}" alt="{escape(image.alt)}">'

    return render


def lay_out(
    report: Report, theme: Theme, svgs: dict[str, bytes], nobreak: tuple[str, ...] = ()
) -> LaidOutReport:
    """Every chapter's blocks, the glance spread and the appendix, ready for the templates.
    Phrases in `nobreak` (a phone number) never break across lines."""
    counter = iter(range(1, 1_000_000))

    def flow() -> str:
        return f"b{next(counter)}"

    def table(view_id: str, movable: bool = False) -> LaidOutBlock:
        view = report.table_views[view_id]
        chart = report.data_chart.get(view_id)
        return LaidOutBlock(
            "table",
            flow=flow(),
            view=view,
            number=report.table_numbers[view_id],
            table=table_layout(view, theme),
            link=f"chart-{chart}" if chart and view_id in report.appendix else "",
            link_number=report.figure_numbers.get(chart, "") if chart else "",
            movable=movable,
        )

    def blocks(section: Section) -> list[LaidOutBlock]:
        out: list[LaidOutBlock] = []
        for b in section.blocks:
            if isinstance(b, Prose):
                pieces = markdown_blocks_html(
                    b.tokens, heading_offset=1, image=_image_html(section), mark=flow, id_prefix=section.id
                )
                for mark, html in pieces:
                    out.append(LaidOutBlock("prose", flow=mark, html=keep_together(html, nobreak)))
            elif isinstance(b, KeyFigure):
                out.append(
                    LaidOutBlock(
                        "key-figure", flow=flow(), value=b.value, label=markdown_inline_html(b.label)
                    )
                )
            elif isinstance(b, ChartRef):
                src = "data:image/svg+xml;base64," + base64.b64encode(svgs[b.chart_id]).decode()
                data = report.chart_data.get(b.chart_id)
                in_appendix = data in report.appendix
                out.append(
                    LaidOutBlock(
                        "chart",
                        flow=flow(),
                        chart=report.charts[b.chart_id],
                        src=src,
                        number=report.figure_numbers[b.chart_id],
                        link=f"table-{data}" if in_appendix else "",
                        link_number=report.table_numbers[data] if in_appendix else "",
                        movable=True,
                    )
                )
            else:
                out.append(table(b.table_id, movable=True))
        return out

    chapters = tuple(
        chapters_of([LaidOutSection(s.id, s.title, s.level, tuple(blocks(s))) for s in report.sections])
    )
    appendix = tuple(table(view_id) for view_id in report.appendix)
    meta = report.meta
    back = BackCover(
        hotline=keep_together(markdown_inline_html(meta.hotline), nobreak) if meta.hotline else "",
        help=tuple(markdown_inline_html(item) for item in meta.how_to_help),
        website_text=meta.website_name,
    )
    page = theme.page
    height = page.height_in - page.margin_top_in - page.margin_bottom_in
    return LaidOutReport(chapters, glance(report, height), appendix, back)


def keep_together(html: str, phrases: tuple[str, ...]) -> str:
    """Each phrase (a phone number) in the HTML wrapped so a line never breaks inside it."""
    for phrase in phrases:
        safe = escape(phrase)
        html = html.replace(safe, f'<span class="nobreak">{safe}</span>')
    return html


def glance(report: Report, page_height_in: float) -> tuple[GlancePage, ...]:
    """The "at a glance" figures on as few pages as hold them, each row of figures spaced to fill
    its page."""
    groups = glance_groups(report)
    pages = []
    for n, groups_on_page in enumerate(_pages(groups)):
        rows = sum(-(-len(g.figures) // GLANCE_COLUMNS) for g in groups_on_page)
        room = page_height_in - (GLANCE_TITLE_IN if n == 0 else 0) - GLANCE_HEADING_IN * len(groups_on_page)
        # Rows spaced so the last row's figures end at the foot of the page.
        height = (room - GLANCE_FIGURE_IN) / (rows - 1) if rows > 1 else room
        pages.append(GlancePage(groups_on_page, round(min(GLANCE_ROW_MAX_IN, height) - 0.02, 3)))
    return tuple(pages)


def glance_groups(report: Report) -> list[GlanceGroup]:
    """The "at a glance" figures, grouped by chapter: the headlines of each chapter, then its
    sections' key figures, each figure once."""
    groups = []
    for chapter in report.chapters:
        members = [chapter.opener, *chapter.sections]
        ids = {s.id for s in members}
        figures: dict[str, str] = {}
        for h in report.headlines:
            if h.section in ids:
                figures.setdefault(h.value, markdown_inline_html(h.label))
        for s in members:
            for k in s.key_figures:
                figures.setdefault(k.value, markdown_inline_html(k.label))
        if figures:
            chosen = tuple(list(figures.items())[:GLANCE_PER_CHAPTER])
            groups.append(GlanceGroup(chapter.opener.title, chapter.opener.id, chosen))
    return groups


def _pages(groups: list[GlanceGroup]) -> tuple[tuple[GlanceGroup, ...], ...]:
    """Groups onto as few pages as hold them, each page as evenly filled as the groups allow."""
    rows = [-(-len(g.figures) // GLANCE_COLUMNS) + 1 for g in groups]  # a heading counts as a row
    pages = max(1, -(-sum(rows) // GLANCE_ROWS_PER_PAGE))
    if pages == 1:
        return (tuple(groups),) if groups else ()
    target, out, current, filled = sum(rows) / pages, [], [], 0
    for group, size in zip(groups, rows):
        if current and filled + size / 2 > target * (len(out) + 1) and len(out) < pages - 1:
            out.append(tuple(current))
            current = []
        current.append(group)
        filled += size
    out.append(tuple(current))
    return tuple(out)
