"""Property tests: whatever a CSV or YAML file holds, the loader accepts it or reports a located error.

Never a traceback, a hang or unbounded memory: hypothesis generates odd types, missing cells, odd
unicode, huge numbers, YAML anchors and aliases, tags, deep nesting, impossible dates and byte-order
marks; every example runs under a time and a memory limit.
"""

import csv
import io
import resource
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.analysis import analyse_study
from generator.audit import audit_study
from generator.config import StatisticsSettings, load_site_config
from generator.errors import ConfigError, InputError
from generator.load import load_studies
from tests.conftest import ROOT, STUDY, left_out

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
    of the content; any error must be an InputError naming its file. The copy holds the vocabulary and
    that study only: the other studies, unchanged, would add work to every example and nothing to it."""
    root = Path(tempfile.mkdtemp(prefix="evidence-props-"))
    try:
        shutil.copytree(ROOT / "content", root / "content", ignore=left_out([STUDY]))
        target = root / "content/studies" / STUDY / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
        with bounded():
            _load_analyse_audit(root)
    finally:
        shutil.rmtree(root)


@contextmanager
def bounded(seconds: float = 20, memory: int = 1024**3) -> Iterator[None]:
    """Fail fast, instead of hanging or exhausting memory, when the body takes longer than `seconds`
    or more than `memory` bytes of address space beyond what the process already holds."""
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + memory if hard == resource.RLIM_INFINITY else min(hard, used + memory)

    def too_slow(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


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


STUDY_TEXT = (ROOT / "content/studies" / STUDY / "study.yml").read_text()
STUDY_LINES = STUDY_TEXT.splitlines(keepends=True)
VALUE_LINES = [i for i, line in enumerate(STUDY_LINES) if ": " in line and not line.lstrip().startswith("#")]
DECORATIONS = [
    "&a",
    "*a",
    "&b [*a, *a]",
    "*b",
    "<<: *a",
    "!!str",
    "!!int",
    "!!float",
    "!!binary",
    "!!timestamp",
    "!!set",
    "!!omap",
    "!!python/name:os.system",
    "!!python/object/apply:os.system",
    "!ENV",
    "!foo",
    "? [k]",
    "\ufeff",
    "2013-02-30",
    "9" * 5000,
    "1e400",
    "[" * 60,
]


@SETTINGS
@given(changes=st.lists(st.tuples(st.sampled_from(VALUE_LINES), st.sampled_from(DECORATIONS)), max_size=5))
def test_anchors_aliases_tags_and_odd_values_in_study_yaml_load_or_are_located(changes):
    lines = list(STUDY_LINES)
    for index, decoration in changes:
        key, value = lines[index].split(": ", 1)
        lines[index] = f"{key}: {decoration} {value}"
    load_or_locate("study.yml", "".join(lines))


@settings(SETTINGS, max_examples=40)
@given(levels=st.integers(1, 12), width=st.integers(1, 10), where=st.sampled_from(VALUE_LINES))
def test_alias_bombs_in_study_yaml_are_located(levels, width, where):
    bomb = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    bomb += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    lines = list(STUDY_LINES)
    key, _ = lines[where].split(": ", 1)
    indent = key[: len(key) - len(key.lstrip())]
    lines[where] = f"{key}:\n" + "".join(f"{indent}  {line}\n" for line in bomb)
    load_or_locate("study.yml", "".join(lines))


@SETTINGS
@given(
    depth=st.integers(0, 300),
    opener=st.sampled_from(["[", "{k: ", "- ", "k:\n", "? "]),
    closed=st.booleans(),
)
def test_any_nesting_depth_loads_or_is_located(depth, opener, closed):
    if opener == "k:\n":  # block mappings, each indented one more step
        text = "".join(" " * i + "k:\n" for i in range(depth)) + " " * depth + "x\n"
    else:
        closer = {"[": "]", "{k: ": "}"}.get(opener, "") if closed else ""
        text = opener * depth + "x" + closer * depth + "\n"
    load_or_locate("study.yml", "short_title:\n  " + text.replace("\n", "\n  "))


dates = st.one_of(
    st.dates().map(str),
    st.tuples(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)).map(
        lambda ymd: f"{ymd[0]:04d}-{ymd[1]:02d}-{ymd[2]:02d}"
    ),
    st.sampled_from(["2013-02-29", "2012-02-29", "2013-02-30", "2013-04-31", "0000-01-01", "2013-1-1"]),
    st.from_regex(r"\A\d{4}-\d\d?-\d\d?([Tt ]\d\d?:\d\d:\d\d(\.\d+)?(Z|[-+]\d\d?(:\d\d)?)?)?\Z"),
)


@SETTINGS
@given(date=dates, epub=dates)
def test_any_date_loads_or_is_located(date, epub):
    text = STUDY_TEXT.replace("date: 2013-08-01", f"date: {date}").replace(
        "epub_date: 2013-04-30", f"epub_date: {epub}"
    )
    load_or_locate("study.yml", text)


BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xef\xbb"]


@SETTINGS
@given(
    name=st.sampled_from(["study.yml", "responses.csv", "survival.csv", "adverse_events.csv"]),
    bom=st.sampled_from(BOMS),
    at_start=st.booleans(),
    position=st.integers(0, 10_000),
)
def test_byte_order_marks_load_or_are_located(name, bom, at_start, position):
    raw = (ROOT / "content/studies" / STUDY / name).read_bytes()
    at = 0 if at_start else position % (len(raw) + 1)
    load_or_locate(name, raw[:at] + bom + raw[at:])


@SETTINGS
@given(raw=st.text(max_size=200), decoration=st.sampled_from(DECORATIONS))
def test_any_site_config_loads_or_is_located(raw, decoration):
    path = Path(tempfile.mkdtemp(prefix="evidence-props-")) / "site_config.yml"
    try:
        path.write_text(f"statistics:\n  ci_level: {decoration} {raw}\n" if raw.isprintable() else raw)
        with bounded():
            load_site_config(path)
    except ConfigError as exc:
        assert exc.problems and all(str(p).startswith(str(path)) for p in exc.problems), exc.problems
    finally:
        shutil.rmtree(path.parent)
