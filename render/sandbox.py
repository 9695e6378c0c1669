"""The sandbox every template runs in: the narrative's expressions and the styles' templates.

Content and styles pass through many hands, so a template is never trusted code. Jinja2's own
sandbox already blocks `__class__`-style attributes; this one is stricter: no default globals
(`cycler`, `lipsum`, `range` …), only the filters we document, and attribute access only to names
an object declares for templates (a data table's `total`, `share`, `value`; a dataclass's fields
in the styles' templates) so no template reaches a path, a method or a module. Powers and string
repetition are refused, since one expression could otherwise stall the build.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateLookupError(Exception):
    """A name a template asked for that the content does not have (an unknown chart, a figure an
    earlier year lacks); the narrative turns it into a ContentError at the template's line."""


class Namespace:
    """A read-only set of names for templates (`tables.cases_by_type`, `report.year`): attribute
    or item access to those names and nothing else."""

    __slots__ = ("_items", "_kind")

    def __init__(self, kind: str, items: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_items", dict(items))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._items[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("read-only")

    def __repr__(self) -> str:
        return f"the {self._kind}"

    def _names(self) -> Iterable[str]:
        return self._items.keys()


def template_names(obj: object) -> Iterable[str]:
    """The attribute names a template may read on obj."""
    if isinstance(obj, Namespace):
        return obj._names()
    return getattr(type(obj), "TEMPLATE_ATTRIBUTES", ())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class ContentSandbox(ImmutableSandboxedEnvironment):
    """For the narrative and report.toml: only names an object declares for templates."""

    intercepted_binops = frozenset({"*", "**", "%", "//"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
        self.filters.clear()  # only the filters the caller documents
        self.tests.clear()

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return super().is_safe_attribute(obj, attr, value) and attr in template_names(obj)

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            raise SecurityError("powers (**) are not allowed in expressions")
        if not (_is_number(left) and _is_number(right)):
            raise SecurityError(f"only numbers can be combined with {op}")
        return {"*": operator.mul, "%": operator.mod, "//": operator.floordiv}[op](left, right)


# Jinja's filters that only reshape values already given to a template: safe for styles.
STYLE_FILTERS = (
    "e escape safe join length count list first last lower upper title capitalize trim replace "
    "round int float string sort reverse batch slice truncate wordcount unique min max sum abs "
    "center indent striptags urlencode map select reject selectattr rejectattr groupby attr"
).split()


LOOP_ATTRIBUTES = frozenset(
    "index index0 revindex revindex0 first last length depth depth0 previtem nextitem".split()
)


class StyleSandbox(ContentSandbox):
    """For the styles' templates: the fields of the model's dataclasses, never a path."""

    def __init__(self, **options: Any) -> None:
        keep = {
            name: f for name, f in ImmutableSandboxedEnvironment().filters.items() if name in STYLE_FILTERS
        }
        tests = ImmutableSandboxedEnvironment().tests
        super().__init__(**options)
        self.filters.update(keep)
        self.tests.update(tests)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(value, PurePath) or not ImmutableSandboxedEnvironment.is_safe_attribute(
            self, obj, attr, value
        ):
            return False
        if isinstance(obj, LoopContext):
            return attr in LOOP_ATTRIBUTES
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return attr in {f.name for f in dataclasses.fields(obj)} or attr in template_names(obj)
        return attr in template_names(obj)

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not allowed in templates")
        return super().call_binop(context, op, left, right)
