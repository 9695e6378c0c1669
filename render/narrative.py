"""Bind the narrative to the data: Jinja2 expressions in Markdown become formatted numbers.

Strict by design: a misspelt name, an unknown table row or a typed-in number is an error naming the
file and line, never an empty string or a stale figure. Links are checked for form (never fetched).
"""

from __future__ import annotations

import difflib
import re
import traceback
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from . import formatting
from .errors import ContentError, ContentErrors
from .model import Block, ChartRef, Prose, Section, TableRef

MARKER = re.compile(r"⟦(chart|table):([^⟧]*)⟧")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>]*)>")
BARE_URL = re.compile(r"(?<![(<\"])\b(?:https?://|www\.)\S+")
TEMPLATE_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
VAGUE_LINK_TEXT = {"here", "click here", "this", "link", "more", "read more", "this link", "click"}


class _ContentLookupError(Exception):
    """Raised inside a template for an unknown chart/table id; turned into a ContentError with a line."""


def _strict(function, *, takes_percent: bool | None = None):
    """A filter that reports an undefined name as undefined, not as a wrong type; and, when
    `takes_percent` is set, that knows percentages from counts (True: only a percentage, as for
    `| percent`; False: never one, as for `| number`)."""

    def checked(value, *args, **kwargs):
        for given in (value, *args):
            if isinstance(given, jinja2.Undefined):
                given._fail_with_undefined_error()
        is_percent = isinstance(value, formatting.Percent)
        if takes_percent is True and not is_percent:
            shown = formatting.number(value) if isinstance(value, int | float) else repr(value)
            raise ValueError(
                f"{shown} is not a percentage: use | number, or a share(), change() or a value whose unit "
                "is percent"
            )
        if takes_percent is False and is_percent:
            raise ValueError(f"{float(value):g} is a percentage: use | percent")
        return function(value, *args, **kwargs)

    checked.__name__ = function.__name__
    return checked


# The narrative's filters, and whether each takes percentages.
FILTERS = {"number": False, "percent": True, "millions": False, "compact": False, "one_in": None}


RAW_NUMBER_LIMIT = 10_000  # years and small counts may print as they are; larger numbers need a format


def _printable(value: object) -> object:
    """What an expression may print: text, or a small whole number such as a year. Anything else
    (a table, a method, a long or fractional number without a format) is a mistake to report."""
    if isinstance(value, str):
        return value
    if callable(value):
        name = getattr(value, "__name__", "it")
        raise _ContentLookupError(f"the expression names {name} without calling it: write {name}()")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ContentLookupError(
            f"the expression gives a {type(value).__name__}, not a number or text: "
            "name a value, e.g. tables.cases_by_type.total()"
        )
    if isinstance(value, float) or abs(value) >= RAW_NUMBER_LIMIT:
        raise _ContentLookupError(
            f"the number {value!r} needs a format: add | number, | percent(1) or | millions(1)"
        )
    return value


def make_environment(context: dict, chart_ids: set[str], table_ids: set[str]) -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_printable
    )
    # `default` would quietly replace a misspelt name with a made-up value.
    for name in ("default", "d"):
        env.filters.pop(name, None)
    for name, takes_percent in FILTERS.items():
        env.filters[name] = _strict(getattr(formatting, name), takes_percent=takes_percent)

    def placer(kind: str, known: set[str]):
        def place(ident: str) -> str:
            if ident not in known:
                close = difflib.get_close_matches(ident, sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise _ContentLookupError(f"there is no {kind} {ident!r} in report.toml{hint}")
            return f"⟦{kind}:{ident}⟧"

        return place

    env.globals.update(context)
    env.globals.update(
        change=_strict(formatting.change), chart=placer("chart", chart_ids), table=placer("table", table_ids)
    )
    return env


def _error_line(exc: BaseException, filename: str) -> int | None:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename:
            return frame.lineno
    return None


def _explain(exc: BaseException, env: jinja2.Environment) -> tuple[str, str | None]:
    """What went wrong in a template, and what to do about it."""
    if isinstance(exc, jinja2.UndefinedError):
        m = re.search(r"'([^']+)' is undefined", str(exc))
        name = m.group(1) if m else ""
        names = [k for k in env.globals if not callable(env.globals[k])]
        close = difflib.get_close_matches(name, names, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else "add it to data/facts.csv, or check the spelling of the table and column"
        )
        return f"{exc.message}", hint  # type: ignore[attr-defined]
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template syntax error: {exc.message}", "check the {{ … }} on this line"
    if isinstance(exc, _ContentLookupError):
        return str(exc), None
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else str(exc), "check the names against the CSV and its schema"
    if isinstance(exc, TypeError | ValueError):
        return str(exc), "check the value given to the filter on this line"
    return f"{type(exc).__name__}: {exc}", None


def render_template(env: jinja2.Environment, source: str, path: Path, line: int | None = None) -> str:
    """Render one template; any failure becomes a ContentError pointing at the line."""
    filename = str(path)
    try:
        code = env.compile(source, filename=filename)
        template = env.template_class.from_code(env, code, env.make_globals(None))
        return template.render()
    except (
        jinja2.TemplateError,
        _ContentLookupError,
        KeyError,
        TypeError,
        ValueError,
        ZeroDivisionError,
    ) as exc:
        message, hint = _explain(exc, env)
        at = _error_line(exc, filename)
        if line is not None:  # a one-line string from report.toml
            at = line
        raise ContentError(path, message, line=at, hint=hint) from None


def lint_prose(source: str, path: Path, allowed: list[str]) -> list[ContentError]:
    """Typed-in numbers and badly formed links, found in the Markdown as written."""
    errors: list[ContentError] = []
    # Blank out template expressions but keep line breaks, so line numbers stay true.
    blanked = TEMPLATE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    for m in LINK.finditer(blanked):
        line = blanked.count("\n", 0, m.start()) + 1
        bang, text, url = m.groups()
        if bang:
            errors.append(
                ContentError(
                    path,
                    "images are not placed in the narrative",
                    line=line,
                    hint='charts come from data: write {{ chart("id") }} on its own line',
                )
            )
            continue
        errors += check_link(url, text, path, line)
    for m in AUTOLINK.finditer(blanked):
        line = blanked.count("\n", 0, m.start()) + 1
        errors.append(
            ContentError(
                path,
                f"the link {m.group(1)} shows the bare address as its text",
                line=line,
                hint="write [words that say where it goes](address)",
            )
        )
    no_links = AUTOLINK.sub("", LINK.sub(lambda m: "[" + m.group(2) + "]", blanked))
    for number, text in enumerate(no_links.splitlines(), start=1):
        for m in BARE_URL.finditer(text):
            errors.append(
                ContentError(
                    path,
                    f"bare web address {m.group(0)!r} in the text",
                    line=number,
                    hint="make it a link: [words that say where it goes](address)",
                )
            )
        for phrase in allowed:
            text = text.replace(phrase, "")
        digits = re.search(r"\S*\d\S*", text)
        if digits:
            errors.append(
                ContentError(
                    path,
                    f"a number is typed into the text: {digits.group(0)!r}",
                    line=number,
                    hint="numbers come from the data: add it to data/facts.csv (or use a table) and write "
                    "{{ its_key | number }}; write anecdote numbers in words",
                )
            )
    return errors


def check_link(url: str, text: str, path: Path, line: int) -> list[ContentError]:
    """A link must be a well-formed absolute address with link text that says where it goes."""
    errors = []
    parts = urlsplit(url)
    problem = None
    if not url:
        problem = "the link has no address"
    elif parts.scheme not in ("http", "https", "mailto"):
        problem = f"the link address {url!r} is not an absolute web address"
    elif parts.scheme in ("http", "https") and ("." not in parts.netloc or " " in url):
        problem = f"the link address {url!r} is malformed (no valid host name)"
    if problem:
        errors.append(
            ContentError(
                path, problem, line=line, hint="write the full address, e.g. https://www.example.org/page"
            )
        )
    visible = text.strip()
    if not visible:
        errors.append(
            ContentError(
                path,
                f"the link to {url} has no text",
                line=line,
                hint="write [words that say where it goes](address)",
            )
        )
    elif re.match(r"(https?://|www\.)", visible):
        errors.append(
            ContentError(
                path,
                f"the link text is a bare address ({visible})",
                line=line,
                hint="use words that say where the link goes",
            )
        )
    elif visible.lower().strip(".") in VAGUE_LINK_TEXT:
        errors.append(
            ContentError(
                path,
                f"the link text {visible!r} does not say where it goes",
                line=line,
                hint="screen-reader users hear links out of context: "
                "describe the destination, e.g. 'read about the AMBER Alert program'",
            )
        )
    return errors


def split_blocks(rendered: str, path: Path, first_line: int) -> tuple[Block, ...]:
    """Cut rendered Markdown into prose and the charts and tables placed between paragraphs."""
    blocks: list[Block] = []
    prose: list[str] = []
    for offset, line in enumerate(rendered.splitlines()):
        markers = list(MARKER.finditer(line))
        if not markers:
            prose.append(line)
            continue
        if len(markers) > 1 or line.strip() != markers[0].group(0):
            raise ContentError(
                path,
                "a chart or table must stand alone on its own line",
                line=first_line + offset,
                hint='put {{ chart("…") }} or {{ table("…") }} on a line by itself',
            )
        text = "\n".join(prose).strip()
        if text:
            blocks.append(Prose(text))
        prose = []
        kind, ident = markers[0].groups()
        blocks.append(ChartRef(ident) if kind == "chart" else TableRef(ident))
    text = "\n".join(prose).strip()
    if text:
        blocks.append(Prose(text))
    return tuple(blocks)


def render_section(env: jinja2.Environment, sid: str, path: Path, source: str, allowed: list[str]) -> Section:
    errors = lint_prose(source, path, allowed)
    if errors:
        raise ContentErrors(errors)
    rendered = render_template(env, source, path)
    lines = rendered.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    heading = HEADING.match(lines[start]) if start is not None else None
    if heading is None or len(heading.group(1)) > 2:
        raise ContentError(
            path,
            "the file must start with its heading",
            line=(start or 0) + 1,
            hint="begin with '# Title' for a chapter or '## Title' for a section in a chapter",
        )
    level = len(heading.group(1))
    previous = level
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        sub = HEADING.match(line)
        if sub:
            sub_level = len(sub.group(1))
            if sub_level <= level:
                raise ContentError(
                    path,
                    f"a level-{sub_level} heading inside a level-{level} section",
                    line=number,
                    hint=f"start a new file for a new section, or use a deeper heading ({'#' * (level + 1)})",
                )
            if sub_level > previous + 1:
                raise ContentError(
                    path,
                    f"heading level jumps from {previous} to {sub_level}",
                    line=number,
                    hint=f"use {'#' * (previous + 1)} so screen-reader users can follow the outline",
                )
            previous = sub_level
    body = "\n".join(lines[start + 1 :])
    return Section(
        id=sid,
        title=heading.group(2).strip(),
        level=level,
        blocks=split_blocks(body, path, start + 2),
        path=path,
    )


def check_outline(sections: list[Section], config_path: Path) -> None:
    """Across files: the report opens with a chapter, and sections only follow a chapter."""
    if sections and sections[0].level != 1:
        raise ContentError(
            sections[0].path,
            "the first section listed must open a chapter",
            line=1,
            hint="start it with '# ' instead of '## '",
        )
