"""The one writer of the generated docs folder: deterministic, inside the folder, changed files only."""

from __future__ import annotations

from pathlib import Path

from generator.errors import BuildError
from generator.outputs import OWNER_MARK, mark, require_owned


def write_tree(files: dict[str, bytes], root: Path) -> list[str]:
    """Make `root` hold exactly `files` (and the generator's mark); rewrite only changed files.

    Returns the relative paths written. A folder the generator does not own is refused before
    anything in it changes, and so are paths that would land outside `root`.
    """
    targets = planned_targets(files, root)
    root.mkdir(parents=True, exist_ok=True)
    mark(root)
    written, folders = [], {root}
    for relative, target in targets.items():
        if target.is_file() and target.read_bytes() == files[relative]:
            continue
        if target.parent not in folders:  # each folder made once, not once per file
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_bytes(files[relative])
        written.append(relative)
    _remove_stale(root, {*files, OWNER_MARK})
    return written


def planned_targets(files: dict[str, bytes], root: Path) -> dict[str, Path]:
    """Where each file will be written; a BuildError, before anything is written, for a file that a
    link in `root` would send outside it, and a ConfigError for a folder the generator does not own."""
    if root.exists():
        require_owned(root)
    resolved_root = root.resolve()
    folders: dict[Path, Path] = {}  # each folder resolved once: thousands of pages share a few hundred
    targets = {relative: _resolved(root / relative, folders) for relative in sorted(files)}
    for relative, target in targets.items():
        if not target.is_relative_to(resolved_root) or target == resolved_root or relative == OWNER_MARK:
            raise BuildError(
                f"{root / relative} would be written outside {root} (a link in it leads to {target}); "
                f"remove the link from {root}, a folder the generator writes"
            )
    return targets


def _resolved(path: Path, folders: dict[Path, Path]) -> Path:
    """`path.resolve()`, its folder taken from `folders` when resolved already in this plan; a file
    that is itself a link, or a name such as "..", resolved whole."""
    if path.name in ("", ".", "..") or path.is_symlink():
        return path.resolve()
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = path.parent.resolve()
    return folder / path.name


def _remove_stale(root: Path, keep: set[str]) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        relative = path.relative_to(root).as_posix()
        if (path.is_file() or path.is_symlink()) and relative not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
