"""Reading built pages as a person would: the visible text of an HTML file."""

from __future__ import annotations

import html
import re
from pathlib import Path


def page_text(site: Path, page: str) -> str:
    """Visible text of the page's article (scripts and tags removed, whitespace collapsed)."""
    raw = (site / page / "index.html").read_text(encoding="utf-8")
    article = raw.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]
    article = re.sub(r"<script\b.*?</script>", " ", article, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", article))
    return re.sub(r"\s+", " ", text)
