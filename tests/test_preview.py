"""Live preview: a real server; an edit shows after one dirty rebuild; a bad edit keeps the good pages."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

from generator.build import generate, open_project
from generator.preview import _merge_search_index
from generator.write import write_tree
from tests.conftest import ROOT, STUDY, copy_project, edit

BANNER = 'class="admonition failure ev-preview-problems"'
"""The notice on every page while the last edit is bad."""


def wait_until(check, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()
    except (urllib.error.URLError, OSError):
        return ""


class Preview:
    """`python -m generator preview` on a project, its log read from a given point on."""

    def __init__(self, project: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self.mark = 0
        # a pytest-xdist worker ignores SIGINT, and a child started with it ignored never installs
        # Python's Ctrl-C handler: the preview would not stop on Ctrl-C, as it does from a terminal
        inherited = signal.signal(signal.SIGINT, signal.SIG_DFL)
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "generator", "preview", "--dev-addr", f"127.0.0.1:{self.port}"],
                cwd=project,
                env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        signal.signal(signal.SIGINT, inherited)

    def since_mark(self) -> str:
        return self.log.read_text(errors="replace")[self.mark :]

    def set_mark(self) -> None:
        self.mark = len(self.log.read_text(errors="replace"))

    def settled(self, quiet: float = 2.0) -> str:
        """The log since the mark once no build runs and nothing was logged for `quiet` seconds."""
        size, since = -1, time.monotonic()
        while True:
            text = self.since_mark()
            if len(text) != size:
                size, since = len(text), time.monotonic()
            elif time.monotonic() - since > quiet and (
                text.count("Building documentation") == text.count("Documentation built")
            ):
                return text
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)

    def stop(self) -> int:
        """Ctrl-C, as a person stops the preview. Should the first go unanswered, the test warns and a
        second must stop it; should that too, the threads' stacks are dumped into the log (faulthandler,
        on SIGABRT) and the test fails with them. (They showed a preview started with SIGINT ignored.)"""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack
            self.process.wait(timeout=30)
            stacks = self.log.read_text()[-6000:]
            raise AssertionError(f"two Ctrl-C did not stop the preview:\n{stacks}") from None
        log_end = self.log.read_text()[-3000:]
        warnings.warn(f"the preview needed a second Ctrl-C to stop; its log ends:\n{log_end}", stacklevel=2)
        return code


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """Two studies: one edited, and another whose pages a rebuild must leave alone or build again."""
    return copy_project(tmp_path, [STUDY, "kantarjian-2017"])


def test_preview_rebuilds_once_per_burst_only_the_changed_pages_and_keeps_them_on_a_bad_edit(
    project_copy, study_dir, tmp_path
):
    preview = Preview(project_copy, tmp_path / "preview.log")
    efficacy = f"{preview.url}studies/{study_dir.name}/efficacy/"
    try:
        assert wait_until(lambda: "Complete response (CR)" in fetch(efficacy), 120), preview.log.read_text()
        site = Path(re.search(r"Serving the site built in (\S+)", preview.log.read_text())[1])
        design = site / "studies" / study_dir.name / "design" / "index.html"
        other = next(
            p for p in (site / "studies").glob("*/design/index.html") if study_dir.name not in str(p)
        )
        design_built, other_built = design.stat().st_mtime_ns, other.stat().st_mtime_ns
        pages = len(json.loads(fetch(preview.url + "search/search_index.json"))["docs"])
        digits = "9" * 5000
        for hostile in ("%00", "studies/%00/", "%00.html", "a%00b/index.html", f"livereload/{digits}/1"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(preview.url + hostile, timeout=10)
            assert refused.value.code == 404, hostile
        assert "Traceback" not in preview.log.read_text(), "a NUL in a path logged a traceback"

        # a burst of saves: one regeneration's worth of pages, one mkdocs build, of the changed pages
        time.sleep(1)
        preview.set_mark()
        responses = study_dir / "responses.csv"
        edit(responses, "Complete response (CR),", "Complete remission (CR),")
        for name in ("study.yml", "survival.csv", "responses.csv"):
            (study_dir / name).write_bytes((study_dir / name).read_bytes())
        assert wait_until(lambda: "Complete remission (CR)" in fetch(efficacy)), preview.since_mark()
        log = preview.settled()
        assert log.count("Building documentation") == 1, log
        assert "Building documentation (the changed pages only)" in log
        assert "Regenerated" in log and "dirty" not in log
        assert (design.stat().st_mtime_ns, other.stat().st_mtime_ns) == (design_built, other_built)
        index = json.loads(fetch(preview.url + "search/search_index.json"))["docs"]
        assert len(index) == pages  # the other pages are still found by the search
        assert "Complete remission (CR)" in json.dumps(index)

        # a bad edit: the located error in the log, and on every page served over the last good pages
        preview.set_mark()
        edit(responses, ",17,90,19,", ",17,90,-19,")
        located = f"studies/{study_dir.name}/responses.csv, line 2, field 'percent'"
        assert wait_until(lambda: BANNER in fetch(efficacy)), preview.since_mark()
        log = preview.settled()
        assert located in log and "The last good pages are still served." in log
        page = html.unescape(fetch(efficacy))
        assert "Complete remission (CR)" in page and located in page
        assert BANNER in fetch(preview.url) and BANNER in fetch(f"{preview.url}studies/")

        # fixed, with a new title in the navigation, which every page shows: every page is built
        preview.set_mark()
        edit(responses, ",17,90,-19,", ",17,90,19,")
        edit(study_dir / "study.yml", "short_title: ", "short_title: Retitled ")
        assert wait_until(lambda: "Retitled" in fetch(efficacy)), preview.since_mark()
        log = preview.settled()
        assert log.count("Building documentation") == 1 and "Building documentation (every page)" in log
        assert BANNER not in fetch(efficacy) and BANNER not in fetch(preview.url)
        assert other.stat().st_mtime_ns > other_built  # another study's page, its Markdown unchanged

        # an edit to the theme's overrides (no page's Markdown changes): every page is built with it
        preview.set_mark()
        footer = project_copy / "templates" / "overrides" / "partials" / "footer.html"
        edit(footer, '<footer class="md-footer">', '<footer class="md-footer" data-edited="yes">')
        assert wait_until(lambda: 'data-edited="yes"' in fetch(efficacy)), preview.since_mark()
        assert "Building documentation (every page)" in preview.settled()
    finally:
        code = preview.stop()
    assert code == 0, preview.log.read_text()
    assert not site.exists()  # the temporary site is removed


def test_unchanged_files_are_not_rewritten(project_copy, tmp_path):
    project = open_project(project_copy, docs_dir=tmp_path / "docs")
    files = generate(project)
    assert len(write_tree(files, project.docs_dir)) == len(files)
    assert write_tree(files, project.docs_dir) == []


@pytest.mark.parametrize("rebuilt", [["b/"], ["b/", "c/"], []])
def test_a_dirty_build_keeps_the_search_entries_of_the_pages_it_did_not_build(tmp_path, rebuilt):
    def entries(page: str, text: str) -> list[dict]:
        return [{"location": page, "text": text}, {"location": f"{page}#part", "text": text}]

    before = {"config": {}, "docs": entries("", "old") + entries("b/", "old") + entries("c/", "old")}
    index = tmp_path / "search_index.json"
    index.write_text(
        json.dumps({"config": {"x": 1}, "docs": [e for p in rebuilt for e in entries(p, "new")]})
    )
    _merge_search_index(index, before)
    merged = json.loads(index.read_text())
    assert merged["config"] == {"x": 1}
    assert merged["docs"] == [
        e for p in ("", "b/", "c/") for e in entries(p, "new" if p in rebuilt else "old")
    ]


@pytest.mark.browser
def test_a_placeholder_or_a_bad_edit_shows_in_the_browser_until_it_is_fixed(browser, tmp_path):
    """The preview of a new project: an edit that puts back a REPLACE placeholder shows a banner on
    the page in the browser, naming the file, line and field; fixed, the banner goes."""
    from generator.cli import main

    project = tmp_path / "mysite"
    assert main(["init", "-q", str(project)]) == 0
    study = project / "content" / "studies" / "example" / "study.yml"
    preview = Preview(project, tmp_path / "preview.log")
    page = browser.new_page()
    try:
        assert wait_until(lambda: "Example study" in fetch(preview.url), 120), preview.log.read_text()
        page.goto(preview.url)
        banner = page.locator("div.ev-preview-problems[role='alert']")
        assert banner.count() == 0
        text = study.read_text()
        title = re.search(r'^short_title: "([^"]+)"', text, re.M)[1]
        study.write_text(text.replace(f'short_title: "{title}"', 'short_title: "REPLACE with a short title"'))
        banner.wait_for(timeout=60_000)  # live reload: the page reloads with the notice
        shown = banner.inner_text()
        assert "content/studies/example/study.yml" in shown and "short_title" in shown, shown
        assert "REPLACE" in shown
        study.write_text(text)
        banner.wait_for(state="detached", timeout=60_000)
        # the banner goes as the page reloads: wait for the reloaded page's body, not its head
        page.locator("body").get_by_text(title).first.wait_for(timeout=60_000)
        assert banner.count() == 0
    finally:
        page.close()
        preview.stop()


def test_watching_the_generated_pages_is_refused_before_anything_is_built(project_copy, capsys):
    from generator.cli import main

    for watched in (".", "build", "build/docs"):
        assert main(["preview", "--project", str(project_copy), "--watch", str(project_copy / watched)]) == 1
        error = capsys.readouterr().err
        assert "field '--watch'" in error and "holds the generated pages" in error
    assert not (project_copy / "build").exists()


def test_a_dirty_build_of_a_site_searched_with_pagefind_keeps_every_page_in_its_index(
    project_copy, study_dir, tmp_path
):
    """The chunked index is made again from the merged search index, not from the rebuilt pages only."""
    edit(project_copy / "site_config.yml", "  engine: auto ", "  engine: pagefind ")
    preview = Preview(project_copy, tmp_path / "preview.log")
    efficacy = f"{preview.url}studies/{study_dir.name}/efficacy/"

    def indexed_pages() -> int:
        """The records in the served chunked index (0 while it is being replaced): one a study,
        one each other page."""
        try:
            entry = json.loads(fetch(preview.url + "pagefind/pagefind-entry.json"))
        except ValueError:
            return 0
        return entry["languages"]["en"]["page_count"]

    try:
        assert wait_until(lambda: "Complete response (CR)" in fetch(efficacy), 120), preview.log.read_text()
        pages = indexed_pages()
        assert pages > 5, "the studies and the site's own pages"
        preview.set_mark()
        edit(study_dir / "responses.csv", "Complete response (CR),", "Complete remission (CR),")
        assert wait_until(lambda: "Complete remission (CR)" in fetch(efficacy)), preview.since_mark()
        assert "Building documentation (the changed pages only)" in preview.settled()
        # made again after the dirty build, from the merged index: every record, not the rebuilt ones'
        assert wait_until(lambda: indexed_pages() == pages, 30), indexed_pages()
    finally:
        assert preview.stop() == 0, preview.log.read_text()
