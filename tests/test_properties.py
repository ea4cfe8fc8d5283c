"""Property tests: whatever a CSV or YAML file holds, the loader accepts it or reports a located error.

Never a traceback: hypothesis generates odd types, missing cells, odd unicode and huge numbers.
"""

import csv
import io
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.analysis import analyse_study
from generator.audit import audit_study
from generator.config import StatisticsSettings
from generator.errors import InputError
from generator.load import load_studies
from tests.conftest import ROOT, STUDY

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "NaN", "inf", "-0", "1e400", "0x10", "٣", "17", "90", "100", "0"]),
)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)
cells = st.one_of(
    numbers,
    texts,
    st.sampled_from(
        [
            "all",
            "weekly",
            "single-dose",
            "reported",
            "derived",
            "from_percent",
            "sum(cr, crp)",
            "complement(cr)",
        ]
    ),
)


def load_or_locate(name: str, content: str | bytes) -> None:
    """Put `content` in the study's file `name`, then load (and, when valid, compute and audit) a copy
    of the content; any error must be an InputError naming its file."""
    root = Path(tempfile.mkdtemp(prefix="evidence-props-"))
    try:
        shutil.copytree(ROOT / "content", root / "content")
        target = root / "content/studies" / STUDY / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
        _load_analyse_audit(root)
    finally:
        shutil.rmtree(root)


def _load_analyse_audit(root: Path) -> None:
    try:
        for study in load_studies(root / "content"):
            audit_study(analyse_study(study, StatisticsSettings()))
    except InputError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert str(problem.file) and str(problem).startswith(str(problem.file)), problem


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@SETTINGS
@given(
    header=st.one_of(
        st.just(
            ["outcome", "label", "arm", "count", "denominator", "percent", "status", "derivation", "source"]
        ),
        st.lists(texts, max_size=10),
    ),
    rows=st.lists(st.lists(cells, min_size=0, max_size=11), max_size=6),
)
def test_any_proportion_table_loads_or_is_located(header, rows):
    load_or_locate("responses.csv", csv_text(header, rows))


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_any_bytes_in_a_table_load_or_are_located(raw):
    load_or_locate("survival.csv", raw)


yaml_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True),
        texts,
    ),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)),
    max_leaves=8,
)
STUDY_YAML = yaml.safe_load((ROOT / "content/studies" / STUDY / "study.yml").read_text())


def key_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from key_paths(value, (*prefix, index))


PATHS = [p for p in key_paths(STUDY_YAML) if p]


@SETTINGS
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), yaml_values), min_size=1, max_size=4))
def test_any_study_yaml_loads_or_is_located(changes):
    data = yaml.safe_load(yaml.safe_dump(STUDY_YAML))
    for path, value in changes:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    load_or_locate("study.yml", yaml.safe_dump(data, allow_unicode=True))


@SETTINGS
@given(raw=st.text(max_size=300))
def test_any_text_as_study_yaml_loads_or_is_located(raw):
    load_or_locate("study.yml", raw)
