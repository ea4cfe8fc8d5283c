"""Live preview: mkdocs' live-reload server in front of the generator, one rebuild for each burst of edits.

The server watches the generator's inputs (content/, templates/, site_config.yml and mkdocs.yml), not
the generated pages. Its build loop waits for a burst of changes to settle (no change for 0.1 s after
a poll of the files), then runs one rebuild: the generator rewrites the Markdown that changed (changed
files only), then mkdocs builds once. That build is dirty, re-rendering only the pages whose Markdown
changed, unless what every page shows may have changed (the navigation, the set of files, mkdocs.yml or
the theme's overrides in its custom_dir):
then every page is built. The generator's writes are not watched, so they cannot start a second build.
On a bad edit the located error is logged, nothing is built, and the last good pages stay served.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.livereload import LiveReloadServer

from generator.build import SITE_CONFIG, Project, generate, open_project
from generator.chunked_search import BUNDLE, write_bundle
from generator.errors import BuildError, ConfigError, GeneratorError, Problem
from generator.mkdocs_hooks import NAV_FILE, PROBLEMS_FILE, merged_search_docs
from generator.previous import read_manifest
from generator.write import write_tree

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

log = logging.getLogger("generator")

SEARCH_INDEX = Path("search", "search_index.json")
DIRTY_WARNING = (
    "A 'dirty' build is being performed"  # mkdocs' warning; the preview builds in full when needed
)

_one_at_a_time = threading.Lock()


def regenerate(project: Project) -> list[str] | None:
    """Regenerate the pages into the docs folder; None (and a logged error) when that failed."""
    done = _regenerate(project)
    return done[0] if isinstance(done, tuple) else None


def _regenerate(project: Project) -> tuple[list[str], frozenset[str]] | list[str]:
    """The files written and the names of every generated file; on failure, the problems found, one
    line each (and the error logged)."""
    with _one_at_a_time:
        try:
            fresh = open_project(project.root, docs_dir=project.docs_dir)
            files = generate(fresh, read_manifest(None, fresh.site_dir))
            written = write_tree(files, fresh.docs_dir)
        except GeneratorError as exc:
            log.error("error: %s\nThe last good pages are still served.", exc)
            return problem_lines(exc, project.root)
        except Exception as exc:  # keep serving whatever went wrong; say what it was
            log.exception("internal error while regenerating. The last good pages are still served.")
            return [f"internal error while regenerating: {type(exc).__name__}: {exc}"]
    log.info("Regenerated %d file(s)", len(written))
    return written, frozenset(files)


def problem_lines(exc: GeneratorError, root: Path) -> list[str]:
    """Each located problem on one line, its file named from the project folder."""
    problems = getattr(exc, "problems", None)
    if not problems:
        return [str(exc)]
    return [str(dataclasses.replace(p, file=_from(root, p.file))) for p in problems]


def _from(root: Path, path: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return path


class _Preview:
    """The site served from a temporary folder, and what its last build was built from."""

    def __init__(self, project: Project, dev_addr: str, site_dir: str):
        self.project = project
        self.dev_addr = dev_addr
        self.site_dir = site_dir
        self.url = ""  # the server's, once it exists
        self.names: frozenset[str] | None = None  # the generated files at the last build
        self.theme: bytes | None = None  # mkdocs.yml and the theme's overrides at the last build
        self.built = False  # whether the last build succeeded: only then can the next one be dirty
        self.problems: list[str] = []  # those of the last edit, shown on every page while it is bad

    def config(self) -> MkDocsConfig:
        from mkdocs.config import load_config

        config = load_config(
            str(self.project.mkdocs_config),
            docs_dir=str(self.project.docs_dir.absolute()),  # mkdocs reads a relative one from its folder
            site_dir=str(Path(self.site_dir).absolute()),
            dev_addr=self.dev_addr,
            **copy.deepcopy(self.project.engine),  # mkdocs' validation takes settings apart
        )
        if self.url:
            config.site_url = self.url  # instant navigation works only within site_url
        return config

    def rebuild(self) -> None:
        """The server's builder: regenerate, then build once if anything changed. On a bad edit the
        last good pages are built again with its problems in a banner on every page."""
        done = _regenerate(self.project)
        if not isinstance(done, tuple):
            if self._show_problems(done):
                self.build(self.names or frozenset(), [], every_page=True)
            return
        written, names = done
        cleared = self._show_problems([])
        if not written and names == self.names and self._theme() == self.theme and not cleared:
            log.info("No page changed")
            return
        self.build(names, written, every_page=cleared)

    def _show_problems(self, problems: list[str]) -> bool:
        """Write (or remove) the problems every page shows; whether they changed. (The generator's
        writes remove the file with every other file it did not write.)"""
        path = self.project.docs_dir / PROBLEMS_FILE
        if problems:
            path.parent.mkdir(parents=True, exist_ok=True)  # the folder may have been removed meanwhile
            path.write_text(json.dumps(problems, ensure_ascii=False), encoding="utf-8")
        else:
            path.unlink(missing_ok=True)
        changed = problems != self.problems
        self.problems = problems
        return changed

    def build(
        self,
        names: frozenset[str],
        written: list[str],
        config: MkDocsConfig | None = None,
        *,
        every_page: bool = False,
    ) -> None:
        from mkdocs.commands.build import build

        theme = self._theme()
        same = names == self.names and NAV_FILE not in written and theme == self.theme
        dirty = self.built and same and not every_page
        log.info("Building documentation (%s)...", "the changed pages only" if dirty else "every page")
        before = _read_json(Path(self.site_dir, SEARCH_INDEX)) if dirty else None
        self.built = False
        try:
            build(config or self.config(), serve_url=self.url, dirty=dirty)
        except Exception:  # a plugin or theme failed: the next build starts afresh
            log.exception("mkdocs could not build the pages")
            return
        if before is not None:
            merged = _merge_search_index(Path(self.site_dir, SEARCH_INDEX), before)
            if merged is not None and Path(self.site_dir, BUNDLE).is_dir():  # the chunked index, whole
                try:
                    write_bundle(Path(self.site_dir), merged)
                except BuildError as exc:
                    log.error("%s", exc)
        self.names, self.theme, self.built = names, theme, True

    def _theme(self) -> bytes | None:
        """mkdocs.yml and every file of the theme's overrides (its custom_dir), as one value: when it
        changes, every page is built again."""
        try:
            return theme_inputs(self.project.mkdocs_config, self.project.engine["theme"].get("custom_dir"))
        except (OSError, ValueError):
            return None


def theme_inputs(mkdocs_config: Path, custom_dir: str | None) -> bytes:
    """The bytes of mkdocs.yml and of each file under the theme's custom_dir, with their paths."""
    parts = [mkdocs_config.read_bytes()]
    if custom_dir:
        folder = Path(custom_dir)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            parts += [path.relative_to(folder).as_posix().encode(), path.read_bytes()]
    return b"\0".join(parts)


def serve(
    project: Project, dev_addr: str, *, open_browser: bool = False, watch: list[Path] | None = None
) -> None:
    """Generate the pages, serve them with live reload at `dev_addr` (opened in the web browser when
    asked), and rebuild on every edit of the inputs or of the paths in `watch`."""
    for path in watch or []:  # the generator's own writes there would start build after build
        if project.docs_dir.resolve().is_relative_to(path.resolve()):
            message = (
                f"holds the generated pages ({project.docs_dir}); watch inputs, such as a folder of notes"
            )
            raise ConfigError([Problem(path, message, field="--watch")])
        if not os.path.lexists(path):
            raise ConfigError([Problem(path, "does not exist", field="--watch")])
    # a bad input here stops with its located error
    files = generate(project, read_manifest(None, project.site_dir))
    write_tree(files, project.docs_dir)
    (project.docs_dir / PROBLEMS_FILE).unlink(missing_ok=True)  # a preview stopped with a bad edit left it
    site_dir = tempfile.mkdtemp(prefix="evidence-preview-")
    quiet = _DropMessage(DIRTY_WARNING)
    logging.getLogger("mkdocs.commands.build").addFilter(quiet)
    try:
        preview = _Preview(project, dev_addr, site_dir)
        config = preview.config()
        # The search plugin keeps its own index across builds only for one page a build; the preview
        # merges the index itself (`_merge_search_index`), so the plugins are told the builds are clean.
        config.plugins.on_startup(command="serve", dirty=False)
        host, port = config.dev_addr
        server: LiveReloadServer = _Server(
            builder=preview.rebuild,
            host=host,
            port=port,
            root=site_dir,
            mount_path=_mount_path(config.site_url),
        )
        server.error_handler = lambda code: _error_page(site_dir, code)
        preview.url = config.site_url = server.url
        try:
            preview.build(frozenset(files), [], config)
            if not preview.built:
                raise BuildError("mkdocs could not build the pages (the error is above)")
            watched = (project.content_dir, *project.templates, config.theme.custom_dir)
            for folder in watched:
                if folder:  # the template folders (the project's, when it has one), the theme's overrides
                    server.watch(str(folder))
            for path in (project.root / SITE_CONFIG, project.mkdocs_config):
                server.watch(str(path), recursive=False)
            for path in watch or []:
                server.watch(str(path), recursive=path.is_dir())
            server = config.plugins.on_serve(server, config=config, builder=preview.rebuild)
            for item in config.watch:
                server.watch(item)
            log.info("Serving the site built in %s", site_dir)
            try:
                _stop_on_sigterm()
                server.serve(open_in_browser=open_browser)
            except KeyboardInterrupt:
                log.info("Shutting down...")
            finally:
                server.shutdown()
        finally:
            config.plugins.on_shutdown()
    finally:
        logging.getLogger("mkdocs.commands.build").removeFilter(quiet)
        shutil.rmtree(site_dir, ignore_errors=True)


class _Server(LiveReloadServer):
    """mkdocs' live-reload server, answering 404 to a path no file can have: a NUL byte (`/%00`)
    made its open() raise, and a reload poll numbered past any real epoch its int() (each logged a
    traceback)."""

    def _serve_request(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "\0" in path or re.match(r"/livereload/(?:\d{19,}|\d*/\d{19,})", path):
            return None  # not found (mkdocs' int() of a 5,000-digit number raised)
        return super()._serve_request(environ, start_response)


def _stop_on_sigterm() -> None:
    """SIGTERM stops the server as Ctrl-C does, so that its temporary site folder is removed."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def _mount_path(site_url: str | None) -> str:
    from urllib.parse import urlsplit

    return urlsplit(site_url or "/").path


def _error_page(site_dir: str, code: int) -> bytes | None:
    page = Path(site_dir, f"{code}.html")
    return page.read_bytes() if code in (404, 500) and page.is_file() else None


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _merge_search_index(path: Path, before: dict) -> dict | None:
    """After a dirty build the index holds the rebuilt pages only: add back every other page's entries
    (returns the index written, None when there was none to merge)."""
    after = _read_json(path)
    if after is None or not isinstance(before.get("docs"), list):
        return None
    docs, _ = merged_search_docs(before["docs"], after["docs"])
    merged = {**after, "docs": docs}
    path.write_text(json.dumps(merged, separators=(",", ":")), encoding="utf-8")
    return merged


class _DropMessage(logging.Filter):
    def __init__(self, start: str):
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)
