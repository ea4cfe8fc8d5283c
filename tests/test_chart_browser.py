"""A chart of the real built site, in a real Chromium at a desktop and a phone width: it follows the
window from wide to narrow and back, offers a reset only where a drag zooms, and its downloaded image
is wide, titled in full and on the page's colours. (Every chart of every page, fitting the screen and
with its table view, is toured in test_every_page.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import needed
from tests.sitebrowser import CHART_LAYOUT, PALETTE_SHOWN, real_site_url, routed_page

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


# Effect and forest plots: the line of no effect and both favours labels, wherever a reader meets them

EFFECT_PLOTS = """() => [...document.querySelectorAll('div.ev-chart')].flatMap(chart => {
    const layout = chart._fullLayout;
    const svg = chart.querySelector('svg.main-svg').getBoundingClientRect();
    const box = chart.getBoundingClientRect();
    const view = {left: 0, right: window.innerWidth};
    const inside = r => r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
        && r.left >= view.left - 1 && r.right <= view.right + 1;
    return (chart.layout.shapes || []).map((shape, index) => {
        if (shape.name !== 'no-effect') return null;
        const axis = layout['xaxis' + shape.xref.slice(1)];
        const expected = svg.left + axis._offset + axis.l2p(axis.d2l(shape.x0));
        const path = chart.querySelector(`.shapelayer path[data-index="${index}"]`);
        const line = path && path.getBoundingClientRect();
        const sides = chart.layout.annotations.map((a, i) => [a, i])
            .filter(([a]) => a.xref === shape.xref && String(a.yref).endsWith('domain'))
            .map(([a, i]) => {
                const text = chart.querySelector(`.annotation[data-index="${i}"] .annotation-text`);
                const r = text.getBoundingClientRect();
                return {text: text.textContent, left: r.left, right: r.right, inside: inside(r),
                        fill: getComputedStyle(text).fill};
            });
        return {
            chart: chart.id, x0: shape.x0, expected: expected, type: axis.type,
            line: line && {x: line.left + line.width / 2, height: line.height},
            stroke: path && getComputedStyle(path).stroke, sides: sides,
            fg: getComputedStyle(document.body).getPropertyValue('--md-default-fg-color').trim(),
            font: chart._fullLayout.font.color,
        };
    }).filter(Boolean);
})"""


def effect_plot_pages(site_dir: Path) -> list[str]:
    """Every page of the built site with an effect or forest plot (a figure with a line of no effect)."""
    return sorted(
        page.parent.relative_to(site_dir).as_posix() + "/"
        for page in site_dir.rglob("index.html")
        if "no-effect" in page.read_text(encoding="utf-8")
    )


def check_effect_plots(page, where: str) -> int:
    """Every effect plot on the page draws its line of no effect where the axis has no effect, and both
    favours labels on either side of it, inside the chart and the screen, in the page's text colour."""
    plots = page.evaluate(EFFECT_PLOTS)
    for plot in plots:
        at = f"{where}: {plot['chart']}"
        assert plot["x0"] == (1 if plot["type"] == "log" else 0), at
        assert plot["line"] and plot["line"]["height"] > 20, f"{at}: the line of no effect is drawn"
        assert abs(plot["line"]["x"] - plot["expected"]) < 1.5, f"{at}: the line is at no effect"
        left, right = plot["sides"]
        assert left["text"].startswith("←") and right["text"].endswith("→"), at
        assert "Favours" in left["text"] + right["text"] or "Lower" in left["text"], at
        assert left["right"] <= plot["line"]["x"] + 1 and right["left"] >= plot["line"]["x"] - 1, (
            f"{at}: each label on its side of the line"
        )
        assert left["inside"] and right["inside"], f"{at}: both labels inside the chart and the screen"
        assert plot["font"] == plot["fg"], f"{at}: the chart follows the palette"
        assert plot["stroke"] == left["fill"] == right["fill"], f"{at}: line and labels in the text colour"
    return len(plots)


@pytest.fixture(scope="module")
def effect_pages(built_site) -> list[str]:
    pages = effect_plot_pages(built_site / "site")
    assert pages, "the real content has an effect plot (the hazard ratio of the randomized trial)"
    return pages


def wait_drawn(page, scheme: str | None = None) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.ev-chart')].every(c => c.dataset.drawn === 'true' "
        "&& !c.dataset.fitting)",
        timeout=15_000,
    )
    if scheme is not None:
        page.evaluate(
            "s => document.querySelector(`form[data-md-component=palette] input[data-md-color-scheme=${s}]`)"
            ".click()",
            scheme,
        )
        page.wait_for_function(PALETTE_SHOWN, arg=scheme, timeout=5_000)


@pytest.mark.parametrize("scheme", ["default", "slate"], ids=["light", "dark"])
def test_every_effect_plot_draws_its_line_of_no_effect_and_both_favours_labels(
    opened, effect_pages, site_url, scheme
):
    page, width = opened
    seen = 0
    for address in effect_pages:
        page.goto(site_url + address)
        wait_drawn(page, scheme)
        seen += check_effect_plots(page, f"{address} at {width} px, {scheme}")
    assert seen >= len(effect_pages)


def test_an_effect_plot_reached_by_instant_navigation_is_drawn_whole(opened, effect_pages, site_url):
    page, width = opened
    target = effect_pages[0]
    parent = target.rstrip("/").rsplit("/", 1)[0] + "/"
    page.goto(site_url + parent)
    wait_drawn(page)
    page.evaluate("() => { window.evSamePage = true; }")
    name = target.rstrip("/").rsplit("/", 1)[1]
    page.locator(f'a[href$="{name}/"]').first.evaluate("a => a.click()")
    page.wait_for_url(f"**/{target}")
    assert page.evaluate("() => window.evSamePage === true"), "navigated instantly, not reloaded"
    page.wait_for_function("document.querySelectorAll('div.ev-chart').length > 0", timeout=15_000)
    wait_drawn(page)
    assert check_effect_plots(page, f"{target} after instant navigation at {width} px") >= 1


@pytest.mark.parametrize("width", WIDTHS)
def test_an_effect_plot_opened_from_a_file_is_drawn_whole(browser, built_site, effect_pages, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        target = built_site / "site" / effect_pages[0] / "index.html"
        page.goto(target.as_uri())
        wait_drawn(page)
        assert check_effect_plots(page, f"{target.as_uri()} at {width} px") >= 1
        assert errors == []
    finally:
        context.close()
