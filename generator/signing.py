"""This machine's cache secret, and what is signed with it: a build cache's entries, the record of the
last site, compiled templates (`generator.cache`, `generator.incremental`, `generator.compiled`).

The secret is EVIDENCE_CACHE_SECRET when set (for CI, from its secrets), else a file of random bytes
made once in the user's configuration folder (~/.config/evidence-site/cache-secret). A signed file is
a header, the HMAC-SHA256 of its content in hex, a line break and the content; a file signed
otherwise is never opened (`verified`). Files are read as regular files within a size
(`read_regular`): a link, pipe or device is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path

SECRET_ENV = "EVIDENCE_CACHE_SECRET"
MIN_SECRET_BYTES = 32
SIGNED_HEADER = b"evidence-site cache entry, HMAC-SHA256 "
"""What an entry file starts with: then the hex signature of the zip, a line break and the zip."""
_SIGNATURE_CHARS = 64


def secret_file() -> Path | None:
    """Where this machine's cache secret is kept: the user's configuration folder, outside any project
    (None without one named absolutely: no XDG_CONFIG_HOME and no home folder)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):  # (a relative one is to be ignored, says the XDG specification)
        try:
            base = str(Path.home() / ".config")
        except (RuntimeError, KeyError, OSError):  # no HOME, and a user the system does not list
            return None
    return Path(base) / "evidence-site" / "cache-secret" if os.path.isabs(base) else None


def cache_secret(*, create: bool = True) -> bytes | None:
    """The key entries are signed with: EVIDENCE_CACHE_SECRET, else this machine's secret file (made
    with random bytes on first use, unless not to `create`); None when neither can be had (the cache is
    then not used)."""
    given = os.environ.get(SECRET_ENV, "")
    if given:
        secret = given.encode("utf-8", "surrogateescape")  # an environment of any bytes
        return secret if len(secret) >= MIN_SECRET_BYTES else None
    path = secret_file()
    if path is None:
        return None
    try:
        if create and not path.exists():
            _make_secret(path)
        data = read_regular(path, 1024)
    except (OSError, EntryRefused):
        return None
    return data if len(data) >= MIN_SECRET_BYTES else None


def _make_secret(path: Path) -> None:
    """Random bytes, readable by the user only, written whole and never over another process's."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=".cache-secret.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(secrets.token_hex(MIN_SECRET_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):  # another build made it first: theirs is kept
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def signed(archive: bytes, secret: bytes) -> bytes:
    """An entry file: the header, the archive's signature, a line break, the archive."""
    signature = hmac.new(secret, archive, hashlib.sha256).hexdigest().encode()
    return SIGNED_HEADER + signature + b"\n" + archive


def verified(data: bytes, secret: bytes) -> bytes:
    """The archive of an entry file, once its signature is this secret's; ForeignEntry otherwise."""
    start = len(SIGNED_HEADER) + _SIGNATURE_CHARS + 1
    if not data.startswith(SIGNED_HEADER) or data[start - 1 : start] != b"\n":
        raise ForeignEntry("it is not signed")
    archive = data[start:]
    expected = hmac.new(secret, archive, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, data[len(SIGNED_HEADER) : start - 1]):
        raise ForeignEntry("its signature is not this machine's cache secret's")
    return archive


class EntryRefused(Exception):
    """A cache entry that is not one the generator writes; the message says why."""


class ForeignEntry(Exception):
    """A cache entry not signed with this machine's cache secret: never opened."""


def read_regular(path: Path, limit: int) -> bytes:
    """A regular file of at most `limit` bytes, opened so that a link, pipe or device is refused."""
    try:
        no_wait_no_link = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)  # POSIX's
        fd = os.open(path, os.O_RDONLY | no_wait_no_link | getattr(os, "O_BINARY", 0))  # Windows'
    except OSError as exc:
        raise EntryRefused(f"cannot be opened: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise EntryRefused("not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise EntryRefused(f"larger than {limit // 1024**2} MB")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise EntryRefused(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise EntryRefused(f"larger than {limit // 1024**2} MB")
    return data
