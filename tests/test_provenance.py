"""Figures and their provenance: kinds, derivations, denominators' sentences and quote highlights."""

import pytest

from generator.analysis import analyse_study
from generator.config import SiteConfig
from generator.errors import DataError
from generator.formatting import NumberFormat
from generator.load import load_studies
from generator.provenance import QuoteIndex, Value, ValueBook, check_provenance, collect_values
from tests.conftest import ROOT, STUDY, edit


@pytest.fixture(scope="module")
def book() -> ValueBook:
    study = next(s for s in load_studies(ROOT / "content") if s.slug == STUDY)
    return collect_values(analyse_study(study, SiteConfig().statistics), NumberFormat(SiteConfig()))


def test_every_figure_has_a_provenance(book):
    for value in book.values.values():
        assert value.quote if value.kind == "reported" else value.how, value.id


def test_kinds_and_derivations_of_the_response_counts(book):
    overall = book["responses/overall_response@all/count"]
    assert (overall.kind, overall.text) == ("derived", "52")
    assert overall.how.startswith("17 + 27 + 8 = 52")
    single = book["responses/overall_response@single-dose/count"]
    assert single.how == "57% of 49: 28 is the only whole count that rounds to 57%"
    assert book["responses/cr@all/count"].kind == "reported"
    ci = book["responses/overall_response@all/ci"]
    assert (ci.kind, ci.text, ci.number) == ("computed", "46.9% to 68.1%", [46.906623, 68.122442])
    assert book["population/salvage_1@all/count"].how == "90 − 61 = 29 (all minus Salvage 2 or later)"


def test_a_denominator_quotes_the_sentence_that_prints_it(book):
    assert book["responses/overall_response@all/denominator"].quote == "Ninety patients were treated"
    assert book["responses/overall_response@single-dose/denominator"].quote.startswith(
        "The first 49 patients"
    )
    assert book["transplant/vod_after_sct@all/denominator"].quote.startswith(
        "Veno-occlusive disease was noted in 6 of 36"
    )


def test_overlapping_quotes_merge_into_one_highlight():
    book = ValueBook("s")
    for key, quote in [("a", "the first 49 patients"), ("b", "49 patients received"), ("c", "every week")]:
        book.add(Value(f"s/{key}", key, "1", 1, "reported", quote))
    index = QuoteIndex.build(
        [("Methods", "In short, the first 49 patients received a dose every week.")], book
    )
    (highlights,) = index.highlights
    assert [(h.anchor, h.value_ids) for h in highlights] == [("q-1", ("s/a", "s/b")), ("q-2", ("s/c",))]
    text = index.sections[0][1]
    assert text[highlights[0].start : highlights[0].end] == "the first 49 patients received"
    assert index.anchor_of == {"s/a": "q-1", "s/b": "q-1", "s/c": "q-2"}


def test_a_figure_with_no_source_and_no_derivation_stops_the_build():
    book = ValueBook("s")
    book.add(
        Value(
            "s/responses/x@all/count",
            "X, All patients: patients",
            "3",
            3,
            "reported",
            None,
            file="content/studies/s/responses.csv",
            line=7,
        )
    )
    book.add(
        Value("s/responses/x@all/estimate", "X: percentage", "3.0%", 3.0, "computed", "q", "3/100 × 100")
    )
    with pytest.raises(DataError) as caught:
        check_provenance(book)
    assert [str(p) for p in caught.value.problems] == [
        "content/studies/s/responses.csv, line 7: "
        "figure 'X, All patients: patients' (3) has no source and no derivation"
    ]


def test_an_empty_source_cell_is_located(project_copy, study_dir):
    edit(
        study_dir / "survival.csv",
        ",7.3,months,reported,7.3 months with the weekly dose schedule",
        ",7.3,months,reported,",
    )
    with pytest.raises(DataError) as caught:
        load_studies(project_copy / "content")
    (problem,) = caught.value.problems
    assert str(problem).endswith(
        "survival.csv, line 4, field 'source': is empty; input should be a valid string"
    )


def test_a_figure_from_a_table_names_the_document_row_and_column(tmp_path):
    from tests.test_fixtures import project_with

    root = project_with(tmp_path, ["adverse-events-only"])
    (study,) = load_studies(root / "content")
    book = collect_values(analyse_study(study, SiteConfig().statistics), NumberFormat(SiteConfig()))
    count = book["adverse_events/nausea@drug-c/grade-ge3/count"]
    assert count.where == "Table 2. Adverse events., row “Nausea, grade ≥3”, column “Drug C (N = 50)”"
    assert count.explanation.startswith("Reported (Table 2. Adverse events., row “Nausea, grade ≥3”")
    assert book["sets/drug-c/treated"].where == "Table 2. Adverse events., header, column “Drug C (N = 50)”"


def test_a_set_total_derived_from_the_arms_is_marked_derived_and_still_audited(project_copy):
    from generator.audit import audit_study

    study_file = project_copy / "content" / "studies" / "kantarjian-2017" / "study.yml"
    text = study_file.read_text()
    start = text.index("    - id: randomized\n      n: 405\n")
    end = text.index("    - id: treated\n", start)
    study_file.write_text(text[:start] + "    - id: randomized\n      derived: true\n" + text[end:])
    study = next(s for s in load_studies(project_copy / "content") if s.slug == "kantarjian-2017")
    results = analyse_study(study, SiteConfig().statistics)
    total = collect_values(results, NumberFormat(SiteConfig()))["sets/all/randomized"]
    assert (total.text, total.kind, total.quote) == ("405", "derived", None)
    assert "271 (Blinatumomab) + 134 (Chemotherapy)" in (total.how or "")
    checks = {c.id: c for c in audit_study(results).checks}
    assert "sets/all/randomized/figure-in-quote" not in checks  # nothing printed to find
    assert any(c.rule == "arms-sum-to-population" and c.passed for c in checks.values())
