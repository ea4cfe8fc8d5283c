"""Text from the data is escaped for the context it lands in: it shows as written and never runs.

Each context is read back by the real reader: Markdown with mkdocs.yml's extensions (and HTML as
Material's tooltips read a title), the csv module, rispy and bibtexparser.
"""

from __future__ import annotations

import csv
import html
import io
import re
from html.parser import HTMLParser

import bibtexparser
import markdown
import pandas as pd
import pytest
import rispy
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.citation import to_bibtex, to_ris
from generator.downloads import to_csv
from generator.engine import MARKDOWN_EXTENSIONS
from generator.figures import figure_link
from generator.load import load_studies
from generator.provenance import Value
from generator.text import (
    FORMULA_START,
    LINE_BREAKS,
    chart_text,
    code_block,
    csv_cell,
    escape_markdown,
    html_text,
    link_target,
    one_line,
    tooltip,
)
from tests.conftest import ROOT, STUDY

SETTINGS = settings(max_examples=150, deadline=None)
MARKDOWNISH = [
    *LINE_BREAKS,
    *"\t &<>\"'\\`*_{}[]()|!#~-+=.:;@%$^/0123456789",
    "<!--",
    "-->",
    "&amp;",
    "&#42;",
    "<https://a.example>",
    "[x](javascript:y)",
    "{: #id .cls }",
    "1. ",
    "---",
    "===",
    "~~~",
    "```",
    "    ",
    "[TOC]",
    "!!! note",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "{{ 7*7 }}",
]
unicode = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=4)
texts = st.lists(st.one_of(unicode, st.sampled_from(MARKDOWNISH)), max_size=12).map("".join)
"""Unicode text, heavy in what Markdown, HTML and the site's extensions read as markup."""

HOSTILE = [
    "CR <img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "a `tick b",
    "*em* and _u_ and **strong**",
    "[x](javascript:alert(1)) and [ref][1]",
    "<https://evil.example>",
    "&amp; &lt;b&gt;",
    "<!-- hidden -->",
    "{: onclick=alert(1) }",
    "# heading ##",
    "> quote",
    "1. item",
    "- item",
    "---",
    "===",
    "~~~",
    "!!! note",
    "[TOC]",
    "a | b | c",
    "a\rb",
    "a\r\n| fake | row |",
    "a\u2028b\u2029c\x85d\x0be\x0cf\x1cg",
    "    indented code",
    "{{ page }} {% raw %}",
]


def shown(text: str) -> str:
    """How text shows in a browser: runs of white space (line breaks too) as one space, trimmed."""
    return one_line(text).strip()


VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr"}


class Elements(HTMLParser):
    """The elements of an HTML fragment, in order, each with its attributes and visible text."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.all: list[dict] = []
        self.open: list[dict] = []
        self.text = ""
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.all.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open and self.open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        self.text += data
        for element in self.open:
            element["text"] += data

    def tags(self) -> list[str]:
        return [element["tag"] for element in self.all]

    def find(self, tag: str) -> list[dict]:
        return [element for element in self.all if element["tag"] == tag]


def site_markdown() -> markdown.Markdown:
    """Python-Markdown with the extensions and settings the generator gives mkdocs."""
    names, configs = [], {}
    for entry in MARKDOWN_EXTENSIONS:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        configs[name] = options or {}
    return markdown.Markdown(extensions=names, extension_configs=configs)


MD = site_markdown()


def render(source: str) -> Elements:
    MD.reset()
    return Elements(MD.convert(source))


def reported(quote: str) -> Value:
    return Value("s/responses/cr@all/count", "label", "17", 17, "reported", quote)


def table_with(cell: str) -> Elements:
    return render(f"| A | B |\n|---|---|\n| {cell} | end |\n")


# Markdown pages --------------------------------------------------------------------------------


@SETTINGS
@given(texts)
def test_a_table_cell_shows_data_text_as_written(text):
    page = table_with(f'<span class="ev-label">{escape_markdown(text)}</span> {escape_markdown(text)}')
    cells = page.find("td")
    assert [shown(c["text"]) for c in cells] == [shown(f"{text} {text}"), "end"]
    assert page.tags() == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "span", "td"]


@SETTINGS
@given(texts)
def test_a_heading_shows_data_text_as_written_and_in_the_contents(text):
    page = render(f"# {escape_markdown(text)}\n")
    (heading,) = page.find("h1")
    assert heading["text"].removesuffix("¶").strip() == shown(text)
    assert page.tags() == ["h1", "a"]  # the heading and its permalink
    (token,) = MD.toc_tokens  # Material writes the table of contents from this, unescaped
    assert "<" not in token["name"]
    assert html.unescape(token["name"]).split() == shown(text).split()  # no-break spaces as spaces


@SETTINGS
@given(texts, texts)
def test_a_figure_link_shows_its_text_and_a_tooltip_that_runs_nothing(text, quote):
    link = figure_link(text, "source.md#q-1", "u-responses-cr-all-count", reported(quote))
    for page in (table_with(link), render(f"{escape_markdown(text)} {link} {escape_markdown(text)}\n")):
        (a,) = page.find("a")
        assert shown(a["text"]) == shown(text)
        assert a["attrs"]["href"] == "source.md#q-1"
        assert (a["attrs"]["id"], a["attrs"]["class"]) == ("u-responses-cr-all-count", "ev-value ev-reported")
        tip = Elements(a["attrs"]["title"])  # Material sets the title as a tooltip's innerHTML
        assert tip.all == [] and tip.text == f"Reported: “{one_line(quote)}”"


LINE_CONTEXTS = {
    "paragraph": ("{}\n", ["p"]),
    "after a line": ("Intro\n{}\n", ["p"]),
    "list item": ("- {}\n", ["ul", "li"]),
    "admonition": ("!!! info\n    {}\n", ["div", "p", "p"]),
    "html block": ("<div markdown>\n\n{}\n\n</div>\n", ["div", "p"]),
}


@SETTINGS
@given(texts.filter(lambda t: shown(t) != ""), st.sampled_from(list(LINE_CONTEXTS)))
def test_data_text_at_the_start_of_a_line_opens_no_block(text, context):
    source, tags = LINE_CONTEXTS[context]
    page = render(source.format(escape_markdown(text)))
    assert page.tags() == tags
    assert shown(page.all[-1]["text"]) == shown(("Intro " if context == "after a line" else "") + text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_shows_as_written_in_every_markdown_context(text):
    escaped = escape_markdown(text)
    link = figure_link(text, "source.md#q-1", "u-x", reported(text))
    page = render(f"# {escaped}\n\n| A |\n|---|\n| {escaped} {link} |\n\n{escaped}\n")
    assert page.tags() == ["h1", "a", "table", "thead", "tr", "th", "tbody", "tr", "td", "a", "p"]
    assert page.find("h1")[0]["text"].removesuffix("¶").strip() == shown(text)
    assert shown(page.find("td")[0]["text"]) == shown(f"{text} {text}")
    assert page.find("p")[0]["text"] == shown(text)
    assert html.unescape(page.find("a")[1]["attrs"]["title"]) == f"Reported: “{one_line(text)}”"


def test_figure_titles_are_html_escaped_for_materials_tooltips():
    title = tooltip("CR <img src=x onerror=alert(1)> & “more”")
    assert "<" not in html.unescape(title)  # once read from the attribute, the title is escaped HTML
    assert html.unescape(html.unescape(title)) == "CR <img src=x onerror=alert(1)> & “more”"
    assert not set(title) & set("<>\"'`*_[]{}|\\")


def test_markup_of_our_own_passes_the_finalizer_and_numbers_stay_numbers():
    ours = figure_link("17", "source.md#q-1", "u-x", reported("q"))
    assert escape_markdown(ours) is ours
    assert escape_markdown(52) == 52
    assert escape_markdown("plain words, 6.2 months") == "plain words, 6.2 months"


def test_code_block_keeps_data_text_on_one_line_inside_its_fence():
    text = "Title ``` with\nfences\r\n```` and <b>tags</b>"
    page = render(f"<div markdown>\n\n{code_block(text)}\n\n</div>\n")
    (code,) = page.find("code")
    assert code["text"].strip() == one_line(text)
    assert "b" not in page.tags()


def test_link_targets_cannot_end_their_link_early():
    assert link_target("data/a b(c)<d>\"e'.csv#x") == "data/a%20b%28c%29%3Cd%3E%22e%27.csv#x"
    page = render(f"[x]({link_target('data/a b(c).csv#x')})")
    assert page.find("a")[0]["attrs"]["href"] == "data/a%20b%28c%29.csv#x"


# HTML and charts -------------------------------------------------------------------------------


def test_navigation_titles_are_escaped_html_on_one_line():
    assert (
        html_text('<img src=x onerror="x">\nStudy & co')
        == "&lt;img src=x onerror=&#34;x&#34;&gt; Study &amp; co"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
        ("a<br>b", "a&lt;br&gt;b"),
        ('<a href="javascript:x">y</a>', '&lt;a href="javascript:x"&gt;y&lt;/a&gt;'),
        ("&lt; stays &amp;", "&amp;lt; stays &amp;amp;"),
        ("two\nlines\u2028here", "two lines here"),
        ('"quoted"', '"quoted"'),  # plotly decodes no &quot;: a quote stays a quote
    ],
)
def test_chart_text_is_never_read_as_plotly_markup(text, expected):
    assert chart_text(text) == expected


# CSV -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("1e-5", "1e-5"),
        ("Complete response", "Complete response"),
        ("", ""),
        (-0.5, -0.5),
        (None, None),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(cell, expected):
    assert csv_cell(cell) == expected


@SETTINGS
@given(texts, st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_no_csv_cell_starts_a_formula(text, number):
    data = to_csv(pd.DataFrame({"label": [text], "value": [number]}))
    (row,) = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert row["label"] == csv_cell(text)
    assert not row["label"].startswith(FORMULA_START) or re.fullmatch(r"[+-][\d.eE+-]*", row["label"])
    assert float(row["value"]) == pytest.approx(number, rel=1e-5, abs=1e-30)


# Citation --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def citation():
    study = next(s for s in load_studies(ROOT / "content") if s.slug == STUDY)
    return study.meta.citation


def latex_decoded(value: str) -> str:
    """The text a BibTeX field stands for: the escapes of generator.text.bibtex_text undone."""
    commands = {"textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}", "textasciitilde": "~"}
    commands["textasciicircum"] = "^"
    return re.sub(r"\\(\w+)\{\}|\\([&%$#_])", lambda m: commands.get(m[1], "") if m[1] else m[2], value)


fields = texts.filter(lambda t: shown(t) != "")


@SETTINGS
@given(fields, fields, fields, fields)
def test_ris_has_one_record_whatever_the_fields_hold(citation, title, journal, keyword, family):
    odd = citation.model_copy(
        update={
            "title": title,
            "journal": journal,
            "keywords": [keyword, "plain"],
            "authors": [citation.authors[0].model_copy(update={"family": family}), *citation.authors[1:]],
        }
    )
    text = to_ris(odd)
    (record,) = rispy.loads(text)
    assert (record["title"], record["journal_name"]) == (shown(title), shown(journal))
    assert record["keywords"] == [shown(keyword), "plain"]
    assert record["authors"][0] == shown(f"{family}, {citation.authors[0].given}")
    assert len(record["authors"]) == len(citation.authors)
    assert all(re.match(r"[A-Z][A-Z0-9]  -( |$)", line) for line in text.splitlines())


@SETTINGS
@given(fields, fields, fields)
def test_bibtex_has_one_entry_whatever_the_fields_hold(citation, title, journal, keyword):
    odd = citation.model_copy(update={"title": title, "journal": journal, "keywords": [keyword]})
    library = bibtexparser.parse_string(to_bibtex(odd, "study"))
    assert library.failed_blocks == []
    (entry,) = library.entries
    assert latex_decoded(entry["title"].removeprefix("{").removesuffix("}")) == shown(title)
    assert (latex_decoded(entry["journal"]), latex_decoded(entry["keywords"])) == (
        shown(journal),
        shown(keyword),
    )
    assert entry["doi"] == citation.doi


def test_a_line_break_in_a_citation_adds_no_record(citation):
    odd = citation.model_copy(
        update={"title": "A\nER  - \nTY  - JOUR\nTI  - forged", "journal": "J}\n@misc{forged,\n title={x}"}
    )
    (record,) = rispy.loads(to_ris(odd))
    assert record["title"] == "A ER - TY - JOUR TI - forged"
    library = bibtexparser.parse_string(to_bibtex(odd, "study"))
    assert [e.key for e in library.entries] == ["study"] and library.failed_blocks == []
    assert latex_decoded(library.entries[0]["journal"]) == "J} @misc{forged, title={x}"
