"""Where a PDF draws its tagged text: each marked-content sequence's words and box on the page.

The PDF checker (check_pdf.py) needs the words of every marked-content id (MCID) to read links,
captions and leaders, and where they are drawn to judge reading order and text off the page. We walk
the content streams with pikepdf ourselves rather than through pypdf's text extraction: pypdf
buffers text across marked-content boundaries inside one BT block (so words can land on the wrong
MCID in files not written by WeasyPrint), gives only a start position, and takes about 4 s on the
29-page report where this walk takes well under one. No new runtime dependency either.

What is measured: the box of each text-showing operator from the font's widths, ascent and
descent, through the text and graphics matrices (form XObjects included). Clipping paths are
ignored, so text clipped inside the page counts as drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pikepdf

from .forked import Forked, may_share

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the page's default user space (points)
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
WORD_GAP = 250  # a TJ move wider than a quarter em, in thousandths of an em, is a space between words
TEXT_OPERATORS = "q Q cm BT ET Tf Tc Tw Tz TL Ts Td TD Tm T* Tj TJ ' \" BDC BMC EMC Do"
HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")


@dataclass(frozen=True)
class Piece:
    """The text of one text-showing operator, with the marked content it sits in."""

    page: int  # 0-based
    mcid: int | None  # None: untagged, or an artifact
    artifact: bool
    text: str
    box: Box


def _mul(a: Matrix, b: Matrix) -> Matrix:
    """a then b (PDF's row-vector convention: p' = p × a × b)."""
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )


def _box(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Box:
    points = [(x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _hex(data: bytes) -> bytes:
    return bytes.fromhex(re.sub(rb"\s", b"", data).decode())


def _to_unicode(stream: pikepdf.Stream) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries: character code → text."""
    data = stream.read_bytes()
    found: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        codes = HEX.findall(block)
        for src, dst in zip(codes[::2], codes[1::2]):
            found[int.from_bytes(_hex(src), "big")] = _hex(dst).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, rest in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block
        ):
            start, end = int(lo, 16), int(hi, 16)
            if rest.startswith(b"["):
                for i, dst in enumerate(HEX.findall(rest)):
                    found[start + i] = _hex(dst).decode("utf-16-be", "replace")
                continue
            base = _hex(rest[1:-1])
            for i in range(min(end - start, 0xFFFF) + 1):
                last = int.from_bytes(base[-2:], "big") + i
                found[start + i] = (base[:-2] + last.to_bytes(2, "big")).decode("utf-16-be", "replace")
    return found


class Font:
    """What measuring and reading a font's strings needs: code length, widths, text, height."""

    def __init__(self, font: pikepdf.Dictionary) -> None:
        self.two_bytes = font.get("/Subtype") == pikepdf.Name.Type0
        self.widths: dict[int, float] = {}
        self.scale = 0.001  # glyph space → text space; Type3 fonts say their own
        descriptor = font.get("/FontDescriptor")
        if self.two_bytes:
            cid_font = font.DescendantFonts[0]
            descriptor = cid_font.get("/FontDescriptor")
            self.default = float(cid_font.get("/DW", 1000))
            self._cid_widths(cid_font.get("/W", pikepdf.Array()))
        else:
            first = int(font.get("/FirstChar", 0))
            for i, w in enumerate(font.get("/Widths", [])):
                self.widths[first + i] = float(w)
            self.default = float(descriptor.get("/MissingWidth", 0)) if descriptor is not None else 0.0
            if "/Widths" not in font:
                self.default = 500.0  # a standard-14 font: widths unknown here, an average one
            if font.get("/Subtype") == pikepdf.Name.Type3:
                self.scale = float(font.FontMatrix[0])
        self.ascent, self.descent = 0.8, -0.2
        if descriptor is not None and float(descriptor.get("/Ascent", 0)):
            self.ascent = float(descriptor.Ascent) / 1000
            self.descent = float(descriptor.get("/Descent", -200)) / 1000
        self.unicode = (
            _to_unicode(font.ToUnicode) if isinstance(font.get("/ToUnicode"), pikepdf.Stream) else {}
        )
        encoding = font.get("/Encoding")
        self.codec = {"/WinAnsiEncoding": "cp1252", "/MacRomanEncoding": "mac_roman"}.get(
            str(encoding) if isinstance(encoding, pikepdf.Name) else "", "latin-1"
        )

    def _cid_widths(self, w: pikepdf.Array) -> None:
        items, i = list(w), 0
        while i + 1 < len(items):
            first = int(items[i])
            if isinstance(items[i + 1], pikepdf.Array):
                for k, width in enumerate(items[i + 1]):
                    self.widths[first + k] = float(width)
                i += 2
            elif i + 2 < len(items):
                for code in range(first, int(items[i + 1]) + 1):
                    self.widths[code] = float(items[i + 2])
                i += 3
            else:
                break

    def read(self, data: bytes) -> tuple[str, list[tuple[int, float]]]:
        """The text of a string and each code with its width (glyph units)."""
        step = 2 if self.two_bytes else 1
        codes = [int.from_bytes(data[i : i + step], "big") for i in range(0, len(data) - step + 1, step)]
        text = "".join(
            self.unicode.get(c)
            or (bytes([c]).decode(self.codec, "replace") if c < 256 and not self.two_bytes else "")
            for c in codes
        )
        return text, [(c, self.widths.get(c, self.default)) for c in codes]


class _Walk:
    """One page's content streams, operator by operator, collecting a Piece per text operator."""

    def __init__(self, page: int, fonts: dict[tuple[int, int], Font]) -> None:
        self.page = page
        self.fonts = fonts  # by object, shared by the pages: a font is read once
        self.pieces: list[Piece] = []
        self.marks: list[tuple[int | None, bool]] = []  # (MCID, artifact) of open sequences
        self.foreign = 0  # inside form XObjects with their own structure parents

    def run(self, stream, resources: pikepdf.Dictionary, ctm: Matrix, depth: int = 0) -> None:
        state = {"font": None, "size": 0.0, "tc": 0.0, "tw": 0.0, "tz": 1.0, "tl": 0.0, "rise": 0.0}
        stack: list[tuple[Matrix, dict]] = []
        tm = tlm = IDENTITY
        fonts = resources.get("/Font", {})
        for instruction in pikepdf.parse_content_stream(stream, TEXT_OPERATORS):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                continue
            op, args = str(instruction.operator), instruction.operands
            if op == "q":
                stack.append((ctm, dict(state)))
            elif op == "Q" and stack:
                ctm, state = stack.pop()
            elif op == "cm":
                ctm = _mul(tuple(map(float, args)), ctm)
            elif op == "BT":
                tm = tlm = IDENTITY
            elif op == "Tf":
                font = fonts.get(str(args[0])) if fonts else None
                state["font"] = self.font(font) if isinstance(font, pikepdf.Dictionary) else None
                state["size"] = float(args[1])
            elif op in ("Tc", "Tw", "TL", "Ts"):
                state[{"Tc": "tc", "Tw": "tw", "TL": "tl", "Ts": "rise"}[op]] = float(args[0])
            elif op == "Tz":
                state["tz"] = float(args[0]) / 100
            elif op in ("Td", "TD"):
                if op == "TD":
                    state["tl"] = -float(args[1])
                tm = tlm = _mul((1, 0, 0, 1, float(args[0]), float(args[1])), tlm)
            elif op == "Tm":
                tm = tlm = tuple(map(float, args))
            elif op in ("T*", "'", '"'):
                tm = tlm = _mul((1, 0, 0, 1, 0, -state["tl"]), tlm)
                if op == '"':
                    state["tw"], state["tc"] = float(args[0]), float(args[1])
                if op != "T*":
                    tm = self.show([args[-1]], state, tm, ctm)
            elif op == "Tj":
                tm = self.show([args[0]], state, tm, ctm)
            elif op == "TJ":
                tm = self.show(list(args[0]), state, tm, ctm)
            elif op in ("BDC", "BMC"):
                props = args[1] if len(args) > 1 else None
                if isinstance(props, pikepdf.Name):
                    props = resources.get("/Properties", {}).get(str(props))
                mcid = props.get("/MCID") if isinstance(props, pikepdf.Dictionary) else None
                artifact = str(args[0]) == "/Artifact" or any(a for _, a in self.marks)
                self.marks.append((int(mcid) if mcid is not None else None, artifact))
            elif op == "EMC" and self.marks:
                self.marks.pop()
            elif op == "Do" and depth < 8:
                xobject = resources.get("/XObject", {}).get(str(args[0]))
                if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
                    matrix = tuple(map(float, xobject.get("/Matrix", IDENTITY)))
                    # A form with its own /StructParents numbers its marked content apart from the
                    # page's: its MCIDs would collide with the page's, so its text is left unattributed.
                    own = "/StructParents" in xobject
                    self.foreign += own
                    self.run(xobject, xobject.get("/Resources", resources), _mul(matrix, ctm), depth + 1)
                    self.foreign -= own

    def font(self, font: pikepdf.Dictionary) -> Font:
        key = font.objgen if font.is_indirect else (-id(font), 0)
        if key not in self.fonts:
            self.fonts[key] = Font(font)
        return self.fonts[key]

    def show(self, items: list, state: dict, tm: Matrix, ctm: Matrix) -> Matrix:
        """Measure a string (or a TJ array), record it, and return the text matrix after it."""
        font, size = state["font"], state["size"]
        if font is None:
            return tm
        text, x, low = "", 0.0, 0.0
        pending = b""  # strings between zero adjustments are measured together: one read, not one a glyph

        def measure() -> None:
            nonlocal text, x, low, pending
            part, glyphs = font.read(pending)
            text += part
            spaces = sum(1 for code, _ in glyphs if code == 32) if not font.two_bytes else 0
            widths = sum(w for _, w in glyphs) * font.scale * size
            x += (widths + state["tc"] * len(glyphs) + state["tw"] * spaces) * state["tz"]
            low, pending = min(low, x), b""

        for item in items:
            if isinstance(item, pikepdf.String):
                pending += bytes(item)
            elif float(item):  # a TJ adjustment, in thousandths of the font size
                measure()
                x -= float(item) / 1000 * size * state["tz"]
                low = min(low, x)
                if float(item) < -WORD_GAP and text and not text[-1].isspace():
                    text += " "  # a gap this wide separates words (producers that draw no spaces)
        measure()
        bottom, top = state["rise"] + font.descent * size, state["rise"] + font.ascent * size
        mcid = None if self.foreign else next((m for m, _ in reversed(self.marks) if m is not None), None)
        artifact = any(a for _, a in self.marks)
        if text:
            box = _box(_mul(tm, ctm), low, bottom, x, top)
            self.pieces.append(Piece(self.page, None if artifact else mcid, artifact, text, box))
        return _mul((1, 0, 0, 1, x, 0), tm)


def inherited(page: pikepdf.Dictionary, key: str):
    """A page attribute that may be inherited from the page tree (Resources, MediaBox, CropBox)."""
    node, seen = page, 0
    while isinstance(node, pikepdf.Dictionary) and seen < 64:
        if key in node:
            return node[key]
        node, seen = node.get("/Parent"), seen + 1
    return None


def page_pieces(pdf: pikepdf.Pdf) -> list[Piece]:
    """Every piece of text on every page, in drawing order. When the build lets it
    (forked.sharing), a forked child walks the later half of the pages meanwhile."""
    count = len(pdf.pages)
    half = count // 2 if may_share() and count >= 8 else count
    child = Forked.start(lambda: _pieces(pdf, half, count)) if half < count else None
    try:
        pieces = _pieces(pdf, 0, half)
        rest = child.result() if child else None
    finally:
        if child:
            child.close()
    return pieces + (rest if rest is not None else _pieces(pdf, half, count))


def _pieces(pdf: pikepdf.Pdf, start: int, stop: int) -> list[Piece]:
    pieces: list[Piece] = []
    fonts: dict[tuple[int, int], Font] = {}
    for index in range(start, stop):
        page = pdf.pages[index]
        walk = _Walk(index, fonts)
        resources = inherited(page.obj, "/Resources")
        walk.run(
            page.obj,
            resources if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary(),
            IDENTITY,
        )
        pieces += walk.pieces
    return pieces
