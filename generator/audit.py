"""The consistency audit: do the reported figures add up?

Pure rules over a study's computed results. Each check is listed with its inputs, its rule and
whether it passed; a failed check fails the build unless the study records it as a known
discrepancy with a reason. A note is a finding, not a check that can fail (such as which standard
method reproduces a printed interval): it is listed and counted apart, never passed, failed or
waived. A percentage reported without its count is not checked but bounded: every count and
denominator that fits it and the other reported figures is worked out.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from generator.analysis import StudyResults
from generator.errors import DataError, Problem
from generator.frames import records
from generator.model import ALL_PATIENTS, row_segments
from generator.numberwords import numbers_in_words
from generator.text import in_sentence
from generator.yamlfile import line_of

RULES = {
    "percent-rounding": "A reported percentage equals n/N rounded as printed",
    "parts-sum-to-total": "Parts add up to the total they are summed into",
    "arms-sum-to-population": "The arms' patients add up to all patients, in each analysis set",
    "arm-rows-sum-to-all": "Counts in each arm add up to the count for all patients",
    "percent-only-fits": "A percentage without its count fits at least one count and denominator",
    "figure-in-quote": "A reported figure is printed in the sentence it is quoted from",
    "p-agrees-with-interval": "A reported P value agrees with the P value its estimate and interval imply "
    "(the method of Altman and Bland), within the rounding of all three as printed",
    "reported-interval-method": "A reported interval of a proportion is reproduced by a named method at "
    "its printed precision",
}


@dataclass(frozen=True)
class Check:
    """One audit check with what it compared."""

    id: str
    rule: str
    subject: str
    inputs: str
    expected: str
    passed: bool
    file: str
    line: int | None = None
    known: str | None = None
    note: bool = False
    """A finding to read, not a check: neither passes nor fails (`passed` then says whether what it
    looked for was found)."""
    printed: str = ""
    """What the source prints: the sentence the figures are quoted from (by default, the row's at `line`)."""
    data: str = ""
    """What the data say: the figures as the study's files give them ('17 of 90, 21%')."""
    computed: str = ""
    """What the site computes or finds from them, as words after 'the site' ('computes 17/90 = 18.89%')."""

    @property
    def says(self) -> str:
        """What the source prints, what the data say and what the site computes, in that order."""
        printed = f"the source prints “{self.printed}”; " if self.printed else ""
        if not (self.data and self.computed):  # a check that does not tell them apart
            return f"{printed}{self.inputs}; expected {self.expected}"
        return f"{printed}the data say {self.data}; the site {self.computed}"

    @property
    def status(self) -> str:
        if self.note:
            return "note"
        if self.passed:
            return "pass"
        return "known discrepancy" if self.known else "fail"


@dataclass(frozen=True)
class ImpliedCounts:
    """The counts and denominators consistent with a percentage reported alone."""

    id: str
    subject: str
    percent: Decimal
    candidates: dict[int, list[int]]
    constraints: str
    file: str
    line: int | None

    @property
    def summary(self) -> str:
        if not self.candidates:
            return "no count fits"
        return "; or ".join(f"{count} of {_runs(dens)}" for count, dens in self.candidates.items())


@dataclass(frozen=True)
class RuleTally:
    """How one rule's checks came out: how many there are (notes included), passed, failed, waived, and
    the notes."""

    rule: str
    checks: int
    passed: int
    failed: int
    waived: int
    noted: int = 0

    @property
    def checked(self) -> int:
        """Its checks that pass or fail (or are waived): all but the notes."""
        return self.checks - self.noted


@dataclass(frozen=True)
class AuditReport:
    checks: list[Check]
    implied: list[ImpliedCounts]
    rules: dict[str, str] = field(default_factory=lambda: dict(RULES))
    """What each rule checks, by id: the audit's own, then those of the study's kinds of table."""

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def passes(self) -> list[Check]:
        return [c for c in self.checks if c.status == "pass"]

    @property
    def waived(self) -> list[Check]:
        """Checks that did not pass and that the study records as known discrepancies, with a reason."""
        return [c for c in self.checks if c.status == "known discrepancy"]

    @property
    def notes(self) -> list[Check]:
        """Findings to read, which neither pass nor fail."""
        return [c for c in self.checks if c.status == "note"]

    @property
    def not_passed(self) -> list[Check]:
        """Failures first, then waivers: the checks a reader should see."""
        return self.failures + self.waived

    def by_rule(self) -> list[RuleTally]:
        """One tally per rule that has checks, in the order of `rules`."""
        tallies = []
        for rule in self.rules:
            checks = [c for c in self.checks if c.rule == rule]
            if checks:
                statuses = [c.status for c in checks]
                tallies.append(
                    RuleTally(
                        rule,
                        len(checks),
                        statuses.count("pass"),
                        statuses.count("fail"),
                        statuses.count("known discrepancy"),
                        statuses.count("note"),
                    )
                )
        return tallies


def audit_study(results: StudyResults) -> AuditReport:
    """Run every rule on one study: the study's own, then each of its tables' by its kind (each kind's
    checks in the order of `Kind.audit_rank`); apply the study's recorded known discrepancies."""
    folder = results.study.published_folder
    checks = _arms_sum_to_population(results, folder) + _arm_figures_in_quotes(results, folder)
    implied = []
    for kind in sorted(results.study.kinds, key=lambda kind: kind.audit_rank):
        for table, frame in results.tables[kind.name].items():
            table_checks, table_implied = kind.audit(table, frame, results, f"{folder}/{table}.csv")
            checks += _with_quotes(table_checks, frame)
            implied += table_implied
    quotes = {
        (f"{folder}/{table}.csv", row["line"]): row["source"]
        for tables in results.tables.values()
        for table, frame in tables.items()
        for row in records(frame)
    }
    checks += [
        Check(
            f"{i.id}/percent-only-fits",
            "percent-only-fits",
            i.subject,
            f"{i.percent}% ({i.constraints})",
            "at least one count fits",
            bool(i.candidates),
            i.file,
            i.line,
            printed=_text(quotes.get((i.file, i.line))),
            data=f"{i.percent}% alone ({i.constraints})",
            computed=f"finds {i.summary}" if i.candidates else "finds no count and denominator that fit",
        )
        for i in implied
    ]
    known = {k.check: k.reason for k in results.study.meta.known_discrepancies}
    rules = {**RULES, **{rule: text for kind in results.study.kinds for rule, text in kind.rules.items()}}
    return AuditReport([_with_known(c, known) for c in checks], implied, rules)


def raise_for_failures(report: AuditReport, results: StudyResults) -> None:
    """A failed check (not recorded as known) is a DataError naming file, row and rule."""
    problems = audit_problems(report, results)
    if problems:
        raise DataError(problems)


def audit_problems(report: AuditReport, results: StudyResults, *, whole: bool = True) -> list[Problem]:
    """A located problem for each failed check (not recorded as known), saying what the source prints,
    what the data say and what the site computes; and, for the `whole` study (not a part of it left
    by problems elsewhere, which runs fewer checks), each known discrepancy that names no check."""
    problems = [
        Problem(
            Path(c.file),
            f"audit rule '{c.rule}' failed for {c.subject}: {c.says}. Fix the data, or record it under "
            f"known_discrepancies in study.yml with a reason (check: {c.id})",
            line=c.line,
        )
        for c in report.failures
    ]
    if not whole:
        return problems
    ids, notes = {c.id for c in report.checks}, {c.id for c in report.notes}
    for index, known in enumerate(results.study.meta.known_discrepancies):
        if known.check not in ids or known.check in notes:
            what = "names a note, which never fails" if known.check in notes else "names no audit check"
            problems.append(
                Problem(
                    Path(f"{results.study.published_folder}/study.yml"),
                    f"known discrepancy {what}: {known.check!r}",
                    line=line_of(results.study.meta_lines, ("known_discrepancies", index, "check")),
                    field=f"known_discrepancies[{index}].check",
                )
            )
    return problems


def _with_quotes(checks: list[Check], frame: pd.DataFrame) -> list[Check]:
    """Each check of a table with the sentence its row quotes, unless it names its own."""
    if "source" not in frame or "line" not in frame:
        return checks
    quotes = {row["line"]: _text(row["source"]) for row in records(frame)}
    return [
        check if check.printed else dataclasses.replace(check, printed=quotes.get(check.line, ""))
        for check in checks
    ]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _with_known(check: Check, known: dict[str, str]) -> Check:
    if check.id not in known:
        return check
    return Check(**{**check.__dict__, "known": known[check.id]})


def subject_of(row: dict) -> str:
    """What a row is about, in words: its label, and its arm's unless it is about all patients."""
    return row["label"] if row["arm"] == ALL_PATIENTS else f"{row['label']}, {row['arm_label']}"


def row_id(table: str, row: dict) -> str:
    """'responses/cr@all', with the grade band where a table has one (its rows differ by it)."""
    return f"{table}/{row['outcome']}@{row['arm']}" + row_segments(row, ("grade",))


def has(value: Any) -> bool:
    """A cell that holds a value (not empty, not NaN)."""
    return value is not None and not pd.isna(value)


def printed_in(figure: str, sentence: str) -> bool:
    """Whether `figure` ('17', '5.0', '1.3') stands as a number of its own in `sentence`, in digits
    or, for a whole number, in words ('Ninety patients'); 'not reached' as words or NR."""
    if figure == "not reached":
        return re.search(r"not reached|\bNR\b", sentence, re.IGNORECASE) is not None
    if re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d]|\.\d)", sentence):
        return True
    return figure.isdigit() and int(figure) in numbers_in_words(sentence)


def at_decimals(value: Fraction, decimals: int) -> str:
    """A rounded value written to the decimals a figure is printed to: (189/10, 1) -> '18.9'."""
    return f"{float(value):.{decimals}f}"


def _figure_check(
    check_id: str, subject: str, figure: str, quote: str, file: str, line: int | None, name: str
) -> Check:
    """Whether `figure`, the data's `name` ('count', 'n'), is printed in `quote`."""
    found = printed_in(figure, quote)
    return Check(
        check_id,
        "figure-in-quote",
        subject,
        f"{figure} in “{quote}”",
        f"{figure} printed in the sentence",
        found,
        file,
        line,
        printed=quote,
        data=f"{name} {figure}",
        computed=f"finds {figure} in that sentence" if found else f"finds no {figure} in that sentence",
    )


def figures_in_quotes(table: str, frame: pd.DataFrame, fields: list[str], file: str) -> list[Check]:
    """Each of the `fields` of each row (a derived count excepted) printed in the row's quote."""
    checks = []
    for row in records(frame):
        for name in fields:
            if not has(row[name]) or (name == "count" and row.get("status") == "derived"):
                continue
            figure = str(row[name]) if not isinstance(row[name], float) else f"{row[name]:g}"
            key = row_id(table, row) + row_segments(row, ("subgroup",))
            key += f"-vs-{row['reference_arm']}" if row.get("reference_arm") else ""
            suffix = "" if len(fields) == 1 else f"/{name}"
            checks.append(
                _figure_check(
                    f"{key}/figure-in-quote{suffix}",
                    subject_of(row),
                    figure,
                    row["source"],
                    file,
                    row["line"],
                    name,
                )
            )
    return checks


def _arm_figures_in_quotes(results: StudyResults, folder: str) -> list[Check]:
    file, checks, lines = f"{folder}/study.yml", [], results.study.meta_lines
    checks += [
        _figure_check(
            f"sets/{s['arm']}/{s['set']}/figure-in-quote",
            f"{s['arm_label']}: {s['set_label']}",
            str(s["n"]),
            s["source"],
            file,
            _set_line(results, s["arm"], s["set"]),
            "n",
        )
        for s in records(results.sets)
        if isinstance(s["source"], str)  # a derived total has no quote (the arms' sets it adds up have)
    ]
    for a, arm in enumerate(results.study.meta.arms):
        if arm.dosing is None:
            continue
        dosing, at = arm.dosing, ("arms", a, "dosing")
        for weeks in dict.fromkeys((f"{dosing.cycle_weeks.min:g}", f"{dosing.cycle_weeks.max:g}")):
            checks.append(
                _figure_check(
                    f"arms/{arm.id}/cycle_weeks/{weeks}/figure-in-quote",
                    f"{arm.label}: cycle length",
                    weeks,
                    dosing.cycle_source,
                    file,
                    line_of(lines, (*at, "cycle_weeks")),
                    "cycle_weeks",
                )
            )
        for d, dose in enumerate(dosing.doses):
            for figure in dict.fromkeys((f"{dose.dose_min:g}", f"{dose.dose_max:g}")):
                checks.append(
                    _figure_check(
                        f"arms/{arm.id}/day-{dose.day}/{figure}/figure-in-quote",
                        f"{arm.label}: day {dose.day}",
                        figure,
                        dose.source,
                        file,
                        line_of(lines, (*at, "doses", d)),
                        "dose",
                    )
                )
    return checks


def _set_line(results: StudyResults, arm_id: str, set_id: str) -> int | None:
    """The line in study.yml of an analysis set of all patients or of one arm."""
    meta, lines = results.study.meta, results.study.meta_lines
    if arm_id == ALL_PATIENTS:
        index = next(i for i, s in enumerate(meta.population.sets) if s.id == set_id)
        return line_of(lines, ("population", "sets", index, "n"))
    a = next(i for i, arm in enumerate(meta.arms) if arm.id == arm_id)
    index = next(i for i, s in enumerate(meta.arms[a].sets) if s.id == set_id)
    return line_of(lines, ("arms", a, "sets", index, "n"))


def _arms_sum_to_population(results: StudyResults, folder: str) -> list[Check]:
    """For each analysis set that all patients and every arm have: the arms add up to all patients."""
    meta, checks = results.study.meta, []
    if len(meta.arms) < 2:
        return []
    for index, whole in enumerate(meta.population.sets):
        sizes = [size for arm in meta.arms if (size := arm.set_size(whole.id)) is not None]
        if len(sizes) < len(meta.arms):
            continue
        total, terms = sum(sizes), " + ".join(str(size) for size in sizes)
        labels = " + ".join(a.label for a in meta.arms)
        checks.append(
            Check(
                f"population/{whole.id}/arms-sum-to-population",
                "arms-sum-to-population",
                f"Patients: {in_sentence(whole.name)}",
                f"{labels}: {terms} = {total}",
                f"{whole.n}, all patients {in_sentence(whole.name)}",
                total == whole.n,
                f"{folder}/study.yml",
                line_of(results.study.meta_lines, ("population", "sets", index, "n")),
                printed=whole.source or "",
                data=f"{labels}: {terms}; all patients {in_sentence(whole.name)}: {whole.n}",
                computed=f"adds {terms} = {total}",
            )
        )
    return checks


def _runs(numbers: list[int]) -> str:
    """[14, 15, 27, 28, 29] -> '14 to 15, 27 to 29'; [14] -> '14'."""
    runs: list[str] = []
    start: int | None = numbers[0]
    for previous, current in zip(numbers, [*numbers[1:], None], strict=True):
        if current != previous + 1 if current is not None else True:
            runs.append(str(start) if start == previous else f"{start} to {previous}")
            start = current
    return ", ".join(runs)
