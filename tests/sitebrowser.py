"""Serve a built site to a real headless Chromium at its `site_url`, every request answered from disk.

Material navigates instantly only within site_url, so the browser must see the site there; Playwright's
request routing answers each request from the built folder and refuses (and records) any other.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM = "/usr/bin/chromium"
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
