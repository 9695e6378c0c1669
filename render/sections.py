"""One section file → one Section: its front matter, its heading, and its blocks in reading order.

A section is Markdown with a few structures of its own, each written the way Quarto writes them,
so a data team's habits carry over:

    ---
    takeaway: Calls to our call center rose again     (optional: the deck's slide title)
    ---
    ## Our call center and analysts

    ::: key-figure
    {{ hotline_calls | number }}
    calls answered by our call center
    :::

    ::: notes
    What the presenter says over this section's slide.
    :::

    {{ chart("cases-by-type") }}

The narrative's expressions are bound first (narrative.py); this module then cuts the result into
prose, key figures, charts and tables, and keeps the notes apart from what readers see.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import yaml
from pydantic import ValidationError

from .errors import ContentError, ContentErrors
from .model import Block, ChartRef, KeyFigure, Prose, Section, TableRef
from .narrative import HEADING, MARKER, _lint, find_images, render_template
from .paths import Resolver
from .settings import SectionSettings

FENCE = re.compile(r"^:::\s*\{?\s*\.?([A-Za-z-]+)\s*\}?\s*$")
FENCE_END = re.compile(r"^:::\s*$")
KINDS = ("key-figure", "notes")
MAX_LABEL_WORDS = 10  # "about 8": a key figure's label is read at a glance


def front_matter(source: str, path: Path) -> tuple[SectionSettings, str]:
    """The section's settings from a `---` YAML block at its top, and the source with that block
    blanked (line breaks kept, so every later message names the right line)."""
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return SectionSettings(), source
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ContentError(path, "the front matter starting on line 1 has no closing ---", line=1)
    block = "".join(lines[1:end])
    try:
        data = yaml.safe_load(block) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ContentError(
            path,
            f"the front matter is not valid YAML: {getattr(e, 'problem', e)}",
            line=mark.line + 2 if mark else 1,
            hint="write one setting per line, e.g. takeaway: Calls rose again",
        ) from None
    if not isinstance(data, dict):
        raise ContentError(path, "the front matter must be settings, one per line (key: value)", line=2)
    try:
        settings = SectionSettings.model_validate(data)
    except ValidationError as e:
        errors = []
        for error in e.errors(include_url=False):
            key = str(error["loc"][0]) if error["loc"] else ""
            line = next((i + 1 for i in range(1, end) if lines[i].startswith(f"{key}:")), 2)
            message = (
                f"unknown setting {key!r} in the front matter"
                if error["type"] == "extra_forbidden"
                else f"{key}: {error['msg']}"
            )
            errors.append(ContentError(path, message, line=line, hint="allowed: takeaway"))
        raise ContentErrors(errors) from None
    blanked = "".join("\n" if line.endswith("\n") else "" for line in lines[: end + 1]) + "".join(
        lines[end + 1 :]
    )
    return settings, blanked


def render_section(
    env: jinja2.Environment,
    sid: str,
    path: Path,
    source: str,
    allowed: list[str],
    *,
    root: Path,
    resolver: Resolver,
) -> Section:
    settings, source = front_matter(source, path)
    errors, tokens, blanked = _lint(source, path, allowed)
    images, image_errors = find_images(tokens, blanked, path, root, resolver)
    errors += image_errors
    if errors:
        raise ContentErrors(errors)
    if settings.takeaway:
        takeaway_errors = _lint(settings.takeaway, path, allowed)[0]
        if takeaway_errors:
            raise ContentError(
                path, "takeaway: " + takeaway_errors[0].message, line=2, hint=takeaway_errors[0].hint
            )
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
    _check_headings(lines, start, level, path)
    blocks, notes = split_blocks("\n".join(lines[start + 1 :]), path, start + 2)
    takeaway = render_template(env, settings.takeaway, path, line=2).strip() if settings.takeaway else ""
    return Section(
        id=sid,
        title=heading.group(2).strip(),
        level=level,
        blocks=blocks,
        path=path,
        images=images,
        takeaway=takeaway,
        notes=notes,
    )


def _check_headings(lines: list[str], start: int, level: int, path: Path) -> None:
    previous = level
    fenced = False
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        sub = None if fenced else HEADING.match(line)
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


def split_blocks(rendered: str, path: Path, first_line: int) -> tuple[tuple[Block, ...], tuple[str, ...]]:
    """Cut rendered Markdown into prose, key figures, and the charts and tables placed between
    paragraphs; speaker notes are returned apart, never shown to readers."""
    blocks: list[Block] = []
    notes: list[Prose] = []
    prose: list[str] = []
    fence: tuple[str, int, list[str]] | None = None  # kind, line it opened on, its lines

    def flush() -> None:
        text = "\n".join(prose).strip()
        if text:
            blocks.append(Prose(text))
        prose.clear()

    for offset, line in enumerate(rendered.splitlines()):
        number = first_line + offset
        if fence is not None:
            if FENCE_END.match(line):
                kind, opened, body = fence
                if kind == "notes":
                    notes.append(Prose("\n".join(body).strip()))
                else:
                    blocks.append(_key_figure(body, path, opened))
                fence = None
            else:
                body_line = line
                fence[2].append(body_line)
            continue
        opening = FENCE.match(line)
        if opening:
            kind = opening.group(1)
            if kind not in KINDS:
                raise ContentError(
                    path,
                    f"'::: {kind}' is not a kind of block this report knows",
                    line=number,
                    hint="use '::: key-figure' for a big number with its label, or '::: notes' for "
                    "speaker notes",
                )
            flush()
            fence = (kind, number, [])
            continue
        markers = list(MARKER.finditer(line))
        if not markers:
            prose.append(line)
            continue
        if len(markers) > 1 or line.strip() != markers[0].group(0):
            raise ContentError(
                path,
                "a chart or table must stand alone on its own line",
                line=number,
                hint='put {{ chart("…") }} or {{ table("…") }} on a line by itself',
            )
        flush()
        kind, ident = markers[0].groups()
        blocks.append(ChartRef(ident) if kind == "chart" else TableRef(ident))
    if fence is not None:
        raise ContentError(path, f"the '::: {fence[0]}' block has no closing ':::'", line=fence[1])
    flush()
    return tuple(blocks), tuple(n for n in notes if n)


def _key_figure(body: list[str], path: Path, line: int) -> KeyFigure:
    """A key figure: the number on its first line, a short label on the next."""
    parts = [b.strip() for b in body if b.strip()]
    hint = (
        "write the figure on the first line and a label of about 8 words on the second:\n"
        "      ::: key-figure\n      {{ hotline_calls | number }}\n"
        "      calls answered by our call center\n      :::"
    )
    if len(parts) != 2:
        raise ContentError(path, f"a key figure holds {len(parts)} lines; it needs two", line=line, hint=hint)
    value, label = parts
    if not re.search(r"\d", value) or len(value.split()) > 4:
        raise ContentError(path, f"the key figure {value!r} is not a figure", line=line + 1, hint=hint)
    words = len(label.split())
    if words > MAX_LABEL_WORDS:
        raise ContentError(
            path,
            f"the key figure's label has {words} words; a label is read at a glance",
            line=line + 2,
            hint="keep it to about 8 words; say the rest in the text around it",
        )
    return KeyFigure(value, label)


def check_outline(sections: list[Section], config_path: Path) -> None:
    """Across files: the report opens with a chapter, and sections only follow a chapter."""
    if sections and sections[0].level != 1:
        raise ContentError(
            sections[0].path,
            "the first section listed must open a chapter",
            line=1,
            hint="start it with '# ' instead of '## '",
        )
