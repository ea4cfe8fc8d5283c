"""Loading and validation: the real study loads; bad input gets every problem, located."""

import csv
from pathlib import Path

import pytest

from generator.errors import DataError
from generator.load import load_studies
from tests.conftest import ROOT, STUDY, edit


def problems_of(project: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_studies(project / "content")
    return [str(p) for p in caught.value.problems]


def test_the_real_study_loads_with_all_its_tables():
    study = next(s for s in load_studies(ROOT / "content") if s.slug == STUDY)
    assert study.slug == STUDY
    csv_tables = {"population", "responses", "survival", "transplant", "adverse_events"}
    assert set(study.tables) == csv_tables | {"flow"}
    assert [name for name, table in study.tables.items() if table.implied] == ["flow"]  # from study.yml
    assert [a.set_size("treated") for a in study.meta.arms] == [49, 41]


def test_yaml_syntax_error_names_file_and_line(project_copy, study_dir):
    (study_dir / "study.yml").write_text("short_title: ok\ncitation: [unclosed\n")
    (problem,) = problems_of(project_copy)
    assert problem.startswith(f"{study_dir / 'study.yml'}, line 3: YAML syntax error")


def test_missing_and_unknown_fields_are_located(project_copy, study_dir):
    edit(study_dir / "study.yml", "  journal: Cancer\n", "  jurnal: Cancer\n")
    problems = problems_of(project_copy)
    assert (
        f"{study_dir / 'study.yml'}, line 4, field 'citation.journal': required field is missing" in problems
    )
    assert any(
        "line 23, field 'citation.jurnal': unknown field (check the spelling); expected one of: "
        "title, authors, authors_complete, journal, date" in p
        for p in problems
    )


def test_csv_header_problems_name_the_columns(project_copy, study_dir):
    edit(
        study_dir / "survival.csv",
        "outcome,label,arm,subgroup,value,unit,status,source",
        "outcome,label,arm,value,unit,status,source,note",
    )
    (problem,) = problems_of(project_copy)
    assert (
        "survival.csv, line 1: unknown column(s) note; expected the columns of a table of measures, "
        "outcome,label,arm,value,unit,status,source (optional: subgroup, method, ci_low, ci_high, ci_level), "
        "or of another kind (proportions: "
    ) in problem


def test_a_table_is_told_by_its_columns_whatever_its_name(project_copy, study_dir):
    (study_dir / "survival.csv").rename(study_dir / "time_to_event.csv")
    for old in ("tables: [survival]", "{survival: ", "survival:median_os@all", "survival:median_os\n"):
        edit(study_dir / "study.yml", old, old.replace("survival", "time_to_event"))
    study = next(s for s in load_studies(project_copy / "content") if s.slug == STUDY)
    assert study.tables["time_to_event"].kind.name == "measures"
    assert sorted(study.tables_of("proportions")) == ["population", "responses", "transplant"]


def test_pages_must_place_every_table_once(project_copy, study_dir):
    edit(study_dir / "study.yml", "tables: [transplant, adverse_events]", "tables: [transplant, responses]")
    edit(study_dir / "study.yml", ", adverse_events: Adverse events compared between arms}", "}")
    problems = problems_of(project_copy)
    assert any(
        "field 'pages[2].tables[1]': table 'responses' is on two pages; keep one" in p for p in problems
    )
    assert any("field 'pages': table adverse_events.csv is on no page" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (",17,90,19,", ",seventeen,90,19,", "line 2, field 'count': Input should be a valid integer"),
        (",17,90,19,", ",-17,90,19,", "line 2, field 'count': Input should be greater than or equal to 0"),
        (",17,90,19,", ",97,90,19,", "line 2: count 97 is larger than its denominator 90"),
        (",17,90,19,", ",17,90,119,", "line 2, field 'percent': Input should be less than or equal to 100"),
        ("all,17,90", "everyone,17,90", "line 2, field 'arm': unknown arm or group 'everyone'"),
        (
            '"sum(cr, crp, marrow_cr)"',
            '"sum(cr, crp, bone_cr)"',
            "line 5, field 'derivation': derivation names",
        ),
    ],
)
def test_bad_rows_are_located(project_copy, study_dir, old, new, expected):
    edit(study_dir / "responses.csv", old, new)
    problems = problems_of(project_copy)
    assert any(f"responses.csv, {expected}" in p for p in problems), problems


def test_a_quote_must_be_in_the_abstract(project_copy, study_dir):
    edit(
        study_dir / "transplant.csv",
        "was less frequent after the weekly schedule (7%)",
        "was much less frequent after the weekly schedule (7%)",
    )
    (problem,) = problems_of(project_copy)
    assert (
        "transplant.csv, line 4, field 'source': quote" in problem
        and "not in any of the study's source documents" in problem
    )


def test_every_problem_is_reported_in_one_run(project_copy, study_dir):
    edit(study_dir / "study.yml", "source: The first 49 patients", "source: The first 94 patients")
    edit(study_dir / "responses.csv", ",17,90,19,", ",97,90,19,")
    edit(study_dir / "transplant.csv", ",weekly,,,7,", ",biweekly,,,7,")
    problems = problems_of(project_copy)
    assert len(problems) == 3
    assert [p.split(",")[0].rsplit("/", 1)[-1] for p in problems] == [
        "study.yml",
        "responses.csv",
        "transplant.csv",
    ]


def test_unknown_table_and_bad_slug(project_copy, study_dir):
    (study_dir / "respones.csv").write_text("a\n")
    study_dir.rename(study_dir.with_name("Kantarjian_2013"))
    problems = problems_of(project_copy)
    assert any("study folder names are slugs" in p for p in problems)
    assert any("respones.csv, line 1: missing column(s)" in p for p in problems)


def test_a_study_yml_of_the_old_format_says_what_to_change(project_copy, study_dir):
    old = (Path(__file__).parent / "fixtures" / "old-format-study.yml").read_text()
    (study_dir / "study.yml").write_text(old)
    problems = problems_of(project_copy)
    assert any(
        "field 'abstract': old study.yml format: write the abstract as a source document" in p
        for p in problems
    )
    assert any(
        "field 'population.treated': old study.yml format: give the patients of each analysis set" in p
        for p in problems
    )
    assert any("field 'arms[1].n': old study.yml format" in p and "its role" in p for p in problems)
    assert any("field 'arms[0].doses': old study.yml format: move route" in p for p in problems)
    assert all("old study.yml format" in p for p in problems), problems


def test_a_quote_may_be_a_row_of_a_table_document(project_copy, study_dir):
    study = study_dir / "study.yml"
    edit(
        study,
        "\ndesign:\n",
        "\n  - id: table-2\n    title: Table 2. Transplant.\n    header: [Outcome, All patients]\n"
        "    rows:\n      - [Allogeneic transplant, 36 of 90 (40%)]\n\ndesign:\n",
    )
    edit(
        study_dir / "transplant.csv",
        '"In total, 36 of 90 patients (40%) underwent allogeneic stem cell transplantation."',
        "Allogeneic transplant | 36 of 90 (40%)",
    )
    loaded = next(s for s in load_studies(project_copy / "content") if s.slug == STUDY)
    assert [d.id for d in loaded.meta.sources] == ["abstract", "table-2"]
    assert "Allogeneic transplant | 36 of 90 (40%)" in loaded.source_text
    edit(study_dir / "transplant.csv", "Allogeneic transplant | 36 of 90", "Allogeneic transplant | 37 of 90")
    assert any("not in any of the study's source documents" in p for p in problems_of(project_copy))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "median-overall-survival: survival:median_os",
            "overall-survival: survival:median_os",
            "field 'shared_outcomes.overall-survival': 'overall-survival' is not an outcome of outcomes.yml; "
            "its keys: complete-remission, median-overall-survival",
        ),
        (
            "median-overall-survival: survival:median_os",
            "median-overall-survival: responses:cr",
            "field 'shared_outcomes.median-overall-survival': 'responses:cr' names a table of proportions; "
            "'median-overall-survival' is an outcome of measures",
        ),
        (
            "complete-remission: responses:cr",
            "complete-remission: responses:cr@nobody",
            "field 'shared_outcomes.complete-remission': 'responses:cr@nobody' names no row of responses.csv",
        ),
        (
            "complete-remission: responses:cr",
            "complete-remission: answers:cr",
            "field 'shared_outcomes.complete-remission': no table answers.csv in this study",
        ),
        (
            "complete-remission: responses:cr",
            "complete-remission: responses",
            "field 'shared_outcomes.complete-remission': cannot read 'responses'; expected table:outcome",
        ),
    ],
    ids=["unknown-key", "wrong-kind", "no-row", "no-table", "unreadable"],
)
def test_a_shared_outcome_is_a_vocabulary_key_naming_rows_of_its_kind(
    project_copy, study_dir, old, new, expected
):
    edit(study_dir / "study.yml", old, new)
    problems = problems_of(project_copy)
    assert any("study.yml, line" in p and expected in p for p in problems), problems


def test_the_vocabulary_is_validated_with_its_lines(project_copy):
    edit(project_copy / "content" / "outcomes.yml", "kind: measures", "kind: medians")
    problems = problems_of(project_copy)
    assert any("outcomes.yml, line 7, field 'outcomes[0].kind'" in p and "medians" in p for p in problems), (
        problems
    )


def test_without_a_vocabulary_a_shared_outcome_says_so(project_copy):
    (project_copy / "content" / "outcomes.yml").unlink()
    problems = problems_of(project_copy)
    assert any(
        "its keys: none (outcomes.yml in the content folder is missing or empty)" in p for p in problems
    ), problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("key: complete-remission", "key: chart-compare-x", "keys starting with 'chart-' name the charts"),
        ("key: complete-remission", "key: index", "'index' names the list of comparisons"),
        ("title: Complete remission", "title: '  '", "field 'outcomes[1].title': is blank; expected words"),
    ],
    ids=["chart-prefix", "index", "blank-title"],
)
def test_a_vocabulary_key_or_title_that_would_break_a_page_is_refused(project_copy, old, new, expected):
    edit(project_copy / "content" / "outcomes.yml", old, new)
    problems = problems_of(project_copy)
    assert any(expected in p for p in problems), problems


def test_a_linked_vocabulary_is_refused(project_copy, tmp_path):
    vocabulary = project_copy / "content" / "outcomes.yml"
    elsewhere = tmp_path / "elsewhere.yml"
    vocabulary.rename(elsewhere)
    vocabulary.symlink_to(elsewhere)
    problems = problems_of(project_copy)
    assert any("outcomes.yml: is a symbolic link" in p for p in problems), problems


def test_an_estimate_outside_its_own_interval_is_refused(project_copy):
    study = project_copy / "content" / "studies" / "kantarjian-2017"
    edit(study / "survival_effects.csv", "hazard_ratio,0.71,0.55,0.93", "hazard_ratio,0.51,0.55,0.93")
    problems = problems_of(project_copy)
    assert any(
        "survival_effects.csv, line 2" in p
        and "the estimate 0.51 lies outside its interval 0.55 to 0.93" in p
        for p in problems
    ), problems


TOWER = "kantarjian-2017"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "result: survival_effects:overall_survival@blinatumomab",
            "result: survival_effects:no_such_outcome@blinatumomab",
            "field 'primary.result': 'survival_effects:no_such_outcome@blinatumomab' names no row of table",
        ),
        (
            "result: survival_effects:overall_survival@blinatumomab",
            "result: missing:overall_survival@blinatumomab",
            "names table 'missing', which this study does not have",
        ),
        (
            "arms: survival:median_os",
            "arms: survival_effects:overall_survival",
            "field 'primary.arms': 'survival_effects:overall_survival' names a table of effects; expected",
        ),
        (
            "result: survival_effects:overall_survival@blinatumomab",
            "result: survival effects",
            "field 'primary.result': cannot read 'survival effects'",
        ),
    ],
    ids=["no-row", "no-table", "wrong-kind", "unreadable"],
)
def test_the_primary_result_names_a_row_of_a_table_that_can_show_it(project_copy, old, new, expected):
    edit(project_copy / "content" / "studies" / TOWER / "study.yml", old, new)
    problems = problems_of(project_copy)
    assert any("study.yml, line" in p and expected in p for p in problems), problems


def test_harms_names_tables_of_proportions(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(study_file, "shared_outcomes:", "harms: [adverse_events, survival, nothing]\n\nshared_outcomes:")
    problems = problems_of(project_copy)
    assert any("field 'harms[1]'" in p and "'survival', a table of measures" in p for p in problems), problems
    assert any("field 'harms[2]'" in p and "'nothing', which this study does not have" in p for p in problems)


def test_a_citation_needs_a_doi_a_pmid_or_an_address(project_copy, study_dir):
    study_file = study_dir / "study.yml"
    text = study_file.read_text()
    doi = next(line for line in text.splitlines() if line.strip().startswith("doi:"))
    pmid = next(line for line in text.splitlines() if line.strip().startswith("pmid:"))
    edit(study_file, doi + "\n", "")
    edit(study_file, pmid + "\n", "")
    problems = problems_of(project_copy)
    assert any("a citation needs at least one of doi, pmid or url" in p for p in problems), problems
    edit(study_file, "  journal:", "  url: https://example.org/abstracts/123\n  journal:")
    assert any(
        s.slug == STUDY and s.meta.citation.doi is None for s in load_studies(project_copy / "content")
    )


@pytest.mark.parametrize(
    ("url", "loads"),
    [
        ("https://clinicaltrials.gov/study/NCT02013167", True),
        ("javascript:alert(1)", False),
        ('https://example.org/"><script>', False),
        ("clinicaltrials.gov/study/NCT02013167", False),
    ],
)
def test_a_registration_may_cite_its_registry_record_by_an_address(project_copy, url, loads):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(study_file, "url: https://clinicaltrials.gov/study/NCT02013167", f"url: '{url}'")
    if loads:
        load_studies(project_copy / "content")
    else:
        problems = problems_of(project_copy)
        assert any("design.registrations[0].url" in p and "expected an address" in p for p in problems), (
            problems
        )


def test_a_registration_without_a_quote_or_an_address_is_refused(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(study_file, "      url: https://clinicaltrials.gov/study/NCT02013167\n", "")
    problems = problems_of(project_copy)
    assert any("needs a source (a sentence that gives it) or a url" in p for p in problems), problems


def test_a_follow_up_is_quoted_from_the_source(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(
        study_file,
        "  source_kind: article-excerpt\n",
        "  source_kind: article-excerpt\n  follow_up: 11 months\n  follow_up_source: after 11 months\n",
    )
    problems = problems_of(project_copy)
    assert any("evidence.follow_up_source" in p for p in problems), problems


def test_a_follow_up_gives_only_numbers_its_sentence_prints(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    quote = "The median overall survival was 7.7 months in the blinatumomab group"
    given = f"  source_kind: article-excerpt\n  follow_up: median 99 months\n  follow_up_source: {quote}\n"
    edit(study_file, "  source_kind: article-excerpt\n", given)
    problems = problems_of(project_copy)
    assert any(
        "field 'evidence.follow_up'" in p and "gives 99, which its follow_up_source" in p for p in problems
    )


TOWER_TOTAL = """    - id: randomized
      n: 405
      source: >-
        Of the 405 patients who were randomly assigned to receive blinatumomab (271 patients) or
        chemotherapy (134 patients), 376 patients received at least one dose.
"""


def test_a_set_total_the_source_does_not_print_is_derived_from_the_arms(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(study_file, TOWER_TOTAL, "    - id: randomized\n      derived: true\n")
    study = next(s for s in load_studies(project_copy / "content") if s.slug == TOWER)
    (randomized,) = [s for s in study.meta.population.sets if s.id == "randomized"]
    assert (randomized.n, randomized.derived, randomized.source) == (405, True, None)


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ("    - id: randomized\n      derived: true\n      n: 405\n", "a derived set total takes no n"),
        (
            "    - id: randomized\n      derived: true\n      source: Of the 405 patients\n",
            "a derived set total has no source",
        ),
        ("    - id: randomized\n      n: 405\n", "needs the source sentence that gives its n"),
    ],
)
def test_a_derived_total_is_marked_and_never_quoted(project_copy, replacement, expected):
    edit(project_copy / "content" / "studies" / TOWER / "study.yml", TOWER_TOTAL, replacement)
    assert any(expected in p for p in problems_of(project_copy))


def test_a_total_derived_from_arms_that_do_not_all_count_the_set_is_refused(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(study_file, TOWER_TOTAL, "    - id: randomized\n      derived: true\n")
    edit(study_file, "      - id: randomized\n        n: 134\n", "      - id: randomised\n        n: 134\n")
    problems = problems_of(project_copy)
    expected = (
        "field 'population.sets[0]': analysis set 'randomized' is derived from the arms (derived: true), "
    )
    assert any(
        "study.yml, line" in p and expected in p and "arm 'chemotherapy' gives no n" in p for p in problems
    )


def test_an_arm_count_written_as_text_still_adds_up_to_a_derived_total(project_copy):
    study_file = project_copy / "content" / "studies" / TOWER / "study.yml"
    edit(study_file, TOWER_TOTAL, "    - id: randomized\n      derived: true\n")
    edit(study_file, "      - id: randomized\n        n: 134\n", '      - id: randomized\n        n: "134"\n')
    study = next(s for s in load_studies(project_copy / "content") if s.slug == TOWER)
    assert study.meta.population.sets[0].n == 405


def test_a_main_result_names_one_row(project_copy):
    folder = project_copy / "content" / "studies" / TOWER
    edit(
        folder / "study.yml",
        "result: survival_effects:overall_survival@blinatumomab",
        "result: remission:cr_full_recovery@blinatumomab",
    )
    table = folder / "remission.csv"  # the same outcome and arm in another analysis set: two rows
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    rows.append({**rows[0], "set": "treated"})
    with table.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, [*rows[0], "set"], lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    problems = problems_of(project_copy)
    assert any(
        "field 'primary.result'" in p and "names 2 rows of table 'remission'" in p for p in problems
    ), problems
