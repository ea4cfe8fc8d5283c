"""The same generated pages built with Zensical (issue 20): every page the mkdocs site has, its
charts and their script, a search index that finds a study by its title, and charts drawn in the
browser. Zensical is pinned (requirements-zensical.lock) and installed into a throw-away environment
of its own; its config is scripts/engine_compare.py's (mkdocs.yml and the generator's settings, the
hook's navigation inlined, our search partial left out)."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, made_once
from tests.sitebrowser import open_page, real_site_url, routed_page

LOCK = ROOT / "requirements-zensical.lock"
CHART = 'class="ev-chart"'
CHARTS_JS = re.compile(r'<script src="[^"]*assets/javascripts/charts\.js"')


@functools.cache
def engine_compare() -> ModuleType:
    """scripts/engine_compare.py, whose config writer this test shares."""
    spec = importlib.util.spec_from_file_location("engine_compare", ROOT / "scripts" / "engine_compare.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_compare"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def install(venv: Path) -> None:
    """The pinned Zensical into a new environment: by uv from its cache, else from the index."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    uv = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
    done = subprocess.run([*uv, "--offline", "-r", str(LOCK)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        done = subprocess.run([*uv, "-r", str(LOCK)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def html_pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


@pytest.fixture(scope="session")
def zensical_build(tmp_path_factory: pytest.TempPathFactory, built_site: Path) -> Path:
    """The real site's generated pages (the mkdocs build's), built by Zensical: `site` and `build.log`."""

    def make(folder: Path) -> None:
        venv = folder / "venv"
        install(venv)
        shutil.copytree(built_site / "docs", folder / "docs")
        compare = engine_compare()
        config = compare.write_config(compare.ZENSICAL, folder / "docs", folder)
        shell = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        done = subprocess.run(
            [str(venv / "bin" / "zensical"), "build", "-f", str(config)],
            cwd=folder,
            env=shell,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        (folder / "build.log").write_text(done.stdout + done.stderr, encoding="utf-8")

    return made_once(tmp_path_factory, "zensical-site", make)


@pytest.fixture(scope="session")
def zensical_site(zensical_build: Path) -> Path:
    return zensical_build / "site"


@pytest.fixture(scope="session")
def charted(built_site: Path) -> dict[str, int]:
    """Each page of the mkdocs site with charts, and how many."""
    counts = {name: html.count(CHART) for name, html in html_pages(built_site / "site").items()}
    return {name: count for name, count in counts.items() if count}


def test_zensical_reports_no_issue(zensical_build):
    log = (zensical_build / "build.log").read_text(encoding="utf-8")
    assert "No issues found" in log, log[-3000:]


def test_every_page_of_the_mkdocs_site_is_built(built_site, zensical_site):
    mkdocs_pages = set(html_pages(built_site / "site"))
    assert len(mkdocs_pages) > 10
    assert sorted(mkdocs_pages - set(html_pages(zensical_site))) == []


def test_each_chart_page_keeps_its_charts_and_their_script(zensical_site, charted):
    assert charted, "the mkdocs site has chart pages"
    pages = html_pages(zensical_site)
    found = {name: pages[name].count(CHART) for name in charted}
    assert found == charted
    assert [name for name in charted if not CHARTS_JS.search(pages[name])] == []


def test_the_search_index_finds_a_study_by_its_title(zensical_build, zensical_site):
    compare = engine_compare()
    slug, title = compare.chosen_study(zensical_build / "docs")
    name, items = compare.search_index(zensical_site)
    assert name == "search.json" and items
    assert compare.finds(items, slug, re.findall(r"[^\W_]+", title)), f"{title!r} in {slug}'s entries"


@pytest.mark.browser
def test_a_chart_page_draws_its_charts(browser, zensical_site, charted):
    name = min(charted)
    url = real_site_url()
    with routed_page(browser, zensical_site, url) as (page, _):  # afterwards: no console error
        open_page(page, zensical_site, url, name.removesuffix("index.html"))
        drawn = page.locator("div.ev-chart[data-drawn='true']:has(svg.main-svg)")
        assert drawn.count() == charted[name], "each chart drawn by plotly.js"


@pytest.mark.browser
def test_the_search_dialog_finds_a_study_by_its_title(browser, zensical_build, zensical_site):
    """Zensical's own search dialog (in a shadow root), which our Material search partial would break."""
    slug, title = engine_compare().chosen_study(zensical_build / "docs")
    url = real_site_url()
    with routed_page(browser, zensical_site, url) as (page, _):
        page.goto(url)
        page.locator("button.md-search__button").click(timeout=15_000)
        page.locator("dialog[aria-label=Search] input[role=combobox]").fill(title)
        first = page.locator("ol[role=listbox] a[role=option]").first
        first.wait_for(timeout=15_000)
        assert f"/studies/{slug}/" in first.get_attribute("href")
