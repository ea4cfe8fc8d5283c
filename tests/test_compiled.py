"""Compiled templates kept between builds (generator/compiled.py): read back only when this machine's
secret signed them for this template, this source and this kind of environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from jinja2.bccache import Bucket
from jinja2.sandbox import SandboxedEnvironment

from generator import compiled
from generator.build import run_mkdocs
from generator.cache import SECRET_ENV, signed
from generator.compiled import SUFFIX, SignedBytecodeCache, compiled_templates, template_key
from generator.render import environment
from generator.sandbox import sandbox
from tests.test_engine import settings_of

SECRET = "s" * 40


@pytest.fixture
def private(tmp_path, monkeypatch) -> Iterator[Path]:
    """A cache secret and the user's cache folder of this test alone; returns the templates' folder."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    environment.cache_clear()  # this process's page environments, each with the cache it was made with
    yield tmp_path / "user-cache" / "evidence-site" / "templates"
    environment.cache_clear()


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from here on."""
    names: list[str] = []
    original = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def page_env(folder: Path) -> jinja2.Environment:
    env = sandbox((folder,))
    env.bytecode_cache = compiled_templates()
    return env


def templates(tmp_path: Path, text: str = "{% for x in items %}<{{ x }}>{% endfor %}\n") -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "page.md").write_text(text, encoding="utf-8")
    return folder


def test_a_template_compiled_once_is_run_again_without_compiling(tmp_path, private, compiles):
    folder = templates(tmp_path)
    first = page_env(folder).get_template("page.md").render(items=["a", "<b>"])
    assert compiles == ["page.md"]
    assert [p.suffix for p in private.iterdir()] == [SUFFIX]
    assert (private.stat().st_mode & 0o777) == 0o700
    again = page_env(folder).get_template("page.md").render(items=["a", "<b>"])
    assert compiles == ["page.md"] and again == first == "<a><&#60;b&#62;>"


def test_an_edited_template_is_compiled_again(tmp_path, private, compiles):
    folder = templates(tmp_path)
    page_env(folder).get_template("page.md").render(items=["a"])
    templates(tmp_path, "edited {{ items | length }}\n")
    assert page_env(folder).get_template("page.md").render(items=["a"]) == "edited 1\n"
    assert compiles == ["page.md", "page.md"]


def test_the_sandbox_and_a_plain_environment_never_share_compiled_code(tmp_path, private):
    """Code compiled for the theme (no sandbox, no loop guard) is never run as a page's template, nor
    code compiled with other options."""
    folder = templates(tmp_path)
    filename = str(folder / "page.md")
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(folder))
    keys = {
        template_key(sandbox((folder,)), "page.md", filename),
        template_key(plain, "page.md", filename),
        template_key(
            jinja2.Environment(loader=jinja2.FileSystemLoader(folder), trim_blocks=True), "page.md", filename
        ),
        template_key(jinja2.Environment(autoescape=True), "page.md", filename),
        template_key(jinja2.Environment(extensions=["jinja2.ext.do"]), "page.md", filename),
        template_key(plain, "page.md", str(tmp_path / "other" / "page.md")),
        template_key(plain, "other.md", filename),
        template_key(SandboxedEnvironment(loader=jinja2.FileSystemLoader(folder)), "page.md", filename),
    }
    assert len(keys) == 8
    with_filter = jinja2.Environment(loader=jinja2.FileSystemLoader(folder))
    with_filter.filters["extra"] = str
    assert template_key(with_filter, "page.md", filename) != template_key(plain, "page.md", filename)


def forged(private: Path, folder: Path, payload_template: str, *, secret: str | None, key: str | None = None):
    """Write, under the key of folder/page.md in the page environment, the compiled code of another
    template, signed with `secret` (or not at all) and naming `key` (or the right one)."""
    env = sandbox((folder,))
    right = template_key(env, "page.md", str(folder / "page.md"))
    source = (folder / "page.md").read_text(encoding="utf-8")
    bucket = Bucket(env, right, SignedBytecodeCache(private, b"").get_source_checksum(source))
    bucket.code = env.compile(payload_template, "page.md", str(folder / "page.md"))
    payload = (key or right).encode() + b"\n" + bucket.bytecode_to_string()
    private.mkdir(parents=True, exist_ok=True)
    data = signed(payload, secret.encode()) if secret is not None else bucket.bytecode_to_string()
    (private / f"{right}{SUFFIX}").write_bytes(data)


@pytest.mark.parametrize(
    "secret, key",
    [(None, None), ("another machine's secret, long enough", None), (SECRET, "0" * 64)],
    ids=["unsigned", "another secret", "another key"],
)
def test_compiled_code_not_signed_for_this_template_is_never_run(tmp_path, private, compiles, secret, key):
    folder = templates(tmp_path, "the real page\n")
    forged(private, folder, "PLANTED\n", secret=secret, key=key)
    compiles.clear()
    assert page_env(folder).get_template("page.md").render() == "the real page\n"
    assert compiles == ["page.md"]


def test_signed_code_for_this_template_is_run(tmp_path, private, compiles):
    """The other side of the test above: the forgery's form is the cache's own."""
    folder = templates(tmp_path, "the real page\n")
    forged(private, folder, "PLANTED\n", secret=SECRET)
    compiles.clear()
    assert page_env(folder).get_template("page.md").render() == "PLANTED\n"
    assert compiles == []


def test_no_secret_or_a_folder_others_may_write_keeps_nothing(tmp_path, private, monkeypatch):
    private.mkdir(parents=True)
    private.chmod(0o777)
    assert compiled_templates() is None
    private.chmod(0o700)
    assert compiled_templates() is not None
    private.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    private.symlink_to(elsewhere, target_is_directory=True)
    assert compiled_templates() is None, "a link, even to a private folder, is not the folder"
    monkeypatch.setenv(SECRET_ENV, "short")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh"))
    assert compiled_templates() is None
    assert not (tmp_path / "fresh").exists() and not (tmp_path / "no-config").exists()


def test_a_relative_cache_home_is_not_the_working_folder(tmp_path, private, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    monkeypatch.chdir(tmp_path)
    assert compiled.cache_folder() == Path.home() / ".cache" / "evidence-site" / "templates"


def test_read_only_keeps_nothing_and_a_full_folder_is_emptied(tmp_path, private, monkeypatch, compiles):
    folder = templates(tmp_path)
    private.mkdir(parents=True, mode=0o700)
    env = sandbox((folder,))
    env.bytecode_cache = compiled_templates(writable=False)
    assert env.bytecode_cache is not None
    env.get_template("page.md").render(items=[])
    assert not os.listdir(private)
    monkeypatch.setattr(compiled, "MAX_FILES", 3)
    for n in range(3):
        (private / f"{n}{SUFFIX}").write_bytes(b"old")
    (private / "not-ours").write_bytes(b"kept")
    page_env(folder).get_template("page.md").render(items=[])
    assert sorted(p.name for p in private.iterdir() if p.name.endswith(SUFFIX)) != [
        f"{n}{SUFFIX}" for n in range(3)
    ]
    assert len([p for p in private.iterdir() if p.name.endswith(SUFFIX)]) == 1
    assert (private / "not-ours").read_bytes() == b"kept"


def test_mkdocs_runs_the_theme_compiled_by_its_last_build_and_sees_an_edited_override(
    tmp_path, private, compiles
):
    overrides = tmp_path / "templates" / "overrides" / "partials"
    overrides.mkdir(parents=True)
    footer = overrides / "copyright.html"
    footer.write_text("<p>first footer</p>\n")
    settings = settings_of(tmp_path, "site_name: Mine\n", (tmp_path / "templates",))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")

    def build(site: str) -> str:
        run_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "docs", tmp_path / site, **settings)
        return (tmp_path / site / "index.html").read_text(encoding="utf-8")

    first = build("first")
    assert "main.html" in compiles and "first footer" in first
    compiles.clear()
    assert build("second") == first
    assert "main.html" not in compiles and "base.html" not in compiles
    footer.write_text("<p>second footer</p>\n")
    compiles.clear()
    assert "second footer" in build("third")
    assert [n for n in compiles if "language" not in n] == ["partials/copyright.html"]
    assert os.listdir(tmp_path / "third")  # (the site was written)


def test_a_build_keeps_the_pages_compiled_templates_and_check_keeps_none(one_study_copy, private, compiles):
    from generator.build import generate, open_project

    generate(open_project(one_study_copy), write_cache=False)
    assert not private.exists() or not os.listdir(private)
    assert len(compiles) > 10
    environment.cache_clear()
    generate(open_project(one_study_copy))
    kept = len(os.listdir(private))
    environment.cache_clear()
    compiles.clear()
    generate(open_project(one_study_copy))
    assert kept > 10 and compiles == []
