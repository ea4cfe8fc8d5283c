"""What a person sees, in a real headless Chromium (Debian's), driven by Playwright.

The site is opened at its site_url with every request answered from the built folder, so Material's
instant navigation works as when published, and any request leaving the machine is caught.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from pathlib import Path

import bibtexparser
import pytest
import rispy
import yaml

from generator.text import FORMULA_START
from tests.conftest import ROOT, STUDY, copy_project, needed
from tests.sitebrowser import (
    PALETTE_SHOWN,
    real_site_url,
    routed_page,
    site_pages,
    wait_until_markup_could_have_run,
)

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI

STUDIES = sorted(p.name for p in (ROOT / "content" / "studies").iterdir() if p.is_dir())
"""Every study of the real content: the browser tests walk each of them."""


def study_pages(site_dir: Path, slug: str) -> list[tuple[str, int]]:
    """(page path under the study, number of charts on it) for every page of a study, in the built site."""
    folder = site_dir / "studies" / slug
    pages = sorted(p.parent for p in folder.rglob("index.html"))
    return [
        (
            "" if p == folder else p.relative_to(folder).as_posix(),
            (p / "index.html").read_text().count('class="ev-chart"'),
        )
        for p in pages
    ]


@pytest.fixture(scope="module")
def site_url() -> str:
    return real_site_url()


@pytest.fixture
def visit(browser, built_site, site_url):
    with routed_page(browser, built_site / "site", site_url) as opened:
        yield opened


def study_url(site_url: str, page: str, slug: str = STUDY) -> str:
    return f"{site_url}studies/{slug}/{page + '/' if page else ''}"


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('div.ev-chart svg.main-svg').length >= n && "
        "document.querySelectorAll('div.ev-chart[data-drawn=\"true\"]').length === n",
        arg=count,
        timeout=15_000,
    )
    assert page.locator("div.ev-chart").count() == count


@pytest.mark.parametrize("slug", STUDIES)
def test_charts_draw_after_instant_navigation_through_the_sidebar(visit, built_site, site_url, slug):
    page, _ = visit
    page.goto(site_url)
    page.evaluate("window.__sameWindow = 'kept'")
    page.locator('nav.md-nav--primary a.md-nav__link[href$="studies/"]').first.click()
    page.wait_for_url(f"{site_url}studies/")
    page.locator(f'article .ev-index a[href$="studies/{slug}/"]').first.click()
    page.wait_for_url(study_url(site_url, "", slug))
    for name, charts in study_pages(built_site / "site", slug):
        if name == "audit":
            continue  # the sidebar lists it last; the others are enough to cross every kind of page
        href = f"studies/{slug}/{name + '/' if name else ''}"
        page.locator(f'nav.md-nav--primary a.md-nav__link[href$="{href}"]').first.click()
        page.wait_for_url(study_url(site_url, name, slug))
        wait_for_charts(page, charts)
        assert page.evaluate("window.__sameWindow") == "kept", f"{href}: the click loaded a new page"


def comparison_pages(site_dir: Path) -> list[str]:
    """The name of every comparison page of the built site."""
    folder = site_dir / "comparisons"
    return sorted(p.parent.name for p in folder.glob("*/index.html"))


def test_the_study_index_lists_every_study_and_sorts_and_filters(visit, built_site, site_url):
    page, _ = visit
    page.goto(f"{site_url}studies/")
    rows = page.locator("article .ev-index tbody tr")
    assert rows.count() == len(STUDIES)
    for slug in STUDIES:
        assert page.locator(f'article .ev-index a[href$="studies/{slug}/"]').count() == 1
    years = "[...document.querySelectorAll('.ev-index tbody tr')].map(r => r.cells[6].textContent.trim())"
    page.get_by_role("button", name="Year").click()
    ascending = page.evaluate(years)
    assert ascending == sorted(ascending)
    page.get_by_role("button", name="Year").click()
    assert page.evaluate(years) == sorted(ascending, reverse=True)
    assert page.locator("th[aria-sort=descending]").count() == 1
    titles = "[...document.querySelectorAll('.ev-index tbody tr')].map(r => r.cells[0].textContent.trim())"
    page.get_by_role("button", name="Study").click()
    by_title = page.evaluate(titles)
    assert by_title == sorted(by_title, key=str.casefold), (
        "text columns sort as text, not by a number in them"
    )
    registry = page.locator("article .ev-index tbody td:nth-child(8)").all_inner_texts()
    number = next((text for text in registry if text.strip() not in ("", "–")), None)
    if number:
        page.get_by_label("Filter studies").fill(number.split(";")[0].strip())
        visible = page.locator("article .ev-index tbody tr:not([hidden])")
        assert 1 <= visible.count() < len(STUDIES)
        assert page.get_by_role("status").inner_text().startswith(f"{visible.count()} of {len(STUDIES)}")
    page.get_by_label("Filter studies").fill("")
    assert page.locator("article .ev-index tbody tr:not([hidden])").count() == len(STUDIES)


def test_every_comparison_draws_its_forest_plot_directly_and_after_instant_navigation(
    visit, built_site, site_url
):
    page, _ = visit
    names = comparison_pages(built_site / "site")
    assert names, "the real content shares at least one outcome across studies"
    for name in names:
        page.goto(f"{site_url}comparisons/{name}/")
        wait_for_charts(page, 1)
        assert page.locator("div.ev-chart .plot-container svg.main-svg").first.is_visible()
        rows = page.locator("article .ev-table tbody tr")
        assert rows.count() >= 2
        assert page.locator("article .ev-table tbody a.ev-value").count() >= rows.count()
    page.goto(site_url)
    page.evaluate("window.__sameWindow = 'kept'")
    for name in names:
        page.locator(f'nav.md-nav--primary a.md-nav__link[href$="comparisons/{name}/"]').first.click()
        page.wait_for_url(f"{site_url}comparisons/{name}/")
        wait_for_charts(page, 1)
        assert page.evaluate("window.__sameWindow") == "kept", f"{name}: the click loaded a new page"


def test_search_finds_veno_occlusive_disease_on_the_safety_page(visit, site_url):
    page, _ = visit
    page.goto(site_url)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("veno-occlusive", delay=20)
    page.locator("li.md-search-result__item a").first.wait_for(timeout=15_000)
    hrefs = page.locator("li.md-search-result__item a").evaluate_all("as => as.map(a => a.href)")
    assert any(f"studies/{STUDY}/safety/" in h for h in hrefs), hrefs


def test_charts_follow_the_light_and_dark_palette(visit, site_url):
    page, _ = visit
    page.goto(study_url(site_url, "efficacy"))
    wait_for_charts(page, 1)
    font = "() => document.querySelector('div.ev-chart').layout.font.color"
    fg = "() => getComputedStyle(document.body).getPropertyValue('--md-default-fg-color').trim()"
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    before, before_scheme = page.evaluate(font), page.evaluate(scheme)
    assert before == page.evaluate(fg)
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function(f"() => ({scheme})() !== {before_scheme!r}")
    page.wait_for_function(f"() => ({font})() === ({fg})()")
    assert page.evaluate(font) != before


def test_a_browser_that_asks_for_dark_opens_every_kind_of_page_dark_with_dark_charts(
    browser, built_site, site_url
):
    """The tours of test_every_page switch to dark with the palette control; here a page opened by a
    browser that asks for dark is dark from the start, its charts drawn in the dark palette."""
    comparison = next(a for a in site_pages(built_site / "site") if re.fullmatch(r"comparisons/[^/]+/", a))
    with routed_page(browser, built_site / "site", site_url, scheme="dark") as (page, _):
        for address in ("", study_url(site_url, "efficacy")[len(site_url) :], comparison):
            page.goto(site_url + address)
            charts = page.locator("div.ev-chart").count()
            wait_for_charts(page, charts)
            assert page.evaluate(PALETTE_SHOWN, "slate"), address


def test_the_reference_has_a_working_copy_button(visit, site_url):
    page, _ = visit
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    page.goto(study_url(site_url, "source"))
    button = page.locator(".ev-source button[data-md-type='copy']").first
    button.focus()
    page.keyboard.press("Enter")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Kantarjian H, Thomas D") and "doi: 10.1002/cncr.28136." in copied


def payload(n: int) -> str:
    """Text that runs script (window.__pwned = n), leaves its attribute, or reads as Markdown or as a
    template if anything on its way to the page does not escape it."""
    return (
        f'<img src=x onerror="window.__pwned={n}"> "><svg onload=window.__pwned={n}> '
        f"[x](javascript:window.__pwned={n}) `tick` *em* _u_ <https://evil.example/{n}> &amp; "
        f"<!-- c --> {{: onclick=window.__pwned={n} }} {{{{ {n}*{n} }}}} | #{n} "
        f"</title><script>window.__pwned={n}</script>"
    )


HOSTILE_FIELDS = [
    "short title",
    "citation title",
    "author family",
    "author given",
    "journal",
    "keyword",
    "publication type",
    "mesh term",
    "substance",
    "abstract heading",
    "sentence",
    "design summary",
    "population",
    "arm label",
    "other arm label",
    "route",
    "dose unit",
    "response label",
    "survival label",
    "subgroup",
    "survival unit",
    "transplant label",
    "population label",
    "event",
    "source title",
    "source note",
    "table cell",
    "set label",
    "regimen",
    "registry",
    "citation note",
    "page title",
    "outcome title",
    "outcome definition",
    "outcome note",
    "follow up",
    "glossary term",
    "glossary meaning",
    "glossary synonym",
    "glossary definition",
]
LINE_BREAKS = '\r| injected | row |\r\n=HYPERLINK("x")\u2028---\n'
LONG_WORD = "<img/src=x/onerror=window.__pwned=99>" + "W" * 60  # wider than the navigation
FORMULAS = {
    "event": '=HYPERLINK("https://evil.example","x") ',
    "subgroup": "@SUM(1+1) ",
    "other arm label": "+1+1 ",
    "survival unit": "-1+1 ",
}
"""Spreadsheet formulas at the start of fields that reach the CSV downloads."""


def hostile(field: str) -> str:
    """The hostile text of one field: some with line breaks or a formula, the title with a long word."""
    text = FORMULAS.get(field, "") + payload(HOSTILE_FIELDS.index(field) + 1)
    if field in ("response label", "other arm label"):
        text += LINE_BREAKS
    return f"{text} {LONG_WORD}" if field == "short title" else text


def shown(field: str) -> str:
    """How the field's text shows on a page: as written, every run of white space one space."""
    return " ".join(hostile(field).split())


def _edit_csv(path: Path, edit) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        edit(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _set_if(row: dict, column: str, field: str, **match: str) -> None:
    if all(row[key] == value for key, value in match.items()):
        row[column] = hostile(field)


def make_hostile(study: Path) -> None:
    """Hostile text in every text field of the study that reaches a page, a chart or a download."""
    meta = yaml.safe_load((study / "study.yml").read_text())
    citation, arms = meta["citation"], meta["arms"]
    meta["short_title"] = hostile("short title")
    citation["title"], citation["journal"] = hostile("citation title"), hostile("journal")
    citation["authors"][0] = {"family": hostile("author family"), "given": hostile("author given")}
    for key, field in [
        ("keywords", "keyword"),
        ("publication_types", "publication type"),
        ("mesh_terms", "mesh term"),
        ("substances", "substance"),
    ]:
        citation[key][0] = hostile(field)
    citation["notes"] = [hostile("citation note")]
    abstract = meta["sources"][0]
    abstract["title"], abstract["note"] = hostile("source title"), hostile("source note")
    abstract["sections"][0]["heading"] = hostile("abstract heading")
    abstract["sections"][-1]["text"] += " " + hostile("sentence")  # quotes come from the sources
    table = {
        "id": "table-1",
        "title": "Table 1",
        "header": ["Event", "N"],
        "rows": [[hostile("table cell"), "90"]],
    }
    meta["sources"].append(table)
    meta["design"] = {
        "summary": hostile("design summary"),
        "source": hostile("sentence"),
        "allocation": "non-randomized",
        "registrations": [
            {"registry": hostile("registry"), "id": "NCT00000001", "source": hostile("sentence")},
            {  # an address that would close a Markdown link and open another
                "registry": hostile("registry"),
                "id": "NCT00000002",
                "url": "https://example.org/x)](javascript:window.__pwned=1)",
            },
        ],
    }
    abstract["sections"][-1]["text"] += " " + hostile("follow up")  # the follow-up's sentence, quoted
    meta["evidence"] = {
        "source_kind": "abstract",
        "follow_up": hostile("follow up"),
        "follow_up_source": hostile("follow up"),
    }
    meta["population"]["description"] = hostile("population")
    meta["population"]["sets"][0]["label"] = hostile("set label")
    meta["population"]["sets"][0]["source"] = hostile("table cell") + " | 90"
    arms[0]["label"], arms[1]["label"] = hostile("arm label"), hostile("other arm label")
    meta["pages"][0].update(id="efficacy", title=hostile("page title"))
    arms[0]["regimen"] = hostile("regimen")
    arms[0]["dosing"]["route"] = hostile("route")
    for dose in (dose for arm in arms for dose in arm["dosing"]["doses"]):
        dose["unit"] = hostile("dose unit")
    (study / "study.yml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
    _edit_csv(
        study / "responses.csv", lambda r: _set_if(r, "label", "response label", outcome="cr", arm="all")
    )
    _edit_csv(study / "transplant.csv", lambda r: _set_if(r, "label", "transplant label", outcome="allo_sct"))
    _edit_csv(
        study / "population.csv", lambda r: _set_if(r, "label", "population label", outcome="salvage_1")
    )

    def survival(row: dict) -> None:
        _set_if(row, "label", "survival label", outcome="median_os", arm="all", subgroup="")
        _set_if(row, "subgroup", "subgroup", subgroup="Salvage 2")
        _set_if(row, "unit", "survival unit", subgroup="Salvage 3 or later")

    _edit_csv(study / "survival.csv", survival)
    with (study / "adverse_events.csv").open("a", newline="", encoding="utf-8") as handle:
        row = [hostile("event"), "weekly", "single-dose", "similar", "reported", hostile("sentence")]
        csv.writer(handle, lineterminator="\n").writerow(row)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    """The real project with hostile text in every field of the data that reaches a page."""
    from generator.build import build_site, open_project

    root = copy_project(tmp_path_factory.mktemp("hostile"))
    make_hostile(root / "content" / "studies" / STUDY)
    vocabulary = yaml.safe_load((root / "content" / "outcomes.yml").read_text())
    shared = next(o for o in vocabulary["outcomes"] if o["key"] == "median-overall-survival")
    shared.update(title=hostile("outcome title"), definition=hostile("outcome definition"))
    shared["notes"] = [hostile("outcome note")]
    (root / "content" / "outcomes.yml").write_text(yaml.safe_dump(vocabulary, allow_unicode=True))
    glossary = yaml.safe_load((root / "content" / "glossary.yml").read_text())
    glossary["terms"].append(
        {
            "term": hostile("glossary term"),
            "meaning": hostile("glossary meaning"),
            "synonyms": [hostile("glossary synonym")],
            "definition": hostile("glossary definition"),
        }
    )
    (root / "content" / "glossary.yml").write_text(yaml.safe_dump(glossary, allow_unicode=True))
    settings = root / "site_config.yml"  # the differences between the cohorts too, with their tooltips
    settings.write_text(settings.read_text().replace("non_randomized: false", "non_randomized: true", 1))
    build_site(open_project(root))
    return root / "site"


STUDY_PATH = f"studies/{STUDY}/"
HOSTILE_PAGES = {
    "": [],
    "studies/": ["short title", "arm label", "other arm label"],
    "comparisons/median-overall-survival/": [
        "short title",
        "arm label",
        "other arm label",
        "outcome title",
        "outcome definition",
        "outcome note",
    ],
    "changes/": [],
    "glossary/": ["glossary term", "glossary meaning", "glossary synonym", "glossary definition"],
    STUDY_PATH: [
        "short title",
        "citation title",
        "author family",
        "journal",
        "design summary",
        "population",
        "arm label",
        "other arm label",
        "response label",
        "survival label",
        "transplant label",
        "source title",
        "source note",
        "follow up",
    ],
    STUDY_PATH + "design/": [
        "sentence",
        "set label",
        "regimen",
        "registry",
        "design summary",
        "population",
        "arm label",
        "other arm label",
        "route",
        "dose unit",
        "population label",
    ],
    STUDY_PATH + "efficacy/": [
        "arm label",
        "other arm label",
        "response label",
        "page title",
    ],
    STUDY_PATH + "survival/": [
        "arm label",
        "other arm label",
        "survival label",
        "subgroup",
        "survival unit",
    ],
    STUDY_PATH + "safety/": ["sentence", "arm label", "other arm label", "transplant label", "event"],
    STUDY_PATH + "source/": [
        "citation title",
        "author family",
        "journal",
        "keyword",
        "publication type",
        "mesh term",
        "substance",
        "abstract heading",
        "sentence",
        "source title",
        "source note",
        "table cell",
        "citation note",
    ],
    STUDY_PATH + "audit/": [
        "arm label",
        "other arm label",
        "dose unit",
        "response label",
        "survival label",
        "subgroup",
        "survival unit",
        "transplant label",
        "population label",
    ],
}
"""Every page of the hostile site, with the fields whose text its article shows."""
IN_TOOLTIPS = {
    STUDY_PATH: ["response label"],
    STUDY_PATH + "design/": ["dose unit"],
    STUDY_PATH + "efficacy/": ["response label", "arm label", "other arm label"],
}
"""Fields whose text a figure's tooltip shows (in how the figure was derived or computed)."""
IN_CHARTS = {
    STUDY_PATH + "design/": ["arm label", "other arm label", "dose unit"],
    STUDY_PATH + "efficacy/": ["response label", "arm label", "other arm label"],
    STUDY_PATH + "survival/": ["survival label", "subgroup", "arm label", "other arm label"],
    STUDY_PATH + "safety/": ["transplant label"],
}

SHOW_TOOLTIP = """async el => {
    for (let wait = 0; wait < 100 && !el.getAttribute("aria-describedby"); wait++)
        await new Promise(done => requestAnimationFrame(done));
    const tip = document.getElementById(el.getAttribute("aria-describedby") || "-");
    const inner = tip && tip.querySelector(".md-tooltip2__inner");
    return inner && {text: inner.textContent, elements: inner.querySelectorAll("*").length};
}"""
HOVER_CHART = """chart => {
    const texts = [...chart.querySelectorAll(".main-svg")].map(svg => svg.textContent);
    chart.data.forEach((trace, curve) => (trace.x || []).forEach((_, point) => {
        const subplot = (trace.xaxis || "x") + (trace.yaxis || "y");
        window.Plotly.Fx.hover(chart, [{curveNumber: curve, pointNumber: point}], subplot);
        texts.push(chart.querySelector(".hoverlayer").textContent);
    }));
    const markup = chart.querySelectorAll(".main-svg a, .main-svg image, .main-svg foreignObject");
    return {text: texts.join(" "), markup: markup.length};
}"""

NOT_OURS = """[...document.querySelectorAll("article img, article svg, article script, article iframe")]
    .filter(e => !e.closest(".ev-chart"))
    .filter(e => !(e.matches(".ev-figure > img.ev-chart-print") && e.src.startsWith("data:image/svg+xml,")))
    .map(e => e.outerHTML)"""
"""Elements of the article that no chart drew: none may come from the data. A chart's printed image
(charts.js: plotly's SVG, an image that runs nothing) is the chart's."""


def show_every_tooltip(page) -> list[tuple[str, dict | None]]:
    """Hover and focus every figure link and every element with a title; what each tooltip showed."""
    seen = []
    targets = page.locator("article a.ev-value, article [title], .md-sidebar [title]").locator("visible=true")
    elements = targets.element_handles()
    titles = [element.get_attribute("title") for element in elements]  # Material removes it when shown
    for element, title in zip(elements, titles, strict=True):
        element.hover(force=True, timeout=5_000)  # the tooltip awaited next shows that it reached it
        seen.append((title, element.evaluate(SHOW_TOOLTIP)))
        element.focus()
    return seen


@pytest.mark.parametrize("path", list(HOSTILE_PAGES))
def test_text_from_the_data_shows_as_written_and_never_runs(browser, hostile_site, site_url, path):
    with routed_page(browser, hostile_site, site_url) as (page, _):
        page.goto(site_url + path)
        wait_for_charts(page, page.locator("div.ev-chart").count())
        page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")  # lists
        tooltips = show_every_tooltip(page)
        charts = [chart.evaluate(HOVER_CHART) for chart in page.locator("div.ev-chart").element_handles()]
        wait_until_markup_could_have_run(page)  # an image that should not exist has failed by now
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate("[...document.links].filter(a => a.protocol === 'javascript:').length") == 0
        assert page.evaluate(NOT_OURS) == []
        text = " ".join(page.locator("article").inner_text().split())
        for field in HOSTILE_PAGES[path]:
            assert shown(field) in text, field
        for field in {"page title", "outcome title"} & set(HOSTILE_PAGES[path]):
            assert shown(field) in " ".join(page.title().split()), "the window title shows it as written"
        if path.startswith(STUDY_PATH):  # the sidebar holds the current study's pages only
            sidebar = " ".join(page.locator("nav.md-nav--primary").inner_text().split())
            assert shown("short title") in sidebar
        for title, tip in tooltips:
            assert tip is not None, f"no tooltip for {title!r}"
            assert (tip["text"], tip["elements"]) == (html.unescape(title), 0)
        tip_text = " ".join(tip["text"] for _, tip in tooltips)
        for field in IN_TOOLTIPS.get(path, []):
            assert shown(field) in tip_text, field
        chart_text = "".join("".join(c["text"] for c in charts).split())
        for field in IN_CHARTS.get(path, []):
            # as written; a long label may wrap onto lines at its spaces
            assert "".join(shown(field).split()) in chart_text, field
        assert [c["markup"] for c in charts] == [0] * len(charts)


def test_no_download_of_the_hostile_site_runs_or_splits(hostile_site):
    """Every CSV (the zip's too) starts no formula; the citation is one RIS record and one BibTeX entry."""
    folder = hostile_site / STUDY_PATH
    tables = {path.name: path.read_bytes() for path in (folder / "data").glob("*.csv")}
    with zipfile.ZipFile(folder / f"data/{STUDY}-tables.zip") as archive:
        tables.update({name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")})
    rows = [row for data in tables.values() for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
    cells = [cell for row in rows for cell in row]
    assert "'" + hostile("event") in cells
    assert hostile("response label").strip() in cells  # its line breaks quoted, in one cell
    assert [c for c in cells if c.startswith(FORMULA_START) and not re.fullmatch(r"[-+]?[\d.]+", c)] == []
    (record,) = rispy.loads((folder / f"cite/{STUDY}.ris").read_text())
    assert record["title"] == shown("citation title")
    library = bibtexparser.parse_string((folder / f"cite/{STUDY}.bib").read_text())
    assert len(library.entries) == 1 and library.failed_blocks == []


def test_searching_hostile_text_runs_nothing(browser, hostile_site, site_url):
    with routed_page(browser, hostile_site, site_url) as (page, _):
        page.goto(site_url)
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator("input.md-search__input").press_sequentially("onerror", delay=20)
        page.locator("li.md-search-result__item").first.wait_for(timeout=15_000)
        wait_until_markup_could_have_run(page)
        assert page.evaluate("window.__pwned") is None
        assert page.locator(".md-search-result img, .md-search-result script").count() == 0


def test_a_figure_leads_by_keyboard_to_its_highlighted_sentence(visit, site_url):
    page, _ = visit
    page.goto(study_url(site_url, "efficacy"))
    page.evaluate("window.__sameWindow = 'kept'")
    page.locator("#u-responses-cr-all-count").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{study_url(site_url, 'source')}#q-*")
    target = page.locator("mark.ev-quote:target")
    target.wait_for(timeout=10_000)
    assert target.inner_text() == "Overall, 17 patients (19%) achieved a complete response (CR)"
    assert page.evaluate("window.__sameWindow") == "kept"
    assert page.locator("div.ev-chart").count() == 0


def test_a_chart_offers_only_a_titled_image_and_a_reset_and_plotly_loads_only_with_charts(visit, site_url):
    page, _ = visit
    page.goto(site_url)
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.Plotly") == "undefined", "no chart on the home page, no plotly.js"
    page.goto(study_url(site_url, "efficacy"))
    wait_for_charts(page, 1)
    chart = page.locator("div.ev-chart").first
    chart.hover()
    assert chart.locator(".modebar, button, a").count() == 0, "nothing to press inside the image"
    tools = page.locator(".ev-figure .ev-chart-tools").first
    assert tools.get_attribute("role") == "group" and tools.get_attribute("aria-label").startswith("Chart: ")
    buttons = tools.locator("button").evaluate_all("bs => bs.map(b => [b.type, b.textContent])")
    assert buttons == [["button", "Download PNG"], ["button", "Reset view"], ["button", "Table view"]]
    with page.expect_download() as download:
        tools.get_by_role("button", name="Download PNG").click()
    assert download.value.suggested_filename == f"{STUDY}-responses.png", "the file names its study and chart"
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    exported = page.evaluate(
        "['title', 'source', 'method'].map(n => document.querySelector('div.ev-chart').dataset['export' + "
        "n[0].toUpperCase() + n.slice(1)])"
    )
    assert exported == [
        "Response: percent of patients for each outcome, with its interval",
        "Inotuzumab ozogamicin in relapsed or refractory ALL",
        "Intervals: 95% CI, exact Clopper-Pearson",
    ]
    page.wait_for_function(  # the page as it was: no title in the chart, as wide as its element
        "(c => !(c.layout.title && c.layout.title.text) && c.layout.autosize && !c.layout.width)"
        "(document.querySelector('div.ev-chart'))"
    )
    # a zoom, then the reset: the axes the chart was drawn with
    drawn = page.evaluate("document.querySelector('div.ev-chart').layout.xaxis.range.slice()")
    page.evaluate("window.Plotly.relayout(document.querySelector('div.ev-chart'), {'xaxis.range': [10, 20]})")
    tools.get_by_role("button", name="Reset view").click()
    page.wait_for_function(
        "r => JSON.stringify(document.querySelector('div.ev-chart').layout.xaxis.range) === "
        "JSON.stringify(r)",
        arg=drawn,
    )


FOOTER_LINKS = """() => [...document.querySelectorAll('.md-footer__link')].map(a => ({
    label: a.getAttribute('aria-label'),
    shown: a.querySelector('.md-footer__direction').textContent.trim() + ': '
        + a.querySelector('.md-ellipsis').textContent.trim(),
}))"""


def test_footer_links_are_named_by_the_titles_they_show_and_hostile_pages_fit_a_phone(
    browser, hostile_site, site_url
):
    """A title from the data is escaped once: the previous and next links' names are the titles they
    show (not "&amp;amp;"), and at a phone's width no page of the hostile study scrolls sideways."""
    with routed_page(browser, hostile_site, site_url, width=390) as (page, _):
        for path in [p for p in HOSTILE_PAGES if p.startswith(STUDY_PATH)]:
            page.goto(site_url + path)
            links = page.evaluate(FOOTER_LINKS)
            assert links, path
            for link in links:
                assert " ".join(link["label"].split()) == " ".join(link["shown"].split()), (path, link)
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (path, width)
