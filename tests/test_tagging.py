"""The tag repairs do what they say: each on a small report built to have the defect (a paragraph
and a table over a page break, a wrapped link, a contents page …), and on the 2022 report."""

from __future__ import annotations

import pikepdf
import pytest

from conftest import STYLES
from pdfstruct import mcid_texts, struct_elements, structure, text_runs
from render.build import build
from render.tagging import _retag


def test_retag_turns_only_the_named_mcids_into_artifacts():
    content = (
        b"/Span\n<</MCID 0>>\nBDC\n(a) Tj\nEMC\n/P <</MCID 1>> BDC (b) Tj EMC\n/Span << /MCID 12 >> BDC EMC"
    )
    rewritten, count = _retag(content, {1, 12})
    assert count == 2
    assert b"<</MCID 0>>" in rewritten
    assert b"MCID 1>" not in rewritten and b"MCID 12" not in rewritten
    assert rewritten.count(b"/Artifact << /Type /Pagination >> BDC") == 2
    assert b"(a) Tj" in rewritten and b"(b) Tj" in rewritten


def test_retag_leaves_content_alone_when_nothing_matches():
    content = b"/Span <</MCID 3>> BDC (x) Tj EMC"
    assert _retag(content, {4}) == (content, 0)


NARROW_ROWS = 130  # set in pieces side by side, over two pages
LONG = " ".join(
    "Every sentence of this paragraph is here to make it long enough to break across a page, so the"
    " tagged PDF has to show a reader one paragraph where the layout made two pieces."
    for _ in range(40)
)
WRAPPING_LINK = (
    "[read the full and rather long account of how the forensic imaging team works with families"
    " and investigators](https://www.example.org/imaging)"
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A tiny report with every defect the repairs are for: a paragraph and a table over a page
    break, a link wrapping onto a second line, two links to one address with different words, a
    passage in Spanish, a chart with its caption, a contents page, a chapter over pages."""
    import shutil

    from conftest import TINY

    content = tmp_path_factory.mktemp("tagging") / "content" / "2022"
    shutil.copytree(TINY, content)
    section = content / "sections" / "intro.md"
    text = section.read_text()
    text += f"\n{LONG}\n\nWe say thank you, [gracias]{{lang=es}}, to every volunteer.\n\n"
    text += (
        f"To learn more, {WRAPPING_LINK}, or [visit our imaging page](https://www.example.org/imaging).\n\n"
    )
    text += '{{ table("long") }}\n\n{{ table("narrow") }}\n'
    section.write_text(text)
    places = "\n".join(f"Place {i:03d},{i}" for i in range(1, NARROW_ROWS + 1))
    (content / "data" / "narrow.csv").write_text("place,count\n" + places + "\n")
    (content / "data" / "narrow.schema.json").write_text(
        '{"title": "Narrow table", "source": "Example", "fields": ['
        '{"name": "place", "type": "string", "title": "Place"},'
        '{"name": "count", "type": "integer", "title": "Count", "unit": "things"}]}'
    )
    rows = "\n".join(
        f"A row with a name long enough to fill half the page {chr(65 + i // 26)}{chr(65 + i % 26)},{i + 1}"
        for i in range(70)
    )
    (content / "data" / "long.csv").write_text("name,count\n" + rows + "\n")
    (content / "data" / "long.schema.json").write_text(
        '{"title": "Long table", "source": "Example", "fields": ['
        '{"name": "name", "type": "string", "title": "Name"},'
        '{"name": "count", "type": "integer", "title": "Count", "unit": "things"}]}'
    )
    config = content / "report.toml"
    config.write_text(
        config.read_text() + '\n[tables.long]\ntable = "long"\nrows = "name"\ncaption = "A long table"\n'
        '\n[tables.narrow]\ntable = "narrow"\nrows = "place"\ncaption = "A long narrow table"\n'
        "totals = true\n"
    )
    result = build(content, tmp_path_factory.mktemp("out"), styles_dir=STYLES, formats=("pdf",))
    path = result.outputs["pdf"]
    root, pdf = structure(path)
    return path, root, pdf, mcid_texts(path)


def _pages(element) -> set[int]:
    return {page for e in element.walk() for page, _ in e.mcids}


def test_a_paragraph_split_by_a_page_break_is_one_paragraph(small):
    path, root, _, texts = small
    pieces = [e for e in root.walk() if e.role == "P" and "Every sentence of this paragraph" in e.text(texts)]
    assert len(pieces) == 1
    assert len(_pages(pieces[0])) >= 2  # it does cross a page break
    assert pieces[0].text(texts).count("Every sentence") == 40


def test_a_link_wrapped_onto_two_lines_is_one_link_with_its_own_words(small):
    path, root, pdf, texts = small
    links = [e for e in root.walk() if e.role == "Link" and "forensic imaging team" in e.text(texts)]
    assert len(links) == 1
    with pikepdf.open(path) as doc:
        contents = [
            str(a.Contents)
            for p in doc.pages
            for a in p.get("/Annots", [])
            if str(a.get("/A", {}).get("/URI", "")) == "https://www.example.org/imaging"
        ]
    long_words = (
        "read the full and rather long account of how the forensic imaging team works with families and "
        "investigators"
    )
    assert contents.count(long_words) >= 2  # one annotation per line, both described by the link's words
    assert "visit our imaging page" in contents  # the same address, its own words


def test_the_contents_is_a_toc_whose_entries_hold_one_link_and_no_page_number(small):
    _, root, _, texts = small
    tocs = [e for e in root.walk() if e.role == "TOC"]
    assert tocs
    for toci in (e for toc in tocs for e in toc.children if e.role == "TOCI"):
        links = [e for e in toci.walk() if e.role == "Link"]
        assert len(links) == 1, toci.text(texts)
        assert not any(ch.isdigit() for ch in toci.text(texts)), toci.text(texts)  # numbers are artifacts
        assert "L" not in {e.role for e in toci.walk()}


def test_a_chart_title_and_note_are_the_caption_of_its_figure(small):
    _, root, _, texts = small
    figures = [e for e in root.walk() if e.role == "Figure"]
    assert figures
    for figure in figures:
        assert figure.children and figure.children[0].role == "Caption"
        assert figure.children[0].text(texts).startswith("Figure 1.")
        assert figure.alt


def test_a_chapter_is_one_section_however_many_pages_it_covers(small):
    _, root, _, texts = small
    chapters = [e for e in root.children[0].children if e.role == "Sect"]
    assert [c.text(texts).split()[0] for c in chapters] == ["Introduction", "Data"]
    assert len(_pages(chapters[0])) >= 2


def test_a_table_over_a_page_break_is_one_table_with_its_header_once(small):
    _, root, _, texts = small
    tables = [e for e in root.walk() if e.role == "Table" and "A long table" in e.text(texts)]
    assert len(tables) == 1 and len(_pages(tables[0])) >= 2
    rows = [e for e in tables[0].walk() if e.role == "TR"]
    assert len(rows) == 1 + 70
    assert sum(1 for e in tables[0].walk() if e.role == "THead") == 1


def test_a_table_set_in_pieces_side_by_side_is_one_table_in_reading_order(small):
    path, root, _, texts = small
    tables = [e for e in root.walk() if e.role == "Table" and "A long narrow table" in e.text(texts)]
    assert len(tables) == 1
    table = tables[0]
    assert len(_pages(table)) == 2  # two groups of pieces, a page each
    assert table.children[0].role == "Caption" and "A long narrow table" in table.children[0].text(texts)
    assert [e.role for e in table.children] == ["Caption", "THead", "TBody"]
    names = [row.children[0].text(texts) for row in table.walk() if row.role == "TR"]
    assert names == ["Place", *(f"Place {i:03d}" for i in range(1, NARROW_ROWS + 1)), "Total"]
    # the pieces stand side by side: the first row of each piece starts a column of its own
    lefts = {round(run.x) for run in text_runs(path) if run.text.strip().startswith("Place ")}
    assert len(lefts) >= 2, lefts
    headers = [e for e in table.walk() if e.role == "TH" and e.text(texts) == "Count"]
    assert len(headers) == 1  # the header cell once; the repeats are artifacts


def test_header_cell_ids_have_an_id_tree(small):
    path, root, _, _ = small
    with pikepdf.open(path) as pdf:
        names = pdf.Root.StructTreeRoot.IDTree.Names
        listed = {str(names[i]) for i in range(0, len(names), 2)}
        ids = {str(e.ID) for e in struct_elements(pdf) if "/ID" in e}
    assert ids and ids == listed


def test_a_passage_in_another_language_carries_its_language(small):
    _, root, _, texts = small
    with pikepdf.open(small[0]) as pdf:
        langs = [str(e.Lang) for e in struct_elements(pdf) if "/Lang" in e]
    assert langs == ["es"]


def test_the_2022_contents_and_chapters(pdf_path, report):
    root, _ = structure(pdf_path)
    texts = mcid_texts(pdf_path)
    toc = next(e for e in root.walk() if e.role == "TOC")
    entries = [e.text(texts) for e in toc.walk() if e.role == "Link"]
    assert all(s.title in entries for s in report.sections)
    chapters = [e for e in root.children[0].children if e.role == "Sect"]
    titles = [chapter.opener.title for chapter in report.chapters] + ["Data appendix"]
    sect_titles = [next(h for h in c.walk() if h.role == "H2").text(texts) for c in chapters]
    assert sect_titles == titles  # one Sect per chapter, in order, however many pages each covers
