"""The built 2022 deck, reopened with python-pptx and walked by the accessibility checker; and the
checker itself, shown to catch each kind of problem on small decks made here."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from conftest import STYLES
from render.build import build
from render.check import check_deck
from render.deck import render_deck
from render.model import ChartRef, Prose, TableRef
from render.text import markdown_to_plain
from render.theme import Theme


@pytest.fixture(scope="session")
def deck(deck_path):
    return Presentation(str(deck_path))


def _title(slide) -> str:
    return " ".join(slide.shapes.title.text_frame.text.split())


def _notes(slide) -> str:
    if not slide.has_notes_slide:
        return ""
    return " ".join(slide.notes_slide.notes_text_frame.text.split())


def _normal(text: str) -> str:
    return " ".join(text.split())


def _chapters(report):
    chapters = []
    for s in report.sections:
        if s.level == 1:
            chapters.append((s, []))
        else:
            chapters[-1][1].append(s)
    return chapters


def _slides_titled(deck, prefix: str) -> list:
    return [s for s in deck.slides if _title(s).startswith(prefix)]


# ---------------------------------------------------------------- the 2022 deck


def test_checker_finds_nothing_to_fix(deck_path):
    findings = check_deck(deck_path)
    assert findings == [], "\n".join(f"slide {f.slide}: [{f.rule}] {f.message}" for f in findings)


def test_slides_are_16_by_9(deck):
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.001
    assert deck.slide_width == Inches(13.333)


def test_title_and_closing_slides(deck, report):
    slides = list(deck.slides)
    first = slides[0]
    first_text = " ".join(shape.text_frame.text for shape in first.shapes if shape.has_text_frame)
    assert _title(first) == report.meta.title
    for part in (report.meta.subtitle, report.meta.organisation, str(report.meta.year)):
        assert part in first_text
    closing = slides[-1]
    assert _title(closing) == report.deck.closing
    closing_text = " ".join(shape.text_frame.text for shape in closing.shapes if shape.has_text_frame)
    assert report.meta.organisation in closing_text and report.meta.website in closing_text


def test_slides_follow_the_reading_order_of_the_content(deck, report):
    """Every chapter, chosen section, headline, chart and table has its slide, in the report's order."""
    plan = report.deck
    titles = [_title(s) for s in deck.slides]
    expected: list[str] = []  # title prefixes, in reading order
    chapters = _chapters(report)
    if not chapters[0][1]:  # an introduction with no sections is spoken over the title slide
        chapters = chapters[1:]
    for opener, sections in chapters:
        expected.append(opener.title)
        for s in sections:
            if s.id not in plan.sections:
                continue
            expected.append(s.title)
            expected += [h.value for h in report.headlines if h.section == s.id]
            for b in s.blocks:
                if isinstance(b, ChartRef) and b.chart_id in plan.charts:
                    expected.append(report.charts[b.chart_id].title)
                elif isinstance(b, TableRef) and b.table_id in plan.tables:
                    expected.append(report.table_views[b.table_id].caption)
    position = 0
    for prefix in expected:
        later = [i for i, t in enumerate(titles) if i >= position and t.startswith(prefix)]
        assert later, f"no slide titled {prefix!r} after slide {position + 1}"
        position = later[0] + 1
    continued = sum(1 for t in titles if "(continued," in t)
    assert len(titles) == 1 + len(expected) + continued + 1


def test_titles_are_unique(deck):
    titles = [_title(s).casefold() for s in deck.slides]
    assert len(set(titles)) == len(titles)


def test_every_slide_but_title_and_closing_has_notes(deck):
    slides = list(deck.slides)
    for n, slide in enumerate(slides[1:-1], start=2):
        assert _notes(slide), f"slide {n} ({_title(slide)}) has no speaker notes"


def test_section_notes_hold_the_full_narrative(deck, report):
    for s in report.sections:
        if s.level != 2 or s.id not in report.deck.sections:
            continue
        slide = next(sl for sl in deck.slides if _title(sl) == s.title)
        notes = _notes(slide)
        for block in s.blocks:
            if isinstance(block, Prose):
                for paragraph in markdown_to_plain(block.markdown):
                    assert _normal(paragraph).rstrip(".") in notes, (s.id, paragraph)


def test_section_slides_show_its_callouts(deck, report):
    for s in report.sections:
        if s.level != 2 or s.id not in report.deck.sections:
            continue
        quotes = [
            line[1:].strip()
            for b in s.blocks
            if isinstance(b, Prose)
            for line in b.markdown.splitlines()
            if line.startswith(">")
        ]
        if not quotes:
            continue
        slide = next(sl for sl in deck.slides if _title(sl) == s.title)
        body = _normal(
            " ".join(
                sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title
            )
        )
        first = markdown_to_plain(quotes[0])[0]
        assert _normal(first) in body, s.id


def test_big_numbers_come_from_the_headlines(deck, report):
    for h in report.headlines:
        (slide,) = [s for s in deck.slides if _title(s) == f"{h.value} {h.label}"]
        text = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert h.source in text
        assert h.value in _notes(slide)
        value_run = slide.shapes.title.text_frame.paragraphs[0].runs[0]
        assert value_run.text == h.value and value_run.font.size >= Pt(72)


def test_every_chart_is_a_picture_with_its_alt_text(deck, report):
    pictures = {}
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.shape_type == 13:  # picture
                pictures[_title(slide)] = (shape, slide)
    assert len(pictures) == len(report.deck.charts)
    for cid in report.deck.charts:
        chart = report.charts[cid]
        shape, slide = pictures[next(t for t in pictures if t.startswith(chart.title))]
        assert shape._element.nvPicPr.cNvPr.get("descr") == chart.alt
        assert chart.alt in _notes(slide)
        pixels = Image.open(io.BytesIO(shape.image.blob)).size[0]
        assert pixels / (shape.width / 914400) >= 2 * 96, "chart PNG under twice slide resolution"


def test_tables_are_native_with_a_header_row(deck, report):
    for tid in report.deck.tables:
        view = report.table_views[tid]
        slides = [s for s in _slides_titled(deck, view.caption) if any(sh.has_table for sh in s.shapes)]
        assert slides, tid
        shown, note = [], ""
        for slide in slides:
            (frame,) = [sh for sh in slide.shapes if sh.has_table]
            table = frame.table
            assert table.first_row
            header = [c.text for c in table.rows[0].cells]
            assert header[0] == view.header[0] and set(header) <= set(view.header)
            for row in list(table.rows)[1:]:
                cells = list(row.cells)
                shown.append(cells[0].text)
                for cell in cells[1:]:
                    assert cell.text_frame.paragraphs[0].alignment == 3  # numbers align right
            note += " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        labels = [r[0].text for r in view.rows]
        top = re.search(r"Top (\d+) of (\d+) rows.*the full table is in the PDF report \(Table (\d+)\)", note)
        if top:
            n, of, number = map(int, top.groups())
            assert (
                of == len(labels) and n < of and set(shown) - {"Total"} <= set(labels) | {f"Total (all {of})"}
            )
            order = [tid2 for s in report.sections for tid2 in s.table_ids]
            assert number == order.index(tid) + 1
        else:
            body = [x for x in shown if x != "Total"]
            assert sorted(set(body)) == sorted(labels)


def test_core_properties(deck, report):
    props = deck.core_properties
    meta = report.meta
    assert props.title == meta.title
    assert props.subject == meta.subject
    assert props.author == meta.author
    assert props.language == meta.language
    for keyword in meta.keywords:
        assert keyword in props.keywords
    assert props.created == props.modified == datetime(meta.published_year, 1, 1)
    assert props.revision == 1


def test_type_is_the_theme_face_and_large_enough(deck):
    family = Theme.load(STYLES).font_family
    for n, slide in enumerate(deck.slides, start=1):
        for el in slide._element.iter(qn("a:r")):
            rpr = el.find(qn("a:rPr"))
            size = int(rpr.get("sz")) / 100
            in_title = any(p is slide.shapes.title._element for p in el.iterancestors())
            assert size >= (28 if in_title else 18), (n, el.findtext(qn("a:t")))
            assert rpr.find(qn("a:latin")).get("typeface") == family


def test_every_run_says_its_language(deck, report):
    for slide in deck.slides:
        for part in (slide, slide.notes_slide) if slide.has_notes_slide else (slide,):
            for r in part._element.iter(qn("a:r")):
                assert r.find(qn("a:rPr")).get("lang") == report.meta.language


def test_two_builds_give_identical_bytes(deck_path, report):
    again = render_deck(report, Theme.load(STYLES))
    assert again == deck_path.read_bytes()
    dates = {info.date_time for info in zipfile.ZipFile(deck_path).infolist()}
    assert dates == {(report.meta.published_year, 1, 1, 0, 0, 0)}


def test_author_alt_text_is_used_verbatim(content_copy, tmp_path):
    config = content_copy / "report.toml"
    alt = "Bar chart: almost all missing children reported to us ran away; written by the editor."
    text = config.read_text(encoding="utf-8")
    text = text.replace("[charts.cases-by-type]\n", f'[charts.cases-by-type]\nalt = "{alt}"\n', 1)
    config.write_text(text, encoding="utf-8")
    result = build(content_copy, tmp_path / "out", styles_dir=STYLES, formats=("pptx",))
    deck = Presentation(str(result.outputs["pptx"]))
    descrs = [
        sh._element.nvPicPr.cNvPr.get("descr") for s in deck.slides for sh in s.shapes if sh.shape_type == 13
    ]
    assert alt in descrs


def test_a_report_without_a_deck_table_gets_every_slide_and_no_findings(content_copy, tmp_path):
    """A new year needs no deck editing: with no [deck] table every section, chart and table gets
    its slides (wide tables split by columns, long ones cut to their top rows) and all pass."""
    config = content_copy / "report.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("[deck]")], encoding="utf-8")
    result = build(content_copy, tmp_path / "out", styles_dir=STYLES, formats=("pptx",))
    report = result.report
    deck = Presentation(str(result.outputs["pptx"]))
    titles = [_title(s) for s in deck.slides]
    for view in report.table_views.values():
        assert any(t.startswith(view.caption) for t in titles), view.id
    pictures = [sh for s in deck.slides for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) == len(report.charts)
    assert check_deck(result.outputs["pptx"]) == []


def test_a_branded_template_is_used_when_present(content_copy, tmp_path):
    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    template = Presentation()
    template.slide_width, template.slide_height = Inches(13.333), Inches(7.5)
    template.slide_layouts.get_by_name("Title Only").name = "Brand: title only"
    template.slides.add_slide(template.slide_layouts[0]).shapes.title.text = "A sample slide"
    template.save(styles / "deck-template.pptx")
    result = build(content_copy, tmp_path / "out", styles_dir=styles, formats=("pptx",))
    deck = Presentation(str(result.outputs["pptx"]))
    assert all(s.slide_layout.name == "Brand: title only" for s in deck.slides)
    assert "A sample slide" not in [_title(s) for s in deck.slides]
    assert check_deck(result.outputs["pptx"]) == []


# ---------------------------------------------------------------- the checker can fail


def _deck(slides: int = 3):
    """A small deck that passes every rule: titled slides with notes, every run in English."""
    prs = Presentation()
    props = prs.core_properties
    props.title, props.subject, props.author = "A test deck", "Testing the checker", "The tests"
    props.keywords, props.language = "test", "en-US"
    for n in range(slides):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = f"Slide number {n + 1}"
        slide.notes_slide.notes_text_frame.text = f"What to say on slide {n + 1}."
    return prs


def _save(prs, tmp_path: Path) -> Path:
    for slide in prs.slides:
        for part in (slide, slide.notes_slide) if slide.has_notes_slide else (slide,):
            for r in part._element.iter(qn("a:r")):
                r.get_or_add_rPr().set("lang", "en-US")
            for el in part._element.iter(qn("a:endParaRPr")):
                el.set("lang", "en-US")
    path = tmp_path / "test.pptx"
    prs.save(path)
    return path


def _rules(path: Path) -> set[str]:
    return {f.rule for f in check_deck(path)}


def _box(slide, text: str, top: float = 2.0, size: int = 24, left: float = 1.0, height: float = 1.0):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(6), Inches(height))
    box.text_frame.word_wrap = True
    box.text_frame.auto_size = MSO_AUTO_SIZE.NONE
    run = box.text_frame.paragraphs[0].add_run()
    run.text = text
    run.font.size = Pt(size)
    return box, run


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def test_checker_passes_a_clean_small_deck(tmp_path):
    prs = _deck()
    _box(prs.slides[1], "Some words of body text.")
    assert check_deck(_save(prs, tmp_path)) == []


def test_checker_finds_a_picture_without_alt_text(tmp_path):
    prs = _deck()
    named = prs.slides[1].shapes.add_picture(_png(), Inches(1), Inches(2), Inches(4), Inches(2))
    assert named._element.nvPicPr.cNvPr.get("descr") == "image.png"  # python-pptx's default
    bare = prs.slides[2].shapes.add_picture(_png(), Inches(1), Inches(2), Inches(4), Inches(2))
    del bare._element.nvPicPr.cNvPr.attrib["descr"]
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "missing-alt"), (3, "missing-alt")]


def test_checker_accepts_a_decorative_picture(tmp_path):
    prs = _deck()
    pic = prs.slides[1].shapes.add_picture(_png(), Inches(1), Inches(2), Inches(4), Inches(2))
    c_nv_pr = pic._element.nvPicPr.cNvPr
    ext = etree.SubElement(
        etree.SubElement(c_nv_pr, qn("a:extLst")), qn("a:ext"), uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
    )
    ns = "http://schemas.microsoft.com/office/drawing/2017/decorative"
    etree.SubElement(ext, f"{{{ns}}}decorative", nsmap={"adec": ns}).set("val", "1")
    assert check_deck(_save(prs, tmp_path)) == []


def test_checker_finds_duplicate_and_missing_titles(tmp_path):
    prs = _deck()
    prs.slides[2].shapes.title.text = "slide NUMBER 2"
    prs.slides.add_slide(prs.slide_layouts[6])  # blank: no title placeholder
    findings = check_deck(_save(prs, tmp_path))
    assert ("duplicate-title", 3) in [(f.rule, f.slide) for f in findings]
    assert ("missing-title", 4) in [(f.rule, f.slide) for f in findings]


def test_checker_finds_a_merged_cell_and_a_missing_header(tmp_path):
    prs = _deck()
    frame = prs.slides[1].shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2))
    for cell in frame.table.rows[0].cells:
        cell.text = "Head"
    frame.table.cell(1, 0).merge(frame.table.cell(1, 1))
    frame.table.cell(0, 2).text = ""
    frame.table.first_row = False
    messages = [f.message for f in check_deck(_save(prs, tmp_path)) if f.rule == "table-header"]
    assert any("merged cell" in m for m in messages)
    assert any("header row" in m for m in messages)
    assert any("empty header cell" in m for m in messages)


def test_checker_finds_low_contrast_text(tmp_path):
    prs = _deck()
    _, run = _box(prs.slides[1], "Pale grey words on white")
    run.font.color.rgb = RGBColor(0xAA, 0xAA, 0xAA)
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "contrast")]


def test_checker_finds_low_contrast_on_a_filled_shape(tmp_path):
    prs = _deck()
    box, run = _box(prs.slides[1], "Dark words on a dark box")
    box.fill.solid()
    box.fill.fore_color.rgb = RGBColor(0x0B, 0x3D, 0x6B)
    run.font.color.rgb = RGBColor(0x1A, 0x1A, 0x2E)
    assert _rules(_save(prs, tmp_path)) == {"contrast"}


def test_checker_finds_a_run_without_language(tmp_path):
    prs = _deck()
    path = _save(prs, tmp_path)
    prs = Presentation(str(path))
    prs.slides[1].shapes.title.text_frame.paragraphs[0].runs[0]._r.rPr.attrib.pop("lang")
    prs.save(path)
    findings = check_deck(path)
    assert [(f.slide, f.rule) for f in findings] == [(2, "language")]


def test_checker_finds_missing_core_properties(tmp_path):
    prs = _deck()
    prs.core_properties.subject = ""
    prs.core_properties.keywords = ""
    messages = [f.message for f in check_deck(_save(prs, tmp_path)) if f.rule == "core-properties"]
    assert len(messages) == 2


def test_checker_finds_small_type(tmp_path):
    prs = _deck()
    _box(prs.slides[1], "Fine print", size=14)
    prs.slides[2].shapes.title.text_frame.paragraphs[0].runs[0].font.size = Pt(24)
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "font-size"), (3, "font-size")]


def test_checker_finds_text_overflowing_its_box_and_the_slide(tmp_path):
    prs = _deck()
    _box(prs.slides[1], " ".join(["A sentence that goes on and on."] * 12), height=0.6)
    prs.slides[2].shapes.add_picture(_png(), Inches(8), Inches(6), Inches(4), Inches(2)).name = "Too far"
    findings = check_deck(_save(prs, tmp_path))
    assert (2, "overflow") in [(f.slide, f.rule) for f in findings]
    assert any(f.slide == 3 and f.rule == "overflow" and "Too far" in f.message for f in findings)


def test_checker_finds_shapes_out_of_reading_order(tmp_path):
    prs = _deck()
    _box(prs.slides[1], "Read second", top=4.0)
    _box(prs.slides[1], "Read first", top=2.0)
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "reading-order")]


def test_checker_finds_overlapping_text(tmp_path):
    prs = _deck()
    _box(prs.slides[1], "One box", top=2.0)
    _box(prs.slides[1], "Another box", top=2.5)
    assert _rules(_save(prs, tmp_path)) == {"overlap"}


def test_checker_finds_a_content_slide_without_notes(tmp_path):
    prs = _deck()
    prs.slides[1].notes_slide.notes_text_frame.text = ""
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "notes")]
