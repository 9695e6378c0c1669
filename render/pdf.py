"""Stage: the PDF. Lay the model out with Jinja2 templates and print CSS; WeasyPrint writes PDF/UA-1,
part by part (pdf_parts.py), and the parts are joined into one tagged PDF (pdf_merge.py).

Structure choices follow WeasyPrint 70's tagging behaviour (see the shared notes): charts are <img>
with alt text (never <figure>), page numbers in the contents sit outside the links, decorative
graphics are CSS backgrounds, and headings never skip a level.

A part is laid out once its first page number is known (the pages of the parts before it), and
written once the report's page count is known. Two caches make a rebuild cheap: each part's plan
(its figures' moves, its pages, where the contents' targets fall: flow.py), and each part's
written PDF, keyed by its HTML, the stylesheet, its first page and the page count. After an edit,
only the edited part is laid out and written; if its number of pages changed, the parts after it
too.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from .cache_store import file_digest, prune, read_entry, write_entry
from .chart_cache import ChartPictures
from .errors import ContentError
from .flow import Plan, PlanCache, flow_key, plan_moves, plan_of
from .fontsubset import DeferredFont, deferred_subsetting, reproducible_subsetting, subset_font
from .forked import Forked
from .layout import LaidOutReport, lay_out
from .model import Prose, Report
from .origins import recording
from .output_cache import code_version
from .outputs import Job, timed
from .page_refs import cached_page_references
from .part_hooks import Margins, keeping_margins, linking_out, recount
from .paths import Resolver
from .pdf_merge import WrittenPart, decode_part, encode_part, merge
from .pdf_parts import Part, anchor_ids, contents_targets, link_targets, parts_of, whole, with_page_numbers
from .svg_text import whole_word_svg_text
from .tagging import repair
from .templates import render_style_template
from .text import link_texts
from .theme import FONT_WEIGHTS, Theme
from .weasyprint_libs import FatalURLFetchingError, FontConfiguration, URLFetcher, weasyprint


class ResolvingFetcher(URLFetcher):
    """WeasyPrint's only way to files: embedded data, or local files the resolver allows (the
    content, styles and package folders). Nothing reaches the network, and a resource that fails
    to load stops the build instead of silently disappearing. An SVG's own references come
    through here too."""

    def __init__(self, resolver: Resolver) -> None:
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)
        self.resolver = resolver

    def fetch(self, url, headers=None):
        if not url.startswith("data:") and self.resolver.url_path(url) is None:
            raise FatalURLFetchingError(f"{url} is outside the content, styles and package folders")
        return super().fetch(url, headers)


@dataclass(frozen=True)
class PdfSource:
    """What WeasyPrint lays out: the report's blocks ready for the template (each part's HTML is
    made from them, with figures moved as the flow decides), and the stylesheet."""

    layout: LaidOutReport
    css: str


def render_html(report: Report, theme: Theme, svgs: dict[str, bytes]) -> PdfSource:
    """The report's blocks laid out for the template, and its stylesheet."""
    faces = [
        {"url": path.as_uri(), "weight": FONT_WEIGHTS[style][0], "style": FONT_WEIGHTS[style][1]}
        for style, path in theme.font_files.items()
    ]
    page = theme.page
    geometry = {
        **page.model_dump(),
        "text_width_in": page.text_width_in,
        "height_in": page.height_in,
        "side_column_in": round(page.side_column_in, 3),
    }
    css = render_style_template(
        theme,
        "report.css.j2",
        "css",
        font_faces=faces,
        font_family=theme.font_family,
        c=theme.colors,
        meta=report.meta,
        page=geometry,
    )
    return PdfSource(lay_out(report, theme, svgs, nobreak=report.meta.nobreak), css)


def _html(report: Report, theme: Theme, layout: LaidOutReport, part: Part) -> str:
    """The HTML of one part of the report (pdf_parts.py)."""
    return render_style_template(theme, "report.html.j2", "html", meta=report.meta, doc=layout, part=part)


@contextmanager
def _source_date(year: int) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH while WeasyPrint writes. It subsets fonts with fontTools (fontsubset),
    which stamps each subset with the current time unless this is set; the report's publication
    year is a stable, meaningful stamp, so the same inputs give the same bytes."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(year, 1, 1, tzinfo=UTC).timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@dataclass
class LaidOutPart:
    """A part as WeasyPrint laid it out in this process: from which HTML, and what its margin
    boxes were made from (to number its pages once its place in the report is known)."""

    html: str
    document: object  # weasyprint.Document
    margins: Margins


class PartWriter:
    """WeasyPrint with the report's stylesheet, fonts and resolver, laying out and writing parts."""

    def __init__(self, report: Report, theme: Theme, css: str, variant: str) -> None:
        self.fonts = FontConfiguration()
        self.fetcher = ResolvingFetcher(theme.resolver.with_roots(report.content_dir))
        self.base_url = str(theme.styles_dir)
        self.stylesheet = weasyprint.CSS(string=css, font_config=self.fonts, url_fetcher=self.fetcher)
        self.variant = variant
        # The theme's fonts, by SHA-256: a part embeds them empty, the joined PDF once, subset.
        self.font_files = {}
        for path in theme.font_files.values():
            st = path.stat()
            self.font_files[file_digest(path, st.st_size, st.st_mtime_ns)] = path.read_bytes()

    def lay(self, html: str) -> LaidOutPart:
        document = weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        with keeping_margins() as margins:
            laid = document.render(
                stylesheets=[self.stylesheet], font_config=self.fonts, pdf_variant=self.variant
            )
        return LaidOutPart(html, laid, margins)

    def write(self, part: LaidOutPart, first_page: int, total: int, elsewhere: set[str]) -> WrittenPart:
        """The part's PDF, its pages numbered from `first_page` of `total`, its links to
        `elsewhere` (other parts' ids) kept."""
        recount(part.margins, first_page, total)
        with linking_out(elsewhere), deferred_subsetting(self.font_files) as deferred, recording() as record:
            data = part.document.write_pdf(pdf_variant=self.variant)
        return WrittenPart(data, record, dict(deferred), len(part.document.pages))


# Laid-out pages hold about 2.4 MB each, in reference cycles that only a full collection frees.
# A process keeps the layouts it planned, for step 2, up to HELD_PAGES pages (a longer report's
# other parts are laid out again when they are written), and collects once it has let go of
# COLLECT_AFTER_PAGES pages: a short report (the 2022 report's 33 pages) is never collected, which
# would cost 0.12 s, and the 10x report's build stays under 600 MB.
HELD_PAGES = 40
COLLECT_AFTER_PAGES = 100
PART_FORMAT = b"impact-report pdf part 1\n"
FONT_FORMAT = b"impact-report font subset 1\n"
MAX_PARTS = 200  # tens of kilobytes each (the fonts are kept apart): every part of a few versions
MAX_FONTS = 40


class PartStore:
    """Written parts and font subsets kept in the build cache (None: nothing is kept)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @staticmethod
    def key(html: str, css: str, first_page: int, total: int, variant: str, linked: set[str]) -> str:
        """A written part's key: what its layout depends on (flow.flow_key), its place, the PDF
        standard, and the ids in other parts it links to (a link to an id that no part has any
        more is dropped: the part's PDF changes though its HTML does not)."""
        h = hashlib.sha256(PART_FORMAT + flow_key(html, css).encode())
        h.update(f"{first_page}/{total}/{variant}/{sorted(linked)}".encode())
        return h.hexdigest()

    def get(self, key: str) -> WrittenPart | None:
        data = read_entry(self.folder / "parts" / key, PART_FORMAT) if self.folder else None
        return decode_part(data) if data is not None else None

    def put(self, key: str, part: WrittenPart) -> None:
        if self.folder is not None:
            write_entry(self.folder / "parts" / key, PART_FORMAT, encode_part(part))
            prune(self.folder / "parts", MAX_PARTS)

    def subset(self, data: bytes, uses: list[DeferredFont]) -> bytes:
        """The font file subset to every use's glyphs (fontsubset.subset_font), kept by them."""
        h = hashlib.sha256(FONT_FORMAT + code_version().encode())
        h.update(
            repr(sorted({(u.digest, u.index, u.glyphs, u.hinting, u.notdef_outline) for u in uses})).encode()
        )
        path = self.folder / "fonts" / h.hexdigest() if self.folder else None
        stored = read_entry(path, FONT_FORMAT) if path else None
        if stored is not None:
            return stored
        made = subset_font(data, uses)
        if path is not None:
            write_entry(path, FONT_FORMAT, made)
            prune(path.parent, MAX_FONTS)
        return made


def render_pdf(
    report: Report,
    theme: Theme,
    source: PdfSource,
    pdf_standard: str | None = None,
    cache_dir: Path | None = None,
    *,
    helpers: bool = False,
) -> bytes:
    """The tagged PDF: every part planned (its figures moved to fill the gaps a pushed figure
    leaves: flow.py), written with its page numbers, and the parts joined; plans and written parts
    read from cache_dir when their inputs are unchanged. With `helpers` (a core to spare), forked
    children share the work (_Parts)."""
    standard = pdf_standard or report.meta.pdf_standard
    try:
        with (
            _source_date(report.meta.published_year),
            reproducible_subsetting(),
            cached_page_references(),
            whole_word_svg_text(),
        ):
            writer = PartWriter(report, theme, source.css, f"pdf/{standard}")
            store = PartStore(cache_dir)
            parts = _Parts(
                report, theme, source, writer, PlanCache(cache_dir / "flow" if cache_dir else None), store
            )
            written = parts.made(helpers)
            del parts
            pdf, record = merge(
                written, lambda name, uses: store.subset(writer.font_files[uses[0].digest], uses)
            )
            return repair(pdf, link_descriptions(report), record, ua2=standard == "ua-2")
    except FatalURLFetchingError as e:
        raise ContentError(
            theme.styles_dir,
            f"a resource could not be loaded: {e}",
            hint="only files in the content and styles folders can be used; check url(…) in the "
            "stylesheet and the references inside SVG pictures",
        ) from None


class _PagesMoved(Exception):
    """A part laid out with its page numbers has more or fewer pages than planned."""


class _Parts:
    """The report's parts through their two steps, with a forked child sharing each when a core
    is free:

    1. Plan every part whose plan is not cached: lay it out as written, decide its moves, and lay
       it out again with them if there are any (flow.py). This process and the child each take
       the biggest part left; each keeps the layouts it made (up to HELD_PAGES).
       With a single part to plan (after an edit), its last plan is guessed while the child
       checks it (`_decide`).
    2. Write every part whose PDF is not cached, with its place in the report (its first page
       number, the report's page count, the other parts' page numbers it prints). A part is
       written where it was laid out; parts to lay out now are shared by their size.

    A layout does not depend on where its part falls, so a part laid out in step 1 is written as
    it is, only its running foot numbered anew (part_hooks.recount); the parts that print other
    pages' numbers (the contents, a chapter opener) are laid out again with them, here."""

    def __init__(self, report, theme, source, writer: PartWriter, plans: PlanCache, store: PartStore) -> None:
        self.report, self.theme, self.layout, self.css = report, theme, source.layout, source.css
        self.writer, self.plan_cache, self.store = writer, plans, store
        self.parts = parts_of(self.layout, self.css)
        self.targets = set(contents_targets(self.layout))
        self.as_written = [self.html(i) for i in range(len(self.parts))]  # figures where written
        self.keys = [plans.key(html, self.css) for html in self.as_written]
        self.cost = [_cost(html) for html in self.as_written]  # how long a part takes to lay out
        self.plans: list[Plan | None] = [plans.get(key) for key in self.keys]
        self.laid: dict[int, LaidOutPart] = {}  # final layouts made in this process
        self.held = self.dropped = 0  # pages of layouts kept, and let go since the last collection
        self.theirs: set[int] = set()  # parts the child laid out (and keeps)
        self._placed_for: list[Plan] | None = None  # the plans `placed` last worked from

    def html(
        self, index: int, moves: dict[str, int] | None = None, pages: dict[str, int] | None = None
    ) -> str:
        """A part's HTML: as written, or with figures moved; page numbers, or placeholders."""
        layout = self.layout.moved(moves) if moves else self.layout
        part = self.parts[index].moved(layout)
        return _html(self.report, self.theme, layout, with_page_numbers(part, layout, pages))

    def made(self, helpers: bool) -> list[WrittenPart]:
        """Every part's PDF, in page order."""
        child = self._plan(helpers)
        try:
            return self._write(child, helpers)
        finally:
            if child is not None:
                child.close()

    # Step 1

    def decide(self, index: int, last: Plan | None = None) -> None:
        """Plan a part: lay it out, decide its moves, lay it out again with them when there are any
        (with `last`, the part's last plan, guessed: see _decide). Its final layout is kept unless
        it prints page numbers."""
        part, html = self.parts[index], self.as_written[index]
        alone = replace(self.layout, chapters=part.chapters, glance=(), appendix=())
        laid, moves = _decide(self.writer, html, alone, lambda moves: self.html(index, moves), last)
        plan = plan_of(laid.document, moves, self.targets)
        self.plans[index] = plan
        self.plan_cache.put(self.keys[index], plan, part.name, alone)
        if moves:
            self._let_go(plan.pages)  # the layout as written
        if not part.numbered and self.held + plan.pages <= HELD_PAGES:
            self.laid[index] = laid
            self.held += plan.pages
        else:
            self._let_go(plan.pages)

    def _let_go(self, pages: int) -> None:
        self.dropped += pages
        if self.dropped > COLLECT_AFTER_PAGES:
            gc.collect()
            self.dropped = 0

    def _plan(self, helpers: bool) -> Forked | None:
        """Step 1. The child, when one planned parts and keeps their layouts for step 2."""
        todo = [i for i, plan in enumerate(self.plans) if plan is None]
        if helpers and len(todo) >= 2:
            return self._plan_from_both_ends(todo)
        for index in todo:
            alone = replace(self.layout, chapters=self.parts[index].chapters, glance=(), appendix=())
            last = self.plan_cache.guess(self.parts[index].name, alone) if helpers else None
            self.decide(index, last)
        return None

    def _plan_from_both_ends(self, todo: list[int]) -> Forked | None:
        """Plan the parts here and in a child, each taking the biggest part left next (a part
        lays out alone wherever it falls, so any order will do)."""
        queue = sorted(todo, key=lambda i: -self.cost[i])
        taken = multiprocessing.RawValue("i", 0)  # shared with the child
        lock = multiprocessing.Lock()

        def claim() -> int | None:
            with lock:
                if taken.value >= len(queue):
                    return None
                taken.value += 1
                return queue[taken.value - 1]

        def planning(channel) -> dict[int, WrittenPart] | None:
            mine = []
            while (index := claim()) is not None:
                self.decide(index)
                mine.append(index)
            channel.send({index: self.plans[index] for index in mine})
            order = channel.receive()  # the plans of every part, and which parts to write here
            if order is None:
                return None
            self.plans, writing = order
            return _write_some(self, writing)

        child = Forked.start(planning, talk=True)
        while (index := claim()) is not None:
            self.decide(index)
        found = child.receive() if child is not None else None
        if found is None:  # no child, or it failed: plan its parts here
            if child is not None:
                child.close()
            for index in todo:
                if self.plans[index] is None:
                    self.decide(index)
            return None
        for index, plan in found.items():
            self.plans[index] = plan
            if not self.parts[index].numbered:
                self.theirs.add(index)
        return child

    # Step 2

    def placed(self) -> tuple[list[int], int, list[str], list[set[str]]]:
        """With the plans as they stand: each part's first page number, the report's page count,
        each part's HTML as printed, and each part's ids."""
        plans = [plan for plan in self.plans if plan is not None]
        if self._placed_for != plans:
            firsts, total, pages_of = _numbering(plans)
            htmls = [
                self.html(i, plan.moves, pages_of if self.parts[i].numbered else None)
                for i, plan in enumerate(plans)
            ]
            self._placed = (firsts, total, htmls, [anchor_ids(h) for h in htmls])
            self._placed_for = plans
        return self._placed

    def key(self, index: int) -> str:
        firsts, total, htmls, _ = self.placed()
        linked = link_targets(htmls[index]) & self._elsewhere(index)
        return self.store.key(htmls[index], self.css, firsts[index], total, self.writer.variant, linked)

    def _elsewhere(self, index: int) -> set[str]:
        """The ids of every other part."""
        ids = self.placed()[3]
        return set().union(*ids[:index], *ids[index + 1 :]) - ids[index]

    def write_one(self, index: int) -> WrittenPart:
        """Lay out (unless laid out here as it is printed) and write one part; keep it."""
        firsts, total, htmls, _ = self.placed()
        laid = self.laid.pop(index, None)
        if laid is not None:
            self.held -= len(laid.document.pages)
        if laid is None or laid.html != htmls[index]:
            laid = self.writer.lay(htmls[index])
        plan = self.plans[index]
        if plan is not None and len(laid.document.pages) != plan.pages:
            self.plans[index] = replace(plan, pages=len(laid.document.pages))
            self.laid[index] = laid
            raise _PagesMoved
        written = self.writer.write(laid, firsts[index], total, self._elsewhere(index))
        self.store.put(self.key(index), written)
        self._let_go(written.pages)
        return written

    def _write(self, child: Forked | None, helpers: bool) -> list[WrittenPart]:
        """Step 2: every part's PDF, from the cache or written, in page order."""
        for _ in range(3):
            written = {i: w for i in range(len(self.parts)) if (w := self.store.get(self.key(i))) is not None}
            todo = [i for i in range(len(self.parts)) if i not in written]
            theirs = self._share(todo, helpers or child is not None)
            if child is not None and not (theirs and child.send((self.plans, theirs))):
                child.close()
                child = None
            if theirs and child is None and helpers:
                child = Forked.start(partial(_write_some, self, theirs))
            if child is None:
                theirs = []
            try:
                for index in todo:
                    if index not in theirs:
                        written[index] = self.write_one(index)
            except _PagesMoved:  # a part prints page numbers that moved its pages: again
                if child is not None:
                    child.close()
                child, self.theirs = None, set()
                continue
            if child is not None:
                found = child.result() or {}
                child = None
                for index in theirs:
                    written[index] = found[index] if index in found else self.write_one(index)
            return [written[i] for i in range(len(self.parts))]
        raise RuntimeError("the parts' page numbers did not settle")  # a programming error, not content

    def _share(self, todo: list[int], helpers: bool) -> list[int]:
        """Which of the parts to write go to a child: those the step-1 child laid out, and of the
        parts to lay out now, enough to even out the work of both sides (a laid-out part costs
        its writing, about half its layout)."""
        if not helpers or len(todo) < 2:
            return []
        work = {i: self.cost[i] * (0.5 if i in self.laid or i in self.theirs else 1.5) for i in todo}
        theirs = [i for i in todo if i in self.theirs]
        load = [sum(work[i] for i in todo if i in self.laid), sum(work[i] for i in theirs)]
        free = [i for i in todo if i not in self.laid and i not in self.theirs]
        for index in sorted(free, key=lambda i: -work[i]):
            side = 0 if load[0] <= load[1] else 1
            load[side] += work[index]
            if side:
                theirs.append(index)
        return sorted(theirs)


def _cost(html: str) -> int:
    """A rough measure of a part's layout time: its HTML, a picture counted as a few paragraphs."""
    return len(_DATA_URI.sub("", html)) + 3000 * html.count("<img")


_DATA_URI = re.compile(r"data:[^\"']+")


def _write_some(parts: _Parts, indices: list[int]) -> dict[int, WrittenPart]:
    """In a forked child: write these parts."""
    return {index: parts.write_one(index) for index in indices}


def _decide(writer: PartWriter, html: str, alone: LaidOutReport, moved_html, last: Plan | None):
    """Lay a part out and decide its moves (flow.plan_moves on the part laid out as written);
    when they move something, lay it out again with them. With the part's `last` plan, which
    moves something, the part is laid out with its moves while a forked child decides from the
    part as written: a right guess costs one layout here, a wrong one two."""
    if last is not None and last.moves:
        child = Forked.start(lambda: plan_moves(writer.lay(html).document, alone))
        if child is not None:
            try:
                final = writer.lay(moved_html(last.moves))
                moves = child.result()
            finally:
                child.close()
            if moves is None:  # the child failed: decide here
                moves = plan_moves(writer.lay(html).document, alone)
            if moves != last.moves:
                final = writer.lay(moved_html(moves)) if moves else writer.lay(html)
            return final, moves
    laid = writer.lay(html)
    moves = plan_moves(laid.document, alone) if alone.chapters else {}
    return (writer.lay(moved_html(moves)) if moves else laid), moves


def _numbering(plans: list[Plan]) -> tuple[list[int], int, dict[str, int]]:
    """Each part's first page number, the report's page count, and the page of each place the
    contents point to."""
    firsts = [1 + sum(p.pages for p in plans[:i]) for i in range(len(plans))]
    pages_of = {a: first + page for plan, first in zip(plans, firsts) for a, page in plan.anchors.items()}
    return firsts, sum(p.pages for p in plans), pages_of


def whole_html(report: Report, theme: Theme, source: PdfSource, cache_dir: Path | None) -> str:
    """The report as one HTML document, its figures moved and its pages numbered as the build's
    parts are: what WeasyPrint alone would be given to make the same pages (the benchmark's raw
    run; the test that the joined parts are the whole report's pages)."""
    with whole_word_svg_text():
        writer = PartWriter(report, theme, source.css, f"pdf/{report.meta.pdf_standard}")
        parts = _Parts(
            report,
            theme,
            source,
            writer,
            PlanCache(cache_dir / "flow" if cache_dir else None),
            PartStore(None),
        )
        parts._plan(helpers=False)
    plans = [plan for plan in parts.plans if plan is not None]
    moved = source.layout.moved({flow: steps for plan in plans for flow, steps in plan.moves.items()})
    return _html(report, theme, moved, with_page_numbers(whole(moved), moved, _numbering(plans)[2]))


def link_descriptions(report: Report) -> dict[str, str]:
    """Every external link's address → its words, from the narrative."""
    found: dict[str, str] = {}
    texts = [b.tokens for s in report.sections for b in s.blocks if isinstance(b, Prose)]
    for source in texts + list(report.meta.how_to_help) + [report.meta.hotline]:
        for href, words in link_texts(source).items():
            found.setdefault(href, words)
    if report.meta.website:
        found.setdefault(report.meta.website, report.meta.website_name)
    return found


def chart_svgs(
    report: Report, theme: Theme, pictures: ChartPictures | None = None, apart: bool = False
) -> dict[str, bytes]:
    """Every chart as the PDF shows it, from the picture cache when one is given. With `apart` (a
    core to spare), a forked child draws half of those still to draw (each chart's bytes are the
    same whoever draws it: test_chart_cache.py)."""
    pictures = pictures or ChartPictures(None)
    todo = [cid for cid, chart in report.charts.items() if not pictures.has_svg(chart, theme)]
    theirs = todo[1::2] if apart and len(todo) > 1 else []
    child = (
        Forked.start(lambda: {cid: pictures.svg(report.charts[cid], theme) for cid in theirs})
        if theirs
        else None
    )
    try:
        drawn = {cid: pictures.svg(chart, theme) for cid, chart in report.charts.items() if cid not in theirs}
        drawn |= (child.result() if child else None) or {}
    finally:
        if child:
            child.close()
    return {
        cid: drawn[cid] if cid in drawn else pictures.svg(chart, theme)
        for cid, chart in report.charts.items()
    }


def render(report: Report, job: Job) -> bytes:
    """The PDF renderer (outputs.py): charts, then the laid-out HTML, then the tagged PDF."""
    with timed(job, "charts"):
        svgs = chart_svgs(report, job.theme, job.pictures, apart=job.spare_core)
    with timed(job, "html"):
        source = render_html(report, job.theme, svgs)
    with timed(job, "pdf"):
        cache_dir = job.pictures.folder.parent if job.pictures.folder is not None else None
        return render_pdf(
            report,
            job.theme,
            source,
            job.pdf_standard,
            cache_dir,
            helpers=job.spare_core,
        )
