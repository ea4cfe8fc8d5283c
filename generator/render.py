"""Pages: Jinja templates filled from the computed results, as Markdown text, plus their downloads.

Everything here is pure text production: it returns {relative path: bytes}; `write` puts it on disk.
Templates receive one typed context per page and show figures only through `show`, which marks
each figure's provenance.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import plotly.io as pio
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from generator import formatting
from generator.analysis import StudyResults
from generator.audit import RULES, AuditReport
from generator.changes import Changes, compare_manifests
from generator.charts import Chart, dosing_chart, measure_chart, proportion_chart
from generator.config import SiteConfig
from generator.downloads import VALUES_INDEX, published_values, study_downloads, values_index
from generator.errors import Problem, TemplateError
from generator.figures import FigureLinks, ShowDocumentList, ShowFigure, highlighted_documents
from generator.formatting import NumberFormat
from generator.layout import AUDIT, DESIGN, OVERVIEW, SOURCE, ResultPage, StudyLayout, study_layout
from generator.load import Study
from generator.model import ALL_PATIENTS, parse_headline
from generator.provenance import QuoteIndex, Value, ValueBook, collect_values
from generator.text import code_block, escape_markdown, html_text, link_target

PAGE_TEMPLATES = {
    OVERVIEW: "study/overview.md.j2",
    DESIGN: "study/design.md.j2",
    AUDIT: "study/audit.md.j2",
    SOURCE: "study/source.md.j2",
}
RESULTS_TEMPLATE = "study/results.md.j2"
CHANGES_PAGE = "changes.md"
REQUIRED_ASSETS = ("javascripts/charts.js", "stylesheets/extra.css")
"""The site's own script and styles under templates/assets/, which mkdocs.yml lists under
extra_javascript and extra_css (plotly.js comes from the installed package)."""

RENDER_SECONDS = 30.0
"""Longest one page may take to render: a template that loops without end stops, located."""
MAX_PAGE_CHARS = 50_000_000
"""Largest page (and largest repeated string or list) a template may produce."""
MAX_EXPONENT = 1024
GUARD_FILTER = "_guarded_loop"
PRINTF_FIELD = re.compile(r"%[-+ #0]*(\d*)(?:\.(\d+))?")


@dataclass(frozen=True)
class SiteInfo:
    """What identifies this build of the site."""

    title: str
    data_version: str
    built: dt.date


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
    name: str = ""
    show: ShowFigure | None = None
    result_page: ResultPage | None = None

    @property
    def pages(self) -> list[tuple[str, str]]:
        return self.layout.nav

    def row(self, table: str, record: dict) -> dict[str, Value]:
        return self.book.row(table, record)

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
        return RULES


@dataclass(frozen=True)
class HomeStudy:
    results: StudyResults
    book: ValueBook
    show: ShowFigure


@dataclass(frozen=True)
class HomeContext:
    """What the home page template receives."""

    site: SiteInfo
    studies: list[HomeStudy]
    fmt: NumberFormat
    values_index: str
    changes: Changes


@dataclass(frozen=True)
class ChangesContext:
    """What the "What changed" page template receives."""

    site: SiteInfo
    changes: Changes
    study_titles: dict[str, str]


class RenderLimit(Exception):
    """A template went past a guard of PageEnvironment."""


class _GuardedLoops(CodeGenerator):
    """Compiles every {% for %} to iterate through GUARD_FILTER, which checks the clock each step."""

    def visit_Template(self, node: nodes.Template, frame=None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, GUARD_FILTER, [], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)


class PageEnvironment(SandboxedEnvironment):
    """The templates' Jinja: sandboxed (no Python internals; range() holds at most 100,000 numbers),
    with a deadline checked at every loop step and every call, and size caps on *, ** and %.

    Jinja has no while loop, so only loops and calls (macros calling themselves) can run long;
    a page that still grows too large is stopped by `render_page`.
    """

    code_generator_class = _GuardedLoops
    intercepted_binops = frozenset({"*", "**", "%"})
    deadline = float("inf")

    def start_page(self) -> None:
        self.deadline = time.monotonic() + RENDER_SECONDS

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimit(f"it took longer than {RENDER_SECONDS:g} s: a loop or a macro without end?")

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's signature
        __self.tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator: str, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise RenderLimit(f"an exponent above {MAX_EXPONENT} ({right})")
        size = _SIZE_OF[operator](left, right) if operator in _SIZE_OF else 0
        if size > MAX_PAGE_CHARS:
            raise RenderLimit(f"text or a list of {size:,} items, above {MAX_PAGE_CHARS:,}")
        return super().call_binop(context, operator, left, right)


def _repeated_size(left, right) -> int:
    """The length of `left * right` when it repeats a string or a sequence, else 0."""
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int):
            return len(sequence) * times
    return 0


def _padded_size(template, _values) -> int:
    """The widest field of a printf-style `template % values` ('%0999d' pads to 999), else 0."""
    if not isinstance(template, str):
        return 0
    return max((int(n) for m in PRINTF_FIELD.finditer(template) for n in m.groups() if n), default=0)


_SIZE_OF = {"*": _repeated_size, "%": _padded_size}


@jinja2.pass_environment
def _guarded_loop(env: PageEnvironment, iterable):
    """The items of a {% for %} loop, the clock checked before each."""
    for item in iterable:
        env.tick()
        yield item


def make_environment(templates_dir: Path) -> PageEnvironment:
    env = PageEnvironment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=escape_markdown,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        reference=formatting.vancouver_reference,
        short_authors=formatting.short_authors,
        design_words=formatting.design_words,
        figure_json=figure_json,
        code_block=code_block,
        url=link_target,
    )
    env.filters[GUARD_FILTER] = _guarded_loop
    env.globals["ALL"] = ALL_PATIENTS
    return env


def figure_json(chart: Chart) -> Markup:
    """The figure as JSON for an HTML attribute, with sorted keys so builds are reproducible.

    An attribute, not a <script> element: Material's instant navigation re-runs inline scripts as
    JavaScript, whatever their type.
    """
    data = json.loads(pio.to_json(chart.figure, validate=False))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Markup(html.escape(text, quote=True))


def study_charts(results: StudyResults, layout: StudyLayout, fmt: NumberFormat) -> dict[str, Chart]:
    """The charts of one study, keyed by table name (and `dosing`); one for each table on a page."""
    charts = {}
    if not results.schedules.empty:
        charts["dosing"] = dosing_chart(
            "dosing",
            "Dose by day of cycle",
            "Dose given on each day of a treatment cycle, by arm, as reported. A whisker spans a "
            "reported dose range; the shaded band is the window in which the next cycle starts.",
            results,
        )
    sections = [s for page in layout.result_pages for s in page.sections] + layout.design_sections
    for section in sections:
        chart = _section_chart(results, section, fmt)
        if chart is not None:
            charts[section.table] = chart
    return charts


def _section_chart(results: StudyResults, section, fmt: NumberFormat) -> Chart | None:
    ci = "the confidence interval computed by this site from n/N"
    if section.kind == "proportions":
        return proportion_chart(
            section.table,
            section.title,
            f"Proportion of patients for each outcome, with {ci}; a hollow dot is a percentage "
            "reported without its count.",
            results.proportions[section.table],
            fmt,
        )
    if section.kind == "measures":
        frame = results.measures[section.table]
        unit = frame["unit"].mode().iloc[0]
        others = "" if (frame["unit"] == unit).all() else " Figures in other units are in the table only."
        return measure_chart(
            section.table,
            section.title,
            f"Values in {unit} as reported, for all patients, each arm and each subgroup.{others} "
            "No curve is modelled.",
            frame,
            unit,
        )
    return None


def headline_cards(results: StudyResults, book: ValueBook) -> list[Card]:
    """The overview's cards, in the order of the study's `headline` list (table:outcome@arm)."""
    cards = []
    for ref in results.study.meta.headline:
        headline = parse_headline(ref)
        frame = results.proportions.get(headline.table, results.measures.get(headline.table))
        record = headline.rows(frame).iloc[0].to_dict()
        values = book.row(headline.table, record)
        main = values.get("estimate") or values.get("value") or values["percent"]
        cards.append(
            Card(
                record["label"],
                record["arm_label"],
                record["arm"] == ALL_PATIENTS,
                main,
                values.get("count"),
                values.get("denominator"),
                values.get("ci"),
            )
        )
    return cards


def render_site(
    results: list[StudyResults],
    audits: list[AuditReport],
    config: SiteConfig,
    templates_dir: Path,
    site: SiteInfo,
    previous_manifest: dict | None = None,
) -> dict[str, bytes]:
    """Every generated file of the docs folder, as {relative path: content}.

    The home page is rendered first and each study's source page last, so that the figures'
    uses are all recorded when the abstract links back to them and the manifest lists them.
    """
    fmt = NumberFormat(config)
    assets = site_assets(templates_dir)
    env = make_environment(templates_dir)
    books = [collect_values(result, fmt) for result in results]
    links = [
        FigureLinks(f"studies/{r.study.slug}", book, QuoteIndex.build(_sections(r.study), book))
        for r, book in zip(results, books, strict=True)
    ]
    changes = compare_manifests(previous_manifest, published_values(links))
    home = HomeContext(
        site,
        [
            HomeStudy(r, link.book, link.for_page("index.md", "Home"))
            for r, link in zip(results, links, strict=True)
        ],
        fmt,
        VALUES_INDEX,
        changes,
    )
    files = {"index.md": render_page(env, "home.md.j2", {"page": home})}
    titles = {r.study.slug: r.study.meta.short_title for r in results}
    files[CHANGES_PAGE] = render_page(env, "changes.md.j2", {"page": ChangesContext(site, changes, titles)})
    nav: list[dict] = [{"Home": "index.md"}, {"What changed": CHANGES_PAGE}]
    for result, audit, link in zip(results, audits, links, strict=True):
        files.update(_render_study(env, result, audit, link, fmt))
        # mkdocs' theme writes navigation titles as HTML: a title from the data is escaped here
        section = html_text(result.study.meta.short_title)
        pages = study_layout(result.study).nav
        nav.append({section: [{title: f"{link.folder}/{name}"} for title, name in pages]})
    manifest = {"site": site.title, "data_version": site.data_version, "built": site.built.isoformat()}
    files[VALUES_INDEX] = values_index(links, manifest)
    files[".nav.json"] = (json.dumps(nav, indent=1, ensure_ascii=False) + "\n").encode()
    files.update(assets)
    return files


def _render_study(
    env: jinja2.Environment,
    result: StudyResults,
    audit: AuditReport,
    link: FigureLinks,
    fmt: NumberFormat,
) -> dict[str, bytes]:
    """One study's pages and downloads; the source page last, so that it knows every figure's uses."""
    layout = study_layout(result.study)
    charts = study_charts(result, layout, fmt)
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
    )
    titles = dict((name, title) for title, name in layout.nav)
    pages = [(name, PAGE_TEMPLATES[name], None) for name in (OVERVIEW, DESIGN)]
    pages += [(p.name, RESULTS_TEMPLATE, p) for p in layout.result_pages]
    pages += [(name, PAGE_TEMPLATES[name], None) for name in (AUDIT, SOURCE)]
    files = {}
    for name, template, result_page in pages:
        show = link.for_page(f"{link.folder}/{name}", titles[name])
        page = replace(context, name=name, show=show, result_page=result_page)
        files[f"{link.folder}/{name}"] = render_page(env, template, {"page": page})
    files.update(study_downloads(link.folder, result, audit, charts))
    return files


def _sections(study: Study) -> list[tuple[str, str]]:
    """Every quotable block of the study's source documents, in order."""
    return [block for document in study.meta.sources for block in document.blocks()]


def render_page(env: PageEnvironment, template: str, context: dict) -> bytes:
    """One page; every failure of a template becomes a TemplateError with its file and line."""
    where = Path(template)
    try:
        page = env.get_template(template)
        where = Path(page.filename or template)
        return _generate(env, page, context).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        where = Path(exc.filename or template)
        raise TemplateError(
            [Problem(where, f"template syntax error: {exc.message}", line=exc.lineno)]
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError([Problem(Path(template), f"template not found: {exc.name}")]) from None
    except RecursionError as exc:
        raise _located(exc, where, "a macro or include calls itself without end") from None
    except jinja2.UndefinedError as exc:
        raise _located(exc, where, f"undefined in template: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise _located(exc, where, f"not allowed in a template: {exc}") from None
    except RenderLimit as exc:
        raise _located(exc, where, f"template stopped: {exc}") from None
    except (jinja2.TemplateError, TypeError, ValueError, LookupError, AttributeError, ArithmeticError) as exc:
        raise _located(exc, where, f"error in template: {type(exc).__name__}: {exc}") from None
    except MemoryError as exc:
        raise _located(exc, where, "template stopped: it ran out of memory") from None


def _generate(env: PageEnvironment, page: jinja2.Template, context: dict) -> str:
    """The page's text, stopped when it grows past MAX_PAGE_CHARS or takes past RENDER_SECONDS."""
    env.start_page()
    chunks, size = [], 0
    for chunk in page.generate(context):
        size += len(chunk)
        if size > MAX_PAGE_CHARS:
            raise RenderLimit(f"the page grew past {MAX_PAGE_CHARS:,} characters")
        chunks.append(chunk)
    return "".join(chunks)


def _located(exc: BaseException, page: Path, message: str) -> TemplateError:
    where, line = _template_frame(exc, page)
    return TemplateError([Problem(where, message, line=line)])


def _template_frame(exc: BaseException, default: Path) -> tuple[Path, int | None]:
    """The template file and line where rendering failed (Jinja maps its frames to template lines)."""
    tb, found = exc.__traceback__, (default, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def site_assets(templates_dir: Path) -> dict[str, bytes]:
    """The site's scripts and styles from templates/assets, and plotly.js from the installed package."""
    from plotly.offline import get_plotlyjs

    folder = templates_dir / "assets"
    files = {
        f"assets/{path.relative_to(folder).as_posix()}": path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    missing = [f"assets/{name}" for name in REQUIRED_ASSETS if not files.get(f"assets/{name}", b"").strip()]
    if missing:
        state = "is missing or empty" if not files else f"lacks {', '.join(missing)} (or it is empty)"
        expected = " and ".join(f"assets/{name}" for name in REQUIRED_ASSETS)
        raise TemplateError(
            [
                Problem(
                    folder,
                    f"{state}: the site needs its script and styles, {expected}, "
                    "which mkdocs.yml lists under extra_javascript and extra_css",
                )
            ]
        )
    files["assets/javascripts/plotly.min.js"] = get_plotlyjs().encode("utf-8")
    return files
