"""generator.paging: the study index in pages of rows, complete without JavaScript through its pager,
with every row in one JSON file that its script filters and sorts; known values, then a real strict
build of the real studies one row a page, then the pages as a reader uses them in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator import paging
from generator.build import build_site, open_project
from generator.paging import Pager, moved_rows, paged, relinked, row_cells, shown_where, unlisted
from tests.conftest import copy_project, made_once, needed
from tests.sitebrowser import SiteRouter, real_site_url, routed_page, serious_violations

# --- known values ---------------------------------------------------------------------------------


def test_rows_go_in_pages_each_with_its_place_and_links(monkeypatch):
    monkeypatch.setattr(paging, "PAGE_ROWS", 2)
    pages = paged(list("abcde"), "studies/index.md")
    assert [(path, rows) for path, rows, _ in pages] == [
        ("studies/index.md", ["a", "b"]),
        ("studies/page_2.md", ["c", "d"]),
        ("studies/page_3.md", ["e"]),
    ]
    last = pages[-1][2]
    assert (last.number, last.count, last.first_row, last.last_row, last.rows) == (3, 3, 5, 5, 5)
    assert (last.previous, last.next, pages[0][2].previous) == ("page_2.md", None, None)
    assert paged(list("ab"), "studies/index.md") == [("studies/index.md", ["a", "b"], None)]


def test_a_studys_rows_share_a_page_and_a_comparisons_pages_are_named_by_it(monkeypatch):
    monkeypatch.setattr(paging, "PAGE_ROWS", 2)
    rows, studies = ["a1", "b1", "b2", "b3", "c1"], ["a", "b", "b", "b", "c"]
    pages = paged(rows, "comparisons/os.md", studies)
    assert [(path, chunk) for path, chunk, _ in pages] == [
        ("comparisons/os.md", ["a1", "b1", "b2", "b3"]),
        ("comparisons/os_page_2.md", ["c1"]),
    ]
    assert pages[1][2].link(1) == "os.md" and pages[0][2].next == "os_page_2.md"
    moves = moved_rows([("comparisons/os.md", studies), ("studies/index.md", ["a", "b", "c"])])
    assert moves == {
        "c": {"comparisons/os.md": "comparisons/os_page_2.md", "studies/index.md": "studies/page_2.md"}
    }


def test_a_published_figure_names_the_page_its_row_is_on():
    value = {"id": "x", "shown_on": ["comparisons/os.md", "studies/c/index.md"]}
    moved = shown_where(value, {"comparisons/os.md": "comparisons/os_page_2.md"})
    assert moved["shown_on"] == ["comparisons/os_page_2.md", "studies/c/index.md"]
    assert shown_where(value, {}) is value


@pytest.mark.parametrize(
    ("number", "count", "shown"),
    [
        (1, 1, [1]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
        (10, 10, [1, None, 8, 9, 10]),
        (4, 200, [1, 2, 3, 4, 5, 6, None, 200]),
        (7, 10, [1, None, 5, 6, 7, 8, 9, 10]),
    ],
)
def test_the_pager_links_the_first_the_last_and_the_pages_near(number, count, shown):
    assert Pager("studies/index.md", number, count, 1, 1, count).numbers == shown


def test_a_rows_cells_are_its_text_without_links_ids_or_tags():
    row = (
        '| [A <b>&amp;</b> B](a-2020/index.md) | HR [0.71](a-2020/source.md#q-3 "Reported: “0.71; 95% CI'
        ' &#91;CI&#93;”"){ #u-a-2020-x .ev-value .ev-reported } (<span class="ev-label">95%</span> CI) |'
        " 1\\|2 | – |"
    )
    assert row_cells(row) == ["A & B", "HR 0.71 (95% CI)", "1|2", "–"]


def test_a_studys_links_to_its_rows_follow_the_rows_to_their_pages():
    files = {
        "studies/b/audit.md": b"[i](../index.md#u-b-sets) [o](../index.md#u-a-sets)"
        b" [c](../../comparisons/os.md#u-b-x)",
        "studies/b/data.csv": b"../index.md#u-b-sets",
    }
    moves = {"studies/index.md": "studies/page_2.md", "comparisons/os.md": "comparisons/os_page_3.md"}
    moved = relinked(files, "studies/b", moves, "u-b-", {"studies/b/audit.md"})
    expected = (
        b"[i](../page_2.md#u-b-sets) [o](../index.md#u-a-sets) [c](../../comparisons/os_page_3.md#u-b-x)"
    )
    assert moved["studies/b/audit.md"] == expected
    assert moved["studies/b/data.csv"] == files["studies/b/data.csv"]


def test_the_later_pages_and_the_search_page_are_left_out_of_the_navigation():
    files = dict.fromkeys(
        ["studies/index.md", "studies/page_2.md", "search.md", "comparisons/os_page_2.md"], b""
    )
    assert unlisted(files) == ["comparisons/os_page_2.md", "search.md", "studies/page_2.md"]


# --- a real build, one row a page -----------------------------------------------------------------


@pytest.fixture(scope="session")
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real studies built with one row on each page of the study index: read, never change."""

    def build(out: Path) -> None:
        project = copy_project(out / "project")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(paging, "PAGE_ROWS", 1)
            build_site(open_project(project, site_dir=out / "site", docs_dir=out / "docs"))

    return made_once(tmp_path_factory, "paged-site", build)


def test_every_study_is_on_one_page_and_every_row_in_the_json(paged_site):
    docs = paged_site / "docs" / "studies"
    pages = [docs / "index.md", *sorted(docs.glob("page_*.md"))]
    data = json.loads((docs / "index.json").read_text())
    assert len(pages) == len(data["rows"]) >= 2
    assert data["columns"][0] == "Study" and len(data["columns"]) == len(data["rows"][0]["cells"])
    for page, row in zip(pages, data["rows"], strict=True):
        text = page.read_text()
        assert text.count(f"]({row['href']}index.md)") == 1, (page.name, row["href"])
        assert row["cells"][0] in text
    nav = json.loads((paged_site / "docs" / ".nav.json").read_text())
    assert "page_2" not in json.dumps(nav)


def test_a_figures_link_to_its_index_row_leads_to_the_page_the_row_is_on(paged_site):
    """A strict build checks every anchor: the row's figures are linked where the row now is."""
    docs = paged_site / "docs" / "studies"
    data = json.loads((docs / "index.json").read_text())
    second = data["rows"][1]["href"].rstrip("/")
    source = (docs / second / "source.md").read_text()
    assert f"](../page_2.md#u-{second}-" in source and f"](../index.md#u-{second}-" not in source
    page = (paged_site / "site" / "studies" / "page_2" / "index.html").read_text()
    assert f'id="u-{second}-' in page


def test_each_comparison_page_lists_its_own_studies_and_their_figures_link_to_it(paged_site):
    docs = paged_site / "docs"
    values = json.loads((paged_site / "site" / "data" / "values.json").read_text())["values"]
    pages = sorted((docs / "comparisons").glob("*_page_*.md"))
    assert pages, "a comparison of several studies, one study a page"
    for page in pages:
        text = page.read_text()
        anchors = set(re.findall(r"\{ #(u-[a-z0-9-]+) ", text))
        assert anchors, page.name
        slugs = [folder.name for folder in (docs / "studies").iterdir() if folder.is_dir()]
        owners = [slug for slug in slugs if all(a.startswith(f"u-{slug}-") for a in anchors)]
        assert len(owners) == 1, f"{page.name} holds one study's figures: {sorted(anchors)}"
        relative = page.relative_to(docs).as_posix()
        linked = "".join(
            p.read_text() for name in ("source", "audit") for p in docs.glob(f"studies/*/{name}.md")
        )
        for anchor in anchors:
            assert f"](../../{relative}#{anchor})" in linked, anchor
        shown = [v for v in values if relative in v["shown_on"]]
        assert shown and all(
            page.stem.split("_page_")[0] not in " ".join(v["shown_on"]).replace(relative, "") or True
            for v in shown
        )
    for value in values:
        for page in value["shown_on"]:
            assert (docs / page).is_file(), page


# --- in the browser -------------------------------------------------------------------------------

playwright_api = needed("playwright.sync_api")


@pytest.mark.browser
def test_the_box_and_the_headings_look_through_every_page(browser, paged_site):
    site_url = real_site_url()
    data = json.loads((paged_site / "docs" / "studies" / "index.json").read_text())
    titles = [row["cells"][0] for row in data["rows"]]
    with routed_page(browser, paged_site / "site", site_url, with_axe=True) as (page, _):
        page.goto(site_url + "studies/page_2/")
        status = page.locator(".ev-filter-status")
        rows = page.locator("div.ev-index tbody tr")
        assert rows.count() == 1 and "look through every page" in status.inner_text()
        page.locator(".ev-filter input").fill(titles[0].split()[0])
        page.wait_for_function("() => /match/.test(document.querySelector('.ev-filter-status').textContent)")
        assert titles[0] in rows.all_inner_texts()[0], "a study of page 1 found from page 2"
        assert not page.locator("nav.ev-pager").first.is_visible()
        page.locator(".ev-filter input").fill("")
        page.locator("button.ev-sort", has_text="Year").click()
        page.wait_for_function(
            f"() => document.querySelectorAll('div.ev-index tbody tr').length === {len(titles)}"
        )
        years = [int(row["cells"][6]) for row in data["rows"]]
        shown = [int(text.split("\t")[6]) for text in rows.all_inner_texts()]
        assert shown == sorted(years)
        assert serious_violations(page) == []
        page.locator("div.ev-index tbody a").last.click()
        page.wait_for_url(site_url + "studies/" + data["rows"][-1]["href"])


@pytest.mark.browser
def test_without_javascript_the_pager_reads_every_page_in_turn(browser, paged_site):
    site_url = real_site_url()
    router = SiteRouter(paged_site / "site", site_url)
    context = browser.new_context(java_script_enabled=False)
    context.route("**/*", router.handle)
    try:
        page = context.new_page()
        page.goto(site_url + "studies/")
        seen = []
        while True:
            seen.append(page.locator("div.ev-index tbody td a").first.inner_text())
            following = page.locator("nav.ev-pager a[rel=next]").first
            if not following.count():
                break
            following.click()
            page.wait_for_load_state()
        data = json.loads((paged_site / "docs" / "studies" / "index.json").read_text())
        assert seen == [row["cells"][0] for row in data["rows"]]
        assert router.troubles() == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_later_page_of_a_comparison_draws_its_own_studies(browser, paged_site):
    site_url = real_site_url()
    page_file = sorted((paged_site / "docs" / "comparisons").glob("*_page_2.md"))[0]
    address = f"comparisons/{page_file.stem}/"
    with routed_page(browser, paged_site / "site", site_url, with_axe=True) as (page, _):
        page.goto(site_url + address)
        page.wait_for_function(
            "() => [...document.querySelectorAll('div.ev-chart')].every(c => c.dataset.drawn === 'true')"
        )
        studies = page.locator("div.ev-table table tbody tr td:first-child a").all_inner_texts()
        labels = page.locator("div.ev-chart .ytick text").evaluate_all("ts => ts.map(t => t.textContent)")
        drawn = "".join(labels).replace(" ", "")
        assert studies and all(title.replace(" ", "") in drawn for title in studies), (studies, labels)
        rows = json.loads((paged_site / "docs" / "studies" / "index.json").read_text())["rows"]
        others = [row["cells"][0] for row in rows if row["cells"][0] not in studies]
        assert others and not [title for title in others if title.replace(" ", "") in drawn], labels
        assert page.locator("nav.ev-pager [aria-current=page]").first.inner_text() == "2"
        assert serious_violations(page) == []


@pytest.mark.browser
def test_when_the_rows_file_cannot_be_fetched_the_page_keeps_its_rows_and_its_pager(browser, paged_site):
    site_url = real_site_url()
    with routed_page(browser, paged_site / "site", site_url, checked=False) as (page, _):
        page.route("**/studies/index.json", lambda route: route.fulfill(status=404, body="gone"))
        page.goto(site_url + "studies/page_2/")
        status = page.locator(".ev-filter-status")
        page.locator("button.ev-sort", has_text="Year").click()
        page.wait_for_function(
            "() => /could not be fetched/.test(document.querySelector('.ev-filter-status').textContent)"
        )
        assert page.locator("nav.ev-pager").first.is_visible()
        assert page.locator("div.ev-index tbody tr").count() == 1
        page.locator(".ev-filter input").fill("zzz-no-such-study")
        assert status.inner_text().startswith("0 of 1 studies of this page shown")
        page.locator(".ev-filter input").fill("")
        assert page.locator("nav.ev-pager").first.is_visible()


@pytest.mark.browser
def test_opened_from_files_the_box_says_it_looks_through_this_page_only(browser, paged_site):
    page = browser.new_page()
    try:
        page.goto((paged_site / "site" / "studies" / "page_2" / "index.html").as_uri())
        status = page.locator(".ev-filter-status")
        status.wait_for()
        assert "studies of this page" in status.inner_text()
        page.locator(".ev-filter input").fill("zzz-no-such-study")
        assert status.inner_text().startswith("0 of 1 studies of this page")
        assert page.locator("nav.ev-pager").first.is_visible()
    finally:
        page.close()
