"""The consistency audit: do the reported figures add up?

Pure rules over a study's computed results. Each check is listed with its inputs, its rule and
whether it passed; a failed check fails the build unless the study records it as a known
discrepancy with a reason. A percentage reported without its count is not checked but bounded:
every count and denominator that fits it and the other reported figures is worked out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from generator.analysis import StudyResults, counts_matching_percent, proportion_ci, round_half_up
from generator.config import CI_METHOD_NAMES, CI_METHODS
from generator.errors import DataError, Problem
from generator.model import ALL_PATIENTS, grade_slug, parse_derivation, parse_p_value
from generator.numberwords import numbers_in_words
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

    @property
    def status(self) -> str:
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
    """How one rule's checks came out: how many there are, passed, failed and waived."""

    rule: str
    checks: int
    passed: int
    failed: int
    waived: int


@dataclass(frozen=True)
class AuditReport:
    checks: list[Check]
    implied: list[ImpliedCounts]

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
    def not_passed(self) -> list[Check]:
        """Failures first, then waivers: the checks a reader should see."""
        return self.failures + self.waived

    def by_rule(self) -> list[RuleTally]:
        """One tally per rule that has checks, in the order of RULES."""
        tallies = []
        for rule in RULES:
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
                    )
                )
        return tallies


def audit_study(results: StudyResults) -> AuditReport:
    """Run every rule on one study; apply the study's recorded known discrepancies."""
    folder = results.study.published_folder
    checks = _arms_sum_to_population(results, folder) + _arm_figures_in_quotes(results, folder)
    implied = []
    for table, frame in results.proportions.items():
        file = f"{folder}/{table}.csv"
        checks += _figures_in_quotes(table, frame, ["count", "percent"], file)
        checks += _percent_rounding(table, frame, file)
        checks += _parts_sum_to_total(table, frame, file)
        checks += _arm_rows_sum_to_all(table, frame, results, file)
        checks += _reported_interval_methods(table, frame, file)
        implied += [
            _implied_counts(table, row, frame, results, file)
            for row in frame.to_dict("records")
            if _percent_only(row)
        ]
    for table, frame in results.effects.items():
        file = f"{folder}/{table}.csv"
        checks += _figures_in_quotes(table, frame, ["estimate", "ci_low", "ci_high"], file)
        checks += _p_agrees_with_interval(table, frame, file)
    for table, frame in results.measures.items():
        checks += _figures_in_quotes(table, frame, ["value"], f"{folder}/{table}.csv")
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
        )
        for i in implied
    ]
    known = {k.check: k.reason for k in results.study.meta.known_discrepancies}
    return AuditReport([_with_known(c, known) for c in checks], implied)


def raise_for_failures(report: AuditReport, results: StudyResults) -> None:
    """A failed check (not recorded as known) is a DataError naming file, row and rule."""
    problems = [
        Problem(
            c.file,
            f"audit rule '{c.rule}' failed for {c.subject}: {c.inputs}; expected {c.expected}. "
            "Fix the data, or record it under known_discrepancies in study.yml with a reason "
            f"(check: {c.id})",
            line=c.line,
        )
        for c in report.failures
    ]
    ids = {c.id for c in report.checks}
    for index, known in enumerate(results.study.meta.known_discrepancies):
        if known.check not in ids:
            problems.append(
                Problem(
                    f"{results.study.published_folder}/study.yml",
                    f"known discrepancy names no audit check: {known.check!r}",
                    line=line_of(results.study.meta_lines, ("known_discrepancies", index, "check")),
                    field=f"known_discrepancies[{index}].check",
                )
            )
    if problems:
        raise DataError(problems)


def _with_known(check: Check, known: dict[str, str]) -> Check:
    if check.id not in known:
        return check
    return Check(**{**check.__dict__, "known": known[check.id]})


def _subject(row: dict) -> str:
    return row["label"] if row["arm"] == ALL_PATIENTS else f"{row['label']}, {row['arm_label']}"


def _row_id(table: str, row: dict) -> str:
    """'responses/cr@all', with the grade band where a table has one (its rows differ by it)."""
    grade = row.get("grade")
    return f"{table}/{row['outcome']}@{row['arm']}" + (f"/grade-{grade_slug(grade)}" if grade else "")


def _has(value) -> bool:
    return value is not None and not pd.isna(value)


def printed_in(figure: str, sentence: str) -> bool:
    """Whether `figure` ('17', '5.0', '1.3') stands as a number of its own in `sentence`, in digits
    or, for a whole number, in words ('Ninety patients'); 'not reached' as words or NR."""
    if figure == "not reached":
        return re.search(r"not reached|\bNR\b", sentence, re.IGNORECASE) is not None
    if re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d]|\.\d)", sentence):
        return True
    return figure.isdigit() and int(figure) in numbers_in_words(sentence)


def _figure_check(check_id: str, subject: str, figure: str, quote: str, file: str, line: int | None) -> Check:
    return Check(
        check_id,
        "figure-in-quote",
        subject,
        f"{figure} in “{quote}”",
        f"{figure} printed in the sentence",
        printed_in(figure, quote),
        file,
        line,
    )


def _figures_in_quotes(table: str, frame: pd.DataFrame, fields: list[str], file: str) -> list[Check]:
    checks = []
    for row in frame.to_dict("records"):
        for name in fields:
            if not _has(row[name]) or (name == "count" and row.get("status") == "derived"):
                continue
            figure = str(row[name]) if not isinstance(row[name], float) else f"{row[name]:g}"
            subgroup = re.sub(r"[^a-z0-9]+", "-", str(row.get("subgroup") or "").lower()).strip("-")
            key = _row_id(table, row) + (f"/{subgroup}" if subgroup else "")
            key += f"-vs-{row['reference_arm']}" if row.get("reference_arm") else ""
            suffix = "" if len(fields) == 1 else f"/{name}"
            checks.append(
                _figure_check(
                    f"{key}/figure-in-quote{suffix}", _subject(row), figure, row["source"], file, row["line"]
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
        )
        for s in results.sets.to_dict("records")
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


def _derived_by(row: dict) -> str | None:
    return parse_derivation(row["derivation"]).rule if row["derivation"] else None


def _percent_rounding(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Printed percentage against n/N; not for counts read from the percentage or summed (checked apart)."""
    checks = []
    for row in frame.to_dict("records"):
        if not (_has(row["count"]) and _has(row["denominator"]) and _has(row["percent"])):
            continue
        if _derived_by(row) in ("from_percent", "sum"):
            continue
        count, total, printed = int(row["count"]), int(row["denominator"]), Decimal(row["percent"])
        decimals = max(0, -printed.as_tuple().exponent)
        exact = Fraction(100 * count, total)
        rounded = round_half_up(exact, decimals)
        checks.append(
            Check(
                f"{_row_id(table, row)}/percent-rounding",
                "percent-rounding",
                _subject(row),
                f"{count}/{total} = {float(exact):.2f}%",
                f"{printed}% as printed",
                rounded == Fraction(printed),
                file,
                row["line"],
            )
        )
    return checks


def _parts_sum_to_total(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    checks = []
    by_key = {(r["outcome"], r["arm"]): r for r in frame.to_dict("records")}
    for row in by_key.values():
        if _derived_by(row) != "sum" or not (_has(row["percent"]) and _has(row["denominator"])):
            continue  # without a printed percentage, a sum has nothing to be checked against
        parts = [by_key[(ref, row["arm"])] for ref in parse_derivation(row["derivation"]).refs]
        total = sum(int(p["count"]) for p in parts)
        terms = " + ".join(str(int(p["count"])) for p in parts)
        names = " + ".join(p["label"] for p in parts)
        printed = Decimal(row["percent"])
        decimals = max(0, -printed.as_tuple().exponent)
        passed = round_half_up(Fraction(100 * total, int(row["denominator"])), decimals) == Fraction(printed)
        expected = f"a total that is {printed}% of {int(row['denominator'])}, as printed"
        checks.append(
            Check(
                f"{_row_id(table, row)}/parts-sum-to-total",
                "parts-sum-to-total",
                _subject(row),
                f"{names}: {terms} = {total}",
                expected,
                passed,
                file,
                row["line"],
            )
        )
    return checks


def _arm_rows_sum_to_all(table: str, frame: pd.DataFrame, results: StudyResults, file: str) -> list[Check]:
    checks = []
    arms = [a.id for a in results.study.meta.arms]
    for outcome, group in frame.groupby("outcome", sort=False):
        rows = {r["arm"]: r for r in group.to_dict("records")}
        if ALL_PATIENTS not in rows or not all(a in rows for a in arms) or len(arms) < 2:
            continue
        whole, parts = rows[ALL_PATIENTS], [rows[a] for a in arms]
        if not all(_has(p["count"]) and _has(p["denominator"]) for p in parts) or not _has(whole["count"]):
            continue
        if sum(int(p["denominator"]) for p in parts) != int(whole["denominator"]):
            continue  # the arms' rows are not a split of the all-patients row
        terms = " + ".join(str(int(p["count"])) for p in parts)
        total = sum(int(p["count"]) for p in parts)
        checks.append(
            Check(
                f"{table}/{outcome}/arm-rows-sum-to-all",
                "arm-rows-sum-to-all",
                whole["label"],
                f"{' + '.join(p['arm_label'] for p in parts)}: {terms} = {total}",
                f"{int(whole['count'])}, the count for all patients",
                total == int(whole["count"]),
                file,
                whole["line"],
            )
        )
    return checks


def _arms_sum_to_population(results: StudyResults, folder: str) -> list[Check]:
    """For each analysis set that all patients and every arm have: the arms add up to all patients."""
    meta, checks = results.study.meta, []
    if len(meta.arms) < 2:
        return []
    for index, whole in enumerate(meta.population.sets):
        sizes = [arm.set_size(whole.id) for arm in meta.arms]
        if any(size is None for size in sizes):
            continue
        total, terms = sum(sizes), " + ".join(str(size) for size in sizes)
        checks.append(
            Check(
                f"population/{whole.id}/arms-sum-to-population",
                "arms-sum-to-population",
                f"Patients: {whole.name.lower()}",
                f"{' + '.join(a.label for a in meta.arms)}: {terms} = {total}",
                f"{whole.n}, all patients {whole.name.lower()}",
                total == whole.n,
                f"{folder}/study.yml",
                line_of(results.study.meta_lines, ("population", "sets", index, "n")),
            )
        )
    return checks


def _largest_set(results: StudyResults, arm_id: str) -> int:
    """The most patients any analysis set of this arm (or of all patients) holds."""
    meta = results.study.meta
    sets = next((a.sets for a in meta.arms if a.id == arm_id), meta.population.sets)
    return max(s.n for s in sets)


def _reported_interval_methods(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Each reported interval of a proportion recomputed by every method the site knows, at the
    interval's printed precision: the check names the methods that reproduce it, or says none does."""
    checks = []
    for row in frame.to_dict("records"):
        if not _has(row["reported_ci_low"]) or not _has(row["count"]) or not _has(row["denominator"]):
            continue
        level = float(row["ci_level"] or 95) / 100
        printed = (Decimal(row["reported_ci_low"]), Decimal(row["reported_ci_high"]))
        matching = [
            CI_METHOD_NAMES[method]
            for method in CI_METHODS
            if _rounds_to(proportion_ci(int(row["count"]), int(row["denominator"]), level, method), printed)
        ]
        checks.append(
            Check(
                f"{_row_id(table, row)}/reported-interval-method",
                "reported-interval-method",
                _subject(row),
                f"{int(row['count'])}/{int(row['denominator'])}, printed {printed[0]}% to {printed[1]}% "
                f"({float(row['ci_level'] or 95):g}%)",
                "reproduced by " + (", ".join(matching) if matching else "no method this site knows"),
                bool(matching),
                file,
                row["line"],
            )
        )
    return checks


def _rounds_to(interval: tuple[float, float], printed: tuple[Decimal, Decimal]) -> bool:
    """Whether a computed interval (fractions) rounds, half up, to the printed one (percent)."""
    return all(
        round_half_up(Fraction(bound * 100).limit_denominator(10**9), max(0, -p.as_tuple().exponent))
        == Fraction(p)
        for bound, p in zip(interval, printed, strict=True)
    )


def _p_agrees_with_interval(table: str, frame: pd.DataFrame, file: str) -> list[Check]:
    """Each printed P value against the P value its estimate and interval imply (two-sided)."""
    checks = []
    for row in frame.to_dict("records"):
        if not row["p_value"] or not _has(row["implied_p"]):
            continue
        printed = parse_p_value(row["p_value"])
        low, high = printed.interval
        implied_low, implied_high = row["implied_p_low"], row["implied_p_high"]
        sided = " (the source says one-sided: halved)" if row["sided"] == "one" else ""
        factor = 0.5 if row["sided"] == "one" else 1
        implied_low, implied_high = implied_low * factor, implied_high * factor
        checks.append(
            Check(
                f"{_row_id(table, row)}-vs-{row['reference_arm']}/p-agrees-with-interval",
                "p-agrees-with-interval",
                _subject(row),
                f"{row['measure'].replace('_', ' ')} {row['estimate']} "
                f"({row['ci_low']} to {row['ci_high']}): "
                f"implied P {row['implied_p'] * factor:.4f}, {implied_low:.4f} to {implied_high:.4f} "
                f"within the rounding of the printed figures{sided}",
                f"{printed.printed} as printed, that is {low} to {high}",
                implied_low <= float(high) and implied_high >= float(low),
                file,
                row["line"],
            )
        )
    return checks


def _percent_only(row: dict) -> bool:
    return _has(row["percent"]) and not _has(row["count"])


def _implied_counts(
    table: str, row: dict, frame: pd.DataFrame, results: StudyResults, file: str
) -> ImpliedCounts:
    """Counts and denominators that round to the percentage and fit the outcome's other figures."""
    whole = frame[(frame["outcome"] == row["outcome"]) & (frame["arm"] == ALL_PATIENTS)]
    whole_row = whole.iloc[0] if len(whole) and row["arm"] != ALL_PATIENTS else None
    arm_n = _largest_set(results, row["arm"])
    limits = [(arm_n, f"denominator at most {arm_n}, the patients of {row['arm_label']}")]
    count_max = None
    if _has(row["denominator"]):
        limits = [(int(row["denominator"]), f"denominator {int(row['denominator'])}, as reported")]
    elif whole_row is not None and _has(whole_row["denominator"]):
        limits.append(
            (
                int(whole_row["denominator"]),
                f"denominator at most {int(whole_row['denominator'])}, as for all patients",
            )
        )
    if whole_row is not None and _has(whole_row["count"]):
        count_max = int(whole_row["count"])
    denominator_max = min(limit for limit, _ in limits)
    denominators = [denominator_max] if _has(row["denominator"]) else range(1, denominator_max + 1)
    candidates: dict[int, list[int]] = {}
    for denominator in denominators:
        for count in counts_matching_percent(row["percent"], denominator):
            if count_max is None or count <= count_max:
                candidates.setdefault(count, []).append(denominator)
    constraints = "; ".join(text for limit, text in limits if limit == denominator_max)
    if count_max is not None:
        constraints += f"; count at most {count_max}, as for all patients"
    return ImpliedCounts(
        _row_id(table, row),
        _subject(row),
        Decimal(row["percent"]),
        dict(sorted(candidates.items())),
        constraints,
        file,
        row["line"],
    )


def _runs(numbers: list[int]) -> str:
    """[14, 15, 27, 28, 29] -> '14 to 15, 27 to 29'; [14] -> '14'."""
    runs, start = [], numbers[0]
    for previous, current in zip(numbers, [*numbers[1:], None], strict=True):
        if current != previous + 1 if current is not None else True:
            runs.append(str(start) if start == previous else f"{start} to {previous}")
            start = current
    return ", ".join(runs)
