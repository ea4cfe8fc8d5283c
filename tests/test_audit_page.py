"""The audit page: a summary first, failures and waivers open, passes and the figure list collapsed and
out of the search index, and a figure's link still opening and reaching its row, in the real browser."""

from __future__ import annotations

import html
import json
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.analysis import analyse_study
from generator.audit import AuditReport, Check, audit_study
from generator.build import build_site, open_project
from generator.load import load_studies
from tests.conftest import ROOT, STUDY, copy_project, edit
from tests.pages import unmarked_numbers
from tests.sitebrowser import real_site_url, routed_page, serious_violations

STUDIES = sorted(p.name for p in (ROOT / "content" / "studies").iterdir() if p.is_dir())
SITE_URL = real_site_url()
WAIVED = "responses/cr@all/percent-rounding"
REASON = "Printed as 21% in the source; a typesetting error."


def audits(root: Path) -> dict[str, AuditReport]:
    """Each study's audit, computed here from the content, as the build does."""
    statistics = open_project(root).config.statistics
    return {s.slug: audit_study(analyse_study(s, statistics)) for s in load_studies(root / "content")}


@pytest.fixture(scope="module")
def reports() -> dict[str, AuditReport]:
    return audits(ROOT)


def article(site: Path, page: str) -> str:
    raw = (site / page / "index.html").read_text(encoding="utf-8")
    return raw.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]


def block(markup: str, opening: str, closing: str) -> str:
    """The first element that starts with `opening` (a regular expression) up to its `closing` tag."""
    start = re.search(opening, markup).start()
    return markup[start : markup.index(closing, start) + len(closing)]


def counts(markup: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="([\w-]+)">(\d+)<', markup)}


def audit_index(site: Path, slug: str) -> list[dict]:
    """The search index's entries for one study's audit page."""
    index = json.loads((site / "search/search_index.json").read_text())
    return [d for d in index["docs"] if d["location"].startswith(f"studies/{slug}/audit/")]


def indexed_text(entries: list[dict]) -> str:
    return html.unescape(" ".join(d["title"] + " " + re.sub(r"<[^>]+>", " ", d["text"]) for d in entries))


@pytest.mark.parametrize("slug", STUDIES)
def test_the_page_starts_with_a_summary_whose_counts_are_the_audits(built_site, reports, slug):
    audit = reports[slug]
    page = article(built_site / "site", f"studies/{slug}/audit")
    after_menu = page.split("</nav>", 1)[1].lstrip()
    assert after_menu.startswith('<div class="admonition success ev-audit-summary">'), after_menu[:200]
    summary = block(page, r'<div class="admonition \w+ ev-audit-summary">', "</ul>\n<ul")
    assert counts(summary) == summary_counts(audit)
    by_rule = re.findall(r'data-count="rule-passed">(\d+)<.*?data-count="rule-checks">(\d+)<', page)
    assert [(t.passed, t.checked) for t in audit.by_rule() if t.checked] == [
        (int(p), int(n)) for p, n in by_rule
    ]
    assert sum(t.checks for t in audit.by_rule()) == len(audit.checks) > 0


@pytest.mark.parametrize("slug", STUDIES)
def test_every_pass_is_in_the_closed_list_of_passes_and_nowhere_else(built_site, reports, slug):
    page = article(built_site / "site", f"studies/{slug}/audit")
    passes = block(page, r'<details class="success ev-audit-passes">', "</details>")
    assert counts(passes) == {"passes-shown": len(reports[slug].passes)}
    rows = re.findall(r"<tr>\s*<td>", passes)
    assert len(rows) == len(reports[slug].passes)
    outside = page.replace(passes, "")
    for check in reports[slug].passes:
        assert f">{html.escape(check.id, quote=False)}<" in passes.replace("&#95;", "_"), check.id
        assert f">{check.id}<" not in outside.replace("&#95;", "_"), check.id
    assert "None: every check passed" in page
    assert re.search(r"<details[^>]*\sopen", page) is None, "every list starts closed"


@pytest.mark.parametrize("slug", STUDIES)
def test_the_search_index_holds_the_summary_but_no_pass_and_no_figure_list(built_site, reports, slug):
    site = built_site / "site"
    entries = audit_index(site, slug)
    text = indexed_text(entries)
    audit = reports[slug]
    assert "Summary: every check passed" in text and f"{len(audit.checks)} checks" in text
    assert "Failed and waived checks" in {d["title"] for d in entries}
    assert not {"Passed checks", "Every figure and where it comes from"} & {d["title"] for d in entries}
    for check in audit.passes:
        assert check.id not in text and check.inputs not in text, check.id
    values = json.loads((site / "data/values.json").read_text())["values"]
    figures = [v for v in values if v["id"].startswith(f"{slug}/")]
    assert figures
    for figure in figures:
        assert figure["label"] not in text, figure["id"]
        assert figure.get("how", "") == "" or figure["how"] not in text, figure["id"]
    assert len(text) < 2_500, "the audit no longer fills the search index"


def summary_counts(audit: AuditReport) -> dict[str, int]:
    """The counts the summary shows: every check, passed, failed, waived, and notes where there are."""
    shown = {
        "checks": len(audit.checks),
        "passed": len(audit.passes),
        "failed": len(audit.failures),
        "waived": len(audit.waived),
    }
    return shown | ({"noted": len(audit.notes)} if audit.notes else {})


def test_the_failed_and_waived_checks_logic_orders_failures_first():
    def check(name: str, passed: bool, known: str | None = None) -> Check:
        return Check(name, "percent-rounding", name, "", "", passed, "x.csv", known=known)

    report = AuditReport([check("a", True), check("b", False, "why"), check("c", False)], [])
    assert [c.id for c in report.not_passed] == ["c", "b"]
    ((tally),) = report.by_rule()
    assert (tally.checks, tally.passed, tally.failed, tally.waived) == (3, 1, 1, 1)


def test_a_note_is_counted_apart_and_never_fails_or_is_waived():
    def check(name: str, passed: bool, known: str | None = None, note: bool = False) -> Check:
        return Check(name, "p-agrees-with-interval", name, "", "", passed, "x.csv", known=known, note=note)

    report = AuditReport([check("a", True), check("b", False, note=True), check("c", False, "x", True)], [])
    assert [c.id for c in report.notes] == ["b", "c"] and report.failures == report.waived == []
    assert [c.id for c in report.passes] == ["a"] and report.not_passed == []
    ((tally),) = report.by_rule()
    assert (tally.checks, tally.checked, tally.passed, tally.noted) == (3, 1, 1, 2)


# ---- The fixture whose printed difference intervals the audit notes -------------------------------------


@pytest.fixture(scope="module")
def difference_pages(tmp_path_factory) -> dict[str, str]:
    """The generated Markdown of the randomized-differences fixture, by file name; and its audit."""
    from generator.build import generate
    from tests.test_fixtures import project_with

    shape = "randomized-differences"
    files = generate(open_project(project_with(tmp_path_factory.mktemp("differences"), [shape])))
    prefix = f"studies/{shape}/"
    return {
        name[len(prefix) :]: data.decode()
        for name, data in files.items()
        if name.startswith(prefix) and name.endswith(".md")
    }


def test_the_audit_page_lists_the_notes_apart_and_counts_them(difference_pages):
    page = difference_pages["audit.md"]
    summary = page.split('<ul class="ev-audit-counts">', 1)[1].split("</ul>", 1)[0]
    assert counts(summary) == {"checks": 45, "passed": 42, "failed": 0, "waived": 0, "noted": 3}
    assert "Summary: every check passed" in page
    notes = page.split("## Notes", 1)[1].split("## Passed checks", 1)[0]
    assert notes.count("difference-interval-method</span> |") == 3
    assert "reproduced by Newcombe hybrid score</span>" in notes
    assert "reproduced by Wald</span>" in notes
    assert "closest: Wald, 3.7 to 26.3 (off by 0.2 pp)</span>" in notes
    passes = page.split("## Passed checks", 1)[1]
    assert "reproduced by Newcombe hybrid score, the method the source states" in passes
    assert (
        'data-count="rule-checks">1</span> passed; '
        '<span class="ev-check" data-count="rule-noted">3</span> notes' in page
    )


def test_the_effects_table_says_beside_each_interval_which_method_reproduces_it(difference_pages):
    rows = {
        line.split(" | ", 1)[0]: line
        for line in difference_pages["results.md"].splitlines()
        if line.startswith('| <span class="ev-label">') and " vs Placebo | difference |" in line
    }
    assert len(rows) == 4
    response = rows['| <span class="ev-label">Response</span>']
    assert "Recomputed from the groups' counts: reproduced by Newcombe hybrid score.</span>" in response
    control = rows['| <span class="ev-label">Disease control</span>']
    assert "no standard method reproduces it; closest: Wald, 3.7 to 26.3 (off by 0.2 pp).</span>" in control
    assert '<span class="ev-label">95%</span> CI [&#45;1.2 to 13.8]' in response


def test_the_implied_p_has_the_sidedness_of_the_printed_p_in_its_cell(difference_pages):
    page = difference_pages["results.md"]
    assert (
        "| Interval, as printed | P as printed | P implied by the interval (computed, Altman and Bland) |"
        in page
    )
    response = next(
        line for line in page.splitlines() if "one-sided P = 0.03" in line and "vs Placebo" in line
    )
    printed_p, implied = response.split(" | ")[5:7]
    assert printed_p.endswith(" (one-sided)")
    assert implied.startswith("[p = 0.034](") and implied.endswith(" (one-sided)")
    assert "Computed: one-sided P implied by the difference 7.0" in implied
    assert "Altman and Bland" in implied and "halved: the source says its P value is one-sided" in implied
    remission = next(
        line for line in page.splitlines() if "2.8 to 23.2; P = 0.01)" in line and "vs Placebo" in line
    )
    implied = remission.split(" | ")[6]
    assert implied.startswith("[p = 0.012](") and implied.endswith(" (two-sided)")


@pytest.fixture(scope="module")
def waived_site(tmp_path_factory) -> Path:
    """The real project, but the source prints a percentage its count does not give, and the study
    records that as a known discrepancy with its reason (that study alone: its audit page is read)."""
    root = copy_project(tmp_path_factory.mktemp("waived"), [STUDY])
    study = root / "content" / "studies" / STUDY
    edit(study / "study.yml", "17 patients (19%)", "17 patients (21%)")
    edit(
        study / "responses.csv",
        ',17,90,19,reported,,"Overall, 17 patients (19%)',
        ',17,90,21,reported,,"Overall, 17 patients (21%)',
    )
    with (study / "study.yml").open("a") as handle:
        handle.write(f"known_discrepancies:\n  - check: {WAIVED}\n    reason: {REASON}\n")
    build_site(open_project(root))
    return root / "site"


def test_a_waived_check_is_counted_and_shown_open_with_its_reason(waived_site):
    audit = audits(waived_site.parent)[STUDY]
    assert [c.id for c in audit.waived] == [WAIVED]
    page = article(waived_site, f"studies/{STUDY}/audit")
    summary = block(page, r'<div class="admonition warning ev-audit-summary">', "</ul>\n<ul")
    assert counts(summary) == {
        "checks": len(audit.checks),
        "passed": len(audit.checks) - 1,
        "failed": 0,
        "waived": 1,
    }
    shown = block(page, r'<h2 id="failed-and-waived-checks"', "</table>")
    assert "<details" not in shown
    assert "<strong>waived</strong>" in shown and REASON in shown and "17/90 = 18.89%" in shown
    passes = block(page, r'<details class="success ev-audit-passes">', "</details>")
    assert WAIVED not in passes.replace("&#95;", "_") and "17/90 = 18.89%" not in passes
    assert unmarked_numbers((waived_site / f"studies/{STUDY}/audit/index.html").read_text()) == []
    text = indexed_text(audit_index(waived_site, STUDY))
    assert REASON in text and WAIVED in text, "a waiver is found by search"


# ---- In the real browser ----------------------------------------------------------------------------


@contextmanager
def opened(browser, site: Path, *, width: int = 1280, scheme: str = "light"):
    """A page routed to a built site at the given width and colour scheme (sitebrowser.routed_page)."""
    with routed_page(browser, site, SITE_URL, width=width, scheme=scheme) as (page, _):
        yield page


def url(page: str, slug: str = STUDY) -> str:
    return f"{SITE_URL}studies/{slug}/{page}/"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


ROW = """id => {
    const target = document.getElementById(id), box = target.getBoundingClientRect();
    const header = document.querySelector(".md-header").getBoundingClientRect().bottom;
    return {open: target.closest("details").open, top: box.top, header, height: innerHeight,
            target: document.querySelector(":target") === target,
            lit: getComputedStyle(target.closest("td")).backgroundColor};
}"""


@pytest.mark.browser
def test_passes_stay_closed_until_asked_for_and_fit_a_phone(browser, built_site, reports):
    with opened(browser, built_site / "site", width=390) as page:
        for slug in STUDIES:
            page.goto(url("audit", slug))
            passes = page.locator("details.ev-audit-passes")
            assert passes.evaluate("d => d.open") is False
            assert page.locator("details.ev-audit-passes tbody tr").first.is_visible() is False
            assert no_sideways_scroll(page), slug
            passes.locator("summary").click()
            rows = page.locator("details.ev-audit-passes tbody tr")
            rows.first.wait_for()
            assert rows.count() == len(reports[slug].passes)
            page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
            assert no_sideways_scroll(page), f"{slug}: an opened table scrolls in its own box"


@pytest.mark.browser
def test_a_search_shared_with_the_audit_ranks_the_results_page_first(browser, built_site):
    with opened(browser, built_site / "site") as page:
        page.goto(SITE_URL)
        for term, first in [("veno-occlusive", "safety/"), ("complete response", "")]:
            page.locator("label.md-search__icon, .md-search__input").first.click()
            box = page.locator("input.md-search__input")
            box.fill("")
            page.locator("li.md-search-result__item").first.wait_for(state="detached", timeout=15_000)
            # Material searches on a key: one key after the rest is filled in is one query, of the whole
            # term, so the first results shown are its results (typing key by key shows each prefix's)
            box.fill(term[:-1])
            box.press(term[-1])
            page.locator("li.md-search-result__item a").first.wait_for(timeout=15_000)
            hrefs = page.locator("li.md-search-result__item > a").evaluate_all("as => as.map(a => a.href)")
            assert hrefs and "/audit/" not in hrefs[0], (term, hrefs)
            assert not [h for h in hrefs if "/audit/" in h], f"{term}: the audit page holds it only in lists"
            if first:
                assert hrefs[0].startswith(url(first.rstrip("/"))), (term, hrefs)
            page.keyboard.press("Escape")


OPENED = "id => document.getElementById(id)?.closest('details')?.open"
"""The figure's row is on the page and its list is open (after instant navigation the new page may not
be in place yet when the address has changed)."""
STILL = """id => {
    const target = document.getElementById(id), top = target.getBoundingClientRect().top;
    const still = target.evTop === top;
    target.evTop = top;
    return still;
}"""
"""The row has not moved since the last animation frame (wait_for_function polls once a frame): the
page has scrolled to it. Its list opens and the page scrolls to it together, so after OPENED."""


REARRIVE = """id => {
    document.getElementById(id).closest("details").open = false;
    window.scrollTo(0, 0);
    history.replaceState(null, "", "#" + id);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
}"""


@pytest.mark.browser
def test_a_figure_link_opens_the_figure_list_at_its_row(browser, built_site):
    figure = "u-responses-overall-response-all-count"  # derived: its link goes to the audit page
    with opened(browser, built_site / "site") as page:
        page.goto(url("efficacy"))
        href = page.locator(f"#{figure}").get_attribute("href")
        anchor = href.split("#", 1)[1]
        assert href.endswith(f"/{STUDY}/audit/#{anchor}") and anchor.startswith("v-")

        page.goto(url("audit") + "#" + anchor)  # a direct load
        page.wait_for_function(OPENED, arg=anchor)
        page.wait_for_function(STILL, arg=anchor)
        row = page.evaluate(ROW, anchor)
        assert row["open"] and row["target"] and row["header"] <= row["top"] < row["height"] - 50, row
        assert row["lit"] not in ("rgba(0, 0, 0, 0)", "transparent"), "the row is highlighted"

        page.goto(url("efficacy"))
        page.evaluate("window.__sameWindow = 'kept'")
        page.locator(f"#{figure}").click()  # instant navigation
        page.wait_for_url(url("audit") + "#" + anchor)
        page.wait_for_function(OPENED, arg=anchor)
        page.wait_for_function(STILL, arg=anchor)
        assert page.evaluate("window.__sameWindow") == "kept", "Material's instant navigation"
        row = page.evaluate(ROW, anchor)
        assert row["open"] and row["header"] <= row["top"] < row["height"] - 50, row

        # Material's own order without the browser's: the list closed, the address already the row's,
        # a hashchange makes Material open the list and scroll to the list's top, the row thousands of
        # pixels below; the row is what comes into view (instant navigation can end in this order)
        page.evaluate(REARRIVE, anchor)
        page.wait_for_function(OPENED, arg=anchor)
        page.wait_for_function(STILL, arg=anchor)
        row = page.evaluate(ROW, anchor)
        assert row["open"] and row["header"] <= row["top"] < row["height"] - 50, row


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_opened_audit_lists_pass_axe(browser, built_site, width, scheme):
    with opened(browser, built_site / "site", width=width, scheme=scheme) as page:
        page.goto(url("audit"))
        page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
        assert serious_violations(page) == []


@pytest.mark.browser
def test_a_box_filters_the_figure_list_after_a_figure_link_brought_the_reader(browser, built_site):
    with opened(browser, built_site / "site") as page:
        page.goto(url("efficacy"))
        page.evaluate("window.__sameWindow = 'kept'")
        page.locator("#u-responses-overall-response-all-count").click()  # instant navigation to the list
        page.wait_for_url(re.compile(r".*/audit/#v-.*"))
        figures = page.locator("details.ev-audit-figures")
        figures.locator("tbody tr").first.wait_for()
        assert page.evaluate("window.__sameWindow") == "kept"
        assert page.locator(".ev-list-filter").count() == 2, "one box per list, however the page was reached"
        rows = figures.locator("tbody tr")
        total = rows.count()
        box = figures.locator(".ev-list-filter input")
        box.fill("overall response computed")
        shown = figures.locator("tbody tr:not([hidden])")
        assert 0 < shown.count() < total
        for text in shown.all_inner_texts():
            assert all(word in text.lower() for word in ("overall", "response", "computed")), text
        assert figures.locator(".ev-filter-status").inner_text() == f"{shown.count()} of {total} rows shown"
        box.fill("")
        assert shown.count() == total
