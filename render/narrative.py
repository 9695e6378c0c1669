"""Bind the narrative to the data: Jinja2 expressions in Markdown become formatted numbers.

Strict by design: a misspelt name, an unknown table row or a typed-in number is an error naming the
file and line, never an empty string or a stale figure. Links are checked for form (never fetched).
Expressions run in the content sandbox (sandbox.py): only `{{ … }}` expressions and `{# … #}`
comments, no statements. The Markdown is checked as the parser reads it (tokens, not patterns):
raw HTML, images outside images/, links in reference style and lists nested past what a reader can
follow are refused, never printed literally or silently dropped.
"""

from __future__ import annotations

import difflib
import hashlib
import marshal
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import langcodes

from . import formatting
from .cache_store import prune, read_entry, write_entry
from .errors import ContentError, ContentErrors
from .images import check_image
from .model import Image
from .paths import Resolver
from .sandbox import ContentSandbox, TemplateLookupError
from .text import parser

MARKER = re.compile(r"⟦(chart|table):([^⟧]*)⟧")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>)\]]+")
TEMPLATE_OPEN = re.compile(r"\{[{%#]")
TEMPLATE_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
MAX_EXPRESSION_DEPTH = 12  # brackets inside one {{ … }}; real expressions use two or three
MAX_EXPRESSION_LENGTH = 1000
MAX_LIST_DEPTH = 3  # a list inside a list inside a list: deeper, no reader follows it
MAX_QUOTE_DEPTH = 1  # a key-figure callout is a blockquote; one inside another means nothing
HTML_TAG = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)")
VAGUE_LINK_TEXT = {"here", "click here", "this", "link", "more", "read more", "this link", "click"}


def _strict(function, *, takes_percent: bool | None = None, uses: dict | None = None):
    """A filter that reports an undefined name as undefined, not as a wrong type; that, when
    `takes_percent` is set, knows percentages from counts (True: only a percentage, as for
    `| percent`; False: never one, as for `| number`); and that records, in `uses`, how each
    sourced figure was printed and where, so one figure never gets two rounding rules."""

    @jinja2.pass_context
    def checked(context, value, *args, **kwargs):
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
        printed = function(value, *args, **kwargs)
        origin = getattr(value, "origin", None)
        if uses is not None and origin is not None:
            rule = function.__name__ + (
                f"({', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwargs.items())])})"
                if args or kwargs
                else ""
            )
            uses.setdefault(origin, {}).setdefault(rule, (printed, Path(context.name or "")))
        return printed

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
        raise TemplateLookupError(f"the expression names {name} without calling it: write {name}()")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateLookupError(
            f"the expression gives a {type(value).__name__}, not a number or text: "
            "name a value, e.g. tables.cases_by_type.total()"
        )
    if isinstance(value, float) or abs(value) >= RAW_NUMBER_LIMIT:
        raise TemplateLookupError(
            f"the number {value!r} needs a format: add | number, | percent(1) or | millions(1)"
        )
    return value


def make_environment(context: dict, chart_ids: set[str], table_ids: set[str]) -> jinja2.Environment:
    """The sandboxed environment the narrative and report.toml's texts render in."""
    env = ContentSandbox(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_printable
    )
    env.figure_uses = {}  # figure → {rounding rule: (as printed, file)}, see check_rounding
    for name, takes_percent in FILTERS.items():
        env.filters[name] = _strict(
            getattr(formatting, name), takes_percent=takes_percent, uses=env.figure_uses
        )

    def placer(kind: str, known: set[str]):
        def place(ident: str) -> str:
            if ident not in known:
                close = difflib.get_close_matches(str(ident), sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TemplateLookupError(f"there is no {kind} {ident!r} in report.toml{hint}")
            return f"⟦{kind}:{ident}⟧"

        return place

    env.globals.update(context)
    env.globals.update(
        change=_strict(formatting.change), chart=placer("chart", chart_ids), table=placer("table", table_ids)
    )
    return env


def check_rounding(env: jinja2.Environment) -> None:
    """Each figure is printed by one rule everywhere (headline, text, captions), so a reader never
    meets 88.4 million on one page and 88.3 million on another for the same files."""
    errors = []
    for origin, rules in env.figure_uses.items():
        if len(rules) > 1:
            shown = " and ".join(
                f"{printed!r} ({rule}, in {where})" for rule, (printed, where) in rules.items()
            )
            errors.append(
                ContentError(
                    None,
                    f"the figure {origin} is printed two ways: {shown}",
                    hint="a figure has one rounding rule wherever it appears: use the same format in "
                    "every place",
                )
            )
    if errors:
        raise ContentErrors(errors)


def _error_line(exc: BaseException, filename: str) -> int | None:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename:
            return frame.lineno
    return None


def _explain(exc: BaseException, env: jinja2.Environment) -> tuple[str, str | None]:
    """What went wrong in a template, and what to do about it."""
    names = [k for k in env.globals if not callable(env.globals[k])]
    if isinstance(exc, jinja2.UndefinedError):
        m = re.search(r"'([^']+)' is undefined", str(exc)) or re.search(
            r"has no attribute '([^']+)'", str(exc)
        )
        name = m.group(1) if m else ""
        tables = env.globals.get("tables")
        known = names + list(getattr(tables, "_names", lambda: [])())
        close = difflib.get_close_matches(name, known, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else "add it to the facts (data/facts.csv, or a sheet 'facts'), or check the spelling of the "
            "table and column"
        )
        message = f"{name!r} is not defined" if "has no attribute" in str(exc) else str(exc.message)
        return message, hint
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return (
            f"the expression is not allowed: {exc}",
            "expressions may use the figures, tables.NAME.total(), .share(), .value(), change(), "
            "chart(), table() and the filters number, percent, millions, compact and one_in",
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        if "no filter named" in exc.message or "no test named" in exc.message:
            return exc.message, "the filters are: " + ", ".join(FILTERS)
        return f"template syntax error: {exc.message}", "check the {{ … }} on this line"
    if isinstance(exc, TemplateLookupError):
        return str(exc), None
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else str(exc), "check the names against the CSV and its schema"
    if isinstance(exc, TypeError | ValueError | ArithmeticError):
        return str(exc), "check the value given to the filter on this line"
    if isinstance(exc, RecursionError | MemoryError | SyntaxError):
        return "the expression is too deeply nested or too large to evaluate", "simplify it"
    return f"{type(exc).__name__}: {exc}", None


# Compiled templates by their source, file and the environment's compile-time settings. Every
# environment make_environment builds compiles alike, so a text compiles once per process: the
# preview binds the whole report again after each save, and compiling the unchanged texts again
# was most of its time. Bounded, since a long preview session sees many versions of a section.
_COMPILED: dict[tuple, object] = {}
_COMPILED_MAX = 4096
# Between processes, compiled texts are kept in the build cache (build.py sets the folder): compiling
# the 2022 report's 171 texts was half of binding them (0.3-0.5 s of every build).
_KEPT_IN: Path | None = None
KEPT_FORMAT = b"impact-report compiled text 1\n"
KEPT_MAX = 4000


@contextmanager
def compiled_texts_kept_in(folder: Path | None) -> Iterator[None]:
    """Within the block, compiled texts are read from and stored in folder (None: not kept)."""
    global _KEPT_IN
    saved, _KEPT_IN = _KEPT_IN, folder
    try:
        yield
    finally:
        _KEPT_IN = saved


def _compile(env: jinja2.Environment, source: str, filename: str):
    key = (
        source,
        filename,
        type(env),
        env.finalize,
        env.autoescape,
        env.keep_trailing_newline,
        tuple(sorted(env.filters)),
        tuple(sorted(env.tests)),
    )
    code = _COMPILED.get(key)
    if code is None:
        path = _KEPT_IN / _kept_key(key) if _KEPT_IN is not None else None
        stored = read_entry(path, KEPT_FORMAT) if path is not None else None
        try:
            code = marshal.loads(stored) if stored is not None else None
        except (EOFError, ValueError, TypeError):
            code = None
        if code is None:
            code = env.compile(source, name=filename, filename=filename)
            if path is not None:
                write_entry(path, KEPT_FORMAT, marshal.dumps(code))
                prune(path.parent, KEPT_MAX)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = code
    return code


def _kept_key(key: tuple) -> str:
    """A digest of a text's compile key that is the same in every process (names, not objects),
    with the code that makes the environments and Python's and Jinja's versions."""
    source, filename, kind, finalize, autoescape, newline, filters, tests = key
    parts = [
        _compiler_version(),
        source,
        filename,
        f"{kind.__module__}.{kind.__qualname__}",
        getattr(finalize, "__qualname__", repr(finalize)),
        getattr(autoescape, "__qualname__", repr(autoescape)),
        repr((newline, filters, tests)),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@cache
def _compiler_version() -> str:
    h = hashlib.sha256(f"{sys.version}\0{jinja2.__version__}\0".encode())
    here = Path(__file__).parent
    for name in ("narrative.py", "sandbox.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()


def render_template(env: jinja2.Environment, source: str, path: Path, line: int | None = None) -> str:
    """Render one template; any failure becomes a ContentError pointing at the line."""
    filename = str(path)
    try:
        code = _compile(env, source, filename)
        template = env.template_class.from_code(env, code, env.make_globals(None))
        return template.render()
    except (
        jinja2.TemplateError,
        TemplateLookupError,
        KeyError,
        TypeError,
        ValueError,
        ArithmeticError,
        RecursionError,
        MemoryError,
        SyntaxError,
    ) as exc:
        message, hint = _explain(exc, env)
        at = _error_line(exc, filename) if not isinstance(exc, RecursionError | MemoryError) else None
        if line is not None:  # a one-line string from report.toml
            at = line
        raise ContentError(path, message, line=at, hint=hint) from None


def template_spans(source: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, opener) of each {{ … }}, {% … %} and {# … #}, in one linear pass. An unclosed
    one ends the scan: the template compiler then reports it with its line."""
    at = 0
    while True:
        m = TEMPLATE_OPEN.search(source, at)
        if not m:
            return
        opener = m.group(0)
        close = source.find(TEMPLATE_CLOSE[opener], m.end())
        if close < 0:
            return
        yield m.start(), close + 2, opener
        at = close + 2


def _depth(expression: str) -> int:
    depth = deepest = 0
    for ch in expression:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest - 1  # the {{ }} themselves


def lint_prose(source: str, path: Path, allowed: list[str]) -> list[ContentError]:
    """Typed-in numbers, statements, overgrown expressions and badly formed links, found in the
    Markdown as written (so every message has the exact line)."""
    return _lint(source, path, allowed)[0]


def _lint(source: str, path: Path, allowed: list[str]) -> tuple[list[ContentError], list, str]:
    """lint_prose's findings, with the Markdown's tokens and the source with expressions blanked.
    A function of the text alone, so each text is checked once per process (the preview checks
    the whole report again after every save); the tokens are shared and only ever read."""
    errors, tokens, blanked = _lint_once(source, Path(path), tuple(allowed))
    return list(errors), tokens, blanked


@lru_cache(maxsize=2048)
def _lint_once(
    source: str, path: Path, allowed: tuple[str, ...]
) -> tuple[tuple[ContentError, ...], list, str]:
    errors: list[ContentError] = []
    pieces, at = [], 0
    for start, end, opener in template_spans(source):
        line = source.count("\n", 0, start) + 1
        span = source[start:end]
        if opener == "{%":
            errors.append(
                ContentError(
                    path,
                    f"a template statement {span[:40]!r} is not allowed in the text",
                    line=line,
                    hint="the text may hold {{ expressions }} that print a figure, and {# comments #}",
                )
            )
        elif opener == "{{" and (len(span) > MAX_EXPRESSION_LENGTH or _depth(span) > MAX_EXPRESSION_DEPTH):
            errors.append(
                ContentError(
                    path,
                    "the expression is too long or too deeply nested",
                    line=line,
                    hint="an expression names one figure and its format, e.g. {{ hotline_calls | number }}",
                )
            )
        pieces += [source[at:start], re.sub(r"[^\n]", " ", span)]
        at = end
    blanked = "".join(pieces) + source[at:]
    tokens, link_errors = check_markdown(blanked, path)
    errors += link_errors
    addresses = {
        child.attrs.get(attr)
        for token in tokens
        for child in token.children or []
        for attr in ("href", "src")
        if child.attrs.get(attr)
    }
    for number, text in enumerate(blanked.splitlines(), start=1):
        for address in addresses:  # a link's address may hold digits; its words may not
            if address in text:
                text = text.replace(f"]({address}", "](").replace(f"<{address}>", "<>")
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
        digit = re.search(r"\d", text)
        if digit:
            start = text.rfind(" ", 0, digit.start()) + 1
            end = text.find(" ", digit.start())
            word = text[start : end if end >= 0 else len(text)]
            hint = (
                "the year comes from report.toml: write {{ report.year }}, or {{ report.year - 1 }} for the "
                "year before, so the text stays right next year"
                if re.search(r"(?<!\d)(19|20)\d\d(?!\d)", word)
                else "numbers come from the data: add it to the facts (data/facts.csv, or a sheet "
                "'facts'), or use a table, and write {{ its_key | number }}; write anecdote numbers in words"
            )
            errors.append(
                ContentError(path, f"a number is typed into the text: {word!r}", line=number, hint=hint)
            )
    return tuple(errors), tokens, blanked


_lint_parser = parser(html=True)
# Every [text](address) becomes a link token to check, even addresses the renderer would refuse
# to link (javascript:, file:), so they are reported instead of printed as text.
_lint_parser.validateLink = lambda url: True


def _line_of(lines: list[str], token, *needles: str) -> int:
    """The line (1-based) of an inline element: the first line of its block holding a needle."""
    start, end = token.map or (0, 1)
    for number in range(start, min(end, len(lines))):
        if any(n and n in lines[number] for n in needles):
            return number + 1
    return start + 1


def check_markdown(markdown: str, path: Path) -> tuple[list, list[ContentError]]:
    """The Markdown's tokens, and its mistakes: raw HTML, bad links, lists nested too deep."""
    lines = markdown.splitlines()
    errors: list[ContentError] = []
    try:
        tokens = _lint_parser.parse(markdown)
    except RecursionError:
        return [], [ContentError(path, "the Markdown is nested too deeply to read", hint="simplify it")]
    depth = quotes = 0
    for token in tokens:
        if token.type == "blockquote_open":
            quotes += 1
            if quotes == MAX_QUOTE_DEPTH + 1:
                errors.append(
                    ContentError(
                        path,
                        "a callout (a line starting with >) is inside another callout",
                        line=(token.map or [0])[0] + 1,
                        hint="start the line with a single >",
                    )
                )
        elif token.type == "blockquote_close":
            quotes -= 1
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            if depth == MAX_LIST_DEPTH + 1:
                errors.append(
                    ContentError(
                        path,
                        f"a list is nested {depth} levels deep",
                        line=(token.map or [0])[0] + 1,
                        hint=f"keep lists to {MAX_LIST_DEPTH} levels at most: readers (and screen-reader "
                        "users) lose their place in deeper ones",
                    )
                )
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "html_block":
            errors.append(_html_error(path, token.content, (token.map or [0])[0] + 1))
        elif token.type == "inline":
            for child in token.children or []:
                errors += _check_attributes(child, path, _line_of(lines, token, "{"))
                if child.type == "html_inline":
                    errors.append(_html_error(path, child.content, _line_of(lines, token, child.content)))
                elif child.type == "link_open":
                    href = str(child.attrs.get("href", ""))
                    words = _link_words(token.children, child)
                    at = _line_of(lines, token, f"]({href}", f"<{href}>", href)
                    errors += check_link(href, words, path, at, autolink=child.markup == "autolink")
    return tokens, errors


ALLOWED_ATTRIBUTES = {"image": {"class", "src", "alt"}, "link_open": {"href", "lang"}, "span_open": {"lang"}}


def _check_attributes(token, path: Path, line: int) -> list[ContentError]:
    """`{…}` after a passage may give its language; after a picture, `.decorative`. Anything else
    (a class, an id, an event handler) would reach the web edition's HTML: refused."""
    if not token.attrs:
        return []
    allowed = ALLOWED_ATTRIBUTES.get(token.type, set())
    errors = []
    for name, value in token.attrs.items():
        if name not in allowed or (name == "class" and str(value) != "decorative"):
            errors.append(
                ContentError(
                    path,
                    f"the attribute {{{name}={value}}} is not allowed in the text",
                    line=line,
                    hint="write {lang=es} after a [passage] in another language, or {.decorative} "
                    "after a purely decorative picture",
                )
            )
        elif name == "lang" and not langcodes.tag_is_valid(str(value)):
            errors.append(
                ContentError(
                    path, f"{{lang={value}}} is not a language tag", line=line, hint="write e.g. {lang=es}"
                )
            )
    return errors


def _link_words(children, opener) -> str:
    words, inside = [], False
    for child in children:
        if child is opener:
            inside = True
        elif inside and child.type == "link_close":
            break
        elif inside and child.type in ("text", "code_inline"):
            words.append(child.content)
        elif inside and child.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return "".join(words)


def _html_error(path: Path, html: str, line: int) -> ContentError:
    if html.lstrip().startswith("<!--"):
        return ContentError(
            path, "an HTML comment is in the text", line=line, hint="write comments as {# … #}"
        )
    m = HTML_TAG.search(html)
    tag = m.group(1).lower() if m else "html"
    return ContentError(
        path,
        f"raw HTML <{tag}> is not allowed in the text",
        line=line,
        hint="write Markdown: **bold**, *italic*, [link words](address), > for a key figure; "
        "a literal < is written \\<",
    )


def find_images(
    tokens, markdown: str, path: Path, root: Path, resolver: Resolver
) -> tuple[dict[str, Image], list[ContentError]]:
    """Every image the Markdown places, resolved and checked."""
    lines = markdown.splitlines()
    found: dict[str, Image] = {}
    errors: list[ContentError] = []
    for token in tokens:
        for child in token.children or []:
            if child.type != "image":
                continue
            src = str(child.attrs.get("src", ""))
            decorative = "decorative" in str(child.attrs.get("class", "")).split()
            line = _line_of(lines, token, f"]({src}", src)
            try:
                found[src] = check_image(
                    src, child.content, decorative, root=root, resolver=resolver, blame=path, line=line
                )
            except ContentError as e:
                errors.append(e)
    return found, errors


def check_link(url: str, text: str, path: Path, line: int, autolink: bool = False) -> list[ContentError]:
    """A link must be a well-formed absolute address with link text that says where it goes."""
    errors = []
    if autolink:
        return [
            ContentError(
                path,
                f"the link {url} shows the bare address as its text",
                line=line,
                hint="write [words that say where it goes](address)",
            )
        ]
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
