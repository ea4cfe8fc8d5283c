"""The per-study pipeline: each study built on its own, in parallel, and cached by what it depends on."""

import importlib
import logging
import shutil
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from generator.build import generate, open_project
from generator.cache import StudyCache
from generator.errors import ConfigError, DataError
from generator.load import list_study_folders, load_vocabulary, vocabulary_path
from generator.outputs import OWNER_MARK
from generator.studies import PARALLEL_FROM, StudyFailed, build_studies, study_tasks
from tests.conftest import STUDY, KeptProject, copy_project, edit

FIXTURE_STUDIES = Path(__file__).parent / "fixtures" / "studies"


def clone_studies(project: Path, copies: int) -> list[str]:
    """Copies of the first study under new slugs, each with its own title, DOI and PMID."""
    studies = project / "content" / "studies"
    slugs = []
    for number in range(copies):
        slug = f"copy-{number:03d}"
        shutil.copytree(studies / STUDY, studies / slug)
        meta = studies / slug / "study.yml"
        text = meta.read_text()
        text = text.replace("short_title: ", f"short_title: Copy {number} of ", 1)
        text = text.replace("doi: 10.", f"doi: 10.9{number:03d}", 1).replace('pmid: "', 'pmid: "9', 1)
        meta.write_text(text)
        slugs.append(slug)
    return slugs


def built(caplog) -> str:
    """The last build's line about its studies."""
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Loaded, computed")][-1]


@dataclass(frozen=True)
class Generated:
    """The project generated once, its cache filled, kept as it was then; and the files it generated."""

    kept: KeptProject
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = copy_project(tmp_path_factory.mktemp("generated") / "project")
    files = generate(open_project(root))
    assert StudyCache(open_project(root).cache_dir).path(STUDY).is_file()
    return Generated(KeptProject.of(root), files)


@pytest.fixture
def cached_copy(generated: Generated) -> Path:
    """The project as its first generation left it, cache and all (its files: `generated.files`)."""
    return generated.kept.restored()


def test_a_second_build_takes_every_study_from_the_cache_and_gives_the_same_files(
    generated, cached_copy, caplog
):
    caplog.set_level(logging.INFO, logger="generator")
    second = generate(open_project(cached_copy))
    assert second == generated.files
    studies = len(list((cached_copy / "content" / "studies").iterdir()))
    assert f"{studies} from the cache" in built(caplog)


def test_an_edit_to_one_study_builds_only_that_study_again(generated, cached_copy, caplog):
    caplog.set_level(logging.INFO, logger="generator")
    before = generated.files
    edit(cached_copy / "content" / "studies" / STUDY / "study.yml", "short_title: ", "short_title: Edited ")
    after = generate(open_project(cached_copy))
    studies = len(list((cached_copy / "content" / "studies").iterdir()))
    assert f"{studies - 1} from the cache" in built(caplog)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed, "the edit shows"
    assert all(
        name.startswith(f"studies/{STUDY}/")
        or "/" not in name
        or name.startswith(("studies/index", "data/", "comparisons/"))
        or name.endswith("-tables.zip")  # each study's zip names the site's data version, which changed
        for name in changed
    ), sorted(changed)


@pytest.mark.parametrize(
    "change",
    [
        ("site_config.yml", "percent_decimals: 1", "percent_decimals: 2"),
        ("templates/study/design.md.j2", "# Design and dosing", "# Design and dosing (edited)"),
        ("content/outcomes.yml", "title: Median overall survival", "title: Median survival"),
    ],
    ids=["settings", "templates", "vocabulary"],
)
def test_what_every_study_depends_on_invalidates_every_cached_study(cached_copy, caplog, change):
    """Unchanged, every study would come from the cache (see the test above)."""
    caplog.set_level(logging.INFO, logger="generator")
    file, old, new = change
    edit(cached_copy / file, old, new)
    generate(open_project(cached_copy))
    assert "from the cache" not in built(caplog)


def to_build_in_parallel(project: Path) -> list[str]:
    """Copies of the first study enough to make the project's studies as many as a build starts
    worker processes for (PARALLEL_FROM): the three real studies and as few copies as that takes."""
    folder = project / "content" / "studies"
    slugs = clone_studies(project, max(PARALLEL_FROM - len(list(folder.iterdir())), 2))
    assert len(list(folder.iterdir())) >= PARALLEL_FROM
    return slugs


def test_a_parallel_build_gives_the_same_files_as_a_serial_one(project_copy, tmp_path):
    to_build_in_parallel(project_copy)
    project = open_project(project_copy)
    serial, _, _ = build_studies(_tasks(project), None, workers=1)
    parallel, errors, _ = build_studies(_tasks(project), None, workers=2)
    assert not errors
    assert [o.files for o in parallel] == [o.files for o in serial]
    assert [o.summary for o in parallel] == [o.summary for o in serial]


def _tasks(project):
    """The tasks generate() makes, without building them."""
    content = project.content_dir
    return study_tasks(
        list_study_folders(content),
        project.root,
        project.config,
        project.templates,
        vocabulary_path(content),
        load_vocabulary(content),
    )


def test_problems_of_several_studies_built_in_parallel_are_reported_together(project_copy):
    slugs = to_build_in_parallel(project_copy)
    studies = project_copy / "content" / "studies"
    for slug in slugs[:2]:
        edit(
            studies / slug / "responses.csv",
            "cr,Complete response (CR),all,17,90",
            "cr,Complete response (CR),all,18,90",
        )
    with pytest.raises(DataError) as error:
        generate(open_project(project_copy))
    message = str(error.value)
    assert all(f"{slug}/responses.csv" in message for slug in slugs[:2]), message


STATISTICS = [
    ("statsmodels.stats.proportion", "proportion_confint"),
    ("statsmodels.stats.proportion", "confint_proportions_2indep"),
    ("statsmodels.stats.proportion", "test_proportions_2indep"),
    ("scipy.stats", "fisher_exact"),
    ("scipy.stats", "norm"),
]
"""What a study's build computes its statistics with (`recall` marks the functions that call them)."""


def _without_statistics(patched: pytest.MonkeyPatch) -> None:
    def refused(*args, **kwargs):
        raise AssertionError("a statistic was computed, not recalled")

    for module, name in STATISTICS:
        patched.setattr(importlib.import_module(module), name, refused)


def _retitle_every_study(project: Path) -> None:
    for study in (project / "content" / "studies").iterdir():
        edit(study / "study.yml", "short_title: ", "short_title: Retitled ")


RANDOMIZED = ("randomized-differences", "two-arm-randomized")
"""Fixture studies whose arms are compared: differences of proportions with their intervals, and
Fisher's exact test."""


def test_an_edit_recalls_the_statistics_of_each_studys_last_build(cached_copy, monkeypatch):
    """Every study edited, no number changed: each is built again without computing one statistic
    (each would fail), and the site is the one a build without the cache makes."""
    for slug in RANDOMIZED:
        shutil.copytree(FIXTURE_STUDIES / slug, cached_copy / "content" / "studies" / slug)
    generate(open_project(cached_copy))
    _retitle_every_study(cached_copy)
    with monkeypatch.context() as patched:
        _without_statistics(patched)
        recalled = generate(open_project(cached_copy))
    shutil.rmtree(open_project(cached_copy).cache_dir)
    assert generate(open_project(cached_copy)) == recalled


def test_statistics_are_not_recalled_under_another_site_key(cached_copy, monkeypatch):
    """The same edit after a change of settings: the statistics are computed (and so fail here)."""
    _retitle_every_study(cached_copy)
    edit(cached_copy / "site_config.yml", "percent_decimals: 1", "percent_decimals: 2")
    with monkeypatch.context() as patched:
        _without_statistics(patched)
        with pytest.raises(StudyFailed, match="a statistic was computed"):
            generate(open_project(cached_copy))


def test_a_damaged_cache_entry_is_built_again(generated, cached_copy):
    project = open_project(cached_copy)
    entry = StudyCache(project.cache_dir).path(STUDY)
    entry.write_bytes(b"not a zip")
    assert generate(project) == generated.files


def test_the_cache_of_a_removed_study_is_removed(one_study_copy):
    project_copy = one_study_copy
    (slug,) = clone_studies(project_copy, 1)
    project = open_project(project_copy)
    generate(project)
    assert StudyCache(project.cache_dir).path(slug).is_file()
    shutil.rmtree(project_copy / "content" / "studies" / slug)
    generate(project)
    assert not StudyCache(project.cache_dir).path(slug).exists()
    assert (project.cache_dir / OWNER_MARK).is_file()


def test_a_cache_folder_holding_other_files_is_refused(one_study_copy):
    project_copy = one_study_copy
    theirs = project_copy / "build" / "cache"
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="cache_dir"):
        open_project(project_copy)
    assert (theirs / "notes.txt").read_text() == "mine"


def test_check_reads_the_cache_but_writes_nothing(one_study_copy):
    project_copy = one_study_copy
    project = open_project(project_copy)
    generate(project, write_cache=False)
    assert not project.cache_dir.exists()
    generate(project)
    entries = {p.name: p.stat().st_mtime_ns for p in project.cache_dir.iterdir()}
    edit(project_copy / "content" / "studies" / STUDY / "study.yml", "short_title: ", "short_title: New ")
    generate(project, write_cache=False)
    assert {p.name: p.stat().st_mtime_ns for p in project.cache_dir.iterdir()} == entries


def test_a_study_edited_while_it_is_built_is_not_cached(one_study_copy):
    project_copy = one_study_copy
    project = open_project(project_copy)
    tasks = [replace(task, key="the files as they were before an edit") for task in _tasks(project)]
    outputs, errors, _ = build_studies(tasks, StudyCache(project.cache_dir), workers=1)
    assert outputs and not errors
    assert not any(StudyCache(project.cache_dir).path(task.folder.name).exists() for task in tasks)


def test_a_cache_entry_holding_files_of_another_place_is_built_again(generated, cached_copy):
    project = open_project(cached_copy)
    first = generated.files
    entry = StudyCache(project.cache_dir).path(STUDY)
    with zipfile.ZipFile(entry, "a") as archive:
        archive.writestr("files/index.md", "# Not the home page")
    assert generate(project) == first


def test_an_unexpected_error_names_the_study(one_study_copy, monkeypatch):
    project_copy = one_study_copy
    import generator.studies

    def boom(task, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(generator.studies, "build_study", boom)
    with pytest.raises(
        generator.studies.StudyFailed,
        match=r"while building .*content/studies/[a-z0-9-]+: RuntimeError: boom",
    ):
        generate(open_project(project_copy))
