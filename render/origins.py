"""Which HTML element made each structure element of the tagged PDF.

WeasyPrint builds the PDF's structure tree page by page from its layout boxes, so one HTML element
can become several structure elements: a paragraph split by a page break becomes two P, a link
wrapping onto a second line two Link, a chapter's container one Div per page (WeasyPrint issues
#2902, #2903). It also maps HTML to PDF roles with a fixed table, so a contents list is an ordinary
list. Knowing each structure element's HTML element lets tagging.py repair both at the root: join
the pieces of one element, and give elements the role our templates ask for with `data-pdf`.

The record is taken with a small wrapper around WeasyPrint's `_build_box_tree` (WeasyPrint 70;
the project pins `weasyprint>=70,<71`). The wrapper does not change what WeasyPrint writes; it
notes, for each structure element it returns, the object number and the HTML element's tag,
attributes and text. If a WeasyPrint release renames the function, `recording` yields an empty
record and the repairs that need it are skipped; the tests then fail loudly.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .weasyprint_libs import weasyprint  # noqa: F401 (first: its fast library lookup)

_tags = importlib.import_module("weasyprint.pdf.tags")


@dataclass(frozen=True)
class Origin:
    """The HTML element behind a structure element: `key` is the same for every piece of it."""

    key: int
    tag: str
    attrs: dict[str, str] = field(hash=False)
    text: str = ""

    @property
    def role(self) -> str:
        """The role a template asked for with data-pdf (e.g. "TOC", "artifact"), or ""."""
        return self.attrs.get("data-pdf", "")


@dataclass
class Record:
    """Object number of each structure element → the HTML element it came from."""

    origins: dict[int, Origin] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.origins)


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


@contextmanager
def recording() -> Iterator[Record]:
    """While active, every structure element WeasyPrint creates is recorded with its origin."""
    record = Record()
    original = getattr(_tags, "_build_box_tree", None)
    if original is None:  # an unexpected WeasyPrint: record nothing
        yield record
        return
    keys: dict[int, int] = {}
    elements: list = []  # keep the HTML elements alive so id() stays unique while recording

    def build(box, *args, **kwargs):
        for element in original(box, *args, **kwargs):
            html = getattr(getattr(box, "_box", box), "element", None)
            tag = getattr(getattr(box, "_box", box), "element_tag", None)
            if html is not None and tag not in ("html", "body") and getattr(element, "number", None):
                if id(html) not in keys:
                    keys[id(html)] = len(keys) + 1
                    elements.append(html)
                attrs = {
                    k: v
                    for k, v in html.attrib.items()
                    if k in ("class", "id", "data-pdf", "data-pdf-table", "href", "lang")
                }
                text = _text(html) if tag and tag.split(":")[0] == "a" else ""
                record.origins.setdefault(element.number, Origin(keys[id(html)], tag or "", attrs, text))
            yield element

    _tags._build_box_tree = build
    try:
        yield record
    finally:
        _tags._build_box_tree = original
