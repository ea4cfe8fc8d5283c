"""The readers' glossary: content/glossary.yml validated and located, its forms found in text as a reader
means them, and Material's search index given every form of each term a page prints, and each study
page's result named by its study."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from generator.build import build_site, open_project
from generator.cli import main
from generator.load import content_version, load_glossary
from generator.mkdocs_hooks import (
    GLOSSARY_FIELD,
    SEARCH_SCRIPT,
    SITE_FILE,
    STUDY_TAG_BOOST,
    FormMatcher,
    on_config,
    searchable,
)
from generator.model import Glossary, GlossaryTerm
from generator.text import in_sentence
from tests.conftest import ROOT, copy_project
from tests.pages import page_text

VOD = ["VOD", "veno-occlusive disease", "sinusoidal obstruction syndrome", "SOS"]
CR = ["CR", "complete remission", "complete response"]
CRI = ["CRi", "complete remission with incomplete hematologic recovery"]
ALL = ["ALL", "acute lymphoblastic leukemia"]


def found(terms: list[list[str]], text: str) -> list[str]:
    return FormMatcher(terms).terms_in(text)


def test_a_long_form_in_any_case_and_hyphenation_gives_every_form_of_its_term():
    assert found([VOD], "Veno-occlusive disease was noted in 6 of 36") == VOD
    assert found([VOD], "veno occlusive  disease") == VOD, "a space for the hyphen"
    assert found([VOD], "<td>VOD</td> after <b>transplant</b>") == VOD, "in HTML as the index holds it"
    assert found([VOD], "VODs were rare") == VOD, "a plural s"
    assert found([VOD, CR], "VOD and CR, then VOD") == VOD + CR + VOD, "once per occurrence"


def test_an_abbreviation_matches_only_as_written_and_only_as_a_whole_word():
    assert found([ALL], "in all patients, overall") == [], "ALL is not 'all'"
    assert found([ALL], "Ph-negative ALL in remission") == ALL
    assert found([CRI], "the criteria (cri)") == []
    assert found([VOD], "VODKA and AVOD") == []
    assert found([ALL], "relapsed ALL.") == ALL
    assert found([CR], "CRS grade 3") == [], "the plural s of an abbreviation as written too: CRS is not CRs"
    assert found([CR], "two CRs") == CR


def test_where_forms_overlap_the_longest_is_the_one_found():
    text = "complete remission with incomplete hematologic recovery in 10"
    assert found([CR, CRI], text) == CRI, "not also CR for its first two words"
    assert found([CR, CRI], "complete remission or CRi") == CR + CRI


def test_text_from_the_data_is_taken_as_text_not_as_a_pattern():
    assert found([["a.b", "x+y (z)"]], "a.b and x+y (z)") == ["a.b", "x+y (z)"] * 2
    assert found([["a.b"]], "axb") == []


def index(*docs: dict) -> dict:
    fields = {"title": {"boost": 1000.0}, "text": {"boost": 1.0}, "tags": {"boost": 1e6}}
    return {"config": {"lang": ["en"], "separator": "[\\s]+", "fields": fields}, "docs": list(docs)}


def test_the_index_holds_every_form_each_document_prints_weighted_as_a_title():
    built = searchable(
        index(
            {"location": "a/", "title": "Safety", "text": "<p>Veno-occlusive disease in 6</p>"},
            {"location": "b/", "title": "Survival", "text": "<p>nothing of it</p>"},
        ),
        {},
        [VOD],
    )
    safety, survival = built["docs"]
    assert safety[GLOSSARY_FIELD] == " ".join(VOD)
    assert GLOSSARY_FIELD not in survival
    assert built["config"]["fields"][GLOSSARY_FIELD] == {"boost": 1000.0}, "as the title"
    assert safety["text"] == "<p>Veno-occlusive disease in 6</p>", "what a result shows is unchanged"


def test_each_study_page_s_result_names_its_study_in_a_tag_that_weighs_little():
    owners = {"studies/s/safety/": "Trial &lt;S&gt;", "studies/s/": "Trial &lt;S&gt;"}
    built = searchable(
        index(
            {"location": "studies/s/safety/", "title": "Safety", "text": ""},
            {"location": "studies/s/safety/#grade-3", "title": "Grade 3", "text": ""},
            {"location": "studies/s/", "title": "Trial &lt;S&gt;", "text": ""},
            {"location": "comparisons/", "title": "Comparisons", "text": ""},
        ),
        owners,
        [],
    )
    page, section, overview, other = built["docs"]
    assert page["tags"] == ["Trial &lt;S&gt;"], "the study's title as the navigation escaped it"
    assert "tags" not in section, "a section's result sits under its page's, which names the study"
    assert "tags" not in overview, "its title is the study's already"
    assert "tags" not in other
    assert built["config"]["fields"]["tags"] == {"boost": STUDY_TAG_BOOST}
    assert built["config"]["fields"]["text"]["boost"] > STUDY_TAG_BOOST, "below the words of any page"
    assert GLOSSARY_FIELD not in built["config"]["fields"], "no glossary, no field"
    assert searchable(json.loads(json.dumps(built)), owners, [])["docs"] == built["docs"], "idempotent"


def test_a_study_title_with_quotes_is_not_named_twice_on_its_overview():
    """The navigation escapes a quote as &#34;, Material's index writes it as it is: the same title."""
    owners = {"studies/q/": "The &#34;Q&#34; trial"}
    built = searchable(index({"location": "studies/q/", "title": 'The "Q" trial', "text": ""}), owners, [])
    assert "tags" not in built["docs"][0]


def test_a_form_in_two_terms_or_a_blank_form_is_refused_naming_it():
    with pytest.raises(ValidationError, match="'cr' is a form of both 'CR' and 'CRi'"):
        Glossary(
            terms=[
                GlossaryTerm(term="CR", meaning="complete remission"),
                GlossaryTerm(term="CRi", meaning="x y", synonyms=["cr"]),
            ]
        )
    with pytest.raises(ValidationError, match="'veno occlusive disease' is a form of both"):
        Glossary(
            terms=[
                GlossaryTerm(term="VOD", meaning="veno-occlusive disease"),
                GlossaryTerm(term="SOS", meaning="veno occlusive disease"),
            ]
        )
    for form in ("-", "a", "  "):
        with pytest.raises(ValidationError, match=r"fewer than two letters|blank"):
            GlossaryTerm(term="VOD", meaning="veno-occlusive disease", synonyms=[form])
    with pytest.raises(ValidationError, match="blank synonym"):
        GlossaryTerm(term="VOD", meaning="veno-occlusive disease", synonyms=[" "])
    with pytest.raises(ValidationError, match="is blank"):
        GlossaryTerm(term=" ", meaning="veno-occlusive disease")


def test_a_bad_glossary_is_one_located_message_and_no_glossary_is_none(tmp_path, capsys):
    assert load_glossary(tmp_path) == Glossary()
    project = tmp_path / "project"
    copy_project(project, ["kantarjian-2013"])
    (project / "content" / "glossary.yml").write_text("terms:\n  - term: VOD\n    meanings: veno-occlusive\n")
    assert main(["check", "--project", str(project)]) == 1
    err = capsys.readouterr().err
    assert "glossary.yml" in err and "line 3" in err and "meanings" in err, err


def test_the_glossary_is_part_of_the_data_version(tmp_path):
    project = copy_project(tmp_path / "p", ["kantarjian-2013"])
    before = content_version(project / "content")
    glossary = project / "content" / "glossary.yml"
    glossary.write_text(glossary.read_text() + "  - term: XYZ\n    meaning: a new term\n")
    assert content_version(project / "content") != before


def test_the_built_glossary_page_lists_each_term_and_is_left_out_of_search(built_site):
    site = built_site / "site"
    text = page_text(site, "glossary")
    terms = load_glossary(ROOT / "content").terms
    assert terms, "the real content has a glossary"
    for term in terms:
        assert term.term in text and term.meaning in text
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    glossary = [doc for doc in docs if doc["location"].startswith("glossary/")]
    assert glossary, "the page is found by its title"
    assert all(terms[0].meaning not in doc["text"] for doc in glossary), "its table is not indexed"
    nav = json.loads((built_site / "docs" / ".nav.json").read_text())
    assert {"Glossary": "glossary.md"} in nav


def test_no_download_link_or_reading_note_is_in_the_search_index(built_site):
    docs = json.loads((built_site / "site" / "search" / "search_index.json").read_text())["docs"]
    for doc in docs:
        assert "(CSV)" not in doc["text"] and "Skip table" not in doc["text"], doc["location"]
        assert "click or tap" not in doc["text"], doc["location"]


def test_without_a_glossary_there_is_no_glossary_page(tmp_path):
    project = copy_project(tmp_path / "p", ["kantarjian-2013"])
    (project / "content" / "glossary.yml").unlink()
    opened = open_project(project)
    build_site(opened)
    assert not (opened.site_dir / "glossary").exists()
    assert "Glossary" not in (opened.docs_dir / ".nav.json").read_text()


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("Treated", "treated"),
        ("Relapse-free survival", "relapse-free survival"),
        ("Ph-negative ALL in remission", "Ph-negative ALL in remission"),
        ("ITT", "ITT"),
        ("MRD responders", "MRD responders"),
        ("pH below 7", "pH below 7"),
        ("Kaplan-Meier median", "Kaplan-Meier median"),
    ],
)
def test_a_label_inside_a_sentence_keeps_the_case_of_an_abbreviation(label, shown):
    assert in_sentence(label) == shown


@pytest.mark.parametrize(
    "text",
    [
        '{"data_version": "<b>x</b>", "built": "2026-01-01", "search_forms": []}',
        '{"data_version": "abc123", "built": "<img src=x>", "search_forms": []}',
        '{"data_version": 5, "built": "2026-01-01", "search_forms": []}',
        '{"search_forms": "VOD"}',
        "[1, 2]",
        "not json",
    ],
)
def test_a_site_file_not_as_the_generator_writes_it_adds_nothing_to_the_pages(tmp_path, text):
    """The hook reads .site.json from the pages' folder, which mkdocs may be run on by hand: a data
    version that is not a hash, or a date that is not one, never reaches the printed footer."""
    (tmp_path / SITE_FILE).write_text(text)
    config = {"docs_dir": str(tmp_path), "nav": [], "extra": {}}
    on_config(config)
    assert "evidence_site" not in config["extra"]


def test_the_generator_s_site_file_gives_the_pages_its_data_version(tmp_path):
    (tmp_path / SITE_FILE).write_text(
        '{"data_version": "3f1ecc6d0195", "built": "2026-12-07", "search_forms": []}'
    )
    config = {"docs_dir": str(tmp_path), "nav": [], "extra": {}}
    on_config(config)
    assert config["extra"]["evidence_site"] == {
        "data_version": "3f1ecc6d0195",
        "built": "2026-12-07",
        "search": "material",
    }


@pytest.mark.parametrize(
    ("written", "engine"), [("pagefind", "pagefind"), ("<b>x</b>", "material"), (None, "material")]
)
def test_the_site_file_names_the_search_engine_and_only_a_known_one_counts(tmp_path, written, engine):
    info = {"data_version": "3f1ecc6d0195", "built": "2026-12-07", "search_forms": [], "search": written}
    (tmp_path / SITE_FILE).write_text(json.dumps(info))
    config = {"docs_dir": str(tmp_path), "nav": [], "extra": {}, "extra_javascript": []}
    on_config(config)
    assert config["extra"]["evidence_site"]["search"] == engine
    assert (SEARCH_SCRIPT in config["extra_javascript"]) == (engine == "pagefind")
