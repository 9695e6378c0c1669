"""What every slide of the deck says, decided before anything is drawn.

One idea per slide, in the report's reading order:

- a section's key figures are its big numbers: one on a slide of its own, two or three side by side;
  a headline of the same value is the same slide (it adds its source);
- a figure that is the total of a chart in its section sits beside that chart, not on a slide
  before it (the two would say the same thing twice);
- a section with nothing to show but words gets a slide of one to three key points;
- short sections in a row that each have one figure and nothing else share a figures slide;
- a table the presenter listed in [deck] tables stays, but never right after a chart of its data:
  such tables go to a data appendix after the closing slide, ready for questions;
- the first slide of a section is titled with its takeaway when it has one; a chart's caption
  is its title when it is one short sentence; otherwise titles name the topic.

Planning measures text (deck_measure), because whether a title needs two lines or a table one slide
changes what goes where; nothing is shrunk below 18 pt to fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import deck_words as words
from .charts import apart_sentence
from .deck_measure import Type
from .deck_tables import TablePage, table_pages
from .formatting import decimals_of
from .model import Chart, ChartRef, KeyFigure, Report, Section, TableRef
from .text import Span
from .theme import Theme

Line = tuple[Span, ...]  # a line of slide text: its words, with the address of those that link


@dataclass(frozen=True)
class Figure:
    """A big number and its label, with the headline's source when a headline gives it."""

    value: str
    label: str
    source: str = ""
    headline: bool = False
    block: KeyFigure | None = None  # where the section states it, for the notes


@dataclass(frozen=True)
class SlideSpec:
    """What one slide says. `kind` picks the drawing: title, divider, points, number (one big
    number as the title), figures (one to three numbers under a title), chart, table, closing."""

    kind: str
    title: str
    notes: tuple[str, ...] = ()
    lines: tuple[Line, ...] = ()  # key points; the cover's and closing's lines; a caption
    figures: tuple[Figure, ...] = ()  # the numbers shown (beside a chart: one)
    chart: Chart | None = None
    table: TablePage | None = None
    section: str = ""  # the section it comes from
    source: str = ""  # where a chart's data comes from


TITLE_WORDS = {
    "chart": "chart",
    "table": "table",
    "points": "key points",
    "number": "in numbers",
    "figures": "in numbers",
    "divider": "chapter",
    "closing": "closing",
    "title": "title",
}
APPENDIX_TITLE = "Appendix: the data behind the charts"


def plain(line: Line) -> str:
    return "".join(w for w, _ in line)


def plan_deck(report: Report, theme: Theme) -> list[SlideSpec]:
    """Every slide, in the report's reading order, with unique titles."""
    t = Type(theme)
    deck, meta = report.deck, report.meta
    chapters = report.chapters
    backup: list[str] = []  # tables listed for the deck whose chart is shown: the appendix
    intro, outro = (), ()
    if chapters and _only_words(report, chapters[0]):
        intro = words.fit(words.section_notes(chapters.pop(0).opener))
    if chapters and _only_words(report, chapters[-1]):
        outro = words.fit(words.section_notes(chapters.pop().opener))
    cover = (meta.subtitle, meta.organisation, str(meta.year))
    slides = [SlideSpec("title", meta.title, notes=intro, lines=tuple(((x, ""),) for x in cover))]
    slides += [_number_slide(_headline_figure(h), None) for h in report.headlines if not h.section]
    for chapter in chapters:
        opener = chapter.opener
        shown = [s for s in chapter.sections if s.id in deck.sections]
        runs: list[list[SlideSpec]] = []
        if shown:
            notes = words.fit(words.section_notes(opener))
            slides.append(SlideSpec("divider", opener.title, notes=notes, section=opener.id))
            if opener.id in deck.sections:
                runs.append(_section_slides(report, opener, t, backup, lead=False))
        elif opener.id in deck.sections:  # a chapter of one page is its own slides, not a divider
            runs.append(_section_slides(report, opener, t, backup, lead=True))
        runs += [_section_slides(report, s, t, backup, lead=True) for s in shown]
        slides += _group_short_sections(report, runs, t.style.figures.per_slide)
    closing = deck.closing or meta.tagline or f"Thank you from {meta.organisation}"
    lines = [((meta.organisation, ""),)] if meta.organisation else []
    if meta.website:
        lines.append(((_address(meta.website), meta.website),))
    notes = outro or (f"Thank you. {closing}",)
    slides.append(SlideSpec("closing", closing, notes=notes, lines=tuple(lines)))
    if backup:
        slides.append(
            SlideSpec(
                "divider",
                APPENDIX_TITLE,
                notes=(
                    "The slides after this one hold the numbers behind the charts, as tables, for "
                    "questions after the talk.",
                ),
            )
        )
        for tid in backup:
            slides += _table_slides(report, tid, t)
    return _unique(_no_repeated_points(slides))


def _no_repeated_points(slides: list[SlideSpec]) -> list[SlideSpec]:
    """A key point that states a figure the slide before or after shows as a big number is left
    out (while another point remains): the number says it."""
    out = list(slides)
    for i, spec in enumerate(out):
        if spec.kind != "points":
            continue
        near = [f.value for x in out[max(0, i - 1) : i + 2] for f in x.figures]
        kept = tuple(line for line in spec.lines if not any(_says(plain(line), v) for v in near))
        if kept and len(kept) < len(spec.lines):
            out[i] = replace(spec, lines=kept)
    return out


def _says(text: str, value: str) -> bool:
    return re.search(rf"(?<![\d,.]){re.escape(value)}(?![\d%]|[.,]\d)", text) is not None


def _only_words(report: Report, chapter) -> bool:
    """A chapter with no sections and nothing to show but words (an introduction, a thank-you),
    which a presenter says over the title or the closing slide."""
    s, deck = chapter.opener, report.deck
    tables = {*s.table_ids, *(report.chart_data.get(c) for c in s.chart_ids)}
    return (
        not chapter.sections
        and s.id in deck.sections
        and not s.key_figures
        and not any(h.section == s.id for h in report.headlines)
        and not any(c in deck.charts for c in s.chart_ids)
        and not any(x in deck.tables for x in tables)
    )


def _address(url: str) -> str:
    """A web address as people say it: without https:// and a trailing slash."""
    return re.sub(r"^https?://", "", url).rstrip("/")


# ---------------------------------------------------------------- a section's slides


def _section_figures(report: Report, s: Section) -> list[Figure]:
    """Its key figures in reading order, each merged with a headline of the same value; headlines
    of the section that no key figure states come first."""
    headlines = [h for h in report.headlines if h.section == s.id]
    stated = {kf.value for kf in s.key_figures}
    figures = [_headline_figure(h) for h in headlines if h.value not in stated]
    for kf in s.key_figures:
        h = next((h for h in headlines if h.value == kf.value), None)
        figures.append(Figure(kf.value, kf.label, h.source if h else "", h is not None, kf))
    return figures


def _headline_figure(h) -> Figure:
    return Figure(h.value, h.label, h.source, True)


def _section_slides(report: Report, s: Section, t: Type, backup: list[str], *, lead: bool) -> list[SlideSpec]:
    """The section's figures, charts and tables in its reading order; words alone when it has
    none of them. The first slide carries the section's takeaway and its notes when `lead`."""
    deck = report.deck
    figures = _section_figures(report, s)
    at = {f.block: f for f in figures if f.block is not None}
    items: list[object] = [f for f in figures if f.block is None]  # Figure, Chart or table id
    for block in s.blocks:
        if isinstance(block, KeyFigure) and block in at:
            items.append(at[block])
        elif isinstance(block, ChartRef):
            data = report.chart_data.get(block.chart_id)
            if block.chart_id in deck.charts:
                items.append(report.charts[block.chart_id])
                if data in deck.tables and data not in backup:
                    backup.append(data)
            elif data in deck.tables and data in report.appendix:  # the table shows what the chart would
                items.append(data)
        elif isinstance(block, TableRef) and block.table_id in deck.tables:
            if report.data_chart.get(block.table_id) in deck.charts:
                if block.table_id not in backup:
                    backup.append(block.table_id)
            else:
                items.append(block.table_id)
    items = _beside_charts(items)
    slides: list[SlideSpec] = []
    pending: list[Figure] = []

    def flush() -> None:
        most = t.style.figures.per_slide
        for i in range(0, len(pending), most):
            group = tuple(pending[i : i + most])
            if len(group) == 1:
                slides.append(_number_slide(group[0], s))
            else:
                notes = words.fit([n for f in group for n in _figure_notes(s, f, 60)])
                slides.append(SlideSpec("figures", s.title, notes=notes, figures=group, section=s.id))
        pending.clear()

    for item in items:
        if isinstance(item, Figure):
            pending.append(item)
            continue
        flush()
        if isinstance(item, tuple):  # a chart with the figure that is its total
            chart, figure = item
            slides.append(_chart_slide(report, chart, (figure,), s))
        elif isinstance(item, Chart):
            slides.append(_chart_slide(report, item, (), s))
        else:
            slides += _table_slides(report, item, t)
    flush()
    if not slides:
        return [_points_slide(s)] if lead else []
    return [_lead(slides[0], s)] + slides[1:] if lead else slides


def _beside_charts(items: list[object]) -> list[object]:
    """A figure that is the total of a chart in the same section moves beside that chart: the
    chart becomes (chart, figure) and the figure leaves its own place."""
    taken: set[int] = set()
    beside: dict[int, Figure] = {}
    for i, item in enumerate(items):
        total = chart_total(item) if isinstance(item, Chart) else None
        if total is None:
            continue
        j = next(
            (
                j
                for j, f in enumerate(items)
                if isinstance(f, Figure) and j not in taken and states(f.value, total)
            ),
            None,
        )
        if j is not None:
            taken.add(j)
            beside[i] = items[j]
    return [(x, beside[i]) if i in beside else x for i, x in enumerate(items) if i not in taken]


def chart_total(chart: Chart) -> float | None:
    """What a chart's values add up to; None when a sum means nothing (percentages)."""
    if chart.unit == "percent":
        return None
    s = chart.series
    if chart.apart is not None:  # the whole, the part set apart included
        return chart.whole
    return sum(v for row in s.matrix for v in row) if s.matrix else sum(s.values)


_AMOUNT = re.compile(
    r"(?:(?:more than|over|about|nearly|almost) )?(\d[\d,]*)(?:\.(\d+))?( million| billion)?"
)


def states(value: str, number: float) -> bool:
    """Whether a figure as printed ("27,644", "88.3 million", "more than 29,000") is `number` to
    the precision it is printed with (rounded either way)."""
    m = _AMOUNT.fullmatch(value.strip())
    if not m:
        return False  # a percentage, a ratio: not a count a chart adds up to
    scale = {" million": 1e6, " billion": 1e9}.get(m[3] or "", 1.0)
    decimals = m[2] or ""
    printed = float(f"{m[1].replace(',', '')}.{decimals}" if decimals else m[1].replace(",", "")) * scale
    step = scale * 10 ** -len(decimals)
    return printed - step < number < printed + step


def _lead(spec: SlideSpec, s: Section) -> SlideSpec:
    """The section's first slide: its takeaway as the title; its notes say the section's opening
    (and, for a chart, the figure beside it first and what the chart shows after), within the limit."""
    notes = words.section_notes(s)
    if spec.kind == "chart":
        figure = [f"{x.value} {x.label}." for x in spec.figures]
        description = words.chart_description(spec.chart, spec.chart.caption)
        budget = words.NOTES_WORDS - words.words(" ".join([*figure, spec.chart.caption, description]))
        opening = words.section_notes(s, budget=budget)
        said = " ".join([*figure, *opening, spec.chart.caption])
        notes = [*figure, *opening, spec.chart.caption, words.chart_description(spec.chart, said)]
    spec = replace(spec, notes=words.fit([x for x in notes if x]))
    if not s.takeaway:
        return spec
    title = s.takeaway.rstrip(".")
    if spec.kind == "number":  # the number moves under the takeaway
        return replace(spec, kind="figures", title=title, lines=())
    return _titled(spec, title)


def _number_slide(f: Figure, s: Section | None) -> SlideSpec:
    notes = _figure_notes(s, f) if s is not None else [f"{f.value} {f.label}."]
    return SlideSpec(
        "number",
        f"{f.value} {f.label}",
        notes=words.fit(notes),
        figures=(f,),
        lines=(((f"Source: {f.source}", ""),),) if f.source else (),
        section=s.id if s else "",
    )


def _figure_notes(s: Section, f: Figure, budget: int = words.NOTES_WORDS) -> list[str]:
    if f.block is None:
        return [f"{f.value} {f.label}."]
    return words.figure_notes(s, f.block, budget)


def _points_slide(s: Section) -> SlideSpec:
    points = words.key_points(s)
    notes = words.section_notes(s, skip={p.text for p in points})
    return SlideSpec(
        "points",
        s.takeaway.rstrip(".") if s.takeaway else s.title,
        notes=words.fit(notes),
        lines=tuple(p.spans for p in points),
        section=s.id,
    )


def _chart_slide(report: Report, chart: Chart, figures: tuple[Figure, ...], s: Section) -> SlideSpec:
    """A chart, titled with its caption when that is a takeaway; the notes say the figure beside
    it, how the text introduces it, its caption and what it shows."""
    takeaway = words.takeaway_of(chart.caption)
    block = next((b for b in s.blocks if isinstance(b, ChartRef) and b.chart_id == chart.id), None)
    said = [f"{f.value} {f.label}." for f in figures]
    said += [" ".join(words.lead_in(s, block)), chart.caption]
    said.append(words.chart_description(chart, " ".join(said)))
    spec = SlideSpec(
        "chart",
        takeaway or chart.title,
        notes=words.fit([x for x in said if x]),
        figures=figures,
        chart=chart,
        section=s.id,
        source=report.tables[chart.table].source,
    )
    return _titled(spec, spec.title)


def _titled(spec: SlideSpec, title: str) -> SlideSpec:
    """The slide with `title`; a chart's caption line names the chart when the title does not."""
    if spec.kind != "chart":
        return replace(spec, title=title)
    name = f"{spec.chart.title}. " if title != spec.chart.title else ""
    apart = _apart(spec.chart)
    caption = (apart + name + (f"Source: {spec.source}." if spec.source else "")).strip()
    return replace(spec, title=title, lines=(((caption, ""),),) if caption else ())


def _apart(chart: Chart) -> str:
    """The chart's statement of the category it does not draw, for the slide's caption line."""
    if chart.apart is None or not chart.series.values:
        return ""
    decimals = decimals_of([*chart.series.values, chart.apart[1]])
    sentence = apart_sentence(
        chart.apart, max(chart.series.values), chart.whole, chart.unit, decimals, chart.share_decimals
    )
    return sentence + " "


def _table_slides(report: Report, tid: str, t: Type) -> list[SlideSpec]:
    config = report.content_dir / "report.toml" if report.content_dir else None
    view = report.table_views[tid]
    pages = table_pages(view, report.deck.max_table_rows, report.table_numbers[tid], config, t)
    return [SlideSpec("table", title, notes=notes, table=page) for title, notes, page in pages]


# ---------------------------------------------------------------- short sections share a slide


def _group_short_sections(report: Report, runs: list[list[SlideSpec]], most: int) -> list[SlideSpec]:
    """Sections in a row that are each one figure and nothing else (no headline, no takeaway, no
    notes of their own) share a figures slide, up to `most` to a slide, instead of a run of
    near-empty slides."""
    out: list[SlideSpec] = []
    pending: list[SlideSpec] = []

    def flush() -> None:
        if len(pending) == 1:
            out.append(pending[0])
        elif pending:
            count = -(-len(pending) // most)
            size = -(-len(pending) // count)  # balanced: 4 → 2 + 2, 5 → 3 + 2
            for i in range(0, len(pending), size):
                out.append(_shared(report, pending[i : i + size]))
        pending.clear()

    for run in runs:
        if len(run) == 1 and _short(report, run[0]):
            pending.append(run[0])
        else:
            flush()
            out += run
    flush()
    return out


def _short(report: Report, spec: SlideSpec) -> bool:
    if spec.kind != "number" or spec.figures[0].headline or not spec.section:
        return False
    s = report.section(spec.section)
    return not s.takeaway and not s.notes


def _shared(report: Report, specs: list[SlideSpec]) -> SlideSpec:
    sections = [report.section(x.section) for x in specs]
    budget = words.NOTES_WORDS // len(specs)
    notes = [n for s in sections for n in words.fit(words.section_notes(s, budget=budget), budget)]
    return SlideSpec(
        "figures",
        _join_titles([s.title for s in sections]),
        notes=words.fit(notes),
        figures=tuple(x.figures[0] for x in specs),
        section=specs[0].section,
    )


def _join_titles(titles: list[str]) -> str:
    """ "Forensic genealogy, Team Adam and attempted abductions": titles after the first in lower
    case unless they hold a name (a capital after the first word, or an all-capitals word)."""
    out = []
    for i, title in enumerate(titles):
        first, *rest = title.split(" ", 1)
        named = first.isupper() or any(w[:1].isupper() for w in " ".join(rest).split())
        out.append(title if i == 0 or named else first[:1].lower() + title[1:])
    return ", ".join(out[:-1]) + " and " + out[-1]


# ---------------------------------------------------------------- titles


def _unique(slides: list[SlideSpec]) -> list[SlideSpec]:
    """No two slides share a title (compared as a screen reader would, ignoring case and spacing)."""
    seen: set[str] = set()
    out = []
    for spec in slides:
        title = spec.title
        candidates = [title, f"{title}: {TITLE_WORDS[spec.kind]}"] + [f"{title} ({n})" for n in range(2, 99)]
        title = next(c for c in candidates if _key(c) not in seen)
        seen.add(_key(title))
        out.append(replace(spec, title=title))
    return out


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()
