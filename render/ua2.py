"""What a PDF/UA-2 (and WTPDF 1.0) file needs beyond WeasyPrint's `pdf/ua-2` output.

Measured with veraPDF's PDF/UA-2, WTPDF Accessibility and WTPDF Reuse profiles on the 2022 report
rendered as `pdf/ua-2`: after the repairs every variant gets (tagging.py, structure.py), three
things were left, each repaired here:

- A list with labels (bullets, numbers) needs /ListNumbering (ISO 14289-2 8.2.5.25): /Disc for
  an HTML <ul>, /Decimal for an <ol>.
- Every destination inside the document must be a structure destination (8.8): a link or bookmark
  to a heading points at the heading's structure element, not only at a place on a page. Named
  destinations become << /D [page …] /SD [element …] >>; bookmarks point at those names.
- WTPDF's conformance declarations (pdfd:declarations) in the XMP metadata.
"""

from __future__ import annotations

import pikepdf

from .origins import Record
from .structure import Tree

DECLARATIONS = (
    '<rdf:Description rdf:about="" xmlns:pdfd="http://pdfa.org/declarations/">'
    "<pdfd:declarations><rdf:Bag>"
    '<rdf:li rdf:parseType="Resource"><pdfd:conformsTo>'
    "http://pdfa.org/declarations/wtpdf#accessibility1.0</pdfd:conformsTo></rdf:li>"
    '<rdf:li rdf:parseType="Resource"><pdfd:conformsTo>'
    "http://pdfa.org/declarations/wtpdf#reuse1.0</pdfd:conformsTo></rdf:li>"
    "</rdf:Bag></pdfd:declarations></rdf:Description>"
)


def list_numbering(tree: Tree, record: Record) -> int:
    """/ListNumbering on every list whose items carry labels."""
    count = 0
    for element in tree.elements():
        if element.get("/S") != pikepdf.Name.L or "/A" in element:
            continue
        labelled = any(
            isinstance(k, pikepdf.Dictionary) and k.get("/S") == pikepdf.Name.Lbl
            for li in tree.kids(element)
            if isinstance(li, pikepdf.Dictionary)
            for k in tree.kids(li)
        )
        if not labelled:
            continue
        origin = record.origins.get(element.objgen[0])
        numbering = pikepdf.Name.Decimal if origin is not None and origin.tag == "ol" else pikepdf.Name.Disc
        element.A = pikepdf.Dictionary(O=pikepdf.Name.List, ListNumbering=numbering)
        count += 1
    return count


def _outline_items(item):
    while item is not None:
        yield item
        if "/First" in item:
            yield from _outline_items(item.First)
        item = item.get("/Next")


def structure_destinations(tree: Tree, record: Record) -> int:
    """Named destinations and bookmarks point at the structure element they land on."""
    pdf = tree.pdf
    by_id = {}
    for element in tree.elements():
        origin = record.origins.get(element.objgen[0])
        if origin is not None and origin.attrs.get("id"):
            by_id.setdefault(origin.attrs["id"], element)
    dests = pdf.Root.get("/Names", {}).get("/Dests")
    names = dests.get("/Names") if dests is not None else None
    if names is None:
        return 0
    converted = 0
    at_place: dict[tuple, str] = {}
    for i in range(0, len(names), 2):
        name, value = str(names[i]), names[i + 1]
        target = value.D if isinstance(value, pikepdf.Dictionary) else value
        at_place.setdefault((target[0].objgen, float(target[3])), name)
        element = by_id.get(name)
        if element is not None:
            names[i + 1] = pdf.make_indirect(
                pikepdf.Dictionary(D=target, SD=pikepdf.Array([element, *list(target)[1:]]))
            )
            converted += 1
    for toci in (e for e in tree.elements() if e.get("/S") == pikepdf.Name.TOCI):
        target = _toc_target(tree, toci, by_id)
        if target is not None:
            toci.Ref = pikepdf.Array([target])
    outlines = pdf.Root.get("/Outlines")
    if outlines is not None and "/First" in outlines:
        for item in _outline_items(outlines.First):
            dest = item.get("/Dest")
            if isinstance(dest, pikepdf.Array):
                name = at_place.get((dest[0].objgen, float(dest[3])))
                if name is not None and name in by_id:
                    item.Dest = pikepdf.String(name)
                    converted += 1
    pairs = sorted(((str(names[i]), names[i + 1]) for i in range(0, len(names), 2)), key=lambda p: p[0])
    dests.Names = pikepdf.Array([x for key, value in pairs for x in (pikepdf.String(key), value)])
    return converted


def _toc_target(tree: Tree, toci: pikepdf.Dictionary, by_id: dict) -> pikepdf.Dictionary | None:
    """The structure element a contents entry's link goes to."""
    for element in tree.elements(toci):
        if element.get("/S") != pikepdf.Name.Link:
            continue
        for kid in tree.kids(element):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.OBJR:
                dest = kid.Obj.get("/Dest")
                if isinstance(dest, pikepdf.String):
                    return by_id.get(str(dest))
        break
    return None


def declare_wtpdf(pdf: pikepdf.Pdf) -> None:
    """The WTPDF 1.0 Accessibility and Reuse conformance declarations, in the XMP metadata."""
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return
    xmp = metadata.read_bytes().decode("utf-8")
    if "pdfd:declarations" in xmp or "</rdf:RDF>" not in xmp:
        return
    metadata.write(xmp.replace("</rdf:RDF>", DECLARATIONS + "</rdf:RDF>", 1).encode("utf-8"))


def repair_ua2(tree: Tree, record: Record) -> None:
    list_numbering(tree, record)
    structure_destinations(tree, record)
    declare_wtpdf(tree.pdf)
