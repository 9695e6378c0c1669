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


def test_bar_alt_leads_with_the_largest_and_its_share_then_the_rest():
    text = describe_bar("Pets by kind", ["Cats", "Dogs", "Fish"], [30, 60, 10], "pets")
    assert text == (
        "Dogs is most of the total: 60 of 100 pets, 60.0%. Next is Cats (30, 30.0%). "
        "The smallest is Fish (10, 10.0%). Bar chart: Pets by kind."
    )


def test_bar_alt_without_a_majority_names_the_largest_and_the_total():
    text = describe_bar("Requests", ["A", "B", "C", "D"], [40, 30, 20, 10], "requests")
    assert text.startswith("A is the largest, with 40 requests (40.0% of 100). Next come B (30, 30.0%) and C")
    assert "The smallest is D (10, 10.0%)." in text


def test_bar_alt_never_uses_column_name_grammar():
    text = describe_bar("Cases", ["A", "B", "C"], [5, 3, 2], "cases", category_name="Reporting category")
    assert "categor" not in text.lower() and "values" not in text


def test_bar_alt_for_top_n_says_it_shows_the_largest_and_gives_the_full_total():
    labels = [f"S{i}" for i in range(15)]
    values = list(range(150, 0, -10))
    text = describe_bar("States", labels, values, "children", total=5000, of_count=54)
    assert text.startswith("S0 is the largest, with 150 children (3.0% of 5,000).")
    assert "The smallest shown is S14 (10, 0.2%)." in text
    assert "Bar chart of the 15 largest of 54: States." in text


def test_bar_alt_rounds_shares_as_the_chart_labels_do():
    text = describe_bar("Who", ["Neighbor", "Parent"], [675, 2144], "relationships", share_decimals=2)
    assert "(23.94%)" in text and "76.06%" in text


def test_bar_alt_stays_short_when_labels_allow_and_points_to_the_table():
    labels = ["Apples", "Bananas", "Cherries", "Dates", "Elderberries", "Figs"]
    text = describe_bar("Fruit sold", labels, [600, 200, 100, 50, 30, 20], "crates", data_table="Table A4")
    assert len(text) <= 250 + len(" All values are in Table A4.")
    assert text.endswith("Bar chart: Fruit sold. All values are in Table A4.")


def test_percent_data_is_not_totalled_or_shared_again():
    text = describe_bar("Share by age", ["A", "B"], [82.3, 17.7], "percent", decimals=1)
    assert text.startswith("A is the largest share, 82.3%. B follows with 17.7%.")
    assert "of 100" not in text and "(82" not in text


def test_log_scale_is_announced():
    text = describe_bar("Reports", ["x", "y"], [1_000_000, 10], "reports", scale="log")
    assert "Dot chart on a logarithmic scale: Reports." in text


def test_heatmap_alt_gives_the_largest_row_column_and_cell():
    text = describe_heatmap(
        "Age by colour",
        ["young", "old"],
        ["red", "blue"],
        [[1, 2], [30, 4]],
        "cats",
        row_name="Age (years)",
        column_name="Colour",
    )
    assert text == (
        "Age old is the largest: 34 of 37 cats (92%). By colour, red is largest (31, 84%). "
        "The largest single group is old, red: 30. Heatmap: Age by colour."
    )


def test_chart_alt_is_computed_from_the_table_sums():
    table = small_table([("Cats", 30), ("Dogs", 60), ("Fish", 10)])
    chart = pets_chart(table)
    assert chart.series.labels == ("Dogs", "Cats", "Fish")
    assert chart.alt.startswith("Dogs is most of the total: 60 of 100 children, 60.0%.")
    assert not chart.alt_by_author


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
