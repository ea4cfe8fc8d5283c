"""The command line: help, exit codes, located errors without tracebacks, settings kept documented."""

import os
import subprocess
import sys

import pytest

from generator.cli import COMMANDS, describe_settings
from generator.config import SiteConfig
from tests.conftest import ROOT


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_explains_every_command_and_exit_code():
    result = run("--help")
    assert result.returncode == 0
    for word in (*COMMANDS, "exit codes", "bad input", "--debug"):
        assert word in result.stdout
    for command in ("new", "schema"):
        assert command in COMMANDS
        assert run(command, "--help").returncode == 0


def test_new_and_schema_help_say_what_they_write():
    new = " ".join(run("new", "--help").stdout.split())
    assert "SLUG" in new and "content/studies/SLUG/" in new
    assert "marked REPLACE (and every figure beside one" in new
    assert "`check` and `build` refuse the study while one remains" in new
    schema = run("schema", "--help").stdout
    assert "--out" in schema and "2020-12" in schema and "yaml-language-server" in schema


def test_new_says_what_to_replace_and_that_check_refuses_it_until_then(command_line, tmp_path):
    from tests.conftest import copy_project

    project = copy_project(tmp_path, [])
    result = command_line("new", "smith-2020", "--project", str(project))
    assert result.returncode == 0
    said = " ".join(result.stdout.split())
    assert "Write the study's own in place of each value marked REPLACE and of the figures beside it" in said
    assert "check` lists those that remain, and refuses the study while one does" in said


def test_build_help_says_where_things_go():
    result = run("build", "--help")
    assert result.returncode == 0 and "--site-dir" in result.stdout and "staging" in result.stdout


@pytest.fixture
def project_copy(one_study_copy):
    """One study is enough to show a located error, and the progress of a build."""
    return one_study_copy


def test_bad_input_exits_1_with_located_errors_and_no_traceback(project_copy, study_dir):
    responses = study_dir / "responses.csv"
    responses.write_text(responses.read_text().replace(",17,90,19,", ",17,90,190,"))
    result = run("check", cwd=project_copy)
    assert result.returncode == 1
    assert "responses.csv, line 2, field 'percent'" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_prints_progress_with_timings(project_copy, tmp_path):
    result = run("build", "--site-dir", str(tmp_path / "out"), cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert "Built the site with mkdocs (strict) (" in result.stderr and "Built the site into" in result.stderr
    assert (tmp_path / "out" / "index.html").is_file()


def test_every_setting_is_listed_and_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    listed = run("settings").stdout
    for line in describe_settings(SiteConfig):
        if not line.startswith(" "):
            continue  # a section heading; its settings follow
        key = line.split()[0]
        assert key in listed
        assert f"`{key}`" in readme, f"README does not document the setting {key}"


def test_the_names_the_help_shows_are_the_generators_own():
    from generator import build, cli, schema

    assert cli.SITE_CONFIG == build.SITE_CONFIG
    assert (cli.SCHEMA_HELP_DIR, cli.STUDY_SCHEMA_HELP) == (schema.SCHEMA_DIR, schema.STUDY_SCHEMA)


def test_build_takes_a_project_named_relative_to_the_working_folder(tmp_path, monkeypatch):
    """mkdocs reads a relative folder from mkdocs.yml's folder: the generator gives it absolute ones."""
    from generator.cli import main
    from tests.conftest import STUDY, copy_project

    copy_project(tmp_path / "projects" / "trial", [STUDY])
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-q", "--project", "projects/trial"]) == 0
    assert (tmp_path / "projects" / "trial" / "site" / "studies" / STUDY / "index.html").is_file()
