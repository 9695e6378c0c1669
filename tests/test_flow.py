"""The flow pass decides part by part (pdf_parts.py: a chapter is a part), from each part laid out
alone, and keeps each part's plan and written PDF in the build cache: the decisions are the ones a
layout of the whole report gives, an unchanged report is laid out no more, an edit re-lays only
its part, and a cached build writes the same bytes as a clean one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import weasyprint

from conftest import STYLES
from render import pdf as pdf_module
from render.build import build
from render.chart_cache import ChartPictures
from render.flow import PlanCache, plan_moves
from render.pdf import PartStore, PartWriter, _html, _Parts, chart_svgs, render_html
from render.pdf_parts import whole, with_page_numbers
from render.theme import Theme

PDF = "impact-report-2022.pdf"


def test_each_part_alone_decides_as_the_whole_2022_report(report):
    """What makes deciding part by part sound: the decisions equal the whole report's, laid out
    as one document."""
    theme = Theme.load(STYLES)
    source = render_html(report, theme, chart_svgs(report, theme, ChartPictures.at("user")))
    writer = PartWriter(report, theme, source.css, "pdf/ua-2")
    layout = source.layout
    whole_report = writer.lay(_html(report, theme, layout, with_page_numbers(whole(layout), layout, None)))
    decided = plan_moves(whole_report.document, layout)
    parts = _Parts(report, theme, source, writer, PlanCache(None), PartStore(None))
    parts._plan(helpers=False)
    plans = parts.plans
    assert decided, "the 2022 report has figures to move: the comparison means something"
    assert {k: v for plan in plans for k, v in plan.moves.items()} == decided
    assert [p.name for p in parts.parts][:2] == ["front", f"chapter-{layout.chapters[0].opener.id}"]


def _counting(monkeypatch) -> list[str]:
    """The HTML of every layout the real WeasyPrint makes (nothing is replaced, only noted)."""
    calls: list[str] = []
    real = weasyprint.HTML.render

    def render(self, *args, **kwargs):
        calls.append(self.source if isinstance(getattr(self, "source", None), str) else "")
        return real(self, *args, **kwargs)

    real_init = weasyprint.HTML.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.source = kwargs.get("string", "")

    monkeypatch.setattr(weasyprint.HTML, "__init__", init)
    monkeypatch.setattr(weasyprint.HTML, "render", render)
    return calls


def _tiny_with_a_pushed_chart(tiny_content):
    """The tiny report with a second chapter whose chart is pushed past a page end, leaving a gap
    that the short paragraph after it fills: the flow pass moves the chart past it."""
    config = tiny_content / "report.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('sections = ["intro"]', 'sections = ["intro", "cases"]'),
        encoding="utf-8",
    )
    intro = tiny_content / "sections" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace('{{ chart("cases") }}', ""), encoding="utf-8")
    filler = "A sentence that fills the page so the chart below has to wait for the next one. " * 9
    paragraphs = "\n\n".join([filler] * 3)
    short = "A short paragraph that can fill the gap above the chart. " * 2
    cases = tiny_content / "sections" / "cases.md"
    cases.write_text(
        f'# Cases\n\n{paragraphs}\n\n{{{{ chart("cases") }}}}\n\n{short}\n\n{filler}\n', encoding="utf-8"
    )
    return cases


def _chapters(calls: list[str]) -> list[str]:
    """Which chapter each layout was of ('' for the parts that hold none)."""
    found = []
    for html in calls:
        ids = [i for i in ("intro", "cases") if f'id="chapter-{i}"' in html]
        found.append(ids[0] if len(ids) == 1 else "+".join(ids))
    return found


def test_an_unchanged_report_is_laid_out_no_more_and_an_edit_relays_its_part(
    tiny_content, tmp_path, monkeypatch
):
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "1")  # every layout in this process, to count them
    cases = _tiny_with_a_pushed_chart(tiny_content)
    cache = tmp_path / "cache"
    build(tiny_content, tmp_path / "clean", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
    calls = _counting(monkeypatch)
    build(tiny_content, tmp_path / "cold", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    cold = _chapters(calls)
    assert cold.count("cases") == 2, "the chapter with the pushed chart: laid out as written, then moved"
    assert cold.count("intro") == 1, "a chapter with nothing to move: its one layout is its final one"
    assert len(list((cache / "flow").glob("*.json"))) >= 4, "a plan for each part"
    calls.clear()
    shutil.rmtree(cache / "outputs")  # else the whole PDF is read back (test_output_cache.py)
    build(tiny_content, tmp_path / "warm", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    assert calls == [], "nothing changed: every part's PDF is read back"
    shutil.rmtree(cache / "outputs")
    shutil.rmtree(cache / "parts")
    build(tiny_content, tmp_path / "planned", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    assert _chapters(calls).count("cases") == 1, "planned before: each part laid out once, as it is printed"
    first = (tmp_path / "clean" / PDF).read_bytes()
    for name in ("cold", "warm", "planned"):
        assert (tmp_path / name / PDF).read_bytes() == first, name

    cases.write_text(cases.read_text(encoding="utf-8").replace("fills the page", "fills this page"))
    calls.clear()
    build(tiny_content, tmp_path / "edited", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    assert _chapters(calls) == ["cases", "cases"], "the edited chapter alone: as written, then moved"
    build(tiny_content, tmp_path / "edited-clean", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
    assert (tmp_path / "edited" / PDF).read_bytes() == (tmp_path / "edited-clean" / PDF).read_bytes()


def test_after_a_small_edit_the_last_plan_is_checked_in_a_child_while_the_part_is_laid_out(
    tiny_content, tmp_path, monkeypatch
):
    """With a core to spare, the edited part's last plan is guessed and a forked child checks it:
    this process lays the part out once. A wrong guess costs a second layout, a failed child the
    part's own decision; the bytes are a clean build's every time."""
    cases = _tiny_with_a_pushed_chart(tiny_content)
    cache = tmp_path / "cache"
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    build(tiny_content, tmp_path / "first", styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
    hint = PlanCache(cache / "flow")._hint("chapter-cases")
    assert hint.exists(), "the chapter keeps its plan as the next guess"

    def edit_and_build(old: str, new: str, name: str) -> int:
        cases.write_text(cases.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        shutil.rmtree(cache / "outputs", ignore_errors=True)
        calls = _counting(monkeypatch)
        build(tiny_content, tmp_path / name, styles_dir=STYLES, formats=("pdf",), cache_dir=cache)
        monkeypatch.undo()
        monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
        build(tiny_content, tmp_path / f"{name}-clean", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
        assert (tmp_path / name / PDF).read_bytes() == (tmp_path / f"{name}-clean" / PDF).read_bytes(), name
        return _chapters(calls).count("cases")

    assert edit_and_build("fills the page", "fills this page", "guessed") == 1, "the chapter, once"

    # A wrong guess (the hint says the chart moves further than it does): laid out again.
    raw = hint.read_bytes()
    head, _, data = raw.partition(b"\n")
    _, _, data = data.partition(b"\n")
    wrong = json.loads(data)
    assert wrong["plan"]["moves"], "the chart moves past a paragraph"
    wrong["plan"]["moves"] = {key: value + 1 for key, value in wrong["plan"]["moves"].items()}
    body = json.dumps(wrong, sort_keys=True).encode()
    hint.write_bytes(head + b"\n" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert edit_and_build("fills this page", "fills that page", "wrong") == 2, "guess, then the truth"

    # A child that fails: this process decides the part itself.
    parent = os.getpid()
    real = pdf_module.plan_moves

    def failing_in_the_child(*args):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(*args)

    monkeypatch.setattr(pdf_module, "plan_moves", failing_in_the_child)
    assert edit_and_build("fills that page", "fills a page", "failed") == 2, "the guess, then the decision"
    monkeypatch.undo()

    # A bigger edit is not guessed: the part is laid out as written first, then moved.
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    longer = "A sentence that fills the page so the chart below has to wait for the next one. " * 3
    assert edit_and_build("\n\n{{ chart", f"\n\n{longer}\n\n{{{{ chart", "bigger") >= 1
