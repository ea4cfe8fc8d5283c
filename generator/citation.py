"""A study's citation in the formats reference managers read: BibTeX, RIS and CSL-JSON."""

from __future__ import annotations

import json

from generator.model import Citation


def bibtex_key(slug: str) -> str:
    return slug.replace("-", "")


def _bibtex_escape(text: str) -> str:
    for char in "\\{}":
        text = text.replace(char, "\\" + char)
    for char in "&%$#_":
        text = text.replace(char, "\\" + char)
    return text


def to_bibtex(citation: Citation, slug: str) -> str:
    authors = " and ".join(f"{a.family}, {a.given}" for a in citation.authors)
    fields = [
        ("author", authors),
        ("title", "{" + _bibtex_escape(" ".join(citation.title.split())) + "}"),
        ("journal", citation.journal),
        ("year", str(citation.date.year)),
        ("month", str(citation.date.month)),
        ("volume", citation.volume),
        ("number", citation.issue),
        ("pages", citation.pages.replace("-", "--")),
        ("doi", citation.doi),
        ("pmid", citation.pmid),
        ("keywords", ", ".join(citation.keywords)),
    ]
    body = ",\n".join(
        f"  {name} = {{{value if name == 'title' else _bibtex_escape(value)}}}" for name, value in fields
    )
    return f"@article{{{bibtex_key(slug)},\n{body}\n}}\n"


def to_ris(citation: Citation) -> str:
    start, _, end = citation.pages.partition("-")
    lines = [("TY", "JOUR"), *[("AU", f"{a.family}, {a.given}") for a in citation.authors]]
    lines += [
        ("TI", " ".join(citation.title.split())),
        ("JO", citation.journal),
        ("PY", str(citation.date.year)),
        ("DA", citation.date.strftime("%Y/%m/%d")),
        ("VL", citation.volume),
        ("IS", citation.issue),
        ("SP", start),
        ("EP", end or start),
        ("DO", citation.doi),
        ("AN", citation.pmid),
        *[("KW", keyword) for keyword in citation.keywords],
        ("UR", f"https://doi.org/{citation.doi}"),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {value}".rstrip() + "\n" for tag, value in lines)


def to_csl_json(citation: Citation, slug: str) -> str:
    item = {
        "id": slug,
        "type": "article-journal",
        "title": " ".join(citation.title.split()),
        "author": [{"family": a.family, "given": a.given} for a in citation.authors],
        "container-title": citation.journal,
        "issued": {"date-parts": [[citation.date.year, citation.date.month, citation.date.day]]},
        "volume": citation.volume,
        "issue": citation.issue,
        "page": citation.pages,
        "DOI": citation.doi,
        "PMID": citation.pmid,
        "URL": f"https://doi.org/{citation.doi}",
        "keyword": ", ".join(citation.keywords),
    }
    return json.dumps([item], indent=2, ensure_ascii=False) + "\n"
