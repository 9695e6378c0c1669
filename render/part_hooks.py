"""What WeasyPrint 70 needs to lay out and write one part of the report (pdf_parts.py) as the
whole report's pages.

- "Page 3 of 33" in the running foot: WeasyPrint numbers the pages of the document it lays out,
  from 1, and sets the `pages` counter to their number, just before it makes each page's margin
  boxes (weasyprint/layout/__init__.py, `layout_document`). `keeping_margins()` wraps
  `make_margin_boxes` to keep what each page's margin boxes were made from, so that `recount` can
  make them again with the page's number in the report and the report's page count, once the
  parts before it and after it are laid out. Margin boxes never move a page's content, so nothing
  else on the page changes, and a part is laid out the same wherever it falls.
- Links to other parts: WeasyPrint drops a link whose anchor is not in its document
  (`resolve_links`: "No anchor #x"). `linking_out(names)` lets links to those names through, as
  the named destinations they are; the joined PDF defines every part's names (pdf_merge.py).

Each hook swaps one module attribute of WeasyPrint while it is active; no WeasyPrint code is
copied. If a release moves either, `hooks_apply()` turns false, tests/test_pdf_parts.py fails,
and the build lays the report out as one part (pdf.py), which needs no hook.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .weasyprint_libs import weasyprint  # noqa: F401 (first: its fast library lookup)

_layout = importlib.import_module("weasyprint.layout")
_pdf = importlib.import_module("weasyprint.pdf")
_boxes = importlib.import_module("weasyprint.formatting_structure.boxes")
_background = importlib.import_module("weasyprint.layout.background")


def hooks_apply() -> bool:
    """Whether this WeasyPrint still calls the two functions the hooks wrap."""
    return callable(getattr(_layout, "make_margin_boxes", None)) and callable(
        getattr(_pdf, "resolve_links", None)
    )


@dataclass
class Margins:
    """What each page's margin boxes were made from, in page order, to make them again."""

    made: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (context, page box, page state)


@contextmanager
def keeping_margins() -> Iterator[Margins]:
    """While a part is laid out: what its margin boxes are made from is kept in the Margins
    yielded."""
    margins = Margins()
    original = _layout.make_margin_boxes

    def make_margin_boxes(context, page, state):
        margins.made.append((context, page, state))
        return original(context, page, state)

    _layout.make_margin_boxes = make_margin_boxes
    try:
        yield margins
    finally:
        _layout.make_margin_boxes = original


def recount(margins: Margins, first_page: int, total: int) -> None:
    """Make a laid-out part's margin boxes again for its pages' numbers in the report, the first
    being `first_page`, and a report of `total` pages."""
    for index, (context, page, state) in enumerate(margins.made):
        counters = state[1]
        if counters.get("page") == [first_page + index] and counters.get("pages") == [total]:
            continue
        counters["page"], counters["pages"] = [first_page + index], [total]
        context.current_page = index + 1  # as layout_document sets it: string() reads it
        kept = [child for child in page.children if not isinstance(child, _boxes.MarginBox)]
        page.children = (*kept, *_layout.make_margin_boxes(context, page, state))
        _background.layout_backgrounds(page, context.get_image_from_uri)


@contextmanager
def linking_out(names: set[str]) -> Iterator[None]:
    """While a part is written: links to `names` (anchors in other parts) are kept, as named
    destinations, instead of dropped for want of their anchor here."""
    original = _pdf.resolve_links

    def resolve_links(pages):
        if not pages or not names:
            yield from original(pages)
            return
        first = pages[0]
        own = first.anchors
        # Stand-ins for the other parts' anchors, so WeasyPrint keeps the links to them; the
        # stand-ins themselves are taken out of the anchors it writes.
        first.anchors = {**own, **{name: (0, 0, 0, 0) for name in sorted(names) if name not in own}}
        try:
            for links, anchors in original(pages):
                yield links, [a for a in anchors if a[0] not in names or a[0] in own]
        finally:
            first.anchors = own

    _pdf.resolve_links = resolve_links
    try:
        yield
    finally:
        _pdf.resolve_links = original
