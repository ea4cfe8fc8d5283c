"""Long lists in pages of rows: a page that lists every study stays small at any number of studies.

The study index and each comparison show about PAGE_ROWS rows a page (a study's rows are never split
between two pages): the first page at the list's usual address, the next ones beside it (the study
index's `page_2.md`, ..., a comparison's `<outcome>_page_2.md`, ...; a slug cannot hold "_"), each
with links to the others, so the whole list reads without JavaScript. The study index's rows are also
in one JSON file beside them (each row's link and cells' text), which its script filters and sorts.
A study's own pages link its figures where they are shown: those links, and the pages the published
figures name (`shown_on`), follow a row to the page it is on.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from markupsafe import Markup

from generator.chunked_search import SEARCH_PAGE

PAGE_ROWS = 50
"""Rows a page: 50 rows of the real studies' index are about 150 KB of HTML."""
NEAR = 2
"""How many pages before and after the current one its pager links by number."""
PAGE_FILE = re.compile(r"(?:[a-z0-9-]+_)?page_[0-9]+\.md")
"""The name of a list's second and later pages (the first keeps the list's own address)."""


@dataclass(frozen=True)
class Pager:
    """Where a page is among the pages of a list, and the links to the others (relative to it)."""

    first: str
    """The list's first page (its Markdown file, relative to the docs folder)."""
    number: int
    count: int
    first_row: int
    last_row: int
    rows: int

    def link(self, number: int) -> Markup:
        """The Markdown file of page `number`, relative to this one (markup: its "_" stays as it is)."""
        return Markup(PurePosixPath(page_path(self.first, number)).name)

    @property
    def size(self) -> int:
        """The rows a page holds (a page of a list whose rows are grouped may hold more)."""
        return PAGE_ROWS

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
    """The Markdown file of page `number` of the list whose first page is `first`."""
    if number == 1:
        return first
    path = PurePosixPath(first)
    name = f"page_{number}.md" if path.name == "index.md" else f"{path.stem}_page_{number}.md"
    return str(path.parent / name)


def _chunks(keys: Sequence[Hashable]) -> list[list[int]]:
    """The rows' positions in pages of about PAGE_ROWS, a new page only where the key changes."""
    chunks: list[list[int]] = []
    current: list[int] = []
    for position, key in enumerate(keys):
        if len(current) >= PAGE_ROWS and key != keys[position - 1]:
            chunks.append(current)
            current = []
        current.append(position)
    return [*chunks, current] if current or not chunks else chunks


def paged(
    rows: list, first: str, keys: Sequence[Hashable] | None = None
) -> list[tuple[str, list, Pager | None]]:
    """The rows in pages: each page's file, its rows and its pager (None when one page holds them
    all). Rows of the same key (`keys`, one a row; by default each row its own) share a page."""
    chunks = _chunks(list(range(len(rows))) if keys is None else keys)
    if len(chunks) == 1:
        return [(first, rows, None)]
    out: list[tuple[str, list, Pager | None]] = []
    for number, chunk in enumerate(chunks, 1):
        pager = Pager(first, number, len(chunks), chunk[0] + 1, chunk[-1] + 1, len(rows))
        out.append((page_path(first, number), [rows[i] for i in chunk], pager))
    return out


def moved_rows(lists: list[tuple[str, list[str]]]) -> dict[str, dict[str, str]]:
    """Of each key (a study) with a row beyond the first page of a list (its first page and the keys
    of its rows): the list's first page and the page its rows are on."""
    moves: dict[str, dict[str, str]] = {}
    for first, keys in lists:
        for number, chunk in enumerate(_chunks(list(keys)), 1):
            for position in chunk if number > 1 else ():
                moves.setdefault(keys[position], {})[first] = page_path(first, number)
    return moves


def relinked(
    files: dict[str, bytes], folder: str, moves: dict[str, str], anchor_prefix: str, pages: set[str]
) -> dict[str, bytes]:
    """The `pages` of `folder` (those that link a figure where it is shown) with their links to its
    rows' anchors (ids starting with `anchor_prefix`) on a list's first page pointed at the page its
    rows are on (`moves`). Only those pages: elsewhere the same bytes could be a chart's data."""
    pairs = [
        (
            f"]({posixpath.relpath(first, folder)}#{anchor_prefix}".encode(),
            f"]({posixpath.relpath(page, folder)}#{anchor_prefix}".encode(),
        )
        for first, page in moves.items()
    ]
    out = {}
    for path, data in files.items():
        if path in pages:
            for old, new in pairs:
                data = data.replace(old, new)
        out[path] = data
    return out


def shown_where(value: dict, moves: dict[str, str]) -> dict:
    """A published figure with the pages it is shown on as they are after paging."""
    if not moves or not any(page in moves for page in value.get("shown_on", ())):
        return value
    return {**value, "shown_on": sorted({moves.get(page, page) for page in value["shown_on"]})}


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
