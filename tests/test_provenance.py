"""Figures and their provenance: kinds, derivations, denominators' sentences and quote highlights."""

import pytest

from generator.analysis import analyse_study
from generator.config import SiteConfig
from generator.formatting import NumberFormat
from generator.load import load_studies
from generator.provenance import QuoteIndex, Value, ValueBook, collect_values
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def book() -> ValueBook:
    (study,) = load_studies(ROOT / "content")
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
