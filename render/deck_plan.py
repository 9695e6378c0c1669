"""What every slide of the deck says, decided before anything is drawn: titles (unique across the
deck), key points, big numbers, speaker notes, and how tables split across slides.

Planning measures text (deck_measure), because whether a title needs two lines or a table one slide
changes what goes where; nothing is shrunk below 18 pt to fit, it is split, cut to its top rows, or
left to the notes instead. The geometry constants here are shared with the drawing in deck.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .deck_measure import LINE, Para, Type
from .errors import ContentError
from .model import Cell, Chart, ChartRef, Headline, Prose, Report, Section, TableRef, TableView
from .text import markdown_to_blocks
from .theme import Theme

MARGIN = 44.0  # left and right, in points
TITLE_TOP = 30.0
GAP = 28.0  # between the title and what follows; the accent bar sits in it
BOTTOM = 26.0  # nothing is drawn closer than this to the slide's bottom edge
MIN_BODY, MIN_TITLE = 18.0, 28.0
CELL_X, CELL_Y = 7.2, 4.0  # table cell margins


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class TablePage:
    """The part of a table one slide shows: chosen columns and rows, laid out to fit."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]  # body rows, then the total row when there is one
    total: bool
    numeric: tuple[bool, ...]
    widths: tuple[float, ...]  # points
    heights: tuple[float, ...]  # points; the header row first
    footnote: str = ""


@dataclass(frozen=True)
class SlideSpec:
    """What one slide says. `kind` picks the drawing: title, divider, points, number, chart, table,
    closing."""

    kind: str
    title: str
    notes: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    chart: Chart | None = None
    table: TablePage | None = None
    value: str = ""  # the big number; the title starts with it


TITLE_WORDS = {
    "chart": "chart",
    "table": "table",
    "points": "key points",
    "number": "in numbers",
    "divider": "chapter",
    "closing": "closing",
    "title": "title",
}


def plan_deck(report: Report, theme: Theme) -> list[SlideSpec]:
    """Every slide, in the report's reading order, with unique titles."""
    t = Type(theme)
    deck = report.deck
    meta = report.meta
    chapters = report.chapters
    intro = ()
    if chapters and not chapters[0].sections and chapters[0].opener.id in deck.sections:
        # An opening chapter with nothing under it is what the presenter says over the title slide.
        intro = _notes(chapters.pop(0).opener)
    cover = (meta.subtitle, meta.organisation, str(meta.year))
    slides = [SlideSpec("title", meta.title, notes=intro, body=cover)]
    slides += [_number(h, None) for h in report.headlines if not h.section]
    for chapter in chapters:
        opener = chapter.opener
        shown = [s for s in chapter.sections if s.id in deck.sections]
        if shown:
            slides.append(SlideSpec("divider", opener.title, notes=_notes(opener)))
        elif opener.id in deck.sections:  # a chapter of one page is one slide, not a divider
            points = _key_points(opener, t)
            slides.append(SlideSpec("points", opener.title, notes=_notes(opener), body=points))
        else:
            continue
        if opener.id in deck.sections:
            slides += _section_slides(report, opener, t, points=False)
        for s in shown:
            slides += _section_slides(report, s, t, points=True)
    closing = deck.closing or meta.tagline or f"Thank you from {meta.organisation}"
    lines = tuple(x for x in (meta.organisation, meta.website) if x)
    slides.append(SlideSpec("closing", closing, body=lines))
    return _unique(slides)


def _section_slides(report: Report, s: Section, t: Type, *, points: bool) -> list[SlideSpec]:
    deck = report.deck
    slides = []
    if points:
        slides.append(SlideSpec("points", s.title, notes=_notes(s), body=_key_points(s, t)))
    slides += [_number(h, s) for h in report.headlines if h.section == s.id]
    for block in s.blocks:
        if isinstance(block, ChartRef) and block.chart_id in deck.charts:
            chart = report.charts[block.chart_id]
            source = report.tables[chart.table].source
            notes = tuple(x for x in (chart.caption, chart.alt, chart.note) if x)
            slides.append(
                SlideSpec(
                    "chart",
                    chart.title,
                    notes=notes,
                    body=(f"Source: {source}",) if source else (),
                    chart=chart,
                )
            )
        elif isinstance(block, TableRef) and block.table_id in deck.tables:
            config = report.content_dir / "report.toml" if report.content_dir else None
            slides += _table_slides(
                report.table_views[block.table_id],
                deck.max_table_rows,
                report.table_numbers[block.table_id],
                config,
                t,
            )
    return slides


def _number(h: Headline, section: Section | None) -> SlideSpec:
    notes = [f"{h.value} {h.label}.", f"Source: {h.source}."]
    if section is not None:
        notes += [p for p in _paragraphs(section) if h.value in p]
    return SlideSpec("number", f"{h.value} {h.label}", notes=tuple(notes), body=(h.source,), value=h.value)


def _unique(slides: list[SlideSpec]) -> list[SlideSpec]:
    """No two slides share a title (compared as a screen reader would, ignoring case and spacing)."""
    seen: set[str] = set()
    out = []
    for spec in slides:
        title = spec.title
        candidates = [title, f"{title}: {TITLE_WORDS[spec.kind]}"] + [f"{title} ({n})" for n in range(2, 99)]
        title = next(c for c in candidates if _key(c) not in seen)
        seen.add(_key(title))
        out.append(replace(spec, title=title))
    return out


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()


# ---------------------------------------------------------------- words from the narrative


def _paragraphs(section: Section) -> list[str]:
    return [
        text for b in section.blocks if isinstance(b, Prose) for _, text in markdown_to_blocks(b.markdown)
    ]


def _notes(section: Section) -> tuple[str, ...]:
    return tuple(_paragraphs(section)) or (section.title + ".",)


_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"']?\s+(?=[A-Z0-9“\"])")


def _sentences(paragraph: str) -> list[str]:
    parts, current = [], ""
    for piece in _SENTENCE_END.split(paragraph):
        current = f"{current} {piece}" if current else piece
        if not re.search(r"\b(?:[A-Z]\.){2,}$|\b(?:Mr|Mrs|Ms|Dr|St|No|vs)\.$", current):
            parts.append(current)
            current = ""
    return parts + ([current] if current else [])


def _key_points(section: Section, t: Type) -> tuple[str, ...]:
    """One to three bullets: the section's callouts, else its opening sentences; as many as fit."""
    blocks = [x for b in section.blocks if isinstance(b, Prose) for x in markdown_to_blocks(b.markdown)]
    points = [text for kind, text in blocks if kind == "quote"][:3]
    if not points:
        first = next((text for kind, text in blocks if kind == "para"), section.title)
        sentences = _sentences(first)
        points = [sentences[0]]
        if len(sentences) > 1 and len(sentences[0]) + len(sentences[1]) < 200:
            points.append(sentences[1])
    w, h = t.size
    room = h - _content_top(section.title, t) - BOTTOM
    while len(points) > 1 and t.height(key_point_paras(points, t), w - 2 * MARGIN) > room:
        points.pop()
    return tuple(points)


def key_point_paras(points: Sequence[str], t: Type) -> list[Para]:
    # Key points get more than body size: a slide of two sentences has the room.
    size = t.slide.get("points_size", round(t.slide["body_size"] * 4 / 3))
    color = t.slide["text_color"]
    return [
        Para(p, size, color, bullet=True, space_before=0 if i == 0 else size * 0.8)
        for i, p in enumerate(points)
    ]


# ---------------------------------------------------------------- titles and geometry


def title_paras(title: str, t: Type, width: float, *, compact: bool = False) -> list[Para]:
    """The title at the theme's size, or smaller (never under 28 pt) when that saves a line: down
    to two lines, or as few as possible when `compact` (a chart or table needs the height)."""
    color = t.slide["title_color"]
    options = [
        [Para(title, size, color, bold=True)]
        for size in range(int(t.slide["title_size"]), int(MIN_TITLE) - 1, -2)
    ]
    lines = [t.lines(paras[0], width) for paras in options]
    fewest = min(lines) if compact else max(2, min(lines))
    return next(paras for paras, n in zip(options, lines) if n <= fewest)


def _title_height(title: str, t: Type, compact: bool) -> float:
    width = t.size[0] - 2 * MARGIN
    return t.height(title_paras(title, t, width, compact=compact), width) + 4


def _content_top(title: str, t: Type, compact: bool = False) -> float:
    return TITLE_TOP + _title_height(title, t, compact) + GAP


# ---------------------------------------------------------------- tables


def _table_slides(
    view: TableView, max_rows: int, number: int, config: Path | None, t: Type
) -> list[SlideSpec]:
    """A table on one slide when it fits; split over a few slides when it is a little long; its top
    rows (ranked by the last column) and a pointer to the PDF when it is much longer. Columns that
    do not fit across at full size continue on the next slide, each with the row headers."""
    max_rows = max(1, max_rows)
    groups = _column_groups(view, config, t)
    if len(view.rows) > 2 * max_rows:
        pages = _top_rows(view, groups, max_rows, number, config, t)
    else:
        pages = _split_rows(view, groups, max_rows, config, t)
    slides = []
    for n, (columns, chunk, total, footnote) in enumerate(pages, start=1):
        title = _table_title(view.caption, n, len(pages))
        notes = [view.caption + "."] + [_row_sentence(view.header, columns, row) for row in chunk]
        if total:
            notes.append(_row_sentence(view.header, columns, total))
        if footnote:
            notes.append(footnote)
        if n == 1:
            notes += [x for x in (view.note, f"Source: {view.source}." if view.source else "") if x]
            if len(pages) > 1:
                notes.append(f"The table continues over {len(pages)} slides.")
        page = _layout_table(view, columns, chunk, total, footnote, t)
        slides.append(SlideSpec("table", title, notes=tuple(notes), table=page))
    return slides


def _table_title(caption: str, n: int, of: int) -> str:
    return caption if n == 1 else f"{caption} (continued, {n} of {of})"


def _room(view: TableView, title: str, footnote: str, t: Type) -> float:
    room = t.size[1] - _content_top(title, t, compact=True) - BOTTOM
    return room - (_footnote_height(footnote, t) + 10 if footnote else 0)


def _top_rows(view, groups, max_rows, number, config, t: Type):
    ranked = sorted(
        view.rows, key=lambda row: -math.inf if row[-1].value is None else row[-1].value, reverse=True
    )
    total = view.totals
    if total is not None:  # the total still covers every row, and says so
        total = (Cell(f"{total[0].text} (all {len(view.rows)})"),) + tuple(total[1:])
    for n in range(max_rows, 0, -1):
        footnote = (
            f"Top {n} of {len(view.rows)} rows, by {view.header[-1]}; the full table is in "
            f"the PDF report (Table {number})."
        )
        pages = [(columns, ranked[:n], total, footnote) for columns in groups]
        if all(
            sum(_layout_table(view, c, rows, tot, note, t).heights)
            <= _room(view, _table_title(view.caption, k, len(pages)), note, t)
            for k, (c, rows, tot, note) in enumerate(pages, start=1)
        ):
            return pages
    raise _too_tall(view, config)


def _split_rows(view, groups, max_rows, config, t: Type):
    """Rows in balanced chunks, as few as fit, the total row on the last chunk of each column group."""
    body = list(view.rows)
    for per_group in range(math.ceil(len(body) / max_rows) or 1, len(body) + 1):
        size = math.ceil(len(body) / per_group) or 1
        chunks = [body[i : i + size] for i in range(0, len(body), size)] or [[]]
        pages = [
            (columns, chunk, view.totals if k == len(chunks) - 1 else None, "")
            for columns in groups
            for k, chunk in enumerate(chunks)
        ]
        if all(
            sum(_layout_table(view, c, rows, tot, "", t).heights)
            <= _room(view, _table_title(view.caption, k, len(pages)), "", t)
            for k, (c, rows, tot, _) in enumerate(pages, start=1)
        ):
            return pages
    raise _too_tall(view, config)


def _too_tall(view: TableView, config: Path | None) -> ContentError:
    return ContentError(
        config,
        f"[tables.{view.id}]: a row of this table does not fit on a slide at 18 pt",
        hint="shorten the row's text, or leave the table out of [deck] tables",
    )


def _row_sentence(header, columns, row) -> str:
    values = [f"{header[j]} {row[j].text}" for j in columns[1:]]
    return f"{row[0].text}: " + ", ".join(values) + "."


def table_text_size(t: Type) -> float:
    """Table text: a little under body size, never under 18 pt."""
    return max(MIN_BODY, t.slide["body_size"] - 2)


def _cell_widths(view: TableView, j: int, t: Type) -> tuple[float, float]:
    """(narrowest, natural) width of column j: its longest word, or its longest text unwrapped."""
    size = table_text_size(t)
    texts = [(view.header[j], True)] + [(row[j].text, False) for row in view.rows]
    if view.totals:
        texts.append((view.totals[j].text + (" (all 999)" if j == 0 else ""), True))
    narrow = max(t.widest_word(text, size, bold) for text, bold in texts)
    natural = max(t.face(bold).width(text, size) for text, bold in texts)
    return narrow + 2 * CELL_X + 2, natural + 2 * CELL_X + 2


def _column_groups(view: TableView, config: Path | None, t: Type) -> list[tuple[int, ...]]:
    """The row-header column plus the others, in as few balanced groups as fit across the slide."""
    room = t.size[0] - 2 * MARGIN
    narrow = [_cell_widths(view, j, t)[0] for j in range(len(view.header))]
    others = list(range(1, len(view.header)))
    for count in range(1, len(others) + 1):
        size = math.ceil(len(others) / count)
        groups = [(0, *others[i : i + size]) for i in range(0, len(others), size)]
        if all(sum(narrow[j] for j in g) <= room for g in groups):
            return groups
    raise ContentError(
        config,
        f"[tables.{view.id}]: its row headers and one column do not fit across a slide at 18 pt",
        hint="shorten the longest words, or leave it out of [deck] tables",
    )


def _widths(view: TableView, columns: tuple[int, ...], t: Type) -> list[float]:
    """Natural widths with some air when they fit. Else the columns of numbers keep their natural
    width and the text columns wrap; and when even that is too wide, every column gets its longest
    word and shares the rest of the room in proportion to what it lacks."""
    room = t.size[0] - 2 * MARGIN
    sizes = [_cell_widths(view, j, t) for j in columns]
    narrow, natural = [lo for lo, _ in sizes], [nat for _, nat in sizes]
    air = 18.0
    if sum(natural) + air * len(columns) <= room:
        return [n + air for n in natural]
    if sum(natural) <= room:
        return [n + (room - sum(natural)) / len(columns) for n in natural]
    numeric = [j != 0 and all(row[j].numeric for row in view.rows) for j in columns]
    lacking = [0.0 if num else nat - lo for (lo, nat), num in zip(sizes, numeric)]
    start = [nat if num else lo for (lo, nat), num in zip(sizes, numeric)]
    if sum(start) > room:
        lacking = [nat - lo for lo, nat in sizes]
        start = narrow
    spare = room - sum(start)
    return [lo + spare * gap / sum(lacking) for lo, gap in zip(start, lacking)]


def _row_height(cells: list[str], widths: list[float], bold: bool, t: Type) -> float:
    size = table_text_size(t)
    lines = max(len(t.face(bold).wrap(text, w - 2 * CELL_X - 2, size)) for text, w in zip(cells, widths))
    return lines * size * LINE + 2 * CELL_Y + 2


def _layout_table(view: TableView, columns, chunk, total, footnote, t: Type) -> TablePage:
    widths = _widths(view, columns, t)
    header = tuple(view.header[j] for j in columns)
    rows = [tuple(row[j] for j in columns) for row in chunk]
    if total:
        rows.append(tuple(total[j] for j in columns))
    heights = [_row_height(list(header), widths, True, t)]
    heights += [
        _row_height([c.text for c in row], widths, total is not None and i == len(rows) - 1, t)
        for i, row in enumerate(rows)
    ]
    numeric = tuple(j != 0 and all(row[j].numeric for row in view.rows) for j in columns)
    return TablePage(header, tuple(rows), total is not None, numeric, tuple(widths), tuple(heights), footnote)


def _footnote_height(text: str, t: Type) -> float:
    width = t.size[0] - 2 * MARGIN
    return t.height([Para(text, MIN_BODY, t.theme.colors["muted"])], width)
