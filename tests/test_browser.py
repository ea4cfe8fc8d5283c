"""What a person sees, in a real headless Chromium (Debian's), driven by Playwright.

The site is opened at its site_url with every request answered from the built folder, so Material's
instant navigation works as when published, and any request leaving the machine is caught.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, STUDY, copy_project
from tests.sitebrowser import CHROMIUM, CHROMIUM_ARGS, SiteRouter

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

CHARTS = {"design": 1, "efficacy": 1, "survival": 1, "safety": 1, "": 0, "source": 0, "audit": 0}
SIDEBAR = [
    ("Overview", ""),
    ("Design and dosing", "design"),
    ("Efficacy", "efficacy"),
    ("Survival", "survival"),
    ("Transplant and safety", "safety"),
    ("Source and citation", "source"),
]


@pytest.fixture(scope="module")
def site_url() -> str:
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["site_url"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def routed_page(browser, site_dir: Path, site_url: str):
    """A fresh page routed to a built site; afterwards, no console error, dialog or stray request."""
    router = SiteRouter(site_dir, site_url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", router.handle)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield page, router
    context.close()
    assert errors == [], errors
    assert router.outside == [], router.outside
    assert router.missing == [], router.missing


@pytest.fixture
def visit(browser, built_site, site_url):
    with routed_page(browser, built_site / "site", site_url) as opened:
        yield opened


def study_url(site_url: str, page: str) -> str:
    return f"{site_url}studies/{STUDY}/{page + '/' if page else ''}"


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('div.ev-chart svg.main-svg').length >= n && "
        "document.querySelectorAll('div.ev-chart[data-drawn=\"true\"]').length === n",
        arg=count,
        timeout=15_000,
    )
    assert page.locator("div.ev-chart").count() == count


@pytest.mark.parametrize("name", [n for n, c in CHARTS.items() if c])
def test_every_chart_draws_on_a_direct_load(visit, site_url, name):
    page, _ = visit
    page.goto(study_url(site_url, name))
    wait_for_charts(page, CHARTS[name])
    assert page.locator("div.ev-chart .plot-container svg.main-svg").first.is_visible()
    assert page.evaluate("[...document.querySelectorAll('div.ev-chart')].every(c => c.tabIndex === 0)")


def test_charts_draw_after_instant_navigation_through_the_sidebar(visit, site_url):
    page, _ = visit
    page.goto(site_url)
    page.evaluate("window.__sameWindow = 'kept'")
    for title, name in SIDEBAR:
        page.locator("nav.md-nav--primary a.md-nav__link", has_text=title).first.click()
        page.wait_for_url(study_url(site_url, name))
        wait_for_charts(page, CHARTS[name])
        assert page.evaluate("window.__sameWindow") == "kept", f"{title}: the click loaded a new page"


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


def test_the_reference_has_a_working_copy_button(visit, site_url):
    page, _ = visit
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    page.goto(study_url(site_url, "source"))
    button = page.locator(".ev-source button[data-md-type='copy']").first
    button.focus()
    page.keyboard.press("Enter")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Kantarjian H, Thomas D") and "doi: 10.1002/cncr.28136." in copied


HOSTILE = {
    "title": "<script>window.__pwned=1</script> Study {{ 7*7 }}",
    "summary": '<img src=x onerror="window.__pwned=2"> [click](javascript:window.__pwned=3) *not bold*',
    "label": "<img src=y onerror=window.__pwned=4> CR {{ page }}",
    "event": "[x](javascript:window.__pwned=5) {% raw %}",
    "sentence": '<b onmouseover="window.__pwned=6">bold</b> & more.',
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    """The real project with text from the data that would run as script if it were not escaped."""
    from generator.build import build_site, open_project

    root = copy_project(tmp_path_factory.mktemp("hostile"))
    study = root / "content" / "studies" / STUDY
    meta = yaml.safe_load((study / "study.yml").read_text())
    meta["short_title"] = HOSTILE["title"]
    meta["design"]["summary"] = HOSTILE["summary"]
    meta["abstract"][-1]["text"] += " " + HOSTILE["sentence"]
    (study / "study.yml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
    responses = study / "responses.csv"
    responses.write_text(
        responses.read_text().replace("cr,Complete response (CR),", f'cr,"{HOSTILE["label"]}",')
    )
    events = study / "adverse_events.csv"
    events.write_text(
        events.read_text() + f'"{HOSTILE["event"]}",weekly,single-dose,similar,reported,'
        f'"{HOSTILE["sentence"].replace(chr(34), chr(34) * 2)}"\n'
    )
    build_site(open_project(root))
    return root / "site"


@pytest.mark.parametrize("name", ["", "design", "efficacy", "safety", "source", "audit"])
def test_text_from_the_data_shows_as_written_and_never_runs(browser, hostile_site, site_url, name):
    with routed_page(browser, hostile_site, site_url) as (page, _):
        page.goto(study_url(site_url, name))
        page.wait_for_load_state("networkidle")
        page.locator("b, img, mark").first.hover() if page.locator("mark").count() else None
        assert page.evaluate("window.__pwned") is None
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert page.locator("article img").count() == 0
        text = page.locator("article").inner_text()
        expected = {
            "": [HOSTILE["title"]],
            "design": [HOSTILE["summary"]],
            "efficacy": [HOSTILE["label"]],
            "safety": [HOSTILE["event"]],
            "source": [HOSTILE["sentence"]],
            "audit": [HOSTILE["label"]],
        }[name]
        for literal in expected:
            assert literal in text, literal
        if name == "":
            assert HOSTILE["title"] in page.locator("nav.md-nav--primary").inner_text()


def test_searching_hostile_text_runs_nothing(browser, hostile_site, site_url):
    with routed_page(browser, hostile_site, site_url) as (page, _):
        page.goto(site_url)
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator("input.md-search__input").press_sequentially("bold", delay=20)
        page.locator("li.md-search-result__item").first.wait_for(timeout=15_000)
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
