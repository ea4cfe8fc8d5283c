"""Rendering: data text stays text, templates hold no data, nothing generic names a study, and a
template that fails, recurses, loops without end or lacks its assets stops with its location."""

import re
import shutil
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
from markupsafe import Markup

from generator import sandbox
from generator.build import generate, open_project
from generator.chartdata import Figure, bar
from generator.charts import Chart
from generator.errors import TemplateError
from generator.render import (
    REQUIRED_ASSETS,
    figure_json,
    make_environment,
    render_page,
    site_assets,
    strict_json,
)
from generator.text import escape_markdown
from tests.conftest import ROOT, STUDY, edit


def test_data_text_is_not_read_as_markdown():
    escaped = escape_markdown("a *b* [c](javascript:x) | d_e <i>")
    assert escaped == "a &#42;b&#42; &#91;c&#93;(javascript:x) &#124; d&#95;e &#60;i&#62;"
    assert isinstance(escaped, Markup)
    assert escape_markdown("- item") == "&#45; item" and escape_markdown("1. item") == "1&#46; item"
    assert escape_markdown(Markup("<b>ours</b>")) == "<b>ours</b>"
    assert escape_markdown(52) == 52


def test_figure_json_cannot_break_out_of_its_attribute():
    figure: Figure = {"data": [bar(x=[1], y=['"><script>alert(1)</script>'])], "layout": {}}
    text = str(figure_json(Chart("k", "t", "c", figure, None)))
    assert "<" not in text and '"' not in text
    assert "&lt;script&gt;" in text


def test_chart_json_is_strict_json_whatever_numbers_a_chart_holds():
    """As plotly's encoder wrote figures: numpy's numbers and Decimals as numbers, NaN and infinities
    (which JSON has not, and the page's JSON.parse refuses) as null."""
    import numpy as np

    figure = {"x": [np.int64(3), np.float64(0.5), Decimal("1.25"), np.bool_(True)], "y": [float("nan")]}
    assert strict_json({**figure, "z": float("-inf")}) == '{"x":[3,0.5,1.25,true],"y":[null],"z":null}'
    assert strict_json({"text": "NaN mg"}) == '{"text":"NaN mg"}', "a word is no number"


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
        render_page(make_environment((tmp_path,)), "page.md.j2", {})
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
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.3)
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
        ("{% set a = 10 ** 1000 %}{% set b = a ** 1000 %}{{ (b ** 1000) > 5 }}", "bits, above the limit"),
        (
            "{% set a = 10 ** 1000 %}{% set b = a * a * a * a * a * a * a * a %}{{ b * b * b * b * b }}",
            "bits",
        ),
        ("{{ '%099999999999d' % 1 }}", "'%' would make a text or list of 100,000,000,013 items"),
        ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "the page grew past"),
        ("{{ ''.__class__.__mro__ }}", "not allowed in a template"),
    ],
)
def test_an_enormous_or_unsafe_template_stops_with_its_location(tmp_path, monkeypatch, source, message):
    monkeypatch.setattr(sandbox, "MAX_PAGE_CHARS", 10_000_000)
    problem = problem_of(tmp_path, f"Intro\n{source}\n")
    assert problem.file == tmp_path / "page.md.j2"
    assert message in problem.message
    assert problem.line == 2


def test_a_page_that_grows_too_large_in_an_included_template_names_that_file_and_line(tmp_path, monkeypatch):
    """ "The page grew past 50,000,000 characters" named no line."""
    monkeypatch.setattr(sandbox, "MAX_PAGE_CHARS", 1_000_000)
    (tmp_path / "part.md.j2").write_text(
        "One\nTwo\n{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}\n"
    )
    problem = problem_of(tmp_path, "Intro\n\n{% include 'part.md.j2' %}\n")
    assert (problem.file, problem.line) == (tmp_path / "part.md.j2", 3)
    assert problem.message == "template stopped: the page grew past 1,000,000 characters"


class Hung(Exception):
    """A template still rendering after its test's alarm: a guard is missing."""


@pytest.fixture
def fails_fast():
    """Stops a test whose template runs for seconds (as one with a missing guard does: a single
    call Jinja's deadline cannot interrupt) instead of letting it hang the run."""

    def hung(signum, frame):
        raise Hung("the template still ran after 4 s: a single call was not refused before it ran")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(4)
    start = time.monotonic()
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < 2


def test_lipsum_is_not_offered(tmp_path, fails_fast):
    """lipsum(n) wrote n paragraphs in one call, past any deadline (100,000,000: 2 GB, > 300 s)."""
    problem = problem_of(tmp_path, "Intro\n{{ lipsum(100000000) }}\n")
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 2)
    assert "'lipsum' is undefined" in problem.message


@pytest.mark.parametrize(
    ("source", "made_by", "size"),
    [
        ('{{ "%999999999d"|format(1) }}', "the format filter", "1,000,000,010"),
        ('{{ "x"|center(2000000000) }}', "the center filter", "2,000,000,000"),
        ('{{ ("x" * 40)|replace("x", "y" * 1000000) }}', "the replace filter", "40,000,000"),
        ('{{ ("ab\\n" * 1000)|indent(100000) }}', "the indent filter", "100,203,000"),
        ('{{ ("a " * 1000)|wordwrap(1, wrapstring="x" * 100000) }}', "the wordwrap filter", "200,102,000"),
        ('{{ (["x" * 1000] * 2000)|join }}', "the join filter", "1,001,000"),
        ("{{ [[[1]]]|tojson(3000000) }}", "the tojson filter's indent", "3,000,000"),
        ("{{ [1]|batch(5000000, 0)|list|length }}", "the batch filter", "5,000,000"),
        ("{{ [1]|slice(2000000)|list|length }}", "the slice filter", "2,000,000"),
        ("{{ ([[1] * 2000] * 1000)|sum(start=[])|length }}", "the sum filter", "1,002,000"),
        ('{{ ("&" * 600000)|forceescape }}', "the forceescape filter", "3,000,000"),
        ('{{ "x".center(5000000) }}', "str.center()", "5,000,000"),
        ('{{ "x".ljust(5000000) }}', "str.ljust()", "5,000,000"),
        ('{{ "x".rjust(5000000) }}', "str.rjust()", "5,000,000"),
        ('{{ "1".zfill(5000000) }}', "str.zfill()", "5,000,000"),
        ('{{ ("\\t" * 1000).expandtabs(100000) }}', "str.expandtabs()", "100,001,000"),
        ('{{ ("x" * 1000).replace("x", "y" * 10000) }}', "str.replace()", "10,000,000"),
        ('{{ ",".join(["x" * 1000] * 2000) }}', "str.join()", "2,001,999"),
        ('{{ "aaaa".translate({97: "x" * 500000}) }}', "str.translate()", "2,000,000"),
        ('{{ (1).to_bytes(5000000, "big")|length }}', "int.to_bytes()", "5,000,000"),
        ('{{ "{:5000000}".format(1) }}', "str.format()", "5,000,000"),
        ('{{ "{:{}}".format(1, 5000000) }}', "str.format()", "5,000,000"),
        ('{{ "{x:.5000000f}".format_map({"x": 1.5}) }}', "str.format()", "5,000,000"),
        ('{{ "%.5000000f" % 1.5 }}', "'%'", "5,000,010"),
        ('{{ "%*d" % (5000000, 1) }}', "'%'", "5,000,003"),
        ('{{ "%(a)5000000d" % {"a": 1} }}', "'%'", "5,000,012"),
        ('{{ "x" * 5000000 }}', "'*'", "5,000,000"),
        ('{{ "y" * 600000 + "y" * 600000 }}', "'+'", "1,200,000"),
        ('{{ "y" * 600000 ~ "y" * 600000 }}', "'~'", "1,200,000"),
        (
            '{% set a = ["x"] * 100000 %}{% set b = [a, a, a, a, a, a, a, a, a, a, a, a] %}{{ b }}',
            "showing a list or dict",
            "1,000,00",  # counted until past the limit
        ),
    ],
)
def test_one_call_that_would_make_a_huge_value_is_refused_before_it_runs(
    tmp_path, fails_fast, source, made_by, size
):
    """A filter, method or operator whose width, count or repeats would make a text or list
    longer than MAX_VALUE_CHARS stops, located, before it runs: the page deadline cannot stop
    one call, and the page size is only known once the call has made (and used) gigabytes."""
    problem = problem_of(tmp_path, f"Intro\n{source}\n")
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 2)
    assert problem.message.startswith(f"template stopped: {made_by} would make a text or list of {size}")
    assert problem.message.endswith(f"items, above the limit of {sandbox.MAX_VALUE_CHARS:,} for one value")


def test_a_macro_or_block_that_doubles_its_text_stops_at_the_page_limit(tmp_path, monkeypatch, fails_fast):
    monkeypatch.setattr(sandbox, "MAX_PAGE_CHARS", 10_000_000)
    source = '{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}{{ twice(twice(twice(twice("x" * 1000000)))) }}'
    problem = problem_of(tmp_path, f"Intro\n{source}\n")
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 2)
    assert "a macro, call, filter or set block grew past 10,000,000 characters" in problem.message


def test_lists_and_dicts_cannot_be_changed_in_place(tmp_path, fails_fast):
    """xs.extend(xs) doubled a list in one call."""
    problem = problem_of(tmp_path, "Intro\n{% set xs = [1] %}{{ xs.extend(xs) }}\n")
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 2)
    assert "not allowed in a template: access to attribute 'extend' of 'list' object is unsafe" in (
        problem.message
    )


def test_a_filter_that_asserts_its_arguments_is_a_located_error(tmp_path):
    problem = problem_of(tmp_path, 'Intro\n{{ "abc"|truncate(1) }}\n')
    assert (problem.file, problem.line) == (tmp_path / "page.md.j2", 2)
    assert problem.message == "error in template: AssertionError: expected length >= 3, got 1"


def test_ordinary_formatting_is_untouched(tmp_path):
    """The guards change nothing a page can use: the same text as Jinja's own filters and methods."""
    (tmp_path / "page.md.j2").write_text(
        '{{ "%5.1f|%-3s|"|format(2.25, "a") }}{{ "%(n)03d" % {"n": 7} }} '
        '{{ "{:>4}|{:.2f}|{!r}".format("a", 1.5, "b") }} {{ "a-b"|replace("-", "+") }} {{ "x"|center(5) }}| '
        '{{ ["a", "b"]|join(", ") }} {{ [[1], [2]]|sum(start=[]) }} {{ "x" ~ 1 }} {{ "ab" + "c" }} '
        '{{ "ab".zfill(4) }} {{ {"a": [1]}|tojson }} {{ "aa bb cc"|wordwrap(2) }} {{ "a\\nb"|indent(2) }}\n'
    )
    page = render_page(make_environment((tmp_path,)), "page.md.j2", {}).decode()
    assert page == (
        "  2.2|a  |007  a&#124;1.50&#124;&#39;b&#39; a+b   x  | a, b [1, 2] x1 abc 00ab "
        '{"a": [1]} aa\nbb\ncc a\n  b\n'
    )


@pytest.fixture
def project_copy(one_study_copy: Path) -> Path:
    """The copy whose templates break holds one study: enough to render every kind of page."""
    return one_study_copy


def test_a_recursive_template_in_the_project_is_a_located_error(project_copy):
    edit(
        project_copy / "templates/home.md.j2",
        "## Cite this site",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    )
    with pytest.raises(TemplateError, match=r"home\.md\.j2, line \d+: a macro or include calls itself"):
        generate(open_project(project_copy))


def test_a_project_holds_only_the_assets_it_changes(project_copy):
    """The package's scripts and styles, unless the project's templates hold a file of the same name."""
    assets = project_copy / "templates" / "assets"
    shutil.rmtree(assets)
    (assets / "stylesheets").mkdir(parents=True)
    (assets / "stylesheets" / "pages.css").write_text("/* the project's own */\n")
    files = site_assets(open_project(project_copy).templates)
    assert files["assets/stylesheets/pages.css"] == b"/* the project's own */\n"
    for name in REQUIRED_ASSETS:
        assert files[f"assets/{name}"] == (ROOT / "templates" / "assets" / name).read_bytes()


def test_an_empty_required_asset_is_a_located_error(project_copy):
    assets = project_copy / "templates" / "assets"
    (assets / REQUIRED_ASSETS[0]).write_text("")
    with pytest.raises(TemplateError) as caught:
        generate(open_project(project_copy))
    message = str(caught.value)
    assert f"{assets}: " in message
    assert "assets/javascripts/charts.js and assets/stylesheets/extra.css" in message
    assert "lacks assets/javascripts/charts.js (or it is empty)" in message


# The notes of a page name the methods its figures use, and no other


@pytest.fixture(scope="module")
def fixture_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The generated Markdown of three fixture studies: reported effects only, a randomized trial, and
    two cohorts that were not randomized."""
    from tests.test_fixtures import project_with

    shapes = ["effects-only", "two-arm-randomized", "non-randomized-cohorts"]
    files = generate(open_project(project_with(tmp_path_factory.mktemp("legend"), shapes)))
    return {name: data.decode() for name, data in files.items() if name.endswith(".md")}


def legend(page: str) -> str:
    """The text of a page's "How to read the figures" note (its indented lines)."""
    after = page.split('!!! info "How to read the figures"\n', 1)[1]
    lines = []
    for line in after.splitlines():
        if not line.startswith("    "):
            break
        lines.append(line.strip())
    return " ".join(lines)


METHOD_WORDS = {
    "proportion": "Clopper-Pearson",
    "difference": "Newcombe hybrid score",
    "fisher": "Fisher's exact test",
    "printed": "intervals printed by the source are shown as printed",
    "derived": "Derived",
}


def named_methods(page: str) -> set[str]:
    text = legend(page)
    return {name for name, words in METHOD_WORDS.items() if words in text}


def test_a_page_of_reported_effects_names_no_computed_method(fixture_pages):
    assert named_methods(fixture_pages["studies/effects-only/results.md"]) == set()
    assert "Computed" not in legend(fixture_pages["studies/effects-only/results.md"])


def test_a_randomized_trial_names_its_intervals_difference_and_test(fixture_pages):
    page = fixture_pages["studies/two-arm-randomized/results.md"]
    assert named_methods(page) == {"proportion", "difference", "fisher", "printed"}
    assert "(exact Clopper-Pearson) |" in page and "(Newcombe hybrid score) |" in page
    assert "Interval as printed" in page, "each interval column says where it comes from"


def test_cohorts_not_randomized_name_only_the_interval_of_each_proportion(fixture_pages):
    page = fixture_pages["studies/non-randomized-cohorts/results.md"]
    assert named_methods(page) == {"proportion"}
    assert "Difference between arms" not in page and "Fisher" not in page and " pp" not in page
    assert "Single dose · Treated, n = 30" in page, "the Patients column names the set of the denominator"


def test_the_methods_of_figures_shown_alone_follow_their_origin():
    from generator.methods import Methods, values_methods
    from generator.values import Value

    reported_ci = Value("s/t/o@a/ci", "CI", "0.55 to 0.93", [0.55, 0.93], "reported", "quote")
    computed_ci = Value("s/t/o@a/ci", "CI", "1% to 2%", [1, 2], "computed", None, "95% CI of 1/90")
    assert values_methods([reported_ci, None]) == Methods(reported_intervals=True)
    assert values_methods([computed_ci]) == Methods(proportion_ci=True)
