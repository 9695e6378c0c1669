"""Compiled narrative texts kept in the build cache: a new process reads them instead of
compiling every text again, and the model comes out the same."""

from __future__ import annotations

import jinja2

from conftest import STYLES
from render import narrative
from render.assemble import assemble
from render.load import load_content
from render.narrative import compiled_texts_kept_in


def test_compiled_texts_are_kept_between_processes(tiny_content, tmp_path, monkeypatch):
    kept = tmp_path / "texts"
    monkeypatch.setattr(narrative, "_COMPILED", {})  # as in a new process
    with compiled_texts_kept_in(kept):
        first = repr(assemble(load_content(tiny_content), STYLES))
    assert any(kept.iterdir())

    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):
        compiled.append(source)
        return compile_(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)

    def model() -> str:
        monkeypatch.setattr(narrative, "_COMPILED", {})  # a new process: only the kept texts remain
        with compiled_texts_kept_in(kept):
            return repr(assemble(load_content(tiny_content), STYLES))

    assert model() == first and compiled == [], "every text read back, none compiled"

    intro = tiny_content / "sections" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nA new closing sentence.\n", encoding="utf-8")
    edited = model()
    assert "A new closing sentence." in edited and len(compiled) == 1, "the edited text alone compiles"

    for entry in kept.iterdir():  # cut short by a full disk: compiled again, never used
        entry.write_bytes(entry.read_bytes()[:60])
    compiled.clear()
    assert model() == edited and compiled
