"""The styles' templates (HTML and CSS, for the PDF and the web edition): found only in the styles
folder through the resolver, run in the style sandbox, and any mistake in them reported as a
ContentError naming the template and its line.

Shared by every renderer that writes HTML, so a designer's template follows one set of rules
whichever output it is for. Environments are kept per styles folder and language, and a template
is compiled again only when its file changes: the preview renders the same templates after every
keystroke-and-save, and compiling them is most of the time a page takes.
"""

from __future__ import annotations

import os
import traceback
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from .errors import ContentError, read_utf8
from .paths import Resolver
from .sandbox import StyleSandbox
from .theme import Theme


class StylesLoader(jinja2.BaseLoader):
    """Templates from the styles folder (templates/ first), each through the resolver, so an
    {% include %} or {% extends %} can never read outside it."""

    def __init__(self, styles_dir: Path, resolver: Resolver) -> None:
        self.styles_dir = styles_dir
        self.resolver = resolver

    def get_source(self, environment, template):
        parts = split_template_path(template)  # refuses '..'; a leading '/' becomes relative
        for folder in (self.styles_dir / "templates", self.styles_dir):
            path = folder.joinpath(*parts)
            if path.exists() or path.is_symlink():
                real = self.resolver.file(path, what="template")
                stamp = _stamp(real)
                return read_utf8(real), str(path), lambda real=real, stamp=stamp: _stamp(real) == stamp
        raise jinja2.TemplateNotFound(template)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def css_string(value: object) -> object:
    """A value printed into CSS, escaped for a CSS string: a title with quotes or a backslash
    cannot end the string or inject a rule. Colours and numbers pass through unchanged."""
    if not isinstance(value, str):
        return value
    return "".join(
        ch
        if ch.isalnum() or ch in " #.,:;/-_%()&!?+*=@~^$[]{}|`" and ch not in "\"'<>"
        else f"\\{ord(ch):x} "
        for ch in value
    )


@lru_cache(maxsize=16)
def _environment(styles_dir: Path, resolver: Resolver, language: str) -> jinja2.Environment:
    """Templates are a designer's files: sandboxed like content, HTML-escaped for .html and
    CSS-string-escaped for .css, each in its own language."""
    options = dict(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        loader=StylesLoader(styles_dir, resolver),
        auto_reload=True,
    )
    if language == "css":
        return StyleSandbox(autoescape=False, finalize=css_string, **options)
    return StyleSandbox(autoescape=True, **options)


def render_style_template(theme: Theme, name: str, language: str, **values) -> str:
    """One styles template, any mistake in it a located error naming the template and line."""
    env = _environment(theme.styles_dir, theme.resolver, language)
    try:
        return env.get_template(name).render(**values)
    except jinja2.TemplateSyntaxError as e:
        raise ContentError(
            Path(e.filename or theme.styles_dir / name), f"template error: {e.message}", line=e.lineno
        ) from None
    except jinja2.TemplateNotFound as e:
        raise ContentError(
            theme.styles_dir / name,
            f"the template {e.name!r} does not exist in the styles folder",
            hint="templates live in styles/templates/ or styles/",
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as e:
        line = _template_line(e)
        raise ContentError(
            line[0] if line else theme.styles_dir / name,
            f"template error: {e}",
            line=line[1] if line else None,
        ) from None


def _template_line(error: BaseException) -> tuple[Path, int] | None:
    """(template file, line) of the innermost template frame in an error's traceback."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".j2", ".html", ".css")):
            return Path(frame.filename), frame.lineno or 0
    return None
