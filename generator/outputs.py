"""The folders the generator owns: which folders it may write, the mark it leaves in them, and the
staging folder a build is made in before it replaces the site.

The generator deletes files only inside folders it owns. An output folder may not be, contain or
lie inside the project's inputs, and a folder that already exists must be empty or carry the mark
of an earlier build, so a one-word mistake in a setting cannot replace somebody's files.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from shutil import rmtree
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: msvcrt locks the lock file's first byte instead (see take_lock)
    fcntl = None  # type: ignore[assignment]

from generator.errors import ConfigError, Problem

log = logging.getLogger("generator")

OWNER_MARK = ".evidence-site-output"
"""The file every output folder of the generator holds; only a marked (or empty) folder is replaced."""
MARK_TEXT = (
    "This folder is written by the evidence-site generator (python -m generator).\n"
    "Every build replaces what is in it: keep nothing else here.\n"
)
STAGING_PREFIX = ".evidence-build-"
STAGING_LOCK = ".lock"

PROJECT_FOLDERS = (
    "content",
    "templates",
    "generator",
    "tests",
    "bench",
    "schema",
    ".git",
    ".github",
    ".ci",
    ".venv",
)
"""Folders of the project an output folder may neither be, contain nor lie inside (with the
content and templates folders that site_config.yml names, and the generator's own package)."""


@dataclass(frozen=True)
class OutputFolder:
    """A folder the generator is asked to write, and where it was asked to."""

    setting: str
    path: Path
    declared_in: Path
    line: int | None = None

    def problem(self, message: str) -> Problem:
        return Problem(self.declared_in, f"{self.setting} {self.path}: {message}", self.line, self.setting)


def protected_folders(root: Path, inputs: dict[Path, str]) -> dict[Path, str]:
    """Each folder the outputs must keep clear of, resolved, with what it is."""
    import generator

    folders = {(root / name).resolve(): f"the project's {name}/ folder" for name in PROJECT_FOLDERS}
    folders.update({folder.resolve(): what for folder, what in inputs.items()})
    folders[Path(generator.__file__).parent.resolve()] = "the generator's own code"
    return folders


def check_output_folders(
    root: Path, outputs: list[OutputFolder], inputs: dict[Path, str], config_files: list[Path]
) -> None:
    """Raise ConfigError, every problem located, unless each output is a folder the generator may own."""
    protected = protected_folders(root, inputs)
    holders = {root.resolve(): "the project folder"}
    holders.update({f.parent.resolve(): f"the folder holding {f.name}" for f in config_files})
    problems = []
    for output in outputs:
        problems += _clash_problems(output, protected, holders)
        others = [o for o in outputs if o.setting != output.setting]
        problems += _clash_problems(output, {o.path.resolve(): f"the {o.setting}" for o in others}, {})
    if not problems:
        problems = [p for output in outputs if (p := ownership_problem(output)) is not None]
    if problems:
        raise ConfigError(problems)


def _clash_problems(output: OutputFolder, inside_forbidden: dict, holders: dict) -> list[Problem]:
    """`output` is, contains or lies inside a folder of `inside_forbidden`; or is or contains a holder."""
    path = output.path.resolve()
    for folder, what in inside_forbidden.items():
        relation = _relation(path, folder, inside_too=True)
        if relation:
            return [output.problem(f"{relation} {what} ({folder}); {_ADVICE}")]
    for folder, what in holders.items():
        relation = _relation(path, folder, inside_too=False)
        if relation:
            return [output.problem(f"{relation} {what} ({folder}); {_ADVICE}")]
    return []


_ADVICE = (
    "every build replaces what is in its output folders, so each must be a folder of its own, such as site"
)


def _relation(path: Path, folder: Path, *, inside_too: bool) -> str | None:
    if path == folder:
        return "is"
    if folder.is_relative_to(path):
        return "contains"
    if inside_too and path.is_relative_to(folder):
        return "lies inside"
    return None


def ownership_problem(output: OutputFolder) -> Problem | None:
    """Why the generator may not replace what is in `output`, or None when it may."""
    path = output.path
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        return output.problem("exists and is not a folder; name a folder")
    if not path.exists() or is_owned(path):
        return None
    names = sorted(child.name for child in path.iterdir())
    shown = ", ".join(repr(name) for name in names[:SHOWN_FILES])
    more = f" and {len(names) - SHOWN_FILES} more" if len(names) > SHOWN_FILES else ""
    return output.problem(
        f"holds files this generator did not write, which a build would delete: {shown}{more} "
        f"(it has no {OWNER_MARK} that is a plain file); name a new or empty folder, or empty this one"
    )


SHOWN_FILES = 5
"""Files named when a folder is refused: enough to recognise it, never a screenful."""


def is_owned(folder: Path) -> bool:
    """An empty folder, or one marked by an earlier build. Nothing else is ours: a folder that merely
    looks like a site (a data/values.json, a .nav.json) may hold a user's files beside it."""
    if not any(folder.iterdir()):
        return True
    mark_file = folder / OWNER_MARK
    return mark_file.is_file() and not mark_file.is_symlink()


def require_owned(folder: Path) -> None:
    """Refuse to write into `folder` unless the generator owns it (a last check before deleting)."""
    problem = ownership_problem(OutputFolder("output folder", folder, folder))
    if problem is not None:
        raise ConfigError([problem])


FileStamp = tuple[int, int, int]
"""A file's inode, size and modification time (ns): the same stamp a moment later, the same bytes."""


def file_stamp(info: os.stat_result) -> FileStamp:
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def tree_entries(root: Path) -> Iterator[tuple[os.DirEntry[str], str]]:
    """Every file, folder and link under `root` with its path from there (POSIX), without following
    links; a folder that cannot be read is skipped. (Path objects for 25,000 files of a site of 1,000
    studies took seconds.)"""
    pending = [(os.fspath(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError:
            continue
        for entry in entries:
            name = prefix + entry.name
            yield entry, name
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, name + "/"))


def mark(folder: Path) -> None:
    (folder / OWNER_MARK).write_text(MARK_TEXT, encoding="utf-8")


@contextlib.contextmanager
def staging_folder(site_dir: Path) -> Iterator[Path]:
    """A fresh folder beside the site to build in, locked while this build lives and removed after.

    Folders of earlier builds that were killed are removed first: a live build holds its lock.
    """
    parent = site_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(parent, site_dir.name)
    folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
    try:
        with held_lock(folder / STAGING_LOCK):
            yield folder
            os.utime(folder / STAGING_LOCK)  # fresh (see FRESH_SECONDS) while it is removed below
    finally:
        _remove(folder)  # once the lock is let go: Windows deletes no file that is open


@contextlib.contextmanager
def held_lock(path: Path) -> Iterator[None]:
    """The exclusive lock of the file `path` (made if missing), held until the block ends."""
    with path.open("ab") as handle:
        take_lock(handle, wait=True)
        try:
            yield
        finally:
            release_lock(handle)


def take_lock(handle: IO[Any], *, wait: bool) -> bool:
    """Take the exclusive lock of the open file `handle`, waiting for it; without `wait`, False at once
    when another holds it. The lock is the open file's: the system lets it go when the process ends,
    however it ends. flock where there is one (POSIX), else msvcrt's lock of the file's first byte."""
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True
    msvcrt = _msvcrt()
    handle.seek(0)  # msvcrt locks from the file's position; a byte past its end may be locked
    try:
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
    except OSError:
        if wait:
            raise
        return False
    return True


def release_lock(handle: IO[Any]) -> None:
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return
    msvcrt = _msvcrt()
    handle.seek(0)
    msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)


def _msvcrt() -> Any:
    """Windows' C runtime module (imported by name: its functions exist on Windows only)."""
    return importlib.import_module("msvcrt")


FRESH_SECONDS = 10
"""A staging folder this young is left alone: its build may be taking its lock at this moment."""
STAGING_CONTENTS = frozenset({STAGING_LOCK, "docs", "site", "previous"})
"""What a staging folder of this generator holds, and nothing else."""


def remove_stale_staging(parent: Path, site_name: str) -> None:
    """Remove staging folders of killed builds, and the previous site an older version kept beside
    the site; only folders that are provably this generator's are touched."""
    for folder in sorted(parent.glob(f"{STAGING_PREFIX}*")):
        if _is_our_staging(folder) and _is_stale(folder):
            _remove(folder)
    legacy = parent / f".{site_name}.previous"
    if legacy.is_dir() and not legacy.is_symlink() and is_owned(legacy) and any(legacy.iterdir()):
        _remove(legacy)


def _is_our_staging(folder: Path) -> bool:
    """A real folder holding our lock file and nothing but what a build puts there."""
    if not folder.is_dir() or folder.is_symlink() or not (folder / STAGING_LOCK).is_file():
        return False
    return {child.name for child in folder.iterdir()} <= STAGING_CONTENTS


def _is_stale(folder: Path) -> bool:
    """No live build holds the folder's lock (and it is not one that a build has just created)."""
    lock = folder / STAGING_LOCK
    try:
        if time.time() - lock.stat().st_mtime < FRESH_SECONDS:
            return False
        handle = lock.open("rb+")  # never made again: a folder being removed is left to its remover
    except OSError:  # gone, or not ours to open: left alone
        return False
    with handle:
        if not take_lock(handle, wait=False):
            return False
        release_lock(handle)
    return True


def _remove(folder: Path) -> None:
    """Remove a folder of ours; what cannot be removed is said, and the next build tries again. What
    is gone already (another build removing the same leftover) is no failure."""
    failures: list[str] = []

    def failed(_function: object, path: str, exc: tuple) -> None:
        if not isinstance(exc[1], FileNotFoundError):
            failures.append(f"{path}: {exc[1]}")

    rmtree(folder, onerror=failed)
    if failures:
        log.warning(
            "Could not remove %s (%s); the next build tries again, or remove it by hand",
            folder,
            failures[0],
        )


def replace_folder(new: Path, target: Path, staging: Path) -> None:
    """Swap `new` in for `target` with two renames, so a reader never sees a half-written site.

    The previous `target` moves into the staging folder, which is removed afterwards; if the second
    rename fails, the previous one is put back.
    """
    if target.exists():
        require_owned(target)
    previous = staging / "previous"
    if target.exists():
        target.rename(previous)
    try:
        new.rename(target)
    except OSError:
        if previous.exists():
            previous.rename(target)
        raise


def write_file_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `path` through a new temporary file beside it (created afresh, never through a link),
    then rename it into place: a reader finds the old file or the new one, never half of one.
    `mode`: its permissions (0o600: the user's alone, from the moment it exists)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
