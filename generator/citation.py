"""A study's citation in the formats reference managers read: BibTeX, RIS and CSL-JSON.

The libraries write the structure (bibtexparser the entry, its key, fields and braces; rispy the tags and
the ER line); this module only sanitises the values it hands them. Every field is on one line (a line
break in the data would end a RIS record or a BibTeX entry early), without control characters or
direction marks, and a BibTeX value has LaTeX's special characters escaped, so its braces balance.
"""

from __future__ import annotations

import json

import bibtexparser
import rispy  # type: ignore[import-untyped]
from bibtexparser.middlewares import (
    AddEnclosingMiddleware,
    BlockMiddleware,
    MergeCoAuthors,
    MergeNameParts,
    NameParts,
)
from bibtexparser.model import Entry, Field

from generator.model import Author, Citation
from generator.text import bibtex_text, plain_line


def bibtex_key(slug: str) -> str:
    return slug.replace("-", "")


def _line(text: str) -> str:
    return plain_line(text)


def _name_part(text: str) -> str:
    """A part of a name for BibTeX, braced when it holds a comma or the word 'and', so it stays one name."""
    part = bibtex_text(text)
    return f"{{{part}}}" if "," in part or " and " in f" {part.lower()} " else part


def _bibtex_name(author: Author) -> NameParts:
    """Written 'Family, Given' by bibtexparser's MergeNameParts."""
    return NameParts(last=[_name_part(author.family)], first=[_name_part(author.given)])


def _doi_text(doi: str) -> str:
    """A DOI as BibTeX keeps it verbatim: only what would unbalance the field is percent-encoded."""
    return _line(doi).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _authors(citation: Citation) -> list[NameParts]:
    """The named authors, then "others", BibTeX's word for those a partial list leaves out ("et al.")."""
    names = [name for name in map(_bibtex_name, citation.authors) if name.merge_last_name_first]
    return names if citation.authors_complete else [*names, NameParts(last=["others"])]


def _bibtex_fields(citation: Citation) -> list[Field]:
    month = MONTHS[citation.month - 1] if citation.month else ""
    fields = [
        Field("author", _authors(citation)),
        Field("title", "{" + bibtex_text(citation.title) + "}"),  # inner braces: styles keep its capitals
        Field("journal", bibtex_text(citation.journal)),
        Field("year", str(citation.year)),
        # a month is BibTeX's macro (month = aug), unbraced, so that styles print it in their own way
        # ("Aug." or "August"); braced, it would be the literal text "aug"
        Field("month", month, enclosing="no-enclosing"),
        Field("volume", bibtex_text(citation.volume)),
        Field("number", bibtex_text(citation.issue)),
        Field("pages", bibtex_text(citation.pages).replace("-", "--")),
        Field("doi", _doi_text(citation.doi or "")),
        Field("pmid", bibtex_text(citation.pmid or "")),
        Field("keywords", ", ".join(bibtex_text(k) for k in citation.keywords)),
    ]
    return [field for field in fields if field.value]


BIBTEX_LAYOUT = bibtexparser.BibtexFormat()
BIBTEX_LAYOUT.indent = "  "


def _bibtex_writers() -> list[BlockMiddleware]:
    """Each name 'Family, Given', the names joined by ' and ', every value braced but the month macro."""
    return [
        MergeNameParts(style="last"),
        MergeCoAuthors(),
        AddEnclosingMiddleware(reuse_previous_enclosing=False, enclose_integers=True, default_enclosing="{"),
    ]


def to_bibtex(citation: Citation, slug: str) -> str:
    library = bibtexparser.Library([Entry("article", bibtex_key(slug), _bibtex_fields(citation))])
    return bibtexparser.write_string(library, unparse_stack=_bibtex_writers(), bibtex_format=BIBTEX_LAYOUT)


class _RisWriter(rispy.RisWriter):
    """rispy's RIS, without the record number ("1.") it writes before each record, which RIS lacks."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(citation: Citation) -> str:
    start, _, end = citation.pages.partition("-")
    fields: dict[str, str | list[str]] = {
        "type_of_reference": "JOUR",
        "authors": [_ris_name(a) for a in citation.authors],
        "title": citation.title,
        "journal_name": citation.journal,
        "year": str(citation.year),
        "date": _ris_date(citation.date_parts),
        "volume": citation.volume,
        "number": citation.issue,
        "start_page": start,
        "end_page": end or start,
        "doi": citation.doi or "",
        "accession_number": citation.pmid or "",
        "keywords": citation.keywords,
        "urls": [citation.address],
    }
    record = {key: _ris_value(value) for key, value in fields.items()}
    return rispy.dumps([{key: value for key, value in record.items() if value}], implementation=_RisWriter)


def _ris_value(value: str | list[str]) -> str | list[str]:
    """One line each, the lines of a list tag left out when nothing is left of them."""
    if isinstance(value, str):
        return _line(value)
    return [line for line in map(_line, value) if line]


def _ris_name(author: Author) -> str:
    """'Family, Given', or the one of them that is not blank."""
    return ", ".join(part for part in (author.family, author.given) if _line(part))


def _ris_date(parts: list[int]) -> str:
    """RIS's YYYY/MM/DD/, with the parts a partial date lacks left empty (2018//)."""
    return "/".join([str(parts[0]), *(f"{p:02d}" for p in parts[1:])]) + "/" * (3 - len(parts))


def to_csl_json(citation: Citation, slug: str) -> str:
    item = {
        "id": slug,
        "type": "article-journal",
        "title": _line(citation.title),
        "author": [{"family": a.family, "given": a.given} for a in citation.authors],
        "container-title": citation.journal,
        "issued": {"date-parts": [citation.date_parts]},
        "volume": citation.volume,
        "issue": citation.issue,
        "page": citation.pages,
        **({"DOI": citation.doi} if citation.doi else {}),
        **({"PMID": citation.pmid} if citation.pmid else {}),
        "URL": citation.address,
        "keyword": ", ".join(citation.keywords),
    }
    return json.dumps([item], indent=2, ensure_ascii=False) + "\n"
