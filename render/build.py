"""The build: run the stages in order (load → validate → model → charts → PDF → deck) and publish
the outputs together, so a failed build never leaves half a file or destroys the last good set."""

from __future__ import annotations

import functools
import gc
import importlib
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
from .forked import Forked, sharing
from .load import load_content
from .lock import OutputLock
from .model import Report
from .narrative import compiled_texts_kept_in
from .output_cache import OutputCache
from .outputs import REGISTRY, Finding, Job, Rendered, Renderer, file_stem, run_apart
from .publish import Output, check_output_dir, publish, recover
from .theme import Theme
from .years import stale_warnings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGES = ("load", "model")
SHORT_REPORT_BLOCKS = 150  # built without automatic collection (build()): the 2022 report has 88


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


def _use_worker(report: Report, job: Job, since: tuple[float, float] | None) -> bool:
    """Whether the renderers that may run apart (the deck, the web edition) should render in a
    forked child while this process writes the PDF (start_apart); else here, afterwards.

    The child costs little (a fork: nothing imported or pickled again, only its result pickled
    back) but takes the deck's and the web edition's time (about 2.5 s with cached charts, 5 s
    drawing them) off the critical path only if another core has room for it. Room is judged
    from how idle the machine's cores were while this build read and bound its content (`since`:
    /proc/stat then), which a one-minute load average, raised by this very build's previous runs,
    cannot say: a worker when a quarter of a core was free and charts are to be drawn, half a
    core with every chart cached. IMPACT_REPORT_SERIAL=1 always renders here, =0 always apart.
    """
    forced = os.environ.get("IMPACT_REPORT_SERIAL", "")
    if forced:
        return forced == "0"
    cores = _cores()
    drawing = not all(job.pictures.has_svg(chart, job.theme) for chart in report.charts.values())
    return cores >= 2 and free_cores(since, cores) >= (0.25 if drawing else 0.5)


def start_apart(renderers: list[Renderer], report: Report, job: Job) -> Forked | None:
    """The renderers, rendered and checked in a forked child (outputs.run_apart); None where this
    process cannot fork."""
    quiet = Job(job.theme, job.pictures, job.pdf_standard)  # no callbacks: the child tells nothing
    return Forked.start(lambda: run_apart([r.name for r in renderers], report, quiet))


def spare_core(since: tuple[float, float] | None) -> bool:
    """Whether a short-lived helper process (the PDF's forked children, pdf.py) would have a
    core to itself: two cores or more, and half a core idle while the content loaded (as for the
    worker). IMPACT_REPORT_SERIAL=1 says never, =0 always."""
    forced = os.environ.get("IMPACT_REPORT_SERIAL", "")
    if forced:
        return forced == "0"
    cores = _cores()
    return cores >= 2 and free_cores(since, cores) >= 0.5


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_times() -> tuple[float, float] | None:
    """(idle, total) time of all the machine's cores so far, in clock ticks, from /proc/stat; None
    where there is no such file."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            ticks = [float(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return ticks[3] + ticks[4], sum(ticks)  # idle and waiting for the disk; user … steal


def free_cores(since: tuple[float, float] | None, cores: int) -> float:
    """How many cores stood idle since `since` (cpu_times then), or, for a window too short to
    say (under 20 ticks) or no /proc/stat, the cores the one-minute load average leaves."""
    now = cpu_times()
    if since is not None and now is not None and now[1] - since[1] >= 20:
        return cores * (now[0] - since[0]) / (now[1] - since[1])
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return cores - busy


def _short_reports_uncollected(build_function: Callable[..., BuildResult]) -> Callable[..., BuildResult]:
    """Builds a short report with no automatic collection: its charts and layouts are garbage in
    big reference cycles that the collector's full passes went through again and again (0.5 s of
    a 2022 build, 0.25 s more in young-generation passes while content loads), and the garbage of
    a short report is small. A long report's build collects as usual once its model is made
    (build: at 10 times the 2022 content, without it, the garbage of the charts, the deck and the
    joined PDF took the build from 578 MB to 1.4 GB). The caller's collector is left as it was."""

    @functools.wraps(build_function)
    def build(*args, **kwargs) -> BuildResult:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return build_function(*args, **kwargs)
        finally:
            gc.unfreeze()  # what the build froze is the collector's again, for a caller that goes on
            (gc.enable if collecting else gc.disable)()

    return build


@_short_reports_uncollected
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
    since = cpu_times()  # how busy the machine is while content loads decides the deck's worker
    check_output_dir(out_dir)  # before any work, so a wrong --out fails at once
    with OutputLock(out_dir, timeout=lock_timeout, progress=progress):
        recover(out_dir)
        timings: dict[str, float] = {}
        with _timed(timings, "load", progress):
            theme = Theme.load(styles_dir)
            content = load_content(Path(content_dir))
        pictures = ChartPictures.at(cache_dir)
        kept = pictures.folder.parent / "texts" if pictures.folder is not None else None
        with _timed(timings, "model", progress), compiled_texts_kept_in(kept):
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
        # What is loaded by now (the libraries, the model) lives as long as the build: a collection
        # need not go through it again, nor a forked child touch its pages.
        gc.freeze()
        if sum(len(s.blocks) for s in report.sections) > SHORT_REPORT_BLOCKS:
            gc.enable()
        job = Job(theme, pictures, pdf_standard, progress, timings, spare_core=spare_core(since))
        selected = [REGISTRY[name] for name in formats]
        # An output whose every input is as in an earlier build is read back with its findings.
        store = OutputCache(job.pictures.folder.parent / "outputs" if job.pictures.folder else None)
        keys = {r.name: store.key(r, report, theme, pdf_standard) for r in selected}
        rendered: dict[str, Rendered] = {}
        findings: dict[str, list[Finding]] = {}
        for renderer in selected:
            if (stored := store.get(keys[renderer.name])) is not None:
                rendered[renderer.name], findings[renderer.name] = stored
        reused = tuple(rendered)
        todo = [r for r in selected if r.name not in rendered]
        # Renderers that may run apart (the deck, the web edition) render in a forked child while
        # this process writes the PDF, when a core is free for them. Forked now, while this process
        # holds little it could copy, and begun at once: beside the PDF's own helpers (pdf.py),
        # the 2022 report's full build took 4.5-5.0 s, against 5.4-5.5 s with the worker begun
        # after them, when the deck alone is left to wait for at the end.
        apart = [r for r in todo if r.may_run_apart] if any(not r.may_run_apart for r in todo) else []
        use_worker = bool(apart) and _use_worker(report, job, since)
        if use_worker and not all(job.pictures.has_svg(c, theme) for c in report.charts.values()):
            # Both sides draw charts (the PDF's SVGs, the deck's PNGs): import the plotting
            # libraries once, here, for the worker to inherit (0.33 s each side otherwise).
            importlib.import_module("render.chart_draw")
        worker = start_apart(apart, report, job) if use_worker else None
        ran_apart = False
        try:
            for renderer in todo:
                if not use_worker or renderer not in apart:
                    rendered[renderer.name] = renderer.run(report, job)
                    if renderer.checker:
                        with _timed(timings, f"check-{renderer.name}", progress), sharing(job.spare_core):
                            findings[renderer.name] = renderer.check(rendered[renderer.name])
            if use_worker:
                if progress:
                    progress(apart[0].stages[-1][0])
                done = worker.result() if worker is not None else None
                ran_apart = done is not None
                if done is None:  # no fork here, or the child failed: render them here (a content
                    done = run_apart([r.name for r in apart], report, job)  # mistake shows as itself)
                for name, data, found, times in done:
                    rendered[name], findings[name] = data, found
                    timings.update(times)
        finally:
            if worker is not None:
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
    parallel = (
        tuple(k for r in apart for k in (*(k for k, _ in r.stages), f"check-{r.name}")) if ran_apart else ()
    )
    return BuildResult(report, dict(zip(rendered, paths)), timings, parallel, warnings, findings, reused)
