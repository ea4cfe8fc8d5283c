"""Live preview: a real file change regenerates the pages; a bad edit keeps the last good ones."""

import time
from pathlib import Path

from generator.build import generate, open_project
from generator.preview import watch
from generator.write import write_tree


def wait_until(check, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_watcher_regenerates_on_a_real_change_and_keeps_pages_on_a_bad_one(
    project_copy, study_dir, tmp_path, caplog
):
    project = open_project(project_copy, docs_dir=tmp_path / "docs")
    write_tree(generate(project), project.docs_dir)
    efficacy: Path = project.docs_dir / "studies" / study_dir.name / "efficacy.md"
    responses = study_dir / "responses.csv"
    observer = watch(project)
    try:
        responses.write_text(
            responses.read_text().replace("Complete response (CR),", "Complete remission (CR),")
        )
        assert wait_until(lambda: "Complete remission (CR)" in efficacy.read_text())
        good = efficacy.read_bytes()
        responses.write_text(responses.read_text().replace(",17,90,19,", ",17,90,-19,"))
        assert wait_until(lambda: "responses.csv, line 2, field 'percent'" in caplog.text)
        assert "The last good pages are still served." in caplog.text
        assert efficacy.read_bytes() == good
    finally:
        observer.stop()
        observer.join()


def test_unchanged_files_are_not_rewritten(project_copy, tmp_path):
    project = open_project(project_copy, docs_dir=tmp_path / "docs")
    files = generate(project)
    assert len(write_tree(files, project.docs_dir)) == len(files)
    assert write_tree(files, project.docs_dir) == []
