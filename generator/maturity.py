"""How mature a study's evidence is, from its study.yml: what the figures are read from, the design and
allocation, patients, follow-up or data cut-off, registration, and the flags a reader should see first
(abstract only, not randomized, single arm, few patients, interim analysis).

The site states these facts from the data; it does not judge risk of bias or certainty (a summary of
findings carries the content's own judgement)."""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import StudyFile

NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Flag:
    """A fact about the evidence a reader should weigh, in a few words, with why it is raised."""

    words: str
    why: str


@dataclass(frozen=True)
class Maturity:
    source: str
    """What the figures are read from, in words: 'excerpt of an article', or 'not stated'."""
    documents: tuple[tuple[str, str], ...]
    """Each source document's title, and its note (what of it is left out), as the content gives them."""
    patients: int
    """The patients of the study's first analysis set."""
    patients_set: str
    follow_up: str
    follow_up_source: str
    """The sentence of a source that gives the follow-up; empty when none is given."""
    data_cutoff: str
    flags: tuple[Flag, ...]


def study_maturity(meta: StudyFile, few_patients: int) -> Maturity:
    """The evidence's maturity; `few_patients` is the size below which a study is flagged as small."""
    evidence = meta.evidence
    first = meta.population.sets[0]
    cutoff = meta.design.data_cutoff
    return Maturity(
        source=evidence.source_words if evidence is not None else "not stated",
        documents=tuple((doc.title, doc.note or "") for doc in meta.sources),
        patients=first.n,
        patients_set=first.name,
        follow_up=evidence.follow_up if evidence is not None and evidence.follow_up else NOT_GIVEN,
        follow_up_source=(evidence.follow_up_source or "") if evidence is not None else "",
        data_cutoff=cutoff.isoformat() if cutoff is not None else NOT_GIVEN,
        flags=maturity_flags(meta, few_patients),
    )


def maturity_flags(meta: StudyFile, few_patients: int) -> tuple[Flag, ...]:
    """The flags of a study, most telling first."""
    evidence, design = meta.evidence, meta.design
    flags = []
    if evidence is not None and evidence.abstract_only:
        flags.append(Flag("Abstract only", f"the figures are read from an {evidence.source_words} alone"))
    elif evidence is not None and evidence.source_kind == "article-excerpt":
        flags.append(Flag("Excerpt", "the figures are read from parts of the article, not all of it"))
    elif evidence is None:
        flags.append(Flag("Source kind not stated", "the data do not say what the figures are read from"))
    if design.allocation == "single-arm":
        flags.append(Flag("Single arm", "no comparison group"))
    elif design.allocation == "non-randomized":
        flags.append(
            Flag("Not randomized", "groups were not assigned at random: differences may be confounded")
        )
    n = meta.population.sets[0].n
    if n < few_patients:
        flags.append(Flag(f"Fewer than {few_patients} patients", f"{n} patients"))
    if evidence is not None and evidence.interim:
        flags.append(Flag("Interim analysis", "the figures are from an interim analysis"))
    return tuple(flags)
