"""The content model: what a study folder holds, declared as schemas.

A study is a folder `content/studies/<slug>/` with `study.yml` (described by `StudyFile`) and
optional CSV tables, each described by a row schema below. Counts are "reported" when the source
prints them and "derived" when the generator works them out from reported figures (`derivation`).
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeGuard, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    import pandas as pd

SLUG_TEXT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
"""A slug (a study's folder, an outcome's key, a page's name) as a regular expression to put in others."""
SLUG = re.compile(f"^{SLUG_TEXT}$")
MAX_SLUG_CHARS = 100
"""Longest study slug: it names a folder, a cache file and part of every page's address (a file name
holds at most 255 bytes, and a staging folder's name adds to it)."""
KEY = re.compile(r"^[a-z0-9_]+$")
ALL_PATIENTS = "all"

Better = Literal["lower", "higher"]
"""Which values of an outcome are good for patients: lower (deaths, adverse events) or higher (responses)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Author(Strict):
    family: str
    given: str


def _web_address(value: object) -> object:
    """An https or http address with a host, and no spaces, quotes or angle brackets."""
    if isinstance(value, str) and not re.fullmatch(
        r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s\"'<>`]*)?", value
    ):
        raise ValueError("expected an address starting https:// (or http://), with no spaces, quotes or <>")
    return value


WebAddress = Annotated[str, BeforeValidator(_web_address)]


PARTIAL_DATE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")


def _partial_date(value: object) -> str:
    """A date as precise as the source gives it: a YAML date, a year, or text YYYY, YYYY-MM, YYYY-MM-DD."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not PARTIAL_DATE.match(text):
        raise ValueError("expected a date as YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in text.split("-")]
    dt.date(parts[0], *(parts[1:] + [1, 1][len(parts) - 1 :]))  # a month or day that does not exist fails
    return text


PublicationDate = Annotated[str, BeforeValidator(_partial_date)]


class Citation(Strict):
    title: str
    authors: list[Author] = Field(min_length=1)
    authors_complete: bool = Field(
        True, description="False when only the first authors are listed: the reference then says et al."
    )
    journal: str
    date: PublicationDate = Field(
        description="Date of the issue, as precise as the source gives it: YYYY, YYYY-MM or YYYY-MM-DD."
    )
    epub_date: dt.date | None = None
    volume: str
    issue: str
    pages: str
    doi: str | None = Field(None, pattern=r"^10\.\d{4,9}/\S+$")
    pmid: str | None = Field(None, pattern=r"^\d+$")
    url: WebAddress | None = Field(
        None, description="The record's address, for a source with neither DOI nor PMID (an abstract book)."
    )
    notes: list[str] = Field(default=[], description="What a reader should know about this record.")
    publication_types: list[str] = []
    keywords: list[str] = []
    mesh_terms: list[str] = []
    substances: list[str] = []

    @model_validator(mode="after")
    def _identified(self) -> Citation:
        if not (self.doi or self.pmid or self.url):
            raise ValueError("a citation needs at least one of doi, pmid or url; found none")
        return self

    @property
    def address(self) -> str:
        """Where a reader finds the record: its DOI's address, else PubMed's, else its url."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return str(self.url)

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def month(self) -> int | None:
        return int(self.date[5:7]) if len(self.date) >= 7 else None

    @property
    def day(self) -> int | None:
        return int(self.date[8:10]) if len(self.date) == 10 else None

    @property
    def date_parts(self) -> list[int]:
        """[year, month, day] as far as known (CSL-JSON's date-parts)."""
        return [int(part) for part in self.date.split("-")]


class SourceSection(Strict):
    heading: str
    text: str


class SourceDocument(Strict):
    """A document the figures are quoted from: text in sections (an abstract, an excerpt), or a table.

    Quotes are found in its text: a section's sentences, or a table's rows, each read as its cells
    joined by ' | ' (a table row is a source just as a sentence is).
    """

    id: str = Field(pattern=SLUG.pattern, description="Lowercase letters, digits and hyphens.")
    title: str
    note: str | None = Field(None, description="What the document is, or what of it is left out.")
    sections: list[SourceSection] = Field(default=[], description="The text, for a text document.")
    header: list[str] = Field(default=[], description="The column headings, for a table.")
    rows: list[list[str]] = Field(default=[], description="The rows as printed, for a table.")

    @model_validator(mode="after")
    def _text_or_table(self) -> SourceDocument:
        if bool(self.sections) == bool(self.header or self.rows):
            raise ValueError("a source document has either sections (text) or header and rows (a table)")
        if self.header and not self.rows:
            raise ValueError("a table needs rows")
        ragged = [i for i, row in enumerate(self.rows) if len(row) != len(self.header)]
        if ragged:
            raise ValueError(
                f"every row of a table has one cell per column ({len(self.header)}); "
                f"rows {', '.join(str(i) for i in ragged)} do not"
            )
        return self

    @property
    def is_table(self) -> bool:
        return bool(self.header)

    def blocks(self) -> list[tuple[str, str]]:
        """(heading, text) of each quotable block: a section, or a table row as 'cell | cell'."""
        if not self.is_table:
            return [(section.heading, section.text) for section in self.sections]
        return [("", TABLE_CELL_SEPARATOR.join(row)) for row in [self.header, *self.rows]]


TABLE_CELL_SEPARATOR = " | "


class Registration(Strict):
    registry: str = Field(description="For example ClinicalTrials.gov.")
    id: str = Field(description="The study's number there, for example NCT01207388.")
    source: str | None = Field(None, description="The sentence of a source that gives it.")
    url: WebAddress | None = Field(
        None,
        description="The registry record's address: the citation when no source document prints the number.",
    )

    @model_validator(mode="after")
    def _cited(self) -> Registration:
        if not (self.source or self.url):
            raise ValueError("a registration needs a source (a sentence that gives it) or a url (its record)")
        return self


ALLOCATIONS = ("single-arm", "non-randomized", "randomized")


class Design(Strict):
    summary: str
    source: str = Field(description="Sentence of the source the design is read from.")
    allocation: Literal["single-arm", "non-randomized", "randomized"] = Field(
        description="How patients came to their arm: one arm, cohorts not randomized, or randomized."
    )
    ratio: str | None = Field(
        None, pattern=r"^\d+(:\d+)+$", description="The randomization ratio as printed, such as 2:1."
    )
    phase: str | None = Field(None, description="The phase as printed: 2, 3, 1/2.")
    masking: str | None = Field(None, description="open-label, single-blind, double-blind, ...")
    registrations: list[Registration] = []
    enrolment: str | None = Field(None, description="When patients were enrolled, as printed.")
    data_cutoff: dt.date | None = None

    @model_validator(mode="after")
    def _ratio_when_randomized(self) -> Design:
        if self.ratio and self.allocation != "randomized":
            raise ValueError(
                f"a ratio is given only for a randomized design; allocation is {self.allocation}"
            )
        return self


SOURCE_KINDS = {
    "full-article": "full article",
    "article-excerpt": "excerpt of an article",
    "abstract": "abstract",
    "abstract-excerpt": "excerpt of an abstract",
    "conference-abstract": "conference abstract",
    "registry-record": "registry record",
}
"""What the site's figures of a study are read from, and how the pages say it."""
ABSTRACT_ONLY = ("abstract", "abstract-excerpt", "conference-abstract")
"""Source kinds that give no more than an abstract: the study's methods and full results are not seen."""


class Evidence(Strict):
    """How mature the evidence is: what it is read from, how long patients were followed, whether the
    analysis is interim. The pages derive flags from it and from the design (abstract only, not
    randomized, single arm, few patients, interim analysis)."""

    source_kind: Literal[
        "full-article",
        "article-excerpt",
        "abstract",
        "abstract-excerpt",
        "conference-abstract",
        "registry-record",
    ] = Field(
        description="What the figures are read from: full-article, article-excerpt (parts of an article, "
        "such as its abstract and a table), abstract, abstract-excerpt, conference-abstract "
        "or registry-record."
    )
    follow_up: str | None = Field(None, description="The follow-up as printed, such as median 11.2 months.")
    follow_up_source: str | None = Field(
        None, description="The sentence of a source that gives the follow-up."
    )
    interim: bool = Field(False, description="Whether the figures are from an interim analysis.")

    @model_validator(mode="after")
    def _follow_up_quoted(self) -> Evidence:
        if bool(self.follow_up) != bool(self.follow_up_source):
            raise ValueError(
                "follow_up and follow_up_source go together: the follow-up as printed, and its sentence"
            )
        return self

    @property
    def source_words(self) -> str:
        return SOURCE_KINDS[self.source_kind]

    @property
    def abstract_only(self) -> bool:
        return self.source_kind in ABSTRACT_ONLY


class Primary(Strict):
    """The study's main result, which opens its overview and its row of the study index."""

    result: str = Field(
        description="The row of the main result, as table:outcome@arm or table:outcome@arm/subgroup: an "
        "effect of the experimental arm against the control arm, or for a study without a comparison, a "
        "figure of proportions or measures."
    )
    arms: str | None = Field(
        None,
        description="Each arm's figures of the same outcome, shown under the result, as table:outcome "
        "(such as each arm's median survival under a hazard ratio).",
    )


_SUMMED = object()
"""Marks a set total `StudyFile` has summed from the arms, which no file can hold."""


def _arm_n(arm: Any, set_id: str) -> int:
    """An arm's n in one set, from study.yml as read (before validation); ValueError if it has none."""
    found = [s["n"] for s in arm["sets"] if s.get("id") == set_id]
    if len(found) != 1 or isinstance(found[0], bool):
        raise ValueError(set_id)
    n = found[0]
    if isinstance(n, str) and n.strip().isdigit():  # the schema reads "134" as 134: so does the sum
        return int(n)
    if not isinstance(n, int):
        raise ValueError(set_id)
    return n


class AnalysisSet(Strict):
    """A count of patients the source names: randomized, treated (safety), evaluable, a subgroup."""

    id: str = Field(pattern=KEY.pattern, description="randomized, treated, evaluable, ...")
    label: str | None = Field(None, description="How the site names it; by default from the id.")
    n: NonNegativeInt
    source: str | None = Field(None, description="The sentence of a source that gives n.")
    derived: bool = Field(
        False,
        description="For a set of the whole study the source does not count (it prints only each arm's): "
        "true, with no n and no source; n is the sum of the arms' patients in this set, marked derived.",
    )

    @model_validator(mode="before")
    @classmethod
    def _sum_later(cls, data: object) -> object:
        """A derived total is filled in from the arms (`Population.derive_totals`); until then it is 0."""
        if not isinstance(data, dict):
            return data
        if data.get("derived") is _SUMMED:  # filled in by StudyFile from the arms: never from a file
            return {**data, "derived": True}
        if data.get("derived") is True:
            if "n" in data:
                raise ValueError("a derived set total takes no n: it is the sum of the arms' n")
            return {**data, "n": 0}
        return data

    @model_validator(mode="after")
    def _quoted_unless_derived(self) -> AnalysisSet:
        if self.derived and self.source:
            raise ValueError("a derived set total has no source: the source does not print it")
        if not self.derived and not self.source:
            raise ValueError(
                "an analysis set needs the source sentence that gives its n; for a total the source does "
                "not print, set derived: true (the sum of the arms)"
            )
        return self

    @property
    def name(self) -> str:
        return self.label or self.id.replace("_", " ").capitalize()


class Population(Strict):
    description: str
    description_source: str
    sets: list[AnalysisSet] = Field(
        min_length=1, description="Patients in each analysis set of the whole study."
    )

    @field_validator("sets")
    @classmethod
    def _unique_set_ids(cls, sets: list[AnalysisSet]) -> list[AnalysisSet]:
        return _unique_ids(sets, "analysis set")


def _unique_ids(items: list, what: str) -> list:
    repeated = sorted(i for i, count in Counter(item.id for item in items).items() if count > 1)
    if repeated:
        raise ValueError(f"{what} ids must differ; repeated: {', '.join(repeated)}")
    return items


class WeekRange(Strict):
    min: float = Field(gt=0, allow_inf_nan=False)
    max: float = Field(gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range_in_order(self) -> WeekRange:
        if self.max < self.min:
            raise ValueError(f"max must be at least min; found min {self.min:g}, max {self.max:g}")
        return self


class Dose(Strict):
    day: int = Field(ge=1, description="Day within the cycle.")
    dose_min: float = Field(gt=0, allow_inf_nan=False)
    dose_max: float = Field(gt=0, allow_inf_nan=False)
    unit: str
    source: str

    @model_validator(mode="after")
    def _range_in_order(self) -> Dose:
        if self.dose_max < self.dose_min:
            raise ValueError("dose_max must be at least dose_min")
        return self


class Dosing(Strict):
    """How an arm's treatment is given, where the source says: route, cycle and doses by day."""

    route: str
    cycle_weeks: WeekRange
    cycle_source: str
    doses: list[Dose] = Field(min_length=1)


ARM_ROLES = ("experimental", "control", "cohort")


class Arm(Strict):
    id: str = Field(pattern=SLUG.pattern, description="Lowercase letters, digits and hyphens.")
    label: str
    role: Literal["experimental", "control", "cohort"] = Field(
        description="experimental or control in a comparison; cohort in a non-randomized or one-arm study."
    )
    regimen: str | None = Field(None, description="The treatment in words, such as investigator's choice.")
    sets: list[AnalysisSet] = Field(min_length=1, description="Patients of this arm in each analysis set.")
    dosing: Dosing | None = None

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == ALL_PATIENTS:
            raise ValueError(f"'{ALL_PATIENTS}' is reserved for rows about every patient")
        return value

    @field_validator("sets")
    @classmethod
    def _unique_set_ids(cls, sets: list[AnalysisSet]) -> list[AnalysisSet]:
        derived = [s.id for s in sets if s.derived]
        if derived:
            raise ValueError(f"an arm's set is counted in the source, never derived: {', '.join(derived)}")
        return _unique_ids(sets, "analysis set")

    def set_size(self, set_id: str) -> int | None:
        return next((s.n for s in self.sets if s.id == set_id), None)


class Group(Strict):
    """Patients the source compares who are not an arm, such as responders and non-responders."""

    id: str = Field(pattern=SLUG.pattern, description="Lowercase letters, digits and hyphens.")
    label: str
    source: str | None = Field(None, description="A sentence of a source that names the group.")


class KnownDiscrepancy(Strict):
    """An audit check the source itself fails, kept with the reason it is accepted."""

    check: str = Field(description="The id of the audit check, as the audit page lists it.")
    reason: str


class PageDeclaration(Strict):
    """A page of a study's results: its title and the tables it shows, in order."""

    title: str
    id: str | None = Field(
        None, pattern=SLUG.pattern, description="The page's name in its address; by default from the title."
    )
    tables: list[str] = Field(min_length=1, description="The tables shown, by CSV file name without .csv.")
    titles: dict[str, str] = Field(
        default={}, description="A heading for a table, by its name; by default the name in words."
    )

    @property
    def slug(self) -> str:
        return self.id or slugify(self.title)

    @model_validator(mode="after")
    def _not_a_fixed_page(self) -> PageDeclaration:
        if self.slug in RESERVED_PAGES:
            raise ValueError(
                f"page {self.slug!r} is one of the study's own pages ({', '.join(RESERVED_PAGES)}); "
                "choose another title or id"
            )
        unknown = sorted(set(self.titles) - set(self.tables))
        if unknown:
            raise ValueError(f"titles name tables that are not on this page: {', '.join(unknown)}")
        return self


SHARED_OUTCOMES_FILE = "outcomes.yml"
"""The vocabulary of outcomes studies share, in the content folder beside `studies/`."""


CERTAINTY_LEVELS = ("very low", "low", "moderate", "high")
"""GRADE's levels of the certainty of evidence, lowest first."""
Certainty = Literal["high", "moderate", "low", "very low"]
DowngradeDomain = Literal["risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias"]
"""GRADE's five domains for rating the certainty of evidence down."""
UpgradeDomain = Literal["large effect", "dose-response gradient", "plausible confounding"]
"""GRADE's three domains for rating the certainty of observational evidence up."""
STARTING_CERTAINTY = {"randomized trials": "high", "observational studies": "low"}
"""Where GRADE starts the certainty of a body of evidence, by the studies it comes from."""


def _not_blank(text: str, field: str) -> None:
    if not text.strip():
        raise ValueError(f"{field} is blank; expected words")


class ComparatorRisk(Strict):
    """The risk of the outcome without the intervention (GRADE's assumed or comparator risk), as the
    content states it: the site converts a relative effect into absolute ones with it, and never
    assumes one."""

    per_1000: Decimal | None = Field(
        None, gt=0, lt=1000, description="The risk as patients per 1,000, such as 200; or give proportion."
    )
    proportion: Decimal | None = Field(
        None, gt=0, lt=1, description="The risk as a proportion, such as 0.2; or give per_1000."
    )
    source: str = Field(
        description="Where the risk comes from, in words, shown beside it: the control arms of the "
        "studies, a cohort or a registry, and the time point it is at (a hazard ratio is converted at "
        "the comparator risk's time point)."
    )

    @model_validator(mode="after")
    def _one_risk(self) -> ComparatorRisk:
        if (self.per_1000 is None) == (self.proportion is None):
            raise ValueError(
                "give the comparator risk once: per_1000 (such as 200) or proportion (such as 0.2)"
            )
        _not_blank(self.source, "source")
        return self

    @property
    def fraction(self) -> float:
        """The risk as a proportion, 0 to 1."""
        if self.proportion is not None:
            return float(self.proportion)
        return float(self.per_1000 or 0) / 1000


class _Rating(Strict):
    """A reason the certainty of the evidence is rated down or up, as the content's reviewers judge it."""

    reason: str = Field(description="Why, as the content's reviewers judge it: a footnote to the certainty.")

    @model_validator(mode="after")
    def _reason(self) -> _Rating:
        _not_blank(self.reason, "reason")
        return self


class Downgrade(_Rating):
    """Why the certainty of the evidence is rated down, in one of GRADE's five domains."""

    domain: DowngradeDomain = Field(
        description="The GRADE domain: risk of bias, inconsistency, indirectness, imprecision or publication "
        "bias."
    )


class Upgrade(_Rating):
    """Why the certainty of observational evidence is rated up, in one of GRADE's three domains."""

    domain: UpgradeDomain = Field(
        description="The GRADE domain: large effect, dose-response gradient or plausible confounding (all "
        "plausible residual confounding would reduce the effect shown)."
    )


class SummaryOfFindings(Strict):
    """A GRADE summary of findings of a shared outcome of effects: the certainty of the evidence and its
    reasons, as the content judges them, and the comparator risk the site computes absolute effects
    from. The site computes; it never rates the evidence."""

    certainty: Certainty = Field(
        description="The certainty of the evidence (GRADE): high, moderate, low or very low. The content's "
        "judgement, shown as written."
    )
    evidence_from: Literal["randomized trials", "observational studies"] = Field(
        "randomized trials",
        description="What the evidence comes from: GRADE starts randomized trials at high certainty and "
        "observational studies at low. A certainty below that start needs its reasons in downgraded, "
        "one above it its reasons in upgraded.",
    )
    downgraded: list[Downgrade] = Field(
        default=[],
        description="Why the certainty is rated down: a domain and a reason each, one per domain, each "
        "shown as a footnote to the certainty.",
    )
    upgraded: list[Upgrade] = Field(
        default=[],
        description="Why the certainty of observational evidence is rated up: a domain and a reason "
        "each, one per domain, each shown as a footnote to the certainty.",
    )
    comparator_risk: ComparatorRisk | None = Field(
        None,
        description="The risk without the intervention, from which the site computes the risk with it "
        "and the difference per 1,000; without it, the summary gives the relative effect only.",
    )
    difference_scale: Literal["percentage points", "proportion"] | None = Field(
        None,
        description="For effects that are risk differences (measure difference): their scale, percentage "
        "points (12.5) or a proportion (0.125). A difference is converted to one per 1,000 only when "
        "this says it is a risk difference (a difference may be of months or of a score).",
    )
    note: str | None = Field(
        None, description="What else a reader of the summary needs (the follow-up, the population)."
    )

    @model_validator(mode="after")
    def _reasons(self) -> SummaryOfFindings:
        start = STARTING_CERTAINTY[self.evidence_from]
        rank, level = CERTAINTY_LEVELS.index, self.certainty
        begins = f"the level evidence from {self.evidence_from} starts at"
        if rank(level) < rank(start) and not self.downgraded:
            raise ValueError(
                f"certainty {level!r} is below {start!r}, {begins}; give the reasons for rating it down "
                "in downgraded (each a domain and a reason)"
            )
        if rank(level) > rank(start) and not self.upgraded:
            raise ValueError(
                f"certainty {level!r} is above {start!r}, {begins}; give the reasons for rating it up "
                "in upgraded (each a domain and a reason)"
            )
        if self.downgraded and not self.upgraded and rank(level) >= rank(start):
            raise ValueError(
                f"downgraded gives reasons for rating the certainty down, but {level!r} is not below "
                f"{start!r}, {begins}"
            )
        for name, reasons in (("downgraded", self.downgraded), ("upgraded", self.upgraded)):
            twice = sorted(d for d, n in Counter(r.domain for r in reasons).items() if n > 1)
            if twice:
                raise ValueError(
                    f"{name} names {', '.join(twice)} more than once; give one reason per domain"
                )
        return self


class SharedOutcome(Strict):
    """An outcome that studies share: each study maps its own row to this key in `shared_outcomes`.

    Outcomes are compared only where the data say they are the same outcome, never by their labels.
    """

    key: str = Field(
        pattern=SLUG.pattern, description="The outcome's key: lowercase letters, digits, hyphens; not index."
    )
    title: str = Field(description="The outcome's name on its comparison page.")
    kind: Literal["proportions", "measures", "effects"] = Field(
        description="The kind of table each study's figure comes from."
    )
    definition: str = Field(
        description="What counts as this outcome, and how the studies' definitions may differ."
    )
    notes: list[str] = Field(default=[], description="Caveats a reader needs when comparing the studies.")
    better: Better | None = Field(
        None,
        description="For an effect: which side of no effect is good for patients of the experimental arm "
        "(lower: a hazard ratio of death below 1; higher: more remissions); it names the forest plot's "
        "favours sides.",
    )
    summary_of_findings: SummaryOfFindings | None = Field(
        None,
        description="Optional, for an outcome of kind effects: a GRADE summary of findings on its "
        "comparison page, with the certainty of the evidence and its reasons as the content judges them, "
        "and the comparator risk from which the site computes the absolute effects per 1,000.",
    )

    @model_validator(mode="after")
    def _summary_of_effects(self) -> SharedOutcome:
        if self.summary_of_findings is not None and self.kind != "effects":
            raise ValueError(
                f"summary_of_findings is for an outcome of kind effects (a ratio or a risk difference, "
                f"converted to absolute effects); this outcome's kind is {self.kind}"
            )
        return self

    @field_validator("key")
    @classmethod
    def _not_a_page_of_the_site(cls, key: str) -> str:
        if key == "index":
            raise ValueError("'index' names the list of comparisons; choose another key")
        if key.startswith("chart-"):
            raise ValueError("keys starting with 'chart-' name the charts' downloads; choose another key")
        return key

    @field_validator("title", "definition")
    @classmethod
    def _words(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("is blank; expected words")
        return text


class OutcomeVocabulary(Strict):
    """`content/outcomes.yml`: the outcomes studies share, each compared on its own page."""

    outcomes: list[SharedOutcome] = Field(default=[])

    @field_validator("outcomes")
    @classmethod
    def _unique_keys(cls, outcomes: list[SharedOutcome]) -> list[SharedOutcome]:
        seen = Counter(outcome.key for outcome in outcomes)
        twice = sorted(key for key, n in seen.items() if n > 1)
        if twice:
            raise ValueError(f"outcome key given twice: {', '.join(twice)}")
        return outcomes


GLOSSARY_FILE = "glossary.yml"
"""The readers' vocabulary (abbreviations and synonyms), in the content folder beside `studies/`."""


class GlossaryTerm(Strict):
    """A term as readers write it, and the other forms in which it is printed: all of them find the
    same pages in the site's search."""

    term: str = Field(description="The term as readers search for it, usually its abbreviation: VOD.")
    meaning: str = Field(description="The term written out: veno-occlusive disease.")
    synonyms: list[str] = Field(
        default=[], description="Other forms of the term, abbreviated or written out, that sources print."
    )
    definition: str | None = Field(None, description="Optional: what the term means, in a sentence.")

    @field_validator("term", "meaning", "definition")
    @classmethod
    def _words(cls, text: str | None) -> str | None:
        if text is not None and not text.strip():
            raise ValueError("is blank; expected words")
        return None if text is None else text.strip()

    @field_validator("synonyms")
    @classmethod
    def _no_blank_synonym(cls, synonyms: list[str]) -> list[str]:
        if any(not synonym.strip() for synonym in synonyms):
            raise ValueError("holds a blank synonym; expected words")
        return [synonym.strip() for synonym in synonyms]

    @model_validator(mode="after")
    def _forms_are_words(self) -> GlossaryTerm:
        for form in self.forms:
            if len(re.findall(r"[^\W_]", form)) < 2:
                raise ValueError(
                    f"{form!r} is a form of {self.term!r} with fewer than two letters or digits; expected "
                    "a word (a search would find it everywhere)"
                )
        return self

    @property
    def forms(self) -> list[str]:
        """Every form of the term, each once: the term, its meaning, then its synonyms."""
        return list(dict.fromkeys([self.term, self.meaning, *self.synonyms]))


def glossary_form_key(form: str) -> str:
    """A form as the search tells forms apart (generator/mkdocs_hooks.py, FormMatcher): in any case,
    hyphens and spaces alike. Two forms with one key would find each other's pages."""
    return " ".join(word for word in re.split(r"[\s\-]+", form.strip()) if word).casefold()


class Glossary(Strict):
    """`content/glossary.yml`: terms whose forms are one in the site's search, listed on its glossary."""

    terms: list[GlossaryTerm] = Field(default=[])

    @field_validator("terms")
    @classmethod
    def _each_form_once(cls, terms: list[GlossaryTerm]) -> list[GlossaryTerm]:
        owners: dict[str, str] = {}
        for term in terms:
            for form in term.forms:
                owner = owners.setdefault(glossary_form_key(form), term.term)
                if owner != term.term:
                    raise ValueError(
                        f"{form!r} is a form of both {owner!r} and {term.term!r}; expected each form in "
                        "one term only (a search for it could not say which)"
                    )
        return terms


RESERVED_PAGES = ("index", "source", "audit", "changes")
"""Names of a study's own pages; `design` is allowed and adds tables to the design page."""


GENERATED_TABLES = ("comparisons", "sets", "dosing", "schedules", "audit")
"""Names of the tables the site itself offers as downloads: a study's own tables take other names."""

DESIGN_PAGE = "design"
"""A page declaration with this id adds its tables to the study's design page."""


class StudyFile(Strict):
    """`study.yml`: what describes one study."""

    short_title: str
    citation: Citation
    sources: list[SourceDocument] = Field(
        min_length=1, description="The documents every quote comes from, word for word."
    )
    design: Design
    population: Population
    arms: list[Arm] = Field(min_length=1)
    groups: list[Group] = Field(default=[], description="Groups compared that are not arms.")
    headline: list[str] = Field(
        default=[], description="Results shown as cards on the overview, as table:outcome@arm."
    )
    shared_outcomes: dict[str, str] = Field(
        default={},
        description="Outcomes compared across studies: a key of content/outcomes.yml, mapped to this "
        "study's rows as table:outcome (every arm), table:outcome@arm or table:outcome@arm/subgroup.",
    )
    known_discrepancies: list[KnownDiscrepancy] = Field(
        default=[], description="Audit checks that fail in the source itself, each with its reason."
    )
    pages: list[PageDeclaration] = Field(
        default=[],
        description="The study's result pages and the tables on each; by default one Results page "
        "with every table.",
    )
    primary: Primary | None = Field(
        None,
        description="The main result, first on the overview and in the study index. By default the first "
        "effect of an experimental arm against a control arm; without one, the first headline.",
    )
    evidence: Evidence | None = Field(
        None, description="What the figures are read from and how mature they are; shown on the overview."
    )
    harms: list[str] | None = Field(
        None,
        description="The tables of adverse events (harms), by CSV file name without .csv: shown as counts "
        "and percentages, with no test between arms unless site_config.yml asks (CONSORT-Harms). By "
        "default, every table of proportions with a grade column.",
    )

    @field_validator("arms")
    @classmethod
    def _unique_arm_ids(cls, arms: list[Arm]) -> list[Arm]:
        return _unique_ids(arms, "arm")

    @model_validator(mode="before")
    @classmethod
    def _derive_set_totals(cls, data: object) -> object:
        """Each population set marked derived gets n, the sum of the arms' n in that set, when every arm
        gives a whole number for it (the loader reports an arm that gives none)."""
        try:
            sets, arms = data["population"]["sets"], data["arms"]  # type: ignore[index]
            totals = [
                sum(_arm_n(arm, s["id"]) for arm in arms)
                if s.get("derived") is True and "n" not in s
                else None
                for s in sets
            ]
        except (KeyError, TypeError, ValueError, AttributeError):
            return data  # the schema reports what is missing or mistyped
        filled = [
            {**s, "n": total, "derived": _SUMMED} if total is not None else s
            for s, total in zip(sets, totals, strict=True)
        ]
        population = typing.cast(dict, data)["population"]
        return {**typing.cast(dict, data), "population": {**population, "sets": filled}}

    @model_validator(mode="after")
    def _groups_are_not_arms(self) -> StudyFile:
        _unique_ids([*self.arms, *self.groups], "arm and group")
        if any(group.id == ALL_PATIENTS for group in self.groups):
            raise ValueError(f"'{ALL_PATIENTS}' is reserved for rows about every patient")
        return self

    @field_validator("sources")
    @classmethod
    def _unique_source_ids(cls, sources: list[SourceDocument]) -> list[SourceDocument]:
        return _unique_ids(sources, "source document")


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
    subgroup: str | None = Field(None, description="The subgroup of patients the row is about, in words.")
    grade: str | None = Field(None, description="The grade band as printed: 1, 3, ≥3, any.")
    set: str | None = Field(
        None, pattern=KEY.pattern, description="The analysis set the denominator is, such as treated."
    )
    ci_low: Decimal | None = Field(None, description="A reported interval's lower bound, in percent.")
    ci_high: Decimal | None = Field(None, description="A reported interval's upper bound, in percent.")
    ci_level: Decimal | None = Field(None, gt=0, lt=100, description="Its level in percent, such as 95.")
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
        _check_interval(self.ci_low, self.ci_high, self.ci_level)
        return self


def _check_interval(
    low: Decimal | str | None, high: Decimal | str | None, level: Decimal | None, estimate: object = None
) -> None:
    """A reported interval has both bounds, in order, around its estimate; a level goes with an interval."""
    if (low is None) != (high is None):
        raise ValueError("a reported interval needs both ci_low and ci_high")
    if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
        raise ValueError(f"ci_low {low} is above ci_high {high}")
    if level is not None and low is None:
        raise ValueError("ci_level goes with a reported interval (ci_low and ci_high)")
    below = isinstance(low, Decimal) and isinstance(estimate, Decimal) and estimate < low
    above = isinstance(high, Decimal) and isinstance(estimate, Decimal) and estimate > high
    if below or above:
        raise ValueError(f"the estimate {estimate} lies outside its interval {low} to {high}")


class MeasureRow(Strict):
    """A row of a measures table: a value as printed with its unit (a median, a landmark estimate)."""

    outcome: str = Field(pattern=KEY.pattern)
    label: str
    arm: str
    subgroup: str | None = None
    value: Annotated[Decimal, Field(ge=0)] | Literal["not reached"] = Field(
        description="The value as printed (5.0 stays 5.0), or not reached (a median not reached)."
    )
    unit: str
    method: str | None = Field(None, description="How it was estimated, as printed: Kaplan-Meier.")
    ci_low: Annotated[Decimal, Field(ge=0)] | Literal["not reached"] | None = Field(
        None, description="A reported interval's lower bound (or not reached)."
    )
    ci_high: Annotated[Decimal, Field(ge=0)] | Literal["not reached"] | None = Field(
        None, description="A reported interval's upper bound (or not reached)."
    )
    ci_level: Decimal | None = Field(None, gt=0, lt=100, description="Its level in percent, such as 95.")
    status: Literal["reported"]
    source: str

    @model_validator(mode="after")
    def _interval(self) -> MeasureRow:
        _check_interval(self.ci_low, self.ci_high, self.ci_level, self.value)
        return self


EFFECT_MEASURES = ("hazard_ratio", "odds_ratio", "risk_ratio", "rate_ratio", "difference", "none")
RATIO_MEASURES = ("hazard_ratio", "odds_ratio", "risk_ratio", "rate_ratio")


class EffectRow(Strict):
    """A row of an effects table: one group against another, as printed: an estimate (a hazard
    ratio, a difference) with its interval, and a P value; or a P value alone (measure none)."""

    outcome: str = Field(pattern=KEY.pattern)
    label: str
    arm: str = Field(description="The arm or group compared.")
    reference_arm: str = Field(description="The arm or group it is compared with.")
    subgroup: str | None = None
    measure: Literal["hazard_ratio", "odds_ratio", "risk_ratio", "rate_ratio", "difference", "none"]
    estimate: Decimal | None = None
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None
    ci_level: Decimal | None = Field(None, gt=0, lt=100, description="In percent, such as 95.")
    p_value: str | None = Field(None, description="As printed: P = 0.01, P<0.001, P = .002.")
    sided: Literal["one", "two"] | None = Field(None, description="two unless the source says one-sided.")
    ci_method: Literal["newcombe", "wald", "agresti-caffo", "miettinen-nurminen"] | None = Field(
        None,
        description="How the source computed a difference's interval, where it says: newcombe (hybrid "
        "score), wald, agresti-caffo or miettinen-nurminen (score); the audit then checks that method.",
    )
    better: Better | None = Field(
        None,
        description="Which side of no effect is good for patients in `arm`: lower (a hazard ratio of "
        "death below 1) or higher (more remissions). The effect plot's favours labels come from it.",
    )
    status: Literal["reported"]
    source: str

    @model_validator(mode="after")
    def _consistent(self) -> EffectRow:
        if self.arm == self.reference_arm:
            raise ValueError(f"arm and reference_arm are both {self.arm!r}; expected two different groups")
        _check_interval(self.ci_low, self.ci_high, self.ci_level, self.estimate)
        if self.measure == "none" and (self.estimate is not None or self.ci_low is not None):
            raise ValueError("measure none takes only a P value; name the measure of the estimate")
        if self.measure != "none" and self.estimate is None:
            raise ValueError(f"a {self.measure.replace('_', ' ')} needs its estimate")
        if self.measure == "none" and self.p_value is None:
            raise ValueError("a row with measure none needs its p_value")
        if self.measure in RATIO_MEASURES and any(v is not None and v <= 0 for v in self._numbers):
            raise ValueError("a ratio, and its interval, are above 0")
        beyond = [str(v) for v in self._numbers if v is not None and not _computable(v, self.measure)]
        if beyond:
            raise ValueError(
                f"{beyond[0]} is beyond what can be computed with (a ratio between 1e-300 and 1e+300, "
                "a difference below 1e+150 in size); is a digit or an exponent mistyped?"
            )
        if self.p_value is not None:
            parse_p_value(self.p_value)
        return self

    @property
    def _numbers(self) -> list[Decimal | None]:
        return [self.estimate, self.ci_low, self.ci_high]


def _computable(value: Decimal, measure: str) -> bool:
    """A number the analysis can compute with as a float: a ratio's logarithm is finite, a difference's
    square is (1e-400 is 0.0 as a float, 1e+400 is inf)."""
    number = float(value)
    if measure in RATIO_MEASURES:
        return 1e-300 <= number <= 1e300
    return abs(number) <= 1e150


P_VALUE = re.compile(r"^\s*[Pp]\s*(?P<relation><|>|=|≤|≥|<=|>=)\s*(?P<value>\d*\.?\d+(?:[eE]-?\d+)?)\s*$")


@dataclass(frozen=True)
class PValue:
    """A P value as printed ('P<0.001'): its relation, its value, and the printed text itself."""

    printed: str
    relation: str
    value: Decimal

    @property
    def interval(self) -> tuple[Decimal, Decimal]:
        """The P values the printed one stands for: '= 0.01' is 0.005 to 0.015 (its rounding)."""
        if self.relation in ("<", "≤", "<="):
            return Decimal(0), self.value
        if self.relation in (">", "≥", ">="):
            return self.value, Decimal(1)
        half = rounding_half(self.value)
        return max(Decimal(0), self.value - half), min(Decimal(1), self.value + half)


def parse_p_value(text: str) -> PValue:
    """'P = .002' -> PValue('P = .002', '=', 0.002); ValueError saying what is expected otherwise."""
    match = P_VALUE.match(text)
    if not match or not 0 <= Decimal(match["value"]) <= 1:
        raise ValueError(f"cannot read P value {text!r}; expected it as printed, such as P = 0.01, P<0.001")
    return PValue(text.strip(), match["relation"], Decimal(match["value"]))


class StatementRow(Strict):
    """A row of a statements table (such as adverse events): a comparison reported in words only."""

    event: str
    arm: str
    reference_arm: str
    direction: Literal["less frequent", "more frequent", "similar"]
    status: Literal["reported"] = Field(description="Findings in words are always reported.")
    source: str

    @model_validator(mode="after")
    def _two_arms(self) -> StatementRow:
        if self.arm == self.reference_arm:
            raise ValueError(
                f"arm and reference_arm are both {self.arm!r}: an arm compared with itself; "
                "expected two different arms"
            )
        return self


def printed_exponent(printed: Decimal) -> int:
    """The exponent of a number as printed: -1 for '57.1', 0 for '57', 1 for '1E+1'."""
    exponent = printed.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"{printed} is not a finite number")
    return exponent


def printed_decimals(printed: Decimal) -> int:
    """The decimals a number is printed to ('57.1': 1, '57': 0): the precision it was rounded to."""
    return max(0, -printed_exponent(printed))


def rounding_half(printed: Decimal) -> Decimal:
    """Half the unit of the last printed digit: the most rounding moved it ('0.71': 0.005)."""
    return Decimal(1).scaleb(printed_exponent(printed)) / 2


ROW_QUALIFIERS = ("subgroup", "grade", "set")
"""What tells apart rows of a table about the same outcome and arm: the subgroup, the grade band and the
analysis set. Ids and keys name those a row has, each as a segment (`row_segments`)."""


def row_segments(record: Mapping[Any, Any], names: Iterable[str] = ROW_QUALIFIERS) -> str:
    """The qualifiers `names` a row has, in that order, as path segments: '/salvage-1', '/grade-ge3',
    '/set-treated'; '' for a row that has none of them."""
    segments = []
    for name in names:
        value = record.get(name)
        if not value:
            continue
        if name == "subgroup":
            segments.append(slugify(str(value)))
        elif name == "grade":
            segments.append(f"grade-{grade_slug(str(value))}")
        else:
            segments.append(f"{name}-{slugify(str(value))}")
    return "".join(f"/{segment}" for segment in segments if segment)


DERIVATION = re.compile(r"^(?P<rule>from_percent|sum|complement)(?:\((?P<args>[^()]*)\))?$")


DerivationRule = Literal["from_percent", "sum", "complement"]


def _is_rule(text: str) -> TypeGuard[DerivationRule]:
    """Whether `text` names a derivation rule (then typed as one)."""
    return text in get_args(DerivationRule)


class Derivation(BaseModel):
    """A parsed derivation: `from_percent`, `sum(a, b, ...)` or `complement(a)`.

    `sum` and `complement` name other outcomes of the same table and arm; `complement(a)` is the
    row's denominator minus the count of `a`; `from_percent` is the one whole count of the
    denominator that rounds to the reported percent.
    """

    model_config = ConfigDict(frozen=True)
    rule: DerivationRule
    refs: tuple[str, ...] = ()


def parse_derivation(text: str) -> Derivation:
    """Parse a derivation; raise ValueError with the expected forms when it does not fit."""
    expected = "expected from_percent, sum(a, b, ...) or complement(a)"
    match = DERIVATION.match(text.strip())
    rule = match["rule"] if match else ""
    if not match or not _is_rule(rule):  # DERIVATION matches one of the rules or nothing
        raise ValueError(f"cannot read derivation {text!r}; {expected}")
    refs = tuple(r.strip() for r in (match["args"] or "").split(",") if r.strip())
    wanted = {"from_percent": (0, 0), "sum": (2, 99), "complement": (1, 1)}[rule]
    if not wanted[0] <= len(refs) <= wanted[1] or (rule != "from_percent" and match["args"] is None):
        raise ValueError(f"derivation {text!r} has the wrong number of outcomes; {expected}")
    return Derivation(rule=rule, refs=refs)


def grade_slug(grade: str) -> str:
    """A grade band in an id: '≥3' -> 'ge3', 'any' -> 'any' (the audit and the figures share it)."""
    words = str(grade).lower().replace("≥", "ge").replace("≤", "le").replace(">", "gt").replace("<", "lt")
    return slugify(words)


def slugify(text: str) -> str:
    """'Salvage 3 or later' -> 'salvage-3-or-later'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


HEADLINE = re.compile(
    r"^(?P<table>[a-z0-9_]+):(?P<outcome>[a-z0-9_]+)@(?P<arm>[a-z0-9-]+)(?:/(?P<subgroup>.+))?$"
)


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
    if not match:
        raise ValueError(
            f"cannot read headline {text!r}; expected table:outcome@arm or table:outcome@arm/subgroup, "
            f"the table a CSV file name without .csv"
        )
    return Headline(match["table"], match["outcome"], match["arm"], match["subgroup"])


SHARED_REF = re.compile(
    r"^(?P<table>[a-z0-9_]+):(?P<outcome>[a-z0-9_]+)(?:@(?P<arm>[a-z0-9-]+)(?:/(?P<subgroup>.+))?)?$"
)


@dataclass(frozen=True)
class SharedRef:
    """A study's rows for a shared outcome: `table:outcome` (every arm), `table:outcome@arm` or
    `table:outcome@arm/subgroup`. A subgroup's rows are taken only when named; of a table with grade
    bands, only the rows of any grade."""

    table: str
    outcome: str
    arm: str | None
    subgroup: str | None

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        match = frame["outcome"] == self.outcome
        if self.arm is not None:
            match &= frame["arm"] == self.arm
        if "subgroup" in frame:
            wanted = slugify(self.subgroup) if self.subgroup else ""
            match &= frame["subgroup"].map(lambda text: slugify(text or "")) == wanted
        if "grade" in frame:
            match &= frame["grade"].map(lambda grade: str(grade or "any").strip().lower() in ("any", "nan"))
        return frame[match]


def parse_shared_ref(text: str) -> SharedRef:
    match = SHARED_REF.match(str(text).strip())
    if not match:
        raise ValueError(
            f"cannot read {text!r}; expected table:outcome, table:outcome@arm or "
            "table:outcome@arm/subgroup, the table a CSV file name without .csv"
        )
    return SharedRef(match["table"], match["outcome"], match["arm"], match["subgroup"])
