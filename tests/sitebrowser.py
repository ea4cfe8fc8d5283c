"""Serve a built site to a real headless Chromium at its `site_url`, every request answered from disk.

Material navigates instantly only within site_url, so the browser must see the site there; Playwright's
request routing answers each request from the built folder and refuses (and records) any other.
"""

from __future__ import annotations

import mimetypes
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

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


@dataclass
class SiteRouter:
    """Answers requests under `site_url` from `site_dir`; everything else is aborted and recorded."""

    site_dir: Path
    site_url: str
    outside: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

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


@contextmanager
def routed_page(browser, site_dir: Path, site_url: str, *, width: int = 1280, scheme: str = "light"):
    """A fresh page at one width and palette, routed to a built site (touch at a phone's width);
    afterwards, no console error, dialog or request that left the site or missed."""
    router = SiteRouter(site_dir, site_url)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, has_touch=width < PHONE_WIDTH
    )
    context.route("**/*", router.handle)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield page, router
    context.close()
    assert errors == [], errors
    assert router.outside == [], router.outside
    assert router.missing == [], router.missing


AXE = Path(__file__).parent / "fixtures" / "axe" / "axe.min.js"
"""axe-core, pinned (axe.pin.json beside it; scripts/update_axe.py updates it from npm)."""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' ')),
  }));
}"""
SEVERE = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """axe-core's findings on the page as it is now: id, impact, help and the elements."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings, one line each: the rule and its elements."""
    return [
        f"{v['id']}: {', '.join(n.split(':')[0] for n in v['nodes'])}"
        for v in axe_violations(page)
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
