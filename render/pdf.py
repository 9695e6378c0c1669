"""Stage: the PDF. Lay the model out with Jinja2 templates and print CSS; WeasyPrint writes PDF/UA-1.

Structure choices follow WeasyPrint 70's tagging behaviour (see the shared notes): charts are <img>
with alt text (never <figure>), page numbers in the contents sit outside the links, decorative
graphics are CSS backgrounds, and headings never skip a level.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .chart_cache import ChartPictures
from .errors import ContentError
from .flow import plan_flow
from .fontsubset import reproducible_subsetting
from .forked import Forked
from .layout import LaidOutReport, lay_out
from .model import Prose, Report
from .origins import recording
from .outputs import Job, timed
from .page_refs import cached_page_references
from .paths import Resolver
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
    """What WeasyPrint lays out: the HTML and CSS, and the layout they were made from (the flow
    pass reorders it and makes the HTML again)."""

    layout: LaidOutReport
    html: str
    css: str


def render_html(report: Report, theme: Theme, svgs: dict[str, bytes]) -> PdfSource:
    """The report as an HTML document and its stylesheet."""
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
    layout = lay_out(report, theme, svgs, nobreak=report.meta.nobreak)
    return PdfSource(layout, _html(report, theme, layout), css)


def _html(report: Report, theme: Theme, layout: LaidOutReport, chapters_only: bool = False) -> str:
    """The report's HTML; with chapters_only, its chapters alone (for the flow pass)."""
    return render_style_template(
        theme,
        "report.html.j2",
        "html",
        meta=report.meta,
        doc=layout,
        back=None if chapters_only else layout.back,
        chapters_only=chapters_only,
    )


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


def render_pdf(
    report: Report,
    theme: Theme,
    source: PdfSource,
    pdf_standard: str | None = None,
    flow_cache: Path | None = None,
    *,
    guess: bool = False,
    share: bool = False,
    ready: Callable[[], None] | None = None,
) -> bytes:
    """Let figures that would leave a half-empty page move past a paragraph or two of their own
    section (decided chapter by chapter, each decision kept in flow_cache, partly in a forked
    child with `guess` or `share`: flow.plan_flow), lay the report out, then write the tagged PDF.
    `ready` is called once the flow pass needs no child any more: the build's worker begins then."""
    fonts = FontConfiguration()
    fetcher = ResolvingFetcher(theme.resolver.with_roots(report.content_dir))
    standard = pdf_standard or report.meta.pdf_standard
    variant = f"pdf/{standard}"
    try:
        with (
            _source_date(report.meta.published_year),
            reproducible_subsetting(),
            cached_page_references(),
            whole_word_svg_text(),
        ):
            stylesheet = weasyprint.CSS(string=source.css, font_config=fonts, url_fetcher=fetcher)

            def final_html(moves: dict[str, int]) -> str:
                return _html(report, theme, source.layout.moved(moves)) if moves else source.html

            def lay(html: str):
                document = weasyprint.HTML(string=html, base_url=str(theme.styles_dir), url_fetcher=fetcher)
                return document.render(stylesheets=[stylesheet], font_config=fonts, pdf_variant=variant)

            plan = plan_flow(
                source.layout,
                lambda alone: _html(report, theme, alone, chapters_only=True),
                source.css,
                lay,
                flow_cache,
                guess=guess,
                share=share,
                ready=ready,
            )
            try:
                guessed = plan.moves
                document = lay(final_html(guessed))
                moves = plan.confirmed()
                if moves != guessed:  # a guessed decision was wrong: lay out with the true ones
                    document = lay(final_html(moves))
            finally:
                plan.close()
            with recording() as record:
                written = document.write_pdf(pdf_variant=variant)
            # The laid-out pages (1.5 MB a page) are done with: let them go before the repair and
            # the checks, which otherwise reach the build's peak memory on top of them.
            del document
            gc.collect()
    except FatalURLFetchingError as e:
        raise ContentError(
            theme.styles_dir,
            f"a resource could not be loaded: {e}",
            hint="only files in the content and styles folders can be used; check url(…) in the "
            "stylesheet and the references inside SVG pictures",
        ) from None
    return repair(written, link_descriptions(report), record, ua2=standard == "ua-2")


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
        flow_cache = job.pictures.folder.parent / "flow" if job.pictures.folder is not None else None
        return render_pdf(
            report,
            job.theme,
            source,
            job.pdf_standard,
            flow_cache,
            guess=job.spare_core,
            share=job.spare_core,
            ready=job.start_apart,
        )
