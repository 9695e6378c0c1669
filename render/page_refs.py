"""Tagging in time linear in the report's length: pydyf's list of page references, built once.

    pydyf 0.13: PDF.page_references rebuilds a tuple of every page's reference on each access,
    and WeasyPrint 70's tagging (weasyprint/pdf/tags.py, _build_box_tree) reads
    `pdf.page_references[page_number]` for every structure element it makes, so writing the tag
    tree costs pages x elements: quadratic in the length of the report.

    Measured on the 2022 report repeated 3 times (97 pages, 9,314 accesses): 1.66 s of a 17.3 s
    write (cProfile); at 30 times the content the same term grows a hundredfold.
    Upstream fix, either side: WeasyPrint looks the page's reference up once per page
    (`reference = pdf.page_references[page_number]` before `_build_box_tree`, passed down), or
    pydyf keeps the tuple and rebuilds it only when `add_page` changes the page list.

`cached_page_references` does the second while our PDF is written: the property is swapped for
one that rebuilds the tuple only when the number of pages changed, so every value is the one
pydyf would have computed and the bytes are the same. If pydyf's PDF class loses the property,
`hook_applies()` turns false (tests/test_page_refs.py fails) and the build writes as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pydyf


def hook_applies() -> bool:
    return isinstance(getattr(pydyf.PDF, "page_references", None), property)


@contextmanager
def cached_page_references() -> Iterator[None]:
    """While active, pydyf.PDF.page_references is rebuilt only when pages are added."""
    if not hook_applies():
        yield
        return
    original: property = pydyf.PDF.page_references

    def page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
        count = len(pdf.pages["Kids"])
        cached = pdf.__dict__.get("_page_references")
        if cached is None or cached[0] != count:
            cached = (count, original.fget(pdf))
            pdf.__dict__["_page_references"] = cached
        return cached[1]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original
