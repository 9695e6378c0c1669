"""`impact-report check FILE...`: which checker a file needs, and its findings in one shape.

A file is checked by its kind, told by its suffix and confirmed by its first bytes, so a file
renamed by mistake is a clear error rather than a parser's traceback. Adding a kind is one entry
in CHECKERS.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ContentError

KINDS = {".pdf": "pdf", ".pptx": "pptx"}


@dataclass
class FileCheck:
    """One file's findings as (place, rule, message) with place a page or slide (0: the whole file)."""

    path: Path
    kind: str  # "pdf" or "pptx"
    findings: list[tuple[int, str, str]]
    summary: str  # what the file is: "PDF/UA-2, WTPDF accessibility; 33 pages"
    notes: list[str] = field(default_factory=list)

    @property
    def place(self) -> str:
        return "page" if self.kind == "pdf" else "slide"

    def lines(self) -> list[str]:
        if not self.findings:
            return ["no findings"]
        whole = "document" if self.kind == "pdf" else "deck"
        return [
            f"{f'{self.place} {n}' if n else whole}: [{rule}] {message}" for n, rule, message in self.findings
        ]

    def rows(self) -> list[dict]:
        return [
            {"file": str(self.path), "kind": self.kind, self.place: n, "rule": rule, "message": message}
            for n, rule, message in self.findings
        ]


def kind_of(path: Path) -> str:
    """ "pdf" or "pptx"; a ContentError for a missing file or one that is neither."""
    if not path.exists():
        raise ContentError(path, "no such file", hint="build the report first: impact-report build")
    if not path.is_file():
        raise ContentError(path, "is a folder, not a file", hint="give the .pdf or .pptx inside it")
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise ContentError(
            path,
            f"cannot check a {path.suffix or 'file without a suffix'} file",
            hint="give a .pdf or a .pptx",
        )
    with path.open("rb") as f:
        head = f.read(1024)
    if kind == "pdf" and b"%PDF-" not in head:
        raise ContentError(path, "is not a PDF (it does not start with %PDF-)", hint="is it the right file?")
    if kind == "pptx" and not zipfile.is_zipfile(path):
        raise ContentError(
            path, "is not a PowerPoint deck (a .pptx is a zip archive)", hint="is it the right file?"
        )
    return kind


def _pdf(path: Path, use_verapdf: bool) -> FileCheck:
    from .check_pdf import check_pdf

    result = check_pdf(path, use_verapdf=use_verapdf)
    pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
    findings = [(f.page, f.rule, f.message) for f in result.findings]
    return FileCheck(path, "pdf", findings, f"{result.conformance.describe()}; {pages}", result.notes)


def _pptx(path: Path, use_verapdf: bool) -> FileCheck:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    from .check import check_deck

    try:
        slides = len(Presentation(str(path)).slides)
        findings = [(f.slide, f.rule, f.message) for f in check_deck(path)]
    except (PackageNotFoundError, KeyError, zipfile.BadZipFile) as e:
        raise ContentError(
            path, f"is not a readable PowerPoint deck ({e})", hint="is the file complete?"
        ) from None
    return FileCheck(path, "pptx", findings, f"deck; {slides} slide{'s' if slides != 1 else ''}")


CHECKERS: dict[str, Callable[[Path, bool], FileCheck]] = {"pdf": _pdf, "pptx": _pptx}


def check_files(
    paths: list[Path], *, use_verapdf: bool = True, progress: Callable[[str], None] | None = None
) -> list[FileCheck]:
    """Each file's findings, in the order given."""
    results = []
    for path in paths:
        if progress:
            progress(f"Checking {path.name} …")
        results.append(CHECKERS[kind_of(path)](path, use_verapdf))
    return results
