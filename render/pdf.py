"""Stage: the PDF. Lay the model out with Jinja2 templates and print CSS; WeasyPrint writes PDF/UA-1.

Structure choices follow WeasyPrint 70's tagging behaviour (see the shared notes): charts are <img>
with alt text (never <figure>), page numbers in the contents sit outside the links, decorative
graphics are CSS backgrounds, and headings never skip a level.
"""

from __future__ import annotations

import base64
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from .chart_cache import ChartPictures
from .deck_measure import font_face
from .errors import ContentError, read_utf8
from .fontsubset import reproducible_subsetting
from .model import Chapter, Chart, ChartRef, Prose, Report, Section, TableView, chapters_of
from .paths import Resolver
from .sandbox import StyleSandbox
from .tagging import repair
from .text import link_texts, markdown_to_html
from .theme import Theme
from .weasyprint_libs import FatalURLFetchingError, FontConfiguration, URLFetcher, weasyprint


@dataclass(frozen=True)
class LaidOutBlock:
    kind: str  # "prose", "chart" or "table"
    html: str = ""
    chart: Chart | None = None
    src: str = ""
    view: TableView | None = None
    number: int = 0
    table: TableLayout | None = None


# Table text as report.css.j2 sets it: 10 pt, cells padded 6 pt each side, or 3 pt in a compact table.
TABLE_FONT_SIZE, TABLE_PADDING, COMPACT_PADDING = 10.0, 6.0, 3.0


@dataclass(frozen=True)
class TableLayout:
    """How a table is set across the text column."""

    parts: tuple[TableView, ...]  # the whole table, or groups of its columns
    compact: bool  # narrower cell padding
    break_words: bool  # a word too long for any column may break anywhere


def table_layout(view: TableView, theme: Theme) -> TableLayout:
    """The table as it fits across the text column: whole, with compact cells if that makes it fit,
    or in groups of columns that each repeat the row headers ("part 2 of 3"), so no column is ever
    cut off at the page edge. A column is as narrow as its longest word, or its longest number
    (numbers never wrap); header and total rows are bold."""
    regular = font_face(theme.font_files["regular"])
    bold = font_face(theme.font_files.get("bold", theme.font_files["regular"]))
    body = [(row, regular) for row in view.rows] + ([(view.totals, bold)] if view.totals else [])

    def narrowest(j: int) -> float:
        words = [bold.width(w, TABLE_FONT_SIZE, fallback=False) for w in view.header[j].split()]
        for row, face in body:
            texts = [row[j].text] if row[j].numeric else row[j].text.split()
            words += [face.width(t, TABLE_FONT_SIZE, fallback=False) for t in texts]
        return max(words, default=0.0)

    room = theme.chart["pdf_width_in"] * 72
    words = [narrowest(j) for j in range(len(view.header))]
    if sum(words) + 2 * TABLE_PADDING * len(words) <= room:
        return TableLayout((view,), compact=False, break_words=False)
    widths = [w + 2 * COMPACT_PADDING for w in words]
    if sum(widths) <= room or widths[0] + max(widths[1:], default=0) > room:
        return TableLayout((view,), compact=True, break_words=sum(widths) > room)
    groups: list[list[int]] = [[]]
    used = widths[0]
    for j in range(1, len(widths)):
        if groups[-1] and used + widths[j] > room:
            groups.append([])
            used = widths[0]
        groups[-1].append(j)
        used += widths[j]
    parts = []
    for n, columns in enumerate(groups, start=1):
        keep = (0, *columns)
        parts.append(
            replace(
                view,
                caption=f"{view.caption} (part {n} of {len(groups)})",
                header=tuple(view.header[j] for j in keep),
                rows=tuple(tuple(row[j] for j in keep) for row in view.rows),
                totals=tuple(view.totals[j] for j in keep) if view.totals else None,
            )
        )
    return TableLayout(tuple(parts), compact=True, break_words=False)


@dataclass(frozen=True)
class LaidOutSection:
    id: str
    title: str
    level: int
    blocks: tuple[LaidOutBlock, ...]


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


def _image_html(section: Section):
    """Render a Markdown image from the section's checked images: a file URL and its alt text, or,
    when decorative, a CSS background (an artifact, never an untagged figure)."""

    def render(token) -> str:
        image = section.images[str(token.attrs.get("src", ""))]
        url = escape(image.path.as_uri())
        if image.decorative:
            ratio = 100 * image.height / image.width
            return (
                f'<span class="decorative-image" style="background-image: url(\'{url}\'); '
                f'padding-bottom: {ratio:.2f}%"></span>'
            )
        return f'<img class="narrative-image" src="{url}" alt="{escape(image.alt)}">'

    return render


def lay_out(report: Report, theme: Theme, svgs: dict[str, bytes]) -> list[Chapter[LaidOutSection]]:
    """Prose as HTML, charts as embedded SVG, each figure and table with its number."""

    def block(b, section: Section) -> LaidOutBlock:
        if isinstance(b, Prose):
            html = markdown_to_html(b.markdown, heading_offset=1, image=_image_html(section))
            return LaidOutBlock("prose", html=html)
        if isinstance(b, ChartRef):
            src = "data:image/svg+xml;base64," + base64.b64encode(svgs[b.chart_id]).decode()
            chart = report.charts[b.chart_id]
            return LaidOutBlock("chart", chart=chart, src=src, number=report.figure_numbers[b.chart_id])
        view = report.table_views[b.table_id]
        number = report.table_numbers[b.table_id]
        return LaidOutBlock("table", view=view, number=number, table=table_layout(view, theme))

    return chapters_of(
        [
            LaidOutSection(s.id, s.title, s.level, tuple(block(b, s) for b in s.blocks))
            for s in report.sections
        ]
    )


class StylesLoader(jinja2.BaseLoader):
    """Templates from the styles folder (templates/ first), each through the resolver, so an
    {% include %} or {% extends %} can never read outside it."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme

    def get_source(self, environment, template):
        parts = split_template_path(template)  # refuses '..'; a leading '/' becomes relative
        for folder in (self.theme.styles_dir / "templates", self.theme.styles_dir):
            path = folder.joinpath(*parts)
            if path.exists() or path.is_symlink():
                real = self.theme.resolver.file(path, what="template")
                return read_utf8(real), str(path), lambda: True
        raise jinja2.TemplateNotFound(template)


def css_string(value: object) -> object:
    """A value printed into CSS, escaped for a CSS string: a title with quotes or a backslash
    cannot end the string or inject a rule. Colours and numbers pass through unchanged."""
    if not isinstance(value, str):
        return value
    return "".join(
        ch
        if ch.isalnum() or ch in " #.,:;/-_%()&!?+*=@~^$[]{}|`" and ch not in "\"'<>"
        else f"\\{ord(ch):x} "
        for ch in value
    )


def _environment(theme: Theme, language: str) -> jinja2.Environment:
    """Templates are a designer's files: sandboxed like content, HTML-escaped for .html and
    CSS-string-escaped for .css, each in its own language."""
    options = dict(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, loader=StylesLoader(theme)
    )
    if language == "css":
        return StyleSandbox(autoescape=False, finalize=css_string, **options)
    return StyleSandbox(autoescape=True, **options)


def _render(theme: Theme, name: str, language: str, **values) -> str:
    """One styles template, any mistake in it a located error naming the template and line."""
    env = _environment(theme, language)
    try:
        return env.get_template(name).render(**values)
    except jinja2.TemplateSyntaxError as e:
        raise ContentError(
            Path(e.filename or theme.styles_dir / name), f"template error: {e.message}", line=e.lineno
        ) from None
    except jinja2.TemplateNotFound as e:
        raise ContentError(
            theme.styles_dir / name,
            f"the template {e.name!r} does not exist in the styles folder",
            hint="templates live in styles/templates/ or styles/",
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as e:
        line = _template_line(e)
        raise ContentError(
            theme.styles_dir / line[0] if line else theme.styles_dir / name,
            f"template error: {e}",
            line=line[1] if line else None,
        ) from None


def _template_line(error: BaseException) -> tuple[str, int] | None:
    """(template file, line) of the innermost template frame in an error's traceback."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".j2", ".html", ".css")):
            return Path(frame.filename).name, frame.lineno or 0
    return None


def render_html(report: Report, theme: Theme, svgs: dict[str, bytes]) -> tuple[str, str]:
    """The report as an HTML document and its stylesheet."""
    weights = {
        "regular": (400, "normal"),
        "italic": (400, "italic"),
        "semibold": (600, "normal"),
        "bold": (700, "normal"),
        "bold_italic": (700, "italic"),
        "black": (900, "normal"),
    }
    faces = [
        {"url": path.as_uri(), "weight": weights[style][0], "style": weights[style][1]}
        for style, path in theme.font_files.items()
    ]
    css = _render(
        theme,
        "report.css.j2",
        "css",
        font_faces=faces,
        font_family=theme.font_family,
        c=theme.colors,
        meta=report.meta,
    )
    html = _render(
        theme,
        "report.html.j2",
        "html",
        meta=report.meta,
        headlines=report.headlines,
        chapters=lay_out(report, theme, svgs),
    )
    return html, css


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


def render_pdf(report: Report, theme: Theme, html: str, css: str) -> bytes:
    fonts = FontConfiguration()
    fetcher = ResolvingFetcher(theme.resolver.with_roots(report.content_dir))
    try:
        with _source_date(report.meta.published_year), reproducible_subsetting():
            document = weasyprint.HTML(string=html, base_url=str(theme.styles_dir), url_fetcher=fetcher)
            stylesheet = weasyprint.CSS(string=css, font_config=fonts, url_fetcher=fetcher)
            written = document.write_pdf(stylesheets=[stylesheet], font_config=fonts, pdf_variant="pdf/ua-1")
    except FatalURLFetchingError as e:
        raise ContentError(
            theme.styles_dir,
            f"a resource could not be loaded: {e}",
            hint="only files in the content and styles folders can be used; check url(…) in the "
            "stylesheet and the references inside SVG pictures",
        ) from None
    return repair(written, link_descriptions(report))


def link_descriptions(report: Report) -> dict[str, str]:
    """Every external link's address → its words, from the narrative."""
    found: dict[str, str] = {}
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Prose):
                for href, words in link_texts(block.markdown).items():
                    found.setdefault(href, words)
    return found


def chart_svgs(report: Report, theme: Theme, pictures: ChartPictures | None = None) -> dict[str, bytes]:
    """Every chart as the PDF shows it, from the picture cache when one is given."""
    pictures = pictures or ChartPictures(None)
    return {cid: pictures.svg(chart, theme) for cid, chart in report.charts.items()}
