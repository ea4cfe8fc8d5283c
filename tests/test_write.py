"""The writer of the generated pages folder: exactly the files given, only the changed ones rewritten,
nothing written or removed outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.outputs import OWNER_MARK, file_stamp
from generator.write import planned_targets, write_tree

FILES = {
    "index.md": b"# Home\n",
    "studies/a/index.md": b"# A\n",
    "studies/a/data/a.csv": b"x\n1\n",
    "studies/b/index.md": b"# B\n",
}


def test_the_folder_holds_exactly_the_files_and_only_changed_ones_are_written(tmp_path):
    root = tmp_path / "docs"
    assert sorted(write_tree(FILES, root)) == sorted(FILES)
    unchanged = (root / "studies/a/index.md").stat().st_mtime_ns
    os.utime(root / "studies/a/index.md", ns=(1, 1))
    changed = {**FILES, "index.md": b"# Home, edited\n"}
    del changed["studies/b/index.md"]
    assert write_tree(changed, root) == ["index.md"]
    assert (root / "studies/a/index.md").stat().st_mtime_ns == 1 != unchanged, "not written again"
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert found == {*changed, OWNER_MARK}
    assert not (root / "studies/b").exists(), "a folder left empty is removed"
    assert (root / "index.md").read_bytes() == b"# Home, edited\n"


def test_a_stale_link_is_removed_and_what_it_leads_to_is_kept(tmp_path):
    root, outside = tmp_path / "docs", tmp_path / "mine"
    outside.mkdir()
    (outside / "notes.md").write_text("mine")
    write_tree(FILES, root)
    (root / "studies/a/notes.md").symlink_to(outside / "notes.md")
    (root / "studies/mine").symlink_to(outside, target_is_directory=True)
    write_tree(FILES, root)
    assert not os.path.lexists(root / "studies/a/notes.md")
    assert not os.path.lexists(root / "studies/mine")
    assert (outside / "notes.md").read_text() == "mine"


@pytest.mark.parametrize("link", ["studies", "studies/a/index.md"])
def test_a_link_that_would_send_a_file_outside_is_refused_before_anything_is_written(tmp_path, link):
    root, outside = tmp_path / "docs", tmp_path / "mine"
    write_tree(FILES, root)
    outside.mkdir()
    (outside / "index.md").write_text("mine")
    (outside / "a").mkdir()
    (outside / "a" / "index.md").write_text("mine")
    target = root / link
    if target.is_dir():
        os.rename(target, tmp_path / "moved")
        target.symlink_to(outside, target_is_directory=True)
    else:
        target.unlink()
        target.symlink_to(outside / "index.md")
    edited = {name: data + b"edited\n" for name, data in FILES.items()}
    with pytest.raises(BuildError, match="would be written outside"):
        write_tree(edited, root)
    assert (root / "index.md").read_bytes() == FILES["index.md"], "nothing written"
    assert {p.read_text() for p in outside.rglob("*.md")} == {"mine"}


@pytest.mark.parametrize("name", ["../outside.md", "studies/../../outside.md", OWNER_MARK])
def test_a_name_that_leaves_the_folder_or_is_its_mark_is_refused(tmp_path, name):
    with pytest.raises(BuildError, match="would be written outside"):
        planned_targets({name: b"x"}, tmp_path / "docs")
    assert not (tmp_path / "outside.md").exists()


def test_a_file_found_to_hold_its_bytes_is_not_read_again_unless_its_stamp_changed(tmp_path, monkeypatch):
    """A partial build compares the pages folder once (`incremental.stage_docs`); its final write
    reads again only a file whose inode, size or time changed since."""
    root = tmp_path / "docs"
    write_tree({"a.md": b"A", "b.md": b"B", "c.md": b"C"}, root)
    known = {name: file_stamp(os.stat(root / name)) for name in ("a.md", "b.md", "c.md")}
    (root / "b.md").write_bytes(b"X")  # changed since (the same size: the time tells)
    os.utime(root / "b.md", ns=(1, 1))
    (root / "c.md").unlink()
    (root / "c.md").write_bytes(b"YY")  # replaced by another file
    reads: list[str] = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or original(self))
    written = write_tree({"a.md": b"A", "b.md": b"B", "c.md": b"C"}, root, known)
    assert sorted(reads) == ["b.md", "c.md"] and sorted(written) == ["b.md", "c.md"]
    assert [(root / n).read_bytes() for n in ("a.md", "b.md", "c.md")] == [b"A", b"B", b"C"]
