"""A project of one's own: `init` writes only into a new or empty folder; `templates` lists the
package's templates and `--copy` copies one in, which the pages then use; messages name commands as
they run here; a Python without the dependencies gets a message saying what to run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import invocation, scaffold
from generator.build import generate, open_project
from generator.cli import main
from generator.errors import ConfigError
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def new_project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "mysite"
    assert main(["init", "-q", str(folder)]) == 0
    return folder


def test_init_refuses_a_folder_that_holds_anything(tmp_path, capsys):
    (tmp_path / "thesis.docx").write_bytes(b"a year of work")
    assert main(["init", str(tmp_path)]) == 1
    assert f"{tmp_path}: is not empty: name a new or empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.docx"]


def test_templates_lists_the_package_s_pages_assets_and_overrides(capsys):
    assert main(["templates"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert {"home.md.j2", "assets/javascripts/charts.js", "overrides/partials/footer.html"} <= set(listed)


def test_a_copied_template_is_the_one_the_pages_use(new_project, capsys):
    assert not (new_project / "templates").exists()
    assert main(["templates", "--project", str(new_project), "--copy", "home.md.j2"]) == 0
    copy = new_project / "templates" / "home.md.j2"
    assert copy.read_bytes() == (ROOT / "templates" / "home.md.j2").read_bytes()
    assert sorted(p.name for p in (new_project / "templates").rglob("*") if p.is_file()) == ["home.md.j2"]
    copy.write_text(copy.read_text() + "\nOur own closing line.\n")
    files = generate(open_project(new_project), write_cache=False)
    assert "Our own closing line." in files["index.md"].decode()
    assert b"Our own closing line." not in files["studies/index.md"]
    assert main(["templates", "--project", str(new_project), "--copy", "home.md.j2"]) == 0  # kept
    assert "Our own closing line." in copy.read_text()
    assert main(["templates", "--project", str(new_project), "--copy", "no-such.md.j2"]) == 1
    assert "has no template 'no-such.md.j2'" in capsys.readouterr().err


def test_requirements_name_where_the_generator_came_from(monkeypatch):
    class Installed:
        version = "1.2.3"

        def __init__(self, origin: dict | None):
            self.origin = origin

        def read_text(self, name: str) -> str | None:
            return json.dumps(self.origin) if self.origin is not None else None

    commit = "0123456789abcdef0123456789abcdef01234567"
    git = {"url": "https://github.com/team/evidence", "vcs_info": {"vcs": "git", "commit_id": commit}}
    assert scaffold._installed_from(Installed(git)) == (
        f"evidence-site-generator @ git+https://github.com/team/evidence@{commit}"
    )
    assert scaffold._installed_from(Installed(None)) == "evidence-site-generator==1.2.3"
    local = scaffold._installed_from(Installed({"url": "file:///home/me/src", "dir_info": {}}))
    assert local.startswith("evidence-site-generator==1.2.3  # installed from file:///home/me/src")
    ssh = {**git, "url": "ssh://git@github.com/team/evidence", "subdirectory": "tools/site"}
    assert scaffold._installed_from(Installed(ssh)) == (
        f"evidence-site-generator @ git+ssh://git@github.com/team/evidence@{commit}#subdirectory=tools/site"
    )
    hostile = {"url": "https://x/ --index-url https://evil", "vcs_info": {"vcs": "git", "commit_id": "x y"}}
    assert scaffold._installed_from(Installed(hostile)) == "evidence-site-generator==1.2.3"


def test_messages_name_commands_as_they_run_here(tmp_path, monkeypatch):
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "evidence-site"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert invocation.command("build") == "venv/bin/evidence-site build"  # not activated: its path
    assert invocation.command("build", from_anywhere=True) == f"{script} build"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin")
    assert invocation.command("build") == "evidence-site build"  # activated
    monkeypatch.setattr(sys, "argv", ["-m"])
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.setenv("PATH", "/nonexistent")
    assert invocation.command("check") == "venv/bin/python -m generator check"


def test_a_python_without_the_dependencies_is_told_what_to_run(tmp_path):
    bare = subprocess.run(  # the interpreter of this environment, but without its packages
        [sys.executable, "-I", "-S", "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    python = Path(bare) / "bin" / "python3"
    if (
        not python.exists()
        or subprocess.run([str(python), "-c", "import mkdocs"], capture_output=True).returncode == 0
    ):
        pytest.skip(f"{python} has mkdocs: no Python without the dependencies here")
    done = subprocess.run(
        [str(python), "-m", "generator", "share"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert "is not installed for" in done.stderr and "make site" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_a_new_project_s_workflow_builds_with_the_generator_it_names(new_project):
    workflow = yaml.safe_load((new_project / ".github" / "workflows" / "site.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "pip install -r requirements.txt" in runs
    build = next(step for step in steps if "evidence-site build" in step.get("run", ""))
    assert build["env"]["EVIDENCE_CACHE_SECRET"] == "${{ secrets.EVIDENCE_CACHE_SECRET }}"
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache-dependency-path"] == "requirements.txt"
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache"))
    settings = yaml.safe_load((new_project / "site_config.yml").read_text())
    assert cache["with"]["path"] == settings.get("paths", {}).get("cache_dir", "build/cache")
    assert "github.sha" in cache["with"]["key"] and "requirements.txt" in cache["with"]["key"]


def test_copying_never_writes_through_a_link(tmp_path):
    templates, elsewhere = tmp_path / "templates", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (templates / "assets").mkdir(parents=True)
    (templates / "home.md.j2").symlink_to(elsewhere / "bashrc")  # dangling: copying would create it
    (templates / "assets" / "javascripts").symlink_to(elsewhere, target_is_directory=True)
    assert scaffold.copy_templates(templates, ["home.md.j2"], tmp_path) == []
    with pytest.raises(ConfigError, match="is a link"):
        scaffold.copy_templates(templates, ["assets/javascripts/charts.js"], tmp_path)
    assert list(elsewhere.iterdir()) == []


def test_a_folder_that_is_no_project_is_told_how_to_start_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 1
    error = capsys.readouterr().err
    assert f"{tmp_path.resolve()} is not an evidence-site project" in error and "init DIR`" in error


def test_a_templates_folder_that_is_a_link_or_outside_the_project_gets_nothing(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "templates").symlink_to(elsewhere, target_is_directory=True)
    for folder in (project / "templates", elsewhere):
        with pytest.raises(ConfigError, match="link or lies outside the project"):
            scaffold.copy_templates(folder, ["home.md.j2"], project)
    assert list(elsewhere.iterdir()) == []


def test_init_refuses_a_broken_link_and_names_an_odd_folder_so_cd_works(tmp_path, monkeypatch, capsys):
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert main(["init", str(tmp_path / "dangling")]) == 1
    assert "broken link" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--", "-site"]) == 0
    assert "Next: cd ./-site && " in capsys.readouterr().out
