"""Figures that count the same thing in different places must agree.

Control totals compare a table with its published total; these rules compare tables with each
other (the children counted by case type, by age and race, and by state are the same children),
so a typo in one of them cannot survive just because its own total was copied along with it.
Rules are declared in report.toml as `[[consistency]]` with expressions in the narrative's
language, evaluated in the same sandbox.
"""

from __future__ import annotations

import re

import jinja2

from .errors import ContentError, ContentErrors
from .formatting import number
from .sandbox import TemplateLookupError

TABLE_NAME = re.compile(r"tables(?:\.|\[\s*['\"])([A-Za-z0-9_]+)")


def check_consistency(env: jinja2.Environment, content) -> None:
    """Evaluate every declared rule; a rule whose figures differ names every table and value."""
    errors = []
    for index, rule in enumerate(content.settings.consistency):
        values = []
        for j, expression in enumerate(rule.same):
            try:
                value = env.compile_expression(expression, undefined_to_none=False)()
            except (jinja2.TemplateError, TemplateLookupError, KeyError, TypeError, ValueError) as e:
                errors.append(
                    content.error(
                        f"consistency rule {rule.what!r}: {expression!r} cannot be computed: {e}",
                        "consistency",
                        index,
                        "same",
                        j,
                        hint='write an expression such as "tables.cases_by_type.total()"',
                    )
                )
                break
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors.append(
                    content.error(
                        f"consistency rule {rule.what!r}: {expression!r} is not a number",
                        "consistency",
                        index,
                        "same",
                        j,
                    )
                )
                break
            values.append((expression, value))
        else:
            first_expression, first = values[0]
            for expression, value in values[1:]:
                if abs(value - first) > rule.tolerance:
                    errors.append(
                        _disagreement(content, index, rule.what, first_expression, first, expression, value)
                    )
    if errors:
        raise ContentErrors(errors)


def _where(expression: str, content) -> str:
    names = TABLE_NAME.findall(expression)
    files = [content.tables[n].shown for n in names if n in content.tables]
    return " and ".join(files) or content.facts_table.shown


def _disagreement(content, index: int, what: str, a: str, va: float, b: str, vb: float) -> ContentError:
    return content.error(
        f"{what}: {a} is {number(va, _decimals(va))} ({_where(a, content)}) but {b} is "
        f"{number(vb, _decimals(vb))} ({_where(b, content)}); they count the same thing and must agree",
        "consistency",
        index,
        hint="correct the table that is wrong; the consistency rules are in report.toml",
    )


def _decimals(value: float) -> int:
    return 0 if float(value).is_integer() else 2
