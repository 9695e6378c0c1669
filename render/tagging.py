"""Repair what WeasyPrint 70 leaves wrong in the PDF's tags, measured on our own output.

- The running header and page numbers (text in @page margin boxes) are written as marked content
  whose structure elements hang off the tree (their parent does not list them): neither read as
  content nor declared as artifacts. We turn them into /Artifact /Pagination, which is what a screen
  reader expects to skip. (WeasyPrint issue #1836)
- Table header cells get no /Scope even with scope="col"/"row" in the HTML, so a screen reader
  cannot tell a column header from a row header. We add it from the cell's place in the table. (#2508)
- A table that breaks across pages becomes one Table per page, each with a copy of the header
  row, so a screen reader announces three tables. We join the pieces. (#2902)
- Figure bounding boxes are in CSS pixels from the top of the page, not PDF points.
- Link annotations carry the raw address as their description and lack the Print flag.

Nothing here changes how a page looks; the validator runs on the result in the tests.
"""

from __future__ import annotations

import io
import re

import pikepdf

from .origins import Record
from .structure import Tree, add_id_tree, apply_roles, join_pieces, link_texts
from .ua2 import repair_ua2

PRINT_FLAG = 4
MARKED_CONTENT = re.compile(rb"/[A-Za-z0-9]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _reachable(root: pikepdf.Dictionary) -> set[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or node.objgen in seen and node.objgen != (0, 0):
            continue
        if node.is_indirect:
            seen.add(node.objgen)
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(k for k in kids if isinstance(k, pikepdf.Dictionary))
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)
    return seen


def _parent_tree(root: pikepdf.Dictionary) -> dict[int, pikepdf.Object]:
    nums = root.ParentTree.get("/Nums")
    if nums is None:  # a tree with /Kids; WeasyPrint writes a flat /Nums array
        return {}
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def _page_mcids(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Array]:
    """Page index → the ParentTree array mapping each MCID on that page to its structure element."""
    parents = _parent_tree(pdf.Root.StructTreeRoot)
    found = {}
    for i, page in enumerate(pdf.pages):
        index = page.obj.get("/StructParents")
        if index is not None and isinstance(parents.get(int(index)), pikepdf.Array):
            found[i] = parents[int(index)]
    return found


def _retag(content: bytes, mcids: set[int]) -> tuple[bytes, int]:
    """Turn the BDC operators of the given MCIDs into artifacts, leaving every other byte alone.

    A targeted rewrite: parsing and re-serialising whole content streams cost seconds per report.
    WeasyPrint writes marked content as "/Span << /MCID 7 >> BDC".
    """
    swapped = 0

    def swap(match: re.Match) -> bytes:
        nonlocal swapped
        if int(match.group(1)) not in mcids:
            return match.group(0)
        swapped += 1
        return b"/Artifact << /Type /Pagination >> BDC"

    return MARKED_CONTENT.sub(swap, content), swapped


def mark_as_artifacts(pdf: pikepdf.Pdf, targets: dict[int, set[int]]) -> int:
    """Rewrite the given marked-content sequences (page → MCIDs) as pagination artifacts."""
    mcid_parents = _page_mcids(pdf)
    changed = 0
    for page_index, mcids in targets.items():
        if not mcids:
            continue
        page = pdf.pages[page_index]
        streams = page.obj.Contents if isinstance(page.obj.Contents, pikepdf.Array) else [page.obj.Contents]
        for stream in streams:
            original = stream.read_bytes()
            rewritten, count = _retag(original, mcids)
            if count:
                stream.write(rewritten)
                changed += count
        for mcid in mcids:
            if page_index in mcid_parents and mcid < len(mcid_parents[page_index]):
                mcid_parents[page_index][mcid] = None
    return changed


def artifact_orphaned_marked_content(pdf: pikepdf.Pdf) -> int:
    """Marked content whose structure element is not in the tree (running header, page numbers)."""
    reachable = _reachable(pdf.Root.StructTreeRoot)
    targets = {
        page_index: {
            i
            for i, element in enumerate(array)
            if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable
        }
        for page_index, array in _page_mcids(pdf).items()
    }
    return mark_as_artifacts(pdf, targets)


def _role(node: pikepdf.Object) -> str:
    return str(node.get("/S", "")) if isinstance(node, pikepdf.Dictionary) else ""


def add_header_scope(pdf: pikepdf.Pdf) -> int:
    """Give every TH a /Scope: Column inside THead, Row in the body (our tables' row headers)."""
    count = 0
    stack = [(pdf.Root.StructTreeRoot, False)]
    while stack:
        node, in_head = stack.pop()
        role = _role(node)
        in_head = in_head or role == "/THead"
        if role == "/TH":
            scope = pikepdf.Name.Column if in_head else pikepdf.Name.Row
            attrs = node.get("/A")
            table_attrs = None
            for candidate in attrs if isinstance(attrs, pikepdf.Array) else [attrs]:
                if isinstance(candidate, pikepdf.Dictionary) and candidate.get("/O") == pikepdf.Name.Table:
                    table_attrs = candidate
            if table_attrs is None:
                table_attrs = pikepdf.Dictionary(O=pikepdf.Name.Table)
                if attrs is None:
                    node.A = table_attrs
                elif isinstance(attrs, pikepdf.Array):
                    attrs.append(table_attrs)
                else:
                    node.A = pikepdf.Array([attrs, table_attrs])
            table_attrs.Scope = scope
            count += 1
        kids = node.get("/K")
        items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        for kid in items:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                stack.append((kid, in_head))
    return count


def _kids(node: pikepdf.Dictionary) -> list:
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _elements(node: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """Structure elements below node, in reading order."""
    found = []
    for kid in _kids(node):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found.append(kid)
            found.extend(_elements(kid))
    return found


def _mcids(node: pikepdf.Dictionary, pages: dict, page_index: int | None = None) -> dict[int, set[int]]:
    """All marked content (page → MCIDs) belonging to an element and its descendants."""
    if node.get("/Pg") is not None:
        page_index = pages.get(node.Pg.objgen, page_index)
    found: dict[int, set[int]] = {}
    for kid in _kids(node):
        if isinstance(kid, int):
            found.setdefault(page_index, set()).add(int(kid))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.MCR:
            kid_page = pages.get(kid.Pg.objgen, page_index) if kid.get("/Pg") is not None else page_index
            found.setdefault(kid_page, set()).add(int(kid.MCID))
        elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            for p, ids in _mcids(kid, pages, page_index).items():
                found.setdefault(p, set()).update(ids)
    return found


def _detach(node: pikepdf.Dictionary) -> None:
    """Remove an element from its parent; remove parents left empty, up to the document."""
    parent = node.get("/P")
    if not isinstance(parent, pikepdf.Dictionary):
        return
    remaining = [
        k for k in _kids(parent) if not (isinstance(k, pikepdf.Dictionary) and k.objgen == node.objgen)
    ]
    if remaining or "/S" not in parent or _role(parent) == "/Document":
        parent.K = pikepdf.Array(remaining)
    else:
        _detach(parent)


def _header_ids(thead: pikepdf.Dictionary) -> list[str]:
    return [str(e.ID) for e in _elements(thead) if _role(e) == "/TH" and e.get("/ID") is not None]


def merge_split_tables(pdf: pikepdf.Pdf) -> int:
    """Join the pieces of a table that broke across pages back into one Table element.

    WeasyPrint writes one Table per page, each repeating the header row. Our templates give every
    table a caption, so a Table without a Caption is the continuation of the one before it: its rows
    move into that table, its repeated header becomes a pagination artifact, and cell /Headers ids
    are pointed at the first header row. A screen reader then announces one table with all its rows.
    """
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    tables = [e for e in _elements(pdf.Root.StructTreeRoot) if _role(e) == "/Table"]
    kept = None
    merged = 0
    artifacts: dict[int, set[int]] = {}
    removed_ids: set[str] = set()
    for table in tables:
        parts = [k for k in _kids(table) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        if kept is None or any(_role(k) == "/Caption" for k in parts):
            kept = table
            continue
        kept_parts = [k for k in _kids(kept) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        kept_head = next((k for k in kept_parts if _role(k) == "/THead"), None)
        kept_body = next((k for k in reversed(kept_parts) if _role(k) == "/TBody"), None)
        if kept_body is None:
            kept = table
            continue
        rename: dict[str, str] = {}
        for part in parts:
            if _role(part) == "/THead":
                ids = _header_ids(part)
                rename.update(zip(ids, _header_ids(kept_head) if kept_head is not None else []))
                removed_ids.update(ids)
                for p, found in _mcids(part, pages).items():
                    artifacts.setdefault(p, set()).update(found)
        for part in parts:
            if _role(part) not in ("/TBody", "/TFoot", "/TR"):
                continue
            rows = (
                [part]
                if _role(part) == "/TR"
                else [k for k in _kids(part) if isinstance(k, pikepdf.Dictionary)]
            )
            for row in rows:
                row.P = kept_body
                kept_body.K = pikepdf.Array([*_kids(kept_body), row])
                for cell in _kids(row):
                    attrs = cell.get("/A") if isinstance(cell, pikepdf.Dictionary) else None
                    for attr in attrs if isinstance(attrs, pikepdf.Array) else [attrs]:
                        if isinstance(attr, pikepdf.Dictionary) and "/Headers" in attr:
                            attr.Headers = pikepdf.Array(
                                [pikepdf.String(rename.get(str(h), str(h))) for h in attr.Headers]
                            )
        _detach(table)
        merged += 1
    if artifacts:
        mark_as_artifacts(pdf, artifacts)
    if removed_ids:
        _drop_ids(pdf, removed_ids)
    return merged


def _drop_ids(pdf: pikepdf.Pdf, ids: set[str]) -> None:
    tree = pdf.Root.StructTreeRoot.get("/IDTree")
    if tree is None:
        return

    def prune(node):
        names = node.get("/Names")
        if names is not None:
            kept = []
            for i in range(0, len(names), 2):
                if str(names[i]) not in ids:
                    kept += [names[i], names[i + 1]]
            node.Names = pikepdf.Array(kept)
        for kid in node.get("/Kids", []):
            prune(kid)

    prune(tree)


PX_TO_PT = 0.75


def fix_figure_bboxes(pdf: pikepdf.Pdf) -> int:
    """Figure /BBox in PDF user space: points, origin at the bottom of the page.

    WeasyPrint writes CSS pixels measured from the top, so tools that highlight or reflow a
    figure (read-aloud, Reflow, "save as") point at the wrong place. (Measured on WeasyPrint 70.)
    """
    count = 0
    for element in _elements(pdf.Root.StructTreeRoot):
        if _role(element) != "/Figure" or element.get("/Pg") is None:
            continue
        height = float(element.Pg.MediaBox[3])
        attrs = element.get("/A")
        for attr in attrs if isinstance(attrs, pikepdf.Array) else [attrs]:
            if isinstance(attr, pikepdf.Dictionary) and "/BBox" in attr:
                x0, top, x1, bottom = (float(v) * PX_TO_PT for v in attr.BBox)
                attr.BBox = pikepdf.Array([round(v, 2) for v in (x0, height - bottom, x1, height - top)])
                count += 1
    return count


def describe_links(
    pdf: pikepdf.Pdf, descriptions: dict[str, str], own_words: dict[tuple[int, int], str] | None = None
) -> int:
    """Make link annotations printable and give them their link's words as /Contents.

    WeasyPrint puts the raw address (or, for a link inside the document, the target's id) in
    /Contents, which is what a screen reader announces for the annotation. Each link's own words
    (`own_words`, by annotation) say where it goes, even when two links share an address; the
    address → words lookup is the fallback.
    """
    count = 0
    own_words = own_words or {}
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != pikepdf.Name.Link:
                continue
            annotation.F = int(annotation.get("/F", 0)) | PRINT_FLAG
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, pikepdf.Dictionary) else ""
            words = own_words.get(annotation.objgen) or descriptions.get(uri)
            if words:
                annotation.Contents = pikepdf.String(words)
                count += 1
    return count


def repair(
    pdf: bytes | pikepdf.Pdf,
    link_descriptions: dict[str, str] | None = None,
    record: Record | None = None,
    *,
    ua2: bool = False,
) -> bytes:
    """The PDF (its bytes, or opened: the record's object numbers are those of the open PDF) with
    its tags repaired, saved with a deterministic file ID (same input, same bytes). With a record
    of each element's origin (origins.py), split elements are joined and the roles the templates
    ask for applied; without one, split tables are joined by their shape."""
    if not isinstance(pdf, pikepdf.Pdf):
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            return repair(opened, link_descriptions, record, ua2=ua2)
    artifact_orphaned_marked_content(pdf)
    own_words = {}
    if record:
        tree = Tree(pdf)
        artifacts: dict[int, set[int]] = {}
        join_pieces(tree, record, artifacts)
        apply_roles(tree, record, artifacts)
        mark_as_artifacts(pdf, artifacts)
        add_id_tree(tree)
        own_words = link_texts(tree, record)
        if ua2:
            repair_ua2(tree, record)
    else:
        merge_split_tables(pdf)
    add_header_scope(pdf)
    fix_figure_bboxes(pdf)
    describe_links(pdf, link_descriptions or {}, own_words)
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
