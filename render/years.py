"""Earlier years as data: what `previous.x` and `year(2020).x` name, and what a new year is
compared with so a stale figure cannot slip through.

A figure keeps its key from year to year (`ncic_entries`, never `ncic_entries_2022`); the year is
where the value lives. An earlier year is its own content folder beside this one
(`content/2022/` for the 2023 report), or, for years before the tool was used, rows of this
year's `data/history.csv` (key, year, value, unit). Nothing here is loaded until a text or a
check asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError
from .formatting import Percent, sourced
from .model import DataTable, Fact
from .paths import Resolver
from .sandbox import Namespace, TemplateLookupError

HISTORY = "history"


@dataclass(frozen=True)
class YearData:
    """One earlier year's figures: from its content folder (facts and tables) or the history file."""

    year: int
    facts: dict[str, Fact]
    tables: dict[str, DataTable]
    source: Path  # the folder, or the history file


def value_of(fact: Fact) -> int | float:
    """A fact as templates see it: percentages typed as such, so filters can tell them apart."""
    return Percent(fact.value) if fact.unit == "percent" else fact.value


class EarlierYears:
    """The years before `year` that the content holds, loaded on first use."""

    def __init__(self, root: Path, year: int, history: DataTable | None) -> None:
        self.root = root
        self.year = year
        self.history_path = history.path if history else root / "data" / f"{HISTORY}.csv"
        # where a row of history is added, in words: data/history.csv, or the workbook's sheet
        self.history_place = f"data/{history.shown}" if history else f"data/{HISTORY}.csv"
        self._history: dict[int, dict[str, Fact]] = {}
        if history is not None:
            for key, when, value, unit, *_ in history.rows:
                self._history.setdefault(when, {})[key] = Fact(key, value, unit, "")
        self._loaded: dict[int, YearData | None] = {}

    def folder(self, year: int) -> Path:
        return self.root.parent / str(year)

    def get(self, year: int) -> YearData | None:
        """The figures of `year`, or None when the content holds nothing for it."""
        if year not in self._loaded:
            self._loaded[year] = self._load(year)
        return self._loaded[year]

    def _load(self, year: int) -> YearData | None:
        from .load import read_data  # load reads this year's files with the same rules

        folder = self.folder(year)
        if (folder / "data").is_dir():
            data = read_data(folder, Resolver.of(folder))
            return YearData(year, data.facts, data.tables, folder)
        if year in self._history:
            return YearData(year, self._history[year], {}, self.history_path)
        return None

    def figures(self, year: int) -> YearFigures:
        """What a template sees as `previous` (year - 1) or `year(2020)`."""
        if not isinstance(year, int) or isinstance(year, bool):
            raise TemplateLookupError(f"year({year!r}): write a year as a number, e.g. year(2020)")
        if year >= self.year:
            raise TemplateLookupError(
                f"year({year}) is not an earlier year than this report's ({self.year}); "
                "this year's figures are named directly"
            )
        return YearFigures(self, year)


class YearFigures(Namespace):
    """An earlier year's figures for templates: `previous.hotline_calls`, and its tables when the
    year has a content folder (`previous.tables.cases_by_type.total()`). Read on first use, so a
    text that never looks back never loads last year."""

    __slots__ = ("_year", "_years")

    def __init__(self, years: EarlierYears, year: int) -> None:
        super().__init__(f"figures of {year}", {})
        object.__setattr__(self, "_items", None)
        object.__setattr__(self, "_year", year)
        object.__setattr__(self, "_years", years)

    def _figures(self) -> dict[str, object]:
        items = object.__getattribute__(self, "_items")
        if items is None:
            data = self._years.get(self._year)
            items = {}
            if data is not None:
                from .assemble import TableFigures

                items = {
                    key: sourced(value_of(fact), f"year({self._year}).{key}")
                    for key, fact in data.facts.items()
                }
                if data.tables:
                    tables = {n: TableFigures(t) for n, t in data.tables.items()}
                    items["tables"] = Namespace(f"tables of {self._year}", tables)
            object.__setattr__(self, "_items", items)
        return items

    def _names(self):
        return self._figures().keys()

    def __getitem__(self, name: str) -> object:
        return self.__getattr__(name)

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        figures = self._figures()
        if name in figures:
            return figures[name]
        year, data = self._year, self._years.get(self._year)
        if data is None:
            raise TemplateLookupError(
                f"the content holds no figures for {year}: add a content/{year} folder, or rows "
                f"'{name},{year},<value>,<unit>' to {self._years.history_place}"
            )
        if data.tables:
            where = f"add it to {self._years.folder(year)}/data/facts.csv"
        else:
            where = f"add the row '{name},{year},<value>,<unit>' to {self._years.history_place}"
        raise TemplateLookupError(f"{year} has no figure {name!r}: {where}")


def check_history(history: DataTable, year: int, root: Path, facts: dict[str, Fact]) -> list[ContentError]:
    """History rows are for earlier years the content has no folder for, in the figure's unit."""
    errors = []
    for index, (key, when, _value, unit, *_) in enumerate(history.rows):
        if when >= year:
            errors.append(
                history.error(
                    f"{key} for {when}: the history holds earlier years than {year} only",
                    row=index,
                    hint="this year's figures go in the facts table (facts.csv, or a sheet 'facts')",
                )
            )
        elif (root.parent / str(when) / "data").is_dir():
            errors.append(
                history.error(
                    f"{key} for {when}: {when} has its own content folder, where its figures are read",
                    row=index,
                    hint="remove the row, so the figure has one source",
                )
            )
        elif key in facts and facts[key].unit != unit:
            errors.append(
                history.error(
                    f"{key} for {when} is in {unit!r} but this year's {key} is in {facts[key].unit!r}",
                    row=index,
                    hint="a figure keeps its unit from year to year",
                )
            )
    return errors


def stale_warnings(
    root: Path,
    year: int,
    settings,
    tables: dict[str, DataTable],
    facts: dict[str, Fact],
    earlier: EarlierYears,
    facts_table: DataTable,
) -> list[ContentError]:
    """Tables identical to last year's, and more unchanged facts than the report allows: likely
    not updated. Values are compared as parsed numbers, never as files, so a table saved again in
    another format or spreadsheet is compared fairly. A value that happens to repeat is fine."""
    previous = earlier.get(year - 1)
    if previous is None:
        return []
    found = []
    for name, table in tables.items():
        before = previous.tables.get(name)
        if before is not None and table.rows and _rows(before) == _rows(table):
            found.append(
                table.error(
                    f"every value is identical to {year - 1}'s ({_shown(previous.source)}): not updated?",
                    hint=f"fill in the figures for {year}; if none changed, the warning may stay "
                    "(build --strict stops on it)",
                )
            )
    yearly = [f for f in facts.values() if not f.fixed]
    same = [f.key for f in yearly if f.key in previous.facts and previous.facts[f.key].value == f.value]
    checks = settings.checks
    if same and (len(same) > checks.stale_facts or 100 * len(same) / len(yearly) > checks.stale_share):
        message = (
            f"{len(same)} of {len(yearly)} figures are the same as in {year - 1}: not updated? "
            + ", ".join(same)
        )
        found.append(
            facts_table.error(
                message,
                hint="fill in this year's figures; a date or definition that never changes is marked "
                "'fixed' in the kind column; the limits are [checks] stale_facts and stale_share in "
                "report.toml",
            )
        )
    return found


def _rows(table: DataTable) -> set[tuple]:
    return {tuple(float(v) if isinstance(v, int | float) else v for v in row) for row in table.rows}


def _shown(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
