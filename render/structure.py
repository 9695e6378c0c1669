"""Repair the structure tree with what we know of each element's origin (origins.py).

- One element per HTML element: the pieces WeasyPrint makes of a paragraph split by a page break,
  a link wrapped onto a second line, a chapter or section running over several pages, or a table
  broken across pages are joined into one, in reading order. The repeated header row of a table
  on its later pages is declared a pagination artifact, and the cells' /Headers point at the
  first header row.
- Roles our templates ask for with `data-pdf`: the contents as TOC / TOCI (a TOCI holds its one
  Link; the page numbers are artifacts), a chart's title and note as its Caption.

Everything here rearranges elements and their references (parents, the ParentTree that maps
marked content and annotations back to elements); no page content changes except that marked
content declared an artifact is rewritten as one (tagging.mark_as_artifacts).
"""

from __future__ import annotations

from collections import defaultdict

import pikepdf

from .origins import Record

FLATTEN_IN_TOC = ("/LBody", "/NonStruct", "/Span", "/Div", "/P")


class Tree:
    """The structure tree with the lookups the repairs need."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.root = pdf.Root.StructTreeRoot
        self.pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        nums = self.root.ParentTree.get("/Nums") or pikepdf.Array()
        self.parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        self._slots: dict[tuple[int, int], list[tuple[pikepdf.Array, int, bool]]] | None = None

    def kids(self, node: pikepdf.Dictionary) -> list:
        k = node.get("/K")
        if k is None:
            return []
        return list(k) if isinstance(k, pikepdf.Array) else [k]

    def elements(self, node: pikepdf.Dictionary | None = None) -> list[pikepdf.Dictionary]:
        """Structure elements below node (the whole tree by default), in reading order."""
        out = []
        stack = list(reversed(self.kids(node if node is not None else self.root)))
        while stack:
            kid = stack.pop()
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                out.append(kid)
                stack.extend(reversed(self.kids(kid)))
        return out

    def page_of(self, element: pikepdf.Dictionary) -> int | None:
        page = element.get("/Pg")
        return self.pages.get(page.objgen) if page is not None else None

    def marked_content(self, element: pikepdf.Dictionary) -> dict[int, set[int]]:
        """All marked content (page → MCIDs) of an element and its descendants."""
        found: dict[int, set[int]] = defaultdict(set)
        for e in [element, *self.elements(element)]:
            page = self.page_of(e)
            for kid in self.kids(e):
                if isinstance(kid, int):
                    found[page].add(int(kid))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.MCR:
                    mp = kid.get("/Pg")
                    found[self.pages.get(mp.objgen, page) if mp is not None else page].add(int(kid.MCID))
        return found

    def _users(self) -> dict[tuple[int, int], list[tuple[pikepdf.Array, int, bool]]]:
        """Element → the ParentTree slots naming it (container, index, whether the index is an
        MCID of a page's list), built once: finding them by scanning the whole ParentTree for
        every repair made the repairs quadratic in the length of the report."""
        if self._slots is None:
            self._slots = defaultdict(list)
            for value in self.parent_tree.values():
                if isinstance(value, pikepdf.Array):
                    for i, item in enumerate(value):
                        if isinstance(item, pikepdf.Dictionary):
                            self._slots[item.objgen].append((value, i, True))
            nums = self.root.ParentTree.get("/Nums")
            if nums is not None:
                for i in range(1, len(nums), 2):
                    if isinstance(nums[i], pikepdf.Dictionary):
                        self._slots[nums[i].objgen].append((nums, i, False))
        return self._slots

    def repoint(self, old: pikepdf.Dictionary, new: pikepdf.Dictionary) -> None:
        """Every ParentTree entry naming `old` (its marked content, its annotations) names `new`."""
        users = self._users()
        slots = [s for s in users.pop(old.objgen, []) if _names(s[0][s[1]], old)]
        for container, i, _ in slots:
            container[i] = new
        users[new.objgen].extend(slots)

    def repoint_mcid(self, old: pikepdf.Dictionary, new: pikepdf.Dictionary, mcid: int) -> None:
        """The ParentTree entry of one piece of old's marked content names `new`."""
        users = self._users()
        for slot in [
            s for s in users.get(old.objgen, []) if s[2] and s[1] == mcid and _names(s[0][mcid], old)
        ]:
            slot[0][mcid] = new
            users[old.objgen].remove(slot)
            users[new.objgen].append(slot)

    def detach(self, element: pikepdf.Dictionary) -> None:
        parent = element.get("/P")
        if isinstance(parent, pikepdf.Dictionary):
            parent.K = pikepdf.Array(
                [
                    k
                    for k in self.kids(parent)
                    if not (isinstance(k, pikepdf.Dictionary) and k.objgen == element.objgen)
                ]
            )

    def move_kids(
        self, source: pikepdf.Dictionary, target: pikepdf.Dictionary, at: int | None = None
    ) -> None:
        """Move all of source's kids into target (appended, or inserted at `at`), keeping each piece
        of marked content tied to its page."""
        moved = []
        source_page, target_page = source.get("/Pg"), target.get("/Pg")
        for kid in self.kids(source):
            if isinstance(kid, int):
                if source_page is not None and (
                    target_page is None or source_page.objgen != target_page.objgen
                ):
                    kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=source_page, MCID=kid)
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                kid.P = target
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.OBJR:
                if "/Pg" not in kid and source_page is not None:
                    kid.Pg = source_page
            moved.append(kid)
        existing = self.kids(target)
        position = len(existing) if at is None else at
        target.K = pikepdf.Array(existing[:position] + moved + existing[position:])
        source.K = pikepdf.Array([])
        self.repoint(source, target)


def _names(item: pikepdf.Object, element: pikepdf.Dictionary) -> bool:
    """Whether a ParentTree slot still names the element (artifacts are set to None)."""
    return isinstance(item, pikepdf.Dictionary) and item.objgen == element.objgen


def _ancestors(element: pikepdf.Dictionary) -> set[tuple[int, int]]:
    found = set()
    node = element.get("/P")
    while isinstance(node, pikepdf.Dictionary) and "/S" in node:
        found.add(node.objgen)
        node = node.get("/P")
    return found


def join_pieces(tree: Tree, record: Record, artifacts: dict[int, set[int]]) -> int:
    """Join every HTML element's pieces into its first one; a table's repeated header row becomes
    an artifact. Returns how many pieces were joined."""
    groups: dict[int, list[pikepdf.Dictionary]] = defaultdict(list)
    for element in tree.elements():
        origin = record.origins.get(element.objgen[0])
        if origin is not None:
            groups[origin.key].append(element)
    header_ids: dict[str, str] = {}
    joined = 0
    # Repeated table headers first: their rows and cells must not be joined into the first header.
    for key, pieces in groups.items():
        origin = record.origins[pieces[0].objgen[0]]
        if origin.tag == "thead" and len(pieces) > 1:
            first_ids = _ids(tree, pieces[0])
            for repeat in pieces[1:]:
                header_ids.update(zip(_ids(tree, repeat), first_ids))
                for page, mcids in tree.marked_content(repeat).items():
                    artifacts.setdefault(page, set()).update(mcids)
                tree.detach(repeat)
                joined += 1
            for element in (e for repeat in pieces[1:] for e in tree.elements(repeat)):
                origin_key = record.origins.get(element.objgen[0])
                if origin_key is not None:
                    groups[origin_key.key] = [g for g in groups[origin_key.key] if g.objgen != element.objgen]
            groups[key] = pieces[:1]
    for pieces in groups.values():
        if len(pieces) < 2:
            continue
        first = pieces[0]
        for piece in pieces[1:]:
            if first.objgen in _ancestors(piece) or piece.objgen in _ancestors(first):
                continue  # WeasyPrint's own wrapper (an LI around its LBody), not a piece
            tree.move_kids(piece, first)
            tree.detach(piece)
            joined += 1
    if header_ids:
        _rename_headers(tree, header_ids)
    return joined + join_table_pieces(tree, record, artifacts)


def join_table_pieces(tree: Tree, record: Record, artifacts: dict[int, set[int]]) -> int:
    """A long table set in pieces side by side is one table: each piece's rows join the first
    piece's body, its header row is an artifact, its cells' /Headers name the first header, and
    the caption above the pieces becomes the table's Caption. Returns how many pieces were joined."""
    tables = {}
    pieces: dict[str, list[pikepdf.Dictionary]] = defaultdict(list)
    captions: dict[str, pikepdf.Dictionary] = {}
    for element in tree.elements():
        origin = record.origins.get(element.objgen[0])
        if origin is None:
            continue
        target = origin.attrs.get("data-pdf-table")
        if element.get("/S") == pikepdf.Name.Table and origin.attrs.get("id"):
            tables[origin.attrs["id"]] = element
        elif element.get("/S") == pikepdf.Name.Table and target:
            pieces[target].append(element)
        elif target and origin.role == "Caption" and target not in captions:
            captions[target] = element
    joined = 0
    for name, first in tables.items():
        first_head = _part(tree, first, "/THead")
        first_ids = _ids(tree, first_head) if first_head is not None else []
        body = _part(tree, first, "/TBody") or first
        rename: dict[str, str] = {}
        for piece in pieces.get(name, []):
            head = _part(tree, piece, "/THead")
            if head is not None:
                rename.update(zip(_ids(tree, head), first_ids))
                for page, mcids in tree.marked_content(head).items():
                    artifacts.setdefault(page, set()).update(mcids)
                tree.detach(head)
            for part in [k for k in tree.kids(piece) if isinstance(k, pikepdf.Dictionary) and "/S" in k]:
                for row in tree.kids(part):
                    if isinstance(row, pikepdf.Dictionary) and "/S" in row:
                        row.P = body
                        body.K = pikepdf.Array([*tree.kids(body), row])
                part.K = pikepdf.Array([])
            _detach_emptied(tree, piece)
            joined += 1
        if rename:
            _rename_headers(tree, rename)
        caption = captions.get(name)
        if caption is not None:
            tree.detach(caption)
            caption.S = pikepdf.Name.Caption
            caption.P = first
            first.K = pikepdf.Array([caption, *tree.kids(first)])
    return joined


def _part(tree: Tree, table: pikepdf.Dictionary, role: str) -> pikepdf.Dictionary | None:
    return next(
        (
            k
            for k in tree.kids(table)
            if isinstance(k, pikepdf.Dictionary) and k.get("/S") == pikepdf.Name(role)
        ),
        None,
    )


def _detach_emptied(tree: Tree, element: pikepdf.Dictionary) -> None:
    """Detach a joined piece and every wrapper it leaves empty."""
    parent = element.get("/P")
    tree.detach(element)
    while (
        isinstance(parent, pikepdf.Dictionary)
        and "/S" in parent
        and parent.get("/S") != pikepdf.Name.Document
    ):
        if tree.kids(parent):
            break
        grand = parent.get("/P")
        tree.detach(parent)
        parent = grand


def _ids(tree: Tree, element: pikepdf.Dictionary) -> list[str]:
    return [str(e.ID) for e in tree.elements(element) if e.get("/S") == pikepdf.Name.TH and "/ID" in e]


def _rename_headers(tree: Tree, rename: dict[str, str]) -> None:
    for element in tree.elements():
        attrs = element.get("/A")
        for attr in attrs if isinstance(attrs, pikepdf.Array) else [attrs]:
            if isinstance(attr, pikepdf.Dictionary) and "/Headers" in attr:
                attr.Headers = pikepdf.Array(
                    [pikepdf.String(rename.get(str(h), str(h))) for h in attr.Headers]
                )


def apply_roles(tree: Tree, record: Record, artifacts: dict[int, set[int]]) -> int:
    """The roles templates ask for with data-pdf: TOC, TOCI, Caption, and artifact."""
    changed = 0
    for element in tree.elements():
        origin = record.origins.get(element.objgen[0])
        if origin is not None and origin.attrs.get("lang"):
            element.Lang = pikepdf.String(origin.attrs["lang"])  # WeasyPrint keeps only the document's
        if origin is None or not origin.role:
            continue
        parent = element.get("/P")
        outer = record.origins.get(parent.objgen[0]) if isinstance(parent, pikepdf.Dictionary) else None
        if outer is not None and outer.key == origin.key:
            # WeasyPrint's inner element for the same HTML element (the LBody it puts in an LI):
            # the role is the outer one's; this one dissolves into it.
            index = [
                k.objgen if isinstance(k, pikepdf.Dictionary) else None for k in tree.kids(parent)
            ].index(element.objgen)
            tree.move_kids(element, parent, at=index)
            tree.detach(element)
            continue
        if origin.role == "artifact":
            for page, mcids in tree.marked_content(element).items():
                artifacts.setdefault(page, set()).update(mcids)
            tree.detach(element)
        elif origin.role in ("TOC", "TOCI", "Caption"):
            element.S = pikepdf.Name("/" + origin.role)
        changed += 1
    for element in tree.elements():
        if element.get("/S") == pikepdf.Name.TOCI:
            _flatten(tree, element)
            _reference(tree, element)
        elif element.get("/S") == pikepdf.Name.Caption:
            _caption_into_figure(tree, element)
    return changed


def _reference(tree: Tree, toci: pikepdf.Dictionary) -> None:
    """A TOCI holds a Reference (its Link and any text beside it) and, for a chapter, the TOC of
    its sections: Link is not a child PDF 2.0 allows in TOCI."""
    inline = [
        k
        for k in tree.kids(toci)
        if not (isinstance(k, pikepdf.Dictionary) and k.get("/S") == pikepdf.Name.TOC)
    ]
    rest = [k for k in tree.kids(toci) if k not in inline]
    if not inline:
        return
    reference = tree.pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Reference, P=toci, K=pikepdf.Array([])
        )
    )
    if "/Pg" in toci:
        reference.Pg = toci.Pg
    holder = pikepdf.Dictionary(K=pikepdf.Array(inline))
    if "/Pg" in toci:
        holder.Pg = toci.Pg
    toci.K = pikepdf.Array([])
    tree.move_kids(holder, reference)
    toci.K = pikepdf.Array([reference, *rest])
    for element in tree.elements(reference):
        if element.get("/P") is not None and element.P.objgen == toci.objgen:
            element.P = reference
    for kid in tree.kids(reference):
        if isinstance(kid, int):
            tree.repoint_mcid(toci, reference, int(kid))


def _caption_into_figure(tree: Tree, caption: pikepdf.Dictionary) -> None:
    """A chart's title and note are the Caption of its Figure (PDF 2.0 puts Caption inside the
    Figure; a Div around them would count for nothing, being transparent to structure rules)."""
    parent = caption.get("/P")
    if not isinstance(parent, pikepdf.Dictionary):
        return
    figures = [
        k
        for k in tree.kids(parent)
        if isinstance(k, pikepdf.Dictionary) and k.get("/S") == pikepdf.Name.Figure
    ]
    if len(figures) != 1:
        return
    figure = figures[0]
    tree.detach(caption)
    caption.P = figure
    figure.K = pikepdf.Array([caption, *tree.kids(figure)])


def _flatten(tree: Tree, toci: pikepdf.Dictionary) -> None:
    """A TOCI holds its entry's Link (and a nested TOC) directly: wrappers WeasyPrint made for the
    list item (LBody, NonStruct, Span) are dissolved into it."""
    changed = True
    while changed:
        changed = False
        for kid in tree.kids(toci):
            if isinstance(kid, pikepdf.Dictionary) and str(kid.get("/S")) in FLATTEN_IN_TOC:
                index = [
                    k.objgen if isinstance(k, pikepdf.Dictionary) else None for k in tree.kids(toci)
                ].index(kid.objgen)
                tree.move_kids(kid, toci, at=index)
                tree.detach(kid)
                changed = True
                break


def add_id_tree(tree: Tree) -> int:
    """ISO 32000 requires an ID tree when elements carry /ID (WeasyPrint gives header cells ids)."""
    named = sorted(((str(e.ID), e) for e in tree.elements() if "/ID" in e), key=lambda pair: pair[0])
    if not named:
        return 0
    names = pikepdf.Array()
    for name, element in named:
        names.append(pikepdf.String(name))
        names.append(element)
    tree.root.IDTree = tree.pdf.make_indirect(pikepdf.Dictionary(Names=names))
    return len(named)


def link_texts(tree: Tree, record: Record) -> dict[tuple[int, int], str]:
    """Each link annotation (by object) → the words of the link it belongs to."""
    found = {}
    for element in tree.elements():
        if element.get("/S") != pikepdf.Name.Link:
            continue
        origin = record.origins.get(element.objgen[0])
        if origin is None or not origin.text:
            continue
        for kid in tree.kids(element):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.OBJR:
                found[kid.Obj.objgen] = origin.text
    return found
