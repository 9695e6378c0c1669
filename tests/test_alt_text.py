"""Alt text is written from the data: small tables in, the facts a listener needs out."""

from __future__ import annotations

from pathlib import Path

from render.alt_text import describe_bar, describe_heatmap
from render.charts import build_chart
from render.errors import ContentError
from render.model import DataTable, Field
from render.settings import ChartSettings, TableSettings


def fail(message: str, key: str) -> ContentError:
    return ContentError(Path("report.toml"), message, where=key)


def small_table(rows, unit="children") -> DataTable:
    return DataTable(
        name="pets",
        title="Pets",
        description="",
        source="",
        fields=(Field("kind", "string", "Kind of pet"), Field("count", "integer", "Pets", unit=unit)),
        primary_key=("kind",),
        rows=tuple(rows),
        path=Path("pets.csv"),
    )


def pets_chart(table: DataTable, author_alt: str = "", **spec):
    """A bar chart of the pets table by kind, as report.toml would declare it."""
    settings = ChartSettings(**{"table": "pets", "kind": "bar", "category": "kind", **spec})
    return build_chart(
        "pets", settings, table, title="Pets", caption="", author_alt=author_alt, note="", fail=fail
    )


def test_bar_alt_names_kind_title_every_value_largest_first_and_total():
    text = describe_bar("Pets by kind", ["Cats", "Dogs", "Fish"], [30, 60, 10], "pets", category_name="Kind")
    assert text.startswith("Bar chart: Pets by kind.")
    assert "3 kind categories" in text
    assert text.index("Dogs: 60") < text.index("Cats: 30") < text.index("Fish: 10")
    assert "Dogs: 60 (60.0%)" in text
    assert "Total: 100 pets." in text


def test_bar_alt_for_top_n_says_it_is_a_selection_and_gives_the_full_total():
    labels = [f"S{i}" for i in range(15)]
    values = list(range(150, 0, -10))
    text = describe_bar("States", labels, values, "children", category_name="State", total=5000, of_count=54)
    assert "15 largest of 54" in text
    assert "Total: 5,000 children." in text
    assert "The largest are S0: 150" in text and "S4: 110" in text and "S5:" not in text
    assert "smallest shown is S14 with 10" in text
    assert "table that follows" in text


def test_percent_data_is_not_totalled_or_shared_again():
    text = describe_bar("Share by age", ["A", "B"], [82.3, 17.7], "percent", category_name="Age", decimals=1)
    assert "A: 82.3%" in text and "Total" not in text and "(82" not in text


def test_log_scale_is_announced():
    text = describe_bar("Reports", ["x", "y"], [1_000_000, 10], "reports", category_name="Type", scale="log")
    assert text.startswith("Dot chart on a logarithmic scale")


def test_heatmap_alt_gives_largest_cells_and_totals():
    text = describe_heatmap(
        "Age by colour",
        ["young", "old"],
        ["red", "blue"],
        [[1, 2], [30, 4]],
        "cats",
        row_name="Age",
        column_name="Colour",
    )
    assert text.startswith("Heatmap: Age by colour.")
    assert "The largest cells are old, red: 30" in text
    assert "By age, the largest totals are old 34" in text
    assert "Total: 37 cats." in text


def test_chart_alt_is_computed_from_the_table_sums():
    table = small_table([("Cats", 30), ("Dogs", 60), ("Fish", 10)])
    chart = pets_chart(table)
    assert chart.series.labels == ("Dogs", "Cats", "Fish")
    assert "Total: 100 children." in chart.alt and not chart.alt_by_author


def test_author_alt_replaces_the_generated_text():
    table = small_table([("Cats", 30), ("Dogs", 60)])
    chart = pets_chart(table, author_alt="Mostly dogs.")
    assert chart.alt == "Mostly dogs." and chart.alt_by_author


def test_a_zero_on_a_log_scale_is_a_content_error():
    import pytest

    from render.errors import ContentError

    table = small_table([("Cats", 30), ("Dogs", 0)])
    with pytest.raises(ContentError) as caught:
        pets_chart(table, scale="log")
    assert "'Dogs' is 0" in caught.value.describe() and "logarithmic" in caught.value.describe()


def test_totals_keep_the_decimals_of_the_data():
    from render.tableview import build_view

    table = DataTable(
        name="spend",
        title="Spend",
        description="",
        source="",
        fields=(Field("program", "string", "Program"), Field("amount", "number", "Amount", unit="dollars")),
        primary_key=("program",),
        rows=(("A", 1.25), ("B", 2.5), ("C", 0.75), ("D", 3.1)),
        path=Path("s.csv"),
    )
    spec = TableSettings(table="spend", rows="program", totals=True)
    view = build_view("spend", spec, table, "Spend", "", fail=fail)
    assert view.totals[-1].text == "7.60"
