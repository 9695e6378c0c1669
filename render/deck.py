"""Stage: the deck. The model the PDF is made from, laid out as a 16:9 PowerPoint a presenter can take
on stage, and that PowerPoint's Accessibility Checker has nothing to say about.

Two steps. `plan_deck` (deck_plan) decides what every slide says; `render_deck`, here, draws that
plan with python-pptx: placeholders, text boxes, charts, tables, decorative accents, the document's
language and properties.

The bytes are reproducible: fixed document dates and fixed zip entry times, so building the same
content twice gives the same file.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from functools import partial

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.util import Emu

from .chart_cache import ChartPictures
from .charts import label_lines
from .deck_measure import Para, Type
from .deck_plan import (
    BOTTOM,
    CELL_X,
    CELL_Y,
    GAP,
    MARGIN,
    MIN_BODY,
    MIN_TITLE,
    TITLE_TOP,
    SlideSpec,
    key_point_paras,
    plan_deck,
    table_text_size,
    title_paras,
)
from .errors import ContentError
from .model import Chart, Report
from .theme import Theme, contrast_ratio

PT = 12700  # EMU per point
DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"
TITLE_PLACEHOLDERS = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
PLAIN_TABLE_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"  # "No Style, No Grid": we draw our own


def render_deck(report: Report, theme: Theme, pictures: ChartPictures | None = None) -> bytes:
    """The deck as .pptx bytes, identical for identical content. Chart pictures come from
    `pictures` (a cache) when given, else are drawn."""
    draw = {**DRAW, "chart": partial(_draw_chart, pictures=pictures or ChartPictures(None))}
    _check_colours(theme)
    t = Type(theme)
    prs, layout = _base(theme)
    lang = report.meta.language
    for spec in plan_deck(report, theme):
        slide = prs.slides.add_slide(layout)
        for ph in list(slide.placeholders):
            if ph.placeholder_format.type not in TITLE_PLACEHOLDERS:  # a layout's body, picture …
                ph._element.getparent().remove(ph._element)
        draw[spec.kind](slide, spec, t)
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
    pairs = [
        ("title_color", s["title_color"], s["background"]),
        ("text_color", s["text_color"], s["background"]),
        ("accent", s["accent"], s["background"]),
        ("colors.muted", c["muted"], s["background"]),
        ("divider_text", s["divider_text"], s["divider_background"]),
        ("colors.text on colors.surface", c["text"], c["surface"]),
    ]
    for name, fg, bg in pairs:
        if contrast_ratio(fg, bg) < 4.5:
            raise ContentError(
                theme.styles_dir / "theme.toml",
                f"[slides] {name} {fg} on {bg} has contrast {contrast_ratio(fg, bg):.2f}:1",
                hint="slide text needs at least 4.5:1 against its background",
            )


def _base(theme: Theme):
    """The branded template when styles/ has one, else python-pptx's default widened to 16:9."""
    w, h = theme.slides["width_in"] * 914400, theme.slides["height_in"] * 914400
    template = theme.styles_dir / theme.slides.get("template", "deck-template.pptx")
    if template.is_file():
        prs = Presentation(str(template))
        if abs(prs.slide_width / prs.slide_height - w / h) > 0.01:
            raise ContentError(
                template,
                f"the template is {prs.slide_width / 914400:.3f} × "
                f"{prs.slide_height / 914400:.3f} in, not 16:9",
                hint="save the template with the Widescreen (16:9) slide size",
            )
        for sld_id in list(prs.slides._sldIdLst):  # a template's sample slides are not ours
            prs.part.drop_rel(sld_id.rId)
            prs.slides._sldIdLst.remove(sld_id)
    else:
        prs = Presentation()
        _widen(prs, w / prs.slide_width)
        _theme_fonts(prs, theme)
    prs.slide_width, prs.slide_height = Emu(int(w)), Emu(int(h))
    layouts = [
        lay
        for lay in prs.slide_layouts
        if any(ph.placeholder_format.type in TITLE_PLACEHOLDERS for ph in lay.placeholders)
    ]
    if not layouts:
        raise ContentError(template, "no slide layout in the template has a title placeholder")
    layout = next(
        (lay for lay in layouts if lay.name == "Title Only"),
        min(layouts, key=lambda lay: len(lay.placeholders)),
    )
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


def _title(
    slide,
    spec: SlideSpec,
    t: Type,
    paras: list[Para] | None = None,
    *,
    y: float = TITLE_TOP,
    width: float | None = None,
    compact: bool = False,
) -> float:
    """Fill the title placeholder; its text sits on the box's bottom edge, right above the content,
    since the box is sized for the wider fallback font and may have a line to spare."""
    w = width or t.size[0] - 2 * MARGIN
    paras = paras or title_paras(spec.title, t, w, compact=compact)
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
    _text_box(slide, "Key points", MARGIN, bottom + GAP, w - 2 * MARGIN, key_point_paras(spec.body, t), t)
    _accent_under(slide, bottom, t)


def _draw_number(slide, spec: SlideSpec, t: Type) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["background"])
    width = w - 2 * MARGIN
    label = spec.title[len(spec.value) :].strip()
    paras = [
        Para(spec.value, s["big_number_size"], s["accent"], bold=True),
        Para(label, max(MIN_TITLE, 32), s["text_color"], space_before=6),
    ]
    source = [Para(spec.body[0], MIN_BODY, t.theme.colors["muted"])]
    total = t.height(paras, width) + 4 + 28 + t.height(source, width)
    top = max(TITLE_TOP, (h - total) / 2)
    bottom = _title(slide, spec, t, paras, y=top, width=width)
    _text_box(slide, "Source", MARGIN, bottom + 28, width, source, t)
    _decoration(slide, "accent bar", MARGIN, top - 20, 72, 5, s["accent"])


def _draw_chart(slide, spec: SlideSpec, t: Type, *, pictures: ChartPictures) -> None:
    s, (w, h) = t.slide, t.size
    _background(slide, s["background"])
    bottom = _title(slide, spec, t, compact=True)
    width = w - 2 * MARGIN
    source = [Para(line, MIN_BODY, t.theme.colors["muted"]) for line in spec.body]
    source_h = t.height(source, width) + 4 if source else 0
    top = bottom + GAP
    room = min(h - top - BOTTOM - (source_h + 8 if source else 0), _chart_height(spec.chart, t))
    # Draw the chart for exactly the space it gets, so its type stays at the theme's size.
    png = pictures.png(spec.chart, t.theme, width_in=round(width / 72, 3), height_in=round(room / 72, 3))
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
    pitch = sum(max(2.6, 1.3 * label_lines(chart, x) + 0.6) * size for x in chart.series.labels)
    return pitch + 5 * size


def _draw_table(slide, spec: SlideSpec, t: Type) -> None:
    s, w = t.slide, t.size[0]
    c = t.theme.colors
    _background(slide, s["background"])
    bottom = _title(slide, spec, t, compact=True)
    page = spec.table
    top = bottom + GAP
    size = table_text_size(t)
    frame = slide.shapes.add_table(
        len(page.rows) + 1,
        len(page.header),
        _emu(MARGIN),
        _emu(top),
        _emu(sum(page.widths)),
        _emu(sum(page.heights)),
    )
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
            _write(
                cell.text_frame,
                [Para(text, size, c["text"], bold=bold, align=align)],
                t,
                cell.vertical_anchor,
            )
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
        _text_box(
            slide, "Table note", MARGIN, y, w - 2 * MARGIN, [Para(page.footnote, MIN_BODY, c["muted"])], t
        )
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


DRAW = {
    "title": _draw_title,
    "divider": _draw_divider,
    "points": _draw_points,
    "number": _draw_number,
    "chart": _draw_chart,
    "table": _draw_table,
    "closing": _draw_closing,
}


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
