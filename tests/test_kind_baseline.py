"""Baseline characteristics (generator/kinds/baseline.py): a row is n (%) or a measure with its spread,
as printed; the audit checks percentages against n/N and a median or mean against its IQR or range; the
section shows each arm's figures as printed, each linked to its provenance; the download has its columns."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from generator.analysis import analyse_study
from generator.audit import audit_study
from generator.build import generate, open_project
from generator.config import SiteConfig, StatisticsSettings
from generator.downloads import COLUMNS, LAYOUTS
from generator.errors import DataError, Problem
from generator.formatting import NumberFormat
from generator.kinds import KINDS, kind_of_columns
from generator.kinds.baseline import KIND, BaselineRow
from generator.layout import study_layout
from generator.load import load_study
from generator.model import DESIGN_PAGE, OutcomeVocabulary
from generator.provenance import collect_values
from generator.validation import validate
from tests.conftest import edit
from tests.test_fixtures import FIXTURES, project_with

SHAPE = "baseline-characteristics"
FIXTURE = FIXTURES / "studies" / SHAPE
SOURCE = "Female sex, n (%) | 96 (48) | 51 (51)"
N_PERCENT = {
    "characteristic": "female",
    "label": "Female sex",
    "arm": "drug-d",
    "count": "96",
    "denominator": "200",
    "percent": "48.0",
    "status": "reported",
    "source": SOURCE,
}
MEDIAN = {
    "characteristic": "age",
    "label": "Age, years",
    "arm": "drug-d",
    "value": "52.0",
    "unit": "years",
    "measure": "median",
    "spread": "iqr",
    "spread_low": "45",
    "spread_high": "60.5",
    "status": "reported",
    "source": "Age | 52.0 (45–60.5)",
}


def problems_of(data: dict) -> list[Problem]:
    problems: list[Problem] = []
    assert validate(BaselineRow, data, Path("baseline.csv"), problems, line=7) is None
    return problems


def message_of(data: dict) -> str:
    (problem,) = problems_of(data)
    assert problem.line == 7 and str(problem.file) == "baseline.csv"
    return problem.message


# --- the row ------------------------------------------------------------------------------------


def test_the_kind_is_told_by_its_columns_and_registered():
    assert KINDS["baseline"] is KIND and KIND.title == "Baseline characteristics"
    assert kind_of_columns(list(KIND.columns)) is KIND
    assert kind_of_columns([*KIND.columns, "category", "count", "value", "spread_value"]) is KIND
    assert not KIND.headline and KIND.compared_as is None and KIND.page == DESIGN_PAGE


def test_n_percent_and_a_measure_with_its_spread_keep_their_printed_digits():
    row = BaselineRow.model_validate(N_PERCENT)
    assert (row.count, row.denominator, str(row.percent)) == (96, 200, "48.0")
    row = BaselineRow.model_validate(MEDIAN)
    assert (str(row.value), str(row.spread_low), str(row.spread_high)) == ("52.0", "45", "60.5")
    mean = {**MEDIAN, "measure": "mean", "spread": "sd", "spread_low": None, "spread_high": None}
    assert BaselineRow.model_validate({**mean, "spread_value": "9.80"}).spread_value == Decimal("9.80")
    percent_alone = {**N_PERCENT, "count": None, "denominator": None}
    assert BaselineRow.model_validate(percent_alone).percent == Decimal("48.0")
    no_spread = {**MEDIAN, "spread": None, "spread_low": None, "spread_high": None, "unit": None}
    assert BaselineRow.model_validate(no_spread).spread is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({**N_PERCENT, "value": "52", "measure": "median"}, "either n (%)"),
        ({**N_PERCENT, "count": None, "percent": None}, "denominator 200 goes with a count"),
        ({**N_PERCENT, "count": "201"}, "count 201 is larger than its denominator 200"),
        ({**MEDIAN, "measure": None}, "value 52.0 needs its measure: mean or median"),
        ({**MEDIAN, "value": None}, "a measure needs its value as printed"),
        ({**MEDIAN, "spread_high": None}, "IQR needs both bounds as printed: spread_low and spread_high"),
        ({**MEDIAN, "spread": "range", "spread_value": "3"}, "range has two bounds"),
        ({**MEDIAN, "spread": "sd"}, "an SD is one number (spread_value), not bounds"),
        ({**MEDIAN, "spread": "sd", "spread_low": None, "spread_high": None}, "an SD needs its spread_value"),
        ({**MEDIAN, "spread_low": "61"}, "spread_low 61 is above spread_high 60.5"),
        ({**MEDIAN, "spread": None}, "spread_low, spread_high: expected the spread they give"),
        ({**MEDIAN, "value": "1E+400"}, "1E+400 is beyond what can be shown and computed with"),
        ({**MEDIAN, "spread_high": "9e200"}, "9E+200 is beyond what can be shown and computed with"),
    ],
)
def test_a_bad_combination_is_refused_with_a_located_message(change, expected):
    assert expected in message_of(change)


def test_a_row_without_a_figure_says_what_it_needs():
    bare = {k: v for k, v in N_PERCENT.items() if k not in ("count", "denominator", "percent")}
    assert "a row needs its figure" in message_of(bare)


def test_field_errors_name_their_field():
    problems = problems_of({**MEDIAN, "spread": "variance", "percent": "101"})
    assert {p.field for p in problems} == {"spread", "percent"}


# --- loading, audit, page -----------------------------------------------------------------------


def edit_all(path: Path, old: str, new: str) -> None:
    """Replace every `old` in a file (a quote is on both arms' rows), failing if it is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def copy_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / SHAPE
    shutil.copytree(FIXTURE, folder)
    return folder


def load(folder: Path):
    return load_study(folder, None, OutcomeVocabulary())


def audit_of(folder: Path):
    return audit_study(analyse_study(load(folder), StatisticsSettings()))


def test_a_bad_row_in_the_csv_is_located_by_file_and_line(tmp_path):
    folder = copy_fixture(tmp_path)
    edit(
        folder / "baseline.csv",
        "weight,Weight,,drug-d,,,,72.4,kg,mean,sd,,,12.1",
        "weight,Weight,,drug-d,,,,72.4,kg,mean,iqr,,,12.1",
    )
    with pytest.raises(DataError) as caught:
        load(folder)
    (problem,) = caught.value.problems
    assert problem.file.name == "baseline.csv" and problem.line == 10
    assert "IQR has two bounds (spread_low, spread_high), not spread_value" in problem.message


def test_two_rows_for_the_same_characteristic_category_and_arm_are_refused(tmp_path):
    folder = copy_fixture(tmp_path)
    with (folder / "baseline.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            "ecog,ECOG performance status,ecog  0,drug-d,120,200,60,,,,,,,,reported,"
            '"ECOG 0, n (%) | 120 (60) | 58 (58)"\n'
        )
    with pytest.raises(DataError) as caught:
        load(folder)
    (problem,) = caught.value.problems
    assert (
        problem.line == 12
        and "duplicate row for ecog (ecog  0)@drug-d: line 6 already gives it" in problem.message
    )


def test_the_fixture_passes_every_check_and_no_arms_are_compared():
    report = audit_of(FIXTURE)
    assert report.checks and report.failures == []
    ids = {c.id: c for c in report.checks}
    rounding = ids["baseline/ecog/ecog-0@drug-d/percent-rounding"]
    assert (rounding.inputs, rounding.subject) == (
        "120/200 = 60.00%",
        "ECOG performance status: ECOG 0, Drug D",
    )
    spread = ids["baseline/age@drug-d/spread-contains-value"]
    assert spread.passed and spread.inputs == "median 52, range 18 to 80"
    assert "baseline/weight@drug-d/figure-in-quote/spread_value" in ids
    assert "spread-contains-value" in report.rules
    assert not [
        c for c in report.checks if "weight" in c.id and c.rule == "spread-contains-value"
    ]  # an SD has no bounds


def test_a_percentage_that_does_not_round_from_n_of_n_fails(tmp_path):
    folder = copy_fixture(tmp_path)
    for name in ("study.yml", "baseline.csv"):
        edit_all(folder / name, "96 (48)", "96 (49)")
    edit(
        folder / "baseline.csv", "female,Female sex,,drug-d,96,200,48", "female,Female sex,,drug-d,96,200,49"
    )
    (failure,) = audit_of(folder).failures
    assert failure.id == "baseline/female@drug-d/percent-rounding" and failure.line == 4
    assert (failure.inputs, failure.expected) == ("96/200 = 48.00%", "49% as printed")


def test_a_median_outside_its_range_fails(tmp_path):
    folder = copy_fixture(tmp_path)
    for name in ("study.yml", "baseline.csv"):
        edit_all(folder / name, "55 (21–79)", "85 (21–79)")
    edit(folder / "baseline.csv", 'age,"Age, years",,placebo,,,,55', 'age,"Age, years",,placebo,,,,85')
    (failure,) = audit_of(folder).failures
    assert failure.id == "baseline/age@placebo/spread-contains-value" and failure.line == 3
    assert failure.expected == "21 ≤ 85 ≤ 79: the median within its range"


@pytest.mark.parametrize("median", ["21", "79"])
def test_a_median_on_a_bound_of_its_range_passes(tmp_path, median):
    """A median may equal the range's lowest or highest value (half the patients may share it)."""
    folder = copy_fixture(tmp_path)
    for name in ("study.yml", "baseline.csv"):
        edit_all(folder / name, "55 (21–79)", f"{median} (21–79)")
    edit(folder / "baseline.csv", 'age,"Age, years",,placebo,,,,55', f'age,"Age, years",,placebo,,,,{median}')
    assert not audit_of(folder).failures


def test_without_pages_in_study_yml_the_table_is_on_the_design_page(tmp_path):
    folder = copy_fixture(tmp_path)
    text = (folder / "study.yml").read_text(encoding="utf-8")
    (folder / "study.yml").write_text(text[: text.index("\npages:") + 1], encoding="utf-8")
    layout = study_layout(load(folder))
    assert ("baseline", "Baseline characteristics") in [(s.table, s.title) for s in layout.design_sections]
    assert all(s.table != "baseline" for page in layout.result_pages for s in page.sections)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    return generate(open_project(project_with(tmp_path_factory.mktemp("baseline"), [SHAPE])))


def section(files: dict[str, bytes]) -> str:
    page = files[f"studies/{SHAPE}/design.md"].decode()
    start = page.index('## <span class="ev-label">Baseline characteristics</span>')
    return page[start : page.index("[Download this table (CSV)](data/baseline.csv)", start)]


def test_the_section_shows_each_cell_as_printed_with_its_provenance(files):
    text = section(files)
    assert "The arms are not tested against\neach other: as CONSORT advises" in text
    assert "| Characteristic | Drug D | Placebo | Provenance |" in text
    figure = r'\]\(source\.md#q-\d+ "Reported \(Table 1'
    lines = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ")}
    age = lines['| <span class="ev-label">Age, years</span>']
    assert (
        age.count("median [") == 2
        and "(range [18–80](source.md#q-" in age
        and '<span class="ev-label">years</span>' in age
    )
    female = lines['| <span class="ev-label">Female sex</span>']
    assert (
        "[96](source.md#q-" in female and "/[200](source.md#q-" in female and "([48%](source.md#q-" in female
    )
    assert "{ #u-baseline-female-drug-d-count .ev-value .ev-reported }" in female
    weight = lines['| <span class="ev-label">Weight</span>']
    assert "mean [72.4](" in weight and "(SD [12.1](" in weight
    assert lines['| <span class="ev-label">ECOG performance status</span>'].endswith("| | | |")
    assert '| &emsp;<span class="ev-label">ECOG 1</span> | [80](' in text
    assert '**Reported**: <q class="ev-quote">Female sex, n (%) &#124; 96 (48) &#124; 51 (51)</q> |' in female
    assert len(re.findall(figure, text)) == 20  # every figure but the 6 denominators (the abstract's N)


def test_text_from_the_data_is_escaped(tmp_path):
    root = project_with(tmp_path, [SHAPE])
    folder = root / "content" / "studies" / SHAPE
    edit(
        folder / "baseline.csv",
        "ECOG performance status,ECOG 1,drug-d",
        "ECOG performance status,<b>ECOG</b> *1*,drug-d",
    )
    edit(
        folder / "baseline.csv",
        "ECOG performance status,ECOG 1,placebo",
        "ECOG performance status,<b>ECOG</b> *1*,placebo",
    )
    text = section(generate(open_project(root)))
    assert "<b>" not in text and "&#60;b&#62;ECOG&#60;/b&#62; &#42;1&#42;</span>" in text


def test_the_download_has_its_declared_columns_as_printed(files):
    rows = list(csv.DictReader(io.StringIO(files[f"studies/{SHAPE}/data/baseline.csv"].decode("utf-8-sig"))))
    assert tuple(rows[0]) == LAYOUTS["baseline"] == KIND.download.layout
    assert all(column in COLUMNS for column in KIND.download.layout)
    age = next(r for r in rows if r["characteristic"] == "age" and r["arm"] == "drug-d")
    assert (age["summary_measure"], age["value"], age["spread"], age["spread_low"], age["spread_high"]) == (
        "median",
        "52",
        "range",
        "18",
        "80",
    )
    ecog = next(r for r in rows if r["category"] == "ECOG 0" and r["arm"] == "placebo")
    assert (ecog["count"], ecog["denominator"], ecog["percent_reported"]) == ("58", "100", "58")
    for column in ("characteristic", "category", "summary_measure", "spread", "spread_value"):
        assert COLUMNS[column].description


def test_every_printed_number_is_a_figure_with_its_quote():
    results = analyse_study(load(FIXTURE), StatisticsSettings())
    book = collect_values(results, NumberFormat(SiteConfig()))
    mine = {key.split("/", 1)[1]: v for key, v in book.values.items() if "/baseline/" in key}
    assert len(mine) == 3 * 2 * 3 + 2 * 2 * 2  # n, N and % of 3 lines of 2 arms; value and spread of 2
    age = mine["baseline/age@drug-d/spread"]
    assert (age.text, age.number, age.kind) == ("18–80", [18.0, 80.0], "reported")
    assert age.quote == "Age, median (range), years | 52 (18–80) | 55 (21–79)"
    assert age.where and age.where.startswith("Table 1.") and "column “Drug D (N = 200)”" in age.where
    assert mine["baseline/weight@placebo/value"].label == "Weight, Placebo: mean (kg)"
    assert mine["baseline/ecog/ecog-1@placebo/percent"].text == "42%"
    assert mine["baseline/female@drug-d/denominator"].quote == "to drug D (200 patients)"  # the arm's N
