"""Page flow: a figure that does not fit where it is written may move past a paragraph or two.

WeasyPrint has no page floats, so a chart or table too tall for the space left on a page is
pushed whole to the next page, leaving a gap (a third of a page, sometimes half). Print designers
let such a figure "float" down past the next paragraph so the text fills the gap. We do the
same, within the rules a reader relies on: a figure moves only past a few of the paragraphs that
follow it in its own section (never past a heading, another figure or the section's end), the
decision is made from a laid-out pass, and the result is laid out once more. The moved order is
the HTML order, so it is also the reading order of the tagged PDF.

The deciding pass is made chapter by chapter (plan_flow): every chapter starts on a new page and
no page style differs between left and right, so a chapter's pages break the same way alone as
in the whole report. Each chapter's decision is kept in the build cache under a key of everything
its layout depends on (its HTML, the stylesheet, the fonts and pictures it uses, WeasyPrint and
this code), so an edit re-lays only the chapter it touches before the final pass, and an
unchanged report is laid out once. Cached or not, the decisions, and so the bytes, are the same.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cache_store import file_digest, prune, read_entry, write_entry
from .forked import Forked
from .layout import LaidOutReport

FORMAT = b"impact-report flow decision 1\n"
MAX_ENTRIES = 400  # a few hundred bytes each: the decisions of many versions of every chapter

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
class _Pending:
    """A chapter whose decision is not in the cache: its HTML alone, and where the decision goes."""

    chapter: str  # the chapter's id: its last decision is the guess for the next build
    alone: LaidOutReport
    html: str
    path: Path | None


def _decide(pending: _Pending, lay: Callable[[str], object]) -> dict[str, int]:
    return plan_moves(lay(pending.html), pending.alone)


class FlowPlan:
    """The moves to lay the report out with. When a chapter's decision was guessed (the one it had
    before a small edit) while a child process decides it, `confirmed()` says the true moves, and
    the caller lays the report out again only if they differ: a guess changes the time, never the
    bytes."""

    def __init__(
        self,
        moves: dict[str, int],
        settled: dict[str, int] | None = None,
        guessed: list[_Pending] | None = None,
        child: Forked | None = None,
        lay: Callable[[str], object] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.moves = moves
        self._settled, self._guessed, self._child = settled, guessed or [], child
        self._lay, self._cache_dir = lay, cache_dir

    def confirmed(self) -> dict[str, int]:
        """The true moves: the guesses checked against the child's decisions (made here instead
        when the child failed)."""
        if not self._guessed:
            return self._settled if self._settled is not None else self.moves
        found = self._child.result() if self._child else None
        moves = dict(self._settled or {})
        for i, pending in enumerate(self._guessed):
            decided = found.get(str(i)) if found is not None else None
            if decided is None:
                decided = _decide(pending, self._lay)
            _record(pending, decided, self._cache_dir)
            moves.update(decided)
        self._guessed, self._settled = [], moves
        return moves

    def close(self) -> None:
        """Stop the child if the build ended before asking for it (an error on the way)."""
        if self._child:
            self._child.close()


def plan_flow(
    layout: LaidOutReport,
    chapter_html: Callable[[LaidOutReport], str],
    css: str,
    lay: Callable[[str], object],
    cache_dir: Path | None,
    *,
    guess: bool = False,
    share: bool = False,
    ready: Callable[[], None] | None = None,
) -> FlowPlan:
    """plan_moves for every chapter, each from a layout of that chapter alone (chapter_html makes
    the HTML of a report holding only it), read from cache_dir when laid out before.

    With a core to spare, chapters still to decide are laid out in a forked child process beside
    this one (forked.py): with `guess`, after a small edit, the child checks each chapter's last
    decision while this process lays the whole report out with it; with `share`, the two share
    the chapters to decide."""
    moves: dict[str, int] = {}
    pending: list[_Pending] = []
    for chapter in layout.chapters:
        blocks = [b for s in (chapter.opener, *chapter.sections) for b in s.blocks]
        if not any(b.movable or b.kind == "key-figure" for b in blocks):
            continue  # nothing in it can move
        alone = replace(layout, chapters=(chapter,), glance=(), appendix=())
        html = chapter_html(alone)
        path = cache_dir / f"{_flow_key(html, css)}.json" if cache_dir is not None else None
        stored = read_entry(path, FORMAT) if path is not None else None
        if stored is not None:
            moves.update(json.loads(stored))
        else:
            pending.append(_Pending(chapter.opener.id, alone, html, path))
    ready = ready or (lambda: None)
    if not pending:
        ready()
        return FlowPlan(moves)
    if guess:
        guesses = _guesses(pending, cache_dir)
        if guesses is not None:
            child = Forked.start(lambda: {str(i): _decide(p, lay) for i, p in enumerate(pending)}, done=ready)
            if child is not None:
                guessed = dict(moves)
                for guess in guesses:
                    guessed.update(guess)
                return FlowPlan(guessed, moves, pending, child, lay, cache_dir)
    theirs: list[_Pending] = []
    if share and len(pending) > 1:
        # The biggest chapters first, each to the side with less to lay out so far.
        ours_size = theirs_size = 0
        for p in sorted(pending, key=lambda p: -len(p.html)):
            if theirs_size < ours_size:
                theirs.append(p)
                theirs_size += len(p.html)
            else:
                ours_size += len(p.html)
    child = Forked.start(lambda: {str(i): _decide(p, lay) for i, p in enumerate(theirs)}) if theirs else None
    if child is None:
        theirs = []
    theirs_ids = {id(p) for p in theirs}
    try:
        decided = {id(p): _decide(p, lay) for p in pending if id(p) not in theirs_ids}
        found = (child.result() if child else None) or {}
    finally:
        if child:
            child.close()
    for i, p in enumerate(theirs):
        got = found.get(str(i))
        decided[id(p)] = got if got is not None else _decide(p, lay)
    for p in pending:  # in the chapters' order, whoever decided them
        _record(p, decided[id(p)], cache_dir)
        moves.update(decided[id(p)])
    # The chapters laid out here (1.5 MB a page, held in reference cycles) are garbage now: free
    # them before the report is laid out.
    gc.collect()
    ready()
    return FlowPlan(moves)


# A chapter's last decision is guessed for its next build only when its blocks are the same and
# their HTML differs by fewer characters than this in all (about a line of text): a wrong guess
# costs a whole layout (3 s for 2022), a right one saves the chapter's own (0.6 s).
GUESS_WITHIN = 120
HINT = b"impact-report flow hint 1\n"


def _shape(alone: LaidOutReport) -> list[list]:
    return [
        [b.flow, b.kind, len(b.html)]
        for s in (alone.chapters[0].opener, *alone.chapters[0].sections)
        for b in s.blocks
    ]


def _hint_path(cache_dir: Path, chapter: str) -> Path:
    return cache_dir / f"hint-{hashlib.sha256(chapter.encode()).hexdigest()[:32]}.json"


def _guesses(pending: list[_Pending], cache_dir: Path | None) -> list[dict[str, int]] | None:
    """Each pending chapter's last decision, if every one of them has one from a version of the
    chapter that differs only a little; else None."""
    if cache_dir is None:
        return None
    guesses = []
    for p in pending:
        stored = read_entry(_hint_path(cache_dir, p.chapter), HINT)
        hint = json.loads(stored) if stored is not None else None
        shape = _shape(p.alone)
        if (
            hint is None
            or len(hint["shape"]) != len(shape)
            or any(a[:2] != b[:2] for a, b in zip(hint["shape"], shape))
            or sum(abs(a[2] - b[2]) for a, b in zip(hint["shape"], shape)) > GUESS_WITHIN
        ):
            return None
        guesses.append(hint["moves"])
    return guesses


def _record(pending: _Pending, decided: dict[str, int], cache_dir: Path | None) -> None:
    """Keep a decision under its chapter's key, and as the guess for the chapter's next version."""
    if pending.path is None or cache_dir is None:
        return
    write_entry(pending.path, FORMAT, json.dumps(decided, sort_keys=True).encode())
    hint = {"shape": _shape(pending.alone), "moves": decided}
    write_entry(_hint_path(cache_dir, pending.chapter), HINT, json.dumps(hint, sort_keys=True).encode())
    prune(cache_dir, MAX_ENTRIES)


def _flow_key(html: str, css: str) -> str:
    """A digest of everything a chapter's page breaks depend on."""
    h = hashlib.sha256(_code_version().encode())
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


@cache
def _code_version() -> str:
    h = hashlib.sha256(f"flow 1 {sys.version}".encode())
    here = Path(__file__).parent
    for name in ("flow.py", "layout.py", "pdf.py"):
        h.update((here / name).read_bytes())
    for dist in ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "fonttools"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(dist.encode())
    return h.hexdigest()
