"""Read the web edition and the PDF as words, to compare what each tells a reader.

The PDF is read with poppler's pdftotext, cropped to the page's body (no running heads, no page
numbers), with the contents page and each chapter's "In this chapter" list left out: those are
the PDF's navigation, and the web edition's navigation is compared by its links instead. The web
page is read from its HTML: the text of each block a reader meets (paragraphs, list items,
headings, captions, table rows), and every word on the page.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

from lxml import html

# The PDF's page body, in points from the top of a US letter page: below the running head, above
# the page number.
BODY_TOP, BODY_HEIGHT = 60, 672
EDGE_PUNCTUATION = ".,;:!?()[]\"'“”‘’"


def normalise(text: str) -> str:
    """One space between words, ligatures and special spaces as plain letters and spaces, and no
    hyphens: pdftotext joins a word broken at a hyphen at the end of a line and drops the hyphen
    ("1-800-" + "THE-LOST" reads "1-800THE-LOST"), so hyphens are left out on both sides."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("-", "")
    return " ".join(text.split())


def words(text: str) -> set[str]:
    """The distinct words of a text, without the punctuation around them."""
    return {w.strip(EDGE_PUNCTUATION) for w in normalise(text).split(" ")} - {""}


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's body text, in poppler's reading order."""
    out = subprocess.run(
        ["pdftotext", "-x", "0", "-y", str(BODY_TOP), "-W", "1000", "-H", str(BODY_HEIGHT), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split("\f")[:-1]


def pdf_reading_text(pdf: Path) -> str:
    """The PDF's text a reader reads, without its navigation (the contents page, each chapter's
    "In this chapter" list)."""
    kept = []
    for page in pdf_pages(pdf):
        if page.lstrip().startswith("Contents"):
            continue
        kept.append(re.split("in this chapter", page, flags=re.IGNORECASE)[0])
    # List bullets are text in the PDF and list markers on the web.
    return normalise(" ".join(kept).replace("•", " "))


BLOCKS = " | ".join(
    f"//main//{element}" for element in ("p", "li[not(.//p)]", "h2", "h3", "h4", "caption", "tr")
)


def web_document(page: Path):
    return html.parse(str(page)).getroot()


# Elements whose text is never run into the next element's: blocks, table cells, chart labels.
SPACED = {
    "p",
    "li",
    "ul",
    "ol",
    "div",
    "td",
    "th",
    "tr",
    "caption",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "section",
    "header",
    "footer",
    "nav",
    "main",
    "text",
    "dd",
    "dt",
}


def _spaced(root):
    """A copy of the tree with a space around every block, so its text has words, not "110,153calls"."""
    root = html.fromstring(html.tostring(root))
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.split("}")[-1] in SPACED:
            element.text = " " + (element.text or "")
            element.tail = " " + (element.tail or "")
    return root


def web_blocks(root) -> list[str]:
    """The text of each block of the report's main part, in reading order."""
    root = _spaced(root)
    return [t for t in (normalise(e.text_content()) for e in root.xpath(BLOCKS)) if t]


def web_reading_text(root, leave_out: tuple[str, ...] = ()) -> str:
    """Every word the page shows (charts' labels included, their title and description not), less
    the elements matched by the XPath expressions in `leave_out`."""
    root = _spaced(root)  # a copy to cut from
    for expression in ("//head", "//*[local-name()='title' or local-name()='desc']", *leave_out):
        for element in root.xpath(expression):
            element.drop_tree()
    return normalise(root.text_content())


def found_in(block: str, text: str) -> bool:
    """Whether the block's words are in the text in order, allowing one interruption (a page break,
    where the next page's side-column figure is drawn before the paragraph goes on)."""
    if block in text:
        return True
    parts = block.split(" ")
    low, high = 0, len(parts)  # the longest run of leading words found
    while low < high:
        middle = (low + high + 1) // 2
        if " ".join(parts[:middle]) in text:
            low = middle
        else:
            high = middle - 1
    return 0 < low < len(parts) and " ".join(parts[low:]) in text
