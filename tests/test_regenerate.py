"""Regenerating: reproducible output, and the "What changed" page after a real change to the data."""

import http.server
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.build import build_site, open_project
from generator.errors import InputError
from tests.conftest import STUDY, KeptProject, copy_project
from tests.pages import page_text


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path, monkeypatch):
    project_copy = copy_project(tmp_path / "project")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outputs = []
    for run in ("a", "b"):
        build_site(
            open_project(project_copy, site_dir=tmp_path / run / "site", docs_dir=tmp_path / run / "docs")
        )
        outputs.append((files_of(tmp_path / run / "docs"), files_of(tmp_path / run / "site")))
    (docs_a, site_a), (docs_b, site_b) = outputs
    assert list(docs_a) == list(docs_b) and list(site_a) == list(site_b)
    assert [k for k in docs_a if docs_a[k] != docs_b[k]] == []
    assert [k for k in site_a if site_a[k] != site_b[k]] == []
    assert "built 2023-11-14" in page_text(tmp_path / "a" / "site", "")


def change_the_overall_median(study_dir: Path) -> None:
    """A real update of the data: the source sentence and its row change together."""
    for name in ("study.yml", "survival.csv"):
        path = study_dir / name
        path.write_text(path.read_text().replace("6.2 months overall", "6.4 months overall"))
    path = study_dir / "survival.csv"
    path.write_text(
        path.read_text().replace(
            "median_os,Median overall survival,all,,6.2,", "median_os,Median overall survival,all,,6.4,"
        )
    )


@dataclass(frozen=True)
class Changed:
    """The one-study project built, its data changed (change_the_overall_median) and built again, kept
    as the second build left it; and of the first build, its "What changed" text and values.json."""

    kept: KeptProject
    first_text: str
    first_manifest: bytes


@pytest.fixture(scope="module")
def changed_once(tmp_path_factory: pytest.TempPathFactory) -> Changed:
    """What changed is told by the changes to one study: the project holds that one (the whole real
    project is copied where every page, the comparisons' too, must come out the same)."""
    root = copy_project(tmp_path_factory.mktemp("changed-once") / "project", [STUDY])
    project = open_project(root)
    build_site(project)
    first_text = page_text(project.site_dir, "changes")
    first_manifest = (project.site_dir / "data/values.json").read_bytes()
    change_the_overall_median(root / "content" / "studies" / STUDY)
    build_site(open_project(root))
    return Changed(KeptProject.of(root), first_text, first_manifest)


@pytest.fixture
def changed(changed_once: Changed) -> Path:
    """The project of `changed_once` as its second build left it, for a test that builds it again."""
    return changed_once.kept.restored()


def test_what_changed_lists_a_changed_row_with_old_and_new_values(changed_once, changed):
    assert "The first version this record holds" in changed_once.first_text
    site = open_project(changed).site_dir
    text = page_text(site, "changes")
    assert "1 figures changed, 0 appeared and 0 disappeared" in text
    assert "Median overall survival · All patients 6.2 months 6.4 months" in text
    home = page_text(site, "")
    assert "What changed in this data version" in home and ": 1 figures;" in home


def test_the_record_of_changes_survives_rebuilds_which_change_nothing(changed):
    project = open_project(changed)
    after_change = files_of(project.site_dir), files_of(project.docs_dir)
    for _ in range(2):
        build_site(open_project(changed))
        text = page_text(project.site_dir, "changes")
        assert "Median overall survival · All patients 6.2 months 6.4 months" in text
    site, docs = files_of(project.site_dir), files_of(project.docs_dir)
    assert [k for k in site if site[k] != after_change[0].get(k)] == [], (
        "a rebuild of the same data is identical"
    )
    assert [k for k in docs if docs[k] != after_change[1].get(k)] == []
    manifest = json.loads((project.site_dir / "data/values.json").read_text())
    assert [record["previous_version"] is None for record in manifest["history"]] == [False, True]


def test_a_fresh_clone_continues_the_record_from_the_published_manifest(changed, tmp_path):
    """The published site is the project's, built before and after the change."""
    published = open_project(changed)
    clone = tmp_path / "clone"
    shutil.copytree(changed, clone, ignore=shutil.ignore_patterns("site", "build"))
    study_yml = clone / "content/studies/kantarjian-2013/study.yml"
    study_yml.write_text(study_yml.read_text().replace("short_title: ", "short_title: Renamed ", 1))
    fresh = open_project(clone)
    build_site(fresh, previous=str(published.site_dir / "data/values.json"))
    manifest = json.loads((fresh.site_dir / "data/values.json").read_text())
    assert len(manifest["history"]) == 3, "the published record, and this version on top"
    text = page_text(fresh.site_dir, "changes")
    assert "Median overall survival · All patients 6.2 months 6.4 months" in text
    assert text.index(manifest["data_version"]) < text.index("6.2 months 6.4 months")


@pytest.fixture
def served(tmp_path):
    """A folder served over HTTP on the loopback address, as a published site would be."""
    folder = tmp_path / "published"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_what_changed_compares_with_a_published_manifest_given_by_url(
    changed_once, changed, tmp_path, served
):
    """The published manifest is the first build's; the project holds the changed data."""
    folder, url = served
    (folder / "values.json").write_bytes(changed_once.first_manifest)
    fresh = open_project(changed, site_dir=tmp_path / "new-site", docs_dir=tmp_path / "new-docs")
    build_site(fresh, previous=f"{url}/values.json")
    assert "Median overall survival · All patients 6.2 months 6.4 months" in page_text(
        fresh.site_dir, "changes"
    )
    assert f"{STUDY}" in (fresh.site_dir / "data/values.json").read_text()


def test_a_previous_manifest_with_a_damaged_history_is_refused(changed, tmp_path):
    project = open_project(changed)
    manifest = json.loads((project.site_dir / "data/values.json").read_text())
    manifest["history"][0]["changed"] = [{"id": 1}]
    damaged = tmp_path / "values.json"
    damaged.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"is not a site's data/values\.json"):
        build_site(project, previous=str(damaged))


def test_a_rebuild_of_the_same_data_on_another_day_is_identical(tmp_path, monkeypatch):
    project_copy = copy_project(tmp_path)
    project = open_project(project_copy)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14
    build_site(project)
    first = files_of(project.site_dir)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700200000")  # two days later
    build_site(open_project(project_copy))
    again = files_of(project.site_dir)
    assert [name for name in again if again[name] != first.get(name)] == []
    assert "<lastmod>2023-11-14</lastmod>" in again["sitemap.xml"].decode()


def test_a_new_or_removed_study_is_one_line_of_what_changed(tmp_path):
    """A study added is said once, with the count of its figures, not as one row per figure; so is a
    study removed. Its figures stay in the record (values.json), every one of them."""
    root = copy_project(tmp_path / "project", [STUDY, "kantarjian-2017"])
    added = root / "content" / "studies" / "kantarjian-2017"
    kept = tmp_path / "kept-study"
    shutil.move(added, kept)
    build_site(open_project(root))
    shutil.move(kept, added)
    project = open_project(root)
    build_site(project)
    manifest = json.loads((project.site_dir / "data" / "values.json").read_text())
    figures = sum(value["study"] == "kantarjian-2017" for value in manifest["values"])
    newest = manifest["history"][0]
    assert newest["new_studies"] == ["kantarjian-2017"] and newest["removed_studies"] == []
    assert sum(c["study"] == "kantarjian-2017" for c in newest["appeared"]) == figures > 10
    text = page_text(project.site_dir, "changes")
    title = "Blinatumomab versus chemotherapy for advanced ALL (TOWER)"
    assert f"{title} New study: its {figures} figures appeared" in text
    assert text.count(title) == 1, "its figures are not listed one by one"

    shutil.move(added, kept)
    build_site(open_project(root))
    text = page_text(project.site_dir, "changes")
    assert f"kantarjian-2017 Removed study: its {figures} figures disappeared" in text
