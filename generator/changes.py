"""What changed: the lasting record of every data version the site has shown, newest first.

The manifest is a build's `data/values.json`: the figures it published and this record. A build reads
the previous manifest (the last build's, or a published site's with --previous), compares its figures
by id with its own, and adds one record when the data version is new; the same data adds nothing, so
rebuilding it changes nothing. Comparing is pure; reading the manifest is done by the build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace

CHANGE_LISTS = ("changed", "appeared", "disappeared")
STUDY_LISTS = ("new_studies", "removed_studies")
FIRST_BUILD_YEAR = 1970
"""No build is dated before 1970: a build's date becomes SOURCE_DATE_EPOCH, which cannot be negative."""


@dataclass(frozen=True)
class Change:
    id: str
    study: str
    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Changes:
    """One data version: when it was first built, and its figures that differ from the version before."""

    previous_version: str | None = None
    previous_built: str | None = None
    changed: list[Change] = field(default_factory=list)
    appeared: list[Change] = field(default_factory=list)
    disappeared: list[Change] = field(default_factory=list)
    data_version: str | None = None
    built: str | None = None
    """The date this data version was first built (ISO)."""
    new_studies: list[str] = field(default_factory=list)
    removed_studies: list[str] = field(default_factory=list)
    """The studies (folder names) with figures in only one of the two versions: their figures are listed
    above too, and a page says each such study in one line. Absent from records made before them."""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Changes:
        lists = {name: [Change(**item) for item in data[name]] for name in CHANGE_LISTS}
        return cls(**{**data, **lists})

    @property
    def has_previous(self) -> bool:
        return self.previous_version is not None

    @property
    def count(self) -> int:
        return len(self.changed) + len(self.appeared) + len(self.disappeared)

    def figures(self, name: str) -> list[Change]:
        """The figures of a list (changed, appeared, disappeared) but those that appeared with a new study
        or disappeared with a removed one, which a page says in one line each. A changed figure is always
        listed (a study new or removed in a version has none)."""
        whole = {"appeared": self.new_studies, "disappeared": self.removed_studies}.get(name, [])
        return [change for change in getattr(self, name) if change.study not in whole]

    def figures_of(self, study: str) -> int:
        """How many figures of a study appeared or disappeared in this version."""
        return sum(change.study == study for change in [*self.appeared, *self.disappeared])


def compare_manifests(previous: dict | None, current: list[dict]) -> Changes:
    """Figures changed (same id, other text or number), appeared and disappeared since `previous`."""
    if previous is None:
        return Changes()
    old = {v["id"]: v for v in previous.get("values", [])}
    new = {v["id"]: v for v in current}
    changed = [
        _change(new[key], old[key]["text"], new[key]["text"])
        for key in new
        if key in old
        and (old[key].get("text"), old[key].get("number")) != (new[key]["text"], new[key].get("number"))
    ]
    appeared = [_change(new[key], None, new[key]["text"]) for key in new if key not in old]
    disappeared = [_change(old[key], old[key].get("text"), None) for key in old if key not in new]
    before, now = _studies(old.values()), _studies(new.values())
    return Changes(
        str(previous.get("data_version")),
        str(previous.get("built")),
        changed,
        appeared,
        disappeared,
        new_studies=sorted(now - before),
        removed_studies=sorted(before - now),
    )


def _studies(values) -> set[str]:
    """The studies with figures among `values` (a comparison's figures belong to none)."""
    return {str(value["study"]) for value in values if value.get("study")}


def _change(value: dict, old: str | None, new: str | None) -> Change:
    return Change(value["id"], value.get("study", ""), value.get("label", value["id"]), old, new)


def record_version(
    previous: dict | None, current: list[dict], data_version: str, today: str
) -> list[Changes]:
    """The changelog with this build's data version: a new record first when the version is new.

    `previous` is the previous manifest; its record is kept as it is. A manifest from before the
    record began gives its version and date, without the figures that changed to reach it.
    """
    if previous is None:
        return [Changes(data_version=data_version, built=today)]
    kept = [Changes.from_json(item) for item in previous.get("history", [])] or [
        Changes(data_version=str(previous["data_version"]), built=str(previous["built"]))
    ]
    if str(previous["data_version"]) == data_version:
        return kept
    return [replace(compare_manifests(previous, current), data_version=data_version, built=today), *kept]


def is_date(text: object) -> bool:
    """Whether `text` is a build's date as a manifest gives it: an ISO date from 1970 to 9999, which
    `datetime.date.fromisoformat` reads and SOURCE_DATE_EPOCH can name."""
    try:
        return isinstance(text, str) and dt.date.fromisoformat(text).year >= FIRST_BUILD_YEAR
    except ValueError:
        return False


def is_history(data: object) -> bool:
    """Whether `data` has the shape of a manifest's record of data versions, in every field a build
    reads: each record's `built` is a date (the build parses the newest one's), the other fields are
    only shown or compared, so their type is all that matters."""
    text = (str, type(None))
    fields = set(Changes.__dataclass_fields__)
    return isinstance(data, list) and all(
        isinstance(item, dict)
        and fields - set(STUDY_LISTS) <= set(item) <= fields
        and all(
            isinstance(item.get(name, []), list) and all(isinstance(slug, str) for slug in item.get(name, []))
            for name in STUDY_LISTS
        )
        and all(isinstance(item[k], text) for k in ("previous_version", "previous_built"))
        and isinstance(item["data_version"], str)
        and is_date(item["built"])
        and all(
            isinstance(item[name], list)
            and all(
                isinstance(c, dict)
                and set(c) == set(Change.__dataclass_fields__)
                and all(isinstance(c[k], str) for k in ("id", "study", "label"))
                and all(isinstance(c[k], text) for k in ("old", "new"))
                for c in item[name]
            )
            for name in CHANGE_LISTS
        )
        for item in data
    )
