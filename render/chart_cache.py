"""Stage: charts, the pictures. Every chart picture the outputs need (SVG for the PDF, PNG for a
slide) is drawn at most once per content change: it is stored under a key that hashes everything
its bytes depend on, so an unchanged chart is read back instead of drawn, and a changed one is
never served stale.

The key covers the Chart (its data and its words), the theme's chart, colour and font settings, the
bytes of the font files, the size and kind of picture, and the code that draws it (the source of
the modules involved and the versions of the plotting libraries). Drawing starts from matplotlib's
built-in defaults (chart_draw), so a user's matplotlibrc cannot change a picture behind the key's back.

Where: $IMPACT_REPORT_CACHE if set, else $XDG_CACHE_HOME/impact-report, else ~/.cache/impact-report,
with the pictures in charts/ inside. A user cache rather than a folder under output/, because the
key already says everything a picture depends on: drafts built with `--out /tmp/draft`, copies of
a content folder and the real output share one cache, and publishing into output/ never has to
step around it. Deleting the folder at any time is safe: the next build draws again.

Each entry is one file, written to a temporary name and renamed into place, that starts with the
SHA-256 of its picture: a truncated or corrupt entry (a full disk, a killed build) fails that check
and is drawn and written again, never used and never a crash. A cache that cannot be written (a
read-only home) only makes the build draw every time.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Literal

from .cache_store import file_digest, prune, read_entry, write_entry
from .model import Chart
from .theme import Theme

FORMAT = b"impact-report chart picture 1\n"
MAX_ENTRIES = 400  # about 30 MB at the 2022 report's 75 KB a picture; least recently used go first
# The code a picture's bytes depend on: these modules' source and these distributions' versions
# (matplotlib's wheel carries the FreeType that measures and draws the text, Pillow's the zlib).
DRAWING_MODULES = ("chart_draw.py", "chart_layout.py", "charts.py", "formatting.py", "theme.py")
DRAWING_DISTRIBUTIONS = ("matplotlib", "numpy", "pillow")


def user_cache_dir() -> Path:
    if folder := os.environ.get("IMPACT_REPORT_CACHE"):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "impact-report"


@dataclass(frozen=True)
class ChartPictures:
    """The chart pictures of one build: read from `folder` when drawn before, else drawn and
    stored there. Without a folder every picture is drawn. Picklable, so the deck worker uses
    the same cache."""

    folder: Path | None

    @classmethod
    def at(cls, cache_dir: Path | Literal["user"] | None) -> ChartPictures:
        """The cache in cache_dir: "user" for the user cache folder, None for no cache."""
        if cache_dir is None:
            return cls(None)
        return cls((user_cache_dir() if cache_dir == "user" else Path(cache_dir)) / "charts")

    def svg(self, chart: Chart, theme: Theme) -> bytes:
        """The chart for the PDF (chart_draw.render_svg)."""
        return self._get("svg", chart, theme, {})

    def png(self, chart: Chart, theme: Theme, *, width_in: float, height_in: float) -> bytes:
        """The chart for a slide, drawn at the size it is placed at (chart_draw.render_png)."""
        return self._get("png", chart, theme, {"width_in": width_in, "height_in": height_in})

    def has_svg(self, chart: Chart, theme: Theme) -> bool:
        """Whether the PDF's picture of this chart is stored (not checked for corruption)."""
        return self.folder is not None and self._path("svg", chart, theme, {}).is_file()

    def _path(self, kind: str, chart: Chart, theme: Theme, size: dict) -> Path:
        assert self.folder is not None
        return self.folder / f"{picture_key(kind, chart, theme, size)}.{kind}"

    def _get(self, kind: str, chart: Chart, theme: Theme, size: dict) -> bytes:
        path = self._path(kind, chart, theme, size) if self.folder is not None else None
        if path is not None and (data := read_entry(path, FORMAT)) is not None:
            return data
        from . import chart_draw  # only now: importing the plotting libraries costs about a second

        if kind == "svg":
            data = chart_draw.render_svg(chart, theme)
        else:
            data = chart_draw.render_png(chart, theme, **size)
        if path is not None:
            write_entry(path, FORMAT, data)
            prune(path.parent, MAX_ENTRIES)
        return data


def picture_key(kind: str, chart: Chart, theme: Theme, size: dict) -> str:
    """A hex digest of everything that determines the picture's bytes."""
    parts = [
        kind,
        repr(sorted(size.items())),
        repr(chart),  # a frozen dataclass of strings, numbers and tuples: its repr is its content
        _theme_part(theme),
        _code_version(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _theme_part(theme: Theme) -> str:
    s = theme.settings
    settings = [s.font.model_dump_json(), s.colors.model_dump_json(), s.chart.model_dump_json()]
    fonts = [f"{style}={p.name}:{file_digest(p, *_stat(p))}" for style, p in theme.font_files.items()]
    return "\0".join(settings + fonts)


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@cache
def _code_version() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256(FORMAT + sys.version.encode())
    for name in DRAWING_MODULES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    for dist in DRAWING_DISTRIBUTIONS:
        try:
            h.update(f"{dist}={metadata.version(dist)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=none\0".encode())
    return h.hexdigest()
