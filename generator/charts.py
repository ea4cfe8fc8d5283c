"""Plotly figures built from the computed tables, as plain data (`generator.chartdata`). Builders
return figures; nothing is written here.

Colours that depend on the light or dark palette (text, grid) are left to the page script, which
sets them from the theme when a chart is drawn and when the reader switches palette. Each chart also
carries what the page script needs beside the figure: the layout to use on a narrow screen (wrapped
labels, a smaller font, a taller plot) and the chart's points as a table, its text formatted here.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from generator.analysis import DAYS_PER_WEEK, StudyResults
from generator.chartdata import (
    NO_TEMPLATE,
    Figure,
    Layout,
    Trace,
    axis_id,
    axis_name,
    bar,
    scatter,
    stacked_domains,
)
from generator.formatting import NumberFormat, count_of, dose_range, reported_number, with_unit
from generator.model import ALL_PATIENTS
from generator.text import chart_text

ACCENT = "#3f6ec6"
SECOND = "#d9782d"
HOLLOW = {"size": 11, "color": "rgba(0,0,0,0)", "line": {"color": SECOND, "width": 2}}
"""The marker of a figure printed without an interval: hollow, in the second colour."""
FONT = "Roboto, -apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"
WIDE, NARROW = "wide", "narrow"
NARROW_WIDTH = 600
"""Below this width (in px) of its element, a chart is drawn with its narrow layout (the page script)."""
FONT_SIZE = {WIDE: 13, NARROW: 11}
LABEL_CHARS = {WIDE: 44, NARROW: 18}
"""Characters of a line of an axis label; a longer label wraps at word boundaries."""
TITLE_CHARS = {WIDE: 90, NARROW: 40}
"""Characters of a line of an axis title or a panel heading."""
ROW_HEIGHT = {WIDE: 40, NARROW: 34}
LINE_HEIGHT = {WIDE: 18, NARROW: 15}
HEADING_LINE = {WIDE: 22, NARROW: 18}
AXIS_SPACE = 46
"""Below each panel: its tick labels and its axis title, in px."""
MARGIN = {"t": 20, "b": 10, "r": 20, "l": 10}
SCREEN = 720
"""A chart, or a panel of one, taller than this (in px) is longer than about a phone's screen: its value
axis is drawn at its top as well as at its bottom, so that a reader far from either end has one in view."""
TOP_AXIS_SPACE = {WIDE: 24, NARROW: 20}
"""Above a long panel's rows: the tick labels of its axis at the top, in px."""
TICK_KEYS = ("type", "range", "tickmode", "tickvals", "ticktext", "ticksuffix", "dtick", "tick0")
"""What an axis at the top takes from the axis below it, to label the same scale the same way."""
TABLE_COLUMNS = ("Row", "Value", "Interval", "The figure is")


@dataclass(frozen=True)
class TableView:
    """The chart's points as the page script shows them in a table: one row a point, text only."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A figure with what a reader needs beside it: a title, a caption and the data behind it.

    `narrow` is the layout update (plotly relayout keys) for a narrow screen; `table` lists the
    chart's points, one row each, in display text.
    """

    key: str
    title: str
    caption: str
    figure: Figure
    data: pd.DataFrame
    shows_intervals: bool = False
    table: TableView | None = None
    narrow: dict = field(default_factory=dict)
    source: str = ""
    """For the downloaded image where the page has no study: what the chart draws from."""
    method: str = ""
    """For the downloaded image: how the intervals were found, where the page's CI method does not say."""


def wrap_text(text: object, width: int) -> str:
    """Plain text wrapped at word boundaries into lines of at most `width` characters (a longer word
    is broken), each escaped for plotly, joined by plotly's line break."""
    lines = textwrap.wrap(str(text), width, break_long_words=True, break_on_hyphens=True) or [""]
    return "<br>".join(chart_text(line) for line in lines)


def line_count(text: str) -> int:
    """Lines of a wrapped chart text."""
    return text.count("<br>") + 1


def layout_value(layout: dict, path: str) -> object:
    """The value at a plotly relayout path ('yaxis2.domain', 'annotations[0].y') in a layout dict."""
    value: object = layout
    for part in path.split("."):
        name, _, index = part.partition("[")
        value = value.get(name) if isinstance(value, dict) else None
        if index:
            items = value if isinstance(value, list) else []
            position = int(index.rstrip("]"))
            value = items[position] if position < len(items) else None
    return value


def is_long(height: float) -> bool:
    """Whether a chart or panel of this height (px) is longer than about a screen (`SCREEN`)."""
    return height > SCREEN


def top_axis(below: dict, below_id: str, anchor: str, shown: bool) -> dict:
    """The layout of an x axis drawn at the top of the plot area of the y axis `anchor`, over the axis
    `below` (the layout of the axis with id `below_id`, such as 'x2'): the same scale, labelled the same
    way, following it as it zooms; hidden unless `shown` (the layout of the other width may show it)."""
    return {
        **{key: below[key] for key in TICK_KEYS if key in below},
        "overlaying": below_id,
        "matches": below.get("matches", below_id),
        "anchor": anchor,
        "side": "top",
        "visible": shown,
        "showgrid": False,
        "zeroline": False,
    }


def top_axis_holder(x: float, xaxis: str, yaxis: str) -> Trace:
    """A trace that draws nothing, at `x` on an axis at the top: plotly draws no axis without a trace."""
    return scatter(
        x=[x],
        y=[0.0],
        xaxis=xaxis,
        yaxis=yaxis,
        mode="none",
        hoverinfo="skip",
        showlegend=False,
        name="Holds the axis at the top (draws nothing)",
    )


def base_layout(height: int) -> Layout:
    """What every chart's layout has, laid out for a wide screen; each of its axes has `automargin`."""
    return {
        "template": NO_TEMPLATE,
        "autosize": True,  # as wide as its element, on every resize
        "height": height,
        "margin": dict(MARGIN),
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": FONT_SIZE[WIDE]},
        "showlegend": False,
        "hoverlabel": {"font": {"family": FONT}},
    }


def row_height(labels: list[str], mode: str) -> int:
    """The height in px of each row of a chart of rows, tall enough for its longest wrapped label."""
    lines = max((line_count(label) for label in labels), default=1)
    return max(ROW_HEIGHT[mode], LINE_HEIGHT[mode] * lines + 14)


def axis_height(title: str, mode: str) -> int:
    """Room below a panel for its tick labels and its wrapped axis title, in px."""
    return AXIS_SPACE + LINE_HEIGHT[mode] * (line_count(title) - 1)


@dataclass(frozen=True)
class Panel:
    """One panel of a chart of rows: an optional heading, row labels top to bottom (plain text), the
    x axis title (plain text) and the x axis settings."""

    heading: str | None
    labels: list[str]
    x_title: str
    x_axis: dict


@dataclass(frozen=True)
class Stack:
    """Where stacked panels go for one width: the figure's height and each panel's y domain, and the
    labels, headings and axis titles wrapped for that width."""

    height: int
    domains: list[tuple[float, float]]
    heading_y: list[float]
    labels: list[list[str]]
    headings: list[str | None]
    titles: list[str]
    top_axes: list[bool]
    """Whether each panel is long (`is_long`), and so has its axis at its top as well, below its heading."""


def stack_panels(panels: list[Panel], mode: str) -> Stack:
    """Heights in px for a width: each panel's heading, its axis at the top when the panel is long, its
    rows (tall enough for its wrapped labels) and its axis below it; domains as fractions of the plot
    area, top panel first."""
    labels = [[wrap_text(label, LABEL_CHARS[mode]) for label in p.labels] for p in panels]
    headings = [wrap_text(p.heading, TITLE_CHARS[mode]) if p.heading else None for p in panels]
    titles = [wrap_text(p.x_title, TITLE_CHARS[mode]) for p in panels]
    parts = []
    for texts, heading, title in zip(labels, headings, titles, strict=True):
        top = HEADING_LINE[mode] * line_count(heading) + 6 if heading else 0
        rows, below = row_height(texts, mode) * len(texts), axis_height(title, mode)
        parts.append((top, TOP_AXIS_SPACE[mode] if is_long(top + rows + below) else 0, rows, below))
    plot = sum(sum(part) for part in parts)
    domains, heading_y, used = [], [], 0
    for top, axis, rows, below in parts:
        start = used + top + axis
        domains.append((round(1 - (start + rows) / plot, 6), round(1 - start / plot, 6)))
        heading_y.append(round(1 - (used + top) / plot, 6))
        used = start + rows + below
    top_axes = [axis > 0 for _, axis, _, _ in parts]
    return Stack(plot + MARGIN["t"] + MARGIN["b"], domains, heading_y, labels, headings, titles, top_axes)


def row_figure(panels: list[Panel], traces: list[list[Trace]]) -> tuple[Figure, dict]:
    """Panels stacked top to bottom, each with its own axes; rows at y = 0, -1, -2 ... labelled on
    the left; a panel long at either width has its axis at the top as well (numbered after the
    panels' axes, shown at the width where the panel is long). The figure is laid out for a wide
    screen; the second value is the narrow update."""
    wide, narrow = stack_panels(panels, WIDE), stack_panels(panels, NARROW)
    figure: Figure = {"data": [], "layout": base_layout(wide.height)}
    update: dict = {"height": narrow.height, "font.size": FONT_SIZE[NARROW]}
    annotations: list[dict] = []
    top_number = len(panels)
    for index, panel in enumerate(panels):
        number = index + 1
        x, y = axis_id("x", number), axis_id("y", number)
        figure["data"] += [{**trace, "xaxis": x, "yaxis": y} for trace in traces[index]]
        figure["layout"][axis_name("y", number)] = _row_axis(x, wide.domains[index], wide.labels[index])
        below = {"anchor": y, "title": {"text": wide.titles[index], "standoff": 6}, "automargin": True}
        figure["layout"][axis_name("x", number)] = below = {**below, **panel.x_axis}
        if wide.top_axes[index] or narrow.top_axes[index]:
            top_number += 1
            top = top_axis(below, x, y, wide.top_axes[index])
            figure["layout"][axis_name("x", top_number)] = {**top, "automargin": True}
            first = next(value for trace in traces[index] for value in trace["x"])  # a value the panel draws
            figure["data"].append(top_axis_holder(first, axis_id("x", top_number), y))
            update[f"{axis_name('x', top_number)}.visible"] = narrow.top_axes[index]
        update[f"{axis_name('y', number)}.domain"] = list(narrow.domains[index])
        update[f"{axis_name('y', number)}.ticktext"] = narrow.labels[index]
        update[f"{axis_name('x', number)}.title.text"] = narrow.titles[index]
        if panel.heading:
            update[f"annotations[{len(annotations)}].y"] = narrow.heading_y[index]
            update[f"annotations[{len(annotations)}].text"] = f"<b>{narrow.headings[index]}</b>"
            annotations.append(_heading(wide.headings[index], wide.heading_y[index]))
    if annotations:
        figure["layout"]["annotations"] = annotations
    return figure, update


def _row_axis(x: str, domain: tuple[float, float], labels: list[str]) -> dict:
    """The y axis of a panel of rows (at y = 0, -1, ...), anchored to its x axis `x`."""
    rows = [-float(i) for i in range(len(labels))]
    return {
        "domain": list(domain),
        "anchor": x,
        "tickmode": "array",
        "tickvals": rows,
        "ticktext": labels,
        "range": [rows[-1] - 0.6, 0.6],
        "showgrid": False,
        "zeroline": False,
        "automargin": True,
        "fixedrange": True,
    }


def _heading(text: str | None, y: float) -> dict:
    """A panel's heading, in bold, above its rows at the left."""
    return {
        "text": f"<b>{text}</b>",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": y,
        "xanchor": "left",
        "yanchor": "bottom",
        "align": "left",
        "showarrow": False,
    }


def proportion_chart(key: str, title: str, caption: str, frame: pd.DataFrame, fmt: NumberFormat) -> Chart:
    """Dots with interval whiskers for every proportion; a reported percentage alone is a hollow dot."""
    name_arm = names_arm(frame)
    names = [_row_name(r, name_arm) for _, r in frame.iterrows()]
    rows = [-float(i) for i in range(len(frame))]
    known = list(frame["estimate"].notna())
    computed = frame[known]
    traces = [
        scatter(
            x=[float(v) * 100 for v in computed["estimate"]],
            y=[y for y, k in zip(rows, known, strict=True) if k],
            mode="markers",
            cliponaxis=False,
            marker={"size": 11, "color": ACCENT},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [
                    (float(h) - float(e)) * 100
                    for e, h in zip(computed["estimate"], computed["ci_high"], strict=True)
                ],
                "arrayminus": [
                    (float(e) - float(lo)) * 100
                    for e, lo in zip(computed["estimate"], computed["ci_low"], strict=True)
                ],
                "color": ACCENT,
                "thickness": 2,
            },
            hovertext=[_hover(r, fmt, name_arm) for _, r in computed.iterrows()],
            hoverinfo="text",
            name="Computed from n/N",
        )
    ]
    only_percent = [
        i for i, (k, p) in enumerate(zip(known, frame["percent"], strict=True)) if not k and _has(p)
    ]
    if only_percent:
        traces.append(
            scatter(
                x=[float(frame["percent"].iloc[i]) for i in only_percent],
                y=[rows[i] for i in only_percent],
                mode="markers",
                cliponaxis=False,
                marker=HOLLOW,
                hovertext=[
                    chart_text(names[i])
                    + f"<br>{reported_number(frame['percent'].iloc[i])}% (reported; count not reported)"
                    for i in only_percent
                ],
                hoverinfo="text",
                name="Reported percentage only",
            )
        )
    axis = {"range": [0, 100], "ticksuffix": "%"}
    axis_title = f"Percent of patients ({fmt.ci_name})" if any(known) else "Percent of patients, as printed"
    panel = Panel(None, names, axis_title, axis)
    figure, narrow = row_figure([panel], [traces])
    table_rows = []
    for (_, r), name, k in zip(frame.iterrows(), names, known, strict=True):
        if k:
            value = f"{fmt.percent(r['estimate'])} ({count_of(r['count'], r['denominator'])})"
            if _has(r["percent"]):  # the printed figure first, the computed one second
                value = f"{reported_number(r['percent'])}% as printed; computed {value}"
            interval = f"{fmt.ci_name} {fmt.interval(r['ci_low'], r['ci_high'])}"
            n_from = f"n derived: {r['how']}" if r["status"] == "derived" else "n reported"
            table_rows.append((name, value, interval, f"computed from n/N ({n_from})"))
        elif _has(r["percent"]):
            table_rows.append((name, f"{reported_number(r['percent'])}%", "–", "reported (no count)"))
    columns = ["outcome", "label", "arm", "subgroup", "grade", "count", "denominator", "percent", "estimate"]
    columns = [c for c in [*columns, "ci_low", "ci_high"] if c in frame.columns]
    return Chart(
        key,
        title,
        caption,
        figure,
        frame[columns],
        shows_intervals=bool(any(known)),
        table=TableView(TABLE_COLUMNS, tuple(table_rows)),
        narrow=narrow,
    )


def _has(value: object) -> bool:
    """A number, not a missing value."""
    if value is None or isinstance(value, str):
        return False
    return not (isinstance(value, float) and math.isnan(value))


def names_arm(frame: pd.DataFrame) -> bool:
    """Whether a chart's rows name their arm: unless every row is for all patients."""
    return bool((frame["arm"] != "all").any())


def _text(value: object) -> str:
    """A text cell, '' where it is missing."""
    return str(value).strip() if isinstance(value, str) else ""


def _row_parts(row: pd.Series, name_arm: bool) -> list[str]:
    """What tells a row from the others of its measure: its grade, its arm (when the chart names
    arms) and its subgroup."""
    parts = []
    grade = row.get("grade")
    if _text(grade).lower() == "any":
        parts.append("any grade")
    elif _text(grade) or _has(grade):
        parts.append(f"grade {reported_number(grade) if _has(grade) else _text(grade)}")
    subgroup = _text(row.get("subgroup"))
    # a subgroup of all patients is named alone: "All patients · <subgroup>" would read as everyone
    if name_arm and not (subgroup and row.get("arm") == ALL_PATIENTS):
        parts.append(str(row["arm_label"]))
    if subgroup:
        parts.append(_text(row["subgroup"]))
    return parts


def _row_name(row: pd.Series, name_arm: bool) -> str:
    """'Neurologic events · grade 3 · Arm A · Older patients'."""
    return " · ".join([str(row["label"]), *_row_parts(row, name_arm)])


def _hover(row: pd.Series, fmt: NumberFormat, name_arm: bool) -> str:
    """Hover text with the provenance of each figure (data text escaped: plotly reads some HTML)."""
    n_from = f"n derived: {row['how']}" if row["status"] == "derived" else "n reported"
    return "<br>".join(
        chart_text(line)
        for line in (
            _row_name(row, name_arm),
            *([f"{reported_number(row['percent'])}% as printed"] if _has(row.get("percent")) else []),
            f"{count_of(row['count'], row['denominator'])} = {fmt.percent(row['estimate'])}"
            f" (computed; {n_from})",
            f"{fmt.ci_name}: {fmt.interval(row['ci_low'], row['ci_high'])} (computed, {fmt.ci_method_name})",
        )
    )


def measure_groups(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The rows that can be drawn (a number, not words such as 'not reached'), one group for each
    measure and unit, in the order the data first gives them."""
    rows = frame[frame["value"].map(_has)]
    keys = list(dict.fromkeys(zip(rows["outcome"], rows["label"], rows["unit"], strict=True)))
    return [
        rows[(rows["outcome"] == o) & (rows["label"] == label) & (rows["unit"] == u)] for o, label, u in keys
    ]


def measure_chart(key: str, title: str, caption: str, frame: pd.DataFrame) -> Chart:
    """Reported values as points, one panel for each measure (its label the panel's heading): a
    whisker spans the reported interval, a hollow point has none. Panels in the same unit share
    one x scale; a value in percent is on a scale of 0 to 100."""
    groups = measure_groups(frame)
    scales: dict[str, list[float]] = {
        u: [0, 100] if u == "%" else _measure_range([g for g in groups if g["unit"].iloc[0] == u])
        for u in frame["unit"].unique()
    }
    name_arm = names_arm(frame)
    panels, traces = [], []
    first_axis: dict[str, str] = {}
    for index, group in enumerate(groups):
        unit = str(group["unit"].iloc[0])
        names = [_measure_row(r, name_arm) for _, r in group.iterrows()]
        axis = {"range": scales[unit], "rangemode": "tozero"}
        if unit == "%":
            axis["ticksuffix"] = "%"
        if unit in first_axis:
            axis["matches"] = first_axis[unit]
        else:
            first_axis[unit] = "x" if index == 0 else f"x{index + 1}"
        panels.append(Panel(str(group["label"].iloc[0]), names, _unit_title(unit), axis))
        traces.append(_measure_traces(group, unit, scales[unit], name_arm))
    table_rows = [
        (
            _row_name(r, name_arm),
            with_unit(r["value"], str(r["unit"])),
            _measure_interval(r) or "–",
            "reported" if _has(r["value"]) else "reported in words (in the table only)",
        )
        for _, r in frame.iterrows()
    ]
    figure, narrow = row_figure(panels, traces)
    columns = ["outcome", "label", "arm", "subgroup", "value", "unit", "ci_low", "ci_high", "ci_level"]
    drawn = pd.concat(groups) if groups else frame.iloc[:0]
    return Chart(
        key,
        title,
        caption,
        figure,
        drawn[columns],
        table=TableView(TABLE_COLUMNS, tuple(table_rows)),
        narrow=narrow,
    )


def _unit_title(unit: str) -> str:
    return "Percent" if unit == "%" else unit[:1].upper() + unit[1:]


def _measure_range(groups: list[pd.DataFrame]) -> list[float]:
    """From zero (or the lowest value) to the highest value or interval end, with room to spare."""
    values = [
        float(v) for g in groups for column in ("value", "ci_low", "ci_high") for v in g[column] if _has(v)
    ]
    low = min([0.0, *values])
    high = max([*values, 0.0])
    return [low, high * 1.15 if high > 0 else 1.0]


def _given(value: object) -> bool:
    """A bound that was reported: a number, or words such as 'not reached'."""
    return _has(value) or bool(_text(value))


def open_intervals(groups: list[pd.DataFrame]) -> bool:
    """Whether a drawn row has an interval with one bound in words ('1.1 to not reached')."""
    return any(
        _given(lo) and _given(hi) and _has(lo) != _has(hi)
        for g in groups
        for lo, hi in zip(g["ci_low"], g["ci_high"], strict=True)
    )


def _whisker_ends(row: pd.Series, scale: list[float]) -> tuple[float, float, bool]:
    """Where a reported interval's whisker ends, low and high: a bound in words ('not reached') is
    open, so its whisker runs to the edge of the axis; the third value says whether one is open."""
    low, high = row["ci_low"], row["ci_high"]
    return (
        float(low) if _has(low) else scale[0],
        float(high) if _has(high) else scale[1],
        not (_has(low) and _has(high)),
    )


def open_end_arrows(ends: list[tuple[float, float, str]]) -> Trace:
    """An arrowhead at the axis's edge for each open end of a half-open interval: (x, y, symbol) each."""
    return scatter(
        x=[x for x, _, _ in ends],
        y=[y for _, y, _ in ends],
        mode="markers",
        cliponaxis=False,
        marker={"size": 9, "color": ACCENT, "symbol": [symbol for _, _, symbol in ends]},
        hoverinfo="skip",
        name="Interval open at this end (a bound reported in words)",
    )


def _measure_traces(group: pd.DataFrame, unit: str, scale: list[float], name_arm: bool) -> list[Trace]:
    """A filled point with a whisker for each row with an interval (an open bound runs to the axis
    edge and ends in an arrowhead), a hollow point for each row without one."""
    rows = [-float(i) for i in range(len(group))]
    with_ci = [
        i
        for i, (lo, hi) in enumerate(zip(group["ci_low"], group["ci_high"], strict=True))
        if _given(lo) and _given(hi) and (_has(lo) or _has(hi))
    ]
    without = [i for i in range(len(group)) if i not in with_ci]
    values = [float(v) for v in group["value"]]
    ends = {i: _whisker_ends(group.iloc[i], scale) for i in with_ci}
    hover = [
        "<br>".join(
            chart_text(line)
            for line in (
                _row_name(r, name_arm),
                f"{with_unit(r['value'], unit)} (reported)",
                f"{_measure_interval(r)} (reported)" if _measure_interval(r) else "No interval reported",
            )
        )
        for _, r in group.iterrows()
    ]
    traces = []
    if with_ci:
        traces.append(
            scatter(
                x=[values[i] for i in with_ci],
                y=[rows[i] for i in with_ci],
                mode="markers",
                cliponaxis=False,
                marker={"size": 11, "color": ACCENT},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [ends[i][1] - values[i] for i in with_ci],
                    "arrayminus": [values[i] - ends[i][0] for i in with_ci],
                    "color": ACCENT,
                    "thickness": 2,
                },
                hovertext=[hover[i] for i in with_ci],
                hoverinfo="text",
                name="With its reported interval",
            )
        )
    open_ends = [
        (x, rows[i], symbol)
        for i in with_ci
        for x, symbol, bound in (
            (ends[i][0], "triangle-left", "ci_low"),
            (ends[i][1], "triangle-right", "ci_high"),
        )
        if not _has(group[bound].iloc[i])
    ]
    if open_ends:
        traces.append(open_end_arrows(open_ends))
    if without:
        traces.append(
            scatter(
                x=[values[i] for i in without],
                y=[rows[i] for i in without],
                mode="markers",
                cliponaxis=False,
                marker=HOLLOW,
                hovertext=[hover[i] for i in without],
                hoverinfo="text",
                name="No interval reported",
            )
        )
    return traces


def _measure_row(row: pd.Series, name_arm: bool) -> str:
    """A row within its measure's panel: the arm (when the chart names arms) and the subgroup, or
    'All patients' when there is nothing else to name."""
    return " · ".join(_row_parts(row, name_arm)) or str(row["arm_label"])


def _bound(value: Any) -> str:
    """An interval's bound as printed: '1.1', 'not reached'."""
    return reported_number(value) if _has(value) else _text(value)


def _measure_interval(row: pd.Series) -> str:
    """'95% CI 5.1 to 7.7 months', '95% CI 1.1 to not reached', or '' without a reported interval."""
    low: Any = row.get("ci_low")
    high: Any = row.get("ci_high")
    if not (_given(low) and _given(high)):
        return ""
    level = f"{reported_number(row['ci_level'])}% CI" if _has(row.get("ci_level")) else "CI"
    high_text = with_unit(high, str(row["unit"])) if _has(high) else _bound(high)
    return f"{level} {_bound(low)} to {high_text}"


DOSING_SPACING = 0.18
"""Between two arms' panels of the dosing chart: a share of the plot area."""
PANEL_TITLE_SIZE = 16
DAY_AXIS_TITLE = "Day of cycle (shaded: the next cycle starts in this window)"


def dosing_chart(key: str, title: str, caption: str, results: StudyResults) -> Chart:
    """Dose by day within a cycle, one panel per arm on one dose scale (arms dosed in the same unit
    share it, so a larger dose is a taller bar); a dose range shows as a bar with a whisker."""
    schedules, dosing = results.schedules, results.dosing
    arms = len(schedules)
    domains = stacked_domains(arms, DOSING_SPACING)
    layout = base_layout(170 + 170 * arms)
    layout["margin"]["t"] = 40
    layout |= _dose_axes(schedules, dosing, domains) | _day_axes(arms, schedules)
    data, shapes, annotations, table_rows = [], [], [], []
    for number, (_, arm) in enumerate(schedules.iterrows(), start=1):
        x, y = axis_id("x", number), axis_id("y", number)
        doses = dosing[dosing["arm"] == arm["arm"]]
        data.append({**_dose_bars(doses, str(arm["arm_label"])), "xaxis": x, "yaxis": y})
        shapes.append(_next_cycle_band(arm, x, y))
        label = chart_text(str(arm["arm_label"]))
        if label:  # a panel's title, centred above it
            annotations.append(_panel_title(label, domains[number - 1][1]))
        table_rows += [
            (f"{arm['arm_label']}, day {d}", dose_range(mn, mx, u), "–", "reported")
            for d, mn, mx, u in zip(
                doses["day"], doses["dose_min"], doses["dose_max"], doses["unit"], strict=True
            )
        ]
    layout["shapes"] = shapes
    if annotations:
        layout["annotations"] = annotations
    narrow = {
        "font.size": FONT_SIZE[NARROW],
        f"{axis_name('x', arms)}.title.text": wrap_text(DAY_AXIS_TITLE, TITLE_CHARS[NARROW]),
    }
    return Chart(
        key,
        title,
        caption,
        {"data": data, "layout": layout},
        dosing[["arm", "day", "dose_min", "dose_max", "unit"]],
        table=TableView(TABLE_COLUMNS, tuple(table_rows)),
        narrow=narrow,
    )


def _dose_axes(schedules: pd.DataFrame, dosing: pd.DataFrame, domains: list[list[float]]) -> Layout:
    """Each arm's dose axis, in its panel's domain, from 0 to beyond the highest dose in its unit; arms
    dosed in one unit share the first one's scale."""
    highest = dosing.groupby("unit")["dose_max"].max()
    axes: Layout = {}
    first_axis: dict[str, str] = {}
    for number, arm in enumerate(schedules["arm"], start=1):
        unit = str(dosing.loc[dosing["arm"] == arm, "unit"].iloc[0])
        same = {"matches": first_axis[unit]} if unit in first_axis else {}
        first_axis.setdefault(unit, axis_id("y", number))
        axes[axis_name("y", number)] = {
            "anchor": axis_id("x", number),
            "domain": domains[number - 1],
            "automargin": True,
            "title": {"text": chart_text(unit)},
            "range": [0, float(highest[unit]) * 1.15],
            **same,
        }
    return axes


def _day_axes(arms: int, schedules: pd.DataFrame) -> Layout:
    """Each panel's day axis on one scale: the bottom one titled and labelled, the others matching it."""
    scale = {
        "range": [0.4, int(schedules["cycle_days_max"].max()) + 2.5],
        "dtick": DAYS_PER_WEEK,
        "tick0": 1,
    }
    bottom = {"title": {"text": wrap_text(DAY_AXIS_TITLE, TITLE_CHARS[WIDE])}}
    above = {"matches": axis_id("x", arms), "showticklabels": False}
    return {
        axis_name("x", n): {
            "anchor": axis_id("y", n),
            "domain": [0.0, 1.0],
            "automargin": True,
            **scale,
            **(bottom if n == arms else above),
        }
        for n in range(1, arms + 1)
    }


def _dose_bars(doses: pd.DataFrame, arm_label: str) -> Trace:
    """A bar at each day's highest dose, a whisker down to its lowest when the dose is a range."""
    return bar(
        x=doses["day"].tolist(),
        y=doses["dose_max"].tolist(),
        marker={"color": ACCENT},
        width=0.8,
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [0] * len(doses),
            "arrayminus": (doses["dose_max"] - doses["dose_min"]).tolist(),
            "color": SECOND,
            "thickness": 3,
            "width": 8,
        },
        hovertext=[
            chart_text(f"{arm_label}, day {d}: {dose_range(mn, mx, u)}") + " (reported)"
            for d, mn, mx, u in zip(
                doses["day"], doses["dose_min"], doses["dose_max"], doses["unit"], strict=True
            )
        ],
        hoverinfo="text",
    )


def _next_cycle_band(arm: pd.Series, x: str, y: str) -> dict:
    """The shaded window in which an arm's next cycle starts: a cycle of N days ends on day N, so the
    next one starts on day N + 1."""
    return {
        "type": "rect",
        "x0": float(arm["cycle_days_min"]) + 0.5,
        "x1": float(arm["cycle_days_max"]) + 1.5,
        "xref": x,
        "y0": 0,
        "y1": 1,
        "yref": f"{y} domain",
        "fillcolor": SECOND,
        "opacity": 0.12,
        "line": {"width": 0},
    }


def _panel_title(text: str, top: float) -> dict:
    """A panel's title, centred above its plot area (whose top is at `top`)."""
    return {
        "text": text,
        "x": 0.5,
        "y": top,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": PANEL_TITLE_SIZE},
    }
