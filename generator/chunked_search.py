"""The chunked search index of a large site: Pagefind's, built from the site's own search index.

Material's search loads one index of the whole site before its first result: 1.5 MB at 100 studies,
15 MB at 1,000. Pagefind splits its index into chunks fetched by the words of a query, so a reader
downloads a few hundred kilobytes whatever the site's size (it needs a web server: the offline copy
keeps Material's index). Its records are made from the index Material's search plugin wrote and the
generator's hook completed (each glossary term found by all its forms): a small HTML document for
each study, titled with the study, its pages and their sections each a heading and a sub-result that
leads to its own address; and one for each other page, a heading per section. Pagefind's metadata,
which every query loads, lists the records: one a study keeps it small (60 KB at 10,000 studies,
against 412 KB for one a page).

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
RECORD_FIELD = "record"
"""The search index's field for the URL of the record a page's document goes in (its study's first
page), which the hook writes (`generator.mkdocs_hooks.searchable`); left out where the page is its own
record, and in a site Material searches."""
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
    record: str = ""
    """The URL of the record the page goes in (its study's first page); its own URL when empty."""

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

    def parts(self) -> list[str]:
        """The page as a part of its study's record: a heading for the page and one for each of its
        sections, each with the address it leads to (`PAGE_MARK`, then its path from the site's root)."""
        path = self.url.lstrip("/")
        parts = [f'<h2 id="{_attribute(PAGE_MARK + path)}">{self.title}</h2><div>{self.text}</div>']
        parts.append(_weighted(self.glossary, GLOSSARY_WEIGHT))
        for anchor, title, text, glossary in self.sections:
            heading = f'<h3 id="{_attribute(f"{PAGE_MARK}{path}#{anchor}")}">{title}</h3>'
            parts.append(f"{heading}<div>{text}</div>{_weighted(glossary, GLOSSARY_WEIGHT)}")
        return parts


@dataclass
class StudyRecord:
    """The one record of a study: its pages, each page and section a sub-result with its own address.

    A reader's result is the study, with the pages and sections that matched beneath it; and the
    index lists one record a study rather than one a page (Pagefind's metadata, which every query
    loads, grows with the records: 412 KB for 70,803 pages of 10,000 studies)."""

    url: str
    pages: list[SearchPage]

    @property
    def title(self) -> str:
        return next((page.study for page in self.pages if page.study), self.pages[0].title)

    def document(self) -> str:
        """The study as an HTML document for Pagefind: its title, then each page and section."""
        parts = [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>',
            f'<span data-pagefind-meta="title[content]" content="{_attribute(self.title)}"></span>',
            # found by its name too, last: the words of a title (a drug, a disease) do not outrank
            # the studies whose pages print the words searched for
            _weighted(html.escape(html.unescape(self.title), quote=False), STUDY_WEIGHT),
        ]
        for page in self.pages:
            parts.extend(page.parts())
        parts.append("</body></html>")
        return "".join(parts)


PAGE_MARK = "ev-page:"
"""The start of a sub-result's anchor in a study's record, the path it leads to following: the search
page's script (templates/assets/javascripts/search.js) makes the link of it."""


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
            page.record = "/" + str(doc.get(RECORD_FIELD) or path)
            if not anchor:
                page.glossary = glossary
                continue
        page.study = page.study or study
        if anchor:
            page.sections.append((anchor, title, text, glossary))
    return list(pages.values())


def search_records(pages: list[SearchPage]) -> list[SearchPage | StudyRecord]:
    """The records of the chunked index, in the pages' order: a study's pages in one (`StudyRecord`,
    a study of one page too, so that every study's result is under its title), each other page its
    own."""
    groups: dict[str, list[SearchPage]] = {}
    for page in pages:
        groups.setdefault(page.record or page.url, []).append(page)
    return [
        group[0]
        if len(group) == 1 and group[0].url == url and not group[0].study
        else StudyRecord(url, group)
        for url, group in groups.items()
    ]


def document_path(url: str) -> str:
    """Where the document of a page lies in the indexed folder, so that Pagefind gives it `url`."""
    relative = url.lstrip("/")
    if relative == "" or relative.endswith("/"):
        return relative + "index.html"
    return relative


def write_bundle(site: Path, index: dict, *, scratch_in: Path | None = None) -> int:
    """Index the pages of `site`'s search index (Material's, as the hook completed it) into
    `site/pagefind`, replacing what was there; returns the records indexed (one a study, one each
    other page). `scratch_in`: a folder the generator owns on the site's file system (a build's
    staging folder), to work in and move the index from; else the system's temporary folder."""
    records = search_records(search_pages(index))
    executable = _executable()
    with tempfile.TemporaryDirectory(prefix="evidence-search-", dir=scratch_in) as made:
        scratch = Path(made).absolute()  # Pagefind runs in it: its paths must not be relative to here
        documents = scratch / "pages"
        for record in records:
            target = documents / document_path(record.url)
            if not target.resolve().is_relative_to(documents.resolve()):
                raise BuildError(f"the search index names a page outside the site: {record.url!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(record.document(), encoding="utf-8")
        bundle = scratch / BUNDLE
        _run(executable, documents, bundle, scratch)
        target = site / BUNDLE
        if target.is_symlink() or target.is_file():
            target.unlink()  # never followed: whatever a link points at stays as it is
        elif target.exists():
            shutil.rmtree(target)
        try:
            os.rename(bundle, target)  # on the same file system: moved, not copied
        except OSError:
            shutil.copytree(bundle, target)
    return len(records)


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
