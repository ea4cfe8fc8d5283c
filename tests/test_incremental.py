"""generator.incremental: after an edit, `build` renders only the changed pages, and the site it
publishes is byte for byte the one a full build of the same files gives."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from generator import incremental
from generator.cache import signed
from generator.chunked_search import BUNDLE
from generator.incremental import RECORD_FILE, SiteRecord, Update
from tests.conftest import KeptProject, copy_project, edit

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}
FIXTURES = Path(__file__).parent / "fixtures" / "studies"
PARTIAL = "changed pages with mkdocs (strict)"
FULL = "Built the site with mkdocs (strict)"
# BLAST's median overall survival: a CSV cell and its quote in study.yml, no other check on it
EDITED = "gokbuget-2018"


def one_value_edit(root: Path, new: str = "36.7") -> None:
    study = root / "content" / "studies" / EDITED
    edit(study / "survival.csv", ",36.5,months", f",{new},months")
    edit(study / "survival.csv", "was 36.5 months", f"was {new} months")
    edit(study / "study.yml", "survival (OS) was 36.5 months", f"survival (OS) was {new} months")


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_same_files(built: Path, clean: Path) -> None:
    ours, theirs = files_of(built), files_of(clean)
    assert len(theirs) > 20 and ours.keys() == theirs.keys()
    assert [name for name in theirs if ours[name] != theirs[name]] == []


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> KeptProject:
    """The real studies built once in full, the last build's manifest kept beside them."""
    from generator.cli import main

    root = copy_project(tmp_path_factory.mktemp("incremental") / "project")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in EPOCH.items():
            patch.setenv(name, value)
        assert main(["build", "-q", "--project", str(root)]) == 0
    shutil.copy(root / "site" / "data" / "values.json", root / "published-values.json")
    return KeptProject.of(root)


@pytest.fixture
def project(built_once) -> Path:
    return built_once.restored()


def build(command_line, root: Path, *args: str):
    result = command_line("build", "--project", str(root), *args, env=EPOCH)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("hard_links", [True, False])
def test_after_a_one_value_edit_only_the_changed_pages_are_rendered_and_the_site_is_a_full_builds(
    project, command_line, monkeypatch, hard_links
):
    if not hard_links:  # a file system without them (FAT, some network shares): the files are copied

        def refused(*args, **kwargs):
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", refused)
    one_value_edit(project)
    result = build(command_line, project)
    assert f"Built the 7 {PARTIAL}" in result.stderr and FULL not in result.stderr
    page = (project / "site" / "studies" / EDITED / "survival" / "index.html").read_text()
    assert "36.7" in page and "36.5" not in page
    published = files_of(project / "site")
    again = build(command_line, project)  # nothing changed since: nothing rendered, nothing different
    assert f"Built the 0 {PARTIAL}" in again.stderr
    assert files_of(project / "site") == published

    clean = build(
        command_line,
        project,
        "--site-dir",
        str(project / "clean-site"),
        "--docs-dir",
        str(project / "clean-docs"),
        "--previous",
        str(project / "published-values.json"),
    )
    assert FULL in clean.stderr
    assert_same_files(project / "site", project / "clean-site")
    assert_same_files(project / "build" / "docs", project / "clean-docs")


@pytest.mark.parametrize(
    "change",
    [
        "no record",
        "a forged record",
        "a file of the site changed by hand",
        "a page of the site made a link",
        "a folder added to the site",
        "a page of the site made unreadable",
        "a template changed",
        "a study added",
        "the search engine changed",
    ],
)
def test_anything_but_changed_pages_and_data_makes_a_full_build(project, command_line, change):
    record = project / "build" / "cache" / RECORD_FILE
    if change == "no record":
        record.unlink()
    elif change == "a forged record":
        data = json.loads(record.read_bytes().split(b"\n", 1)[1])
        record.write_bytes(signed(json.dumps(data).encode(), b"another secret, 32 bytes or more!!"))
    elif change == "a file of the site changed by hand":
        (project / "site" / "index.html").write_text("<p>changed by hand</p>")
    elif change == "a page of the site made a link":
        page = project / "site" / "studies" / EDITED / "survival" / "index.html"
        outside = project / "outside.html"
        outside.write_bytes(page.read_bytes())
        stat = page.stat()
        page.unlink()
        page.symlink_to(outside)
        os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns), follow_symlinks=False)
    elif change == "a folder added to the site":
        (project / "site" / "added-by-hand").mkdir()
    elif change == "a page of the site made unreadable":
        (project / "site" / "index.html").chmod(0o200)
    elif change == "a template changed":
        footer = project / "templates" / "overrides" / "partials" / "footer.html"
        footer.write_text(footer.read_text() + "\n<!-- changed -->\n")
    elif change == "the search engine changed":
        edit(project / "site_config.yml", "  engine: auto ", "  engine: pagefind ")
    else:
        shutil.copytree(FIXTURES / "single-arm", project / "content" / "studies" / "single-arm")
    one_value_edit(project)
    result = command_line("build", "--project", str(project), env=EPOCH)
    assert result.returncode == 0, result.stderr
    assert FULL in result.stderr and PARTIAL not in result.stderr
    assert "changed by hand" not in (project / "site" / "index.html").read_text()
    assert not any(path.is_symlink() for path in (project / "site").rglob("*"))
    assert not (project / "site" / "added-by-hand").exists()
    assert (project / "site" / "index.html").stat().st_mode & 0o444 == 0o444
    if change == "a page of the site made a link":
        assert "36.7" not in (project / "outside.html").read_text()
    if change == "the search engine changed":
        assert (project / "site" / BUNDLE / "pagefind.js").is_file()
        assert 'name="search"' not in (project / "site" / "index.html").read_text()


def test_a_site_searched_with_pagefind_gets_its_chunked_index_made_again_after_an_edit(
    tmp_path, command_line
):
    """The chunked index is made from the merged search index: the same as a full build's."""
    root = copy_project(tmp_path / "project")
    edit(root / "site_config.yml", "  engine: auto ", "  engine: pagefind ")
    build(command_line, root)
    shutil.copy(root / "site" / "data" / "values.json", root / "published-values.json")
    before = files_of(root / "site" / BUNDLE)
    one_value_edit(root)
    assert f"Built the 7 {PARTIAL}" in build(command_line, root).stderr
    assert files_of(root / "site" / BUNDLE) != before, "the edited page's words are in the index"
    clean = ["--site-dir", str(root / "clean-site"), "--docs-dir", str(root / "clean-docs")]
    assert FULL in build(command_line, root, *clean, "--previous", str(root / "published-values.json")).stderr
    assert_same_files(root / "site", root / "clean-site")


@pytest.mark.parametrize("variant", ["material", "pagefind", "own hook", "own static template"])
def test_a_partial_build_that_fails_leaves_every_file_of_the_last_site_as_it_was(
    project, monkeypatch, caplog, variant
):
    """The partial build links the last site's files rather than copying them (copies them when the
    project has its own hook or plugin, which may write anywhere): nothing it writes may go through
    a link into the last site, which stays whole when the build fails."""
    from generator import build as build_module
    from generator.build import build_site, open_project
    from generator.errors import BuildError

    for name, value in EPOCH.items():
        monkeypatch.setenv(name, value)
    if variant == "pagefind":
        edit(project / "site_config.yml", "  engine: auto ", "  engine: pagefind ")
    if variant == "own hook":
        (project / "own_hook.py").write_text("def on_post_build(config):\n    pass\n")
        with (project / "mkdocs.yml").open("a") as config:
            config.write("\nhooks:\n  - own_hook.py\n")
    if variant == "own static template":  # the theme renders it on every build, in place
        (project / "own_overrides").mkdir()
        (project / "own_overrides" / "robots.txt").write_text(
            "# {{ config.extra.evidence_site.data_version }}\n"
        )
        with (project / "mkdocs.yml").open("a") as config:
            config.write("\ntheme:\n  name: material\n  custom_dir: own_overrides\n")
            config.write("  static_templates:\n    - robots.txt\n")
    if variant != "material":
        build_site(open_project(project))
        assert variant != "own static template" or (project / "site" / "robots.txt").is_file()
    site = project / "site"
    listing, files = incremental.site_listing(site), files_of(site)
    one_value_edit(project)

    def refused(*args, **kwargs):
        raise OSError("refused for the test")

    monkeypatch.setattr(build_module, "replace_folder", refused)
    caplog.set_level("INFO", logger="generator")
    with pytest.raises(BuildError, match="the previous site is kept"):
        build_site(open_project(project))
    assert f"Built the 7 {PARTIAL}" in caplog.text and "a full build after all" not in caplog.text
    assert incremental.site_listing(site) == listing, "no file of the last site written, even unchanged"
    assert files_of(site) == files


def test_a_build_after_a_partial_one_in_the_same_process_renders_every_page_it_is_given(
    project, monkeypatch, tmp_path
):
    """mkdocs keeps the hook's module from build to build in a process (the preview's): what a
    partial build told it to render is not what the next build renders."""
    from generator.build import build_site, open_project, run_mkdocs

    for name, value in EPOCH.items():
        monkeypatch.setenv(name, value)
    one_value_edit(project)
    site = open_project(project)
    build_site(site)
    pages = [p for p in site.docs_dir.rglob("*.md") if not p.name.startswith(".")]
    with incremental.dirty_build_allowed():
        seen = run_mkdocs(site.mkdocs_config, site.docs_dir, tmp_path / "site", dirty=True, **site.engine)
    assert len(seen) == len(pages) > 20


def test_the_docs_of_a_partial_build_are_linked_where_the_last_build_wrote_the_same_bytes(tmp_path):
    last = tmp_path / "last"
    (last / "a").mkdir(parents=True)
    (last / "a" / "same.md").write_bytes(b"same")
    (last / "a" / "old.md").write_bytes(b"old")
    (last / "kept.csv").write_bytes(b"1,2")
    (tmp_path / "elsewhere.md").write_bytes(b"linked")
    (last / "link.md").symlink_to(tmp_path / "elsewhere.md")
    files = {"a/same.md": b"same", "a/old.md": b"new", "kept.csv": b"1,2", "link.md": b"linked"}
    update = Update(frozenset({"a/old.md"}), record())
    docs = tmp_path / "docs"
    incremental.stage_docs(files, update, docs, last)
    assert files_of(docs) == files
    inode = {name: (docs / name).stat().st_ino for name in files}
    assert inode["a/same.md"] == (last / "a" / "same.md").stat().st_ino
    assert inode["kept.csv"] == (last / "kept.csv").stat().st_ino, "unchanged: whole, not a placeholder"
    assert inode["a/old.md"] != (last / "a" / "old.md").stat().st_ino
    assert (
        not (docs / "link.md").is_symlink() and inode["link.md"] != (tmp_path / "elsewhere.md").stat().st_ino
    )


# --- the parts, with known values ------------------------------------------------------------------


def record(**fields) -> SiteRecord:
    values = {
        "inputs": "i",
        "files": {},
        "site": {},
        "anchors": {},
        "data_version": "aaaaaaaaaaaa",
        "built": "2026-01-01",
    }
    return SiteRecord(**{**values, **fields})


def test_a_changed_page_that_loses_an_anchor_or_links_to_a_missing_one_needs_a_full_build():
    previous = record(anchors={"a.md": ["one", "two"], "b.md": ["x"]})
    update = Update(frozenset({"a.md"}), previous)

    def seen(ids, links=None):
        return {"a.md": {"page": "a/index.html", "ids": ids, "links": links or {}}}

    assert incremental._anchors_problem(update, seen(["one", "two", "three"], {"b.md": ["x"]})) is None
    assert "lost an anchor" in incremental._anchors_problem(update, seen(["one"]))
    assert "does not have" in incremental._anchors_problem(update, seen(["one", "two"], {"b.md": ["y"]}))
    assert "does not have" in incremental._anchors_problem(update, seen(["one", "two"], {"a.md": ["nine"]}))
    assert "other pages" in incremental._anchors_problem(update, {})


def test_the_search_index_keeps_each_page_in_place_with_the_changed_pages_entries_new(tmp_path):
    def index(docs):
        return {"config": {"lang": ["en"]}, "docs": [{"location": loc, "text": text} for loc, text in docs]}

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(index([("", "home"), ("a/", "A"), ("a/#x", "A x"), ("b/", "B")])))
    new.write_text(json.dumps(index([("a/", "A2"), ("a/#y", "A y")])))
    merged = incremental._merge_search(old, new)
    assert merged == json.loads(new.read_text())
    assert [(d["location"], d["text"]) for d in json.loads(new.read_text())["docs"]] == [
        ("", "home"),
        ("a/", "A2"),
        ("a/#y", "A y"),
        ("b/", "B"),
    ]
    new.write_text(json.dumps(index([("c/", "C")])))
    assert "new to the search index" in incremental._merge_search(old, new)


def test_pages_not_rendered_again_are_stamped_with_the_new_version_and_date(tmp_path):
    footer = (
        '<span class="ev-print-version">Data version {}</span> · <span class="ev-print-date">Built {}</span>'
    )
    kept, rendered = tmp_path / "kept" / "index.html", tmp_path / "index.html"
    kept.parent.mkdir()
    kept.write_text(footer.format("aaaaaaaaaaaa", "2026-01-01"))
    rendered.write_text(footer.format("bbbbbbbbbbbb", "2026-02-02") + " since aaaaaaaaaaaa")
    previous = record()
    assert incremental._restamp_footers(tmp_path, {rendered}, previous, "bbbbbbbbbbbb", "2026-02-02") is None
    assert kept.read_text() == footer.format("bbbbbbbbbbbb", "2026-02-02")
    assert rendered.read_text().endswith("since aaaaaaaaaaaa")
    kept.write_text(footer.format("aaaaaaaaaaaa", "2026-01-01") + " also aaaaaaaaaaaa")
    assert "outside its printed footer" in incremental._restamp_footers(
        tmp_path, {rendered}, previous, "bbbbbbbbbbbb", "2026-02-02"
    )


def test_a_linked_partial_build_missing_a_file_of_the_last_site_is_built_in_full(tmp_path):
    """A changed file mkdocs did not write is not linked from the last site: the site lacks it, and
    `finish` says so (the caller then builds in full)."""
    index = {"config": {}, "docs": [{"location": "", "title": "Home", "text": ""}]}
    last, site = tmp_path / "last", tmp_path / "site"
    for folder in (last, site):
        (folder / "search").mkdir(parents=True)
        (folder / "search" / "search_index.json").write_text(json.dumps(index))
    (last / "data").mkdir()
    (last / "data" / "a.csv").write_text("1")
    (last / "data" / "b.csv").write_text("2")
    listing = incremental.site_listing(last)  # the last site, as its record lists it
    update = Update(frozenset({"data/a.csv"}), record(data_version="a" * 12, site=listing))
    incremental.link_last_site(update, last, site, chunked_search=False)
    assert (site / "data" / "b.csv").stat().st_ino == (last / "data" / "b.csv").stat().st_ino
    assert not (site / "data" / "a.csv").exists(), "changed: mkdocs writes it, never the last one's"
    why = incremental.finish(update, {}, last, site, "b" * 12, "2026-02-02", linked=True)
    assert why is not None and "data/a.csv" in why


def test_what_mkdocs_writes_again_is_its_own_not_the_last_sites(project, monkeypatch):
    """A theme template of the project's own is rendered by every build: a partial build keeps the
    new one, not the last site's."""
    from generator.build import build_site, open_project

    for name, value in EPOCH.items():
        monkeypatch.setenv(name, value)
    (project / "own_overrides").mkdir()
    (project / "own_overrides" / "robots.txt").write_text("# {{ config.extra.evidence_site.data_version }}\n")
    with (project / "mkdocs.yml").open("a") as config:
        config.write("\ntheme:\n  name: material\n  custom_dir: own_overrides\n")
        config.write("  static_templates:\n    - robots.txt\n")
    build_site(open_project(project))
    before = (project / "site" / "robots.txt").read_text()
    one_value_edit(project)
    build_site(open_project(project))
    version = json.loads((project / "site" / "data" / "values.json").read_text())["data_version"]
    assert (project / "site" / "robots.txt").read_text().strip() == f"# {version}" != before.strip()


def test_a_failing_indexer_fails_a_partial_build_and_the_last_site_stays(project, monkeypatch):
    from generator.build import build_site, open_project
    from generator.errors import BuildError

    for name, value in EPOCH.items():
        monkeypatch.setenv(name, value)
    edit(project / "site_config.yml", "  engine: auto ", "  engine: pagefind ")
    build_site(open_project(project))
    files = files_of(project / "site")
    one_value_edit(project)

    def failed(site, index, **options):
        raise BuildError("the chunked search index (Pagefind) failed (exit 1): planted")

    monkeypatch.setattr(incremental, "write_bundle", failed)
    with pytest.raises(BuildError, match="planted"):
        build_site(open_project(project))
    assert files_of(project / "site") == files


def test_what_mkdocs_reads_besides_the_pages_is_part_of_the_key(tmp_path):
    """The theme's custom_dir, the hooks' files and an inherited configuration: a change to any makes
    a full build; a value from the environment (!ENV) always does."""
    custom, hook, base = tmp_path / "custom", tmp_path / "hook.py", tmp_path / "base.yml"
    custom.mkdir()
    (custom / "main.html").write_text("v1")
    hook.write_text("# v1")
    base.write_text("copyright: v1\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("INHERIT: base.yml\nsite_name: x\n")
    engine = {"theme": {"name": "material", "custom_dir": str(custom)}, "hooks": [str(hook)]}

    def key() -> list[str]:
        return incremental._mkdocs_inputs(engine, config)

    first = key()
    assert key() == first
    for changed, text in ((custom / "main.html", "v2"), (hook, "# v2"), (base, "copyright: v2\n")):
        before = key()
        changed.write_text(text)
        assert key() != before, changed.name
    base.write_text("copyright: !ENV [COPYRIGHT, v1]\n")
    assert key() != key()
