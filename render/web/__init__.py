"""Stage: the web edition. The report as one accessible HTML page, from the same model as the PDF.

What it writes: a folder, `output/<year>/web/`, not one self-contained file:

    web/index.html        the whole report: text, inline SVG charts, every table
    web/site.css          the stylesheet (styles/web/site.css.j2 with the theme's colours and sizes)
    web/fonts/*.woff      the report's font, one file a face
    web/images/…          the narrative's pictures, if any

A folder because that is what a web server hosts and a browser caches: the page stays small (the
fonts would add about 0.7 MB of base64 to it, and a browser fetches only the faces a page uses from
separate files), the stylesheet and fonts are cached across visits and years, and each file keeps
its own type. The charts are inline in the page all the same, so the page reads complete without
any other file. It links to the PDF and the deck beside the folder (`../impact-report-2022.pdf`),
so output/<year>/ is published as it is, and the set is replaced together by the build
(publish.py swaps the folder whole).

No JavaScript: everything reads without it. Nothing here reads a file except through the resolver,
and nothing reaches the network: fonts, pictures and charts are all written beside the page.
"""

from __future__ import annotations

from ..model import Report
from ..outputs import REGISTRY, Job, file_stem, timed
from ..templates import render_style_template
from .assets import font_faces, font_files, image_files, read_images
from .page import Download, web_page

PAGE = "index.html"
STYLESHEET = "site.css"
TEMPLATES = "web/index.html.j2", "web/site.css.j2"  # in the styles folder


def downloads(report: Report) -> tuple[Download, ...]:
    """A link to each other output that is a file to download (the PDF, the deck), beside the folder."""
    stem = file_stem(report.meta.year)
    return tuple(
        Download(f"../{renderer.output_name(stem)}", renderer.download)
        for renderer in REGISTRY.values()
        if renderer.download
    )


def render_files(report: Report, job: Job) -> dict[str, bytes]:
    """The web edition's files by their path inside its folder."""
    theme = job.theme
    svgs = {cid: job.pictures.svg(chart, theme) for cid, chart in report.charts.items()}
    images = image_files(report, theme)
    page = web_page(report, svgs, images, downloads(report))
    web = theme.settings.web
    html = render_style_template(
        theme, TEMPLATES[0], "html", meta=report.meta, page=page, stylesheet=STYLESHEET
    )
    css = render_style_template(
        theme,
        TEMPLATES[1],
        "css",
        font_faces=font_faces(theme),
        font_family=theme.font_family,
        c=theme.colors,
        dark=web.dark.model_dump(),
        chart=theme.chart,
        web=web.model_dump(exclude={"dark"}),
    )
    return {
        PAGE: html.encode("utf-8"),
        STYLESHEET: css.encode("utf-8"),
        **font_files(theme),
        **read_images(report, theme, images),
    }


def render(report: Report, job: Job) -> dict[str, bytes]:
    """The web renderer (outputs.py)."""
    with timed(job, "web"):
        return render_files(report, job)
