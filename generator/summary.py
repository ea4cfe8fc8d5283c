"""What a study contributes to the pages that summarise many studies: its index row and its shared outcomes.

Each study's summary is computed with the study (and cached with it), so the site-wide pages (the
study index and the comparisons) are built from small records, never from every study's results.
Every field is plain data, so a summary round-trips through JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ComparisonEntry:
    """One study's figure for an outcome that studies share (declared in study.yml's `shared_outcomes`)."""

    outcome: str
    """The shared outcome's key, from the vocabulary in content/outcomes.yml."""
    study: str
    """The study's slug."""
    study_title: str
    year: int
    design: str
    """The design in words, as the study's pages say it (for example "Randomized, phase 3")."""
    population: str
    """Who the figure is about: the analysis set, with its number of patients when known."""
    arm: str
    """The arm's label ("All patients" for every patient); for an effect, "A vs B"."""
    subgroup: str | None
    kind: str
    """The kind of the study's table: proportions, measures or effects."""
    measure: str
    """proportions: "proportion"; measures: the unit as printed ("months"); effects: hazard_ratio, ..."""
    estimate: float | None
    """A proportion as a fraction (0 to 1), a measure's value, or an effect's estimate."""
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    """The interval's level as a fraction (0.95)."""
    interval: str
    """Where the interval comes from: "reported", "computed" (by this site, from n/N) or "none"."""
    status: str
    """Whether the estimate is "reported" by the source or "derived" by this site."""
    shown: str
    """The figure as the study's pages show it (Markdown, with its provenance tooltip and link)."""
    page: str
    """The study page that shows the figure, relative to the site root (studies/<slug>/results.md)."""
    count: int | None = None
    denominator: int | None = None
    shown_interval: str = ""
    """The interval as the study's pages show it (Markdown with its provenance), when it has one."""
    experimental_vs_control: bool = False
    """For an effect: whether it compares an experimental arm with a control arm, in that order."""
    registry_id: str = ""
    """The study's registration numbers ('; ' between them), for the downloads."""
    doi: str = ""
    estimate_printed: str = ""
    """The estimate as the source prints it (digits as printed: '4.0'), when the estimate is printed; for a
    proportion, its percentage. Empty when the site computes it."""
    ci_low_printed: str = ""
    """The interval's bounds as printed (a proportion's in percent), when the source prints them."""
    ci_high_printed: str = ""


@dataclass(frozen=True)
class IndexRow:
    """A study's row in the study index, rendered as a Markdown table row (links relative to the index)."""

    study: str
    title: str
    year: int
    markdown: str


@dataclass(frozen=True)
class StudySummary:
    """What the site-wide pages need of one study."""

    study: str
    title: str
    folder: str
    doi: str
    pmid: str | None
    index_row: IndexRow
    entries: list[ComparisonEntry] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> StudySummary:
        return cls(
            **{
                **data,
                "index_row": IndexRow(**data["index_row"]),
                "entries": [ComparisonEntry(**entry) for entry in data["entries"]],
            }
        )
