"""Repair what WeasyPrint 70 leaves wrong in the PDF's tags, measured on our own output.

- The running header and page numbers (text in @page margin boxes) are written as marked content
  whose structure elements hang off the tree (their parent does not list them): neither read as
  content nor declared as artifacts. We turn them into /Artifact /Pagination, which is what a screen
  reader expects to skip. (WeasyPrint issue #1836)
- Table header cells get no /Scope even with scope="col"/"row" in the HTML, so a screen reader
  cannot tell a column header from a row header. We add it from the cell's place in the table. (#2508)
- Link annotations lack the Print flag that PDF/UA's underlying PDF/A-style checks expect.

Nothing here changes how a page looks; the validator runs on the result in the tests.
"""

from __future__ import annotations

import io

import pikepdf

PRINT_FLAG = 4


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


def artifact_orphaned_marked_content(pdf: pikepdf.Pdf) -> int:
    """Turn marked content whose structure element is not in the tree into pagination artifacts."""
    root = pdf.Root.StructTreeRoot
    reachable = _reachable(root)
    parents = _parent_tree(root)
    changed = 0
    for page in pdf.pages:
        index = page.obj.get("/StructParents")
        if index is None or int(index) not in parents:
            continue
        mcid_parents = parents[int(index)]
        if not isinstance(mcid_parents, pikepdf.Array):
            continue
        orphans = {
            i
            for i, element in enumerate(mcid_parents)
            if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable
        }
        if not orphans:
            continue
        operations = []
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary):
                mcid = operands[1].get("/MCID")
                if mcid is not None and int(mcid) in orphans:
                    operands = [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
                    changed += 1
            operations.append((operands, operator))
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
        for i in orphans:
            mcid_parents[i] = None
    return changed


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


def flag_links_printable(pdf: pikepdf.Pdf) -> int:
    count = 0
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") == pikepdf.Name.Link:
                annotation.F = int(annotation.get("/F", 0)) | PRINT_FLAG
                count += 1
    return count


def repair(pdf_bytes: bytes) -> bytes:
    """The PDF with its tags repaired, saved with a deterministic file ID (same input, same bytes)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        artifact_orphaned_marked_content(pdf)
        add_header_scope(pdf)
        flag_links_printable(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
