"""The PDF reads as a designed publication: pages that flow, a grid that keeps lines readable,
captions with what they caption, one presentation per dataset. Measured on the built report.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from pypdf import PdfReader

from conftest import STYLES
from pdfstruct import mcid_texts, structure, text_runs
from render.theme import Theme

POINTS = 72


@pytest.fixture(scope="session")
def page_geometry():
    return Theme.load(STYLES).page


@pytest.fixture(scope="session")
def lines_by_page(pdf_path):
    """pdfminer's text lines and figures per page: (x0, y0, x1, y1, text) in points from the bottom."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTFigure, LTImage, LTTextLine

    def walk(item):
        if isinstance(item, LTTextLine | LTFigure | LTImage):
            yield item
            return
        for child in getattr(item, "_objs", []) or []:
            yield from walk(child)

    pages = []
    for page in extract_pages(str(pdf_path)):
        boxes = []
        for item in walk(page):
            text = item.get_text().strip() if isinstance(item, LTTextLine) else "[figure]"
            if text:
                boxes.append((item.x0, item.y0, item.x1, item.y1, text))
        pages.append((page.bbox[3], boxes))
    return pages


@pytest.fixture(scope="session")
def chapter_starts(pdf_path) -> dict[str, int]:
    """Top-level bookmark title → page index where it starts (the chapters, in order)."""
    reader = PdfReader(str(pdf_path))
    starts = {}
    for item in reader.outline:
        if not isinstance(item, list):
            starts[item.title] = reader.get_destination_page_number(item)
    return starts


def test_no_page_is_more_than_30_percent_empty_unless_a_chapter_ends_there(
    lines_by_page, chapter_starts, report, page_geometry
):
    count = len(lines_by_page)
    starts = sorted(set(chapter_starts.values()))
    last_pages = {s - 1 for s in starts[1:]} | {count - 2}  # the page before each chapter, and the appendix's
    openers = {chapter_starts[c.opener.title] for c in report.chapters if c.sections}
    exempt = {0, starts[0] - 1, count - 1} | last_pages | openers  # cover, contents, back cover
    top = (page_geometry.height_in - page_geometry.margin_top_in) * POINTS
    bottom = page_geometry.margin_bottom_in * POINTS
    empty = {}
    for index, (_, boxes) in enumerate(lines_by_page):
        inside = [b for b in boxes if b[1] >= bottom - 2 and b[3] <= top + 2]  # not the header or footer
        lowest = min((b[1] for b in inside), default=top)
        empty[index + 1] = round((lowest - bottom) / (top - bottom), 2)
    too_empty = {page: share for page, share in empty.items() if share > 0.30 and page - 1 not in exempt}
    assert not too_empty, f"pages more than 30% empty at the bottom: {too_empty}"


def test_no_heading_is_the_last_thing_on_a_page(pdf_path):
    root, _ = structure(pdf_path)
    element_of = {}
    for element in root.walk():
        for key in element.mcids:
            element_of[key] = element
    runs = [r for r in text_runs(pdf_path) if r.mcid is not None and r.text.strip()]
    lowest_by_page: dict[int, tuple[float, str]] = {}
    for run in runs:
        role = element_of.get((run.page, run.mcid)).role if (run.page, run.mcid) in element_of else ""
        if run.page not in lowest_by_page or run.y < lowest_by_page[run.page][0]:
            lowest_by_page[run.page] = (run.y, role)
    stranded = {page + 1: role for page, (_, role) in lowest_by_page.items() if re.fullmatch(r"H[1-6]", role)}
    assert not stranded, f"a heading is the lowest text of page(s) {stranded}"


def test_each_caption_is_on_the_page_of_its_table_or_chart(pdf_path, report):
    root, _ = structure(pdf_path)
    texts = mcid_texts(pdf_path)
    pages_of = defaultdict(set)
    for element in root.walk():
        if element.role == "Table":
            caption = next((c for c in element.children if c.role == "Caption"), None)
            rows = [e for e in element.walk() if e.role == "TR"]
            assert caption is not None and rows
            assert {p for p, _ in caption.mcids} | {p for c in caption.walk() for p, _ in c.mcids} <= {
                p for p, _ in rows[0].mcids
            } | {p for c in rows[0].walk() for p, _ in c.mcids}, caption.text(texts)
    figures = [
        e for e in root.walk() if e.role == "Figure" and e.alt in {c.alt for c in report.charts.values()}
    ]
    runs = text_runs(pdf_path)
    for chart_id, number in report.figure_numbers.items():
        title_pages = {r.page for r in runs if f"Figure {number}." in r.text}
        figure = next(f for f in figures if f.alt == report.charts[chart_id].alt)
        figure_pages = {p for p, _ in figure.mcids} | {p for c in figure.walk() for p, _ in c.mcids}
        pages_of[chart_id] = title_pages | figure_pages
        assert len(pages_of[chart_id]) == 1, f"Figure {number}: title and chart on pages {pages_of[chart_id]}"


def test_body_lines_hold_60_to_75_characters(pdf_path, report):
    """The main column keeps reading lines at 60-75 characters (the 2022 build had 95-105)."""
    runs = [r for r in text_runs(pdf_path) if r.mcid is not None and 10.9 <= r.size <= 11.1]
    lines = defaultdict(str)
    for r in runs:
        lines[(r.page, round(r.y))] += r.text
    full = [len(t.rstrip()) for t in lines.values() if len(t.rstrip()) > 40]
    full.sort()
    typical = full[len(full) // 2 : int(len(full) * 0.95)]  # lines that run the whole measure
    assert typical and 60 <= min(typical) and max(typical) <= 80, (min(typical), max(typical))


def test_a_table_shown_by_a_chart_is_in_the_appendix_and_linked_both_ways(pdf_path, report):
    reader = PdfReader(str(pdf_path))
    targets = set()
    for page in reader.pages:
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                targets.add(str(annotation["/Dest"]))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert report.appendix, "the 2022 report's charted tables go to the appendix"
    appendix_start = text.index("Data appendix The figures behind each chart")
    for view_id in report.appendix:
        number = report.table_numbers[view_id]
        assert text.index(f"Table {number}.", appendix_start) > appendix_start  # printed in the appendix
        chart = report.data_chart.get(view_id)
        if chart:
            assert f"The data: Table {number}." in text and f"table-{view_id}" in targets
            assert f"Shown in Figure {report.figure_numbers[chart]}." in text and f"chart-{chart}" in targets
