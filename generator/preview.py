"""Live preview: mkdocs' own server with live reload, plus a watcher that regenerates the pages.

mkdocs watches the docs folder and rebuilds; this module watches the inputs of the generator and
rewrites the generated Markdown (changed files only). On a bad edit it logs the located error and
leaves the last good pages in place, so the server keeps serving them.
"""

from __future__ import annotations

import logging
import threading

from mkdocs.commands.serve import serve as mkdocs_serve
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from generator.build import SITE_CONFIG, Project, generate, open_project, read_manifest
from generator.errors import GeneratorError
from generator.write import write_tree

log = logging.getLogger("generator")


_one_at_a_time = threading.Lock()


def regenerate(project: Project) -> list[str] | None:
    """Regenerate the pages into the docs folder; None (and a logged error) when that failed."""
    with _one_at_a_time:
        try:
            fresh = open_project(project.root, docs_dir=project.docs_dir)
            written = write_tree(generate(fresh, read_manifest(None, fresh.site_dir)), fresh.docs_dir)
        except GeneratorError as exc:
            log.error("error: %s\nThe last good pages are still served.", exc)
            return None
        except Exception:  # keep serving whatever went wrong; say what it was
            log.exception("internal error while regenerating. The last good pages are still served.")
            return None
    log.info("Regenerated %d file(s)", len(written))
    return written


class _Regenerate(FileSystemEventHandler):
    def __init__(self, project: Project):
        self.project = project
        self.timer: threading.Timer | None = None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = threading.Timer(0.3, regenerate, [self.project])  # settle a burst of saves
        self.timer.start()


def watch(project: Project) -> Observer:
    """Start watching the generator's inputs; the caller stops the returned observer."""
    observer = Observer()
    handler = _Regenerate(project)
    for folder in (project.content_dir, project.templates_dir):
        observer.schedule(handler, str(folder), recursive=True)
    observer.schedule(handler, str(project.root), recursive=False)  # site_config.yml, mkdocs.yml
    observer.start()
    return observer


def serve(project: Project, dev_addr: str) -> None:
    # a bad input here stops with its located error
    write_tree(generate(project, read_manifest(None, project.site_dir)), project.docs_dir)
    observer = watch(project)
    log.info("Watching %s, %s and %s", project.content_dir, project.templates_dir, SITE_CONFIG)
    try:
        mkdocs_serve(str(project.mkdocs_config), dev_addr=dev_addr, livereload=True)
    finally:
        observer.stop()
        observer.join()
