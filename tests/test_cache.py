"""The build cache is untrusted input: a CI cache restored from an earlier run, or a folder anyone may
write. Each entry is checked before use, and anything wrong in it discards the whole entry: its study
is built again, with one warning, and the site is the one a clean build makes.

One project is built once; each test poisons an entry of it and builds again. Most sign the poisoned
entry with this machine's cache secret, as a damaged entry of our own would be, so that only the checks
of its contents stand between the poison and the site; the others forge it without the secret.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build_site, generate, open_project
from generator.cache import (
    MAX_ENTRY_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    STATISTICS_MEMBER,
    StudyCache,
    cache_secret,
    read_entry,
    signed,
    verified,
)
from tests.conftest import STUDY, copy_project

OWN = f"files/studies/{STUDY}"
"""The members holding the study's own files."""
SCRIPT = '<script>window.__pwned = 1; alert("pwned")</script>'
IMAGE = '<img id="pwned" src="data:," onerror="window.__pwned = 1; alert(1)">'


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A copy of the project built once: its root, its generated files, and its clean cache entries."""
    root = copy_project(tmp_path_factory.mktemp("cache"))
    project = open_project(root)
    files = generate(project)
    entries = {path.name: path.read_bytes() for path in project.cache_dir.glob("*.zip")}
    assert len(entries) == len(list((root / "content" / "studies").iterdir()))
    return root, files, entries


@pytest.fixture
def cache(clean) -> Path:
    """The cache folder, every entry as the clean build wrote it."""
    root, _, entries = clean
    folder = open_project(root).cache_dir
    for name, data in entries.items():
        (folder / name).write_bytes(data)
    return folder


def archive_of(entry: Path) -> bytes:
    """The zip of an entry file, its signature checked."""
    secret = cache_secret()
    assert secret is not None
    return verified(entry.read_bytes(), secret)


def sign_into(entry: Path, archive: bytes) -> None:
    """Write `archive` as the entry, signed with this machine's secret (as a damaged entry of ours)."""
    secret = cache_secret()
    assert secret is not None
    entry.write_bytes(signed(archive, secret))


def rewrite(
    entry: Path,
    meta: Callable[[dict], None] | None = None,
    add: dict[str, bytes] | None = None,
    *,
    method: int = zipfile.ZIP_DEFLATED,
) -> None:
    """Write `entry` again with its own key: meta.json changed in place by `meta`, members added."""
    with zipfile.ZipFile(io.BytesIO(archive_of(entry))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if meta is not None:
        data = json.loads(members["meta.json"])
        meta(data)
        members["meta.json"] = json.dumps(data, ensure_ascii=False).encode()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a name written twice
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
            for name, data in (add or {}).items():
                archive.writestr(name, data, compress_type=method)
    sign_into(entry, buffer.getvalue())


def rebuilt(root: Path, caplog) -> dict[str, bytes]:
    """A build of the project, which must take every study but the poisoned one from the cache and
    say once why the poisoned entry was discarded."""
    caplog.clear()
    caplog.set_level(logging.INFO, logger="generator")
    files = generate(open_project(root))
    discarded = [r for r in caplog.records if "is discarded" in r.getMessage()]
    assert len(discarded) == 1 and discarded[0].levelno == logging.WARNING, discarded
    assert f"{STUDY}.zip" in discarded[0].getMessage()
    studies = len(list((root / "content" / "studies").iterdir()))
    assert any(f"{studies - 1} from the cache" in r.getMessage() for r in caplog.records)
    return files


def assert_discarded(clean, caplog) -> None:
    """The poisoned study was built again: the site equals the clean build, and its entry is clean again."""
    root, files, _ = clean
    assert rebuilt(root, caplog) == files  # nothing of the poison, inside or outside the study
    entry = StudyCache(open_project(root).cache_dir).path(STUDY)
    with zipfile.ZipFile(io.BytesIO(archive_of(entry))) as archive:
        key = archive.read("key").decode()
    assert read_entry(entry, STUDY, key, cache_secret()).slug == STUDY


@pytest.mark.parametrize(
    "name",
    [
        f"{OWN}/../../index.md",  # the home page
        f"{OWN}/../../assets/javascripts/charts.js",  # the site-wide script
        f"{OWN}/../kantarjian-2017/index.md",  # another study's page
        f"{OWN}/./index.md",
        f"{OWN}//index.md",
        f"{OWN}/..\\..\\index.md",
        f"{OWN}/data/\x1b[31m.csv",
        f"{OWN}/.pages",
        f"{OWN}/pwned.html",  # a page mkdocs would copy as it is
        f"{OWN}/pwned.js",
        f"{OWN}/extra.md",  # a page the study's navigation does not name
        f"{OWN}/data/pwned.md",
        f"{OWN}/index.md",  # a second member of that name
    ],
)
def test_a_member_outside_the_study_or_of_a_name_it_never_writes_discards_the_entry(
    clean, cache, caplog, name
):
    rewrite(cache / f"{STUDY}.zip", add={name: f"# Pwned\n\n{SCRIPT}\n".encode()})
    assert_discarded(clean, caplog)


def test_a_member_name_with_a_nul_byte_discards_the_entry(clean, cache, caplog):
    """zipfile cuts a name at its NUL (so `pwned.md\\0.html` reads as `pwned.md`): such a name is refused."""
    entry = cache / f"{STUDY}.zip"
    rewrite(entry, add={f"{OWN}/pwned.mdX.html": SCRIPT.encode()})
    data = archive_of(entry)
    assert data.count(b"pwned.mdX.html") == 2  # its local header and the directory
    sign_into(entry, data.replace(b"pwned.mdX.html", b"pwned.md\0.html"))
    assert_discarded(clean, caplog)


def write_zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """A member of `size` zero bytes, written a megabyte at a time (it packs to about a thousandth)."""
    chunk = bytes(1024**2)
    with archive.open(name, "w", force_zip64=True) as stream:
        for start in range(0, size, len(chunk)):
            stream.write(chunk[: size - start])


def add_zeros(entry: Path, sizes: dict[str, int]) -> None:
    buffer = io.BytesIO(archive_of(entry))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        for name, size in sizes.items():
            write_zeros(archive, name, size)
    sign_into(entry, buffer.getvalue())


def test_a_member_that_unpacks_past_its_cap_is_refused_before_it_is_unpacked(clean, cache, caplog):
    entry = cache / f"{STUDY}.zip"
    add_zeros(entry, {f"{OWN}/data/bomb.csv": MAX_MEMBER_BYTES + 1})
    assert entry.stat().st_size < 1024**2  # a small file, a large member
    assert_discarded(clean, caplog)


def test_members_that_unpack_past_the_entry_cap_together_are_refused(clean, cache, caplog):
    entry = cache / f"{STUDY}.zip"
    count = MAX_ENTRY_BYTES // MAX_MEMBER_BYTES + 1
    add_zeros(entry, {f"{OWN}/data/bomb-{n}.csv": MAX_MEMBER_BYTES for n in range(count)})
    assert_discarded(clean, caplog)


def test_an_entry_of_too_many_members_is_refused(clean, cache, caplog):
    entry = cache / f"{STUDY}.zip"
    buffer = io.BytesIO(archive_of(entry))
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(MAX_MEMBERS):
            archive.writestr(f"{OWN}/data/many-{number}.csv", b"")
    sign_into(entry, buffer.getvalue())
    assert_discarded(clean, caplog)


def test_a_member_compressed_as_the_cache_never_writes_is_refused(clean, cache, caplog):
    """bzip2 (or lzma) packs far tighter than deflate: a bomb's favourite."""
    rewrite(cache / f"{STUDY}.zip", add={f"{OWN}/data/packed.csv": b"a,b\r\n"}, method=zipfile.ZIP_BZIP2)
    assert_discarded(clean, caplog)


def _entry(data: dict, number: int = 0) -> dict:
    return data["summary"]["entries"][number]


def _with_interval(data: dict) -> dict:
    return next(e for e in data["summary"]["entries"] if e["shown_interval"])


def _first_value(data: dict) -> dict:
    return data["values"][0]


def _nested(depth: int) -> list:
    value: list = [1.0]
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_SUMMARIES: dict[str, Callable[[dict], None]] = {
    # HTML and script where the site-wide pages show the summary's Markdown as it is
    "script in the index row": lambda d: d["summary"]["index_row"].update(
        markdown=d["summary"]["index_row"]["markdown"][:-1] + SCRIPT + " |"
    ),
    "image in the index row's link": lambda d: d["summary"]["index_row"].update(
        markdown=d["summary"]["index_row"]["markdown"].replace("](", f"{IMAGE}](", 1)
    ),
    "javascript link in the index row": lambda d: d["summary"]["index_row"].update(
        markdown=d["summary"]["index_row"]["markdown"].replace(
            f"]({STUDY}/index.md)", "](javascript:alert(1))"
        )
    ),
    "attribute list in the index row": lambda d: d["summary"]["index_row"].update(
        markdown=d["summary"]["index_row"]["markdown"].replace(
            " .ev-value", ' onmouseover="alert(1)" .ev-value'
        )
    ),
    "image as a figure": lambda d: _entry(d).update(shown=IMAGE),
    "script after a figure": lambda d: _entry(d).update(shown=_entry(d)["shown"] + SCRIPT),
    "a figure's text unescaped": lambda d: _entry(d).update(
        shown=_entry(d)["shown"].replace("](", "<b>x</b>](", 1)
    ),
    "markup in a figure's tooltip": lambda d: _entry(d).update(
        shown=_entry(d)["shown"].replace(' "', ' "&#60;img src=x onerror=alert(1)&#62;', 1)
    ),
    "a figure linking out of the site": lambda d: _entry(d).update(
        shown=_entry(d)["shown"].replace("](../", "](https://evil.example/", 1)
    ),
    "a figure linking to script": lambda d: _with_interval(d).update(
        shown_interval='[1 to 2](javascript:alert(1) "x"){ #u-x .ev-value .ev-computed }'
    ),
    "a figure of another study": lambda d: _entry(d).update(
        shown=_entry(d)["shown"].replace(f"studies/{STUDY}/", "studies/kantarjian-2017/")
    ),
    "a figure with another study's anchor": lambda d: _entry(d).update(
        shown=_entry(d)["shown"].replace(f"{{ #u-{STUDY}-", "{ #u-kantarjian-2017-", 1)
    ),
    "a figure's anchor of other characters": lambda d: _entry(d).update(
        shown=_entry(d)["shown"].replace(f"{{ #u-{STUDY}-", f"{{ #u-{STUDY}-X", 1)
    ),
    "a figure linking to another page of the study": lambda d: _entry(d).update(
        shown=re.sub(r"\(([^ )]*)/[a-z]+\.md#", r"(\1/index.md#", _entry(d)["shown"], count=1)
    ),
    "markup in a navigation title": lambda d: d["nav"][0].__setitem__(0, IMAGE),
    # types and values the site-wide pages' code does not expect
    "a year that is text": lambda d: d["summary"]["index_row"].update(year="2013"),
    "an estimate that is text": lambda d: _entry(d).update(estimate="0.5"),
    "an estimate that is no number": lambda d: _entry(d).update(estimate=float("nan")),
    "a year that is true": lambda d: _entry(d).update(year=True),
    "an unknown interval": lambda d: _entry(d).update(interval="made up"),
    "a page of another study": lambda d: _entry(d).update(page="studies/kantarjian-2017/survival.md"),
    "a figure that is text": lambda d: _first_value(d).update(number="90"),
    "a figure of another study's id": lambda d: _first_value(d).update(id="kantarjian-2017/sets/all/x"),
    "a navigation title that is a number": lambda d: d["nav"][2].__setitem__(0, 7),
    "a figure nested deep": lambda d: _first_value(d).update(number=_nested(500)),
}


@pytest.mark.parametrize("poison", list(HOSTILE_SUMMARIES))
def test_a_summary_of_a_form_the_generator_never_writes_discards_the_entry(clean, cache, caplog, poison):
    rewrite(cache / f"{STUDY}.zip", meta=HOSTILE_SUMMARIES[poison])
    assert_discarded(clean, caplog)


def test_a_summary_nested_past_the_recursion_limit_discards_the_entry(clean, cache, caplog):
    """json.loads raises RecursionError on it (caught on main too, by a catch-all: kept so)."""
    entry = cache / f"{STUDY}.zip"
    rewrite(entry)
    with zipfile.ZipFile(io.BytesIO(archive_of(entry))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["meta.json"] = b'{"nav": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    sign_into(entry, buffer.getvalue())
    assert_discarded(clean, caplog)


def _statistics(entry: Path) -> dict:
    with zipfile.ZipFile(io.BytesIO(archive_of(entry))) as archive:
        return json.loads(archive.read(STATISTICS_MEMBER))


def _with_statistics(entry: Path, data: bytes) -> None:
    """Write `entry` again, its statistics member made `data`."""
    with zipfile.ZipFile(io.BytesIO(archive_of(entry))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[STATISTICS_MEMBER] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, member in members.items():
            archive.writestr(name, member)
    sign_into(entry, buffer.getvalue())


def test_an_entry_keeps_its_builds_statistics_for_that_site_key_only(clean, cache):
    entry = StudyCache(cache).path(STUDY)
    kept = _statistics(entry)
    assert kept["results"], "the study computes statistics"
    assert StudyCache(cache).recalled(STUDY, kept["site"]) == kept["results"]
    assert StudyCache(cache).recalled(STUDY, "another site key") == {}
    assert StudyCache(cache).recalled("kantarjian-2017", kept["site"]) != kept["results"]


@pytest.mark.parametrize(
    "poison",
    [
        b"not json",
        b"[]",
        b'{"site": "S"}',
        b'{"site": "S", "results": {}, "more": 1}',
        b'{"site": "S", "results": {"f(1,)": "0.5"}}',
        b'{"site": "S", "results": {"f(1,)": [[0.5]]}}',
        b'{"site": "S", "results": []}',
        b"[" * 100_000,
    ],
)
def test_statistics_of_a_form_the_generator_never_keeps_are_not_recalled(clean, cache, poison):
    entry = StudyCache(cache).path(STUDY)
    site = _statistics(entry)["site"]
    _with_statistics(entry, poison.replace(b'"S"', json.dumps(site).encode()))
    assert StudyCache(cache).recalled(STUDY, site) == {}


def test_statistics_in_an_entry_not_signed_with_this_machines_secret_are_not_recalled(clean, cache):
    entry = StudyCache(cache).path(STUDY)
    site = _statistics(entry)["site"]
    entry.write_bytes(signed(archive_of(entry), b"another machine's secret, 32 bytes long"))
    assert StudyCache(cache).recalled(STUDY, site) == {}


def test_a_cache_folder_that_cannot_be_created_costs_time_not_the_build(clean, tmp_path, caplog):
    """A read-only project (`share` of a checkout it may not write): here `build` is a file, which
    fails for root too. The build warns once, builds every study and writes no cache."""
    _, files, _ = clean
    root = copy_project(tmp_path)
    (root / "build").write_text("not a folder")
    caplog.set_level(logging.INFO, logger="generator")
    assert generate(open_project(root)) == files
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "cache" in warned[0], warned
    assert (root / "build").read_text() == "not a folder"


# --- entries not signed with this machine's secret --------------------------------------------------


def wrong_number(data: dict) -> None:
    """A figure of the study index changed (405 patients to 4050): passes every check of the contents."""
    row = data["summary"]["index_row"]
    assert "[405](" in row["markdown"] or "[" in row["markdown"]
    row["markdown"] = row["markdown"].replace("[", "[9", 1)


@pytest.mark.parametrize("forge", ["unsigned", "another secret", "signature cut", "directory"])
def test_an_entry_not_signed_with_this_machines_secret_is_never_used(clean, cache, caplog, forge):
    """A restored or forged entry whose contents pass every check (a changed number, say) is refused
    by its signature before anything of it is read; one warning for all such entries."""
    root, files, _ = clean
    entry = cache / f"{STUDY}.zip"
    rewrite(entry, wrong_number)
    archive = archive_of(entry)
    if forge == "unsigned":
        entry.write_bytes(archive)
    elif forge == "another secret":
        entry.write_bytes(signed(archive, b"s" * 64))
    elif forge == "signature cut":
        entry.write_bytes(entry.read_bytes()[:60] + entry.read_bytes()[100:])
    else:
        entry.unlink()
        entry.mkdir()
    other = cache / "kantarjian-2017.zip"
    other.write_bytes(signed(archive_of(other), b"t" * 64))
    caplog.set_level(logging.INFO, logger="generator")
    assert generate(open_project(root)) == files
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if forge == "directory":  # refused, and it cannot be written over either
        assert len(warned) == 3 and "not a regular file" in warned[0], warned
        entry.rmdir()
    else:
        assert len(warned) == 1 and "is not used" in warned[0], warned
    assert read_entry(other, "kantarjian-2017", _key(other), cache_secret()).slug == "kantarjian-2017"


def _key(entry: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(archive_of(entry))) as archive:
        return archive.read("key").decode()


def test_without_a_cache_secret_the_cache_is_not_used_and_the_build_works(
    clean, tmp_path, caplog, monkeypatch
):
    _, files, _ = clean
    root = copy_project(tmp_path / "project")
    (tmp_path / "config").write_text("a file where the configuration folder should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("EVIDENCE_CACHE_SECRET", raising=False)
    caplog.set_level(logging.INFO, logger="generator")
    assert generate(open_project(root)) == files
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "no cache secret" in warned[0], warned
    assert not list((root / "build" / "cache").glob("*.zip"))


def test_no_home_folder_or_one_named_relatively_makes_no_secret_and_no_crash(tmp_path, monkeypatch):
    """A container's user the system does not list has no home folder: no secret, so no cache (one
    warning, as above), never an internal error; a relative one would put the secret in the project."""
    monkeypatch.delenv("EVIDENCE_CACHE_SECRET", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative")
    monkeypatch.setenv("HOME", "relative")
    monkeypatch.chdir(tmp_path)
    assert cache_secret() is None and not os.listdir(tmp_path)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    assert cache_secret() is None


def test_the_secret_is_made_once_for_the_user_only_or_taken_from_the_environment(tmp_path, monkeypatch):
    import stat

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("EVIDENCE_CACHE_SECRET", raising=False)
    first = cache_secret()
    path = tmp_path / "evidence-site" / "cache-secret"
    assert first is not None and len(first) >= 32 and cache_secret() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("EVIDENCE_CACHE_SECRET", "x" * 40)
    assert cache_secret() == b"x" * 40
    monkeypatch.setenv("EVIDENCE_CACHE_SECRET", "short")
    assert cache_secret() is None, "a guessable secret is no secret"


# --- in a browser ---------------------------------------------------------------------------------


def poison_every_entry(cache: Path, clean_files: dict[str, bytes]) -> None:
    """Script beside every piece of Markdown of every entry's summary that a site-wide page shows,
    and script in members whose names climb out of the study's folder to the home page and the
    site's scripts. The poison keeps every anchor, so that without the checks the site still builds
    (and its script runs)."""
    home = clean_files["index.md"].decode() + f"\n{SCRIPT}\n\n{IMAGE}\n"
    script = clean_files["assets/javascripts/tables.js"] + b"\nwindow.__pwned = 1; alert(1);\n"
    for entry in sorted(cache.glob("*.zip")):
        own = f"files/studies/{entry.stem}"

        def meta(data: dict) -> None:
            summary = data["summary"]
            summary["index_row"]["markdown"] += f" {SCRIPT} {IMAGE} |"
            for item in summary["entries"]:
                item["shown"] += f"{IMAGE}{SCRIPT}"
                if item["shown_interval"]:
                    item["shown_interval"] += f" [x](javascript:alert(1)){IMAGE}"
            data["nav"][0][0] = IMAGE

        rewrite(
            entry,
            meta,
            add={
                f"{own}/../../index.md": home.encode(),
                f"{own}/../../assets/javascripts/tables.js": script,
                f"{own}/pwned.html": f"<html><body>{SCRIPT}{IMAGE}</body></html>".encode(),
            },
        )


@pytest.mark.browser
def test_a_poisoned_cache_runs_nothing_on_any_page(clean, cache, browser, tmp_path):
    """Every kind of page of a site built from a cache poisoned everywhere, in Chromium: no dialog, no
    script of the poison, no element of it (routed_page also fails on any console error or stray
    request). The poison of an entry reaches the site-wide pages (its summary, the home page, the
    site's script) and its study's navigation: each site-wide page and each study's overview are
    visited, and every page of one study (the others' pages are of the same kinds, and show the same
    navigation as their overview; a page takes most of a second)."""

    from tests.sitebrowser import real_site_url, routed_page

    root, files, _ = clean
    poison_every_entry(cache, files)
    build_site(open_project(root, site_dir=tmp_path / "site", docs_dir=tmp_path / "docs"))
    site = tmp_path / "site"
    pages = sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html"))
    assert "index.html" in pages and f"studies/{STUDY}/index.html" in pages
    visited = [path for path in pages if path.count("/") < 3 or path.startswith(f"studies/{STUDY}/")]
    assert {f"studies/{entry.stem}/index.html" for entry in cache.glob("*.zip")} <= set(visited)
    assert len(visited) < len(pages) and "comparisons/index.html" in visited and "404.html" in visited
    site_url = real_site_url()
    with routed_page(browser, site, site_url) as (page, _):
        for path in visited:
            page.goto(site_url + path.removesuffix("index.html"))
            assert page.evaluate("window.__pwned") is None, path
            assert page.locator("#pwned").count() == 0, path
            inline = page.locator("script:not([src])").evaluate_all("nodes => nodes.map(n => n.textContent)")
            assert not any("__pwned" in text for text in inline), path
            assert page.evaluate("[...document.links].filter(a => a.protocol === 'javascript:').length") == 0
    assert not list(site.rglob("pwned*"))
    assert b"__pwned" not in (site / "assets" / "javascripts" / "tables.js").read_bytes()


def test_a_secret_of_any_bytes_in_the_environment_is_taken(monkeypatch):
    """An environment variable of bytes that are not UTF-8 reaches Python as surrogates."""
    monkeypatch.setenv("EVIDENCE_CACHE_SECRET", "\udcff" * 40)
    assert cache_secret() == b"\xff" * 40
