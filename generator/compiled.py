"""Compiled templates kept between builds: Jinja's bytecode, in the user's own cache folder, signed.

Every build compiles the page templates and the theme's (about 60) before it renders a page: half a
second of a one-value edit's few. Jinja can keep what it compiled (a bytecode cache); this module is
that cache, made safe to read.

Compiled templates are code, run as the generator: so they are never kept in the project or its build
cache (folders a CI cache restores, or others may write), only in the user's own cache folder
($XDG_CACHE_HOME, else ~/.cache, then evidence-site/templates), made readable and writable by the user
alone and refused otherwise. Each file is signed (HMAC-SHA256) with the build cache's secret, over its
key and its bytecode; a file signed otherwise, or of another key, is never unpickled or unmarshalled:
its template is compiled again. The key is the template's name and file, the Jinja and Python
versions, the generator's code and everything about the environment that changes the compiled code
(its class, code generator, syntax, options, extensions, filters and tests), so a template compiled
for the theme is never run in the pages' sandbox, and Jinja's own check of the template's source
(its checksum) is kept. A cache that cannot be read or written only costs the compiling.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import stat
import sys
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

from generator.outputs import write_file_atomically
from generator.signing import EntryRefused, ForeignEntry, cache_secret, read_regular, signed, verified

log = logging.getLogger("generator")

FOLDER_NAME = "templates"
MAX_TEMPLATE_BYTES = 8 * 1024**2
"""The largest compiled template read (Material's largest is about 60 KB)."""
MAX_FILES = 2000
"""Past this many files (each version of the generator or a template adds its own), the folder is
emptied before the next is written."""
SUFFIX = ".jinja-code"
PARTIAL = ".partial"
KNOWN_PACKAGES = {"jinja2", "markupsafe", "mkdocs", "material", "generator", *sys.stdlib_module_names}
"""Whose filters, tests and extensions an environment may use for its templates to be kept (Python's
own modules: the filters `abs` and `length`, the tests `eq` and `lt`)."""


def cache_folder() -> Path | None:
    """The user's own cache folder for compiled templates, outside any project (None when the user
    has no home folder named absolutely)."""
    given = os.environ.get("XDG_CACHE_HOME", "")
    if given and os.path.isabs(given):
        return Path(given) / "evidence-site" / FOLDER_NAME
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):  # no HOME, and a user the system does not list
        return None
    return home / ".cache" / "evidence-site" / FOLDER_NAME if home.is_absolute() else None


def compiled_templates(*, writable: bool = True) -> SignedBytecodeCache | None:
    """The cache of compiled templates for an environment (`env.bytecode_cache`); None when there is
    no cache secret or no private folder for it (templates are then compiled on every build)."""
    secret = cache_secret(create=False)
    folder = cache_folder()
    if secret is None or folder is None:
        return None
    try:
        if writable:
            folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder.mkdir(exist_ok=True, mode=0o700)
        private = _private(folder)
    except OSError:
        return None
    if not private:
        log.debug("compiled templates are not kept: %s is not a folder of this user's alone", folder)
        return None
    return SignedBytecodeCache(folder, signing_key(secret), writable=writable)


def signing_key(secret: bytes) -> bytes:
    """The key compiled templates are signed with: made from the cache secret, and not the one a
    study's entry is signed with, so neither passes for the other."""
    return hmac.new(secret, b"evidence-site compiled templates", hashlib.sha256).digest()


def _private(folder: Path) -> bool:
    """Whether only this user can change what `folder` holds: it and its parent (evidence-site) are
    folders, not links, of this user's that nobody else may write, in a folder nobody else may
    write either, unless it is sticky (as /tmp), where the user's own folder cannot be replaced."""
    for path in (folder, folder.parent):
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return False
    base = os.stat(folder.parent.parent)
    return not base.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or bool(base.st_mode & stat.S_ISVTX)


class SignedBytecodeCache(jinja2.BytecodeCache):
    """Jinja's bytecode cache, each file signed and keyed on the environment (see the module)."""

    def __init__(self, folder: Path, secret: bytes, *, writable: bool = True):
        self.folder = folder
        self.secret = secret
        self.writable = writable

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = template_key(environment, name, filename)
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        if cacheable(environment):
            self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        path = self.folder / f"{bucket.key}{SUFFIX}"
        try:
            payload = verified(read_regular(path, MAX_TEMPLATE_BYTES), self.secret)
        except (EntryRefused, ForeignEntry):
            return  # absent, or not this machine's: compiled again (and written over)
        key, _, code = payload.partition(b"\n")
        if key != bucket.key.encode():
            return
        try:
            bucket.bytecode_from_string(code)  # Jinja's checks: its version, Python's, the source
        except Exception:  # signed, yet unreadable here: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if not self.writable or not cacheable(bucket.environment):
            return
        payload = bucket.key.encode() + b"\n" + bucket.bytecode_to_string()
        try:
            if sum(name.endswith(SUFFIX) for name in os.listdir(self.folder)) >= MAX_FILES:
                self.clear()
            path = self.folder / f"{bucket.key}{SUFFIX}"
            write_file_atomically(path, signed(payload, self.secret), mode=0o600)
        except OSError as exc:
            log.debug("a compiled template is not kept (%s)", exc)

    def clear(self) -> None:
        """Every compiled template, and what writes that were stopped left."""
        for name in os.listdir(self.folder):
            if name.endswith((SUFFIX, PARTIAL)):
                (self.folder / name).unlink(missing_ok=True)


def cacheable(env: jinja2.Environment) -> bool:
    """Whether what `env` compiles may be kept: every filter, test, extension and finalize of Jinja,
    the theme (mkdocs, Material) or the generator, whose versions and code are in every key. (Jinja
    runs a filter given constant arguments while compiling and keeps its result in the code, so a
    project's own filter, which may depend on its settings, would be kept as it once was.)"""
    parts = [*env.filters.values(), *env.tests.values(), *map(type, env.extensions.values())]
    if env.finalize is not None:
        parts.append(env.finalize)
    return all(_package(thing) in KNOWN_PACKAGES for thing in parts)


def _package(thing: Any) -> str:
    return str(getattr(getattr(thing, "__func__", thing), "__module__", "") or "").partition(".")[0]


def template_key(environment: jinja2.Environment, name: str, filename: str | None) -> str:
    """The cache key of a template in an environment (see the module)."""
    escaped = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    parts = [*environment_fingerprint(environment), name, filename or "", f"autoescape {bool(escaped)}"]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def environment_fingerprint(env: jinja2.Environment) -> list[str]:
    """What, besides a template's source, the code Jinja compiles from it depends on."""
    options = (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        getattr(env, "newstyle_gettext", None),
        sorted(getattr(env, "intercepted_binops", ())),
        sorted(getattr(env, "intercepted_unops", ())),
    )
    return [
        package_versions(),
        f"python {sys.version_info[0]}.{sys.version_info[1]} {sys.implementation.name}",
        generator_code(),
        _named(type(env)),
        _named(env.code_generator_class),
        _named(env.context_class),
        _named(env.undefined),
        repr(options),
        _named(env.finalize) if env.finalize is not None else "",
        repr(sorted((name, _named(type(ext))) for name, ext in env.extensions.items())),
        repr(sorted((name, _named(f)) for name, f in env.filters.items())),
        repr(sorted((name, _named(f)) for name, f in env.tests.items())),
        repr(sorted((k, _named(v) if callable(v) else repr(v)) for k, v in env.policies.items())),
    ]


def _named(thing: Any) -> str:
    """A function's or class's module and name, and how Jinja passes it the context (which the
    compiled call is made for)."""
    target = getattr(thing, "__func__", thing)
    name = getattr(target, "__qualname__", type(target).__qualname__)
    passed = getattr(target, "jinja_pass_arg", None)
    return f"{getattr(target, '__module__', '?')}.{name}" + (f" ({passed})" if passed is not None else "")


@functools.cache
def package_versions() -> str:
    """The versions of the packages whose filters, tests and templates a kept template may use."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("jinja2", "markupsafe", "mkdocs", "mkdocs-material"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} absent")
    return ", ".join(found)


@functools.cache
def generator_code() -> str:
    """A hash of the generator's own code (its sandbox's code generator, its mkdocs hook)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
