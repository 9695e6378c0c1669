"""Every character the report prints must be in the fonts that print it.

A character the theme's font does not have prints as an empty box (or in whatever font the machine
happens to have), and no validator notices. So before anything renders, every text the PDF, the
charts and the deck will show is checked against the theme's font files; a character none of them
covers is an error naming the file and the line (a workbook's sheet and row) and the character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .errors import ContentError, ContentErrors, read_utf8
from .model import DataTable, Prose, Report
from .theme import Theme

# Never drawn as glyphs: line breaks and the invisible marks text shaping handles itself.
INVISIBLE = {"\n", "\r", "\t", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


@cache
def _cmap(path: Path) -> frozenset[int]:
    return frozenset(TTFont(str(path), lazy=True)["cmap"].getBestCmap())


def covered(theme: Theme) -> frozenset[int]:
    """Code points every face of the theme has: a character may be printed in any of them."""
    maps = [_cmap(path) for path in theme.font_files.values()]
    return frozenset.intersection(*maps) if maps else frozenset()


def printed_texts(report: Report) -> Iterator[str]:
    """Every text the outputs show (alt text and metadata are read, not drawn, so they are free)."""
    m = report.meta
    yield from (m.title, m.subtitle, m.organisation, m.tagline, m.website, report.deck.closing)
    for section in report.sections:
        yield section.title
        yield from (b.markdown for b in section.blocks if isinstance(b, Prose))
    for chart in report.charts.values():
        yield from (chart.title, chart.caption, chart.note, chart.value_label)
        yield from chart.series.labels
        yield from chart.series.group_labels
        yield from chart.short_labels.values()
    for view in report.table_views.values():
        yield from (view.caption, view.note, view.source, *view.header)
        for row in (*view.rows, *((view.totals,) if view.totals else ())):
            yield from (cell.text for cell in row)
    for h in report.headlines:
        yield from (h.value, h.label, h.source)


def check_coverage(report: Report, theme: Theme) -> None:
    """Refuse any printed character the theme's fonts cannot draw, naming where it is written."""
    have = covered(theme)
    missing: dict[str, None] = {}
    for text in printed_texts(report):
        for ch in text:
            if ord(ch) not in have and ch not in INVISIBLE and ch not in missing:
                missing[ch] = None
    if not missing:
        return
    errors = []
    for ch in missing:
        name = unicodedata.name(ch, "unnamed character")
        message = (
            f"the character {ch!r} (U+{ord(ch):04X} {name}) is not in the report's font "
            f"{theme.font_family!r}, so it would print as an empty box"
        )
        hint = "replace or remove it, or choose a font in styles/theme.toml that has it"
        path, line = _find(report, ch)
        in_sheet = _find_in_sheets(report, ch) if line is None else None
        if in_sheet is not None:
            table, row = in_sheet
            errors.append(table.error(message, row=row, hint=hint))
        else:
            errors.append(ContentError(path, message, line=line, hint=hint))
    raise ContentErrors(errors)


def _find_in_sheets(report: Report, ch: str) -> tuple[DataTable, int] | None:
    """The first table read from a workbook's sheet with the character in a cell, and the row."""
    for table in report.tables.values():
        if table.sheet is None:
            continue
        for index, row in enumerate(table.rows):
            if any(isinstance(v, str) and ch in v for v in row):
                return table, index
    return None


def _find(report: Report, ch: str) -> tuple[Path | None, int | None]:
    """The first content file and line where a character is written."""
    root = report.content_dir
    files = [s.path for s in report.sections]
    if root is not None:
        files = [root / "report.toml", *files, *sorted((root / "data").glob("*"))]
    for path in files:
        try:
            text = read_utf8(path)
        except (OSError, ContentError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if ch in line:
                return path, number
    return root, None
