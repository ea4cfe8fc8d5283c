"""Reading built pages as a person would: the visible text of an HTML file."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path


def page_text(site: Path, page: str) -> str:
    """Visible text of the page's article (scripts and tags removed, whitespace collapsed)."""
    raw = (site / page / "index.html").read_text(encoding="utf-8")
    article = raw.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]
    article = re.sub(r"<script\b.*?</script>", " ", article, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", article))
    return re.sub(r"\s+", " ", text)


PROVENANCE_MARKS = {"ev-value", "ev-quote", "ev-how", "ev-check", "ev-source", "ev-label"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _UnmarkedNumbers(HTMLParser):
    """Text with a digit that no provenance mark encloses, inside the page's article."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, set[str]]] = []
        self.in_article = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "article" and "md-content__inner" in classes:
            self.in_article += 1
        if tag not in VOID:
            self.stack.append((tag, classes))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, classes = self.stack.pop()
            if open_tag == "article" and "md-content__inner" in classes:
                self.in_article -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.in_article or not re.search(r"\d", data):
            return
        if any(tag in ("script", "style") for tag, _ in self.stack):
            return
        if not any(classes & PROVENANCE_MARKS for _, classes in self.stack):
            self.found.append(data.strip())


def unmarked_numbers(page_html: str) -> list[str]:
    parser = _UnmarkedNumbers()
    parser.feed(page_html)
    return parser.found


def element_ids(page_html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page_html))


def study_titles(built_site) -> dict[str, str]:
    """Each study's folder and its title, as the navigation gives them."""
    nav = json.loads((built_site / "docs" / ".nav.json").read_text())
    studies = next(item["Studies"] for item in nav if "Studies" in item)
    titles = {}
    for section in studies:
        ((title, pages),) = section.items()
        if isinstance(pages, list):
            ((_, first),) = pages[0].items()
            titles[first.split("/")[1]] = title
    return titles
