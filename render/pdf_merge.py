"""Join the parts' PDFs (pdf_parts.py) into the report's one tagged PDF, as WeasyPrint would have
written the whole report: the pages in order; one structure tree whose Document holds every
part's elements; the ParentTree renumbered (each part counts its pages' and links' entries from
0); the named destinations, which links from other parts point to; the bookmarks; the fonts, each
embedded once and subset to the glyphs of every part (fontsubset.deferred_subsetting).

The first part (the front matter) brings the document-wide entries: the PDF version, the
catalogue's language, viewer preferences and XMP metadata, the document information. Each part's
record of origins (origins.py) is carried over to the joined objects, so tagging.repair works on
the joined PDF as on one WeasyPrint wrote. Elements of different parts share an origin only when
their HTML element has the same id in both: a chapter's <section>, which its opener part and its
sections' part each hold a piece of, is joined back into one Sect like a section a page break
cut.
"""

from __future__ import annotations

import io
import json
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf

from .fontsubset import DeferredFont
from .origins import Origin, Record

KEY_STRIDE = 1 << 24  # the origins of part i get keys i * KEY_STRIDE + their own


@dataclass(frozen=True)
class WrittenPart:
    """A part as WeasyPrint wrote it: its PDF, what made its structure elements, its fonts left to
    subset, and its number of pages."""

    pdf: bytes
    record: Record
    fonts: dict[str, DeferredFont]
    pages: int


def _pairs(source: pikepdf.Object, copy: pikepdf.Object, found: dict[int, int]) -> None:
    """Object number in the part → in the joined PDF, for the structure elements below `source`
    and their copies (which have the same shape)."""
    stack = [(source, copy)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, pikepdf.Array):
            stack.extend(zip(list(a), list(b)))
        elif isinstance(a, pikepdf.Dictionary) and "/S" in a:
            if a.is_indirect:
                if a.objgen[0] in found:
                    continue
                found[a.objgen[0]] = b.objgen[0]
            kids = a.get("/K")
            if isinstance(kids, pikepdf.Array | pikepdf.Dictionary):
                stack.append((kids, b.K))


def _copy(into: pikepdf.Pdf, source: pikepdf.Pdf, items: list) -> list:
    """Copies in `into` of objects of `source`, sharing the copies already made (of its pages)."""
    return list(into.copy_foreign(source.make_indirect(pikepdf.Array(items))))


def _outline_items(outlines: pikepdf.Object | None) -> list[pikepdf.Dictionary]:
    item = outlines.get("/First") if isinstance(outlines, pikepdf.Dictionary) else None
    found = []
    while isinstance(item, pikepdf.Dictionary):
        found.append(item)
        item = item.get("/Next")
    return found


def _named(pdf: pikepdf.Pdf) -> tuple[list[str], list[pikepdf.Object]]:
    names = pdf.Root.get("/Names")
    dests = names.get("/Dests") if isinstance(names, pikepdf.Dictionary) else None
    flat = list(dests.get("/Names", [])) if isinstance(dests, pikepdf.Dictionary) else []
    return [str(n) for n in flat[0::2]], flat[1::2]


def _font_files(pdf: pikepdf.Pdf) -> dict[str, list[pikepdf.Dictionary]]:
    """Font name → the font descriptors naming it, in the fonts of every page."""
    found: dict[str, dict[tuple[int, int], pikepdf.Dictionary]] = {}
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values() if isinstance(fonts, pikepdf.Dictionary) else ():
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get("/FontDescriptor")
                if isinstance(descriptor, pikepdf.Dictionary):
                    found.setdefault(str(font.BaseFont)[1:], {})[descriptor.objgen] = descriptor
    return {name: list(d.values()) for name, d in found.items()}


def merge(
    parts: list[WrittenPart], subset: Callable[[str, list[DeferredFont]], bytes]
) -> tuple[pikepdf.Pdf, Record]:
    """The parts joined, and the origins of the joined PDF's structure elements. `subset(name,
    uses)` makes the one embedded file of a deferred font from all its uses."""
    pdf = pikepdf.open(io.BytesIO(parts[0].pdf))
    root = pdf.Root.StructTreeRoot
    document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    shared: dict[str, int] = {}  # an HTML id → the key of its element's origin in every part
    record = Record({n: _rekey(o, 0, shared) for n, o in parts[0].record.origins.items()})
    nums = list(root.ParentTree.Nums)
    entries = [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    next_key = max((k for k, _ in entries), default=-1) + 1
    names, targets = _named(pdf)
    destinations = dict(zip(names, targets))
    bookmarks = _outline_items(pdf.Root.get("/Outlines"))
    uses = {name: [font] for name, font in parts[0].fonts.items()}

    for index, part in enumerate(parts[1:], start=1):
        source = pikepdf.open(io.BytesIO(part.pdf))
        source_root = source.Root.StructTreeRoot
        source_document = source_root.K[0] if isinstance(source_root.K, pikepdf.Array) else source_root.K
        del source_document["/P"]  # so copying it does not copy its whole tree root
        first_page = len(pdf.pages)
        with warnings.catch_warnings():  # named destinations: joined below, with the links' names
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            pdf.pages.extend(source.pages)  # copied first: every later copy shares these pages
        copied_document, *_ = _copy(pdf, source, [source_document])
        source_nums = list(source_root.ParentTree.Nums)
        keys = [int(k) for k in source_nums[0::2]]
        values = _copy(pdf, source, source_nums[1::2])
        found: dict[int, int] = {}
        _pairs(source_document, copied_document, found)
        _pairs(pikepdf.Array(source_nums[1::2]), pikepdf.Array(values), found)
        # The part's elements join the report's Document; elements off the tree (the running
        # heads, which tagging.repair declares artifacts) keep pointing at it as before.
        for kid in copied_document.K if isinstance(copied_document.K, pikepdf.Array) else [copied_document.K]:
            kid.P = document
            document.K.append(kid)
        for value in values:
            for element in value if isinstance(value, pikepdf.Array) else [value]:
                parent = element.get("/P") if isinstance(element, pikepdf.Dictionary) else None
                if parent is not None and parent.objgen == copied_document.objgen:
                    element.P = document
        for page in pdf.pages[first_page:]:
            page.obj.StructParents = int(page.obj.StructParents) + next_key
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + next_key
        entries += [(k + next_key, v) for k, v in zip(keys, values)]
        next_key += max(keys, default=-1) + 1
        names, targets = _named(source)
        for name, target in zip(names, _copy(pdf, source, targets)):
            destinations.setdefault(name, target)
        items = _outline_items(source.Root.get("/Outlines"))
        for item in items:
            del item["/Parent"]
        bookmarks += _copy(pdf, source, items)
        for number, origin in part.record.origins.items():
            if number in found:
                record.origins[found[number]] = _rekey(origin, index, shared)
        for name, font in part.fonts.items():
            uses.setdefault(name, []).append(font)

    root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=_flat(sorted(entries, key=lambda e: e[0]))))
    root.ParentTreeNextKey = next_key
    if destinations:
        flat = _flat([(pikepdf.String(n), destinations[n]) for n in sorted(destinations)])
        names_dict = pdf.Root.get("/Names")
        if not isinstance(names_dict, pikepdf.Dictionary):
            pdf.Root.Names = names_dict = pikepdf.Dictionary()
        names_dict.Dests = pdf.make_indirect(pikepdf.Dictionary(Names=flat))
    _chain(pdf, bookmarks)
    _embed_fonts(pdf, uses, _font_files(pdf), subset)
    return pdf, record


def _rekey(origin: Origin, part: int, shared: dict[str, int]) -> Origin:
    """The origin with a key unique to its part, or shared by the elements with its id."""
    if "id" in origin.attrs:
        key = shared.setdefault(origin.attrs["id"], -1 - len(shared))
    else:
        key = part * KEY_STRIDE + origin.key
    return Origin(key, origin.tag, origin.attrs, origin.text)


def _flat(pairs) -> pikepdf.Array:
    return pikepdf.Array([x for pair in pairs for x in pair])


def _chain(pdf: pikepdf.Pdf, items: list[pikepdf.Dictionary]) -> None:
    """The top-level bookmarks of every part, in order, as the document's outline."""
    if not items:
        return
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary):
        pdf.Root.Outlines = outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    count = 0
    for i, item in enumerate(items):
        item.Parent = outlines
        for key in ("/Prev", "/Next"):
            if key in item:
                del item[key]
        if i:
            item.Prev = items[i - 1]
            items[i - 1].Next = item
        count += 1 + max(0, int(item.get("/Count", 0)))
    outlines.First, outlines.Last, outlines.Count = items[0], items[-1], count


def _embed_fonts(
    pdf: pikepdf.Pdf,
    uses: dict[str, list[DeferredFont]],
    descriptors: dict[str, list[pikepdf.Dictionary]],
    subset: Callable[[str, list[DeferredFont]], bytes],
) -> None:
    """Each deferred font embedded once, subset to every part's glyphs, in every part's font."""
    for name in sorted(uses):
        data = subset(name, uses[name])
        stream = pikepdf.Stream(pdf, zlib.compress(data))
        stream.Filter = pikepdf.Name.FlateDecode
        stream.Length1 = len(data)
        stream = pdf.make_indirect(stream)
        for descriptor in descriptors.get(name, []):
            key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
            if key == "/FontFile3":
                stream.Subtype = pikepdf.Name.OpenType
                del stream["/Length1"]
            descriptor[key] = stream


def encode_part(part: WrittenPart) -> bytes:
    """A written part as one cache entry: a line of JSON, then the PDF."""
    head = {
        "pages": part.pages,
        "fonts": {
            n: [f.digest, f.index, list(f.glyphs), f.hinting, f.notdef_outline] for n, f in part.fonts.items()
        },
        "origins": [[n, o.key, o.tag, o.attrs, o.text] for n, o in part.record.origins.items()],
    }
    return json.dumps(head, sort_keys=True).encode() + b"\n" + part.pdf


def decode_part(data: bytes) -> WrittenPart | None:
    head, _, pdf = data.partition(b"\n")
    try:
        raw = json.loads(head)
        fonts = {
            str(n): DeferredFont(str(d), int(i), tuple(int(g) for g in glyphs), bool(h), bool(o))
            for n, (d, i, glyphs, h, o) in raw["fonts"].items()
        }
        origins = {
            int(n): Origin(int(k), str(t), {str(a): str(v) for a, v in attrs.items()}, str(text))
            for n, k, t, attrs, text in raw["origins"]
        }
        return WrittenPart(pdf, Record(origins), fonts, int(raw["pages"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
