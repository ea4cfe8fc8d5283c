"""Turn pydantic validation errors into located Problems (file, line or row, field, expectation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from generator.errors import InputError, Problem
from generator.yamlfile import KeyPath, dotted, line_of, read_yaml

M = TypeVar("M", bound=BaseModel)


def read_validated(path: Path, model: type[M], error: type[InputError]) -> M:
    """A YAML file validated against `model`; `error` lists every problem, each with its line."""
    try:
        data, lines = read_yaml(path)
    except InputError as exc:  # not a regular file, YAML syntax, an alias, a key given twice, ...
        raise error(exc.problems) from None
    problems: list[Problem] = []
    result = validate(model, data or {}, path, problems, lines=lines)
    if result is None:
        raise error(problems)
    return result


def validate(
    model: type[M],
    data: Any,
    file: Path,
    problems: list[Problem],
    *,
    lines: dict[KeyPath, int] | None = None,
    line: int | None = None,
) -> M | None:
    """Validate `data` against `model`; on failure add one Problem per error and return None.

    The line of each error comes from `lines` (key path to line, for YAML) or is `line` (a CSV row).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = line_of(lines, loc) if lines is not None else line
            message = _describe(error)
            if error["type"] == "extra_forbidden":
                message += f"; expected one of: {', '.join(fields_at(model, loc[:-1]))}"
            problems.append(Problem(file, message, line=where, field=dotted(loc) or None))
        return None


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    message = error["msg"].removeprefix("Value error, ")
    found = error.get("input")
    if found is None and kind.endswith("_type"):
        return f"is empty; {message[0].lower()}{message[1:]}"
    if kind == "value_error" and isinstance(found, dict):
        return message  # a rule across fields: the message names them
    shown = repr(found) if not isinstance(found, (dict, list)) else type(found).__name__
    return f"{message}; found {shown}"


def fields_at(model: type[BaseModel], loc: KeyPath) -> list[str]:
    """The field names of the (nested) model that `loc` points into."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        current = _model_in(field.annotation) if field else None
    return list(current.model_fields) if current else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as `Arm`, `list[Arm]` or `Arm | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found:
            return found
    return None
