"""The downloads as a reader opens them: one unit per column (percentages 0 to 100 everywhere, the same
figure the same in every file), a data dictionary and README in each study's zip, the study and the
interval method named in every table, and the licence of the data stated (setting, zip, values.json,
home page)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from generator.build import generate, open_project
from generator.columns import AS_REPORTED, PERCENT, POINTS, PROBABILITY
from generator.config import CI_METHOD_NAMES, DIFFERENCE_METHOD_NAMES, SiteConfig, load_site_config
from generator.downloads import (
    COLUMNS,
    DATA_VERSION_MARK,
    IDENTIFIERS,
    LAYOUTS,
    with_data_version,
    zip_files,
)
from generator.errors import ConfigError
from generator.values import row_key
from tests.conftest import STUDY, copy_project, edit
from tests.pages import page_text

REGISTERED = "gokbuget-2018"
"""A study that records its registration (ClinicalTrials.gov NCT01207388)."""
RANDOMIZED = "kantarjian-2017"
"""A study with an effect printed with its interval, and differences between arms."""
RANGES = {PERCENT: (0, 100), POINTS: (-100, 100), PROBABILITY: (0, 1)}


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for spreadsheets"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def header_of(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site / "site"


@pytest.fixture(scope="module")
def downloads(site: Path) -> dict[str, bytes]:
    """Every CSV of the site, and every CSV in every study's zip (as `<zip path>!<member>`)."""
    files = {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.csv"))}
    for path in sorted(site.rglob("*-tables.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".csv"):
                    files[f"{path.relative_to(site).as_posix()}!{name}"] = archive.read(name)
    return files


def zip_members(site: Path, slug: str) -> dict[str, bytes]:
    with zipfile.ZipFile(site / f"studies/{slug}/data/{slug}-tables.zip") as archive:
        return {name.removeprefix(f"{slug}/"): archive.read(name) for name in archive.namelist()}


def table(site: Path, slug: str, name: str) -> list[dict[str, str]]:
    return rows_of((site / f"studies/{slug}/data/{name}").read_bytes())


# One unit per column -----------------------------------------------------------------------------


def test_every_column_of_every_download_is_declared_once_and_within_its_unit(downloads):
    """Each column name has one declaration (one meaning, one unit) in every file; the numbers of a
    percent column are 0 to 100, of percentage points -100 to 100, of a probability 0 to 1."""
    assert len(downloads) > 40
    checked = 0
    for name, data in downloads.items():
        for column in header_of(data):
            assert column in COLUMNS, f"{name}: column {column!r} is not declared in generator.downloads"
        for row in rows_of(data):
            for column, cell in row.items():
                low_high = RANGES.get(COLUMNS[column].unit)
                if low_high and cell:
                    assert low_high[0] <= float(cell) <= low_high[1], (name, column, cell)
                    checked += 1
    assert checked > 500


def test_no_column_holds_a_fraction_where_a_percentage_belongs(downloads):
    """A column of percentages says so in its name, and a column named for percent holds percentages
    (or percentage points): no column is a fraction in one file and a percentage in another."""
    seen = set()
    for name, data in downloads.items():
        for column in header_of(data):
            unit = COLUMNS[column].unit
            if "percent" in column:
                assert unit in (PERCENT, POINTS), (name, column)
            if unit in (PERCENT, POINTS):
                assert "percent" in column, (name, column)
            seen.add(column)
    assert {"percent_reported", "estimate_percent"} <= seen
    assert "difference_percentage_points" not in seen, "by default no study's arms are compared"
    assert "percent" not in seen, "the old column of printed percentages beside computed fractions"


def test_known_percentages_read_the_same_in_the_table_the_chart_the_comparison_and_values_json(site):
    """17/90 is 18.9% (11.4% to 28.5%, exact Clopper-Pearson), printed 19%: so in every file."""
    (cr,) = [r for r in table(site, STUDY, "responses.csv") if r["outcome"] == "cr"]
    expected = {
        "count": "17",
        "denominator": "90",
        "percent_reported": "19",
        "estimate_percent": "18.8889",
        "ci_low_percent": "11.406",
        "ci_high_percent": "28.5113",
        "ci_method": "exact Clopper-Pearson",
        "ci_level_percent": "95",
    }
    assert {k: cr[k] for k in expected} == expected
    (chart,) = [r for r in table(site, STUDY, "chart-responses.csv") if r["outcome"] == "cr"]
    assert {k: chart[k] for k in expected} == expected
    comparison = rows_of((site / "comparisons/data/complete-remission.csv").read_bytes())
    (shared,) = [r for r in comparison if r["study"] == STUDY]
    assert [
        shared[k] for k in ("estimate", "ci_low", "ci_high", "unit", "ci_method", "ci_level_percent")
    ] == [
        "19",  # as printed, first; the interval is the site's, computed from 17/90
        "11.406",
        "28.5113",
        "percent",
        "exact Clopper-Pearson",
        "95",
    ]
    # a percentage printed without its count: 34 in the study's table and on the comparison page
    remission = [r for r in table(site, RANDOMIZED, "remission.csv") if r["outcome"] == "cr_full_recovery"]
    assert [(r["arm"], r["percent_reported"], r["estimate_percent"]) for r in remission] == [
        ("blinatumomab", "34", ""),
        ("chemotherapy", "16", ""),
    ]
    assert [r["estimate"] for r in comparison if r["study"] == RANDOMIZED] == ["34", "16"]
    # consecutive cohorts, not randomized: no difference between them by default (statistics.between_arms)
    assert not (site / f"studies/{STUDY}/data/comparisons.csv").exists()
    assert not (site / f"studies/{RANDOMIZED}/data/comparisons.csv").exists(), "adverse events: none"


def test_every_computed_percentage_matches_values_json(site):
    """Every proportion of every study, in its table and its chart's data, is the figure data/values.json
    publishes (both in percent)."""
    values = {v["id"]: v["number"] for v in json.loads((site / "data/values.json").read_text())["values"]}
    compared = 0
    for folder in sorted((site / "studies").glob("*/data")):
        slug = folder.parent.name
        charts = {p.name.removeprefix("chart-"): p for p in folder.glob("chart-*.csv")}
        for path in sorted(folder.glob("*.csv")):
            header = header_of(path.read_bytes())
            if "estimate_percent" not in header or path.name.startswith("chart-"):
                continue
            rows = rows_of(path.read_bytes())
            for row in rows:
                base = f"{slug}/{row_key(path.stem, row)}"
                if row["estimate_percent"]:
                    assert float(row["estimate_percent"]) == pytest.approx(
                        values[f"{base}/estimate"], abs=1e-3
                    )
                    low, high = values[f"{base}/ci"]
                    assert float(row["ci_low_percent"]) == pytest.approx(low, abs=1e-3)
                    assert float(row["ci_high_percent"]) == pytest.approx(high, abs=1e-3)
                    compared += 1
                if row["percent_reported"]:
                    assert float(row["percent_reported"]) == values[f"{base}/percent"]
            if path.name in charts:  # the chart's data: the same figures as its table, row for row
                chart = rows_of(charts[path.name].read_bytes())
                by_key = {row_key(path.stem, r): r for r in rows}
                assert len(by_key) == len(rows) == len(chart), path.name
                for row in chart:
                    full = by_key[row_key(path.stem, row)]
                    assert {c: full[c] for c in row} == row, path.name
    assert compared > 30


# The zip: a data dictionary and a README ---------------------------------------------------------


def test_each_table_in_a_zip_is_its_download_byte_for_byte(site):
    """Each table is written to CSV once: the zip holds the bytes the site's own download has."""
    zips = sorted(site.glob("studies/*/data/*-tables.zip"))
    assert zips
    for path in zips:
        slug = path.parent.parent.name
        tables = {n: d for n, d in zip_members(site, slug).items() if n.endswith(".csv")}
        tables.pop("data-dictionary.csv")
        assert tables and all(data == (path.parent / name).read_bytes() for name, data in tables.items()), (
            slug
        )


@pytest.mark.parametrize("slug", ["gokbuget-2018", "kantarjian-2013", "kantarjian-2017"])
def test_the_zip_has_a_dictionary_of_exactly_its_columns(site, slug):
    members = zip_members(site, slug)
    tables = {name: data for name, data in members.items() if name.endswith(".csv")}
    assert {"data-dictionary.csv", "README.txt", "audit.csv", "sets.csv"} <= members.keys()
    in_files = {(name, column) for name, data in tables.items() for column in header_of(data)}
    dictionary = rows_of(members["data-dictionary.csv"])
    described = {(r["file_name"], r["column_name"]) for r in dictionary}
    assert described == in_files, "every column of every CSV in the zip, and nothing else"
    assert len(described) == len(dictionary), "each column described once"
    for row in dictionary:
        column = COLUMNS[row["column_name"]]
        assert (row["description"], row["unit_or_type"], row["allowed_values"]) == (
            column.description,
            column.unit,
            column.allowed,
        )
        assert row["description"] and row["unit_or_type"]
    units = {(r["file_name"], r["column_name"]): r["unit_or_type"] for r in dictionary}
    assert units[("audit.csv", "study")] == "text"
    if ("responses.csv", "estimate_percent") in units:
        assert units[("responses.csv", "estimate_percent")] == "percent (0 to 100)"
    # the zip's tables are the tables offered one by one
    for name, data in tables.items():
        if name != "data-dictionary.csv":
            assert data == (site / f"studies/{slug}/data/{name}").read_bytes(), name


def test_the_readme_names_the_study_its_citation_the_data_version_the_method_and_the_licence(site):
    readme = zip_members(site, REGISTERED)["README.txt"].decode("utf-8")
    version = json.loads((site / "data/values.json").read_text())["data_version"]
    for line in (
        f"Study: {REGISTERED}",
        "DOI: https://doi.org/10.1182/blood-2017-08-798322",
        "Registration: ClinicalTrials.gov NCT01207388",
        f"Data version: {version} ",
        "95% confidence intervals, exact Clopper-Pearson method",
        "No difference between arms is computed for this study",
        "licensed under CC-BY-4.0 (Creative Commons Attribution 4.0 International)",
        "https://creativecommons.org/licenses/by/4.0/",
        "The source articles keep their own copyright",
        "Percentages are 0 to 100 in every file",
        "- responses.csv: proportions.",
        "- audit.csv: The consistency audit",
    ):
        assert line in readme, line
    assert DATA_VERSION_MARK not in readme
    assert "Citation: Gökbuget N" in readme


def test_the_data_version_is_stamped_into_each_zip_and_nothing_else_changes():
    readme = f"Study: x\r\n{DATA_VERSION_MARK}\r\n".encode()
    original = zip_files({"x/README.txt": readme, "x/a.csv": b"\xef\xbb\xbfa\r\n1\r\n"})
    files = {"studies/x/data/x-tables.zip": original, "studies/x/data/a.csv": b"a"}
    stamped = with_data_version(files, "abc123")
    assert stamped.keys() == {"studies/x/data/x-tables.zip"}
    with zipfile.ZipFile(io.BytesIO(stamped["studies/x/data/x-tables.zip"])) as archive:
        assert archive.read("x/a.csv") == b"\xef\xbb\xbfa\r\n1\r\n"
        text = archive.read("x/README.txt").decode()
        assert "Data version: abc123 " in text and DATA_VERSION_MARK not in text
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert with_data_version(files, "abc123") == stamped, "the same bytes every time"


# The study and the interval method in every table -----------------------------------------------


def test_every_row_of_every_study_table_names_its_study(site, downloads):
    doi = {"gokbuget-2018": "10.1182/blood-2017-08-798322", STUDY: "10.1002/cncr.28136"}
    registry = {"gokbuget-2018": "NCT01207388", RANDOMIZED: "NCT02013167"}
    checked = 0
    for name, data in downloads.items():
        slug = re.match(r"studies/([^/]+)/", name)
        if not slug:
            continue
        slug = slug[1]
        header = header_of(data)
        if header[0] == "file_name":  # the dictionary describes files; it is not about the study
            continue
        assert tuple(header[:3]) == IDENTIFIERS, name
        for row in rows_of(data):
            assert row["study"] == slug, name
            assert row["registry_id"] == registry.get(slug, ""), name
            if slug in doi:
                assert row["doi"] == doi[slug], name
            assert row["doi"].startswith("10."), name
            checked += 1
    assert checked > 300
    compared = 0
    for name, data in downloads.items():  # each row of a comparison page names its study
        if name.startswith("comparisons/") and header_of(data)[0] != "file_name":
            assert tuple(header_of(data)[:3]) == IDENTIFIERS, name
            rows = rows_of(data)
            studies = {r["study"] for r in rows}
            assert studies and studies <= {"gokbuget-2018", "kantarjian-2013", "kantarjian-2017", "pooled"}
            for row in rows:
                if row["study"] != "pooled":
                    assert row["registry_id"] == registry.get(row["study"], ""), name
                    assert row["doi"] == doi.get(row["study"], row["doi"]) and row["doi"].startswith("10.")
                    compared += 1
    assert compared > 5


def test_every_table_with_intervals_names_their_method_and_level(downloads):
    methods = {*CI_METHOD_NAMES.values(), *DIFFERENCE_METHOD_NAMES.values(), AS_REPORTED}
    with_intervals = 0
    for name, data in downloads.items():
        header = header_of(data)
        bounds = [c for c in header if c.startswith("ci_low")]
        if not bounds:
            continue
        assert {"ci_method", "ci_level_percent"} <= set(header), name
        for row in rows_of(data):
            if row[bounds[0]]:
                assert row["ci_method"] in methods or row["study"] == "pooled", (name, row["ci_method"])
                if row["ci_method"] != AS_REPORTED:
                    assert row["ci_level_percent"] == "95", name
                with_intervals += 1
            else:
                assert row["ci_method"] == "" and row["ci_level_percent"] == "", name
    assert with_intervals > 50


def test_a_printed_interval_is_marked_as_reported_with_its_printed_level(site):
    (hazard,) = [r for r in table(site, RANDOMIZED, "survival_effects.csv") if r["measure"] == "hazard_ratio"]
    assert [hazard[k] for k in ("estimate", "ci_low", "ci_high", "ci_method", "ci_level_percent")] == [
        "0.71",
        "0.55",
        "0.93",
        "as reported",
        "95",
    ]
    p_only = [r for r in table(site, RANDOMIZED, "remission_effects.csv") if r["measure"] == "none"]
    assert p_only and all(r["ci_method"] == "" for r in p_only)


# The licence --------------------------------------------------------------------------------------


LICENCE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}


def test_the_licence_is_in_values_json_and_on_the_home_page_beside_the_citation(site):
    index = json.loads((site / "data/values.json").read_text())
    assert {k: index["licence"][k] for k in LICENCE} == LICENCE
    assert "source articles keep their own copyright" in index["licence"]["sources"]
    text = page_text(site, "")
    cite = text.index("Cite this site")
    licence = text.index("Licence of the data: the tables")
    assert 0 < licence - cite < 1000, "near the citation"
    assert "licensed under CC-BY-4.0 (Creative Commons Attribution 4.0 International)" in text
    assert "The source articles keep their own copyright" in text
    raw = (site / "index.html").read_text()
    assert re.search(r'<a href="https://creativecommons\.org/licenses/by/4\.0/"><span class="ev-value', raw)


def test_the_licence_setting_and_the_interval_method_flow_into_every_download(project_copy):
    """Another licence and another interval method: the README, the tables, values.json and the home
    page say so (the files are generated in memory, without mkdocs)."""
    settings = project_copy / "site_config.yml"
    edit(settings, "licence: CC-BY-4.0", "licence: CC0-1.0")
    edit(settings, "ci_method: clopper-pearson", "ci_method: wilson")
    files = generate(open_project(project_copy), write_cache=False)
    index = json.loads(files["data/values.json"])
    assert index["licence"]["id"] == "CC0-1.0"
    assert index["licence"]["url"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    with zipfile.ZipFile(io.BytesIO(files[f"studies/{STUDY}/data/{STUDY}-tables.zip"])) as archive:
        readme = archive.read(f"{STUDY}/README.txt").decode()
    assert "licensed under CC0-1.0" in readme and "95% confidence intervals, Wilson score method" in readme
    assert f"Data version: {index['data_version']} " in readme
    responses = rows_of(files[f"studies/{STUDY}/data/responses.csv"])
    assert {r["ci_method"] for r in responses if r["ci_low_percent"]} == {"Wilson score"}
    assert "CC0-1.0" in files["index.md"].decode()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("data:\n  licence_url: javascript:alert(1)\n", r"line 2, field 'data\.licence_url'"),
        ("data:\n  licence_url: https://example.org/a b\n", r"line 2, field 'data\.licence_url'"),
        ("data:\n  licence: CC BY\n", r"line 2, field 'data\.licence'"),
        ("data:\n  licence: my-own-licence\n", r"line 2, field 'data\.licence_url': is empty; expected the "),
        (
            'data:\n  licence: ""\n',
            r"line 2, field 'data\.licence': expected an SPDX licence identifier such",
        ),
        (
            "data:\n  licence: MIT License\n",
            r"'data\.licence': expected an SPDX licence identifier .*'MIT License'",
        ),
        (
            "data:\n  licence: Apache-2.0\n  licence_url: ''\n",
            r"line 3, field 'data\.licence_url': expected the address of the text of licence 'Apache-2.0'",
        ),
        ("data:\n  licnce: CC0-1.0\n", r"line 2, field 'data\.licnce': unknown field"),
    ],
)
def test_a_bad_licence_setting_is_refused_where_it_is(tmp_path, text, where):
    path = tmp_path / "site_config.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=where):
        load_site_config(path)


def test_a_licence_the_generator_does_not_know_needs_its_address(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text("data:\n  licence: LicenseRef-Custom\n  licence_url: https://example.org/licence\n")
    data = load_site_config(path).data
    assert (data.licence, data.name, data.url) == (
        "LicenseRef-Custom",
        "LicenseRef-Custom",
        "https://example.org/licence",
    )
    assert SiteConfig().data.url == LICENCE["url"]


def test_the_layouts_use_only_declared_columns_and_name_the_study_first():
    for kind, columns in LAYOUTS.items():
        assert len(set(columns)) == len(columns), kind
        assert set(columns) <= COLUMNS.keys(), kind
        if kind not in ("shared", "dictionary"):
            assert columns[:3] == IDENTIFIERS, kind


def test_a_known_licence_is_accepted_in_any_case_and_written_in_its_own(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text("data:\n  licence: cc-by-4.0\n")
    data = load_site_config(path).data
    assert (data.licence, data.url) == ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")
    path.write_text("data:\n  licence: MIT License\n")
    with pytest.raises(ConfigError) as refused:
        load_site_config(path)
    assert "pattern" not in str(refused.value) and "^" not in str(refused.value), "no raw regex"


# The comparison pages' downloads -----------------------------------------------------------------


def test_the_comparison_downloads_have_a_dictionary_of_exactly_their_columns(downloads):
    compared = {
        name.removeprefix("comparisons/data/"): data
        for name, data in downloads.items()
        if name.startswith("comparisons/data/")
    }
    assert "data-dictionary.csv" in compared and len(compared) > 2
    dictionary = rows_of(compared.pop("data-dictionary.csv"))
    described = {(r["file_name"], r["column_name"]) for r in dictionary}
    in_files = {(name, column) for name, data in compared.items() for column in header_of(data)}
    assert described - {("data-dictionary.csv", c) for c in LAYOUTS["dictionary"]} == in_files
    for row in dictionary:
        assert row["description"] == COLUMNS[row["column_name"]].description


def test_comparison_rows_link_the_page_as_the_site_does_and_keep_printed_digits(site, downloads):
    rows = rows_of(downloads["comparisons/data/median-overall-survival.csv"])
    for row in rows:
        assert row["page"].startswith("studies/") and row["page"].endswith("/"), row["page"]
        assert (site / row["page"] / "index.html").is_file(), "the address of a page the site has"
    printed = {r["estimate"] for r in rows if r["study"] == RANDOMIZED}
    assert "4.0" in printed, "4.0 months as printed, as in the study's own CSV (not 4)"
    own = {r["value"] for r in table(site, RANDOMIZED, "survival.csv")}
    assert printed <= own
    chart = rows_of(downloads["comparisons/data/chart-compare-median-overall-survival.csv"])
    assert "4.0" in {r["estimate"] for r in chart} and all(r["doi"].startswith("10.") for r in chart)


def test_the_dictionary_and_readme_say_what_p_value_and_sided_hold(site):
    members = zip_members(site, RANDOMIZED)
    readme = members["README.txt"].decode()
    assert "P values are 0 to 1" not in readme and "p_value is the P value as printed, as text" in readme
    assert "text" in COLUMNS["p_value"].unit and "not a number" in COLUMNS["p_value"].description
    assert "empty (not stated)" in COLUMNS["sided"].allowed
    sided = {r["sided"] for r in table(site, RANDOMIZED, "survival_effects.csv")}
    assert sided <= {"", "one", "two"}


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The real studies generated (in memory, without mkdocs) with every comparison between arms the
    settings can ask for: between cohorts not randomized, and risk differences with P values on
    adverse events."""
    root = copy_project(tmp_path_factory.mktemp("compared"))
    settings = root / "site_config.yml"
    for name in ("non_randomized", "harms_differences", "harms_p_values"):
        edit(settings, f"{name}: false", f"{name}: true")
    return generate(open_project(root), write_cache=False)


def test_differences_between_arms_name_their_grade_band_on_the_page_and_in_the_csv(compared):
    rows = rows_of(compared[f"studies/{RANDOMIZED}/data/comparisons.csv"])
    assert {r["grade"] for r in rows} == {"any", "≥3"} and {r["set"] for r in rows} == {"treated"}
    neutropenia = next(r for r in rows if r["outcome"] == "neutropenia")
    assert neutropenia["subgroup"] == "" and float(
        neutropenia["difference_percentage_points"]
    ) == pytest.approx((101 / 267 - 63 / 109) * 100, abs=1e-3)
    assert neutropenia["ci_method"] == DIFFERENCE_METHOD_NAMES["newcombe"]
    assert (neutropenia["tests_in_table"], neutropenia["caveat"]) == (
        "14",
        "exploratory, unadjusted: one of 14 tests on this table",
    )
    text = compared[f"studies/{RANDOMIZED}/safety.md"].decode()
    header = text.split("Difference between arms", 1)[1]
    assert "| Outcome | Grade | Comparison | Difference |" in header, "the table says which grade band"
    assert 'exploratory, unadjusted**: <span class="ev-check">14</span> tests on this table' in header


def test_cohorts_compared_on_request_are_labelled_in_the_csv(compared):
    """28/49 vs 24/41, both counts derived from rounded percentages (the site's own working)."""
    (difference,) = rows_of(compared[f"studies/{STUDY}/data/comparisons.csv"])
    assert float(difference["difference_percentage_points"]) == pytest.approx(
        (24 / 41 - 28 / 49) * 100, abs=1e-4
    )
    assert difference["caveat"] == "not randomized: descriptive, exploratory; from derived counts"
    assert float(difference["fisher_p"]) == pytest.approx(1.0)
    header = header_of(compared[f"studies/{STUDY}/data/comparisons.csv"])
    assert {COLUMNS[c].unit for c in header if c.endswith("_percentage_points")} == {POINTS}
