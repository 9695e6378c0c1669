"""Chart words drawn as words: a plain SVG <text> laid out once, not letter by letter.

    WeasyPrint 70 (weasyprint/svg/text.py, `text`) lays out and draws every SVG text one letter at
    a time (a Pango layout and a text object per letter), which is what per-letter x, y, dx, dy
    and rotate lists need. A chart's labels have none of those, so a label such as "1,239 (4.5%)"
    costs twelve layouts, is drawn without kerning, and reaches a PDF reader as twelve separate
    letters. In the 2022 report the charts' 4,700 letters were most of the time WeasyPrint spent
    drawing them.

`whole_word_svg_text` swaps in `text` below while our PDF is written. A <text> or <tspan> whose
x and y are single values and that has no dx, dy, rotate, letter-spacing or textLength (every text
Matplotlib writes) is laid out once and drawn as one run, at the position, with the bounding box
and cursor that WeasyPrint's own code would give it (text-anchor still works: WeasyPrint shifts
the drawn group by that box). Anything else goes to WeasyPrint's own function. If a WeasyPrint
release moves the function, `hook_applies()` turns false (tests/test_svg_text.py fails) and the
build keeps WeasyPrint's way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from math import inf

PER_LETTER = ("dx", "dy", "rotate", "letter-spacing", "textLength")


def _modules():
    """weasyprint.svg and weasyprint.svg.text (the package's `text` attribute is the function,
    which shadows the module: take the module from sys.modules)."""
    import importlib

    package = importlib.import_module("weasyprint.svg")
    return package, sys.modules["weasyprint.svg.text"]


def hook_applies() -> bool:
    try:
        package, module = _modules()
    except ImportError:
        return False
    original = getattr(module, "text", None)
    tags = getattr(package, "TAGS", {})
    return callable(original) and getattr(package, "text", None) is original and tags.get("text") is original


def _single(value: str | None) -> bool:
    return value is None or (value.strip() != "" and not any(c in value.strip() for c in " ,"))


def _plain(node) -> bool:
    attrib = node.attrib
    return (
        bool(node.text)
        and _single(attrib.get("x"))
        and _single(attrib.get("y"))
        and not any(name in attrib for name in PER_LETTER)
        and node.get("direction") in (None, "ltr")
        and attrib.get("lengthAdjust") is None
    )


@contextmanager
def whole_word_svg_text() -> Iterator[None]:
    """While active, plain SVG texts are laid out and drawn as whole runs."""
    if not hook_applies():
        yield
        return
    package, module = _modules()
    original = module.text

    def text(svg, node, font_size):
        if not _plain(node):
            return original(svg, node, font_size)
        return _whole(svg, node, font_size)

    saved = {tag: fn for tag, fn in package.TAGS.items() if fn is original}
    package.text = text
    package.TAGS.update(dict.fromkeys(saved, text))
    try:
        yield
    finally:
        package.text = original
        package.TAGS.update(saved)


def _whole(svg, node, font_size) -> None:
    """WeasyPrint's `text` for one run: the same style, position, cursor and bounding box."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    if weight == "normal":
        weight = 400
    elif weight == "bold":
        weight = 700
    else:
        try:
            weight = int(weight)
        except ValueError:
            weight = 400
    style["font_weight"] = weight
    style["font_size"] = font_size

    x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width) if "x" in node.attrib else None
    y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height) if "y" in node.attrib else None

    ascent, descent = font_size * 0.8, font_size * 0.2
    y_align = 0.0
    display_anchor = node.get("display-anchor")
    baseline_rule = node.get("dominant-baseline", node.get("alignment-baseline"))
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    if display_anchor == "middle":
        y_align = -height / 2
    elif display_anchor == "bottom":
        y_align = -height
    elif display_anchor != "top":
        if baseline_rule in ("central", "middle"):
            y_align = (ascent + descent) / 2 - descent
        elif baseline_rule in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
            y_align = ascent
        elif baseline_rule in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
            y_align = -descent

    if x is not None:
        svg.cursor_d_position[0] = 0
    if y is not None:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + y_align
    points = ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height))
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, points)

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(
        svg.stream, text_box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position)
    )
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
