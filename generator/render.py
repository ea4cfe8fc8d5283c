"""Pages: Jinja templates filled from the computed results, as Markdown text, plus chart data.

Everything here is pure text production: it returns {relative path: bytes}; `write` puts it on disk.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd
import plotly.io as pio
from markupsafe import Markup

from generator import formatting
from generator.analysis import StudyResults
from generator.charts import Chart, dosing_chart, measure_chart, proportion_chart
from generator.config import SiteConfig
from generator.errors import BuildError
from generator.formatting import NumberFormat
from generator.load import Study
from generator.model import ALL_PATIENTS

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")

STUDY_PAGES = [
    ("index.md", "study/overview.md.j2", "Overview"),
    ("design.md", "study/design.md.j2", "Design and dosing"),
    ("efficacy.md", "study/efficacy.md.j2", "Efficacy"),
    ("survival.md", "study/survival.md.j2", "Survival"),
    ("safety.md", "study/safety.md.j2", "Transplant and safety"),
    ("source.md", "study/source.md.j2", "Source and citation"),
]
"""Each study's pages: file name, template and navigation title, in reading order."""


@dataclass(frozen=True)
class Card:
    """A headline result on a study's overview."""

    label: str
    value: str
    detail: str
    provenance: str


@dataclass(frozen=True)
class StudyPageContext:
    """What every study page template receives."""

    study: Study
    results: StudyResults
    charts: dict[str, Chart]
    cards: list[Card]
    fmt: NumberFormat
    site_title: str
    pages: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class HomeContext:
    """What the home page template receives."""

    site_title: str
    studies: list[StudyResults]
    fmt: NumberFormat


def escape_markdown(value: object) -> object:
    """Jinja finalizer: data text is shown as written, never read as Markdown (HTML is escaped too)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return MARKDOWN_SPECIAL.sub(r"\\\1", value).replace("\n", " ")


def make_environment(templates_dir: Path, fmt: NumberFormat) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=escape_markdown,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        percent=fmt.percent,
        interval=fmt.interval,
        points=fmt.points,
        reported=formatting.reported_number,
        count_of=formatting.count_of,
        p_value=formatting.p_value,
        dose_range=formatting.dose_range,
        with_unit=formatting.with_unit,
        reference=formatting.vancouver_reference,
        number_range=formatting.number_range,
        figure_json=figure_json,
    )
    env.globals["ALL"] = ALL_PATIENTS
    return env


def figure_json(chart: Chart) -> Markup:
    """The figure as JSON for an HTML attribute, with sorted keys so builds are reproducible.

    An attribute, not a <script> element: Material's instant navigation re-runs inline scripts as
    JavaScript, whatever their type.
    """
    data = json.loads(pio.to_json(chart.figure, validate=False))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Markup(html.escape(text, quote=True))


def study_charts(results: StudyResults, fmt: NumberFormat) -> dict[str, Chart]:
    """The charts of one study, keyed by name; a chart appears only when its table exists."""
    charts = {
        "dosing": dosing_chart(
            "dosing",
            "Dose by day of cycle",
            "Dose given on each day of a "
            "treatment cycle, by schedule. A whisker spans a reported dose range; the shaded band "
            "is the window in which the next cycle starts.",
            results,
        )
    }
    responses = results.proportions.get("responses")
    if responses is not None:
        charts["responses"] = proportion_chart(
            "responses",
            "Response rates",
            f"Proportion of patients with each response, with the "
            f"{fmt.ci_name} ({fmt.ci_method_name}) computed from n/N.",
            responses,
            fmt,
        )
    if not results.measures.empty:
        unit = results.measures["unit"].mode().iloc[0]
        charts["survival"] = measure_chart(
            "survival",
            "Reported medians",
            f"Reported values in {unit}, overall, by schedule and by "
            "subgroup. Only figures printed in the source; no curve is modelled.",
            results.measures,
            unit,
        )
    transplant = results.proportions.get("transplant")
    if transplant is not None:
        charts["transplant"] = proportion_chart(
            "transplant",
            "Transplant and complications",
            f"Proportions with the {fmt.ci_name} "
            f"({fmt.ci_method_name}); a hollow dot is a percentage reported without its count.",
            transplant,
            fmt,
        )
    return charts


def headline_cards(results: StudyResults, fmt: NumberFormat) -> list[Card]:
    """The overview's cards, in the order of the study's `headline` list (table:outcome@arm)."""
    cards = []
    for ref in results.study.meta.headline:
        table, _, rest = ref.partition(":")
        outcome, _, arm = rest.partition("@")
        if table in results.proportions:
            frame = results.proportions[table]
            row = frame[(frame["outcome"] == outcome) & (frame["arm"] == arm)].iloc[0]
            cards.append(_proportion_card(row, fmt))
        else:
            frame = results.measures
            row = frame[(frame["outcome"] == outcome) & (frame["arm"] == arm)].iloc[0]
            cards.append(
                Card(
                    row["label"],
                    formatting.with_unit(row["value"], row["unit"]),
                    row["arm_label"],
                    f"Reported: “{row['source']}”",
                )
            )
    return cards


def _proportion_card(row: pd.Series, fmt: NumberFormat) -> Card:
    value = fmt.percent(row["estimate"])
    detail = (
        f"{formatting.count_of(row['count'], row['denominator'])} patients; "
        f"{fmt.ci_name} {fmt.interval(row['ci_low'], row['ci_high'])}"
    )
    if row["status"] == "derived":
        provenance = f"Derived n: {row['how']}. Interval computed by this site."
    else:
        provenance = f"Reported: “{row['source']}” Percentage and interval computed by this site."
    return Card(row["label"], value, detail, provenance)


def render_site(
    results: list[StudyResults], config: SiteConfig, templates_dir: Path, site_title: str
) -> dict[str, bytes]:
    """Every generated file of the docs folder, as {relative path: content}."""
    fmt = NumberFormat(config)
    env = make_environment(templates_dir, fmt)
    files: dict[str, bytes] = {}
    home = HomeContext(site_title, results, fmt)
    files["index.md"] = _render(env, "home.md.j2", {"page": home})
    nav: list[dict] = [{"Home": "index.md"}]
    for result in results:
        folder = f"studies/{result.study.slug}"
        charts = study_charts(result, fmt)
        context = StudyPageContext(
            result.study,
            result,
            charts,
            headline_cards(result, fmt),
            fmt,
            site_title,
            [(title, name) for name, _, title in STUDY_PAGES],
        )
        for name, template, _ in STUDY_PAGES:
            files[f"{folder}/{name}"] = _render(env, template, {"page": context})
        files.update(_data_files(folder, result, charts))
        nav.append(
            {result.study.meta.short_title: [{title: f"{folder}/{name}"} for name, _, title in STUDY_PAGES]}
        )
    files[".nav.json"] = (json.dumps(nav, indent=1, ensure_ascii=False) + "\n").encode()
    files.update(_assets(templates_dir))
    return files


def _render(env: jinja2.Environment, template: str, context: dict) -> bytes:
    try:
        text = env.get_template(template).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(
            f"{exc.filename or template}, line {exc.lineno}: template syntax error: {exc.message}"
        ) from exc
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, template)
        raise BuildError(f"templates/{template}{line}: {exc.message}") from exc
    return text.encode("utf-8")


def _template_line(exc: Exception, template: str) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(template):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


def _data_files(folder: str, result: StudyResults, charts: dict[str, Chart]) -> dict[str, bytes]:
    """CSV downloads: the data behind each chart and each outcome table."""
    files = {f"{folder}/data/chart-{key}.csv": _csv(chart.data) for key, chart in charts.items()}
    for name, frame in result.proportions.items():
        columns = [
            "outcome",
            "label",
            "arm",
            "count",
            "denominator",
            "percent",
            "status",
            "how",
            "estimate",
            "ci_low",
            "ci_high",
            "source",
        ]
        files[f"{folder}/data/{name}.csv"] = _csv(frame[columns].rename(columns={"how": "derivation"}))
    if not result.measures.empty:
        files[f"{folder}/data/survival.csv"] = _csv(result.measures.drop(columns=["line", "arm_label"]))
    if not result.findings.empty:
        files[f"{folder}/data/adverse_events.csv"] = _csv(
            result.findings.drop(columns=["line", "arm_label", "reference_label"])
        )
    if not result.comparisons.empty:
        files[f"{folder}/data/comparisons.csv"] = _csv(
            result.comparisons.drop(columns=["arm_label", "reference_label"])
        )
    files[f"{folder}/data/dosing.csv"] = _csv(result.dosing.drop(columns=["arm_label"]))
    return files


def _csv(frame: pd.DataFrame) -> bytes:
    frame = frame.infer_objects()  # floats held in object columns get the float format below
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.6g").encode("utf-8")


def _assets(templates_dir: Path) -> dict[str, bytes]:
    """The site's scripts and styles from templates/assets, and plotly.js from the installed package."""
    files = {
        f"assets/{path.relative_to(templates_dir / 'assets').as_posix()}": path.read_bytes()
        for path in sorted((templates_dir / "assets").rglob("*"))
        if path.is_file()
    }
    files["assets/javascripts/plotly.min.js"] = _plotly_js()
    return files


def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")
