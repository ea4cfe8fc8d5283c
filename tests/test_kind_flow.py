"""Participant flow (generator/kinds/flow.py): each arm's analysis sets as the boxes of a CONSORT-style
diagram, the patients who left between two of them derived, the reasons a flow table gives checked
against them; every study has its flow from study.yml alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from generator.analysis import StudyResults, analyse_study
from generator.audit import audit_study
from generator.build import generate, open_project
from generator.config import StatisticsSettings
from generator.errors import DataError
from generator.kinds.flow import flow_frame
from generator.load import Study, load_study
from generator.model import AnalysisSet, Arm, OutcomeVocabulary
from tests.conftest import copy_project, edit
from tests.sitebrowser import open_page, real_site_url, site_page

FIXTURE = Path(__file__).parent / "fixtures" / "studies" / "participant-flow"
RULE = "flow-reasons-within-gap"


def arm(arm_id: str, *sets: tuple[str, int]) -> Arm:
    return Arm(
        id=arm_id,
        label=arm_id.capitalize(),
        role="cohort",
        sets=[AnalysisSet(id=set_id, n=n, source="x") for set_id, n in sets],
    )


def steps(frame, arm_id: str) -> list[tuple[str, str, int]]:
    rows = frame[frame["arm"] == arm_id]
    return [(r["step"], r["set"], r["patients"]) for r in rows.to_dict("records")]


def no_reasons() -> pd.DataFrame:
    return pd.DataFrame([], columns=["arm", "after_set", "reason", "count", "status", "source", "line"])


# The derivation from the analysis sets


def test_each_gap_between_two_sets_is_derived_with_how():
    frame = flow_frame(
        [arm("a", ("randomized", 271), ("treated", 267), ("evaluable", 260))], "flow", no_reasons()
    )
    assert steps(frame, "a") == [
        ("set", "randomized", 271),
        ("left", "randomized", 4),
        ("set", "treated", 267),
        ("left", "treated", 7),
        ("set", "evaluable", 260),
    ]
    left = frame[frame["step"] == "left"].to_dict("records")
    assert left[0]["how_derived"] == "271 − 267 = 4 (randomized minus treated)"
    assert left[0]["status"] == "derived" and left[0]["value"] == "flow/a/randomized/count"
    assert frame[frame["step"] == "set"]["value"].tolist() == [
        "sets/a/randomized",
        "sets/a/treated",
        "sets/a/evaluable",
    ]


def test_a_larger_next_set_has_no_gap_and_an_equal_one_a_gap_of_none():
    frame = flow_frame(
        [arm("a", ("treated", 40), ("randomized", 45)), arm("b", ("randomized", 30), ("treated", 30))],
        "flow",
        no_reasons(),
    )
    assert steps(frame, "a") == [("set", "treated", 40), ("set", "randomized", 45)]
    assert steps(frame, "b") == [("set", "randomized", 30), ("left", "randomized", 0), ("set", "treated", 30)]


def test_a_one_set_arm_is_one_box():
    frame = flow_frame([arm("a", ("treated", 40))], "flow", no_reasons())
    assert steps(frame, "a") == [("set", "treated", 40)]


# The reasons and their audit


def fixture_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "participant-flow"
    shutil.copytree(FIXTURE, folder)
    return folder


def analysed(folder: Path) -> StudyResults:
    study = load_study(folder, None, OutcomeVocabulary())
    return analyse_study(study, StatisticsSettings())


def test_reasons_that_add_up_to_the_gap_are_complete_and_fewer_say_how_many_have_none(tmp_path):
    results = analysed(fixture_copy(tmp_path))
    frame = results.frame("flow")
    c = frame[frame["arm"] == "drug-c"]
    left = c[c["step"] == "left"].set_index("after_set")
    assert left.loc["randomized", "complete"] is True and left.loc["treated", "complete"] is False
    none_given = c[c["step"] == "no_reason"].to_dict("records")
    assert [(r["after_set"], r["patients"], r["how_derived"]) for r in none_given] == [
        ("treated", 1, "3 − 2 = 1 (left minus those with a reason given)")
    ]
    checks = [check for check in audit_study(results).checks if check.rule == RULE]
    assert [(check.subject, check.passed) for check in checks] == [
        ("Drug C: left after randomized", True),
        ("Drug C: left after treated", True),
    ]
    assert checks[0].inputs == "reasons 1 + 1 = 2; left 50 − 48 = 2 (randomized minus treated)"


def test_reasons_adding_up_to_more_than_the_gap_fail_the_audit_on_their_line(tmp_path):
    folder = fixture_copy(tmp_path)
    edit(folder / "flow.csv", "Adverse event before evaluation,2,", "Adverse event before evaluation,4,")
    results = analysed(folder)
    failed = [check for check in audit_study(results).failures if check.rule == RULE]
    assert len(failed) == 1
    assert failed[0].line == 4 and failed[0].expected == "at most the 3 who left"
    assert failed[0].file.endswith("participant-flow/flow.csv")


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        ("drug-c,treated,", "drug-c,evaluable,", "after_set", "is its last analysis sets for arm 'drug-c'"),
        ("drug-c,treated,", "drug-c,responders,", "after_set", "is not one of its analysis sets"),
        ("drug-c,treated,", "all,treated,", "arm", "'all' is not an arm"),
        (
            "drug-c,randomized,Did not meet eligibility criteria <after> randomization,",
            "drug-c,randomized,withdrew consent before treatment,",
            "reason",
            "is also on line 2",
        ),
    ],
)
def test_a_reason_on_a_set_it_cannot_follow_is_a_located_load_error(tmp_path, old, new, field, says):
    folder = fixture_copy(tmp_path)
    edit(folder / "flow.csv", old, new)
    with pytest.raises(DataError) as caught:
        load_study(folder, None, OutcomeVocabulary())
    problems = [p for p in caught.value.problems if p.file.name == "flow.csv"]
    assert [(p.field, says in p.message) for p in problems] == [(field, True)], problems
    assert problems[0].line in (3, 4)


def test_a_reason_where_the_next_set_is_larger_is_a_load_error(tmp_path):
    folder = fixture_copy(tmp_path)
    edit(folder / "study.yml", "{id: evaluable, n: 45,", "{id: evaluable, n: 49,")
    with pytest.raises(DataError) as caught:
        load_study(folder, None, OutcomeVocabulary())
    messages = [p.message for p in caught.value.problems if p.file.name == "flow.csv"]
    assert any("is larger than it (48)" in m for m in messages), messages


def test_a_second_flow_table_is_refused_naming_both(tmp_path):
    """Two flow tables would draw two diagrams, each missing the other's reasons."""
    folder = fixture_copy(tmp_path)
    shutil.copy(folder / "flow.csv", folder / "flow_more.csv")
    with pytest.raises(DataError) as caught:
        load_study(folder, None, OutcomeVocabulary())
    (problem,) = [p for p in caught.value.problems if p.file.name == "flow_more.csv"]
    assert "a second table of flow (the first is flow.csv)" in problem.message


def test_a_reason_s_figure_gives_its_csv_line_as_a_whole_number(tmp_path):
    """A float line (2.0) fails the cache's strict check, so the study would be built again every time."""
    from generator.kinds.flow import KIND
    from generator.values import ValueBook

    results = analysed(fixture_copy(tmp_path))
    book = ValueBook("participant-flow")
    KIND.add_values(book, "flow", results.frame("flow"), results, None)  # type: ignore[arg-type]
    lines = [value.line for value in book.values.values() if value.line is not None]
    assert lines and all(type(line) is int for line in lines)


def test_a_study_without_a_flow_table_has_its_flow_from_its_sets(tmp_path):
    folder = fixture_copy(tmp_path)
    (folder / "flow.csv").unlink()
    study: Study = load_study(folder, None, OutcomeVocabulary())
    assert study.tables["flow"].implied and study.tables["flow"].frame.empty
    frame = analyse_study(study, StatisticsSettings()).frame("flow")
    assert frame[frame["step"] == "left"]["patients"].tolist() == [2, 3, 0, 3]
    assert frame[frame["step"] == "reason"].empty


# The rendered section


HOSTILE = "<img src=x onerror=alert(1)> *em* [x](javascript:alert(1))"


@pytest.fixture(scope="module")
def design_page(tmp_path_factory) -> str:
    root = copy_project(tmp_path_factory.mktemp("flow"))
    shutil.rmtree(root / "content" / "studies")
    folder = root / "content" / "studies" / "participant-flow"
    shutil.copytree(FIXTURE, folder)
    old = "Did not meet eligibility criteria <after> randomization"
    edit(folder / "study.yml", f'- [{old}, "1", "0"]', f'- ["{HOSTILE}", "1", "0"]')
    edit(
        folder / "flow.csv",
        f"randomized,{old},1,reported,{old} | 1 | 0",
        f"randomized,{HOSTILE},1,reported,{HOSTILE} | 1 | 0",
    )
    files = generate(open_project(root))
    data = files["studies/participant-flow/design.md"]
    return data.decode() if isinstance(data, bytes) else data


def test_the_flow_is_on_the_design_page_after_the_analysis_sets(design_page):
    assert design_page.index("Participant flow") > design_page.index("data/sets.csv")
    assert design_page.index("Participant flow") < design_page.index("## Arms")
    assert '<ol class="ev-flow-steps" markdown>' in design_page
    assert design_page.count('<section class="ev-flow-arm"') == 2


def test_each_number_of_the_flow_links_to_its_provenance(design_page):
    flow = design_page[design_page.index("Participant flow") : design_page.index("## Arms")]
    # a set's patients: to the sentence of the source; those who left: to how the audit derives them
    assert "[48](source.md#" in flow and "#u-sets-drug-c-treated-2 .ev-value .ev-reported" in flow
    assert (
        '[3](audit.md#v-flow-drug-c-treated-count "Derived: 48 − 45 = 3 (treated minus evaluable)")' in flow
    )
    assert '<span class="ev-how">48 − 45 = 3</span>' in flow
    assert "- No reason given: [1](audit.md#v-flow-drug-c-treated-no-reason-count" in flow
    assert "Every reason given:" in flow and "Reasons given:" in flow
    assert "Reasons not reported." in flow and "No patients left between them." in flow
    assert "[2](source.md#" in flow and ".ev-value .ev-reported" in flow


def test_a_hostile_reason_is_shown_as_text(design_page):
    flow = design_page[design_page.index("Participant flow") : design_page.index("## Arms")]
    assert "<img" not in flow and "](javascript:" not in flow and "*em*" not in flow
    assert "&#60;img src=x onerror=alert(1)&#62;" in flow


def test_the_real_studies_show_their_derived_flow(built_site):
    page = (built_site / "docs" / "studies" / "kantarjian-2017" / "design.md").read_text(encoding="utf-8")
    flow = page[page.index("Participant flow") : page.index("## Arms")]
    assert "271 − 267 = 4 (randomized minus treated)" in flow
    assert "134 − 109 = 25 (randomized minus treated)" in flow
    assert flow.count("Reasons not reported.") == 2
    for slug in ("gokbuget-2018", "kantarjian-2013"):
        design = (built_site / "docs" / "studies" / slug / "design.md").read_text(encoding="utf-8")
        assert design.count("Participant flow") == 1, slug
    html = (built_site / "site" / "studies" / "kantarjian-2017" / "design" / "index.html").read_text(
        encoding="utf-8"
    )
    assert '<ol class="ev-flow-steps">' in html and 'class="ev-value ev-derived"' in html


@pytest.mark.browser
def test_the_diagram_shows_and_fits_a_phone(browser, built_site):
    address = real_site_url()
    site_dir = built_site / "site"
    with site_page(browser, site_dir, address, 390, "light") as page:
        open_page(page, site_dir, address, "studies/kantarjian-2017/design/")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.ev-flow-arm')].map(a => {
                 const r = a.getBoundingClientRect();
                 return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                         shown: r.width > 0 && r.height > 0 && getComputedStyle(a).visibility === 'visible'};
               })"""
        )
        assert len(boxes) == 2 and all(b["shown"] for b in boxes), boxes
        assert all(b["left"] >= 0 and b["right"] <= 390 for b in boxes), boxes
        assert boxes[1]["top"] >= boxes[0]["bottom"], "at 390 px the arms stack"
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1]
