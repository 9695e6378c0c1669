"""Markdown to HTML (for the PDF) and to plain sentences (for speaker notes), with one parser."""

from __future__ import annotations

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(["replacements", "smartquotes"])


def markdown_to_html(markdown: str, heading_offset: int = 1) -> str:
    """Render Markdown; '#' headings move down `heading_offset` levels to sit under the section title."""
    tokens = _md.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + heading_offset)
            token.tag = f"h{level}"
    return _md.renderer.render(tokens, _md.options, {})


def markdown_to_plain(markdown: str) -> list[str]:
    """Paragraphs of plain text (links reduced to their words), for notes and slide bodies."""
    tokens = _md.parse(markdown)
    paragraphs: list[str] = []
    for token in tokens:
        if token.type == "inline":
            words = []
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
            text = "".join(words).strip()
            if text:
                paragraphs.append(text)
    return paragraphs


def link_texts(markdown: str) -> dict[str, str]:
    """Each link's address → the words it is shown with (the first, if an address repeats)."""
    found: dict[str, str] = {}
    for token in _md.parse(markdown):
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
