"""Stage: model. Bind narrative, data, charts and tables into one immutable Report.

This is the only place where text meets numbers; the renderers downstream just lay out what
they are given.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .charts import build_chart
from .consistency import check_consistency
from .errors import ContentError, ContentErrors, read_utf8
from .formatting import sourced
from .load import Content
from .model import DataTable, DeckPlan, Headline, Report, ReportMeta, Section, TableRef, number_tables
from .narrative import check_rounding, lint_prose, make_environment, render_template
from .sandbox import Namespace
from .sections import check_outline, render_section
from .tableview import build_view, largest_first
from .years import value_of


class TableFigures:
    """What the narrative may ask of a data table, and nothing more: no rows, no path."""

    TEMPLATE_ATTRIBUTES = frozenset({"total", "share", "value"})
    __slots__ = ("_table",)

    def __init__(self, table: DataTable) -> None:
        self._table = table

    def total(self, measure: str | None = None, **where: str):
        return sourced(self._table.total(measure, **where), self._origin("total", measure, where))

    def share(self, measure: str | None = None, **where: str):
        return sourced(self._table.share(measure, **where), self._origin("share", measure, where))

    def value(self, measure: str | None = None, **where: str):
        return sourced(self._table.value(measure, **where), self._origin("value", measure, where))

    def _origin(self, method: str, measure: str | None, where: dict[str, str]) -> str:
        args = ([repr(measure)] if measure else []) + [f"{k}={v!r}" for k, v in where.items()]
        return f"tables.{self._table.name}.{method}({', '.join(args)})"


def _text(env, content: Content, value: str | None, *path: str | int) -> str:
    """Render a short text from report.toml (a title, caption …) through the same strict template."""
    if value is None:
        return ""
    line = content.line(*path)
    errors = lint_prose(value, content.config_path, list(content.settings.allowed_in_prose))
    if errors:
        where = ".".join(str(p) for p in path)
        raise ContentError(
            content.config_path, f"{where}: " + errors[0].message, line=line, hint=errors[0].hint
        )
    return render_template(env, value, content.config_path, line=line).strip()


def assemble(content: Content, styles_dir: Path) -> Report:
    cfg = content.settings
    allowed = list(cfg.allowed_in_prose)
    published_year = cfg.published_year or cfg.year + 1
    context: dict[str, object] = {key: sourced(value_of(fact), key) for key, fact in content.facts.items()}
    context["tables"] = Namespace("tables", {name: TableFigures(t) for name, t in content.tables.items()})
    context["previous"] = content.earlier.figures(cfg.year - 1)
    context["year"] = content.earlier.figures
    report_names = {"year": cfg.year, "published_year": published_year, "organisation": cfg.organisation}
    context["report"] = Namespace("report", report_names)
    env = make_environment(context, set(cfg.charts), set(cfg.tables))
    title = _text(env, content, cfg.title, "title")
    # Texts may name the report's title: give it to them once it is known.
    context["report"] = Namespace("report", {**report_names, "title": title})
    env = make_environment(context, set(cfg.charts), set(cfg.tables))

    def text(value, *path):
        return _text(env, content, value, *path)

    errors: list[ContentError] = []
    tables: dict[str, DataTable] = {}
    for name, table in content.tables.items():
        try:
            tables[name] = _schema_texts(env, table, allowed)
        except ContentError as e:
            errors += e.errors
    if errors:
        raise ContentErrors(errors)
    check_consistency(env, content)

    meta = ReportMeta(
        title=title,
        subtitle=text(cfg.subtitle, "subtitle"),
        year=cfg.year,
        published_year=published_year,
        organisation=cfg.organisation,
        language=cfg.language,
        author=cfg.author,
        subject=text(cfg.subject, "subject"),
        keywords=tuple(cfg.keywords),
        tagline=cfg.tagline,
        website=cfg.website,
        hotline=text(cfg.back_cover.hotline, "back_cover", "hotline"),
        how_to_help=tuple(
            text(item, "back_cover", "how_to_help", n) for n, item in enumerate(cfg.back_cover.how_to_help)
        ),
        nobreak=tuple(allowed),
        pdf_standard=cfg.pdf_standard,
    )

    charts = {}
    for cid, spec in cfg.charts.items():
        try:
            table = _table(tables, content, spec.table, "charts", cid)
            charts[cid] = build_chart(
                cid,
                spec,
                table,
                title=text(spec.title if spec.title is not None else table.title, "charts", cid, "title"),
                caption=text(spec.caption, "charts", cid, "caption"),
                author_alt=text(spec.alt, "charts", cid, "alt"),
                note=text(spec.note, "charts", cid, "note"),
                fail=lambda m, key, cid=cid: content.error(f"[charts.{cid}]: {m}", "charts", cid, key),
            )
        except ContentError as e:
            errors += e.errors
    views = {}
    for tid, spec in cfg.tables.items():
        try:
            table = _table(tables, content, spec.table, "tables", tid)
            views[tid] = build_view(
                tid,
                spec,
                table,
                text(spec.caption if spec.caption is not None else table.title, "tables", tid, "caption"),
                text(spec.note, "tables", tid, "note"),
                fail=lambda m, key, tid=tid: content.error(f"[tables.{tid}]: {m}", "tables", tid, key),
            )
        except ContentError as e:
            errors += e.errors

    sections: list[Section] = []
    for source in content.sections:
        try:
            sections.append(
                render_section(
                    env,
                    source.id,
                    source.path,
                    source.text,
                    allowed,
                    root=content.root,
                    resolver=content.resolver,
                )
            )
        except ContentError as e:
            errors += e.errors
    if errors:
        raise ContentErrors(errors)
    check_outline(sections, content.config_path)
    _check_placement(sections, charts, views, content)
    sections, appendix, chart_data = _place_tables(sections, charts, views, cfg)
    views = _order_rows(views, charts, chart_data, cfg)
    numbers = number_tables(sections, appendix)
    for cid, view in chart_data.items():
        if not charts[cid].alt_by_author:  # say where every value is
            charts[cid] = replace(
                charts[cid], alt=f"{charts[cid].alt} All values are in Table {numbers[view]}."
            )

    headlines = []
    ids = {s.id for s in sections}
    for n, spec in enumerate(cfg.headlines):
        if spec.section and spec.section not in ids:
            raise content.error(
                f"headline section {spec.section!r} is not a section", "headlines", n, "section"
            )
        headlines.append(
            Headline(
                value=text(spec.value, "headlines", n, "value"),
                label=text(spec.label, "headlines", n, "label"),
                source=text(spec.source, "headlines", n, "source"),
                section=spec.section,
            )
        )

    deck_cfg = cfg.deck
    deck = DeckPlan(
        sections=tuple(deck_cfg.sections if deck_cfg.sections is not None else [s.id for s in sections]),
        charts=tuple(deck_cfg.charts if deck_cfg.charts is not None else list(charts)),
        tables=tuple(deck_cfg.tables if deck_cfg.tables is not None else list(views)),
        max_table_rows=deck_cfg.max_table_rows,
        closing=text(deck_cfg.closing if deck_cfg.closing is not None else meta.tagline, "deck", "closing"),
    )
    for kind, chosen, known in (
        ("sections", deck.sections, ids),
        ("charts", deck.charts, charts),
        ("tables", deck.tables, views),
    ):
        for index, item in enumerate(chosen):
            if item not in known:
                raise content.error(
                    f"[deck] {kind} lists {item!r}, which does not exist", "deck", kind, index
                )
    check_rounding(env)
    return Report(
        meta=meta,
        sections=tuple(sections),
        tables=tables,
        facts=dict(content.facts),
        charts=charts,
        table_views=views,
        headlines=tuple(headlines),
        deck=deck,
        content_dir=content.root,
        styles_dir=styles_dir,
        appendix=appendix,
        chart_data=chart_data,
    )


def _table(tables: dict[str, DataTable], content: Content, name: str, kind: str, ident: str) -> DataTable:
    if name not in tables:
        raise content.error(
            f"[{kind}.{ident}] names table {name!r}, which does not exist",
            kind,
            ident,
            "table",
            hint="use a table's name (its CSV file name without .csv, or its sheet's name): "
            + ", ".join(sorted(tables)),
        )
    return tables[name]


def _schema_texts(env, table: DataTable, allowed: list[str]) -> DataTable:
    """The table with its schema's words (title, source, column titles …) bound like any other text:
    the year comes from `{{ report.year }}`, never typed, so a new year never inherits the old one."""
    schema = table.schema_path
    lines = read_utf8(schema).splitlines() if schema.is_file() else []

    def text(value: str) -> str:
        if not value:
            return value
        needle = value.replace('"', '\\"')
        line = next((n for n, t in enumerate(lines, start=1) if needle in t), None)
        errors = lint_prose(value, schema, allowed)
        if errors:
            raise ContentError(schema, errors[0].message, line=line, hint=errors[0].hint)
        return render_template(env, value, schema, line=line).strip()

    fields = tuple(replace(f, title=text(f.title), description=text(f.description)) for f in table.fields)
    return replace(
        table,
        title=text(table.title),
        description=text(table.description),
        source=text(table.source),
        fields=fields,
    )


def _order_rows(views: dict, charts: dict, chart_data: dict, cfg) -> dict:
    """A table lists its rows in the order of the chart that shows its data (largest first when the
    chart sorts by value), unless its own `sort` says otherwise."""
    follows = {view: charts[chart] for chart, view in chart_data.items()}
    ordered = {}
    for vid, view in views.items():
        sort = cfg.tables[vid].sort
        if sort is None:
            chart = follows.get(vid)
            sort = "descending" if chart is not None and chart.kind == "bar" and chart.sorted else "data"
        ordered[vid] = largest_first(view) if sort == "descending" else view
    return ordered


def _place_tables(sections: list[Section], charts, views, cfg) -> tuple[list[Section], tuple[str, ...], dict]:
    """One presentation per dataset: a table whose data a chart in the same section already shows
    moves to the data appendix (unless placed "inline"), linked both ways with its chart."""
    appendix: list[str] = []
    chart_data: dict[str, str] = {}
    placed = []
    for section in sections:
        drawn = {charts[c].table: c for c in section.chart_ids}
        blocks = []
        for block in section.blocks:
            if isinstance(block, TableRef):
                view = views[block.table_id]
                chart = drawn.get(view.table)
                if chart is not None:
                    chart_data.setdefault(chart, view.id)
                placement = cfg.tables[view.id].placement
                if placement == "appendix" or (placement == "auto" and chart is not None):
                    appendix.append(view.id)
                    continue
            blocks.append(block)
        placed.append(replace(section, blocks=tuple(blocks)))
    return placed, tuple(appendix), chart_data


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
                    content.error(
                        f"{kind} {ident!r} is declared but not placed in any section",
                        f"{kind}s",
                        ident,
                        hint=f'write {{{{ {kind}("{ident}") }}}} on its own line where it belongs',
                    )
                )
            elif len(where) > 1:
                errors.append(
                    content.error(
                        f"{kind} {ident!r} is placed more than once (in {', '.join(where)})",
                        f"{kind}s",
                        ident,
                    )
                )
    if errors:
        raise ContentErrors(errors)
