"""Plotly figures as plain data: a figure is a dict of `data` (its traces) and `layout`, each trace and
the layout dicts of plotly.js attributes, as the page script hands them to Plotly. Nothing here checks
an attribute (plotly.py's figure objects check every one, which cost a fifth of a study's build): the
tests and the built pages check what is drawn.
"""

from __future__ import annotations

from typing import Any, TypedDict

Trace = dict[str, Any]
Layout = dict[str, Any]


class Figure(TypedDict):
    """A figure as plotly.js takes it."""

    data: list[Trace]
    layout: Layout


NO_TEMPLATE: dict[str, Any] = {"data": {"scatter": [{"type": "scatter"}]}}
"""Plotly's template "none" as a figure's JSON holds it: no theme's colours, fonts or grid."""


def scatter(**attributes: Any) -> Trace:
    """A scatter trace (points, lines or a filled shape) with these attributes."""
    return {"type": "scatter", **attributes}


def bar(**attributes: Any) -> Trace:
    """A bar trace with these attributes."""
    return {"type": "bar", **attributes}


def axis_name(letter: str, number: int) -> str:
    """The layout key of axis `number` (1 for the first): 'xaxis', 'yaxis2'."""
    return f"{letter}axis" if number == 1 else f"{letter}axis{number}"


def axis_id(letter: str, number: int) -> str:
    """How a trace or another axis refers to axis `number`: 'x', 'y2'."""
    return letter if number == 1 else f"{letter}{number}"


def stacked_domains(rows: int, spacing: float) -> list[list[float]]:
    """The y domains of `rows` panels of equal height stacked top to bottom, `spacing` (a share of the
    plot area) between them, top panel first: plotly's make_subplots's numbers, float for float (its
    sums in its order, an end within 0.01 of the plot area's edge put on it)."""
    if rows > 1 and spacing > 1 / (rows - 1):
        raise ValueError(f"{rows} panels do not fit with {spacing} of the plot between each two")
    height = (1.0 - spacing * (rows - 1)) / rows
    domains = []
    for above in range(rows):
        below = rows - 1 - above  # the panels under this one
        start = sum([height] * below) + below * spacing
        domains.append([_on_edge(start), _on_edge(start + height)])
    return domains


def _on_edge(value: float) -> float:
    """0 or 1 for a value that float rounding put just outside the plot area."""
    return 0.0 if -0.01 < value < 0.0 else 1.0 if 1.0 < value < 1.01 else value
