"""Whole outputs kept by what made them: when a renderer's inputs are exactly those of an earlier
build, its output (the PDF, the deck, the web edition) and its accessibility findings are read
back instead of made again. A build after an edit that touches only the deck's notes lays no PDF
out; a build with nothing changed writes the same files in a second or two.

The key hashes everything an output's bytes can depend on:
- the model (`repr(report)`: frozen dataclasses of strings, numbers, tuples and paths, the same in
  every process; checked by the tests), the renderer (its name, function and checker) and the
  PDF standard asked for;
- every file of the content folder and of the styles folder (texts, data, pictures, templates,
  the theme), and the font files the theme names, by content;
- the code: every file of this package, the versions of Python and of the libraries the outputs
  go through, and the system libraries WeasyPrint draws text with (Pango, HarfBuzz, fontconfig,
  FreeType: their files' size and time, as loaded).
Anything else (the output folder, the time of day, whether the deck ran in a worker) never
changes an output's bytes, which the byte-identical builds in the tests show.

Entries live in outputs/ of the build cache (chart_cache.user_cache_dir), written and checked as
the chart pictures are (a SHA-256 before the data; a bad entry is made again, never used), and
only the most recently used few are kept: an output is megabytes, not kilobytes.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from .cache_store import file_digest, prune, read_entry, write_entry
from .model import Report
from .outputs import Finding, Rendered, Renderer
from .theme import Theme

FORMAT = b"impact-report output 1\n"
MAX_ENTRIES = 12  # a few builds of each output (the PDF about 1 MB, the deck 2 MB, the web 1 MB)
MAX_BYTES = 256 * 2**20  # a 900-page report's outputs are 30 MB an entry
LIBRARIES = (  # what the outputs' bytes go through besides this package
    "weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools", "brotli", "zopfli",
    "python-pptx", "lxml", "pillow", "matplotlib", "numpy",
    "jinja2", "markupsafe", "markdown-it-py", "mdit-py-plugins", "pikepdf", "pyphen",
)  # fmt: skip
SYSTEM_LIBRARIES = ("libpango-1.0.so.0", "libharfbuzz.so.0", "libfontconfig.so.1", "libfreetype.so.6")
PACKAGE = Path(__file__).resolve().parent


class OutputCache:
    """The outputs stored in `folder` (None: nothing is kept, every output is made)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def key(self, renderer: Renderer, report: Report, theme: Theme, pdf_standard: str | None) -> str:
        h = hashlib.sha256(FORMAT)
        h.update(f"{renderer!r}\0{pdf_standard}\0".encode())  # its functions and checker by name
        h.update(code_version().encode())
        h.update(repr(report).encode())
        for folder in (report.content_dir, theme.styles_dir):
            h.update(folder_digest(Path(folder)).encode())
        for style, path in sorted(theme.font_files.items()):  # the fonts come from a package
            st = path.stat()
            h.update(f"{style}={file_digest(path, st.st_size, st.st_mtime_ns)}\0".encode())
        return h.hexdigest()

    def get(self, key: str) -> tuple[Rendered, list[Finding]] | None:
        if self.folder is None:
            return None
        data = read_entry(self.folder / key, FORMAT)
        if data is None:
            return None
        head, _, body = data.partition(b"\n")
        try:
            index = json.loads(head)
            files, findings = index["files"], [tuple(f) for f in index["findings"]]
        except (ValueError, KeyError, TypeError):
            return None
        parts, at = {}, 0
        for name, size in files:
            parts[name], at = body[at : at + size], at + size
        rendered: Rendered = parts[""] if list(parts) == [""] else parts
        return rendered, findings

    def put(self, key: str, rendered: Rendered, findings: list[Finding]) -> None:
        if self.folder is None:
            return
        parts = {"": rendered} if isinstance(rendered, bytes) else rendered
        head = json.dumps({"files": [[n, len(d)] for n, d in parts.items()], "findings": findings})
        write_entry(self.folder / key, FORMAT, head.encode() + b"\n" + b"".join(parts.values()))
        prune(self.folder, MAX_ENTRIES, MAX_BYTES)


def folder_digest(folder: Path) -> str:
    """Every file under folder, by relative name and content (each file hashed once per process
    while its size and time stay the same)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        st = path.stat()
        h.update(f"{path.relative_to(folder)}\0{file_digest(path, st.st_size, st.st_mtime_ns)}\0".encode())
    return h.hexdigest()


@cache
def code_version() -> str:
    """This package's files, Python's version, the libraries' versions and the system text
    libraries as loaded."""
    h = hashlib.sha256(sys.version.encode())
    h.update(folder_digest(PACKAGE).encode())
    for dist in LIBRARIES:
        try:
            h.update(f"{dist}={metadata.version(dist)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=none\0".encode())
    for name, stamp in system_libraries().items():
        h.update(f"{name}={stamp}\0".encode())
    return h.hexdigest()


def system_libraries() -> dict[str, str]:
    """Each system library WeasyPrint lays text out with: the file the loader picks, with its size
    and time (an upgraded Pango is a new file)."""
    found = {}
    for name in SYSTEM_LIBRARIES:
        try:
            ctypes.CDLL(name)
        except OSError:
            found[name] = "missing"
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
            for name in SYSTEM_LIBRARIES:
                if name.split(".so")[0] + ".so" in path and name not in found:
                    st = Path(path).stat()
                    found[name] = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    return {name: found.get(name, "unknown") for name in SYSTEM_LIBRARIES}
