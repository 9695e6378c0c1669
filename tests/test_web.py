"""The built web edition, read as a browser, a screen reader and a reader of the PDF would read it.

The 2022 web edition comes from the same session build as the PDF (conftest's pdf_build), so the
two are compared as they were made together. The browser's own checks (axe-core, a phone's width)
are in test_web_browser.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pikepdf
import pytest
from lxml import html

from conftest import ROOT, STYLES
from render.build import build
from render.outputs import REGISTRY, file_stem
from webtext import (
    found_in,
    normalise,
    pdf_pages,
    pdf_reading_text,
    web_blocks,
    web_document,
    web_reading_text,
    words,
)

# What only the web edition says: how to skip to the report and where to download the other
# editions. Its contents (a navigation) are compared by their links, below.
WEB_ONLY = ("//a[@class='skip-link']", "//ul[@class='downloads']", "//nav")


@pytest.fixture(scope="module")
def page(web_dir):
    return web_document(web_dir / "index.html")


@pytest.fixture(scope="module")
def pdf_reading(pdf_path) -> str:
    return pdf_reading_text(pdf_path)


# --- the same report as the PDF ----------------------------------------------------------------


def test_every_block_of_the_web_edition_is_in_the_pdf(page, pdf_reading):
    blocks = web_blocks(page)
    assert len(blocks) > 300
    missing = [b for b in blocks if not found_in(b, pdf_reading)]
    assert not missing, missing[:5]


def test_every_line_of_the_pdf_is_in_the_web_edition(page, pdf_path):
    """The other way round: each line the PDF prints (its body, without page furniture and its
    contents) is in the web edition's text, so nothing the PDF says is missing from the web."""
    web = web_reading_text(page, WEB_ONLY)
    lines = []
    for text in pdf_pages(pdf_path):
        if text.lstrip().startswith("Contents"):
            continue
        text = re.split("in this chapter", text, flags=re.IGNORECASE)[0]
        lines += [normalise(line.replace("•", " ")) for line in text.splitlines() if line.strip()]
    assert len(lines) > 1000
    missing = [line for line in lines if not found_in(line, web)]
    assert not missing, missing[:5]


def test_the_web_edition_and_the_pdf_use_the_same_words_and_numbers(page, pdf_reading):
    web, pdf = words(web_reading_text(page, WEB_ONLY)), words(pdf_reading)
    assert "27,644" in web and "110,153" in web  # the numbers are words too
    assert sorted(web - pdf) == [] and sorted(pdf - web) == []


def test_the_web_edition_links_where_the_pdf_links(page, pdf_path):
    uris, destinations = set(), set()
    with pikepdf.open(pdf_path) as pdf:
        for p in pdf.pages:
            for annotation in p.get("/Annots", []):
                action = annotation.get("/A")
                if action is not None and "/URI" in action:
                    uris.add(str(action.URI))
                elif "/Dest" in annotation:
                    destinations.add(str(annotation.Dest))
    hrefs = [a.get("href") for a in page.iter("a")]
    external = {h for h in hrefs if urlsplit(h).scheme in ("http", "https", "mailto")}
    internal = {h[1:] for h in hrefs if h.startswith("#")}
    assert external == uris
    assert destinations and destinations <= internal
    ids = set(page.xpath("//@id"))
    assert internal <= ids, sorted(internal - ids)


def test_the_web_edition_links_to_the_pdf_and_the_deck_beside_it(page, report):
    stem = file_stem(report.meta.year)
    downloads = {a.get("href") for a in page.xpath("//ul[@class='downloads']//a")}
    assert downloads == {f"../{REGISTRY[name].output_name(stem)}" for name in ("pdf", "pptx")}


# --- a page every reader can use ----------------------------------------------------------------


def test_landmarks_skip_link_and_language(page, report):
    assert page.get("lang") == report.meta.language
    body = page.find("body")
    first_link = next(body.iter("a"))
    assert first_link.get("class") == "skip-link" and first_link.get("href") == "#main"
    assert [e.tag for e in body if e.tag in ("header", "div", "footer")] == ["header", "div", "footer"]
    assert len(page.xpath("//main")) == 1 and page.xpath("//main/@id") == ["main"]
    assert len(page.xpath("//nav")) == 1 and not page.xpath("//main//nav | //nav//main")
    assert page.find(".//title").text_content().startswith(report.meta.title)


def test_headings_follow_the_sections_and_never_skip_a_level(page, report):
    headings = [(int(h.tag[1]), normalise(h.text_content())) for h in page.xpath("//h1|//h2|//h3|//h4|//h5")]
    assert headings[0] == (1, report.meta.title)
    for (before, _), (after, text) in zip(headings, headings[1:]):
        assert after <= before + 1, f"heading {text!r} jumps from h{before} to h{after}"
    in_main = [(int(h.tag[1]), normalise(h.text_content())) for h in page.xpath("//main//h2|//main//h3")]
    expected = [(2 if s.level == 1 else 3, normalise(s.title)) for s in report.sections]
    found = [h for h in in_main if h in expected]
    assert found == expected


def test_the_contents_link_every_chapter_and_section(page, report):
    targets = [a.get("href") for a in page.xpath("//nav//a")]
    assert targets == ["#at-a-glance", *(f"#{s.id}" for s in report.sections), "#appendix"]


def test_each_chart_is_an_inline_svg_named_and_described_by_its_alt_text(page, report):
    svgs = page.xpath("//figure//svg")
    assert len(svgs) == len(report.charts)
    in_order = [report.charts[c] for s in report.sections for c in s.chart_ids]
    for svg, chart in zip(svgs, in_order):
        assert svg.get("role") == "img"
        title = page.xpath(f"//*[@id='{svg.get('aria-labelledby')}']")
        desc = page.xpath(f"//*[@id='{svg.get('aria-describedby')}']")
        assert len(title) == len(desc) == 1
        assert chart.title in title[0].text_content()
        assert desc[0].text_content() == chart.alt  # the same words as the PDF's figure
        assert not svg.xpath(".//*[local-name()='style' or local-name()='metadata']")


def test_ids_are_unique_and_every_chart_refers_only_to_its_own_parts(page):
    ids = Counter(page.xpath("//@id"))
    assert not [i for i, n in ids.items() if n > 1]
    for svg in page.xpath("//svg"):
        own = set(svg.xpath(".//@id"))
        references = set()
        for element in svg.iter():
            for name, value in element.attrib.items():
                references |= set(re.findall(r"url\(#([^)]+)\)", value))
                if name.endswith("href") and value.startswith("#"):
                    references.add(value[1:])
        assert references and references <= own, sorted(references - own)


def test_each_charts_data_is_one_click_away_as_a_table(page, report):
    for chart_id in report.charts:
        link = page.xpath(f"//figure[@id='chart-{chart_id}']//figcaption//a")
        assert len(link) == 1, chart_id
        target = page.xpath(f"//*[@id='{link[0].get('href')[1:]}']")[0]
        table = target.xpath(".//table")[0]
        assert table.xpath(".//thead//th[@scope='col']") and table.xpath(".//tbody//th[@scope='row']")
        back = target.xpath(".//a[@href]")
        assert [a.get("href") for a in back] == [f"#chart-{chart_id}"]


def test_scrolling_frames_are_labelled_keyboard_regions(page):
    frames = page.xpath("//*[contains(@class, 'table-scroll') or contains(@class, 'chart-card')]")
    assert frames
    for frame in frames:
        assert frame.get("role") == "region" and frame.get("tabindex") == "0"
        label = page.xpath(f"//*[@id='{frame.get('aria-labelledby')}']")
        assert label and normalise(label[0].text_content())


def test_nothing_needs_a_script_or_the_network(web_dir, page):
    assert not page.xpath("//script | //*[@*[starts-with(name(), 'on')]]")
    for element in page.iter():
        for name in ("src", "href"):
            value = element.get(name)
            if value is None or element.tag == "a":
                continue
            assert not urlsplit(value).scheme and not value.startswith("//"), value
            assert (web_dir / value).is_file(), value
    css = (web_dir / "site.css").read_text()
    for url in re.findall(r"url\(\"?([^\")]+)", css):
        assert not urlsplit(url).scheme and (web_dir / url).is_file(), url
    assert "@media (prefers-color-scheme: dark)" in css and "@media print" in css


# --- built like every output ---------------------------------------------------------------------


def test_same_inputs_same_bytes_in_another_process(pdf_build, web_dir, tmp_path):
    """Built again by the command in a fresh process (other hash seed, no cache of this one's
    fonts, pictures or templates), the web edition is the same bytes."""
    report = pdf_build.report
    command = [sys.executable, "-P", "-m", "render", "build", str(report.content_dir), "--only", "web"]
    command += ["--out", str(tmp_path), "--styles", str(report.styles_dir), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "1"}
    subprocess.run(command, check=True, env=env, cwd=tmp_path)
    assert _files(tmp_path / "web") == _files(web_dir)


def _files(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_a_passage_in_another_language_keeps_its_language_and_pictures_are_copied(tiny_content, tmp_path):
    intro = tiny_content / "sections" / "intro.md"
    (tiny_content / "images").mkdir()
    (tiny_content / "images" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    )
    intro.write_text(
        intro.read_text()
        + "\nWe say [gracias]{lang=es} to every volunteer.\n\n![A black bar](images/dot.svg)\n"
    )
    out = build(tiny_content, tmp_path / "out", styles_dir=STYLES, formats=("web",)).outputs["web"]
    page = html.parse(str(out / "index.html")).getroot()
    assert [(s.get("lang"), s.text) for s in page.xpath("//main//*[@lang]")] == [("es", "gracias")]
    image = page.xpath("//main//img")[0]
    assert image.get("alt") == "A black bar" and (image.get("width"), image.get("height")) == ("40", "20")
    assert (out / image.get("src")).read_bytes() == (tiny_content / "images" / "dot.svg").read_bytes()
