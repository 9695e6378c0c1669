"""The project's own rules for a tagged PDF: what a screen-reader user stumbles over that PDF/UA
validators pass. Each rule reads the structure tree and the text as pdf_tree.py gives them and
works on any tagged PDF, not only ours. Rules, by id:

tagged            the file has a structure tree and says it is tagged (MarkInfo /Marked)
toc-leaders       no tagged text is only leader characters (dots, middle dots, underscores)
toc-structure     a list whose items each link to a place in the document is a TOC, and a TOCI
                  holds one Link and no page number as text
link-split        two Link elements in a row (only spaces between) to the same target: one link
                  broken in two, usually by a line wrap
link-description  a link annotation's /Contents exists and is not its address or destination name,
                  and contains the words of its Link element (what a sighted reader sees)
callout-quote     a BlockQuote that holds a key figure (short, starts with a number) is no quotation
figure-caption    a figure's title ("Figure 3.") is its Caption, not a P beside it; in PDF 2.0
                  the Caption is inside the Figure
figure-alt        every Figure has alt text that is neither a file name nor a generic word
table-headers     a Table has header cells, every TH a Scope, every /Headers id exists
id-tree           elements with /ID are listed in the structure tree root's IDTree
container-split   one element is not cut in two by a page break (two Div, Sect, Table, L or P
                  in a row on consecutive pages, the second not starting with a heading; a
                  paragraph whose second piece starts mid-sentence)
reading-order     on each page, blocks in structure order go down the page (back up only into
                  another column; inside a table anything goes)
text-outside-page no tagged text is drawn outside the page's visible area
lang              the document has a /Lang, and every /Lang is a valid BCP 47 tag

A finding has the 1-based page it is on, 0 for the document as a whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import langcodes
import pikepdf

from .pdf_tree import Content, Element, TaggedPdf


@dataclass(frozen=True)
class Finding:
    page: int  # 1-based; 0 for the document as a whole
    rule: str
    message: str


HEADING = re.compile(r"H\d*")
LEADER = re.compile(r"[.·_…‥⋯‧∙⋅]+")
LEADERS_IN_TEXT = re.compile(r"(?:[.·_…]\s*){4,}")
MIN_LEADER = 4  # a run of leader characters this long is a leader, not an ellipsis or a full stop
PAGE_NUMBER = re.compile(r"\d{1,4}|[ivxlcdm]{1,7}", re.IGNORECASE)
MIN_TOC_ENTRIES = 4
KEY_FIGURE = re.compile(
    r"(?:(?:more than|over|nearly|almost|about|around|up to|at least|some|fewer than|less than)\s+)?"
    r"[$€£¥]?\d",
    re.IGNORECASE,
)
MAX_CALLOUT = 200  # characters: a key figure and its label, not a passage
FIGURE_TITLE = re.compile(
    r"(figure|fig\.|chart|graph|exhibit|map|diagram|illustration)\s+[A-Z]?\d+[A-Za-z]?\s*[.:—–-]",
    re.IGNORECASE,
)
FILE_NAME = re.compile(r"\S+\.(png|jpe?g|gif|bmp|svg|emf|wmf|tiff?|webp|pdf|eps)", re.IGNORECASE)
GENERIC_ALT = {
    "image", "picture", "photo", "chart", "graph", "figure", "diagram", "graphic", "img", "icon",
    "logo", "illustration", "untitled", "alt", "alt text", "placeholder", "screenshot",
}  # fmt: skip
SENTENCE_END = tuple('.!?:;…"”’)]»')
SPLITTABLE = {"Div", "Sect", "Table", "L", "Part", "Art", "BlockQuote", "TOC"}  # and P, in reading order
BLOCKS = {"P", "Caption", "LI", "LBody", "TOCI", "BlockQuote", "Note", "Code", "Title", "Aside"}
ATOMIC = {"Figure", "Formula", "Table"}  # read as a whole: their inside has its own order
WRAPPERS = {"Div", "NonStruct", "Part", "Span"}
ORDER_SLACK = 3.0  # points: lines of one row may differ this much at the top


def _short(text: str, size: int = 40) -> str:
    """A quotable piece of text: leader dots shown as one ellipsis, cut at `size` characters."""
    text = " ".join(LEADERS_IN_TEXT.sub(" … ", text).split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _tail(text: str, size: int = 30) -> str:
    """The last words of a text, for showing where it stops."""
    words = text.split()
    tail = ""
    while words and len(tail) + len(words[-1]) < size:
        tail = f"{words.pop()} {tail}".strip()
    return ("…" if words else "") + tail


def _page(doc: TaggedPdf, element: Element) -> int:
    page = doc.first_page(element)
    return page + 1 if page is not None else 0


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# ---------------------------------------------------------------- the document


def tagged(doc: TaggedPdf) -> Iterator[Finding]:
    if doc.struct_root is None:
        yield Finding(0, "tagged", "the PDF has no structure tree: a screen reader gets its text without "
                      "headings, lists, tables or reading order; export it as a tagged PDF")  # fmt: skip
        return
    mark_info = doc.pdf.Root.get("/MarkInfo")
    if not (isinstance(mark_info, pikepdf.Dictionary) and bool(mark_info.get("/Marked", False))):
        yield Finding(0, "tagged", "the catalog's /MarkInfo does not say /Marked true, so readers may "
                      "ignore the structure tree")  # fmt: skip


def lang(doc: TaggedPdf) -> Iterator[Finding]:
    value = doc.pdf.Root.get("/Lang")
    text = str(value).strip() if value is not None else ""
    if not text:
        yield Finding(0, "lang", "the document has no /Lang, so a screen reader guesses the language "
                      "to read it in")  # fmt: skip
    elif not _valid_language(text):
        yield Finding(0, "lang", f"the document's /Lang {text!r} is not a valid BCP 47 language tag")
    for element in doc.elements:
        value = element.obj.get("/Lang")
        text = str(value).strip() if value is not None else ""
        if text and not _valid_language(text):  # an empty /Lang means "unknown": allowed
            yield Finding(
                _page(doc, element),
                "lang",
                f"the {element.role} {_short(doc.text(element))!r} has /Lang {text!r}, not a valid "
                "BCP 47 language tag",
            )


def _valid_language(tag: str) -> bool:
    """BCP 47, which separates subtags with hyphens (langcodes would also take "en_US")."""
    return "_" not in tag and langcodes.tag_is_valid(tag)


def id_tree(doc: TaggedPdf) -> Iterator[Finding]:
    ids = {str(e.obj.ID): e for e in doc.elements if "/ID" in e.obj}
    if not ids:
        return
    tree = doc.struct_root.get("/IDTree")
    if tree is None:
        yield Finding(0, "id-tree", f"{_plural(len(ids), 'element')} carry an /ID but the structure tree "
                      "has no IDTree, which ISO 32000 requires for looking them up (table /Headers "
                      "point at these ids)")  # fmt: skip
        return
    listed = _name_tree(tree)
    missing = sorted(k for k, e in ids.items() if k not in listed or listed[k].objgen != e.obj.objgen)
    if missing:
        yield Finding(0, "id-tree", f"the IDTree leaves out {_plural(len(missing), 'id')} used in the tree "
                      f"({', '.join(missing[:3])}{' …' if len(missing) > 3 else ''})")  # fmt: skip


def _name_tree(node: pikepdf.Dictionary, depth: int = 0) -> dict[str, pikepdf.Object]:
    found = {}
    names = node.get("/Names")
    if names is not None:
        for i in range(0, len(names) - 1, 2):
            found[str(names[i])] = names[i + 1]
    for kid in node.get("/Kids", []) if depth < 32 else []:
        found.update(_name_tree(kid, depth + 1))
    return found


# ---------------------------------------------------------------- contents and links


def toc_leaders(doc: TaggedPdf) -> Iterator[Finding]:
    """Runs of leader-only text in reading order; WeasyPrint draws each dot as its own piece."""
    per_page: dict[int, list[int]] = defaultdict(list)  # page → sizes (in pieces) of each leader
    run: list[Content] = []
    chars = 0

    def close() -> None:
        if chars >= MIN_LEADER:
            per_page[run[0].page].append(len(run))

    for content in doc.root.contents():
        text = "".join(doc.text(content).split())
        if not text:
            continue
        if LEADER.fullmatch(text):
            run.append(content)
            chars += len(text)
            continue
        close()
        run, chars = [], 0
    close()
    for page, leaders in sorted(per_page.items()):
        yield Finding(
            page + 1,
            "toc-leaders",
            f"{_plural(len(leaders), 'leader')} of dots ({_plural(sum(leaders), 'tagged piece')} of text "
            "that are only leader characters): a screen reader with punctuation on reads every dot; "
            "draw leaders as artifacts",
        )


def _destination(doc: TaggedPdf, annotation: pikepdf.Dictionary) -> tuple | None:
    """Where a link annotation goes, comparable between annotations: ("uri", …) or ("dest", …)."""
    action = annotation.get("/A")
    dest = annotation.get("/Dest")
    if isinstance(action, pikepdf.Dictionary):
        if action.get("/S") == pikepdf.Name.URI:
            return ("uri", str(action.get("/URI", "")))
        if action.get("/S") == pikepdf.Name.GoTo:
            dest = action.get("/D")
        elif dest is None:
            return ("action", str(action.get("/S", "")))
    if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
        numbers = tuple(round(float(v)) for v in list(dest)[2:] if isinstance(v, int | float | Decimal))
        return ("dest", doc.page_index.get(dest[0].objgen), numbers)
    if dest is not None:
        return ("dest", str(dest))
    return None


def _internal(target: tuple | None) -> bool:
    return target is not None and target[0] == "dest"


def _link_targets(doc: TaggedPdf, link: Element) -> set[tuple]:
    return {t for a in link.annotations if (t := _destination(doc, a)) is not None}


def _without(element: Element, role: str) -> Iterator[Element]:
    """The element and its descendants, not going into nested elements of `role`."""
    yield element
    for kid in element.elements:
        if kid.role != role:
            yield from _without(kid, role)


def toc_structure(doc: TaggedPdf) -> Iterator[Finding]:
    for element in doc.elements:
        if element.role == "L":
            items = [k for k in element.elements if k.role == "LI"]
            if len(items) >= MIN_TOC_ENTRIES and all(_one_internal_link(doc, item) for item in items):
                yield Finding(
                    _page(doc, element),
                    "toc-structure",
                    f"a list of {len(items)} entries that each link to a place in this document "
                    f"({_short(doc.text(items[0]), 30)!r} …) is a table of contents: tag it TOC with a "
                    "TOCI per entry, so a screen reader announces it as contents",
                )
    problems: dict[tuple[int, str], list[str]] = defaultdict(list)
    for toci in (e for e in doc.elements if e.role == "TOCI"):
        inside = list(_without(toci, "TOC"))
        links = [e for e in inside[1:] if e.role == "Link" and e.parent.role != "Link"]
        nested = [e for e in inside[1:] if e.role == "Link" and e.parent.role == "Link"]
        if len(links) + len(nested) > 1:
            problems[(_page(doc, toci), "links")].append(_short(doc.text(toci), 30))
        numbers = [
            doc.text(c)
            for e in inside
            for c in e.kids
            if isinstance(c, Content) and PAGE_NUMBER.fullmatch(doc.text(c))
        ]
        if numbers:
            problems[(_page(doc, toci), "numbers")].append(numbers[-1])
    for (page, kind), examples in sorted(problems.items()):
        if kind == "links":
            message = (f"{_plural(len(examples), 'contents entry', 'contents entries')} hold more than "
                       f"one Link (e.g. {examples[0]!r}): an entry is one link, so a links list shows "
                       "each once")  # fmt: skip
        else:
            message = (f"{_plural(len(examples), 'contents entry', 'contents entries')} read their page "
                       f"number as text (e.g. {examples[0]!r}): make page numbers artifacts, the link "
                       "already goes there")  # fmt: skip
        yield Finding(page, "toc-structure", message)


def _one_internal_link(doc: TaggedPdf, item: Element) -> bool:
    """Whether a list item holds exactly one link target, inside the document (nested lists aside)."""
    targets = set()
    for e in _without(item, "L"):
        if e.role == "Link":
            targets |= _link_targets(doc, e)
    return len(targets) == 1 and _internal(next(iter(targets)))


def link_split(doc: TaggedPdf) -> Iterator[Finding]:
    previous: Element | None = None
    reported = set()
    for content in doc.root.contents():
        if not doc.text(content):
            continue
        link = _link_of(doc.owner.get(content))
        if link is not None and previous is not None and link is not previous:
            pair = (id(previous), id(link))
            if pair not in reported and _link_targets(doc, link) & _link_targets(doc, previous):
                reported.add(pair)
                yield Finding(
                    _page(doc, link),
                    "link-split",
                    f"the link {_short(doc.text(previous))!r} goes on as a second Link "
                    f"{_short(doc.text(link))!r} to the same place: one link broken in two (a line "
                    "wrap?), which a links list shows as two fragments",
                )
        previous = link


def _link_of(element: Element | None) -> Element | None:
    """The outermost Link an element sits in (nested Links are one link for reading)."""
    found = None
    while element is not None:
        if element.role == "Link":
            found = element
        element = element.parent
    return found


def _squeeze(text: str) -> str:
    """Text for comparing descriptions: no case, spaces or hyphens (a line wrap adds them)."""
    return re.sub(r"[\s\-\u00ad‐‑]+", "", text).casefold()


def link_description(doc: TaggedPdf) -> Iterator[Finding]:
    """Reported by page and kind of problem: a contents page can hold dozens of links."""
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    for page, annotation in doc.link_annotations():
        target = _destination(doc, annotation)
        contents = str(annotation.get("/Contents", "")).strip()
        element = doc.element_of(annotation)
        words = doc.text(element) if element is not None else ""
        if not contents:
            kind, example = "empty", _short(words) if words else _target_words(target)
        elif words and _squeeze(words) in _squeeze(contents):
            continue  # its own words (an address shown as the link's text is its own words too)
        elif target and target[0] == "uri" and _squeeze(contents) in _address_forms(target[1]):
            kind, example = "address", f"{_short(contents)!r}" + (f" for {_short(words)!r}" if words else "")
        elif target and target[0] == "dest" and len(target) == 2 and contents == target[1]:
            kind, example = "name", f"{_short(contents)!r}" + (f" for {_short(words)!r}" if words else "")
        elif words:
            kind, example = "other", f"{_short(contents)!r} for {_short(words)!r}"
        else:
            continue
        if example not in found[(page, kind)]:
            found[(page, kind)].append(example)
    for (page, kind), examples in sorted(found.items()):
        links = _plural(len(examples), "link")
        shown = "; ".join(examples[:2]) + (" …" if len(examples) > 2 else "")
        message = {
            "empty": f"{links} without a description (/Contents) for a screen reader: {shown}",
            "address": f"{links} described by an address instead of the words shown: {shown}",
            "name": f"{links} described by a destination's name instead of the words shown: {shown}",
            "other": f"{links} whose description does not hold the words a sighted reader sees: {shown}",
        }[kind]
        yield Finding(page + 1, "link-description", message)


def _address_forms(uri: str) -> set[str]:
    bare = re.sub(r"^(https?://|mailto:|tel:)", "", uri, flags=re.IGNORECASE)
    return {_squeeze(v) for v in (uri, bare, bare.rstrip("/"), bare.removeprefix("www."))}


def _target_words(target: tuple | None) -> str:
    if target is None:
        return "nowhere"
    if target[0] == "uri":
        return _short(target[1])
    if target[0] == "dest" and len(target) == 3:
        return f"page {target[1] + 1}" if target[1] is not None else "a place in the document"
    return f"{target[1]!r}"


# ---------------------------------------------------------------- figures, tables, callouts


def callout_quote(doc: TaggedPdf) -> Iterator[Finding]:
    for element in doc.elements:
        if element.role != "BlockQuote":
            continue
        text = doc.text(element)
        if text and len(text) <= MAX_CALLOUT and KEY_FIGURE.match(text):
            yield Finding(
                _page(doc, element),
                "callout-quote",
                f"the key figure {_short(text)!r} is tagged as a block quotation, so a screen reader "
                "announces a quote: tag it as a Div (an Aside in PDF 2.0)",
            )


def figure_caption(doc: TaggedPdf) -> Iterator[Finding]:
    pdf2 = doc.version >= "2.0"
    for figure in (e for e in doc.elements if e.role == "Figure"):
        for neighbour in _neighbours(doc, figure):
            text = doc.text(neighbour)
            if neighbour.role == "P" and FIGURE_TITLE.match(text):
                yield Finding(
                    _page(doc, figure),
                    "figure-caption",
                    f"the figure title {_short(text)!r} is a paragraph beside the Figure, not its "
                    "Caption, so nothing ties it to the figure it names",
                )
            elif (
                pdf2 and neighbour.role == "Caption" and not any(k.role == "Caption" for k in figure.elements)
            ):
                yield Finding(
                    _page(doc, figure),
                    "figure-caption",
                    f"the caption {_short(text)!r} sits beside the Figure: in PDF 2.0 a Figure's "
                    "Caption is its first or last child",
                )


def _neighbours(doc: TaggedPdf, element: Element) -> list[Element]:
    """The elements right before and after one that have words, looking past a wrapper (Div,
    NonStruct …) that holds nothing else with words: WeasyPrint wraps an image that way."""
    while element.parent is not None and element.parent.role in WRAPPERS:
        others = [k for k in element.parent.elements if k is not element and doc.text(k)]
        if others:
            break
        element = element.parent
    if element.parent is None:
        return []
    siblings = [k for k in element.parent.elements if k is element or doc.text(k)]
    i = siblings.index(element)
    found = []
    for neighbour in (siblings[j] for j in (i - 1, i + 1) if 0 <= j < len(siblings)):
        while neighbour.role in WRAPPERS:  # a title in a Div of its own is still the title beside it
            inner = [k for k in neighbour.elements if doc.text(k)]
            if len(inner) != 1:
                break
            neighbour = inner[0]
        found.append(neighbour)
    return found


def figure_alt(doc: TaggedPdf) -> Iterator[Finding]:
    for figure in (e for e in doc.elements if e.role == "Figure"):
        alt = " ".join(str(figure.obj.get("/Alt", "")).split())
        if not alt:
            if not str(figure.obj.get("/ActualText", "")).strip():
                yield Finding(_page(doc, figure), "figure-alt", "a Figure has no alt text (/Alt)")
        elif FILE_NAME.fullmatch(alt):
            yield Finding(_page(doc, figure), "figure-alt", f"a Figure's alt text is a file name ({alt!r})")
        elif re.sub(r"[\W\d_]+", " ", alt).strip().casefold() in GENERIC_ALT:
            yield Finding(
                _page(doc, figure),
                "figure-alt",
                f"a Figure's alt text is the generic {alt!r}: say what it shows",
            )


def table_headers(doc: TaggedPdf) -> Iterator[Finding]:
    ids = {str(e.obj.ID) for e in doc.elements if "/ID" in e.obj}
    for table in (e for e in doc.elements if e.role == "Table"):
        cells = [e for e in list(_without(table, "Table"))[1:] if e.role in ("TH", "TD")]
        headers = [c for c in cells if c.role == "TH"]
        caption = next((doc.text(k) for k in table.elements if k.role == "Caption"), "")
        name = f"the table {_short(caption)!r}" if caption else "a table"
        if cells and not headers:
            yield Finding(
                _page(doc, table),
                "table-headers",
                f"{name} has no header cells (TH), so a screen reader reads its values without "
                "saying which row or column they are in",
            )
        unscoped = [c for c in headers if c.attr("Table", "/Scope") is None]
        if unscoped:
            yield Finding(
                _page(doc, table),
                "table-headers",
                f"{_plural(len(unscoped), 'header cell')} of {len(headers)} in {name} "
                f"{'has' if len(unscoped) == 1 else 'have'} no Scope (Column or Row)",
            )
        missing = sorted(
            {str(h) for c in cells for h in c.attr("Table", "/Headers") or [] if str(h) not in ids}
        )
        if missing:
            yield Finding(
                _page(doc, table),
                "table-headers",
                f"cells of {name} name header ids that no element has ({', '.join(missing[:3])}"
                f"{' …' if len(missing) > 3 else ''})",
            )


# ---------------------------------------------------------------- pages and layout


def container_split(doc: TaggedPdf) -> Iterator[Finding]:
    for parent in [doc.root, *doc.elements]:
        kids = parent.elements
        for a, b in zip(kids, kids[1:]):
            if a.role != b.role or a.role not in SPLITTABLE:
                continue
            pages_a, pages_b = doc.pages(a), doc.pages(b)
            if pages_a and pages_b and pages_b[0] == pages_a[-1] + 1 and not _starts_with_heading(doc, b):
                yield Finding(
                    pages_b[0] + 1,
                    "container-split",
                    f"a {a.role} from page {pages_a[-1] + 1} goes on as a second {b.role} "
                    f"({_short(doc.text(b), 30)!r} …) that starts with no heading: one element cut in two "
                    "by the page break",
                )
    # Paragraphs in reading order, not only siblings: a split container splits its paragraphs too.
    paragraphs = [(e, doc.pages(e)) for e in _blocks(doc.root)]
    for (a, pages_a), (b, pages_b) in zip(paragraphs, paragraphs[1:]):
        if a.role != "P" or b.role != "P" or not pages_a or not pages_b or pages_b[0] != pages_a[-1] + 1:
            continue
        text_a, text_b = doc.text(a), doc.text(b)
        if text_a and text_b and not text_a.endswith(SENTENCE_END) and text_b[0].islower():
            yield Finding(
                pages_b[0] + 1,
                "container-split",
                f"a paragraph is cut in two by the page break ({_tail(text_a)!r} / "
                f"{_short(text_b, 30)!r}): a screen reader reads two paragraphs",
            )


def _starts_with_heading(doc: TaggedPdf, element: Element) -> bool:
    first = next((c for c in element.contents() if doc.text(c)), None)
    node = doc.owner.get(first) if first is not None else None
    while node is not None and node is not element.parent:
        if HEADING.fullmatch(node.role) or node.role == "Caption":
            return True
        node = node.parent
    return False


def _blocks(element: Element) -> Iterator[Element]:
    """The blocks of text a reader's eye moves between: paragraphs, headings, list bodies;
    a figure, formula or table as one."""
    for kid in element.elements:
        if kid.role in ATOMIC:
            yield kid
        elif (kid.role in BLOCKS or HEADING.fullmatch(kid.role)) and not any(True for _ in _blocks(kid)):
            yield kid
        else:
            yield from _blocks(kid)


def reading_order(doc: TaggedPdf) -> Iterator[Finding]:
    placed: dict[int, list[tuple[Element, tuple]]] = defaultdict(list)  # page → blocks in order
    for block in _blocks(doc.root):
        for page in doc.pages(block):
            placed[page].append((block, doc.box(block, page)))
    for page, blocks in sorted(placed.items()):
        for (a, box_a), (b, box_b) in zip(blocks, blocks[1:]):
            overlap = min(box_a[2], box_b[2]) - max(box_a[0], box_b[0])
            if box_b[3] > box_a[3] + ORDER_SLACK and overlap > ORDER_SLACK:
                yield Finding(
                    page + 1,
                    "reading-order",
                    f"the {b.role} {_short(doc.text(b))!r} is read after the {a.role} "
                    f"{_short(doc.text(a))!r} but sits above it in the same column",
                )


def text_outside_page(doc: TaggedPdf) -> Iterator[Finding]:
    outside: dict[int, list[str]] = defaultdict(list)
    for content, pieces in doc.pieces.items():
        if content not in doc.owner:
            continue  # not in the structure tree: nobody reads it
        area = doc.page_box(content.page)
        for piece in pieces:
            x0, y0, x1, y1 = piece.box
            if piece.text.strip() and (
                x0 < area[0] - 1 or y0 < area[1] - 1 or x1 > area[2] + 1 or y1 > area[3] + 1
            ):
                outside[content.page].append(piece.text)
    for page, texts in sorted(outside.items()):
        yield Finding(
            page + 1,
            "text-outside-page",
            f"{_plural(len(texts), 'piece')} of tagged text {'is' if len(texts) == 1 else 'are'} drawn "
            f"outside the page, wholly or in part (e.g. {_short(texts[0])!r}): a screen reader reads "
            "what nobody can see",
        )


RULES: dict[str, Callable[[TaggedPdf], Iterator[Finding]]] = {
    "tagged": tagged,
    "lang": lang,
    "toc-leaders": toc_leaders,
    "toc-structure": toc_structure,
    "link-split": link_split,
    "link-description": link_description,
    "callout-quote": callout_quote,
    "figure-caption": figure_caption,
    "figure-alt": figure_alt,
    "table-headers": table_headers,
    "id-tree": id_tree,
    "container-split": container_split,
    "reading-order": reading_order,
    "text-outside-page": text_outside_page,
}


def check_structure(doc: TaggedPdf) -> list[Finding]:
    """Every finding of the project's rules, by page (document-wide ones first)."""
    findings = [f for rule in RULES.values() for f in rule(doc)]
    order = list(RULES)
    return sorted(findings, key=lambda f: (f.page, order.index(f.rule)))
