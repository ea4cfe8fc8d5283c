"""Golden files: generated output compared byte for byte with the files kept in tests/fixtures/golden/.

With UPDATE_GOLDEN=1 set, output that differs from its golden files is written over them and the
test fails, naming the files: a golden test never passes by rewriting its own expectation in the
same run. Review the rewrite with `git diff tests/fixtures/golden`, then run again without it.
Output that already matches passes either way."""

from __future__ import annotations

import difflib
import itertools
import os
import shutil
from pathlib import Path

import pytest

UPDATE = "UPDATE_GOLDEN"
MAX_DIFF_LINES = 200
"""The most lines of one file's diff shown in a failure."""


def golden_files(folder: Path) -> dict[str, bytes]:
    """Every file kept under `folder`, by its path relative to it."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_golden(actual: dict[str, bytes], folder: Path) -> None:
    """`actual` (file path relative to `folder` -> bytes) is exactly the golden files under `folder`:
    the same names, the same bytes. With UPDATE_GOLDEN set, a difference rewrites the folder (files no
    longer generated are removed) and fails the test."""
    expected = golden_files(folder)
    if actual == expected:
        return
    if os.environ.get(UPDATE):
        shutil.rmtree(folder, ignore_errors=True)
        for name, data in actual.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        rewritten = sorted(
            name for name in actual.keys() | expected.keys() if actual.get(name) != expected.get(name)
        )
        pytest.fail(
            f"golden files rewritten in {folder}: {', '.join(rewritten)}. Review "
            f"`git diff tests/fixtures/golden`, then rerun without {UPDATE}",
            pytrace=False,
        )
    problems = [f"generated, with no golden file: {name}" for name in sorted(actual.keys() - expected.keys())]
    problems += [f"golden, no longer generated: {name}" for name in sorted(expected.keys() - actual.keys())]
    for name in sorted(actual.keys() & expected.keys()):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(),
                actual[name].decode(errors="replace").splitlines(),
                f"golden/{name}",
                f"generated/{name}",
                lineterm="",
            )
            shown = "\n".join(itertools.islice(diff, MAX_DIFF_LINES))
            problems.append(shown or f"{name}: differs in its line endings or bytes only")
    pytest.fail(
        f"generated output differs from the golden files in {folder} (for a deliberate change, run with "
        f"{UPDATE}=1 and review the diff):\n" + "\n".join(problems),
        pytrace=False,
    )
