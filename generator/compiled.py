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
import logging
import os
import stat
import sys
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

log = logging.getLogger("generator")

FOLDER_NAME = "templates"
MAX_TEMPLATE_BYTES = 8 * 1024**2
"""The largest compiled template read (Material's largest is about 60 KB)."""
MAX_FILES = 2000
"""Past this many files (each version of the generator or a template adds its own), the folder is
emptied before the next is written."""
SUFFIX = ".jinja-code"


def cache_folder() -> Path:
    """The user's own cache folder for compiled templates, outside any project."""
    given = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(given) if given and os.path.isabs(given) else Path.home() / ".cache"
    return base / "evidence-site" / FOLDER_NAME


def compiled_templates(*, writable: bool = True) -> SignedBytecodeCache | None:
    """The cache of compiled templates for an environment (`env.bytecode_cache`); None when there is
    no cache secret or no private folder for it (templates are then compiled on every build)."""
    from generator.cache import cache_secret

    secret = cache_secret(create=False)
    if secret is None:
        return None
    folder = cache_folder()
    try:
        if writable:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.lstat(folder)
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if not private or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        log.debug("compiled templates are not kept: %s is not a folder of this user's alone", folder)
        return None
    return SignedBytecodeCache(folder, secret, writable=writable)


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
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        from generator.cache import EntryRefused, ForeignEntry, read_regular, verified

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
        from generator.cache import signed
        from generator.outputs import write_file_atomically

        if not self.writable:
            return
        payload = bucket.key.encode() + b"\n" + bucket.bytecode_to_string()
        try:
            if len(os.listdir(self.folder)) >= MAX_FILES:
                self.clear()
            write_file_atomically(self.folder / f"{bucket.key}{SUFFIX}", signed(payload, self.secret))
        except OSError as exc:
            log.debug("a compiled template is not kept (%s)", exc)

    def clear(self) -> None:
        for name in os.listdir(self.folder):
            if name.endswith(SUFFIX):
                (self.folder / name).unlink(missing_ok=True)


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
    )
    return [
        f"jinja2 {jinja2.__version__}",
        f"python {sys.version_info[0]}.{sys.version_info[1]} {sys.implementation.name}",
        generator_code(),
        _named(type(env)),
        _named(env.code_generator_class),
        _named(env.context_class),
        repr(options),
        _named(env.finalize) if env.finalize is not None else "",
        repr(sorted(env.extensions)),
        repr(sorted(env.filters)),
        repr(sorted(env.tests)),
        repr(sorted((k, _named(v) if callable(v) else repr(v)) for k, v in env.policies.items())),
    ]


def _named(thing: Any) -> str:
    target = getattr(thing, "__func__", thing)
    return (
        f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__qualname__)}"
    )


@functools.cache
def generator_code() -> str:
    """A hash of the generator's own code (its sandbox's code generator, its mkdocs hook)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        with open(path, "rb") as stream:
            digest.update(stream.read())
        digest.update(b"\0")
    return digest.hexdigest()
