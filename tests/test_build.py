"""End to end: the real content, the real mkdocs build (strict), the pages and the search index."""

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from generator.build import build_site, open_project
from generator.errors import DataError
from generator.text import in_sentence
from tests.conftest import ROOT, STUDY
from tests.pages import element_ids, page_text, unmarked_numbers

PAGES = [
    "",
    f"studies/{STUDY}",
    *(f"studies/{STUDY}/{p}" for p in ("design", "efficacy", "survival", "safety", "source")),
]


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site / "site"


def test_every_page_is_built(site):
    for page in PAGES:
        assert (site / page / "index.html").is_file(), page


def test_efficacy_page_holds_responses_and_intervals_and_no_test_between_cohorts(site):
    text = page_text(site, f"studies/{STUDY}/efficacy")
    for expected in [
        "Complete response (CR) All patients · Treated, n = 90 17/90 19% 18.9% 11.4% to 28.5%",
        "CR without platelet recovery (CRp) All patients · Treated, n = 90 27/90 30% 30.0% 20.8% to 40.6%",
        "Bone marrow CR (no recovery of counts) All patients · Treated, n = 90 8/90 9% 8.9% 3.9% to 16.8%",
        "All patients · Treated, n = 90 52/90 58% 57.8% 46.9% to 68.1% Derived n: 17 + 27 + 8 = 52",
        "Single dose · Treated, n = 49 28/49 57% 57.1% 42.2% to 71.2% "
        "Derived n: 57% of 49: 28 is the only whole count",
        "Weekly · Treated, n = 41 24/41 59% 58.5% 42.1% to 73.7%",
    ]:
        assert expected in text, expected
    # consecutive cohorts, not randomized: no difference and no test between them by default (CONSORT)
    assert "Difference between arms" not in text and "Fisher" not in text


def test_survival_page_holds_every_reported_median(site):
    text = page_text(site, f"studies/{STUDY}/survival")
    for expected in [
        "All patients – 6.2 months",
        "Single dose – 5.0 months",
        "Weekly – 7.3 months",
        "Salvage 1 9.2 months",
        "Survival at 1 year All patients Salvage 1 37%",
        "Salvage 2 4.3 months",
        "Salvage 3 or later 6.6 months",
        "Median remission duration All patients – 7 months",
    ]:
        assert expected in text, expected


def test_safety_page_holds_transplant_vod_and_adverse_events(site):
    text = page_text(site, f"studies/{STUDY}/safety")
    for expected in [
        "Allogeneic stem cell transplantation All patients · Treated, n = 90 36/90 40% 40.0% 29.8% to 50.9%",
        "Veno-occlusive disease after transplantation All patients · Transplanted, n = 36 "
        "6/36 17% 16.7% 6.4% to 32.8%",
        "Veno-occlusive disease after transplantation Weekly · denominator not given – 7% – –",
        "Reversible bilirubin elevation Less frequent with Weekly than with Single dose",
        "Fever Less frequent",
        "Hypotension Less frequent",
    ]:
        assert expected in text, expected


def test_design_page_holds_schedules_and_doses(site):
    text = page_text(site, f"studies/{STUDY}/design")
    assert (
        "Salvage 1 All patients · Treated, n = 90 29/90 – 32.2% 22.8% to 42.9% Derived n: 90 − 61 = 29"
        in text
    )
    assert "Single dose intravenous 1 1.3 to 1.8 mg/m2 every 3 to 4 weeks (21 to 28 days)" in text
    assert "Weekly intravenous 3 1.8 mg/m2" in text
    assert (
        "Single dose Treated 49" in text and "Weekly Treated 41" in text and "All patients Treated 90" in text
    )
    assert "Weekly 8 0.5 mg/m2" in text and "Weekly 15 0.5 mg/m2" in text


def test_source_page_holds_the_citation_and_abstract(site):
    raw = (site / f"studies/{STUDY}/source/index.html").read_text()
    text = page_text(site, f"studies/{STUDY}/source")
    assert 'href="https://doi.org/10.1002/cncr.28136"' in raw
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/23633004/"' in raw
    assert "Kantarjian H, Thomas D, Jorgensen J" in text and "O'Brien S." in text
    assert "O'Brien S. Results of inotuzumab" in text
    assert "Cancer. 2013 Aug 1;119(15):2728-2736. doi: 10.1002/cncr.28136. Epub 2013 Apr 30." in text
    assert "Veno-occlusive disease was noted in 6 of 36 patients" in text
    for term in ["Salvage Therapy", "Research Support, N.I.H., Extramural", "monoclonal antibody"]:
        assert term in text


def test_reported_and_derived_counts_are_marked_apart(site):
    raw = (site / f"studies/{STUDY}/efficacy/index.html").read_text()
    assert (
        '<a class="ev-value ev-derived" href="../audit/#v-responses-overall-response-all-count" '
        'id="u-responses-overall-response-all-count" title="Derived: 17 + 27 + 8 = 52' in raw
    )
    assert re.search(
        r'<a class="ev-value ev-reported" href="../source/#q-\d+" id="u-responses-cr-all-count" '
        r'title="Reported \(Abstract\): '
        r'“Overall, 17 patients \(19%\) achieved a complete response \(CR\)”">17</a>',
        raw,
    )


def test_search_index_finds_veno_occlusive_disease_on_the_safety_page(site):
    index = json.loads((site / "search/search_index.json").read_text())
    hits = {d["location"].split("#")[0] for d in index["docs"] if "veno-occlusive" in d["text"].lower()}
    assert f"studies/{STUDY}/safety/" in hits


def test_plotly_is_the_pinned_basic_bundle_loaded_only_by_the_chart_script(site):
    copies = [p for p in site.rglob("*.js") if "plotly" in p.name]
    assert [p.relative_to(site).as_posix() for p in copies] == [
        "assets/javascripts/plotly/plotly-basic.min.js"
    ]
    pin = json.loads((ROOT / "templates/assets/javascripts/plotly/plotly.pin.json").read_text())
    bundle = copies[0].read_bytes()
    assert hashlib.sha256(bundle).hexdigest() == pin["file_sha256"], "the bundle is the pinned one"
    assert f"plotly.js (basic - minified) v{pin['version']}" in bundle[:200].decode()
    from plotly.offline import get_plotlyjs_version

    assert pin["version"] == get_plotlyjs_version(), "the version plotly.py makes its figures for"
    for page in site.rglob("*.html"):
        raw = page.read_text()
        assert "cdn.plot.ly" not in raw and "fonts.googleapis" not in raw, page
        assert "plotly" not in raw.split("</article>")[-1], (
            f"{page}: charts.js loads plotly.js, on chart pages"
        )


def test_each_chart_has_its_data_and_caption(site):
    raw = (site / f"studies/{STUDY}/efficacy/index.html").read_text()
    assert 'aria-labelledby="chart-responses-caption"' in raw and 'id="chart-responses-caption"' in raw
    csv = (site / f"studies/{STUDY}/data/chart-responses.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0] == (
        "study,registry_id,doi,outcome,label,arm,subgroup,grade,set,count,denominator,percent_reported,"
        "estimate_percent,ci_low_percent,ci_high_percent,ci_method,ci_level_percent"
    )
    assert (
        f"{STUDY},,10.1002/cncr.28136,overall_response,Overall response (CR + CRp + marrow CR),all,,,,"
        "52,90,58,57.7778,46.9066,68.1224,exact Clopper-Pearson,95" in csv
    )


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project_copy(one_study_copy: Path) -> Path:
    """The copy whose data breaks holds one study (the real site is `built_site`, built once)."""
    return one_study_copy


def test_a_failed_build_leaves_the_last_good_site_untouched(project_copy, study_dir, tmp_path):
    project = open_project(project_copy)
    build_site(project)
    before = _digest(project.site_dir)
    responses = study_dir / "responses.csv"
    responses.write_text(responses.read_text().replace(",17,90,19,", ",170,90,19,"))
    with pytest.raises(DataError, match=r"responses.csv, line 2: count 170 is larger"):
        build_site(open_project(project_copy))
    assert _digest(project.site_dir) == before
    assert not list(project.site_dir.parent.glob(".evidence-build-*"))


def test_every_number_in_the_pages_carries_a_provenance_mark(site):
    """A figure is a link to its source or derivation; the abstract and citation are the source itself."""
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":
            continue
        assert unmarked_numbers(page.read_text()) == [], page.relative_to(site)


def test_a_reported_figure_links_to_its_highlighted_sentence_which_links_back(site):
    efficacy = (site / f"studies/{STUDY}/efficacy/index.html").read_text()
    source = (site / f"studies/{STUDY}/source/index.html").read_text()
    anchor = re.search(r'href="../source/#(q-\d+)" id="u-responses-cr-all-count"', efficacy)[1]
    mark = re.search(
        rf'<mark id="{anchor}" class="ev-quote">(.*?)</mark><small class="ev-shown-on">(.*?)</small>', source
    )
    assert mark[1] == "Overall, 17 patients (19%) achieved a complete response (CR)"
    assert f'popovertarget="shown-{anchor}"' in mark[2], "several pages show it: a button opens their list"
    assert 'href="../efficacy/#u-responses-cr-all-count"' in mark[2]


def test_every_link_to_a_figure_or_sentence_finds_its_target(site):
    ids = {page.parent.resolve(): element_ids(page.read_text()) for page in site.rglob("index.html")}
    for page in site.rglob("index.html"):
        for href, anchor in re.findall(r'href="([^"#]*)#((?:q|u|v)-[^"]+)"', page.read_text()):
            target = (page.parent / href).resolve()
            assert anchor in ids[target], f"{page.relative_to(site)}: {href}#{anchor}"


def test_the_audit_page_lists_every_check_as_passed(site):
    text = page_text(site, f"studies/{STUDY}/audit")
    assert "Summary: every check passed" in text and " 0 failed " in text and " 0 waived " in text
    assert "17/90 = 18.89% 19% as printed responses/cr@all/percent-rounding" in text
    assert (
        "Single dose + Weekly: 28 + 24 = 52 52, the count for all patients "
        "responses/overall_response/arm-rows-sum-to-all" in text
    )
    assert "1 of 14 to 15; or 2 of 27 to 30" in text


def test_values_index_lists_every_figure_with_its_provenance(site):
    index = json.loads((site / "data/values.json").read_text())
    assert set(index) == {"site", "data_version", "built", "licence", "values", "history"}
    by_id = {v["id"]: v for v in index["values"]}
    overall = by_id[f"{STUDY}/responses/overall_response@all/count"]
    assert (overall["kind"], overall["number"]) == ("derived", 52) and overall["how"].startswith(
        "17 + 27 + 8"
    )
    assert f"studies/{STUDY}/efficacy.md" in overall["shown_on"]
    for value in index["values"]:
        assert value.get("quote") or value.get("how"), value["id"]


def test_downloads_open_and_parse(site):
    folder = site / f"studies/{STUDY}"
    with zipfile.ZipFile(folder / f"data/{STUDY}-tables.zip") as archive:
        names = archive.namelist()
        assert f"{STUDY}/responses.csv" in names and f"{STUDY}/survival.csv" in names
        responses = pd.read_csv(archive.open(f"{STUDY}/responses.csv"))
    assert responses.loc[responses["outcome"] == "overall_response", "count"].tolist() == [52, 28, 24]
    for page in folder.rglob("index.html"):
        for href in re.findall(r'href="([^"]+\.(?:csv|zip|bib|ris|json))"', page.read_text()):
            assert (page.parent / href).resolve().is_file(), f"{page}: {href}"
    for csv in (folder / "data").glob("*.csv"):
        assert len(pd.read_csv(csv)) > 0, csv


def test_the_home_page_says_how_to_cite_the_site(site):
    text = page_text(site, "")
    assert re.search(r"Evidence site\. Data version [0-9a-f]{12}, built \d{4}-\d{2}-\d{2}\.", text)


def test_a_broken_copy_of_the_data_fails_the_build_naming_file_row_and_rule(project_copy, study_dir):
    study = study_dir / "study.yml"
    study.write_text(study.read_text().replace("17 patients (19%)", "17 patients (21%)"))
    responses = study_dir / "responses.csv"
    responses.write_text(
        responses.read_text().replace(
            ',17,90,19,reported,,"Overall, 17 patients (19%)',
            ',17,90,21,reported,,"Overall, 17 patients (21%)',
        )
    )
    with pytest.raises(DataError, match=r"responses\.csv, line 2: audit rule 'percent-rounding' failed"):
        build_site(open_project(project_copy))


def test_every_table_offers_its_data(site):
    for page in (site / f"studies/{STUDY}").glob("*/index.html"):
        raw = page.read_text()
        tables = raw.count("<table>")
        downloads = len(re.findall(r'href="[^"]+\.(?:csv|json)"', raw))
        assert downloads >= tables, f"{page.parent.name}: {tables} tables, {downloads} downloads"


def test_published_files_name_no_path_of_the_machine_that_built_them(site):
    root = str(Path(__file__).resolve().parent.parent)
    published = [site / "data" / "values.json", *sorted(site.rglob("audit.csv"))]
    assert len(published) > 1
    for path in published:
        text = path.read_text(encoding="utf-8")
        assert root not in text, path
        assert "content/studies/" in text, path


def test_a_study_page_names_its_study_in_its_title_and_description(site):
    raw = (site / f"studies/{STUDY}/survival/index.html").read_text()
    assert "<title>Survival · Inotuzumab ozogamicin in relapsed or refractory ALL - " in raw
    assert '<meta name="description" content="Survival of Inotuzumab ozogamicin' in raw


def test_every_csv_download_starts_with_a_byte_order_mark_for_spreadsheets(site):
    tables = sorted(site.rglob("*.csv"))
    assert tables
    for table in tables:
        assert table.read_bytes().startswith(b"\xef\xbb\xbf"), table.relative_to(site)


TOWER = "kantarjian-2017"
TOWER_MAIN = "HR 0.71 (95% CI 0.55 to 0.93), P = 0.01"


def test_a_randomized_trials_overview_opens_with_its_primary_comparison_as_printed(site):
    raw = (site / f"studies/{TOWER}/index.html").read_text(encoding="utf-8")
    text = page_text(site, f"studies/{TOWER}")
    main = text.index("Main result¶")
    assert main < text.index("At a glance¶") < text.index("Headline results¶")
    assert (
        "Overall survival (hazard ratio for death): Blinatumomab vs Chemotherapy "
        f"(Randomized, n = 271 vs 134) {TOWER_MAIN}" in text
    )
    assert "does not say whether the P value is one-sided or two-sided" in text
    assert "Median overall survival, Blinatumomab: 7.7 months" in text
    assert "Median overall survival, Chemotherapy: 4.0 months" in text
    # the effect plot of the primary comparison is drawn on the overview, its figures on the Survival page
    chart = raw.index('id="chart-survival-effects"')
    assert raw.index('id="main-result"') < chart < raw.index('id="at-a-glance"')
    assert "Every figure in it is in the table on the page Survival" in text


def test_the_study_index_shows_each_main_result_as_printed_with_its_design_and_maturity(site):
    text = page_text(site, "studies")
    assert "Main result Design Evidence Patients" in text
    row = text[text.index("Blinatumomab versus chemotherapy for advanced ALL (TOWER)") :]
    assert row.startswith(
        "Blinatumomab versus chemotherapy for advanced ALL (TOWER) Overall survival (hazard ratio for death) "
        f"(Blinatumomab vs Chemotherapy): {TOWER_MAIN} Randomized 2:1, phase 3, NCT02013167 Excerpt 405"
    )
    first = text[text.index("Inotuzumab ozogamicin in relapsed or refractory ALL") :]
    assert first.startswith(
        "Inotuzumab ozogamicin in relapsed or refractory ALL Overall response (CR + CRp + marrow CR) "
        "(All patients · Treated, n = 90): 58% Non-randomized cohorts Abstract only Not randomized "
        "Fewer than 100 patients 90"
    )
    assert "Single-arm, open-label, NCT01207388 Abstract only Single arm 116" in text


@pytest.mark.parametrize(
    ("slug", "source", "flags"),
    [
        (TOWER, "excerpt of an article", "Excerpt"),
        (STUDY, "abstract", "Abstract only Not randomized Fewer than 100 patients"),
        ("gokbuget-2018", "abstract", "Abstract only Single arm"),
    ],
)
def test_each_overview_states_the_maturity_of_its_evidence(site, slug, source, flags):
    text = page_text(site, f"studies/{slug}")
    glance = text[text.index("At a glance¶") :]
    assert glance.startswith(f"At a glance¶ {flags} Evidence: read from {source}: ")
    assert "Follow-up: not given; data cut-off: not given" in glance
    assert "Risk of bias and certainty: not assessed by this site" in glance


def test_adverse_events_are_counts_and_percentages_without_tests_by_default(site):
    text = page_text(site, f"studies/{TOWER}/safety")
    assert "Neutropenia" in text and "101/267" in text
    assert "Difference between arms" not in text and "Fisher" not in text and "p < 0.001" not in text


@pytest.mark.parametrize("page", ["survival", "remission"])
def test_a_page_of_printed_figures_only_names_no_method_it_does_not_use(site, page):
    raw = (site / f"studies/{TOWER}/{page}/index.html").read_text(encoding="utf-8")
    for method in ("Clopper-Pearson", "Newcombe", "Fisher", "Wilson"):
        assert method not in raw, (page, method)


def test_each_analysis_set_is_named_on_its_overview_as_the_data_write_it(built_site):
    """A label keeps its case wherever a sentence takes it in: 'Ph-negative ALL', never 'ph-negative all'
    (an ordinary first word, 'Transplanted', is lower-cased there; test_glossary tests the rule)."""
    for study in sorted((ROOT / "content" / "studies").iterdir()):
        meta = yaml.safe_load((study / "study.yml").read_text())
        labels = [s["label"] for s in meta["population"]["sets"] if s.get("label")]
        text = page_text(built_site / "site", f"studies/{study.name}")
        for label in labels:
            assert f"Patients, {in_sentence(label)}:" in text, f"{study.name}: {label!r}"


def test_no_page_has_a_heading_with_nothing_under_it(built_site):
    site = built_site / "site"
    for page in sorted(site.rglob("index.html")):
        article = page.read_text().split('<article class="md-content__inner md-typeset">', 1)[1]
        article = article.split("</article>", 1)[0]
        parts = re.split(r"<h([1-6])\b[^>]*>.*?</h\1>", article, flags=re.S)
        # parts: text before the first heading, then (level, text after it) for each heading
        levels, bodies = parts[1::2], parts[2::2]
        for index, (level, body) in enumerate(zip(levels, bodies, strict=True)):
            if index + 1 < len(levels) and int(levels[index + 1]) > int(level):
                continue  # its sub-headings are what is under it
            words = re.sub(r"<[^>]+>|\s+", "", body)
            assert words, f"{page.relative_to(site)}: heading {index + 1} (h{level}) has nothing under it"
