"""The theme keeps its promises: readable contrast for text, visible contrast for chart marks."""

from __future__ import annotations

import pytest

from conftest import STYLES
from render.theme import Theme, contrast_ratio


@pytest.fixture(scope="module")
def theme() -> Theme:
    return Theme.load(STYLES)


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    "foreground, background",
    [
        ("text", "background"),
        ("muted", "background"),
        ("primary", "background"),
        ("accent", "background"),
        ("text", "surface"),
        ("primary", "surface"),
        ("accent", "surface"),
        ("muted", "surface"),
        ("on_primary", "primary"),
    ],
)
def test_pdf_text_colours_reach_4_5_to_1(theme, foreground, background):
    c = theme.colors
    assert contrast_ratio(c[foreground], c[background]) >= 4.5


def test_chart_palette_keeps_3_to_1_against_the_chart_background(theme):
    for colour in theme.chart["palette"]:
        assert contrast_ratio(colour, theme.chart["background"]) >= 3.0, colour


def test_chart_palette_colours_are_distinct_from_each_other(theme):
    palette = theme.chart["palette"]
    for i, a in enumerate(palette):
        for b in palette[i + 1 :]:
            assert a.lower() != b.lower()


def test_slide_text_colours_reach_4_5_to_1(theme):
    s = theme.slides
    assert contrast_ratio(s["title_color"], s["background"]) >= 4.5
    assert contrast_ratio(s["text_color"], s["background"]) >= 4.5
    assert contrast_ratio(s["divider_text"], s["divider_background"]) >= 4.5
    assert contrast_ratio(s["accent"], s["background"]) >= 4.5


def test_font_files_come_from_the_installed_package(theme):
    files = theme.font_files
    assert {"regular", "bold"} <= set(files)
    assert all(path.exists() and path.suffix == ".ttf" for path in files.values())


@pytest.mark.parametrize("foreground", ["text", "muted", "primary", "accent"])
@pytest.mark.parametrize("background", ["background", "surface"])
def test_web_dark_mode_text_colours_reach_4_5_to_1(theme, foreground, background):
    """The web edition in dark mode: its text, links, headings and big numbers on the page and on
    the contents' and table headers' surface (the banner is text on surface too)."""
    dark = theme.settings.web.dark
    assert contrast_ratio(getattr(dark, foreground), getattr(dark, background)) >= 4.5
