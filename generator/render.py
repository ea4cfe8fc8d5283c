"""Pages: Jinja templates filled from the computed results, as Markdown text, plus their downloads.

Everything here is pure text production: it returns {relative path: bytes}; `write` puts it on disk.
Templates receive one typed context per page and show figures only through `show`, which marks
each figure's provenance.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path, PurePosixPath

import numpy
from markupsafe import Markup

from generator import formatting
from generator.analysis import StudyResults
from generator.audit import AuditReport
from generator.changes import Changes
from generator.charts import NARROW_WIDTH, Chart, dosing_chart, layout_value
from generator.chunked_search import SEARCH_PAGE
from generator.comparison import INDEX_PAGE as COMPARISONS_INDEX
from generator.comparison import (
    Comparison,
    ComparisonPage,
    ComparisonsIndexPage,
    comparison_entries,
    comparison_path,
)
from generator.compiled import compiled_templates
from generator.config import DataSettings, EvidenceSettings, SiteConfig
from generator.downloads import VALUES_INDEX, comparison_downloads, comparisons_dictionary
from generator.errors import Problem, TemplateError
from generator.figures import FigureLinks, ShowDocumentList, ShowFigure, highlighted_documents
from generator.forest import forest_chart
from generator.formatting import NumberFormat
from generator.frames import records
from generator.layout import AUDIT, DESIGN, OVERVIEW, SOURCE, ResultPage, SiteInfo, StudyLayout
from generator.load import Study
from generator.maturity import Maturity, study_maturity
from generator.methods import Methods, sections_methods, shown_values, values_methods
from generator.model import ALL_PATIENTS, Glossary, OutcomeVocabulary, parse_headline, parse_shared_ref
from generator.paging import Pager, paged, rows_json
from generator.primary import MainResult, main_result
from generator.sandbox import PageEnvironment, check_links, render_page, sandbox
from generator.summary import STUDIES_FOLDER, IndexRow, StudySummary
from generator.text import code_block, html_text, in_sentence, link_target
from generator.values import FigureField, Value, ValueBook

PAGE_TEMPLATES = {
    OVERVIEW: "study/overview.md.j2",
    DESIGN: "study/design.md.j2",
    AUDIT: "study/audit.md.j2",
    SOURCE: "study/source.md.j2",
}
RESULTS_TEMPLATE = "study/results.md.j2"
INDEX_ROW_TEMPLATE = "study/index_row.md.j2"
CHANGES_PAGE = "changes.md"
GLOSSARY_PAGE = "glossary.md"
STUDIES_INDEX = f"{STUDIES_FOLDER}/index.md"
INDEX_COLUMNS = ("Study", "Main result", "Design", "Evidence", "Patients", "Arms", "Year", "Registry")
"""The study index's columns, in the order of a study's index row."""
STUDIES_TITLE = "Study index"
REQUIRED_ASSETS = ("javascripts/charts.js", "stylesheets/extra.css")
"""The site's own script and styles under templates/assets/, which mkdocs.yml lists under
extra_javascript and extra_css (plotly.js comes from the installed package)."""


@dataclass(frozen=True)
class Card:
    """A headline result on a study's overview."""

    label: str
    arm_label: str
    for_all_patients: bool
    main: Value
    count: Value | None = None
    denominator: Value | None = None
    ci: Value | None = None
    computed: Value | None = None
    """The figure the site computes beside the printed one (a percentage from n/N), shown second."""
    population: str = ""
    """Who the figure is about: 'All patients · Transplanted, n = 36'."""


@dataclass(frozen=True)
class StudyPageContext:
    """What every study page template receives."""

    study: Study
    results: StudyResults
    book: ValueBook
    audit: AuditReport
    charts: dict[str, Chart]
    cards: list[Card]
    fmt: NumberFormat
    layout: StudyLayout
    links: FigureLinks
    main: MainResult | None = None
    maturity: Maturity | None = None
    name: str = ""
    show: ShowFigure | None = None
    result_page: ResultPage | None = None

    @property
    def pages(self) -> list[tuple[str, str]]:
        return self.layout.nav

    def row(self, table: str, record: dict) -> dict[str, Value]:
        return self.book.row(table, record)

    def page_of_table(self, table: str) -> tuple[str, str]:
        """(title, file name) of the study page that shows a table."""
        name = self.layout.page_of(table, "").lstrip("/")
        return dict((n, t) for t, n in self.layout.nav)[name], name

    @property
    def path(self) -> str:
        return f"{self.links.folder}/{self.name}"

    def shown_on(self, value: Value) -> list[tuple[str, str]]:
        """(page title, link) of each page that shows `value`."""
        return self.links.backlinks((value.id,), self.path)

    @property
    def documents(self) -> ShowDocumentList:
        return highlighted_documents(self.links, self.path, self.study.meta.sources)

    @property
    def rules(self) -> dict[str, str]:
        return self.audit.rules

    @property
    def methods(self) -> Methods:
        """The methods of the figures this page shows, which its notes name: its tables' (a result
        page, the design page), else its cards' (the overview)."""
        if self.result_page is not None:
            return sections_methods(self.result_page.sections, self.results)
        if self.name == DESIGN:
            return sections_methods(self.layout.design_sections, self.results)
        return values_methods(shown_values(getattr(self, "main", None), self.cards))


@dataclass(frozen=True)
class HomeContext:
    """What the home page template receives."""

    site: SiteInfo
    studies: int
    comparisons: list[Comparison]
    fmt: NumberFormat
    values_index: str
    changes: Changes
    licence: DataSettings
    """The licence of the data the site publishes (site_config.yml's data section)."""


@dataclass(frozen=True)
class StudiesContext:
    """What the study index template receives: each study's row, already rendered, sorted by year."""

    site: SiteInfo
    rows: list[Markup]
    fmt: NumberFormat
    pager: Pager | None = None
    rows_file: str = ""
    columns: tuple[str, ...] = INDEX_COLUMNS


@dataclass(frozen=True)
class GlossaryContext:
    """What the glossary page template receives: the readers' terms, in the file's order."""

    site: SiteInfo
    glossary: Glossary


@dataclass(frozen=True)
class SearchContext:
    """What the search results page template receives (a site searched with Pagefind)."""

    site: SiteInfo
    studies: int


@dataclass(frozen=True)
class ChangesContext:
    """What the "What changed" page template receives: every data version, newest first."""

    site: SiteInfo
    history: list[Changes]
    study_titles: dict[str, str]


@functools.lru_cache(maxsize=4)
def environment(templates: tuple[Path, ...], *, keep_compiled: bool = True) -> PageEnvironment:
    """The page environment of the template folders, made once per process (it caches compiled
    templates), reading the templates compiled by earlier builds and, with `keep_compiled`, keeping
    those it compiles (`generator.compiled`)."""
    env = make_environment(templates)
    env.bytecode_cache = compiled_templates(writable=keep_compiled)
    return env


def make_environment(templates: tuple[Path, ...]) -> PageEnvironment:
    """The sandbox of the template folders (the project's, then the package's) with what the pages
    use: the site's filters, `ALL` (the arm of every patient) and `F` (the fields of figure ids,
    `values.FigureField`)."""
    env = sandbox(templates)
    env.filters.update(
        reference=formatting.vancouver_reference,
        short_authors=formatting.short_authors,
        design_words=formatting.design_words,
        allocation_words=formatting.allocation_words,
        figure_json=figure_json,
        code_block=code_block,
        url=link_target,
        in_sentence=in_sentence,
        records=records,
    )
    env.globals["ALL"] = ALL_PATIENTS
    env.globals["F"] = FigureField
    return env


def figure_json(chart: Chart) -> Markup:
    """The figure as JSON for an HTML attribute, with sorted keys so builds are reproducible; beside
    plotly's `data` and `layout`, what the page script needs (see `chart_extras`).

    An attribute, not a <script> element: Material's instant navigation re-runs inline scripts as
    JavaScript, whatever their type.
    """
    data = {**chart.figure, **chart_extras(chart, chart.figure["layout"])}
    return Markup(html.escape(strict_json(data), quote=True))


def strict_json(data: object) -> str:
    """Compact JSON with sorted keys, as plotly's encoder writes a figure: a number of numpy's or a
    Decimal as a number, a NaN or an infinity (which JSON has not) as null."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_number)
    if "NaN" not in text and "Infinity" not in text:
        return text
    strict = json.loads(text, parse_constant=lambda _: None)
    return json.dumps(strict, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _number(value: object) -> object:
    """A number json cannot write (numpy's, a Decimal) as Python's int or float."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, numpy.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a number a chart can hold")


def chart_extras(chart: Chart, layout: dict) -> dict:
    """The layout updates for a narrow screen and back (`narrow`, `wide`: the same keys), and the
    chart's points as a table (`table`: column names and rows of text, shown with textContent)."""
    extras: dict = {
        "narrow": chart.narrow,
        "wide": {key: layout_value(layout, key) for key in chart.narrow},
        "narrowWidth": NARROW_WIDTH,
    }
    if chart.table is not None:
        extras["table"] = {"columns": list(chart.table.columns), "rows": [list(r) for r in chart.table.rows]}
    return extras


def study_charts(results: StudyResults, layout: StudyLayout, fmt: NumberFormat) -> dict[str, Chart]:
    """The charts of one study, keyed by table name (and `dosing`); one for each table on a page."""
    charts = {}
    if not results.schedules.empty:
        charts["dosing"] = dosing_chart(
            "dosing",
            "Dose given on each day of a cycle, by arm, on one dose scale",
            "Dose given on each day of a treatment cycle, by arm, as reported. A whisker spans a "
            "reported dose range; the shaded band is the window in which the next cycle starts.",
            results,
        )
    sections = [s for page in layout.result_pages for s in page.sections] + layout.design_sections
    for section in sections:
        chart = section.kind.chart(section.table, section.title, results.frame(section.table), fmt)
        if chart is not None:
            charts[section.table] = chart
    return charts


def headline_cards(results: StudyResults, book: ValueBook) -> list[Card]:
    """The overview's cards, in the order of the study's `headline` list (table:outcome@arm)."""
    cards = []
    for ref in results.study.meta.headline:
        headline = parse_headline(ref)
        record = headline.rows(results.frame(headline.table)).iloc[0].to_dict()
        values = book.row(headline.table, record)
        kind = results.study.tables[headline.table].kind
        main = kind.main_figure(values)
        if main is None:
            raise KeyError(f"headline {ref!r} names a row without a figure to show")
        estimate = values.get(FigureField.ESTIMATE)
        cards.append(
            Card(
                record["label"],
                record["arm_label"],
                record["arm"] == ALL_PATIENTS,
                main,
                values.get(FigureField.COUNT),
                values.get(FigureField.DENOMINATOR),
                values.get(FigureField.CI),
                estimate if estimate is not None and estimate is not main else None,
                kind.population(results.study, record),
            )
        )
    return cards


def render_study(
    env: PageEnvironment,
    result: StudyResults,
    audit: AuditReport,
    link: FigureLinks,
    charts: dict[str, Chart],
    layout: StudyLayout,
    fmt: NumberFormat,
    vocabulary: OutcomeVocabulary,
    few_patients: int = EvidenceSettings().few_patients,
) -> tuple[dict[str, bytes], StudySummary]:
    """One study's pages, and what the site-wide pages show of it.

    The study index row and the comparison entries are rendered first and the source page last, so
    that every use of a figure is recorded when the source page links back to it.
    """
    context = StudyPageContext(
        result.study,
        result,
        link.book,
        audit,
        charts,
        headline_cards(result, link.book),
        fmt,
        layout,
        link,
        main=main_result(result, link.book),
        maturity=study_maturity(result.study.meta, few_patients),
    )
    summary = study_summary(env, context, vocabulary)
    titles = dict((name, title) for title, name in layout.nav)
    pages: list[tuple[str, str, ResultPage | None]] = [
        (name, PAGE_TEMPLATES[name], None) for name in (OVERVIEW, DESIGN)
    ]
    pages += [(p.name, RESULTS_TEMPLATE, p) for p in layout.result_pages]
    pages += [(name, PAGE_TEMPLATES[name], None) for name in (AUDIT, SOURCE)]
    files = {}
    for name, template, result_page in pages:
        show = link.for_page(f"{link.folder}/{name}", titles[name])
        page = replace(context, name=name, show=show, result_page=result_page)
        files[f"{link.folder}/{name}"] = render_page(env, template, {"page": page})
    return files, summary


def study_summary(
    env: PageEnvironment, context: StudyPageContext, vocabulary: OutcomeVocabulary
) -> StudySummary:
    """The study's row of the study index and its figures for the outcomes it shares with other studies."""
    study, link = context.study, context.links
    show = link.for_page(STUDIES_INDEX, STUDIES_TITLE, shared=True)
    row = render_page(env, INDEX_ROW_TEMPLATE, {"page": replace(context, name="index.md", show=show)})
    markdown = " ".join(row.decode("utf-8").split("\n")).strip()
    titles = {outcome.key: outcome.title for outcome in vocabulary.outcomes}
    entries = [
        entry
        for key, ref in study.meta.shared_outcomes.items()
        for entry in comparison_entries(
            context.results,
            context.book,
            context.layout,
            link.folder,
            context.fmt,
            key,
            parse_shared_ref(ref),
            link.for_page(comparison_path(key), titles[key], shared=True),
        )
    ]
    citation = study.meta.citation
    return StudySummary(
        study=study.slug,
        title=study.meta.short_title,
        folder=study.published_folder or study.folder.as_posix(),
        doi=citation.doi or "",
        pmid=citation.pmid,
        index_row=IndexRow(study.slug, study.meta.short_title, citation.year, markdown),
        entries=entries,
    )


def render_site_pages(
    env: PageEnvironment,
    summaries: list[StudySummary],
    comparisons: list[Comparison],
    config: SiteConfig,
    site: SiteInfo,
    history: list[Changes],
    glossary: Glossary,
) -> dict[str, bytes]:
    """The pages about the whole site: home, the study index, the comparisons, the glossary (when
    content/glossary.yml lists terms) and what changed (`history`: every data version, newest first)."""
    fmt = NumberFormat(config)
    changes = history[0]
    home = HomeContext(site, len(summaries), comparisons, fmt, VALUES_INDEX, changes, config.data)
    files = {"index.md": render_page(env, "home.md.j2", {"page": home})}
    files.update(study_index_pages(env, in_index_order(summaries), site, fmt))
    titles = {s.study: s.title for s in summaries}
    files[CHANGES_PAGE] = render_page(env, "changes.md.j2", {"page": ChangesContext(site, history, titles)})
    if glossary.terms:
        files[GLOSSARY_PAGE] = render_page(env, "glossary.md.j2", {"page": GlossaryContext(site, glossary)})
    if config.search.chosen(len(summaries)) == "pagefind":
        search = SearchContext(site, len(summaries))
        files[SEARCH_PAGE] = render_page(env, "search.md.j2", {"page": search})
    if comparisons:
        index = ComparisonsIndexPage(site, comparisons, fmt)
        files[COMPARISONS_INDEX] = render_page(env, "comparisons.md.j2", {"page": index})
    charts = {}
    for comparison in comparisons:
        chart = charts[comparison.key] = forest_chart(comparison, fmt)
        files.update(comparison_pages(env, comparison, chart, site, fmt))
        files.update(comparison_downloads(comparison, chart, config.statistics))
    files.update(comparisons_dictionary(comparisons, charts, config.statistics))
    return files


STUDIES_ROWS = f"{STUDIES_FOLDER}/index.json"
"""Every row of the study index, for its script's filter and sort when the index is paged."""


def study_index_pages(
    env: PageEnvironment, ordered: list[StudySummary], site: SiteInfo, fmt: NumberFormat
) -> dict[str, bytes]:
    """The study index: one page, or pages of `paging.PAGE_ROWS` studies with every row in a JSON file."""
    rows = [Markup(s.index_row.markdown) for s in ordered]
    rows_file = PurePosixPath(STUDIES_ROWS).name
    files = {
        path: render_page(env, "studies.md.j2", {"page": StudiesContext(site, chunk, fmt, pager, rows_file)})
        for path, chunk, pager in paged(rows, STUDIES_INDEX)
    }
    if len(files) > 1:
        files[STUDIES_ROWS] = rows_json(
            list(INDEX_COLUMNS), [(s.study, s.index_row.markdown) for s in ordered]
        )
    return files


def comparison_pages(
    env: PageEnvironment, comparison: Comparison, chart: Chart | None, site: SiteInfo, fmt: NumberFormat
) -> dict[str, bytes]:
    """A comparison's page, or its pages of about `paging.PAGE_ROWS` figures (a study's on one page),
    each with the forest plot of its own studies and the pooled estimates of all of them."""
    files = {}
    studies = [entry.study for entry in comparison.entries]
    for path, entries, pager in paged(comparison.entries, comparison_path(comparison.key), studies):
        part = None if pager is None else (entries, f"page {pager.number} of {pager.count}")
        shown = chart if part is None else forest_chart(comparison, fmt, part)
        page = ComparisonPage(site, comparison, shown, fmt, entries, pager)
        files[path] = render_page(env, "comparison.md.j2", {"page": page})
    return files


def in_index_order(summaries: list[StudySummary]) -> list[StudySummary]:
    """The studies in the order of the study index (and of the navigation): by year, then by folder."""
    return sorted(summaries, key=lambda s: (s.index_row.year, s.study))


def site_nav(
    summaries: list[StudySummary], navs: dict[str, list[tuple[str, str]]], comparisons, glossary: Glossary
) -> list[dict]:
    """The navigation: the site's sections, each study a section of Studies, each comparison a page,
    the glossary when there is one."""
    studies: list = [{STUDIES_TITLE: STUDIES_INDEX}]
    for summary in in_index_order(summaries):  # so the footer's previous and next follow the index
        # mkdocs' theme writes navigation titles as HTML: a title from the data is escaped here
        pages = [
            {html_text(title): f"{STUDIES_FOLDER}/{summary.study}/{name}"}
            for title, name in navs[summary.study]
        ]
        studies.append({html_text(summary.title): pages})
    nav: list[dict] = [{"Home": "index.md"}, {"Studies": studies}]
    if comparisons:
        compared: list = [{"All comparisons": COMPARISONS_INDEX}]
        compared += [{html_text(c.outcome.title): comparison_path(c.outcome.key)} for c in comparisons]
        nav.append({"Comparisons": compared})
    if glossary.terms:
        nav.append({"Glossary": GLOSSARY_PAGE})
    nav.append({"What changed": CHANGES_PAGE})
    return nav


def site_assets(templates: tuple[Path, ...]) -> dict[str, bytes]:
    """The site's scripts and styles from the template folders' assets/, the project's file of a name
    first: plotly.js is its pinned basic bundle there."""
    files: dict[str, bytes] = {}
    for templates_dir in reversed(templates):
        check_links(templates_dir)
        folder = templates_dir / "assets"
        paths = [path for path in sorted(folder.rglob("*")) if path.is_file()]
        files.update({f"assets/{path.relative_to(folder).as_posix()}": path.read_bytes() for path in paths})
    files = dict(sorted(files.items()))
    folder = templates[0] / "assets"
    missing = [f"assets/{name}" for name in REQUIRED_ASSETS if not files.get(f"assets/{name}", b"").strip()]
    if missing:
        state = "is missing or empty" if not files else f"lacks {', '.join(missing)} (or it is empty)"
        expected = " and ".join(f"assets/{name}" for name in REQUIRED_ASSETS)
        raise TemplateError(
            [
                Problem(
                    folder,
                    f"{state}: the site needs its script and styles, {expected}, "
                    "which the generator gives mkdocs as extra_javascript and extra_css",
                )
            ]
        )
    return files
