"""Audit rules with passing and failing cases, implied counts, and known discrepancies."""

from pathlib import Path

import pytest

from generator.analysis import analyse_study
from generator.audit import audit_study, raise_for_failures
from generator.config import StatisticsSettings
from generator.errors import DataError
from generator.load import load_studies
from tests.conftest import ROOT, STUDY, edit


def audit_of(project: Path):
    study = next(s for s in load_studies(project / "content") if s.slug == STUDY)
    results = analyse_study(study, StatisticsSettings())
    return audit_study(results), results


def by_id(report):
    return {check.id: check for check in report.checks}


def test_the_trial_passes_every_check():
    report, _ = audit_of(ROOT)
    assert report.checks and report.failures == []
    checks = by_id(report)
    assert checks["responses/cr@all/percent-rounding"].inputs == "17/90 = 18.89%"
    assert checks["responses/cr@all/percent-rounding"].expected == "19% as printed"
    assert checks["population/treated/arms-sum-to-population"].inputs == "Single dose + Weekly: 49 + 41 = 90"
    assert (
        checks["responses/overall_response/arm-rows-sum-to-all"].inputs
        == "Single dose + Weekly: 28 + 24 = 52"
    )
    parts = checks["responses/overall_response@all/parts-sum-to-total"]
    assert parts.passed and parts.inputs.endswith("17 + 27 + 8 = 52")


def print_cr_as_21_percent(study_dir: Path) -> None:
    """The source itself says 17 patients (21%): the sentence and the row agree, the arithmetic does not."""
    edit(study_dir / "study.yml", "17 patients (19%)", "17 patients (21%)")
    edit(
        study_dir / "responses.csv",
        ',17,90,19,reported,,"Overall, 17 patients (19%)',
        ',17,90,21,reported,,"Overall, 17 patients (21%)',
    )


def test_a_percentage_that_does_not_match_its_count_fails(project_copy, study_dir):
    print_cr_as_21_percent(study_dir)
    report, results = audit_of(project_copy)
    (failure,) = report.failures
    assert failure.id == "responses/cr@all/percent-rounding" and failure.line == 2
    with pytest.raises(DataError) as caught:
        raise_for_failures(report, results)
    message = str(caught.value)
    assert "responses.csv, line 2: audit rule 'percent-rounding' failed for Complete response (CR)" in message
    assert "17/90 = 18.89%; expected 21% as printed" in message


def test_parts_that_do_not_add_up_to_the_printed_total_fail(project_copy, study_dir):
    edit(study_dir / "responses.csv", "all,,90,58,derived", "all,,90,60,derived")
    edit(study_dir / "study.yml", "response rate of 58%", "response rate of 60%")
    edit(study_dir / "responses.csv", "response rate of 58%", "response rate of 60%")
    report, _ = audit_of(project_copy)
    failed = {c.id for c in report.failures}
    assert "responses/overall_response@all/parts-sum-to-total" in failed


def test_arms_that_do_not_add_up_to_the_patients_treated_fail(project_copy, study_dir):
    edit(study_dir / "study.yml", "n: 41\n", "n: 40\n")
    report, _ = audit_of(project_copy)
    assert [c.id for c in report.failures] == [
        "population/treated/arms-sum-to-population",
        "sets/weekly/treated/figure-in-quote",
    ]


def test_arm_counts_that_do_not_add_up_to_the_whole_fail(project_copy, study_dir):
    edit(
        study_dir / "responses.csv",
        "weekly,,41,59,derived,from_percent",
        "weekly,,41,61,derived,from_percent",
    )
    report, _ = audit_of(project_copy)
    failed = {c.id for c in report.failures}
    assert "responses/overall_response/arm-rows-sum-to-all" in failed  # 28 + 25 is not 52
    assert "responses/overall_response@weekly/figure-in-quote/percent" in failed  # 61% is not printed


def test_a_mistyped_figure_is_caught_against_its_sentence(project_copy, study_dir):
    edit(study_dir / "survival.csv", ",7.3,months,", ",3.7,months,")
    report, _ = audit_of(project_copy)
    (failure,) = report.failures
    assert failure.id == "survival/median_os@weekly/figure-in-quote" and failure.line == 4
    assert failure.inputs == "3.7 in “7.3 months with the weekly dose schedule”"


def test_a_percentage_alone_gets_every_count_that_fits():
    report, _ = audit_of(ROOT)
    (implied,) = report.implied
    assert implied.id == "transplant/vod_after_sct@weekly"
    assert implied.candidates == {1: [14, 15], 2: [27, 28, 29, 30]}
    assert implied.summary == "1 of 14 to 15; or 2 of 27 to 30"
    assert "denominator at most 36" in implied.constraints and "count at most 6" in implied.constraints


def test_a_known_discrepancy_is_shown_not_fatal(project_copy, study_dir):
    print_cr_as_21_percent(study_dir)
    with (study_dir / "study.yml").open("a") as handle:
        handle.write(
            "known_discrepancies:\n  - check: responses/cr@all/percent-rounding\n"
            "    reason: Printed as 21% in the source; a typesetting error.\n"
        )
    report, results = audit_of(project_copy)
    check = by_id(report)["responses/cr@all/percent-rounding"]
    assert check.status == "known discrepancy" and check.known.startswith("Printed as 21%")
    raise_for_failures(report, results)


def test_a_known_discrepancy_must_name_a_real_check(project_copy, study_dir):
    with (study_dir / "study.yml").open("a") as handle:
        handle.write("known_discrepancies:\n  - check: responses/nothing/percent-rounding\n    reason: x\n")
    report, results = audit_of(project_copy)
    with pytest.raises(DataError, match=r"known_discrepancies\[0\]\.check'.*names no audit check"):
        raise_for_failures(report, results)


def test_a_reported_interval_names_the_methods_that_reproduce_it(tmp_path):
    from tests.test_fixtures import project_with

    root = project_with(tmp_path, ["two-arm-randomized"])
    (study,) = load_studies(root / "content")
    report = audit_study(analyse_study(study, StatisticsSettings()))
    check = by_id(report)["responses/response@drug-a/reported-interval-method"]
    assert check.passed and check.expected == "reproduced by exact Clopper-Pearson"
    assert check.inputs == "60/200, printed 23.7% to 36.9% (95%)"
    effect = by_id(report)["effects/death@drug-a-vs-placebo/p-agrees-with-interval"]
    assert effect.passed and effect.expected == "P = 0.01 as printed, that is 0.005 to 0.015"


def test_a_p_value_its_interval_cannot_give_fails(tmp_path):
    from tests.test_fixtures import project_with

    root = project_with(tmp_path, ["two-arm-randomized"])
    for name in ("study.yml", "effects.csv"):
        path = root / "content/studies/two-arm-randomized" / name
        path.write_text(path.read_text().replace("P = 0.01", "P = 0.50"))
    (study,) = load_studies(root / "content")
    report = audit_study(analyse_study(study, StatisticsSettings()))
    assert "effects/death@drug-a-vs-placebo/p-agrees-with-interval" in {c.id for c in report.failures}


# Printed intervals of a difference of two proportions (the randomized-differences fixture) -----------

DIFFERENCES = "randomized-differences"
SUBGROUP_ROW = (
    "differences.csv",
    "-7.3,24.4,95,P = 0.22,,newcombe,reported",
    "-7.3,24.4,95,P = 0.22,,wald,reported",
)


def differences_audit(tmp_path: Path, *edits: tuple[str, str, str]):
    """The fixture's audit, after each (file, old, new) edit of its files."""
    from tests.test_fixtures import project_with

    root = project_with(tmp_path, [DIFFERENCES])
    for name, old, new in edits:
        edit(root / "content/studies" / DIFFERENCES / name, old, new)
    (study,) = load_studies(root / "content")
    results = analyse_study(study, StatisticsSettings())
    return audit_study(results), results


def difference_check(report, row: str):
    return by_id(report)[f"differences/{row}-vs-placebo/difference-interval-method"]


def test_the_audit_notes_the_method_that_reproduces_each_printed_difference_interval(tmp_path):
    report, _ = differences_audit(tmp_path)
    newcombe = difference_check(report, "response@drug-b")
    assert newcombe.status == "note" and newcombe.expected == "reproduced by Newcombe hybrid score"
    assert newcombe.inputs == (
        "Drug B 30/200 (count reported) vs Placebo 8/100 (count reported): their difference 7.0 percentage "
        "points; printed 7.0 (95% CI -1.2 to 13.8)"
    )
    wald = difference_check(report, "remission@drug-b")
    assert wald.status == "note" and wald.expected == "reproduced by Wald"
    none = difference_check(report, "disease_control@drug-b")
    assert none.status == "note" and not none.passed
    assert none.expected == "no standard method reproduces it; closest: Wald, 3.7 to 26.3 (off by 0.2 pp)"
    stated = difference_check(report, "response@drug-b/65-years-or-older")
    assert stated.status == "pass"
    assert stated.expected == "reproduced by Newcombe hybrid score, the method the source states"
    assert "vs Placebo 8/40 (count derived by this site)" in stated.inputs
    assert stated.inputs.endswith("; the source states Newcombe hybrid score")
    ids = [c.id for c in report.checks if c.id.startswith("differences/")]
    assert len(ids) == len(set(ids)), "a subgroup's checks are told apart from the whole arm's"
    assert "differences/response@drug-b/65-years-or-older-vs-placebo/p-agrees-with-interval" in ids


def test_notes_neither_pass_nor_fail_and_are_counted_apart(tmp_path):
    report, results = differences_audit(tmp_path)
    assert report.failures == [] and report.waived == []
    assert len(report.notes) == 3 and not set(report.notes) & set(report.passes)
    (tally,) = [t for t in report.by_rule() if t.rule == "difference-interval-method"]
    assert (tally.checks, tally.passed, tally.failed, tally.waived, tally.noted) == (4, 1, 0, 0, 3)
    assert tally.checked == 1
    raise_for_failures(report, results)


def test_a_stated_method_that_does_not_reproduce_the_interval_fails(tmp_path):
    report, results = differences_audit(tmp_path, SUBGROUP_ROW)
    (failure,) = report.failures
    assert failure.id == "differences/response@drug-b/65-years-or-older-vs-placebo/difference-interval-method"
    assert failure.expected == (
        "Wald, the method the source states, gives -6.0 to 26.0 (off by 1.6 pp); "
        "reproduced by Newcombe hybrid score"
    )
    with pytest.raises(DataError, match="audit rule 'difference-interval-method' failed for Response"):
        raise_for_failures(report, results)


def test_a_stated_method_without_the_groups_counts_is_noted_as_not_checked(tmp_path):
    report, _ = differences_audit(
        tmp_path,
        (
            "outcomes.csv",
            "disease_control,Disease control,placebo,,30,100,30,",
            "other,Other,placebo,,30,100,30,",
        ),
        ("differences.csv", "3.5,26.5,95,,,,reported", "3.5,26.5,95,,,wald,reported"),
    )
    check = difference_check(report, "disease_control@drug-b")
    assert check.status == "note" and check.expected.startswith("not checked: no table of proportions")
    assert report.failures == []


def test_a_known_discrepancy_cannot_waive_a_note(tmp_path):
    from tests.test_fixtures import project_with

    root = project_with(tmp_path, [DIFFERENCES])
    with (root / "content/studies" / DIFFERENCES / "study.yml").open("a") as handle:
        handle.write(
            "known_discrepancies:\n"
            "  - check: differences/remission@drug-b-vs-placebo/difference-interval-method\n"
            "    reason: x\n"
        )
    (study,) = load_studies(root / "content")
    results = analyse_study(study, StatisticsSettings())
    with pytest.raises(DataError, match="known discrepancy names a note, which never fails"):
        raise_for_failures(audit_study(results), results)


def test_a_stated_method_goes_only_with_a_difference_and_its_interval(tmp_path):
    from tests.test_fixtures import project_with

    root = project_with(tmp_path, ["two-arm-randomized"])
    path = root / "content/studies/two-arm-randomized/effects.csv"
    edit(path, "p_value,status", "p_value,ci_method,status")
    edit(path, "P = 0.01,reported", "P = 0.01,wald,reported")
    with pytest.raises(DataError, match="ci_method 'wald' names how the interval of a difference"):
        load_studies(root / "content")


def test_the_download_names_the_stated_or_identified_method(tmp_path):
    from generator.kinds.effects import KIND

    _, results = differences_audit(tmp_path)
    out = KIND.download.prepare(results.frame("differences"), StatisticsSettings())
    assert list(out["ci_method"]) == [
        "Newcombe hybrid score, identified by the audit",
        "Wald, identified by the audit",
        "as reported",
        "Newcombe hybrid score, as the source states",
    ]
