"""The chart builders with known values: what each chart type draws, its table view and its narrow layout."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from generator.build import open_project
from generator.chartdata import Figure, axis_name, scatter, stacked_domains
from generator.charts import (
    DOSING_SPACING,
    LABEL_CHARS,
    NARROW,
    SCREEN,
    WIDE,
    Panel,
    dosing_chart,
    layout_value,
    measure_chart,
    measure_groups,
    open_intervals,
    proportion_chart,
    row_figure,
    stack_panels,
    wrap_text,
)
from generator.formatting import NumberFormat
from generator.render import chart_extras, figure_json
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def fmt() -> NumberFormat:
    return NumberFormat(open_project(ROOT).config)


def lines(text: str) -> list[str]:
    return [html.unescape(line) for line in text.split("<br>")]


def points(figure: Figure) -> int:
    return sum(len(t["x"]) for t in figure["data"] if t.get("hoverinfo") != "skip")


# Wrapped labels


def test_labels_wrap_at_word_boundaries_and_stay_escaped():
    text = wrap_text("Overall response (CR + CRp + marrow CR) · <b>Weekly</b>", 18)
    assert lines(text) == ["Overall response", "(CR + CRp + marrow", "CR) ·", "<b>Weekly</b>"]
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert all(len(line) <= 18 for line in lines(wrap_text("Supercalifragilisticexpialidocious", 18)))


# Proportions


def proportions() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"outcome": "cr", "label": "Complete response (CR)", "arm": "all", "arm_label": "All patients",
             "count": 17, "denominator": 90, "percent": 19, "estimate": 17 / 90, "ci_low": 0.114,
             "ci_high": 0.285, "status": "reported", "how": None},
            {"outcome": "or", "label": "Overall response (CR + CRp + marrow CR)", "arm": "weekly",
             "arm_label": "Weekly", "count": None, "denominator": None, "percent": 59, "estimate": None,
             "ci_low": None, "ci_high": None, "status": "reported", "how": None},
        ]
    )  # fmt: skip


def test_proportions_are_dots_with_their_interval_and_a_hollow_dot_without(fmt):
    chart = proportion_chart("responses", "Response", "caption", proportions(), fmt)
    filled, hollow = chart.figure["data"]
    assert filled["x"] == pytest.approx([100 * 17 / 90])
    assert filled["error_x"]["array"] == pytest.approx([28.5 - 100 * 17 / 90])
    assert filled["error_x"]["arrayminus"] == pytest.approx([100 * 17 / 90 - 11.4])
    assert hollow["marker"]["color"] == "rgba(0,0,0,0)" and hollow["x"] == [59]
    layout = chart.figure["layout"]
    assert layout["yaxis"]["tickvals"] == [0, -1] and [filled["y"][0], hollow["y"][0]] == [0, -1]
    assert lines(layout["yaxis"]["ticktext"][1]) == ["Overall response (CR + CRp + marrow CR) ·", "Weekly"]
    assert chart.table.rows == (
        (
            "Complete response (CR) · All patients",
            "19% as printed; computed 18.9% (17/90)",
            "95% CI 11.4% to 28.5%",
            "computed from n/N (n reported)",
        ),
        ("Overall response (CR + CRp + marrow CR) · Weekly", "59%", "–", "reported (no count)"),
    )
    assert len(chart.table.rows) == points(chart.figure)
    assert chart.shows_intervals


def test_a_chart_of_percentages_printed_without_counts_names_no_interval_method(fmt):
    only_printed = proportions().iloc[[1]]
    chart = proportion_chart("remission", "Remission", "caption", only_printed, fmt)
    assert not chart.shows_intervals  # the page then names no interval method beside it
    assert "Clopper" not in chart.figure["layout"]["xaxis"]["title"]["text"]


def test_a_narrow_screen_gets_shorter_label_lines_and_the_room_they_need(fmt):
    chart = proportion_chart("responses", "Response", "caption", proportions(), fmt)
    narrow = chart.narrow["yaxis.ticktext"]
    assert all(len(line) <= LABEL_CHARS[NARROW] for label in narrow for line in lines(label))
    assert lines(narrow[1]) == ["Overall response", "(CR + CRp + marrow", "CR) · Weekly"]
    layout = chart.figure["layout"]
    assert chart.narrow["height"] > layout["height"]
    assert chart.narrow["font.size"] < layout["font"]["size"]
    extras = chart_extras(chart, layout)
    assert extras["wide"].keys() == extras["narrow"].keys()
    assert extras["wide"]["yaxis.ticktext"] == layout["yaxis"]["ticktext"]
    assert extras["wide"]["height"] == layout["height"]


def test_the_page_gets_the_table_and_both_layouts_in_the_figure_json(fmt):
    chart = proportion_chart("responses", "Response", "caption", proportions(), fmt)
    data = json.loads(html.unescape(str(figure_json(chart))))
    assert data["table"]["columns"] == ["Row", "Value", "Interval", "The figure is"]
    assert [row[0] for row in data["table"]["rows"]] == [
        "Complete response (CR) · All patients",
        "Overall response (CR + CRp + marrow CR) · Weekly",
    ]
    assert data["narrow"]["yaxis.ticktext"] == chart.narrow["yaxis.ticktext"]
    assert data["wide"]["font.size"] == data["layout"]["font"]["size"]


def test_layout_values_are_read_at_relayout_paths():
    layout = {"yaxis2": {"domain": [0, 0.5]}, "annotations": [{"y": 0.9}], "font": {"size": 13}}
    assert layout_value(layout, "yaxis2.domain") == [0, 0.5]
    assert layout_value(layout, "annotations[0].y") == 0.9
    assert layout_value(layout, "annotations[3].y") is None and layout_value(layout, "xaxis.title") is None


# Long charts: the axis at the top as well, and heights that are the sum of their parts


def events(count: int) -> pd.DataFrame:
    """`count` rows of one line each (all patients: no arm named), at 10% (3/30)."""
    return pd.DataFrame(
        [
            {"outcome": f"e{i}", "label": f"Event {i}", "arm": "all", "arm_label": "All patients",
             "count": 3, "denominator": 30, "percent": 10, "estimate": 0.1, "ci_low": 0.02,
             "ci_high": 0.27, "status": "reported", "how": None}
            for i in range(count)
        ]
    )  # fmt: skip


def test_a_chart_longer_than_a_screen_has_its_axis_at_the_top_as_well(fmt):
    """20 rows: 40 px each wide (34 narrow), 46 px of axis below, 24 px (20) for the axis at the top
    and margins of 20 + 10: 870 px of plot wide, 746 narrow; both longer than a screen (720)."""
    chart = proportion_chart("ae", "Adverse events", "caption", events(20), fmt)
    layout = chart.figure["layout"]
    assert SCREEN == 720
    assert (layout["height"], chart.narrow["height"]) == (900, 776)
    top = layout["xaxis2"]
    expected = {"side": "top", "overlaying": "x", "matches": "x", "anchor": "y", "visible": True}
    assert {key: top[key] for key in expected} == expected
    assert (top["range"], top["ticksuffix"]) == ([0, 100], "%"), "the scale below, labelled alike"
    assert not top["showgrid"] and chart.narrow["xaxis2.visible"] is True
    assert layout["yaxis"]["domain"] == [round(1 - 824 / 870, 6), round(1 - 24 / 870, 6)]
    assert chart.narrow["yaxis.domain"] == [round(1 - 700 / 746, 6), round(1 - 20 / 746, 6)]
    holder = chart.figure["data"][-1]
    assert [holder[k] for k in ("xaxis", "yaxis", "mode", "hoverinfo")] == ["x2", "y", "none", "skip"]
    assert points(chart.figure) == 20, "the trace that holds the axis draws no point"


def test_a_chart_long_at_one_width_only_has_the_axis_at_the_top_there(fmt):
    """17 rows: 680 + 46 px wide (longer than a screen), 578 + 46 narrow (not)."""
    chart = proportion_chart("ae", "Adverse events", "caption", events(17), fmt)
    layout = chart.figure["layout"]
    assert (layout["height"], chart.narrow["height"]) == (24 + 680 + 46 + 30, 578 + 46 + 30)
    assert layout["xaxis2"]["visible"] is True and chart.narrow["xaxis2.visible"] is False
    assert chart.narrow["yaxis.domain"][1] == 1.0, "narrow, no room held at the top"
    wide = chart_extras(chart, layout)["wide"]
    assert wide["xaxis2.visible"] is True, "back to wide, the axis at the top shows again"


def test_a_chart_as_long_as_a_screen_or_shorter_has_no_axis_at_the_top(fmt):
    chart = proportion_chart("ae", "Adverse events", "caption", events(16), fmt)
    assert chart.figure["layout"]["height"] == 16 * 40 + 46 + 30  # 686 px of plot: not longer than 720
    assert "xaxis2" not in chart.figure["layout"]
    assert not [key for key in chart.narrow if key.startswith("xaxis2")] and len(chart.figure["data"]) == 1


def test_a_long_panel_has_its_axis_at_its_own_top_below_its_heading():
    """A heading (22 + 6 px), the axis at the top (24), 20 rows (800) and the axis below (46); then a
    short panel of 2 rows (80 + 46): 1024 px of plot."""
    long = Panel("Long", [f"Row {i}" for i in range(20)], "Months", {"range": [0, 10]})
    short = Panel(None, ["A", "B"], "Months", {"range": [0, 10]})
    stack = stack_panels([long, short], WIDE)
    assert stack.top_axes == [True, False] and stack.height == 1024 + 30
    assert stack.domains == [(round(1 - 852 / 1024, 6), round(1 - 52 / 1024, 6)), (0.044922, 0.123047)]
    assert stack.heading_y[0] == round(1 - 28 / 1024, 6), "the heading above the axis at the top"
    traces = [[scatter(x=[1.0], y=[0.0])], [scatter(x=[2.0], y=[0.0])]]
    following = Panel(None, long.labels, "Months", {"range": [0, 10], "matches": "x"})
    figure, narrow = row_figure([short, following], traces)
    top = figure["layout"]["xaxis3"]  # numbered after the panels' own axes
    assert [top[k] for k in ("overlaying", "matches", "anchor", "side")] == ["x2", "x", "y2", "top"]
    assert narrow["xaxis3.visible"] is True and "xaxis4" not in figure["layout"]
    assert (figure["data"][-1]["xaxis"], figure["data"][-1]["yaxis"]) == ("x3", "y2")


# Measures


def measures() -> pd.DataFrame:
    def row(outcome, label, arm, value, unit="months", subgroup=None, ci=(None, None), level=None):
        arm_label = {"all": "All patients", "a": "Arm A", "b": "Arm B"}[arm]
        return {
            "outcome": outcome,
            "label": label,
            "arm": arm,
            "arm_label": arm_label,
            "subgroup": subgroup,
            "value": value,
            "unit": unit,
            "ci_low": ci[0],
            "ci_high": ci[1],
            "ci_level": level,
        }

    return pd.DataFrame(
        [
            row("median_os", "Median overall survival", "a", 7.7, ci=(5.6, 9.6), level=95),
            row("os_1_year", "Survival at 1 year", "all", 37, unit="%"),
            row("median_os", "Median overall survival", "b", 4.0),
            row("median_remission", "Median remission duration", "all", 7.3, subgroup="Salvage 1"),
            row("median_os", "Median overall survival", "all", "not reached"),
        ]
    )  # fmt: skip


def test_measures_are_points_with_whiskers_never_bars_from_zero():
    chart = measure_chart("survival", "Survival", "caption", measures())
    assert not [t for t in chart.figure["data"] if t["type"] == "bar"]
    assert all(t["type"] == "scatter" and t["mode"] == "markers" for t in chart.figure["data"])
    with_ci, without, *_ = chart.figure["data"]
    assert with_ci["x"] == [7.7] and with_ci["error_x"]["array"] == pytest.approx([9.6 - 7.7])
    assert with_ci["error_x"]["arrayminus"] == pytest.approx([7.7 - 5.6])
    assert with_ci["marker"]["color"] != "rgba(0,0,0,0)"
    assert without["x"] == [4.0] and "error_x" not in without
    assert without["marker"]["color"] == "rgba(0,0,0,0)"
    assert "95% CI 5.6 to 9.6 months (reported)" in with_ci["hovertext"][0]
    assert "No interval reported" in without["hovertext"][0]
    assert points(chart.figure) == 4, "the words 'not reached' are not drawn"
    assert chart.table.rows[-1] == (
        "Median overall survival · All patients",
        "not reached",
        "–",
        "reported in words (in the table only)",
    ), "a value in words is in the table view, as printed"


def half_open() -> pd.DataFrame:
    frame = measures().astype(object)
    frame.loc[2, ["ci_low", "ci_high", "ci_level"]] = [Decimal("1.1"), "not reached", 95]
    frame.loc[4, ["ci_low", "ci_high", "ci_level"]] = [Decimal("8.1"), "not reached", 95]
    frame.loc[2, "value"] = Decimal("1.5")
    return frame


def test_a_half_open_interval_runs_to_the_axis_edge_and_ends_in_an_arrowhead():
    chart = measure_chart("survival", "Survival", "caption", half_open())
    with_ci, arrows, *_ = chart.figure["data"]
    edge = chart.figure["layout"]["xaxis"]["range"][1]
    assert with_ci["x"] == [7.7, 1.5]
    assert with_ci["error_x"]["array"] == pytest.approx([9.6 - 7.7, edge - 1.5]), "to the axis edge"
    assert with_ci["error_x"]["arrayminus"] == pytest.approx([7.7 - 5.6, 1.5 - 1.1])
    assert arrows["x"] == [edge] and arrows["y"] == [-1] and arrows["marker"]["symbol"] == ["triangle-right"]
    assert "95% CI 1.1 to not reached (reported)" in html.unescape(with_ci["hovertext"][1])
    rows = {row[0]: row[1:] for row in chart.table.rows}
    assert rows["Median overall survival · Arm B"] == ("1.5 months", "95% CI 1.1 to not reached", "reported")
    assert rows["Median overall survival · All patients"][:2] == ("not reached", "95% CI 8.1 to not reached")
    assert len(chart.table.rows) == len(half_open()), "every row of the frame, drawn or in words"
    assert open_intervals(measure_groups(half_open())) and not open_intervals(measure_groups(measures()))


def test_rows_that_differ_by_grade_or_subgroup_are_told_apart(fmt):
    frame = pd.concat([proportions().iloc[:1]] * 4, ignore_index=True)
    frame["label"] = "Neurologic events"
    frame["grade"] = ["3", "4", None, None]
    frame["subgroup"] = [None, None, None, "Older patients"]
    chart = proportion_chart("safety", "Safety", "caption", frame, fmt)
    names = [row[0] for row in chart.table.rows]
    assert names == [
        "Neurologic events · grade 3",
        "Neurologic events · grade 4",
        "Neurologic events",
        "Neurologic events · Older patients",
    ], "all patients everywhere: not named; grade and subgroup named"
    assert [html.unescape(t) for t in chart.figure["layout"]["yaxis"]["ticktext"]] == names
    assert [html.unescape(t).split("<br>")[0] for t in chart.figure["data"][0]["hovertext"]] == names
    assert "grade" in chart.data.columns and "subgroup" in chart.data.columns


def test_proportions_and_measures_name_all_patients_alike(fmt):
    only_all = measures()[measures()["arm"] == "all"]
    measure_names = [row[0] for row in measure_chart("s", "S", "c", only_all).table.rows]
    assert "Median remission duration · Salvage 1" in measure_names, "no 'All patients' beside a subgroup"
    assert "Survival at 1 year" in measure_names, "as a proportion's row: all patients go without saying"
    mixed = [row[0] for row in measure_chart("s", "S", "c", measures()).table.rows]
    assert "Median remission duration · Salvage 1" in mixed, "a subgroup of all patients is named alone"
    assert "Median remission duration · All patients · Salvage 1" not in mixed, "it would read as everyone"
    props = [row[0] for row in proportion_chart("r", "R", "c", proportions(), fmt).table.rows]
    assert props[0] == "Complete response (CR) · All patients", "arms named in both when a row has one"


def test_measures_are_grouped_by_measure_and_only_one_unit_shares_a_scale():
    chart = measure_chart("survival", "Survival", "caption", measures())
    layout = chart.figure["layout"]
    headings = [html.unescape(a["text"]) for a in layout["annotations"]]
    assert headings == [
        "<b>Median overall survival</b>",
        "<b>Survival at 1 year</b>",
        "<b>Median remission duration</b>",
    ]
    with_ci, without, percent, remission = chart.figure["data"]
    assert [t["xaxis"] for t in (with_ci, without, percent, remission)] == ["x", "x", "x2", "x3"]
    assert layout["yaxis"]["ticktext"] == ["Arm A", "Arm B"]
    assert layout["yaxis3"]["ticktext"] == ["Salvage 1"], "a subgroup of all patients, named alone"
    assert layout["xaxis2"]["range"] == [0, 100] and layout["xaxis2"]["ticksuffix"] == "%"
    assert layout["xaxis3"]["matches"] == "x" and layout["xaxis3"]["range"] == layout["xaxis"]["range"]
    assert layout["xaxis"]["range"][1] >= 9.6 and layout["xaxis"]["title"]["text"] == "Months"
    assert "matches" not in layout["xaxis2"] and layout["xaxis2"]["title"]["text"] == "Percent"
    domains = [layout["yaxis"]["domain"], layout["yaxis2"]["domain"], layout["yaxis3"]["domain"]]
    assert domains[0][0] > domains[1][1] and domains[1][0] > domains[2][1], "panels top to bottom, apart"
    assert chart.table.rows[0] == (
        "Median overall survival · Arm A",
        "7.7 months",
        "95% CI 5.6 to 9.6 months",
        "reported",
    )
    assert chart.table.rows[1][2:] == ("–", "reported")
    assert [k for k in chart.narrow if k.startswith("annotations")] == [
        f"annotations[{i}].{p}" for i in range(3) for p in ("y", "text")
    ]


# Dosing


def dosing(units=("mg/m2", "mg/m2")) -> SimpleNamespace:
    schedules = pd.DataFrame(
        [
            {"arm": "single", "arm_label": "Single dose", "cycle_days_min": 21, "cycle_days_max": 28},
            {"arm": "weekly", "arm_label": "Weekly", "cycle_days_min": 21, "cycle_days_max": 28},
        ]
    )
    doses = pd.DataFrame(
        [
            {"arm": "single", "day": 1, "dose_min": 1.3, "dose_max": 1.8, "unit": units[0]},
            {"arm": "weekly", "day": 1, "dose_min": 0.8, "dose_max": 0.8, "unit": units[1]},
            {"arm": "weekly", "day": 8, "dose_min": 0.5, "dose_max": 0.5, "unit": units[1]},
        ]
    )
    return SimpleNamespace(schedules=schedules, dosing=doses)


def test_dosing_panels_share_one_dose_scale_so_a_larger_dose_is_taller():
    chart = dosing_chart("dosing", "Dose", "caption", dosing())
    layout = chart.figure["layout"]
    single, weekly = chart.figure["data"]
    assert single["y"] == [1.8] and weekly["y"] == [0.8, 0.5]
    assert layout["yaxis2"]["matches"] == "y"
    assert layout["yaxis"]["range"] == layout["yaxis2"]["range"] == pytest.approx([0, 1.8 * 1.15])
    assert single["error_y"]["arrayminus"] == pytest.approx([0.5])
    assert [row[:2] for row in chart.table.rows] == [
        ("Single dose, day 1", "1.3 to 1.8 mg/m2"),
        ("Weekly, day 1", "0.8 mg/m2"),
        ("Weekly, day 8", "0.5 mg/m2"),
    ]
    assert all(row[3] == "reported" for row in chart.table.rows)
    assert len(chart.table.rows) == points(chart.figure)
    title = chart.narrow["xaxis2.title.text"]
    assert len(lines(title)) > 1 and all(len(line) <= 40 for line in lines(title))


def test_dosing_panels_are_stacked_where_plotlys_make_subplots_puts_them():
    """The domains, and each panel's title at its top, are make_subplots's numbers float for float (the
    pages held its figures before the charts were plain data)."""
    subplots = pytest.importorskip("plotly.subplots")
    for arms in range(1, 7):
        made = subplots.make_subplots(
            rows=arms, cols=1, vertical_spacing=DOSING_SPACING, subplot_titles=["t"] * arms
        )
        domains = [list(made.layout[axis_name("y", n)].domain) for n in range(1, arms + 1)]
        assert stacked_domains(arms, DOSING_SPACING) == domains, arms
        assert [a["y"] for a in made.layout.to_plotly_json()["annotations"]] == [top for _, top in domains]
    layout = dosing_chart("dosing", "Dose", "caption", dosing()).figure["layout"]
    assert [layout["yaxis"]["domain"], layout["yaxis2"]["domain"]] == stacked_domains(2, DOSING_SPACING)
    assert [a["y"] for a in layout["annotations"]] == [top for _, top in stacked_domains(2, DOSING_SPACING)]
    assert layout["xaxis"]["matches"] == "x2" and layout["xaxis"]["showticklabels"] is False, "one day axis"


def test_dosing_in_different_units_is_not_put_on_one_scale():
    layout = dosing_chart("dosing", "Dose", "caption", dosing(("mg/m2", "mg"))).figure["layout"]
    assert "matches" not in layout["yaxis2"]
    assert layout["yaxis2"]["range"] == pytest.approx([0, 0.8 * 1.15])


def test_the_wide_layout_is_what_the_figure_is_drawn_with(fmt):
    for chart in (
        measure_chart("survival", "Survival", "caption", measures()),
        dosing_chart("dosing", "Dose", "caption", dosing()),
        proportion_chart("responses", "Response", "caption", proportions(), fmt),
    ):
        wide = chart_extras(chart, chart.figure["layout"])["wide"]
        assert None not in wide.values(), chart.key
        assert wide.keys() == chart.narrow.keys() and wide != chart.narrow
    assert WIDE != NARROW


# Effects: each estimate against the line of no effect


def effects(**changes) -> pd.DataFrame:
    rows = [
        {"outcome": "death", "label": "Death", "arm": "drug", "arm_label": "Drug A",
         "reference_arm": "placebo", "reference_label": "Placebo", "subgroup": None,
         "measure": "hazard_ratio", "estimate": Decimal("0.71"), "ci_low": Decimal("0.55"),
         "ci_high": Decimal("0.93"), "ci_level": Decimal("95"), "p_value": "P = 0.01", "sided": None,
         "better": "lower"},
        {"outcome": "death", "label": "Death", "arm": "drug", "arm_label": "Drug A",
         "reference_arm": "placebo", "reference_label": "Placebo", "subgroup": "Older",
         "measure": "hazard_ratio", "estimate": Decimal("0.90"), "ci_low": None, "ci_high": None,
         "ci_level": None, "p_value": None, "sided": None, "better": "lower"},
        {"outcome": "response", "label": "Response", "arm": "drug", "arm_label": "Drug A",
         "reference_arm": "placebo", "reference_label": "Placebo", "subgroup": None, "measure": "none",
         "estimate": None, "ci_low": None, "ci_high": None, "ci_level": None, "p_value": "P<0.001",
         "sided": None, "better": None},
    ]  # fmt: skip
    frame = pd.DataFrame(rows)
    for column, value in changes.items():
        frame[column] = [value] * len(frame)
    return frame


def effect_plot(frame: pd.DataFrame):
    from generator.kinds.effects import KIND

    return KIND.chart("survival_effects", "Survival", frame, None)


def favours_of(chart) -> list[str]:
    notes = chart.figure["layout"]["annotations"]
    return [" ".join(lines(a["text"])) for a in notes if a["yref"].endswith("domain")]


def test_a_ratio_is_drawn_on_a_log_axis_against_the_line_of_no_effect_at_one():
    chart = effect_plot(effects())
    layout = chart.figure["layout"]
    assert layout["xaxis"]["type"] == "log"
    low, high = layout["xaxis"]["range"]
    assert low == -high and 10**low < 0.55 and 10**high > 1 / 0.55, "log10 units, both sides in view"
    (line,) = layout["shapes"]
    assert [line[k] for k in ("type", "x0", "x1", "yref", "name")] == ["line", 1, 1, "y domain", "no-effect"]
    filled, hollow = chart.figure["data"]
    assert filled["x"] == [0.71] and filled["error_x"]["array"] == pytest.approx([0.22])
    assert filled["error_x"]["arrayminus"] == pytest.approx([0.16])
    assert hollow["x"] == [0.9] and hollow["marker"]["color"] == "rgba(0,0,0,0)", "no interval: hollow"
    assert lines(layout["yaxis"]["ticktext"][1]) == ["Death · Older"], "a subgroup is its own row"
    title = layout["xaxis"]["title"]["text"]
    assert "95% CI as printed" in title and "log scale" in title


def test_a_difference_is_drawn_on_a_linear_axis_with_its_line_at_zero():
    chart = effect_plot(
        effects(
            measure="difference", estimate=Decimal("-0.1"), ci_low=Decimal("-0.3"), ci_high=Decimal("0.1")
        )
    )
    layout = chart.figure["layout"]
    assert "type" not in layout["xaxis"] and layout["shapes"][0]["x0"] == 0
    assert layout["xaxis"]["range"][0] <= -0.3 and layout["xaxis"]["range"][1] >= 0.3
    assert "log" not in layout["xaxis"]["title"]["text"]


@pytest.mark.parametrize(
    ("better", "left", "right"),
    [
        ("lower", "← Favours Drug A", "Favours Placebo →"),
        ("higher", "← Favours Placebo", "Favours Drug A →"),
    ],
)
def test_each_side_of_the_line_favours_the_arm_the_data_say_does_better_there(better, left, right):
    chart = effect_plot(effects(better=better))
    assert favours_of(chart) == [left, right]
    notes = [a for a in chart.figure["layout"]["annotations"] if a["yref"].endswith("domain")]
    assert [(a["x"], a["xanchor"], a["xref"]) for a in notes] == [(0, "right", "x"), (0, "left", "x")], (
        "either side of the line (x 0 is 1 on a log axis, in log10 units)"
    )
    assert "do not state" not in chart.caption


def test_without_better_the_sides_are_named_neutrally_and_the_caption_says_so():
    chart = effect_plot(effects(better=None))
    assert favours_of(chart) == ["← Lower with Drug A", "Higher with Drug A →"]
    assert "the data do not state whether lower or higher is better" in chart.caption


def test_the_effect_plot_table_gives_each_row_as_printed_and_says_what_is_left_out():
    chart = effect_plot(effects())
    assert chart.table.columns == ("Row", "Estimate", "Interval", "P value")
    assert chart.table.rows == (
        ("Death", "Hazard ratio 0.71", "95% CI 0.55 to 0.93", "P = 0.01"),
        ("Death · Older", "Hazard ratio 0.90", "–", "–"),
    )
    assert "Rows that give only a P value are in the table only" in chart.caption
    assert "hollow square" in chart.caption
    assert not any(c.isdigit() for c in chart.caption)  # a number on a page carries its provenance
    assert "95% CI as printed" in chart.figure["layout"]["xaxis"]["title"]["text"]
    unstated = effect_plot(effects(ci_level=None))
    assert "level not stated" in unstated.figure["layout"]["xaxis"]["title"]["text"]
    assert unstated.table.rows[0][2] == "CI 0.55 to 0.93 (level not stated)"


def test_mixed_measures_and_arms_get_a_panel_each_with_its_own_line_and_sides():
    frame = effects()
    frame.loc[1, ["measure", "estimate", "ci_low", "ci_high", "ci_level", "better"]] = [
        "difference", Decimal("5"), Decimal("1"), Decimal("9"), Decimal("95"), "higher",
    ]  # fmt: skip
    chart = effect_plot(frame)
    layout = chart.figure["layout"]
    assert layout["xaxis"]["type"] == "log" and "type" not in layout["xaxis2"]
    assert [(s["xref"], s["x0"]) for s in layout["shapes"]] == [("x", 1), ("x2", 0)]
    assert favours_of(chart) == [
        "← Favours Drug A", "Favours Placebo →", "← Favours Placebo", "Favours Drug A →",
    ]  # fmt: skip
    narrow = {k: v for k, v in chart.narrow.items() if k.startswith("annotations")}
    assert len([k for k in narrow if k.endswith(".text")]) == len(layout["annotations"])


def test_no_estimate_no_effect_plot():
    frame = effects()
    assert effect_plot(frame[frame["measure"] == "none"]) is None


def test_hostile_arm_labels_stay_text_in_the_favours_labels():
    chart = effect_plot(effects(arm_label="<b>x</b> & y"))
    raw = [a["text"] for a in chart.figure["layout"]["annotations"]]
    assert all("<b>" not in text for text in raw) and "&lt;b&gt;x&lt;/b&gt; &amp; y" in raw[0]


# Plain data, as plotly.py would make it


def site_figures(docs: Path) -> dict[str, dict]:
    """Every chart's figure (`data` and `layout`) on the built pages, keyed by page and position."""
    figures = {}
    for page in sorted(docs.rglob("*.md")):
        for n, found in enumerate(re.finditer(r'data-figure="([^"]*)"', page.read_text(encoding="utf-8"))):
            drawn = json.loads(html.unescape(found.group(1)))
            figures[f"{page.relative_to(docs)}#{n}"] = {"data": drawn["data"], "layout": drawn["layout"]}
    return figures


def test_every_chart_is_a_figure_plotly_takes_as_it_is(built_site):
    """The charts are built as plain data, unchecked: plotly.py's figure objects, which check every
    attribute against plotly.js's schema, accept each one and give back the same JSON."""
    go = pytest.importorskip("plotly.graph_objects")
    figures = site_figures(built_site / "docs")
    assert len(figures) > 10
    assert {t["type"] for f in figures.values() for t in f["data"]} == {"scatter", "bar"}, "dosing's bars too"
    for where, figure in figures.items():
        checked = go.Figure(data=figure["data"], layout=figure["layout"])  # raises on an unknown attribute
        assert json.loads(checked.to_json()) == figure, where
