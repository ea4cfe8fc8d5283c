"""Golden output of the pages about all studies, from the fixture studies: the home page, the study
index, the comparisons (two fixture studies share an outcome) and What changed, both for a first
build and for a build after the data changed (the first build's manifest as the previous one).

The golden files are in tests/fixtures/golden/site/; UPDATE_GOLDEN=1 rewrites them and fails (see
tests/golden.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.build import generate, open_project
from tests.conftest import edit
from tests.golden import assert_golden
from tests.test_fixtures import FIXTURES, SHAPES, project_with

GOLDEN = FIXTURES / "golden" / "site"
FIRST_BUILD = "1700000000"  # 2023-11-14
SECOND_BUILD = "1710000000"  # 2024-03-09

VOCABULARY = """\
# The fixture site's shared outcomes (the golden site test's own, not the real content's).
outcomes:
  - key: response
    title: Response
    kind: proportions
    definition: Patients whose disease responded, as each study defines it.
    notes:
      - One study is randomized, the other has a single arm.
  - key: death
    title: Death
    kind: effects
    definition: Death from any cause, as a hazard ratio of the experimental arm against control.
"""
SHARED = {
    "two-arm-randomized": "shared_outcomes:\n  response: responses:response\n  death: effects:death\n",
    "single-arm": "shared_outcomes:\n  response: response:response\n",
}


def site_pages(files: dict[str, bytes]) -> dict[str, bytes]:
    """The pages about all studies: every generated Markdown page outside a study's own folder."""
    return {
        name: data
        for name, data in files.items()
        if name.endswith(".md") and not (name.startswith("studies/") and name.count("/") > 1)
    }


GRADE_3 = "Grade 3 or higher events occurred in 10 of {n} patients with drug A"


def prepare(content: Path) -> None:
    """The fixture studies, two of them sharing outcomes, and one more row (changed later)."""
    (content / "outcomes.yml").write_text(VOCABULARY, encoding="utf-8")
    for shape, shared in SHARED.items():
        with (content / "studies" / shape / "study.yml").open("a", encoding="utf-8") as handle:
            handle.write(shared)
    two_arm = content / "studies" / "two-arm-randomized"
    sentence = "The hazard ratio for death was 0.75 (95% CI, 0.60 to 0.94; P = 0.01)."
    edit(two_arm / "study.yml", sentence, f"{sentence} {GRADE_3.format(n=200)}.")
    with (two_arm / "responses.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            f"grade3_events,Grade 3 or higher events,drug-a,10,200,,,,,,reported,{GRADE_3.format(n=200)}\n"
        )


def change_the_data(content: Path) -> None:
    """A new data version: a figure's text and number change (70% to 72%), a number changes under
    the same text (10 of 200 to 10 of 199: 5.0% either way), a figure is added and one removed."""
    single = content / "studies" / "single-arm"
    twelve = "Survival at 12 months was 70%."
    edit(single / "study.yml", twelve, "Survival at 12 months was 72%. Twenty were alive at 24 months.")
    edit(single / "survival.csv", twelve, "Survival at 12 months was 72%.")
    edit(
        single / "survival.csv", "os_12,Survival at 12 months,all,70,", "os_12,Survival at 12 months,all,72,"
    )
    with (single / "survival.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            "alive_24,Alive at 24 months,all,20,patients,,,,,reported,Twenty were alive at 24 months.\n"
        )
    two_arm = content / "studies" / "two-arm-randomized"
    edit(
        two_arm / "survival.csv",
        "median_os,Median survival,placebo,9.0,months,reported,9.0 months with placebo\n",
        "",
    )
    for name in ("study.yml", "responses.csv"):
        edit(two_arm / name, GRADE_3.format(n=200), GRADE_3.format(n=199))
    edit(
        two_arm / "responses.csv",
        "grade3_events,Grade 3 or higher events,drug-a,10,200,",
        "grade3_events,Grade 3 or higher events,drug-a,10,199,",
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The fixture site generated twice: first, then after `change_the_data`, with the first build's
    manifest (data/values.json) as the previous one."""
    root = project_with(tmp_path_factory.mktemp("golden-site"), SHAPES)
    content = root / "content"
    prepare(content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", FIRST_BUILD)
        first = generate(open_project(root))
        change_the_data(content)
        patch.setenv("SOURCE_DATE_EPOCH", SECOND_BUILD)
        second = generate(open_project(root), json.loads(first["data/values.json"]))
    return first, second


def test_the_pages_about_all_studies_are_as_golden(builds):
    first, _ = builds
    pages = site_pages(first)
    assert {"index.md", "studies/index.md", "changes.md"} <= set(pages)
    assert any(name.startswith("comparisons/") and not name.endswith("index.md") for name in pages)
    assert_golden(pages, GOLDEN / "first-build")


def test_what_changed_after_the_data_changed_is_as_golden(builds):
    first, second = builds
    assert (
        json.loads(first["data/values.json"])["data_version"]
        != json.loads(second["data/values.json"])["data_version"]
    )
    assert_golden({"changes.md": second["changes.md"]}, GOLDEN / "data-changed")
