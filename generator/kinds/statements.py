"""Statements: a comparison the source states in words only, such as an adverse event more frequent
with one arm than another. Shown and downloaded as printed; nothing is computed from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from generator.analysis import with_arm_labels
from generator.columns import TEXT, Column
from generator.config import StatisticsSettings
from generator.kinds.base import Download, Kind, column_names
from generator.model import StatementRow

if TYPE_CHECKING:
    from generator.load import Study


class Statements(Kind):
    name = "statements"
    row = StatementRow
    columns = ("event", "arm", "reference_arm", "direction", "status", "source")
    title = "Statements"
    description = "A comparison the source states in words only."
    help: ClassVar[Mapping[str, str]] = {
        "event": "What is compared, such as an adverse event.",
        "arm": "An arm id of study.yml.",
        "reference_arm": "The arm id it is compared with.",
        "direction": "How the arm compares with the reference arm.",
        "source": "The sentence of a source the row is read from, word for word.",
    }
    template = "kinds/statements.md.j2"
    download = Download(column_names("study registry_id doi event arm reference_arm direction status source"))
    new_columns: ClassVar[tuple[Column, ...]] = (
        Column("event", "The event the source compares in words.", TEXT),
        Column(
            "direction", "The finding as the source states it.", TEXT, "less frequent; more frequent; similar"
        ),
    )
    example = (
        "adverse_events",
        [
            {
                "event": "Nausea",
                "arm": "drug-a",
                "reference_arm": "placebo",
                "direction": "more frequent",
                "status": "reported",
                "source": "Nausea was more frequent with drug A than with placebo",
            }
        ],
    )

    def analyse(
        self, study: Study, tables: dict[str, pd.DataFrame], settings: StatisticsSettings
    ) -> dict[str, pd.DataFrame]:
        """As loaded, with the labels of both arms."""
        frames = {}
        for name, table in tables.items():
            frame = with_arm_labels(table, study)
            frame["reference_label"] = frame["reference_arm"].map(study.arm_label)
            frames[name] = frame
        return frames


KIND = Statements()
