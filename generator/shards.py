"""The mkdocs stage of a large site in slices: each slice of the pages built by its own process, the
slices merged into the one site a whole build gives.

mkdocs renders every page in one process and holds each page's HTML until it writes them all, so
its time and memory grow with the site (at 10,000 studies: hours, and more memory than a laptop
has). Past `SHARD_PAGES` pages, the full build runs as slices instead, as many at once as there are
cores, each in a fresh process (its memory returned when it ends):

- every slice is a dirty mkdocs build of the whole docs folder in which only its pages are modified
  (the generator's hook, `render_only`): each reads the whole navigation, renders its own pages, and
  one of them also copies the other files (data, downloads, the theme's assets);
- the pages' HTML files are gathered into one site; the search index is the slices' entries in the
  order a whole build writes them (each page's place in mkdocs' order, as the hook saw it), and the
  chunked search index is made from it;
- links between pages of different slices are checked here, as strictly as mkdocs checks them.

The result is byte-identical to a whole build of the same files (tested). It holds because a page
depends on the others only through the navigation's titles and links, which the generator writes:
what lets a page read others (its own navigation in mkdocs.yml, extra templates, plugins besides
search, hooks besides the generator's, front matter that Material shows in other pages' sidebars)
keeps the build whole (`whole_build_reason`).
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.chunked_search import write_bundle
from generator.errors import BuildError
from generator.incremental import PAGE_SUFFIX, PageAnchors
from generator.mkdocs_hooks import SEARCH_INDEX, page_of, write_search_index

log = logging.getLogger("generator")

SHARD_PAGES = 2000
"""Pages per slice, about 300 real-shaped studies: a slice's process stays under a gigabyte, and its
fixed cost (reading the navigation and the theme) stays small beside its pages'."""


@dataclass(frozen=True)
class Shard:
    """A slice of the site: the pages it renders (by Markdown file), and whether it copies the rest."""

    pages: frozenset[str]
    static: bool

    def setting(self) -> dict[str, Any]:
        """As the hook takes it (`mkdocs_hooks.render_only`)."""
        return {"pages": self.pages, "static": self.static}


def plan(files: dict[str, bytes], *, per_shard: int | None = None) -> list[Shard]:
    """The slices of a site of these generated files: one (a whole build) up to `per_shard` pages,
    else pages dealt out by size, largest first, to the slice with the least Markdown so far."""
    per_shard = per_shard or SHARD_PAGES
    pages = sorted((name for name in files if name.endswith(PAGE_SUFFIX)), key=lambda n: (-len(files[n]), n))
    count = math.ceil(len(pages) / per_shard)
    if count <= 1:
        return [Shard(frozenset(pages), static=True)]
    loads = [(0, n) for n in range(count)]
    dealt: list[list[str]] = [[] for _ in range(count)]
    for name in pages:
        size, n = heapq.heappop(loads)
        dealt[n].append(name)
        heapq.heappush(loads, (size + len(files[name]), n))
    return [Shard(frozenset(names), static=n == 0) for n, names in enumerate(dealt)]


SIDEBAR_META = re.compile(r"^(icon|subtitle|status)\s*:", re.M)
"""Front matter that Material shows in other pages' sidebars and tabs (a slice never reads it)."""
SLICE_SAFE_PLUGINS = ("search", "material/search")


def whole_build_reason(
    engine: dict[str, Any], mkdocs_keys: frozenset[str], files: dict[str, bytes]
) -> str | None:
    """Why this site must be built by one mkdocs process (a page of it reads what others hold), or None."""
    for key, why in (("nav", "its own navigation"), ("extra_templates", "extra templates")):
        if key in mkdocs_keys:
            return f"mkdocs.yml lists {why}"
    plugins = engine.get("plugins", ["search"])
    names = (
        [next(iter(p), "") if isinstance(p, dict) else p for p in plugins]
        if isinstance(plugins, list)
        else ["?"]
    )
    others = [str(name) for name in names if name not in SLICE_SAFE_PLUGINS]
    if others:
        return f"mkdocs.yml lists plugins besides search ({', '.join(others)}), which may read every page"
    if len(engine.get("hooks") or ()) > 1:
        return "mkdocs.yml lists hooks besides the generator's, which may read every page"
    for name, data in files.items():
        if name.endswith(PAGE_SUFFIX) and data.startswith(b"---"):
            front = data[3 : data.find(b"\n---", 3)].decode("utf-8", "replace")
            if found := SIDEBAR_META.search(front):
                return f"{name} sets {found[1]} in its front matter, which other pages' sidebars show"
    return None


RenderShard = Callable[[Shard, Path], PageAnchors]
"""Builds one slice into a site folder (a picklable function: it runs in another process)."""


def build_in_shards(
    render: RenderShard,
    shards: list[Shard],
    site: Path,
    scratch: Path,
    *,
    chunked_search: bool,
    check_anchors: bool = True,
) -> PageAnchors:
    """Build the slices into `scratch` (as many at once as there are cores), merge them into `site`
    and return every page's anchors. `chunked_search`: the site searches with Pagefind;
    `check_anchors`: a link to a missing anchor fails the build (mkdocs' validation says so)."""
    folders = [scratch / f"slice-{n}" for n in range(len(shards))]
    seen = _run(render, shards, folders)
    problems = broken_anchor_links(seen) if check_anchors else []
    if problems:
        details = "\n".join(f"  - {problem}" for problem in problems)
        raise BuildError(f"mkdocs build --strict failed (links between pages):\n{details}")
    index = merged_search_index([folder / SEARCH_INDEX for folder in folders], seen)
    static = next(n for n, shard in enumerate(shards) if shard.static)
    os.replace(folders[static], site)
    for n, folder in enumerate(folders):
        if n != static:
            _move_pages(folder, site, seen[n])
    if index is not None:
        write_search_index(site / SEARCH_INDEX, index)
    if chunked_search and index is not None:
        write_bundle(site, index, scratch_in=scratch)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return {page: found for part in seen for page, found in part.items()}


def _run(render: RenderShard, shards: list[Shard], folders: list[Path]) -> list[PageAnchors]:
    """Each slice built in a fresh process of its own (its memory returned when it ends), the cores
    kept busy; a slice's error, or Ctrl-C, stops the others."""
    workers = min(len(shards), os.cpu_count() or 1)
    context = multiprocessing.get_context("forkserver")
    seen: list[PageAnchors] = [{} for _ in shards]
    log.info("  %d pages in %d slices, %d at a time", sum(len(s.pages) for s in shards), len(shards), workers)
    waiting = list(range(len(shards)))
    running: dict[Future, tuple[int, ProcessPoolExecutor]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                n = waiting.pop(0)
                pool = ProcessPoolExecutor(1, mp_context=context, initializer=_interrupts_ignored)
                running[pool.submit(render, shards[n], folders[n])] = (n, pool)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for job in done:
                n, pool = running.pop(job)
                pool.shutdown(wait=False)
                seen[n] = job.result()
                log.info("  slice %d of %d built (%d pages)", n + 1, len(shards), len(shards[n].pages))
    except BrokenProcessPool as exc:
        _stop(pool for _, pool in running.values())
        raise BuildError(
            "a process building a slice of the site stopped abruptly (out of memory, killed, or an "
            "error it could not send back)"
        ) from exc
    except BaseException:  # a slice's error, Ctrl-C: the other slices are stopped, not waited for
        _stop(pool for _, pool in running.values())
        raise
    return seen


def _interrupts_ignored() -> None:
    """In a slice's process: Ctrl-C is the build's to handle (it stops the slices), not a traceback here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pools: Iterable[ProcessPoolExecutor]) -> None:
    for pool in pools:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()


def _move_pages(folder: Path, site: Path, seen: PageAnchors) -> None:
    """A slice's own pages (only they: its theme pages and search index are the static slice's too)."""
    for found in seen.values():
        source, target = folder / found["page"], site / found["page"]
        if not source.resolve().is_relative_to(folder.resolve()):
            raise BuildError(f"a slice of the site names a page outside it: {found['page']!r}")
        if not source.is_file():
            continue  # rendered empty: mkdocs writes no file for it, in a whole build too
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def merged_search_index(indexes: list[Path], seen: list[PageAnchors]) -> dict | None:
    """The slices' search indexes as one, each page's entries where a whole build writes them (its
    place in mkdocs' order); None when the site has no search index."""
    parts = [json.loads(path.read_text(encoding="utf-8")) for path in indexes if path.is_file()]
    if not parts:
        return None
    place = {found["url"]: found["position"] for part in seen for found in part.values()}
    docs = [entry for part in parts for entry in part["docs"]]
    docs.sort(key=lambda entry: place.get(page_of(entry), len(place)))
    return {**parts[0], "docs": docs}


def broken_anchor_links(seen: list[PageAnchors]) -> list[str]:
    """Links to an anchor that the page linked to does not have, worded nearly as mkdocs words them
    (in a slice, mkdocs checks only the links between the slice's own pages)."""
    anchors = {page: set(found["ids"]) for part in seen for page, found in part.items()}
    problems: list[str] = []
    for part in seen:
        for page, found in part.items():
            for target, wanted in found["links"].items():
                problems.extend(
                    f"Doc file '{page}' contains a link to '{target}#{anchor}', but the doc '{target}' "
                    f"does not contain an anchor '#{anchor}'."
                    for anchor in wanted
                    if target in anchors and anchor not in anchors[target]
                )
    return problems
