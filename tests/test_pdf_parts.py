"""The PDF is written part by part (pdf_parts.py) and joined (pdf_merge.py). What a reader gets
must be the whole report's pages: the same pages as WeasyPrint makes of the report as one
document, numbered through, with links, bookmarks and fonts that work across parts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from conftest import STYLES
from render.chart_cache import ChartPictures
from render.part_hooks import hooks_apply
from render.pdf import chart_svgs, render_html, whole_html
from render.pdf_parts import parts_of
from render.svg_text import whole_word_svg_text
from render.theme import Theme


def test_the_hooks_apply_to_this_weasyprint():
    assert hooks_apply()


def _pages_as_images(pdf: Path, folder: Path) -> list[bytes]:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(folder / "p")], check=True)
    return [p.read_bytes() for p in sorted(folder.glob("p-*.pgm"))]


def _texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]


def test_the_joined_parts_are_the_pages_weasyprint_makes_of_the_whole_report(report, pdf_path, tmp_path):
    """The report as one HTML document, laid out and written by WeasyPrint alone, against the
    build's joined parts: the same number of pages, the same text on each, the same pixels."""
    theme = Theme.load(STYLES)
    source = render_html(report, theme, chart_svgs(report, theme, ChartPictures.at("user")))
    html = whole_html(report, theme, source, Path(os.environ["IMPACT_REPORT_CACHE"]))
    fonts = FontConfiguration()
    whole = tmp_path / "whole.pdf"
    with whole_word_svg_text():  # as the build writes charts' text (svg_text.py)
        weasyprint.HTML(string=html, base_url=str(STYLES)).write_pdf(
            whole, stylesheets=[weasyprint.CSS(string=source.css, font_config=fonts)], font_config=fonts
        )
    assert _texts(pdf_path) == _texts(whole)
    joined, alone = (
        _pages_as_images(pdf_path, tmp_path / "joined"),
        _pages_as_images(whole, tmp_path / "whole"),
    )
    assert len(joined) == len(alone) > 20
    differing = [i + 1 for i, (a, b) in enumerate(zip(joined, alone)) if a != b]
    assert differing == [], f"pages that differ from the whole report's: {differing}"


def test_every_page_is_numbered_through_the_whole_report(pdf_path):
    texts = _texts(pdf_path)
    numbered = 0
    for index, text in enumerate(texts, start=1):
        found = re.findall(r"Page (\d+) of (\d+)", text)
        if found:
            assert found == [(str(index), str(len(texts)))], f"page {index}"
            numbered += 1
    assert numbered >= len(texts) - 2, "every page but the covers shows its number"


def _destination_pages(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Each named destination's page index (a PDF/UA-2 one is a structure destination: /D)."""
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    names = pdf.Root.Names.Dests.Names
    found = {}
    for i in range(0, len(names), 2):
        target = names[i + 1]
        target = target.D if isinstance(target, pikepdf.Dictionary) else target
        found[str(names[i])] = pages[target[0].objgen]
    return found


def test_links_between_parts_land_where_the_contents_say(report, pdf_path):
    """The contents (in the front part) link into every chapter: each link's named destination is
    defined, and the page it lands on is the page number the contents print beside the title."""
    with pikepdf.open(pdf_path) as pdf:
        destinations = _destination_pages(pdf)
        links = [str(a.Dest) for a in pdf.pages[1].obj.get("/Annots", []) if "/Dest" in a]
        assert {s.id for s in report.sections} <= set(links), "a contents link to every section"
        lines = {}
        for line in _texts(pdf_path)[1].splitlines():
            if match := re.match(r"\s*(\S.*?\S)\s{2,}(\d+)\s*$", line):
                lines[match.group(1)] = int(match.group(2))
        printed = {s.id: lines[s.title] for s in report.sections if s.title in lines}
        assert len(printed) >= len(report.sections) - 3, "titles too long for one line aside"
        for section, number in printed.items():
            assert destinations[section] + 1 == number, section
        # every link in the report, the chapters' to the appendix and back included, has its target
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                if "/Dest" in annotation:
                    assert str(annotation.Dest) in destinations


def test_bookmarks_cover_every_part_in_order(pdf_path):
    with pikepdf.open(pdf_path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        named = _destination_pages(pdf)
        item, found = pdf.Root.Outlines.First, []
        while item is not None:
            dest = item.Dest
            found.append(
                (
                    str(item.Title),
                    named[str(dest)] if isinstance(dest, pikepdf.String) else pages[dest[0].objgen],
                )
            )
            item = item.get("/Next")
        assert [p for _, p in found] == sorted(p for _, p in found), "in page order"
        titles = [t for t, _ in found]
        assert "Contents" in titles and "Data appendix" in titles
        assert int(pdf.Root.Outlines.Count) >= len(found)


def test_each_font_is_embedded_once(pdf_path):
    """The parts' fonts are subset once, to every part's glyphs, and shared."""
    with pikepdf.open(pdf_path) as pdf:
        files: dict[str, set] = {}
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                files.setdefault(str(font.BaseFont), set()).add(descriptor.FontFile2.objgen)
                assert len(descriptor.FontFile2.read_bytes()) > 1000, "a real font program"
        assert all(len(f) == 1 for f in files.values()), files
        assert 3 <= len(files) <= 6


def test_the_parent_tree_maps_every_page_and_link(pdf_path):
    with pikepdf.open(pdf_path) as pdf:
        root = pdf.Root.StructTreeRoot
        nums = root.ParentTree.Nums
        keys = [int(k) for k in nums[0::2]]
        assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) == keys[-1] + 1
        entries = dict(zip(keys, nums[1::2]))
        for page in pdf.pages:
            assert isinstance(entries[int(page.obj.StructParents)], pikepdf.Array)
            for annotation in page.obj.get("/Annots", []):
                element = entries[int(annotation.StructParent)]
                assert element.S == pikepdf.Name.Link
                objrs = [k for k in element.K if isinstance(k, pikepdf.Dictionary) and "/Obj" in k]
                assert any(k.Obj.objgen == annotation.objgen for k in objrs)


@pytest.mark.parametrize(
    ("rule", "parts"),
    [
        ("", "several"),
        ("/* not @page :first { } in a comment */", "several"),
        ("@page :first { margin-top: 2in }", "one"),
        ("@page:left { margin-left: 1in }", "one"),
        ("@page chapter:blank { }", "one"),
    ],
)
def test_a_stylesheet_that_styles_pages_by_their_place_gets_the_report_as_one_part(report, rule, parts):
    theme = Theme.load(STYLES)
    source = render_html(report, theme, {cid: b"<svg/>" for cid in report.charts})
    found = parts_of(source.layout, source.css + rule)
    assert (len(found) == 1) == (parts == "one")


def test_a_chapter_made_of_two_parts_is_one_section_to_a_screen_reader(report, pdf_path):
    """A chapter's opener and its sections are two parts, each holding a piece of the chapter's
    <section>: the joined tree has one Sect with the chapter's title and every section heading in
    it, as the whole report laid out in one piece has."""
    from pdfstruct import mcid_texts, structure

    root, _ = structure(pdf_path)
    texts = mcid_texts(pdf_path)
    chapters = [s for s in report.sections if s.level == 1]
    checked = 0
    for chapter in chapters:
        following = report.sections[report.sections.index(chapter) + 1 :]
        sections = [
            s.title for s in following[: next((i for i, s in enumerate(following) if s.level == 1), None)]
        ]
        if not sections:
            continue
        holders = [
            e
            for e in root.walk()
            if e.role == "Sect" and any(h.role == "H2" and h.text(texts) == chapter.title for h in e.walk())
        ]
        assert len(holders) == 1, chapter.title
        headings = [e.text(texts) for e in holders[0].walk() if e.role == "H3"]
        assert headings == sections, chapter.title
        checked += 1
    assert checked >= 3
