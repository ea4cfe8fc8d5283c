"""Safe YAML reading that keeps line numbers, so errors can point into the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem

KeyPath = tuple[str | int, ...]


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Parse `path` safely; return the data and the 1-based line of every key path in it.

    Raises a Problem-carrying exception on a syntax error, with its line.
    """
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(Problem(path, f"YAML syntax error: {exc.problem}", line=line)) from exc
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


class YamlSyntaxError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _index_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines)


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of `path`, or of its nearest ancestor that is in the file."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
