"""The kinds of table (generator/kinds/): the registry is the one list of kinds, each kind is whole, and
the modules import one another one way only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
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


# Proportions: what the design allows between arms, the printed figure first, who a row is about

FIXTURE_STUDIES = ROOT / "tests" / "fixtures" / "studies"


def fixture_results(shape: str, **between: bool):
    """A fixture study loaded and computed, with `statistics.between_arms` set as given."""
    from generator.analysis import analyse_study
    from generator.config import BetweenArmsSettings, StatisticsSettings
    from generator.load import load_study, load_vocabulary

    study = load_study(FIXTURE_STUDIES / shape, ROOT, load_vocabulary(ROOT / "content"))
    return analyse_study(study, StatisticsSettings(between_arms=BetweenArmsSettings(**between)))


def differences(results, table: str) -> list[dict]:
    return KINDS["proportions"].differences(table, results).to_dict("records")


def test_non_randomized_cohorts_get_no_difference_and_no_p_value_by_default():
    results = fixture_results("non-randomized-cohorts")
    assert differences(results, "responses") == [] and differences(results, "adverse_events") == []
    used = KINDS["proportions"].methods("responses", results)
    assert used.proportion_ci and not (used.difference_ci or used.fisher)


def test_non_randomized_cohorts_compared_when_asked_say_so_and_adverse_events_still_need_their_setting():
    results = fixture_results("non-randomized-cohorts", non_randomized=True)
    (response,) = differences(results, "responses")
    assert response["difference"] == pytest.approx(9 / 20 - 12 / 30)
    assert response["caveat"] == "not randomized: descriptive, exploratory"
    assert response["fisher_p"] == pytest.approx(0.7759, abs=1e-4)  # hypergeometric sum, by hand
    assert differences(results, "adverse_events") == [], "a table with a grade column holds harms"
    harms = fixture_results("non-randomized-cohorts", non_randomized=True, harms_differences=True)
    (fever,) = differences(harms, "adverse_events")
    assert fever["ci_low"] is not None and pd.isna(fever["fisher_p"]), "risk differences, no P by default"
    tested = fixture_results(
        "non-randomized-cohorts", non_randomized=True, harms_differences=True, harms_p_values=True
    )
    (fever,) = differences(tested, "adverse_events")
    assert fever["fisher_p"] > 0 and fever["caveat"] == (
        "not randomized: descriptive, exploratory; exploratory, unadjusted: the only test on this table"
    )


def test_a_randomized_efficacy_table_gets_its_difference_and_test():
    results = fixture_results("two-arm-randomized")
    (response,) = differences(results, "responses")
    assert response["difference"] == pytest.approx(0.10) and response["fisher_p"] < 0.1
    assert response["caveat"] == ""
    used = KINDS["proportions"].methods("responses", results)
    assert used.difference_ci and used.fisher and used.reported_intervals and used.proportion_ci


def test_the_main_figure_of_a_proportion_is_the_percentage_as_printed():
    from generator.values import FigureField as F
    from generator.values import Value

    printed = Value("s/t/o@all/percent", "printed", "58%", 58.0, "reported", "58%")
    computed = Value("s/t/o@all/estimate", "computed", "57.8%", 57.8, "computed", None, "52/90 × 100")
    kind = KINDS["proportions"]
    assert kind.main_figure({F.ESTIMATE: computed, F.PERCENT: printed}) is printed
    assert kind.main_figure({F.ESTIMATE: computed}) is computed, "the computed one where none is printed"


def test_a_comparison_entry_shows_the_printed_percentage_with_the_interval_second():
    from generator.config import SiteConfig
    from generator.formatting import NumberFormat
    from generator.summary import ComparisonEntry

    results = fixture_results("two-arm-randomized")
    kind, fmt = KINDS["proportions"], NumberFormat(SiteConfig())
    drug, placebo = results.frame("responses").to_dict("records")
    fields = kind.entry_fields(results.study, drug, fmt)
    assert (fields["estimate"], fields["estimate_printed"], fields["interval"]) == (0.30, "30", "reported")
    assert (fields["ci_low_printed"], fields["ci_high_printed"]) == ("23.7", "36.9")
    other = kind.entry_fields(results.study, placebo, fmt)
    assert (other["estimate_printed"], other["interval"], other["ci_low_printed"]) == ("20", "computed", "")
    common = dict(
        outcome="o", study="s", study_title="t", year=2020, design="d", subgroup=None, kind="proportions"
    )
    entry = ComparisonEntry(**common, shown="", page="studies/s/results.md", **fields)
    assert kind.figure_text(entry, fmt) == "30%" and kind.bounds_text(entry, fmt) == ("23.7%", "36.9%")


def test_a_proportion_names_its_arm_and_the_analysis_set_of_its_denominator():
    results = fixture_results("single-arm")
    (response,) = results.frame("response").to_dict("records")
    assert KINDS["proportions"].population(results.study, response) == "All patients · Evaluable, n = 38"


def test_a_percentage_printed_without_its_denominator_does_not_borrow_the_arms():
    results = fixture_results("two-arm-randomized")
    record = {
        **results.frame("responses").to_dict("records")[1],
        "count": None,
        "denominator": None,
        "set": None,
    }
    assert KINDS["proportions"].population(results.study, record) == "Placebo · denominator not given"
