"""Shared fixtures: the real project, a throw-away copy of it, and one real build of the site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.build import build_site, open_project

ROOT = Path(__file__).resolve().parent.parent
STUDY = "kantarjian-2013"


def copy_project(destination: Path) -> Path:
    """The project's inputs (content, templates, settings, mkdocs.yml and its hook) copied to break."""
    for name in ("content", "templates", "generator"):
        shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("site_config.yml", "mkdocs.yml"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a file, failing loudly if the fixture text is not there."""
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


@pytest.fixture
def study_dir(project_copy: Path) -> Path:
    return project_copy / "content" / "studies" / STUDY


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once from the real content by the real mkdocs (strict)."""
    out = tmp_path_factory.mktemp("build")
    build_site(open_project(ROOT, site_dir=out / "site", docs_dir=out / "docs"))
    return out


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (its own browser download cannot work here)."""
    from tests.sitebrowser import CHROMIUM, CHROMIUM_ARGS

    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
