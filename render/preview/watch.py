"""Which files changed: the content and styles folders polled by modification time and size.

Polling, not inotify: it needs no new dependency, works the same on every system and on network
and container file systems, and scanning the 60-odd files of a report takes about a millisecond,
so ten looks a second cost nothing. Editors' own files (swap files, backups, lock files, hidden
folders) are not content and are never watched.
"""

from __future__ import annotations

import os
from pathlib import Path

Snapshot = dict[Path, tuple[int, int]]  # file → (modification time in ns, size)


def _ignored(name: str) -> bool:
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


def scan(roots: tuple[Path, ...]) -> Snapshot:
    """Every watched file under the roots with its modification time and size."""
    found: Snapshot = {}
    stack = [Path(r) for r in roots]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # a folder removed while we looked: its files show up as removed
        for entry in entries:
            if _ignored(entry.name):
                continue
            try:
                if entry.is_dir():
                    stack.append(Path(entry.path))
                elif entry.is_file():
                    st = entry.stat()
                    found[Path(entry.path)] = (st.st_mtime_ns, st.st_size)
            except OSError:
                continue
    return found


class Watcher:
    """Remembers what the folders held; `changes()` says which files were added, edited or removed
    since the last look."""

    def __init__(self, *roots: Path) -> None:
        self.roots = tuple(Path(r) for r in roots)
        self._seen = scan(self.roots)

    def changes(self) -> set[Path]:
        now = scan(self.roots)
        changed = {path for path in now.keys() | self._seen.keys() if now.get(path) != self._seen.get(path)}
        self._seen = now
        return changed
