"""The PDF in parts: the front matter (cover, contents, the glance spread), each chapter (its opener
page and its sections apart), the data appendix and the back cover, each laid out and written by
WeasyPrint as a document of its own and joined afterwards (pdf_merge.py).

Why: WeasyPrint lays a document out from its first page to its last every time, and a layout
cannot be kept between processes. Every part begins on a page of its own, so it breaks into pages
alone exactly as it does in the whole report; laid out with its first page number and the report's
page count, its pages are the whole report's pages. An edit then re-lays and re-writes only the
part it touches, and every other part's PDF comes from the build cache.

What the parts need from the stylesheet: each part starts a page (the stylesheet breaks before a
chapter, the appendix and the back cover, and after the cover, contents and glance pages), and no
page style depends on where a page falls in the whole document (`@page :first`, `:left`, `:right`,
`:blank`), because each part's first page is a document's first page. A stylesheet that uses such
a selector gets the report as one part: slower, never different.

Page numbers are never laid out inside a part from its own place in the report, so a part lays
out the same wherever it falls: the contents and a chapter opener's list give them as text
(`page_of`), from the other parts' plans, and the running foot's "Page 3 of 33" is made again for
the part's place once every part's length is known (part_hooks.recount). Only the parts that show
page numbers as text (`numbered`) are laid out a second time, with the numbers in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .layout import LaidOutReport, LaidOutSection
from .model import Chapter

# Page selectors that depend on a page's place in the whole document.
PLACED_PAGES = re.compile(r"@page[^{]*:(first|left|right|blank|nth)\b", re.IGNORECASE)
COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
PLACEHOLDER = "00"  # a contents page number before the pages are known (two figures wide)
_ID = re.compile(r'\bid="([^"]+)"')
_LINK = re.compile(r'\bhref="#([^"]+)"')


@dataclass(frozen=True)
class Part:
    """A run of pages that starts on a page of its own. The template (report.html.j2) shows
    what its flags say; `page_of` holds the contents' page numbers (id → number as text)."""

    name: str
    front: bool = False  # the cover, the contents and the glance spread
    chapters: tuple[Chapter[LaidOutSection], ...] = ()
    openers: bool = True  # the chapters' opener pages (of those with sections)
    bodies: bool = True  # the chapters' sections
    appendix: bool = False
    back: bool = False
    page_of: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    @property
    def numbered(self) -> bool:
        """Whether the part prints other pages' numbers: the contents, a chapter opener's list."""
        return self.front or (self.openers and any(c.sections for c in self.chapters))

    def moved(self, layout: LaidOutReport) -> Part:
        """This part with its chapters as they are in `layout` (the same report, figures moved)."""
        if not self.chapters:
            return self
        names = {c.opener.id for c in self.chapters}
        return replace(self, chapters=tuple(c for c in layout.chapters if c.opener.id in names))


def whole(layout: LaidOutReport) -> Part:
    """The whole report as one part."""
    return Part("report", front=True, chapters=layout.chapters, appendix=True, back=True)


def parts_of(layout: LaidOutReport, css: str) -> list[Part]:
    """The report's parts in page order; one part for the whole report when the stylesheet
    styles pages by their place in the whole document (see the module docstring)."""
    if PLACED_PAGES.search(COMMENT.sub("", css)):
        return [whole(layout)]
    parts = [Part("front", front=True)]
    for c in layout.chapters:
        if c.sections:  # the opener is a page of its own (the stylesheet breaks after it)
            parts.append(Part(f"opener-{c.opener.id}", chapters=(c,), bodies=False))
            parts.append(Part(f"chapter-{c.opener.id}", chapters=(c,), openers=False))
        else:
            parts.append(Part(f"chapter-{c.opener.id}", chapters=(c,)))
    if layout.appendix:
        parts.append(Part("appendix", appendix=True))
    parts.append(Part("back", back=True))
    return parts


def contents_targets(layout: LaidOutReport) -> list[str]:
    """The ids the contents give a page number for."""
    ids = [c.opener.id for c in layout.chapters] + [s.id for c in layout.chapters for s in c.sections]
    return ["at-a-glance", "appendix", *ids]


def with_page_numbers(part: Part, layout: LaidOutReport, pages: Mapping[str, int] | None) -> Part:
    """The part with the page numbers it prints filled in (placeholders while `pages`, id → page
    number, is not known yet); other parts are unchanged."""
    if not part.numbered:
        return part
    targets = contents_targets(layout)
    numbers = {t: str(pages[t]) if pages and t in pages else PLACEHOLDER for t in targets}
    return replace(part, page_of=MappingProxyType(numbers))


def anchor_ids(html: str) -> set[str]:
    """The ids of a part's HTML: the places links from other parts may point to."""
    return set(_ID.findall(html))


def link_targets(html: str) -> set[str]:
    """The ids a part's HTML links to."""
    return set(_LINK.findall(html))
