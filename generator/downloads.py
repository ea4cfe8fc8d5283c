"""Files a reader downloads: the data behind each table and chart, a study's tables as one zip,
its citation for reference managers, and the site-wide index of every figure with its provenance."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

from generator.analysis import StudyResults
from generator.audit import AuditReport
from generator.charts import Chart
from generator.citation import to_bibtex, to_csl_json, to_ris
from generator.figures import FigureLinks
from generator.text import csv_cell

VALUES_INDEX = "data/values.json"
"""The stable path of the machine-readable index of every figure on the site."""

PROPORTION_COLUMNS = [
    "outcome",
    "label",
    "arm",
    "count",
    "denominator",
    "percent",
    "status",
    "derivation",
    "how",
    "estimate",
    "ci_low",
    "ci_high",
    "source",
]


def table_csvs(result: StudyResults) -> dict[str, bytes]:
    """Each outcome table as the site computed it, by file name."""
    files = {f"{name}.csv": to_csv(frame[PROPORTION_COLUMNS]) for name, frame in result.proportions.items()}
    for name, frame in result.measures.items():
        files[f"{name}.csv"] = to_csv(frame.drop(columns=["line", "arm_label"]))
    for name, frame in result.effects.items():
        files[f"{name}.csv"] = to_csv(frame.drop(columns=["line", "arm_label", "reference_label"]))
    for name, frame in result.findings.items():
        files[f"{name}.csv"] = to_csv(frame.drop(columns=["line", "arm_label", "reference_label"]))
    if not result.comparisons.empty:
        files["comparisons.csv"] = to_csv(result.comparisons.drop(columns=["arm_label", "reference_label"]))
    files["sets.csv"] = to_csv(result.sets.drop(columns=["arm_label"]))
    if not result.schedules.empty:
        files["dosing.csv"] = to_csv(result.dosing.drop(columns=["arm_label"]))
        files["schedules.csv"] = to_csv(result.schedules.drop(columns=["arm_label"]))
    return files


def audit_csv(audit: AuditReport) -> bytes:
    """The audit's checks, one row each, with the percentages reported without a count."""
    checks = pd.DataFrame(
        [
            {
                "check": c.id,
                "rule": c.rule,
                "subject": c.subject,
                "inputs": c.inputs,
                "expected": c.expected,
                "result": c.status,
                "known_reason": c.known,
                "file": c.file,
                "line": c.line,
            }
            for c in audit.checks
        ]
        + [
            {
                "check": f"{i.id}/implied-counts",
                "rule": "implied-counts",
                "subject": i.subject,
                "inputs": f"{i.percent}%",
                "expected": i.constraints,
                "result": i.summary,
                "known_reason": None,
                "file": i.file,
                "line": i.line,
            }
            for i in audit.implied
        ]
    )
    return to_csv(checks)


def study_downloads(
    folder: str, result: StudyResults, audit: AuditReport, charts: dict[str, Chart]
) -> dict[str, bytes]:
    """Every download of one study, by path relative to the docs folder."""
    slug, citation = result.study.slug, result.study.meta.citation
    tables = table_csvs(result)
    tables["audit.csv"] = audit_csv(audit)
    files = {f"{folder}/data/{name}": data for name, data in tables.items()}
    files.update({f"{folder}/data/chart-{key}.csv": to_csv(chart.data) for key, chart in charts.items()})
    files[f"{folder}/data/{slug}-tables.zip"] = zip_files({f"{slug}/{n}": d for n, d in tables.items()})
    files[f"{folder}/cite/{slug}.bib"] = to_bibtex(citation, slug).encode()
    files[f"{folder}/cite/{slug}.ris"] = to_ris(citation).encode()
    files[f"{folder}/cite/{slug}.json"] = to_csl_json(citation, slug).encode()
    return files


def published_values(link: FigureLinks) -> list[dict]:
    """Every figure of one study with its provenance and (once pages are rendered) where it is shown."""
    return [
        {
            **value.as_json(),
            "study": link.book.slug,
            "shown_on": sorted({use.page for use in link.uses.get(value.id, [])}),
        }
        for value in link.book.values.values()
    ]


def values_index(values: list[dict], site: dict) -> bytes:
    """The manifest of the build: its identity and every figure it published, as JSON."""
    return (json.dumps({**site, "values": values}, indent=1, ensure_ascii=False) + "\n").encode()


def zip_files(files: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps, so the same tables always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # readable by all when unzipped
            archive.writestr(info, files[name])
    return buffer.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """The one CSV writer: every text cell through `csv_cell`, so no spreadsheet runs it.

    Lines end in CRLF (RFC 4180), so that a cell holding either line break is quoted and stays one cell.
    """
    frame = frame.infer_objects()  # floats held in object columns get the float format below
    text = frame.select_dtypes(include=["object", "string"]).columns
    frame = frame.assign(**{name: frame[name].map(csv_cell) for name in text})
    # with a byte-order mark, so that a spreadsheet reads it as UTF-8 (curly quotes, ≥, µ stay as printed)
    return frame.to_csv(index=False, lineterminator="\r\n", float_format="%.6g").encode("utf-8-sig")
