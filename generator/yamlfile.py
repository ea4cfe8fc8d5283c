"""Safe, bounded reading of input files; YAML keeps line numbers, so errors can point into the file.

Input is read only from regular files of a bounded size (never a named pipe or a device, which
could block or never end). YAML is parsed as events first, refusing aliases and deep nesting before
anything builds or walks the document: a small file cannot expand into a huge one.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from generator.errors import InputError, Problem

KeyPath = tuple[str | int, ...]

MAX_INPUT_BYTES = 2 * 1024**2
"""The largest input file read (a study's description is about 10 kB, its tables less)."""
MAX_DEPTH = 50
"""The deepest nesting of lists and mappings a YAML file may have."""

_SPECIAL_FILES = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe",
    stat.S_ISSOCK: "a socket",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
}
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when installed: ten times faster than pure Python on a large file."""


def _refused(problem: Problem) -> InputError:
    return InputError([problem])


def read_input_bytes(path: Path) -> bytes:
    """The bytes of the regular file `path`; InputError, without blocking, for anything else."""
    try:
        _refuse_unreadable(path, path.stat())
        # a file swapped for a pipe meanwhile cannot block (POSIX); bytes as they are (Windows)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            _refuse_unreadable(path, os.fstat(fd))
            data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise _refused(Problem(path, "not found (or a link to nothing)")) from None
    except OSError as exc:
        raise _refused(Problem(path, f"cannot be read: {exc.strerror or exc}")) from None
    _refuse_large(path, len(data))  # it may have grown while being read
    return data


def _refuse_unreadable(path: Path, info: os.stat_result) -> None:
    kind = next((name for test, name in _SPECIAL_FILES.items() if test(info.st_mode)), None)
    if kind or not stat.S_ISREG(info.st_mode):
        raise _refused(Problem(path, f"is {kind or 'a special file'}; expected a regular file"))
    _refuse_large(path, info.st_size)


def _refuse_large(path: Path, size: int) -> None:
    if size > MAX_INPUT_BYTES:
        limit = MAX_INPUT_BYTES // 1024**2
        message = f"is {size / 1024**2:.1f} MB; expected at most {limit} MB (is this the right file?)"
        raise _refused(Problem(path, message))


def read_input_text(path: Path) -> str:
    """The UTF-8 text of the regular file `path`, without a leading byte-order mark (Excel writes one)."""
    raw = read_input_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = None
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            found = "it is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        else:
            line = raw.count(b"\n", 0, exc.start) + 1
            found = f"byte {exc.start} ({raw[exc.start]:#04x}) cannot be read; save the file as UTF-8"
        raise _refused(Problem(path, f"is not UTF-8 text: {found}", line=line)) from None


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse `path` safely; return the data and the 1-based line of every key path in it.

    Raises a located InputError on a syntax error, an alias, deep nesting, a repeated key or a
    value that cannot be read (such as the date 2013-02-30).
    """
    text = read_input_text(path)
    node, lines = _compose(path, text)
    loader = _BoundedLoader("")  # constructs from the node already composed
    try:
        return (loader.construct_document(node) if node is not None else None), lines
    except _BadValue as exc:
        raise _refused(Problem(path, exc.message, line=exc.line, field=_field_at(lines, exc.line))) from None
    except yaml.YAMLError as exc:  # an unknown tag, an unhashable key, bad base64, ...
        raise _refused(_syntax_problem(path, exc, text)) from None
    finally:
        loader.dispose()


def line_index(path: Path) -> dict[KeyPath, int]:
    """The 1-based line of every key path in a YAML file (tags such as !ENV need no constructor)."""
    return _compose(path, read_input_text(path))[1]


def _compose(path: Path, text: str) -> tuple[yaml.Node | None, dict[KeyPath, int]]:
    """The node tree of `text`, once its events show no alias and no deep nesting; and its lines."""
    try:
        _check_events(path, text)
        node = yaml.compose(text, Loader=_PARSER)
    except yaml.YAMLError as exc:
        raise _refused(_syntax_problem(path, exc, text)) from None
    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _index_lines(path, node, (), lines, problems)
    if problems:
        raise InputError(problems)
    return node, lines


def _check_events(path: Path, text: str) -> None:
    """Refuse the first alias and the first collection nested deeper than MAX_DEPTH, with its line."""
    depth = 0
    for event in yaml.parse(text, Loader=_PARSER):
        line = event.start_mark.line + 1 if event.start_mark else None  # the parser marks every event
        if isinstance(event, yaml.AliasEvent):
            raise _refused(
                Problem(
                    path,
                    f"YAML alias '*{event.anchor}' found; expected plain values: anchors and aliases "
                    "(&name, *name) are not read, so that a small file cannot expand into a huge one",
                    line=line,
                )
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep; expected a flatter structure"
                raise _refused(Problem(path, message, line=line))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _syntax_problem(path: Path, exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = mark.line + 1 if mark else None
    refused = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if isinstance(exc, yaml.reader.ReaderError) and refused:  # a character YAML refuses
        line = text.count("\n", 0, refused.start()) + 1
    return Problem(path, f"YAML syntax error: {problem}", line=line)


def _index_lines(path: Path, node: yaml.Node, at: KeyPath, lines: dict, problems: list[Problem]) -> None:
    """Record the line of every key path; a problem for each repeated key and each key that is not plain."""
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                message = f"expected a plain key, found {kind}"
                problems.append(Problem(path, message, line=line, field=dotted(at)))
                continue
            key = key_node.value
            if key in seen:
                problems.append(
                    Problem(
                        path,
                        f"key '{key}' appears twice (lines {seen[key]} and {line}); keep one",
                        line=line,
                        field=dotted((*at, key)),
                    )
                )
            seen[key] = line
            _index_lines(path, value_node, (*at, key), lines, problems)
            lines[(*at, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(path, item, (*at, index), lines, problems)


class _BadValue(yaml.YAMLError):
    """A scalar YAML recognises (a date, a number) but Python cannot hold, with its line."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message, self.line = message, line


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose unreadable values (2013-02-30, a 5,000-digit number, `!!int ''`) are located."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, MemoryError):
            raise
        except Exception as exc:  # PyYAML's constructors fail with whatever their input provokes
            raise _BadValue(_bad_value_message(node, exc), node.start_mark.line + 1) from None


def _bad_value_message(node: yaml.Node, exc: Exception) -> str:
    value = str(node.value)
    shown = repr(value if len(value) <= 40 else value[:40] + "…")
    expected = {
        "timestamp": "a date that exists (YYYY-MM-DD)",
        "int": f"a whole number (at most {sys.get_int_max_str_digits()} digits)",
        "float": "a number",
        "bool": "true or false",
    }.get(node.tag.rsplit(":", 1)[-1], f"a value of type {node.tag}")
    reason = str(exc).split(";")[0] if isinstance(exc, ValueError) else ""
    return f"expected {expected}, found {shown}" + (f" ({reason})" if reason else "")


def _field_at(lines: dict[KeyPath, int], line: int) -> str | None:
    """The dotted name of the deepest key path on `line`, if any."""
    paths = [path for path, at in lines.items() if at == line and path]
    return dotted(max(paths, key=len)) if paths else None


def dotted(loc: KeyPath) -> str:
    """('arms', 0, 'doses') -> 'arms[0].doses'."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{part}]"]
        else:
            parts.append(str(part))
    return ".".join(parts)


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of `path`, or of its nearest ancestor that is in the file."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
