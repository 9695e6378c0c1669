"""The build: run the stages in order (load → validate → model → charts → PDF → deck) and write
the outputs atomically, so a failed build never leaves half a file or destroys the last good one."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from .assemble import assemble
from .coverage import check_coverage
from .errors import ContentError
from .load import load_content
from .model import Report
from .theme import Theme

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGES = ("load", "model", "charts", "html", "pdf", "deck")


@dataclass
class BuildResult:
    report: Report
    outputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    parallel: tuple[str, ...] = ()  # stages that ran alongside the others, in a worker process


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename over it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file private (0600); give it the permissions a normal write would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _timed(timings: dict[str, float], stage: str, progress: Callable[[str], None] | None) -> Iterator[None]:
    if progress:
        progress(stage)
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start


def _render_deck_timed(report: Report, theme: Theme) -> tuple[bytes, float]:
    from .deck import render_deck

    start = time.perf_counter()
    data = render_deck(report, theme)
    return data, time.perf_counter() - start


def _deck_worker() -> ProcessPoolExecutor | None:
    """A fresh worker process for the deck; None with a single core or when asked to stay serial."""
    if (os.cpu_count() or 1) < 2 or os.environ.get("IMPACT_REPORT_SERIAL"):
        return None
    try:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    except OSError:
        return None


def build(
    content_dir: Path,
    out_dir: Path,
    *,
    styles_dir: Path | None = None,
    formats: tuple[str, ...] = ("pdf", "pptx"),
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the report in content_dir into out_dir. Raises ContentError for content mistakes."""
    styles_dir = Path(styles_dir or PROJECT_ROOT / "styles")
    timings: dict[str, float] = {}
    with _timed(timings, "load", progress):
        theme = Theme.load(styles_dir)
        content = load_content(Path(content_dir))
    with _timed(timings, "model", progress):
        report = assemble(content, styles_dir)
        check_coverage(report, theme)
    stem = f"impact-report-{report.meta.year}"
    outputs: dict[str, Path] = {}
    rendered: dict[str, bytes] = {}
    # The deck and the PDF need nothing from each other, so on a machine with a spare core the
    # deck renders in a worker process while this one writes the PDF.
    worker = _deck_worker() if {"pdf", "pptx"} <= set(formats) else None
    with worker or nullcontext():
        deck_job = worker.submit(_render_deck_timed, report, theme) if worker else None
        if "pdf" in formats:
            from .pdf import chart_svgs, render_html, render_pdf

            with _timed(timings, "charts", progress):
                svgs = chart_svgs(report, theme)
            with _timed(timings, "html", progress):
                html, css = render_html(report, theme, svgs)
            with _timed(timings, "pdf", progress):
                rendered["pdf"] = render_pdf(report, theme, html, css)
        if "pptx" in formats:
            if progress:
                progress("deck")
            job = deck_job.result() if deck_job else _render_deck_timed(report, theme)
            rendered["pptx"], timings["deck"] = job
    # Only write once everything rendered, so both files always come from the same content.
    for kind, data in rendered.items():
        path = Path(out_dir) / f"{stem}.{kind}"
        write_atomic(path, data)
        outputs[kind] = path
    return BuildResult(report, outputs, timings, ("deck",) if worker else ())
