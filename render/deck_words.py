"""The words of the deck that are not on the page: key points cut from the narrative, speaker notes a
presenter can say aloud, and a spoken description of each chart.

Notes are for speaking: a section's own `::: notes` block when it has one, else its opening
sentences. Sentences that hold link text ("Read a father's account …") are left out, since they
make sense only as a link; nothing machine-written (the screen-reader alt text of a chart) is
read aloud; and a slide's notes stay under NOTES_WORDS words, about forty seconds of speech.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .formatting import decimals_of, format_value, share_percent
from .model import Chart, KeyFigure, Prose, Section
from .text import Span, markdown_to_blocks, markdown_to_plain

NOTES_WORDS = 120

_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"']?\s+(?=[A-Z0-9“\"])")
_ABBREVIATION = re.compile(r"\b(?:[A-Z]\.){2,}$|\b(?:Mr|Mrs|Ms|Dr|St|No|vs)\.$")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the narrative, as spans (words, link address)."""

    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(words for words, _ in self.spans)

    @property
    def links(self) -> bool:
        return any(href for _, href in self.spans)


def words(text: str) -> int:
    return len(text.split())


def sentences(spans: tuple[Span, ...]) -> list[Sentence]:
    """A paragraph cut into sentences, each keeping its links."""
    text = "".join(w for w, _ in spans)
    cuts, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text[start : m.start()]):
            cuts.append((start, m.start()))
            start = m.end()
    cuts.append((start, len(text)))
    out = []
    for a, b in cuts:
        if text[a:b].strip():
            out.append(Sentence(_slice(spans, a, b)))
    return out


def _slice(spans: tuple[Span, ...], a: int, b: int) -> tuple[Span, ...]:
    out, pos = [], 0
    for w, href in spans:
        lo, hi = max(a, pos), min(b, pos + len(w))
        if lo < hi:
            out.append((w[lo - pos : hi - pos], href))
        pos += len(w)
    return tuple(out)


def section_sentences(blocks) -> list[list[Sentence]]:
    """The prose paragraphs of some blocks (headings left out), each as its sentences."""
    return [
        sentences(spans)
        for b in blocks
        if isinstance(b, Prose)
        for kind, spans in markdown_to_blocks(b.tokens)
        if kind != "heading"
    ]


def _spoken(paragraphs: list[list[Sentence]], budget: int, most: int, skip: set[str]) -> list[str]:
    """The first `most` sentences without links, in order, within `budget` words; one note per
    paragraph they come from."""
    notes, taken, used = [], 0, 0
    for paragraph in paragraphs:
        chosen = []
        for s in paragraph:
            if s.links or s.text in skip:
                continue
            if taken == most or used + words(s.text) > budget:
                break
            chosen.append(s.text)
            taken += 1
            used += words(s.text)
        else:
            if chosen:
                notes.append(" ".join(chosen))
            continue
        if chosen:
            notes.append(" ".join(chosen))
        break
    return notes


def section_notes(section: Section, budget: int = NOTES_WORDS, skip: set[str] | None = None) -> list[str]:
    """What a presenter says over a section's slide: its notes block, else its first two or three
    sentences (without link text and without what the slide already shows) within `budget` words."""
    if section.notes:
        return [p for note in section.notes for p in markdown_to_plain(note.tokens)]
    return _spoken(section_sentences(section.blocks), budget, 3, skip or set()) or [section.title + "."]


def figure_notes(section: Section, figure: KeyFigure, budget: int = NOTES_WORDS) -> list[str]:
    """Notes for a key figure shown on a slide of its own: the figure said as a sentence, then the
    sentence after it in the text (or, at the end of a section, the two before it)."""
    said = f"{figure.value} {figure.label}."
    at = section.blocks.index(figure) if figure in section.blocks else len(section.blocks)
    after = [s for p in section_sentences(section.blocks[at + 1 :]) for s in p if not s.links]
    before = [s for p in section_sentences(section.blocks[:at]) for s in p if not s.links]
    extra = [s.text for s in after[:1]] if after else [s.text for s in before[-2:]]
    notes = [said]
    for text in extra:
        if words(" ".join(notes + [text])) <= budget:
            notes.append(text)
    return notes


def key_points(section: Section) -> list[Sentence]:
    """One to three points for a section's slide: the sentences of its first paragraph (a paragraph
    is one thought), links kept (they become live links on the slide), leaving out a sentence that
    is only a link."""
    for paragraph in section_sentences(section.blocks):
        points = [s for s in paragraph if not all(href for _, href in s.spans)][:3]
        if points:
            return points
    return [Sentence(((section.title, ""),))]


def lead_in(section: Section, block: object, most: int = 2) -> list[str]:
    """The sentences the text says just before `block` (a chart), without links: how the author
    introduces it."""
    at = section.blocks.index(block) if block in section.blocks else 0
    before = [s.text for p in section_sentences(section.blocks[:at])[-1:] for s in p if not s.links]
    return before[-most:]


def takeaway_of(caption: str) -> str:
    """A chart's caption used as a slide title when it is one short plain sentence (a takeaway);
    a reading hint before a colon ("Logarithmic scale: electronic service providers made almost
    all reports.") is left to the chart. Else ""."""
    text = " ".join(caption.split())
    hint = re.match(r"([A-Z][\w-]*(?: [\w-]+){0,2}): (?=[a-z])", text)
    if hint:
        text = text[hint.end() :]
        text = text[:1].upper() + text[1:]
    if not text or len(sentences(((text, ""),))) != 1 or words(text) > 16:
        return ""
    if re.search(r"[:;]", text) or not text[0].isupper() or text[-1] not in ".!":
        return ""
    return text.rstrip(".")


# ---------------------------------------------------------------- charts, said aloud


def chart_description(chart: Chart, said: str = "") -> str:
    """A short description of what a chart shows, for a presenter to say: its largest values, in
    words, never the screen-reader alt text. Empty when `said` (the notes so far) already gives
    the largest value; a reading hint is left out when `said` has one."""
    s = chart.series
    if not s.labels:
        return ""
    if s.matrix:
        return _heatmap_description(chart, said)
    decimals = decimals_of(list(s.values))
    total = sum(s.values)
    labels = [chart.short_labels.get(x, x) for x in s.labels]
    ranked = sorted(zip(labels, s.values), key=lambda lv: -lv[1])

    def say(label: str, value: float) -> str:
        text = f"{label}, {format_value(value, chart.unit if chart.unit == 'percent' else '', decimals)}"
        if chart.show_share and total and chart.unit != "percent":
            text += f" ({share_percent(100 * value / total, chart.share_decimals)})"
        return text

    top = format_value(ranked[0][1], chart.unit if chart.unit == "percent" else "", decimals)
    if top in said:
        return ""
    first, rest = ranked[0], ranked[1:3]
    sentence = f"The largest is {say(*first)}"
    if rest:
        sentence += "; then " + " and ".join(say(*x) for x in rest)
    sentence += "."
    if chart.scale == "log" and "logarithmic" not in said.lower():
        sentence += " The scale is logarithmic, so each step along it is ten times the last."
    return sentence


def _heatmap_description(chart: Chart, said: str) -> str:
    s = chart.series
    decimals = decimals_of([v for row in s.matrix for v in row])
    rows = sorted(zip(s.labels, (sum(r) for r in s.matrix)), key=lambda lv: -lv[1])
    cells = [(r, c, v) for r, row in zip(s.labels, s.matrix) for c, v in zip(s.group_labels, row)]
    r, c, v = max(cells, key=lambda x: x[2])
    value = chart.value_label.lower() if chart.value_label else "of them"
    hint = "" if "darker" in said.lower() else f"Darker cells hold more {value}. "
    return (
        f"{hint}The largest row is {rows[0][0]}, "
        f"with {format_value(rows[0][1], '', decimals)} in all; the largest single cell is "
        f"{r} and {c}, with {format_value(v, '', decimals)}."
    )


def fit(notes: list[str], budget: int = NOTES_WORDS) -> tuple[str, ...]:
    """Notes cut to the budget: whole notes kept from the first, a note that does not fit left out."""
    out, used = [], 0
    for note in notes:
        n = words(note)
        if note and used + n <= budget:
            out.append(note)
            used += n
    return tuple(out)
