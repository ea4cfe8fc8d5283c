"""Participant flow: each arm's patients through its analysis sets, drawn as a CONSORT-style diagram.

The boxes are each arm's analysis sets (study.yml `arms[].sets`) in the order study.yml declares them
(randomized, treated, evaluable, ...): every study has its flow without a table of its own
(`Flow.implied`). Between two consecutive sets where the later is not larger, the patients who left
are derived (271 − 267 = 4). Where a set is larger than the one before it (sets need not nest), no
one is said to have left. A table of this kind gives the reasons patients left after a set, as
printed; the audit checks that a gap's reasons add up to no more than the patients who left.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd
from pydantic import Field, NonNegativeInt

from generator.analysis import StudyResults
from generator.audit import Check, ImpliedCounts
from generator.columns import PATIENTS, TEXT, Column
from generator.config import StatisticsSettings
from generator.errors import Problem
from generator.formatting import NumberFormat
from generator.frames import records
from generator.kinds.base import Download, Kind, column_names, table_file
from generator.model import ALL_PATIENTS, DESIGN_PAGE, KEY, Arm, Strict, slugify
from generator.text import in_sentence
from generator.values import FigureField, Value, ValueBook

if TYPE_CHECKING:
    from generator.load import Study


class FlowRow(Strict):
    """A row of a participant-flow table: patients who left an arm after one of its analysis sets, for
    one reason, as the source prints it."""

    arm: str = Field(description="An arm id of study.yml.")
    after_set: str = Field(
        pattern=KEY.pattern,
        description="The arm's analysis set the patients left after (not its last set).",
    )
    reason: str = Field(min_length=1, description="Why they left, as printed, such as Withdrew consent.")
    count: NonNegativeInt = Field(description="Patients who left for this reason.")
    status: Literal["reported"] = Field(description="Reasons are always reported.")
    source: str = Field(description="The sentence or table row of a source that gives it, word for word.")


FLOW_TABLE = "flow"
"""The name of the flow a study has without a table of this kind (its download: flow.csv)."""

STEPS = ("set", "left", "reason", "no_reason")
"""What a row of the computed flow is: an analysis set (a box), the patients who left after it, one
reason they left for, and those of them without a reason given."""

FRAME_COLUMNS = [
    "arm",
    "arm_label",
    "step",
    "set",
    "set_label",
    "after_set",
    "next_set",
    "next_label",
    "reason",
    "patients",
    "status",
    "how_derived",
    "arithmetic",
    "source",
    "line",
    "value",
    "complete",
]


class Flow(Kind):
    name = "flow"
    row = FlowRow
    columns = ("arm", "after_set", "reason", "count", "status", "source")
    title = "Participant flow"
    description = (
        "Each arm's patients through its analysis sets (randomized, treated, ...): the patients who left "
        "between two sets (derived) and the reasons the source gives."
    )
    help: ClassVar[Mapping[str, str]] = {}
    template = "kinds/flow.md.j2"
    page = DESIGN_PAGE
    one_table = True
    download = Download(
        column_names(
            "study registry_id doi arm step set set_label after_set reason patients status how_derived source"
        )
    )
    new_columns: ClassVar[tuple[Column, ...]] = (
        Column(
            "step",
            "What the row of the flow is: an analysis set (set), the patients who left after it (left), one "
            "reason they left for (reason), or those without a reason given (no_reason).",
            TEXT,
            "; ".join(STEPS),
        ),
        Column("after_set", "The analysis set the patients left after.", TEXT),
        Column("reason", "Why the patients left, as printed.", TEXT),
        Column(
            "patients",
            "Patients of the row: in the analysis set, who left after it, or who left for the reason.",
            PATIENTS,
        ),
        Column("how_derived", "How a derived figure is worked out from reported ones.", TEXT),
    )
    rules: ClassVar[Mapping[str, str]] = {
        "flow-reasons-within-gap": (
            "The reasons given for patients leaving an arm between two analysis sets add up to no more "
            "than the patients who left (the earlier set's patients minus the later set's)."
        ),
    }
    audit_rank = 5
    example = ("flow", [])
    """A header only: a reason needs an arm with two analysis sets, and the example study's arms have
    one each. The example study shows its flow all the same (`implied`)."""

    # Loading

    def implied(self, study: Study) -> dict[str, pd.DataFrame]:
        """The flow of the analysis sets alone (no reasons), for a study without a table of this kind."""
        if any(table.kind is self for table in study.tables.values()):
            return {}
        return {FLOW_TABLE: pd.DataFrame([], columns=[*self.row.model_fields, "line"], dtype=object)}

    def check_rows(self, study: Study, path: Path, table: pd.DataFrame) -> list[Problem]:
        """Each reason names an arm (not a group or all patients), one of its sets that is followed by a
        set no larger, and is given once."""
        arms = {arm.id: arm for arm in study.meta.arms}
        groups = {group.id for group in study.meta.groups}
        problems: list[Problem] = []
        seen: dict[tuple[str, str, str], int] = {}
        for record in records(table):
            line = record["line"]
            arm = arms.get(record["arm"])
            if arm is None:  # a name of no arm or group at all is reported with every table's checks
                if record["arm"] == ALL_PATIENTS or record["arm"] in groups:
                    message = (
                        f"{record['arm']!r} is not an arm: patients leave an arm's analysis sets; expected "
                        f"one of {', '.join(arms)}"
                    )
                    problems.append(Problem(path, message, line=line, field="arm"))
                continue
            sets = [s.id for s in arm.sets]
            after = record["after_set"]
            if after not in sets[:-1]:
                where = "its last" if sets and after == sets[-1] else "not one of its"
                message = (
                    f"analysis set {after!r} is {where} analysis sets for arm {arm.id!r}; a reason names "
                    f"the set patients left after, one of {', '.join(sets[:-1]) or 'none (one set)'}"
                )
                problems.append(Problem(path, message, line=line, field="after_set"))
                continue
            index = sets.index(after)
            before, then = arm.sets[index], arm.sets[index + 1]
            if then.n > before.n:
                message = (
                    f"the set after {after!r} ({then.id}, {then.n}) is larger than it ({before.n}) for arm "
                    f"{arm.id!r}: no patients are counted as leaving between them"
                )
                problems.append(Problem(path, message, line=line, field="after_set"))
            key = (arm.id, after, slugify(record["reason"]))
            first = seen.setdefault(key, line)
            if first != line:
                message = (
                    f"reason {record['reason']!r} after {after!r} for arm {arm.id!r} is also on line "
                    f"{first}; keep one"
                )
                problems.append(Problem(path, message, line=line, field="reason"))
        return problems

    # Analysis

    def analyse(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """Each table as the flow of every arm: its sets in order, and between two of them the patients
        who left (derived), with the reasons the table gives."""
        return {name: flow_frame(study.meta.arms, name, table) for name, table in tables.items()}

    # Figures

    def add_values(
        self, book: ValueBook, table: str, frame: pd.DataFrame, results: StudyResults, fmt: NumberFormat
    ) -> None:
        """The patients who left between two sets (derived), each reason (reported) and those without
        a reason (derived). The sets' own patients are the study's (`sets/<arm>/<set>`)."""
        folder = results.study.published_folder
        for r in records(frame):
            if r["step"] == "set":
                continue
            if r["step"] == "left":
                label = f"{r['arm_label']}: left after {in_sentence(r['set_label'])}"
            elif r["step"] == "reason":
                label = f"{r['arm_label']}: left after {in_sentence(r['set_label'])}, {r['reason']}"
            else:
                label = f"{r['arm_label']}: left after {in_sentence(r['set_label'])}, no reason given"
            reported = r["status"] == "reported"
            book.add(
                Value(
                    f"{book.slug}/{r['value']}",
                    label,
                    str(r["patients"]),
                    r["patients"],
                    "reported" if reported else "derived",
                    r["source"] if reported else None,
                    None if reported else r["how_derived"],
                    file=table_file(results, table) if reported else f"{folder}/study.yml",
                    line=int(r["line"]) if reported else None,
                )
            )

    # The audit

    def audit(
        self, table: str, frame: pd.DataFrame, results: StudyResults, file: str
    ) -> tuple[list[Check], list[ImpliedCounts]]:
        """For each gap with reasons: the reasons add up to no more than the patients who left."""
        checks = []
        for r in records(frame[frame["step"] == "left"]):
            reasons = frame[
                (frame["step"] == "reason")
                & (frame["arm"] == r["arm"])
                & (frame["after_set"] == r["after_set"])
            ]
            if reasons.empty:
                continue
            counts = [int(n) for n in reasons["patients"]]
            total, terms = sum(counts), " + ".join(str(n) for n in counts)
            checks.append(
                Check(
                    f"{results.study.slug}/{table}/{r['arm']}/{r['after_set']}/reasons",
                    "flow-reasons-within-gap",
                    f"{r['arm_label']}: left after {in_sentence(r['set_label'])}",
                    f"reasons {terms} = {total}; left {r['how_derived']}",
                    f"at most the {r['patients']} who left",
                    total <= int(r["patients"]),
                    file,
                    int(reasons["line"].iloc[0]),
                    data=f"reasons {terms}; {r['patients']} left ({r['how_derived']})",
                    computed=f"adds {terms} = {total}",
                )
            )
        return checks, []


def flow_frame(arms: list[Arm], table: str, reasons: pd.DataFrame) -> pd.DataFrame:
    """The flow of every arm, one row a step (`STEPS`), in reading order."""
    rows: list[dict[str, Any]] = []
    given: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in records(reasons)]
    for arm in arms:
        base = {"arm": arm.id, "arm_label": arm.label}
        for index, analysis_set in enumerate(arm.sets):
            rows.append(
                {
                    **base,
                    "step": "set",
                    "set": analysis_set.id,
                    "set_label": analysis_set.name,
                    "patients": analysis_set.n,
                    "status": "reported",
                    "source": analysis_set.source,
                    "value": f"sets/{arm.id}/{analysis_set.id}",
                }
            )
            if index + 1 < len(arm.sets):
                rows += _gap(
                    arm,
                    index,
                    table,
                    [g for g in given if (g["arm"], g["after_set"]) == (arm.id, analysis_set.id)],
                )
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    return frame.astype(object).where(frame.notna(), None)


def _gap(arm: Arm, index: int, table: str, reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The patients who left between a set and the next (none when the next is larger), with reasons."""
    before, after = arm.sets[index], arm.sets[index + 1]
    if after.n > before.n:
        return []
    left = before.n - after.n
    arithmetic = f"{before.n} − {after.n} = {left}"
    key = f"{table}/{arm.id}/{before.id}"
    given = sum(int(r["count"]) for r in reasons)
    common = {
        "arm": arm.id,
        "arm_label": arm.label,
        "set": before.id,
        "set_label": before.name,
        "after_set": before.id,
        "next_set": after.id,
        "next_label": after.name,
    }
    rows: list[dict[str, Any]] = [
        {
            **common,
            "step": "left",
            "patients": left,
            "status": "derived",
            "how_derived": f"{arithmetic} ({in_sentence(before.name)} minus {in_sentence(after.name)})",
            "arithmetic": arithmetic,
            "value": f"{key}/{FigureField.COUNT}",
            "complete": bool(reasons) and given == left,
        }
    ]
    for r in reasons:
        rows.append(
            {
                **common,
                "step": "reason",
                "reason": r["reason"],
                "patients": int(r["count"]),
                "status": "reported",
                "source": r["source"],
                "line": int(r["line"]),
                "value": f"{key}/reason-{slugify(r['reason'])}/{FigureField.COUNT}",
            }
        )
    if reasons and given < left:
        counts = " − ".join(str(n) for n in [left, *(int(r["count"]) for r in reasons)])
        rows.append(
            {
                **common,
                "step": "no_reason",
                "patients": left - given,
                "status": "derived",
                "how_derived": f"{counts} = {left - given} (left minus those with a reason given)",
                "value": f"{key}/no-reason/{FigureField.COUNT}",
            }
        )
    return rows


KIND = Flow()
