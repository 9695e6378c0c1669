"""The built 2022 deck, reopened with python-pptx and walked by the accessibility checker; decks of
the tiny report for the planning rules; and the checker itself, shown to catch each kind of problem
on small decks made here."""

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
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from conftest import CONTENT_2022, STYLES
from render.build import build
from render.check import check_deck
from render.deck import render_deck
from render.deck_plan import states
from render.deck_words import takeaway_of
from render.errors import ContentError
from render.formatting import number
from render.model import ChartRef, KeyFigure, Prose
from render.text import link_texts
from render.theme import Theme

BODY = (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)


@pytest.fixture(scope="session")
def deck(deck_path):
    return Presentation(str(deck_path))


@pytest.fixture(scope="session")
def report(deck_build):
    """The model the deck was built from (the deck's own build: these tests need no PDF)."""
    return deck_build.report


def _title(slide) -> str:
    return " ".join(slide.shapes.title.text_frame.text.split())


def _notes(slide) -> str:
    """The speaker notes as one line, typographic apostrophes and quotes as typed."""
    if not slide.has_notes_slide:
        return ""
    text = " ".join(slide.notes_slide.notes_text_frame.text.split())
    return text.translate(str.maketrans("‘’“”", "''\"\""))


def _normal(text: str) -> str:
    return " ".join(text.split())


def _visible(slide) -> str:
    """The slide's words outside tables, as one line."""
    return _normal(" ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame))


def _shows(slide, value: str) -> bool:
    """Whether the slide's text (not its tables or notes) states the figure `value`."""
    return re.search(rf"(?<![\d,.]){re.escape(value)}(?![\d%]|[.,]\d)", _visible(slide)) is not None


def _big(slide) -> str:
    """The words set at 40 pt or more: the big numbers."""
    runs = [
        r.text
        for sh in slide.shapes
        if sh.has_text_frame
        for p in sh.text_frame.paragraphs
        for r in p.runs
        if r.font.size and r.font.size >= Pt(40)
    ]
    return _normal(" ".join(runs))


def _charts(slide) -> list[str]:
    """The chart titles of the slide's pictures (named "Chart: <title>")."""
    return [sh.name.removeprefix("Chart: ") for sh in slide.shapes if sh.shape_type == 13]


def _links(slide) -> list[tuple[str, str]]:
    return [
        (r.text, r.hyperlink.address)
        for sh in slide.shapes
        if sh.has_text_frame
        for p in sh.text_frame.paragraphs
        for r in p.runs
        if r.hyperlink.address
    ]


def _slides_titled(deck, prefix: str) -> list:
    return [s for s in deck.slides if _title(s).startswith(prefix)]


def _closing(deck, report):
    return next(s for s in deck.slides if _title(s) == report.deck.closing)


def _first_sentences(path: Path, count: int) -> list[str]:
    """The first sentences of a section file's first paragraph, read from the file itself."""
    text = path.read_text(encoding="utf-8")
    paragraph = next(b for b in text.split("\n\n")[1:] if b.strip() and not b.startswith((":::", "{{", "#")))
    return re.split(r"(?<=\.)\s+", _normal(paragraph))[:count]


# ---------------------------------------------------------------- the 2022 deck


def test_checker_finds_nothing_to_fix(deck_path):
    findings = check_deck(deck_path)
    assert findings == [], "\n".join(f"slide {f.slide}: [{f.rule}] {f.message}" for f in findings)


def test_slides_are_16_by_9(deck):
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.001
    assert deck.slide_width == Inches(13.333)


def test_title_and_closing_slides(deck, report):
    """The cover says what, who and when; the closing says who and links to the website, and after it
    come only the data appendix's slides."""
    slides = list(deck.slides)
    first = slides[0]
    assert _title(first) == report.meta.title
    for part in (report.meta.subtitle, report.meta.organisation, str(report.meta.year)):
        assert part in _visible(first)
    closing = _closing(deck, report)
    assert report.meta.organisation in _visible(closing)
    assert report.meta.website in [address for _, address in _links(closing)]
    after = slides[slides.index(closing) + 1 :]
    if after:
        assert _title(after[0]).startswith("Appendix")
        assert all(any(sh.has_table for sh in s.shapes) for s in after[1:])


def test_the_talk_follows_the_content_in_order(deck, report):
    """Every chapter with sections gets its divider, and every key figure, headline and chart of the
    sections the deck shows is on a slide, in the order the report tells them."""
    plan = report.deck
    slides = list(deck.slides)
    expected: list[tuple[str, str]] = []
    for chapter in report.chapters:
        shown = [s for s in chapter.sections if s.id in plan.sections]
        if shown:
            expected.append(("title", chapter.opener.title))
        for s in [chapter.opener, *shown] if chapter.opener.id in plan.sections else shown:
            stated = {b.value for b in s.blocks if isinstance(b, KeyFigure)}
            expected += [
                ("figure", h.value) for h in report.headlines if h.section == s.id and h.value not in stated
            ]
            for b in s.blocks:
                if isinstance(b, KeyFigure):
                    expected.append(("figure", b.value))
                elif isinstance(b, ChartRef) and b.chart_id in plan.charts:
                    expected.append(("chart", report.charts[b.chart_id].title))
    found = {
        "title": lambda slide, x: _title(slide) == x,
        "figure": _shows,
        "chart": lambda slide, x: x in _charts(slide),
    }
    position = 0
    for kind, x in expected:
        later = [i for i in range(position, len(slides)) if found[kind](slides[i], x)]
        assert later, f"no slide shows {kind} {x!r} at or after slide {position + 1}"
        position = later[0]


def test_the_talk_is_about_25_slides(deck, report):
    """The issue's target for this content: about 25 slides from the cover to the closing (49 before),
    one idea each, the data appendix for questions after it."""
    slides = list(deck.slides)
    talk = slides[: slides.index(_closing(deck, report)) + 1]
    assert 22 <= len(talk) <= 30, [_title(s) for s in talk]


def test_no_two_slides_in_a_row_present_the_same_figure_or_data(deck, report):
    """A key figure or headline is never on two slides in a row, and a chart and a table of the same
    data are never neighbours."""
    figures = {b.value for s in report.sections for b in s.blocks if isinstance(b, KeyFigure)}
    figures |= {h.value for h in report.headlines}
    charts = {c.title: c.table for c in report.charts.values()}
    views = {v.caption: v.table for v in report.table_views.values()}

    def data(slide) -> set[str]:
        shown = {charts[t] for t in _charts(slide)}
        for sh in slide.shapes:
            if sh.has_table:
                shown |= {table for caption, table in views.items() if _title(slide).startswith(caption)}
        return shown

    slides = list(deck.slides)
    for n, (a, b) in enumerate(zip(slides, slides[1:]), start=2):
        same = {f for f in figures if _shows(a, f) and _shows(b, f)}
        assert not same, f"slides {n - 1} and {n} both show {same}"
        assert not data(a) & data(b), f"slides {n - 1} and {n} both show the data of {data(a) & data(b)}"


def test_titles_are_unique(deck):
    titles = [_title(s).casefold() for s in deck.slides]
    assert len(set(titles)) == len(titles)


def test_every_slide_after_the_cover_has_notes(deck, report):
    slides = list(deck.slides)
    for n, slide in enumerate(slides[1:], start=2):
        assert _notes(slide), f"slide {n} ({_title(slide)}) has no speaker notes"
    intro = report.chapters[0].opener  # an opening chapter of words alone is said over the cover
    if not report.chapters[0].sections and not intro.key_figures and not intro.chart_ids:
        assert _notes(slides[0]).startswith(_first_sentences(intro.path, 1)[0].split("{{")[0])


def test_notes_are_written_for_speaking(deck, report):
    """Notes are short, and never read out a link's words or the alt text written for screen readers."""
    links = [
        w
        for s in report.sections
        for b in s.blocks
        if isinstance(b, Prose)
        for w in link_texts(b.markdown).values()
    ]
    assert links, "the content has links to leave out"
    for n, slide in enumerate(deck.slides, start=1):
        notes = _notes(slide)
        assert len(notes.split()) <= 120, (n, len(notes.split()))
        for words in links:
            assert words not in notes, (n, words)
        for chart in report.charts.values():
            assert chart.alt not in notes and chart.alt[:60] not in notes, (n, chart.id)
        assert "It compares" not in notes and "From largest to smallest" not in notes, n


def test_a_section_is_introduced_by_its_first_sentences(deck, report):
    """The first slide of a section without a notes block says its opening sentence (in its notes, or
    as its first key point), read here from the section files themselves."""
    checked = 0
    for s in report.sections:
        if s.level != 2 or s.id not in report.deck.sections or s.notes:
            continue
        opening = _first_sentences(s.path, 1)[0].split("{{")[0]  # as written, up to a figure
        if "](" in opening or len(opening) < 20:
            continue  # a sentence that links is not said; one that opens with a figure is not checked
        slides = [
            sl
            for sl in deck.slides
            if opening in _notes(sl) or _visible(sl).startswith(s.title + " " + opening)
        ]
        assert slides, s.id
        checked += 1
    assert checked >= 10


def test_key_points_are_in_the_body_placeholder(deck):
    """Bulleted points are in the layout's body placeholder, so they show in PowerPoint's outline view;
    the AMBER Alert section (words only) has its first paragraph's sentences as points."""
    for n, slide in enumerate(deck.slides, start=1):
        for sh in slide.shapes:
            if not sh.has_text_frame:
                continue
            bulleted = [p for p in sh.text_frame.paragraphs if p._p.find(".//" + qn("a:buChar")) is not None]
            if bulleted:
                assert sh.is_placeholder and sh.placeholder_format.type in BODY, (n, sh.name)
    (amber,) = _slides_titled(deck, "AMBER Alert")
    (body,) = [sh for sh in amber.placeholders if sh.placeholder_format.type in BODY]
    points = [_normal(p.text) for p in body.text_frame.paragraphs]
    assert points == _first_sentences(CONTENT_2022 / "sections" / "amber-alert.md", 2)


def test_each_headline_is_one_big_number(deck, report):
    """A headline and the section's key figure of the same value are one big number, on one slide."""
    for h in report.headlines:
        digits = re.search(r"\d[\d,.]*", h.value).group()  # "88.3" of "88.3 million" is the big part
        big = [s for s in deck.slides if _shows(s, h.value) and digits in _big(s).split()]
        assert len(big) == 1, (h.value, [_title(s) for s in big])


def test_a_figure_that_totals_its_chart_is_beside_it(deck, report):
    """The section's key figure that is the total of a chart's data is on the chart's slide, not on a
    slide of its own before it."""
    pairs = 0
    for s in report.sections:
        for cid in s.chart_ids:
            chart = report.charts[cid]
            if cid not in report.deck.charts or chart.unit == "percent":
                continue
            total = number(chart.whole if chart.apart else sum(chart.series.values))
            if any(isinstance(b, KeyFigure) and b.value == total for b in s.blocks):
                (slide,) = [sl for sl in deck.slides if chart.title in _charts(sl)]
                assert total in _big(slide).split(), (cid, total)
                assert sum(_shows(sl, total) for sl in deck.slides) == 1, (cid, total)
                pairs += 1
    assert pairs >= 3


def test_every_chart_is_a_picture_with_its_alt_text(deck, report):
    pictures = {sh.name: (sh, slide) for slide in deck.slides for sh in slide.shapes if sh.shape_type == 13}
    assert len(pictures) == len(report.deck.charts)
    for cid in report.deck.charts:
        chart = report.charts[cid]
        shape, slide = pictures[f"Chart: {chart.title}"]
        assert shape._element.nvPicPr.cNvPr.get("descr") == chart.alt
        assert chart.alt not in _notes(slide)  # alt text is for screen readers, not for saying aloud
        pixels = Image.open(io.BytesIO(shape.image.blob)).size[0]
        assert pixels / (shape.width / 914400) >= 2 * 96, "chart PNG under twice slide resolution"


def test_tables_are_native_with_header_row_and_row_headers(deck, report):
    for tid in report.deck.tables:
        view = report.table_views[tid]
        slides = [s for s in _slides_titled(deck, view.caption) if any(sh.has_table for sh in s.shapes)]
        assert slides, tid
        shown, note = [], ""
        for slide in slides:
            (frame,) = [sh for sh in slide.shapes if sh.has_table]
            table = frame.table
            assert table.first_row
            assert table.first_col  # its first column names the rows
            header = [c.text for c in table.rows[0].cells]
            assert header[0] == view.header[0] and set(header) <= set(view.header)
            for row in list(table.rows)[1:]:
                cells = list(row.cells)
                shown.append(cells[0].text)
                for cell in cells[1:]:
                    assert cell.text_frame.paragraphs[0].alignment == 3  # numbers align right
            note += " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        labels = [r[0].text for r in view.rows]
        top = re.search(
            r"Top (\d+) of (\d+) rows.*the full table is in the PDF report \(Table (A?\d+)\)", note
        )
        if top:
            n, of = map(int, top.groups()[:2])
            assert (
                of == len(labels) and n < of and set(shown) - {"Total"} <= set(labels) | {f"Total (all {of})"}
            )
            assert top.group(3) == report.table_numbers[tid]
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
    template.slide_layouts.get_by_name("Title and Content").name = "Brand: title and content"
    template.slides.add_slide(template.slide_layouts[0]).shapes.title.text = "A sample slide"
    template.save(styles / "deck-template.pptx")
    result = build(content_copy, tmp_path / "out", styles_dir=styles, formats=("pptx",))
    deck = Presentation(str(result.outputs["pptx"]))
    layouts = {s.slide_layout.name for s in deck.slides}
    assert layouts == {"Brand: title only", "Brand: title and content"}  # key points need a body
    assert "A sample slide" not in [_title(s) for s in deck.slides]
    assert check_deck(result.outputs["pptx"]) == []


# ---------------------------------------------------------------- planning rules, on the tiny report


def _tiny_deck(content: Path, out: Path, styles: Path = STYLES):
    result = build(content, out, styles_dir=styles, formats=("pptx",))
    return result.report, Presentation(str(result.outputs["pptx"])), result.outputs["pptx"]


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _add_sections(content: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        _write(content / "sections" / f"{name}.md", text)
    config = content / "report.toml"
    ids = ", ".join(f'"{x}"' for x in ["intro", *files])
    _write(config, config.read_text(encoding="utf-8").replace('sections = ["intro"]', f"sections = [{ids}]"))


def test_a_figure_is_the_total_it_rounds():
    """A key figure is matched with a chart whose values add up to it as printed: 88,377,207 files
    (the 2022 data) print as "88.3 million", rounded down in the text."""
    assert states("88.3 million", 88_377_207) and states("27,644", 27_644)
    assert not states("27,644", 27_645) and not states("88.3 million", 88_500_000)
    assert not states("89.9%", 89.9) and not states("1 in 6", 6)  # shares and ratios are no totals


def test_a_caption_is_a_title_only_when_it_is_one_short_sentence():
    """2022's captions: a sentence is a title, a reading hint before a colon is not part of it, and
    two sentences or a long explanation are left as they are."""
    assert takeaway_of("Endangered runaways are the large majority of the cases reported to us.") == (
        "Endangered runaways are the large majority of the cases reported to us"
    )
    assert takeaway_of("Logarithmic scale: electronic service providers made almost all reports.") == (
        "Electronic service providers made almost all reports"
    )
    assert (
        takeaway_of("More cases means more active reporting, not a bigger problem. All are in the table.")
        == ""
    )
    assert takeaway_of("The scale is logarithmic: each grid line is ten times the one before.") == ""


def test_a_takeaway_titles_the_section_and_a_notes_block_is_what_is_said(tiny_content, tmp_path):
    intro = tiny_content / "sections" / "intro.md"
    text = intro.read_text(encoding="utf-8")
    _write(
        intro,
        "---\ntakeaway: Runaways were most of our cases\n---\n"
        + text.replace("\n\n", "\n\n::: notes\nSay this: we answered more calls than ever.\n:::\n\n", 1),
    )
    _, deck, path = _tiny_deck(tiny_content, tmp_path / "out")
    (slide,) = _slides_titled(deck, "Runaways were most of our cases")
    assert _charts(slide) == ["Cases by kind, 2022"]
    assert _notes(slide).startswith("Say this: we answered more calls than ever.")
    assert "Founded in" not in _notes(slide)
    assert check_deck(path) == []


def test_a_caption_that_is_a_sentence_titles_its_chart(tiny_content, tmp_path):
    config = tiny_content / "report.toml"
    text = config.read_text(encoding="utf-8")
    _write(
        config,
        text.replace(
            'title = "Cases by kind, {{ report.year }}"\n',
            'title = "Cases by kind, {{ report.year }}"\ncaption = "Most cases were runaways."\n',
            1,
        ),
    )
    _, deck, _ = _tiny_deck(tiny_content, tmp_path / "out")
    (slide,) = [s for s in deck.slides if _charts(s)]
    assert _title(slide) == "Most cases were runaways"
    assert "Cases by kind, 2022." in _visible(slide)  # the chart's own name moves to its caption line


def test_short_sections_in_a_row_share_a_slide_and_a_headline_keeps_its_own(tiny_content, tmp_path):
    """Sections that are one figure each share a figures slide; a headline figure keeps its own.
    The values are the tiny report's data: 12,500 calls (facts.csv), 300 + 50 cases (cases.csv)."""
    figure = "## {title}\n\nWe did this work.\n\n::: key-figure\n{{{{ {expr} }}}}\n{label}\n:::\n"
    _add_sections(
        tiny_content,
        {
            "calls": figure.format(title="Calls", expr="calls | number", label="calls answered"),
            "cases": figure.format(
                title="Cases", expr="tables.cases.total() | number", label="cases we helped with"
            ),
            "runaways": figure.format(
                title="Runaways", expr='tables.cases.total(kind="Runaway") | number', label="runaway cases"
            ),
        },
    )
    config = tiny_content / "report.toml"
    _write(
        config,
        config.read_text(encoding="utf-8")
        + '\n[[headlines]]\nvalue = "{{ calls | number }}"\nlabel = "calls answered"\n'
        'source = "Call records"\nsection = "calls"\n',
    )
    _, deck, path = _tiny_deck(tiny_content, tmp_path / "out")
    (calls,) = [s for s in deck.slides if "12,500" in _big(s)]
    assert "350" not in _big(calls) and "Source: Call records" in _visible(calls)
    (shared,) = [s for s in deck.slides if "350" in _big(s)]
    assert "300" in _big(shared).split() and _title(shared) == "Cases and runaways"
    assert check_deck(path) == []


def test_key_points_link_where_the_text_links(tiny_content, tmp_path):
    _add_sections(
        tiny_content,
        {
            "words": "## Our words\n\nWe help [find missing children](https://www.example.org/find) "
            "every day. We answer every call.\n\n"
            "We never give up. [Read our story](https://www.example.org/story).\n"
        },
    )
    _, deck, path = _tiny_deck(tiny_content, tmp_path / "out")
    (slide,) = _slides_titled(deck, "Our words")
    (body,) = [sh for sh in slide.placeholders if sh.placeholder_format.type in BODY]
    assert [_normal(p.text) for p in body.text_frame.paragraphs] == [
        "We help find missing children every day.",
        "We answer every call.",
    ]
    assert _links(slide) == [("find missing children", "https://www.example.org/find")]
    assert _notes(slide) == "We never give up."  # the next sentence; never the link's words
    (closing,) = _slides_titled(deck, "Small but complete.")  # the tiny report's tagline
    assert ("www.example.org", "https://www.example.org") in _links(closing)
    assert check_deck(path) == []


def test_a_key_point_never_repeats_the_big_number_next_to_it(tiny_content, tmp_path):
    """A section of words that states 12,500 calls (facts.csv) right before a section whose big number
    is those calls: the point that says it is left out, the other stays."""
    _add_sections(
        tiny_content,
        {
            "words": "## Our line\n\nWe answered {{ calls | number }} calls. We help every day.\n",
            "calls": "## Calls\n\nWe did this work.\n\n"
            "::: key-figure\n{{ calls | number }}\ncalls answered\n:::\n",
        },
    )
    _, deck, path = _tiny_deck(tiny_content, tmp_path / "out")
    (slide,) = _slides_titled(deck, "Our line")
    (body,) = [sh for sh in slide.placeholders if sh.placeholder_format.type in BODY]
    assert [_normal(p.text) for p in body.text_frame.paragraphs] == ["We help every day."]
    assert check_deck(path) == []


def test_a_table_never_follows_its_chart(tiny_content, tmp_path):
    """The tiny report draws its table's data as a chart: the table waits in the appendix after the
    closing slide. Without the chart in the deck, the table takes its place."""
    _, deck, _ = _tiny_deck(tiny_content, tmp_path / "one")
    titles = [_title(s) for s in deck.slides]
    table = next(i for i, s in enumerate(deck.slides) if any(sh.has_table for sh in s.shapes))
    assert table > titles.index("Small but complete.") and titles[table - 1].startswith("Appendix")
    config = tiny_content / "report.toml"
    _write(config, config.read_text(encoding="utf-8") + "\n[deck]\ncharts = []\n")
    _, deck, path = _tiny_deck(tiny_content, tmp_path / "two")
    titles = [_title(s) for s in deck.slides]
    assert titles == ["Tiny 2022", "Cases by kind, 2022", "Small but complete."]
    assert check_deck(path) == []


def test_the_look_is_restyled_from_the_theme_alone(tiny_content, tmp_path):
    """A designer changes the margins, a table's type and the closing's type in theme.toml, and the
    deck follows; the accessibility floors hold whatever the theme says."""
    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    theme = styles / "theme.toml"
    text = theme.read_text(encoding="utf-8")
    text = text.replace("margin = 44 ", "margin = 60 ", 1).replace("text_size = 20", "text_size = 24", 1)
    text = text.replace("[slides.closing]\ntitle_size = 44", "[slides.closing]\ntitle_size = 50", 1)
    _write(theme, text)
    _, deck, path = _tiny_deck(tiny_content, tmp_path / "out", styles)
    for slide in deck.slides:
        assert slide.shapes.title.left == Pt(60)
    cells = [
        r
        for s in deck.slides
        for sh in s.shapes
        if sh.has_table
        for c in sh.table.iter_cells()
        for p in c.text_frame.paragraphs
        for r in p.runs
    ]
    assert cells and {r.font.size for r in cells} == {Pt(24)}
    closing = _slides_titled(deck, "Small but complete.")[0]
    assert closing.shapes.title.text_frame.paragraphs[0].runs[0].font.size == Pt(50)
    assert check_deck(path) == []
    _write(theme, text.replace("text_size = 24", "text_size = 16", 1))
    with pytest.raises(ContentError) as caught:
        Theme.load(styles)
    assert "slides.table.text_size" in caught.value.describe()


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


def test_checker_reads_a_title_in_two_paragraphs_as_two_words(tmp_path):
    """A big-number title ("21,494" over "cases …") is two words to a reader, and to the checker."""
    prs = _deck()
    for slide in (prs.slides[1], prs.slides[2]):
        frame = slide.shapes.title.text_frame
        frame.text = "21,494"
        frame.add_paragraph().text = "cases we helped on"
    findings = [f for f in check_deck(_save(prs, tmp_path)) if f.rule == "duplicate-title"]
    assert [f.message for f in findings] == [
        'the title "21,494 cases we helped on" is also the title of slide 2'
    ]


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


def _bullet(paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    etree.SubElement(p_pr, qn("a:buChar")).set("char", "•")


def test_checker_finds_key_points_in_a_text_box(tmp_path):
    """Bullets in a text box are missing from the outline view; in the body placeholder they are not."""
    prs = _deck()
    box, _ = _box(prs.slides[1], "A point made in a text box")
    _bullet(box.text_frame.paragraphs[0])
    slide = prs.slides.add_slide(prs.slide_layouts[1])  # Title and Content
    slide.shapes.title.text = "Points where they belong"
    slide.placeholders[1].text_frame.text = "A point in the body placeholder"
    _bullet(slide.placeholders[1].text_frame.paragraphs[0])
    slide.notes_slide.notes_text_frame.text = "What to say."
    prs.slides.add_slide(prs.slide_layouts[5]).shapes.title.text = "The end"
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "key-points")]


def test_checker_finds_the_same_figure_on_two_slides_in_a_row(tmp_path):
    prs = _deck(4)
    prs.slides[1].shapes.title.text = "110,153 calls answered"
    _box(prs.slides[2], "Calls: 110,153, up 16%", size=40, height=1.5)  # a big number
    _box(prs.slides[3], "110,153 calls, said again in a source line", size=18)  # not a figure shown
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(3, "repeat-figure")]
    assert "110,153" in findings[0].message


def test_checker_finds_a_chart_and_a_table_of_the_same_data_in_a_row(tmp_path):
    prs = _deck(4)
    pic = prs.slides[1].shapes.add_picture(_png(), Inches(1), Inches(2), Inches(4), Inches(2))
    pic._element.nvPicPr.cNvPr.set("descr", "Bar chart of cases: Runaway 25,346, Abduction 1,239, Other 850.")
    for slide in (prs.slides[2], prs.slides[3]):  # a table right after its chart; the same again later
        frame = slide.shapes.add_table(4, 2, Inches(1), Inches(2), Inches(6), Inches(2))
        for i, (label, value) in enumerate(
            [("Case type", "Cases"), ("Runaway", "25,346"), ("Abduction", "1,239"), ("Other", "850")]
        ):
            frame.table.cell(i, 0).text, frame.table.cell(i, 1).text = label, value
        frame.table.first_col = True
    findings = check_deck(_save(prs, tmp_path))
    assert ("repeat-data", 3) in [(f.rule, f.slide) for f in findings]
    assert ("repeat-data", 4) in [(f.rule, f.slide) for f in findings]  # two tables of it in a row, too
    assert {f.rule for f in findings} == {"repeat-data"}


def test_checker_finds_notes_that_are_not_for_speaking(tmp_path):
    prs = _deck(6)
    prs.slides[1].notes_slide.notes_text_frame.text = " ".join(["word"] * 121)
    prs.slides[
        2
    ].notes_slide.notes_text_frame.text = "A father waited two years. Read a father's account of it."
    prs.slides[3].notes_slide.notes_text_frame.text = "See more at https://www.example.org/story today."
    prs.slides[
        4
    ].notes_slide.notes_text_frame.text = "Bar chart: cases. It compares 2 reported by categories."
    pic = prs.slides[5].shapes.add_picture(_png(), Inches(1), Inches(2), Inches(4), Inches(2))
    alt = "Most of the cases were of runaways, and far fewer were abductions by a family member."
    pic._element.nvPicPr.cNvPr.set("descr", alt)
    prs.slides[5].notes_slide.notes_text_frame.text = f"Say it. {alt}"
    findings = [(f.slide, f.rule) for f in check_deck(_save(prs, tmp_path))]
    assert findings == [
        (2, "notes-length"),
        (3, "notes-links"),
        (4, "notes-links"),
        (5, "notes-alt-text"),
        (6, "notes-alt-text"),
    ]


def test_checker_finds_row_headers_not_marked(tmp_path):
    prs = _deck()
    for n, marked, rows in ((1, False, ("3,144", "1,621")), (2, True, ("2,721", "2,386"))):
        frame = prs.slides[n].shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2))
        for i, (label, value) in enumerate([("State", "Cases"), ("Texas", rows[0]), ("Ohio", rows[1])]):
            frame.table.cell(i, 0).text, frame.table.cell(i, 1).text = label, value
        frame.table.first_col = marked
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "table-row-headers")]


def test_checker_finds_a_link_without_an_address_and_an_address_not_linked(tmp_path):
    prs = _deck(4)
    _, run = _box(prs.slides[1], "Find out more")
    run.hyperlink.address = "https://www.example.org"
    click = run._r.find(qn("a:rPr") + "/" + qn("a:hlinkClick"))
    click.set(qn("r:id"), "")  # a link whose address was lost
    _box(prs.slides[2], "www.example.org")
    _, run = _box(prs.slides[3], "www.example.org")
    run.hyperlink.address = "https://www.example.org"  # a live one: fine
    findings = check_deck(_save(prs, tmp_path))
    assert [(f.slide, f.rule) for f in findings] == [(2, "link"), (3, "link")]
    assert "no address" in findings[0].message and "not a live link" in findings[1].message
