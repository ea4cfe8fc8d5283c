"""Citation exports, read back with real parsers and compared field by field."""

import json
import re
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy

from generator.citation import to_bibtex, to_csl_json, to_ris
from generator.formatting import short_authors, vancouver_reference
from generator.load import load_studies
from tests.conftest import ROOT, STUDY


@pytest.fixture(scope="module")
def citation():
    study = next(s for s in load_studies(ROOT / "content") if s.slug == STUDY)
    return study.meta.citation


def test_bibtex_parses_back_to_the_same_fields(citation):
    library = bibtexparser.parse_string(to_bibtex(citation, STUDY))
    assert library.failed_blocks == []
    (entry,) = library.entries
    assert (entry.key, entry.entry_type) == ("kantarjian2013", "article")
    assert entry["title"].strip("{}") == " ".join(citation.title.split())
    assert entry["author"].split(" and ")[0] == "Kantarjian, Hagop"
    assert entry["author"].split(" and ")[-1] == "O'Brien, Susan"
    assert (entry["journal"], entry["year"], entry["volume"], entry["number"]) == (
        "Cancer",
        "2013",
        "119",
        "15",
    )
    assert (entry["pages"], entry["doi"], entry["pmid"]) == ("2728--2736", "10.1002/cncr.28136", "23633004")


def test_bibtex_escapes_special_characters(citation):
    odd = citation.model_copy(update={"title": "50% of {braces} & more, a \\ and one } ~^$#_"})
    (entry,) = bibtexparser.parse_string(to_bibtex(odd, "x")).entries
    assert entry["title"] == (
        r"{50\% of \textbraceleft{}braces\textbraceright{} \& more, a \textbackslash{} and one "
        r"\textbraceright{} \textasciitilde{}\textasciicircum{}\$\#\_}"
    )


def test_bibtex_keeps_an_author_with_and_or_a_comma_as_one_name(citation):
    group = citation.authors[0].model_copy(update={"family": "Smith and Jones, Inc", "given": "Study Group"})
    odd = citation.model_copy(update={"authors": [group, *citation.authors[1:]]})
    (entry,) = bibtexparser.parse_string(to_bibtex(odd, "x")).entries
    assert entry["author"].split(" and ")[0] == "{Smith"  # BibTeX splits only outside braces
    assert entry["author"].startswith("{Smith and Jones, Inc}, Study Group and Thomas, Deborah")


def test_ris_parses_back_to_the_same_fields(citation):
    (record,) = rispy.loads(to_ris(citation))
    assert record["type_of_reference"] == "JOUR"
    assert len(record["authors"]) == 14 and record["authors"][0] == "Kantarjian, Hagop"
    assert record["title"] == " ".join(citation.title.split())
    assert (record["journal_name"], record["year"], record["volume"], record["number"]) == (
        "Cancer",
        "2013",
        "119",
        "15",
    )
    assert (record["start_page"], record["end_page"]) == ("2728", "2736")
    assert (record["doi"], record["accession_number"]) == ("10.1002/cncr.28136", "23633004")


def test_csl_json_holds_the_citation(citation):
    (item,) = json.loads(to_csl_json(citation, STUDY))
    assert item["type"] == "article-journal" and item["DOI"] == "10.1002/cncr.28136"
    assert item["issued"] == {"date-parts": [[2013, 8, 1]]}
    assert item["author"][0] == {"family": "Kantarjian", "given": "Hagop"}
    assert (item["container-title"], item["volume"], item["issue"], item["page"]) == (
        "Cancer",
        "119",
        "15",
        "2728-2736",
    )


def test_a_partial_author_list_says_et_al_everywhere_and_a_missing_pmid_is_left_out(citation):
    partial = citation.model_copy(
        update={"authors": citation.authors[:3], "authors_complete": False, "pmid": None}
    )
    assert vancouver_reference(partial).startswith("Kantarjian H, Thomas D, Jorgensen J, et al. ")
    assert short_authors(partial) == "Kantarjian et al."
    (entry,) = bibtexparser.parse_string(to_bibtex(partial, STUDY)).entries
    assert entry["author"].endswith(" and others") and "pmid" not in entry.fields_dict
    (record,) = rispy.loads(to_ris(partial))
    assert "accession_number" not in record
    assert "PMID" not in json.loads(to_csl_json(partial, STUDY))[0]


def test_two_authors_read_as_two_unless_the_list_is_partial(citation):
    two = citation.model_copy(update={"authors": citation.authors[:2]})
    assert short_authors(two) == "Kantarjian and Thomas"
    assert short_authors(two.model_copy(update={"authors_complete": False})) == "Kantarjian et al."


def test_bibtex_gives_the_month_as_the_unbraced_macro_styles_expand(citation):
    text = to_bibtex(citation, STUDY)
    assert citation.month is not None
    month = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")[
        citation.month - 1
    ]
    assert f"  month = {month},\n" in text, "the macro (month = aug), not the string {aug} or {8}"
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    (entry,) = library.entries
    assert entry.fields_dict["month"].value == month, "bibtexparser reads it as the undelimited macro"


@pytest.mark.parametrize(
    "hostile", ["\x1b[31mRed\x1b[0m", "\u202eevil\u202c", "a\x00b\x07c\x9bd", "\u2067x\u2069"]
)
def test_control_characters_and_direction_marks_never_reach_ris_or_bibtex(citation, hostile):
    """ESC (which a terminal obeys) and U+202E (which turns text right to left) were written raw."""
    odd = citation.model_copy(update={"title": f"Title {hostile} end", "journal": hostile})
    author = citation.authors[0].model_copy(update={"family": f"Smith{hostile}"})
    odd = odd.model_copy(update={"authors": [author, *citation.authors[1:]]})
    for text in (to_ris(odd), to_bibtex(odd, "x")):
        assert not [c for c in text if c not in "\n" and (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F)], repr(text)
        assert not set(text) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
    (record,) = rispy.loads(to_ris(odd))
    (entry,) = bibtexparser.parse_string(to_bibtex(odd, "x")).entries
    assert "Title " in entry["title"] and record["authors"][0].startswith("Smith")


def test_ris_is_one_record_as_rispy_writes_it(citation):
    """TY first, ER last (rispy's "ER  - "), no record number ("1.", rispy's default header) before it."""
    lines = to_ris(citation).splitlines()
    assert (lines[0], lines[-1]) == ("TY  - JOUR", "ER  - ")
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - \S.*|ER  - ", line) for line in lines), lines


def test_empty_fields_are_left_out_of_ris_and_bibtex(citation):
    given_blank = citation.authors[0].model_copy(update={"given": "\u202e"})
    blank = citation.authors[1].model_copy(update={"family": "\x1b", "given": " "})
    authors = [given_blank, blank]
    odd = citation.model_copy(
        update={"volume": "", "issue": " ", "keywords": ["\x1b", "kept"], "authors": authors}
    )
    text = to_ris(odd)
    assert not re.search(r"^(VL|IS)  -", text, re.M)
    assert re.findall(r"^KW  - .*", text, re.M) == ["KW  - kept"]
    assert re.findall(r"^AU  - .*", text, re.M) == ["AU  - Kantarjian"]
    (entry,) = bibtexparser.parse_string(to_bibtex(odd, "x")).entries
    assert "volume" not in entry.fields_dict and "number" not in entry.fields_dict
    assert entry["author"] == "Kantarjian", "a family name alone (not 'Kantarjian, '), a blank name left out"


# From github.com/citation-style-language/schema@e3ce254, schemas/input/csl-data.json; MIT licence
# (its notice beside it: fixtures/csl-data.LICENSE.txt).
CSL_DATA_SCHEMA = Path(__file__).parent / "fixtures" / "csl-data.json"


def csl_errors(text: str) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(CSL_DATA_SCHEMA.read_text(encoding="utf-8")))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(json.loads(text))
    ]


def test_every_csl_json_the_site_publishes_is_valid_csl_data(built_site):
    published = {path.stem: path for path in (built_site / "site").rglob("cite/*.json")}
    assert set(published) == {study.name for study in (ROOT / "content" / "studies").iterdir()}
    for path in published.values():
        assert csl_errors(path.read_text(encoding="utf-8")) == [], path


def test_csl_json_of_a_year_alone_with_neither_doi_nor_pmid_is_valid_csl_data(citation):
    odd = citation.model_copy(
        update={"date": "2018", "doi": None, "pmid": None, "url": "https://example.org/a", "keywords": []}
    )
    text = to_csl_json(odd, "x")
    assert json.loads(text)[0]["issued"] == {"date-parts": [[2018]]} and csl_errors(text) == []
