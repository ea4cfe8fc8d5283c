"""A build that renders again only the pages whose Markdown changed, giving the site a full build gives.

After an edit, most of a site's pages are generated exactly as before: they differ from the last
site only in the data version and build date of their printed footer. So when the last build left
a record (`SiteRecord`, in the build cache, signed like its entries) and nothing but pages and data
files changed since, the new site starts as a copy of the last one, mkdocs renders the changed
pages only (its `dirty` build), and the rest is finished here:

- every other page's footer names the new data version and date;
- the search index keeps each other page's entries, in place, and takes the changed pages' anew;
- the links are checked as strictly as a full build checks them: a changed page that lost an anchor,
  or links to one no page had, sends the build the full way.

Anything else (settings, templates, the theme, the navigation, a page or file added or removed, a
site folder that is not as the record left it) makes a full build. The result is byte-identical
to a full build of the same files (tested).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.cache import code_digests, digest_folder
from generator.chunked_search import BUNDLE, write_bundle
from generator.mkdocs_hooks import NAV_FILE, SEARCH_INDEX, SITE_FILE, merged_search_docs, write_search_index
from generator.outputs import OWNER_MARK, FileStamp, file_stamp, tree_entries, write_file_atomically
from generator.signing import cache_secret, read_regular, signed, verified

log = logging.getLogger("generator")

RECORD_FILE = "site-record.json"
RECORD_FORMAT = 2
MAX_RECORD_BYTES = 256 * 1024**2
PAGE_SUFFIX = ".md"
MKDOCS_LIBRARIES = ("mkdocs", "mkdocs-material", "pymdown-extensions", "pygments", "pagefind-bin")
"""The libraries that turn the pages into HTML and the chunked search index: their versions are part
of the key."""
SPAN = '<span class="ev-print-{part}">{label} {value}</span>'
"""The printed footer's data version and date, as templates/overrides/partials/footer.html writes them."""
PageAnchors = dict[str, dict[str, Any]]
"""Of each page rendered (by its Markdown file): the HTML file written ("page"), its URL ("url"), its
place in mkdocs' order ("position"), its anchors ("ids") and those its links point to in each other
page ("links": {page: [anchor, ...]}), as the mkdocs hook saw them."""


@dataclass(frozen=True)
class SiteRecord:
    """What the last build published: enough to know what changed since and to finish a partial build."""

    inputs: str
    """A hash of all the pages depend on besides their own Markdown (settings, theme, navigation)."""
    files: dict[str, str]
    """Each generated file's SHA-256."""
    site: dict[str, list[int]]
    """Each file and folder of the published site: its size, modification time (ns) and mode."""
    anchors: dict[str, list[str]]
    """Each page's anchors."""
    data_version: str
    built: str


@dataclass(frozen=True)
class Update:
    """A partial build: the generated files that changed, and the record of the site it updates."""

    changed: frozenset[str]
    previous: SiteRecord

    @property
    def pages(self) -> frozenset[str]:
        return frozenset(name for name in self.changed if name.endswith(PAGE_SUFFIX))

    def render_setting(self) -> dict[str, Any]:
        """What the hook renders and copies (`mkdocs_hooks.render_only`): the changed pages and
        the other changed files only, whatever the times of the files in the last site."""
        return {"pages": self.pages, "static": False, "files": self.changed - self.pages, "templates": True}


# --- what the pages depend on, and what changed -----------------------------------------------------


def inputs_digest(
    engine: dict[str, Any],
    mkdocs_config: Path,
    templates: tuple[Path, ...],
    files: dict[str, bytes],
    where: list[str],
) -> str:
    """A hash of what every page depends on besides its own Markdown: mkdocs.yml and the settings the
    generator gives mkdocs, the template folders (theme overrides), the navigation, the search engine
    and the glossary's search forms, the generator's and the libraries' versions, and where the site
    is built."""
    site_file = json.loads(files[SITE_FILE]) if SITE_FILE in files else {}
    parts = [
        str(RECORD_FORMAT),
        *code_digests(templates, MKDOCS_LIBRARIES),
        json.dumps(engine, sort_keys=True, default=str),
        *_mkdocs_inputs(engine, mkdocs_config),
        hashlib.sha256(files.get(NAV_FILE, b"")).hexdigest(),
        json.dumps([site_file.get(key) for key in ("search", "search_forms", "instant")], sort_keys=True),
        *where,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _mkdocs_inputs(engine: dict[str, Any], mkdocs_config: Path) -> list[str]:
    """What mkdocs reads besides the pages: mkdocs.yml, the file it inherits from, the theme's
    custom_dir and the hooks' files. A value taken from the environment (`!ENV`) cannot be known
    from the files: such a configuration always makes a full build (a key no record holds)."""
    own = mkdocs_config.read_bytes()
    inherited = re.search(rb"^INHERIT:\s*['\"]?([^'\"\s#]+)", own, re.M)
    texts = [own]
    if inherited:
        parent = mkdocs_config.parent / inherited[1].decode("utf-8", "replace")
        texts.append(parent.read_bytes() if parent.is_file() else b"\1absent")
    if any(b"!ENV" in text for text in texts):
        return [os.urandom(16).hex()]
    theme = engine.get("theme")
    custom_dir = theme.get("custom_dir") if isinstance(theme, dict) else None
    custom = Path(str(custom_dir)) if custom_dir else None
    hooks = [Path(str(hook)) for hook in engine.get("hooks") or []]
    return [
        *(hashlib.sha256(text).hexdigest() for text in texts),
        digest_folder(custom) if custom is not None else "",
        *(hashlib.sha256(hook.read_bytes()).hexdigest() if hook.is_file() else "" for hook in hooks),
    ]


def file_hashes(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def site_listing(site: Path) -> dict[str, list[int]]:
    """Each file and folder of a site folder with its size, modification time and mode: changed by
    hand, it differs (and a link, to a file or a folder, is never as a build leaves it). A folder
    that cannot be read is left out, as `os.walk` leaves it."""
    listing: dict[str, list[int]] = {}
    for entry, name in tree_entries(site):
        if entry.is_symlink():
            listing[name] = [-1, -1, -1]
            continue
        info = entry.stat(follow_symlinks=False)
        if entry.is_dir(follow_symlinks=False):
            listing[name] = [0, 0, info.st_mode]  # a folder's time changes as the build writes in it
        else:
            listing[name] = [info.st_size, info.st_mtime_ns, info.st_mode]
    return listing


def planned_update(cache_dir: Path, site_dir: Path, inputs: str, hashes: dict[str, str]) -> Update | None:
    """The partial build that gives this site, or None when only a full build can."""
    previous = read_record(cache_dir)
    why = _full_build_reason(previous, site_dir, inputs, hashes)
    if why is not None or previous is None:
        log.debug("a full build: %s", why)
        return None
    changed = frozenset(name for name, digest in hashes.items() if previous.files[name] != digest)
    return Update(changed, previous)


def _full_build_reason(
    previous: SiteRecord | None, site_dir: Path, inputs: str, hashes: dict[str, str]
) -> str | None:
    if previous is None:
        return "no record of the last build"
    if previous.inputs != inputs:
        return "the settings, templates, navigation or generator changed"
    if previous.files.keys() != hashes.keys():
        return "files were added or removed"
    if not site_dir.is_dir() or site_listing(site_dir) != previous.site:
        return "the site folder is not as the last build left it"
    return None


# --- the record --------------------------------------------------------------------------------------


def read_record(cache_dir: Path) -> SiteRecord | None:
    """The last build's record, if it is there, signed with this machine's cache secret and well formed."""
    secret = cache_secret(create=False)
    path = cache_dir / RECORD_FILE
    if secret is None or not os.path.lexists(path):
        return None
    try:
        data = json.loads(verified(read_regular(path, MAX_RECORD_BYTES), secret))
        record = SiteRecord(**data)
    except Exception as exc:  # unreadable, foreign, malformed: only costs a full build
        log.debug("the site record %s is not used: %s", path, exc)
        return None
    return record if _well_formed(record) else None


def _well_formed(record: SiteRecord) -> bool:
    return (
        all(isinstance(value, str) for value in (record.inputs, record.data_version, record.built))
        and isinstance(record.files, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in record.files.items())
        and isinstance(record.site, dict)
        and all(
            isinstance(v, list) and len(v) == 3 and all(type(n) is int for n in v)
            for v in record.site.values()
        )
        and isinstance(record.anchors, dict)
        and all(isinstance(v, list) and all(isinstance(a, str) for a in v) for v in record.anchors.values())
    )


def write_record(cache_dir: Path, record: SiteRecord) -> None:
    """Keep the record for the next build; a record that cannot be written only costs a full build."""
    secret = cache_secret(create=True)
    if secret is None:
        return
    data = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":")).encode()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_file_atomically(cache_dir / RECORD_FILE, signed(data, secret))
    except OSError as exc:
        log.warning(
            "The site record %s cannot be written (%s); the next build is a full one",
            cache_dir / RECORD_FILE,
            exc,
        )


def forget_record(cache_dir: Path) -> None:
    """No record: the next build is a full one (the site is about to change without one)."""
    with suppress(OSError):
        (cache_dir / RECORD_FILE).unlink(missing_ok=True)


def new_anchors(previous: dict[str, list[str]], seen: PageAnchors) -> dict[str, list[str]]:
    return {**previous, **{page: sorted(found["ids"]) for page, found in seen.items()}}


# --- the partial build ---------------------------------------------------------------------------------


def staged_files(files: dict[str, bytes], update: Update) -> dict[str, bytes]:
    """What mkdocs is given to build on the last site: every page (it reads them all for the
    navigation) and every changed file; an unchanged download, which it would not copy, is only
    there (empty) for the links to it to be checked."""
    return {
        name: data if name in update.changed or name.endswith(PAGE_SUFFIX) or name.startswith(".") else b""
        for name, data in files.items()
    }


def prepare(update: Update, previous_site: Path, site: Path, docs: Path) -> None:
    """The last site copied to build on, and the generated files dated so that mkdocs renders and
    copies only what changed (it compares a source's time with its output's)."""
    shutil.copytree(previous_site, site, symlinks=True)
    for folder, _, names in os.walk(docs):
        for name in names:
            path = Path(folder) / name
            if path.relative_to(docs).as_posix() not in update.changed:
                os.utime(path, ns=(0, 0))


REWRITTEN = frozenset({SEARCH_INDEX.as_posix(), OWNER_MARK})
"""Files of a site that are written again after mkdocs, in place (the search index, merged by
`finish`; the output folder's mark): never linked to the last site's."""


def stage_docs(files: dict[str, bytes], update: Update, docs: Path, last_docs: Path) -> dict[str, FileStamp]:
    """The docs a partial build reads, in the fresh folder `docs`: each file as the last build wrote
    it to `last_docs` (the project's pages folder, read only), when it holds this build's bytes,
    linked there rather than written again; the others as `staged_files` gives them. Names are the
    generator's own, checked against `last_docs` before (`generator.write.planned_targets`).
    Returns the stamp of each file of `last_docs` found to hold this build's bytes (for
    `generator.write.write_tree`, which then need not read it again)."""
    staged = staged_files(files, update)
    docs.mkdir(parents=True, exist_ok=True)
    made = _FolderMaker(docs)
    same = {}
    for name in sorted(files):
        target = made.place(name)
        stamp = _linked_if_same(os.path.join(last_docs, name), target, files[name])
        if stamp is None:
            with open(target, "wb") as stream:
                stream.write(staged[name])
        else:
            same[name] = stamp
    return same


class _FolderMaker:
    """The path of each file under `root` (a string: Path objects for 25,000 files took seconds),
    its folder made once."""

    def __init__(self, root: Path):
        self.root = os.fspath(root)
        self.made = {""}

    def place(self, name: str) -> str:
        folder = name.rpartition("/")[0]
        if folder not in self.made:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self.made.add(folder)
        return os.path.join(self.root, name)


def _linked_if_same(source: str, target: str, data: bytes) -> FileStamp | None:
    """`source` linked at `target` if it holds `data`, and its stamp then; None otherwise."""
    try:
        if os.path.islink(source) or not os.path.isfile(source):
            return None
        with open(source, "rb") as stream:
            if stream.read() != data:
                return None
            stamp = file_stamp(os.fstat(stream.fileno()))
        os.link(source, target, follow_symlinks=False)
    except OSError:
        return None
    return stamp


def link_last_site(update: Update, previous_site: Path, site: Path, *, chunked_search: bool) -> None:
    """After mkdocs has built the changed pages into `site` (with `update.render_setting()`), the last
    site's other files linked into it (no copy): not those mkdocs wrote, nor its HTML (the other
    pages are made by `finish`), nor the files written after (`REWRITTEN`, Pagefind's index), nor a
    changed file mkdocs did not write (`finish` then finds the site incomplete). What is written
    from here on is a new file, so nothing is written through a link into the last site."""
    made = _FolderMaker(site)
    for path in sorted(last_site_files(update, chunked_search) - update.changed - REWRITTEN):
        target = made.place(path)  # a folder of pages too: `finish` writes them in it
        if not path.endswith(".html") and not os.path.lexists(target):
            _link_or_copy(os.path.join(previous_site, path), target)


def _link_or_copy(source: str, target: str) -> None:
    """A hard link, or a copy where the file system has none (FAT, some network shares)."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


@contextmanager
def dirty_build_allowed() -> Iterator[None]:
    """mkdocs warns of every dirty build (for its own `--dirty`, which leaves navigation stale); this
    one is finished here, so the warning, which strict mode would count, is left out."""
    logger = logging.getLogger("mkdocs.commands.build")

    def not_the_dirty_warning(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")

    logger.addFilter(not_the_dirty_warning)
    try:
        yield
    finally:
        logger.removeFilter(not_the_dirty_warning)


def finish(
    update: Update,
    seen: PageAnchors,
    previous_site: Path,
    site: Path,
    version: str,
    built: str,
    *,
    chunked_search: bool = False,
    linked: bool = False,
) -> str | None:
    """Complete the partial build in `site`; None when done, else why a full build is needed.
    `chunked_search`: the site searches with Pagefind, whose index is made again from the merged one.
    `linked`: `site` holds the last site's files by `link_last_site`, its other HTML pages are made
    here from the last site's."""
    why = _anchors_problem(update, seen)
    if why is not None:
        return why
    merged = _merge_search(previous_site / SEARCH_INDEX, site / SEARCH_INDEX)
    if isinstance(merged, str):
        return merged
    if not linked:
        if chunked_search:
            write_bundle(site, merged, scratch_in=site.parent)
        rendered = {site / found["page"] for found in seen.values()}
        return _restamp_footers(site, rendered, update.previous, version, built)
    # Pagefind indexes in its own process while the pages are made here from the last site's (it
    # writes only its own folder, which the last site's files are not linked into)
    with ThreadPoolExecutor(max_workers=1) as indexer:
        bundle = (
            indexer.submit(write_bundle, site, merged, scratch_in=site.parent) if chunked_search else None
        )
        why = _restamp_footers(site, set(), update.previous, version, built, previous_site=previous_site)
        if bundle is not None:
            bundle.result()  # its BuildError, raised here
    if why is None:
        differ = _files(site, chunked_search) ^ last_site_files(update, chunked_search)
        if differ:
            named = ", ".join(sorted(differ)[:3])
            why = f"the changed pages' build did not give the last site's files ({named})"
    return why


def last_site_files(update: Update, chunked_search: bool) -> set[str]:
    """The files of the last site, as `_files` gives them, from its record: `planned_update` found
    the site on disk as listed there (a walk of a site of 1,000 studies is 9,000 folders)."""
    return {
        name
        for name, (_, _, mode) in update.previous.site.items()
        if not stat.S_ISDIR(mode)
        and not (chunked_search and name.startswith(f"{BUNDLE}/"))
        and name != OWNER_MARK
    }


def _files(site: Path, chunked_search: bool) -> set[str]:
    """The files of a site (Pagefind's, named by their content, left out of a site searched with it;
    the folder's mark, written after the build, too)."""
    return {
        name
        for entry, name in tree_entries(site)
        if not entry.is_dir(follow_symlinks=False)
        and not (chunked_search and name.startswith(f"{BUNDLE}/"))
        and name != OWNER_MARK
    }


def _anchors_problem(update: Update, seen: PageAnchors) -> str | None:
    """What a full strict build would check and a partial one does not: links between a changed page
    and one not rendered again."""
    if set(seen) != update.pages:
        return "mkdocs rendered other pages than those that changed"
    for page, found in seen.items():
        if set(update.previous.anchors.get(page, ())) - set(found["ids"]):
            return f"{page} lost an anchor another page may link to"
        for target, anchors in found["links"].items():
            known = (
                set(seen[target]["ids"]) if target in seen else set(update.previous.anchors.get(target, ()))
            )
            if set(anchors) - known:
                return f"{page} links to an anchor {target} does not have"
    return None


def _merge_search(previous_index: Path, index: Path) -> str | dict:
    """The last site's search index with the changed pages' entries put in their place (written to
    `index`, and returned), or why it cannot be."""
    try:
        old = json.loads(previous_index.read_text(encoding="utf-8"))
        new = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"the search index cannot be read: {exc}"
    merged, added = merged_search_docs(old["docs"], new["docs"])
    if added:
        return "a changed page is new to the search index"
    new["docs"] = merged
    write_search_index(index, new)
    return new


def _restamp_footers(
    site: Path,
    rendered: set[Path],
    previous: SiteRecord,
    version: str,
    built: str,
    previous_site: Path | None = None,
) -> str | None:
    """Every page not rendered again: its printed footer's data version and date made the new ones
    (404.html, a theme page, is rendered by every build). With `previous_site`, each page of that
    site that this build did not write is made in `site` from it."""
    stamps = [
        (
            _stamp("version", "Data version", previous.data_version),
            _stamp("version", "Data version", version),
        ),
        (_stamp("date", "Built", previous.built), _stamp("date", "Built", built)),
    ]
    old_version = previous.data_version.encode() if previous.data_version != version else None
    if previous_site is None:
        pages = [(path, path) for path in site.rglob("*.html") if path not in rendered]
    else:  # the last site's pages, as its record lists them (see `last_site_files`)
        listed = last_site_files(Update(frozenset(), previous), chunked_search=False)
        pages = [(previous_site / name, site / name) for name in sorted(listed) if name.endswith(".html")]
    for source, target in pages:
        if target == site / "404.html" or (source != target and os.path.lexists(target)):
            continue  # rendered by this build
        page = source.read_bytes()
        updated = page
        for old, new in stamps:
            updated = updated.replace(old, new)
        if old_version is not None and old_version in updated:
            return f"{target} names the data version outside its printed footer"
        if updated != page or source != target:
            target.write_bytes(updated)
    return None


def _stamp(part: str, label: str, value: str) -> bytes:
    return SPAN.format(part=part, label=label, value=value).encode()
