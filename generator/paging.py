"""Long lists in pages of rows: a page that lists every study stays small at any number of studies.

The study index shows PAGE_ROWS studies a page: its first page at its usual address, the next ones
beside it (`page_2.md`, ...; a study's folder, a slug, cannot hold "_"), each with links to the
others, so the whole list reads without JavaScript. Every row is also in one JSON file beside them
(its link and each cell's text), which the page's script reads to filter and sort all rows.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from markupsafe import Markup

from generator.chunked_search import SEARCH_PAGE

PAGE_ROWS = 50
"""Rows a page: 50 rows of the real studies' index are about 150 KB of HTML."""
NEAR = 2
"""How many pages before and after the current one its pager links by number."""
PAGE_FILE = re.compile(r"page_[0-9]+\.md")
"""The name of a list's second and later pages (the first keeps the list's own address)."""


@dataclass(frozen=True)
class Pager:
    """Where a page is among the pages of a list, and the links to the others (relative to it)."""

    number: int
    count: int
    first_row: int
    last_row: int
    rows: int
    size: int

    def link(self, number: int) -> Markup:
        """The Markdown file of page `number`, relative to this one (markup: its "_" stays as it is)."""
        return Markup(PurePosixPath(page_path("index.md", number)).name)

    @property
    def previous(self) -> Markup | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> Markup | None:
        return self.link(self.number + 1) if self.number < self.count else None

    @property
    def numbers(self) -> list[int | None]:
        """The page numbers the pager links: the first, the last and those near this one (None for a gap)."""
        shown = sorted({1, self.count, *range(self.number - NEAR, self.number + NEAR + 1)})
        out: list[int | None] = []
        previous = 0
        for number in (n for n in shown if 1 <= n <= self.count):
            if number - previous == 2:  # one page between: its number, not a gap
                out.append(previous + 1)
            elif number - previous > 2:
                out.append(None)
            out.append(number)
            previous = number
        return out


def page_path(first: str, number: int) -> str:
    """The Markdown file of page `number` of the list whose first page is `first` (an index.md)."""
    return first if number == 1 else str(PurePosixPath(first).parent / f"page_{number}.md")


def paged(rows: list, first: str) -> list[tuple[str, list, Pager | None]]:
    """The rows in pages: each page's file, its rows and its pager (None when one page holds them all)."""
    chunks = [rows[start : start + PAGE_ROWS] for start in range(0, len(rows), PAGE_ROWS)] or [[]]
    if len(chunks) == 1:
        return [(first, rows, None)]
    out: list[tuple[str, list, Pager | None]] = []
    for number, chunk in enumerate(chunks, 1):
        start = (number - 1) * PAGE_ROWS
        pager = Pager(number, len(chunks), start + 1, start + len(chunk), len(rows), PAGE_ROWS)
        out.append((page_path(first, number), chunk, pager))
    return out


def row_pages(keys: list[str], first: str) -> dict[str, str]:
    """The page of each row that is not on the first page, by the row's key, in a list of `keys`."""
    return {
        key: page_path(first, number // PAGE_ROWS + 1)
        for number, key in enumerate(keys)
        if number >= PAGE_ROWS
    }


def relinked(
    files: dict[str, bytes], folder: str, first: str, page: str, anchor_prefix: str
) -> dict[str, bytes]:
    """The Markdown files of `folder` with their links to the anchors of its row (ids starting with
    `anchor_prefix`) on the list's first page `first` pointed at the page the row is on."""
    old = f"]({posixpath.relpath(first, folder)}#{anchor_prefix}".encode()
    new = f"]({posixpath.relpath(page, folder)}#{anchor_prefix}".encode()
    return {
        path: data.replace(old, new) if path.endswith(".md") and old in data else data
        for path, data in files.items()
    }


def unlisted(files: dict[str, bytes]) -> list[str]:
    """The pages reached by links, not the navigation: the pages of lists beyond their first, and the
    search page of a site searched with Pagefind (its header's box opens it)."""
    return sorted(
        path for path in files if PAGE_FILE.fullmatch(PurePosixPath(path).name) or path == SEARCH_PAGE
    )


ATTRIBUTES = re.compile(r"\{[:\s]*[#.][^{}]*\}")
LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\((?:[^()\s\"]+)(?:\s+\"(?:[^\"\\]|\\.)*\")?\)")
TAG = re.compile(r"<[^>]*>")
CELL_SPLIT = re.compile(r"(?<!\\)\|")


def row_cells(markdown: str) -> list[str]:
    """The text of each cell of a Markdown table row as the generator writes it (links to their text,
    attribute lists and tags dropped, escapes undone)."""
    cells = CELL_SPLIT.split(markdown.strip().strip("|"))
    return [_text(cell) for cell in cells]


def _text(cell: str) -> str:
    text = ATTRIBUTES.sub("", cell)
    text = LINK.sub(lambda match: match.group(1), text)
    text = TAG.sub("", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)
    return " ".join(html.unescape(text).split())


def rows_json(columns: list[str], rows: list[tuple[str, str]]) -> bytes:
    """Every row of a list (its study's folder, relative to the list, and its Markdown row) as JSON:
    the columns' headings and each row's link and cells' text."""
    data = {
        "columns": columns,
        "rows": [{"href": f"{folder}/", "cells": row_cells(markdown)} for folder, markdown in rows],
    }
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
