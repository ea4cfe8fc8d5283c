"""A chart of the real built site, in a real Chromium at a desktop and a phone width: it follows the
window from wide to narrow and back, offers a reset only where a drag zooms, and its downloaded image
is wide, titled in full and on the page's colours. (Every chart of every page, fitting the screen and
with its table view, is toured in test_every_page.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import needed
from tests.sitebrowser import CHART_LAYOUT, real_site_url, routed_page

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI

WIDTHS = (1280, 390)


def chart_pages(site_dir: Path) -> list[str]:
    """Every page of the built site with a chart, as a path under the site ('studies/x/efficacy/')."""
    return sorted(
        page.parent.relative_to(site_dir).as_posix() + "/"
        for page in site_dir.rglob("index.html")
        if 'class="ev-chart"' in page.read_text(encoding="utf-8")
    )


@pytest.fixture(scope="module")
def site_url() -> str:
    return real_site_url()


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda w: f"{w}px")
def opened(request, browser, built_site, site_url):
    """One page at one width, routed to the built site (sitebrowser.routed_page)."""
    with routed_page(browser, built_site / "site", site_url, width=request.param) as (page, _):
        yield page, request.param


def open_charts(page, url: str) -> int:
    """Go to the page and wait until every chart on it is drawn (and fitted to its width)."""
    page.goto(url)
    count = page.locator("div.ev-chart").count()
    page.wait_for_function(
        "n => document.querySelectorAll('div.ev-chart[data-drawn=\"true\"]').length === n",
        arg=count,
        timeout=15_000,
    )
    return count


def test_a_chart_follows_the_window_from_wide_to_narrow_and_back(opened, built_site, site_url):
    page, width = opened
    name = chart_pages(built_site / "site")[0]
    open_charts(page, site_url + name)
    other = WIDTHS[1] if width == WIDTHS[0] else WIDTHS[0]
    for size, mode in (
        (other, "narrow" if other < 600 else "wide"),
        (width, "narrow" if width < 600 else "wide"),
    ):
        page.set_viewport_size({"width": size, "height": 900})
        page.wait_for_function(
            "mode => [...document.querySelectorAll('div.ev-chart')].every(c => c.dataset.layout === mode "
            "&& !c.dataset.fitting && Math.abs(c._fullLayout.width - c.offsetWidth) < 2)",
            arg=mode,
        )
        for chart in page.evaluate(CHART_LAYOUT):
            assert chart["outside"] == [], f"{name} after a resize to {size} px"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_reset_view_is_offered_only_where_a_drag_zooms(opened, built_site, site_url):
    page, width = opened
    open_charts(page, site_url + chart_pages(built_site / "site")[0])
    for figure in page.locator(".ev-figure").all():
        reset = figure.locator(".ev-chart-tools button", has_text="Reset view")
        dragmode = figure.locator("div.ev-chart").evaluate("c => c._fullLayout.dragmode")
        assert reset.is_visible() == (width >= 600) == (dragmode == "zoom"), f"at {width} px"


EXPORT = """async chart => {
    const seen = [];
    const original = Plotly.downloadImage;
    Plotly.downloadImage = gd => {
        const layout = gd._fullLayout;
        const svg = gd.querySelector("svg.main-svg").getBoundingClientRect();
        const lines = [...gd.querySelectorAll(".g-gtitle text tspan, .g-gtitle text")]
            .filter(t => !t.querySelector("tspan") && t.textContent.trim());
        seen.push({
            width: layout.width, layout: gd.getAttribute("data-layout"),
            paper: layout.paper_bgcolor, plot: layout.plot_bgcolor, font: layout.font.color,
            title: lines.map(t => t.textContent),
            titleRight: Math.max(...lines.map(t => t.getBoundingClientRect().right - svg.left)),
        });
        return Promise.resolve();
    };
    const button = [...chart.closest(".ev-figure").querySelectorAll(".ev-chart-tools button")]
        .find(b => b.textContent === "Download PNG");
    button.click();
    const until = Date.now() + 10000;
    while (Date.now() < until && !(seen.length && chart.getAttribute("data-layout")
            && Math.abs(chart._fullLayout.width - chart.offsetWidth) < 2
            && chart._fullLayout.paper_bgcolor === "rgba(0,0,0,0)")) {
        await new Promise(r => setTimeout(r, 50));
    }
    Plotly.downloadImage = original;
    const style = getComputedStyle(document.body);
    return {
        seen: seen[0],
        bg: style.getPropertyValue("--md-default-bg-color").trim(),
        fg: style.getPropertyValue("--md-default-fg-color").trim(),
        after: {width: chart._fullLayout.width, offset: chart.offsetWidth,
                paper: chart._fullLayout.paper_bgcolor,
                title: [...chart.querySelectorAll(".g-gtitle text")].map(t => t.textContent).join(""),
                layout: chart.getAttribute("data-layout")},
    };
}"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_the_downloaded_image_is_wide_titled_in_full_and_on_the_page_colours(
    opened, built_site, site_url, scheme
):
    page, width = opened
    open_charts(page, site_url + chart_pages(built_site / "site")[0])
    page.evaluate("s => document.body.setAttribute('data-md-color-scheme', s)", scheme)
    chart = page.locator("div.ev-chart").first
    result = chart.evaluate(EXPORT)
    seen, after = result["seen"], result["after"]
    assert seen, "the download was asked for"
    where = f"{scheme} at {width} px"
    assert seen["width"] == 900 and seen["layout"] == "wide", f"{where}: drawn wide for the image"
    assert seen["paper"] == seen["plot"] == result["bg"] and seen["font"] == result["fg"], (
        f"{where}: the image's background is the page's, its text the page's text colour"
    )
    title = chart.get_attribute("data-export-title")
    assert " ".join(seen["title"]).startswith(title), f"{where}: the whole title is in the image"
    assert seen["titleRight"] <= 900, f"{where}: a title line runs past the image"
    assert after["paper"] == "rgba(0,0,0,0)" and not after["title"], f"{where}: the chart as it was"
    assert abs(after["width"] - after["offset"]) < 2, f"{where}: as wide as its element again"
    assert after["layout"] == ("narrow" if width < 600 else "wide"), where
