"""Printing, in a real Chromium: a page printed to an A4 PDF loses nothing.

Each kind of page is opened in the dark palette and printed to PDF (Chromium's print to PDF, tagged, so
that each image is a figure with its text alternative). The PDF must hold one figure for each chart of
the page, the text of each chart's axis titles and labels, and on every one of its pages a footer line
naming the site, the page's address, the data version and the print date. Then the page is laid out as
for print (print media, at A4's printable width): each chart shows as its printed image, whole within
the width, drawn in the light palette with every label of the live chart; the live chart, its controls,
the reading hints, navigation and search are hidden; no table cell lies outside the printable width or
cuts its text; rows, figures and notes are not split across pages. The study pages' "Print or save as
PDF" button waits for every chart's printed image before it prints.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest

from tests.conftest import needed
from tests.sitebrowser import SiteRouter, open_page, real_site_url, routed_page

pytestmark = pytest.mark.browser
playwright_api = needed("playwright.sync_api")  # skipped here when missing, failed in CI

PRINT_WIDTH = 680
"""px: A4's 210 mm less print.css's side margins (15 mm each), at 96 px an inch; charts.js draws the
printed charts at this width."""
PAGE_HEIGHT = 1009
"""px: A4's 297 mm less print.css's top and bottom margins (14 mm and 16 mm)."""

PAGES = {
    "home": "",
    "study index": "studies/",
    "study overview": "studies/kantarjian-2017/",
    "survival results": "studies/kantarjian-2017/survival/",
    "transplant and safety": "studies/kantarjian-2013/safety/",
    "a tall chart": "studies/kantarjian-2017/safety/",
    "design": "studies/kantarjian-2013/design/",
    "source": "studies/kantarjian-2017/source/",
    "audit": "studies/kantarjian-2013/audit/",
    "comparison": "comparisons/complete-remission/",
    "what changed": "changes/",
}
"""A page of each kind, and the results pages whose print the issue measured."""

CHARTS = "div.ev-chart[data-chart]"
TEXTS = "elements => elements.map(e => e.textContent.trim())"

HIDDEN_IN_PRINT = (
    ".md-header, .md-tabs, .md-sidebar, .md-search, .md-footer, .md-top, .headerlink, .ev-print-control, "
    ".ev-chart-tools, .ev-chart-table, .ev-skip, .ev-scroll-hint, .ev-filter, .ev-filter-status, "
    ".ev-list-filter, .ev-download"
)
"""Controls, reading hints, navigation and search: of no use on paper."""

AS_PRINTED = """([hidden, printWidth]) => {
    const shown = element => element.checkVisibility();
    const article = document.querySelector("article.md-content__inner");
    const box = article.getBoundingClientRect();
    const svgOf = image => new DOMParser().parseFromString(
        decodeURIComponent(image.src.slice(image.src.indexOf(",") + 1)), "image/svg+xml");
    // the words of a chart's labels, each line of a label on its own
    const labels = root => [...root.querySelectorAll(
            ".g-xtitle text, .g-ytitle text, .annotation-text, .ytick text")]
        .flatMap(text => text.querySelector("tspan.line")
            ? [...text.querySelectorAll("tspan.line")] : [text])
        .map(t => t.textContent.trim()).filter(Boolean);
    const dark = fill => {
        const rgb = (fill.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
        return rgb.length === 3 && Math.max(...rgb) <= 80;
    };
    const charts = [...document.querySelectorAll("div.ev-chart[data-chart]")].map(chart => {
        // a chart taller than a page prints in parts, one image each
        const images = [...chart.closest(".ev-figure").querySelectorAll("img.ev-chart-print")];
        const boxes = images.map(image => image.getBoundingClientRect());
        const svgs = images.map(svgOf);
        const printed = new Set(svgs.flatMap(svg => labels(svg)));
        const texts = svgs.flatMap(svg => [...svg.querySelectorAll("text")]);
        return {
            title: chart.dataset.exportTitle,
            liveShown: shown(chart),
            images: images.length,
            imagesShown: images.filter(shown).length,
            left: Math.min(...boxes.map(r => r.left)), right: Math.max(...boxes.map(r => r.right)),
            width: Math.min(...boxes.map(r => r.width)), height: Math.min(...boxes.map(r => r.height)),
            tallest: Math.max(...boxes.map(r => r.height)),
            shrunk: images.filter((image, n) => boxes[n].width < image.naturalWidth - 1).length,
            missing: labels(chart).filter(label => !printed.has(label)),
            darkText: texts.length > 0 && texts.every(t => !t.style.fill || dark(t.style.fill)),
            grounds: svgs.map(svg => {
                const ground = svg.querySelector("svg.main-svg > rect:first-child");
                return ground ? ground.style.fill : null;
            }),
        };
    });
    const cells = [...article.querySelectorAll("table th, table td")].filter(shown);
    const cut = cells.filter(cell => {
        const r = cell.getBoundingClientRect();
        return r.left < box.left - 1 || r.right > box.right + 1 || cell.scrollWidth > cell.clientWidth + 1;
    }).map(cell => cell.textContent.trim().replace(/\\s+/g, " ").slice(0, 60));
    const style = (selector, property) => [...article.querySelectorAll(selector)]
        .map(e => getComputedStyle(e)[property]);
    return {
        charts,
        cells: cells.length,
        cut,
        articleRight: box.right,
        pageWidth: document.documentElement.scrollWidth,
        shownControls: [...document.querySelectorAll(hidden)].filter(shown)
            .map(e => e.className || e.tagName),
        rowBreaks: [...new Set(style("tr", "breakInside"))],
        figureBreaks: [...new Set(style(".ev-figure, .admonition", "breakInside"))],
        headingBreaks: [...new Set(style("h1, h2, h3", "breakAfter"))],
        background: getComputedStyle(document.body).backgroundColor,
        text: getComputedStyle(document.body).color,
        footer: getComputedStyle(document.documentElement).getPropertyValue("--ev-print-line"),
        footerLine: document.querySelector(".ev-print-footer").textContent.replace(/\\s+/g, " ").trim(),
    };
}"""
"""The page as laid out for print: each chart's printed image (where it lies, its labels against the
live chart's, whether its text is dark), table cells outside the article or cutting their text, the
controls still shown, the page-break rules in force, the page's colours and the footer line."""


# ---- Reading the PDF: Chromium's (Skia's) output, with no PDF library in the dev lock ------------------

OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)


def pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object of the PDF: its dictionary and its stream (inflated), if it has one."""
    found: dict[int, tuple[bytes, bytes | None]] = {}
    for match in OBJECT.finditer(data):
        body = match.group(2)
        start = re.search(rb"stream\r?\n", body)
        if not start:
            found[int(match.group(1))] = (body, None)
            continue
        head, stream = body[: start.start()], body[start.end() : body.rfind(b"endstream")]
        found[int(match.group(1))] = (head, zlib.decompress(stream) if b"/FlateDecode" in head else stream)
    return found


ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def unescaped(escape: re.Match) -> bytes:
    """One backslash escape of a PDF literal string: an octal code or a character."""
    code = escape.group(1)
    return bytes([int(code, 8)]) if code[:1].isdigit() else ESCAPES.get(code, code)


def pdf_string(text: bytes) -> str:
    """A PDF string as written, (literal) or <hex>, to text (UTF-16 when it starts with a BOM)."""
    if text.startswith(b"<"):
        raw = bytes.fromhex(text[1:-1].decode())
    else:
        raw = re.sub(rb"\\([0-7]{1,3}|.)", unescaped, text[1:-1], flags=re.S)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def figure_texts(data: bytes) -> list[str]:
    """The text alternative of each figure of a tagged PDF, in order."""
    return [
        pdf_string(alt)
        for alt in re.findall(rb"/S\s*/Figure\s*/Alt\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>)", data, re.S)
    ]


def reference(head: bytes, key: bytes) -> int | None:
    found = re.search(rb"/" + key + rb"\s+(\d+) 0 R", head)
    return int(found.group(1)) if found else None


def to_unicode(cmap: bytes) -> dict[int, str]:
    """A font's ToUnicode map: glyph code to text."""
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[code] = chr(int(text, 16) + offset)
    return table


def page_texts(data: bytes) -> list[str]:
    """The text of each page of the PDF, its runs joined by spaces, its spaces collapsed."""
    objects = pdf_objects(data)
    texts = []
    for head, _ in (objects[n] for n in sorted(objects)):
        if not re.search(rb"/Type\s*/Page\b", head):
            continue
        resources = reference(head, b"Resources")
        fonts_entry = re.search(rb"/Font\s*<<(.*?)>>", objects[resources][0] if resources else head, re.S)
        fonts = {}
        for name, number in re.findall(rb"/(\w+)\s+(\d+) 0 R", fonts_entry.group(1) if fonts_entry else b""):
            cmap = reference(objects[int(number)][0], b"ToUnicode")
            fonts[name] = to_unicode(objects[cmap][1] or b"") if cmap else {}
        content = objects[reference(head, b"Contents")][1] or b""
        runs, font = [], {}
        for token in re.finditer(rb"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\bET\b", content):
            if token.group(1):
                font = fonts.get(token.group(1), {})
            elif token.group(2) is not None:
                codes = token.group(2).decode()  # two bytes a glyph (Identity-H)
                runs.append(
                    "".join(font.get(int(codes[i : i + 4], 16), "\ufffd") for i in range(0, len(codes), 4))
                )
            else:
                runs.append(" ")
        texts.append(re.sub(r"\s+", " ", "".join(runs)))
    return texts


# ---- Fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_url() -> str:
    return real_site_url()


def data_version(built_site: Path) -> str:
    """The data version the generator gave this build (its site file, which the mkdocs hook reads)."""
    info = json.loads((built_site / "docs" / ".site.json").read_text(encoding="utf-8"))
    assert info.get("data_version"), "the generator's site file gives no data version"
    return info["data_version"]


def wait_for_print_images(page) -> None:
    """Every chart drawn, and its printed image made (as the print button waits for it)."""
    page.evaluate("() => window.evCharts && window.evCharts.printReady()")


def as_printed(page) -> dict:
    """The page laid out as on A4 paper: print media, at the printable width."""
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 900})
    return page.evaluate(AS_PRINTED, [HIDDEN_IN_PRINT, PRINT_WIDTH])


def footer_parts(site_url: str, address: str, version: str) -> list[str]:
    return ["Evidence site", f"{site_url}{address}", f"Data version {version}"]


# ---- Tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", PAGES.values(), ids=PAGES.keys())
def test_a_printed_page_holds_each_chart_and_on_every_sheet_its_footer(
    browser, built_site, site_url, address
):
    site = built_site / "site"
    version = data_version(built_site)
    with routed_page(browser, site, site_url, scheme="dark") as (page, _):
        open_page(page, site, site_url, address)
        wait_for_print_images(page)
        titles = page.eval_on_selector_all(CHARTS, "cs => cs.map(c => c.dataset.exportTitle)")
        axis_titles = page.eval_on_selector_all(f"{CHARTS} :is(.g-xtitle, .g-ytitle) text", TEXTS)
        pdf = page.pdf(format="A4", tagged=True)

    assert figure_texts(pdf) == titles, "one figure in the PDF for each chart, named by its title"
    sheets = page_texts(pdf)
    whole = " ".join(sheets)
    assert [t for t in axis_titles if t and t not in whole] == [], "every chart's axis titles are printed"
    footer = re.compile(
        re.escape(" · ".join(footer_parts(site_url, address, version))) + r" · Printed \d{4}-\d\d-\d\d"
    )
    assert [n + 1 for n, text in enumerate(sheets) if not footer.search(text)] == [], (
        "every printed sheet names the site, the page's address, the data version and the print date"
    )


@pytest.mark.parametrize("address", PAGES.values(), ids=PAGES.keys())
def test_laid_out_for_print_charts_are_whole_images_and_tables_fit_the_printable_width(
    browser, built_site, site_url, address
):
    site = built_site / "site"
    with routed_page(browser, site, site_url, scheme="dark") as (page, _):
        open_page(page, site, site_url, address)
        wait_for_print_images(page)
        printed = as_printed(page)

    for chart in printed["charts"]:
        name = chart["title"]
        assert chart["images"] and chart["imagesShown"] == chart["images"], f"{name}: printed as its image"
        assert not chart["liveShown"], f"{name}: the live chart is hidden in print"
        assert chart["width"] > 100 and chart["height"] > 50, f"{name}: the printed image has a size"
        assert chart["left"] >= -1 and chart["right"] <= PRINT_WIDTH + 1, (
            f"{name}: within the printable width"
        )
        assert chart["tallest"] <= PAGE_HEIGHT, f"{name}: each part of the printed chart fits on a page"
        assert chart["shrunk"] == 0, f"{name}: printed at the size it was drawn, its text as large"
        assert chart["missing"] == [], f"{name}: the printed image shows every label of the chart"
        assert chart["darkText"], f"{name}: the printed image's text is dark, on paper's light palette"
        assert set(chart["grounds"]) == {"rgb(255, 255, 255)"}, f"{name}: on a white ground"
    assert printed["cut"] == [], "no table cell lies outside the printable width or cuts its text"
    assert printed["articleRight"] <= PRINT_WIDTH + 1 and printed["pageWidth"] <= PRINT_WIDTH + 1
    assert printed["shownControls"] == [], "controls, reading hints, navigation and search are not printed"
    assert set(printed["rowBreaks"]) <= {"avoid"}, "a table row is never split across pages"
    assert set(printed["figureBreaks"]) <= {"avoid"}, "nor a figure or a note"
    assert set(printed["headingBreaks"]) <= {"avoid"}, "a heading stays with what follows it"
    assert (printed["background"], printed["text"]) == ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0.87)"), (
        "printed in the light palette, though the screen is dark"
    )


def test_the_survival_page_prints_the_hazard_ratio_row_whole(browser, built_site, site_url):
    """The issue's page: its effect table has eight columns, the P value and provenance last."""
    site = built_site / "site"
    address = PAGES["survival results"]
    with routed_page(browser, site, site_url, scheme="dark") as (page, _):
        open_page(page, site, site_url, address)
        wait_for_print_images(page)
        cells = page.eval_on_selector_all("article tbody tr", "rows => rows.length")
        printed = as_printed(page)
        pdf = page.pdf(format="A4", tagged=True)

    whole = " ".join(page_texts(pdf))
    for figure in ("0.71", "95% CI 0.55 to 0.93", "P = 0.01", "p = 0.011", "Altman and Bland"):
        assert figure in whole, f"{figure} is printed whole"
    assert cells >= 3 and printed["cells"] > 3 * 4 and printed["cut"] == []
    assert len(printed["charts"]) == 2 and all(c["imagesShown"] == 1 for c in printed["charts"])


def test_without_javascript_the_footer_line_still_names_the_page_and_data(browser, built_site, site_url):
    """No script to fill in the date: the line stands at each page's foot, with the build date."""
    site = built_site / "site"
    address = PAGES["survival results"]
    router = SiteRouter(site, site_url)
    context = browser.new_context(java_script_enabled=False, viewport={"width": PRINT_WIDTH, "height": 900})
    try:
        context.route("**/*", router.handle)
        page = context.new_page()
        page.goto(site_url + address)
        page.emulate_media(media="print")
        line = page.locator(".ev-print-footer")
        style = line.evaluate("e => [getComputedStyle(e).display, getComputedStyle(e).position]")
        text = re.sub(r"\s+", " ", line.text_content()).strip()
        no_button = page.locator(".ev-print-button").count() == 0
    finally:
        context.close()
    assert style == ["block", "fixed"], "shown in print, repeated on every sheet"
    expected = " · ".join(footer_parts(site_url, address, data_version(built_site)))
    assert re.fullmatch(re.escape(expected) + r" · Built \d{4}-\d\d-\d\d", text), text
    assert no_button, "no print button that would do nothing without JavaScript"


PRINT_CALLED = """() => {
    window.__printed = [];
    window.print = () => window.__printed.push({
        charts: document.querySelectorAll("div.ev-chart[data-chart]").length,
        ready: document.querySelectorAll(".ev-figure.ev-print-ready > img.ev-chart-print").length,
    });
}"""
"""The browser's print dialog replaced by a record of what was ready when it was asked for."""


def test_the_print_button_waits_for_the_charts_printed_images(browser, built_site, site_url):
    site = built_site / "site"
    with routed_page(browser, site, site_url) as (page, _):
        held = []  # plotly.js, held back until the button has been pressed: no chart can be drawn before
        page.route("**/plotly/*.js", lambda route, request: held.append(route))
        with page.expect_request("**/plotly/*.js"):
            page.goto(site_url + PAGES["survival results"], wait_until="domcontentloaded")
        button = page.get_by_role("button", name="Print or save as PDF")
        page.evaluate(PRINT_CALLED)
        button.click()
        page.wait_for_function("() => document.querySelector('.ev-print-button').disabled")  # it waits
        assert held and page.evaluate("() => window.__printed.length") == 0, "no print before the charts"
        held[0].fallback()  # plotly.js arrives
        page.wait_for_function("() => window.__printed.length === 1")
        printed = page.evaluate("() => window.__printed[0]")
        assert printed == {"charts": 2, "ready": 2}, "every chart's printed image is ready before print"
        assert not button.is_disabled(), "the button works again after printing"

        # reached by keyboard: the next stop after the last link of the study's menu
        page.locator("nav.ev-study-menu a").last.focus()
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('ev-print-button')")

        # after an instant navigation to another page of the study: one button, and the new address
        page.locator("nav.ev-study-menu").get_by_role("link", name="Safety", exact=True).click()
        page.wait_for_url("**/studies/kantarjian-2017/safety/")
        page.wait_for_function("() => document.querySelectorAll('.ev-print-button').length === 1")
        # the new page's footer is made once its content is in: waited for, not read at once (a race)
        page.wait_for_function(
            "e => document.querySelector('.ev-print-footer .ev-print-address')?.textContent === e",
            arg=site_url + "studies/kantarjian-2017/safety/",
            timeout=10_000,
        )
        page.emulate_media(media="print")
        assert not button.is_visible(), "the button is not printed"

        # the address as the reader opened it (a query kept, its #fragment not), set as text
        page.unroute("**/plotly/*.js")
        page.goto(site_url + "studies/kantarjian-2017/safety/?from=%3Cb%3Email%3C/b%3E#q-1")
        page.wait_for_function("() => document.querySelector('.ev-print-footer .ev-print-address')")
        address = page.locator(".ev-print-footer .ev-print-address")
        expected = site_url + "studies/kantarjian-2017/safety/?from=%3Cb%3Email%3C/b%3E"
        page.wait_for_function(
            "e => document.querySelector('.ev-print-address').textContent === e", arg=expected
        )
        assert address.locator("*").count() == 0, "text, never markup"


def test_pages_outside_a_study_have_no_print_button(browser, built_site, site_url):
    site = built_site / "site"
    with routed_page(browser, site, site_url) as (page, _):
        for address in (PAGES["home"], PAGES["study index"], PAGES["comparison"]):
            open_page(page, site, site_url, address)
            assert page.locator(".ev-print-button").count() == 0, address
    html = (site / "studies" / "kantarjian-2017" / "survival" / "index.html").read_text(encoding="utf-8")
    assert "ev-print-button" not in html, "written by print.js: without JavaScript there is no button"
