"""The kinds of table (generator/kinds/): the registry is the one list of kinds, each kind is whole, and
the modules import one another one way only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from generator.downloads import COLUMNS
from generator.kinds import KINDS, Kind, kind_of_columns
from generator.model import Strict
from tests.conftest import ROOT

GENERATOR = ROOT / "generator"
TEMPLATES = ROOT / "templates"
NAMED_ELSEWHERE = {
    "generator/model.py": "SharedOutcome.kind: the kinds content/outcomes.yml may name, a schema of content",
    "generator/summary.py": "ComparisonEntry.kind's values, checked in a cache entry read back",
}
"""Where a kind's name may still be spelled out outside generator/kinds/, and why."""


def outside_kinds() -> list[Path]:
    modules = [p for p in GENERATOR.rglob("*.py") if "kinds" not in p.relative_to(GENERATOR).parts]
    templates = [p for p in TEMPLATES.rglob("*.j2") if "kinds" not in p.relative_to(TEMPLATES).parts]
    return modules + templates


@pytest.mark.parametrize("name", sorted(KINDS))
def test_no_stage_or_template_names_a_kind(name):
    pattern = re.compile(rf"""["']{name}["']""")
    files = [p for p in outside_kinds() if pattern.search(p.read_text(encoding="utf-8"))]
    naming = {p.relative_to(ROOT).as_posix() for p in files}
    assert naming <= set(NAMED_ELSEWHERE), f"{name} is named outside generator/kinds/ in {naming}"


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_each_kind_is_whole(kind):
    assert issubclass(kind.row, Strict) and set(kind.columns) <= set(kind.row.model_fields)
    assert kind_of_columns(list(kind.columns)) is kind, "its required columns tell it from every other kind"
    assert (TEMPLATES / kind.template).is_file(), f"its section template {kind.template} is missing"
    assert set(kind.help) <= set(kind.row.model_fields), "its help names fields of its row"
    undeclared = [c for c in kind.download.layout if c not in COLUMNS]
    assert not undeclared, (
        f"its download's columns are declared neither by it nor in generator/columns.py: {undeclared}"
    )
    name, rows = kind.example
    # a header only, for a kind whose rows need more than the example study has (participant flow's
    # reasons need an arm with two sets), when the kind shows on the example study from study.yml alone
    assert rows or type(kind).implied is not Kind.implied, name
    assert all(set(row) <= set(kind.row.model_fields) for row in rows), name


def module_imports(path: Path) -> set[str]:
    """The generator modules a module imports, at its top or inside a function (an import inside a
    function must not hide a cycle); not those imported for type checking only."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node):
            if not isinstance(child, ast.ImportFrom):
                continue
            if child.module == "generator":
                found |= {f"generator.{alias.name}" for alias in child.names}
            elif child.module and child.module.startswith("generator."):
                found.add(child.module)
    return found


def test_modules_import_one_another_one_way():
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in GENERATOR.rglob("*.py")
    }
    graph = {name: module_imports(path) & set(modules) - {name} for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, f"import cycle: {' -> '.join([*path[path.index(name) :], name])}"
        if name not in done:
            for imported in sorted(graph[name]):
                visit(imported, [*path, name])
            done.add(name)

    for name in sorted(graph):
        visit(name, [])
