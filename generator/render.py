"""Pages: Jinja templates filled from the computed results, as Markdown text, plus their downloads.

Everything here is pure text production: it returns {relative path: bytes}; `write` puts it on disk.
Templates receive one typed context per page and show figures only through `show`, which marks
each figure's provenance.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import itertools
import json
import os
import re
import time
import types
from collections import abc
from dataclasses import dataclass, replace
from operator import index
from pathlib import Path

import jinja2
import plotly.io as pio
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.filters import make_attrgetter, sync_do_join, sync_do_slice
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from markupsafe import EscapeFormatter, Markup

from generator import formatting
from generator.analysis import StudyResults
from generator.audit import RULES, AuditReport
from generator.changes import Changes
from generator.charts import (
    NARROW_WIDTH,
    Chart,
    dosing_chart,
    layout_value,
    measure_chart,
    measure_groups,
    open_intervals,
    proportion_chart,
)
from generator.comparison import INDEX_PAGE as COMPARISONS_INDEX
from generator.comparison import (
    Comparison,
    ComparisonPage,
    ComparisonsIndexPage,
    comparison_downloads,
    comparison_path,
    comparisons_dictionary,
)
from generator.config import DataSettings, SiteConfig
from generator.downloads import VALUES_INDEX
from generator.errors import Problem, TemplateError
from generator.figures import FigureLinks, ShowDocumentList, ShowFigure, highlighted_documents
from generator.forest import forest_chart
from generator.formatting import NumberFormat
from generator.layout import AUDIT, DESIGN, OVERVIEW, SOURCE, ResultPage, Section, StudyLayout
from generator.load import Study
from generator.model import ALL_PATIENTS, OutcomeVocabulary, SharedRef, parse_headline, parse_shared_ref
from generator.provenance import Value, ValueBook
from generator.summary import STUDIES_FOLDER, ComparisonEntry, IndexRow, StudySummary
from generator.text import code_block, escape_markdown, html_text, link_target

PAGE_TEMPLATES = {
    OVERVIEW: "study/overview.md.j2",
    DESIGN: "study/design.md.j2",
    AUDIT: "study/audit.md.j2",
    SOURCE: "study/source.md.j2",
}
RESULTS_TEMPLATE = "study/results.md.j2"
INDEX_ROW_TEMPLATE = "study/index_row.md.j2"
CHANGES_PAGE = "changes.md"
STUDIES_INDEX = f"{STUDIES_FOLDER}/index.md"
STUDIES_TITLE = "Study index"
REQUIRED_ASSETS = ("javascripts/charts.js", "stylesheets/extra.css")
"""The site's own script and styles under templates/assets/, which mkdocs.yml lists under
extra_javascript and extra_css (plotly.js comes from the installed package)."""

RENDER_SECONDS = 30.0
"""Longest one page may take to render: a template that loops without end stops, located."""
MAX_PAGE_CHARS = 50_000_000
"""Largest page (or output of one macro, call, filter or set block) a template may produce."""
MAX_VALUE_CHARS = 1_000_000
"""Longest text or list one operator, filter or method call in a template may make (`*`, `%`,
center, replace, join, str.format, ...): refused before it is made, as one call cannot be stopped."""
MAX_EXPONENT = 1024
MAX_INTEGER_BITS = 100_000
"""Largest whole number `*` or `**` may make (about 30,000 digits): `(10 ** 1000) ** 1000` passed the
exponent limit and then ran for minutes in one step."""
GUARD_FILTER = "_guarded_loop"


@dataclass(frozen=True)
class SiteInfo:
    """What identifies this build of the site."""

    title: str
    data_version: str
    built: dt.date


@dataclass(frozen=True)
class Card:
    """A headline result on a study's overview."""

    label: str
    arm_label: str
    for_all_patients: bool
    main: Value
    count: Value | None = None
    denominator: Value | None = None
    ci: Value | None = None


@dataclass(frozen=True)
class StudyPageContext:
    """What every study page template receives."""

    study: Study
    results: StudyResults
    book: ValueBook
    audit: AuditReport
    charts: dict[str, Chart]
    cards: list[Card]
    fmt: NumberFormat
    layout: StudyLayout
    links: FigureLinks
    name: str = ""
    show: ShowFigure | None = None
    result_page: ResultPage | None = None

    @property
    def pages(self) -> list[tuple[str, str]]:
        return self.layout.nav

    def row(self, table: str, record: dict) -> dict[str, Value]:
        return self.book.row(table, record)

    @property
    def path(self) -> str:
        return f"{self.links.folder}/{self.name}"

    def shown_on(self, value: Value) -> list[tuple[str, str]]:
        """(page title, link) of each page that shows `value`."""
        return self.links.backlinks((value.id,), self.path)

    @property
    def documents(self) -> ShowDocumentList:
        return highlighted_documents(self.links, self.path, self.study.meta.sources)

    @property
    def rules(self) -> dict[str, str]:
        return RULES


@dataclass(frozen=True)
class HomeContext:
    """What the home page template receives."""

    site: SiteInfo
    studies: int
    comparisons: list[Comparison]
    fmt: NumberFormat
    values_index: str
    changes: Changes
    licence: DataSettings
    """The licence of the data the site publishes (site_config.yml's data section)."""


@dataclass(frozen=True)
class StudiesContext:
    """What the study index template receives: each study's row, already rendered, sorted by year."""

    site: SiteInfo
    rows: list[Markup]
    fmt: NumberFormat


@dataclass(frozen=True)
class ChangesContext:
    """What the "What changed" page template receives: every data version, newest first."""

    site: SiteInfo
    history: list[Changes]
    study_titles: dict[str, str]


class RenderLimit(Exception):
    """A template went past a guard of PageEnvironment."""


class _GuardedLoops(CodeGenerator):
    """Compiles every {% for %} to iterate through GUARD_FILTER, which checks the clock each step;
    every `~` to join through `PageEnvironment.joined_text`, and every buffer (of a macro, a call,
    filter or set block) to a `_TextBuffer`, so that neither can grow without bound."""

    def visit_Template(self, node: nodes.Template, frame=None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, GUARD_FILTER, [], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)

    def buffer(self, frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.text_buffer()")

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.joined_text({join}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


class PageEnvironment(ImmutableSandboxedEnvironment):
    """The templates' Jinja: sandboxed (no Python internals, no changing lists or dicts in place;
    range() holds at most 100,000 numbers), with a deadline checked at every loop step and every
    call, and a size limit on every single value that one step can make large.

    Jinja has no while loop, so only loops and calls (macros calling themselves) can run long;
    but one call can make a huge text at once, so every operator, filter and method that can
    (`*`, `+`, `%`, `~`, str.format, center, replace, join, ...) is measured before it runs and
    refused past MAX_VALUE_CHARS. A page that still grows too large is stopped by `render_page`.
    """

    code_generator_class = _GuardedLoops
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    deadline = float("inf")
    page_size = 0
    """Characters of the page written so far (by `_generate`), checked at every loop step and call, so
    that a page grown too large stops inside the template line that grows it."""

    def start_page(self) -> None:
        self.deadline = time.monotonic() + RENDER_SECONDS
        self.page_size = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimit(f"it took longer than {RENDER_SECONDS:g} s: a loop or a macro without end?")
        if self.page_size > MAX_PAGE_CHARS:
            raise RenderLimit(f"the page grew past {MAX_PAGE_CHARS:,} characters")

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's signature
        __self.tick()
        size_of = _method_size(__obj)
        if size_of is None:
            return super().call(__context, __obj, *args, **kwargs)
        what = f"{type(__obj.__self__).__name__}.{__obj.__name__}()"
        if __obj.__name__ == "join" and args:  # an iterator is read once: measure its items, then join them
            args = (list(args[0]), *args[1:])
        _limit(size_of(__obj.__self__, *args, **kwargs), what)
        return _limited(super().call(__context, __obj, *args, **kwargs), what)

    def call_binop(self, context, operator: str, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise RenderLimit(f"an exponent above {MAX_EXPONENT} ({right})")
        bits = _integer_bits(operator, left, right)
        if bits > MAX_INTEGER_BITS:
            raise RenderLimit(
                f"'{operator}' would make a whole number of about {bits:,} bits, above the limit of "
                f"{MAX_INTEGER_BITS:,} (one such step cannot be stopped once it runs)"
            )
        if operator in _SIZE_OF:
            _limit(_SIZE_OF[operator](left, right), f"'{operator}'")
        return _limited(super().call_binop(context, operator, left, right), f"'{operator}'")

    def wrap_str_format(self, value):
        """str.format and str.format_map, as Jinja's sandbox wraps them, each field's width and
        precision and the text made so far limited to MAX_VALUE_CHARS."""
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        formatter = (
            _LimitedEscapeFormatter(self, escape=text.escape)
            if isinstance(text, Markup)
            else _LimitedFormatter(self)
        )
        format_map = value.__name__ == "format_map"

        def wrapper(*args, **kwargs):
            if format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                args, kwargs = (), args[0]
            return type(text)(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def joined_text(self, join, parts: tuple):
        """`a ~ b ~ ...`, refused when the text would be longer than MAX_VALUE_CHARS."""
        _limit(sum(map(_shown_size, parts)), "'~'")
        return _limited(join(parts), "'~'")

    def text_buffer(self) -> _TextBuffer:
        return _TextBuffer()


class _TextBuffer(list):
    """The output of a macro, a call, filter or set block, stopped past MAX_PAGE_CHARS characters
    (the page's own output is measured by `_generate`)."""

    size = 0

    def append(self, text) -> None:
        self._grow(len(text) if isinstance(text, str) else 0)
        super().append(text)

    def extend(self, texts) -> None:
        texts = list(texts)
        self._grow(sum(len(text) for text in texts if isinstance(text, str)))
        super().extend(texts)

    def _grow(self, size: int) -> None:
        self.size += size
        if self.size > MAX_PAGE_CHARS:
            raise RenderLimit(f"a macro, call, filter or set block grew past {MAX_PAGE_CHARS:,} characters")


def _integer_bits(operator: str, left, right) -> int:
    """About the size in bits of `left * right` or `left ** right` for whole numbers; 0 otherwise."""
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (left, right)):
        return 0
    if operator == "*":
        return left.bit_length() + right.bit_length()
    if operator == "**" and right > 0:
        return left.bit_length() * right
    return 0


def _limit(size: int, what: str) -> None:
    """Refuse, before it is made, a value of `size` characters or items above MAX_VALUE_CHARS."""
    if size > MAX_VALUE_CHARS:
        raise RenderLimit(
            f"{what} would make a text or list of {size:,} items, above the limit of "
            f"{MAX_VALUE_CHARS:,} for one value"
        )


def _limited(value, what: str):
    """`value`, if it is no longer than MAX_VALUE_CHARS (the check after a step estimated before)."""
    if isinstance(value, str | bytes | list | tuple | dict):
        _limit(len(value), what)
    return value


def _number(digits: str) -> int:
    """The number a run of digits writes, without converting thousands of digits."""
    digits = digits.lstrip("0")
    return int(digits) if len(digits) <= 15 else 10**15


def _length(value) -> int:
    """The length of a text, else 0 (other values are measured once made)."""
    return len(value) if isinstance(value, str | bytes) else 0


CONTAINERS = list | tuple | dict | set | frozenset


def _shown_size(value) -> int:
    """About the length of str(value): a text's length; for a list, tuple, dict or set, counted
    without making it (stopped past MAX_VALUE_CHARS), as its text repeats each item as often as it
    holds it (`[xs] * 1000` shows xs a thousand times); 0 for anything else (measured once made)."""
    if not isinstance(value, CONTAINERS):
        return _length(value)
    size, stack, shown = 0, [value], {}
    while stack and size <= MAX_VALUE_CHARS:
        item = stack.pop()
        if isinstance(item, str | bytes):
            size += len(item) + 3
        elif isinstance(item, dict):
            size += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, CONTAINERS):
            size += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, int):
            size += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            size += 24
        else:  # each other object made into text once, however often it is held
            if id(item) not in shown:
                shown[id(item)] = len(str(item))
            size += shown[id(item)]
    return size


def _repeated_size(left, right) -> int:
    """The length of `left * right` when it repeats a string or a sequence, else 0."""
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int):
            return len(sequence) * times
    return 0


def _joined_size(left, right) -> int:
    """The length of `left + right` when it joins two strings or sequences, else 0."""
    sequences = str | bytes | list | tuple
    return len(left) + len(right) if isinstance(left, sequences) and isinstance(right, sequences) else 0


def _printf_size(template, values) -> int:
    """At most the length of `template % values` (printf style): its text, the texts it puts in,
    and every field's width and precision ('%0999d' pads to 999, '%*d' takes its width from values)."""
    if isinstance(template, bytes):
        template = template.decode("latin-1")
    if not isinstance(template, str):
        return 0
    positional = list(values) if isinstance(values, tuple) else [values]
    given = values.values() if isinstance(values, abc.Mapping) else positional
    size, taken, end = len(template) + sum(map(_shown_size, given)), 0, len(template)
    at = template.find("%")
    while at != -1:
        at += 1
        depth = 0
        while at < end and (depth or template[at] == "("):  # a mapping key, its parentheses balanced
            depth += {"(": 1, ")": -1}.get(template[at], 0)
            at += 1
        while at < end and template[at] in "-+ #0":
            at += 1
        for part in ("width", "precision"):
            if part == "precision" and not template.startswith(".", at):
                break
            at += part == "precision"
            if template.startswith("*", at):
                star = positional[taken] if taken < len(positional) else 0
                size += abs(star) if isinstance(star, int) else 0
                taken, at = taken + 1, at + 1
            else:
                digits = re.match(r"\d*", template[at : at + 40]).group()
                size += _number(digits) if digits else 0
                at += len(digits)
        while at < end and template[at] in "hlL":
            at += 1
        taken += at < end and template[at] != "%"
        at = template.find("%", at + 1)
    return size


_SIZE_OF = {"*": _repeated_size, "%": _printf_size, "+": _joined_size}
FORMAT_SPEC_NUMBER = re.compile(r"\d+")


class _LimitedFormatter(SandboxedFormatter):
    """The sandbox's str.format, refusing a field wider or more precise than MAX_VALUE_CHARS
    before formatting it, and a text that grows past it."""

    made = 0

    def vformat(self, format_string, args, kwargs):
        self.made = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def convert_field(self, value, conversion):
        _limit(_shown_size(value), "str.format()")
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        numbers = FORMAT_SPEC_NUMBER.findall(str(format_spec))
        _limit(max([_shown_size(value), *map(_number, numbers)]), "str.format()")
        text = super().format_field(value, format_spec)
        self.made += len(text)
        _limit(self.made, "str.format()")
        return text


class _LimitedEscapeFormatter(_LimitedFormatter, EscapeFormatter):
    """The same for Markup.format, which escapes what it puts in."""


def _width(width) -> int:
    """A width or count as Python's str methods read it."""
    return index(width)


def _padded_size(text, width, *_fill) -> int:
    return max(len(text), _width(width))


def _replaced_size(text, old, new, count=-1) -> int:
    found = text.count(old) if len(old) else len(text) + 1
    count = -1 if count is None else _width(count)
    return len(text) + (found if count < 0 else min(found, count)) * max(len(new) - len(old), 0)


def _joined_items_size(separator, items) -> int:
    return sum(map(_length, items)) + len(separator) * max(len(items) - 1, 0)


def _translated_size(text, table, *_delete) -> int:
    values = (
        table.values() if isinstance(table, abc.Mapping) else table if isinstance(table, list | tuple) else ()
    )
    return len(text) * max((len(v) for v in values if isinstance(v, str | bytes)), default=1)


def _expanded_size(text, tabsize=8) -> int:
    return len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(_width(tabsize), 0)


_TEXT_METHODS = {
    "center": _padded_size,
    "ljust": _padded_size,
    "rjust": _padded_size,
    "zfill": _padded_size,
    "expandtabs": _expanded_size,
    "replace": _replaced_size,
    "join": _joined_items_size,
    "translate": _translated_size,
}
"""str (and bytes, Markup) methods whose result can be much longer than the text: their sizes."""


def _method_size(obj):
    """How to measure what calling `obj` makes, if it is a method that can make a huge value."""
    if not isinstance(obj, types.BuiltinMethodType | types.MethodType):
        return None
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if isinstance(owner, str | bytes):
        return _TEXT_METHODS.get(name)
    if isinstance(owner, int) and name == "to_bytes":
        return lambda _number, length=1, *_args, **_kwargs: _width(length)
    return None


TEXT_FILTERS = frozenset(
    {
        *("capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower", "pprint"),
        *("replace", "safe", "string", "striptags", "title", "trim", "truncate", "upper", "urlencode"),
        *("urlize", "wordcount", "wordwrap", "xmlattr"),
    }
)
"""Jinja's filters that make their value into text: a list or dict given to them is measured
first (see `_shown_size`); what any of them makes is measured once made, as it is at most a few
times as long as their value and arguments, unless `_filter_sizes` measures it before."""


def _filter_sizes() -> dict:
    """Jinja's filters that can make a text or list much larger than their value, and how long it
    would be, measured from their arguments before they run."""
    return {
        "center": lambda value, width=80: max(len(str(value)), _width(width)),
        "format": lambda value, *args, **kwargs: _printf_size(str(value), kwargs or args),
        "indent": _indented_size,
        "wordwrap": _wrapped_size,
        "truncate": lambda _env, s, length=255, killwords=False, end="...", leeway=None: (
            min(len(s), _width(length)) + len(end)
        ),
        "replace": lambda _ctx, s, old, new, count=None: _replaced_size(str(s), str(old), str(new), count),
        "batch": lambda _value, linecount, fill_with=None: 0 if fill_with is None else _width(linecount),
        "slice": lambda _value, slices, fill_with=None: _width(slices),  # on sync_do_slice
        "tojson": _json_size,
        "urlize": _urlized_size,
    }


def _indented_size(s, width=4, first=False, blank=False) -> int:
    indention = len(width) if isinstance(width, str) else _width(width)
    return len(s) + (s.count("\n") + 2) * indention


def _wrapped_size(env, s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True) -> int:
    """textwrap breaks lines at whitespace, hyphens and (long words) every `width` characters."""
    breaks = sum(map(s.count, "\t\n\x0b\x0c\r -")) + len(s) // max(_width(width), 1) + 1
    wrap = env.newline_sequence if wrapstring is None else wrapstring
    return len(s) + min(breaks, len(s) + 1) * len(wrap)


def _json_size(eval_ctx, value, indent=None) -> int:
    """The length of the JSON, counted as it is written and stopped past the limit."""
    if indent is not None:
        _limit(len(indent) if isinstance(indent, str) else _width(indent), "the tojson filter's indent")
    options = {**eval_ctx.environment.policies["json.dumps_kwargs"], "indent": indent}
    size = 0
    for chunk in json.JSONEncoder(**options).iterencode(value):
        size += len(chunk)
        if size > MAX_VALUE_CHARS:
            break
    return size


def _urlized_size(
    eval_ctx, value, trim_url_limit=None, nofollow=False, target=None, rel=None, extra_schemes=None
):
    """Each word may become a link carrying `target` and `rel`."""
    words = sum(1 for _ in re.finditer(r"\s+", str(value))) + 1
    return len(str(value)) + words * (len(target or "") + len(rel or ""))


def _limited_filter(name: str, filter_, size_of):
    """`filter_`, refused past MAX_VALUE_CHARS: measured before it runs by `size_of` (if any) and by
    the text of its value (if it makes text of it), and once it has run."""
    what = f"the {name} filter"
    value_at = 1 if hasattr(filter_, "jinja_pass_arg") else 0  # after Jinja's environment or context

    @functools.wraps(filter_)
    def limited(*args, **kwargs):
        if name in TEXT_FILTERS and len(args) > value_at:
            _limit(_shown_size(args[value_at]), what)
        if size_of is not None:
            _limit(size_of(*args, **kwargs), what)
        return _limited(filter_(*args, **kwargs), what)

    return limited


@jinja2.pass_eval_context
def _join(eval_ctx, value, d="", attribute=None):
    """Jinja's join, its items measured before they are joined."""
    if attribute is not None:
        value = map(make_attrgetter(eval_ctx.environment, attribute), value)
    items, size = [], 0
    for item in value:
        items.append(item)
        shown = _shown_size(item) if isinstance(item, str | CONTAINERS) else len(str(item))
        size += shown + len(str(d))
        _limit(size, "the join filter")
    return _limited(sync_do_join(eval_ctx, items, d), "the join filter")


@jinja2.pass_environment
def _sum(env, iterable, attribute=None, start=0):
    """Jinja's sum; lists or tuples (start=[]) are measured, then joined in one step, not
    one by one (which takes a time growing with the square of their number)."""
    if attribute is not None:
        iterable = map(make_attrgetter(env, attribute), iterable)
    if not isinstance(start, list | tuple):
        return sum(iterable, start)
    kind = list if isinstance(start, list) else tuple
    items, size = [], len(start)
    for item in iterable:
        if not isinstance(item, kind):
            raise TypeError(
                f'can only concatenate {kind.__name__} (not "{type(item).__name__}") to {kind.__name__}'
            )
        items.append(item)
        size += len(item)
        _limit(size, "the sum filter")
    return kind(itertools.chain(start, *items))


def _shown(value):
    """The finalizer of every {{ }}: `escape_markdown`, once a list or dict is measured."""
    if isinstance(value, CONTAINERS):
        _limit(_shown_size(value), "showing a list or dict")
    return escape_markdown(value)


@jinja2.pass_environment
def _guarded_loop(env: PageEnvironment, iterable):
    """The items of a {% for %} loop, the clock checked before each."""
    for item in iterable:
        env.tick()
        yield item


@functools.lru_cache(maxsize=4)
def environment(templates_dir: Path) -> PageEnvironment:
    """The page environment of a templates folder, made once per process (it caches compiled templates)."""
    return make_environment(templates_dir)


def make_environment(templates_dir: Path) -> PageEnvironment:
    env = PageEnvironment(
        loader=_ConfinedLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=_shown,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # lipsum(n) writes n paragraphs of random words in one call: no page needs it
    del env.globals["lipsum"]
    originals, sizes = {**env.filters, "slice": sync_do_slice}, _filter_sizes()
    for name in sorted(TEXT_FILTERS | sizes.keys()):
        env.filters[name] = _limited_filter(name, originals[name], sizes.get(name))
    env.filters.update(
        join=_join,
        sum=_sum,
        reference=formatting.vancouver_reference,
        short_authors=formatting.short_authors,
        design_words=formatting.design_words,
        allocation_words=formatting.allocation_words,
        figure_json=figure_json,
        code_block=code_block,
        url=link_target,
    )
    env.filters[GUARD_FILTER] = _guarded_loop
    env.globals["ALL"] = ALL_PATIENTS
    return env


class _ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, refusing a template that is a link to a file outside the templates folder
    (the content folder refuses links; a linked template would put any readable file in a page)."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.folder = folder

    def get_source(self, environment: jinja2.Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        outside_problem(Path(filename), self.folder)
        return source, filename, uptodate


def outside_problem(path: Path, folder: Path) -> None:
    """A TemplateError when `path`, links followed, is not inside `folder`."""
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        message = (
            f"is a link to {target}, outside the templates folder {folder}; "
            "copy the file into the templates folder instead"
        )
        raise TemplateError([Problem(path, message)])


def check_links(templates_dir: Path) -> None:
    """Refuse a link anywhere in the templates folder (pages, assets, the theme's overrides, which
    mkdocs reads) that leads outside it."""
    for folder, names, files in os.walk(templates_dir):
        for name in [*names, *files]:
            path = Path(folder) / name
            if path.is_symlink():
                outside_problem(path, templates_dir)


def figure_json(chart: Chart) -> Markup:
    """The figure as JSON for an HTML attribute, with sorted keys so builds are reproducible; beside
    plotly's `data` and `layout`, what the page script needs (see `chart_extras`).

    An attribute, not a <script> element: Material's instant navigation re-runs inline scripts as
    JavaScript, whatever their type.
    """
    data = json.loads(pio.to_json(chart.figure, validate=False))
    data.update(chart_extras(chart, data["layout"]))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Markup(html.escape(text, quote=True))


def chart_extras(chart: Chart, layout: dict) -> dict:
    """The layout updates for a narrow screen and back (`narrow`, `wide`: the same keys), and the
    chart's points as a table (`table`: column names and rows of text, shown with textContent)."""
    extras: dict = {
        "narrow": chart.narrow,
        "wide": {key: layout_value(layout, key) for key in chart.narrow},
        "narrowWidth": NARROW_WIDTH,
    }
    if chart.table is not None:
        extras["table"] = {"columns": list(chart.table.columns), "rows": [list(r) for r in chart.table.rows]}
    return extras


def study_charts(results: StudyResults, layout: StudyLayout, fmt: NumberFormat) -> dict[str, Chart]:
    """The charts of one study, keyed by table name (and `dosing`); one for each table on a page."""
    charts = {}
    if not results.schedules.empty:
        charts["dosing"] = dosing_chart(
            "dosing",
            "Dose given on each day of a cycle, by arm, on one dose scale",
            "Dose given on each day of a treatment cycle, by arm, as reported. A whisker spans a "
            "reported dose range; the shaded band is the window in which the next cycle starts.",
            results,
        )
    sections = [s for page in layout.result_pages for s in page.sections] + layout.design_sections
    for section in sections:
        chart = _section_chart(results, section, fmt)
        if chart is not None:
            charts[section.table] = chart
    return charts


def _section_chart(results: StudyResults, section: Section, fmt: NumberFormat) -> Chart | None:
    """The chart of one section's table: dots with intervals for proportions, points for measures."""
    ci = "the confidence interval computed by this site from n/N"
    if section.kind == "proportions":
        return proportion_chart(
            section.table,
            f"{section.title}: percent of patients for each outcome, with its interval",
            f"Proportion of patients for each outcome, with {ci}; a hollow dot is a percentage "
            "reported without its count.",
            results.proportions[section.table],
            fmt,
        )
    if section.kind == "measures":
        frame = results.measures[section.table]
        groups = measure_groups(frame)
        if not groups:
            return None
        measures = [_in_sentence(str(g["label"].iloc[0])) for g in groups]
        named = ", ".join(measures[:-1]) + (" and " if len(measures) > 1 else "") + measures[-1]
        left_out = len(frame) - sum(len(g) for g in groups)
        words = " Figures given in words are in the table only." if left_out else ""
        if open_intervals(groups):
            words += (
                " An interval with a bound given in words (such as not reached) runs to the edge of the "
                "axis and ends in an arrowhead."
            )
        return measure_chart(
            section.table,
            f"{section.title}, as reported"
            if named.lower() == section.title.lower()
            else f"{section.title}: {named}",
            "Each measure as reported, in its own panel (panels in the same unit share a scale), for "
            "all patients, each arm and each subgroup: a whisker spans the reported interval, a hollow "
            f"point is a figure reported without one.{words} No curve is modelled.",
            frame,
        )
    return None


def _in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter lower case, unless the word is an acronym."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def headline_cards(results: StudyResults, book: ValueBook) -> list[Card]:
    """The overview's cards, in the order of the study's `headline` list (table:outcome@arm)."""
    cards = []
    for ref in results.study.meta.headline:
        headline = parse_headline(ref)
        frame = results.proportions.get(headline.table, results.measures.get(headline.table))
        record = headline.rows(frame).iloc[0].to_dict()
        values = book.row(headline.table, record)
        main = values.get("estimate") or values.get("value") or values["percent"]
        cards.append(
            Card(
                record["label"],
                record["arm_label"],
                record["arm"] == ALL_PATIENTS,
                main,
                values.get("count"),
                values.get("denominator"),
                values.get("ci"),
            )
        )
    return cards


def render_study(
    env: PageEnvironment,
    result: StudyResults,
    audit: AuditReport,
    link: FigureLinks,
    charts: dict[str, Chart],
    layout: StudyLayout,
    fmt: NumberFormat,
    vocabulary: OutcomeVocabulary,
) -> tuple[dict[str, bytes], StudySummary]:
    """One study's pages, and what the site-wide pages show of it.

    The study index row and the comparison entries are rendered first and the source page last, so
    that every use of a figure is recorded when the source page links back to it.
    """
    context = StudyPageContext(
        result.study, result, link.book, audit, charts, headline_cards(result, link.book), fmt, layout, link
    )
    summary = study_summary(env, context, vocabulary)
    titles = dict((name, title) for title, name in layout.nav)
    pages = [(name, PAGE_TEMPLATES[name], None) for name in (OVERVIEW, DESIGN)]
    pages += [(p.name, RESULTS_TEMPLATE, p) for p in layout.result_pages]
    pages += [(name, PAGE_TEMPLATES[name], None) for name in (AUDIT, SOURCE)]
    files = {}
    for name, template, result_page in pages:
        show = link.for_page(f"{link.folder}/{name}", titles[name])
        page = replace(context, name=name, show=show, result_page=result_page)
        files[f"{link.folder}/{name}"] = render_page(env, template, {"page": page})
    return files, summary


def study_summary(
    env: PageEnvironment, context: StudyPageContext, vocabulary: OutcomeVocabulary
) -> StudySummary:
    """The study's row of the study index and its figures for the outcomes it shares with other studies."""
    study, link = context.study, context.links
    show = link.for_page(STUDIES_INDEX, STUDIES_TITLE, shared=True)
    row = render_page(env, INDEX_ROW_TEMPLATE, {"page": replace(context, name="index.md", show=show)})
    markdown = " ".join(row.decode("utf-8").split("\n")).strip()
    titles = {outcome.key: outcome.title for outcome in vocabulary.outcomes}
    entries = [
        entry
        for key, ref in study.meta.shared_outcomes.items()
        for entry in comparison_entries(
            context, key, parse_shared_ref(ref), link.for_page(comparison_path(key), titles[key], shared=True)
        )
    ]
    citation = study.meta.citation
    return StudySummary(
        study=study.slug,
        title=study.meta.short_title,
        folder=study.published_folder or study.folder.as_posix(),
        doi=citation.doi,
        pmid=citation.pmid,
        index_row=IndexRow(study.slug, study.meta.short_title, citation.year, markdown),
        entries=entries,
    )


def comparison_entries(
    context: StudyPageContext, key: str, ref: SharedRef, show: ShowFigure
) -> list[ComparisonEntry]:
    """The study's figures for one shared outcome, each shown (with its provenance) on the comparison page."""
    study, results = context.study, context.results
    kind = study.tables[ref.table].kind.name
    frame = {"proportions": results.proportions, "measures": results.measures, "effects": results.effects}[
        kind
    ]
    entries = []
    for record in ref.rows(frame[ref.table]).to_dict("records"):
        values = context.book.row(ref.table, record)
        numbers = _entry_numbers(kind, record, context.fmt)
        main = values.get("estimate") or values.get("value") or values.get("percent") or values.get("p_value")
        interval = values.get("ci") or values.get("reported_ci")
        shown_interval = show(interval) if interval is not None else ""
        arm = record["arm_label"]
        roles = {a.id: a.role for a in study.meta.arms}
        oriented = False
        if kind == "effects":
            arm = f"{record['arm_label']} vs {record['reference_label']}"
            oriented = (roles.get(record["arm"]), roles.get(record["reference_arm"])) == (
                "experimental",
                "control",
            )
        entries.append(
            ComparisonEntry(
                outcome=key,
                study=study.slug,
                study_title=study.meta.short_title,
                year=study.meta.citation.year,
                design=formatting.design_words(study.meta.design),
                population=_population(study, record, kind),
                arm=arm,
                subgroup=_text_or_none(record.get("subgroup")),
                kind=kind,
                page=context.layout.page_of(ref.table, context.links.folder),
                shown=str(show(main)),
                shown_interval=str(shown_interval),
                experimental_vs_control=oriented,
                registry_id="; ".join(r.id for r in study.meta.design.registrations),
                doi=study.meta.citation.doi,
                **numbers,
                **_printed(kind, record, numbers),
            )
        )
    return entries


def _entry_numbers(kind: str, record: dict, fmt: NumberFormat) -> dict:
    """estimate, interval (and its level and origin), status, count and denominator of one row."""
    status = str(record.get("status") or "reported")
    if kind == "proportions":
        count, denominator = _int_or_none(record.get("count")), _int_or_none(record.get("denominator"))
        if _float_or_none(record.get("reported_ci_low")) is not None:
            low, high = record["reported_ci_low"] / 100, record["reported_ci_high"] / 100
            level, interval = _level(record.get("ci_level")), "reported"  # None when not printed
        elif _float_or_none(record.get("ci_low")) is not None:
            low, high, level, interval = record["ci_low"], record["ci_high"], fmt.level, "computed"
        else:
            low = high = level = None
            interval = "none"
        estimate = _float_or_none(record.get("estimate"))
        if estimate is None and _float_or_none(record.get("percent")) is not None:
            estimate = float(record["percent"]) / 100
        return dict(
            measure="proportion",
            estimate=estimate,
            ci_low=_float_or_none(low),
            ci_high=_float_or_none(high),
            ci_level=level,
            interval=interval,
            status=status,
            count=count,
            denominator=denominator,
        )
    value = record.get("value") if kind == "measures" else record.get("estimate")
    low, high = _float_or_none(record.get("ci_low")), _float_or_none(record.get("ci_high"))
    has_interval = low is not None and high is not None
    return dict(
        measure=str(record.get("unit") if kind == "measures" else record.get("measure")),
        estimate=_float_or_none(value),
        ci_low=low if has_interval else None,
        ci_high=high if has_interval else None,
        ci_level=_level(record.get("ci_level")) if has_interval else None,  # as printed, or unknown
        interval="reported" if has_interval else "none",
        status=status,
    )


def _printed(kind: str, record: dict, numbers: dict) -> dict[str, str]:
    """The estimate and interval bounds as the source prints them (digits kept: '4.0'), where it does: a
    proportion's percentage when its estimate is the printed one, and its printed interval."""
    reported = numbers["interval"] == "reported"
    if kind == "proportions":
        estimate = record.get("percent") if _float_or_none(record.get("estimate")) is None else None
        bounds = ("reported_ci_low", "reported_ci_high")
    else:
        estimate = record.get("value") if kind == "measures" else record.get("estimate")
        bounds = ("ci_low", "ci_high")
    low, high = (record.get(bounds[0]), record.get(bounds[1])) if reported else (None, None)
    cells = {"estimate_printed": estimate, "ci_low_printed": low, "ci_high_printed": high}
    return {name: str(value) if _float_or_none(value) is not None else "" for name, value in cells.items()}


def _float_or_none(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _int_or_none(value) -> int | None:
    number = _float_or_none(value)
    return None if number is None else int(number)


def _level(value) -> float | None:
    number = _float_or_none(value)
    return None if number is None else (number / 100 if number > 1 else number)


def _text_or_none(value) -> str | None:
    return (
        None if value is None or (isinstance(value, float) and value != value) or value == "" else str(value)
    )


def _population(study: Study, record: dict, kind: str) -> str:
    """Who a figure is about: 'Treated, n = 116' (the arm's own count for an arm), 'Randomized, n = 271
    vs 134' for an effect, or 'n = 36' for a proportion of a subset the analysis sets do not name."""
    sets = {s.id: s for s in study.meta.population.sets}
    named = _text_or_none(record.get("set"))
    analysis_set = sets.get(named or "", study.meta.population.sets[0])

    def patients(arm: str | None) -> int | None:
        if arm == ALL_PATIENTS:
            return analysis_set.n
        arm_sets = next((a.sets for a in study.meta.arms if a.id == arm), [])
        return next((s.n for s in arm_sets if s.id == analysis_set.id), None)

    if kind == "effects":
        ours, theirs = patients(record["arm"]), patients(record.get("reference_arm"))
        both = ours is not None and theirs is not None
        return f"{analysis_set.name}, n = {ours} vs {theirs}" if both else analysis_set.name
    n = patients(record["arm"])
    denominator = _int_or_none(record.get("denominator")) if kind == "proportions" else None
    if denominator is not None and denominator != n and not named:
        return f"n = {denominator}"
    return f"{analysis_set.name}, n = {n}" if n is not None else analysis_set.name


def render_site_pages(
    env: PageEnvironment,
    summaries: list[StudySummary],
    comparisons: list[Comparison],
    config: SiteConfig,
    site: SiteInfo,
    history: list[Changes],
) -> dict[str, bytes]:
    """The pages about the whole site: home, the study index, the comparisons and what changed
    (`history`: the record of every data version, newest first)."""
    fmt = NumberFormat(config)
    changes = history[0]
    rows = [
        Markup(s.index_row.markdown) for s in sorted(summaries, key=lambda s: (s.index_row.year, s.study))
    ]
    home = HomeContext(site, len(summaries), comparisons, fmt, VALUES_INDEX, changes, config.data)
    files = {
        "index.md": render_page(env, "home.md.j2", {"page": home}),
        STUDIES_INDEX: render_page(env, "studies.md.j2", {"page": StudiesContext(site, rows, fmt)}),
    }
    titles = {s.study: s.title for s in summaries}
    files[CHANGES_PAGE] = render_page(env, "changes.md.j2", {"page": ChangesContext(site, history, titles)})
    if comparisons:
        index = ComparisonsIndexPage(site, comparisons, fmt)
        files[COMPARISONS_INDEX] = render_page(env, "comparisons.md.j2", {"page": index})
    charts = {}
    for comparison in comparisons:
        chart = charts[comparison.key] = forest_chart(comparison, fmt)
        page = ComparisonPage(site, comparison, chart, fmt)
        files[comparison_path(comparison.outcome.key)] = render_page(env, "comparison.md.j2", {"page": page})
        files.update(comparison_downloads(comparison, chart, config.statistics))
    files.update(comparisons_dictionary(comparisons, charts, config.statistics))
    return files


def site_nav(
    summaries: list[StudySummary], navs: dict[str, list[tuple[str, str]]], comparisons
) -> list[dict]:
    """The navigation: the site's sections, each study a section of Studies, each comparison a page."""
    studies: list = [{STUDIES_TITLE: STUDIES_INDEX}]
    for summary in sorted(summaries, key=lambda s: s.study):
        # mkdocs' theme writes navigation titles as HTML: a title from the data is escaped here
        pages = [
            {html_text(title): f"{STUDIES_FOLDER}/{summary.study}/{name}"}
            for title, name in navs[summary.study]
        ]
        studies.append({html_text(summary.title): pages})
    nav: list[dict] = [{"Home": "index.md"}, {"Studies": studies}]
    if comparisons:
        compared: list = [{"All comparisons": COMPARISONS_INDEX}]
        compared += [{html_text(c.outcome.title): comparison_path(c.outcome.key)} for c in comparisons]
        nav.append({"Comparisons": compared})
    nav.append({"What changed": CHANGES_PAGE})
    return nav


def render_page(env: PageEnvironment, template: str, context: dict) -> bytes:
    """One page; every failure of a template becomes a TemplateError with its file and line."""
    where = Path(template)
    try:
        page = env.get_template(template)
        where = Path(page.filename or template)
        return _generate(env, page, context).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        where = Path(exc.filename or template)
        raise TemplateError(
            [Problem(where, f"template syntax error: {exc.message}", line=exc.lineno)]
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError([Problem(Path(template), f"template not found: {exc.name}")]) from None
    except RecursionError as exc:
        raise _located(exc, where, "a macro or include calls itself without end") from None
    except jinja2.UndefinedError as exc:
        raise _located(exc, where, f"undefined in template: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise _located(exc, where, f"not allowed in a template: {exc}") from None
    except RenderLimit as exc:
        raise _located(exc, where, f"template stopped: {exc}") from None
    except (
        jinja2.TemplateError,
        TypeError,
        ValueError,
        LookupError,
        AttributeError,
        ArithmeticError,
        AssertionError,  # Jinja's truncate checks its arguments with assert
    ) as exc:
        raise _located(exc, where, f"error in template: {type(exc).__name__}: {exc}") from None
    except MemoryError as exc:
        raise _located(exc, where, "template stopped: it ran out of memory") from None


def _generate(env: PageEnvironment, page: jinja2.Template, context: dict) -> str:
    """The page's text, stopped when it grows past MAX_PAGE_CHARS or takes past RENDER_SECONDS."""
    env.start_page()
    chunks, size = [], 0
    for chunk in page.generate(context):
        size += len(chunk)
        env.page_size = size  # the template stops at its next loop step or call, with its line
        if size > MAX_PAGE_CHARS + MAX_VALUE_CHARS:  # text alone grows a page by at most one value
            raise RenderLimit(f"the page grew past {MAX_PAGE_CHARS:,} characters")
        chunks.append(chunk)
    return "".join(chunks)


def _located(exc: BaseException, page: Path, message: str) -> TemplateError:
    where, line = _template_frame(exc, page)
    return TemplateError([Problem(where, message, line=line)])


def _template_frame(exc: BaseException, default: Path) -> tuple[Path, int | None]:
    """The template file and line where rendering failed (Jinja maps its frames to template lines)."""
    tb, found = exc.__traceback__, (default, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def site_assets(templates_dir: Path) -> dict[str, bytes]:
    """The site's scripts and styles from templates/assets: plotly.js is its pinned basic bundle there."""
    check_links(templates_dir)
    folder = templates_dir / "assets"
    paths = [path for path in sorted(folder.rglob("*")) if path.is_file()]
    files = {f"assets/{path.relative_to(folder).as_posix()}": path.read_bytes() for path in paths}
    missing = [f"assets/{name}" for name in REQUIRED_ASSETS if not files.get(f"assets/{name}", b"").strip()]
    if missing:
        state = "is missing or empty" if not files else f"lacks {', '.join(missing)} (or it is empty)"
        expected = " and ".join(f"assets/{name}" for name in REQUIRED_ASSETS)
        raise TemplateError(
            [
                Problem(
                    folder,
                    f"{state}: the site needs its script and styles, {expected}, "
                    "which mkdocs.yml lists under extra_javascript and extra_css",
                )
            ]
        )
    return files
