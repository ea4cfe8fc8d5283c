"""Every figure the site shows, as a Value that knows where it comes from.

A Value is reported (printed in the source: it carries the sentence), derived (worked out from
reported figures: it says how) or computed (a percentage, interval or test the site calculates).
`collect_values` turns a study's results into its book of Values; the pages show figures only
through it, the audit page lists it, and the site publishes it as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from generator.analysis import StudyResults
from generator.audit import printed_in
from generator.formatting import NumberFormat, dose_range, number_range
from generator.frames import records
from generator.load import normalise_space
from generator.model import TABLE_CELL_SEPARATOR, SourceDocument
from generator.text import escape_markdown, in_sentence
from generator.values import FigureField as F
from generator.values import Value, ValueBook, check_provenance


def collect_values(results: StudyResults, fmt: NumberFormat) -> ValueBook:
    """Every figure of one study, reported, derived or computed; each must say where it comes from.

    The study's own (analysis sets, dosing), then each table's by its kind, then what the kinds
    compute across their tables."""
    study = results.study
    book = ValueBook(study.slug)
    folder = study.published_folder
    _set_values(book, results, folder)
    _arm_values(book, results, folder)
    for kind in study.kinds:
        for table, frame in results.tables[kind.name].items():
            kind.add_values(book, table, frame, results, fmt)
    for kind in study.kinds:
        kind.add_computed_values(book, results, fmt)
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
    arms = results.study.meta.arms
    for s in records(results.sets):
        quote = s["source"] if isinstance(s["source"], str) and s["source"] else None
        parts = " + ".join(f"{arm.set_size(s['set'])} ({arm.label})" for arm in arms)
        how = f"the sum of the arms' patients in this set, which the source does not total: {parts}"
        book.add(
            Value(
                f"{book.slug}/sets/{s['arm']}/{s['set']}",
                f"{s['arm_label']}: {in_sentence(s['set_label'])}",
                str(s["n"]),
                s["n"],
                "reported" if quote else "derived",
                quote,
                None if quote else how,
                file=f"{folder}/study.yml",
            )
        )


def _arm_values(book: ValueBook, results: StudyResults, folder: str) -> None:
    """Each arm's dosing, where the source gives it: cycle, doses by day, and what follows from them."""
    file = f"{folder}/study.yml"
    for s in records(results.schedules):
        base, label = f"{book.slug}/arms/{s['arm']}", s["arm_label"]
        weeks = number_range(s["cycle_weeks_min"], s["cycle_weeks_max"])
        book.add(
            Value(
                f"{base}/{F.CYCLE_WEEKS}",
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
                f"{base}/{F.CYCLE_DAYS}",
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
                f"{base}/{F.DOSES_PER_CYCLE}",
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
                f"{base}/{F.TOTAL_DOSE}",
                f"{label}: total dose per cycle",
                dose_range(s["total_min"], s["total_max"], s["unit"] or ""),
                [s["total_min"], s["total_max"]],
                "derived",
                None,
                f"sum of the doses of one cycle: {parts}",
                file=file,
            )
        )
        for d in records(doses):
            book.add(
                Value(
                    f"{base}/day-{d['day']}/{F.DAY}",
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
                    f"{base}/day-{d['day']}/{F.DOSE}",
                    f"{label}: dose on day {d['day']}",
                    dose_range(d["dose_min"], d["dose_max"], d["unit"]),
                    [d["dose_min"], d["dose_max"]],
                    "reported",
                    d["source"],
                    file=file,
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
