"""Stage: the deck. The model the PDF is made from, laid out as a 16:9 PowerPoint a presenter can take
on stage, and that PowerPoint's Accessibility Checker has nothing to say about.

Two steps. `plan_deck` decides what every slide says: titles (unique across the deck), bullets,
speaker notes and how tables split. `render_deck` draws the plan with python-pptx. Planning measures
text, because whether a title needs two lines or a table one slide changes what goes where; nothing is
shrunk below 18 pt to fit, it is split, cut to its top rows, or left to the notes instead.

Fonts: every run names the theme's face (the PDF's and the charts'). A presenting machine without it
substitutes the theme's fallback (Arial by default), which sets up to 12% wider than Source Sans Pro,
so every box is sized as if set in the fallback and survives the substitution.

The bytes are reproducible: fixed document dates and fixed zip entry times, so building the same
content twice gives the same file.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from lxml import etree
from markdown_it import MarkdownIt
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.util import Emu

from .charts import render_png
from .errors import ContentError
from .model import Cell, Chart, ChartRef, DeckPlan, Headline, Prose, Report, Section, TableRef, TableView
from .theme import Theme, contrast_ratio

PT = 12700  # EMU per point
LINE = 1.25  # line height per point of type: Source Sans Pro's ascender plus descender
FALLBACK_WIDTH = 1.12  # Arial's widest ratio to Source Sans Pro, measured on the report's prose
MARGIN = 44.0  # left and right, in points
TITLE_TOP = 30.0
GAP = 28.0  # between the title and what follows; the accent bar sits in it
BOTTOM = 26.0  # nothing is drawn closer than this to the slide's bottom edge
MIN_BODY, MIN_TITLE = 18.0, 28.0
CELL_X, CELL_Y = 7.2, 4.0  # table cell margins
DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"
TITLE_PLACEHOLDERS = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
PLAIN_TABLE_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"  # "No Style, No Grid": we draw our own

_md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(["replacements", "smartquotes"])


# ---------------------------------------------------------------- measuring text


class _Face:
    """Advance widths of one font file, to estimate where PowerPoint will wrap a line."""

    def __init__(self, path: Path):
        font = TTFont(str(path), lazy=True)
        self.upm = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        self._widths = {code: hmtx[name][0] for code, name in font.getBestCmap().items()}
        self._missing = hmtx[".notdef"][0]
        p = font["OS/2"].panose
        self.panose = "".join(f"{v:02X}" for v in (
            p.bFamilyType, p.bSerifStyle, p.bWeight, p.bProportion, p.bContrast, p.bStrokeVariation,
            p.bArmStyle, p.bLetterForm, p.bMidline, p.bXHeight))

    def width(self, text: str, size: float) -> float:
        units = sum(self._widths.get(ord(ch), self._missing) for ch in text)
        return units / self.upm * size * FALLBACK_WIDTH

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        lines: list[str] = []
        line = ""
        for word in text.split():
            trial = f"{line} {word}" if line else word
            if line and self.width(trial, size) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        return lines + [line]


@lru_cache(maxsize=8)
def _face(path: Path) -> _Face:
    return _Face(path)


@dataclass(frozen=True)
class Para:
    """One paragraph of a text box: a single run, so its size, weight and colour are one thing."""

    text: str
    size: float
    color: str
    bold: bool = False
    align: str = "left"
    bullet: bool = False
    space_before: float = 0.0


@dataclass(frozen=True)
class Type:
    """The theme's faces and colours, with the measurements the layout needs."""

    theme: Theme

    def face(self, bold: bool) -> _Face:
        files = self.theme.font_files
        return _face(files["bold" if bold else "regular"] if "bold" in files else files["regular"])

    def lines(self, p: Para, width: float) -> int:
        indent = self.indent(p.size) if p.bullet else 0.0
        return len(self.face(p.bold).wrap(p.text, width - indent, p.size))

    def height(self, paras: list[Para], width: float) -> float:
        return sum(p.space_before + self.lines(p, width) * p.size * LINE for p in paras)

    def widest_word(self, text: str, size: float, bold: bool) -> float:
        return max((self.face(bold).width(w, size) for w in text.split()), default=0.0)

    @staticmethod
    def indent(size: float) -> float:
        return round(size * 1.1)

    @property
    def slide(self) -> dict:
        return self.theme.slides

    @property
    def size(self) -> tuple[float, float]:
        return self.slide["width_in"] * 72, self.slide["height_in"] * 72


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


TITLE_WORDS = {"chart": "chart", "table": "table", "points": "key points", "number": "in numbers",
               "divider": "chapter", "closing": "closing", "title": "title"}


def plan_deck(report: Report, theme: Theme) -> list[SlideSpec]:
    """Every slide, in the report's reading order, with unique titles."""
    t = Type(theme)
    deck = report.deck or DeckPlan(tuple(s.id for s in report.sections), tuple(report.charts),
                                   tuple(report.table_views), 8, report.meta.tagline)
    table_numbers = {tid: n for n, tid in enumerate(
        (tid for s in report.sections for tid in s.table_ids), start=1)}
    meta = report.meta
    chapters = _chapters(report.sections)
    intro = ()
    if chapters and not chapters[0][1] and chapters[0][0].id in deck.sections:
        # An opening chapter with nothing under it is what the presenter says over the title slide.
        intro = _notes(chapters.pop(0)[0])
    cover = (meta.subtitle, meta.organisation, str(meta.year))
    slides = [SlideSpec("title", meta.title, notes=intro, body=cover)]
    slides += [_number(h, None) for h in report.headlines if not h.section]
    for opener, sections in chapters:
        shown = [s for s in sections if s.id in deck.sections]
        if shown:
            slides.append(SlideSpec("divider", opener.title, notes=_notes(opener)))
        elif opener.id in deck.sections:  # a chapter of one page is one slide, not a divider
            points = _key_points(opener, t)
            slides.append(SlideSpec("points", opener.title, notes=_notes(opener), body=points))
        else:
            continue
        if opener.id in deck.sections:
            slides += _section_slides(report, deck, opener, t, table_numbers, points=False)
        for s in shown:
            slides += _section_slides(report, deck, s, t, table_numbers, points=True)
    closing = deck.closing or meta.tagline or f"Thank you from {meta.organisation}"
    lines = tuple(x for x in (meta.organisation, meta.website) if x)
    slides.append(SlideSpec("closing", closing, body=lines))
    return _unique(slides)


def _chapters(sections: tuple[Section, ...]) -> list[tuple[Section, list[Section]]]:
    chapters: list[tuple[Section, list[Section]]] = []
    for s in sections:
        if s.level == 1 or not chapters:
            chapters.append((s, []))
        else:
            chapters[-1][1].append(s)
    return chapters


def _section_slides(report: Report, deck: DeckPlan, s: Section, t: Type, table_numbers: dict[str, int],
                    *, points: bool) -> list[SlideSpec]:
    slides = []
    if points:
        slides.append(SlideSpec("points", s.title, notes=_notes(s), body=_key_points(s, t)))
    slides += [_number(h, s) for h in report.headlines if h.section == s.id]
    for block in s.blocks:
        if isinstance(block, ChartRef) and block.chart_id in deck.charts:
            chart = report.charts[block.chart_id]
            source = report.tables[chart.table].source
            notes = tuple(x for x in (chart.caption, chart.alt, chart.note) if x)
            slides.append(SlideSpec("chart", chart.title, notes=notes,
                                    body=(f"Source: {source}",) if source else (), chart=chart))
        elif isinstance(block, TableRef) and block.table_id in deck.tables:
            config = report.content_dir / "report.toml" if report.content_dir else None
            slides += _table_slides(report.table_views[block.table_id], deck.max_table_rows,
                                    table_numbers[block.table_id], config, t)
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


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """(kind, plain text) for each paragraph: "para", "quote" (a callout) or "heading"; a list
    becomes one sentence joined to the paragraph that introduces it."""
    out: list[tuple[str, str]] = []
    items: list[str] = []
    kind, depth = "para", 0
    for token in _md.parse(markdown):
        if token.type == "blockquote_open":
            kind = "quote"
        elif token.type == "blockquote_close":
            kind = "para"
        elif token.type == "heading_open":
            kind = "heading"
        elif token.type == "heading_close":
            kind = "para"
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            if depth == 0 and items:
                joined = ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] + "."
                if out and out[-1][1].endswith(":"):
                    out[-1] = (out[-1][0], f"{out[-1][1]} {joined}")
                else:
                    out.append(("para", joined))
                items = []
        elif token.type == "inline":
            text = _plain(token)
            if text and depth:
                items.append(text.rstrip("."))
            elif text:
                out.append((kind, text))
    return out


def _plain(token) -> str:
    words = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return " ".join("".join(words).split())


def _paragraphs(section: Section) -> list[str]:
    return [text for b in section.blocks if isinstance(b, Prose) for _, text in _blocks(b.markdown)]


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
    blocks = [x for b in section.blocks if isinstance(b, Prose) for x in _blocks(b.markdown)]
    points = [text for kind, text in blocks if kind == "quote"][:3]
    if not points:
        first = next((text for kind, text in blocks if kind == "para"), section.title)
        sentences = _sentences(first)
        points = [sentences[0]]
        if len(sentences) > 1 and len(sentences[0]) + len(sentences[1]) < 200:
            points.append(sentences[1])
    w, h = t.size
    room = h - _content_top(section.title, t) - BOTTOM
    while len(points) > 1 and t.height(_bullets(points, t), w - 2 * MARGIN) > room:
        points.pop()
    return tuple(points)


def _bullets(points, t: Type) -> list[Para]:
    # Key points get more than body size: a slide of two sentences has the room.
    size = t.slide.get("points_size", round(t.slide["body_size"] * 4 / 3))
    color = t.slide["text_color"]
    return [Para(p, size, color, bullet=True, space_before=0 if i == 0 else size * 0.8)
            for i, p in enumerate(points)]


# ---------------------------------------------------------------- titles and geometry


def _title_paras(title: str, t: Type, width: float, *, compact: bool = False) -> list[Para]:
    """The title at the theme's size, or smaller (never under 28 pt) when that saves a line: down
    to two lines, or as few as possible when `compact` (a chart or table needs the height)."""
    color = t.slide["title_color"]
    options = [[Para(title, size, color, bold=True)]
               for size in range(int(t.slide["title_size"]), int(MIN_TITLE) - 1, -2)]
    lines = [t.lines(paras[0], width) for paras in options]
    fewest = min(lines) if compact else max(2, min(lines))
    return next(paras for paras, n in zip(options, lines) if n <= fewest)


def _title_height(title: str, t: Type, compact: bool) -> float:
    width = t.size[0] - 2 * MARGIN
    return t.height(_title_paras(title, t, width, compact=compact), width) + 4


def _content_top(title: str, t: Type, compact: bool = False) -> float:
    return TITLE_TOP + _title_height(title, t, compact) + GAP


# ---------------------------------------------------------------- tables


def _table_slides(view: TableView, max_rows: int, number: int, config: Path | None,
                  t: Type) -> list[SlideSpec]:
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
    ranked = sorted(view.rows, key=lambda row: _number_of(row[-1].text), reverse=True)
    total = view.totals
    if total is not None:  # the total still covers every row, and says so
        total = (Cell(f"{total[0].text} (all {len(view.rows)})"),) + tuple(total[1:])
    for n in range(max_rows, 0, -1):
        footnote = (f"Top {n} of {len(view.rows)} rows, by {view.header[-1]}; the full table is in "
                    f"the PDF report (Table {number}).")
        pages = [(columns, ranked[:n], total, footnote) for columns in groups]
        if all(sum(_layout_table(view, c, rows, tot, note, t).heights)
               <= _room(view, _table_title(view.caption, k, len(pages)), note, t)
               for k, (c, rows, tot, note) in enumerate(pages, start=1)):
            return pages
    raise _too_tall(view, config)


def _split_rows(view, groups, max_rows, config, t: Type):
    """Rows in balanced chunks, as few as fit, the total row on the last chunk of each column group."""
    body = list(view.rows)
    for per_group in range(math.ceil(len(body) / max_rows) or 1, len(body) + 1):
        size = math.ceil(len(body) / per_group) or 1
        chunks = [body[i:i + size] for i in range(0, len(body), size)] or [[]]
        pages = [(columns, chunk, view.totals if k == len(chunks) - 1 else None, "")
                 for columns in groups for k, chunk in enumerate(chunks)]
        if all(sum(_layout_table(view, c, rows, tot, "", t).heights)
               <= _room(view, _table_title(view.caption, k, len(pages)), "", t)
               for k, (c, rows, tot, _) in enumerate(pages, start=1)):
            return pages
    raise _too_tall(view, config)


def _too_tall(view: TableView, config: Path | None) -> ContentError:
    return ContentError(config, f"[tables.{view.id}]: a row of this table does not fit on a slide at 18 pt",
                        hint="shorten the row's text, or leave the table out of [deck] tables")


def _number_of(text: str) -> float:
    digits = re.sub(r"[^0-9.\-]", "", text)
    try:
        return float(digits)
    except ValueError:
        return -math.inf


def _row_sentence(header, columns, row) -> str:
    values = [f"{header[j]} {row[j].text}" for j in columns[1:]]
    return f"{row[0].text}: " + ", ".join(values) + "."


def _table_size(t: Type) -> float:
    return max(MIN_BODY, t.slide["body_size"] - 2)


def _cell_widths(view: TableView, j: int, t: Type) -> tuple[float, float]:
    """(narrowest, natural) width of column j: its longest word, or its longest text unwrapped."""
    size = _table_size(t)
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
        groups = [(0, *others[i:i + size]) for i in range(0, len(others), size)]
        if all(sum(narrow[j] for j in g) <= room for g in groups):
            return groups
    raise ContentError(config, f"[tables.{view.id}]: its row headers and one column do not fit across "
                       "a slide at 18 pt", hint="shorten the longest words, or leave it out of [deck] tables")


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
    size = _table_size(t)
    lines = max(len(t.face(bold).wrap(text, w - 2 * CELL_X - 2, size)) for text, w in zip(cells, widths))
    return lines * size * LINE + 2 * CELL_Y + 2


def _layout_table(view: TableView, columns, chunk, total, footnote, t: Type) -> TablePage:
    widths = _widths(view, columns, t)
    header = tuple(view.header[j] for j in columns)
    rows = [tuple(row[j] for j in columns) for row in chunk]
    if total:
        rows.append(tuple(total[j] for j in columns))
    heights = [_row_height(list(header), widths, True, t)]
    heights += [_row_height([c.text for c in row], widths, total is not None and i == len(rows) - 1, t)
                for i, row in enumerate(rows)]
    numeric = tuple(j != 0 and all(row[j].numeric for row in view.rows) for j in columns)
    return TablePage(header, tuple(rows), total is not None, numeric, tuple(widths), tuple(heights), footnote)


def _footnote_height(text: str, t: Type) -> float:
    width = t.size[0] - 2 * MARGIN
    return t.height([Para(text, MIN_BODY, t.theme.colors["muted"])], width)


# ---------------------------------------------------------------- drawing


def render_deck(report: Report, theme: Theme) -> bytes:
    """The deck as .pptx bytes, identical for identical content."""
    _check_colours(theme)
    t = Type(theme)
    prs, layout = _base(theme)
    lang = report.meta.language
    for spec in plan_deck(report, theme):
        slide = prs.slides.add_slide(layout)
        for ph in list(slide.placeholders):
            if ph.placeholder_format.type not in TITLE_PLACEHOLDERS:  # a layout's body, picture …
                ph._element.getparent().remove(ph._element)
        DRAW[spec.kind](slide, spec, t)
        if spec.notes:
            tf = slide.notes_slide.notes_text_frame
            _write(tf, [Para(n, theme.slides["note_size"], theme.colors["text"]) for n in spec.notes], t)
        for part in (slide, slide.notes_slide) if slide.has_notes_slide else (slide,):
            _set_language(part._element, lang)
    _properties(prs, report)
    buffer = io.BytesIO()
    prs.save(buffer)
    return _fixed_zip(buffer.getvalue(), report.meta.published_year)


def _check_colours(theme: Theme) -> None:
    s, c = theme.slides, theme.colors
    pairs = [("title_color", s["title_color"], s["background"]),
             ("text_color", s["text_color"], s["background"]),
             ("accent", s["accent"], s["background"]), ("colors.muted", c["muted"], s["background"]),
             ("divider_text", s["divider_text"], s["divider_background"]),
             ("colors.text on colors.surface", c["text"], c["surface"])]
    for name, fg, bg in pairs:
        if contrast_ratio(fg, bg) < 4.5:
            raise ContentError(theme.styles_dir / "theme.toml",
                               f"[slides] {name} {fg} on {bg} has contrast {contrast_ratio(fg, bg):.2f}:1",
                               hint="slide text needs at least 4.5:1 against its background")


def _base(theme: Theme):
    """The branded template when styles/ has one, else python-pptx's default widened to 16:9."""
    w, h = theme.slides["width_in"] * 914400, theme.slides["height_in"] * 914400
    template = theme.styles_dir / theme.slides.get("template", "deck-template.pptx")
    if template.is_file():
        prs = Presentation(str(template))
        if abs(prs.slide_width / prs.slide_height - w / h) > 0.01:
            raise ContentError(template, f"the template is {prs.slide_width / 914400:.3f} × "
                               f"{prs.slide_height / 914400:.3f} in, not 16:9",
                               hint="save the template with the Widescreen (16:9) slide size")
        for sld_id in list(prs.slides._sldIdLst):  # a template's sample slides are not ours
            prs.part.drop_rel(sld_id.rId)
            prs.slides._sldIdLst.remove(sld_id)
    else:
        prs = Presentation()
        _widen(prs, w / prs.slide_width)
        _theme_fonts(prs, theme)
    prs.slide_width, prs.slide_height = Emu(int(w)), Emu(int(h))
    layouts = [lay for lay in prs.slide_layouts
               if any(ph.placeholder_format.type in TITLE_PLACEHOLDERS for ph in lay.placeholders)]
    if not layouts:
        raise ContentError(template, "no slide layout in the template has a title placeholder")
    layout = next((lay for lay in layouts if lay.name == "Title Only"),
                  min(layouts, key=lambda lay: len(lay.placeholders)))
    return prs, layout


def _widen(prs, factor: float) -> None:
    """Stretch the default 4:3 master and layouts sideways, so a slide a presenter adds fits too."""
    for part in [prs.slide_master] + list(prs.slide_layouts):
        for xfrm in part._element.iter(qn("a:xfrm")):
            for child, attr in ((xfrm.find(qn("a:off")), "x"), (xfrm.find(qn("a:ext")), "cx")):
                if child is not None:
                    child.set(attr, str(int(int(child.get(attr)) * factor)))


def _theme_fonts(prs, theme: Theme) -> None:
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    for latin in root.iter(qn("a:latin")):
        if latin.getparent().tag in (qn("a:majorFont"), qn("a:minorFont")):
            latin.set("typeface", theme.font_family)
    part.blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _emu(points: float) -> Emu:
    return Emu(int(round(points * PT)))


def _background(slide, color: str) -> None:
    slide.background.fill.solid()
    slide.background.fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))


def _write(tf, paras: list[Para], t: Type, anchor=MSO_ANCHOR.TOP) -> None:
    tf.clear()
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
    for i, p in enumerate(paras):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT, "center": PP_ALIGN.CENTER}[p.align]
        if p.space_before:
            para.space_before = _emu(p.space_before)
        if p.bullet:
            _bullet(para, p.size, t)
        run = para.add_run()
        run.text = p.text
        _font(run, p.size, p.bold, p.color, t)


def _font(run, size: float, bold: bool, color: str, t: Type) -> None:
    run.font.size = _emu(size)
    run.font.bold = bold
    run.font.color.rgb = RGBColor.from_string(color.lstrip("#"))
    run.font.name = t.theme.font_family
    # panose and pitch family let PowerPoint pick a close sans face if the font is not installed
    latin = run._r.get_or_add_rPr().find(qn("a:latin"))
    latin.attrib.update({"panose": t.face(bold).panose, "pitchFamily": "34", "charset": "0"})


def _bullet(para, size: float, t: Type) -> None:
    ppr = para._p.get_or_add_pPr()
    indent = _emu(Type.indent(size))
    ppr.set("marL", str(indent))
    ppr.set("indent", str(-indent))
    bu_font = etree.SubElement(ppr, qn("a:buFont"))
    bu_font.set("typeface", t.theme.font_family)
    etree.SubElement(ppr, qn("a:buChar")).set("char", "•")


def _text_box(slide, name: str, x: float, y: float, w: float, paras: list[Para], t: Type) -> float:
    """A text box just tall enough for its text (in the fallback font); returns its bottom edge."""
    height = t.height(paras, w) + 4
    box = slide.shapes.add_textbox(_emu(x), _emu(y), _emu(w), _emu(height))
    box.name = name
    _write(box.text_frame, paras, t)
    return y + height


def _title(slide, spec: SlideSpec, t: Type, paras: list[Para] | None = None, *, y: float = TITLE_TOP,
           width: float | None = None, compact: bool = False) -> float:
    """Fill the title placeholder; its text sits on the box's bottom edge, right above the content,
    since the box is sized for the wider fallback font and may have a line to spare."""
    w = width or t.size[0] - 2 * MARGIN
    paras = paras or _title_paras(spec.title, t, w, compact=compact)
    title = slide.shapes.title
    height = t.height(paras, w) + 4
    title.left, title.top, title.width, title.height = _emu(MARGIN), _emu(y), _emu(w), _emu(height)
    title.name = "Title"
    _write(title.text_frame, paras, t, MSO_ANCHOR.BOTTOM)
    return y + height


def _decoration(slide, name: str, x: float, y: float, w: float, h: float, color: str) -> None:
    """A shape that carries no meaning, marked decorative so screen readers skip it."""
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, _emu(x), _emu(y), _emu(w), _emu(h))
    shape.name = f"Decoration: {name}"
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))
    shape.line.fill.background()
    style = shape._element.find(qn("p:style"))
    if style is not None:
        shape._element.remove(style)
    c_nv_pr = shape._element.nvSpPr.cNvPr
    ext = etree.SubElement(etree.SubElement(c_nv_pr, qn("a:extLst")), qn("a:ext"), uri=DECORATIVE_URI)
    etree.SubElement(ext, f"{{{DECORATIVE_NS}}}decorative", nsmap={"adec": DECORATIVE_NS}).set("val", "1")


def _accent_under(slide, bottom: float, t: Type) -> None:
    _decoration(slide, "accent bar", MARGIN, bottom + 9, 72, 5, t.slide["accent"])


def _draw_title(slide, spec: SlideSpec, t: Type) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["divider_background"])
    ink = s["divider_text"]
    width = w - 2 * MARGIN
    title = [Para(spec.title, 54, ink, bold=True)]
    subtitle, organisation, year = spec.body
    rest = [Para(subtitle, 30, ink)] if subtitle else []
    lower = [Para(organisation, 24, ink, bold=True), Para(year, 24, ink)]
    top = h * 0.30
    bottom = _title(slide, spec, t, title, y=top, width=width)
    if rest:
        bottom = _text_box(slide, "Subtitle", MARGIN, bottom + 12, width, rest, t)
    _text_box(slide, "Organisation and year", MARGIN, max(bottom + 40, h - 140), width, lower, t)
    _decoration(slide, "accent bar", MARGIN, top - 24, 96, 8, s["accent"])


def _draw_divider(slide, spec: SlideSpec, t: Type) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["divider_background"])
    width = w - 2 * MARGIN
    paras = [Para(spec.title, 48, s["divider_text"], bold=True)]
    top = (h - t.height(paras, width)) / 2
    _title(slide, spec, t, paras, y=top, width=width)
    _decoration(slide, "accent bar", MARGIN, top - 24, 96, 8, s["accent"])


def _draw_points(slide, spec: SlideSpec, t: Type) -> None:
    s, w = t.slide, t.size[0]
    _background(slide, s["background"])
    bottom = _title(slide, spec, t)
    _text_box(slide, "Key points", MARGIN, bottom + GAP, w - 2 * MARGIN, _bullets(spec.body, t), t)
    _accent_under(slide, bottom, t)


def _draw_number(slide, spec: SlideSpec, t: Type) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["background"])
    width = w - 2 * MARGIN
    label = spec.title[len(spec.value):].strip()
    paras = [Para(spec.value, s["big_number_size"], s["accent"], bold=True),
             Para(label, max(MIN_TITLE, 32), s["text_color"], space_before=6)]
    source = [Para(spec.body[0], MIN_BODY, t.theme.colors["muted"])]
    total = t.height(paras, width) + 4 + 28 + t.height(source, width)
    top = max(TITLE_TOP, (h - total) / 2)
    bottom = _title(slide, spec, t, paras, y=top, width=width)
    _text_box(slide, "Source", MARGIN, bottom + 28, width, source, t)
    _decoration(slide, "accent bar", MARGIN, top - 20, 72, 5, s["accent"])


def _draw_chart(slide, spec: SlideSpec, t: Type) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["background"])
    bottom = _title(slide, spec, t, compact=True)
    width = w - 2 * MARGIN
    source = [Para(line, MIN_BODY, t.theme.colors["muted"]) for line in spec.body]
    source_h = t.height(source, width) + 4 if source else 0
    top = bottom + GAP
    room = min(h - top - BOTTOM - (source_h + 8 if source else 0), _chart_height(spec.chart, t))
    # Draw the chart for exactly the space it gets, so its type stays at the theme's size.
    sized = replace(t.theme, data={**t.theme.data, "chart": {
        **t.theme.chart, "slide_width_in": round(width / 72, 3), "slide_height_in": round(room / 72, 3)}})
    png = render_png(spec.chart, sized)
    pic = slide.shapes.add_picture(io.BytesIO(png), _emu(MARGIN), _emu(top), _emu(width), _emu(room))
    pic.name = f"Chart: {spec.chart.title}"
    pic._element.nvPicPr.cNvPr.set("descr", spec.chart.alt)
    if source:
        _text_box(slide, "Source", MARGIN, top + room + 8, width, source, t)
    _accent_under(slide, bottom, t)


def _chart_height(chart: Chart, t: Type) -> float:
    """Points a chart needs so its rows don't crowd: a row pitch of about two and a half lines of
    its type (more for wrapped labels) plus the axis. A chart of two bars stays short instead of
    stretching them into slabs."""
    size = t.theme.chart["slide_font_size"]
    pitch = sum(max(2.6, 1.3 * math.ceil(len(label) / 26) + 0.6) * size
                for label in (chart.short_labels.get(x, x) for x in chart.series.labels))
    return pitch + 5 * size


def _draw_table(slide, spec: SlideSpec, t: Type) -> None:
    s, w = t.slide, t.size[0]
    c = t.theme.colors
    _background(slide, s["background"])
    bottom = _title(slide, spec, t, compact=True)
    page = spec.table
    top = bottom + GAP
    size = _table_size(t)
    frame = slide.shapes.add_table(len(page.rows) + 1, len(page.header), _emu(MARGIN), _emu(top),
                                   _emu(sum(page.widths)), _emu(sum(page.heights)))
    frame.name = f"Table: {spec.title}"
    frame._element.nvGraphicFramePr.cNvPr.set("descr", spec.title)
    table = frame.table
    tbl_pr = frame._element.graphic.graphicData.tbl.tblPr
    tbl_pr.set("firstRow", "1")
    tbl_pr.set("bandRow", "0")
    style = tbl_pr.find(qn("a:tableStyleId"))
    if style is not None:
        style.text = PLAIN_TABLE_STYLE
    for j, width in enumerate(page.widths):
        table.columns[j].width = _emu(width)
    for i, height in enumerate(page.heights):
        table.rows[i].height = _emu(height)
    grid = [page.header] + [tuple(cell.text for cell in row) for row in page.rows]
    last = len(grid) - 1
    for i, texts in enumerate(grid):
        bold = i == 0 or (page.total and i == last)
        fill = c["surface"] if i == 0 else s["background"]
        for j, text in enumerate(texts):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = _emu(CELL_X)
            cell.margin_top = cell.margin_bottom = _emu(CELL_Y)
            cell.vertical_anchor = MSO_ANCHOR.BOTTOM if i == 0 else MSO_ANCHOR.TOP
            align = "right" if page.numeric[j] else "left"
            _write(cell.text_frame, [Para(text, size, c["text"], bold=bold, align=align)], t,
                   cell.vertical_anchor)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string(fill.lstrip("#"))
            if i == 0:
                _border(cell, "a:lnB", s["title_color"], 1.5)
            elif page.total and i == last:
                _border(cell, "a:lnT", s["title_color"], 1.5)
            elif i < last:
                _border(cell, "a:lnB", c["rule"], 0.75)
    if page.footnote:
        y = top + sum(page.heights) + 10
        _text_box(slide, "Table note", MARGIN, y, w - 2 * MARGIN,
                  [Para(page.footnote, MIN_BODY, c["muted"])], t)
    _accent_under(slide, bottom, t)


def _border(cell, tag: str, color: str, width_pt: float) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    line = etree.Element(qn(tag), w=str(int(width_pt * PT)), cmpd="sng")
    fill = etree.SubElement(line, qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr"), val=color.lstrip("#").upper())
    tc_pr.insert(0 if tag == "a:lnT" else len([e for e in tc_pr if e.tag == qn("a:lnT")]), line)


def _draw_closing(slide, spec: SlideSpec, t: Type) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["divider_background"])
    width = w - 2 * MARGIN
    ink = s["divider_text"]
    title = [Para(spec.title, 44, ink, bold=True)]
    lines = [Para(line, 26, ink, bold=i == 0) for i, line in enumerate(spec.body)]
    total = t.height(title, width) + 28 + t.height(lines, width)
    top = (h - total) / 2
    bottom = _title(slide, spec, t, title, y=top, width=width)
    if lines:
        _text_box(slide, "Organisation", MARGIN, bottom + 28, width, lines, t)
    _decoration(slide, "accent bar", MARGIN, top - 24, 96, 8, s["accent"])


DRAW = {"title": _draw_title, "divider": _draw_divider, "points": _draw_points, "number": _draw_number,
        "chart": _draw_chart, "table": _draw_table, "closing": _draw_closing}


# ---------------------------------------------------------------- language, properties, bytes


def _set_language(root, lang: str) -> None:
    """Every run, paragraph end and default says which language it is in, for screen readers and
    spelling; runs python-pptx made without properties get them."""
    for r in root.iter(qn("a:r")):
        if r.find(qn("a:rPr")) is None:
            r.insert(0, etree.Element(qn("a:rPr")))
    for tag in ("a:rPr", "a:endParaRPr", "a:defRPr"):
        for el in root.iter(qn(tag)):
            el.set("lang", lang)


def _properties(prs, report: Report) -> None:
    meta = report.meta
    props = prs.core_properties
    props.title = meta.title
    props.subject = meta.subject
    props.author = meta.author
    props.last_modified_by = meta.author
    props.keywords = ", ".join(meta.keywords)
    props.language = meta.language
    props.comments = meta.subtitle
    props.category = "Impact report"
    props.revision = 1
    when = datetime(meta.published_year, 1, 1)
    props.created = props.modified = props.last_printed = when


def _fixed_zip(data: bytes, year: int) -> bytes:
    """The same zip with every entry dated 1 January of the publication year, instead of now."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(year, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


