"""What changed since the previous build: every published figure compared by id with its manifest.

The manifest is the previous build's `data/values.json` (the figures it published). Comparing is
pure; reading the previous manifest (a file or a URL) is done by the build.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    id: str
    study: str
    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Changes:
    """The difference between the previous manifest (if any) and this build's figures."""

    previous_version: str | None = None
    previous_built: str | None = None
    changed: list[Change] = field(default_factory=list)
    appeared: list[Change] = field(default_factory=list)
    disappeared: list[Change] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.previous_version is not None

    @property
    def count(self) -> int:
        return len(self.changed) + len(self.appeared) + len(self.disappeared)


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
    return Changes(
        str(previous.get("data_version")), str(previous.get("built")), changed, appeared, disappeared
    )


def _change(value: dict, old: str | None, new: str | None) -> Change:
    return Change(value["id"], value.get("study", ""), value.get("label", value["id"]), old, new)
