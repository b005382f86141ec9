"""The gap list as the coverage page shows it and the gap CSV, on the hand-built street."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from gisplan.catalogue import default_standard
from gisplan.report.gaps import gap_csv, gap_table
from tests.helpers.street import street_model


@pytest.fixture(scope="module")
def result():
    std = default_standard().with_overrides(required=["convenience_store", "wet_market"])
    return street_model(std).coverage(std)


def test_gap_table_names_counts_and_orders(result):
    # C (3000 people) misses both; B (2000) misses the store (6.0 min > 5); D is off the network.
    by_people = gap_table(result, lang="zh")
    assert list(by_people["名称"]) == ["丙", "乙", "丁"]
    assert list(by_people["达标比例"]) == ["0/2", "1/2", "0/2"]
    assert by_people.loc[1, "缺项"] == "便利店"
    assert by_people.loc[0, "缺项"] == "便利店、农贸市场"
    assert by_people.loc[1, "便利店（步行分钟）"] == pytest.approx(6.0)  # 400 m at 66.7 m/min
    assert by_people.loc[2, "便利店（步行分钟）"] == "未接入网络"
    fewest = gap_table(result, lang="zh", order="completeness")
    assert list(fewest["名称"]) == ["丙", "丁", "乙"]  # 0/2 first (most people first), then 1/2
    far = gap_table(result, lang="en", order="minutes")
    assert list(far["Name"]) == ["丁", "丙", "乙"]  # off the network counts as farthest
    assert far.loc[0, "Missing"] == "Convenience store, Wet market"
    assert "Completeness" in far.columns


def test_gap_csv_records_the_standard_and_neutralises_formulas(result):
    result.table.loc[result.table["id"] == "C", "name"] = "=HYPERLINK(1)"
    try:
        text = gap_csv(result, lang="en", dataset="demo").decode("utf-8-sig")
    finally:
        result.table.loc[result.table["id"] == "C", "name"] = "丙"
    frame = pd.read_csv(io.StringIO(text))
    assert frame.loc[0, "Name"] == "'=HYPERLINK(1)"
    assert set(frame["Standard"]) == {"4 km/h; convenience_store <= 5 min; wet_market <= 10 min"}
    assert set(frame["Dataset"]) == {"demo"}
    assert frame.loc[1, "Completeness"] == "1/2"
