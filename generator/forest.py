"""The chart of a comparison. For an outcome of kind effects, a forest plot (Cochrane's): one row per
study, its estimate as a square (sized by its weight when pooled) and its interval as a whisker, on a log
axis for ratios, with the line of no effect and the side favouring each arm named, and the pooled
diamond at the bottom when pooling is on. For per-arm figures (proportions, measures: each arm's own
value, not an effect), the studies side by side, grouped by design, with no line of no effect: never
called a forest plot. Builds a figure; nothing is written here."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import pandas as pd

from generator.chartdata import Figure, Trace, scatter
from generator.charts import (
    ACCENT,
    FONT_SIZE,
    HOLLOW,
    LABEL_CHARS,
    MARGIN,
    NARROW,
    SECOND,
    TABLE_COLUMNS,
    TITLE_CHARS,
    TOP_AXIS_SPACE,
    WIDE,
    Chart,
    TableView,
    axis_height,
    base_layout,
    is_long,
    open_end_arrows,
    row_height,
    top_axis,
    top_axis_holder,
    wrap_text,
)
from generator.comparison import (
    Comparison,
    Pooled,
    effect_number,
    entries_frame,
    half_open,
    interval_note,
    interval_text,
    level_words,
    measure_name,
    shown_text,
)
from generator.effect_plot import (
    effect_axis,
    favours,
    favours_annotations,
    favours_rows,
    no_effect_shape,
)
from generator.formatting import NumberFormat
from generator.model import RATIO_MEASURES
from generator.summary import ComparisonEntry, events_text
from generator.text import chart_text

DIAMOND_HALF_HEIGHT = 0.3
"""Half the diamond's height, in rows."""
POOLED_GAP = 0.5
"""Space between the last study and the first pooled row, in rows."""
DATA_COLUMNS = ["study", "study_title", "year", "arm", "subgroup", "measure", "estimate", "ci_low", "ci_high"]
DATA_COLUMNS += ["ci_level", "interval", "status", "page"]


def forest_chart(
    comparison: Comparison, fmt: NumberFormat | None = None, page: tuple[list, str] | None = None
) -> Chart | None:
    """Studies top to bottom in the comparison's order (per-arm figures grouped by design), on the axis
    the measure needs: percent for proportions, the unit for measures, a log axis with the line of no
    effect at 1 for ratios (0 for differences); None when no entry has a number to draw.

    `page`: the entries of one page of a long comparison, and which page ("page 2 of 3"): only those
    are drawn, on the axis and with the favours labels of the whole comparison, so that a figure sits
    at the same place on every page."""
    every = comparison.charted
    shown = None if page is None else {id(entry) for entry in page[0]}
    entries = every if shown is None else [e for e in every if id(e) in shown]
    if not entries:
        return None
    measure = comparison.chart_measure
    assert measure is not None  # the charted entries are those of the chart's measure
    effect = comparison.is_forest
    pooled = [p for p in comparison.pooled if p.measure == measure]
    rows = study_rows(entries, grouped=not effect)
    where = {id(item): y for y, item in rows}
    ys = [where[id(e)] for e in entries]  # the entries in the comparison's order, each at its row
    data = _study_traces(entries, ys, fmt, pooled[0] if pooled else None, measure)
    last = min(y for y, _ in rows)
    pooled_rows = [last - (POOLED_GAP + 1 + j) for j in range(len(pooled))]
    labels: list[tuple[float, object]] = list(rows)
    for y, p in zip(pooled_rows, pooled, strict=True):
        data += _diamond(p, y)
        labels.append((y, f"Pooled ({p.studies} studies)"))
    sides = favours_sides(comparison) if effect else None
    strip = favours_rows([sides], [row_label(e) for e in entries]) if sides else 0
    bottom = min(y for y, _ in labels)
    labels += [(bottom - 1 - j, "") for j in range(strip)]
    title = axis_title(measure, every) if effect else _axis_title(measure)
    wide = [_tick(item, WIDE) for _, item in labels]
    narrow_labels = [_tick(item, NARROW) for _, item in labels]
    units = -min(y for y, _ in labels) + 1
    layout = base_layout(_height(wide, units, title, WIDE))
    layout["yaxis"] = _y_axis([y for y, _ in labels], wide)
    layout["xaxis"] = _x_axis(measure, every, pooled, effect)
    if effect:
        layout["shapes"] = [no_effect_shape(1, measure)]
    figure: Figure = {"data": data, "layout": layout}
    narrow_height = _height(narrow_labels, units, title, NARROW)
    narrow = {
        "height": narrow_height,
        "font.size": FONT_SIZE[NARROW],
        "yaxis.ticktext": narrow_labels,
        "xaxis.title.text": wrap_text(title, TITLE_CHARS[NARROW]),
    }
    narrow.update(_top_axis(figure, narrow_height))
    if sides:
        layout["annotations"] = favours_annotations(1, *sides, WIDE)
        for index, note in enumerate(favours_annotations(1, *sides, NARROW)):
            narrow[f"annotations[{index}].text"] = note["text"]
            narrow[f"annotations[{index}].font.size"] = note["font"]["size"]
    return Chart(
        f"compare-{comparison.key}",
        _title(comparison, measure, effect),
        _caption(comparison, measure, pooled, effect),
        figure,
        _data(entries, pooled),
        shows_intervals=False,
        table=_table(entries, pooled, fmt),
        narrow=narrow,
        source=f"Comparison across studies: {comparison.title} (studies compared: {comparison.studies}"
        + (f"; {page[1]}: the studies of that page)" if page else ")"),
        method=_export_method(fmt, pooled, entries),
    )


def favours_sides(comparison: Comparison) -> tuple[str, str]:
    """The favours labels of a forest plot, left then right: for the experimental and control arms when
    every study gives its effect for an experimental arm against a control arm (which side favours which
    from the outcome's `better`, else neutral: 'Lower with experimental'); otherwise only which way."""
    entries = comparison.charted
    if entries and all(e.experimental_vs_control for e in entries):
        return favours("experimental", "control", comparison.outcome.better)
    return "Lower (first arm of each row vs its second)", "Higher"


def study_rows(entries: list[ComparisonEntry], *, grouped: bool) -> list[tuple[float, object]]:
    """Where each row goes (y = 0, -1, ...): each entry, after its design's heading when `grouped`
    (studies of one design together, in the comparison's order within it)."""
    if not grouped:
        return [(-float(i), e) for i, e in enumerate(entries)]
    designs = list(dict.fromkeys(e.design for e in entries))
    rows: list[tuple[float, object]] = []
    for design in designs:
        rows.append((-float(len(rows)), Heading(design)))
        rows += [(-float(len(rows) + i), e) for i, e in enumerate(x for x in entries if x.design == design)]
    return rows


@dataclass(frozen=True)
class Heading:
    """A group's heading row: no point, its words in bold."""

    text: str


def _title(comparison: Comparison, measure: str, effect: bool) -> str:
    if effect:
        return f"{comparison.title}: forest plot of each study's {measure_name(measure)}"
    return f"{comparison.title}: each study's figure side by side, grouped by design"


def _export_method(fmt: NumberFormat | None, pooled: list[Pooled], entries: list[ComparisonEntry]) -> str:
    """How the intervals were found, for the downloaded image: reported, or computed from n/N (named only
    where an interval is), and the pooled estimate's method."""
    line = "Intervals: as reported by each study"
    if any(e.interval == "computed" for e in entries):
        computed = f" ({fmt.level_text} CI, {fmt.ci_method_name})" if fmt is not None else ""
        line += f", or computed by this site from n/N{computed}"
    return "; ".join([line, *(f"pooled: {p.method}" for p in pooled)])


def _height(labels: list[str], units: float, title: str, mode: str) -> int:
    """Room for every row, each tall enough for its label's lines (the sizing of every chart of rows),
    `units` rows in all (the pooled rows' gap and the favours labels' rows included), and the axis below."""
    plot = row_height(labels, mode) * units + axis_height(wrap_text(title, TITLE_CHARS[mode]), mode)
    return round(plot) + MARGIN["t"] + MARGIN["b"]


def _y_axis(rows: list[float], ticks: list[str]) -> dict:
    """The axis of the rows, each labelled at its y (0 at the top, downwards)."""
    return {
        "automargin": True,
        "tickmode": "array",
        "tickvals": rows,
        "ticktext": ticks,
        "range": [min(rows) - 0.7, 0.7],
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }


def _top_axis(figure: Figure, narrow_height: int) -> dict:
    """A plot (its rows and the axis below them) longer than about a screen (`is_long`) at a width gets
    its axis at the top as well, at that width, in a top margin made taller for its tick labels. The
    figure (laid out wide) is changed; returns what the narrow update adds (nothing when the plot is
    long at neither width)."""
    layout = figure["layout"]
    heights = {WIDE: layout["height"], NARROW: narrow_height}
    long = {mode: is_long(height - MARGIN["t"] - MARGIN["b"]) for mode, height in heights.items()}
    if not any(long.values()):
        return {}
    top = {mode: MARGIN["t"] + (TOP_AXIS_SPACE[mode] if long[mode] else 0) for mode in heights}
    layout["height"] = heights[WIDE] + top[WIDE] - MARGIN["t"]
    layout["margin"]["t"] = top[WIDE]
    layout["xaxis2"] = top_axis(layout["xaxis"], "x", "y", long[WIDE])
    figure["data"].append(top_axis_holder(figure["data"][0]["x"][0], "x2", "y"))
    return {
        "height": narrow_height + top[NARROW] - MARGIN["t"],
        "margin.t": top[NARROW],
        "xaxis2.visible": long[NARROW],
    }


def _table(entries: list[ComparisonEntry], pooled: list[Pooled], fmt: NumberFormat | None) -> TableView:
    """One row a point: the study's figure and its interval as its page shows them, and their origin;
    with each study's weight when the figures are pooled."""
    weight = pooled[0] if pooled else None
    rows: list[tuple[str, ...]] = []
    for e in entries:
        row: tuple[str, ...] = (
            row_label(e),
            shown_text(e, fmt),
            interval_text(e, fmt),
            f"{'reported' if e.status == 'reported' else 'derived by this site'}; interval: "
            f"{interval_note(e, fmt)}",
        )
        share = weight.weight_of(e.study) if weight is not None else None
        if weight is not None:
            row = (*row, f"{share * 100:.1f}%" if share is not None else "–")
        rows.append(row)
    rows += [
        (
            f"Pooled ({p.studies} studies)",
            p.estimate_text,
            f"{p.level_text} CI {p.interval_text}",
            f"computed by this site ({p.method})",
            "100%",
        )
        for p in pooled
    ]
    columns = (*TABLE_COLUMNS, "Weight") if pooled else TABLE_COLUMNS
    return TableView(columns, tuple(rows))


def row_label(entry: ComparisonEntry) -> str:
    """'Study (year) · arm [· subgroup]'."""
    parts = [f"{entry.study_title} ({entry.year})", entry.arm]
    if entry.subgroup:
        parts.append(entry.subgroup)
    if entry.shown_events:
        parts.append(f"events {events_text(entry.shown_events)}")
    return " · ".join(parts)


def tick_label(entry: ComparisonEntry, width: int = LABEL_CHARS[WIDE]) -> str:
    """The row's label on the axis: the study and year, then the arm (and subgroup), wrapped."""
    arm = " · ".join([entry.arm, entry.subgroup] if entry.subgroup else [entry.arm])
    lines = textwrap.wrap(f"{entry.study_title} ({entry.year})", width) + textwrap.wrap(arm, width)
    if entry.shown_events:  # each group's events/total, as a forest plot prints them beside its row
        lines += textwrap.wrap(f"events {events_text(entry.shown_events)}", width)
    return "<br>".join(chart_text(line) for line in lines)


def _tick(item: object, mode: str) -> str:
    """A row's tick label for a width: an entry's (`tick_label`), a heading in bold, a pooled row's."""
    if isinstance(item, ComparisonEntry):
        return tick_label(item, LABEL_CHARS[mode])
    if isinstance(item, Heading):
        return f"<b>{wrap_text(item.text, LABEL_CHARS[mode])}</b>"
    return wrap_text(item, LABEL_CHARS[mode]) if item else ""


def _x(value: float | None, measure: str) -> float:
    """Where a figure goes on the x axis: a proportion in percent, anything else as it is (a figure
    drawn is a number: the charted entries have an estimate, those with whiskers an interval)."""
    assert value is not None
    return value * 100 if measure == "proportion" else value


def _marker_sizes(points: list[ComparisonEntry], pooled: Pooled | None) -> list[float] | float:
    """Squares of one size; sized by each study's weight when pooled (area as the weight, as Cochrane's)."""
    if pooled is None or not pooled.weights:
        return 11
    heaviest = max(w for _, w in pooled.weights)
    return [7 + 11 * math.sqrt((pooled.weight_of(e.study) or 0) / heaviest) for e in points]


def _study_traces(
    entries: list[ComparisonEntry],
    rows: list[float],
    fmt: NumberFormat | None,
    pooled: Pooled | None,
    measure: str,
) -> list[Trace]:
    """A square with a whisker for each study with an interval (a half-open one runs to the axis's edge
    and ends in an arrowhead), a hollow square for one without."""
    with_ci = [i for i, e in enumerate(entries) if e.ci_low is not None or e.ci_high is not None]
    without = [i for i in range(len(entries)) if i not in with_ci]
    edge = _edges(entries, measure)
    traces = []
    if with_ci:
        points = [entries[i] for i in with_ci]
        highs = [_x(e.ci_high, measure) if e.ci_high is not None else edge[1] for e in points]
        lows = [_x(e.ci_low, measure) if e.ci_low is not None else edge[0] for e in points]
        traces.append(
            scatter(
                x=[_x(e.estimate, measure) for e in points],
                y=[rows[i] for i in with_ci],
                mode="markers",
                cliponaxis=False,
                marker={"symbol": "square", "size": _marker_sizes(points, pooled), "color": ACCENT},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [h - _x(e.estimate, measure) for e, h in zip(points, highs, strict=True)],
                    "arrayminus": [_x(e.estimate, measure) - lo for e, lo in zip(points, lows, strict=True)],
                    "color": ACCENT,
                    "thickness": 2,
                    "width": 0,
                },
                hovertext=[_hover(e, fmt, pooled) for e in points],
                hoverinfo="text",
                name="With its interval",
            )
        )
        traces += _open_ends(points, [rows[i] for i in with_ci], edge)
    if without:
        points = [entries[i] for i in without]
        traces.append(
            scatter(
                x=[_x(e.estimate, measure) for e in points],
                y=[rows[i] for i in without],
                mode="markers",
                cliponaxis=False,
                marker={**HOLLOW, "symbol": "square"},
                hovertext=[_hover(e, fmt, pooled) for e in points],
                hoverinfo="text",
                name="Without an interval",
            )
        )
    return traces


def _open_ends(points: list[ComparisonEntry], rows: list[float], edge: list[float]) -> list[Trace]:
    """An arrowhead at the axis's edge for each half-open interval's open end (no trace without one)."""
    ends = [
        (edge[0], y, "triangle-left") if e.ci_low is None else (edge[1], y, "triangle-right")
        for e, y in zip(points, rows, strict=True)
        if half_open(e)
    ]
    return [open_end_arrows(ends)] if ends else []


def _hover(entry: ComparisonEntry, fmt: NumberFormat | None, pooled: Pooled | None = None) -> str:
    """The row, the figure as the study's page shows it, where its interval comes from, and its weight."""
    status = "reported" if entry.status == "reported" else "derived by this site"
    interval = (
        f"{interval_text(entry, fmt)} ({interval_note(entry, fmt, level=False)})"
        if entry.interval != "none"
        else "no interval"
    )
    lines = [row_label(entry), f"{shown_text(entry, fmt)} ({status})", interval, entry.population]
    weight = pooled.weight_of(entry.study) if pooled is not None else None
    if weight is not None:
        lines.append(f"Weight in the pooled estimate: {weight * 100:.1f}%")
    return "<br>".join(chart_text(line) for line in lines)


def heterogeneity_text(pooled: Pooled) -> str:
    """The heterogeneity figures of the model named: tau² under random effects only; I² and Q in both."""
    tau2 = f"tau² {pooled.tau2_text}, " if pooled.shows_tau2 else ""
    return f"{tau2}I² {pooled.i2_text}, Q {pooled.q_text} ({pooled.p_text})"


def _diamond(pooled: Pooled, y: float) -> list[Trace]:
    """The pooled estimate: a filled diamond spanning its interval, and its centre for the hover."""
    low, mid, high = pooled.ci_low, pooled.estimate, pooled.ci_high
    h = DIAMOND_HALF_HEIGHT
    return [
        scatter(
            x=[low, mid, high, mid, low],
            y=[y, y + h, y, y - h, y],
            mode="lines",
            fill="toself",
            fillcolor=SECOND,
            line={"color": SECOND, "width": 1},
            hoverinfo="skip",
            name="Pooled interval",
        ),
        scatter(
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
                        heterogeneity_text(pooled),
                    )
                )
            ],
            hoverinfo="text",
            name="Pooled estimate",
        ),
    ]


def _axis_title(measure: str) -> str:
    """The x axis's title of per-arm figures, plain text."""
    if measure == "proportion":
        return "Percent of patients"
    return measure.capitalize()


def axis_title(measure: str, entries: list[ComparisonEntry]) -> str:
    """A forest plot's axis title: the measure, its scale and the level of the intervals drawn."""
    scale = " (log scale)" if measure in RATIO_MEASURES else ""
    levels = {level_words(e).strip() for e in entries if e.interval != "none"}
    level = levels.pop() if len(levels) == 1 else "intervals at the level each study gives"
    return f"{measure_name(measure).capitalize()}{scale}; {level}"


def _edges(entries: list[ComparisonEntry], measure: str) -> list[float]:
    """The x axis's range of per-arm figures: 0 to 100 percent for proportions, from 0 (or the lowest
    figure) to beyond the highest for a unit."""
    if measure == "proportion":
        return [0.0, 100.0]
    values = [v for e in entries for v in (e.estimate, e.ci_low, e.ci_high) if v is not None]
    return [min(0.0, min(values)), max(values) * 1.1 if max(values) > 0 else 1.0]


def _x_axis(measure: str, entries: list[ComparisonEntry], pooled: list[Pooled], effect: bool) -> dict:
    """The x axis the measure needs, titled (wrapped for a wide screen)."""
    title = axis_title(measure, entries) if effect else _axis_title(measure)
    axis = {"title": {"text": wrap_text(title, TITLE_CHARS[WIDE])}, "automargin": True}
    if effect:
        values = [v for e in entries for v in (e.estimate, e.ci_low, e.ci_high) if v is not None]
        values += [v for p in pooled for v in (p.ci_low, p.ci_high)]
        return {**axis, **effect_axis(measure, values)}
    if measure == "proportion":
        return {**axis, "range": [0, 100], "ticksuffix": "%"}
    return {**axis, "range": _edges(entries, measure)}


def _caption(comparison: Comparison, measure: str, pooled: list[Pooled], effect: bool) -> str:
    if effect:
        parts = [
            "A forest plot: each study's estimate as a square, its interval as a whisker, as the study "
            "reports it (the table gives each interval's level); a hollow square is an estimate without "
            "an interval."
        ]
        scale = "on a log scale, " if measure in RATIO_MEASURES else ""
        line = "1" if measure in RATIO_MEASURES else "0"
        parts.append(
            f"{measure_name(measure).capitalize()}s {scale}with the vertical line of no effect at {line}."
        )
        parts.append(_favours_caption(comparison))
    else:
        computed = any(e.interval == "computed" or e.status != "reported" for e in comparison.entries)
        origin = (
            "as the study reports it or as this site computes it from n/N (the table says which)"
            if computed
            else "as the study reports it"
        )
        parts = [
            f"Each study's own figure for each arm, side by side and grouped by design, {origin}: not an "
            "effect of one treatment against another, so there is no line of no effect. A hollow square is "
            "a figure without an interval."
        ]
        if any(map(half_open, comparison.charted)):
            parts.append(
                "An interval with a bound in words (such as not reached) runs to the edge of the axis and "
                "ends in an arrowhead."
            )
    left_out = len(comparison.entries) - len(comparison.charted)
    if left_out:
        parts.append(f"{left_out} of the {len(comparison.entries)} figures are in the table only.")
    for p in pooled:
        parts.append(
            f"The diamond is the pooled {p.measure_name} over {p.studies} studies, "
            f"{effect_number(p.estimate, p.measure)} ({p.level_text} CI {p.interval_text}; {p.method}); "
            "each square's size shows its study's weight in it."
        )
    return " ".join(parts)


def _favours_caption(comparison: Comparison) -> str:
    """What the favours labels below the rows say, and on what they rest."""
    entries = comparison.charted
    if not all(e.experimental_vs_control for e in entries):
        return (
            "The rows do not all give an experimental arm against a control arm, in that order, so the sides "
            "of the line are not named for an arm: each row names its arms, the first against the second."
        )
    if comparison.outcome.better is None:
        return (
            "Below the rows, the sides of the line say which way the effect of the experimental arm goes: "
            "the data do not state whether lower or higher is better for this outcome."
        )
    return (
        "Below the rows, each side of the line is named for the arm it favours "
        f"({comparison.outcome.better} is better for patients, as the outcome states)."
    )


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
