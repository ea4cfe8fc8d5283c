"""What a study contributes to the pages that summarise many studies: its index row and its shared outcomes.

Each study's summary is computed with the study (and cached with it), so the site-wide pages (the
study index and the comparisons) are built from small records, never from every study's results.
Every field is plain data, so a summary round-trips through JSON.

A summary read back from the cache is untrusted input (a restored CI cache, or anyone who can write
the cache folder): `StudySummary.from_json` checks every field's type and value, and
`check_markdown` checks that its Markdown (the index row, each figure as shown) is exactly of the
form the generator writes. The site-wide pages show that Markdown as it is, so a summary that fails
either check is never used: its study is built again.
"""

from __future__ import annotations

import functools
import html
import itertools
import math
import posixpath
import re
import types
import typing
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

from generator.model import SLUG_TEXT
from generator.recall import Result
from generator.text import LINE_BREAKS, MARKDOWN_SPECIAL, escape_markdown, tooltip


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
    shown_events: str = ""
    """For an effect: each group's events/total as the study's pages show them (figure links, 'a/n vs
    b/m'), where a table of proportions of the study gives both groups' counts."""
    participants: int | None = None
    """For an effect: the patients of both groups compared (their analysis set), when the study gives
    both; the participants of a summary of findings."""


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
    def from_json(cls, data: object) -> StudySummary:
        """The summary `to_json` wrote, every field checked: its type, and what it may hold (a slug,
        one of the kinds, the study's own pages). Raises SummaryError for anything else.

        Its Markdown is checked apart, by `check_markdown`, which needs to know where it is shown."""
        plain = _plain_fields(data, cls, "summary", nested={"index_row", "entries"})
        checked: dict = typing.cast(dict, data)  # an object of exactly the summary's fields
        entries = checked["entries"]
        if not isinstance(entries, list):
            raise SummaryError("summary.entries is not a list")
        summary = cls(
            **plain,
            index_row=IndexRow(**_plain_fields(checked["index_row"], IndexRow, "summary.index_row")),
            entries=[
                ComparisonEntry(**_plain_fields(entry, ComparisonEntry, f"summary.entries[{number}]"))
                for number, entry in enumerate(entries)
            ],
        )
        summary._check_values()
        return summary

    def _check_values(self) -> None:
        slug, row = self.study, self.index_row
        if not re.fullmatch(SLUG_TEXT, slug):
            raise SummaryError(f"summary.study {slug!r} is not a study's folder name")
        if (row.study, row.title) != (slug, self.title) or posixpath.basename(self.folder) != slug:
            raise SummaryError("summary.index_row or summary.folder is of another study")
        page = re.compile(rf"{STUDIES_FOLDER}/{re.escape(slug)}/{SLUG_TEXT}\.md")
        for number, entry in enumerate(self.entries):
            where = f"summary.entries[{number}]"
            same = (entry.study, entry.study_title, entry.year, entry.doi)
            if same != (slug, self.title, row.year, self.doi):
                raise SummaryError(f"{where} is of another study")
            if not re.fullmatch(SLUG_TEXT, entry.outcome):
                raise SummaryError(f"{where}.outcome is not an outcome's key")
            for name, allowed in _CHOICES.items():
                if getattr(entry, name) not in allowed:
                    raise SummaryError(f"{where}.{name} is none of {', '.join(sorted(allowed))}")
            if not page.fullmatch(entry.page):
                raise SummaryError(f"{where}.page is not a page of the study")


class SummaryError(ValueError):
    """A summary that is not one the generator writes (a cache entry damaged or changed by hand)."""


STUDIES_FOLDER = "studies"
"""Where each study's pages are, relative to the docs folder."""

_CHOICES = {
    "kind": frozenset({"proportions", "measures", "effects"}),
    "interval": frozenset({"reported", "computed", "none"}),
    "status": frozenset({"reported", "derived"}),
}
"""The values the generator writes in these fields of a ComparisonEntry (and the pages' code expects)."""


def _plain_fields(
    data: object, cls: type, where: str, nested: frozenset[str] | set[str] = frozenset()
) -> dict:
    """The fields of dataclass `cls` in `data`, a dict holding exactly those fields, each of its type;
    the `nested` fields are left for the caller to check."""
    if not isinstance(data, dict):
        raise SummaryError(f"{where} is not an object")
    names = {f.name for f in fields(cls)}
    if set(data) != names:
        odd = sorted(map(str, set(data) ^ names))
        raise SummaryError(f"{where} lacks or has extra fields: {', '.join(odd[:5])}")
    hints = _type_hints(cls)
    for name in names - set(nested):
        if not _fits(data[name], hints[name]):
            raise SummaryError(f"{where}.{name} is not of type {hints[name]}")
    return {name: data[name] for name in names - set(nested)}


@functools.cache
def _type_hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _fits(value: object, hint: object) -> bool:
    """Whether a JSON value is of a field's type: str, int, float (finite), bool, None or a union."""
    if hint is str:
        return isinstance(value, str)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)
    if hint is type(None):
        return value is None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(hint))
    return False


def _finite(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer beyond any float
        return False


# --- the Markdown of a summary --------------------------------------------------------------------

_FIGURE = re.compile(
    r'\[(?P<text>[^\[\]]*)\]\((?P<href>[^\s()"]*) "(?P<title>[^"]*)"\)'
    r"\{ #(?P<id>[a-z0-9-]+) \.ev-value \.ev-(?:reported|derived|computed) \}"
)
"""A figure as `generator.figures.figure_link` writes it: its text, target, tooltip, id and marks."""
_LINK = re.compile(r'\[(?P<text>[^\[\]]*)\]\((?P<href>[^\s()"]*)\)')
_TAG = re.compile(r'<span class="ev-(?:label|source|flag)">|</span>')
_REFERENCE = re.compile(r"&#(?P<code>[0-9]{1,7});")
_PLAIN = re.compile(r"[^&<>\[\]{}!\\`\"'\x00-\x1f\x7f-\x9f" + LINE_BREAKS + "]+")
"""Text that Markdown shows as it is: no HTML, entity, link, image, attribute list, code or escape."""
_ESCAPED = MARKDOWN_SPECIAL | frozenset("-+=.")
"""The characters `escape_markdown` writes as character references."""
DASH = "–"
"""What a page shows for a figure that is absent (generator.figures.FigureLinks.for_page)."""


def check_markdown(summary: StudySummary, index_page: str, comparison_page: Callable[[str], str]) -> None:
    """Raise SummaryError unless the summary's Markdown is exactly of the form the generator writes.

    The index row (shown on `index_page`) is a Markdown table row of text as `escape_markdown`
    writes it, the generator's own label and year spans, the study's link to its overview and its
    figures; each entry's figure and interval (shown on `comparison_page(outcome)`) is one figure
    link, or a dash (an interval: nothing). A figure link is checked in every part: its text and
    tooltip are what `escape_markdown` and `tooltip` write for some text, and it links to the study's
    own source or audit page. A whitelist of what the generator writes, not a list of attacks: a
    template that writes other Markdown into the index row only costs its study a rebuild."""
    slug = summary.study
    _check_row(summary.index_row.markdown, slug, index_page)
    for number, entry in enumerate(summary.entries):
        where = f"summary.entries[{number}]"
        page = comparison_page(entry.outcome)
        if entry.shown != DASH and not _is_figure(entry.shown, slug, page):
            raise SummaryError(f"{where}.shown is not a figure as the generator writes it")
        if entry.shown_interval and not _is_figure(entry.shown_interval, slug, page):
            raise SummaryError(f"{where}.shown_interval is not a figure as the generator writes it")
        if entry.shown_events and not _is_events(entry.shown_events, slug, page):
            raise SummaryError(f"{where}.shown_events is not the groups' counts as the generator writes them")


def _check_row(markdown: str, slug: str, page: str) -> None:
    folder = _study_folder_from(page, slug)
    if not (markdown.startswith("|") and markdown.endswith("|")):
        raise SummaryError("summary.index_row.markdown is not a table row")
    position, depth = 0, 0
    while position < len(markdown):
        found = _FIGURE.match(markdown, position)
        if found:
            if not _is_figure(found[0], slug, page):
                raise SummaryError("summary.index_row.markdown holds a figure the generator does not write")
            position = found.end()
            continue
        found = _LINK.match(markdown, position)
        if found:
            if found["href"] != f"{folder}/index.md" or not _is_escaped(found["text"]):
                raise SummaryError("summary.index_row.markdown holds a link the generator does not write")
            position = found.end()
            continue
        found = _TAG.match(markdown, position)
        if found:
            depth += -1 if found[0] == "</span>" else 1
            if depth < 0:
                raise SummaryError("summary.index_row.markdown closes a span it did not open")
            position = found.end()
            continue
        found = _REFERENCE.match(markdown, position) or _PLAIN.match(markdown, position)
        if not found or (found.re is _REFERENCE and chr(min(int(found["code"]), 0x10FFFF)) not in _ESCAPED):
            raise SummaryError(
                f"summary.index_row.markdown holds {markdown[position : position + 12]!r}, "
                "which the generator does not write"
            )
        position = found.end()
    if depth:
        raise SummaryError("summary.index_row.markdown leaves a span open")


def _is_figure(markdown: str, slug: str, page: str) -> bool:
    """Whether `markdown` is one figure of study `slug` exactly as `figure_link` writes it on `page`."""
    found = _FIGURE.fullmatch(markdown)
    if not found:
        return False
    folder = _study_folder_from(page, slug) + "/"
    own_id = f"u-{slug}-"
    href, figure_id, title = found["href"], found["id"], found["title"]
    return (
        href.startswith(folder)
        and _figure_target().fullmatch(href, len(folder)) is not None
        and figure_id.startswith(own_id)  # (of the characters _FIGURE allows in an id)
        and found["text"] != ""
        and _is_escaped(found["text"])
        and tooltip(html.unescape(html.unescape(title))) == title
    )


@functools.cache
def _figure_target() -> re.Pattern[str]:
    """What follows the study's folder in a figure's link: a quote of its source page, or its audit."""
    from generator.figures import AUDIT_PAGE, SOURCE_PAGE

    return re.compile(rf"(?:{re.escape(SOURCE_PAGE)}#q-[0-9]+|{re.escape(AUDIT_PAGE)}#v-[a-z0-9-]*)")


@functools.lru_cache(maxsize=4096)
def _study_folder_from(page: str, slug: str) -> str:
    """The study's folder as a link from `page` writes it."""
    return posixpath.relpath(f"{STUDIES_FOLDER}/{slug}", posixpath.dirname(page))


EVENTS_JOINS = ("/", " vs ")
"""What stands between the figures of `ComparisonEntry.shown_events`: count/total, one group vs the other."""


def _is_events(markdown: str, slug: str, page: str) -> bool:
    """Whether `markdown` is count/total vs count/total, each a figure of study `slug` as `figure_link`
    writes it on `page`, joined exactly as `events_markdown` joins them."""
    figures = list(_FIGURE.finditer(markdown))
    gaps = [markdown[a.end() : b.start()] for a, b in itertools.pairwise(figures)]
    whole = bool(figures) and figures[0].start() == 0 and figures[-1].end() == len(markdown)
    expected = [EVENTS_JOINS[i % 2] for i in range(len(figures) - 1)]
    return (
        whole
        and len(figures) == 4
        and gaps == expected
        and all(_is_figure(found[0], slug, page) for found in figures)
    )


def events_text(markdown: str) -> str:
    """`shown_events` as plain text ('60/200 vs 30/100'): the figures' own text, joined as shown."""
    figures = [html.unescape(found["text"]) for found in _FIGURE.finditer(markdown)]
    return EVENTS_JOINS[1].join(EVENTS_JOINS[0].join(figures[i : i + 2]) for i in range(0, len(figures), 2))


def events_markdown(groups: list[tuple[str, str]]) -> str:
    """'count/total vs count/total' of two groups, each given as its two figures' Markdown."""
    return EVENTS_JOINS[1].join(EVENTS_JOINS[0].join(pair) for pair in groups)


def _is_escaped(markdown: str) -> bool:
    """Whether `markdown` is what `escape_markdown` writes for some text (and so shows it as text)."""
    return str(escape_markdown(html.unescape(markdown))) == markdown


@dataclass(frozen=True)
class StudyOutput:
    """One study built: its files (relative to the docs folder), its pages in reading order, every
    figure it publishes (for data/values.json) and what the site-wide pages show of it."""

    slug: str
    files: dict[str, bytes]
    nav: list[tuple[str, str]]
    values: list[dict]
    summary: StudySummary
    statistics: dict[str, Result] = field(default_factory=dict, compare=False)
    """The statistical results its build used (`recall`): kept in its cache entry for its next build,
    never published."""
