"""The build: run the stages in order (load → validate → model → charts → PDF → deck) and publish
the outputs together, so a failed build never leaves half a file or destroys the last good set."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .assemble import assemble
from .chart_cache import ChartPictures
from .coverage import check_coverage
from .errors import ContentError, ContentErrors
from .load import load_content
from .lock import OutputLock
from .model import Report
from .output_cache import OutputCache
from .outputs import REGISTRY, Finding, Job, Rendered, Renderer, file_stem
from .publish import Output, check_output_dir, publish, recover
from .theme import Theme
from .worker import Worker
from .years import stale_warnings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGES = ("load", "model")  # then each renderer's own stages (outputs.py)


@dataclass
class BuildResult:
    report: Report
    outputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    parallel: tuple[str, ...] = ()  # stages that ran alongside the others, in a worker process
    warnings: list[ContentError] = field(default_factory=list)  # likely mistakes that did not stop it
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # output → accessibility findings
    reused: tuple[str, ...] = ()  # outputs read back from the cache: their inputs had not changed


class StrictWarnings(ContentErrors):
    """Warnings refused because the build was asked to be strict."""

    def describe(self) -> str:  # type: ignore[override]
        return f"{len(self.errors)} warning(s), and --strict turns warnings into errors:\n" + "\n".join(
            e.describe() for e in self.errors
        )


class StrictFindings(ContentErrors):
    """Accessibility findings on what was just built, refused because the build was asked to be
    strict: nothing was written."""

    def __init__(self, findings: dict[str, list[Finding]], names: dict[str, str]) -> None:
        super().__init__(
            [
                ContentError(None, f"{names[output]}, {_place(output, n)}: [{rule}] {message}")
                for output, found in findings.items()
                for n, rule, message in found
            ]
        )

    def describe(self) -> str:  # type: ignore[override]
        return (
            f"{len(self.errors)} accessibility finding(s), and --strict refuses to write outputs "
            "with findings:\n" + "\n".join(e.describe() for e in self.errors)
        )


def _place(output: str, n: int) -> str:
    kind = "slide" if output == "pptx" else "page"
    return f"{kind} {n}" if n else "the whole file"


def newest_content_dir(content_root: Path) -> Path:
    years = (
        sorted(
            (p for p in content_root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)
        )
        if content_root.is_dir()
        else []
    )
    if not years:
        raise ContentError(
            content_root,
            "no report folders found",
            hint="a report lives in a folder named after its year, e.g. content/2022",
        )
    return years[-1]


@contextmanager
def _timed(timings: dict[str, float], stage: str, progress: Callable[[str], None] | None) -> Iterator[None]:
    if progress:
        progress(stage)
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start


def _apart_worker(renderer: Renderer, report: Report, job: Job) -> Worker | None:
    """The renderer (the deck) in a child process while this one writes the others, when that pays; None
    to render it here afterwards.

    The worker costs 0.7-2.4 CPU-seconds of imports and pickling, and takes the deck's own time
    (about 2 s with cached charts, 5 s drawing them) off the critical path only if another core
    has room for it. Measured on 2 cores with content/2022, worker / in-process wall time: 0.75
    at load 1.3-2.3 with charts to draw (issue 10); 1.15-1.21 with charts to draw and 1.02-1.09
    with charts cached at load 3.1-5.7 (two sets of 5 interleaved runs). So: with charts to draw, a
    worker while the 1-minute load is under usable cores + 1; with every chart cached, only
    while a core is idle (load under cores - 0.5; an estimate, as this machine was never quieter
    than load 2.4 while it was measured). IMPACT_REPORT_SERIAL=1 always renders here, =0 always
    in the worker.
    """
    forced = os.environ.get("IMPACT_REPORT_SERIAL", "")
    if forced:
        use = forced == "0"
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        drawing = not all(job.pictures.has_svg(chart, job.theme) for chart in report.charts.values())
        use = cores >= 2 and busy < (cores + 1 if drawing else cores - 0.5)
    if not use:
        return None
    try:
        quiet = Job(job.theme, job.pictures, job.pdf_standard)  # a callback does not cross processes
        return Worker("render.outputs:run_apart", renderer.name, report, quiet)
    except OSError:
        return None


def build(
    content_dir: Path,
    out_dir: Path,
    *,
    styles_dir: Path | None = None,
    formats: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
    lock_timeout: float = 120.0,
    strict: bool = False,
    pdf_standard: str | None = None,
    cache_dir: Path | Literal["user"] | None = "user",
) -> BuildResult:
    """Build the report in content_dir into out_dir. Raises ContentError for content mistakes, an
    unusable output folder, or another build holding out_dir longer than lock_timeout seconds.
    Warnings (figures unchanged since last year …) come back in the result; `strict` makes them
    errors, so nothing is written.

    Chart pictures, flow decisions and whole outputs are kept between builds in cache_dir:
    "user" for the user cache folder (chart_cache.user_cache_dir), another folder, or None to
    make everything afresh. The outputs are the same bytes either way."""
    formats = tuple(formats or REGISTRY)
    unknown = [name for name in formats if name not in REGISTRY]
    if unknown:
        raise ContentError(
            None, f"there is no output called {unknown[0]!r}", hint="outputs: " + ", ".join(REGISTRY)
        )
    out_dir = Path(out_dir)
    styles_dir = Path(styles_dir or PROJECT_ROOT / "styles")
    check_output_dir(out_dir)  # before any work, so a wrong --out fails at once
    with OutputLock(out_dir, timeout=lock_timeout, progress=progress):
        recover(out_dir)
        timings: dict[str, float] = {}
        with _timed(timings, "load", progress):
            theme = Theme.load(styles_dir)
            content = load_content(Path(content_dir))
        with _timed(timings, "model", progress):
            report = assemble(content, styles_dir)
            check_coverage(report, theme)
            warnings = stale_warnings(
                content.root,
                report.meta.year,
                content.settings,
                content.tables,
                content.facts,
                content.earlier,
                content.facts_table,
            )
        if strict and warnings:
            raise StrictWarnings(warnings)
        job = Job(theme, ChartPictures.at(cache_dir), pdf_standard, progress, timings)
        selected = [REGISTRY[name] for name in formats]
        # An output whose every input is as in an earlier build is read back with its findings.
        store = OutputCache(job.pictures.folder.parent / "outputs" if job.pictures.folder else None)
        keys = {r.name: store.key(r, report, styles_dir, pdf_standard) for r in selected}
        rendered: dict[str, Rendered] = {}
        findings: dict[str, list[Finding]] = {}
        for renderer in selected:
            if (stored := store.get(keys[renderer.name])) is not None:
                rendered[renderer.name], findings[renderer.name] = stored
        reused = tuple(rendered)
        todo = [r for r in selected if r.name not in rendered]
        # A renderer that may run apart (the deck) renders in a worker process while this one
        # renders the others, when there are others and a core is free for it.
        apart = next((r for r in todo if r.may_run_apart), None) if len(todo) > 1 else None
        worker = _apart_worker(apart, report, job) if apart else None
        try:
            for renderer in todo:
                if worker is None or renderer is not apart:
                    rendered[renderer.name] = renderer.run(report, job)
                    if renderer.checker:
                        with _timed(timings, f"check-{renderer.name}", progress):
                            findings[renderer.name] = renderer.check(rendered[renderer.name])
            if worker is not None:
                if progress:
                    progress(apart.stages[-1][0])
                (rendered[apart.name], findings[apart.name]), timings[apart.stages[-1][0]] = worker.result()
        finally:
            if worker:
                worker.close()
        for renderer in todo:
            store.put(keys[renderer.name], rendered[renderer.name], findings.get(renderer.name, []))
        rendered = {r.name: rendered[r.name] for r in selected}
        stem = file_stem(report.meta.year)
        names = {name: REGISTRY[name].output_name(stem) for name in rendered}
        findings = {name: found for name, found in findings.items() if found}
        if strict and findings:
            raise StrictFindings(findings, names)
        # Only written once everything rendered, and all together, so the outputs always match.
        outputs = [Output(names[name], data) for name, data in rendered.items()]
        paths = publish(out_dir, outputs)
    parallel = tuple(key for key, _ in apart.stages) if worker else ()
    return BuildResult(report, dict(zip(rendered, paths)), timings, parallel, warnings, findings, reused)
