"""How a figure appears on a page: a link to its provenance, marked reported, derived or computed.

A reported figure links to its highlighted sentence on the study's source page; a derived or
computed one links to its entry on the audit page, which says how it was worked out. Every figure
shown is recorded, so the source page can link each quoted sentence back to the places using it.
"""

from __future__ import annotations

import itertools
import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

from generator.model import SourceDocument
from generator.provenance import QuoteIndex, Value, ValueBook, shown_on
from generator.text import escape_markdown, tooltip

ShowFigure = Callable[..., Markup]
SOURCE_PAGE, AUDIT_PAGE = "source.md", "audit.md"


@dataclass(frozen=True)
class Use:
    page: str
    element_id: str
    page_title: str
    order: int


@dataclass
class FigureLinks:
    """One study's figures as page links, and the record of where each was shown."""

    folder: str
    book: ValueBook
    quotes: QuoteIndex
    uses: dict[str, list[Use]] = field(default_factory=lambda: defaultdict(list))
    order: Iterator[int] = field(default_factory=itertools.count)

    def for_page(self, page: str, page_title: str, *, shared: bool = False) -> ShowFigure:
        """The `show(value)` function of one page (`page` relative to the docs folder).

        On a page `shared` with other studies, the ids of the figures name the study, so that two
        studies' figures of the same outcome keep ids of their own."""
        seen: dict[str, int] = defaultdict(int)
        prefix = f"u-{self.book.slug}" if shared else "u"

        def show(value: Value | None, text: str | None = None) -> Markup:
            if value is None:
                return Markup("–")
            seen[value.id] += 1
            element_id = prefix + value.anchor[1:] + (f"-{seen[value.id]}" if seen[value.id] > 1 else "")
            if not page.endswith(AUDIT_PAGE):
                self.uses[value.id].append(Use(page, element_id, page_title, next(self.order)))
            return figure_link(text or value.text, self.target(value, page), element_id, value)

        return show

    def target(self, value: Value, page: str) -> str:
        here = posixpath.dirname(page)
        if value.kind == "reported" and value.id in self.quotes.anchor_of:
            path = posixpath.relpath(f"{self.folder}/{SOURCE_PAGE}", here)
            return f"{path}#{self.quotes.anchor_of[value.id]}"
        return f"{posixpath.relpath(f'{self.folder}/{AUDIT_PAGE}', here)}#{value.anchor}"

    def backlinks(self, value_ids: tuple[str, ...], from_page: str) -> list[tuple[str, str]]:
        """(page title, link) for each page that shows one of these figures, to its first use there."""
        first: dict[str, Use] = {}
        for use in (u for value_id in value_ids for u in self.uses.get(value_id, [])):
            if use.page not in first or use.order < first[use.page].order:
                first[use.page] = use
        here = posixpath.dirname(from_page)
        return sorted(
            (u.page_title, f"{posixpath.relpath(u.page, here)}#{u.element_id}") for u in first.values()
        )


def figure_link(text: str, href: str, element_id: str, value: Value) -> Markup:
    """A Markdown link, so mkdocs checks and rewrites the target; its title (the tooltip) says where
    the figure comes from, and attr_list gives it its id and marks."""
    title = tooltip(value.explanation)
    return Markup(
        f'[{escape_markdown(text)}]({href} "{title}"){{ #{element_id} .ev-value .ev-{value.kind} }}'
    )


@dataclass(frozen=True)
class ShownDocument:
    """A source document on the source page: its sections or its table, quoted stretches highlighted."""

    document: SourceDocument
    sections: list[tuple[str, Markup]]
    header: list[Markup]
    rows: list[list[Markup]]


ShowDocumentList = list[ShownDocument]


def highlighted_documents(links: FigureLinks, page: str, documents: list[SourceDocument]) -> ShowDocumentList:
    """Every source document with each quoted stretch highlighted and linked to the figures using it.

    A quoted stretch of a table row highlights the whole row: the row is what a figure cites.
    """
    blocks = iter(zip(links.quotes.sections, links.quotes.highlights, strict=True))
    shown = []
    for document in documents:
        parts = [next(blocks) for _ in document.blocks()]
        if not document.is_table:
            sections = [(heading, _highlighted_text(links, page, text, hs)) for (heading, text), hs in parts]
            shown.append(ShownDocument(document, sections, [], []))
            continue
        header, *rows = [
            _highlighted_row(links, page, cells, highlights)
            for cells, (_, highlights) in zip([document.header, *document.rows], parts, strict=True)
        ]
        shown.append(ShownDocument(document, [], header, rows))
    return shown


def _highlighted_text(links: FigureLinks, page: str, text: str, highlights: list) -> Markup:
    parts, position = [], 0
    for h in highlights:
        parts.append(_text(text[position : h.start]))
        parts.append(f'<mark id="{h.anchor}" class="ev-quote">{_text(text[h.start : h.end])}</mark>')
        parts.append(_backlinks(links, page, h.anchor, h.value_ids))
        position = h.end
    parts.append(_text(text[position:]))
    return Markup("".join(parts))


def _highlighted_row(links: FigureLinks, page: str, cells: list[str], highlights: list) -> list[Markup]:
    if not highlights:
        return [Markup(_text(cell)) for cell in cells]
    value_ids = tuple(v for h in highlights for v in h.value_ids)
    anchor = f' id="{highlights[0].anchor}"'
    marked = [
        f'<mark{anchor if i == 0 else ""} class="ev-quote">{_text(cell)}</mark>'
        for i, cell in enumerate(cells)
    ]
    marked[-1] += _backlinks(links, page, highlights[0].anchor, value_ids)
    return [Markup(cell) for cell in marked]


def _backlinks(links: FigureLinks, page: str, anchor: str, value_ids: tuple[str, ...]) -> str:
    return shown_on(anchor, links.backlinks(value_ids, page))


def _text(piece: str) -> str:
    return str(escape_markdown(piece))
