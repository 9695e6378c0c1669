"""The page-references memo (page_refs.py) keeps tagging linear without changing a byte."""

from __future__ import annotations

import pydyf
import weasyprint

from render.page_refs import cached_page_references, hook_applies


def test_the_hook_still_applies_to_this_pydyf():
    assert hook_applies(), "pydyf.PDF.page_references is no longer a property: update page_refs.py"


def test_the_list_is_built_once_per_page_count_and_equals_pydyfs():
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    plain = pdf.page_references
    with cached_page_references():
        first = pdf.page_references
        assert first == plain and pdf.page_references is first, "read again: the same tuple, not rebuilt"
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        grown = pdf.page_references
        assert len(grown) == 4 and grown is not first
    assert pdf.page_references == grown and pdf.page_references is not grown, "pydyf's own again"


def test_a_tagged_pdf_is_the_same_bytes_with_the_memo(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # both writes get the same date
    html = "<html lang=en><title>t</title>" + "".join(
        f"<h2>Part {i}</h2><p>{'words ' * 300}</p><table><tr><th>a</th><td>b</td></tr></table>"
        for i in range(6)
    )
    document = weasyprint.HTML(string=html).render(pdf_variant="pdf/ua-1")
    plain = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"x")
    with cached_page_references():
        cached = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"x")
    assert len(document.pages) > 3 and cached == plain
