"""Page flow: a figure that does not fit where it is written may move past a paragraph or two.

WeasyPrint has no page floats, so a chart or table too tall for the space left on a page is
pushed whole to the next page, leaving a gap (a third of a page, sometimes half). Print designers
let such a figure "float" down past the next paragraph so the text fills the gap. We do the
same, within the rules a reader relies on: a figure moves only past a few of the paragraphs that
follow it in its own section (never past a heading, another figure or the section's end), the
decision is made from one laid-out pass, and the result is laid out once more, so the build costs
at most one extra pass. The moved order is the HTML order, so it is also the reading order of
the tagged PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout import LaidOutReport

MAX_PARAGRAPHS = 3  # a figure moves past at most this many paragraphs
GAP = 0.12  # a page whose bottom eighth (or more) is empty before a pushed figure is worth fixing


@dataclass(frozen=True)
class Placed:
    """Where a flow block was laid out: page index, top and bottom (CSS px, from the page top)."""

    page: int
    top: float
    bottom: float


def _flow_boxes(document) -> tuple[dict[str, Placed], list[float], list[float], set[str]]:
    """Each flow block's first placement; for each page the bottom of its content and of its
    content area; and the blocks split over two pages."""
    placed: dict[str, Placed] = {}
    split: set[str] = set()
    used: list[float] = []
    area: list[float] = []
    for index, page in enumerate(document.pages):
        box = page._page_box
        area.append(box.content_box_y() + box.height)
        lowest = box.content_box_y()
        stack = [child for child in box.children if type(child).__name__ != "MarginBox"]
        while stack:
            b = stack.pop()
            bottom = b.position_y + b.margin_height()
            if (
                getattr(b, "height", 0)
                and bottom > lowest
                and type(b).__name__ in ("LineBox", "BlockReplacedBox")
            ):
                lowest = bottom
            element = getattr(b, "element", None)
            flow = element.get("data-flow") if element is not None else None
            if flow and type(b).__name__ == "BlockBox":
                if flow not in placed:
                    placed[flow] = Placed(index, b.position_y, bottom)
                elif placed[flow].page != index:
                    split.add(flow)
            stack.extend(getattr(b, "children", None) or [])
        used.append(lowest)
    return placed, used, area, split


def plan_moves(document, layout: LaidOutReport) -> dict[str, int]:
    """Which movable blocks to move down, and past how many blocks, to fill the gaps that figures
    pushed to the next page left behind."""
    placed, used, area, split = _flow_boxes(document)
    moves: dict[str, int] = {}
    for chapter in layout.chapters:
        for section in (chapter.opener, *chapter.sections):
            blocks = section.blocks
            for i, block in enumerate(blocks):
                if block.kind == "key-figure" and block.flow in split and i > 0:
                    # WeasyPrint lays a float out as if on an empty page, so break-inside: avoid does
                    # not keep it whole: one split by a page break moves up past the paragraph before.
                    before = blocks[i - 1]
                    if before.kind == "prose" and not before.html.lstrip().startswith("<h"):
                        moves[block.flow] = -1
                    continue
                where = placed.get(block.flow)
                if not block.movable or where is None or i == 0 or where.page == 0:
                    continue
                before = placed.get(blocks[i - 1].flow)
                if before is None or before.page != where.page - 1:
                    continue  # not pushed: the block before it is on the same page
                page = where.page - 1
                height = area[page] - document.pages[page]._page_box.content_box_y()
                gap = area[page] - used[page]
                if gap < GAP * height:
                    continue
                steps, filled, paragraphs = 0, 0.0, 0
                for follower in blocks[i + 1 :]:
                    if follower.kind not in ("prose", "key-figure") or follower.html.lstrip().startswith(
                        "<h"
                    ):
                        break
                    box = placed.get(follower.flow)
                    size = box.bottom - box.top if box else 0.0
                    if follower.kind == "prose":
                        if paragraphs == MAX_PARAGRAPHS or filled + size > gap:
                            break
                        paragraphs += 1
                        filled += size
                    steps += 1
                if paragraphs:
                    moves[block.flow] = steps
    return moves
