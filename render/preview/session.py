"""The preview's state: the loaded content, theme and model kept in memory, the last good web
edition, and the content error that stopped the latest rebuild, if any.

A save rebuilds only what it touched: a section's text is read again on its own, the data and
report.toml are read again whole (they are checked together), the theme when a styles file
changed. The model is bound again every time (a figure or a rounding rule may be used anywhere),
then only the web edition is rendered; compiled texts and templates, chart pictures and web fonts
are all kept from the builds before, so a one-paragraph edit costs about half a second.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..assemble import assemble
from ..chart_cache import ChartPictures
from ..coverage import check_coverage
from ..errors import ContentError
from ..load import Content, load_content, read_sections
from ..outputs import Job
from ..theme import Theme
from ..web import render_files


@dataclass(frozen=True)
class Rebuilt:
    """What one rebuild did: how long it took, what it was for, and its error if it failed."""

    seconds: float
    changed: tuple[Path, ...]
    error: ContentError | None = None


class PreviewSession:
    """The web edition of one content folder, rebuilt on demand; safe to read from other threads."""

    def __init__(self, content_dir: Path, styles_dir: Path, pictures: ChartPictures) -> None:
        self.content_dir = Path(content_dir)
        self.styles_dir = Path(styles_dir)
        self.pictures = pictures
        self.theme: Theme | None = None
        self.content: Content | None = None
        self.files: dict[str, bytes] = {}  # the last good web edition, by path inside its folder
        self.error: ContentError | None = None
        self.year: int | None = None
        self.version = 0  # goes up each time the page changes (a new edition, or an error)
        self._changed = threading.Condition()

    def rebuild(self, changed: set[Path] | None = None) -> Rebuilt:
        """Rebuild after `changed` files were saved (None: everything). A content mistake keeps the
        last good edition and is remembered to be shown over it."""
        start = time.perf_counter()
        error = None
        try:
            self._reload(changed)
            assert self.theme is not None and self.content is not None
            report = assemble(self.content, self.styles_dir)
            check_coverage(report, self.theme)
            files = render_files(report, Job(self.theme, self.pictures))
        except ContentError as e:
            error = e
        with self._changed:
            if error is None:
                self.files, self.year = files, report.meta.year
            self.error = error
            self.version += 1
            self._changed.notify_all()
        return Rebuilt(time.perf_counter() - start, tuple(sorted(changed or ())), error)

    def _reload(self, changed: set[Path] | None) -> None:
        """Read again what the saved files feed: the theme, the whole content, or only its sections."""
        styles = self.styles_dir.resolve()
        content = self.content_dir.resolve()
        touched = {p.resolve() for p in changed} if changed is not None else None
        if self.theme is None or touched is None or any(p.is_relative_to(styles) for p in touched):
            self.theme = Theme.load(self.styles_dir)
        in_content = {p for p in touched if p.is_relative_to(content)} if touched is not None else None
        sections_only = in_content is not None and all(
            p.relative_to(content).parts[0] in ("sections", "images") for p in in_content
        )
        if self.content is None or not sections_only:
            self.content = None  # a failed load must not leave the old content looking current
            self.content = load_content(self.content_dir)
        elif any(p.relative_to(content).parts[0] == "sections" for p in in_content):
            c = self.content
            sections = read_sections(c.root, c.settings, c.config_path, c.config_text, c.resolver)
            self.content = dataclasses.replace(c, sections=sections)

    def wait(self, since: int, timeout: float) -> int:
        """The version once it differs from `since`, or after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != since, timeout=timeout)
            return self.version

    def poke(self) -> None:
        """Wake whoever waits for a change, without one (the server is stopping)."""
        with self._changed:
            self._changed.notify_all()
