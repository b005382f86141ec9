"""The store's results layout (gisplan.store.scenarios.scenario_results), built by hand."""

from __future__ import annotations

from gisplan.store.scenarios import before_after_table, scenario_results

AREA = {
    "name": "海曙区",
    "area": {
        "population": 300,
        "complete_circles_before": 1,
        "complete_circles_after": 2,
        "categories": {
            "supermarket": {
                "covered_population_before": 100,
                "covered_population_after": 250,
                "newly_served_population": 150,
            }
        },
    },
    "outside": {"categories": {"supermarket": {"newly_served_population": 40}}},
}


def test_summary_numbers_stay_and_only_people_figures_go_under_categories():
    summary = {"k": 2, "total_population": 1000, "greedy_time_s": 0.5}
    figures = {
        "supermarket": {
            "covered_population_after": 700,  # order of the run's figures is kept
            "population_total": 1000,
            "covered_population_before": 500,
            "time_s": 0.25,  # not a figure the store keeps per category
            "sites": [1, 2],
        }
    }
    results = scenario_results(summary, figures, complete_circles=(3, 5))
    assert results == {
        "k": 2,
        "total_population": 1000,
        "greedy_time_s": 0.5,
        "categories": {
            "supermarket": {
                "covered_population_after": 700,
                "population_total": 1000,
                "covered_population_before": 500,
            }
        },
        "complete_circles_before": 3,
        "complete_circles_after": 5,
    }
    assert summary == {"k": 2, "total_population": 1000, "greedy_time_s": 0.5}  # not changed
    table = before_after_table(results).set_index(["category", "metric"])
    assert table.loc[("supermarket", "covered_population"), "change"] == 200
    assert table.loc[("", "complete_circles"), "change"] == 2


def test_an_area_is_flattened_beside_the_whole_datas_figures():
    summary = {"total_population": 1000, "area": AREA}
    figures = {"supermarket": {"covered_population_before": 500, "covered_population_after": 700}}
    results = scenario_results(summary, figures, area=summary["area"])
    assert results["area"] is AREA  # the full block stays
    assert (results["area_name"], results["area_population"]) == ("海曙区", 300)
    assert (results["area_complete_circles_before"], results["area_complete_circles_after"]) == (
        1,
        2,
    )
    assert results["categories"]["supermarket"] == {
        "covered_population_before": 500,
        "covered_population_after": 700,
        "area_covered_population_before": 100,
        "area_covered_population_after": 250,
        "area_newly_served_population": 150,
        "outside_newly_served_population": 40,
    }
    table = before_after_table(results).set_index(["category", "metric"])
    assert table.loc[("supermarket", "area_covered_population"), "change"] == 150
    assert table.loc[("", "area_complete_circles"), "after"] == 2


def test_no_area_no_area_keys():
    results = scenario_results({"x": 1}, {}, area=None)
    assert results == {"x": 1, "categories": {}}
