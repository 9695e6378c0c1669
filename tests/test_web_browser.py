"""The web edition in a real browser: headless Chromium (Debian's, driven by Playwright) runs the
axe-core engine with the WCAG 2.2 A and AA rules, and the page is tried at a phone's width, with
the keyboard, in dark mode and for print.

One browser for the whole session. axe-core on the whole 2022 page is the slow part (about 8 s of
colour-contrast checks on two busy cores), so it runs once, in light mode at a desktop width; the
dark colours are held to the same 4.5:1 by test_theme.py, and the dark page is checked here for
what the theme cannot say (the charts stay on their light card).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import STYLES
from render.theme import Theme

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium() -> str:
    path = os.environ.get("IMPACT_REPORT_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: `make test` installs it (scripts/ensure-test-tools.sh)")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the suite may run as root (CI containers), where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def tab(browser, web_dir):
    """One tab on the web edition, loaded once; each test sets the width and media it needs."""
    page = browser.new_page(reduced_motion="reduce")
    page.goto((web_dir / "index.html").as_uri())
    yield page
    page.close()


@pytest.fixture
def open_page(tab):
    """The tab at a given width and colour scheme, scrolled to the top with nothing focused."""

    def open_(width: int = 1280, scheme: str = "light", height: int = 800):
        tab.emulate_media(media="screen", color_scheme=scheme, reduced_motion="reduce")
        tab.set_viewport_size({"width": width, "height": height})
        tab.evaluate(
            "() => { document.activeElement.blur(); history.replaceState(null, '', ' '); scrollTo(0, 0); }"
        )
        return tab

    return open_


def axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def test_axe_core_finds_no_wcag_2_2_a_or_aa_violation(open_page):
    """Every WCAG 2.2 A and AA rule on the whole page; colour contrast outside the charts, whose
    labels axe cannot judge inside an SVG (it reports them as needing review, never as passing or
    failing: their colours are held to 4.5:1 by the theme's tests) and which cost it seconds."""
    tab = open_page()
    tab.evaluate(axe_script())
    version = tuple(int(part) for part in tab.evaluate("axe.version").split(".")[:2])
    assert version >= (4, 8)  # the version that knows the wcag22aa rules
    found = """([context, options]) => axe.run(context, {...options, resultTypes: ['violations']})
        .then(r => r.violations.map(v => [v.id, v.help, v.nodes.map(n => n.target.join(' ')).slice(0, 3)]))"""
    rules = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "rules": {"color-contrast": {"enabled": False}}}
    contrast = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}
    assert tab.evaluate(found, [{"include": [["html"]]}, rules]) == []
    assert tab.evaluate(found, [{"include": [["html"]], "exclude": [["svg"]]}, contrast]) == []


# Every element that reaches past the right edge of the window, unless it is inside a frame that
# scrolls on its own; and every such frame, with what a keyboard and a screen reader get from it.
OVERFLOW = """() => {
  const frames = [...document.querySelectorAll('body *')].filter(e => {
    const style = getComputedStyle(e);
    return ['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth;
  });
  const inFrame = e => frames.some(f => f !== e && f.contains(e));
  const past = [...document.querySelectorAll('body *')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width && box.right > innerWidth + 0.5 && !inFrame(e) && !frames.includes(e);
  }).map(e => e.tagName + '.' + e.className);
  const label = f => {
    const by = f.getAttribute('aria-labelledby');
    return by ? (document.getElementById(by) || {}).textContent || '' : f.getAttribute('aria-label') || '';
  };
  return {
    page: [document.documentElement.scrollWidth, innerWidth],
    past: past.slice(0, 5),
    frames: frames.map(f => [f.className, f.getAttribute('role'), f.tabIndex, label(f).trim().length > 0]),
  };
}"""


def test_at_320_px_wide_only_tables_and_charts_scroll_sideways_in_labelled_keyboard_frames(open_page):
    found = open_page(width=320).evaluate(OVERFLOW)
    width, window = found["page"]
    assert width <= window, "the page itself scrolls sideways"
    assert found["past"] == []
    assert found["frames"], "at 320 px the charts keep a readable size and scroll in their frame"
    for name, role, tab_index, labelled in found["frames"]:
        assert (role, tab_index, labelled) == ("region", 0, True), name


def test_the_first_tab_shows_the_skip_link_and_it_leads_to_the_report(open_page):
    tab = open_page(width=375)
    tab.keyboard.press("Tab")
    focused = tab.evaluate(
        "() => { const e = document.activeElement, b = e.getBoundingClientRect();"
        " return [e.className, b.top >= 0 && b.bottom <= innerHeight && b.width > 0,"
        " getComputedStyle(e).outlineStyle]; }"
    )
    assert focused == ["skip-link", True, "solid"]
    tab.keyboard.press("Enter")
    assert tab.evaluate("location.hash") == "#main"
    assert 0 <= tab.evaluate("document.querySelector('main').getBoundingClientRect().top") <= 20


def test_dark_mode_darkens_the_page_and_keeps_charts_on_their_light_card(open_page):
    theme = Theme.load(STYLES)
    tab = open_page(scheme="dark")
    colours = tab.evaluate(
        "() => [getComputedStyle(document.documentElement).backgroundColor,"
        " getComputedStyle(document.querySelector('.chart-card')).backgroundColor]"
    )
    assert colours == [_rgb(theme.settings.web.dark.background), _rgb(theme.chart["background"])]


def test_print_leaves_out_the_navigation_and_writes_link_addresses(open_page):
    tab = open_page()
    tab.emulate_media(media="print", color_scheme="light")
    shown = tab.evaluate(
        "() => [getComputedStyle(document.querySelector('nav')).display,"
        " getComputedStyle(document.querySelector('main a[href^=\"http\"]'), '::after').content]"
    )
    assert shown[0] == "none" and shown[1].startswith('" (https://')


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))
