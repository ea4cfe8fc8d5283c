"""Hostile or broken input files: one located message each and exit 1; never a traceback, a hang,
an internal error or unbounded memory. Each case is small and bounded by a timeout (and, for the
alias bomb, a memory limit), so a regression fails fast instead of stalling the run."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from generator.cli import main
from generator.errors import DataError
from generator.load import content_version, load_studies
from tests.conftest import ROOT, STUDY, copy_project, edit

MEMORY_LIMIT = 1024**3  # the generator needs about 500 MB of address space; a bomb needs far more


def check_bounded(project: Path, seconds: float = 30) -> subprocess.CompletedProcess:
    """`python -m generator check` in `project`, with a time and an address-space limit."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "generator", "check"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit_memory,
    )


def check(project: Path, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """`check` in this process (fast): the exit code and what it printed on stderr."""
    code = main(["check", "--project", str(project), "-q"])
    return code, capsys.readouterr().err


def assert_located(code: int, stderr: str, *expected: str) -> None:
    assert code == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    for text in expected:
        assert text in stderr, stderr


def problems_of(project: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_studies(project / "content")
    return [str(p) for p in caught.value.problems]


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """A 'billion laughs': 10**9 leaves once expanded, 400 bytes as written."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def project_copy(one_study_copy: Path) -> Path:
    """The copy each case breaks holds the study it breaks: the others would only add work."""
    return one_study_copy


# 1. An alias bomb is refused before anything expands it, at the line of its first alias.


@pytest.mark.parametrize("name", [f"content/studies/{STUDY}/study.yml", "site_config.yml", "mkdocs.yml"])
def test_an_alias_bomb_is_refused_at_its_first_alias(project_copy, name):
    (project_copy / name).write_text(alias_bomb())
    result = check_bounded(project_copy, seconds=20)
    expected = f"{Path(name).name}, line 2: YAML alias '*l0' found"
    assert_located(result.returncode, result.stderr, expected, "anchors and aliases")


# 2. Impossible dates, values Python cannot hold and deep nesting: located, exit 1.


def test_a_date_that_does_not_exist_is_located(project_copy, study_dir, capsys):
    edit(study_dir / "study.yml", "date: 2013-08-01", "date: 2013-02-30")
    code, stderr = check(project_copy, capsys)
    assert_located(
        code, stderr, "study.yml, line 24, field 'citation.date': expected a date that exists", "2013-02-30"
    )


def test_a_number_too_long_to_read_is_located(project_copy, study_dir, capsys):
    edit(study_dir / "study.yml", "n: 90\n", "n: " + "9" * 5000 + "\n")
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "study.yml, line", "field 'population.sets[0].n'", "digits")


@pytest.mark.parametrize(
    "text",
    [
        "short_title: " + "[" * 10_000,
        "short_title: " + "{a: " * 10_000,
        "- " * 10_000 + "deep\n",
    ],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
def test_deep_nesting_is_refused_with_its_line(project_copy, study_dir, capsys, text):
    (study_dir / "study.yml").write_text(text)
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "study.yml, line 1: ")
    assert "nested more than 50 levels deep" in stderr or "maximum nesting depth" in stderr  # libyaml's limit


def test_a_list_as_a_key_is_located(project_copy, study_dir, capsys):
    (study_dir / "study.yml").write_text("short_title: x\n? [a, b]\n: c\n")
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "study.yml, line 2: ", "expected a plain key")


def test_a_control_character_in_yaml_names_its_line(project_copy, study_dir, capsys):
    (study_dir / "study.yml").write_text("short_title: x\ncitation: \x00\n")
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "study.yml, line 2: YAML syntax error: unacceptable character")


# 3. CSV: a byte-order mark is accepted; unreadable rows name their line; problems are capped.


def test_a_csv_with_a_byte_order_mark_loads(project_copy, study_dir):
    path = study_dir / "responses.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    study = next(s for s in load_studies(project_copy / "content") if s.slug == STUDY)
    assert len(study.tables["responses"].frame) == 6


def test_a_utf16_csv_is_named_as_such(project_copy, study_dir):
    path = study_dir / "responses.csv"
    path.write_bytes(path.read_text().encode("utf-16"))
    (problem,) = problems_of(project_copy)
    assert "responses.csv: is not UTF-8 text: it is UTF-16 (it starts with a UTF-16 byte-order" in problem


def test_an_unterminated_quote_names_the_line_it_opens(project_copy, study_dir):
    path = study_dir / "responses.csv"
    path.write_text(path.read_text() + 'cr2,"Never closed,all,1,90,1,reported,,x\nmore\n')
    (problem,) = problems_of(project_copy)
    assert "responses.csv, line 8: a quoted cell is never closed" in problem, problem


def test_an_oversized_cell_names_its_line(project_copy, study_dir):
    path = study_dir / "responses.csv"
    path.write_text(path.read_text() + "cr2," + "x" * 200_000 + ",all,1,90,1,reported,,x\n")
    (problem,) = problems_of(project_copy)
    assert "responses.csv, line 8: a cell is longer than 131072 characters" in problem, problem


def test_problems_are_capped_per_file(project_copy, study_dir):
    path = study_dir / "responses.csv"
    path.write_text(path.read_text() + "bad,row\n" * 100)
    problems = problems_of(project_copy)
    assert len(problems) == 21, problems
    assert problems[-1].endswith("responses.csv: … and 80 more problems in this file"), problems[-1]


def test_a_table_with_too_many_rows_is_refused(project_copy, study_dir):
    path = study_dir / "responses.csv"
    path.write_text(path.read_text() + "x,y,all,1,2,,reported,,z\n" * 1001)
    (problem,) = problems_of(project_copy)
    assert "responses.csv, line 1002: has more than 1000 rows; expected at most 1000" in problem, problem


@pytest.mark.parametrize("columns", [101, 100_000])
def test_a_table_with_too_many_columns_is_refused_quickly_in_one_short_line(project_copy, study_dir, columns):
    """100,000 columns (689 KB) took 6.4 min of CPU and printed one 789 KB line on main."""
    header = ",".join(f"column_{index}" for index in range(columns))
    (study_dir / "extra.csv").write_text(header + "\n" + ",".join("1" for _ in range(columns)) + "\n")
    result = check_bounded(project_copy, seconds=30)
    assert_located(result.returncode, result.stderr, "extra.csv, line 1: has")
    assert f"has {columns} columns; expected at most 100" in result.stderr
    assert max(len(line) for line in result.stderr.splitlines()) <= 1000


def test_unknown_columns_are_named_up_to_ten_and_counted(project_copy, study_dir):
    path = study_dir / "responses.csv"
    header, rest = path.read_text().split("\n", 1)
    extra = [f"extra_{index}" for index in range(30)]
    path.write_text(",".join([header, *extra]) + "\n" + rest)
    problem = next(p for p in problems_of(project_copy) if "responses.csv" in p)
    assert "unknown column(s) extra_0, extra_1" in problem and "extra_9 and 20 more" in problem
    assert "extra_10" not in problem


@pytest.mark.parametrize(
    ("message", "field", "cut"),
    [("x" * 100_000, None, True), ("short", "y" * 100_000, True), ("z" * 900, "f", False)],
)
def test_no_problem_line_is_longer_than_a_screen(message, field, cut):
    from generator.errors import MOST_CHARACTERS, Problem

    line = str(Problem(Path("content/studies/a/b.csv"), message, line=3, field=field))
    assert len(line) <= MOST_CHARACTERS + 40, len(line)
    assert line.startswith("content/studies/a/b.csv, line 3")
    assert ("more characters)" in line) == cut


def test_a_huge_csv_is_refused_quickly(project_copy, study_dir):
    path = study_dir / "responses.csv"
    row = "bad,row,with,too,few,cells\n"
    path.write_text(path.read_text() + row * (50 * 1024**2 // len(row)))
    result = check_bounded(project_copy, seconds=20)
    assert_located(result.returncode, result.stderr, "responses.csv: is 50.0 MB; expected at most 2 MB")
    assert len(result.stderr.splitlines()) < 30


# 4. Named pipes and other special files are refused without being opened.


@pytest.mark.parametrize("name", ["survival.csv", "study.yml"])
def test_a_named_pipe_is_refused_without_opening_it(project_copy, study_dir, name):
    (study_dir / name).unlink()
    os.mkfifo(study_dir / name)
    result = check_bounded(project_copy, seconds=20)
    assert_located(result.returncode, result.stderr, f"{name}: is a named pipe; expected a regular file")


def test_the_data_version_skips_a_named_pipe(project_copy, study_dir):
    before = content_version(project_copy / "content")
    os.mkfifo(study_dir / "notes.csv")
    thread = threading.Thread(target=lambda: content_version(project_copy / "content"), daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # let the blocked open() return so the thread can end
        os.close(os.open(study_dir / "notes.csv", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("content_version blocked on a named pipe")
    assert content_version(project_copy / "content") == before


# 5. Editor litter is neither loaded nor hashed.


def test_editor_litter_is_ignored_by_the_loader_and_the_data_version(project_copy, study_dir):
    before = content_version(project_copy / "content")
    (study_dir / ".#responses.csv").symlink_to("someone@host.1234:1700000000")  # dangling, as emacs does
    (study_dir / "._responses.csv").write_bytes(b"\x00\x05\x16\x07 resource fork")
    (study_dir / "responses.csv~").write_text("old,copy\n")
    (study_dir / ".responses.csv.swp").write_bytes(b"b0VIM 8.2")
    (project_copy / "content/studies/.DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    study = next(s for s in load_studies(project_copy / "content") if s.slug == STUDY)
    files = {name for name, table in study.tables.items() if not table.implied}
    assert files == {"population", "responses", "survival", "transplant", "adverse_events"}
    assert content_version(project_copy / "content") == before


# 6. Symbolic links are refused: the data version and the site must cover exactly the files read.


def test_a_symlinked_study_folder_is_refused(project_copy, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project_copy / "content/studies/linked").symlink_to(elsewhere, target_is_directory=True)
    (problem,) = problems_of(project_copy)
    assert problem.startswith(str(project_copy / "content/studies/linked")), problem
    assert "is a symbolic link" in problem and "data version" in problem


def test_a_symlinked_table_is_refused(project_copy, study_dir, tmp_path):
    outside = tmp_path / "survival.csv"
    (study_dir / "survival.csv").rename(outside)
    (study_dir / "survival.csv").symlink_to(outside)
    (problem,) = problems_of(project_copy)
    assert f"{study_dir / 'survival.csv'}: is a symbolic link" in problem, problem


def test_the_data_version_covers_every_file_the_loader_reads(project_copy, study_dir):
    before = content_version(project_copy / "content")
    for path in sorted(study_dir.iterdir()):
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert content_version(project_copy / "content") != before, path.name
        path.write_bytes(original)
    (study_dir / "notes.txt").write_text("not read by the loader")
    assert content_version(project_copy / "content") == before


# 7. Accepted before, but wrong: duplicates, a range upside down, an arm compared with itself.


def test_a_duplicate_adverse_event_is_located(project_copy, study_dir):
    path = study_dir / "adverse_events.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[2].replace("Fever", "fever ")]) + "\n")
    (problem,) = problems_of(project_copy)
    assert "adverse_events.csv, line 6: duplicate row for event 'fever' (weekly against single-dose)" in (
        problem
    )
    assert "line 3 already compares these arms" in problem


def test_the_same_comparison_the_other_way_round_is_a_duplicate(project_copy, study_dir):
    path = study_dir / "adverse_events.csv"
    lines = path.read_text().splitlines()
    mirrored = lines[2].replace("weekly,single-dose,less", "single-dose,weekly,more")
    path.write_text("\n".join([*lines, mirrored]) + "\n")
    (problem,) = problems_of(project_copy)
    assert "adverse_events.csv, line 6: duplicate row for event 'Fever'" in problem, problem


def test_an_arm_compared_with_itself_is_located(project_copy, study_dir):
    edit(study_dir / "adverse_events.csv", "Fever,weekly,single-dose", "Fever,weekly,weekly")
    (problem,) = problems_of(project_copy)
    assert "adverse_events.csv, line 3: " in problem and "compared with itself" in problem, problem


def test_a_headline_listed_twice_is_located(project_copy, study_dir):
    edit(study_dir / "study.yml", "  - responses:cr@all\n", "  - responses:cr@all\n  - responses:cr@all\n")
    (problem,) = problems_of(project_copy)
    assert "study.yml, line 191, field 'headline[2]': headline 'responses:cr@all' is listed twice" in problem


def test_a_cycle_shorter_at_most_than_at_least_is_located(project_copy, study_dir):
    edit(study_dir / "study.yml", "cycle_weeks: {min: 3, max: 4}", "cycle_weeks: {min: 4, max: 3}")
    (problem,) = problems_of(project_copy)
    assert "study.yml, line 146, field 'arms[0].dosing.cycle_weeks': max must be at least min" in problem


def test_an_infinite_cycle_or_dose_is_located(project_copy, study_dir, capsys):
    edit(study_dir / "study.yml", "cycle_weeks: {min: 3, max: 4}", "cycle_weeks: {min: 3, max: .inf}")
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "field 'arms[0].dosing.cycle_weeks.max': Input should be a finite number")


def test_a_byte_that_is_not_utf8_names_its_line(project_copy, study_dir, capsys):
    path = study_dir / "responses.csv"
    path.write_bytes(path.read_bytes().replace(b"Complete response", b"Compl\xe9te response"))
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "responses.csv, line 2: is not UTF-8 text: byte", "(0xe9)")


def test_a_known_discrepancy_naming_no_check_names_its_line(project_copy, study_dir, capsys):
    with (study_dir / "study.yml").open("a") as handle:
        handle.write("known_discrepancies:\n  - check: no/such/check\n    reason: a test\n")
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "study.yml, line", "field 'known_discrepancies[0].check': known discrepancy")


@pytest.mark.parametrize(
    "link", ["home.md.j2", "study/secret.md.j2", "assets/stylesheets/secret.css", "overrides/partials/x.html"]
)
def test_a_link_out_of_the_templates_folder_is_refused_and_never_shown(project_copy, tmp_path, capsys, link):
    """Its content was included in a page (content/ refused links; templates/ did not)."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("SECRET-TOKEN-1234\n")
    path = project_copy / "templates" / link
    path.unlink(missing_ok=True)
    path.symlink_to(secret)
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, f"{path}: is a link to {secret}, outside the templates folder")
    assert "SECRET-TOKEN" not in stderr


def test_a_link_inside_the_templates_folder_is_followed(project_copy, capsys):
    templates = project_copy / "templates"
    (templates / "home-original.md.j2").write_bytes((templates / "home.md.j2").read_bytes())
    (templates / "home.md.j2").unlink()
    (templates / "home.md.j2").symlink_to(templates / "home-original.md.j2")
    assert check(project_copy, capsys) == (0, "")


@pytest.mark.parametrize(
    "interval",
    ["1e-400,0.93", "0." + "0" * 400 + "1,0.93", "0.55,1e+400"],
    ids=["1e-400", "0.0...1", "1e+400"],
)
def test_a_ratio_beyond_floating_point_is_located_not_an_internal_error(tmp_path, capsys, interval):
    """A ratio above 0 as written but 0.0 (or inf) as a float stopped the build with a math domain
    error (exit 4)."""
    project_copy = copy_project(tmp_path, ["kantarjian-2017"])  # the study with a hazard ratio
    path = project_copy / "content" / "studies" / "kantarjian-2017" / "survival_effects.csv"
    edit(path, "hazard_ratio,0.71,0.55,0.93,", f"hazard_ratio,0.71,{interval},")
    code, stderr = check(project_copy, capsys)
    assert_located(code, stderr, "survival_effects.csv, line 2", "is beyond what can be computed with")
