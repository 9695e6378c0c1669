"""A tagged PDF as a screen reader meets it: the structure tree in reading order, each element
with its words, pages and boxes, each link annotation with its element.

Read-only and independent of the repairs in structure.py and tagging.py, so the checker is a
second opinion on our output and works on any tagged PDF. Roles are mapped through the RoleMap to
standard ones (PDF 2.0 namespaces are not followed: a role in another namespace keeps its name).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from .pdf_text import Box, Piece, inherited, page_pieces


@dataclass(frozen=True)
class Content:
    """A marked-content sequence on a page, named by its MCID."""

    page: int
    mcid: int


@dataclass(eq=False)
class Element:
    obj: pikepdf.Dictionary
    role: str  # the standard role, without the slash: "P", "Figure", "H2"
    parent: Element | None
    page: int | None  # /Pg, inherited from the parent
    kids: list[Element | Content | pikepdf.Dictionary] = field(default_factory=list)  # in order; OBJR too

    @property
    def elements(self) -> list[Element]:
        return [k for k in self.kids if isinstance(k, Element)]

    @property
    def annotations(self) -> list[pikepdf.Dictionary]:
        """The annotations (links) this element holds through object references."""
        return [k.Obj for k in self.kids if isinstance(k, pikepdf.Dictionary) and "/Obj" in k]

    def walk(self):
        yield self
        for kid in self.elements:
            yield from kid.walk()

    def contents(self) -> list[Content]:
        """All marked content of the element and its descendants, in reading order."""
        found = []
        for kid in self.kids:
            if isinstance(kid, Content):
                found.append(kid)
            elif isinstance(kid, Element):
                found += kid.contents()
        return found

    def attr(self, owner: str, key: str):
        """An attribute from the element's /A dictionaries owned by `owner` ("Table", "List" …)."""
        attrs = self.obj.get("/A")
        for a in attrs if isinstance(attrs, pikepdf.Array) else [attrs]:
            if isinstance(a, pikepdf.Dictionary) and a.get("/O") == pikepdf.Name("/" + owner) and key in a:
                return a[key]
        return None


class TaggedPdf:
    """The document's structure tree, the text each marked-content sequence draws, and its links."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.page_index = {page.objgen: i for i, page in enumerate(pdf.pages)}
        self.pieces: dict[Content, list[Piece]] = defaultdict(list)
        self.untagged: list[Piece] = []
        for piece in page_pieces(pdf):
            if piece.mcid is not None:
                self.pieces[Content(piece.page, piece.mcid)].append(piece)
        tree_root = pdf.Root.get("/StructTreeRoot")
        self.struct_root = tree_root if isinstance(tree_root, pikepdf.Dictionary) else None
        role_map = self.struct_root.get("/RoleMap") if self.struct_root is not None else None
        self.role_map = {str(k): str(v) for k, v in role_map.items()} if role_map is not None else {}
        self.root = Element(self.struct_root or pikepdf.Dictionary(), "StructTreeRoot", None, None)
        self.by_object: dict[tuple[int, int], Element] = {}
        if self.struct_root is not None:
            self._read(self.root, self.struct_root, None, set())
        self.elements = list(self.root.walk())[1:]
        # Who holds each piece of marked content and each annotation, for findings that start there.
        self.owner = {k: e for e in self.elements for k in e.kids if isinstance(k, Content)}
        self.annotation_owner = {a.objgen: e for e in self.elements for a in e.annotations}

    @classmethod
    def open(cls, path: Path | str) -> TaggedPdf:
        return cls(pikepdf.open(str(path)))

    @property
    def version(self) -> str:
        return self.pdf.pdf_version

    def role(self, name: str) -> str:
        seen = set()
        while name in self.role_map and name not in seen:
            seen.add(name)
            name = self.role_map[name]
        return name.lstrip("/")

    def _read(self, element: Element, node: pikepdf.Dictionary, page: int | None, seen: set) -> None:
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else ([] if kids is None else [kids]):
            if isinstance(kid, int):
                if page is not None:
                    element.kids.append(Content(page, int(kid)))
            elif not isinstance(kid, pikepdf.Dictionary):
                continue
            elif kid.get("/Type") == pikepdf.Name.MCR:
                kid_page = self._page(kid.get("/Pg"), page)
                if kid_page is not None and "/MCID" in kid and "/Stm" not in kid:  # not in a form XObject
                    element.kids.append(Content(kid_page, int(kid.MCID)))
            elif kid.get("/Type") == pikepdf.Name.OBJR:
                element.kids.append(kid)
            elif "/S" in kid and (kid.objgen not in seen or kid.objgen == (0, 0)):
                seen.add(kid.objgen)
                child_page = self._page(kid.get("/Pg"), page)
                child = Element(kid, self.role(str(kid.S)), element, child_page)
                element.kids.append(child)
                if kid.is_indirect:
                    self.by_object[kid.objgen] = child
                self._read(child, kid, child_page, seen)

    def _page(self, page_obj, default: int | None) -> int | None:
        if isinstance(page_obj, pikepdf.Dictionary):
            return self.page_index.get(page_obj.objgen, default)
        return default

    # -- what an element shows

    def text(self, element: Element | Content) -> str:
        """The element's words, as a screen reader would join them (one space between pieces)."""
        contents = [element] if isinstance(element, Content) else element.contents()
        words = " ".join(p.text for c in contents for p in self.pieces.get(c, []))
        return " ".join(words.split())

    def pages(self, element: Element) -> list[int]:
        """The pages the element's content is drawn on, in order."""
        found = []
        for c in element.contents():
            if c.page not in found and self.pieces.get(c):
                found.append(c.page)
        return found

    def first_page(self, element: Element) -> int | None:
        """Where a finding about the element is reported: its first page with text, else its /Pg."""
        pages = self.pages(element)
        if pages:
            return pages[0]
        for e in element.walk():
            if e.page is not None:
                return e.page
        return None

    def box(self, element: Element, page: int) -> Box | None:
        """The union of the boxes of the element's text on a page."""
        boxes = [p.box for c in element.contents() if c.page == page for p in self.pieces.get(c, [])]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def page_box(self, page: int) -> Box:
        """The visible area of a page: its CropBox within its MediaBox."""
        obj = self.pdf.pages[page].obj
        media = [float(v) for v in inherited(obj, "/MediaBox") or (0, 0, 612, 792)]
        crop = inherited(obj, "/CropBox")
        area = [float(v) for v in crop] if crop is not None else media
        return (
            max(min(area[0], area[2]), min(media[0], media[2])),
            max(min(area[1], area[3]), min(media[1], media[3])),
            min(max(area[0], area[2]), max(media[0], media[2])),
            min(max(area[1], area[3]), max(media[1], media[3])),
        )

    def link_annotations(self) -> list[tuple[int, pikepdf.Dictionary]]:
        """(page, annotation) of every link annotation, page by page."""
        found = []
        for i, page in enumerate(self.pdf.pages):
            for annotation in page.obj.get("/Annots", []):
                if (
                    isinstance(annotation, pikepdf.Dictionary)
                    and annotation.get("/Subtype") == pikepdf.Name.Link
                ):
                    found.append((i, annotation))
        return found

    def element_of(self, annotation: pikepdf.Dictionary) -> Element | None:
        """The structure element that holds an annotation (through its object reference)."""
        return self.annotation_owner.get(annotation.objgen)
