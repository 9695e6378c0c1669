"""Plain SVG texts (every label Matplotlib writes) are laid out and drawn as whole runs
(svg_text.py): in the same place as WeasyPrint's letter-by-letter drawing, faster, and as words."""

from __future__ import annotations

import base64
import io

import pikepdf
import weasyprint
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar

from render.svg_text import hook_applies, whole_word_svg_text

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="120pt" viewBox="0 0 300 120">
<text x="10" y="20" style="font-size: 12px; font-family: sans-serif">Family abduction</text>
<text x="150" y="50" style="font-size: 12px; font-family: sans-serif; text-anchor: middle">1,239 (4.5%)</text>
<text x="290" y="80" style="font-size: 12px; font-family: sans-serif; text-anchor: end">Children</text>
<text x="10" y="110" dx="0 3 3 3" style="font-size: 12px; font-family: sans-serif">Wide</text>
</svg>"""


def _pdf(hooked: bool) -> bytes:
    src = "data:image/svg+xml;base64," + base64.b64encode(SVG.encode()).decode()
    html = f'<html lang="en"><title>t</title><img src="{src}" alt="A test chart"></html>'
    document = weasyprint.HTML(string=html).render()
    if hooked:
        with whole_word_svg_text():
            return document.write_pdf(pdf_identifier=b"x")
    return document.write_pdf(pdf_identifier=b"x")


def _words(data: bytes) -> dict[str, tuple[float, float, float]]:
    """Each run of characters on one baseline → (left, bottom, right); words as a reader extracts them."""
    chars: list[LTChar] = []

    def collect(item) -> None:
        if isinstance(item, LTChar):
            chars.append(item)
        elif hasattr(item, "__iter__"):
            for child in item:
                collect(child)

    for page in extract_pages(io.BytesIO(data)):
        collect(page)
    lines: dict[float, list[LTChar]] = {}
    for c in chars:
        lines.setdefault(round(c.y0), []).append(c)
    found = {}
    for line in lines.values():
        line.sort(key=lambda c: c.x0)
        text = ""
        for previous, c in zip([None, *line], line):
            if previous is not None and c.x0 - previous.x1 > 0.2 * c.size:
                text += " "  # a gap as wide as a space is a space, as text extraction reads it
            text += c.get_text()
        found[text] = (line[0].x0, line[0].y0, line[-1].x1)
    return found


def _text_shows(data: bytes) -> int:
    """How many times the page and its forms show text (Tj, TJ)."""
    count = 0
    with pikepdf.open(io.BytesIO(data)) as pdf:
        streams = [pdf.pages[0].obj]
        seen = set()
        while streams:
            holder = streams.pop()
            for op in pikepdf.parse_content_stream(holder):
                count += op.operator in (pikepdf.Operator("Tj"), pikepdf.Operator("TJ"))
            xobjects = holder.get("/Resources", {}).get("/XObject", {})
            for xobject in xobjects.values():
                if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                    seen.add(xobject.objgen)
                    streams.append(xobject)
    return count


def test_the_hook_still_applies_to_this_weasyprint():
    assert hook_applies(), "weasyprint.svg's text function moved: update svg_text.py"


def test_whole_runs_sit_where_letters_did_and_per_letter_text_keeps_weasyprints_way(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    letters, whole = _pdf(False), _pdf(True)
    before, after = _words(letters), _words(whole)
    for text in ("Family abduction", "1,239 (4.5%)", "Children"):
        assert text in after, after
        (l0, b0, r0), (l1, b1, r1) = before[text], after[text]
        slack = 0.5 + 0.02 * (r0 - l0)  # kerning: a whole run is set as the font means, letters are not
        assert abs(l0 - l1) < slack and abs(b0 - b1) < 0.2 and abs(r0 - r1) < slack, (text, before, after)
    assert "W i d e" in before and "W i d e" in after  # dx per letter: still WeasyPrint's own drawing
    # one text show per label instead of one per letter
    assert _text_shows(whole) == 3 + 4 and _text_shows(letters) > 30
