"""Stage: the deck (placeholder until issue 3 lands; see render/deck.py in that change)."""

from __future__ import annotations

from .model import Report
from .theme import Theme


def render_deck(report: Report, theme: Theme) -> bytes:
    raise NotImplementedError("the deck renderer is being written")
