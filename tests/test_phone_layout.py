"""The real built site on a phone, in a real Chromium: a tap on a figure follows it to where it comes
from, and the legend says so. (Every page's layout at a phone's width and a desktop's is toured in
test_every_page.)
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import needed
from tests.sitebrowser import open_page, page_file, real_site_url, site_page, site_pages

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI


@pytest.fixture(scope="module")
def site_url() -> str:
    return real_site_url()


def test_a_tap_on_a_figure_follows_it_to_where_it_comes_from(browser, built_site, site_url):
    """On a phone (touch, 390 px), tapping a figure in a table opens its provenance: the source's
    sentence or the audit's entry, which is on the page it leads to. One page of each study."""
    site_dir = built_site / "site"
    studies: dict[str, list[str]] = {}
    for address in site_pages(site_dir):
        study = re.match(r"studies/([^/]+)/", address)
        if study and 'class="ev-skip"' in page_file(site_dir, address).read_text(encoding="utf-8"):
            studies.setdefault(study[1], []).append(address)
    assert len(studies) >= 2
    figures = ".md-content .ev-table td a.ev-value[href] >> visible=true"
    with site_page(browser, site_dir, site_url, 390, "light") as page:
        for addresses in studies.values():
            for address in addresses:
                open_page(page, site_dir, site_url, address)
                if page.locator(figures).count():
                    break
            else:
                pytest.fail(f"no study page shows a figure in a table: {addresses}")
            figure = page.locator(figures).first
            href = figure.evaluate("a => a.href")
            assert "#" in href, f"/{address}: the figure links to no place on its page ({href})"
            figure.tap()
            page.wait_for_url(href)
            target = page.locator(f"[id='{href.split('#', 1)[1]}']")
            target.wait_for(
                state="attached", timeout=10_000
            )  # instant navigation: the page follows its address
            assert target.count() == 1, f"/{address}: {href} leads nowhere"


def test_the_legend_says_how_to_follow_a_figure_by_tap_and_not_only_by_hovering(built_site):
    site_dir = built_site / "site"
    legends = [
        page_file(site_dir, address).read_text()
        for address in site_pages(site_dir)
        if "How to read the figures" in page_file(site_dir, address).read_text()
    ]
    assert legends
    for text in legends:
        legend = text.split("How to read the figures", 1)[1].split("</div>", 1)[0]
        assert "tap" in legend and "click" in legend
        assert "hover over it for a summary" not in legend
