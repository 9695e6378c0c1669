"""Stage: model. Bind narrative, data, charts and tables into one immutable Report.

This is the only place where text meets numbers; the renderers downstream just lay out what
they are given.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from .charts import build_chart
from .errors import ContentError, ContentErrors
from .formatting import Percent
from .load import Content, toml_line, whole_number
from .model import DeckPlan, Headline, Report, ReportMeta, Section
from .narrative import check_outline, lint_prose, make_environment, render_section, render_template
from .tableview import build_view


def _text(env, content: Content, value: object, where: str, allowed: list[str]) -> str:
    """Render a short text from report.toml (a title, caption …) through the same strict template."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ContentError(
            content.config_path,
            f"{where} must be text in quotes",
            line=toml_line(content.config_text, where.split(".")[-1]),
        )
    line = toml_line(content.config_text, value) or toml_line(content.config_text, where.split(".")[-1])
    errors = lint_prose(value, content.config_path, allowed)
    if errors:
        raise ContentError(
            content.config_path, f"{where}: " + errors[0].message, line=line, hint=errors[0].hint
        )
    return render_template(env, value, content.config_path, line=line).strip()


def assemble(content: Content, styles_dir: Path) -> Report:
    cfg = content.config
    allowed = list(cfg.get("allowed_in_prose", []))
    for key in ("year", "published_year"):
        if key in cfg and not isinstance(cfg[key], int):
            raise ContentError(
                content.config_path,
                f"{key} must be a whole number such as 2022",
                line=toml_line(content.config_text, key),
            )
    report_ns = SimpleNamespace(
        year=cfg["year"],
        published_year=cfg.get("published_year", cfg["year"] + 1),
        organisation=cfg["organisation"],
    )
    context = {
        key: Percent(fact.value) if fact.unit == "percent" else fact.value
        for key, fact in content.facts.items()
    }
    context["report"] = report_ns
    context["tables"] = dict(content.tables)
    charts_cfg: dict = cfg.get("charts", {})
    tables_cfg: dict = cfg.get("tables", {})
    env = make_environment(context, set(charts_cfg), set(tables_cfg))

    def text(value, where):
        return _text(env, content, value, where, allowed)

    meta = ReportMeta(
        title=text(cfg["title"], "title"),
        subtitle=text(cfg.get("subtitle", ""), "subtitle"),
        year=cfg["year"],
        published_year=report_ns.published_year,
        organisation=cfg["organisation"],
        language=cfg["language"],
        author=cfg["author"],
        subject=text(cfg["subject"], "subject"),
        keywords=tuple(cfg.get("keywords", ())),
        tagline=cfg.get("tagline", ""),
        website=cfg.get("website", ""),
    )
    report_ns.title = meta.title

    errors: list[ContentError] = []
    charts = {}
    for cid, spec in charts_cfg.items():
        try:
            table = _table(content, spec.get("table"), f"charts.{cid}")
            charts[cid] = build_chart(
                cid,
                spec,
                table,
                title=text(spec.get("title", table.title), f"charts.{cid}.title"),
                caption=text(spec.get("caption"), f"charts.{cid}.caption"),
                author_alt=text(spec.get("alt"), f"charts.{cid}.alt"),
                note=text(spec.get("note"), f"charts.{cid}.note"),
                config_path=content.config_path,
            )
        except ContentError as e:
            errors += _located(e, content, f"[charts.{cid}]")
    views = {}
    for tid, spec in tables_cfg.items():
        try:
            table = _table(content, spec.get("table"), f"tables.{tid}")
            views[tid] = build_view(
                tid,
                spec,
                table,
                text(spec.get("caption", table.title), f"tables.{tid}.caption"),
                text(spec.get("note"), f"tables.{tid}.note"),
                content.config_path,
            )
        except ContentError as e:
            errors += _located(e, content, f"[tables.{tid}]")

    sections: list[Section] = []
    for source in content.sections:
        try:
            sections.append(render_section(env, source.id, source.path, source.text, allowed))
        except ContentError as e:
            errors += e.errors
    if errors:
        raise ContentErrors(errors)
    check_outline(sections, content.config_path)
    _check_placement(sections, charts, views, content)

    headlines = []
    ids = {s.id for s in sections}
    for spec in cfg.get("headlines", []):
        if spec.get("section") and spec["section"] not in ids:
            raise ContentError(
                content.config_path,
                f"headline section {spec['section']!r} is not a section",
                line=toml_line(content.config_text, spec["section"]),
            )
        headlines.append(
            Headline(
                value=text(spec.get("value"), "headlines.value"),
                label=text(spec.get("label"), "headlines.label"),
                source=text(spec.get("source"), "headlines.source"),
                section=spec.get("section", ""),
            )
        )

    deck_cfg = cfg.get("deck", {})
    deck = DeckPlan(
        sections=tuple(deck_cfg.get("sections", [s.id for s in sections])),
        charts=tuple(deck_cfg.get("charts", list(charts))),
        tables=tuple(deck_cfg.get("tables", list(views))),
        max_table_rows=whole_number(
            deck_cfg,
            "max_table_rows",
            8,
            lambda m: ContentError(
                content.config_path, f"[deck] {m}", line=toml_line(content.config_text, "max_table_rows")
            ),
        ),
        closing=text(deck_cfg.get("closing", meta.tagline), "deck.closing"),
    )
    for kind, chosen, known in (
        ("sections", deck.sections, ids),
        ("charts", deck.charts, charts),
        ("tables", deck.tables, views),
    ):
        for item in chosen:
            if item not in known:
                raise ContentError(
                    content.config_path,
                    f"[deck] {kind} lists {item!r}, which does not exist",
                    line=toml_line(content.config_text, f'"{item}"'),
                )
    return Report(
        meta=meta,
        sections=tuple(sections),
        tables=dict(content.tables),
        facts=dict(content.facts),
        charts=charts,
        table_views=views,
        headlines=tuple(headlines),
        deck=deck,
        content_dir=content.root,
        styles_dir=styles_dir,
    )


def _located(error: ContentError, content: Content, header: str) -> list[ContentError]:
    """Point report.toml errors without a line at the [charts.x] or [tables.x] header they concern."""
    for e in error.errors:
        if e.line is None and e.path == content.config_path:
            e.line = toml_line(content.config_text, header)
    return error.errors


def _table(content: Content, name: object, where: str):
    if name not in content.tables:
        raise ContentError(
            content.config_path,
            f"[{where}] names table {name!r}, which does not exist",
            line=toml_line(content.config_text, f"[{where}]"),
            hint="use a CSV file name without .csv: " + ", ".join(sorted(content.tables)),
        )
    return content.tables[name]


def _check_placement(sections, charts, views, content: Content) -> None:
    """Every declared chart and table appears exactly once, so no data silently drops out."""
    placed: dict[tuple[str, str], list[str]] = {}
    for s in sections:
        for cid in s.chart_ids:
            placed.setdefault(("chart", cid), []).append(s.id)
        for tid in s.table_ids:
            placed.setdefault(("table", tid), []).append(s.id)
    errors = []
    for kind, known in (("chart", charts), ("table", views)):
        for ident in known:
            where = placed.get((kind, ident), [])
            if not where:
                errors.append(
                    ContentError(
                        content.config_path,
                        f"{kind} {ident!r} is declared but not placed in any section",
                        line=toml_line(content.config_text, f"{kind}s.{ident}]"),
                        hint=f'write {{{{ {kind}("{ident}") }}}} on its own line where it belongs',
                    )
                )
            elif len(where) > 1:
                errors.append(
                    ContentError(
                        content.config_path,
                        f"{kind} {ident!r} is placed more than once (in {', '.join(where)})",
                    )
                )
    if errors:
        raise ContentErrors(errors)
