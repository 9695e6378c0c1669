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
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
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
from .part_hooks import Margins, counting_pages, first_page_css, linking_out, recount
from .paths import Resolver
from .pdf_merge import WrittenPart, decode_part, encode_part, merge
from .pdf_parts import Part, anchor_ids, contents_targets, parts_of, whole, with_page_numbers
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
    """A part as WeasyPrint laid it out here: from which HTML, from which page number, and what
    its margin boxes were made from (to count the report's pages in them once that is known)."""

    html: str
    first_page: int
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

    def lay(self, html: str, first_page: int, total: int | None = None) -> LaidOutPart:
        numbering = weasyprint.CSS(string=first_page_css(first_page), font_config=self.fonts)
        document = weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        with counting_pages(total) as margins:
            laid = document.render(
                stylesheets=[self.stylesheet, numbering], font_config=self.fonts, pdf_variant=self.variant
            )
        return LaidOutPart(html, first_page, laid, margins)

    def write(self, part: LaidOutPart, total: int, elsewhere: set[str]) -> WrittenPart:
        """The part's PDF, its pages counting `total`, links to `elsewhere` (other parts' ids) kept."""
        recount(part.margins, total)
        with linking_out(elsewhere), deferred_subsetting(self.font_files) as deferred, recording() as record:
            data = part.document.write_pdf(pdf_variant=self.variant)
        return WrittenPart(data, record, dict(deferred), len(part.document.pages))


PART_FORMAT = b"impact-report pdf part 1\n"
FONT_FORMAT = b"impact-report font subset 1\n"
MAX_PARTS = 200  # tens of kilobytes each (the fonts are kept apart): every part of a few versions
MAX_FONTS = 40


class PartStore:
    """Written parts and font subsets kept in the build cache (None: nothing is kept)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @staticmethod
    def key(html: str, css: str, first_page: int, total: int, variant: str) -> str:
        h = hashlib.sha256(PART_FORMAT + flow_key(html, css).encode())
        h.update(f"{first_page}/{total}/{variant}".encode())
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
    guess: bool = False,
    ready: Callable[[], None] | None = None,
) -> bytes:
    """The tagged PDF: every part planned (its figures moved to fill the gaps a pushed figure
    leaves: flow.py), laid out, written and joined; plans and written parts read from cache_dir
    when their inputs are unchanged. With `guess`, a part edited a little is laid out with its
    last plan while a forked child checks it. `ready` is called once no child is needed any more:
    the build's worker begins then."""
    standard = pdf_standard or report.meta.pdf_standard
    variant = f"pdf/{standard}"
    ready = ready or (lambda: None)
    try:
        with (
            _source_date(report.meta.published_year),
            reproducible_subsetting(),
            cached_page_references(),
            whole_word_svg_text(),
        ):
            writer = PartWriter(report, theme, source.css, variant)
            store = PartStore(cache_dir)
            plans = PlanCache(cache_dir / "flow" if cache_dir else None)
            parts, planned, laid = _plan(report, theme, source, writer, plans, guess=guess)
            ready()
            written = _write(report, theme, source, writer, store, parts, planned, laid)
            del laid
            gc.collect()  # the laid-out pages (1.5 MB a page, in reference cycles) before the join
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


def _alone(layout: LaidOutReport, part: Part) -> LaidOutReport:
    """The report holding only the part's chapters, as the flow decision reads it."""
    return replace(layout, chapters=part.chapters, glance=(), appendix=())


def _plan(report, theme, source, writer, plans, guess):
    """Every part's plan, in page order: from the cache, or laid out here (and then kept, laid
    out, in `laid` when that layout is the part's final one)."""
    layout = source.layout
    targets = set(contents_targets(layout))
    parts = parts_of(layout, source.css)
    found: list[Plan] = []
    laid: dict[int, LaidOutPart] = {}
    first_page = 1
    for index, part in enumerate(parts):
        html = _html(report, theme, layout, with_page_numbers(part, layout, None))
        key = plans.key(html, source.css)
        plan = plans.get(key)
        if plan is None:
            alone = _alone(layout, part)

            def moved_html(moves: dict[str, int], part: Part = part) -> str:
                moved = layout.moved(moves)
                return _html(report, theme, moved, with_page_numbers(part.moved(moved), moved, None))

            last = plans.guess(part.name, alone) if guess else None
            laid[index], moves = _decide(writer, html, first_page, alone, moved_html, last)
            plan = plan_of(laid[index].document, alone, moves, targets)
            plans.put(key, plan, part.name, alone)
        found.append(plan)
        first_page += plan.pages
    return parts, found, laid


def _decide(writer, html, first_page, alone, moved_html, last: Plan | None):
    """Lay a part out and decide its moves (flow.plan_moves on the part laid out as written);
    when they move something, lay it out again with them. With the part's `last` plan, which
    moves something, the part is laid out with its moves while a forked child decides from the
    part as written: a right guess costs one layout here, a wrong one two."""
    if last is not None and last.moves:
        child = Forked.start(lambda: plan_moves(writer.lay(html, first_page).document, alone))
        if child is not None:
            try:
                final = writer.lay(moved_html(last.moves), first_page)
                moves = child.result()
            finally:
                child.close()
            if moves is None:  # the child failed: decide here
                moves = plan_moves(writer.lay(html, first_page).document, alone)
            if moves != last.moves:
                final = writer.lay(moved_html(moves), first_page) if moves else writer.lay(html, first_page)
            return final, moves
    laid = writer.lay(html, first_page)
    moves = plan_moves(laid.document, alone) if alone.chapters else {}
    return (writer.lay(moved_html(moves), first_page) if moves else laid), moves


def _write(report, theme, source, writer, store, parts, plans, laid) -> list[WrittenPart]:
    """Every part written (or read back) with the report's page numbers. A part whose page
    count differs from its plan's (its first page number changed how it breaks) moves the
    parts after it: they are made again with the true numbers."""
    moved = source.layout.moved({k: v for plan in plans for k, v in plan.moves.items()})
    for _ in range(3):
        firsts = [1 + sum(p.pages for p in plans[:i]) for i in range(len(plans))]
        total = sum(p.pages for p in plans)
        pages_of = {a: first + page for plan, first in zip(plans, firsts) for a, page in plan.anchors.items()}
        htmls = [
            _html(report, theme, moved, with_page_numbers(p.moved(moved), moved, pages_of)) for p in parts
        ]
        ids = [anchor_ids(h) for h in htmls]
        every = set().union(*ids)
        written: list[WrittenPart] = []
        for index, html in enumerate(htmls):
            key = store.key(html, source.css, firsts[index], total, writer.variant)
            part = store.get(key)
            if part is None:
                mine = laid.pop(index, None)
                if mine is None or mine.html != html or mine.first_page != firsts[index]:
                    mine = writer.lay(html, firsts[index], total)
                if len(mine.document.pages) != plans[index].pages:
                    plans[index] = replace(plans[index], pages=len(mine.document.pages))
                    break
                part = writer.write(mine, total, every - ids[index])
                store.put(key, part)
            written.append(part)
        else:
            return written
    raise RuntimeError("the parts' page numbers did not settle")  # a programming error, not content


def _moved(layout: LaidOutReport, plans: list[Plan]) -> LaidOutReport:
    return layout.moved({flow: steps for plan in plans for flow, steps in plan.moves.items()})


def _numbering(plans: list[Plan]) -> tuple[list[int], int, dict[str, int]]:
    """Each part's first page number, the report's page count, and the page of each place the
    contents point to."""
    firsts = [1 + sum(p.pages for p in plans[:i]) for i in range(len(plans))]
    pages_of = {a: first + page for plan, first in zip(plans, firsts) for a, page in plan.anchors.items()}
    return firsts, sum(p.pages for p in plans), pages_of


def whole_html(report: Report, theme: Theme, source: PdfSource, cache_dir: Path | None) -> str:
    """The report as one HTML document, its figures moved and its contents numbered as the
    build's parts are: what WeasyPrint alone would be given to make the same pages (the
    benchmark's raw run; the test that the joined parts are the whole report's pages)."""
    with whole_word_svg_text():
        writer = PartWriter(report, theme, source.css, f"pdf/{report.meta.pdf_standard}")
        plans = PlanCache(cache_dir / "flow" if cache_dir else None)
        parts, planned, _ = _plan(report, theme, source, writer, plans, guess=False)
    moved = _moved(source.layout, planned)
    return _html(report, theme, moved, with_page_numbers(whole(moved), moved, _numbering(planned)[2]))


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
            guess=job.spare_core,
            ready=job.start_apart,
        )
