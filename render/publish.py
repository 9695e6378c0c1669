"""Writing the outputs: every output of a build replaces the previous one together, or none does.

A build's outputs (the PDF and the deck today; a web edition folder later) are written to
temporaries in the output folder first. Only when all of them are on disk are they renamed into
place, with the previous versions kept aside until the last rename succeeded, so a failure at any
point leaves the last good set exactly as it was. A build killed half way leaves only our own
dot-files behind; `recover` (run by the next build, under the folder's lock) puts the old set back
and deletes them.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ContentError

# `.<name>.<token>.<kind>`: a new version waiting for its rename (tmp), the previous version kept
# aside (old), or a note that there was no previous version (none). `.<token>.swapping` exists
# while a build is renaming: found later, it means that build was killed and must be rolled back.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<token>[0-9a-f]{12})\.(?P<kind>tmp|old|none)$")
_SWAPPING = re.compile(r"^\.(?P<token>[0-9a-f]{12})\.swapping$")


@dataclass(frozen=True)
class Output:
    """One thing a build writes into its output folder: a file, or a folder swapped as a whole.

    `name` is a plain name inside the output folder ("impact-report-2022.pdf", "web"); `data` is
    the file's bytes, or for a folder its files as relative path → bytes ("assets/site.css").
    """

    name: str
    data: bytes | Mapping[str, bytes]

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or self.name in (".", "..") or self.name.startswith("."):
            raise ValueError(f"an output is a plain name inside the output folder, not {self.name!r}")
        if not isinstance(self.data, bytes):
            for rel in self.data:
                parts = PurePosixPath(rel).parts
                if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
                    raise ValueError(f"{rel!r} is not a relative path inside the output {self.name!r}")


def check_output_dir(out_dir: Path) -> None:
    """Create the output folder and make sure files can be written in it, before any work is done."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        blocking = next((p for p in (out_dir, *out_dir.parents) if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            which = "it" if blocking == out_dir else str(blocking)
            raise ContentError(
                out_dir,
                f"cannot create the output folder: {which} is a file, not a folder",
                hint="choose another folder with --out DIR, or move that file out of the way",
            ) from None
        raise ContentError(out_dir, f"cannot create the output folder: {e.strerror}", hint=_hint(e)) from None
    try:
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as e:
        message = f"cannot write in the output folder: {e.strerror}"
        raise ContentError(out_dir, message, hint=_hint(e)) from None


def publish(out_dir: Path, outputs: Sequence[Output]) -> list[Path]:
    """Put all outputs into out_dir at once; on any failure the previous ones stay as they were."""
    token = secrets.token_hex(6)
    temps: list[Path] = []
    try:
        for output in outputs:
            temp = _leftover(out_dir, output.name, token, "tmp")
            temps.append(temp)
            try:
                _write(temp, output.data)
            except OSError as e:
                raise _write_error(out_dir / output.name, e) from None
        _swap(out_dir, token, [(temp, out_dir / o.name) for temp, o in zip(temps, outputs)])
    finally:
        for temp in temps:
            _remove(temp)
    return [out_dir / o.name for o in outputs]


def recover(out_dir: Path) -> None:
    """Clean up after a build that was killed while writing: roll back a rename phase it did not
    finish, and delete its temporaries. Call only while holding the folder's lock."""
    names = os.listdir(out_dir)
    unfinished = {m["token"] for m in map(_SWAPPING.match, names) if m}
    for name in names:
        m = _LEFTOVER.match(name)
        if m and m["kind"] != "tmp" and m["token"] in unfinished:
            _put_back(out_dir / name, out_dir / m["name"])
    for name in names:
        if _LEFTOVER.match(name) or _SWAPPING.match(name):
            _remove(out_dir / name)


def _swap(out_dir: Path, token: str, moves: list[tuple[Path, Path]]) -> None:
    journal = out_dir / f".{token}.swapping"
    asides: list[tuple[Path, Path]] = []
    target = out_dir
    try:
        _write(journal, b"")
        _sync_dir(out_dir)  # the journal is on disk before any output changes
        for temp, target in moves:
            asides.append((_set_aside(target, token), target))
            _place(temp, target)
        _sync_dir(out_dir)
        journal.unlink()  # the commit point: from here on the new set is the good one
    except BaseException as e:
        for aside, replaced in reversed(asides):
            _put_back(aside, replaced)
        journal.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _write_error(target, e) from None
        raise
    finally:
        for aside, _ in asides:
            _remove(aside)


def _set_aside(target: Path, token: str) -> Path:
    """Keep the target's current version where a failed build can restore it from."""
    if not target.exists():
        aside = _leftover(target.parent, target.name, token, "none")
        _write(aside, b"")
        return aside
    aside = _leftover(target.parent, target.name, token, "old")
    try:
        os.link(target, aside, follow_symlinks=False)  # a file stays in place until replaced
    except OSError:
        os.rename(target, aside)  # a folder (or a file system without hard links) moves aside
    return aside


def _place(temp: Path, target: Path) -> None:
    os.replace(temp, target)


def _put_back(aside: Path, target: Path) -> None:
    if aside.name.endswith(".none"):
        _remove(target)
    elif aside.is_dir():
        _remove(target)
        os.rename(aside, target)
    else:
        os.replace(aside, target)


def _write(path: Path, data: bytes | Mapping[str, bytes]) -> None:
    if isinstance(data, bytes):
        _write_file(path, data)
        return
    os.mkdir(path)
    for rel, content in data.items():
        file = path / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        _write_file(file, content)
    _sync_dir(path)


def _write_file(path: Path, data: bytes) -> None:
    # Created with the umask's permissions, like any other file the user writes (not mkstemp's 0600).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _leftover(out_dir: Path, name: str, token: str, kind: str) -> Path:
    return out_dir / f".{name}.{token}.{kind}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_error(path: Path, e: OSError) -> ContentError:
    return ContentError(path, f"could not write this output: {e.strerror or e}", hint=_hint(e))


def _hint(e: OSError) -> str:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free some disk space, or write elsewhere with --out DIR; the previous outputs are unchanged"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "choose a folder you can write to with --out DIR"
    return "check the disk and the folder, or write elsewhere with --out DIR"
