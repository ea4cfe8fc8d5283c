"""Every page of the real built site, as a reader meets it in a real Chromium, at a desktop and a phone
width, in the light and the dark palette: axe-core finds no serious or critical violation; no page
scrolls sideways and a table wider than its place says so and scrolls inside it; every chart fits the
screen with its toolbar beside it, and its table view lists its points; a keyboard user can skip every
table and reach a chart without passing a figure of a table; nothing logs an error or asks outside the site.

The pages are found in the built site, not named here. Each page is opened once at each width (a
tour): the checks read it in the light palette the browser asks for, again after the palette control
switches it to dark, and then act on it in light; the tests below only read what the tours found.
The tours are made once for the run and shared by the parallel workers. That a page opened in a
browser which asks for dark shows the dark palette and charts is tested in test_browser. axe-core
is the copy pinned in tests/fixtures/axe (scripts/update_axe.py updates it), put in each page as it opens.
"""

from __future__ import annotations

import hashlib
import json
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import made_once, needed
from tests.sitebrowser import (
    AXE,
    CHART_LAYOUT,
    PALETTE_SHOWN,
    SEVERE,
    axe_violations,
    open_page,
    page_file,
    real_site_url,
    routed_page,
    serious_violations,
    site_pages,
)

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI


class Layout(NamedTuple):
    width: int
    palette: str

    @property
    def narrow(self) -> bool:
        return self.width < 600

    def __str__(self) -> str:
        return f"{self.width}px-{self.palette}"


LAYOUTS = [Layout(1280, "light"), Layout(1280, "dark"), Layout(390, "light"), Layout(390, "dark")]
LIGHT = [layout for layout in LAYOUTS if layout.palette == "light"]
"""Where the keyboard and the table views are toured (what they check does not depend on the palette)."""
SCHEMES = {"light": "default", "dark": "slate"}
"""The palette a browser asks for, and the scheme Material then sets on the page's body."""
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
"""The axe-core rules that read colours. A page's markup is the same in either palette (Material only
swaps its colour variables), so the dark palette is checked by these; the light one by every rule."""
FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])"


@dataclass
class Visit:
    """One page open in one layout, with what the page is as built."""

    page: object  # playwright's Page
    address: str
    html: str
    layout: Layout

    @property
    def where(self) -> str:
        return f"/{self.address} ({self.layout})"

    @property
    def has_chart(self) -> bool:
        return 'class="ev-chart"' in self.html

    @property
    def has_skip(self) -> bool:
        return 'class="ev-skip"' in self.html


@dataclass
class Tour:
    """What the checks found on every page in one layout: problems by check, and counts of what
    they saw (so that a check that saw nothing cannot pass unnoticed)."""

    layout: Layout
    problems: dict[str, list[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def found(self, check: str, problem: str) -> None:
        self.problems.setdefault(check, []).append(problem)


AXE_PIN = AXE.with_name("axe.pin.json")


def test_the_vendored_axe_core_is_the_pinned_one():
    pin = json.loads(AXE_PIN.read_text(encoding="utf-8"))
    assert pin["package"] == "axe-core" and re.fullmatch(r"\d+\.\d+\.\d+", pin["version"])
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == pin["file_sha256"]
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{pin['version']}")
    assert AXE.with_name("LICENSE").is_file()


# --- the checks: each reads one visit and records into the tour ---------------------------------------


def palette_and_axe(visit: Visit, tour: Tour) -> None:
    page = visit.page
    scheme = page.evaluate("document.body.dataset.mdColorScheme")
    if scheme != SCHEMES[visit.layout.palette]:
        tour.found("axe", f"{visit.where}: the page's scheme is {scheme!r}")
    rules = None if visit.layout.palette == "light" else COLOUR_RULES
    for violation in axe_violations(page, rules=rules):
        if violation["impact"] in SEVERE:
            targets = "\n      ".join(violation["nodes"][:5])
            tour.found(
                "axe",
                f"{visit.where}: {violation['id']} [{violation['impact']}] {violation['help']}; "
                f"{len(violation['nodes'])} element(s):\n      {targets}",
            )
    tour.counts["axe pages"] += 1


TABLES = r"""() => {
  const alpha = colour => { const m = colour.match(/rgba?\(([^)]*)\)/); const p = m ? m[1].split(',') : [];
                            return p.length === 4 ? parseFloat(p[3]) : (m ? 1 : 0); };
  const article = document.querySelector('.md-content__inner').getBoundingClientRect();
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  return [...document.querySelectorAll('.md-content .md-typeset__scrollwrap')].map(wrap => {
    const table = wrap.querySelector('table'), box = wrap.getBoundingClientRect();
    const hint = wrap.previousElementSibling;
    const first = [...table.rows].map(row => row.cells[0]).filter(Boolean);
    const style = getComputedStyle(first[0]);
    const head = table.tHead ? [...table.tHead.rows[0].cells].map(c => c.textContent.trim()) : [];
    return {
      overflows: wrap.scrollWidth > wrap.clientWidth + 1,
      scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth,
      left: box.left, right: box.right, articleLeft: article.left, articleRight: article.right, rem,
      classes: wrap.className,
      hint: hint && hint.classList.contains('ev-scroll-hint') ? {
        shown: !hint.hidden && hint.getClientRects().length > 0 && hint.getBoundingClientRect().height > 0,
        text: hint.textContent } : null,
      shadow: getComputedStyle(wrap).boxShadow,
      focusable: wrap.tabIndex === 0 && wrap.getAttribute('role') === 'region'
                 && !!wrap.getAttribute('aria-label'),
      sticky: first.every(cell => getComputedStyle(cell).position === 'sticky'),
      opaque: first.every(cell => alpha(getComputedStyle(cell).backgroundColor) === 1),
      background: style.backgroundColor,
      provenance: head.length > 1 && head[head.length - 1] === 'Provenance',
    };
  });
}"""

SCROLLED = """index => {
  // scroll a table to its far end: the first column stays in view, the last comes into view beside it
  const wrap = document.querySelectorAll('.md-content .md-typeset__scrollwrap')[index];
  const table = wrap.querySelector('table'), row = table.tBodies[0].rows[0];
  wrap.scrollLeft = wrap.scrollWidth;
  wrap.dispatchEvent(new Event('scroll'));
  const box = wrap.getBoundingClientRect(), first = row.cells[0].getBoundingClientRect();
  const last = row.cells[row.cells.length - 1].getBoundingClientRect();
  const result = {firstStays: first.left >= box.left - 1 && first.right <= box.right + 1,
                  scrolled: wrap.scrollLeft, firstLeft: first.left, wrapLeft: box.left,
                  lastShown: last.left >= first.right - 1 && last.right <= box.right + 1,
                  lastWidth: last.width, classes: wrap.className};
  wrap.scrollLeft = 0;
  wrap.dispatchEvent(new Event('scroll'));
  return result;
}"""


def sideways_and_tables(visit: Visit, tour: Tour) -> None:
    """No page scrolls sideways; a wide table scrolls inside the article with its first column fixed
    and opaque, a hint and a shadow, and its provenance column readable beside the first; a table
    that fits says none of that."""
    page, width, found = visit.page, visit.layout.width, lambda p: tour.found("layout", p)
    page_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if page_width[0] > page_width[1]:
        found(f"{visit.where}: the page scrolls sideways ({page_width[0]} > {page_width[1]} px)")
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    for index, t in enumerate(page.evaluate(TABLES)):
        where = f"{visit.where}, table {index + 1}"
        # the scrolling box stays inside the page and Material's margin beside the article
        if t["left"] < t["articleLeft"] - t["rem"] - 1 or t["right"] > t["articleRight"] + t["rem"] + 1:
            found(f"{where}: its box sticks out of the article ({t})")
        if t["right"] > width:
            found(f"{where}: its box sticks out of the screen")
        if not t["sticky"] or not t["opaque"] or t["background"] != body:
            found(f"{where}: first column not fixed and opaque ({t['background']} on {body})")
        if not t["overflows"]:
            if t["hint"] is None or t["hint"]["shown"] or "ev-overflows" in t["classes"] or t["focusable"]:
                found(f"{where}: fits, yet says it scrolls ({t})")
            continue
        tour.counts["wide tables"] += 1
        if t["hint"] is None or not t["hint"]["shown"] or "Scroll sideways" not in t["hint"]["text"]:
            found(f"{where}: {t['scrollWidth']} px in {t['clientWidth']} px, and no hint")
        if "ev-more-right" not in t["classes"] or t["shadow"] == "none":
            found(f"{where}: no shadow at the edge where more columns lie ({t['classes']})")
        if not t["focusable"]:
            found(f"{where}: scrolls, but is not a named region a keyboard can scroll")
        scrolled = page.evaluate(SCROLLED, index)
        if not scrolled["firstStays"] or scrolled["scrolled"] < 1:
            found(f"{where}: the first column moves when the table scrolls ({scrolled})")
        if "ev-more-left" not in scrolled["classes"] or "ev-more-right" in scrolled["classes"]:
            found(f"{where}: scrolled to its end, the shadows do not follow ({scrolled})")
        if t["provenance"] and not scrolled["lastShown"]:
            found(f"{where}: the provenance column cannot be read beside the first ({scrolled})")
        if t["provenance"] and scrolled["lastWidth"] < min(width * 0.45, 300):
            found(f"{where}: the provenance column is squeezed ({scrolled['lastWidth']} px)")


def charts_fit(visit: Visit, tour: Tour) -> None:
    """Every chart draws on a direct load and a keyboard reaches it; it takes the layout of its width,
    keeps its labels inside it and the screen, readable, and its toolbar beside the image, never over
    the plot."""
    found = lambda p: tour.found("charts", p)  # noqa: E731
    charts = visit.page.evaluate(CHART_LAYOUT)
    if not charts:
        found(f"{visit.where}: built with a chart, none on the page")
    for chart in charts:
        where = f"{visit.where}#{chart['id']}"
        tour.counts["charts"] += 1
        if chart["layout"] != ("narrow" if visit.layout.narrow else "wide"):
            found(f"{where}: drawn {chart['layout']}")
        if chart["outside"]:
            found(f"{where}: labels outside the chart or the screen: {chart['outside']}")
        if chart["smallest"] < 10:
            found(f"{where}: tick labels too small to read ({chart['smallest']} px)")
        if chart["plots"] == 0 or not chart["drawn"]:
            found(f"{where}: not drawn on a direct load (no plot area shown)")
        if not chart["focusable"]:
            found(f"{where}: a keyboard cannot reach it")
        if not chart["tools"] or chart["toolsInImage"] or chart["buttonsInImage"]:
            found(f"{where}: its toolbar is missing or inside the image")
        if chart["toolsOverPlot"]:
            found(f"{where}: the toolbar covers the plot")


POINTS = """chart => chart.data
    .filter(trace => trace.hoverinfo !== "skip")
    .reduce((n, trace) => n + (trace.x || []).length, 0)"""


def table_views(visit: Visit, tour: Tour) -> None:
    """Each chart's "Table view" button shows a named, scrolling table of every point in the chart's
    place (and the keyboard gives the chart back); with every table view open, axe passes them."""
    page, found = visit.page, lambda p: tour.found("table views", p)
    sideways = "document.documentElement.scrollWidth <= window.innerWidth"
    for index, figure in enumerate(page.locator(".ev-figure").all()):
        where = f"{visit.where}, chart {index + 1}"
        chart = figure.locator("div.ev-chart")
        points = chart.evaluate(POINTS)
        toggle = figure.get_by_role("button", name="Table view")
        table = page.locator("#" + toggle.get_attribute("aria-controls"))
        if toggle.get_attribute("aria-pressed") != "false" or not table.is_hidden():
            found(f"{where}: the table view is open before it is asked for")
        toggle.click()
        rows = table.locator("tbody tr")
        if toggle.get_attribute("aria-pressed") != "true" or not table.is_visible() or not chart.is_hidden():
            found(f"{where}: the button does not swap the chart for its table")
        elif not rows.count() >= points > 0:  # every point, and any figure given in words (not drawn)
            found(f"{where}: {rows.count()} rows for {points} points")
        elif table.locator("thead th").count() != len(rows.first.locator("th, td").all()):
            found(f"{where}: the head and the rows have different numbers of columns")
        if not page.evaluate(sideways):
            found(f"{where}: with the table view open, the page scrolls sideways")
        region = figure.locator(".ev-chart-table [role=region]")
        title = chart.get_attribute("data-export-title")
        if region.get_attribute("tabindex") != "0" or region.get_attribute("aria-label") != f"{title}: table":
            found(f"{where}: the table view is not a named region a keyboard can scroll")
        box = region.bounding_box()
        last = region.locator("tr").first.locator("th, td").last.bounding_box()
        scrolls = region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
        if not scrolls and last["x"] + last["width"] > box["x"] + box["width"] + 1:
            found(f"{where}: the last column is cut off and cannot be scrolled to")
        if figure.locator(".ev-chart-table-hint").is_visible() != scrolls:
            found(f"{where}: the hint does not say whether the table view scrolls ({scrolls})")
        tour.counts["table views"] += 1
    violations = serious_violations(page, within=".ev-figure") if tour.counts["table views"] else []
    for violation in violations:
        found(f"{visit.where}, every table view open: {violation}")
    for index, figure in enumerate(page.locator(".ev-figure").all()):
        toggle = figure.get_by_role("button", name="Table view")
        toggle.focus()
        page.keyboard.press("Enter")  # a real button: the keyboard works it too
        table = page.locator("#" + toggle.get_attribute("aria-controls"))
        shown = figure.locator("div.ev-chart svg.main-svg").first.is_visible()
        if toggle.get_attribute("aria-pressed") != "false" or not table.is_hidden() or not shown:
            found(f"{visit.where}, chart {index + 1}: Enter does not give the chart back")


TAB_TO_CHART = """() => {
  const e = document.activeElement;
  return {chart: e.classList.contains('ev-chart'), skip: !!e.closest('.ev-skip'),
          inTable: !!e.closest('.ev-table')};
}"""


def tab_to_the_first_chart(visit: Visit, tour: Tour) -> None:
    """On a page with a table before a chart: tabbing from the top, taking every skip link met,
    reaches the first chart, and no figure inside a table is a stop on the way."""
    if not re.search(r'class="ev-skip".*class="ev-chart"', visit.html, re.S):
        return
    page, presses, skips = visit.page, 0, 0
    state = {"chart": False}
    while presses < 300:
        page.keyboard.press("Tab")
        presses += 1
        state = page.evaluate(TAB_TO_CHART)
        if state["inTable"]:
            tour.found("keyboard", f"{visit.where}: press {presses} stopped inside a table")
            return
        if state["chart"]:
            break
        if state["skip"]:
            page.keyboard.press("Enter")
            skips += 1
    if not state["chart"] or skips < 1:
        tour.found("keyboard", f"{visit.where}: no chart reached in {presses} presses ({skips} skips)")
    tour.counts["tabbed to a chart"] += 1


SKIP_LINKS = """() => [...document.querySelectorAll('.md-content .ev-skip a')].map(link => {
  const target = document.getElementById(decodeURIComponent(new URL(link.href).hash.slice(1)));
  const table = link.parentElement.nextElementSibling;
  // the mark it leads to is the one right after its own table
  return {id: target && table && table.nextElementSibling === target ? target.id : null};
})"""

FOCUS_BEFORE = """([index, selector]) => {
  // the element a keyboard user leaves just before reaching the skip link: the previous tab stop
  const link = document.querySelectorAll('.md-content .ev-skip a')[index];
  const stops = [...document.querySelectorAll(selector)].filter(e => e.getClientRects().length
      && !e.closest('[hidden]') && e.tabIndex >= 0);
  const before = stops.filter(e => e.compareDocumentPosition(link) & Node.DOCUMENT_POSITION_FOLLOWING);
  before[before.length - 1].focus();
}"""

FOCUSED = """() => {
  const e = document.activeElement, r = e.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {id: e.id, text: e.textContent.trim(), width: r.width, height: r.height,
          inView: r.top >= 0 && r.bottom <= innerHeight, onTop: hit === e || e.contains(hit),
          skip: !!e.closest('.ev-skip')};
}"""

PAINTED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
"""Resolves once the browser has painted twice: after what a key press set in motion."""

AFTER_TABLE = """id => {
  // focus has left the table: it is on an element that follows the skipped table, outside it
  const end = document.getElementById(id), table = end.previousElementSibling, e = document.activeElement;
  return !table.contains(e) && !!(table.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


def skip_every_table(visit: Visit, tour: Tour) -> None:
    """Before every table, Tab reaches a 'Skip table' link, seen only while it has focus; Enter moves
    focus to the end of the table, and the next Tab to what follows it."""
    page, found = visit.page, lambda p: tour.found("keyboard", p)
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    for index, link in enumerate(page.evaluate(SKIP_LINKS)):
        where = f"{visit.where}, table {index + 1}"
        if not link["id"]:
            found(f"{where}: the skip link leads elsewhere than to the end of its table")
            continue
        hidden = page.locator(".md-content .ev-skip a").nth(index).bounding_box()
        if hidden["width"] > 1 or hidden["height"] > 1:
            found(f"{where}: the skip link is shown without focus")
        page.evaluate(FOCUS_BEFORE, [index, FOCUSABLE])
        page.keyboard.press("Tab")
        page.evaluate(PAINTED)  # the scroll that brings the focused link into view is done
        focused = page.evaluate(FOCUSED)
        if not focused["skip"] or focused["text"] != "Skip table":
            found(f"{where}: Tab does not reach the skip link ({focused})")
            continue
        if focused["width"] <= 20 or focused["height"] <= 10:
            found(f"{where}: the skip link is focused but not shown ({focused})")
        if not focused["inView"] or not focused["onTop"]:
            found(f"{where}: the skip link is focused but covered or off-screen ({focused})")
        page.keyboard.press("Enter")
        page.wait_for_function("id => document.activeElement.id === id", arg=link["id"], timeout=5_000)
        page.keyboard.press("Tab")
        if not page.evaluate(AFTER_TABLE, link["id"]):
            found(f"{where}: Tab after skipping went back into the table or before it")
        tour.counts["tables skipped"] += 1


Check = Callable[[Visit, Tour], None]


def reading_checks(visit: Visit) -> list[tuple[str, Check]]:
    """The checks that only read the page: they run in either palette, one after the other."""
    reading: list[tuple[str, Check]] = [("axe", palette_and_axe), ("layout", sideways_and_tables)]
    if visit.has_chart:
        reading.append(("charts", charts_fit))
    return reading


def acting_checks(visit: Visit) -> list[tuple[str, Check]]:
    """The checks that move focus, open details or swap charts for tables: run last, in light, so
    that none disturbs another (what they check does not depend on the palette)."""
    acting: list[tuple[str, Check]] = []
    if not visit.layout.narrow:
        acting.append(("keyboard", tab_to_the_first_chart))
    if visit.has_skip:
        acting.append(("keyboard", skip_every_table))
    if visit.has_chart:
        acting.append(("table views", table_views))
    return acting


SWITCH_PALETTE = """scheme => {
  // what the palette control does when a reader uses it (a click on its input, without moving focus)
  document.querySelector(`form[data-md-component=palette] input[data-md-color-scheme="${scheme}"]`).click();
}"""


def switch_palette(page, palette: str) -> None:
    """Switch the page to the palette with Material's palette control, and wait until the page and
    its charts show it."""
    page.evaluate(SWITCH_PALETTE, SCHEMES[palette])
    page.wait_for_function(PALETTE_SHOWN, arg=SCHEMES[palette], timeout=5_000)


def run_checks(visit: Visit, tour: Tour, checks: list[tuple[str, Check]]) -> None:
    for name, check in checks:
        try:
            check(visit, tour)
        except Exception:  # recorded against its page; the tour goes on
            tour.found(name, f"{visit.where}: the check {check.__name__} broke:\n{traceback.format_exc()}")


def record_troubles(router, visit: Visit, tour: Tour) -> None:
    for trouble in router.troubles():
        tour.found("pages", f"{visit.where}: {trouble}")


def take_tour(browser, site_dir: Path, width: int) -> dict[Layout, Tour]:
    """Open every page once at the width, in the light palette (as the browser asks), and run its
    checks there; switched to the dark palette with the palette control, the checks that only read
    the page run again; then, back in light, those that act on it. A check that breaks down is a
    problem of that check on that page, and the tour goes on to the next page."""
    light, dark = Layout(width, "light"), Layout(width, "dark")
    tours, site_url = {light: Tour(light), dark: Tour(dark)}, real_site_url()
    with routed_page(browser, site_dir, site_url, width=width, checked=False, with_axe=True) as (
        page,
        router,
    ):
        for address in site_pages(site_dir):
            html = page_file(site_dir, address).read_text(encoding="utf-8")
            visits = {layout: Visit(page, address, html, layout) for layout in (light, dark)}
            try:
                open_page(page, site_dir, site_url, address)
            except Exception as exc:  # a page that does not load is a finding
                for layout, tour in tours.items():
                    tour.found("pages", f"{visits[layout].where}: did not load as a reader sees it: {exc}")
                continue
            tours[light].counts["pages"] += 1
            run_checks(visits[light], tours[light], reading_checks(visits[light]))
            record_troubles(router, visits[light], tours[light])
            try:
                switch_palette(page, "dark")
                tours[dark].counts["pages"] += 1
                run_checks(visits[dark], tours[dark], reading_checks(visits[dark]))
            except Exception as exc:
                tours[dark].found("pages", f"{visits[dark].where}: the palette control failed: {exc}")
            record_troubles(router, visits[dark], tours[dark])
            try:
                switch_palette(page, "light")
            except Exception as exc:
                tours[light].found("pages", f"{visits[light].where}: the palette control failed: {exc}")
                continue
            run_checks(visits[light], tours[light], acting_checks(visits[light]))
            record_troubles(router, visits[light], tours[light])
    return tours


@pytest.fixture(scope="module", params=LAYOUTS, ids=str)
def tour(request, tmp_path_factory, browser, built_site) -> Tour:
    """Every page toured once at the layout's width, for the whole run (parallel workers share it)."""
    layout: Layout = request.param

    def make(folder: Path) -> None:
        found = take_tour(browser, built_site / "site", layout.width)
        record = {str(k): {"problems": v.problems, "counts": dict(v.counts)} for k, v in found.items()}
        (folder / "tours.json").write_text(json.dumps(record), encoding="utf-8")

    made = made_once(tmp_path_factory, f"tours-{layout.width}px", make)
    record = json.loads((made / "tours.json").read_text())[str(layout)]
    return Tour(layout, record["problems"], Counter(record["counts"]))


def problems(tour: Tour, check: str) -> str:
    found = tour.problems.get(check, [])
    return f"{len(found)} problem(s):\n" + "\n".join(found)


def test_every_page_opens_as_a_reader_sees_it_and_asks_nothing_outside_the_site(tour, built_site):
    assert tour.counts["pages"] == len(site_pages(built_site / "site")) > 10
    assert not tour.problems.get("pages"), problems(tour, "pages")


def test_no_page_has_a_serious_accessibility_violation(tour):
    assert tour.counts["axe pages"] > 10
    assert not tour.problems.get("axe"), problems(tour, "axe")


def test_no_page_scrolls_sideways_and_wide_tables_say_they_scroll(tour):
    assert not tour.problems.get("layout"), problems(tour, "layout")
    if tour.layout.narrow:
        assert tour.counts["wide tables"] > 5, "at a phone's width, result tables are wider than the screen"


def test_every_chart_draws_fits_the_screen_and_keeps_its_toolbar_outside_the_image(tour):
    assert tour.counts["charts"] >= 3
    assert not tour.problems.get("charts"), problems(tour, "charts")


@pytest.mark.parametrize("tour", LIGHT, ids=str, indirect=True)
def test_every_table_view_lists_every_point_is_a_named_region_and_gives_the_chart_back(tour):
    assert tour.counts["table views"] >= 3
    assert not tour.problems.get("table views"), problems(tour, "table views")


@pytest.mark.parametrize("tour", LIGHT, ids=str, indirect=True)
def test_a_keyboard_user_can_skip_every_table_and_reach_a_chart(tour):
    assert tour.counts["tables skipped"] >= 10
    if not tour.layout.narrow:
        assert tour.counts["tabbed to a chart"] >= 1
    assert not tour.problems.get("keyboard"), problems(tour, "keyboard")
