"""Rendering: data text stays text, templates hold no data, nothing generic names a study, and a
template that fails, recurses, loops without end or lacks its assets stops with its location."""

import re
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest
from markupsafe import Markup

from generator import render
from generator.build import generate, open_project
from generator.charts import Chart
from generator.errors import TemplateError
from generator.render import REQUIRED_ASSETS, escape_markdown, figure_json, make_environment, render_page
from tests.conftest import ROOT, STUDY, edit


def test_data_text_is_not_read_as_markdown():
    escaped = escape_markdown("a *b* [c](javascript:x) | d_e <i>")
    assert escaped == "a &#42;b&#42; &#91;c&#93;(javascript:x) &#124; d&#95;e &#60;i&#62;"
    assert isinstance(escaped, Markup)
    assert escape_markdown("- item") == "&#45; item" and escape_markdown("1. item") == "1&#46; item"
    assert escape_markdown(Markup("<b>ours</b>")) == "<b>ours</b>"
    assert escape_markdown(52) == 52


def test_figure_json_cannot_break_out_of_its_attribute():
    figure = go.Figure(go.Bar(x=[1], y=['"><script>alert(1)</script>']))
    text = str(figure_json(Chart("k", "t", "c", figure, None)))
    assert "<" not in text and '"' not in text
    assert "&lt;script&gt;" in text


def test_templates_hold_no_numbers():
    """Every figure on a page comes from content/ through code; templates hold words and layout."""
    for path in sorted((ROOT / "templates").rglob("*.j2")):
        words = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", "", path.read_text(), flags=re.S)
        numbers = re.findall(r".{0,20}\d.{0,20}", words)
        assert not numbers, f"{path.name} holds a number: {numbers}"


def test_no_generic_code_names_the_study():
    """A new study is a new folder: nothing in generator/ or templates/ names this one."""
    names = [STUDY, "kantarjian", "inotuzumab", "ozogamicin", "leukemia", "leukaemia", "cncr", "23633004"]
    for folder in ("generator", "templates"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".j2", ".js", ".css"}:
                text = path.read_text().lower()
                assert not [n for n in names if n in text], path


def problem_of(tmp_path: Path, source: str):
    """The one problem rendering `source` as a template reports (it must fail)."""
    (tmp_path / "page.md.j2").write_text(source)
    with pytest.raises(TemplateError) as caught:
        render_page(make_environment(tmp_path), "page.md.j2", {})
    (problem,) = caught.value.problems
    return problem


def test_a_macro_that_calls_itself_is_located(tmp_path):
    problem = problem_of(
        tmp_path, "Intro\n{% macro again(n) %}\n{{ again(n) }}\n{% endmacro %}\n{{ again(1) }}\n"
    )
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 3)
    assert "calls itself" in problem.message


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% set xs = range(100000)|list %}{% for a in xs %}{% for b in xs %}{{ '' }}{% endfor %}{% endfor %}",
        "{% macro two(n) %}{% if n %}{{ two(n - 1) }}{{ two(n - 1) }}{% endif %}{% endmacro %}{{ two(60) }}",
    ],
    ids=["nested ranges", "nested lists", "macro calling itself twice"],
)
def test_a_template_that_never_ends_stops_with_its_location(tmp_path, monkeypatch, source):
    monkeypatch.setattr(render, "RENDER_SECONDS", 0.3)
    start = time.monotonic()
    problem = problem_of(tmp_path, f"Intro\n{source}\n")
    assert time.monotonic() - start < 5
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 2)
    assert "took longer than 0.3 s" in problem.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ range(10 ** 9)|length }}", "Range too big"),
        ("{{ 'x' * 10 ** 10 }}", "10,000,000,000 items"),
        ("{{ 9 ** (9 ** 9) }}", "an exponent above"),
        ("{{ '%099999999999d' % 1 }}", "99,999,999,999 items"),
        ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "the page grew past"),
        ("{{ ''.__class__.__mro__ }}", "not allowed in a template"),
    ],
)
def test_an_enormous_or_unsafe_template_stops_with_its_location(tmp_path, monkeypatch, source, message):
    monkeypatch.setattr(render, "MAX_PAGE_CHARS", 10_000_000)
    problem = problem_of(tmp_path, f"Intro\n{source}\n")
    assert problem.file == tmp_path / "page.md.j2"
    assert message in problem.message
    assert problem.line == (None if "grew" in message else 2)


def test_a_recursive_template_in_the_project_is_a_located_error(project_copy):
    edit(
        project_copy / "templates/home.md.j2", "## Studies", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"
    )
    with pytest.raises(TemplateError, match=r"home\.md\.j2, line \d+: a macro or include calls itself"):
        generate(open_project(project_copy))


@pytest.mark.parametrize("damage", ["delete", "empty", "one missing"])
def test_missing_assets_are_a_located_error(project_copy, damage):
    assets = project_copy / "templates" / "assets"
    if damage == "one missing":
        (assets / REQUIRED_ASSETS[0]).unlink()
    else:
        for path in sorted(assets.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        if damage == "delete":
            assets.rmdir()
    with pytest.raises(TemplateError) as caught:
        generate(open_project(project_copy))
    message = str(caught.value)
    assert f"{assets}: " in message
    assert "assets/javascripts/charts.js and assets/stylesheets/extra.css" in message
    assert (
        "lacks assets/javascripts/charts.js" if damage == "one missing" else "is missing or empty"
    ) in message
