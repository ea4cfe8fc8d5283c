"""Safe YAML reading that keeps line numbers, so errors can point into the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import InputError, Problem

KeyPath = tuple[str | int, ...]


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse `path` safely; return the data and the 1-based line of every key path in it.

    Raises a Problem-carrying exception on a syntax error, with its line.
    """
    lines = line_index(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_syntax_problem(path, exc)) from exc
    return data, lines


def line_index(path: Path) -> dict[KeyPath, int]:
    """The 1-based line of every key path in a YAML file (tags such as !ENV need no constructor)."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(Problem(path, f"is not UTF-8 text (byte {exc.start} cannot be read)")) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_syntax_problem(path, exc)) from exc
    lines: dict[KeyPath, int] = {}
    repeated: list[tuple[KeyPath, int, int]] = []
    if node is not None:
        _index_lines(node, (), lines, repeated)
    if repeated:
        problems = [
            Problem(
                path,
                f"key '{key[-1]}' appears twice (lines {first} and {line}); keep one",
                line=line,
                field=".".join(str(k) for k in key),
            )
            for key, first, line in repeated
        ]
        raise InputError(problems)
    return lines


def _syntax_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(path, f"YAML syntax error: {problem}", line=mark.line + 1 if mark else None)


class YamlSyntaxError(InputError):
    """A YAML file that cannot be parsed, with the line where parsing stopped."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__([problem])


def _index_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], repeated: list) -> None:
    """Record the line of every key path, and each key that a mapping repeats."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                repeated.append(((*path, key), seen[key], line))
            seen[key] = line
            _index_lines(value_node, (*path, key), lines, repeated)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, repeated)


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of `path`, or of its nearest ancestor that is in the file."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
