"""The build cache's entries, shared by every cache of the build (chart pictures, flow decisions,
compiled texts, whole outputs): one file per entry, written to a temporary name and renamed into
place, starting with a format line and the SHA-256 of its data, so a truncated or corrupt entry is
never used, only made again; the least recently used pruned first. A cache that cannot be written
only makes the build do the work again."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from contextlib import suppress
from functools import cache
from pathlib import Path


@cache
def file_digest(path: Path, size: int, mtime_ns: int) -> str:
    """The file's SHA-256, computed once per process for each (path, size, mtime)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_entry(path: Path, fmt: bytes) -> bytes | None:
    """The entry stored at path, or None when missing, unreadable, truncated or corrupt."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = len(fmt) + 65  # the format line, then the entry's hex SHA-256 and a newline
    digest, data = raw[len(fmt) : head - 1], raw[head:]
    if not raw.startswith(fmt) or hashlib.sha256(data).hexdigest().encode() != digest:
        return None
    with suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return data


def write_entry(path: Path, fmt: bytes, data: bytes) -> None:
    """Store an entry atomically (temporary file, then rename); never fail the build."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(fmt + hashlib.sha256(data).hexdigest().encode() + b"\n" + data)
        os.replace(temporary, path)
    except OSError:
        if temporary:
            with suppress(OSError):
                os.unlink(temporary)


def prune(folder: Path, keep: int, max_bytes: int | None = None) -> None:
    """Keep the `keep` most recently used entries (and no more than max_bytes of them, the newest
    always), and temporaries (of builds killed while writing) for an hour."""
    try:
        entries = [(e.stat(), e.name, e.path) for e in os.scandir(folder)]
    except OSError:
        return
    kept = sorted(
        ((st.st_mtime, st.st_size, p) for st, n, p in entries if not n.startswith(".tmp-")), reverse=True
    )
    abandoned = [p for st, n, p in entries if n.startswith(".tmp-") and st.st_mtime < time.time() - 3600]
    total, cut = 0, min(keep, len(kept))
    for i, (_, size, _) in enumerate(kept[:cut]):
        total += size
        if max_bytes is not None and total > max_bytes and i > 0:
            cut = i
            break
    for path in [p for _, _, p in kept[cut:]] + abandoned:
        with suppress(OSError):  # another build may have removed it first
            os.unlink(path)
