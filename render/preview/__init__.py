"""`impact-report preview`: the web edition served on this computer, rebuilt and reloaded as the
content and styles are saved, with the draft PDF and deck rebuilt behind it.

Like `mkdocs serve` and `quarto preview`: one process keeps the loaded content, theme and chart
pictures in memory, polls the folders (watch.py) and rebuilds only the web edition on each save
(session.py), which the open page learns through Server-Sent Events and reloads (server.py; the
script does only that, the page reads without it). A content mistake is shown over the last good
page, with its file and line, and printed here. After each good rebuild the PDF and deck are built
again in a child process at a lower priority (background.py). Ctrl-C stops the server, the
watcher and that child; the draft folder, when the preview made it, is removed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..chart_cache import ChartPictures
from .background import BackgroundOutputs, OutputsState
from .server import PreviewServer
from .session import PreviewSession, Rebuilt
from .watch import Watcher

POLL = 0.1  # seconds between looks at the folders
SETTLE = 0.03  # after a change, how long to wait for the rest of an editor's save


class Preview:
    """The preview's parts, started and stopped together."""

    def __init__(
        self,
        content_dir: Path,
        styles_dir: Path,
        *,
        out_dir: Path | None = None,
        port: int = 0,
        background: bool = True,
        report: Callable[[Rebuilt], None] = lambda rebuilt: None,
        report_outputs: Callable[[OutputsState], None] = lambda state: None,
    ) -> None:
        self.content_dir, self.styles_dir = Path(content_dir), Path(styles_dir)
        self.own_out = out_dir is None
        self.out_dir = Path(out_dir or tempfile.mkdtemp(prefix="impact-report-preview-"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.report = report
        self.report_outputs = report_outputs
        self.session = PreviewSession(self.content_dir, self.styles_dir, ChartPictures.at("user"))
        self.server = PreviewServer(self.session, self.out_dir, port)
        self.outputs = (
            BackgroundOutputs(self.content_dir, self.styles_dir, self.out_dir, self._outputs_changed)
            if background
            else None
        )
        self.watcher = Watcher(self.content_dir, self.styles_dir)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.server.url + "web/"

    def start(self) -> Rebuilt:
        """Build once, then serve and watch in threads of their own; returns the first build."""
        first = self._rebuild(None)
        # Drawing a changed chart needs the plotting libraries: import them now, not on the first save.
        threading.Thread(target=_warm_up, name="preview-warm-up", daemon=True).start()
        serve = lambda: self.server.serve_forever(poll_interval=0.1)  # noqa: E731
        for name, target in (("preview-server", serve), ("preview-watch", self._watch)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return first

    def stop(self) -> None:
        self._stop.set()
        if self.outputs is not None:
            self.outputs.stop()
        self.server.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.own_out:
            shutil.rmtree(self.out_dir, ignore_errors=True)

    def _watch(self) -> None:
        while not self._stop.wait(POLL):
            changed = self.watcher.changes()
            if changed:
                time.sleep(SETTLE)
                changed |= self.watcher.changes()
                self._rebuild(changed)

    def _rebuild(self, changed: set[Path] | None) -> Rebuilt:
        rebuilt = self.session.rebuild(changed)
        if rebuilt.error is None and self.outputs is not None:
            self.outputs.request()
        self.report(rebuilt)
        return rebuilt

    def _outputs_changed(self, state: OutputsState) -> None:
        self.server.outputs_updated(state)
        self.report_outputs(state)


def _warm_up() -> None:
    from .. import chart_draw  # noqa: F401


def can_open_browser() -> bool:
    """Whether a browser window can open here: a desktop session, not a server or a container."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def open_browser(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
