"""The outputs a build can write: each a renderer of the same Report, in one registry.

Like Sphinx's builders, a renderer declares what it is (its name on the command line, what it
writes, what its stages are called) and a function from the model to bytes, or to a folder of
files. `build` and the CLI only iterate over this registry, so a new output is one module with a
`render` function and one entry here; nothing else changes. A renderer's function is named, not
imported, so its libraries (WeasyPrint, python-pptx …) load only when it runs, and it can run in a
worker process.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .chart_cache import ChartPictures
from .model import Report
from .theme import Theme

Rendered = bytes | dict[str, bytes]  # a file's bytes, or a folder's files by relative path
Finding = tuple[int, str, str]  # (page or slide, 0 for the whole file; rule id; message)


@dataclass
class Job:
    """What every renderer receives besides the model: the theme, the chart pictures, the options
    of this build, and where to report its stages."""

    theme: Theme
    pictures: ChartPictures
    pdf_standard: str | None = None
    progress: Callable[[str], None] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # A core is free (build.spare_core) for forked helpers sharing the PDF's charts and parts.
    spare_core: bool = False


@dataclass(frozen=True)
class Renderer:
    name: str  # as --only writes it
    output: str  # what it writes in the output folder: "{stem}.pdf", or a folder name like "web"
    chart_format: str  # "svg" or "png": how it shows charts
    stages: tuple[tuple[str, str], ...]  # (timing key, what the user is told) in the order they run
    function: str  # "module:function", called as function(report, job) -> Rendered
    may_run_apart: bool = False  # may render in a worker process alongside the others
    # "module:function", called as function(rendered) -> list[Finding]: the fast accessibility
    # checks `build` runs on what it just made (`impact-report check` adds the validators)
    checker: str | None = None
    check_words: str = ""  # what the user is told while the checks run
    download: str = ""  # the web edition links "Download <this>" to the file: "the report as a PDF"

    def output_name(self, stem: str) -> str:
        return self.output.format(stem=stem)

    def run(self, report: Report, job: Job) -> Rendered:
        return _call(self.function, report, job)

    def check(self, rendered: Rendered) -> list[Finding]:
        return _call(self.checker, rendered) if self.checker else []


def _call(function: str, *args: Any) -> Any:
    module, _, name = function.partition(":")
    return getattr(importlib.import_module(module), name)(*args)


REGISTRY: dict[str, Renderer] = {}


def register(renderer: Renderer) -> Renderer:
    REGISTRY[renderer.name] = renderer
    return renderer


register(
    Renderer(
        name="pdf",
        output="{stem}.pdf",
        chart_format="svg",
        stages=(
            ("charts", "Drawing charts"),
            ("html", "Laying out pages"),
            ("pdf", "Writing the tagged PDF"),
        ),
        function="render.pdf:render",
        checker="render.check_pdf:fast_findings",
        check_words="Checking the PDF's accessibility",
        download="the report as a PDF",
    )
)
register(
    Renderer(
        name="pptx",
        output="{stem}.pptx",
        chart_format="png",
        stages=(("deck", "Writing the slide deck"),),
        function="render.deck:render",
        may_run_apart=True,
        checker="render.check:deck_findings",
        check_words="Checking the deck's accessibility",
        download="the slide deck for presenting (PowerPoint)",
    )
)
register(
    Renderer(
        name="web",
        output="web",
        chart_format="svg",
        stages=(("web", "Writing the web edition"),),
        function="render.web:render",
        may_run_apart=True,
    )
)


@contextmanager
def timed(job: Job, stage: str) -> Iterator[None]:
    """Tell the user a stage has begun, and time it."""
    if job.progress:
        job.progress(stage)
    start = time.perf_counter()
    yield
    job.timings[stage] = time.perf_counter() - start


def file_stem(year: int) -> str:
    """The name every output of a year's report starts with: "impact-report-2022"."""
    return f"impact-report-{year}"


def names() -> list[str]:
    return list(REGISTRY)


def stage_words() -> dict[str, str]:
    """Every stage of every renderer → what the user is told while it runs."""
    words = {key: words for r in REGISTRY.values() for key, words in r.stages}
    return words | {f"check-{r.name}": r.check_words for r in REGISTRY.values() if r.checker}


def run_apart(names: list[str], report: Report, job: Job) -> list[tuple[str, Rendered, list[Finding], dict]]:
    """Entry point of a worker process: renderers and their checks, one after the other, each with
    its stage timings from this process."""
    done = []
    for name in names:
        renderer = REGISTRY[name]
        job.timings = {}
        rendered = renderer.run(report, job)
        findings = []
        if renderer.checker:
            with timed(job, f"check-{name}"):
                findings = renderer.check(rendered)
        done.append((name, rendered, findings, job.timings))
    return done
