"""Whole numbers in words, and the audit reading them as printed figures."""

import pytest

from generator.audit import printed_in
from generator.formatting import design_words
from generator.model import Design
from generator.numberwords import numbers_in_words


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Ninety patients were treated", {90}),
        ("One hundred sixteen patients received blinatumomab.", {116}),
        ("Eighty-eight (78%) of 113 evaluable patients", {88}),
        ("Twelve (10%) and 3 patients (3%)", {12}),
        ("two thousand and five", {2005}),
        ("no number here", set()),
    ],
)
def test_numbers_in_words(text, numbers):
    assert numbers_in_words(text) == numbers


def test_a_figure_is_printed_in_digits_or_in_words():
    assert printed_in("90", "Ninety patients were treated")
    assert printed_in("90", "90 patients")
    assert not printed_in("91", "Ninety patients were treated")
    assert not printed_in("9", "90 patients")


def test_design_words_come_from_the_data():
    design = Design(
        summary="s",
        source="q",
        allocation="randomized",
        ratio="2:1",
        phase="3",
        masking="open-label",
        registrations=[{"registry": "ClinicalTrials.gov", "id": "NCT00000001", "source": "q"}],
    )
    assert design_words(design) == "Randomized 2:1, phase 3, open-label, NCT00000001"
    assert design_words(Design(summary="s", source="q", allocation="single-arm")) == "Single-arm"
    with pytest.raises(ValueError, match="a ratio is given only for a randomized design"):
        Design(summary="s", source="q", allocation="single-arm", ratio="1:1")
