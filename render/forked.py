"""A forked copy of this process doing one piece of the build's work beside it.

A fork, not a worker (worker.py): the child starts at once with everything this process has
loaded (WeasyPrint, the fonts and the stylesheet, matplotlib, the model) instead of importing and
unpickling it all again, which is what makes work of half a second worth handing over. It prints
nothing, dies with its parent, and leaves with os._exit, so it runs none of the parent's exit
handlers and flushes none of its buffers. Any failure in it only makes the parent do the work
itself: a result comes back, or None. Its result is read by a thread as soon as it comes, so a
child with a big one (the deck) leaves and frees its memory at once instead of waiting on a full
pipe until the parent asks.

Fork is safe here because the build forks from its main thread while no other thread of ours
runs Python code: a thread reading a child's pipe is blocked in os.read, holding no lock the child
could need. Linux only: elsewhere (macOS's system libraries are not fork-safe; Windows has no
fork) everything runs in the build's own process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from .worker import die_with_parent

_sharing = False


@contextmanager
def sharing(allowed: bool) -> Iterator[None]:
    """Let code that has no build job to ask (the PDF checker, pdf_text.page_pieces) share its
    work with a forked child while the block runs: `build` says so when a core is free."""
    global _sharing
    saved, _sharing = _sharing, allowed
    try:
        yield
    finally:
        _sharing = saved


def may_share() -> bool:
    return _sharing


class Forked:
    """`work()` running in a forked child; `result()` waits for its return value."""

    def __init__(
        self, pid: int, fd: int, gate: int | None = None, done: Callable[[], None] | None = None
    ) -> None:
        self.pid: int | None = pid
        self._fd: int | None = fd
        self._gate = gate  # written to (or closed) to let a gated child begin
        self._gate_lock = threading.Lock()  # go() may come from another child's reading thread
        self._done = done  # called by the reading thread once the child has answered or left
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self._fd, 1 << 20):
                self._chunks.append(chunk)
        except (OSError, TypeError):  # closed by close(): the parent no longer wants it
            pass
        if self._done:
            self._done()

    @classmethod
    def start(
        cls, work: Callable[[], Any], *, gated: bool = False, done: Callable[[], None] | None = None
    ) -> Forked | None:
        """The child doing `work`, or None where this process cannot fork. A `gated` child waits
        for go() before it begins: forked early, while this process holds little memory for it
        to share, it starts its work only when a core is there for it. `done` is called (from
        another thread) as soon as the child has answered or left."""
        if not sys.platform.startswith("linux"):
            return None  # fork is unsafe with macOS's system libraries, missing on Windows
        read, write = os.pipe()
        gate_read, gate_write = os.pipe() if gated else (None, None)
        try:
            pid = os.fork()
        except OSError:
            for fd in (read, write, gate_read, gate_write):
                if fd is not None:
                    os.close(fd)
            return None
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read)
                if gate_read is not None:
                    os.close(gate_write)
                    if not os.read(gate_read, 1):
                        os._exit(1)  # the parent gave up on us before letting us begin
                    os.close(gate_read)
                # Everything inherited stays shared with the parent only while nothing writes to
                # it; the collector would write to every object it scans, so it leaves them alone.
                gc.freeze()
                die_with_parent()
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        if gate_read is not None:
            os.close(gate_read)
        return cls(pid, read, gate_write, done)

    def go(self) -> None:
        """Let a gated child begin (once; nothing for a child that was not gated)."""
        with self._gate_lock:
            if self._gate is not None:
                with suppress(OSError):
                    os.write(self._gate, b"1")
                with suppress(OSError):
                    os.close(self._gate)
                self._gate = None

    def result(self) -> Any | None:
        """The child's result (waiting for it), or None when it failed."""
        if self._fd is None or self.pid is None:
            return None
        self.go()
        self._reader.join()
        data = b"".join(self._chunks)
        os.close(self._fd)
        self._fd = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status != 0:
            return None
        try:
            return pickle.loads(data)  # our own child's bytes, through our own pipe
        except Exception:
            return None

    def close(self) -> None:
        """Stop the child if it still runs (the parent gave up on it, or failed first)."""
        with self._gate_lock:
            if self._gate is not None:
                with suppress(OSError):
                    os.close(self._gate)
                self._gate = None
        if self.pid is not None:
            with suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = None
        if self._fd is not None:
            self._reader.join()  # the child is gone, so its pipe is at its end
            with suppress(OSError):
                os.close(self._fd)
            self._fd = None
