"""The one writer of the generated docs folder: deterministic, inside the folder, changed files only."""

from __future__ import annotations

from pathlib import Path


def write_tree(files: dict[str, bytes], root: Path) -> list[str]:
    """Make `root` hold exactly `files`; rewrite only those whose bytes changed.

    Returns the relative paths written. Paths that would land outside `root` are refused.
    """
    root.mkdir(parents=True, exist_ok=True)
    resolved_root = root.resolve()
    written = []
    for relative in sorted(files):
        target = (root / relative).resolve()
        if not target.is_relative_to(resolved_root) or target == resolved_root:
            raise ValueError(f"refusing to write {relative!r}: outside {root}")
        if target.is_file() and target.read_bytes() == files[relative]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative])
        written.append(relative)
    _remove_stale(root, set(files))
    return written


def _remove_stale(root: Path, keep: set[str]) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
