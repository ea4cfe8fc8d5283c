"""Plotly figures built from the computed tables. Builders return figures; nothing is written here.

Colours that depend on the light or dark palette (text, grid) are left to the page script, which
sets them from the theme when a chart is drawn and when the reader switches palette.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from generator.analysis import DAYS_PER_WEEK, StudyResults
from generator.formatting import NumberFormat, count_of, dose_range, reported_number, with_unit
from generator.text import chart_text

ACCENT = "#3f6ec6"
SECOND = "#d9782d"
FONT = "Roboto, -apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    """A figure with what a reader needs beside it: a title, a caption and the data behind it."""

    key: str
    title: str
    caption: str
    figure: go.Figure
    data: pd.DataFrame
    shows_intervals: bool = False


def _base_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="none",
        height=height,
        margin={"l": 10, "r": 20, "t": 30, "b": 50},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "size": 13},
        showlegend=False,
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_yaxes(automargin=True)
    return fig


def proportion_chart(key: str, title: str, caption: str, frame: pd.DataFrame, fmt: NumberFormat) -> Chart:
    """Dots with interval whiskers for every proportion; a reported percentage alone is a hollow dot."""
    rows = frame.iloc[::-1]
    names = [chart_text(_row_name(r)) for _, r in rows.iterrows()]
    known = rows["estimate"].notna()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[float(v) * 100 for v in rows.loc[known, "estimate"]],
            y=[n for n, k in zip(names, known, strict=True) if k],
            mode="markers",
            marker={"size": 11, "color": ACCENT},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [
                    (float(h) - float(e)) * 100
                    for e, h in zip(rows.loc[known, "estimate"], rows.loc[known, "ci_high"], strict=True)
                ],
                "arrayminus": [
                    (float(e) - float(lo)) * 100
                    for e, lo in zip(rows.loc[known, "estimate"], rows.loc[known, "ci_low"], strict=True)
                ],
                "color": ACCENT,
                "thickness": 2,
            },
            hovertext=[_hover(r, fmt) for _, r in rows[known].iterrows()],
            hoverinfo="text",
            name="Computed from n/N",
        )
    )
    only_percent = rows[~known & rows["percent"].notna()]
    if not only_percent.empty:
        fig.add_trace(
            go.Scatter(
                x=[float(v) for v in only_percent["percent"]],
                y=[chart_text(_row_name(r)) for _, r in only_percent.iterrows()],
                mode="markers",
                marker={"size": 11, "color": "rgba(0,0,0,0)", "line": {"color": SECOND, "width": 2}},
                hovertext=[
                    chart_text(_row_name(r))
                    + f"<br>{reported_number(r['percent'])}% (reported; count not reported)"
                    for _, r in only_percent.iterrows()
                ],
                hoverinfo="text",
                name="Reported percentage only",
            )
        )
    _base_layout(fig, 90 + 46 * len(rows))
    fig.update_xaxes(title_text=f"Percent of patients ({fmt.ci_name})", range=[0, 100], ticksuffix="%")
    fig.update_yaxes(categoryorder="array", categoryarray=names)
    columns = ["outcome", "label", "arm", "count", "denominator", "percent", "estimate", "ci_low", "ci_high"]
    return Chart(key, title, caption, fig, frame[columns], shows_intervals=True)


def _row_name(row: pd.Series) -> str:
    arm = "" if row["arm"] == "all" else f" · {row['arm_label']}"
    return f"{row['label']}{arm}"


def _hover(row: pd.Series, fmt: NumberFormat) -> str:
    """Hover text with the provenance of each figure (data text escaped: plotly reads some HTML)."""
    n_from = f"n derived: {row['how']}" if row["status"] == "derived" else "n reported"
    return "<br>".join(
        chart_text(line)
        for line in (
            _row_name(row),
            f"{count_of(row['count'], row['denominator'])} = {fmt.percent(row['estimate'])}"
            f" (computed; {n_from})",
            f"{fmt.ci_name}: {fmt.interval(row['ci_low'], row['ci_high'])} (computed, {fmt.ci_method_name})",
        )
    )


def measure_chart(key: str, title: str, caption: str, frame: pd.DataFrame, unit: str) -> Chart:
    """Horizontal bars of reported values sharing one unit (for example median survival in months)."""
    rows = frame[(frame["unit"] == unit) & frame["value"].map(lambda v: not isinstance(v, str))].iloc[::-1]
    names = [chart_text(_measure_name(r)) for _, r in rows.iterrows()]
    fig = go.Figure(
        go.Bar(
            x=[float(v) for v in rows["value"]],
            y=names,
            orientation="h",
            marker={"color": ACCENT},
            text=[chart_text(with_unit(v, unit)) for v in rows["value"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{n}<br>{chart_text(with_unit(v, unit))} (reported)"
                for n, v in zip(names, rows["value"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    _base_layout(fig, 90 + 40 * len(rows))
    fig.update_xaxes(title_text=chart_text(unit.capitalize()), range=[0, float(rows["value"].max()) * 1.25])
    fig.update_yaxes(categoryorder="array", categoryarray=names)
    return Chart(
        key, title, caption, fig, rows.iloc[::-1][["outcome", "label", "arm", "subgroup", "value", "unit"]]
    )


def _measure_name(row: pd.Series) -> str:
    parts = [row["label"]]
    if row["arm"] != "all":
        parts.append(row["arm_label"])
    if row.get("subgroup"):
        parts.append(row["subgroup"])
    return " · ".join(parts)


def dosing_chart(key: str, title: str, caption: str, results: StudyResults) -> Chart:
    """Dose by day within a cycle, one panel per arm; a dose range shows as a bar with a whisker."""
    schedules, dosing = results.schedules, results.dosing
    fig = make_subplots(
        rows=len(schedules),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.18,
        subplot_titles=[chart_text(str(label)) for label in schedules["arm_label"]],
    )
    last_day = int(schedules["cycle_days_max"].max())
    for index, (_, arm) in enumerate(schedules.iterrows(), start=1):
        doses = dosing[dosing["arm"] == arm["arm"]]
        fig.add_trace(
            go.Bar(
                x=list(doses["day"]),
                y=list(doses["dose_max"]),
                marker={"color": ACCENT},
                width=0.8,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [0] * len(doses),
                    "arrayminus": [
                        mx - mn for mn, mx in zip(doses["dose_min"], doses["dose_max"], strict=True)
                    ],
                    "color": SECOND,
                    "thickness": 3,
                    "width": 8,
                },
                hovertext=[
                    chart_text(f"{arm['arm_label']}, day {d}: {dose_range(mn, mx, u)}") + " (reported)"
                    for d, mn, mx, u in zip(
                        doses["day"], doses["dose_min"], doses["dose_max"], doses["unit"], strict=True
                    )
                ],
                hoverinfo="text",
            ),
            row=index,
            col=1,
        )
        fig.add_vrect(
            x0=arm["cycle_days_min"] + 0.5,  # a cycle of N days: the next one starts on day N + 1
            x1=arm["cycle_days_max"] + 1.5,
            row=index,
            col=1,
            fillcolor=SECOND,
            opacity=0.12,
            line_width=0,
        )
        fig.update_yaxes(
            title_text=chart_text(str(doses["unit"].iloc[0])), rangemode="tozero", row=index, col=1
        )
    _base_layout(fig, 170 + 170 * len(schedules))
    fig.update_layout(margin={"t": 40})
    fig.update_xaxes(range=[0.4, last_day + 2.5], dtick=DAYS_PER_WEEK, tick0=1)
    fig.update_xaxes(
        title_text="Day of cycle (shaded: the next cycle starts in this window)", row=len(schedules), col=1
    )
    return Chart(key, title, caption, fig, dosing[["arm", "day", "dose_min", "dose_max", "unit"]])
