"""Numbers as readers see them: the filters used in prose, tables, charts and slides."""

from __future__ import annotations

import pytest

from render.formatting import (
    change,
    compact,
    format_value,
    millions,
    number,
    one_in,
    percent,
    share_percent,
)


def test_number_uses_thousands_separators():
    assert number(32059029) == "32,059,029"
    assert number(1234.56, 1) == "1,234.6"


def test_percent_keeps_the_chosen_precision():
    assert percent(590 / 2819 * 100, 2) == "20.93%"
    assert percent(16) == "16%"


def test_millions_rounds_to_nearest_or_down_for_more_than_sentences():
    assert millions(31901234) == "31.9 million"
    assert millions(88377207) == "88.4 million"
    assert millions(88377207, 1, round="down") == "88.3 million"
    assert millions(33851765, 0, round="down") == "33 million"
    with pytest.raises(ValueError):
        millions(1, round="up")


def test_change_between_years():
    assert change(337195, 359094) == pytest.approx((359094 - 337195) / 337195 * 100)
    assert percent(change(337195, 359094), 1) == "6.5%"
    with pytest.raises(ValueError):
        change(0, 5)


def test_tiny_shares_are_not_shown_as_zero():
    assert share_percent(12906 / 32059029 * 100, 1) == "<0.1%"
    assert share_percent(0, 1) == "0.0%"
    assert share_percent(99.46, 1) == "99.5%"


def test_filters_refuse_text():
    with pytest.raises(TypeError):
        number("12")


def test_small_helpers():
    assert one_in(6) == "1 in 6"
    assert compact(31901234) == "31.9M" and compact(80524) == "80,524"
    assert format_value(38.22, "percent", 2) == "38.22%" and format_value(None, "children") == "–"


def test_rounding_is_half_up_as_readers_expect_not_half_even():
    assert number(2.5) == "3"
    assert percent(12.5) == "13%"
    assert millions(1_250_000, 1) == "1.3 million"
    assert millions(114_850_000, 1) == "114.9 million"
    assert millions(290_000, 2, round="down") == "0.29 million"


def test_no_negative_zero():
    assert number(-0.4) == "0"
    assert percent(-0.04, 1) == "0.0%"


def test_decimals_of_handles_exponent_notation():
    from render.formatting import decimals_of

    assert decimals_of([1e-05, 14.6]) == 5
    assert decimals_of([63.0, 7]) == 0


def test_shares_that_round_to_zero_say_so():
    assert share_percent(0.04) == "<0.1%"
    assert share_percent(0.06) == "0.1%"
