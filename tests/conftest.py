"""Shared fixtures: the real project, a throw-away copy of it, and one real build of the site."""

from __future__ import annotations

import fcntl
import importlib
import os
import shutil
import subprocess
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from generator.build import build_site, open_project

ROOT = Path(__file__).resolve().parent.parent
STUDY = "kantarjian-2013"


IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
"""Running in CI (CI set, as GitHub Actions and most CI services set it): a missing tool fails there."""


def needed(module: str) -> ModuleType:
    """Import a tool the tests need. Missing, it skips the tests here, but fails them in CI, where
    `make test` installed it: a browser stack that is missing must never pass as skipped tests."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = f"{module} is not installed ({exc}); `make test` installs it"
        if IN_CI:
            pytest.fail(f"{message}. In CI (CI={os.environ['CI']}) a missing tool fails", pytrace=False)
        pytest.skip(message, allow_module_level=True)


def _failed_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """In CI, a skip (a tool missing, say) fails the test: there every test must run."""
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (CI={os.environ['CI']}), where every test must run: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _failed_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    _failed_in_ci(report)
    return report


FIRST = "tour"
"""Tests that use this fixture run first. Each width's tour is made once, by one worker, in about a
minute; at the front of the first worker's queue, the tours are made before the other worker could
steal their tests (pytest-xdist's worksteal takes from the end of a queue) and sit waiting on them."""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: FIRST not in getattr(item, "fixturenames", ()))  # stable: order kept


def left_out(studies: Iterable[str] | None = None) -> Callable[[str, list[str]], set[str]]:
    """What a copy of the project's folders leaves out (for shutil.copytree's `ignore`): caches, and
    with `studies`, every study folder of the real content but those."""
    keep = None if studies is None else set(studies)

    def ignored(folder: str, names: list[str]) -> set[str]:
        out = {"__pycache__"} & set(names)
        if keep is not None and Path(folder) == ROOT / "content" / "studies":
            assert keep <= set(names), f"no such studies: {keep - set(names)}"
            out |= set(names) - keep
        return out

    return ignored


def copy_project(destination: Path, studies: Iterable[str] | None = None) -> Path:
    """The project's inputs (content, templates, settings, mkdocs.yml and its hook) copied to break;
    with `studies`, holding those studies only (a smaller project, for a test no other study serves)."""
    for name in ("content", "templates", "generator"):
        shutil.copytree(ROOT / name, destination / name, ignore=left_out(studies))
    for name in ("site_config.yml", "mkdocs.yml"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a file, failing loudly if the fixture text is not there."""
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


@pytest.fixture
def one_study_copy(tmp_path: Path) -> Path:
    """A copy holding only STUDY (and the shared vocabulary), for a test that breaks or builds that
    study and proves nothing more with the other studies: a third of the loading, analysis and pages."""
    return copy_project(tmp_path, [STUDY])


@pytest.fixture
def study_dir(project_copy: Path) -> Path:
    return project_copy / "content" / "studies" / STUDY


@dataclass(frozen=True)
class KeptProject:
    """A project as it was once built (or generated), kept to be put back for each test that changes
    it. Put back where it was made, not copied elsewhere: a cache entry's key names the project's
    place, so a copy elsewhere would build every study again. Copying costs a fraction of a build."""

    root: Path
    pristine: Path

    @classmethod
    def of(cls, root: Path) -> KeptProject:
        """Keep `root` as it is now, in a copy beside it."""
        pristine = root.with_name(root.name + "-pristine")
        shutil.copytree(root, pristine, symlinks=True)
        return cls(root, pristine)

    def restored(self) -> Path:
        """The project put back as it was kept (whatever a test did to it)."""
        shutil.rmtree(self.root)
        shutil.copytree(self.pristine, self.root, symlinks=True)
        return self.root


CommandLine = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def command_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CommandLine:
    """Run the command line's own main() in this process (no second of imports for each case), given
    its arguments and `env`, variables set for the run: its exit code and what it printed, as a
    subprocess would give them. EVIDENCE_SITE_URL is unset unless `env` sets it."""
    from generator.cli import main
    from generator.publish import SITE_URL_ENV

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        with monkeypatch.context() as patch:
            patch.delenv(SITE_URL_ENV, raising=False)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            capsys.readouterr()
            code = main(list(args))
            out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder `make` fills once for the whole run, for tests that only read it. With parallel
    workers (pytest-xdist), the first worker to ask makes it in the folder of the run they share,
    while the others wait on its lock, then read it; a failed `make` leaves it to the next to try."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    run = tmp_path_factory.getbasetemp().parent  # this run's, beside each worker's own
    folder, done = run / name, run / f"{name}.done"
    with (run / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once from the real content by the real mkdocs (strict): `site` and the
    Markdown of its pages in `docs`. Built once for the run, and shared by the workers: read, never change."""

    def build(out: Path) -> None:
        build_site(open_project(ROOT, site_dir=out / "site", docs_dir=out / "docs"))

    return made_once(tmp_path_factory, "built-site", build)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (its own browser download cannot work here)."""
    from tests.sitebrowser import CHROMIUM, CHROMIUM_ARGS

    playwright_api = needed("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
