"""The PDF and the deck, built again in the background after each good change, for the preview to
link to with the time they were built.

They take 20-40 s (the PDF's layout), so they never hold up the page: one build at a time runs in a
child process (render/worker.py: it cannot outlive the preview, even after kill -9) at a lower
priority than the page's rebuilds (nice 5: at 10 a machine busy with other work starved it for
minutes), and a change saved while it runs starts one more build when it is done. They are written
into the preview's own output folder, replaced together like any build's.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ContentError
from ..worker import Worker, WorkerError

FORMATS = ("pdf", "pptx")


@dataclass
class OutputsState:
    """What the page says about the PDF and the deck."""

    building: bool = False
    built: dict[str, float] = field(default_factory=dict)  # renderer name → when its file was written
    seconds: float = 0.0  # how long the last build took
    error: str = ""  # why the last build failed, if it did
    version: int = 0  # goes up with every change of the above


class BackgroundOutputs:
    """Builds FORMATS of the content into out_dir on request, one build at a time."""

    def __init__(
        self,
        content_dir: Path,
        styles_dir: Path,
        out_dir: Path,
        on_change: Callable[[OutputsState], None] = lambda state: None,
    ) -> None:
        self.args = (str(content_dir), str(out_dir), str(styles_dir))
        self.state = OutputsState()
        self._on_change = on_change
        self._wanted = 0  # requests made
        self._started = 0  # requests the running or last build covers
        self._stopping = False
        self._worker: Worker | None = None
        self._lock = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="preview-outputs", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._lock:
            self._wanted += 1
            self._lock.notify_all()

    def stop(self) -> None:
        """Stop building; a build under way is killed (its child and the child's own worker with it)."""
        with self._lock:
            self._stopping = True
            running = self._worker.pid if self._worker is not None else None
            self._lock.notify_all()
        if running is not None:
            with suppress(ProcessLookupError):
                os.kill(running, signal.SIGKILL)  # the thread waiting for it then cleans up
        self._thread.join(timeout=10)

    def children(self) -> list[int]:
        """The process id of the build under way, if any (for tests and for stopping)."""
        with self._lock:
            return [self._worker.pid] if self._worker is not None else []

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._stopping or self._wanted > self._started)
                if self._stopping:
                    return
                self._started = self._wanted
                # Started here, in this thread, which waits for it: Linux kills the child when the
                # thread that started it ends (the worker's parent-death signal).
                self._worker = Worker("render.preview.background:build_outputs", *self.args)
            self._changed(building=True)
            start = time.perf_counter()
            try:
                written, _ = self._worker.result()
                error = ""
            except ContentError as e:
                written, error = {}, e.describe()
            except WorkerError as e:
                written, error = {}, "" if self._stopping else str(e).splitlines()[0]
            finally:
                with self._lock:
                    self._worker.close()
                    self._worker = None
            now = time.time()
            built = {**self.state.built, **{name: now for name in written}}
            self._changed(building=False, built=built, seconds=time.perf_counter() - start, error=error)

    def _changed(self, **values) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(self.state, name, value)
            self.state.version += 1
            state = OutputsState(**{**self.state.__dict__, "built": dict(self.state.built)})
        self._on_change(state)


def build_outputs(content_dir: str, out_dir: str, styles_dir: str) -> dict[str, str]:
    """In the child process: the PDF and the deck, at a lower priority than the preview itself."""
    from ..build import build

    os.nice(5)
    os.environ["IMPACT_REPORT_SERIAL"] = "1"  # the deck in this process too: no third process's imports
    result = build(Path(content_dir), Path(out_dir), styles_dir=Path(styles_dir), formats=FORMATS)
    return {name: str(path) for name, path in result.outputs.items()}
