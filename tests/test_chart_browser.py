"""Every chart of the real built site, in a real Chromium at a desktop and a phone width: it draws, its
labels stay inside it and the screen, its toolbar sits beside it, and its table view lists its points.

The pages are found in the built site (any page with a chart), not named here: one browser and one
page per width serve them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.sitebrowser import routed_page

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

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
            assert rows.count() == points > 0, f"{name} at {width} px"
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
