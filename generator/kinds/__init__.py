"""The kinds of table a study may hold, each one object (`Kind`) in a module of its own.

`KINDS` is the registry, the one list of kinds, in the order the site lists them: the loader tells a
table's kind by its columns (`kind_of_columns`), and every stage asks the kinds a study has.

To add a kind: a module here with a subclass of `Kind` and its object `KIND`, its section template
(templates/kinds/<name>.md.j2), and one line below.
"""

from __future__ import annotations

from generator.kinds import baseline, effects, flow, measures, proportions, statements
from generator.kinds.base import Download, Kind

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (proportions.KIND, measures.KIND, effects.KIND, statements.KIND, baseline.KIND, flow.KIND)
}
"""Every kind of table, by name, in the order the site lists them."""

TABLE_KINDS = KINDS
"""The kinds by name (the loader's and the schema's name for the registry)."""

HEADLINE_KINDS = tuple(name for name, kind in KINDS.items() if kind.headline)
"""The kinds of table whose rows can lead the overview as a card."""

COMPARABLE_KINDS = tuple(name for name, kind in KINDS.items() if kind.compared_as)
"""The kinds of table whose rows can be compared across studies (content/outcomes.yml's `kind`)."""


def kind_of_columns(header: list[str]) -> Kind | None:
    """The one kind whose required columns the header has and whose columns hold all of it."""
    fits = [
        kind
        for kind in KINDS.values()
        if set(kind.columns) <= set(header) and set(header) <= set(kind.row.model_fields)
    ]
    return fits[0] if len(fits) == 1 else None


__all__ = [
    "COMPARABLE_KINDS",
    "HEADLINE_KINDS",
    "KINDS",
    "TABLE_KINDS",
    "Download",
    "Kind",
    "kind_of_columns",
]
