"""Publishing: the site's address, and a deploy to a gh-pages branch of a real (local, bare) git remote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, edit
from tests.test_regenerate import change_the_overall_median

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


def test_a_deploy_from_a_fresh_clone_continues_the_published_record(repository, tmp_path):
    project, remote = repository
    assert run(project, "deploy", env={"EVIDENCE_SITE_URL": URL}).returncode == 0
    clone = tmp_path / "clone"
    git("clone", "-q", str(project), str(clone), cwd=tmp_path)
    git("remote", "set-url", "origin", str(remote), cwd=clone)
    change_the_overall_median(clone / "content/studies/kantarjian-2013")
    result = run(clone, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 0, result.stderr
    history = json.loads(git("show", "gh-pages:data/values.json", cwd=remote))["history"]
    assert len(history) == 2 and history[0]["changed"], "the clone's deploy read what was published"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--branch", "main"], "'main' is the branch checked out"),
        (["--remote", "nosuch"], "has no git remote 'nosuch'; its remotes: origin"),
        (["--branch", "gh pages"], "'gh pages' is not a valid branch name"),
    ],
    ids=["checked-out-branch", "unknown-remote", "bad-branch-name"],
)
def test_a_deploy_that_cannot_go_where_asked_is_refused_before_building(repository, arguments, expected):
    project, remote = repository
    result = run(project, "deploy", *arguments, env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1 and expected in result.stderr, result.stderr
    assert "Built the site" not in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""


def test_a_branch_of_files_the_generator_did_not_write_is_not_replaced(repository, tmp_path):
    project, remote = repository
    other = tmp_path / "other"
    git("init", "-q", "-b", "gh-pages", str(other), cwd=tmp_path)
    (other / "blog.md").write_text("someone's blog")
    for command in (
        ("add", "-A"),
        ("-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "blog"),
    ):
        git(*command, cwd=other)
    git("push", "-q", str(remote), "gh-pages", cwd=other)
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1 and "holds files this generator did not write" in result.stderr
    assert "blog.md" in git("ls-tree", "--name-only", "gh-pages", cwd=remote)


def test_an_address_with_a_password_or_a_query_is_refused(project_copy):
    result = run(project_copy, "build", env={"EVIDENCE_SITE_URL": "https://user:pw@me.github.io/x/"})
    assert result.returncode == 1 and "is not a plain http(s) address" in result.stderr


def test_the_offline_copy_is_never_written_into_the_content(project_copy):
    result = run(project_copy, "share", "--out", str(project_copy / "content" / "copy.zip"))
    assert result.returncode == 1 and "lies inside the content folder" in result.stderr
    assert not (project_copy / "content" / "copy.zip").exists()
