"""Pages: Jinja templates filled from the computed results, as Markdown text, plus their downloads.

Everything here is pure text production: it returns {relative path: bytes}; `write` puts it on disk.
Templates receive one typed context per page and show figures only through `show`, which marks
each figure's provenance.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import plotly.io as pio
from markupsafe import Markup

from generator import formatting
from generator.analysis import StudyResults
from generator.audit import RULES, AuditReport
from generator.changes import Changes, compare_manifests
from generator.charts import Chart, dosing_chart, measure_chart, proportion_chart
from generator.config import SiteConfig
from generator.downloads import VALUES_INDEX, published_values, study_downloads, values_index
from generator.errors import Problem, TemplateError
from generator.figures import FigureLinks, ShowFigure, highlighted_abstract
from generator.formatting import NumberFormat
from generator.load import Study
from generator.model import ALL_PATIENTS, parse_headline
from generator.provenance import QuoteIndex, Value, ValueBook, collect_values
from generator.text import code_block, escape_markdown

STUDY_PAGES = [
    ("index.md", "study/overview.md.j2", "Overview"),
    ("design.md", "study/design.md.j2", "Design and dosing"),
    ("efficacy.md", "study/efficacy.md.j2", "Efficacy"),
    ("survival.md", "study/survival.md.j2", "Survival"),
    ("safety.md", "study/safety.md.j2", "Transplant and safety"),
    ("audit.md", "study/audit.md.j2", "Consistency audit"),
    ("source.md", "study/source.md.j2", "Source and citation"),
]
"""Each study's pages in the order they are rendered: the source page last, so it knows every
figure's uses. NAV_ORDER gives the reading order."""
NAV_ORDER = ["index.md", "design.md", "efficacy.md", "survival.md", "safety.md", "source.md", "audit.md"]
PAGE_TITLES = {name: title for name, _, title in STUDY_PAGES}
CHANGES_PAGE = "changes.md"


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
    pages: list[tuple[str, str]]
    links: FigureLinks
    name: str = ""
    show: ShowFigure | None = None

    def row(self, table: str, record: dict) -> dict[str, Value]:
        return self.book.row(table, record)

    @property
    def path(self) -> str:
        return f"{self.links.folder}/{self.name}"

    def shown_on(self, value: Value) -> list[tuple[str, str]]:
        """(page title, link) of each page that shows `value`."""
        return self.links.backlinks((value.id,), self.path)

    @property
    def abstract(self) -> list[tuple[str, Markup]]:
        return highlighted_abstract(self.links, self.path)

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


def make_environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
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
        figure_json=figure_json,
        code_block=code_block,
    )
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


def study_charts(results: StudyResults, fmt: NumberFormat) -> dict[str, Chart]:
    """The charts of one study, keyed by name; a chart appears only when its table exists."""
    charts = {
        "dosing": dosing_chart(
            "dosing",
            "Dose by day of cycle",
            "Dose given on each day of a treatment cycle, by schedule, as reported. A whisker spans a "
            "reported dose range; the shaded band is the window in which the next cycle starts.",
            results,
        )
    }
    ci = "confidence interval computed by this site from n/N"
    if "responses" in results.proportions:
        charts["responses"] = proportion_chart(
            "responses",
            "Response rates",
            f"Proportion of patients with each response, with the {ci}.",
            results.proportions["responses"],
            fmt,
        )
    if not results.measures.empty:
        unit = results.measures["unit"].mode().iloc[0]
        others = (
            ""
            if (results.measures["unit"] == unit).all()
            else " Figures in other units are in the table only."
        )
        charts["survival"] = measure_chart(
            "survival",
            "Survival as reported",
            f"Values in {unit} as reported, for all patients, each arm and each subgroup.{others} "
            "No curve is modelled.",
            results.measures,
            unit,
        )
    if "transplant" in results.proportions:
        charts["transplant"] = proportion_chart(
            "transplant",
            "Transplant and complications",
            f"Proportions with the {ci}; a hollow dot is a percentage reported without its count.",
            results.proportions["transplant"],
            fmt,
        )
    return charts


def headline_cards(results: StudyResults, book: ValueBook) -> list[Card]:
    """The overview's cards, in the order of the study's `headline` list (table:outcome@arm)."""
    cards = []
    for ref in results.study.meta.headline:
        headline = parse_headline(ref)
        frame = results.proportions.get(headline.table, results.measures)
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
    files = {"index.md": _render(env, "home.md.j2", {"page": home})}
    titles = {r.study.slug: r.study.meta.short_title for r in results}
    files[CHANGES_PAGE] = _render(env, "changes.md.j2", {"page": ChangesContext(site, changes, titles)})
    nav: list[dict] = [{"Home": "index.md"}, {"What changed": CHANGES_PAGE}]
    for result, audit, link in zip(results, audits, links, strict=True):
        files.update(_render_study(env, result, audit, link, fmt))
        # mkdocs' theme writes navigation titles as HTML: a title from the data is escaped here
        section = html.escape(result.study.meta.short_title)
        nav.append({section: [{PAGE_TITLES[n]: f"{link.folder}/{n}"} for n in NAV_ORDER]})
    manifest = {"site": site.title, "data_version": site.data_version, "built": site.built.isoformat()}
    files[VALUES_INDEX] = values_index(links, manifest)
    files[".nav.json"] = (json.dumps(nav, indent=1, ensure_ascii=False) + "\n").encode()
    files.update(_assets(templates_dir))
    return files


def _render_study(
    env: jinja2.Environment,
    result: StudyResults,
    audit: AuditReport,
    link: FigureLinks,
    fmt: NumberFormat,
) -> dict[str, bytes]:
    """One study's pages and downloads."""
    charts = study_charts(result, fmt)
    context = StudyPageContext(
        result.study,
        result,
        link.book,
        audit,
        charts,
        headline_cards(result, link.book),
        fmt,
        [(PAGE_TITLES[name], name) for name in NAV_ORDER],
        link,
    )
    files = {}
    for name, template, title in STUDY_PAGES:
        page = replace(context, name=name, show=link.for_page(f"{link.folder}/{name}", title))
        files[f"{link.folder}/{name}"] = _render(env, template, {"page": page})
    files.update(study_downloads(link.folder, result, audit, charts))
    return files


def _sections(study: Study) -> list[tuple[str, str]]:
    return [(section.heading, section.text) for section in study.meta.abstract]


def _render(env: jinja2.Environment, template: str, context: dict) -> bytes:
    try:
        return env.get_template(template).render(context).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        where = Path(exc.filename or template)
        raise TemplateError(
            [Problem(where, f"template syntax error: {exc.message}", line=exc.lineno)]
        ) from None
    except jinja2.UndefinedError as exc:
        where, line = _template_frame(exc, Path(template))
        raise TemplateError([Problem(where, f"undefined in template: {exc.message}", line=line)]) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError([Problem(Path(template), f"template not found: {exc.name}")]) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as exc:
        where, line = _template_frame(exc, Path(template))
        raise TemplateError(
            [Problem(where, f"error in template: {type(exc).__name__}: {exc}", line=line)]
        ) from None


def _template_frame(exc: Exception, default: Path) -> tuple[Path, int | None]:
    """The template file and line where rendering failed (Jinja maps its frames to template lines)."""
    tb, found = exc.__traceback__, (default, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _assets(templates_dir: Path) -> dict[str, bytes]:
    """The site's scripts and styles from templates/assets, and plotly.js from the installed package."""
    from plotly.offline import get_plotlyjs

    files = {
        f"assets/{path.relative_to(templates_dir / 'assets').as_posix()}": path.read_bytes()
        for path in sorted((templates_dir / "assets").rglob("*"))
        if path.is_file()
    }
    files["assets/javascripts/plotly.min.js"] = get_plotlyjs().encode("utf-8")
    return files
