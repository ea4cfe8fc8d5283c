"""The offline copy: the zip from `share`, unzipped and opened from file:// in the real browser."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, STUDY, copy_project, needed

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI


@pytest.fixture(scope="module")
def offline_copy(tmp_path_factory) -> Path:
    """The real project's offline copy, written by the command and unzipped."""
    root = copy_project(tmp_path_factory.mktemp("share"))
    out = root / "copy.zip"
    result = subprocess.run(
        [sys.executable, "-m", "generator", "share", "--out", str(out), "--project", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "open index.html in its folder by double-click" in result.stderr
    unzipped = root / "unzipped"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unzipped)
    (folder,) = unzipped.iterdir()
    return folder


def test_the_offline_copy_holds_files_linked_as_files_and_nothing_fetched(offline_copy):
    assert (offline_copy / "index.html").is_file()
    assert (offline_copy / "studies" / STUDY / "index.html").is_file()
    assert (offline_copy / "search" / "search_index.js").is_file()
    home = (offline_copy / "index.html").read_text()
    assert "studies/index.html" in home and "unpkg.com" not in home
    assert "assets/javascripts/iframe-worker/shim.js" in home


def test_the_offline_copy_opens_from_files_with_navigation_charts_and_search(browser, offline_copy):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((offline_copy / "index.html").as_uri())
    page.locator('nav.md-nav--primary a.md-nav__link[href$="studies/index.html"]').first.click()
    page.wait_for_url("**/studies/index.html")
    page.locator(f'article .ev-index a[href$="{STUDY}/index.html"]').first.click()
    page.wait_for_url(f"**/studies/{STUDY}/index.html")
    page.locator('nav.md-nav--primary a.md-nav__link[href$="efficacy.html"]').first.click()
    page.wait_for_url(f"**/studies/{STUDY}/efficacy.html")
    page.wait_for_function(
        "document.querySelectorAll('div.ev-chart[data-drawn=\"true\"] svg.main-svg').length > 0",
        timeout=15_000,
    )
    page.goto((offline_copy / "comparisons" / "median-overall-survival.html").as_uri())
    page.wait_for_function(
        "document.querySelector('div.ev-chart[data-drawn=\"true\"]') !== null", timeout=15_000
    )
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # the glossary's other forms are in the offline index too: no page prints "VOD"
    page.locator("input.md-search__input").press_sequentially("VOD", delay=20)
    page.locator("li.md-search-result__item a").first.wait_for(timeout=15_000)
    hrefs = page.locator("li.md-search-result__item a").evaluate_all("as => as.map(a => a.href)")
    assert any(href.startswith("file://") and f"studies/{STUDY}/safety.html" in href for href in hrefs), hrefs
    tags = page.locator("li.md-search-result__item .md-tag").all_text_contents()
    assert "Inotuzumab ozogamicin in relapsed or refractory ALL" in tags, "each result names its study"
    context.close()
    assert outside == [], "nothing is fetched from the network"
    assert errors == []
