"""A study's citation in the formats reference managers read: BibTeX, RIS and CSL-JSON.

Every field is on one line (a line break in the data would end a RIS record or a BibTeX entry early),
without control characters or direction marks.
"""

from __future__ import annotations

import json

from generator.model import Author, Citation
from generator.text import bibtex_text, plain_line


def bibtex_key(slug: str) -> str:
    return slug.replace("-", "")


def _line(text: str) -> str:
    return plain_line(text)


def _bibtex_name(author: Author) -> str:
    """'Family, Given'; a part holding a comma or the word 'and' is braced, so it stays one name."""
    parts = [bibtex_text(author.family), bibtex_text(author.given)]
    return ", ".join(
        f"{{{part}}}" if "," in part or " and " in f" {part.lower()} " else part for part in parts
    )


def _doi_text(doi: str) -> str:
    """A DOI as BibTeX keeps it verbatim: only what would unbalance the field is percent-encoded."""
    return _line(doi).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _others(citation: Citation) -> list[str]:
    """BibTeX's word for the authors a list leaves out (it prints "et al.")."""
    return [] if citation.authors_complete else ["others"]


def to_bibtex(citation: Citation, slug: str) -> str:
    fields = [
        ("author", " and ".join([*(_bibtex_name(a) for a in citation.authors), *_others(citation)])),
        ("title", "{" + bibtex_text(citation.title) + "}"),
        ("journal", bibtex_text(citation.journal)),
        ("year", str(citation.year)),
        ("month", MONTHS[citation.month - 1] if citation.month else ""),
        ("volume", bibtex_text(citation.volume)),
        ("number", bibtex_text(citation.issue)),
        ("pages", bibtex_text(citation.pages).replace("-", "--")),
        ("doi", _doi_text(citation.doi or "")),
        ("pmid", bibtex_text(citation.pmid or "")),
        ("keywords", ", ".join(bibtex_text(k) for k in citation.keywords)),
    ]
    fields = [(name, value) for name, value in fields if value]
    # a month is BibTeX's macro (month = aug), unbraced, so that styles print it in their own way
    # ("Aug." or "August"); braced, it would be the literal text "aug"
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}" for name, value in fields
    )
    return f"@article{{{bibtex_key(slug)},\n{body}\n}}\n"


def to_ris(citation: Citation) -> str:
    start, _, end = citation.pages.partition("-")
    lines = [("TY", "JOUR"), *[("AU", f"{a.family}, {a.given}") for a in citation.authors]]
    lines += [
        ("TI", citation.title),
        ("JO", citation.journal),
        ("PY", str(citation.year)),
        ("DA", _ris_date(citation.date_parts)),
        ("VL", citation.volume),
        ("IS", citation.issue),
        ("SP", start),
        ("EP", end or start),
        *([("DO", citation.doi)] if citation.doi else []),
        *([("AN", citation.pmid)] if citation.pmid else []),
        *[("KW", keyword) for keyword in citation.keywords],
        ("UR", citation.address),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {_line(value)}".rstrip() + "\n" for tag, value in lines)


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
