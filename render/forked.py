"""A forked copy of this process doing one piece of the build's work beside it.

A fork, not a worker (worker.py): the child starts at once with everything this process has
loaded (WeasyPrint, the fonts and the stylesheet, matplotlib, the model) instead of importing and
unpickling it all again, which is what makes work of half a second worth handing over. It prints
nothing, dies with its parent, and leaves with os._exit, so it runs none of the parent's exit
handlers and flushes none of its buffers. Any failure in it only makes the parent do the work
itself: a result comes back, or None. Its result is read by a thread as soon as it comes, so a
child with a big one (the deck) leaves and frees its memory at once instead of waiting on a full
pipe until the parent asks.

A child may also talk with its parent on the way (`talk`): say what it has found so far and wait
for an answer, as the PDF's parts do (pdf.py: plans first, then the page numbers to write with).
Messages are pickles framed by their length, both ways.

Fork is safe here because the build forks from its main thread while no other thread of ours
runs Python code that the child needs: a thread reading a child's pipe only ever holds the lock
of its own helper, which the new child never uses. Linux only: elsewhere (macOS's system
libraries are not fork-safe; Windows has no fork) everything runs in the build's own process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
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


_FRAME = struct.Struct(">BQ")  # a message's kind (below) and length, then its pickled bytes
_SAID, _RESULT = 1, 2  # something the child said on the way (Channel.send), its work's result


def _frame(kind: int, value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME.pack(kind, len(data)) + data


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class Channel:
    """The child's end of a conversation with the parent (Forked.start(..., talk=True)): `send`
    tells the parent something before the work is done, `receive` waits for the parent's answer
    (None when the parent has gone or closed its end)."""

    def __init__(self, out: int, inbox: int) -> None:
        self._out, self._inbox = out, inbox

    def send(self, value: Any) -> None:
        _write_all(self._out, _frame(_SAID, value))

    def receive(self) -> Any | None:
        head = _read_exactly(self._inbox, _FRAME.size)
        if head is None:
            return None
        _, size = _FRAME.unpack(head)
        data = _read_exactly(self._inbox, size)
        return pickle.loads(data) if data is not None else None  # our own parent's bytes


class Forked:
    """`work()` running in a forked child; `result()` waits for its return value. With `talk`,
    `work(channel)` may also tell the parent things on the way (`receive()` here) and wait for
    its answers (`send()` here)."""

    def __init__(self, pid: int, fd: int, inbox: int | None = None) -> None:
        self.pid: int | None = pid
        self._fd: int | None = fd
        self._inbox = inbox  # the parent's end of the pipe the child receives on
        self._said: list[bytes] = []  # what the child said on the way, not yet received
        self._result: bytes | None = None
        self._ended = False
        self._news = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Read the child's messages as they come, until it closes its end."""
        buffer = bytearray()  # grown in place: a 20 MB deck comes in 1 MB reads
        try:
            while chunk := os.read(self._fd, 1 << 20):
                buffer += chunk
                while len(buffer) >= _FRAME.size:
                    kind, size = _FRAME.unpack_from(buffer)
                    if len(buffer) < _FRAME.size + size:
                        break
                    data = bytes(buffer[_FRAME.size : _FRAME.size + size])
                    del buffer[: _FRAME.size + size]
                    with self._news:
                        if kind == _SAID:
                            self._said.append(data)
                        else:
                            self._result = data
                        self._news.notify_all()
        except (OSError, TypeError):  # closed by close(): the parent no longer wants it
            pass
        with self._news:
            self._ended = True
            self._news.notify_all()

    @classmethod
    def start(cls, work: Callable[..., Any], *, talk: bool = False) -> Forked | None:
        """The child doing `work`, or None where this process cannot fork. With `talk`, the work
        is called with the child's Channel."""
        if not sys.platform.startswith("linux"):
            return None  # fork is unsafe with macOS's system libraries, missing on Windows
        read, write = os.pipe()
        inbox_read, inbox_write = os.pipe() if talk else (None, None)
        try:
            pid = os.fork()
        except OSError:
            for fd in (read, write, inbox_read, inbox_write):
                if fd is not None:
                    os.close(fd)
            return None
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read)
                if inbox_write is not None:
                    os.close(inbox_write)
                # Everything inherited stays shared with the parent only while nothing writes to
                # it; the collector would write to every object it scans, so it leaves them alone.
                gc.freeze()
                die_with_parent()
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                result = work(Channel(write, inbox_read)) if inbox_read is not None else work()
                _write_all(write, _frame(_RESULT, result))
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        if inbox_read is not None:
            os.close(inbox_read)
        return cls(pid, read, inbox_write)

    def receive(self) -> Any | None:
        """The next thing the child said on the way (waiting for it), or None once it has left
        without saying more."""
        with self._news:
            self._news.wait_for(lambda: self._said or self._ended)
            data = self._said.pop(0) if self._said else None
        return _loads(data)

    def send(self, value: Any) -> bool:
        """Answer the child (Channel.receive); False when it can no longer hear."""
        if self._inbox is None:
            return False
        try:
            _write_all(self._inbox, _frame(_SAID, value))
        except OSError:  # the child has left
            return False
        return True

    def result(self) -> Any | None:
        """The child's result (waiting for it), or None when it failed."""
        if self._fd is None or self.pid is None:
            return None
        self._close_inbox()
        self._reader.join()
        os.close(self._fd)
        self._fd = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        return _loads(self._result) if status == 0 else None

    def _close_inbox(self) -> None:
        if self._inbox is not None:
            with suppress(OSError):
                os.close(self._inbox)
            self._inbox = None

    def close(self) -> None:
        """Stop the child if it still runs (the parent gave up on it, or failed first)."""
        self._close_inbox()
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


def _loads(data: bytes | None) -> Any | None:
    if data is None:
        return None
    try:
        return pickle.loads(data)  # our own child's bytes, through our own pipe
    except Exception:
        return None
