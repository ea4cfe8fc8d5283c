"""The layout of every page of the real built site at a phone's width (390 px) and a desktop's (1280 px),
in a real Chromium: no page scrolls sideways; a table wider than its place scrolls inside it, with its
first column fixed and opaque, a hint and a shadow that say more columns lie aside, and its provenance
column readable beside the fixed one; a table that fits shows none of that. On a phone, a tap on a
figure follows it to where it comes from.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import needed
from tests.test_accessibility import open_page, page_file, site_page, site_pages
from tests.test_accessibility import site_url as site_url  # the fixture

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI

LAYOUTS = [(1280, "light"), (390, "light"), (390, "dark")]

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


@pytest.mark.parametrize(("width", "scheme"), LAYOUTS, ids=[f"{w}px-{s}" for w, s in LAYOUTS])
def test_no_page_scrolls_sideways_and_wide_tables_say_they_scroll(
    browser, built_site, site_url, width, scheme
):
    site_dir = built_site / "site"
    problems: list[str] = []
    wide = 0
    with site_page(browser, site_dir, site_url, width, scheme) as page:
        for address in site_pages(site_dir):
            open_page(page, site_dir, site_url, address)
            page_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if page_width[0] > page_width[1]:
                problems.append(
                    f"/{address}: the page scrolls sideways ({page_width[0]} > {page_width[1]} px)"
                )
            body = page.evaluate("getComputedStyle(document.body).backgroundColor")
            for index, t in enumerate(page.evaluate(TABLES)):
                where = f"/{address}, table {index + 1}"
                # the scrolling box stays inside the page and Material's margin beside the article
                if (
                    t["left"] < t["articleLeft"] - t["rem"] - 1
                    or t["right"] > t["articleRight"] + t["rem"] + 1
                ):
                    problems.append(f"{where}: its box sticks out of the article ({t})")
                if t["right"] > width:
                    problems.append(f"{where}: its box sticks out of the screen")
                if not t["sticky"] or not t["opaque"] or t["background"] != body:
                    problems.append(
                        f"{where}: first column not fixed and opaque ({t['background']} on {body})"
                    )
                if not t["overflows"]:
                    if (
                        t["hint"] is None
                        or t["hint"]["shown"]
                        or "ev-overflows" in t["classes"]
                        or t["focusable"]
                    ):
                        problems.append(f"{where}: fits, yet says it scrolls ({t})")
                    continue
                wide += 1
                if t["hint"] is None or not t["hint"]["shown"] or "Scroll sideways" not in t["hint"]["text"]:
                    problems.append(f"{where}: {t['scrollWidth']} px in {t['clientWidth']} px, and no hint")
                if "ev-more-right" not in t["classes"] or t["shadow"] == "none":
                    problems.append(f"{where}: no shadow at the edge where more columns lie ({t['classes']})")
                if not t["focusable"]:
                    problems.append(f"{where}: scrolls, but is not a named region a keyboard can scroll")
                scrolled = page.evaluate(SCROLLED, index)
                if not scrolled["firstStays"] or scrolled["scrolled"] < 1:
                    problems.append(f"{where}: the first column moves when the table scrolls ({scrolled})")
                if "ev-more-left" not in scrolled["classes"] or "ev-more-right" in scrolled["classes"]:
                    problems.append(f"{where}: scrolled to its end, the shadows do not follow ({scrolled})")
                if t["provenance"] and not scrolled["lastShown"]:
                    problems.append(
                        f"{where}: the provenance column cannot be read beside the first ({scrolled})"
                    )
                if t["provenance"] and scrolled["lastWidth"] < min(width * 0.45, 300):
                    problems.append(
                        f"{where}: the provenance column is squeezed ({scrolled['lastWidth']} px)"
                    )
    assert not problems, "\n".join(problems)
    if width < 600:
        assert wide > 5, "at a phone's width, the result tables are wider than the screen: none found"


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
