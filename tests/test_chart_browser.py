"""Every chart of the real built site, in a real Chromium at a desktop and a phone width: it draws, its
labels stay inside it and the screen, its toolbar sits beside it, and its table view lists its points.

The pages are found in the built site (any page with a chart), not named here: one browser and one
page per width serve them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, needed
from tests.sitebrowser import routed_page, serious_violations

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
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["site_url"]


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


LAYOUT = """() => {
    const inside = (r, box) => r.left >= box.left - 1 && r.right <= box.right + 1
        && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const view = {left: 0, top: -1e9, right: window.innerWidth, bottom: 1e9};
    return [...document.querySelectorAll("div.ev-chart")].map(chart => {
        const box = chart.getBoundingClientRect();
        const texts = [...chart.querySelectorAll(
            ".xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .annotation-text")];
        const outside = texts.filter(t => t.textContent.trim()).filter(t => {
            const r = t.getBoundingClientRect();
            return !inside(r, box) || !inside(r, view);
        }).map(t => t.textContent);
        const sizes = [...chart.querySelectorAll(".xtick text, .ytick text")]
            .map(t => parseFloat(getComputedStyle(t).fontSize));
        const figure = chart.closest(".ev-figure");
        const tools = figure.querySelector(".ev-chart-tools");
        const plots = [...chart.querySelectorAll(".draglayer .nsewdrag")].map(d => d.getBoundingClientRect());
        const toolBox = tools && tools.getBoundingClientRect();
        return {
            id: chart.id,
            layout: chart.getAttribute("data-layout"),
            outside: outside,
            smallest: Math.min(...sizes),
            tools: !!tools,
            toolsInImage: !!(tools && tools.closest("[role=img]")),
            buttonsInImage: document.querySelectorAll("[role=img] button, [role=img] .modebar").length,
            toolsOverPlot: !!(toolBox && plots.some(p => overlap(p, toolBox))),
            plots: plots.length,
        };
    });
}"""

POINTS = """chart => chart.data
    .filter(trace => trace.hoverinfo !== "skip")
    .reduce((n, trace) => n + (trace.x || []).length, 0)"""


def test_every_chart_fits_the_screen_and_keeps_its_toolbar_outside_the_image(opened, built_site, site_url):
    page, width = opened
    pages = chart_pages(built_site / "site")
    assert len(pages) >= 3, pages
    for name in pages:
        count = open_charts(page, site_url + name)
        assert count > 0, name
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{name} at {width} px scrolls sideways"
        )
        for chart in page.evaluate(LAYOUT):
            where = f"{name}#{chart['id']} at {width} px"
            assert chart["layout"] == ("narrow" if width < 600 else "wide"), where
            assert chart["outside"] == [], f"{where}: labels outside the chart or the screen"
            assert chart["smallest"] >= 10, f"{where}: tick labels too small to read"
            assert chart["plots"] > 0, where
            assert chart["tools"] and not chart["toolsInImage"], where
            assert chart["buttonsInImage"] == 0, where
            assert not chart["toolsOverPlot"], f"{where}: the toolbar covers the plot"


def test_the_table_view_lists_every_point_and_gives_the_chart_back(opened, built_site, site_url):
    page, width = opened
    for name in chart_pages(built_site / "site"):
        open_charts(page, site_url + name)
        for figure in page.locator(".ev-figure").all():
            chart = figure.locator("div.ev-chart")
            points = chart.evaluate(POINTS)
            toggle = figure.get_by_role("button", name="Table view")
            assert toggle.get_attribute("aria-pressed") == "false"
            table = page.locator("#" + toggle.get_attribute("aria-controls"))
            assert table.is_hidden()
            toggle.click()
            assert toggle.get_attribute("aria-pressed") == "true"
            assert table.is_visible() and chart.is_hidden()
            rows = table.locator("tbody tr")
            # every point, and any figure given in words (not drawn)
            assert rows.count() >= points > 0, f"{name} at {width} px"
            assert table.locator("thead th").count() == len(rows.first.locator("th, td").all())
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
            toggle.focus()
            page.keyboard.press("Enter")  # a real button: the keyboard works it too
            assert toggle.get_attribute("aria-pressed") == "false"
            assert table.is_hidden() and chart.locator("svg.main-svg").first.is_visible()


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
        for chart in page.evaluate(LAYOUT):
            assert chart["outside"] == [], f"{name} after a resize to {size} px"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_every_table_view_is_a_named_scrolling_region_that_axe_passes(opened, built_site, site_url):
    page, width = opened
    for name in chart_pages(built_site / "site"):
        open_charts(page, site_url + name)
        for figure in page.locator(".ev-figure").all():
            figure.get_by_role("button", name="Table view").click()
            region = figure.locator(".ev-chart-table [role=region]")
            title = figure.locator("div.ev-chart").get_attribute("data-export-title")
            assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label") == (
                f"{title}: table"
            ), f"{name} at {width} px"
            box = region.bounding_box()
            last = region.locator("tr").first.locator("th, td").last.bounding_box()
            scrolls = region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
            assert scrolls or last["x"] + last["width"] <= box["x"] + box["width"] + 1, (
                f"{name} at {width} px: the last column is cut off and cannot be scrolled to"
            )
            hint = figure.locator(".ev-chart-table-hint")
            assert hint.is_visible() == scrolls, f"{name} at {width} px: the hint says whether it scrolls"
        assert serious_violations(page) == [], f"{name} at {width} px, every table view open"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


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
