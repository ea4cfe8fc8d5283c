"""The main result (generator.primary) and the maturity of the evidence (generator.maturity)."""

from dataclasses import replace
from pathlib import Path

import pytest

from generator.analysis import analyse_study
from generator.config import SiteConfig
from generator.formatting import NumberFormat
from generator.load import load_study, load_vocabulary
from generator.maturity import maturity_flags, study_maturity
from generator.model import Evidence, OutcomeVocabulary, Primary
from generator.primary import main_result
from generator.provenance import collect_values
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "studies"
CONFIG = SiteConfig()


def loaded(folder: Path):
    vocabulary = load_vocabulary(folder.parent.parent) if folder.parent.parent.name == "content" else None
    return load_study(folder, None, vocabulary or OutcomeVocabulary())


def result_of(folder: Path):
    study = loaded(folder)
    results = analyse_study(study, CONFIG.statistics)
    return main_result(results, collect_values(results, NumberFormat(CONFIG)))


def test_the_main_result_is_the_named_effect_as_printed_with_each_arms_figures():
    main = result_of(ROOT / "content" / "studies" / "kantarjian-2017")
    assert main is not None and main.named and main.is_effect
    assert (main.measure, main.estimate.text, main.ci.text, main.level) == (
        "HR",
        "0.71",
        "0.55 to 0.93",
        "95%",
    )
    assert main.p.text == "P = 0.01" and main.sided == ""  # the source does not say
    assert main.comparison == "Blinatumomab vs Chemotherapy"
    assert main.population == "Randomized, n = 271 vs 134"
    assert [(a.arm_label, a.main.text) for a in main.arms] == [
        ("Blinatumomab", "7.7 months"),
        ("Chemotherapy", "4.0 months"),
    ]
    assert all(v.kind == "reported" for v in (main.estimate, main.ci, main.p))


def test_by_default_the_main_result_is_the_first_effect_of_experimental_against_control():
    main = result_of(FIXTURES / "two-arm-randomized")
    assert main is not None and not main.named and main.is_effect
    assert (main.label, main.estimate.text, main.ci.text) == ("Death", "0.75", "0.60 to 0.94")


def test_without_an_effect_the_main_result_is_the_first_headline_as_printed():
    main = result_of(ROOT / "content" / "studies" / "kantarjian-2013")  # names no primary
    assert main is not None and not main.is_effect and not main.named
    assert (main.measure, main.p, main.comparison) == ("", None, "All patients · Treated, n = 90")
    assert main.estimate.kind == "reported" and main.estimate.text == "58%"


def test_a_study_without_effects_or_headlines_has_no_main_result():
    assert result_of(FIXTURES / "single-arm") is None


def real_meta(slug: str):
    return loaded(ROOT / "content" / "studies" / slug).meta


@pytest.mark.parametrize(
    ("slug", "flags"),
    [
        ("kantarjian-2017", ["Excerpt"]),
        ("kantarjian-2013", ["Abstract only", "Not randomized", "Fewer than 100 patients"]),
        ("gokbuget-2018", ["Abstract only", "Single arm"]),
    ],
)
def test_each_real_study_is_flagged_from_its_data(slug, flags):
    assert [f.words for f in maturity_flags(real_meta(slug), 100)] == flags


def test_the_flags_follow_the_evidence_and_the_threshold():
    meta = real_meta("kantarjian-2017")
    interim = meta.model_copy(update={"evidence": Evidence(source_kind="full-article", interim=True)})
    assert [f.words for f in maturity_flags(interim, 100)] == ["Interim analysis"]
    assert [f.words for f in maturity_flags(interim, 406)] == ["Fewer than 406 patients", "Interim analysis"]
    unstated = meta.model_copy(update={"evidence": None})
    assert [f.words for f in maturity_flags(unstated, 100)] == ["Source kind not stated"]


def test_the_maturity_names_every_source_document_and_what_is_not_given():
    maturity = study_maturity(real_meta("kantarjian-2017"), 100)
    assert maturity.source == "excerpt of an article"
    assert [title for title, _ in maturity.documents] == ["Abstract", "Table 3. Adverse Events."]
    assert "first part of the published abstract" in maturity.documents[0][1]
    assert (maturity.follow_up, maturity.data_cutoff, maturity.patients) == ("not given", "not given", 405)


def result_of_study(study):
    results = analyse_study(study, CONFIG.statistics)
    return main_result(results, collect_values(results, NumberFormat(CONFIG)))


def test_by_default_an_effect_with_an_estimate_comes_before_one_with_a_p_value_alone():
    study = loaded(ROOT / "content" / "studies" / "kantarjian-2017")
    effects = [name for name, table in study.tables.items() if table.kind.effect]
    assert effects.index("remission_effects") < effects.index("survival_effects")  # P values alone first
    unnamed = replace(study, meta=study.meta.model_copy(update={"primary": None}))
    main = result_of_study(unnamed)
    assert main is not None and not main.named
    assert (main.measure, main.estimate.text, main.p.text) == ("HR", "0.71", "P = 0.01")


def test_a_main_result_names_its_grade_and_the_set_of_its_denominator():
    study = loaded(ROOT / "content" / "studies" / "kantarjian-2017")
    primary = Primary(result="adverse_events:neutropenia@blinatumomab")
    main = result_of_study(replace(study, meta=study.meta.model_copy(update={"primary": primary})))
    assert main.label == "Neutropenia (grade ≥3)"
    assert main.comparison == "Blinatumomab · Received at least one dose, n = 267"
    assert main.estimate.text == "37.8%" and main.estimate.kind == "reported"
    percent_only = Primary(result="remission:cr_full_recovery@blinatumomab")
    main = result_of_study(replace(study, meta=study.meta.model_copy(update={"primary": percent_only})))
    assert main.comparison == "Blinatumomab · denominator not given"


def test_a_main_result_of_a_p_value_alone_is_that_p_value():
    study = loaded(ROOT / "content" / "studies" / "kantarjian-2017")
    primary = Primary(result="remission_effects:cr_full_recovery@blinatumomab")
    main = result_of_study(replace(study, meta=study.meta.model_copy(update={"primary": primary})))
    assert main.estimate is None and main.ci is None and main.p.text == "P<0.001"


def test_the_few_patients_setting_reaches_the_overview_and_the_index(tmp_path):
    from generator.build import generate, open_project
    from tests.conftest import copy_project

    root = copy_project(tmp_path, ["kantarjian-2017"])
    text = (root / "site_config.yml").read_text()
    (root / "site_config.yml").write_text(text.replace("few_patients: 100", "few_patients: 500"))
    files = generate(open_project(root))
    overview = files["studies/kantarjian-2017/index.md"].decode()
    index = files["studies/index.md"].decode()
    flag = '<span class="ev-label">Fewer than 500 patients</span>'
    assert flag in overview and flag in index
    assert "Fewer than 100 patients" not in overview
