"""Stage: check. Walk a built .pptx and report, slide by slide, what would stop a presenter's deck
being accessible: the rules PowerPoint's Accessibility Checker applies, and the house rules on type
size, contrast and fit that it does not.

The checker reads only the saved file (python-pptx and the raw XML), never the code that wrote it,
so it is a second opinion rather than the renderer agreeing with itself. Rules, by id:

missing-title    every slide has a non-empty title placeholder
duplicate-title  no two slides share a title (ignoring case and spacing)
missing-alt      pictures, charts and shapes without text have alt text, or are marked decorative
reading-order    the title is first in the shape tree, the other shapes follow top-to-bottom and
                 left-to-right (decorative shapes are skipped by screen readers, so not counted)
table-header     tables have a header row, no merged cells, no empty header cell
language         every run, paragraph end and default in slides and notes says the deck's language
core-properties  title, subject, author, keywords and language are filled in
contrast         text against the fill behind it is at least 4.5:1
font-size        slide text at least 18 pt, titles at least 28 pt
overflow         shapes stay on the slide; text, estimated from the font's metrics, fits its box
overlap          text does not run into another shape
notes            every slide but the first (title) and the last (closing) has speaker notes
key-points       bulleted points are in the layout's body placeholder, not a text box, so they show
                 in PowerPoint's outline view
table-row-headers a table whose first column holds labels (and whose others hold numbers) marks it
                 as row headers (firstCol)
link             every link has an address; a web address written on a slide is a live link
notes-length     speaker notes stay under 120 words (about forty seconds of speech)
notes-links      notes do not read out link text ("Read a father's account …") or web addresses
notes-alt-text   notes do not read out machine-written alt text ("It compares 2 … categories"), nor
                 a picture's alt text on that slide
repeat-figure    a figure (a value such as "110,153" in a title, the points or a big number) is not
                 shown again on the very next slide
repeat-data      a chart or table does not show the same data as one on the slide before it (more
                 than half of the smaller one's values are the same)

Deck-wide findings (core properties) are reported as slide 0.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import IO

from fontTools.ttLib import TTFont
from lxml import etree
from matplotlib import font_manager
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn

from .errors import ContentError
from .theme import Theme, contrast_ratio

DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
DECORATIVE = "{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative"
CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
TITLE_TYPES = ("title", "ctrTitle")
EMU_PER_PT = 12700
MIN_BODY, MIN_TITLE, MIN_CONTRAST = 18.0, 28.0, 4.5
FILE_NAME = re.compile(r"[\w\-. ]+\.(png|jpe?g|gif|bmp|svg|emf|wmf|tiff?)", re.IGNORECASE)
NOTES_WORDS = 120
# A figure as printed: "110,153", "88.3 million", "89.9%", "1 in 6"; a bare number counts from 10
# (small ones are list numbers, "2 of 3"), and a year is not a figure.
FIGURE = re.compile(
    r"(?<![\w.,])(1 in \d[\d,]*|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(%| million| billion)?(?![\w%]|[.,]\d)"
)
WEB_ADDRESS = re.compile(r"\bhttps?://\S+|\bwww\.[\w-]+\.\S+", re.IGNORECASE)
LINK_WORDS = re.compile(
    r"(?:^|[.!?]\s+)(Read|Watch|Learn|Visit|Click|Download|Explore|Find out more|Get in touch)\b"
    r"|\bclick here\b"
)
MACHINE_ALT = re.compile(
    r"\bIt (?:compares|shows) (?:the )?\d+ |\bFrom largest to smallest\b|"
    r"\b(?:Bar|Dot|Line|Pie|Column) chart(?: on a logarithmic scale)?: |\bHeatmap: |"
    r"\bRows are \d+ |\beach cell is labell?ed\b"
)
NUMBER_CELL = re.compile(r"[<>≈~]?[-+]?[\d,]*\.?\d+\s*(?:%|million|billion)?|[–—-]")
STYLES = Path(__file__).resolve().parent.parent / "styles"


@dataclass(frozen=True)
class Finding:
    slide: int  # 1-based; 0 for the deck as a whole
    rule: str
    message: str


@dataclass(frozen=True)
class Shape:
    """One drawn shape, flattened out of groups, with its box in slide coordinates (EMU)."""

    el: etree._Element
    id: str
    name: str
    x: int
    y: int
    w: int
    h: int
    decorative: bool
    placeholder: str | None  # placeholder type ("title", "body" …) or None

    @property
    def label(self) -> str:
        return f'"{self.name}" (id {self.id})'

    @property
    def kind(self) -> str:
        return etree.QName(self.el).localname

    @property
    def is_title(self) -> bool:
        return self.placeholder in TITLE_TYPES


def deck_findings(data: bytes) -> list[tuple[int, str, str]]:
    """Every finding on a deck just built, as (slide, rule, message): what `build` runs."""
    return [(f.slide, f.rule, f.message) for f in check_deck(io.BytesIO(data))]


def check_deck(path: Path | str | IO[bytes]) -> list[Finding]:
    """Every accessibility finding in the deck at `path` (or in an open file), in slide order."""
    prs = Presentation(path if hasattr(path, "read") else str(path))
    deck = _Deck(prs)
    findings = deck.core_properties()
    titles: dict[str, int] = {}
    count = len(prs.slides)
    previous: _SlideCheck | None = None
    for number, slide in enumerate(prs.slides, start=1):
        check = _SlideCheck(deck, slide, number)
        findings += check.run(titles, needs_notes=1 < number < count)
        if previous is not None:
            findings += _repeats(previous, check)
        previous = check
    return findings


def _figures(text: str) -> set[str]:
    """The figures a text states, as printed ("110,153", "88.3 million", "89.9%")."""
    found = set()
    for m in FIGURE.finditer(" ".join(text.split())):
        number, unit = m.group(1), m.group(2) or ""
        bare = not unit and re.fullmatch(r"\d+", number)
        if bare and (int(number) < 10 or 1900 <= int(number) <= 2100):
            continue
        found.add(number + unit)
    return found


def _repeats(a: _SlideCheck, b: _SlideCheck) -> list[Finding]:
    """The same figure, or the same data, on two slides in a row."""
    findings = []
    same = sorted(a.shown_figures() & b.shown_figures())
    if same:
        findings.append(
            Finding(
                b.number,
                "repeat-figure",
                f"{', '.join(same)} is also shown on slide {a.number}, right before: one slide per fact",
            )
        )
    for x in a.data_sets():
        for y in b.data_sets():
            common = x & y
            if len(common) >= 2 and len(common) * 2 > min(len(x), len(y)):
                findings.append(
                    Finding(
                        b.number,
                        "repeat-data",
                        f"this slide shows the same data as slide {a.number} ({len(common)} of its values, "
                        f"e.g. {', '.join(sorted(common)[:3])}): keep one, or move one away",
                    )
                )
                return findings
    return findings


# ---------------------------------------------------------------- the deck: colours, fonts, defaults


class _Deck:
    def __init__(self, prs):
        self.prs = prs
        self.width, self.height = prs.slide_width, prs.slide_height
        self.language = (prs.core_properties.language or "").strip()
        master = prs.slide_master
        theme = etree.fromstring(master.part.part_related_by(RT.THEME).blob)
        self.scheme: dict[str, str] = {}
        for slot in theme.iterfind(".//" + qn("a:clrScheme") + "/*"):
            rgb, system = slot.find(qn("a:srgbClr")), slot.find(qn("a:sysClr"))
            value = rgb.get("val") if rgb is not None else None
            value = value or (system.get("lastClr") if system is not None else None)
            if value:
                self.scheme[etree.QName(slot).localname] = value.upper()
        clr_map = master._element.find(qn("p:clrMap"))
        self.clr_map = dict(clr_map.attrib) if clr_map is not None else {}
        self.default_style = prs.part._element.find(qn("p:defaultTextStyle"))
        _register_project_fonts()

    def core_properties(self) -> list[Finding]:
        props = self.prs.core_properties
        findings = []
        for name in ("title", "subject", "author", "keywords", "language"):
            if not (getattr(props, name) or "").strip():
                findings.append(Finding(0, "core-properties", f"the document's {name} is empty"))
        if not self.language:
            findings.append(Finding(0, "language", "the document has no language in its core properties"))
        return findings

    def color(self, fill: etree._Element | None) -> str | None:
        """The sRGB hex of a solidFill (or a colour element), resolving theme colours; None when it
        has none; "?" when it cannot be resolved (modifiers, placeholder colour, system colour)."""
        if fill is None:
            return None
        for el in fill.iter():
            name = etree.QName(el).localname
            if name == "srgbClr":
                return "?" if len(el) else el.get("val").upper()
            if name == "schemeClr":
                key = el.get("val")
                key = self.clr_map.get(key, key)
                return "?" if len(el) or key not in self.scheme else self.scheme[key]
            if name in ("sysClr", "prstClr", "hslClr", "scrgbClr"):
                return "?"
        return None


@lru_cache(maxsize=1)
def _register_project_fonts() -> None:
    """Let Matplotlib's font lookup find the report's own face, which is not installed system-wide."""
    try:
        for path in Theme.load(STYLES).font_files.values():
            font_manager.fontManager.addfont(str(path))
    except ContentError:  # no theme or font package here: measure with the system's fonts
        pass


@lru_cache(maxsize=32)
def _metrics(typeface: str, bold: bool) -> tuple[dict[int, int], int, float]:
    """(advance widths by code point, width of a missing glyph, line height per point) of a face."""
    props = font_manager.FontProperties(family=typeface or "sans-serif", weight="bold" if bold else "normal")
    path = font_manager.findfont(props)  # falls back to DejaVu Sans, wider than most: errs safe
    font = TTFont(path, lazy=True)
    upm = font["head"].unitsPerEm
    hmtx = font["hmtx"]
    widths = {code: hmtx[name][0] for code, name in font.getBestCmap().items()}
    hhea = font["hhea"]
    line = (hhea.ascent - hhea.descent + hhea.lineGap) / upm
    return {k: v / upm for k, v in widths.items()}, hmtx[".notdef"][0] / upm, line


def _width(text: str, typeface: str, bold: bool, size: float) -> float:
    widths, missing, _ = _metrics(typeface, bold)
    return sum(widths.get(ord(ch), missing) for ch in text) * size


def _lines(words: list[tuple[str, str, bool, float]], width: float) -> int:
    """Greedy word wrap of (word, typeface, bold, size) within width points; words never break."""
    lines, used = 1, 0.0
    for word, face, bold, size in words:
        w = _width(word, face, bold, size)
        space = _width(" ", face, bold, size) if used else 0.0
        if used and used + space + w > width:
            lines += 1
            used = w
        else:
            used += space + w
    return lines


# ---------------------------------------------------------------- one slide


class _SlideCheck:
    def __init__(self, deck: _Deck, slide, number: int):
        self.deck, self.slide, self.number = deck, slide, number
        self.findings: list[Finding] = []
        self.grown: dict[str, int] = {}  # heights of tables and auto-fit boxes once their text is in
        self.shapes = list(_flatten(slide.shapes))
        self.layout_placeholders = _placeholders(slide.slide_layout)
        self.master_placeholders = _placeholders(slide.slide_layout.slide_master)

    def add(self, rule: str, message: str) -> None:
        self.findings.append(Finding(self.number, rule, message))

    def run(self, titles: dict[str, int], *, needs_notes: bool) -> list[Finding]:
        self.title(titles)
        self.alt_text()
        self.reading_order()
        self.tables()
        self.language()
        self.text()
        self.bounds()
        self.key_points()
        self.row_headers()
        self.links()
        if needs_notes:
            self.notes()
        self.spoken_notes()
        return self.findings

    # -- rules

    def title(self, titles: dict[str, int]) -> None:
        title = next((s for s in self.shapes if s.is_title), None)
        text = " ".join(_text(title.el).split()) if title is not None else ""
        if not text:
            self.add(
                "missing-title",
                "the slide has no title placeholder"
                if title is None
                else f"the title placeholder {title.label} is empty",
            )
            return
        key = text.casefold()
        if key in titles:
            self.add("duplicate-title", f'the title "{text}" is also the title of slide {titles[key]}')
        else:
            titles[key] = self.number

    def alt_text(self) -> None:
        for s in self.shapes:
            if s.decorative or s.placeholder:
                continue
            data = s.el.find(".//" + qn("a:graphicData"))
            needs = (
                s.kind == "pic"
                or (s.kind == "graphicFrame" and data is not None and data.get("uri") == CHART_URI)
                or (s.kind in ("sp", "cxnSp") and not _text(s.el).strip())
            )
            descr = (_c_nv_pr(s.el).get("descr") or "").strip()
            what = {"pic": "picture", "graphicFrame": "chart"}.get(s.kind, "shape without text")
            if needs and not descr:
                self.add("missing-alt", f"{what} {s.label} has no alt text and is not marked decorative")
            elif needs and FILE_NAME.fullmatch(descr):
                self.add(
                    "missing-alt",
                    f"the alt text of {what} {s.label} is a file name ({descr!r}), "
                    "which is what PowerPoint fills in when nobody wrote one",
                )

    def reading_order(self) -> None:
        if not self.shapes:
            return
        if not self.shapes[0].is_title:
            first = self.shapes[0]
            self.add("reading-order", f"{first.label} comes before the title in the reading order")
        content = [s for s in self.shapes if not s.decorative and not s.is_title]
        for a, b in zip(content, content[1:]):
            if _before(b, a):
                self.add("reading-order", f"{b.label} is read after {a.label} but sits above or left of it")

    def tables(self) -> None:
        for s in self.shapes:
            tbl = s.el.find(".//" + qn("a:tbl"))
            if tbl is None:
                continue
            tbl_pr = tbl.find(qn("a:tblPr"))
            if tbl_pr is None or tbl_pr.get("firstRow") not in ("1", "true"):
                self.add("table-header", f"table {s.label} has no header row (firstRow)")
            rows = tbl.findall(qn("a:tr"))
            for r, tr in enumerate(rows):
                for c, tc in enumerate(tr.findall(qn("a:tc"))):
                    merged = [a for a in ("gridSpan", "rowSpan") if int(tc.get(a, "1")) > 1]
                    merged += [a for a in ("hMerge", "vMerge") if tc.get(a) in ("1", "true")]
                    if merged:
                        self.add(
                            "table-header",
                            f"table {s.label} has a merged cell at row {r + 1}, "
                            f"column {c + 1} ({', '.join(merged)})",
                        )
                    if r == 0 and not _text(tc).strip():
                        self.add(
                            "table-header", f"table {s.label} has an empty header cell in column {c + 1}"
                        )

    def language(self) -> None:
        lang = self.deck.language
        parts = [("slide", self.slide._element)]
        if self.slide.has_notes_slide:
            parts.append(("notes", self.slide.notes_slide._element))
        for where, root in parts:
            bad: dict[str, int] = {}
            for sp in root.iter(qn("p:sp"), qn("p:graphicFrame")):
                name = _c_nv_pr(sp).get("name", "")
                for r in sp.iter(qn("a:r"), qn("a:fld")):
                    if r.find(qn("a:rPr")) is None and (r.findtext(qn("a:t")) or "").strip():
                        bad[name] = bad.get(name, 0) + 1
                for el in sp.iter(qn("a:rPr"), qn("a:endParaRPr"), qn("a:defRPr")):
                    if not lang or el.get("lang") != lang:
                        bad[name] = bad.get(name, 0) + 1
            for name, n in bad.items():
                self.add(
                    "language",
                    f'{n} text run(s) in {where} shape "{name}" are not marked as '
                    f"{lang or 'the document language'}",
                )

    def text(self) -> None:
        """Font size, contrast and fit, run by run and box by box."""
        background = self.background()
        for s in self.shapes:
            if s.kind == "sp" and s.el.find(qn("p:txBody")) is not None and _text(s.el).strip():
                behind = self.behind(s, background)
                self.text_body(s, s.el.find(qn("p:txBody")), s.w, s.h, behind, cell=False)
            elif s.kind == "graphicFrame" and s.el.find(".//" + qn("a:tbl")) is not None:
                self.table_text(s, background)

    def table_text(self, s: Shape, background: list[str]) -> None:
        tbl = s.el.find(".//" + qn("a:tbl"))
        widths = [int(g.get("w")) for g in tbl.find(qn("a:tblGrid"))]
        height = 0
        for tr in tbl.findall(qn("a:tr")):
            row = int(tr.get("h"))
            for tc, w in zip(tr.findall(qn("a:tc")), widths):
                tc_pr = tc.find(qn("a:tcPr"))
                fill = self.deck.color(tc_pr.find(qn("a:solidFill"))) if tc_pr is not None else None
                behind = [fill] if fill else self.behind(s, background)
                margins = (tc_pr if tc_pr is not None else tc).get
                box_w = w - int(margins("marL", 91440)) - int(margins("marR", 91440))
                needed = self.text_body(s, tc.find(qn("a:txBody")), box_w, None, behind, cell=True)
                row = max(row, needed + int(margins("marT", 45720)) + int(margins("marB", 45720)))
            height += row
        if s.y + height > self.deck.height:
            self.add(
                "overflow",
                f"table {s.label} grows to {height / 914400:.2f} in tall with its text "
                f"and runs off the bottom of the slide",
            )
        self.grown[s.id] = height

    def text_body(
        self, s: Shape, body, box_w: int, box_h: int | None, behind: list[str], *, cell: bool
    ) -> int:
        """Check runs in one text body; return the height its text needs (EMU)."""
        body_pr = body.find(qn("a:bodyPr"))
        bp = body_pr.get if body_pr is not None else {}.get
        if not cell:
            box_w -= int(bp("lIns", 91440)) + int(bp("rIns", 91440))
        scale = 1.0
        autofit = body_pr.find(qn("a:normAutofit")) if body_pr is not None else None
        if autofit is not None:
            scale = int(autofit.get("fontScale", "100000")) / 100000
        needed = 0.0
        for p in body.findall(qn("a:p")):
            p_pr = p.find(qn("a:pPr"))
            level = int(p_pr.get("lvl", "0")) if p_pr is not None else 0
            words: list[tuple[str, str, bool, float]] = []
            largest = 0.0
            for r in p.findall(qn("a:r")):
                text = r.findtext(qn("a:t")) or ""
                if not text.strip():
                    continue
                size = self.run_size(s, body, r, level) * scale
                largest = max(largest, size)
                r_pr = r.find(qn("a:rPr"))
                bold = r_pr is not None and r_pr.get("b") in ("1", "true")
                latin = r_pr.find(qn("a:latin")) if r_pr is not None else None
                face = latin.get("typeface") if latin is not None else ""
                words += [(w, face, bold, size) for w in text.split()]
                minimum = MIN_TITLE if s.is_title else MIN_BODY
                if size < minimum - 0.01:
                    self.add(
                        "font-size", f'{size:g} pt text "{_short(text)}" in {s.label} is under {minimum:g} pt'
                    )
                self.contrast(s, r, body, level, behind, text)
            if not words:
                end = p.find(qn("a:endParaRPr"))
                size = int(end.get("sz")) / 100 if end is not None and end.get("sz") else 0
                needed += size * 1.2 * EMU_PER_PT
                continue
            indent = int(p_pr.get("marL", "0")) if p_pr is not None else 0
            lines = _lines(words, (box_w - indent) / EMU_PER_PT)
            _, face, bold, _ = words[0]
            line_height = _metrics(face, bold)[2] * largest
            spacing = p_pr.find(qn("a:spcBef") + "/" + qn("a:spcPts")) if p_pr is not None else None
            before = int(spacing.get("val")) / 100 if spacing is not None else 0
            needed += (lines * line_height + before) * EMU_PER_PT
        if box_h is not None:
            room = box_h - int(bp("tIns", 45720)) - int(bp("bIns", 45720))
            grows = body_pr is not None and body_pr.find(qn("a:spAutoFit")) is not None
            if grows:
                self.grown[s.id] = int(needed) + int(bp("tIns", 45720)) + int(bp("bIns", 45720))
            if grows and s.y + needed > self.deck.height:
                self.add("overflow", f"the text of {s.label} grows its box past the bottom of the slide")
            elif not grows and needed > room * 1.02:
                self.add(
                    "overflow",
                    f"the text of {s.label} needs about {needed / 914400:.2f} in but its "
                    f"box has {room / 914400:.2f} in",
                )
        return int(needed)

    def run_size(self, s: Shape, body, r, level: int) -> float:
        r_pr = r.find(qn("a:rPr"))
        if r_pr is not None and r_pr.get("sz"):
            return int(r_pr.get("sz")) / 100
        for def_r_pr in self.inherited(s, body, level):
            if def_r_pr.get("sz"):
                return int(def_r_pr.get("sz")) / 100
        return 18.0

    def inherited(self, s: Shape, body, level: int) -> Iterator[etree._Element]:
        """The defRPr elements a run inherits from, nearest first."""
        tag = f"a:lvl{level + 1}pPr"
        sources = [body.find(qn("a:lstStyle"))]
        if s.placeholder:
            idx = s.el.find(".//" + qn("p:ph")).get("idx")
            for placeholders in (self.layout_placeholders, self.master_placeholders):
                match = placeholders.get(("idx", idx)) if idx else None
                match = match if match is not None else placeholders.get(("type", s.placeholder))
                if match is not None:
                    sources.append(match.find(".//" + qn("a:lstStyle")))
            styles = self.slide.slide_layout.slide_master._element.find(qn("p:txStyles"))
            if styles is not None:
                which = "p:titleStyle" if s.is_title else "p:bodyStyle"
                sources.append(styles.find(qn(which)))
        else:
            sources.append(self.deck.default_style)
        for source in sources:
            if source is not None:
                found = source.find(qn(tag) + "/" + qn("a:defRPr"))
                if found is not None:
                    yield found

    def contrast(self, s: Shape, r, body, level: int, behind: list[str], text: str) -> None:
        r_pr = r.find(qn("a:rPr"))
        color = self.deck.color(r_pr.find(qn("a:solidFill"))) if r_pr is not None else None
        if color is None:
            color = next(
                (
                    c
                    for c in (
                        self.deck.color(d.find(qn("a:solidFill"))) for d in self.inherited(s, body, level)
                    )
                    if c
                ),
                None,
            )
        if color is None:
            style = s.el.find(qn("p:style") + "/" + qn("a:fontRef"))
            color = self.deck.color(style) if style is not None else None
        if color is None:  # the master's default text colour
            color = self.deck.scheme.get(self.deck.clr_map.get("tx1", "dk1"), "?")
        if color == "?" or "?" in behind:
            self.add(
                "contrast",
                f'the colours of "{_short(text)}" in {s.label} cannot be resolved '
                "(a picture, gradient or modified theme colour); check them by eye",
            )
            return
        worst = min(behind, key=lambda bg: contrast_ratio(color, bg))
        ratio = contrast_ratio(color, worst)
        if ratio < MIN_CONTRAST:
            self.add(
                "contrast",
                f'"{_short(text)}" in {s.label} is #{color} on #{worst}: {ratio:.2f}:1, '
                f"under {MIN_CONTRAST}:1",
            )

    def background(self) -> list[str]:
        for part in (self.slide, self.slide.slide_layout, self.slide.slide_layout.slide_master):
            bg = part._element.find(qn("p:cSld") + "/" + qn("p:bg"))
            if bg is None:
                continue
            props = bg.find(qn("p:bgPr"))
            if props is not None:
                fill = props.find(qn("a:solidFill"))
                return [self.deck.color(fill)] if fill is not None else ["?"]
            ref = bg.find(qn("p:bgRef"))
            if ref is not None and int(ref.get("idx", "0")) in (1001, 0):
                return [self.deck.color(ref) or "?"]
            return ["?"]
        return ["FFFFFF"]

    def behind(self, s: Shape, background: list[str]) -> list[str]:
        """Fills a text shape may sit on: its own, else any filled shape under it and the slide."""
        own = s.el.find(qn("p:spPr") + "/" + qn("a:solidFill"))
        if own is not None:
            return [self.deck.color(own)]
        fills, covered = [], False
        for other in self.shapes:
            if other is s:
                break
            if not _intersects(s, other):
                continue
            if other.kind == "pic":
                fills.append("?")
                continue
            fill = other.el.find(qn("p:spPr") + "/" + qn("a:solidFill"))
            if fill is not None:
                fills.append(self.deck.color(fill))
                covered = covered or _contains(other, s)
        return fills if covered else fills + background

    def bounds(self) -> None:
        shapes = [replace(s, h=max(s.h, self.grown.get(s.id, 0))) for s in self.shapes]
        for s in shapes:
            if s.x < 0 or s.y < 0 or s.x + s.w > self.deck.width or s.y + s.h > self.deck.height:
                self.add("overflow", f"{s.label} extends beyond the edge of the slide")
        solid = [s for s in shapes if not s.decorative]
        for i, a in enumerate(solid):
            for b in solid[i + 1 :]:
                if (_has_text(a) or _has_text(b)) and _intersects(a, b, margin=EMU_PER_PT):
                    self.add("overlap", f"{a.label} and {b.label} overlap")

    def notes(self) -> None:
        notes = self.slide.notes_slide.notes_text_frame if self.slide.has_notes_slide else None
        if notes is None or not notes.text.strip():
            self.add("notes", "the slide has no speaker notes")

    def key_points(self) -> None:
        for s in self.shapes:
            if s.placeholder in ("body", "obj") or s.el.find(qn("p:txBody")) is None:
                continue
            bullets = [
                p
                for p in s.el.find(qn("p:txBody")).findall(qn("a:p"))
                if p.find(qn("a:pPr")) is not None
                and (
                    p.find(qn("a:pPr") + "/" + qn("a:buChar")) is not None
                    or p.find(qn("a:pPr") + "/" + qn("a:buAutoNum")) is not None
                )
                and _text(p).strip()
            ]
            if bullets:
                self.add(
                    "key-points",
                    f"{len(bullets)} bulleted point(s) in {s.label} are in a text box, not the layout's "
                    "body placeholder, so PowerPoint's outline view leaves them out",
                )

    def row_headers(self) -> None:
        for s in self.shapes:
            tbl = s.el.find(".//" + qn("a:tbl"))
            if tbl is None:
                continue
            rows = [[_text(tc).strip() for tc in tr.findall(qn("a:tc"))] for tr in tbl.findall(qn("a:tr"))]
            body = [r for r in rows[1:] if r]
            if not body or len(body[0]) < 2:
                continue
            labels = all(r[0] and not NUMBER_CELL.fullmatch(r[0]) for r in body)
            numbers = any(all(NUMBER_CELL.fullmatch(c or "–") for c in r[1:]) for r in body)
            tbl_pr = tbl.find(qn("a:tblPr"))
            marked = tbl_pr is not None and tbl_pr.get("firstCol") in ("1", "true")
            if labels and numbers and not marked:
                self.add(
                    "table-row-headers",
                    f"the first column of table {s.label} names its rows but is not marked as row "
                    "headers (firstCol), so a screen reader does not announce them with each value",
                )

    def links(self) -> None:
        rels = self.slide.part.rels
        for s in self.shapes:
            for r in s.el.iter(qn("a:r")):
                text = r.findtext(qn("a:t")) or ""
                click = r.find(qn("a:rPr") + "/" + qn("a:hlinkClick"))
                if click is not None:
                    rid = click.get(qn("r:id")) or ""
                    target = rels[rid].target_ref if rid in rels else ""
                    if not target.strip() and not click.get("action"):
                        self.add("link", f'the link on "{_short(text)}" in {s.label} has no address')
                elif WEB_ADDRESS.search(text):
                    self.add(
                        "link",
                        f'"{_short(text)}" in {s.label} shows a web address that is not a live link',
                    )

    def spoken_notes(self) -> None:
        if not self.slide.has_notes_slide:
            return
        notes = " ".join(self.slide.notes_slide.notes_text_frame.text.split())
        if not notes:
            return
        count = len(notes.split())
        if count > NOTES_WORDS:
            self.add(
                "notes-length",
                f"the speaker notes are {count} words; keep them under {NOTES_WORDS} "
                "(about forty seconds of speech)",
            )
        link = LINK_WORDS.search(notes) or WEB_ADDRESS.search(notes)
        if link:
            self.add(
                "notes-links",
                f'the speaker notes read out link text ("{_short(notes[link.start() :].lstrip(". "))}"), '
                "which means something only as a link",
            )
        alts = [" ".join((_c_nv_pr(s.el).get("descr") or "").split()) for s in self.shapes if s.kind == "pic"]
        machine = MACHINE_ALT.search(notes)
        if machine or any(len(a) >= 40 and a[:80] in notes for a in alts):
            self.add(
                "notes-alt-text",
                "the speaker notes read out alt text written for screen readers"
                + (f' ("{_short(notes[machine.start() :])}")' if machine else "")
                + "; say what the chart shows in a sentence instead",
            )

    # -- what the slide presents, for comparing neighbours

    def shown_figures(self) -> set[str]:
        """Figures in the title, the body placeholders and large text (a big number and its label);
        captions, sources and table cells are not counted."""
        found: set[str] = set()
        for s in self.shapes:
            body = s.el.find(qn("p:txBody"))
            if body is None or not _text(s.el).strip():
                continue
            big = any(self.run_size(s, body, r, 0) >= MIN_TITLE for r in body.iter(qn("a:r")))
            if s.is_title or s.placeholder in ("body", "obj") or big:
                found |= _figures(" ".join(_text(p) for p in body.findall(qn("a:p"))))
        return found

    def data_sets(self) -> list[set[str]]:
        """The values each chart (by its alt text) and each table (by its cells) shows."""
        sets = []
        for s in self.shapes:
            if s.kind == "pic" and not s.decorative:
                sets.append(_figures(_c_nv_pr(s.el).get("descr") or ""))
            tbl = s.el.find(".//" + qn("a:tbl"))
            if tbl is not None:
                cells = " ; ".join(_text(tc) for tc in tbl.iter(qn("a:tc")))
                sets.append(_figures(cells))
        return [x for x in sets if x]


# ---------------------------------------------------------------- shapes and geometry


def _flatten(shapes, transform=None) -> Iterator[Shape]:
    """Shapes in tree order, group members in place, their boxes mapped to slide coordinates."""
    for shape in shapes:
        x, y, w, h = (shape.left or 0, shape.top or 0, shape.width or 0, shape.height or 0)
        if transform:
            x, y, w, h = transform(x, y, w, h)
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            xfrm = shape._element.find(qn("p:grpSpPr") + "/" + qn("a:xfrm"))
            ch_off, ch_ext = xfrm.find(qn("a:chOff")), xfrm.find(qn("a:chExt"))
            cx, cy = int(ch_off.get("x")), int(ch_off.get("y"))
            sx = w / max(1, int(ch_ext.get("cx")))
            sy = h / max(1, int(ch_ext.get("cy")))

            def inner(a, b, c, d, x=x, y=y, cx=cx, cy=cy, sx=sx, sy=sy):
                return int(x + (a - cx) * sx), int(y + (b - cy) * sy), int(c * sx), int(d * sy)

            yield from _flatten(shape.shapes, inner)
            continue
        ph = shape._element.find(".//" + qn("p:ph"))
        placeholder = (ph.get("type") or "body") if ph is not None else None
        c_nv_pr = _c_nv_pr(shape._element)
        yield Shape(
            shape._element,
            c_nv_pr.get("id", "?"),
            c_nv_pr.get("name", ""),
            int(x),
            int(y),
            int(w),
            int(h),
            _is_decorative(c_nv_pr),
            placeholder,
        )


def _c_nv_pr(el) -> etree._Element:
    return el.find("./*/" + qn("p:cNvPr"))


def _is_decorative(c_nv_pr) -> bool:
    for ext in c_nv_pr.iterfind(qn("a:extLst") + "/" + qn("a:ext")):
        if ext.get("uri") == DECORATIVE_URI:
            flag = ext.find(DECORATIVE)
            return flag is not None and flag.get("val") in ("1", "true")
    return False


def _placeholders(part) -> dict[tuple[str, str], etree._Element]:
    found = {}
    for sp in part._element.iter(qn("p:sp")):
        ph = sp.find(".//" + qn("p:ph"))
        if ph is not None:
            if ph.get("idx"):
                found[("idx", ph.get("idx"))] = sp
            found.setdefault(("type", ph.get("type") or "body"), sp)
    return found


def _text(el) -> str:
    """A shape's words: paragraphs and line breaks apart ("21,494" over "cases …" is two words)."""
    paragraphs = list(el.iter(qn("a:p")))
    if not paragraphs:
        return "".join(t.text or "" for t in el.iter(qn("a:t")))
    return "\n".join(
        "".join((n.text or "") if n.tag == qn("a:t") else "\n" for n in p.iter(qn("a:t"), qn("a:br")))
        for p in paragraphs
    )


def _has_text(s: Shape) -> bool:
    return bool(_text(s.el).strip())


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "…"


def _intersects(a: Shape, b: Shape, margin: int = 0) -> bool:
    return (
        a.x + margin < b.x + b.w
        and b.x + margin < a.x + a.w
        and a.y + margin < b.y + b.h
        and b.y + margin < a.y + a.h
    )


def _contains(outer: Shape, inner: Shape) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and outer.x + outer.w >= inner.x + inner.w
        and outer.y + outer.h >= inner.y + inner.h
    )


def _before(a: Shape, b: Shape) -> bool:
    """Whether a comes before b when reading the slide: shapes sharing a band (overlapping by more
    than half the shorter one's height) read left to right, otherwise top to bottom."""
    overlap = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if overlap > 0.5 * min(a.h, b.h):
        return a.x < b.x
    return a.y < b.y
