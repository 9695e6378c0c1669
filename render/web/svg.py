"""A chart's SVG (as the chart cache stores it for the PDF) made fit to sit inline in a web page.

Inline rather than <img>, so the chart's words are real text in the page's own font and the picture
scales without blurring. Three things would go wrong if the file were pasted as it is:

- ids: Matplotlib names its parts `figure_1`, `patch_1`, `p5fbb17eee2` … in every chart, and ids are
  page-wide, so a second chart's `url(#clip)` would clip with the first chart's path. Every id and
  every reference to one gets the chart's own prefix.
- its `<style>`: `*{stroke-linejoin: round}` inside an inline SVG applies to the whole page; the
  declarations become attributes of the chart's root, where they inherit as they did.
- its name: the picture becomes one image to assistive technology (role="img", its text not read
  piece by piece), named by a <title> and described by a <desc> with the chart's alt text, the same
  words the PDF's figure carries.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
_REFERENCE = re.compile(r"url\(\s*#([^)\s]+)\s*\)")
_DECLARATION = re.compile(r"\*\s*\{([^}]*)\}")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@lru_cache(maxsize=64)
def inline_svg(data: bytes, prefix: str, title: str, description: str) -> str:
    """The SVG as markup for an HTML page: ids prefixed with `prefix`, sized by the page, an image
    to assistive technology named `title` and described by `description`."""
    root = etree.fromstring(data, _PARSER)
    for element in list(root.iter(f"{{{SVG}}}metadata", f"{{{SVG}}}style")):
        if element.tag == f"{{{SVG}}}style":
            for declarations in _DECLARATION.findall(element.text or ""):
                for declaration in declarations.split(";"):
                    name, _, value = declaration.partition(":")
                    if name.strip() and value.strip():
                        root.set(name.strip(), value.strip())
        element.getparent().remove(element)

    ids = {element.get("id") for element in root.iter() if element.get("id")}

    def rename(name: str) -> str:
        return f"{prefix}-{name}" if name in ids else name

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute, value in element.attrib.items():
            if attribute == "id":
                element.set(attribute, rename(value))
            elif attribute in ("href", f"{{{XLINK}}}href") and value.startswith("#"):
                element.set(attribute, "#" + rename(value[1:]))
            elif "url(#" in value:
                element.set(attribute, _REFERENCE.sub(lambda m: f"url(#{rename(m.group(1))})", value))

    for size in ("width", "height"):  # the page sizes it, keeping the viewBox's proportions
        root.attrib.pop(size, None)
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}-title")
    root.set("aria-describedby", f"{prefix}-desc")
    root.set("class", "chart-picture")
    desc = etree.Element(f"{{{SVG}}}desc", id=f"{prefix}-desc")
    desc.text = description
    name = etree.Element(f"{{{SVG}}}title", id=f"{prefix}-title")
    name.text = title
    root.insert(0, desc)
    root.insert(0, name)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="unicode")
