"""Comparison pages in a built site: studies mapped to a shared outcome, side by side, pooled on request."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from generator.build import generate, open_project
from generator.downloads import VALUES_INDEX
from generator.render import CHANGES_PAGE
from tests.conftest import edit
from tests.test_fixtures import project_with

VOCABULARY = """outcomes:
  - key: death-hazard-ratio
    title: Hazard ratio for death
    kind: effects
    definition: Death from any cause, treatment against control.
"""


def two_trials(tmp_path: Path, pooling: bool) -> Path:
    """The randomized fixture and a copy of it reporting another hazard ratio, both mapped to one outcome."""
    root = project_with(tmp_path, ["two-arm-randomized"])
    studies = root / "content" / "studies"
    shutil.copytree(studies / "two-arm-randomized", studies / "second-trial")
    second = studies / "second-trial"
    edit(second / "study.yml", "short_title: Drug A versus placebo (fixture)", "short_title: Second trial")
    edit(second / "study.yml", "doi: 10.1000/fixture.randomized", "doi: 10.1000/fixture.second")
    for name in ("effects.csv", "study.yml"):
        if "0.75 (95% CI, 0.60 to 0.94; P = 0.01" in (second / name).read_text():
            edit(
                second / name, "0.75 (95% CI, 0.60 to 0.94; P = 0.01", "0.85 (95% CI, 0.70 to 1.03; P = 0.10"
            )
    edit(
        second / "effects.csv",
        "hazard_ratio,0.75,0.60,0.94,95,P = 0.01",
        "hazard_ratio,0.85,0.70,1.03,95,P = 0.10",
    )
    (root / "content" / "outcomes.yml").write_text(VOCABULARY)
    for folder in (studies / "two-arm-randomized", second):
        with (folder / "study.yml").open("a") as meta:
            meta.write("\nshared_outcomes:\n  death-hazard-ratio: effects:death\n")
    if pooling:
        edit(root / "site_config.yml", "pooling: false", "pooling: true")
    return root


@pytest.mark.parametrize("pooling", [False, True], ids=["side-by-side", "pooled"])
def test_two_trials_sharing_an_outcome_get_a_forest_plot_and_a_pooled_estimate_only_on_request(
    tmp_path, pooling
):
    files = generate(open_project(two_trials(tmp_path, pooling)))
    page = files["comparisons/death-hazard-ratio.md"].decode()
    assert "# Hazard ratio for death" in page
    assert page.count("../studies/") >= 2, "each study's row links to its page"
    assert "ev-reported" in page, "each figure links to its provenance"
    assert '"type":"log"' in page.replace("&quot;", '"'), "ratios are drawn on a log axis"
    assert "comparisons/data/chart-compare-death-hazard-ratio.csv" in files
    assert "comparisons/index.md" in files
    if pooling:
        assert "pooled over" in page and "I²" in page and "DerSimonian" in page
    else:
        assert "Pooling is off" in page and "pooled over" not in page


def test_a_study_index_lists_every_study_with_a_link(tmp_path):
    files = generate(open_project(two_trials(tmp_path, False)))
    index = files["studies/index.md"].decode()
    for slug in ("two-arm-randomized", "second-trial"):
        assert f"]({slug}/index.md)" in index
    assert index.count("\n| [") == 2


def test_a_pooled_estimate_is_published_with_its_method_and_followed_by_what_changed(tmp_path):
    root = two_trials(tmp_path, pooling=True)
    project = open_project(root)
    first = json.loads(generate(project)[VALUES_INDEX])
    pooled = {v["id"]: v for v in first["values"] if v["id"].startswith("comparisons/")}
    estimate = pooled["comparisons/death-hazard-ratio/pooled-hazard-ratio/estimate"]
    assert estimate["kind"] == "computed" and "random effects, DerSimonian-Laird" in estimate["how"]
    assert estimate["shown_on"] == ["comparisons/death-hazard-ratio.md"] and estimate["study"] == ""
    assert {"ci", "i2", "q", "tau2"} <= {key.rsplit("/", 1)[1] for key in pooled}
    second = root / "content" / "studies" / "second-trial"
    for name in ("effects.csv", "study.yml"):
        if "0.85 (95% CI, 0.70 to 1.03; P = 0.10" in (second / name).read_text():
            edit(
                second / name, "0.85 (95% CI, 0.70 to 1.03; P = 0.10", "0.95 (95% CI, 0.70 to 1.03; P = 0.10"
            )
    edit(
        second / "effects.csv",
        "hazard_ratio,0.85,0.70,1.03,95,P = 0.10",
        "hazard_ratio,0.95,0.70,1.03,95,P = 0.60",
    )
    files = generate(open_project(root), first)
    changes = files[CHANGES_PAGE].decode()
    label = "Hazard ratio for death: pooled hazard ratio, 2 studies"
    row = next(line for line in changes.splitlines() if f'<span class="ev-label">{label}</span>' in line)
    assert row.startswith("| All studies (a comparison) |") and estimate["text"] in row


def test_under_a_fixed_effect_model_no_tau2_is_published(tmp_path):
    root = two_trials(tmp_path, pooling=True)
    edit(root / "site_config.yml", "model: random-effects", "model: fixed-effect")
    values = json.loads(generate(open_project(root))[VALUES_INDEX])["values"]
    ids = [v["id"] for v in values if v["id"].startswith("comparisons/")]
    assert ids and not any(i.endswith("/tau2") for i in ids)
    page = generate(open_project(root))["comparisons/death-hazard-ratio.md"].decode()
    assert "tau²" not in page.split("## Pooled estimate")[1].split("**How**")[0]


def test_a_forest_row_of_a_difference_gives_each_groups_events_with_their_sources(tmp_path):
    """A difference whose groups' counts a table of proportions gives: each group's events/total beside
    the row (Cochrane's forest plot), each figure linked to its source; a tampered summary is refused."""
    from dataclasses import replace

    from generator.summary import SummaryError, check_markdown

    root = project_with(tmp_path, ["randomized-differences"])
    (root / "content" / "outcomes.yml").write_text(
        "outcomes:\n  - key: response-difference\n    title: Response, difference\n    kind: effects\n"
        "    definition: Response, drug against placebo.\n"
    )
    folder = root / "content" / "studies" / "randomized-differences"
    with (folder / "study.yml").open("a") as meta:
        meta.write("\nshared_outcomes:\n  response-difference: differences:response@drug-b\n")
    files = generate(open_project(root))
    page = files["comparisons/response-difference.md"].decode()
    assert "| Events/total (each group) |" in page
    row = next(line for line in page.splitlines() if line.startswith("| [") and "Drug B" in line)
    counts = re.findall(r"\[(\d+)\]\(\.\./studies/randomized-differences/source\.md#q-\d+ ", row)
    assert counts[:4] == ["30", "200", "8", "100"], row
    assert "events 30/200 vs 8/100" in page.replace("&quot;", '"'), "and on the forest plot's row"

    from generator.load import load_vocabulary, vocabulary_path
    from generator.studies import build_study, study_tasks
    from generator.summary import StudySummary

    project = open_project(root)
    vocabulary = load_vocabulary(project.content_dir)
    (task,) = study_tasks(
        [folder],
        root,
        project.config,
        project.templates,
        vocabulary_path(project.content_dir),
        vocabulary,
    )
    summary: StudySummary = build_study(task).summary
    (entry,) = summary.entries
    check_markdown(summary, "studies/index.md", lambda key: f"comparisons/{key}.md")
    tampered = replace(entry, shown_events=entry.shown_events.replace(" vs ", " vs <img src=x> "))
    with pytest.raises(SummaryError, match="shown_events"):
        check_markdown(
            replace(summary, entries=[tampered]), "studies/index.md", lambda k: f"comparisons/{k}.md"
        )
