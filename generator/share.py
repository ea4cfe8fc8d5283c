"""The offline copy: one zip that opens by double-click, with no server and no network.

The pages are the ones `build` makes; mkdocs builds them again with what a site opened from files
needs: links to files (`use_directory_urls: false`), Material's offline plugin (the search index as a
script, and the iframe-worker shim that runs search without a server, shipped in the copy instead of
fetched from unpkg.com), and no instant navigation (it needs a server). The charts draw from the
page's own script, plotly.js included.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path

from generator.build import (
    Project,
    built_date,
    check_mkdocs_config,
    generate,
    run_mkdocs,
    stage,
)
from generator.chunked_search import SEARCH_PAGE
from generator.downloads import zip_files
from generator.errors import ConfigError, Problem
from generator.mkdocs_hooks import SITE_FILE
from generator.outputs import protected_folders, write_file_atomically
from generator.previous import read_manifest
from generator.reproducible import dated
from generator.write import write_tree

log = logging.getLogger("generator")

POLYFILL = "assets/javascripts/iframe-worker/shim.js"
"""Material's offline plugin adds this script unless one named iframe-worker is listed already."""
ZIP_COMMENT = b"evidence-site offline copy"
"""Marks a zip this command wrote: only such a file is replaced."""


def offline_overrides(raw: dict) -> dict:
    """mkdocs.yml's settings as an offline copy needs them."""
    plugins = list(raw.get("plugins") or ["search"])
    names = [plugin if isinstance(plugin, str) else next(iter(plugin), "") for plugin in plugins]
    if "offline" not in names and "material/offline" not in names:
        plugins.append("offline")
    theme = dict(raw.get("theme") or {})
    theme["features"] = [f for f in theme.get("features", []) if not f.startswith("navigation.instant")]
    extra = dict(raw.get("extra") or {})
    extra["polyfills"] = [POLYFILL]
    return {"use_directory_urls": False, "plugins": plugins, "theme": theme, "extra": extra}


def with_material_search(files: dict[str, bytes]) -> dict[str, bytes]:
    """The generated files of a site searched with Material's index, whatever the site's own search:
    Pagefind's chunked index is fetched by the pages, which a copy opened from files cannot do."""
    info = json.loads(files[SITE_FILE])
    if info.get("search") != "pagefind":
        return files
    info["search"] = "material"
    changed = {**files, SITE_FILE: (json.dumps(info, indent=1, ensure_ascii=False) + "\n").encode()}
    changed.pop(SEARCH_PAGE, None)
    return changed


def share(project: Project, out: Path, previous: str | None = None) -> int:
    """Write the offline copy of the site to `out`; returns its size in bytes."""
    _check_target(out)
    inputs = {project.content_dir: "the content folder", project.templates_dir: "the templates folder"}
    replaced = {
        project.site_dir.resolve(): "the site folder, which every build replaces",
        project.docs_dir.resolve(): "the generated pages' folder, which every build replaces",
        project.cache_dir.resolve(): "the build cache, which builds prune",
    }
    for folder, what in {**protected_folders(project.root, inputs), **replaced}.items():
        if out.resolve().is_relative_to(folder):
            raise ConfigError([Problem(out, f"lies inside {what} ({folder}); write the copy elsewhere")])
    raw, _ = check_mkdocs_config(project.mkdocs_config)
    files = with_material_search(generate(project, read_manifest(previous, project.site_dir)))
    top_folder = project.site_name.strip().lower().replace(" ", "-") or "evidence-site"
    with tempfile.TemporaryDirectory(prefix="evidence-share-") as scratch:
        docs, site = Path(scratch) / "docs", Path(scratch) / "site"
        write_tree(files, docs)
        with stage("Built the offline copy with mkdocs (strict)"), dated(built_date(files)):
            url = None if project.site_url.problem else project.site_url.value
            settings = {**raw, **project.engine}
            run_mkdocs(
                project.mkdocs_config, docs, site, url, **{**project.engine, **offline_overrides(settings)}
            )
        contents = {
            f"{top_folder}/{path.relative_to(site).as_posix()}": path.read_bytes()
            for path in sorted(site.rglob("*"))
            if path.is_file()
        }
    marked = _marked(zip_files(contents))
    write_file_atomically(out, marked)
    return len(marked)


def _marked(data: bytes) -> bytes:
    """The zip with ZIP_COMMENT as its comment."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = ZIP_COMMENT
    return buffer.getvalue()


def _check_target(out: Path) -> None:
    """Only a new file, or an offline copy this command wrote, is (re)written."""
    if not os.path.lexists(out):
        if not out.parent.is_dir():
            raise ConfigError([Problem(out, "its folder does not exist")])
        return
    ours = False
    if out.is_file() and not out.is_symlink():  # never opened otherwise: a named pipe would block
        try:
            with zipfile.ZipFile(out) as archive:
                ours = archive.comment == ZIP_COMMENT
        except Exception:  # a damaged zip raises whatever zipfile meets in it: it is not ours
            ours = False
    if not ours:
        raise ConfigError(
            [Problem(out, "exists and is not an offline copy this command wrote; name a new file with --out")]
        )
