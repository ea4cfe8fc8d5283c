"""Accessibility of the real built site, in a real Chromium: axe-core finds no serious or critical
violation on any page, at a desktop and a phone width, in the light and the dark palette; and a
keyboard user can skip every table.

The pages are found in the built site, not named here. axe-core is the copy pinned in
tests/fixtures/axe (scripts/update_axe.py updates it), injected into each page as it is. One browser,
and one page for each width and palette, serve every page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, needed
from tests.sitebrowser import AXE, SEVERE, axe_violations, routed_page

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI

AXE_PIN = AXE.with_name("axe.pin.json")
WIDTHS = (1280, 390)
SCHEMES = {"light": "default", "dark": "slate"}
"""The palette a browser asks for, and the scheme Material then sets on the page's body."""
FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])"


def site_pages(site_dir: Path) -> list[str]:
    """Every page of a built site, as its address under the site ('' for the home page)."""
    pages = [
        "" if page.parent == site_dir else page.parent.relative_to(site_dir).as_posix() + "/"
        for page in site_dir.rglob("index.html")
    ]
    return sorted(pages) + (["404.html"] if (site_dir / "404.html").is_file() else [])


def page_file(site_dir: Path, address: str) -> Path:
    return site_dir / address if address.endswith(".html") else site_dir / address / "index.html"


def static_tables(site_dir: Path, address: str) -> int:
    """How many tables the page's article holds as built (Material wraps each in a scrolling box)."""
    text = page_file(site_dir, address).read_text(encoding="utf-8")
    article = text.split('<article class="md-content__inner md-typeset">', 1)[-1].split("</article>", 1)[0]
    return len(re.findall(r"<table[\s>]", article))


@pytest.fixture(scope="module")
def site_url() -> str:
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["site_url"]


@contextmanager
def site_page(browser, site_dir: Path, site_url: str, width: int, scheme: str) -> Iterator:
    """A page at one width and palette, routed to the built site (see sitebrowser.routed_page)."""
    with routed_page(browser, site_dir, site_url, width=width, scheme=scheme) as (page, _):
        yield page


def open_page(page, site_dir: Path, site_url: str, address: str) -> None:
    """Go to a page and wait until it is as a reader sees it: its charts drawn and its tables set up."""
    page.goto(site_url + address)
    page.wait_for_function(
        """n => [...document.querySelectorAll('div.ev-chart')].every(c => c.dataset.drawn === 'true')
             && document.querySelectorAll('.md-content .md-typeset__scrollwrap[data-ev-scroll]').length
                >= n""",
        arg=static_tables(site_dir, address),
        timeout=15_000,
    )


def test_the_vendored_axe_core_is_the_pinned_one():
    pin = json.loads(AXE_PIN.read_text(encoding="utf-8"))
    assert pin["package"] == "axe-core" and re.fullmatch(r"\d+\.\d+\.\d+", pin["version"])
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == pin["file_sha256"]
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{pin['version']}")
    assert AXE.with_name("LICENSE").is_file()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px")
def test_no_page_has_a_serious_accessibility_violation(browser, built_site, site_url, width, scheme):
    site_dir = built_site / "site"
    pages = site_pages(site_dir)
    assert len(pages) > 10 and "" in pages
    found: list[str] = []
    with site_page(browser, site_dir, site_url, width, scheme) as page:
        for address in pages:
            open_page(page, site_dir, site_url, address)
            assert page.evaluate("document.body.dataset.mdColorScheme") == SCHEMES[scheme], address
            for violation in axe_violations(page):
                if violation["impact"] in SEVERE:
                    targets = "\n      ".join(violation["nodes"][:5])
                    found.append(
                        f"/{address} ({width} px, {scheme}): {violation['id']} [{violation['impact']}] "
                        f"{violation['help']}; {len(violation['nodes'])} element(s):\n      {targets}"
                    )
    assert not found, f"{len(found)} serious or critical axe-core violations:\n" + "\n".join(found)


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

AFTER_TABLE = """id => {
  // focus has left the table: it is on an element that follows the skipped table, outside it
  const end = document.getElementById(id), table = end.previousElementSibling, e = document.activeElement;
  return !table.contains(e) && !!(table.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


@pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px")
def test_a_keyboard_user_can_skip_every_table(browser, built_site, site_url, width):
    """On every page, before every table: Tab reaches a 'Skip table' link, seen only while it has focus;
    Enter moves focus to the end of the table, and the next Tab to what follows it."""
    site_dir = built_site / "site"
    skipped = 0
    with site_page(browser, site_dir, site_url, width, "light") as page:
        for address in site_pages(site_dir):
            if 'class="ev-skip"' not in page_file(site_dir, address).read_text(encoding="utf-8"):
                continue
            open_page(page, site_dir, site_url, address)
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            for index, link in enumerate(page.evaluate(SKIP_LINKS)):
                where = f"/{address}, table {index + 1}"
                assert link["id"], f"{where}: the skip link leads elsewhere than to the end of its table"
                hidden = page.locator(".md-content .ev-skip a").nth(index).bounding_box()
                assert hidden["width"] <= 1 and hidden["height"] <= 1, f"{where}: shown without focus"
                page.evaluate(FOCUS_BEFORE, [index, FOCUSABLE])
                page.keyboard.press("Tab")
                focused = page.evaluate(FOCUSED)
                assert focused["skip"] and focused["text"] == "Skip table", (where, focused)
                assert focused["width"] > 20 and focused["height"] > 10, f"{where}: focused but not shown"
                assert focused["inView"] and focused["onTop"], f"{where}: focused but covered or off-screen"
                page.keyboard.press("Enter")
                page.wait_for_function("id => document.activeElement.id === id", arg=link["id"])
                page.keyboard.press("Tab")
                assert page.evaluate(AFTER_TABLE, link["id"]), f"{where}: Tab after skipping went back"
                skipped += 1
    assert skipped >= 10


TAB_TO_CHART = """() => {
  const e = document.activeElement;
  return {chart: e.classList.contains('ev-chart'), skip: !!e.closest('.ev-skip'),
          inTable: !!e.closest('.ev-table')};
}"""


def test_skipping_tables_reaches_a_chart_without_passing_a_figure_of_a_table(browser, built_site, site_url):
    """Tabbing from the top of each page that has a table before a chart, and taking every skip link
    met: the first chart is reached and no figure inside a table was a stop on the way."""
    site_dir = built_site / "site"
    pages = [
        address
        for address in site_pages(site_dir)
        if re.search(r'class="ev-skip".*class="ev-chart"', page_file(site_dir, address).read_text(), re.S)
    ]
    assert pages
    with site_page(browser, site_dir, site_url, 1280, "light") as page:
        for address in pages:
            open_page(page, site_dir, site_url, address)
            presses, skips = 0, 0
            while presses < 300:
                page.keyboard.press("Tab")
                presses += 1
                state = page.evaluate(TAB_TO_CHART)
                assert not state["inTable"], f"/{address}: press {presses} stopped inside a table"
                if state["chart"]:
                    break
                if state["skip"]:
                    page.keyboard.press("Enter")
                    skips += 1
            assert state["chart"] and skips >= 1, f"/{address}: no chart reached in {presses} presses"
