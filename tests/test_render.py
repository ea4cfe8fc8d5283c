"""Rendering: data text stays text, templates hold no data, and nothing generic names a study."""

import re

import plotly.graph_objects as go
from markupsafe import Markup

from generator.charts import Chart
from generator.render import escape_markdown, figure_json
from tests.conftest import ROOT, STUDY


def test_data_text_is_not_read_as_markdown():
    assert escape_markdown("a *b* [c](javascript:x) | d_e") == r"a \*b\* \[c\](javascript:x) \| d\_e"
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
