"""Serve a built site to a real headless Chromium at its `site_url`, every request answered from disk.

Material navigates instantly only within site_url, so the browser must see the site there; Playwright's
request routing answers each request from the built folder and refuses (and records) any other.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

CHROMIUM = "/usr/bin/chromium"
PHONE_WIDTH = 600
"""Below this viewport width a test page has touch, as a phone."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


MKDOCS_YML = Path(__file__).resolve().parent.parent / "mkdocs.yml"


def real_site_url() -> str:
    """The address the project's site is published at (mkdocs.yml's site_url)."""
    return yaml.load(MKDOCS_YML.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["site_url"]


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


@dataclass
class SiteRouter:
    """Answers requests under `site_url` from `site_dir`; everything else is aborted and recorded,
    as are the page's console errors and dialogs."""

    site_dir: Path
    site_url: str
    outside: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def file_for(self, url: str) -> Path | None:
        path = unquote(urlsplit(url).path)
        base = urlsplit(self.site_url).path
        relative = path[len(base) :] if path.startswith(base) else path.lstrip("/")
        target = (self.site_dir / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.site_dir.resolve()) or not target.is_file():
            return None
        return target

    def handle(self, route, request) -> None:
        url = request.url
        if not url.startswith(self.site_url):
            self.outside.append(url)
            route.abort("blockedbyclient")
            return
        target = self.file_for(url)
        if target is None:
            self.missing.append(url)
            route.fulfill(status=404, body="not found")
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=target.read_bytes(), headers={"content-type": content_type})

    def troubles(self) -> list[str]:
        """What went wrong since the last call: console errors and dialogs, requests that left the
        site or found nothing. Clears them, so each page's are its own."""
        found = [f"console: {e}" for e in self.errors] + [f"outside the site: {u}" for u in self.outside]
        found += [f"missing: {u}" for u in self.missing]
        for recorded in (self.errors, self.outside, self.missing):
            recorded.clear()
        return found


@contextmanager
def routed_page(
    browser,
    site_dir: Path,
    site_url: str,
    *,
    width: int = 1280,
    scheme: str = "light",
    checked: bool = True,
    with_axe: bool = False,
):
    """A fresh page at one width and palette, routed to a built site (touch at a phone's width);
    afterwards (unless `checked` is false: the caller reads `router.troubles()` itself), no console
    error, dialog or request that left the site or missed. `with_axe` puts axe-core in every page it
    opens, sent to the browser once (injecting it page by page sends and parses 650 KB each time)."""
    router = SiteRouter(site_dir, site_url)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, has_touch=width < PHONE_WIDTH
    )
    if with_axe:
        context.add_init_script(path=str(AXE))
    context.route("**/*", router.handle)
    page = context.new_page()
    errors = router.errors
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield page, router
    context.close()
    if checked:
        assert router.troubles() == []


@contextmanager
def site_page(browser, site_dir: Path, site_url: str, width: int, scheme: str) -> Iterator:
    """A page at one width and palette, routed to the built site (see routed_page)."""
    with routed_page(browser, site_dir, site_url, width=width, scheme=scheme) as (page, _):
        yield page


CHART_LAYOUT = """() => {
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
            drawn: [...chart.querySelectorAll(".plot-container svg.main-svg")]
                .some(svg => svg.getBoundingClientRect().width > 0),
            focusable: chart.tabIndex === 0,
        };
    });
}"""
"""Where each chart of the page lies and what it shows: its layout, labels outside it or the screen,
the smallest tick label, and whether its toolbar is inside the image or over a plot."""


PALETTE_SHOWN = """scheme => {
  const fg = getComputedStyle(document.body).getPropertyValue('--md-default-fg-color').trim();
  return document.body.dataset.mdColorScheme === scheme && [...document.querySelectorAll('div.ev-chart')]
    .every(chart => chart.dataset.drawn === 'true' && chart.layout.font.color === fg);
}"""
"""True once the page shows the scheme (Material's `default` or `slate`) and every chart is drawn
in its foreground colour."""


AXE = Path(__file__).parent / "fixtures" / "axe" / "axe.min.js"
"""axe-core, pinned (axe.pin.json beside it; scripts/update_axe.py updates it from npm)."""
AXE_RUN = """async ([selector, rules]) => {
  const context = selector ? document.querySelectorAll(selector) : document;
  const only = rules ? {runOnly: {type: 'rule', values: rules}} : {};
  const result = await axe.run(context, {resultTypes: ['violations'], ...only});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' ')),
  }));
}"""
SEVERE = {"serious", "critical"}


def axe_violations(page, within: str | None = None, rules: list[str] | None = None) -> list[dict]:
    """axe-core's findings on the page as it is now (or only in the elements the CSS selector
    `within` finds; only by `rules`, if given): id, impact, help and the elements."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, [within, rules])


def serious_violations(page, within: str | None = None) -> list[str]:
    """axe-core's serious and critical findings, one line each: the rule and its elements."""
    return [
        f"{v['id']}: {', '.join(n.split(':')[0] for n in v['nodes'])}"
        for v in axe_violations(page, within)
        if v["impact"] in SEVERE
    ]


CONTROL_IMAGE = """() => new Promise(resolve => {
    const box = document.createElement("div");
    box.innerHTML = '<img src="data:," onerror="this.dataset.ran = 1">';
    const image = box.firstChild;
    image.addEventListener("error", () => resolve(image.dataset.ran === "1"));
})"""
"""A control: markup with an image that cannot load, whose inline onerror marks it; resolves once its
error event has run, true if the inline handler ran (as hostile markup's would)."""


def wait_until_markup_could_have_run(page) -> None:
    """Wait on events, not time, before checking that nothing hostile ran: every image of the page
    has loaded or failed, so the error event of one that should not exist is queued; then a control
    image's error event, queued after it, has run its inline handler. Markup that runs when parsed
    (a script, an svg onload) has run by then too; if inline handlers cannot run at all, the control
    fails, so the check is never passed by a page where nothing could have run."""
    page.wait_for_function("[...document.images].every(image => image.complete)")
    assert page.evaluate(CONTROL_IMAGE) is True, "the control image's inline onerror did not run"
