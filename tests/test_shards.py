"""generator.shards: a large site's mkdocs stage built in slices, each in its own process, merged
into the site a whole build gives, byte for byte."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator import mkdocs_hooks, shards
from generator.chunked_search import BUNDLE
from generator.errors import BuildError
from generator.shards import Shard, broken_anchor_links, merged_search_index, plan
from tests.conftest import copy_project, edit
from tests.test_incremental import EPOCH, assert_same_files

SLICED = "Built the site with mkdocs (strict) in "


def build(root: Path) -> None:
    from generator.cli import main

    assert main(["build", "--project", str(root)]) == 0


def test_a_site_built_in_slices_is_byte_identical_to_a_whole_build(tmp_path, monkeypatch, capsys):
    """Pages, theme files, data, the search index in a whole build's order, the chunked index made
    from it: the same bytes, whichever slice rendered each page. Both are large sites, whose pages
    load as plain links (no instant navigation, which would fetch the sitemap of every page)."""
    whole, sliced = copy_project(tmp_path / "whole"), copy_project(tmp_path / "sliced")
    for root in (whole, sliced):
        edit(root / "site_config.yml", "  engine: auto ", "  engine: pagefind ")
    for name, value in EPOCH.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(mkdocs_hooks, "INSTANT_NAVIGATION_PAGES", 4)
    build(whole)
    monkeypatch.setattr(shards, "SHARD_PAGES", 4)
    capsys.readouterr()
    build(sliced)
    assert SLICED in capsys.readouterr().err
    assert (sliced / "site" / BUNDLE / "pagefind.js").is_file()
    assert_same_files(sliced / "site", whole / "site")
    home = (whole / "site" / "index.html").read_text()
    assert '"features": [' in home and "navigation.instant" not in home


def test_instant_navigation_is_kept_up_to_its_number_of_pages():
    limit = mkdocs_hooks.INSTANT_NAVIGATION_PAGES
    assert mkdocs_hooks.keeps_instant_navigation(limit) and not mkdocs_hooks.keeps_instant_navigation(
        limit + 1
    )


def test_a_small_site_keeps_instant_navigation(built_site):
    home = (built_site / "site" / "index.html").read_text()
    assert '"navigation.instant"' in home and '"navigation.instant.progress"' in home


def test_a_small_site_is_one_whole_build_and_a_large_one_is_dealt_out_by_size():
    assert plan({"index.md": b"x", "a.md": b"y", "data/a.csv": b"z"}, per_shard=2) == [
        Shard(frozenset({"index.md", "a.md"}), static=True)
    ]
    files = {f"p{n}.md": b"x" * size for n, size in enumerate([90, 50, 40, 30, 30, 20, 10, 5, 5, 1])}
    files["data/a.csv"] = b"not a page"
    slices = plan(files, per_shard=4)
    assert len(slices) == 3 and [s.static for s in slices].count(True) == 1
    dealt = [page for s in slices for page in s.pages]
    assert sorted(dealt) == sorted(name for name in files if name.endswith(".md"))
    loads = [sum(len(files[page]) for page in s.pages) for s in slices]
    assert max(loads) - min(loads) <= 90, loads  # no slice holds more than the largest page beyond another


def page(url: str, position: int, ids=(), links=None) -> dict:
    return {
        "page": f"{url}index.html",
        "url": url,
        "position": position,
        "ids": list(ids),
        "links": links or {},
    }


def test_a_link_to_an_anchor_another_slice_lacks_fails_as_mkdocs_would():
    seen = [
        {"a.md": page("a/", 0, links={"b.md": ["kept", "gone"]})},
        {"b.md": page("b/", 1, ids=["kept"], links={"a.md": []})},
    ]
    problems = broken_anchor_links(seen)
    assert problems == [
        "Doc file 'a.md' contains a link to 'b.md#gone', "
        "but the doc 'b.md' does not contain an anchor '#gone'."
    ]
    seen[1]["b.md"]["ids"].append("gone")
    assert broken_anchor_links(seen) == []


def test_the_search_index_holds_each_pages_entries_in_the_whole_builds_order(tmp_path):
    def index(name: str, locations: list[str]) -> Path:
        path = tmp_path / name
        docs = [{"location": location, "title": location, "text": ""} for location in locations]
        path.write_text(json.dumps({"config": {"lang": ["en"]}, "docs": docs}))
        return path

    first = index("first.json", ["", "b/", "b/#part"])
    second = index("second.json", ["a/", "a/#part", "c/"])
    seen = [
        {"index.md": page("", 0), "b.md": page("b/", 2)},
        {"a.md": page("a/", 1), "c.md": page("c/", 3)},
    ]
    merged = merged_search_index([first, second, tmp_path / "no search index.json"], seen)
    assert merged is not None and merged["config"] == {"lang": ["en"]}
    assert [doc["location"] for doc in merged["docs"]] == ["", "a/", "a/#part", "b/", "b/#part", "c/"]
    assert merged_search_index([tmp_path / "none.json"], seen) is None


def fails(shard: Shard, site: Path) -> dict:
    raise BuildError(f"mkdocs build --strict failed: a page of {len(shard.pages)} is wrong")


def dies(shard: Shard, site: Path) -> dict:
    os._exit(9)


def links_to_a_missing_anchor(shard: Shard, site: Path) -> dict:
    """Each slice's pages well built, the first linking to an anchor the second's page lacks."""
    site.mkdir()
    name = min(shard.pages)
    return {
        name: page(name[:-3] + "/", int(shard.static), links={} if name == "b.md" else {"b.md": ["nowhere"]})
    }


@pytest.mark.parametrize(
    ("render", "message"),
    [
        (fails, "a page of 1 is wrong"),
        (dies, "stopped abruptly"),
        (links_to_a_missing_anchor, "Doc file 'a.md' contains a link to 'b.md#nowhere'"),
    ],
)
def test_a_slice_that_fails_or_dies_stops_the_build_with_its_reason(tmp_path, render, message):
    slices = [Shard(frozenset({"a.md"}), static=True), Shard(frozenset({"b.md"}), static=False)]
    with pytest.raises(BuildError, match=message):
        shards.build_in_shards(render, slices, tmp_path / "site", tmp_path, chunked_search=False)
    assert not (tmp_path / "site").exists()


def test_a_link_to_a_missing_anchor_in_a_page_another_slice_renders_fails_the_build(
    tmp_path, monkeypatch, capsys
):
    """Each page its own slice: no slice's mkdocs sees both pages; the merge checks the link."""
    from generator.cli import main

    root = copy_project(tmp_path / "project", ["kantarjian-2013"])
    home = root / "templates" / "home.md.j2"
    home.write_text(home.read_text() + "\n[The glossary's end](glossary.md#no-such-anchor)\n")
    monkeypatch.setattr(shards, "SHARD_PAGES", 1)
    assert main(["build", "--project", str(root)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "Doc file 'index.md' contains a link to 'glossary.md#no-such-anchor'" in err, err
    assert not (root / "site").exists()


@pytest.mark.parametrize(
    ("engine", "keys", "page", "reason"),
    [
        ({}, {"site_name"}, b"# A page", None),
        ({"plugins": [{"search": {}}, "material/search"]}, set(), b"---\ntitle: x\n---\n# A", None),
        ({}, {"nav"}, b"", "its own navigation"),
        ({}, {"extra_templates"}, b"", "extra templates"),
        (
            {"plugins": ["search", {"material/offline": {}}]},
            set(),
            b"",
            "plugins besides search (material/offline)",
        ),
        ({"hooks": ["ours.py", "theirs.py"]}, set(), b"", "hooks besides the generator's"),
        ({}, set(), b"---\nicon: material/flask\n---\n# A", "a.md sets icon in its front matter"),
        ({}, set(), b"---\ntitle: x\n---\nsubtitle: not front matter", None),
    ],
)
def test_what_lets_a_page_read_other_pages_keeps_the_build_whole(engine, keys, page, reason):
    found = shards.whole_build_reason(engine, frozenset(keys), {"a.md": page, "data/a.csv": b"icon: x"})
    assert found is None if reason is None else reason in (found or ""), found


def test_only_the_slice_that_copies_the_sites_own_files_renders_the_themes_pages(project_copy, tmp_path):
    """404.html and the sitemap (which lists every page: 11 MB at 10,000 studies) are rendered by the
    slice whose folder the site is made from, and by a partial build, not again by every slice."""
    from generator import incremental
    from generator.build import build_site, open_project, run_mkdocs

    project = open_project(project_copy)
    build_site(project)
    page = "glossary.md"
    settings = {
        "slice": Shard(frozenset({page}), static=False).setting(),
        "static slice": Shard(frozenset({page}), static=True).setting(),
        "partial build": {
            "pages": frozenset({page}),
            "static": False,
            "files": frozenset(),
            "templates": True,
        },
    }
    for name, setting in settings.items():
        site = tmp_path / name
        with incremental.dirty_build_allowed():
            seen = run_mkdocs(project.mkdocs_config, project.docs_dir, site, shard=setting, **project.engine)
        assert list(seen) == [page], name
        rendered = {path.name for path in site.iterdir()}
        themes = {"404.html", "sitemap.xml"} <= rendered
        assert themes == (name != "slice"), (name, sorted(rendered))
