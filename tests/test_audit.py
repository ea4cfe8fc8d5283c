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
    assert (
        "the source prints “Overall, 17 patients (21%) achieved a complete response (CR)”; "
        "the data say 17 of 90, 21%; the site computes 17/90 = 18.89%, which rounds to 19%" in message
    )


def test_a_typo_in_the_data_reads_source_then_data_then_site(project_copy, study_dir):
    """The source prints 19%; the data say 21% (a typo): the message says so in that order, and the
    figure the site computes is the source's, not the typo."""
    edit(study_dir / "responses.csv", ",17,90,19,reported,", ",17,90,21,reported,")
    report, results = audit_of(project_copy)
    with pytest.raises(DataError) as caught:
        raise_for_failures(report, results)
    (message,) = [str(p) for p in caught.value.problems if "'percent-rounding'" in str(p)]
    source = message.index("the source prints “Overall, 17 patients (19%) achieved")
    data = message.index("; the data say 17 of 90, 21%;")
    site = message.index("; the site computes 17/90 = 18.89%, which rounds to 19%.")
    assert source < data < site
    (figure,) = [str(p) for p in caught.value.problems if "'figure-in-quote'" in str(p)]
    assert (
        "“Overall, 17 patients (19%) achieved a complete response (CR)”; the data say percent 21; " in figure
    )
    assert "the site finds no 21 in that sentence." in figure


SHAPES = sorted(p.name for p in (ROOT / "tests/fixtures/studies").iterdir() if p.is_dir())


@pytest.mark.parametrize("shape", SHAPES)
def test_every_check_says_what_the_source_prints_the_data_say_and_the_site_computes(shape):
    """Every rule's message in the same order: each check, of every rule these studies run, names
    the sentence it reads (where its figures have one), the data's figures and what the site made."""
    from generator.load import load_study, load_vocabulary

    study = load_study(ROOT / "tests/fixtures/studies" / shape, None, load_vocabulary(ROOT / "content"))
    checks = audit_study(analyse_study(study, StatisticsSettings())).checks
    assert checks
    for check in checks:
        assert check.data and check.computed, check.id
        assert check.says.index("the data say") < check.says.index("; the site ")
        if check.rule != "arms-sum-to-population":  # a total derived from the arms has no sentence
            assert check.says.startswith("the source prints “"), check.id


def test_the_real_studies_run_every_rule_with_its_three_parts():
    from generator.load import load_studies

    rules = set()
    for study in load_studies(ROOT / "content"):
        for check in audit_study(analyse_study(study, StatisticsSettings())).checks:
            assert check.data and check.computed and check.printed, check.id
            rules.add(check.rule)
    assert {"percent-rounding", "figure-in-quote", "parts-sum-to-total", "arm-rows-sum-to-all"} <= rules


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
    assert failure.says == (
        "the source prints “7.3 months with the weekly dose schedule”; the data say value 3.7; "
        "the site finds no 3.7 in that sentence"
    )


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


# One pass: the audit's problems come with those of loading and computing --------------------------


def checked(project: Path):
    """The problems `check` lists for STUDY, in one pass (load, compute, audit)."""
    from generator.load import load_vocabulary
    from generator.studies import checked_study

    content = project / "content"
    with pytest.raises(DataError) as caught:
        checked_study(content / "studies" / STUDY, project, load_vocabulary(content), StatisticsSettings())
    return [str(problem) for problem in caught.value.problems]


MISTYPED_MEDIAN = ("survival.csv", ",7.3,months,", ",3.7,months,")
"""An audit failure: the sentence prints 7.3."""


def test_a_table_with_a_schema_problem_leaves_the_others_audited_in_the_same_pass(
    command_line, one_study_copy
):
    study_dir = one_study_copy / "content" / "studies" / STUDY
    edit(study_dir / "responses.csv", ",17,90,19,", ",17,90,190,")
    edit(study_dir / MISTYPED_MEDIAN[0], *MISTYPED_MEDIAN[1:])
    result = command_line("check", "--project", str(one_study_copy))
    assert result.returncode == 1
    assert "responses.csv, line 2, field 'percent'" in result.stderr
    assert (
        "survival.csv, line 4: audit rule 'figure-in-quote' failed for Median overall survival"
        in result.stderr
    )
    assert "responses.csv, line 2: audit rule" not in result.stderr  # a table with a problem is not audited


def test_a_table_the_computation_refuses_leaves_the_others_audited(project_copy, study_dir):
    edit(study_dir / "responses.csv", "single-dose,,49,57,derived", "single-dose,,300,57,derived")
    edit(study_dir / MISTYPED_MEDIAN[0], *MISTYPED_MEDIAN[1:])
    problems = checked(project_copy)
    assert any("responses.csv, line 6, field 'derivation': from_percent: 3 counts" in p for p in problems)
    assert any("survival.csv, line 4: audit rule 'figure-in-quote'" in p for p in problems)


def test_a_placeholder_left_does_not_keep_the_audit_from_its_table(project_copy, study_dir):
    """A placeholder is a problem of wording: its own table is audited all the same, and a known
    discrepancy naming no check is still found (the study is whole)."""
    edit(study_dir / "survival.csv", "Median overall survival,weekly", "REPLACE: Median OS,weekly")
    edit(study_dir / MISTYPED_MEDIAN[0], *MISTYPED_MEDIAN[1:])
    with (study_dir / "study.yml").open("a") as handle:
        handle.write("known_discrepancies:\n  - check: responses/nothing/percent-rounding\n    reason: x\n")
    problems = checked(project_copy)
    assert any(
        "survival.csv, line 4, field 'label': still holds the skeleton's placeholder" in p for p in problems
    )
    assert any("survival.csv, line 4: audit rule 'figure-in-quote'" in p for p in problems)
    assert any("names no audit check: 'responses/nothing/percent-rounding'" in p for p in problems)


def test_a_known_discrepancy_of_a_table_left_out_is_not_said_to_name_no_check(project_copy, study_dir):
    """With a table left out, fewer checks run: a known discrepancy of that table is not wrong."""
    edit(study_dir / "responses.csv", ",17,90,19,", ",17,90,190,")
    edit(study_dir / MISTYPED_MEDIAN[0], *MISTYPED_MEDIAN[1:])
    with (study_dir / "study.yml").open("a") as handle:
        handle.write("known_discrepancies:\n  - check: responses/cr@all/percent-rounding\n    reason: x\n")
    problems = checked(project_copy)
    assert any("survival.csv, line 4: audit rule 'figure-in-quote'" in p for p in problems)
    assert not any("known discrepancy" in p for p in problems)


def test_a_problem_in_study_yml_keeps_the_audit_for_the_next_pass(project_copy, study_dir):
    """The tables are read against study.yml (arms, sets, sources): with a problem there, nothing is
    audited, and its problem is listed alone."""
    edit(study_dir / "study.yml", "n: 41\n", "n: many\n")
    edit(study_dir / MISTYPED_MEDIAN[0], *MISTYPED_MEDIAN[1:])
    problems = checked(project_copy)
    assert problems and not any("audit rule" in p for p in problems)


def test_a_quote_not_found_does_not_keep_the_audit_from_its_table(project_copy, study_dir):
    """A quote mistyped is a problem of wording: the figures of its row are audited all the same."""
    old, new = ",7.3,months,reported,7.3 months with", ",3.7,months,reported,7.3 months in"
    edit(study_dir / "survival.csv", old, new)
    problems = checked(project_copy)
    assert any(
        "survival.csv, line 4, field 'source': quote '7.3 months in the weekly dose" in p for p in problems
    )
    assert any("survival.csv, line 4: audit rule 'figure-in-quote'" in p for p in problems)
