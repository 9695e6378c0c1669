"""How numbers are written in prose, tables, charts and slides: one place, so they always agree."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from numbers import Real


class Percent(float):
    """A value known to be a percentage (unit "percent", a share or a change), so the narrative's
    filters can refuse `| percent` on a count and `| number` on a percentage. Arithmetic on it gives
    a plain number: a sum of percentages is not a percentage."""

    __slots__ = ()


class SourcedInt(int):
    """A count that knows which figure it is (see `sourced`)."""


class SourcedFloat(float):
    """A number that knows which figure it is (see `sourced`)."""


class SourcedPercent(Percent):
    """A percentage that knows which figure it is (see `sourced`)."""


def sourced(value: object, origin: str) -> object:
    """The value tagged with the figure it is ("hashes_added", "tables.files_by_type.total()"), so the
    report can hold each figure to one rounding rule wherever it is printed. Arithmetic on it gives a
    plain number: a figure computed from others is a new figure."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    kind = (
        SourcedPercent
        if isinstance(value, Percent)
        else SourcedInt
        if isinstance(value, int)
        else SourcedFloat
    )
    tagged = kind(value)
    tagged.origin = origin
    return tagged


def _check(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"the {name} filter needs a number, got {value!r}")
    return value  # type: ignore[return-value]


def rounded(value: float | Decimal, decimals: int = 0, *, down: bool = False) -> Decimal:
    """Round as a reader expects: half up (2.5 → 3, 114.85 → 114.9), or down for "more than".

    Binary floats and Python's round() round half to even (2.5 → 2, 1.25 → 1.2); Decimal on the
    shortest repr of the number does what the published tables do. Never returns "-0".
    """
    exact = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value))
        if isinstance(value, float)
        else Decimal(value)
    )
    result = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_FLOOR if down else ROUND_HALF_UP)
    return abs(result) if result == 0 else result


def number(value: object, decimals: int = 0) -> str:
    """12345.6 → '12,346'; number(1) → '12,345.6'."""
    v = _check(value, "number")
    return f"{rounded(v, decimals):,.{decimals}f}"


def percent(value: object, decimals: int = 0) -> str:
    """A value already in percent (0–100): 20.929 → percent(2) → '20.93%'."""
    v = _check(value, "percent")
    return f"{rounded(v, decimals):,.{decimals}f}%"


def share_percent(value: float, decimals: int = 1) -> str:
    """A share of a total; a small non-zero share shows as '<0.1%' rather than a misleading '0.0%'."""
    smallest = 10**-decimals
    if 0 < value < smallest / 2:
        return f"<{smallest:.{decimals}f}%"
    return percent(value, decimals)


def millions(value: object, decimals: int = 1, round: str = "nearest") -> str:
    """31901234 → '31.9 million'. round="down" never overstates, for "more than …" sentences:
    33851765 → millions(0, round="down") → '33 million'."""
    v = _check(value, "millions")
    if round not in ("nearest", "down"):
        raise ValueError('millions(): round must be "nearest" or "down"')
    exact = (Decimal(repr(v)) if isinstance(v, float) else Decimal(v)) / Decimal(1_000_000)
    result = rounded(exact, decimals, down=round == "down")
    if result == 0 and v != 0:
        raise ValueError(f"{number(v)} is too small to show in millions; use | number")
    return f"{result:,.{decimals}f} million"


def one_in(value: object) -> str:
    """A ratio written as in speech: 6 → '1 in 6'."""
    v = _check(value, "one_in")
    return f"1 in {v:,.0f}"


def compact(value: object) -> str:
    """Short form for chart labels and big numbers: 31901234 → '31.9M', 80524 → '80,524'."""
    v = _check(value, "compact")
    if abs(v) >= 1_000_000:
        return f"{v / 1_000_000:,.1f}M"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:,.0f}"


def change(old: object, new: object) -> Percent:
    """Percentage change from old to new: change(337195, 359094) → 6.49…"""
    o, n = _check(old, "change"), _check(new, "change")
    if o == 0:
        raise ValueError("change() cannot compare with a starting value of zero")
    return Percent((n - o) / o * 100.0)


def decimals_of(values: list) -> int:
    """How many decimals the data itself was written with, so tables show it as published."""
    best = 0
    for v in values:
        if isinstance(v, float) and not v.is_integer():
            best = max(best, -Decimal(repr(v)).normalize().as_tuple().exponent)
    return best


def format_value(value: object, unit: str, decimals: int = 0) -> str:
    """A data value in a table cell or chart label, by its unit."""
    if value is None:
        return "–"
    if unit == "percent":
        return percent(value, decimals)
    return number(value, decimals)
