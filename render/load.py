"""Stage 1: read a content folder (report.toml, sections/*.md, data/: CSV files and workbooks) from disk.

Only reading and validating happen here; binding data to text happens in assemble.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .datafiles import find_tables
from .errors import ContentError, ContentErrors, MissingFigures, read_utf8
from .model import DataTable, Fact
from .paths import Resolver
from .settings import ReportSettings, read_toml, validate
from .tomlpos import key_lines, line_of
from .validate import check_controls, read_table
from .years import HISTORY, EarlierYears, check_history

FACTS = "facts"
CONTROLS = "control_totals"
# About 30,000 words, 40 times the longest section of 2022; the Markdown parser needs up to 30 µs per
# character on hostile input (a line of "[[[["), so this also bounds a build to seconds.
MAX_SECTION_BYTES = 200_000
RESERVED = {"report", "tables", "chart", "table", "change", "previous", "year"}


@dataclass(frozen=True)
class SectionSource:
    id: str
    path: Path
    text: str


@dataclass(frozen=True)
class Content:
    """Everything read from a content folder, validated but not yet bound together."""

    root: Path
    settings: ReportSettings
    config_path: Path
    config_text: str
    sections: tuple[SectionSource, ...]
    tables: dict[str, DataTable]
    facts: dict[str, Fact]
    resolver: Resolver
    earlier: EarlierYears
    facts_table: DataTable

    @cached_property
    def _lines(self) -> dict:
        return key_lines(self.config_text)

    def line(self, *path: str | int) -> int | None:
        """The line of a key in report.toml (or of the table holding it), for messages."""
        return line_of(self._lines, path)

    def error(self, message: str, *path: str | int, hint: str | None = None) -> ContentError:
        """A mistake in report.toml, located at the key `path`."""
        return ContentError(self.config_path, message, line=self.line(*path), hint=hint)


def toml_line(text: str, needle: str) -> int | None:
    """Line of the first occurrence of needle in report.toml, to point errors at it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def read_config(root: Path, resolver: Resolver) -> tuple[ReportSettings, Path, str]:
    path = resolver.file(root / "report.toml", what="settings file")
    data, text = read_toml(path)
    settings = validate(ReportSettings, data, text, path)
    if root.name != str(settings.year):
        raise ContentError(
            path,
            f"year = {settings.year}, but the folder is named {root.name!r}",
            line=line_of(key_lines(text), ("year",)),
            hint=f"a report lives in a folder named after its year: rename the folder to {settings.year}, "
            "or correct the year",
        )
    return settings, path, text


def read_sections(
    root: Path, settings: ReportSettings, config_path: Path, config_text: str, resolver: Resolver
) -> tuple[SectionSource, ...]:
    folder = root / "sections"
    listed = settings.sections
    lines = key_lines(config_text)
    errors = []
    sources = []
    for index, sid in enumerate(listed):
        path = folder / f"{sid}.md"
        if not path.exists() and not path.is_symlink():
            errors.append(
                ContentError(
                    config_path,
                    f"section {sid!r} is listed but {path} does not exist",
                    line=line_of(lines, ("sections", index)),
                    hint="create the file or remove the name from `sections`",
                )
            )
            continue
        try:
            real = resolver.file(
                path, blame=config_path, line=line_of(lines, ("sections", index)), what="section", within=root
            )
            if real.stat().st_size > MAX_SECTION_BYTES:
                raise ContentError(
                    path,
                    f"this section is {real.stat().st_size / 1000:,.0f} KB of text; a section may hold at "
                    f"most {MAX_SECTION_BYTES // 1000} KB (about 30,000 words)",
                    hint="split it into several sections, each in its own file",
                )
            sources.append(SectionSource(sid, path, read_utf8(real, bom=True)))
        except ContentError as e:
            errors += e.errors
    for path in sorted(folder.glob("*.md")):
        if path.stem not in listed:
            errors.append(
                ContentError(
                    path,
                    "this section is not listed in report.toml, so it would be left out",
                    hint=f'add "{path.stem}" to `sections` in report.toml where it belongs',
                )
            )
    if len(set(listed)) != len(listed):
        dupes = sorted({s for s in listed if listed.count(s) > 1})
        errors.append(
            ContentError(
                config_path, f"sections listed twice: {', '.join(dupes)}", line=line_of(lines, ("sections",))
            )
        )
    if errors:
        raise ContentErrors(errors)
    return tuple(sources)


@dataclass(frozen=True)
class YearTables:
    """A year's data: its tables, its stand-alone facts (and the table they were read from, for
    messages), and its history of earlier years."""

    tables: dict[str, DataTable]
    facts: dict[str, Fact]
    history: DataTable | None
    facts_table: DataTable


def read_data(root: Path, resolver: Resolver) -> YearTables:
    """The year's tables, its stand-alone facts and its history of earlier years, all validated and
    the published control totals checked. Each table comes from a CSV file or a workbook's sheet
    (datafiles.py). Figures not filled in yet (a year made with `new`) are gathered from every
    file into one checklist."""
    folder = root / "data"
    sources, errors = find_tables(folder, resolver, optional=frozenset({HISTORY}))
    missing: list[MissingFigures] = []
    tables: dict[str, DataTable] = {}
    for name, source in sorted(sources.items()):
        try:
            counted = {CONTROLS: {"expected"}, HISTORY: set()}.get(name)
            tables[name] = read_table(source, resolver, counted, allow_empty=name == HISTORY)
        except MissingFigures as e:
            missing.append(e)
        except ContentError as e:
            errors += e.errors
    if missing:
        filled = sum(m.filled for m in missing) + sum(t.figures for t in tables.values())
        total = sum(m.total for m in missing) + sum(t.figures for t in tables.values())
        errors.insert(0, MissingFigures([item for m in missing for item in m.missing], filled, total))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ContentErrors(errors)
    for name in (FACTS, CONTROLS):
        if name not in tables:
            raise ContentError(
                folder / f"{name}.csv",
                "this file is missing",
                hint=f"every year has a table {name!r} with its schema {name}.schema.json: as a CSV "
                "file, or as a sheet of a workbook",
            )
    facts_table = tables.pop(FACTS)
    facts = {}
    for row in facts_table.rows:
        key, value, unit, description, *rest = row
        facts[key] = Fact(key, value, unit, description, fixed=bool(rest) and rest[0] == "fixed")
    history = tables.pop(HISTORY, None)
    check_controls(tables, tables.pop(CONTROLS))
    return YearTables(tables, facts, history, facts_table)


def load_content(root: Path, resolver: Resolver | None = None) -> Content:
    root = Path(root)
    if not root.is_dir():
        raise ContentError(root, "no such content folder")
    resolver = resolver or Resolver.of(root)
    settings, config_path, text = read_config(root, resolver)
    sections = read_sections(root, settings, config_path, text, resolver)
    data = read_data(root, resolver)
    clash = sorted(set(data.facts) & RESERVED)
    if clash:
        raise data.facts_table.error(f"fact keys {clash} are reserved names", hint="rename them")
    if data.history is not None:
        errors = check_history(data.history, settings.year, root, data.facts)
        if errors:
            raise ContentErrors(errors)
    earlier = EarlierYears(root, settings.year, data.history)
    return Content(
        root,
        settings,
        config_path,
        text,
        sections,
        data.tables,
        data.facts,
        resolver,
        earlier,
        data.facts_table,
    )
