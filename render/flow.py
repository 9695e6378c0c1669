"""Page flow: a figure that does not fit where it is written may move past a paragraph or two.

WeasyPrint has no page floats, so a chart or table too tall for the space left on a page is
pushed whole to the next page, leaving a gap (a third of a page, sometimes half). Print designers
let such a figure "float" down past the next paragraph so the text fills the gap. We do the
same, within the rules a reader relies on: a figure moves only past a few of the paragraphs that
follow it in its own section (never past a heading, another figure or the section's end), the
decision is made from a laid-out pass, and the result is laid out once more. The moved order is
the HTML order, so it is also the reading order of the tagged PDF.

The deciding layout is the part's own (pdf_parts.py: a chapter is a part, laid out alone as it
breaks in the whole report). Its plan (the moves, its number of pages and where the contents'
targets fall) is kept in the build cache under a key of everything its layout depends on (its
HTML, the stylesheet, the fonts and pictures it uses, WeasyPrint and this code), so an edit
decides again only for the part it touches. Cached or not, the plans, and so the bytes, are the
same.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cache_store import file_digest, prune, read_entry, write_entry
from .layout import LaidOutReport
from .output_cache import code_version

FORMAT = b"impact-report flow plan 2\n"
MAX_ENTRIES = 400  # a few hundred bytes each: the plans of many versions of every part

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


@dataclass(frozen=True)
class Plan:
    """How a part lays out (pdf_parts.py): the figures it moves (plan_moves), its number of
    pages once they are moved, and the page, counted from its first, of each place the contents
    point to."""

    moves: dict[str, int]
    pages: int
    anchors: dict[str, int]

    def as_json(self) -> dict:
        return {"moves": self.moves, "pages": self.pages, "anchors": self.anchors}

    @classmethod
    def from_json(cls, raw) -> Plan | None:
        """The plan stored as `raw` (as_json), or None when it is not one."""
        try:
            return cls(
                {str(k): int(v) for k, v in raw["moves"].items()},
                int(raw["pages"]),
                {str(k): int(v) for k, v in raw["anchors"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def plan_of(document, moves: dict[str, int], targets: set[str]) -> Plan:
    """The plan a laid-out part (laid out with `moves`) had: its pages and its anchors' pages."""
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name in targets:
                anchors.setdefault(name, index)
    return Plan(moves, len(document.pages), anchors)


# A part's last plan is guessed for its next version only when its blocks are the same and their
# HTML differs by fewer characters than this in all (about a line of text): a wrong guess costs a
# second layout of the part, a right one saves one.
GUESS_WITHIN = 120
HINT = b"impact-report flow hint 2\n"


class PlanCache:
    """The plans of parts laid out before, kept in `folder` (None: nothing is kept) under a key of
    everything the part's layout depends on; and each part's last plan, as the guess for its next
    version after a small edit."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def key(self, html: str, css: str) -> str:
        return flow_key(html, css)

    def get(self, key: str) -> Plan | None:
        if self.folder is None:
            return None
        data = read_entry(self.folder / f"{key}.json", FORMAT)
        try:
            return Plan.from_json(json.loads(data)) if data is not None else None
        except ValueError:
            return None

    def put(self, key: str, plan: Plan, part: str, alone: LaidOutReport) -> None:
        """Keep a plan under its key, and as the guess for the part's next version."""
        if self.folder is None:
            return
        write_entry(self.folder / f"{key}.json", FORMAT, json.dumps(plan.as_json(), sort_keys=True).encode())
        hint = {"shape": _shape(alone), "plan": plan.as_json()}
        write_entry(self._hint(part), HINT, json.dumps(hint, sort_keys=True).encode())
        prune(self.folder, MAX_ENTRIES)

    def guess(self, part: str, alone: LaidOutReport) -> Plan | None:
        """The part's last plan if its last version differs from this one only a little."""
        if self.folder is None or not alone.chapters:
            return None
        stored = read_entry(self._hint(part), HINT)
        try:
            hint = json.loads(stored) if stored is not None else None
            before, plan = hint["shape"], Plan.from_json(hint["plan"])
        except (ValueError, KeyError, TypeError):
            return None
        shape = _shape(alone)
        if (
            plan is None
            or len(before) != len(shape)
            or any(a[:2] != b[:2] for a, b in zip(before, shape))
            or sum(abs(a[2] - b[2]) for a, b in zip(before, shape)) > GUESS_WITHIN
        ):
            return None
        return plan

    def _hint(self, part: str) -> Path:
        assert self.folder is not None
        return self.folder / f"hint-{hashlib.sha256(part.encode()).hexdigest()[:32]}.json"


def _shape(alone: LaidOutReport) -> list[list]:
    return [
        [b.flow, b.kind, len(b.html)]
        for chapter in alone.chapters
        for s in (chapter.opener, *chapter.sections)
        for b in s.blocks
    ]


def flow_key(html: str, css: str) -> str:
    """A digest of everything a part's page breaks depend on: its HTML, the stylesheet, the files
    they name (fonts, pictures), and the code and libraries (output_cache.code_version)."""
    h = hashlib.sha256(FORMAT + code_version().encode())
    h.update(html.encode() + b"\0" + css.encode())
    for url in sorted(set(re.findall(r"file://[^\"')\s]+", html + css))):
        h.update(url.encode() + b"=" + _file_digest(unquote(urlsplit(url).path)).encode())
    return h.hexdigest()


def _file_digest(path: str) -> str:
    """A referenced file's (a font's, an image's) SHA-256, hashed once per process and version."""
    try:
        st = Path(path).stat()
    except OSError:
        return "missing"
    return file_digest(Path(path), st.st_size, st.st_mtime_ns)
