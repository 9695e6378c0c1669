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
import re
import zipfile
from dataclasses import replace
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
from .deck_measure import MIN_BODY, MIN_TITLE, SLACK, Para, Type
from .deck_plan import Figure, SlideSpec, plain, plan_deck
from .deck_tables import text_size as table_text_size
from .errors import ContentError
from .model import Chart, Report
from .outputs import Job, timed
from .theme import Theme, contrast_ratio

PT = 12700  # EMU per point
DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"
# Tells PowerPoint to draw a link in its run's colour, not the theme's hyperlink colour, so a link
# keeps the contrast the run was given (on a dark closing slide, too).
HLINK_COLOUR_URI = "{A12FA001-AC4F-418D-AE19-62706E023703}"
HLINK_COLOUR_NS = "http://schemas.microsoft.com/office/drawing/2018/hyperlinkcolor"
TITLE_PLACEHOLDERS = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
BODY_PLACEHOLDERS = (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)
PLAIN_TABLE_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"  # "No Style, No Grid": we draw our own


def render(report: Report, job: Job) -> bytes:
    """The deck renderer (outputs.py)."""
    with timed(job, "deck"):
        return render_deck(report, job.theme, job.pictures)


def render_deck(report: Report, theme: Theme, pictures: ChartPictures | None = None) -> bytes:
    """The deck as .pptx bytes, identical for identical content. Chart pictures come from
    `pictures` (a cache) when given, else are drawn."""
    draw = {**DRAW, "chart": partial(_draw_chart, pictures=pictures or ChartPictures(None))}
    _check_colours(theme)
    t = Type(theme)
    prs, title_only, with_body = _base(theme)
    lang = report.meta.language
    for spec in plan_deck(report, theme):
        slide = prs.slides.add_slide(with_body if spec.kind == "points" else title_only)
        body = None
        for ph in list(slide.placeholders):
            kind = ph.placeholder_format.type
            if kind in TITLE_PLACEHOLDERS:
                continue
            if spec.kind == "points" and body is None and kind in BODY_PLACEHOLDERS:
                body = ph  # key points go here, so they show in PowerPoint's outline view
                continue
            ph._element.getparent().remove(ph._element)  # a layout's date, footer, picture …
        draw[spec.kind](slide, spec, t)
        if spec.notes:
            tf = slide.notes_slide.notes_text_frame
            _write(tf, [Para(n, t.style.note_size, theme.colors["text"]) for n in spec.notes], t)
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
    """The branded template when styles/ has one, else python-pptx's default widened to 16:9; and
    its layouts for a slide with a title only and for one with a title and a body."""
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

    def kinds(layout) -> list:
        return [ph.placeholder_format.type for ph in layout.placeholders]

    titled = [lay for lay in prs.slide_layouts if any(k in TITLE_PLACEHOLDERS for k in kinds(lay))]
    if not titled:
        raise ContentError(template, "no slide layout in the template has a title placeholder")
    title_only = next(
        (lay for lay in titled if lay.name == "Title Only"),
        min(titled, key=lambda lay: len(lay.placeholders)),
    )
    bodied = [lay for lay in titled if any(k in BODY_PLACEHOLDERS for k in kinds(lay))]
    if not bodied:
        raise ContentError(
            template,
            "no slide layout in the template has a title and a body (content) placeholder",
            hint="key points go in a body placeholder so they show in the outline; add a "
            "'Title and Content' layout",
        )
    with_body = next(
        (lay for lay in bodied if lay.name == "Title and Content"),
        min(bodied, key=lambda lay: len(lay.placeholders)),
    )
    return prs, title_only, with_body


def _widen(prs, factor: float) -> None:
    """Stretch the default 4:3 master and layouts sideways, so a slide a presenter adds fits too."""
    for part in [prs.slide_master] + list(prs.slide_layouts):
        for xfrm in part._element.iter(qn("a:xfrm")):
            for child, attr in ((xfrm.find(qn("a:off")), "x"), (xfrm.find(qn("a:ext")), "cx")):
                if child is not None:
                    child.set(attr, str(int(int(child.get(attr)) * factor)))


def _theme_fonts(prs, theme: Theme) -> None:
    """The theme's face for headings and body, and its title colour for links in the default
    template (PowerPoint versions that ignore a link's own colour use the theme's)."""
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    for latin in root.iter(qn("a:latin")):
        if latin.getparent().tag in (qn("a:majorFont"), qn("a:minorFont")):
            latin.set("typeface", theme.font_family)
    for slot in ("a:hlink", "a:folHlink"):
        for el in root.iter(qn(slot)):
            for child in list(el):
                el.remove(child)
            etree.SubElement(el, qn("a:srgbClr"), val=theme.slides["title_color"].lstrip("#").upper())
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
        para.space_before = _emu(p.space_before)
        if p.bullet:
            _bullet(para, p.size, t)
        for words, href in p.links or ((p.text, ""),):
            run = para.add_run()
            run.text = words
            _font(run, p.size, p.bold, p.color, t)
            if href:
                _link(run, href)


def _link(run, href: str) -> None:
    """A live link, underlined, drawn in the run's own colour."""
    run.hyperlink.address = href
    run.font.underline = True
    click = run._r.find(qn("a:rPr")).find(qn("a:hlinkClick"))
    ext = etree.SubElement(etree.SubElement(click, qn("a:extLst")), qn("a:ext"), uri=HLINK_COLOUR_URI)
    etree.SubElement(ext, f"{{{HLINK_COLOUR_NS}}}hlinkClr", nsmap={"ahyp": HLINK_COLOUR_NS}).set("val", "tx")


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
    indent = _emu(t.indent(size))
    ppr.set("marL", str(indent))
    ppr.set("indent", str(-indent))
    bu_font = etree.SubElement(ppr, qn("a:buFont"))
    bu_font.set("typeface", t.theme.font_family)
    etree.SubElement(ppr, qn("a:buChar")).set("char", "•")


def _text_box(slide, name: str, x: float, y: float, w: float, paras: list[Para], t: Type) -> float:
    """A text box just tall enough for its text (in the fallback font); returns its bottom edge."""
    height = t.height(paras, w) + SLACK
    box = slide.shapes.add_textbox(_emu(x), _emu(y), _emu(w), _emu(height))
    box.name = name
    _write(box.text_frame, paras, t)
    return y + height


def _place(shape, name: str, x: float, y: float, w: float, paras: list[Para], t: Type, anchor=MSO_ANCHOR.TOP):
    """Fill a placeholder sized for its text (in the fallback font); returns its bottom edge."""
    height = t.height(paras, w) + SLACK
    shape.left, shape.top, shape.width, shape.height = _emu(x), _emu(y), _emu(w), _emu(height)
    shape.name = name
    _write(shape.text_frame, paras, t, anchor)
    return y + height


def _title(slide, t: Type, paras: list[Para], *, y: float | None = None) -> float:
    """Fill the title placeholder; its text sits on the box's bottom edge, right above the content,
    since the box is sized for the wider fallback font and may have a line to spare."""
    top = t.style.title_top if y is None else y
    return _place(
        slide.shapes.title, "Title", t.style.margin, top, t.content_width, paras, t, MSO_ANCHOR.BOTTOM
    )


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


def _title_bar(slide, bottom: float, t: Type) -> None:
    bar = t.style.title_bar
    _decoration(slide, "accent bar", t.style.margin, bottom + bar.gap, bar.width, bar.height, t.style.accent)


def _opener_bar(slide, top: float, t: Type) -> None:
    bar = t.style.opener_bar
    y = top - bar.gap - bar.height
    _decoration(slide, "accent bar", t.style.margin, y, bar.width, bar.height, t.style.accent)


def _line_paras(spec: SlideSpec, size: float, color: str, **kw) -> list[Para]:
    return [
        Para(plain(line), size, color, links=line if any(h for _, h in line) else (), **kw)
        for line in spec.lines
    ]


def _split(value: str) -> tuple[str, str, str]:
    """("more than", "29,000", "") from "more than 29,000", ("", "8.1", "million") from "8.1 million":
    the words around a big number are set at its label's size, so the number itself can be large."""
    m = re.fullmatch(r"((?:[a-z]+ )*?)(\d[\d,.]*%?(?: in \d[\d,]*)?)(?: (million|billion|thousand))?", value)
    return (m[1].strip(), m[2], m[3] or "") if m else ("", value, "")


def _value_size(values: list[str], size: float, width: float, t: Type) -> float:
    """One size for the big numbers of a slide: the largest, at most `size` and never under 28 pt, at
    which each fits `width` on one line."""
    while size > MIN_TITLE and any(t.face(True).width(_split(v)[1], size) > width for v in values):
        size -= 2
    return max(size, MIN_TITLE)


def _figure_paras(f: Figure, size: float, label_size: float, t: Type, *, source: bool = True) -> list[Para]:
    """A big number: any words before it small above it, the number, its label, its source."""
    s = t.style
    qualifier, number, unit = _split(f.value)
    paras = [Para(qualifier, label_size, s.text_color)] if qualifier else []
    label = f"{unit} {f.label}" if unit else f.label
    paras += [
        Para(number, size, s.accent, bold=True),
        Para(label, label_size, s.text_color, space_before=s.figures.label_gap),
    ]
    if source and f.source:
        muted = t.theme.colors["muted"]
        paras.append(Para(f"Source: {f.source}", MIN_BODY, muted, space_before=s.figures.label_gap))
    return paras


# ---------------------------------------------------------------- slide kinds


def _draw_title(slide, spec: SlideSpec, t: Type) -> None:
    s, cover, h = t.style, t.style.cover, t.size[1]
    _background(slide, s.divider_background)
    ink = s.divider_text
    subtitle, *rest = [plain(x) for x in spec.lines]  # subtitle, organisation, year
    rest = [x for x in rest if x]
    top = h * cover.top
    bottom = _title(slide, t, [Para(spec.title, cover.title_size, ink, bold=True)], y=top)
    if subtitle:
        para = [Para(subtitle, cover.subtitle_size, ink)]
        bottom = _text_box(slide, "Subtitle", s.margin, bottom + cover.subtitle_gap, t.content_width, para, t)
    lower = [Para(x, cover.footer_size, ink, bold=i == 0) for i, x in enumerate(rest)]
    if lower:
        y = max(bottom + cover.footer_gap, h - cover.footer_bottom)
        _text_box(slide, "Organisation and year", s.margin, y, t.content_width, lower, t)
    _opener_bar(slide, top, t)


def _draw_divider(slide, spec: SlideSpec, t: Type) -> None:
    s, h = t.style, t.size[1]
    _background(slide, s.divider_background)
    paras = [Para(spec.title, s.divider.title_size, s.divider_text, bold=True)]
    top = (h - t.height(paras, t.content_width)) / 2
    _title(slide, t, paras, y=top)
    _opener_bar(slide, top, t)


def _draw_points(slide, spec: SlideSpec, t: Type) -> None:
    s = t.style
    _background(slide, s.background)
    bottom = _title(slide, t, t.title_paras(spec.title))
    size = s.points_size or round(s.body_size * 4 / 3)
    paras = [
        replace(p, space_before=0 if i == 0 else size * s.points.spacing)
        for i, p in enumerate(_line_paras(spec, size, s.text_color, bullet=True))
    ]
    body = next(ph for ph in slide.placeholders if ph.placeholder_format.type in BODY_PLACEHOLDERS)
    _place(body, "Key points", s.margin, bottom + s.title_gap, t.content_width, paras, t)
    _title_bar(slide, bottom, t)


def _draw_number(slide, spec: SlideSpec, t: Type) -> None:
    """One big number as the slide's title: the value, its label under it, the source below."""
    s, h = t.style, t.size[1]
    _background(slide, s.background)
    width = t.content_width
    f = spec.figures[0]
    label = max(MIN_TITLE, s.number.label_size)
    paras = _figure_paras(f, _value_size([f.value], s.big_number_size, width, t), label, t, source=False)
    source = _line_paras(spec, MIN_BODY, t.theme.colors["muted"])
    total = t.height(paras, width) + SLACK + (s.number.source_gap + t.height(source, width) if source else 0)
    top = max(s.title_top + s.opener_bar.gap + s.opener_bar.height, (h - total) / 2)
    bottom = _title(slide, t, paras, y=top)
    if source:
        _text_box(slide, "Source", s.margin, bottom + s.number.source_gap, width, source, t)
    _opener_bar(slide, top, t)


def _draw_figures(slide, spec: SlideSpec, t: Type) -> None:
    """One to three big numbers side by side under a title, each with its label, centred in the
    room below the title."""
    s, h = t.style, t.size[1]
    _background(slide, s.background)
    bottom = _title(slide, t, t.title_paras(spec.title))
    n = len(spec.figures)
    gap = s.figures.column_gap
    width = (t.content_width - gap * (n - 1)) / n
    size = _value_size(
        [f.value for f in spec.figures], s.big_number_size if n == 1 else s.figures.value_size, width, t
    )
    columns = [_figure_paras(f, size, s.figures.label_size, t) for f in spec.figures]
    tallest = max(t.height(p, width) for p in columns) + SLACK
    top = bottom + s.title_gap
    y = top + max(0.0, (h - s.bottom - top - tallest) / 2)
    for i, paras in enumerate(columns):
        _text_box(slide, f"Figure {i + 1}", s.margin + i * (width + gap), y, width, paras, t)
    _title_bar(slide, bottom, t)


def _draw_chart(slide, spec: SlideSpec, t: Type, *, pictures: ChartPictures) -> None:
    """A chart at the size it needs, with the figure it adds up to beside it when there is one, and
    its caption line (the chart's name when the title is its takeaway, and the source) under it;
    all of it centred in the room under the title. Beside a log-scale chart the figure goes above
    it instead: its labels need the full width."""
    s, h = t.style, t.size[1]
    _background(slide, s.background)
    bottom = _title(slide, t, t.title_paras(spec.title, compact=True))
    width, left = t.content_width, s.margin
    caption = _line_paras(spec, MIN_BODY, t.theme.colors["muted"])
    caption_h = t.height(caption, width) + SLACK + s.chart.source_gap if caption else 0
    top = bottom + s.title_gap
    f = spec.figures[0] if spec.figures else None
    band = f is not None and spec.chart.scale == "log"
    band_h = _figure_band(None, f, 0, t) + s.chart.source_gap if band else 0
    column, beside = 0.0, []
    if f is not None and not band:
        column = width * s.figures.chart_share
        size = _value_size([f.value], s.figures.value_size, column, t)
        beside = _figure_paras(f, size, s.figures.label_size, t, source=False)
        left, width = left + column + s.figures.column_gap, width - column - s.figures.column_gap
    room = h - s.bottom - top
    chart_h = min(room - band_h - caption_h, _chart_height(spec.chart, t))
    beside_h = t.height(beside, column) + SLACK if beside else 0
    top += max(0.0, (room - band_h - max(chart_h, beside_h) - caption_h) / 2)
    if band:
        _figure_band(slide, f, top, t)
        top += band_h
    if beside:
        _text_box(slide, "Figure", s.margin, top, column, beside, t)
    # Draw the chart for exactly the space it gets, so its type stays at the theme's size.
    png = pictures.png(spec.chart, t.theme, width_in=round(width / 72, 3), height_in=round(chart_h / 72, 3))
    pic = slide.shapes.add_picture(io.BytesIO(png), _emu(left), _emu(top), _emu(width), _emu(chart_h))
    pic.name = f"Chart: {spec.chart.title}"
    pic._element.nvPicPr.cNvPr.set("descr", spec.chart.alt)
    if caption:
        y = top + max(chart_h, beside_h) + s.chart.source_gap
        _text_box(slide, "Caption", s.margin, y, t.content_width, caption, t)
    _title_bar(slide, bottom, t)


def _figure_band(slide, f: Figure, top: float, t: Type) -> float:
    """A figure on one line above a chart: the number, and its label beside it; returns its height
    (and only measures when `slide` is None)."""
    s = t.style
    qualifier, number, unit = _split(f.value)
    size = _value_size([f.value], s.figures.value_size, t.content_width / 2, t)
    value = [Para(f"{qualifier} {number}".strip(), size, s.accent, bold=True)]
    value_w = t.width(value[0]) + 8
    value_h = t.height(value, value_w) + SLACK
    label = [Para(f"{unit} {f.label}".strip(), s.figures.label_size, s.text_color)]
    label_w = t.content_width - value_w - s.figures.label_gap * 2
    label_h = t.height(label, label_w) + SLACK
    if slide is not None:
        _text_box(slide, "Figure", s.margin, top, value_w, value, t)
        y = top + max(0.0, value_h - label_h - size * 0.2)  # on the number's baseline, near enough
        _text_box(slide, "Figure label", s.margin + value_w + s.figures.label_gap * 2, y, label_w, label, t)
    return max(value_h, label_h)


def _chart_height(chart: Chart, t: Type) -> float:
    """Points a chart needs so its rows don't crowd: the theme's row pitch in lines of its type (more
    for wrapped labels) plus the axis. A chart of two bars stays short instead of stretching them
    into slabs."""
    size, style = t.theme.chart["slide_font_size"], t.style.chart
    # a wrapped label needs its lines (1.3 of the chart's type each) and a little air
    pitch = sum(max(style.row_pitch, 1.3 * label_lines(chart, x) + 0.6) * size for x in chart.series.labels)
    return pitch + style.axis_room * size


def _draw_table(slide, spec: SlideSpec, t: Type) -> None:
    s, c, ts = t.style, t.theme.colors, t.style.table
    _background(slide, s.background)
    bottom = _title(slide, t, t.title_paras(spec.title, compact=True))
    page = spec.table
    top = bottom + s.title_gap
    size = table_text_size(t)
    frame = slide.shapes.add_table(
        len(page.rows) + 1,
        len(page.header),
        _emu(s.margin),
        _emu(top),
        _emu(sum(page.widths)),
        _emu(sum(page.heights)),
    )
    frame.name = f"Table: {spec.title}"
    frame._element.nvGraphicFramePr.cNvPr.set("descr", spec.title)
    table = frame.table
    tbl_pr = frame._element.graphic.graphicData.tbl.tblPr
    tbl_pr.set("firstRow", "1")
    tbl_pr.set("firstCol", "1" if page.row_headers else "0")  # the first column names the rows
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
        fill = c["surface"] if i == 0 else s.background
        for j, text in enumerate(texts):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = _emu(ts.cell_margin_x)
            cell.margin_top = cell.margin_bottom = _emu(ts.cell_margin_y)
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
                _border(cell, "a:lnB", s.title_color, ts.header_rule)
            elif page.total and i == last:
                _border(cell, "a:lnT", s.title_color, ts.header_rule)
            elif i < last:
                _border(cell, "a:lnB", c["rule"], ts.row_rule)
    if page.footnote:
        y = top + sum(page.heights) + ts.note_gap
        note = [Para(page.footnote, MIN_BODY, c["muted"])]
        _text_box(slide, "Table note", s.margin, y, t.content_width, note, t)
    _title_bar(slide, bottom, t)


def _border(cell, tag: str, color: str, width_pt: float) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    line = etree.Element(qn(tag), w=str(int(width_pt * PT)), cmpd="sng")
    fill = etree.SubElement(line, qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr"), val=color.lstrip("#").upper())
    tc_pr.insert(0 if tag == "a:lnT" else len([e for e in tc_pr if e.tag == qn("a:lnT")]), line)


def _draw_closing(slide, spec: SlideSpec, t: Type) -> None:
    s, h = t.style, t.size[1]
    _background(slide, s.divider_background)
    width = t.content_width
    ink = s.divider_text
    title = [Para(spec.title, s.closing.title_size, ink, bold=True)]
    lines = _line_paras(spec, s.closing.line_size, ink)
    lines = [replace(p, bold=i == 0) for i, p in enumerate(lines)]
    total = t.height(title, width) + s.closing.gap + t.height(lines, width)
    top = (h - total) / 2
    bottom = _title(slide, t, title, y=top)
    if lines:
        _text_box(slide, "Organisation", s.margin, bottom + s.closing.gap, width, lines, t)
    _opener_bar(slide, top, t)


DRAW = {
    "title": _draw_title,
    "divider": _draw_divider,
    "points": _draw_points,
    "number": _draw_number,
    "figures": _draw_figures,
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
