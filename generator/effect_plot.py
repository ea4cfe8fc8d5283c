"""The effect plot of a table of effects, and what every plot of effects shares with the forest plot of a
comparison: the axis (log for ratios, linear for differences), the line of no effect (1 or 0) and the
labels that name which side of it favours which arm (Cochrane's "Favours ..." labels).

An effect is drawn as printed: its estimate as a square, its interval as a whisker. The sides of the line
of no effect are named from the row's `better` (lower or higher is good for patients of `arm`): when the
data do not say, they are named neutrally ("Lower with A", "Higher with A") and the caption says so.
Builds figures; nothing is written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from generator.chartdata import Trace, scatter
from generator.charts import (
    ACCENT,
    HOLLOW,
    LABEL_CHARS,
    LINE_HEIGHT,
    NARROW,
    WIDE,
    Chart,
    Panel,
    TableView,
    row_figure,
    row_height,
    wrap_text,
)
from generator.formatting import reported_number
from generator.model import RATIO_MEASURES
from generator.text import chart_text

RATIO_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
"""Ticks of a log axis, as forest plots label them (plotly shows those within the axis's range)."""
NO_EFFECT_LINE = "no-effect"
"""The name of the line of no effect among a figure's shapes: the page script colours it with the text."""
FAVOURS_CHARS = {WIDE: 34, NARROW: 15}
"""Characters of a line of a favours label, on each side of the line of no effect."""
FAVOURS_FONT = {WIDE: 12, NARROW: 10}
ROOM = 1.15
"""How far the axis runs beyond the farthest interval end, from the line of no effect (a share)."""
TABLE_COLUMNS = ("Row", "Estimate", "Interval", "P value")
DATA_COLUMNS = ["outcome", "label", "arm", "reference_arm", "subgroup", "measure", "estimate"]
DATA_COLUMNS += ["ci_low", "ci_high", "ci_level", "p_value", "sided"]
MEASURE_WORDS = {
    "hazard_ratio": "hazard ratio",
    "odds_ratio": "odds ratio",
    "risk_ratio": "risk ratio",
    "rate_ratio": "rate ratio",
    "difference": "difference",
}


def is_ratio(measure: str) -> bool:
    return measure in RATIO_MEASURES


def no_effect(measure: str) -> float:
    """Where an effect is none: a ratio of 1, a difference of 0."""
    return 1.0 if is_ratio(measure) else 0.0


def favours(arm: str, reference: str, better: str | None) -> tuple[str, str]:
    """The labels of the sides of the line of no effect, left (lower values) then right (higher): the
    side where `arm` does better favours it; without `better`, which way the effect goes, neutrally."""
    if better == "lower":
        return f"Favours {arm}", f"Favours {reference}"
    if better == "higher":
        return f"Favours {reference}", f"Favours {arm}"
    return f"Lower with {arm}", f"Higher with {arm}"


def favours_annotations(axis: int, left: str, right: str, mode: str = WIDE) -> list[dict]:
    """The two favours labels of panel `axis` (1 for the first), at the bottom of its plot area on each
    side of the line of no effect, each with an arrow pointing away from it. The line's x is 0 in the
    axis's own units: a ratio's 1 on a log axis (whose units are log10), a difference's 0."""
    n = "" if axis == 1 else str(axis)
    return [
        {
            "text": favours_text(text, side, mode),
            "xref": f"x{n}",
            "yref": f"y{n} domain",
            "x": 0,
            "y": 0,
            "xanchor": "right" if side == "left" else "left",
            "yanchor": "bottom",
            "xshift": -8 if side == "left" else 8,
            "yshift": 4,
            "align": "right" if side == "left" else "left",
            "showarrow": False,
            "font": {"size": FAVOURS_FONT[mode]},
        }
        for side, text in (("left", left), ("right", right))
    ]


def favours_text(text: str, side: str, mode: str) -> str:
    """A favours label wrapped for a width, with its arrow: '← Favours A', 'Favours B →'."""
    return (
        f"← {wrap_text(text, FAVOURS_CHARS[mode])}"
        if side == "left"
        else f"{wrap_text(text, FAVOURS_CHARS[mode])} →"
    )


def favours_rows(labels: list[tuple[str, str]], row_labels: list[str]) -> int:
    """How many rows of a chart of rows the favours labels need below the last estimate: enough for
    their longest wrapped label on a narrow screen (a wide one wraps them into fewer lines), in rows as
    tall as the chart's row labels (plain text) make them there."""
    lines = max(favours_text(t, "left", NARROW).count("<br>") + 1 for pair in labels for t in pair)
    row = row_height([wrap_text(label, LABEL_CHARS[NARROW]) for label in row_labels], NARROW)
    return max(1, math.ceil((lines * LINE_HEIGHT[NARROW] + 8) / row))


def no_effect_shape(axis: int, measure: str) -> dict:
    """The vertical line of no effect across panel `axis` (1 for the first), in data units (shapes take
    a log axis's values as they are)."""
    n = "" if axis == 1 else str(axis)
    x = no_effect(measure)
    return {
        "type": "line",
        "name": NO_EFFECT_LINE,
        "xref": f"x{n}",
        "yref": f"y{n} domain",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": "#888888", "width": 1.5},
        "layer": "below",
    }


def effect_axis(measure: str, values: list[float]) -> dict:
    """The x axis of an effect: log for a ratio (log10 units for its range), linear for a difference,
    symmetric about no effect so that both sides, and their labels, have room."""
    if is_ratio(measure):
        span = max([abs(math.log10(v)) for v in values if v > 0] + [math.log10(2)]) * ROOM
        return {
            "type": "log",
            "range": [-span, span],
            "tickmode": "array",
            "tickvals": RATIO_TICKS,
            "ticktext": [f"{v:g}" for v in RATIO_TICKS],
            "zeroline": False,
            "fixedrange": False,
        }
    span = max([abs(v) for v in values] + [0.0]) * ROOM or 1.0
    return {"range": [-span, span], "zeroline": False}


def measure_words(measure: str) -> str:
    return MEASURE_WORDS.get(measure, measure.replace("_", " "))


# The effect plot of a study's table of effects


@dataclass(frozen=True)
class EffectGroup:
    """Rows drawn in one panel: one measure, one arm against one reference, one `better`."""

    measure: str
    arm: str
    reference: str
    better: str | None
    rows: pd.DataFrame

    @property
    def sides(self) -> tuple[str, str]:
        return favours(self.arm, self.reference, self.better)


def drawn_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows an effect plot draws: those with an estimate (measure none gives a P value only)."""
    return frame[(frame["measure"] != "none") & frame["estimate"].map(_number)]


def effect_groups(frame: pd.DataFrame) -> list[EffectGroup]:
    """The drawn rows in panels, in the order the table first gives each."""
    rows = drawn_rows(frame)
    better = rows["better"] if "better" in rows else pd.Series([None] * len(rows), index=rows.index)
    keys = list(
        dict.fromkeys(
            zip(rows["measure"], rows["arm_label"], rows["reference_label"], better.map(_text), strict=True)
        )
    )
    groups = []
    for measure, arm, reference, side in keys:
        mask = (
            (rows["measure"] == measure)
            & (rows["arm_label"] == arm)
            & (rows["reference_label"] == reference)
            & (better.map(_text) == side)
        )
        groups.append(EffectGroup(measure, arm, reference, side or None, rows[mask]))
    return groups


def effect_chart(key: str, title: str, caption: str, frame: pd.DataFrame) -> Chart | None:
    """One row per effect with an estimate (subgroups as their own rows), its square at the estimate and
    its whisker the interval as printed; one panel per measure and pair of arms, each with its line of
    no effect and favours labels. None when no row has an estimate."""
    groups = effect_groups(frame)
    if not groups:
        return None
    several = len(groups) > 1
    panels, traces, wide_notes, narrow_notes, shapes = [], [], [], [], []
    for index, group in enumerate(groups, start=1):
        labels = [row_label(r) for _, r in group.rows.iterrows()]
        strip = favours_rows([group.sides], labels)
        values = [v for c in ("estimate", "ci_low", "ci_high") for v in group.rows[c] if _number(v)]
        heading = f"{measure_words(group.measure).capitalize()}: {group.arm} vs {group.reference}"
        panels.append(
            Panel(
                heading if several else None,
                labels + [""] * strip,
                axis_title(group.measure, group.rows),
                effect_axis(group.measure, [float(v) for v in values]),
            )
        )
        traces.append(_traces(group))
        shapes.append(no_effect_shape(index, group.measure))
        wide_notes += favours_annotations(index, *group.sides, WIDE)
        narrow_notes += favours_annotations(index, *group.sides, NARROW)
    figure, narrow = row_figure(panels, traces)
    headings = figure["layout"].get("annotations", [])
    figure["layout"].update(annotations=[*headings, *wide_notes], shapes=shapes)
    for offset, note in enumerate(narrow_notes):
        narrow[f"annotations[{len(headings) + offset}].text"] = note["text"]
        narrow[f"annotations[{len(headings) + offset}].font.size"] = note["font"]["size"]
    drawn = pd.concat([g.rows for g in groups])
    return Chart(
        key,
        title,
        caption,
        figure,
        drawn[[c for c in DATA_COLUMNS if c in drawn.columns]],
        table=TableView(TABLE_COLUMNS, tuple(table_row(r, several) for _, r in drawn.iterrows())),
        narrow=narrow,
    )


def _traces(group: EffectGroup) -> list[Trace]:
    """A filled square with its whisker for each row with an interval, a hollow one for a row without."""
    rows = group.rows.reset_index(drop=True)
    bounds = zip(rows["ci_low"], rows["ci_high"], strict=True)
    with_ci = [i for i, (low, high) in enumerate(bounds) if _number(low) and _number(high)]
    without = [i for i in range(len(rows)) if i not in with_ci]
    traces = []
    if with_ci:
        points = rows.loc[with_ci]
        traces.append(
            scatter(
                x=[float(v) for v in points["estimate"]],
                y=[-float(i) for i in with_ci],
                mode="markers",
                cliponaxis=False,
                marker={"symbol": "square", "size": 11, "color": ACCENT},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        float(h - e) for e, h in zip(points["estimate"], points["ci_high"], strict=True)
                    ],
                    "arrayminus": [
                        float(e - lo) for e, lo in zip(points["estimate"], points["ci_low"], strict=True)
                    ],
                    "color": ACCENT,
                    "thickness": 2,
                    "width": 6,
                },
                hovertext=[_hover(r, group) for _, r in points.iterrows()],
                hoverinfo="text",
                name="Estimate with its interval as printed",
            )
        )
    if without:
        points = rows.loc[without]
        traces.append(
            scatter(
                x=[float(v) for v in points["estimate"]],
                y=[-float(i) for i in without],
                mode="markers",
                cliponaxis=False,
                marker={**HOLLOW, "symbol": "square"},
                hovertext=[_hover(r, group) for _, r in points.iterrows()],
                hoverinfo="text",
                name="Estimate printed without an interval",
            )
        )
    return traces


def _hover(row: pd.Series, group: EffectGroup) -> str:
    lines = [
        row_label(row),
        f"{measure_words(group.measure).capitalize()} {reported_number(row['estimate'])} (reported)",
        interval_words(row) or "No interval printed",
        _text(row.get("p_value")) or "No P value printed",
        " · ".join(group.sides),
    ]
    return "<br>".join(chart_text(line) for line in lines)


def row_label(row: pd.Series) -> str:
    """'Overall survival' or 'Overall survival · Older patients': the effect and its subgroup."""
    return " · ".join(p for p in (str(row["label"]), _text(row.get("subgroup"))) if p)


def interval_words(row: pd.Series) -> str:
    """'95% CI 0.55 to 0.93', 'CI 0.55 to 0.93 (level not stated)', or '' without an interval."""
    if not (_number(row.get("ci_low")) and _number(row.get("ci_high"))):
        return ""
    bounds = f"{reported_number(row['ci_low'])} to {reported_number(row['ci_high'])}"
    if _number(row.get("ci_level")):
        return f"{reported_number(row['ci_level'])}% CI {bounds}"
    return f"CI {bounds} (level not stated)"


def table_row(row: pd.Series, name_arms: bool) -> tuple[str, ...]:
    """A row of the table view: its label, the estimate, the interval and the P value, as printed."""
    label = row_label(row)
    if name_arms:
        label = f"{label} · {row['arm_label']} vs {row['reference_label']}"
    estimate = f"{measure_words(str(row['measure'])).capitalize()} {reported_number(row['estimate'])}"
    return (label, estimate, interval_words(row) or "–", _text(row.get("p_value")) or "–")


def level_words(rows: pd.DataFrame) -> str:
    """The level of the intervals drawn, as printed: '95% CI as printed', or what is not stated."""
    with_ci = rows[rows["ci_low"].map(_number) & rows["ci_high"].map(_number)]
    if with_ci.empty:
        return "no interval printed"
    levels = {reported_number(v) if _number(v) else "" for v in with_ci["ci_level"]}
    if levels == {""}:
        return "CI as printed, its level not stated"
    if len(levels) == 1:
        return f"{levels.pop()}% CI as printed"
    return "CIs as printed, at the level each row states (see the table)"


def axis_title(measure: str, rows: pd.DataFrame) -> str:
    """'Hazard ratio (log scale); 95% CI as printed'."""
    scale = " (log scale)" if is_ratio(measure) else ""
    return f"{measure_words(measure).capitalize()}{scale}; {level_words(rows)}"


def _number(value: object) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def effect_caption(frame: pd.DataFrame) -> str:
    """What the effect plot draws and what it leaves to the table, in words."""
    groups = effect_groups(frame)
    measures = list(dict.fromkeys(g.measure for g in groups))
    lines = [
        "Each effect as printed: the square is its estimate and the whisker its interval, at the level the "
        "source prints (named on the axis; in the table on the page, beside each interval)."
    ]
    if any(map(is_ratio, measures)):
        lines.append("Ratios are drawn on a log scale, the vertical line of no effect at a ratio of one.")
    if any(not is_ratio(m) for m in measures):
        lines.append("Differences are drawn on a linear scale, no effect at a difference of zero.")
    lines.append("Below the rows, each side of the line is named for the arm it favours.")
    unstated = [g for g in groups if g.better is None]
    if unstated:
        which = "; ".join(dict.fromkeys(f"{g.arm} vs {g.reference}" for g in unstated))
        lines.append(
            f"For {which}, the data do not state whether lower or higher is better: the sides say only "
            "which way the effect goes."
        )
    drawn = pd.concat([g.rows for g in groups])
    if not (drawn["ci_low"].map(_number) & drawn["ci_high"].map(_number)).all():
        lines.append("A hollow square is an estimate printed without an interval.")
    if len(frame) > len(drawn):  # no digits here: a number on a page carries its provenance
        lines.append("Rows that give only a P value are in the table only.")
    return " ".join(lines)
