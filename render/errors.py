"""The one exception for mistakes in the content, printed without a traceback by the CLI."""

from __future__ import annotations

from pathlib import Path


class ContentError(Exception):
    """A mistake a content editor can fix: names the file, the place in it, and what to do."""

    def __init__(
        self,
        path: Path | str | None,
        message: str,
        *,
        line: int | None = None,
        sheet: str | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.sheet = sheet  # a workbook's sheet, named as on its tab
        self.where = where
        self.message = message
        self.hint = hint
        super().__init__(self.describe())

    @classmethod
    def at(
        cls,
        path: Path,
        message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        cell: str | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> ContentError:
        """A mistake in a data table, placed the way its editor finds it: in a CSV file by line,
        column and cell (`cases.csv, line 4, column 'children' (cell C4)`); in a workbook by sheet
        and cell, or row, as Excel shows them (`data.xlsx, sheet 'cases', cell C4`)."""
        if sheet is None:
            where = f"column {column!r} (cell {cell})" if column and cell else None
            return cls(path, message, line=row, where=where, hint=hint)
        where = f"cell {cell}" if cell else f"row {row}" if row else None
        return cls(path, message, sheet=sheet, where=where, hint=hint)

    def __reduce__(self):
        # Errors cross process boundaries (the deck renders in a worker): rebuild with keywords.
        return (_rebuild, (self.path, self.message, self.line, self.where, self.hint, self.sheet))

    @property
    def errors(self) -> list[ContentError]:
        """The individual mistakes: just this one (ContentErrors holds several)."""
        return [self]

    def describe(self) -> str:
        place = ""
        if self.path is not None:
            place = str(self.path)
            if self.sheet is not None:
                place += f", sheet '{self.sheet}'"
            if self.line is not None:
                place += f", line {self.line}"
        if self.where:
            place = f"{place}, {self.where}" if place else self.where
        text = f"{place}: {self.message}" if place else self.message
        if self.hint:
            text += f"\n  → {self.hint}"
        return text


class ContentErrors(ContentError):
    """Several content mistakes found in one pass, reported together so the editor fixes them at once."""

    def __init__(self, errors: list[ContentError]) -> None:
        self._errors = errors
        Exception.__init__(self, self.describe())

    def __reduce__(self):
        return (ContentErrors, (self._errors,))

    @property
    def errors(self) -> list[ContentError]:
        return self._errors

    def describe(self) -> str:  # type: ignore[override]
        head = f"{len(self.errors)} problems found in the content:" if len(self.errors) > 1 else ""
        body = "\n".join(e.describe() for e in self.errors)
        return f"{head}\n{body}" if head else body


class MissingFigures(ContentError):
    """Figures still to be filled in (a year made with `impact-report new`): the comms team's
    checklist, grouped by file (and sheet, in a workbook), each with its key or row and its cell,
    and how many are done."""

    def __init__(self, missing: list[tuple[Path | str, str, str]], filled: int, total: int) -> None:
        # (file, or "data.xlsx, sheet 'cases'"; key or row; where: "line 7, cell B7" or "cell B7")
        self.missing = missing
        self.filled = filled
        self.total = total
        Exception.__init__(self, self.describe())

    def __reduce__(self):
        return (MissingFigures, (self.missing, self.filled, self.total))

    @property
    def errors(self) -> list[ContentError]:
        return [self]

    def describe(self) -> str:  # type: ignore[override]
        lines = [
            f"{self.filled:,} of {self.total:,} figures filled in; {len(self.missing):,} still to fill in "
            "before anything is published:"
        ]
        by_file: dict[Path | str, list[str]] = {}
        for path, label, where in self.missing:
            by_file.setdefault(path, []).append(f"    {label} ({where})")
        for path, items in by_file.items():
            lines.append(f"  {path}: {len(items)} to fill in")
            lines += items
        return "\n".join(lines)


def _rebuild(path, message, line, where, hint, sheet=None) -> ContentError:
    return ContentError(path, message, line=line, sheet=sheet, where=where, hint=hint)


def read_utf8(path: Path, *, bom: bool = False) -> str:
    """A content file's text; a file saved in another encoding is a located mistake, not a crash.

    Spreadsheet programs often save "CSV" in a Windows encoding: the hint names the right option.
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ContentError(
            path,
            f"the file is not saved as UTF-8 text (byte {data[e.start]:#04x} cannot be read)",
            line=line,
            hint='save it as UTF-8: in Excel choose "CSV UTF-8 (Comma delimited)"; in a text editor, '
            "choose the UTF-8 encoding",
        ) from None
