"""Native slide tables: which rows and columns each slide shows, and how wide and tall its cells are.

Nothing is set under 18 pt to make a table fit: a table a little too long continues on a second
slide, a much longer one shows its top rows and says where the full table is, and columns that do
not fit across continue on the next slide with the row headers repeated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .deck_measure import LINE, MIN_BODY, Para, Type
from .deck_words import NOTES_WORDS, fit
from .errors import ContentError
from .model import Cell, TableView


@dataclass(frozen=True)
class TablePage:
    """The part of a table one slide shows: chosen columns and rows, laid out to fit."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]  # body rows, then the total row when there is one
    total: bool
    numeric: tuple[bool, ...]
    widths: tuple[float, ...]  # points
    heights: tuple[float, ...]  # points; the header row first
    footnote: str = ""
    row_headers: bool = True  # the first column names the rows (it holds labels, not numbers)


def table_pages(
    view: TableView, max_rows: int, number: str, config: Path | None, t: Type
) -> list[tuple[str, tuple[str, ...], TablePage]]:
    """(title, notes, page) for each slide of a table: one slide when it fits; split over a few
    when it is a little long; its top rows (ranked by the last column) and a pointer to the PDF
    when it is much longer. Columns that do not fit across continue on the next slide."""
    max_rows = max(1, max_rows)
    groups = _column_groups(view, config, t)
    if len(view.rows) > 2 * max_rows:
        pages = _top_rows(view, groups, max_rows, number, config, t)
    else:
        pages = _split_rows(view, groups, max_rows, config, t)
    out = []
    for n, (columns, chunk, total, footnote) in enumerate(pages, start=1):
        notes = [view.caption + "."]
        if n == 1:
            notes += _summary(view)
            if len(pages) > 1:
                notes.append(f"The table continues over {len(pages)} slides.")
            notes += [x for x in (view.note, f"Source: {view.source}." if view.source else "") if x]
        else:
            notes.append(f"The table continued: {_row_names(chunk)}.")
        if footnote:
            notes.append(footnote)
        page = _layout_table(view, columns, chunk, total, footnote, t)
        out.append((_table_title(view.caption, n, len(pages)), fit(notes, NOTES_WORDS), page))
    return out


def _summary(view: TableView) -> list[str]:
    """The table said in a sentence or two: its largest rows by its Total column (else its first
    column of numbers), and the total."""
    numeric = [j for j in range(1, len(view.header)) if all(r[j].value is not None for r in view.rows)]
    if not numeric or not view.rows:
        return []
    j = next((k for k in numeric if view.header[k].casefold() == "total"), numeric[0])
    ranked = sorted(view.rows, key=lambda r: -r[j].value)
    said = [f"{r[0].text}, {r[j].text}" for r in ranked[:3]]
    lines = [f"By {view.header[j].lower()}, the largest is {said[0]}"]
    lines[0] += f"; then {' and '.join(said[1:])}." if said[1:] else "."
    if view.totals is not None and view.totals[j].text:
        lines.append(f"In total, {view.totals[j].text}.")
    return lines


def _row_names(chunk) -> str:
    names = [row[0].text for row in chunk]
    return names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"


def _table_title(caption: str, n: int, of: int) -> str:
    return caption if n == 1 else f"{caption} (continued, {n} of {of})"


def _room(title: str, footnote: str, t: Type) -> float:
    room = t.size[1] - t.content_top(title, compact=True) - t.style.bottom
    return room - (_footnote_height(footnote, t) + t.style.table.note_gap if footnote else 0)


def _top_rows(view, groups, max_rows, number, config, t: Type):
    ranked = sorted(
        view.rows, key=lambda row: -math.inf if row[-1].value is None else row[-1].value, reverse=True
    )
    total = view.totals
    if total is not None:  # the total still covers every row, and says so
        total = (Cell(f"{total[0].text} (all {len(view.rows)})"),) + tuple(total[1:])
    for n in range(max_rows, 0, -1):
        footnote = (
            f"Top {n} of {len(view.rows)} rows, by {view.header[-1]}; the full table is in "
            f"the PDF report (Table {number})."
        )
        pages = [(columns, ranked[:n], total, footnote) for columns in groups]
        if all(
            sum(_layout_table(view, c, rows, tot, note, t).heights)
            <= _room(_table_title(view.caption, k, len(pages)), note, t)
            for k, (c, rows, tot, note) in enumerate(pages, start=1)
        ):
            return pages
    raise _too_tall(view, config)


def _split_rows(view, groups, max_rows, config, t: Type):
    """Rows in balanced chunks, as few as fit, the total row on the last chunk of each column group."""
    body = list(view.rows)
    for per_group in range(math.ceil(len(body) / max_rows) or 1, len(body) + 1):
        size = math.ceil(len(body) / per_group) or 1
        chunks = [body[i : i + size] for i in range(0, len(body), size)] or [[]]
        pages = [
            (columns, chunk, view.totals if k == len(chunks) - 1 else None, "")
            for columns in groups
            for k, chunk in enumerate(chunks)
        ]
        if all(
            sum(_layout_table(view, c, rows, tot, "", t).heights)
            <= _room(_table_title(view.caption, k, len(pages)), "", t)
            for k, (c, rows, tot, _) in enumerate(pages, start=1)
        ):
            return pages
    raise _too_tall(view, config)


def _too_tall(view: TableView, config: Path | None) -> ContentError:
    return ContentError(
        config,
        f"[tables.{view.id}]: a row of this table does not fit on a slide at 18 pt",
        hint="shorten the row's text, or leave the table out of [deck] tables",
    )


def text_size(t: Type) -> float:
    return max(MIN_BODY, t.style.table.text_size)


def _pad(t: Type) -> float:
    """Horizontal room a cell's margins take, with a point to spare either side."""
    return 2 * t.style.table.cell_margin_x + 2


def _cell_widths(view: TableView, j: int, t: Type) -> tuple[float, float]:
    """(narrowest, natural) width of column j: its longest word, or its longest text unwrapped."""
    size = text_size(t)
    texts = [(view.header[j], True)] + [(row[j].text, False) for row in view.rows]
    if view.totals:
        texts.append((view.totals[j].text + (" (all 999)" if j == 0 else ""), True))
    narrow = max(t.widest_word(text, size, bold) for text, bold in texts)
    natural = max(t.face(bold).width(text, size) for text, bold in texts)
    return narrow + _pad(t), natural + _pad(t)


def _column_groups(view: TableView, config: Path | None, t: Type) -> list[tuple[int, ...]]:
    """The row-header column plus the others, in as few balanced groups as fit across the slide."""
    room = t.content_width
    narrow = [_cell_widths(view, j, t)[0] for j in range(len(view.header))]
    others = list(range(1, len(view.header)))
    for count in range(1, len(others) + 1):
        size = math.ceil(len(others) / count)
        groups = [(0, *others[i : i + size]) for i in range(0, len(others), size)]
        if all(sum(narrow[j] for j in g) <= room for g in groups):
            return groups
    raise ContentError(
        config,
        f"[tables.{view.id}]: its row headers and one column do not fit across a slide at 18 pt",
        hint="shorten the longest words, or leave it out of [deck] tables",
    )


def _widths(view: TableView, columns: tuple[int, ...], t: Type) -> list[float]:
    """Natural widths with some air when they fit. Else the columns of numbers keep their natural
    width and the text columns wrap; and when even that is too wide, every column gets its longest
    word and shares the rest of the room in proportion to what it lacks."""
    room = t.content_width
    sizes = [_cell_widths(view, j, t) for j in columns]
    narrow, natural = [lo for lo, _ in sizes], [nat for _, nat in sizes]
    air = t.style.table.column_air
    if sum(natural) + air * len(columns) <= room:
        return [n + air for n in natural]
    if sum(natural) <= room:
        return [n + (room - sum(natural)) / len(columns) for n in natural]
    numeric = [j != 0 and all(row[j].numeric for row in view.rows) for j in columns]
    lacking = [0.0 if num else nat - lo for (lo, nat), num in zip(sizes, numeric)]
    start = [nat if num else lo for (lo, nat), num in zip(sizes, numeric)]
    if sum(start) > room:
        lacking = [nat - lo for lo, nat in sizes]
        start = narrow
    spare = room - sum(start)
    return [lo + spare * gap / sum(lacking) for lo, gap in zip(start, lacking)]


def _row_height(cells: list[str], widths: list[float], bold: bool, t: Type) -> float:
    size = text_size(t)
    lines = max(len(t.face(bold).wrap(text, w - _pad(t), size)) for text, w in zip(cells, widths))
    return lines * size * LINE + 2 * t.style.table.cell_margin_y + 2


def _layout_table(view: TableView, columns, chunk, total, footnote, t: Type) -> TablePage:
    widths = _widths(view, columns, t)
    header = tuple(view.header[j] for j in columns)
    rows = [tuple(row[j] for j in columns) for row in chunk]
    if total:
        rows.append(tuple(total[j] for j in columns))
    heights = [_row_height(list(header), widths, True, t)]
    heights += [
        _row_height([c.text for c in row], widths, total is not None and i == len(rows) - 1, t)
        for i, row in enumerate(rows)
    ]
    numeric = tuple(j != 0 and all(row[j].numeric for row in view.rows) for j in columns)
    labels = not any(row[0].numeric for row in view.rows)
    return TablePage(
        header, tuple(rows), total is not None, numeric, tuple(widths), tuple(heights), footnote, labels
    )


def _footnote_height(text: str, t: Type) -> float:
    return t.height([Para(text, MIN_BODY, t.theme.colors["muted"])], t.content_width)
