"""Markdown to HTML (for the PDF and the web edition) and to plain text (for speaker notes and the
deck's key points), with one parser, so every output reads the same Markdown the same way.

The narrative is parsed once, when the model is built (`parse`, kept on each `Prose`); renderers
turn those tokens into their own form and never change them, so one parse serves them all. The
functions here take either the tokens or, for a one-line label, the Markdown itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin

# The parser stops reading blocks nested deeper than this (silently: the rest is dropped), so the
# narrative's checks refuse lists over 3 levels and callouts in callouts long before it. It also
# bounds the work per "[": markdown-it scans link labels up to this depth.
MAX_NESTING = 20


def parser(*, html: bool = False) -> MarkdownIt:
    """The one Markdown dialect of the narrative: CommonMark with typographic quotes and
    `{…}` attributes after images, links and bracketed passages (`[gracias]{lang=es}`); the
    narrative's checks allow only a language on a passage and `.decorative` on a picture.
    `html=True` only to find raw HTML (which the checks refuse); rendering never passes HTML
    through."""
    md = MarkdownIt("commonmark", {"html": html, "typographer": True, "maxNesting": MAX_NESTING})
    return md.enable(["replacements", "smartquotes"]).use(attrs_plugin, spans=True)


_md = parser()

Source = str | Sequence[Token]  # Markdown, or the tokens `parse` made of it


def parse(markdown: str) -> tuple[Token, ...]:
    """The narrative's tokens: what every renderer reads, parsed once with the model."""
    return tuple(_md.parse(markdown))


def _tokens(source: Source) -> Sequence[Token]:
    return _md.parse(source) if isinstance(source, str) else source


def _heading(token: Token, offset: int) -> Token:
    """A copy of a heading token moved down `offset` levels (the parsed tokens stay as they are)."""
    moved = token.copy()
    moved.tag = f"h{min(6, int(token.tag[1]) + offset)}"
    moved.attrs = dict(token.attrs)
    return moved


def markdown_to_html(
    source: Source, heading_offset: int = 1, image: Callable[[Token], str] | None = None
) -> str:
    """Render Markdown; '#' headings move down `heading_offset` levels to sit under the section title.
    `image` renders each image token (the narrative's images are resolved files, never raw src)."""
    tokens = [
        _heading(t, heading_offset) if t.type in ("heading_open", "heading_close") else t
        for t in _tokens(source)
    ]
    if image is None:
        return _md.renderer.render(tokens, _md.options, {})
    renderer = type(_md.renderer)(_md)
    renderer.rules["image"] = lambda tokens, idx, options, env: image(tokens[idx])
    return renderer.render(tokens, _md.options, {})


def markdown_blocks_html(
    source: Source,
    heading_offset: int = 1,
    image: Callable[[Token], str] | None = None,
    mark: Callable[[], str] | None = None,
    id_prefix: str = "",
) -> list[tuple[str, str]]:
    """The Markdown's top-level blocks (paragraphs, lists, subheadings …) rendered one by one, each
    with an id from `mark` set as its `data-flow` attribute: the units a page layout may reorder
    and find again on the laid-out page."""
    tokens = _tokens(source)
    renderer = type(_md.renderer)(_md)
    if image is not None:
        renderer.rules["image"] = lambda tokens, idx, options, env: image(tokens[idx])
    groups: list[list[Token]] = []
    depth = 0
    for index, token in enumerate(tokens):
        nesting = token.nesting
        if token.type in ("heading_open", "heading_close"):
            token = _heading(token, heading_offset)
        if token.type == "heading_open" and id_prefix:
            words = tokens[index + 1].content if index + 1 < len(tokens) else ""
            token.attrSet("id", f"{id_prefix}-" + "-".join(re.findall(r"[a-z0-9]+", words.lower())))
        if depth == 0:
            groups.append([])
        groups[-1].append(token)
        depth += nesting
    out = []
    for group in groups:
        flow = mark() if mark else ""
        if flow:
            first = group[0].copy()
            first.attrs = dict(group[0].attrs)
            first.attrSet("data-flow", flow)
            group[0] = first
        out.append((flow, renderer.render(group, _md.options, {})))
    return out


def markdown_inline_html(markdown: str) -> str:
    """One line of Markdown as inline HTML (no paragraph around it): a label, a caption."""
    return _md.renderInline(markdown).strip()


def markdown_to_plain(source: Source) -> list[str]:
    """Paragraphs of plain text (links reduced to their words), for notes and slide bodies."""
    tokens = _tokens(source)
    paragraphs: list[str] = []
    for token in tokens:
        if token.type == "inline":
            text = _inline_text(token).strip()
            if text:
                paragraphs.append(text)
    return paragraphs


Span = tuple[str, str]  # words, and the address they link to ("" for plain words)


def markdown_to_blocks(source: Source) -> list[tuple[str, tuple[Span, ...]]]:
    """(kind, spans) for each paragraph: kind "para", "quote" (a callout) or "heading"; spans are
    its words with the address of each link, whitespace collapsed. A list becomes one sentence
    joined to the paragraph that introduces it."""
    out: list[tuple[str, tuple[Span, ...]]] = []
    items: list[tuple[Span, ...]] = []
    kind, depth = "para", 0
    for token in _tokens(source):
        if token.type == "blockquote_open":
            kind = "quote"
        elif token.type == "blockquote_close":
            kind = "para"
        elif token.type == "heading_open":
            kind = "heading"
        elif token.type == "heading_close":
            kind = "para"
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            if depth == 0 and items:
                joined: list[Span] = []
                for i, item in enumerate(items):
                    if i:
                        joined.append((" and " if i == len(items) - 1 else ", ", ""))
                    joined += item
                joined.append((".", ""))
                if out and "".join(w for w, _ in out[-1][1]).endswith(":"):
                    out[-1] = (out[-1][0], _collapse([*out[-1][1], (" ", ""), *joined]))
                else:
                    out.append(("para", _collapse(joined)))
                items = []
        elif token.type == "inline":
            spans = _collapse(_inline_spans(token))
            if spans and depth:
                last = spans[-1]
                items.append((*spans[:-1], (last[0].rstrip("."), last[1])))
            elif spans:
                out.append((kind, spans))
    return out


def _inline_spans(token) -> list[Span]:
    """An inline token's words as spans: link words carry their address."""
    spans: list[Span] = []
    href = ""
    for child in token.children or []:
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
        elif child.type == "link_close":
            href = ""
        elif child.type in ("text", "code_inline"):
            spans.append((child.content, href))
        elif child.type in ("softbreak", "hardbreak"):
            spans.append((" ", href))
    return spans


def _collapse(spans: list[Span]) -> tuple[Span, ...]:
    """Neighbouring spans with the same address merged, runs of whitespace made one space, and
    none at either end."""
    merged: list[list[str]] = []
    for words, href in spans:
        words = re.sub(r"\s+", " ", words)
        if merged and merged[-1][1] == href:
            merged[-1][0] += words
        elif words:
            merged.append([words, href])
    out: list[Span] = []
    for i, (words, href) in enumerate(merged):
        if out and out[-1][0].endswith(" "):
            words = words.lstrip(" ")
        if i == 0:
            words = words.lstrip(" ")
        if i == len(merged) - 1:
            words = words.rstrip(" ")
        if words:
            out.append((words, href))
    return tuple(out)


def _inline_text(token) -> str:
    """An inline token's words: text and code as written, line breaks as spaces, links as their words."""
    words = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return "".join(words)


def link_texts(source: Source) -> dict[str, str]:
    """Each link's address → the words it is shown with (the first, if an address repeats)."""
    found: dict[str, str] = {}
    for token in _tokens(source):
        if token.type != "inline":
            continue
        href, words = None, []
        for child in token.children or []:
            if child.type == "link_open":
                href, words = str(child.attrs.get("href", "")), []
            elif child.type == "link_close" and href is not None:
                found.setdefault(href, " ".join("".join(words).split()))
                href = None
            elif href is not None and child.type in ("text", "code_inline"):
                words.append(child.content)
            elif href is not None and child.type in ("softbreak", "hardbreak"):
                words.append(" ")
    return found
