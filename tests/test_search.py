"""Search as a reader uses it, in a real headless Chromium: an abbreviation and its long form find the
same page first, and every result of a study's page names its study."""

from __future__ import annotations

import pytest

from generator.load import load_glossary
from tests.conftest import ROOT, needed
from tests.pages import study_titles
from tests.sitebrowser import real_site_url, routed_page

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")

RESULTS = "li.md-search-result__item"


@pytest.fixture(scope="module")
def site_url() -> str:
    return real_site_url()


@pytest.fixture(scope="module")
def search(browser, built_site, site_url):
    """Type a query into the site's search box, as a reader would; the results' pages (address under
    the site, without the highlight query) and, for each result, the text of its heading and tags."""
    with routed_page(browser, built_site / "site", site_url) as (page, _):
        page.goto(site_url)
        page.locator("label.md-search__icon, .md-search__input").first.click()
        box = page.locator("input.md-search__input")

        def run(query: str) -> list[tuple[str, str]]:
            box.fill("")
            box.press("Backspace")
            page.wait_for_function("() => !document.querySelector('li.md-search-result__item')")
            box.press_sequentially(query, delay=10)
            page.locator(RESULTS).first.wait_for(timeout=15_000)
            page.wait_for_timeout(300)  # the last key's results replace the earlier keys'
            return page.locator(RESULTS).evaluate_all(
                """items => items.map(item => {
                    const link = item.querySelector('a');
                    const path = new URL(link.href).pathname;
                    const named = [...item.querySelectorAll('article:first-child h1, .md-tag')];
                    return [path, named.map(n => n.textContent.trim()).join(' | ')];
                })"""
            )

        yield run


def test_vod_and_veno_occlusive_disease_find_the_same_page_first(search, site_url):
    abbreviation, long_form = search("VOD"), search("veno-occlusive disease")
    assert abbreviation, "the abbreviation finds pages though no page prints it"
    assert abbreviation[0][0] == long_form[0][0], (abbreviation[:3], long_form[:3])
    assert abbreviation[0][0].endswith("/studies/kantarjian-2013/safety/"), abbreviation[:3]


@pytest.mark.parametrize("query", ["CR/CRi", "HSCT", "sinusoidal obstruction syndrome"])
def test_any_form_of_a_glossary_term_finds_pages(search, query):
    forms = {form for term in load_glossary(ROOT / "content").terms for form in term.forms}
    assert set(query.split("/")) <= forms, "a glossary form (CR/CRi: two, split at the slash)"
    assert search(query), f"{query!r} finds nothing"


@pytest.mark.parametrize("query", ["VOD", "survival", "adverse event"])
def test_every_result_of_a_study_page_names_its_study(search, built_site, query):
    titles = study_titles(built_site)
    results = search(query)
    in_studies = [(path, named) for path, named in results if "/studies/" in path and path.count("/") > 3]
    assert in_studies, results
    for path, named in in_studies:
        slug = path.split("/studies/", 1)[1].split("/")[0]
        assert titles[slug] in named, f"{path}: {named!r} does not name {titles[slug]!r}"
