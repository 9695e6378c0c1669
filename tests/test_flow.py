"""The flow pass decides chapter by chapter, from each chapter laid out alone, and keeps each
decision in the build cache: the decisions are the ones a layout of the whole report gives, an
unchanged report is laid out once, an edit re-lays only its chapter, and a cached build writes the
same bytes as a clean one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from conftest import STYLES
from render import flow as flow_module
from render.build import build
from render.chart_cache import ChartPictures
from render.flow import plan_flow, plan_moves
from render.pdf import _html, chart_svgs, render_html
from render.theme import Theme

PDF = "impact-report-2022.pdf"


def _lay(source, theme):
    """Layout as the build does it, with the theme's fonts."""
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=source.css, font_config=fonts)
    return lambda html: weasyprint.HTML(string=html, base_url=str(theme.styles_dir)).render(
        stylesheets=[stylesheet], font_config=fonts
    )


def test_each_chapter_alone_breaks_as_it_does_in_the_whole_2022_report(report):
    """What makes deciding chapter by chapter sound: the decisions equal the whole report's."""
    theme = Theme.load(STYLES)
    source = render_html(report, theme, chart_svgs(report, theme, ChartPictures.at("user")))
    lay = _lay(source, theme)
    whole = plan_moves(lay(source.html), source.layout)
    alone = lambda layout: _html(report, theme, layout, chapters_only=True)  # noqa: E731
    by_chapter = plan_flow(source.layout, alone, source.css, lay, None).moves
    assert whole, "the 2022 report has figures to move: the comparison means something"
    assert by_chapter == whole
    # Shared with a forked child: the same decisions, and the child laid out some of the chapters.
    here: list[str] = []
    shared = plan_flow(
        source.layout, alone, source.css, lambda html: here.append(html) or lay(html), None, share=True
    )
    assert shared.moves == whole
    assert 1 <= len(here) < 3, "this process laid out some of the three chapters, the child the others"


def _counting(monkeypatch) -> list[int]:
    """Count layouts of the real WeasyPrint (nothing is replaced, only counted)."""
    calls: list[int] = []
    real = weasyprint.HTML.render

    def render(self, *args, **kwargs):
        document = real(self, *args, **kwargs)
        calls.append(len(document.pages))
        return document

    monkeypatch.setattr(weasyprint.HTML, "render", render)
    return calls


def _tiny_with_a_pushed_chart(tiny_content):
    """The tiny report with a second chapter whose chart is pushed past a page end, so the flow
    pass has something to decide."""
    config = tiny_content / "report.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('sections = ["intro"]', 'sections = ["intro", "cases"]'),
        encoding="utf-8",
    )
    intro = tiny_content / "sections" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace('{{ chart("cases") }}', ""), encoding="utf-8")
    filler = "A sentence that fills the page so the chart below has to wait for the next one. " * 9
    paragraphs = "\n\n".join([filler] * 5)
    cases = tiny_content / "sections" / "cases.md"
    cases.write_text(
        f'# Cases\n\n{paragraphs}\n\n{{{{ chart("cases") }}}}\n\n{filler}\n\n{filler}\n', encoding="utf-8"
    )
    return cases


def test_an_unchanged_report_is_laid_out_once_and_an_edit_relays_its_chapter(
    tiny_content, tmp_path, monkeypatch
):
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "1")  # every layout in this process, to count them
    cases = _tiny_with_a_pushed_chart(tiny_content)
    cache = tmp_path / "cache"
    clean = build(tiny_content, tmp_path / "clean", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
    calls = _counting(monkeypatch)
    build(tiny_content, tmp_path / "cold", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    cold = len(calls)
    assert cold >= 2, "a chapter laid out alone to decide its flow, then the whole report"
    assert len(list((cache / "flow").glob("*.json"))) >= 1
    calls.clear()
    shutil.rmtree(cache / "outputs")  # else the whole PDF is read back (test_output_cache.py)
    build(tiny_content, tmp_path / "warm", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    assert len(calls) == 1, "nothing changed: the whole report, once"
    calls.clear()
    build(tiny_content, tmp_path / "reused", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    assert calls == [], "nothing changed, and the PDF is cached: no layout at all"
    first = (tmp_path / "clean" / PDF).read_bytes()
    assert (tmp_path / "cold" / PDF).read_bytes() == first
    assert (tmp_path / "warm" / PDF).read_bytes() == first
    assert (tmp_path / "reused" / PDF).read_bytes() == first
    assert clean.report is not None

    cases.write_text(cases.read_text(encoding="utf-8").replace("fills the page", "fills this page"))
    calls.clear()
    build(tiny_content, tmp_path / "edited", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    assert len(calls) == 2, "the edited chapter alone, then the whole report"
    calls.clear()
    build(tiny_content, tmp_path / "edited-clean", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
    assert (tmp_path / "edited" / PDF).read_bytes() == (tmp_path / "edited-clean" / PDF).read_bytes()


def test_after_a_small_edit_the_last_decision_is_checked_in_a_child_while_the_report_is_laid_out(
    tiny_content, tmp_path, monkeypatch
):
    """With a core to spare, the edited chapter's last decision is guessed and a forked child
    checks it: this process lays the report out once. A wrong guess costs a second layout, a
    failed child the chapter's own; the bytes are a clean build's every time."""
    cases = _tiny_with_a_pushed_chart(tiny_content)
    cache = tmp_path / "cache"
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    build(tiny_content, tmp_path / "first", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    hint = flow_module._hint_path(cache / "flow", "cases")
    assert hint.exists(), "the chapter with a chart keeps its decision as the next guess"

    def edit_and_build(old: str, new: str, name: str) -> int:
        cases.write_text(cases.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        shutil.rmtree(cache / "outputs", ignore_errors=True)
        calls = _counting(monkeypatch)
        build(tiny_content, tmp_path / name, styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
        monkeypatch.undo()
        monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
        build(tiny_content, tmp_path / f"{name}-clean", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
        assert (tmp_path / name / PDF).read_bytes() == (tmp_path / f"{name}-clean" / PDF).read_bytes(), name
        return len(calls)

    assert edit_and_build("fills the page", "fills this page", "guessed") == 1, "the whole report, once"

    # A wrong guess (the hint says the chart moves past a paragraph; it stays): laid out again.
    raw = hint.read_bytes()
    head, _, data = raw.partition(b"\n")
    digest, _, data = data.partition(b"\n")
    wrong = json.loads(data)
    assert wrong["moves"] == {}, "the chart stays where it is written"
    kinds = [kind for _, kind, _ in wrong["shape"]]
    chart = wrong["shape"][kinds.index("chart")][0]
    wrong["moves"] = {chart: 1}
    body = json.dumps(wrong, sort_keys=True).encode()
    hint.write_bytes(head + b"\n" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert edit_and_build("fills this page", "fills that page", "wrong") == 2, "guess, then the truth"

    # A child that fails: this process decides the chapter itself.
    parent = os.getpid()
    real = flow_module._decide

    def failing_in_the_child(pending, lay):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(pending, lay)

    monkeypatch.setattr(flow_module, "_decide", failing_in_the_child)
    assert edit_and_build("fills that page", "fills a page", "failed") == 2, "the whole report, the chapter"
    monkeypatch.undo()

    # A bigger edit is not guessed: the chapter is laid out alone first.
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    longer = "A sentence that fills the page so the chart below has to wait for the next one. " * 3
    assert edit_and_build("\n\n{{ chart", f"\n\n{longer}\n\n{{{{ chart", "bigger") == 2
