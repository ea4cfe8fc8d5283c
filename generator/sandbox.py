"""The templates' sandbox: a Jinja environment that runs a project's page templates safely.

Templates are part of a project, so they are input: they run sandboxed (no Python internals, no
changing data in place), within a time limit checked at every loop step and call, and within size
limits on every value one step makes and on the page; a template file that is a link out of the
templates folder is refused. `render_page` turns every failure into a TemplateError with the
template's file and line. What the site's pages add to it (their filters and globals) is
`generator.render`'s.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import time
import types
from collections import abc
from operator import index
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.filters import make_attrgetter, sync_do_join, sync_do_slice
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from markupsafe import EscapeFormatter, Markup

from generator.errors import Problem, TemplateError
from generator.text import escape_markdown

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
                kwargs = args[0]
                args = ()
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
    size, stack = 0, [value]
    shown: dict[int, int] = {}
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
                digits = re.findall(r"^\d*", template[at : at + 40])[0]
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


def sandbox(folders: tuple[Path, ...]) -> PageEnvironment:
    """The sandboxed environment of the template folders (the project's, then the package's), every
    limit in place: templates from those folders only, every {{ }} escaped for Markdown, undefined
    names an error."""
    env = PageEnvironment(
        loader=_ConfinedLoader(folders),
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
    env.filters.update(join=_join, sum=_sum)
    env.filters[GUARD_FILTER] = _guarded_loop
    return env


class _ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, the first folder's file of a name first, refusing a template that is a
    link to a file outside its folder (the content folder refuses links; a linked template would put
    any readable file in a page)."""

    def __init__(self, folders: tuple[Path, ...]):
        super().__init__(list(folders))
        self.folders = folders

    def get_source(self, environment: jinja2.Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        path = Path(filename)
        folder = next((f for f in self.folders if path.is_relative_to(f)), self.folders[0])
        outside_problem(path, folder)
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
    tb = exc.__traceback__
    found: tuple[Path, int | None] = (default, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
