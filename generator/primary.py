"""A study's main result: the row that opens its overview and its row of the study index.

study.yml names it (`primary`); by default it is the first effect of an experimental arm against a
control arm (one with an estimate before one with a P value alone), and for a study without such an
effect, the first headline. The main result is shown as the source printed it: the estimate, its
interval with its level, the P value with its sidedness; under it, each arm's figures of the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.frames import records
from generator.kinds.base import text_or_none, two_group_population
from generator.model import Headline, parse_headline, parse_shared_ref
from generator.values import FigureField, Value, ValueBook

if TYPE_CHECKING:
    from generator.analysis import StudyResults
    from generator.load import Study

MEASURE_SHORT = {
    "hazard_ratio": "HR",
    "odds_ratio": "OR",
    "risk_ratio": "RR",
    "rate_ratio": "Rate ratio",
    "difference": "Difference",
}
"""How a measure is named before its estimate ("HR 0.71"), as clinical papers print it."""


@dataclass(frozen=True)
class ArmFigure:
    """One arm's figure of the main result's outcome: '7.7 months (Blinatumomab)'."""

    label: str
    arm_label: str
    main: Value


@dataclass(frozen=True)
class MainResult:
    """The main result as printed, ready for the overview and the index."""

    table: str
    label: str
    comparison: str
    """'Blinatumomab vs Chemotherapy' for an effect; the arm's label (or All patients) otherwise."""
    population: str
    """Who it is about: 'Randomized, n = 271 vs 134'."""
    measure: str
    """'HR' before an estimate; empty for a proportion or a measure (their figure carries its unit)."""
    estimate: Value | None
    ci: Value | None
    level: str
    """The interval's level as printed ('95%'), or '' when the source does not give one."""
    p: Value | None
    sided: str
    """'two-sided' or 'one-sided' as the source says, or '' when it does not say."""
    named: bool
    """Whether study.yml names it (else it is the default choice)."""
    arms: tuple[ArmFigure, ...] = ()
    is_effect: bool = False


def main_result(results: StudyResults, book: ValueBook) -> MainResult | None:
    """The study's main result, or None when it has neither an effect nor a headline."""
    study = results.study
    primary = study.meta.primary
    ref = primary.result if primary is not None else _default_ref(study)
    if ref is None:
        return None
    headline = parse_headline(ref)
    record = headline.rows(results.frame(headline.table)).iloc[0].to_dict()
    values = book.row(headline.table, record)
    kind = study.tables[headline.table].kind
    arms = _arm_figures(results, book, primary.arms) if primary is not None and primary.arms else ()
    if kind.effect:
        return _effect_result(study, headline, record, values, primary is not None, arms)
    return MainResult(
        table=headline.table,
        label=qualified_label(record),
        comparison=kind.population(study, record),  # 'All patients · Transplanted, n = 36'
        population="",
        measure="",
        estimate=kind.main_figure(values),
        ci=values.get(FigureField.REPORTED_CI),  # printed; a computed interval is not the result as printed
        level=_level(record),
        p=None,
        sided="",
        named=primary is not None,
        arms=arms,
    )


def _effect_result(
    study: Study, headline: Headline, record: dict, values: dict[str, Value], named: bool, arms: tuple
) -> MainResult:
    sided = {"one": "one-sided", "two": "two-sided"}.get(str(record.get("sided") or ""), "")
    return MainResult(
        table=headline.table,
        label=qualified_label(record),
        comparison=f"{record['arm_label']} vs {record['reference_label']}",
        population=two_group_population(study, record),
        measure=MEASURE_SHORT.get(str(record["measure"]), ""),
        estimate=values.get(FigureField.ESTIMATE),
        ci=values.get(FigureField.CI),
        level=_level(record),
        p=values.get(FigureField.P),
        sided=sided,
        named=named,
        arms=arms,
        is_effect=True,
    )


def qualified_label(record: dict) -> str:
    """The row's label with what tells it from the outcome's other rows: 'Neutropenia (grade ≥3)',
    'Median overall survival (Salvage 1)'."""
    qualifiers = [text_or_none(record.get("subgroup"))]
    grade = text_or_none(record.get("grade"))
    qualifiers.append(f"grade {grade}" if grade and grade.lower() != "any" else None)
    shown = [q for q in qualifiers if q]
    return f"{record['label']} ({', '.join(shown)})" if shown else str(record["label"])


def _level(record: dict) -> str:
    """The interval's level as printed: '95%' (from 95 or 95.0), '' when the row gives none."""
    level = text_or_none(record.get("ci_level"))
    return f"{float(level):g}%" if level else ""


def _default_ref(study: Study) -> str | None:
    """The first effect of an experimental arm against a control arm (with an estimate first), else the
    first headline."""
    roles = {arm.id: arm.role for arm in study.meta.arms}
    effects = [
        (name, record)
        for name, table in study.tables.items()
        if table.kind.effect
        for record in records(table.frame)
        if (roles.get(record["arm"]), roles.get(record["reference_arm"])) == ("experimental", "control")
    ]
    with_estimate = [pair for pair in effects if text_or_none(pair[1].get("estimate")) is not None]
    chosen = (with_estimate or effects)[:1]
    for name, record in chosen:
        subgroup = text_or_none(record.get("subgroup"))
        return f"{name}:{record['outcome']}@{record['arm']}" + (f"/{subgroup}" if subgroup else "")
    return study.meta.headline[0] if study.meta.headline else None


def _arm_figures(results: StudyResults, book: ValueBook, ref: str) -> tuple[ArmFigure, ...]:
    shared = parse_shared_ref(ref)
    frame = results.frame(shared.table)
    kind = results.study.tables[shared.table].kind
    figures = []
    for record in records(shared.rows(frame)):
        main = kind.main_figure(book.row(shared.table, record))
        if main is not None:
            figures.append(ArmFigure(record["label"], record["arm_label"], main))
    return tuple(figures)
