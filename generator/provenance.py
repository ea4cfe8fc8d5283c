"""Every figure the site shows, as a Value that knows where it comes from.

A Value is reported (printed in the source: it carries the sentence), derived (worked out from
reported figures: it says how) or computed (a percentage, interval or test the site calculates).
`collect_values` turns a study's results into its book of Values; the pages show figures only
through it, the audit page lists it, and the site publishes it as JSON.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pandas as pd

from generator.analysis import StudyResults
from generator.audit import printed_in
from generator.errors import DataError, Problem
from generator.formatting import (
    NumberFormat,
    count_of,
    dose_range,
    number_range,
    p_value,
    reported_number,
    with_unit,
)
from generator.load import normalise_space
from generator.model import TABLE_CELL_SEPARATOR, SourceDocument, grade_slug, parse_p_value, slugify
from generator.text import escape_markdown

Kind = Literal["reported", "derived", "computed"]


@dataclass(frozen=True)
class Value:
    """One figure on the site, with its provenance."""

    id: str
    label: str
    text: str
    number: float | list[float] | None
    kind: Kind
    quote: str | None = None
    how: str | None = None
    file: str | None = None
    line: int | None = None
    where: str | None = None
    """For a reported figure: the document it is quoted from, and a table's row and column."""

    @property
    def anchor(self) -> str:
        """The id of this value's entry on the study's audit page."""
        return "v-" + re.sub(r"[^a-z0-9]+", "-", self.id.split("/", 1)[-1].lower()).strip("-")

    @property
    def explanation(self) -> str:
        """One line for a tooltip: where the figure comes from."""
        if self.kind == "reported":
            return f"Reported ({self.where}): “{self.quote}”" if self.where else f"Reported: “{self.quote}”"
        return f"{self.kind.capitalize()}: {self.how}"

    def as_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        return data


@dataclass
class ValueBook:
    """A study's Values by id, in the order they were added."""

    slug: str
    values: dict[str, Value] = field(default_factory=dict)
    _by_anchor: dict[str, Value] = field(default_factory=dict, repr=False, compare=False)
    _by_row: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    """The ids of each row's Values by field name (the Values themselves may be replaced in `values`)."""

    def add(self, value: Value) -> Value:
        clash = self.values.get(value.id) or self._by_anchor.get(value.anchor)
        if clash is not None:
            raise DataError(
                [
                    Problem(
                        Path(value.file or self.slug),
                        f"figures '{clash.label}' and '{value.label}' "
                        "would share one name on the site; rename an outcome or subgroup",
                        line=value.line,
                    )
                ]
            )
        self.values[value.id] = value
        self._by_anchor[value.anchor] = value
        row, name = value.id.rsplit("/", 1)
        self._by_row.setdefault(row + "/", {})[name] = value.id
        return value

    def __getitem__(self, key: str) -> Value:
        return self.values[f"{self.slug}/{key}"]

    def row(self, table: str, record: dict) -> dict[str, Value]:
        """The Values of one table row, by field name."""
        fields = self._by_row.get(f"{self.slug}/{row_key(table, record)}/", {})
        return {name: self.values[value_id] for name, value_id in fields.items()}


def check_provenance(book: ValueBook) -> None:
    """Every figure needs a source sentence (reported) or a derivation (derived, computed)."""
    missing = [v for v in book.values.values() if not (v.quote if v.kind == "reported" else v.how)]
    if missing:
        raise DataError(
            [
                Problem(
                    Path(v.file or book.slug),
                    f"figure '{v.label}' ({v.text}) has no source and no derivation",
                    line=v.line,
                )
                for v in missing
            ]
        )


def row_key(table: str, record: dict) -> str:
    """'responses/overall_response@all', with '/salvage-1' for a subgroup, '/grade-ge3' for a grade band
    and '-vs-placebo' for a comparison."""
    key = f"{table}/{record['outcome']}@{record['arm']}"
    if record.get("reference_arm"):
        key += f"-vs-{record['reference_arm']}"
    if record.get("subgroup"):
        key += f"/{slugify(record['subgroup'])}"
    if record.get("grade"):
        key += f"/grade-{grade_slug(record['grade'])}"
    return key


def collect_values(results: StudyResults, fmt: NumberFormat) -> ValueBook:
    """Every figure of one study, reported, derived or computed; each must say where it comes from."""
    study = results.study
    book = ValueBook(study.slug)
    folder = study.published_folder
    _set_values(book, results, folder)
    _arm_values(book, results, folder)
    for table, frame in results.proportions.items():
        for record in frame.to_dict("records"):
            record["denominator_source"] = _denominator_source(results, record)
            _proportion_values(book, table, record, fmt, f"{folder}/{table}.csv")
    for table, frame in results.measures.items():
        for record in frame.to_dict("records"):
            _measure_values(book, table, record, f"{folder}/{table}.csv")
    for table, frame in results.effects.items():
        for record in frame.to_dict("records"):
            _effect_values(book, table, record, fmt, f"{folder}/{table}.csv")
    for record in results.comparisons.to_dict("records") if not results.comparisons.empty else []:
        _comparison_values(book, record, fmt)
    check_provenance(book)
    locate_quotes(book, study.meta.sources)
    return book


def locate_quotes(book: ValueBook, documents: list[SourceDocument]) -> None:
    """Name the document each reported figure is quoted from; for a table, its row and the column
    whose cell prints the figure."""
    for value_id, value in list(book.values.items()):
        if value.kind == "reported" and value.quote:
            where = quote_location(value, documents)
            if where:
                book.values[value_id] = replace(value, where=where)


def quote_location(value: Value, documents: list[SourceDocument]) -> str | None:
    quote = normalise_space(value.quote or "")
    for document in documents:
        if not document.is_table:
            if any(quote in normalise_space(text) for _, text in document.blocks()):
                return document.title
            continue
        for row in [document.header, *document.rows]:
            if quote in normalise_space(TABLE_CELL_SEPARATOR.join(row)):
                name = "header" if row is document.header else f"row “{row[0]}”"
                return f"{document.title}, {name}{_column(value, document, row)}"
    return None


def _column(value: Value, document: SourceDocument, row: list[str]) -> str:
    """', column “…”' when exactly one cell of the row (after its label) prints the figure."""
    figure = value.text.removesuffix("%").strip()
    columns = [i for i, cell in enumerate(row) if i > 0 and printed_in(figure, cell)]
    return f", column “{document.header[columns[0]]}”" if len(columns) == 1 else ""


def _set_values(book: ValueBook, results: StudyResults, folder: str) -> None:
    """The patients of each analysis set, for all patients and for each arm: `sets/<arm>/<set>`."""
    for s in results.sets.to_dict("records"):
        book.add(
            Value(
                f"{book.slug}/sets/{s['arm']}/{s['set']}",
                f"{s['arm_label']}: {s['set_label'].lower()}",
                str(s["n"]),
                s["n"],
                "reported",
                s["source"],
                file=f"{folder}/study.yml",
            )
        )


def _arm_values(book: ValueBook, results: StudyResults, folder: str) -> None:
    """Each arm's dosing, where the source gives it: cycle, doses by day, and what follows from them."""
    file = f"{folder}/study.yml"
    for s in results.schedules.to_dict("records"):
        base, label = f"{book.slug}/arms/{s['arm']}", s["arm_label"]
        weeks = number_range(s["cycle_weeks_min"], s["cycle_weeks_max"])
        book.add(
            Value(
                f"{base}/cycle_weeks",
                f"{label}: cycle length",
                f"{weeks} weeks",
                [s["cycle_weeks_min"], s["cycle_weeks_max"]],
                "reported",
                s["cycle_source"],
                file=file,
            )
        )
        book.add(
            Value(
                f"{base}/cycle_days",
                f"{label}: cycle length in days",
                f"{number_range(s['cycle_days_min'], s['cycle_days_max'])} days",
                [s["cycle_days_min"], s["cycle_days_max"]],
                "derived",
                s["cycle_source"],
                f"{weeks} {s['cycle_days_how']}",
                file=file,
            )
        )
        doses = results.dosing[results.dosing["arm"] == s["arm"]]
        book.add(
            Value(
                f"{base}/doses_per_cycle",
                f"{label}: doses per cycle",
                str(s["doses_per_cycle"]),
                s["doses_per_cycle"],
                "derived",
                None,
                f"days with a dose: {', '.join(str(d) for d in doses['day'])}",
                file=file,
            )
        )
        parts = " + ".join(
            dose_range(lo, hi, u)
            for lo, hi, u in zip(doses["dose_min"], doses["dose_max"], doses["unit"], strict=True)
        )
        book.add(
            Value(
                f"{base}/total_dose",
                f"{label}: total dose per cycle",
                dose_range(s["total_min"], s["total_max"], s["unit"] or ""),
                [s["total_min"], s["total_max"]],
                "derived",
                None,
                f"sum of the doses of one cycle: {parts}",
                file=file,
            )
        )
        for d in doses.to_dict("records"):
            book.add(
                Value(
                    f"{base}/day-{d['day']}/day",
                    f"{label}: day of cycle",
                    str(d["day"]),
                    d["day"],
                    "reported",
                    d["source"],
                    file=file,
                )
            )
            book.add(
                Value(
                    f"{base}/day-{d['day']}/dose",
                    f"{label}: dose on day {d['day']}",
                    dose_range(d["dose_min"], d["dose_max"], d["unit"]),
                    [d["dose_min"], d["dose_max"]],
                    "reported",
                    d["source"],
                    file=file,
                )
            )


def _denominator_source(results: StudyResults, record: dict) -> str:
    """The sentence that prints a row's denominator: its own, else that of an analysis set of its arm
    (or of all patients) of that size."""
    denominator = record["denominator"]
    if denominator is None or re.search(rf"\b{int(denominator)}\b", record["source"]):
        return record["source"]
    sets = results.sets[(results.sets["arm"] == record["arm"]) & (results.sets["n"] == int(denominator))]
    return sets["source"].iloc[0] if len(sets) else record["source"]


def _effect_values(book: ValueBook, table: str, r: dict, fmt: NumberFormat, file: str) -> None:
    """An effect as printed (estimate, interval with its level, P value) and the P value its interval
    implies, computed."""
    base = f"{book.slug}/{row_key(table, r)}"
    label = f"{r['label']}: {r['arm_label']} vs {r['reference_label']}"
    where = {"file": file, "line": r["line"]}
    measure = r["measure"].replace("_", " ")
    if r["estimate"] is not None:
        text = reported_number(r["estimate"])
        book.add(
            Value(
                f"{base}/estimate",
                f"{label}: {measure}",
                text,
                float(r["estimate"]),
                "reported",
                r["source"],
                **where,
            )
        )
    if r["ci_low"] is not None:
        level = f"{reported_number(r['ci_level'])}% " if r["ci_level"] else ""
        text = f"{reported_number(r['ci_low'])} to {reported_number(r['ci_high'])}"
        numbers = [float(r["ci_low"]), float(r["ci_high"])]
        book.add(Value(f"{base}/ci", f"{label}: {level}CI", text, numbers, "reported", r["source"], **where))
    if r["p_value"]:
        printed = parse_p_value(r["p_value"])
        book.add(
            Value(
                f"{base}/p",
                f"{label}: P value",
                printed.printed,
                float(printed.value),
                "reported",
                r["source"],
                **where,
            )
        )
    if r["implied_p"] is not None and not pd.isna(r["implied_p"]):
        how = (
            f"two-sided P implied by the {measure} {reported_number(r['estimate'])} and its interval "
            f"{reported_number(r['ci_low'])} to {reported_number(r['ci_high'])} (Altman and Bland): "
            f"{r['implied_p']:.4f}"
        )
        text = p_value(r["implied_p"])
        book.add(
            Value(
                f"{base}/implied_p",
                f"{label}: P implied by the interval",
                text,
                r["implied_p"],
                "computed",
                None,
                how,
                **where,
            )
        )


def _proportion_values(book: ValueBook, table: str, r: dict, fmt: NumberFormat, file: str) -> None:
    base = f"{book.slug}/{row_key(table, r)}"
    label = f"{r['label']}, {r['arm_label']}" + (f" (grade {r['grade']})" if r.get("grade") else "")
    line = r["line"]
    if r["count"] is not None and not pd.isna(r["count"]):
        kind: Kind = "derived" if r["status"] == "derived" else "reported"
        book.add(
            Value(
                f"{base}/count",
                f"{label}: patients",
                str(int(r["count"])),
                int(r["count"]),
                kind,
                r["source"],
                r["how"],
                file,
                line,
            )
        )
    if r["denominator"] is not None:
        book.add(
            Value(
                f"{base}/denominator",
                f"{label}: of",
                str(int(r["denominator"])),
                int(r["denominator"]),
                "reported",
                r["denominator_source"],
                file=file,
                line=line,
            )
        )
    if r["percent"] is not None:
        book.add(
            Value(
                f"{base}/percent",
                f"{label}: percentage as reported",
                f"{reported_number(r['percent'])}%",
                float(r["percent"]),
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )
    if r["estimate"] is not None:
        n_of = count_of(r["count"], r["denominator"])
        book.add(
            Value(
                f"{base}/estimate",
                f"{label}: percentage",
                fmt.percent(r["estimate"]),
                round(float(r["estimate"]) * 100, 6),
                "computed",
                r["source"],
                f"{n_of} × 100",
                file,
                line,
            )
        )
        book.add(
            Value(
                f"{base}/ci",
                f"{label}: {fmt.ci_name}",
                fmt.interval(r["ci_low"], r["ci_high"]),
                [round(float(r["ci_low"]) * 100, 6), round(float(r["ci_high"]) * 100, 6)],
                "computed",
                r["source"],
                f"{fmt.ci_name} of {n_of}, {fmt.ci_method_name}",
                file,
                line,
            )
        )
    if r.get("reported_ci_low") is not None and not pd.isna(r["reported_ci_low"]):
        level = f"{reported_number(r['ci_level'])}% " if r["ci_level"] else ""
        book.add(
            Value(
                f"{base}/reported_ci",
                f"{label}: {level}CI as reported",
                f"{reported_number(r['reported_ci_low'])}% to {reported_number(r['reported_ci_high'])}%",
                [float(r["reported_ci_low"]), float(r["reported_ci_high"])],
                "reported",
                r["source"],
                file=file,
                line=line,
            )
        )


def _measure_values(book: ValueBook, table: str, r: dict, file: str) -> None:
    label = " · ".join(str(p) for p in (r["label"], r["arm_label"], r.get("subgroup")) if p)
    value = r["value"]
    book.add(
        Value(
            f"{book.slug}/{row_key(table, r)}/value",
            label,
            with_unit(value, r["unit"]),
            float(value) if isinstance(value, Decimal) else None,
            "reported",
            r["source"],
            file=file,
            line=r["line"],
        )
    )
    if r.get("ci_low") is not None and not pd.isna(r["ci_low"]):
        level = f"{reported_number(r['ci_level'])}% " if r["ci_level"] else ""
        low = r["ci_low"] if isinstance(r["ci_low"], str) else reported_number(r["ci_low"])
        text = f"{low} to {with_unit(r['ci_high'], r['unit'])}"
        book.add(
            Value(
                f"{book.slug}/{row_key(table, r)}/ci",
                f"{label}: {level}CI",
                text,
                [None if isinstance(b, str) else float(b) for b in (r["ci_low"], r["ci_high"])],
                "reported",
                r["source"],
                file=file,
                line=r["line"],
            )
        )


def _comparison_values(book: ValueBook, c: dict, fmt: NumberFormat) -> None:
    key = c.get("key") or f"{c['outcome']}/{c['arm']}-vs-{c['reference']}"
    base = f"{book.slug}/comparison/{c['table']}/{key}"
    qualified = key.count("/") > 1  # the subgroup, grade or set tells it apart from another comparison
    alike = [str(c[name]) for name in ("subgroup", "grade", "set") if qualified and c.get(name)]
    grouped = f" ({', '.join(alike)})" if alike else ""
    label = f"{c['label']}{grouped}: {c['arm_label']} vs {c['reference_label']}"
    inputs = f"{c['arm_label']} minus {c['reference_label']}, from the n/N of each"
    book.add(
        Value(
            f"{base}/difference",
            f"{label}, difference",
            fmt.points(c["difference"]),
            round(c["difference"] * 100, 6),
            "computed",
            None,
            inputs,
        )
    )
    book.add(
        Value(
            f"{base}/ci",
            f"{label}, {fmt.ci_name} of the difference",
            fmt.interval(c["ci_low"], c["ci_high"], signed=True),
            [round(c["ci_low"] * 100, 6), round(c["ci_high"] * 100, 6)],
            "computed",
            None,
            f"{fmt.ci_name}, {fmt.difference_method_name} method",
        )
    )
    book.add(
        Value(
            f"{base}/fisher_p",
            f"{label}, Fisher's exact test",
            p_value(c["fisher_p"]),
            round(c["fisher_p"], 6),
            "computed",
            None,
            "Fisher's exact test, two-sided, on the 2×2 table",
        )
    )


@dataclass(frozen=True)
class Highlight:
    """A stretch of the abstract that one or more figures quote."""

    start: int
    end: int
    anchor: str
    value_ids: tuple[str, ...]


@dataclass
class QuoteIndex:
    """Where each quoted sentence sits in the abstract, as highlights with anchors (q-1, q-2, ...)."""

    sections: list[tuple[str, str]]
    highlights: list[list[Highlight]]
    anchor_of: dict[str, str]

    @classmethod
    def build(cls, sections: list[tuple[str, str]], book: ValueBook) -> QuoteIndex:
        texts = [(heading, normalise_space(text)) for heading, text in sections]
        spans: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        for value in book.values.values():
            if not value.quote:
                continue
            quote = normalise_space(value.quote)
            for index, (_, text) in enumerate(texts):
                start = text.find(quote)
                if start >= 0:
                    spans[index].append((start, start + len(quote), value.id))
                    break
        highlights, anchor_of, counter = [], {}, 0
        for section_spans in spans:
            merged: list[Highlight] = []
            for start, end, value_id in sorted(section_spans):
                if merged and start < merged[-1].end:
                    last = merged[-1]
                    merged[-1] = Highlight(
                        last.start, max(last.end, end), last.anchor, (*last.value_ids, value_id)
                    )
                else:
                    counter += 1
                    merged.append(Highlight(start, end, f"q-{counter}", (value_id,)))
            for highlight in merged:
                anchor_of.update(dict.fromkeys(highlight.value_ids, highlight.anchor))
            highlights.append(merged)
        return cls(texts, highlights, anchor_of)


def shown_on(anchor: str, pages: list[tuple[str, str]]) -> str:
    """What follows a quoted passage on the source page: one small control leading to the pages that
    show its figures (Markdown with inline HTML; `pages` are (title, link) pairs, titles unescaped).

    A link named after the page when one page shows them; else a button that opens the list of the
    pages (an HTML popover: keyboard, touch and Escape work without a script). The control is kept
    out of the search index, so a search for a page's name does not find every passage it shows.
    """
    if not pages:
        return ""
    hidden = '<span class="ev-sr-only">shown on </span>'
    arrow = '<span aria-hidden="true">↩</span>'
    links = [f"[{escape_markdown(title)}]({href})" for title, href in pages]
    if len(links) == 1:
        ((title, href),) = pages
        inner = f"[{arrow} {hidden}{escape_markdown(title)}]({href})"
    else:
        popover = f"shown-{anchor}"
        inner = (
            f'<button type="button" class="ev-shown-on-button" popovertarget="{popover}">'
            f"{arrow} {hidden}{len(links)} pages</button>"
            f'<span id="{popover}" class="ev-shown-on-list" popover>Shown on: {", ".join(links)}</span>'
        )
    return f'<small class="ev-shown-on" data-search-exclude="true">{inner}</small>'
