"""Pictures placed in the narrative: only files in the year's images/ folder, each checked.

A picture is content like any other, so it obeys the same rules: it resolves inside
`content/<year>/images/` (no remote address, no path outside, no symlink out), it has alt text or
is marked decorative, and an SVG may not reach anything outside itself (no external references,
no entity declarations that could expand without bound).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree
from PIL import Image as PILImage

from .errors import ContentError
from .model import Image
from .paths import Resolver

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
MAX_IMAGE_BYTES = 20_000_000
XLINK = "{http://www.w3.org/1999/xlink}href"
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]*)|@import\s+['\"]([^'\"]*)")


def check_image(
    src: str, alt: str, decorative: bool, *, root: Path, resolver: Resolver, blame: Path, line: int | None
) -> Image:
    """The picture `src` (as written in the Markdown at blame:line), resolved and checked."""

    def fail(message: str, hint: str | None = None) -> ContentError:
        return ContentError(blame, message, line=line, hint=hint)

    images = root / "images"
    where = "put the picture in this year's images/ folder and write ![what it shows](images/name.png)"
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        raise fail(f"the image address {src!r} is not a file in the content's images/ folder", where)
    relative = Path(unquote(parts.path))
    if relative.is_absolute():
        raise fail(f"the image {src!r} is an absolute path", where)
    # Written relative to the content folder (images/x.png) or to the section file (../images/x.png).
    path = root / relative if relative.parts[:1] == ("images",) else blame.parent / relative
    if path.suffix.lower() not in IMAGE_TYPES:
        raise fail(
            f"the image {src!r} is not a picture this report can show",
            "use PNG, JPEG, GIF, WebP or SVG",
        )
    real = resolver.file(path, blame=blame, line=line, what="image", within=images)
    if not alt.strip() and not decorative:
        raise fail(
            f"the image {src!r} has no alt text",
            "say what it shows for screen-reader users: ![what it shows](images/…), or mark a purely "
            "decorative picture: ![](images/…){.decorative}",
        )
    if real.stat().st_size > MAX_IMAGE_BYTES:
        raise fail(f"the image {src!r} is {real.stat().st_size / 1e6:.0f} MB; at most 20 MB")
    data = real.read_bytes()
    width, height = _svg_size(data, src, fail) if real.suffix.lower() == ".svg" else _bitmap_size(data)
    if not width or not height:
        raise fail(f"the image {src!r} cannot be read as a {real.suffix[1:].upper()} picture")
    return Image(src=src, path=real, alt=alt.strip(), decorative=decorative, width=width, height=height)


def _svg_size(data: bytes, src: str, fail) -> tuple[float, float]:
    """An SVG's size from width/height or its viewBox, after checking it refers to nothing outside."""
    if b"<!ENTITY" in data:
        raise fail(f"the SVG {src!r} declares XML entities", "save it without a DOCTYPE (e.g. re-export it)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise fail(f"the SVG {src!r} is not valid XML: {e}") from None
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        refs = [element.get("href"), element.get(XLINK)]
        for text in (element.get("style") or "", element.text if element.tag.endswith("style") else ""):
            refs += [a or b for a, b in CSS_URL.findall(text or "")]
        for value in filter(None, refs):
            if not (value.startswith("#") or value.startswith("data:")):
                raise fail(
                    f"the SVG {src!r} refers to {value!r} (line {element.sourceline} of the SVG)",
                    "an image may only refer to its own parts: embed what it needs",
                )
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if (not width or not height) and len(box) == 4:
        width, height = float(box[2]), float(box[3])
    return width, height


def _length(value: str | None) -> float:
    m = re.fullmatch(r"\s*([0-9.]+)\s*(px|pt)?\s*", value or "")
    if not m:
        return 0.0
    return float(m.group(1)) * (4 / 3 if m.group(2) == "pt" else 1)


def _bitmap_size(data: bytes) -> tuple[float, float]:
    """Width and height from the file's header (Pillow reads it without decoding the pixels)."""
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            return picture.size
    except (OSError, PILImage.DecompressionBombError):
        return 0, 0
