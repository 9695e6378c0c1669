"""Stage 1: read a content folder (report.toml, sections/*.md, data/*.csv) from disk.

Only reading and validating happen here; binding data to text happens in assemble.py.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, ContentErrors, read_utf8
from .model import DataTable, Fact
from .validate import check_controls, read_table

FACTS = "facts"
CONTROLS = "control_totals"

# Keys report.toml may hold, so a misspelt key is an error instead of being silently ignored.
TOP_KEYS = {
    "title",
    "subtitle",
    "year",
    "published_year",
    "organisation",
    "tagline",
    "website",
    "language",
    "author",
    "subject",
    "keywords",
    "allowed_in_prose",
    "sections",
    "headlines",
    "charts",
    "tables",
    "deck",
}
REQUIRED_TOP = ("title", "year", "organisation", "language", "author", "subject", "sections")
CHART_KEYS = {
    "table",
    "kind",
    "category",
    "value",
    "rows",
    "columns",
    "title",
    "caption",
    "alt",
    "scale",
    "sort",
    "top",
    "show_share",
    "share_decimals",
    "note",
    "labels",
}
TABLE_KEYS = {"table", "rows", "columns", "values", "totals", "share", "share_decimals", "caption", "note"}
HEADLINE_KEYS = {"value", "label", "source", "section"}
DECK_KEYS = {"sections", "charts", "tables", "max_table_rows", "closing"}


@dataclass(frozen=True)
class SectionSource:
    id: str
    path: Path
    text: str


@dataclass(frozen=True)
class Content:
    """Everything read from a content folder, validated but not yet bound together."""

    root: Path
    config: dict
    config_path: Path
    config_text: str
    sections: tuple[SectionSource, ...]
    tables: dict[str, DataTable]
    facts: dict[str, Fact]


def toml_line(text: str, needle: str) -> int | None:
    """Line of the first occurrence of needle in report.toml, to point errors at it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _unknown_keys(found: dict, allowed: set[str], path: Path, text: str, context: str) -> list[ContentError]:
    errors = []
    for key in found:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(sorted(allowed))
            errors.append(
                ContentError(
                    path, f"unknown setting {key!r} in {context}", line=toml_line(text, key), hint=hint
                )
            )
    return errors


def read_config(root: Path) -> tuple[dict, Path, str]:
    path = root / "report.toml"
    if not path.exists():
        raise ContentError(
            path,
            "report.toml is missing",
            hint="every report folder needs a report.toml with its title, year and sections",
        )
    text = read_utf8(path)
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ContentError(
            path,
            f"report.toml is not valid TOML: {str(e).split(' (at')[0]}",
            line=int(m.group(1)) if m else None,
            hint="check quotes, brackets and commas on that line",
        ) from None
    errors = _unknown_keys(config, TOP_KEYS, path, text, "report.toml")
    for key in REQUIRED_TOP:
        if key not in config:
            errors.append(ContentError(path, f"report.toml has no {key!r}", hint=f"add a line: {key} = ..."))
    for cid, spec in config.get("charts", {}).items():
        errors += _unknown_keys(spec, CHART_KEYS, path, text, f"[charts.{cid}]")
    for tid, spec in config.get("tables", {}).items():
        errors += _unknown_keys(spec, TABLE_KEYS, path, text, f"[tables.{tid}]")
    for spec in config.get("headlines", []):
        errors += _unknown_keys(spec, HEADLINE_KEYS, path, text, "[[headlines]]")
    errors += _unknown_keys(config.get("deck", {}), DECK_KEYS, path, text, "[deck]")
    if errors:
        raise ContentErrors(errors)
    return config, path, text


def read_sections(root: Path, config: dict, config_path: Path, config_text: str) -> tuple[SectionSource, ...]:
    folder = root / "sections"
    listed = config["sections"]
    errors = []
    sources = []
    for sid in listed:
        path = folder / f"{sid}.md"
        if not path.exists():
            errors.append(
                ContentError(
                    config_path,
                    f"section {sid!r} is listed but {path} does not exist",
                    line=toml_line(config_text, f'"{sid}"'),
                    hint="create the file or remove the name from `sections`",
                )
            )
            continue
        sources.append(SectionSource(sid, path, read_utf8(path)))
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
        errors.append(ContentError(config_path, f"sections listed twice: {', '.join(dupes)}"))
    if errors:
        raise ContentErrors(errors)
    return tuple(sources)


def read_data(root: Path) -> tuple[dict[str, DataTable], dict[str, Fact]]:
    folder = root / "data"
    errors: list[ContentError] = []
    tables: dict[str, DataTable] = {}
    for csv_path in sorted(folder.glob("*.csv")):
        try:
            tables[csv_path.stem] = read_table(csv_path)
        except ContentError as e:
            errors += e.errors
    if errors:
        raise ContentErrors(errors)
    for name in (FACTS, CONTROLS):
        if name not in tables:
            raise ContentError(folder / f"{name}.csv", "this file is missing")
    facts_table = tables.pop(FACTS)
    facts = {}
    for key, value, unit, description in facts_table.rows:
        facts[key] = Fact(key, value, unit, description)
    check_controls(tables, tables.pop(CONTROLS))
    return tables, facts


def load_content(root: Path) -> Content:
    root = Path(root)
    if not root.is_dir():
        raise ContentError(root, "no such content folder")
    config, config_path, text = read_config(root)
    sections = read_sections(root, config, config_path, text)
    tables, facts = read_data(root)
    clash = sorted(set(facts) & {"report", "tables", "chart", "table", "change"})
    if clash:
        raise ContentError(
            root / "data" / "facts.csv", f"fact keys {clash} are reserved names", hint="rename them"
        )
    return Content(root, config, config_path, text, sections, tables, facts)


def whole_number(spec: dict, key: str, default: int, fail) -> int:
    """A whole-number setting from report.toml, or a located error instead of a crash."""
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(f"{key} = {value!r}: write a whole number such as {default or 10}, without quotes")
    return value
