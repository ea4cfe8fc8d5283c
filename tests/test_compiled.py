"""Compiled templates kept between builds (generator/compiled.py): read back only when this machine's
secret signed them for this template, this source and this kind of environment."""

from __future__ import annotations

import os
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2.bccache import Bucket
from jinja2.sandbox import SandboxedEnvironment

from generator import compiled
from generator.build import run_mkdocs
from generator.cache import SECRET_ENV, signed
from generator.compiled import SUFFIX, SignedBytecodeCache, compiled_templates, signing_key, template_key
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


def same_named(function: Any) -> Any:
    """A copy of a function, of the same module and name (marking the copy leaves the original)."""
    code, names = function.__code__, function.__globals__
    copy = types.FunctionType(code, names, function.__name__, function.__defaults__)
    copy.__qualname__, copy.__module__ = function.__qualname__, function.__module__
    return copy


@pytest.mark.parametrize(
    "change",
    [
        lambda env: setattr(env, "code_generator_class", jinja2.compiler.CodeGenerator),
        lambda env: setattr(env, "context_class", type("Other", (jinja2.runtime.Context,), {})),
        lambda env: setattr(env, "finalize", None),
        lambda env: env.filters.update(join=jinja2.pass_context(same_named(env.filters["join"]))),
        lambda env: setattr(env, "newstyle_gettext", True),
        lambda env: env.policies.update({"compiler.ascii_str": False}),
    ],
    ids=["code generator", "context", "finalize", "a filter's context", "gettext", "policy"],
)
def test_what_shapes_the_sandbox_code_is_in_the_key(tmp_path, change):
    """The sandbox's code generator guards every loop: code compiled without it, or for another
    context or calls, is another key."""
    folder = templates(tmp_path)
    env = sandbox((folder,))
    before = template_key(env, "page.md", str(folder / "page.md"))
    change(env)
    assert template_key(env, "page.md", str(folder / "page.md")) != before
    env = sandbox((folder,))
    assert template_key(env, "page.md", str(folder / "page.md")) == before


def test_a_project_filter_keeps_its_environment_from_the_cache(tmp_path, private, compiles):
    """Jinja runs a filter of constant arguments while compiling: a filter the generator does not own
    (a project's hook's, reading its settings) would be kept as it was when first compiled."""
    folder = templates(tmp_path, '{{ "Made by " | brand }}\n')
    for brand in ("ACME", "Globex"):
        env = page_env(folder)
        env.filters["brand"] = lambda text, brand=brand: text + brand
        assert env.get_template("page.md").render() == f"Made by {brand}\n"
    assert compiles == ["page.md", "page.md"] and not os.listdir(private)
    env = page_env(folder)
    env.filters["brand"] = lambda text: text + "Initech"
    key = template_key(env, "page.md", str(folder / "page.md"))
    bucket = Bucket(
        env, key, SignedBytecodeCache(private, b"").get_source_checksum('{{ "Made by " | brand }}\n')
    )
    bucket.code = env.compile("PLANTED\n", "page.md", str(folder / "page.md"))
    payload = key.encode() + b"\n" + bucket.bytecode_to_string()
    (private / f"{key}{SUFFIX}").write_bytes(signed(payload, signing_key(SECRET.encode())))
    assert env.get_template("page.md").render() == "Made by Initech\n", "nor is one read"


def forged(
    private: Path, folder: Path, payload_template: str, *, key: bytes | None, name: str | None = None
) -> Path:
    """Write, under the key of folder/page.md in the page environment, the compiled code of another
    template, signed with `key` (or not at all) and naming the key `name` (or the right one)."""
    env = sandbox((folder,))
    right = template_key(env, "page.md", str(folder / "page.md"))
    source = (folder / "page.md").read_text(encoding="utf-8")
    bucket = Bucket(env, right, SignedBytecodeCache(private, b"").get_source_checksum(source))
    bucket.code = env.compile(payload_template, "page.md", str(folder / "page.md"))
    payload = (name or right).encode() + b"\n" + bucket.bytecode_to_string()
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = private / f"{right}{SUFFIX}"
    path.write_bytes(signed(payload, key) if key is not None else bucket.bytecode_to_string())
    return path


@pytest.mark.parametrize(
    "key, name",
    [
        (None, None),
        (signing_key(b"another machine's secret, long enough"), None),
        (SECRET.encode(), None),
        (signing_key(SECRET.encode()), "0" * 64),
    ],
    ids=["unsigned", "another secret", "the study entries' key", "another key"],
)
def test_compiled_code_not_signed_for_this_template_is_never_run(tmp_path, private, compiles, key, name):
    folder = templates(tmp_path, "the real page\n")
    forged(private, folder, "PLANTED\n", key=key, name=name)
    compiles.clear()
    assert page_env(folder).get_template("page.md").render() == "the real page\n"
    assert compiles == ["page.md"]


def test_a_link_to_signed_code_is_not_read(tmp_path, private, compiles):
    folder = templates(tmp_path, "the real page\n")
    path = forged(private, folder, "PLANTED\n", key=signing_key(SECRET.encode()))
    elsewhere = tmp_path / "elsewhere"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    compiles.clear()
    assert page_env(folder).get_template("page.md").render() == "the real page\n"
    assert compiles == ["page.md"] and elsewhere.read_bytes().count(b"PLANTED")


def test_signed_code_for_this_template_is_run(tmp_path, private, compiles):
    """The other side of the test above: the forgery's form is the cache's own."""
    folder = templates(tmp_path, "the real page\n")
    forged(private, folder, "PLANTED\n", key=signing_key(SECRET.encode()))
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


def test_the_folder_and_its_parent_are_the_users_alone_and_in_a_folder_others_cannot_write(tmp_path, private):
    assert compiled_templates() is not None
    assert (private.stat().st_mode & 0o777) == (private.parent.stat().st_mode & 0o777) == 0o700
    base = private.parent.parent
    base.chmod(0o777)
    assert compiled_templates() is None, "others could put their folder in place of the user's"
    base.chmod(0o1777)
    assert compiled_templates() is not None, "sticky, as /tmp: only the user can rename the user's folder"
    base.chmod(0o755)
    private.parent.chmod(0o770)
    assert compiled_templates() is None
    private.parent.chmod(0o700)
    moved = tmp_path / "moved"
    private.parent.rename(moved)
    private.parent.symlink_to(moved, target_is_directory=True)
    assert compiled_templates() is None, "a link to the user's folder is not the user's folder"


def test_no_home_folder_or_one_named_relatively_keeps_nothing(tmp_path, private, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", "relative")
    assert compiled_templates() is None and not (tmp_path / "relative").exists()

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    assert compiled_templates() is None


def test_kept_files_are_the_users_and_stopped_writes_do_not_fill_the_folder(
    tmp_path, private, monkeypatch, compiles
):
    folder = templates(tmp_path)
    monkeypatch.setattr(compiled, "MAX_FILES", 3)
    private.mkdir(parents=True, mode=0o700)
    for n in range(5):
        (private / f".x{n}{SUFFIX}.abc.partial").write_bytes(b"stopped")
    page_env(folder).get_template("page.md").render(items=[])
    (kept,) = private.glob(f"*{SUFFIX}")
    assert (kept.stat().st_mode & 0o777) == 0o600
    assert len(os.listdir(private)) == 6, "five stopped writes do not make three files"


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
