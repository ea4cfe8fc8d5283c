"""The one writer of the generated docs folder: deterministic, inside the folder, changed files only."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from generator.errors import BuildError
from generator.outputs import OWNER_MARK, FileStamp, file_stamp, mark, require_owned, tree_entries


def write_tree(
    files: dict[str, bytes], root: Path, known: Mapping[str, FileStamp] | None = None
) -> list[str]:
    """Make `root` hold exactly `files` (and the generator's mark); rewrite only changed files.

    Returns the relative paths written. A folder the generator does not own is refused before
    anything in it changes, and so are paths that would land outside `root`. `known`: the stamps of
    files of `root` found earlier in this build to hold their bytes (`incremental.stage_docs`); one
    that still has its stamp is not read again.
    """
    targets = planned_targets(files, root)
    root.mkdir(parents=True, exist_ok=True)
    mark(root)
    written, folders = [], {root}
    for relative, target in targets.items():
        stamp = known.get(relative) if known else None
        if stamp is not None and _stamped(target, stamp):
            continue
        if target.is_file() and target.read_bytes() == files[relative]:
            continue
        if target.parent not in folders:  # each folder made once, not once per file
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_bytes(files[relative])
        written.append(relative)
    _remove_stale(root, {*files, OWNER_MARK})
    return written


def _stamped(path: Path, stamp: FileStamp) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and file_stamp(info) == stamp


def planned_targets(files: dict[str, bytes], root: Path) -> dict[str, Path]:
    """Where each file will be written; a BuildError, before anything is written, for a file that a
    link in `root` would send outside it, and a ConfigError for a folder the generator does not own."""
    if root.exists():
        require_owned(root)
    resolved_root = root.resolve()
    # each folder resolved and checked once: thousands of pages share a few hundred
    folders: dict[str, tuple[Path, bool]] = {}
    targets = {}
    for relative in sorted(files):
        parent, _, name = relative.rpartition("/")
        path = os.path.join(root, relative)
        if name in ("", ".", "..") or os.path.islink(path):  # resolved whole
            target = Path(path).resolve()
            inside = target.is_relative_to(resolved_root) and target != resolved_root
        else:
            if parent not in folders:
                folder = (root / parent).resolve()
                folders[parent] = (folder, folder.is_relative_to(resolved_root))
            folder, inside = folders[parent]
            target = folder / name
        if not inside or relative == OWNER_MARK:
            raise BuildError(
                f"{root / relative} would be written outside {root} (a link in it leads to {target}); "
                f"remove the link from {root}, a folder the generator writes"
            )
        targets[relative] = target
    return targets


def _remove_stale(root: Path, keep: set[str]) -> None:
    """Remove every file (or link) under `root` not in `keep`, then every folder left empty."""
    folders = []
    for entry, relative in tree_entries(root):
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry.path)
        elif relative not in keep:
            os.unlink(entry.path)
    for folder in sorted(folders, reverse=True):  # the deepest first
        with os.scandir(folder) as found:
            empty = next(found, None) is None
        if empty:
            os.rmdir(folder)
