"""Read a tagged PDF the way assistive technology does: the structure tree, with each element's text.

Text is tied to structure elements through marked-content ids (MCIDs); pypdf decodes the text and
reports the marked-content operators, so we attribute each piece of text to the MCID it sits in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pikepdf
from pypdf import PdfReader


def struct_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element of an open PDF, as pikepdf dictionaries (for the tests that read
    raw keys: /ID, /Lang, /BBox)."""
    found, stack = [], [pdf.Root.StructTreeRoot]
    while stack:
        kids = stack.pop().get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                stack.append(kid)
    return found


@dataclass
class Element:
    role: str
    attrs: pikepdf.Dictionary | None
    alt: str | None
    children: list[Element] = field(default_factory=list)
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page index, mcid)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def text(self, texts: dict[tuple[int, int], str]) -> str:
        own = [texts.get(m, "") for m in self.mcids]
        return " ".join(" ".join(own + [c.text(texts) for c in self.children]).split())


def mcid_texts(path) -> dict[tuple[int, int], str]:
    """(page index, MCID) → the text drawn inside that marked-content sequence."""
    texts: dict[tuple[int, int], str] = {}
    for run in text_runs(path):
        if run.mcid is not None:
            key = (run.page, run.mcid)
            texts[key] = texts.get(key, "") + run.text
    return texts


def structure(path) -> tuple[Element, pikepdf.Pdf]:
    pdf = pikepdf.open(str(path))
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}

    def build(node, page_index):
        role = str(node.get("/S", ""))
        alt = node.get("/Alt")
        element = Element(role.lstrip("/"), node.get("/A"), str(alt) if alt is not None else None)
        pg = node.get("/Pg")
        if pg is not None:
            page_index = pages.get(pg.objgen, page_index)
        kids = node.get("/K")
        items = list(kids) if isinstance(kids, pikepdf.Array) else ([] if kids is None else [kids])
        for kid in items:
            if isinstance(kid, int):
                element.mcids.append((page_index, int(kid)))
            elif isinstance(kid, pikepdf.Dictionary):
                if kid.get("/Type") == "/MCR":
                    kp = kid.get("/Pg")
                    element.mcids.append(
                        (pages.get(kp.objgen, page_index) if kp is not None else page_index, int(kid.MCID))
                    )
                elif kid.get("/Type") == "/OBJR":
                    continue
                else:
                    element.children.append(build(kid, page_index))
        return element

    return build(pdf.Root.StructTreeRoot, 0), pdf


@dataclass(frozen=True)
class TextRun:
    page: int
    mcid: int | None  # None: an artifact (running header, page number) or untagged
    text: str
    x: float
    y: float
    size: float  # effective size in points after the text and graphics matrices


def text_runs(path) -> list[TextRun]:
    """Every piece of text with where it is drawn and how big, tied to its marked content."""
    reader = PdfReader(str(path))
    runs: list[TextRun] = []
    for index, page in enumerate(reader.pages):
        stack: list[int | None] = []

        def before(op, args, cm, tm, stack=stack):
            if op == b"BDC":
                props = args[1] if len(args) > 1 else None
                mcid = props.get("/MCID") if hasattr(props, "get") else None
                stack.append(int(mcid) if mcid is not None else None)
            elif op == b"BMC":
                stack.append(None)
            elif op == b"EMC" and stack:
                stack.pop()

        def on_text(text, cm, tm, font, size, stack=stack, index=index):
            if not text:
                return
            scale_y = (tm[2] * cm[1] + tm[3] * cm[3]) if tm and cm else 1
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            current = next((m for m in reversed(stack) if m is not None), None)
            runs.append(TextRun(index, current, text, x, y, abs(size * scale_y)))

        page.extract_text(visitor_operand_before=before, visitor_text=on_text)
    return runs
