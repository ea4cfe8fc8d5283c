"""The source page: quoted passages marked quietly, lit up only when a figure's link leads to one, and
one small link (or a button with the list of pages) after each, in the real browser at both widths."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import STUDY
from tests.test_audit_page import STUDIES, article, opened, serious_violations, url

CONTROL = re.compile(r'<small class="ev-shown-on">(.*?)</small>', re.S)
CLEAR = ("rgba(0, 0, 0, 0)", "transparent")


def passages(page: str) -> list[str]:
    return re.findall(r'<mark id="(q-\d+)" class="ev-quote">', page)


@pytest.mark.parametrize("slug", STUDIES)
def test_each_passage_has_one_small_way_back_to_the_pages_that_show_it(built_site, slug):
    page = article(built_site / "site", f"studies/{slug}/source")
    assert "ev-backlinks" not in page and "<sup" not in page, "no superscript lists of pages"
    anchors = passages(page)
    controls = CONTROL.findall(page)
    assert anchors and len(controls) == len(anchors), "one control per quoted passage"
    several = 0
    for anchor, control in zip(anchors, controls, strict=True):
        links = re.findall(r'<a href="([^"]+)"', control)
        button = re.search(r'popovertarget="shown-(q-\d+)">.*?(\d+) pages</button>', control)
        if button:
            several += 1
            assert button[1] == anchor and int(button[2]) == len(links) >= 2, control
            assert f'<span id="shown-{anchor}" class="ev-shown-on-list" popover>' in control
        else:
            assert len(links) == 1 and "popover" not in control, control
        assert all("#u-" in link for link in links), "each link leads to the figure on its page"
        assert "shown on" in control, "a screen reader hears what the link is"
    assert slug != STUDY or several > 0


def test_the_pages_names_after_passages_are_not_in_the_search_index(built_site):
    index = json.loads((built_site / "site/search/search_index.json").read_text())
    source = [d for d in index["docs"] if re.match(r"studies/[^/]+/source/", d["location"])]
    assert source
    for entry in source:
        text = entry["text"]
        assert "Shown on:" not in text and "shown on " not in text, entry["location"]
        assert not re.search(r"\d pages", text), entry["location"]


STYLE = """el => { const s = getComputedStyle(el);
    return {background: s.backgroundColor, line: s.textDecorationLine, style: s.textDecorationStyle,
            outline: s.outlineStyle}; }"""


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_passages_are_quiet_until_a_figure_leads_to_one(browser, built_site, scheme):
    with opened(browser, built_site / "site", scheme=scheme) as page:
        page.goto(url("efficacy"))
        page.locator("#u-responses-cr-all-count").click()
        page.wait_for_url(re.compile(r".*/source/#q-\d+$"))
        target = page.locator("mark.ev-quote:target")
        target.wait_for()
        lit = target.evaluate(STYLE)
        assert lit["background"] not in CLEAR and lit["outline"] == "solid", lit
        quiet = page.locator("mark.ev-quote:not(:target)").first.evaluate(STYLE)
        assert quiet == {
            "background": quiet["background"],
            "line": "underline",
            "style": "dotted",
            "outline": "none",
        }
        assert quiet["background"] in CLEAR, "no passage covers the text until it is the target"
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == (
            "slate" if scheme == "dark" else "default"
        )


@pytest.mark.browser
def test_the_list_of_pages_opens_by_keyboard_and_leads_to_the_figure(browser, built_site):
    with opened(browser, built_site / "site") as page:
        page.goto(url("source"))
        page.evaluate("window.__sameWindow = 'kept'")
        button = page.locator("button.ev-shown-on-button").first
        popover = page.locator(f"#{button.get_attribute('popovertarget')}")
        assert not popover.is_visible()
        button.focus()
        page.keyboard.press("Enter")
        popover.wait_for(state="visible")
        assert popover.evaluate("p => p.matches(':popover-open')")
        page.keyboard.press("Escape")
        popover.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.classList.contains('ev-shown-on-button')")
        page.keyboard.press("Enter")
        popover.wait_for(state="visible")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('[popover]') && document.activeElement.href")
        assert focused and "#u-" in focused, "Tab moves into the list"
        page.keyboard.press("Enter")
        page.wait_for_url(focused)
        figure = focused.split("#", 1)[1]
        page.locator(f"a.ev-value#{figure}").wait_for(state="attached")
        assert page.evaluate("window.__sameWindow") == "kept", "instant navigation"


@pytest.mark.browser
def test_a_passage_shown_on_one_page_links_straight_to_its_figure(browser, built_site):
    with opened(browser, built_site / "site") as page:
        page.goto(url("source"))
        link = page.locator("small.ev-shown-on > a").first
        assert "shown on" in link.evaluate("a => a.textContent")
        href = link.evaluate("a => a.href")
        assert re.search(r"/studies/[^/]+/[^#]*#u-[\w-]+$", href), href
        link.click()
        page.wait_for_url(href)
        page.locator(f"a.ev-value#{href.split('#', 1)[1]}").wait_for(state="attached")


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_source_page_fits_a_phone_with_its_list_open(browser, built_site, scheme):
    with opened(browser, built_site / "site", width=390, scheme=scheme) as page:
        for slug in STUDIES:
            page.goto(url("source", slug))
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), slug
            buttons = page.locator("button.ev-shown-on-button")
            if not buttons.count():
                continue
            button = buttons.last
            button.scroll_into_view_if_needed()
            button.click()
            popover = page.locator(f"#{button.get_attribute('popovertarget')}")
            popover.wait_for(state="visible")
            box = popover.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
            colours = popover.evaluate(
                "p => [getComputedStyle(p).color, getComputedStyle(p).backgroundColor]"
            )
            assert colours[0] != colours[1] and colours[1] not in CLEAR, colours
            page.keyboard.press("Escape")


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_targeted_passage_and_an_open_list_pass_axe(browser, built_site, width, scheme):
    with opened(browser, built_site / "site", width=width, scheme=scheme) as page:
        page.goto(url("efficacy"))
        page.locator("#u-responses-cr-all-count").click()
        page.locator("mark.ev-quote:target").wait_for()
        page.locator("button.ev-shown-on-button").first.focus()
        page.keyboard.press("Enter")
        page.locator(".ev-shown-on-list:popover-open").wait_for()
        assert serious_violations(page) == []
