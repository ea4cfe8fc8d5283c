"""Bad input of every listed kind gets one located message and exit code 1, never a traceback."""

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STUDY, CommandLine, edit


@pytest.fixture
def check(command_line: CommandLine) -> Callable[[Path], subprocess.CompletedProcess]:
    """`check` of a project, run in this process (see conftest.command_line)."""
    return lambda project: command_line("check", "--project", str(project))


def assert_located(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


@pytest.fixture
def project_copy(one_study_copy: Path) -> Path:
    """The copy each case breaks holds one study: where an error is located needs no other."""
    return one_study_copy


def test_template_syntax_error_names_template_and_line(check, project_copy):
    template = project_copy / "templates/study/results.md.j2"
    lines = template.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if text == "{% endfor %}")
    lines[line - 1] = "{% endfour %}"
    template.write_text("\n".join(lines) + "\n")
    assert_located(
        check(project_copy), f"results.md.j2, line {line}: template syntax error: Encountered unknown tag"
    )


def test_undefined_variable_names_template_and_line(check, project_copy):
    edit(project_copy / "templates/study/results.md.j2", "{{ m.legend() }}\n", "{{ page.nonsense }}\n")
    assert_located(check(project_copy), "results.md.j2, line 10: undefined in template:", "nonsense")


def test_undefined_variable_in_a_macro_names_the_macro_file(check, project_copy):
    edit(
        project_copy / "templates/_macros.md.j2",
        "{{ page.fmt.ci_method_name }}.",
        "{{ page.fmt.no_such_thing }}.",
    )
    assert_located(check(project_copy), "_macros.md.j2, line", "no_such_thing")


def test_wrong_type_in_mkdocs_yml_is_located(check, project_copy):
    edit(project_copy / "mkdocs.yml", "site_url: https://evidence-site.example.org/", "site_url: 12")
    assert_located(check(project_copy), "mkdocs.yml, line 9, field 'site_url': Expected a string")


def test_output_folder_outside_the_project_is_refused(check, project_copy):
    edit(project_copy / "mkdocs.yml", "site_dir: site", "site_dir: ../../elsewhere")
    assert_located(
        check(project_copy), "mkdocs.yml, line 11, field 'site_dir': site_dir", "is outside the project"
    )


def test_the_same_study_twice_is_refused(check, project_copy):
    studies = project_copy / "content" / "studies"
    shutil.copytree(studies / STUDY, studies / "copy-of-the-trial")
    assert_located(
        check(project_copy),
        f"{STUDY}/study.yml, field 'citation.doi': the same DOI as",
        "each study is one folder",
    )


def test_a_reference_to_a_missing_outcome_is_located(check, project_copy):
    edit(
        project_copy / f"content/studies/{STUDY}/study.yml",
        "  - responses:cr@all\n",
        "  - responses:pr@all\n",
    )
    assert_located(
        check(project_copy), "study.yml, field 'headline[1]': headline 'responses:pr@all' names no row"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"\xff\xfe not utf-8", "is not UTF-8 text"), (b'outcome,"label"x,arm\n', "cannot be read as CSV")],
)
def test_unreadable_csv_is_reported(check, project_copy, content, expected):
    (project_copy / f"content/studies/{STUDY}/survival.csv").write_bytes(content)
    assert_located(check(project_copy), f"survival.csv: {expected}")


def test_a_derivation_that_fits_no_count_is_located(check, project_copy):
    edit(project_copy / f"content/studies/{STUDY}/responses.csv", "single-dose,,49,57,", "single-dose,,3,50,")
    assert_located(
        check(project_copy), "responses.csv, line 6, field 'derivation': from_percent: no whole count of 3"
    )


def test_a_key_given_twice_is_located(check, project_copy):
    edit(
        project_copy / f"content/studies/{STUDY}/study.yml",
        "  journal: Cancer\n",
        "  journal: Cancer\n  journal: Lancet\n",
    )
    assert_located(
        check(project_copy), "study.yml, line 24, field 'citation.journal': key 'journal' appears twice"
    )


def test_a_template_runtime_error_is_located(check, project_copy):
    edit(
        project_copy / "templates/study/results.md.j2",
        "{{ m.legend() }}\n",
        "{{ page.study.slug + 1 }}\n",
    )
    assert_located(check(project_copy), "results.md.j2, line 10: error in template: TypeError")


def test_an_input_error_sent_back_by_a_worker_process_keeps_its_problems():
    """A slice of the site (generator.shards) fails in another process: its error is pickled."""
    import pickle

    from generator.errors import Problem, TemplateError

    error = TemplateError([Problem(Path("templates/overrides/main.html"), "template syntax error", line=3)])
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is TemplateError and again.problems == error.problems and str(again) == str(error)
