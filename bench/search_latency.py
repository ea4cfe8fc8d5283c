"""How long a reader of a site searched with Pagefind waits for a query's first result, in a real
browser (Debian's chromium, driven by Playwright), the site served over HTTP from this machine.

Two waits: a query typed into the search page once it has loaded (the reader's usual way: the time
from the last keystroke to the first result shown, Pagefind's pause for typing included), and the
search page opened with the query (`search/?q=`, as the header's box sends it: the time from the
navigation to the first result, the page's own loading included).
"""

from __future__ import annotations

import contextlib
import functools
import statistics
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
QUERIES = ("hazard ratio", "neutropenia", "overall survival", "complete remission", "transplant")
RESULT = ".pagefind-ui__result-title"
WATCH_FIRST_RESULT = (
    "() => { window.evFirst = null; new MutationObserver((changes, observer) => {"
    f" if (document.querySelector('{RESULT}')) {{"
    " window.evFirst = performance.now(); observer.disconnect(); } })"
    ".observe(document.body, {subtree: true, childList: true}); }"
)
"""Notes the time the first result is shown, from the next change of the page on."""


@dataclass
class Latency:
    typed: list[float]
    """Milliseconds from the last keystroke to the first result, each query (after a first one that
    loads Pagefind's index parts is left out: see `first_typed`)."""
    first_typed: float
    opened: list[float]
    """Milliseconds from opening search/?q= to the first result, each query."""

    def summary(self) -> str:
        return (
            f"typed: median {statistics.median(self.typed):.0f} ms (first query {self.first_typed:.0f} ms), "
            f"opened with the query: median {statistics.median(self.opened):.0f} ms"
        )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """The site served on a free port of this machine, for the time of the block."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def measure(site: Path) -> Latency | None:
    """The waits (see the module), or None when the site has no Pagefind index or no browser is here."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not (site / "pagefind").is_dir() or not Path(CHROMIUM).exists():
        return None
    with served(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            first, typed = _typed(browser, url)
            opened = [_opened(browser, url, query) for query in QUERIES]
        finally:
            browser.close()
    return Latency(typed, first, opened)


def _typed(browser, url: str) -> tuple[float, list[float]]:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}search/")
        box = page.locator("#ev-search input")
        box.wait_for()
        page.wait_for_timeout(1000)  # the page settled: what is timed is the query
        waits = []
        for query in QUERIES:
            page.evaluate(WATCH_FIRST_RESULT)
            start = page.evaluate("() => performance.now()")
            box.fill(query)
            page.wait_for_function("() => window.evFirst !== null", timeout=60_000)
            waits.append(page.evaluate("() => window.evFirst") - start)
            box.fill("")
            page.locator(RESULT).first.wait_for(state="detached", timeout=60_000)
        return waits[0], waits[1:]
    finally:
        context.close()


def _opened(browser, url: str, query: str) -> float:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}search/?q={query}", wait_until="commit")
        page.locator(RESULT).first.wait_for(timeout=60_000)
        return float(page.evaluate("() => performance.now()"))
    finally:
        context.close()


if __name__ == "__main__":
    import sys

    found = measure(Path(sys.argv[1]))
    print(found.summary() if found else "not measured: no Pagefind index, or no chromium and Playwright here")
