"""One resolver for every file the build reads: content, styles and installed packages only.

Content passes through many hands, so a name in it is never trusted as a path: a section id such as
`../../secret`, an absolute path, a symlink pointing out of the folder or an image reference to
`/etc/passwd` must all stop the build with a located error. Every reader (load, narrative images,
styles templates, fonts, and WeasyPrint's URL fetcher) asks this resolver, so the rule lives in
one place. Symlinks are followed and the real target is checked, so a link inside the folder to
a file inside the folder still works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import ContentError


@dataclass(frozen=True)
class Resolver:
    """The folders a build may read from (real paths, symlinks resolved)."""

    roots: tuple[Path, ...]

    @classmethod
    def of(cls, *folders: Path | None) -> Resolver:
        return cls(tuple(Path(os.path.realpath(f)) for f in folders if f is not None))

    def with_roots(self, *folders: Path | None) -> Resolver:
        return Resolver(self.roots + Resolver.of(*folders).roots)

    def allows(self, path: Path) -> bool:
        real = Path(os.path.realpath(path))
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def file(
        self,
        path: Path,
        *,
        blame: Path | None = None,
        line: int | None = None,
        what: str = "file",
        within: Path | None = None,
    ) -> Path:
        """`path` if it is a regular file inside the allowed folders (and inside `within`, when
        given); otherwise a ContentError on `blame` (the file that named it) at `line`."""
        path = Path(path)
        real = Path(os.path.realpath(path))
        inside = self.allows(path) and (within is None or real.is_relative_to(os.path.realpath(within)))
        if not inside:
            place = f"{within}" if within is not None else "the content, styles or package folders"
            link = " (through a symbolic link)" if path.is_symlink() or real != path.absolute() else ""
            raise ContentError(
                blame or path,
                f"the {what} {path} is outside {place}{link}; it will not be read",
                line=line,
                hint="every file a report uses must live inside its content folder or the styles folder",
            )
        if not real.is_file():
            raise ContentError(blame or path, f"the {what} {path} does not exist", line=line)
        return real

    def url_path(self, url: str) -> Path | None:
        """The local file a file: URL names, if it is allowed; None otherwise."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            return None
        path = Path(unquote(parts.path))
        return path if self.allows(path) and path.is_file() else None
