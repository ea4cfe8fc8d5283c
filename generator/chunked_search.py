"""The chunked search index of a large site: Pagefind's, built from the site's own search index.

Material's search loads one index of the whole site before its first result: 1.5 MB at 100 studies,
15 MB at 1,000. Pagefind splits its index into chunks fetched by the words of a query, so a reader
downloads a few hundred kilobytes whatever the site's size (it needs a web server: the offline copy
keeps Material's index). Its records are made from the index Material's search plugin wrote and the
generator's hook completed (each study page titled with its study, each glossary term found by all
its forms): one small HTML document per page, a heading per section, which Pagefind indexes as it
would the page, with each section as a sub-result and its anchor.

The pagefind binary is the one installed beside this package (`pagefind_bin`), run in an empty
folder with no PAGEFIND_ setting from the environment: no other program or configuration is used.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import BuildError

SEARCH_PAGE = "search.md"
"""The results page of the chunked search (generator.render writes it when the site searches with it)."""
BUNDLE = "pagefind"
"""The folder of the site that holds the chunked index and Pagefind's scripts."""
GLOSSARY_WEIGHT = 7.0
"""The weight of the glossary forms a section prints: as a page title's (Pagefind gives h1 7.0)."""
STUDY_WEIGHT = 0.1
"""The weight of a page's study name: found by it, last (as in Material's index)."""
TIMEOUT = 1800
"""Seconds the indexer may take: it indexes some thousand pages a second; a hang is not waited out."""


@dataclass
class SearchPage:
    """One page of the site as the search index holds it: its sections, each with its anchor."""

    url: str
    title: str
    study: str
    text: str
    sections: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(anchor, title, text, glossary forms) of each section."""
    glossary: str = ""

    def document(self) -> str:
        """The page as an HTML document for Pagefind (the index's text is HTML already)."""
        shown = f"{self.title} · {self.study}" if self.study else self.title
        parts = [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>',
            f'<span data-pagefind-meta="title[content]" content="{_attribute(shown)}"></span>',
            f"<h1>{self.title}</h1>",
            f"<div>{self.text}</div>",
            _weighted(self.glossary, GLOSSARY_WEIGHT),
            _weighted(html.escape(html.unescape(self.study), quote=False), STUDY_WEIGHT),
        ]
        for anchor, title, text, glossary in self.sections:
            parts.append(f'<h2 id="{_attribute(anchor)}">{title}</h2><div>{text}</div>')
            parts.append(_weighted(glossary, GLOSSARY_WEIGHT))
        parts.append("</body></html>")
        return "".join(parts)


def _attribute(value: str) -> str:
    return html.escape(html.unescape(value), quote=True)


def _weighted(markup: str, weight: float) -> str:
    return f'<p data-pagefind-weight="{weight}">{markup}</p>' if markup else ""


def _once(words: str) -> str:
    """Each word once, in order: the forms of the glossary terms a section prints, one per occurrence
    in Material's index, where a reader's excerpt would show the list, not the section's own text."""
    return " ".join(dict.fromkeys(words.split()))


def search_pages(index: dict) -> list[SearchPage]:
    """The pages of Material's search index (as the hook wrote it), in its order."""
    pages: dict[str, SearchPage] = {}
    for doc in index.get("docs", []):
        location = str(doc.get("location", ""))
        path, _, anchor = location.partition("#")
        title, text = str(doc.get("title", "")), str(doc.get("text", ""))
        glossary = _once(str(doc.get("glossary", "")))
        study = " ".join(str(tag) for tag in doc.get("tags") or [])
        page = pages.get(path)
        if page is None:
            page = pages[path] = SearchPage("/" + path, title, study, "" if anchor else text)
            if not anchor:
                page.glossary = glossary
                continue
        page.study = page.study or study
        if anchor:
            page.sections.append((anchor, title, text, glossary))
    return list(pages.values())


def document_path(url: str) -> str:
    """Where the document of a page lies in the indexed folder, so that Pagefind gives it `url`."""
    relative = url.lstrip("/")
    if relative == "" or relative.endswith("/"):
        return relative + "index.html"
    return relative


def write_bundle(site: Path, index: dict) -> int:
    """Index the pages of `site`'s search index (Material's, as the hook completed it) into
    `site/pagefind`, replacing what was there; returns the pages indexed."""
    pages = search_pages(index)
    executable = _executable()
    with tempfile.TemporaryDirectory(prefix="evidence-search-") as scratch:
        documents = Path(scratch) / "pages"
        for page in pages:
            target = documents / document_path(page.url)
            if not target.resolve().is_relative_to(documents.resolve()):
                raise BuildError(f"the search index names a page outside the site: {page.url!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page.document(), encoding="utf-8")
        bundle = Path(scratch) / BUNDLE
        _run(executable, documents, bundle, Path(scratch))
        target = site / BUNDLE
        if target.is_symlink() or target.is_file():
            target.unlink()  # never followed: whatever a link points at stays as it is
        elif target.exists():
            shutil.rmtree(target)
        shutil.copytree(bundle, target)
    return len(pages)


def _executable() -> Path:
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]
    except ImportError:
        raise BuildError(
            "the chunked search needs Pagefind (pagefind[bin]), which is not installed: run `make site`, "
            "or set search.engine: material in site_config.yml"
        ) from None
    try:
        return Path(get_executable())
    except (OSError, RuntimeError) as exc:  # the package is there, its binary is not
        raise BuildError(f"the chunked search needs Pagefind's binary, which cannot be run: {exc}") from None


def _run(executable: Path, documents: Path, bundle: Path, cwd: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PAGEFIND")}
    command = [
        str(executable),
        "--site",
        str(documents),
        "--output-path",
        str(bundle),
        "--force-language",
        "en",
        "--silent",
    ]
    try:
        result = subprocess.run(
            command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"the chunked search index (Pagefind) could not be built: {exc}") from None
    if result.returncode != 0 or not (bundle / "pagefind.js").is_file():
        said = (result.stderr or result.stdout).strip()[-2000:]
        raise BuildError(f"the chunked search index (Pagefind) failed (exit {result.returncode}): {said}")
