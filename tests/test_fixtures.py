"""Small fixture studies of different shapes: each loads, computes, audits and renders to the golden
Markdown kept in tests/fixtures/golden/ (UPDATE_GOLDEN=1 rewrites it and fails: see tests/golden.py),
and all of them build together into a site with the real mkdocs (strict)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from generator.build import build_site, generate, open_project
from tests.conftest import copy_project
from tests.golden import assert_golden

FIXTURES = Path(__file__).parent / "fixtures"
SHAPES = sorted(p.name for p in (FIXTURES / "studies").iterdir() if p.is_dir())


def project_with(tmp_path: Path, shapes: list[str]) -> Path:
    root = copy_project(tmp_path)
    shutil.rmtree(root / "content" / "studies")
    for shape in shapes:
        shutil.copytree(FIXTURES / "studies" / shape, root / "content" / "studies" / shape)
    return root


@pytest.mark.parametrize("shape", SHAPES)
def test_a_study_of_each_shape_renders_its_golden_pages(tmp_path, monkeypatch, shape):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    files = generate(open_project(project_with(tmp_path, [shape])))
    pages = {
        name: data
        for name, data in files.items()
        if name.startswith(f"studies/{shape}/") and name.endswith(".md")
    }
    assert_golden({Path(name).name: data for name, data in pages.items()}, FIXTURES / "golden" / shape)


def test_every_shape_builds_together_with_mkdocs_strict(tmp_path):
    root = project_with(tmp_path, SHAPES)
    build_site(open_project(root))
    for shape in SHAPES:
        assert (root / "site" / "studies" / shape / "index.html").is_file()
        assert (root / "site" / "studies" / shape / "source" / "index.html").is_file()


def test_every_shape_is_read_back_from_the_build_cache(tmp_path, caplog):
    """A second build takes every study of every shape from the cache: none discarded as malformed
    (an interval open at one end, "8.1 to not reached", once was, so its study was built every time)."""
    project = open_project(project_with(tmp_path, SHAPES))
    first = generate(project)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="generator"):
        again = generate(project)
    assert again == first
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(f"{len(SHAPES)} from the cache" in r.getMessage() for r in caplog.records)
