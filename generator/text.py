"""Text from the data, escaped for the context it lands in: shown as written, never read as markup.

One function per context, used by every writer: Markdown pages (`escape_markdown`, the templates'
finalizer), tooltips (`tooltip`), link targets (`link_target`), HTML outside Markdown (`html_text`),
chart text (`chart_text`), fenced code (`code_block`), CSV cells (`csv_cell`), BibTeX (`bibtex_text`)
and RIS (`plain_line`).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from markupsafe import Markup, escape

LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Every character Python's str.splitlines() breaks a line at (Markdown and RIS readers among them)."""
_SPACE_RUN = re.compile(f"[ \t{LINE_BREAKS}]+")

MARKDOWN_SPECIAL = frozenset("&<>\"'\\`*_{}[]|!#~")
"""Characters Markdown or its extensions (attr_list, tables, HTML, entities, code) read anywhere."""
_BLOCK_START = re.compile(r"^( ?)(?:([-+=])|(\d+)\.(?= |$))")
"""A list item, rule, setext underline or numbered item where the text starts a line."""
_TOOLTIP_PLAIN = frozenset(" ,.:;/%+-=?()")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP, CSV injection)."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    **{char: "\\" + char for char in "&%$#_"},
}


def one_line(text: str) -> str:
    """Line breaks, tabs and runs of spaces as one space: the text on one line, as a reader sees it."""
    return _SPACE_RUN.sub(" ", text)


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (ESC among them, which a terminal obeys) and the marks that reorder text
(U+202E turns what follows right to left): in a plain-text file they are not text."""


def plain_line(text: str) -> str:
    """A field of a plain-text format (RIS, BibTeX): on one line, without control characters or
    direction marks, trimmed."""
    return _CONTROLS.sub("", one_line(text)).strip()


def _reference(char: str) -> str:
    return f"&#{ord(char)};"


def escape_markdown(value: object) -> object:
    """Jinja finalizer: data text shown as written, never read as Markdown or HTML.

    On one line (no table row or block can be split), every character Markdown or HTML could read
    as a numeric character reference, and a line-starting list marker or rule made inert. Markup
    (our own HTML and Markdown) and numbers pass through.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    text = "".join(_reference(c) if c in MARKDOWN_SPECIAL else c for c in one_line(value))
    start = _BLOCK_START.match(text)
    if start:
        lead, mark, number = start.groups()
        inert = _reference(mark) if mark else f"{number}&#46;"
        text = lead + inert + text[start.end() :]
    return Markup(text)


def tooltip(text: str) -> str:
    """A link title in Markdown, shown by Material as a tooltip, which reads the title as HTML.

    The attribute's value is therefore escaped HTML; and every character of it that Markdown could
    read (ampersands and semicolons of the escapes included) is a numeric character reference.
    """
    html = str(escape(one_line(text)))
    return "".join(c if _plain_in_title(c) else _reference(c) for c in html)


def _plain_in_title(char: str) -> bool:
    return char.isalnum() or char in _TOOLTIP_PLAIN or (ord(char) > 127 and not char.isspace())


def html_text(text: str) -> str:
    """Text for HTML that no Markdown reads (the navigation's titles), on one line."""
    return str(escape(one_line(text)))


def chart_text(text: object) -> str:
    """Text for a plotly figure, which reads <b>, <br>, <a href> and entities: shown as written."""
    return one_line(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_target(href: str) -> Markup:
    """A link target in Markdown: whatever a URL need not hold raw is percent-encoded."""
    return Markup(quote(href, safe="/#:?=&%@+,;~"))


def code_block(text: str, language: str = "text") -> Markup:
    """A fenced code block that text from the data cannot close: one line, a longer fence."""
    line = one_line(text).strip()
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence} {language}\n{line}\n{fence}")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows and never runs (OWASP's advice on CSV injection).

    Text starting with = + - @, a tab or a carriage return gets a leading single quote, unless it
    is a plain number (-0.5); numbers and empty cells are left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def bibtex_text(text: str) -> str:
    """A BibTeX field value on one line, LaTeX's special characters escaped, its braces balanced."""
    return "".join(_LATEX.get(c, c) for c in plain_line(text))


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter lower case when its first word is an ordinary word
    ('Treated', 'Relapse-free survival'); as written when that word is an abbreviation or a symbol, which
    a capital marks ('ITT', 'Ph-negative ALL', 'pH')."""
    word = re.match(r"[^\W\d_]*", label)
    letters = word.group(0) if word else ""
    first_word = label.split(" ", 1)[0]
    ordinary = (
        len(letters) >= 3
        and letters[1:].islower()
        and letters[:1].isupper()
        and not any(char.isupper() for char in first_word[1:])  # 'Kaplan-Meier' is a name
    )
    return label[:1].lower() + label[1:] if ordinary else label
