"""The content model: what a study folder holds, declared as schemas.

A study is a folder `content/studies/<slug>/` with `study.yml` (described by `StudyFile`) and
optional CSV tables, each described by a row schema below. Counts are "reported" when the source
prints them and "derived" when the generator works them out from reported figures (`derivation`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY = re.compile(r"^[a-z0-9_]+$")
ALL_PATIENTS = "all"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Author(Strict):
    family: str
    given: str


class Citation(Strict):
    title: str
    authors: list[Author] = Field(min_length=1)
    journal: str
    date: dt.date = Field(description="Date of the issue.")
    epub_date: dt.date | None = None
    volume: str
    issue: str
    pages: str
    doi: str = Field(pattern=r"^10\.\d{4,9}/\S+$")
    pmid: str = Field(pattern=r"^\d+$")
    publication_types: list[str] = []
    keywords: list[str] = []
    mesh_terms: list[str] = []
    substances: list[str] = []


class AbstractSection(Strict):
    heading: str
    text: str


class Design(Strict):
    summary: str
    source: str = Field(description="Sentence of the source the design is read from.")


class Population(Strict):
    description: str
    description_source: str
    treated: NonNegativeInt
    treated_source: str


class WeekRange(Strict):
    min: float = Field(gt=0)
    max: float = Field(gt=0)

    @model_validator(mode="after")
    def _range_in_order(self) -> WeekRange:
        if self.max < self.min:
            raise ValueError(f"max must be at least min; found min {self.min:g}, max {self.max:g}")
        return self


class Dose(Strict):
    day: int = Field(ge=1, description="Day within the cycle.")
    dose_min: float = Field(gt=0)
    dose_max: float = Field(gt=0)
    unit: str
    source: str

    @model_validator(mode="after")
    def _range_in_order(self) -> Dose:
        if self.dose_max < self.dose_min:
            raise ValueError("dose_max must be at least dose_min")
        return self


class Arm(Strict):
    id: str = Field(pattern=SLUG.pattern, description="Lowercase letters, digits and hyphens.")
    label: str
    n: NonNegativeInt
    n_source: str
    route: str
    cycle_weeks: WeekRange
    cycle_source: str
    doses: list[Dose] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == ALL_PATIENTS:
            raise ValueError(f"'{ALL_PATIENTS}' is reserved for rows about every patient")
        return value


class KnownDiscrepancy(Strict):
    """An audit check the source itself fails, kept with the reason it is accepted."""

    check: str = Field(description="The id of the audit check, as the audit page lists it.")
    reason: str


class StudyFile(Strict):
    """`study.yml`: what describes one study."""

    short_title: str
    citation: Citation
    abstract: list[AbstractSection] = Field(min_length=1)
    design: Design
    population: Population
    arms: list[Arm] = Field(min_length=1)
    headline: list[str] = Field(
        default=[], description="Results shown as cards on the overview, as table:outcome@arm."
    )
    known_discrepancies: list[KnownDiscrepancy] = Field(
        default=[], description="Audit checks that fail in the source itself, each with its reason."
    )

    @field_validator("arms")
    @classmethod
    def _unique_arm_ids(cls, arms: list[Arm]) -> list[Arm]:
        repeated = sorted(i for i, count in Counter(arm.id for arm in arms).items() if count > 1)
        if repeated:
            raise ValueError(f"arm ids must differ; repeated: {', '.join(repeated)}")
        return arms


class ProportionRow(Strict):
    """A row of a proportion table (population, responses, transplant): count of denominator."""

    outcome: str = Field(pattern=KEY.pattern)
    label: str
    arm: str
    count: NonNegativeInt | None = None
    denominator: PositiveInt | None = None
    percent: Decimal | None = Field(None, ge=0, le=100, description="Percentage as printed.")
    status: Literal["reported", "derived"] = Field(description="Whether the count is reported.")
    derivation: str | None = Field(
        None, description="How a derived count is worked out: from_percent, sum(a, b), complement(a)."
    )
    source: str

    @model_validator(mode="after")
    def _consistent(self) -> ProportionRow:
        if self.status == "reported" and self.derivation:
            raise ValueError("a reported row takes no derivation; set status to derived")
        if self.status == "derived":
            if not self.derivation:
                raise ValueError("a derived row needs a derivation")
            if self.count is not None:
                raise ValueError("a derived row leaves count empty: the generator works it out")
        if self.count is not None and self.denominator is not None and self.count > self.denominator:
            raise ValueError(f"count {self.count} is larger than its denominator {self.denominator}")
        return self


class MeasureRow(Strict):
    """A row of a measures table (survival): a reported value with its unit."""

    outcome: str = Field(pattern=KEY.pattern)
    label: str
    arm: str
    subgroup: str | None = None
    value: Decimal = Field(ge=0, description="The value as printed (5.0 stays 5.0).")
    unit: str
    status: Literal["reported"]
    source: str


class FindingRow(Strict):
    """A row of a findings table (adverse events): a comparison reported in words only."""

    event: str
    arm: str
    reference_arm: str
    direction: Literal["less frequent", "more frequent", "similar"]
    status: Literal["reported"] = Field(description="Findings in words are always reported.")
    source: str

    @model_validator(mode="after")
    def _two_arms(self) -> FindingRow:
        if self.arm == self.reference_arm:
            raise ValueError(
                f"arm and reference_arm are both {self.arm!r}: an arm compared with itself; "
                "expected two different arms"
            )
        return self


TABLE_SCHEMAS: dict[str, type[Strict]] = {
    "population": ProportionRow,
    "responses": ProportionRow,
    "survival": MeasureRow,
    "transplant": ProportionRow,
    "adverse_events": FindingRow,
}
"""The CSV tables a study folder may hold, by file stem, with the schema of their rows."""


DERIVATION = re.compile(r"^(?P<rule>from_percent|sum|complement)(?:\((?P<args>[^()]*)\))?$")


class Derivation(BaseModel):
    """A parsed derivation: `from_percent`, `sum(a, b, ...)` or `complement(a)`.

    `sum` and `complement` name other outcomes of the same table and arm; `complement(a)` is the
    row's denominator minus the count of `a`; `from_percent` is the one whole count of the
    denominator that rounds to the reported percent.
    """

    model_config = ConfigDict(frozen=True)
    rule: Literal["from_percent", "sum", "complement"]
    refs: tuple[str, ...] = ()


def parse_derivation(text: str) -> Derivation:
    """Parse a derivation; raise ValueError with the expected forms when it does not fit."""
    expected = "expected from_percent, sum(a, b, ...) or complement(a)"
    match = DERIVATION.match(text.strip())
    if not match:
        raise ValueError(f"cannot read derivation {text!r}; {expected}")
    rule = match["rule"]
    refs = tuple(r.strip() for r in (match["args"] or "").split(",") if r.strip())
    wanted = {"from_percent": (0, 0), "sum": (2, 99), "complement": (1, 1)}[rule]
    if not wanted[0] <= len(refs) <= wanted[1] or (rule != "from_percent" and match["args"] is None):
        raise ValueError(f"derivation {text!r} has the wrong number of outcomes; {expected}")
    return Derivation(rule=rule, refs=refs)


def slugify(text: str) -> str:
    """'Salvage 3 or later' -> 'salvage-3-or-later'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


HEADLINE = re.compile(
    r"^(?P<table>[a-z_]+):(?P<outcome>[a-z0-9_]+)@(?P<arm>[a-z0-9-]+)(?:/(?P<subgroup>.+))?$"
)
HEADLINE_TABLES = ("population", "responses", "survival", "transplant")


@dataclass(frozen=True)
class Headline:
    """A result named for the overview: `table:outcome@arm`, or `table:outcome@arm/subgroup`."""

    table: str
    outcome: str
    arm: str
    subgroup: str | None

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of `frame` this headline names (a row without subgroup when none is given)."""
        match = (frame["outcome"] == self.outcome) & (frame["arm"] == self.arm)
        if "subgroup" in frame:
            wanted = slugify(self.subgroup) if self.subgroup else ""
            match &= frame["subgroup"].map(lambda text: slugify(text or "")) == wanted
        return frame[match]


def parse_headline(text: str) -> Headline:
    match = HEADLINE.match(text.strip())
    if not match or match["table"] not in HEADLINE_TABLES:
        raise ValueError(
            f"cannot read headline {text!r}; expected table:outcome@arm or table:outcome@arm/subgroup, "
            f"the table one of {', '.join(HEADLINE_TABLES)}"
        )
    return Headline(match["table"], match["outcome"], match["arm"], match["subgroup"])
