"""The real built site on a phone (390 px), in a real Chromium: each row of a results, comparison or index
table is a card whose figures are all on the screen, each after its column's heading, so the estimate and
its interval are read without scrolling sideways; the study index still sorts and filters its cards; a
screen reader still meets a table; without JavaScript, or on a wider screen, a table keeps its columns.
A chart longer than a screen has its axis labelled at its top and at its bottom, and no chart leaves an
empty band below its plot, at a phone's width and at a desktop's.

The pages are found in the built site, not named here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.charts import SCREEN
from tests.conftest import needed
from tests.sitebrowser import SiteRouter, open_page, page_file, real_site_url, routed_page, site_pages

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI

PHONE = 390
STACKED = re.compile(r'<div class="ev-table( ev-index)?">')
"""A table read as cards on a phone: any in a page's .ev-table box but the audit's."""
KEY = re.compile(r"^(Value|Estimate|n/N|Reported %|Computed %|Number)$|Interval|\bCI\b|^P ")
"""The headings of the columns that hold a row's figure, its interval or its P."""
BAND = 30
"""The most room (px) a chart may leave below its lowest label: its bottom margin and a little more."""


@pytest.fixture(scope="module")
def site_url() -> str:
    return real_site_url()


def stacked_pages(site_dir: Path) -> list[str]:
    """Every page with a table read as cards on a phone."""
    return [
        address
        for address in site_pages(site_dir)
        if STACKED.search(page_file(site_dir, address).read_text(encoding="utf-8"))
    ]


CARDS = """() => [...document.querySelectorAll('.md-content div.ev-table:not(.ev-audit)')].map(holder => {
  const table = holder.querySelector('table');
  const headings = [...table.tHead.rows[0].cells].map(cell => cell.textContent.trim());
  const wrap = table.closest('.md-typeset__scrollwrap');
  const edges = box => ({left: box.left, right: box.right, width: box.width, height: box.height});
  return {
    stacked: holder.classList.contains('ev-stacks'),
    overflows: wrap.scrollWidth > wrap.clientWidth + 1,
    rows: [...table.tBodies[0].rows].map(row => [...row.cells].map((cell, column) => ({
      heading: headings[column],
      text: cell.textContent.trim().slice(0, 60),
      box: edges(cell.getBoundingClientRect()),
      clipped: cell.scrollWidth > cell.clientWidth + 1,
      label: getComputedStyle(cell, '::before').content,
      figures: [...cell.querySelectorAll('.ev-value')].map(figure => edges(figure.getBoundingClientRect())),
    }))),
  };
})"""


def on_screen(box: dict, width: int) -> bool:
    return box["width"] > 0 and box["height"] > 0 and box["left"] >= -0.5 and box["right"] <= width + 0.5


def card_problems(cell: dict, column: int, where: str) -> list[str]:
    """What keeps a cell of a card from being read on the screen: a part off it, text cut off, or,
    past the row's label, no heading shown before it."""
    found = []
    if not on_screen(cell["box"], PHONE):
        found.append(f"{where}: {cell['heading']} {cell['text']!r} is not on the screen ({cell['box']})")
    for figure in cell["figures"]:
        if not on_screen(figure, PHONE):
            found.append(f"{where}: a figure of {cell['heading']} lies off the screen ({figure})")
    if cell["clipped"]:
        found.append(f"{where}: {cell['heading']} {cell['text']!r} is cut off")
    shown = "none" if column == 0 else f'{json.dumps(cell["heading"])} / ""'
    if cell["heading"] and cell["label"] != shown:
        found.append(f"{where}: {cell['heading']} {cell['text']!r} shows {cell['label']} before it")
    return found


def test_on_a_phone_every_figure_of_every_table_row_is_on_the_screen_after_its_heading(
    browser, built_site, site_url
):
    """Every results page of every study, every comparison, the indexes: each row a card, each cell on
    the screen after its column's heading, the figures (estimate, interval, P) among them; no page
    scrolls sideways."""
    site_dir = built_site / "site"
    pages = stacked_pages(site_dir)
    comparisons = {a for a in site_pages(site_dir) if re.fullmatch(r"comparisons/[^/]+/", a)}
    studies = {a.split("/")[1] for a in site_pages(site_dir) if re.fullmatch(r"studies/[^/]+/", a)}
    assert comparisons and len(studies) >= 2 and comparisons <= set(pages)
    problems: list[str] = []
    key_cells: dict[str, set[str]] = {}
    with routed_page(browser, site_dir, site_url, width=PHONE) as (page, _):
        for address in pages:
            open_page(page, site_dir, site_url, address)
            sideways = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            if sideways[0] > sideways[1]:
                problems.append(f"/{address}: the page scrolls sideways ({sideways})")
            for number, table in enumerate(page.evaluate(CARDS), start=1):
                where = f"/{address}, table {number}"
                if not table["stacked"] or table["overflows"]:
                    problems.append(f"{where}: not read as cards ({table['stacked']}, {table['overflows']})")
                for index, row in enumerate(table["rows"], start=1):
                    for column, cell in enumerate(row):
                        problems += card_problems(cell, column, f"{where}, row {index}")
                        if KEY.search(cell["heading"]) and on_screen(cell["box"], PHONE):
                            key_cells.setdefault(address, set()).add(cell["heading"])
    assert problems == []
    for address in comparisons:
        shown = key_cells.get(address, set())
        assert {"Estimate"} <= shown and any("Interval" in h for h in shown), f"/{address}: {shown}"
    for study in studies:
        assert any(a.startswith(f"studies/{study}/") for a in key_cells), f"{study}: no figure checked"


INDEX_CELLS = """() => {
  const table = document.querySelector('.md-content .ev-index table');
  const headings = [...table.tHead.rows[0].cells].map(cell => cell.textContent.trim());
  return [...table.tBodies[0].rows].map(row => Object.fromEntries([...row.cells].map((cell, column) => {
    const box = cell.getBoundingClientRect();
    return [headings[column], {left: box.left, right: box.right, width: box.width, height: box.height,
                               text: cell.textContent.trim()}];
  })));
}"""

SHOWN_CARDS = """() => [...document.querySelectorAll('.md-content .ev-index tbody tr')]
  .filter(row => row.getClientRects().length > 0).map(row => row.cells[0].textContent.trim())"""


def test_the_study_index_on_a_phone_shows_patients_and_main_result_and_still_sorts_and_filters(
    browser, built_site, site_url
):
    site_dir = built_site / "site"
    with routed_page(browser, site_dir, site_url, width=PHONE) as (page, _):
        open_page(page, site_dir, site_url, "studies/")
        cards = page.evaluate(INDEX_CELLS)
        assert len(cards) >= 2
        for card in cards:
            for heading in ("Patients", "Main result"):
                assert on_screen(card[heading], PHONE) and card[heading]["text"], (heading, card[heading])
        years = "[...document.querySelectorAll('.ev-index tbody tr')].map(r => r.cells[6].textContent.trim())"
        sort = page.get_by_role("button", name="Year")
        assert on_screen(edges(sort), PHONE), "the button that sorts by year is on the screen"
        sort.click()
        assert page.evaluate(years) == sorted(page.evaluate(years))
        sort.click()
        assert page.evaluate(years) == sorted(page.evaluate(years), reverse=True)
        assert page.evaluate(SHOWN_CARDS) == [card["Study"]["text"] for card in page.evaluate(INDEX_CELLS)]
        first = cards[0]["Study"]["text"]
        page.get_by_label("Filter studies").fill(first)
        shown = page.evaluate(SHOWN_CARDS)
        assert first in shown and len(shown) < len(cards), "a card the filter hides is not shown"
        page.get_by_label("Filter studies").fill("")
        assert len(page.evaluate(SHOWN_CARDS)) == len(cards)


def edges(locator) -> dict:
    """An element's box as on_screen reads it."""
    box = locator.bounding_box()
    return {
        "left": box["x"],
        "right": box["x"] + box["width"],
        "width": box["width"],
        "height": box["height"],
    }


def test_a_table_read_as_cards_is_still_a_table_to_a_screen_reader(browser, built_site, site_url):
    """Chromium's accessibility tree of a page of cards: tables, their column headings, each row's
    header and its cells, whose names are their own text, never the heading shown before them."""
    site_dir = built_site / "site"
    address = next(a for a in stacked_pages(site_dir) if re.fullmatch(r"comparisons/[^/]+/", a))
    with routed_page(browser, site_dir, site_url, width=PHONE) as (page, _):
        open_page(page, site_dir, site_url, address)
        table = page.evaluate(CARDS)[0]
        cdp = page.context.new_cdp_session(page)
        nodes = [n for n in cdp.send("Accessibility.getFullAXTree")["nodes"] if not n.get("ignored")]
        named = [(n["role"]["value"], n.get("name", {}).get("value", "").strip()) for n in nodes]
        headings = [cell["heading"] for cell in table["rows"][0]]
        assert any(role == "table" for role, _ in named)
        assert [name for role, name in named if role == "columnheader"][: len(headings)] == headings
        first = table["rows"][0]
        assert ("rowheader", first[0]["text"]) in [(r, n[:60]) for r, n in named]
        cells = [n[:60] for r, n in named if r == "cell"]
        for cell in first[1:]:
            assert cell["text"] in cells, f"{cell['heading']}: {cell['text']!r} is no cell of its own"


def test_without_javascript_or_on_a_wider_screen_a_table_keeps_its_columns(browser, built_site, site_url):
    """Without JavaScript no cell is labelled, so a wide table scrolls in its own box, as before; above a
    phone's width (a tablet's 768 px) the cards are rows again, under their headings."""
    site_dir = built_site / "site"
    address = next(a for a in stacked_pages(site_dir) if re.fullmatch(r"comparisons/[^/]+/", a))
    context = browser.new_context(viewport={"width": PHONE, "height": 900}, java_script_enabled=False)
    context.route("**/*", SiteRouter(site_dir, site_url).handle)
    page = context.new_page()
    page.goto(site_url + address)
    table = page.locator(".md-content div.ev-table table").first
    assert table.evaluate("t => getComputedStyle(t.rows[1]).display") == "table-row"
    assert table.evaluate("t => t.scrollWidth > t.clientWidth + 1"), "a wide table scrolls in its own box"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    context.close()
    with routed_page(browser, site_dir, site_url, width=768) as (page, _):
        open_page(page, site_dir, site_url, address)
        table = page.locator(".md-content div.ev-stacks table").first
        assert table.evaluate("t => getComputedStyle(t.rows[1]).display") == "table-row"
        assert table.evaluate("t => t.tHead.getBoundingClientRect().height > 10"), "its headings shown"


CHARTS = """() => [...document.querySelectorAll('div.ev-chart')].map(chart => {
  const box = chart.getBoundingClientRect();
  const shown = r => r.width > 0 && r.height > 0;
  const texts = [...chart.querySelectorAll('svg text')].filter(t => t.textContent.trim())
    .map(t => t.getBoundingClientRect()).filter(shown);
  const ticks = [...chart.querySelectorAll('g')].filter(g => /^x\\d*tick$/.test(g.getAttribute('class')))
    .filter(g => g.textContent.trim()).map(g => g.getBoundingClientRect()).filter(shown);
  const plots = [...chart.querySelectorAll('.draglayer .nsewdrag')].map(d => d.getBoundingClientRect());
  const across = (r, p) => r.left < p.right && p.left < r.right;
  return {
    id: chart.id, height: box.height, figure: chart._fullLayout.height,
    band: box.bottom - Math.max(...texts.map(r => r.bottom), ...plots.map(p => p.bottom)),
    plots: plots.map(p => ({
      height: p.height,
      above: ticks.filter(r => across(r, p) && r.bottom <= p.top + 1 && r.bottom >= p.top - 40).length,
      below: ticks.filter(r => across(r, p) && r.top >= p.bottom - 1 && r.top <= p.bottom + 40).length,
    })),
  };
})"""


@pytest.mark.parametrize("width", [PHONE, 1280])
def test_a_long_chart_is_labelled_at_its_top_and_bottom_and_no_chart_leaves_an_empty_band(
    browser, built_site, site_url, width
):
    """A plot taller than a screen has its axis's tick labels just above its rows and just below them;
    every chart is as tall as its figure, its lowest label close to its bottom."""
    site_dir = built_site / "site"
    pages = [a for a in site_pages(site_dir) if 'class="ev-chart"' in page_file(site_dir, a).read_text()]
    problems, long_plots = [], 0
    with routed_page(browser, site_dir, site_url, width=width) as (page, _):
        for address in pages:
            open_page(page, site_dir, site_url, address)
            for chart in page.evaluate(CHARTS):
                where = f"/{address}#{chart['id']} ({width} px)"
                if abs(chart["height"] - chart["figure"]) > 1:
                    problems.append(f"{where}: {chart['height']} px tall for a figure of {chart['figure']}")
                if chart["band"] > BAND:
                    problems.append(f"{where}: {chart['band']:.0f} px empty below its lowest label")
                for plot in chart["plots"]:
                    if plot["height"] > SCREEN:
                        long_plots += 1
                        if not plot["above"] or not plot["below"]:
                            problems.append(
                                f"{where}: a plot {plot['height']:.0f} px long, tick labels {plot}"
                            )
    assert problems == []
    assert long_plots >= 1, "no chart of the site is longer than a screen: nothing checked its top axis"
