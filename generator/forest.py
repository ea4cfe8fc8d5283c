"""The forest plot of a comparison: each study's estimate and interval, one row each, and the pooled
estimate as a diamond at the bottom when there is one. Builds a figure; nothing is written here."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from generator.charts import (
    ACCENT,
    FONT_SIZE,
    LABEL_CHARS,
    MARGIN,
    NARROW,
    SECOND,
    TABLE_COLUMNS,
    TITLE_CHARS,
    WIDE,
    Chart,
    TableView,
    _base_layout,
    axis_height,
    row_height,
    wrap_text,
)
from generator.comparison import (
    DIFFERENCE,
    INTERVAL_WORDS,
    Comparison,
    Pooled,
    effect_number,
    entries_frame,
    interval_text,
    measure_name,
    shown_text,
)
from generator.formatting import NumberFormat
from generator.model import RATIO_MEASURES
from generator.summary import ComparisonEntry
from generator.text import chart_text

DIAMOND_HALF_HEIGHT = 0.3
"""Half the diamond's height, in rows."""
POOLED_GAP = 0.5
"""Space between the last study and the first pooled row, in rows."""
DATA_COLUMNS = ["study", "study_title", "year", "arm", "subgroup", "measure", "estimate", "ci_low", "ci_high"]
DATA_COLUMNS += ["ci_level", "interval", "status", "page"]
RATIO_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
"""Ticks of a log axis, as forest plots label them (plotly shows those within the data's range)."""


def forest_chart(comparison: Comparison, fmt: NumberFormat | None = None) -> Chart | None:
    """Studies top to bottom in the comparison's order, on the axis the measure needs: percent for
    proportions, the unit for measures, a log axis with the line of no effect at 1 for ratios (0 for
    differences); None when no entry has a number to draw."""
    entries = comparison.charted
    if not entries:
        return None
    measure = comparison.chart_measure
    assert measure is not None  # the charted entries are those of the chart's measure
    pooled = [p for p in comparison.pooled if p.measure == measure]
    fig = go.Figure()
    rows = [-float(i) for i in range(len(entries))]
    labels = [tick_label(e, LABEL_CHARS[WIDE]) for e in entries]
    narrow_labels = [tick_label(e, LABEL_CHARS[NARROW]) for e in entries]
    _add_studies(fig, entries, rows, fmt)
    pooled_rows = [-(len(entries) - 1 + POOLED_GAP + 1 + j) for j in range(len(pooled))]
    for y, p in zip(pooled_rows, pooled, strict=True):
        _add_diamond(fig, p, y)
        labels.append(wrap_text(f"Pooled ({p.studies} studies)", LABEL_CHARS[WIDE]))
        narrow_labels.append(wrap_text(f"Pooled ({p.studies} studies)", LABEL_CHARS[NARROW]))
    title = _axis_title(measure)
    _base_layout(fig, _height(labels, len(entries) + len(pooled), title, WIDE))
    fig.update_yaxes(
        tickmode="array",
        tickvals=rows + pooled_rows,
        ticktext=labels,
        range=[min(rows + pooled_rows) - 0.7, 0.7],
        showgrid=False,
        zeroline=False,
    )
    _set_x_axis(fig, measure, entries)
    narrow = {
        "height": _height(narrow_labels, len(entries) + len(pooled), title, NARROW),
        "font.size": FONT_SIZE[NARROW],
        "yaxis.ticktext": narrow_labels,
        "xaxis.title.text": wrap_text(title, TITLE_CHARS[NARROW]),
    }
    return Chart(
        f"compare-{comparison.key}",
        f"{comparison.title}: each study's estimate and interval",
        _caption(comparison, measure, pooled),
        fig,
        _data(entries, pooled),
        shows_intervals=False,
        table=TableView(TABLE_COLUMNS, tuple(_table_rows(entries, pooled, fmt))),
        narrow=narrow,
        source=f"Comparison across studies: {comparison.title} (studies compared: {comparison.studies})",
        method=_export_method(fmt, pooled),
    )


def _export_method(fmt: NumberFormat | None, pooled: list[Pooled]) -> str:
    """How the intervals were found, for the downloaded image: reported, or computed from n/N, and
    the pooled estimate's method."""
    computed = f" ({fmt.level_text} CI, {fmt.ci_method_name})" if fmt is not None else ""
    line = f"Intervals: as reported by each study, or computed by this site from n/N{computed}"
    return "; ".join([line, *(f"pooled: {p.method}" for p in pooled)])


def _height(labels: list[str], rows: int, title: str, mode: str) -> int:
    """Room for every row, each tall enough for its label's lines (the sizing of every chart of rows),
    the pooled rows' gap, and the axis below."""
    plot = row_height(labels, mode) * (rows + POOLED_GAP) + axis_height(
        wrap_text(title, TITLE_CHARS[mode]), mode
    )
    return round(plot) + MARGIN["t"] + MARGIN["b"]


def _table_rows(
    entries: list[ComparisonEntry], pooled: list[Pooled], fmt: NumberFormat | None
) -> list[tuple[str, ...]]:
    """One row a point: the study's figure and its interval as its page shows them, and their origin."""
    rows: list[tuple[str, ...]] = [
        (
            row_label(e),
            shown_text(e, fmt),
            interval_text(e, fmt),
            f"{'reported' if e.status == 'reported' else 'derived by this site'}; interval: "
            f"{INTERVAL_WORDS[e.interval]}",
        )
        for e in entries
    ]
    rows += [
        (
            f"Pooled ({p.studies} studies)",
            p.estimate_text,
            f"{p.level_text} CI {p.interval_text}",
            f"computed by this site ({p.method})",
        )
        for p in pooled
    ]
    return rows


def row_label(entry: ComparisonEntry) -> str:
    """'Study (year) · arm [· subgroup]'."""
    parts = [f"{entry.study_title} ({entry.year})", entry.arm]
    if entry.subgroup:
        parts.append(entry.subgroup)
    return " · ".join(parts)


def tick_label(entry: ComparisonEntry, width: int = LABEL_CHARS[WIDE]) -> str:
    """The row's label on the axis: the study and year, then the arm (and subgroup), wrapped."""
    arm = " · ".join([entry.arm, entry.subgroup] if entry.subgroup else [entry.arm])
    lines = textwrap.wrap(f"{entry.study_title} ({entry.year})", width) + textwrap.wrap(arm, width)
    return "<br>".join(chart_text(line) for line in lines)


def _x(value: float | None, measure: str) -> float:
    """Where a figure goes on the x axis: a proportion in percent, anything else as it is (a figure
    drawn is a number: the charted entries have an estimate, those with whiskers an interval)."""
    assert value is not None
    return value * 100 if measure == "proportion" else value


def _add_studies(
    fig: go.Figure, entries: list[ComparisonEntry], rows: list[float], fmt: NumberFormat | None
) -> None:
    """A square with a whisker for each study with an interval, a hollow square for one without."""
    with_ci = [i for i, e in enumerate(entries) if e.ci_low is not None and e.ci_high is not None]
    without = [i for i in range(len(entries)) if i not in with_ci]
    measure = entries[0].measure
    if with_ci:
        points = [entries[i] for i in with_ci]
        fig.add_trace(
            go.Scatter(
                x=[_x(e.estimate, measure) for e in points],
                y=[rows[i] for i in with_ci],
                mode="markers",
                cliponaxis=False,
                marker={"symbol": "square", "size": 11, "color": ACCENT},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [_x(e.ci_high, measure) - _x(e.estimate, measure) for e in points],
                    "arrayminus": [_x(e.estimate, measure) - _x(e.ci_low, measure) for e in points],
                    "color": ACCENT,
                    "thickness": 2,
                    "width": 0,
                },
                hovertext=[_hover(e, fmt) for e in points],
                hoverinfo="text",
                name="With its interval",
            )
        )
    if without:
        points = [entries[i] for i in without]
        fig.add_trace(
            go.Scatter(
                x=[_x(e.estimate, measure) for e in points],
                y=[rows[i] for i in without],
                mode="markers",
                cliponaxis=False,
                marker={
                    "symbol": "square",
                    "size": 11,
                    "color": "rgba(0,0,0,0)",
                    "line": {"color": SECOND, "width": 2},
                },
                hovertext=[_hover(e, fmt) for e in points],
                hoverinfo="text",
                name="Without an interval",
            )
        )


def _hover(entry: ComparisonEntry, fmt: NumberFormat | None) -> str:
    """The row, the figure as the study's page shows it, and where its interval comes from."""
    status = "reported" if entry.status == "reported" else "derived by this site"
    interval = (
        f"{interval_text(entry, fmt)} ({INTERVAL_WORDS[entry.interval]})"
        if entry.ci_low is not None and entry.ci_high is not None
        else "no interval"
    )
    return "<br>".join(
        chart_text(line)
        for line in (row_label(entry), f"{shown_text(entry, fmt)} ({status})", interval, entry.population)
    )


def _add_diamond(fig: go.Figure, pooled: Pooled, y: float) -> None:
    """The pooled estimate: a filled diamond spanning its interval, and its centre for the hover."""
    low, mid, high = pooled.ci_low, pooled.estimate, pooled.ci_high
    h = DIAMOND_HALF_HEIGHT
    fig.add_trace(
        go.Scatter(
            x=[low, mid, high, mid, low],
            y=[y, y + h, y, y - h, y],
            mode="lines",
            fill="toself",
            fillcolor=SECOND,
            line={"color": SECOND, "width": 1},
            hoverinfo="skip",
            name="Pooled interval",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[mid],
            y=[y],
            mode="markers",
            marker={"symbol": "diamond", "size": 9, "color": SECOND},
            hovertext=[
                "<br>".join(
                    chart_text(line)
                    for line in (
                        f"Pooled {pooled.measure_name}, {pooled.studies} studies",
                        f"{pooled.estimate_text} ({pooled.level_text} CI {pooled.interval_text}; computed)",
                        pooled.method,
                        f"tau² {pooled.tau2_text}, I² {pooled.i2_text}, Q {pooled.q_text} ({pooled.p_text})",
                    )
                )
            ],
            hoverinfo="text",
            name="Pooled estimate",
        )
    )


def _axis_title(measure: str) -> str:
    """The x axis's title, plain text."""
    if measure == "proportion":
        return "Percent of patients"
    if measure in RATIO_MEASURES:
        return f"{measure_name(measure).capitalize()} (log scale)"
    if measure == DIFFERENCE:
        return "Difference"
    return measure.capitalize()


def _set_x_axis(fig: go.Figure, measure: str, entries: list[ComparisonEntry]) -> None:
    """The x axis the measure needs, titled (wrapped for a wide screen), and the line of no effect."""
    fig.update_xaxes(title_text=wrap_text(_axis_title(measure), TITLE_CHARS[WIDE]), automargin=True)
    if measure == "proportion":
        fig.update_xaxes(range=[0, 100], ticksuffix="%")
    elif measure in RATIO_MEASURES:
        fig.update_xaxes(
            type="log",
            tickmode="array",
            tickvals=RATIO_TICKS,
            ticktext=[f"{v:g}" for v in RATIO_TICKS],
        )
        fig.add_vline(x=1, line={"color": "#888888", "width": 1, "dash": "dash"})
    elif measure == DIFFERENCE:
        fig.update_xaxes(zeroline=False)
        fig.add_vline(x=0, line={"color": "#888888", "width": 1, "dash": "dash"})
    else:
        values = [v for e in entries for v in (e.estimate, e.ci_low, e.ci_high) if v is not None]
        low = min(0.0, min(values))
        fig.update_xaxes(range=[low, max(values) * 1.1])


def _caption(comparison: Comparison, measure: str, pooled: list[Pooled]) -> str:
    parts = [
        "Each study's estimate with its interval, as the study reports it or as this site computes it "
        "from n/N (the table says which); a hollow square is an estimate without an interval."
    ]
    if measure in RATIO_MEASURES:
        parts.append(
            f"{measure_name(measure).capitalize()}s on a log scale; the dashed line at 1 is no effect."
        )
    elif measure == DIFFERENCE:
        parts.append("The dashed line at 0 is no difference.")
    left_out = len(comparison.entries) - len(comparison.charted)
    if left_out:
        parts.append(f"{left_out} of the {len(comparison.entries)} figures are in the table only.")
    for p in pooled:
        parts.append(
            f"The diamond is the pooled {p.measure_name} over {p.studies} studies, "
            f"{effect_number(p.estimate, p.measure)} ({p.level_text} CI {p.interval_text}; {p.method})."
        )
    return " ".join(parts)


def _data(entries: list[ComparisonEntry], pooled: list[Pooled]) -> pd.DataFrame:
    """The rows behind the chart, the pooled ones last, in the CSV's columns."""
    frame = entries_frame(entries)[DATA_COLUMNS]
    if not pooled:
        return frame.reset_index(drop=True)
    extra = pd.DataFrame(
        [
            {
                "study": "pooled",
                "study_title": f"Pooled ({p.method})",
                "year": None,
                "arm": None,
                "subgroup": None,
                "measure": p.measure,
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "ci_level": p.ci_level,
                "interval": "computed",
                "status": "computed",
                "page": None,
            }
            for p in pooled
        ],
        columns=DATA_COLUMNS,
    )
    return pd.concat([frame, extra], ignore_index=True)
