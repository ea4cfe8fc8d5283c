"""A site of one's own, as a new user makes it: in a new virtual environment outside the repository,
the package installed from its wheel, `evidence-site init mysite`, `cd mysite`, `evidence-site build`
give a site whose pages, charts and search work in the real browser, with no file copied by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, made_once
from tests.sitebrowser import open_page, routed_page
from tests.wheel import build_wheel

SEARCH = "input.md-search__input"


def install(venv: Path, wheel: Path) -> None:
    """The wheel and the pinned versions of what it needs, into a new environment: by uv from its
    cache (as `make site` installs), else from the index (as `pip install` would)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    uv = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
    wanted = ["-r", str(ROOT / "requirements-site.lock"), str(wheel)]
    done = subprocess.run([*uv, "--offline", *wanted], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        done = subprocess.run([*uv, *wanted], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


def user_shell(venv: Path) -> dict[str, str]:
    """A shell with the new environment activated, and nothing of the repository's."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return {**keep, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def own_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mysite, made and built as the README says, in a folder outside the repository."""

    def make(folder: Path) -> None:
        wheel, _ = build_wheel(folder)
        venv = folder / "venv"
        install(venv, wheel)
        shell = user_shell(venv)
        users = folder / "home"
        users.mkdir()
        started = run(["evidence-site", "init", "mysite"], users, shell)
        assert started.returncode == 0, started.stderr
        assert "Next: cd mysite && evidence-site build" in started.stdout  # as written, it works
        project = users / "mysite"
        for step in (["evidence-site", "check"], ["evidence-site", "build"]):
            done = run(step, project, shell)
            assert done.returncode == 0, f"{step}: {done.stderr[-3000:]}"
        (folder / "build.log").write_text(done.stderr)

    return made_once(tmp_path_factory, "own-site", make) / "home" / "mysite"


def test_a_new_project_holds_what_it_changes_only(own_site):
    written = {p.relative_to(own_site).as_posix() for p in own_site.rglob("*") if p.is_file()}
    made = {p for p in written if p.startswith(("site/", "build/"))}
    assert {
        ".github/workflows/site.yml",
        ".gitignore",
        "README.md",
        "mkdocs.yml",
        "site_config.yml",
        "requirements.txt",
        "content/outcomes.yml",
        "content/glossary.yml",
        "content/studies/example/study.yml",
    } <= written
    assert not [p for p in written - made if p.startswith(("templates/", "generator/"))], "nothing copied"
    assert "evidence-site-generator==" in (own_site / "requirements.txt").read_text()
    readme = (own_site / "README.md").read_text()
    assert "evidence-site build" in readme and "evidence-site preview" in readme


@pytest.mark.browser
def test_the_new_site_works_in_the_browser(browser, own_site):
    site, url = own_site / "site", yaml.safe_load((own_site / "mkdocs.yml").read_text())["site_url"]
    study = "studies/example/"
    with routed_page(browser, site, url) as (page, router):
        open_page(page, site, url, "")
        assert page.locator("h1").first.inner_text().startswith("My evidence site")
        charted = [
            p.parent.relative_to(site).as_posix() + "/"
            for p in sorted((site / study).glob("*/index.html"))
            if 'class="ev-chart' in p.read_text()
        ]
        assert charted, "the example study has a chart"
        open_page(page, site, url, charted[0])
        drawn = page.locator("div.ev-chart[data-drawn='true'] svg.main-svg")
        assert drawn.count() >= 1, "a chart drawn by plotly.js"
        assert page.locator(".md-typeset table").count() >= 1
        page.locator("label.md-search__icon, " + SEARCH).first.click()
        page.locator(SEARCH).fill("fictiona")  # Material searches on a key: the last one typed
        page.locator(SEARCH).press("l")
        first = page.locator("li.md-search-result__item a").first
        first.wait_for(timeout=15_000)
        assert "/studies/example/" in first.get_attribute("href")
        assert router.troubles() == []  # nothing from another server (no CDN, no fonts), nothing missing
