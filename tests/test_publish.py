"""Publishing: the site's address, and a deploy to a gh-pages branch of a real (local, bare) git remote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, edit

URL = "https://someone.github.io/evidence/"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def run(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args, "--project", str(project)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**_environment(), **(env or {})},
    )


def _environment() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "EVIDENCE_SITE_URL"}


@pytest.fixture
def repository(project_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The project as a git repository whose origin is a local bare repository."""
    remote = tmp_path.parent / f"{tmp_path.name}-remote.git"
    git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    for command in (
        ("init", "-q", "-b", "main"),
        ("config", "user.email", "tests@example.org"),
        ("config", "user.name", "Tests"),
        ("add", "-A"),
        ("commit", "-q", "-m", "The project"),
        ("remote", "add", "origin", str(remote)),
    ):
        git(*command, cwd=project_copy)
    return project_copy, remote


def test_deploy_pushes_the_built_site_with_nojekyll_to_gh_pages(repository):
    project, remote = repository
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 0, result.stderr
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split()
    assert ".nojekyll" in files and "index.html" in files
    assert "studies/kantarjian-2013/index.html" in files and "search/search_index.json" in files
    assert f"will be served at {URL}" in result.stderr
    sitemap = git("show", "gh-pages:sitemap.xml", cwd=remote)
    assert f"<loc>{URL}studies/kantarjian-2013/</loc>" in sitemap, (
        "the sitemap points to the published address"
    )
    assert "Site of data version" in git("log", "-1", "--format=%s", "gh-pages", cwd=remote)


def test_deploy_is_refused_with_a_placeholder_address_and_pushes_nothing(repository):
    project, remote = repository
    result = run(project, "deploy")
    assert result.returncode == 1
    assert "site_config.yml, field 'publish.site_url'" in result.stderr
    assert "is a placeholder" in result.stderr and "EVIDENCE_SITE_URL" in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""


def test_deploy_of_a_failing_build_pushes_nothing(repository):
    project, remote = repository
    edit(
        project / "content/studies/kantarjian-2013/responses.csv",
        "cr,Complete response (CR),all,17,90",
        "cr,Complete response (CR),all,18,90",
    )
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1, result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""


def test_a_build_warns_of_a_placeholder_address_and_uses_the_one_set(project_copy, tmp_path):
    result = run(project_copy, "build")
    assert result.returncode == 0, result.stderr
    assert (
        "Warning: site_url https://evidence-site.example.org/ (from mkdocs.yml site_url) is a placeholder"
        in result.stderr
    )
    edit(project_copy / "site_config.yml", 'site_url: ""', "site_url: https://team.example-pages.net/trials")
    result = run(project_copy, "build")
    assert result.returncode == 0 and "placeholder" not in result.stderr, result.stderr
    sitemap = (project_copy / "site" / "sitemap.xml").read_text()
    assert "<loc>https://team.example-pages.net/trials/</loc>" in sitemap
