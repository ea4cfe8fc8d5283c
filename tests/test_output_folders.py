"""The generator writes and deletes only in folders it owns, and a failed build keeps the last site.

Every case runs the real command line on a disposable copy of the project holding sentinel files,
and checks that no file outside the generator's own output changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import outputs
from generator import previous as previous_module
from generator.cli import main
from generator.errors import MOST_SHOWN, InputError, Problem
from tests.conftest import ROOT, STUDY, KeptProject, copy_project, edit

OWN_OUTPUTS = ("site", "build", ".evidence-build-")


def snapshot(root: Path) -> dict[str, str]:
    """A hash of every file of the project that is not the generator's own output."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.relative_to(root).as_posix().startswith(OWN_OUTPUTS)
    }


def with_sentinels(project: Path) -> Path:
    """Sentinels where a user keeps things: a repository, a tests folder, a virtual environment."""
    for folder in (".git", "tests", ".venv"):
        (project / folder).mkdir()
        (project / folder / "sentinel.txt").write_text("keep me\n")
    return project


@pytest.fixture
def project(one_study_copy: Path) -> Path:
    """The project copy with sentinels where a user keeps things: a repository and a tests folder.
    It holds one study: where a build writes and what it deletes do not depend on the content."""
    return with_sentinels(one_study_copy)


def build(project: Path, *args: str) -> int:
    return main(["build", "--project", str(project), "-q", *args])


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> KeptProject:
    """`project`, built once and kept as the build left it."""
    root = with_sentinels(copy_project(tmp_path_factory.mktemp("built-once") / "project", [STUDY]))
    assert build(root) == 0
    return KeptProject.of(root)


@pytest.fixture
def built(built_once: KeptProject) -> Path:
    """`project` after a build (its site, pages and cache), for tests that start from one."""
    return built_once.restored()


def set_folder(project: Path, setting: str, value: str) -> None:
    default = {"site_dir": "site", "docs_dir": "build/docs"}[setting]
    edit(project / "mkdocs.yml", f"{setting}: {default}\n", f'{setting}: "{value}"\n')


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("site_dir", "content", "is the content folder"),
        ("site_dir", "templates", "is the templates folder"),
        ("site_dir", "generator", "is the project's generator/ folder"),
        ("site_dir", "tests", "is the project's tests/ folder"),
        ("site_dir", ".git", "is the project's .git/ folder"),
        ("site_dir", ".venv", "is the project's .venv/ folder"),
        ("site_dir", "content/studies", "lies inside the content folder"),
        ("site_dir", ".", "contains the content folder"),
        ("site_dir", "", "is empty; name a folder"),
        ("site_dir", "../{name}/content", "is the content folder"),
        ("site_dir", "..", "is outside the project"),
        ("site_dir", "build/docs", "is the docs_dir"),
        ("site_dir", "build", "contains the docs_dir"),
        ("docs_dir", "content", "is the content folder"),
        ("docs_dir", ".", "contains the content folder"),
        ("docs_dir", "site", "is the site_dir"),
        ("docs_dir", "site/docs", "lies inside the site_dir"),
    ],
)
def test_an_output_folder_that_would_replace_the_users_files_is_refused(
    project, capsys, setting, value, expected
):
    set_folder(project, setting, value.format(name=project.name))
    before = snapshot(project)
    assert build(project) == 1
    error = capsys.readouterr().err
    assert f"mkdocs.yml, line {10 if setting == 'docs_dir' else 11}, field '{setting}':" in error
    assert expected in error and "Traceback" not in error
    assert snapshot(project) == before


def test_a_symlink_to_the_content_as_site_dir_is_refused(project, capsys):
    (project / "published").symlink_to(project / "content")
    set_folder(project, "site_dir", "published")
    before = snapshot(project)
    assert build(project) == 1
    assert "is the content folder" in capsys.readouterr().err
    assert snapshot(project) == before


@pytest.mark.parametrize("flag", ["--site-dir", "--docs-dir"])
def test_a_named_folder_holding_a_users_document_is_refused(project, tmp_path_factory, capsys, flag):
    folder = tmp_path_factory.mktemp("my-documents")
    (folder / "thesis.docx").write_bytes(b"a year of work")
    assert build(project, flag, str(folder)) == 1
    error = capsys.readouterr().err
    assert f"command line, field '{flag}': {flag} {folder}: holds files this generator did not write" in error
    assert (folder / "thesis.docx").read_bytes() == b"a year of work"
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.docx"]


@pytest.mark.parametrize("flag", ["--site-dir", "--docs-dir"])
def test_a_named_folder_inside_the_inputs_is_refused(project, capsys, flag):
    before = snapshot(project)
    assert build(project, flag, str(project / "content")) == 1
    assert "is the content folder" in capsys.readouterr().err
    assert snapshot(project) == before


def test_the_project_folder_itself_is_refused_from_the_command_line(project, capsys):
    before = snapshot(project)
    assert build(project, "--site-dir", str(project)) == 1
    assert "contains the content folder" in capsys.readouterr().err
    assert snapshot(project) == before


def test_a_new_folder_outside_the_project_is_built_marked_and_rebuilt(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("elsewhere") / "site"
    assert build(project, "--site-dir", str(out)) == 0
    assert (out / "index.html").is_file() and (out / outputs.OWNER_MARK).is_file()
    assert (project / "build" / "docs" / outputs.OWNER_MARK).is_file()
    assert build(project, "--site-dir", str(out)) == 0
    assert not list(out.parent.glob(".evidence-build-*"))


@pytest.mark.parametrize("flag", ["--site-dir", "--docs-dir"])
@pytest.mark.parametrize(
    "looks_like_ours",
    [
        {"data/values.json": b'{"data_version": "x", "built": "2020-01-01", "values": []}'},
        {".nav.json": b"[]", "index.md": b"# Home"},
    ],
    ids=["a site's manifest", "a pages folder's order"],
)
def test_a_folder_that_only_looks_like_an_earlier_build_is_refused_naming_its_files(
    project, tmp_path_factory, capsys, flag, looks_like_ours
):
    """Only the mark makes a folder ours: a manifest or a page order beside a user's files is not."""
    folder = tmp_path_factory.mktemp("my-folder")
    files = {**looks_like_ours, "thesis.docx": b"a year of work", "notes/today.txt": b"keep"}
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    assert build(project, flag, str(folder)) == 1
    error = capsys.readouterr().err
    assert "holds files this generator did not write, which a build would delete: " in error
    assert "'thesis.docx'" in error and "'notes'" in error and outputs.OWNER_MARK in error
    assert {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    } == files


def test_an_unmarked_site_is_refused_and_a_marked_one_replaced(built, capsys):
    project = built
    assert build(project) == 0  # marked by the build it is from
    (project / "site" / outputs.OWNER_MARK).unlink()
    assert build(project) == 1
    assert "site_dir" in capsys.readouterr().err and (project / "site" / "index.html").is_file()


def test_a_long_list_of_a_users_files_is_named_in_part(tmp_path):
    for index in range(40):
        (tmp_path / f"file-{index:02}.txt").write_text("mine")
    problem = outputs.ownership_problem(outputs.OutputFolder("--site-dir", tmp_path, Path("command line")))
    assert problem is not None and "'file-04.txt' and 35 more" in problem.message
    assert "file-05" not in problem.message


def test_a_stale_staging_folder_of_a_killed_build_is_removed_and_a_live_one_kept(project):
    killed = project / ".evidence-build-killed"
    (killed / "site").mkdir(parents=True)
    (killed / outputs.STAGING_LOCK).touch()
    (killed / "site" / "big.bin").write_bytes(b"0" * 1024)
    os.utime(killed / outputs.STAGING_LOCK, (1, 1))
    live = project / ".evidence-build-live"
    live.mkdir()
    with outputs.held_lock(live / outputs.STAGING_LOCK):
        os.utime(live / outputs.STAGING_LOCK, (1, 1))
        assert build(project) == 0
        assert not killed.exists()
        assert live.is_dir()
    assert build(project) == 0
    assert not live.exists()


def test_the_previous_site_of_an_older_version_is_cleaned_up(built):
    project = built
    legacy = project / ".site.previous"
    (project / "site").rename(legacy)
    assert build(project) == 0
    assert not legacy.exists()


def test_an_undeletable_old_site_is_reported_and_never_blocks_a_build(built, monkeypatch, capsys):
    project = built
    real_rmtree = outputs.rmtree

    def stubborn(path, onerror=None, **kwargs):
        onerror(os.unlink, str(path), (PermissionError, PermissionError(13, "Permission denied"), None))

    monkeypatch.setattr(outputs, "rmtree", stubborn)
    for _ in range(2):
        assert build(project) == 0
        warning = capsys.readouterr().err
        assert "Could not remove" in warning and "the next build tries again" in warning
    monkeypatch.setattr(outputs, "rmtree", real_rmtree)
    for lock in project.glob(f".evidence-build-*/{outputs.STAGING_LOCK}"):
        os.utime(lock, (1, 1))  # left by builds long gone
    assert build(project) == 0
    assert not list(project.glob(".evidence-build-*"))


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("write_bytes", OSError(28, "No space left on device")),
        ("rename", PermissionError(13, "Permission denied")),
    ],
)
def test_disk_and_permission_failures_are_a_failed_build_that_keeps_the_last_site(
    built, monkeypatch, capsys, target, error
):
    project = built
    before = {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(Path, target, fail)
    assert build(project) == 3
    monkeypatch.undo()
    message = capsys.readouterr().err
    assert "the previous site is kept" in message and error.strerror in message
    assert "internal error" not in message
    assert {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()} == before
    assert not list(project.glob(".evidence-build-*"))


@pytest.mark.parametrize("epoch", ["yesterday", "²", "1" * 20, "-5", " 17", "1e9"])
def test_a_source_date_epoch_that_is_not_whole_seconds_is_located(epoch):
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": epoch},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "SOURCE_DATE_EPOCH: expected whole seconds since 1970" in result.stderr
    assert repr(epoch) in result.stderr and "Traceback" not in result.stderr


def test_an_empty_source_date_epoch_means_unset():
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_a_flood_of_problems_is_listed_up_to_a_limit():
    problems = [Problem(Path("big.csv"), "not a number", line=n) for n in range(2, 10_002)]
    message = str(InputError(problems))
    assert message.startswith("10000 problems in the input:")
    assert message.count("\n  - ") == MOST_SHOWN
    assert message.endswith(f"... and {10_000 - MOST_SHOWN} more; fix these and run again to see the rest")


def test_folders_that_only_look_like_leftovers_are_never_removed(built, tmp_path_factory):
    """Beside a site named with --site-dir: folders with our prefixes but not provably ours stay."""
    project = built
    parent = tmp_path_factory.mktemp("beside")
    keep = {
        ".thesis.previous/notes.txt": "mine",
        ".evidence-build-mine/notes.txt": "no lock: not a staging folder",
        ".evidence-build-locked/.lock": "",
        ".evidence-build-locked/thesis.docx": "a file no build writes",
        ".old.previous/IMPORTANT.txt": "my notes",
    }
    (parent / ".old.previous" / "data").mkdir(parents=True)
    (parent / ".old.previous" / "data" / "values.json").write_bytes(
        (project / "site/data/values.json").read_bytes()
    )
    for name, text in keep.items():
        (parent / name).parent.mkdir(parents=True, exist_ok=True)
        (parent / name).write_text(text)
        os.utime(parent / name, (1, 1))

    def every_file():
        return {p.relative_to(parent).as_posix(): p.read_bytes() for p in parent.rglob("*") if p.is_file()}

    before = every_file()
    assert build(project, "--site-dir", str(parent / "site")) == 0
    assert {k: v for k, v in every_file().items() if not k.startswith("site/")} == before


def test_a_previous_manifest_that_is_a_pipe_or_too_large_or_misshapen_is_located(project, tmp_path, capsys):
    pipe = tmp_path / "values.json"
    os.mkfifo(pipe)
    assert build(project, "--previous", str(pipe)) == 1
    assert "is not a regular file" in capsys.readouterr().err
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(previous_module.MAX_MANIFEST_BYTES + 1)
    assert build(project, "--previous", str(huge)) == 1
    assert "is larger than" in capsys.readouterr().err
    odd = tmp_path / "odd.json"
    odd.write_text(
        '{"data_version": "x", "built": "y", "values": [{"id": "a", "text": "1", "study": {"a": 1}}]}'
    )
    assert build(project, "--previous", str(odd)) == 1
    assert f"{odd}: is not a site's data/values.json" in capsys.readouterr().err


def test_a_link_in_the_pages_folder_fails_the_build_before_the_site_changes(built, tmp_path, capsys):
    project = built
    site = {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}
    elsewhere = tmp_path / "user-folder"
    elsewhere.mkdir()
    study_pages = next((project / "build" / "docs" / "studies").iterdir())
    shutil.rmtree(study_pages)
    study_pages.symlink_to(elsewhere)
    assert build(project) == 3
    assert "would be written outside" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []
    assert {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()} == site


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("site/copy.zip", "lies inside the site folder, which every build replaces"),
        ("build/docs/copy.zip", "lies inside the generated pages' folder, which every build replaces"),
        ("build/cache/copy.zip", "lies inside the build cache, which builds prune"),
    ],
)
def test_the_offline_copy_is_never_written_where_the_next_build_deletes_it(project, capsys, out, expected):
    for folder in ("site", "build/docs", "build/cache"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    assert main(["share", "--project", str(project), "--out", str(project / out)]) == 1
    error = capsys.readouterr().err
    assert f"{project / out}: {expected}" in error and "write the copy elsewhere" in error
    assert not (project / out).exists()


@pytest.mark.parametrize("damage", ["version", "name"])
def test_a_damaged_zip_at_the_offline_copys_place_is_refused_not_an_internal_error(
    project, tmp_path, capsys, damage
):
    """zipfile raised NotImplementedError or UnicodeDecodeError on these (exit 4)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a", "x")
    data = bytearray(buffer.getvalue())
    directory = data.find(b"PK\x01\x02")
    if damage == "version":
        data[directory + 6] = 200  # the version needed to extract
    else:
        data[directory + 9] |= 0x08  # the UTF-8 flag (bit 11), on a name that is not UTF-8
        data[directory + 46] = 0xFF
    out = tmp_path / "mine.zip"
    out.write_bytes(bytes(data))
    assert main(["share", "--project", str(project), "--out", str(out)]) == 1
    assert "exists and is not an offline copy this command wrote" in capsys.readouterr().err
    assert out.read_bytes() == bytes(data)


def test_relative_output_folders_are_where_the_command_is_run_from(project, tmp_path, monkeypatch):
    """`--site-dir out --docs-dir pages` from another folder: both there, as for any command line
    (mkdocs reads a relative docs_dir from mkdocs.yml's folder: the generator gives it absolute ones)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert build(project, "--site-dir", "out", "--docs-dir", "pages") == 0
    assert (elsewhere / "out" / "index.html").is_file() and (elsewhere / "pages" / "index.md").is_file()
    assert not (project / "out").exists() and not (project / "pages").exists()


@pytest.mark.parametrize("planted", ["file", "folder", "deep folder", "dots", "a name of dots"])
def test_a_page_that_a_link_or_dots_would_send_outside_is_refused_before_anything_is_written(
    tmp_path, planted
):
    """Each folder is resolved once for all its pages: a file that is a link, a link among the
    folders, or a name of dots is still found."""
    from generator.errors import BuildError
    from generator.outputs import mark
    from generator.write import planned_targets

    root, outside = tmp_path / "docs", tmp_path / "outside"
    (root / "a" / "b").mkdir(parents=True)
    outside.mkdir()
    mark(root)
    files = {"a/one.md": b"1", "a/b/two.md": b"2", "a/b/three.md": b"3"}
    if planted == "file":
        (root / "a" / "b" / "two.md").symlink_to(outside / "two.md")
    elif planted == "folder":
        shutil.rmtree(root / "a" / "b")
        (root / "a" / "b").symlink_to(outside)
    elif planted == "deep folder":
        files["a/b/c/four.md"] = b"4"
        (root / "a" / "b" / "c").symlink_to(outside)
    elif planted == "dots":
        files["a/b/../../../outside/five.md"] = b"5"
    else:  # the root itself, by a name of dots
        files["a/.."] = b"6"
    assert planned_targets({"a/one.md": b"1"}, root) == {"a/one.md": (root / "a" / "one.md").resolve()}
    with pytest.raises(BuildError, match="would be written outside"):
        planned_targets(files, root)
    assert list(outside.iterdir()) == []


def test_the_walker_lists_a_link_as_itself_and_never_goes_through_it(tmp_path):
    root, outside = tmp_path / "site", tmp_path / "mine"
    (root / "a").mkdir(parents=True)
    (root / "a" / "page.html").write_text("x")
    outside.mkdir()
    (outside / "secret.txt").write_text("mine")
    (root / "a" / "linked").symlink_to(outside, target_is_directory=True)
    found = {name: entry.is_symlink() for entry, name in outputs.tree_entries(root)}
    assert found == {"a": False, "a/page.html": False, "a/linked": True}
