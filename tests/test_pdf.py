"""The built 2022 PDF, read back as a screen reader and a validator would read it."""

from __future__ import annotations

import re
from collections import defaultdict

import page
import pikepdf
import pytest
from pypdf import PdfReader

from conftest import STYLES
from pdfstruct import mcid_texts, struct_elements, structure, text_runs
from render.text import markdown_to_plain
from render.theme import Theme


@pytest.fixture(scope="session")
def tree(pdf_path):
    root, pdf = structure(pdf_path)
    return root, pdf, mcid_texts(pdf_path)


@pytest.fixture(scope="session")
def pdf_text(pdf_path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(pdf_path)).pages)


def test_the_report_is_pdf_ua2_and_wtpdf_by_default(pdf_path, verapdf_results):
    assert PdfReader(str(pdf_path)).pdf_header == "%PDF-2.0"
    for profile in ("ua2", "wtpdf-accessibility", "wtpdf-reuse"):
        result = verapdf_results[("ua2", profile)]
        failures = [(f["rule"], f["count"], f["samples"][0]["message"]) for f in result["failures"]]
        assert result["compliant"] and result["failed_checks"] == 0, (profile, failures)


def test_the_ua1_variant_passes_both_pdf_ua1_validators(pdf_ua1_build, verapdf_results):
    path = pdf_ua1_build.outputs["pdf"]
    result = page.validate_pdf(str(path), profile="ua1")
    assert result.is_compliant and result.rules.failed == 0, [(f.rule_id, f.message) for f in result.failures]
    vera = verapdf_results[("ua1", "ua1")]
    assert vera["compliant"] and vera["failed_checks"] == 0, vera["failures"]


def test_headings_follow_the_sections_in_source_order(tree, report):
    root, _, texts = tree
    headings = [(e.role, e.text(texts)) for e in root.walk() if re.fullmatch(r"H[1-6]", e.role)]
    chapter_and_section = [(role, text) for role, text in headings if role in ("H2", "H3")]
    expected = [("H2" if s.level == 1 else "H3", s.title) for s in report.sections]
    first = chapter_and_section.index(expected[0])  # the contents and the glance spread come before
    found = [h for h in chapter_and_section[first:] if h != ("H2", "Data appendix")]
    assert found == expected
    assert headings[0] == ("H1", report.meta.title)


def test_heading_levels_never_skip(tree):
    root, _, _ = tree
    levels = [int(e.role[1]) for e in root.walk() if re.fullmatch(r"H[1-6]", e.role)]
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"heading jumps from H{before} to H{after}"


def test_every_figure_has_the_chart_alt_text(tree, report):
    root, _, _ = tree
    figures = [e for e in root.walk() if e.role == "Figure"]
    assert len(figures) == len(report.charts) >= 8
    alts = [f.alt for f in figures]
    assert all(a and a.strip() for a in alts)
    assert sorted(alts) == sorted(c.alt for c in report.charts.values())


def test_data_tables_have_header_cells_with_scope(tree, report):
    root, _, texts = tree
    tables = [e for e in root.walk() if e.role == "Table"]
    assert len(tables) == len(report.table_views)
    for table in tables:
        headers = [e for e in table.walk() if e.role == "TH"]
        assert headers, "a table without header cells"
        for th in headers:
            attrs = th.attrs if isinstance(th.attrs, pikepdf.Array) else [th.attrs]
            scopes = {
                str(a.get("/Scope")) for a in attrs if isinstance(a, pikepdf.Dictionary) and "/Scope" in a
            }
            assert scopes & {"/Column", "/Row"}, f"TH {th.text(texts)!r} has no Scope"


def test_every_table_caption_is_in_the_pdf(tree, report):
    root, _, texts = tree
    captions = [e.text(texts) for e in root.walk() if e.role == "Caption"]
    for view in report.table_views.values():
        assert any(view.caption in c for c in captions), view.caption


def test_document_language_title_and_metadata(pdf_path, report):
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.Root.Lang) == report.meta.language
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        info = pdf.docinfo
        assert str(info.Title) == report.meta.title
        assert str(info.Author) == report.meta.author
        assert str(info.Subject) == report.meta.subject
        for keyword in report.meta.keywords:
            assert keyword in str(info.Keywords)
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == report.meta.pdf_standard[-1]  # "2" for ua-2


def test_bookmarks_follow_the_chapters(pdf_path, report):
    with pikepdf.open(pdf_path) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    chapters = [s.title for s in report.sections if s.level == 1]
    assert [t for t in titles if t in chapters] == chapters


def test_only_the_project_font_is_embedded(pdf_path, report):
    names = set()
    with pikepdf.open(pdf_path) as pdf:
        for p in pdf.pages:
            for font in p.Resources.get("/Font", {}).values():
                names.add(str(font.get("/BaseFont")))
    assert names, "no fonts found"
    assert all("SourceSansPro" in n.replace("-", "") for n in names), names


def test_running_header_and_page_numbers_are_artifacts(tree, pdf_text):
    _, _, texts = tree
    assert re.search(r"Page 5 of \d+", pdf_text), "page numbers are printed on the page"
    read_aloud = [t for t in texts.values() if re.search(r"Page \d+ of \d+", t)]
    assert not read_aloud, "page numbers are tagged content, so screen readers read them mid-text"


def test_every_prose_paragraph_reaches_the_pdf(pdf_text, report):
    flat = " ".join(pdf_text.split())
    for section in report.sections:
        for block in section.blocks:
            if not hasattr(block, "markdown"):
                continue
            for paragraph in markdown_to_plain(block.markdown):
                probe = " ".join(paragraph.split()[:6])
                assert probe in flat, f"{section.id}: {probe!r} is missing from the PDF"


def test_every_computed_total_is_printed(pdf_text, report):
    for view in report.table_views.values():
        if view.totals:
            assert view.totals[-1].text in pdf_text, view.id


def test_same_inputs_same_bytes(pdf_build, tmp_path):
    from render.build import build

    report = pdf_build.report
    again = build(report.content_dir, tmp_path, styles_dir=report.styles_dir, formats=("pdf",))
    assert again.outputs["pdf"].read_bytes() == pdf_build.outputs["pdf"].read_bytes()


@pytest.fixture(scope="session")
def runs(pdf_path):
    return [r for r in text_runs(pdf_path) if r.text.strip()]


def test_reading_text_is_at_least_10_points(runs):
    tagged = [r for r in runs if r.mcid is not None]
    assert tagged
    too_small = [(r.page + 1, r.text, round(r.size, 2)) for r in tagged if r.size < 9.99]
    assert not too_small, too_small[:5]


def test_every_text_run_starts_inside_the_page_margins(runs, pdf_path, tree):
    root, _, _ = tree
    # Chart text sits inside each figure's form XObject, whose matrix pypdf does not apply to text
    # positions; the figure itself is read through its Alt, so check the reading text here.
    in_figures = {m for e in root.walk() if e.role == "Figure" for f in e.walk() for m in f.mcids}
    with pikepdf.open(pdf_path) as pdf:
        boxes = [[float(v) for v in p.MediaBox] for p in pdf.pages]
    for r in runs:
        if (r.page, r.mcid) in in_figures:
            continue
        _, _, width, height = boxes[r.page]
        assert 36 <= r.x <= width - 36, (r.page + 1, r.text, r.x)
        assert 36 <= r.y <= height - 36, (r.page + 1, r.text, r.y)


def test_a_table_broken_across_pages_is_one_table_with_every_row(tree, report, pdf_text):
    root, _, texts = tree
    view = report.table_views["cases-by-state"]
    tables = [e for e in root.walk() if e.role == "Table" and view.caption in e.text(texts)]
    assert len(tables) == 1
    rows = [e for e in tables[0].walk() if e.role == "TR"]
    assert len(rows) == 1 + len(view.rows) + 1  # header, every state, total
    assert [r.text(texts).split(" ")[0] for r in rows[1:4]] == [
        row[0].text.split(" ")[0] for row in view.rows[:3]
    ]
    # the header row is printed again at the top of every column and page the table covers
    assert " ".join(pdf_text.split()).count(view.header[0]) >= 2


def test_charts_are_vector_not_images(pdf_path):
    with pikepdf.open(pdf_path) as pdf:
        images = [
            name
            for p in pdf.pages
            for name, xobject in p.Resources.get("/XObject", {}).items()
            if xobject.get("/Subtype") == "/Image"
        ]
    assert images == []


def test_contents_links_do_not_nest_and_each_has_text(tree):
    root, _, texts = tree
    links = [e for e in root.walk() if e.role == "Link"]
    assert links
    for link in links:
        assert not [e for e in link.walk() if e.role == "Link" and e is not link]
        assert link.text(texts).strip()


def test_link_annotations_are_described_by_their_own_words(pdf_path, report):
    """Each link annotation says what its own link says: never an address or an internal id, and
    two links to one address keep their own words."""
    from render.text import link_texts

    words_for: dict[str, set[str]] = defaultdict(set)
    texts = [b.markdown for s in report.sections for b in s.blocks if hasattr(b, "markdown")]
    for markdown in texts + list(report.meta.how_to_help):
        for href, words in _all_links(markdown):
            words_for[href].add(words)
    words_for[report.meta.website].add(report.meta.website.split("//www.")[-1].rstrip("/"))
    seen: dict[str, set[str]] = defaultdict(set)
    with pikepdf.open(pdf_path) as pdf:
        for p in pdf.pages:
            for annotation in p.get("/Annots", []):
                assert int(annotation.F) & 4, "link annotations are printable"
                contents = str(annotation.get("/Contents", ""))
                uri = annotation.get("/A", {}).get("/URI")
                if uri is not None:
                    assert contents in words_for[str(uri)], (str(uri), contents)
                    seen[str(uri)].add(contents)
                else:
                    destination = str(annotation.get("/Dest", ""))
                    assert contents and contents != destination, (destination, contents)
    assert seen == words_for  # every link is there, and an address linked twice keeps both wordings
    assert link_texts  # the narrative's own helper agrees there are links


def _all_links(markdown: str):
    from render.text import _md

    for token in _md.parse(markdown):
        href, words = None, []
        for child in token.children or []:
            if child.type == "link_open":
                href, words = str(child.attrs["href"]), []
            elif child.type == "link_close" and href is not None:
                yield href, " ".join("".join(words).split())
                href = None
            elif href is not None and child.type in ("text", "code_inline", "softbreak"):
                words.append(child.content or " ")


def test_figure_bounding_boxes_are_in_page_points_inside_the_margins(pdf_path):
    margin = Theme.load(STYLES).page.margin_side_in * 72
    with pikepdf.open(pdf_path) as pdf:
        pages = {p.objgen: p for p in pdf.pages}
        figures = [e for e in struct_elements(pdf) if e.get("/S") == "/Figure"]
        assert figures
        for figure in figures:
            page = pages[figure.Pg.objgen]
            _, _, width, height = (float(v) for v in page.MediaBox)
            x0, y0, x1, y1 = (float(v) for v in figure.A.BBox)
            assert margin - 1 <= x0 < x1 <= width - margin + 1, (x0, x1)
            assert 0 <= y0 < y1 <= height, (y0, y1)


def test_contents_page_gives_the_page_each_heading_is_on(tree, report, pdf_path):
    root, _, texts = tree
    heading_pages = {}
    for e in root.walk():
        if e.role in ("H2", "H3"):
            first = next(m for part in e.walk() for m in part.mcids)
            heading_pages.setdefault((e.role, e.text(texts)), first[0] + 1)
    # The contents page read as it is printed: each line's title, and the number on its right.
    lines = defaultdict(list)
    for run in text_runs(pdf_path):
        if run.page == 1 and run.text.strip():
            lines[round(run.y)].append(run)
    printed = {}
    for runs in lines.values():
        runs.sort(key=lambda r: r.x)
        title = " ".join("".join(r.text for r in runs if not r.text.strip().isdigit()).split())
        number = [r.text.strip() for r in runs if r.text.strip().isdigit()]
        if title and number:
            printed[title] = int(number[-1])
    for section in report.sections:
        assert section.title in printed, f"{section.title!r} is not in the contents"
        role = "H2" if section.level == 1 else "H3"
        assert printed[section.title] == heading_pages[(role, section.title)], section.title


def test_every_chart_has_its_number_title_and_caption_in_the_text(pdf_text, report):
    flat = " ".join(pdf_text.split())
    for number, chart in enumerate((report.charts[c] for s in report.sections for c in s.chart_ids), start=1):
        assert f"Figure {number}. {chart.title}" in flat
        if chart.caption:
            assert " ".join(chart.caption.split()[:6]) in flat


def test_the_build_checks_found_nothing_in_the_real_report(pdf_build, deck_build):
    """`build` ran the project's own rules on the PDF and the deck checker on the deck it made."""
    assert "check-pdf" in pdf_build.timings and pdf_build.findings == {}
    assert deck_build.findings == {}
