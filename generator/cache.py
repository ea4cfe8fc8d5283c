"""The build cache: one zip per study, keyed on a hash of everything the study's pages depend on.

The cache is a folder the generator owns (`paths.cache_dir`): one zip per study, holding its key,
its files, a JSON summary and the statistical results its build computed (`recall`), which the study's
next build under the same site key takes instead of computing them again; it holds no code and nothing
in it is ever run.

Every entry is signed (HMAC-SHA256) with a secret kept outside the project: EVIDENCE_CACHE_SECRET when
set (for CI, from its secrets), else a file of random bytes made once in the user's configuration folder
(~/.config/evidence-site/cache-secret). An entry not signed with it (restored from another machine or
run, or written by anyone who cannot read the secret) is never opened as a zip: its study is built again.

The cache is untrusted input: a CI cache restored from an earlier run, or a folder anyone may have
written. Every entry is checked before use (see `read_entry`), and anything wrong discards the whole
entry: its study is built again. An entry can hold only its own study's files (under
studies/<slug>/, of the kinds a study writes), is read within fixed bounds of size, and its summary,
which the site-wide pages show, must be exactly of the form the generator writes; its statistical
results, read only when the study is built again, are checked then (`read_results`), and results of
any other form are not recalled. A cache folder
that cannot be created or written only costs time, never the build.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

from generator.config import SiteConfig
from generator.errors import InputError, Problem
from generator.load import study_files
from generator.model import SLUG_TEXT
from generator.outputs import mark, require_owned, write_file_atomically
from generator.recall import Result, checked_results
from generator.signing import (
    SECRET_ENV,
    SIGNED_HEADER,
    EntryRefused,
    ForeignEntry,
    cache_secret,
    read_regular,
    secret_file,
    signed,
    verified,
)
from generator.summary import StudyOutput, StudySummary, SummaryError, check_markdown
from generator.yamlfile import read_input_bytes

log = logging.getLogger("generator")

CACHE_FORMAT = "2"
"""Changes when the layout of a cache entry changes; part of every key."""


def digest_files(paths: list[Path], root: Path) -> str:
    """A hash of the names (relative to `root`) and the bytes of `paths`, each read only if it is a
    regular file (a named pipe would block), as the loader reads it."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            digest.update(read_input_bytes(path))
        except InputError:
            digest.update(b"\1unreadable")  # the loader reports it
        digest.update(b"\0")
    return digest.hexdigest()


def site_key(config: SiteConfig, templates: tuple[Path, ...], vocabulary_file: Path) -> str:
    """What every study's output depends on besides its own folder: the generator's code and
    version, the template folders (the project's and the package's), the settings and the
    shared-outcome vocabulary."""
    try:
        vocabulary = read_input_bytes(vocabulary_file) if os.path.lexists(vocabulary_file) else b""
    except InputError:
        vocabulary = b"\1unreadable"  # the loader reports it
    parts = [
        CACHE_FORMAT,
        *code_digests(templates),
        config.model_dump_json(),
        hashlib.sha256(vocabulary).hexdigest(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def code_digests(templates: tuple[Path, ...], libraries: tuple[str, ...] = ()) -> list[str]:
    """The generator's version and code, the versions of the libraries that shape its output
    (LIBRARIES and `libraries`), and the bytes of the template folders (Jinja follows linked
    folders, and so does the digest)."""
    import generator

    package = Path(generator.__file__).parent
    return [
        generator.__version__,
        *(f"{name} {_version(name)}" for name in (*LIBRARIES, *libraries)),
        digest_files(sorted(package.rglob("*.py")), package),
        *(digest_folder(folder) for folder in templates),
    ]


def digest_folder(root: Path) -> str:
    """A hash of every file in a folder, its linked folders followed ("" for none)."""
    files = [
        Path(folder) / name
        for folder, _, names in os.walk(root, followlinks=True)
        for name in names
        if (Path(folder) / name).is_file()
    ]
    return digest_files(files, root) if files else ""


LIBRARIES = ("pandas", "numpy", "scipy", "statsmodels", "plotly", "jinja2", "markdown", "pydantic")
"""The libraries whose versions can change a study's pages: part of every key."""


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def study_key(folder: Path, project_root: Path, site: str) -> str:
    """The cache key of one study: its files, where it is, and the site key."""
    ignored: list[Problem] = []
    files = study_files(folder, ignored)
    own = digest_files(files, folder)
    where = folder.resolve().as_posix()
    return hashlib.sha256(f"{site}\0{where}\0{project_root.resolve()}\0{own}".encode()).hexdigest()


class StudyCache:
    """One zip per study in a folder the generator owns: `<slug>.zip` with its key, files and summary."""

    def __init__(self, folder: Path, *, writable: bool = True):
        self.folder = folder
        self.writable = writable
        self.secret = cache_secret(create=writable)
        self.foreign = 0
        """Entries found signed otherwise (another machine's, another run's, or forged)."""

    def path(self, slug: str) -> Path:
        return self.folder / f"{slug}.zip"

    def get(self, slug: str, key: str) -> StudyOutput | None:
        """The study's cached output if its key matches and the entry passes every check of
        `read_entry`; None when absent or stale, and None with one warning when it is refused."""
        path = self.path(slug)
        if self.secret is None or not re.fullmatch(SLUG_TEXT, slug) or not os.path.lexists(path):
            return None  # a folder that is no slug is reported by the loader
        try:
            return read_entry(path, slug, key, self.secret)
        except StaleEntry:
            return None
        except ForeignEntry as exc:
            self.foreign += 1
            if self.foreign == 1:  # once: a cache from another machine has every entry so
                log.warning(
                    "The cache entry %s is not used, as %s (a cache from another machine or run, or "
                    "written by someone else); it and any other such entry are built again",
                    path,
                    exc,
                )
            return None
        except EntryRefused as exc:
            log.warning("The cache entry %s is discarded (%s); %s is built again", path, exc, slug)
            return None

    def put(self, output: StudyOutput, key: str, site: str) -> None:
        """Store a study's output, and its statistical results under the site key it was built with
        (`site_key`); a cache that cannot be written only costs time, never the build."""
        if not self.writable or self.secret is None:
            return
        meta = {"nav": output.nav, "values": output.values, "summary": output.summary.to_json()}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("key", key)
            archive.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
            statistics = {"site": site, "results": checked_results(output.statistics) or {}}
            archive.writestr(STATISTICS_MEMBER, json.dumps(statistics, ensure_ascii=False))
            for name in sorted(output.files):
                archive.writestr(f"files/{name}", output.files[name])
        target = self.path(output.slug)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_file_atomically(target, signed(buffer.getvalue(), self.secret))
        except OSError as exc:
            log.warning(
                "The build cache %s cannot be written (%s); the next build starts afresh", target, exc
            )

    def recalled(self, slug: str, site: str) -> dict[str, Result]:
        """The statistical results the study's entry keeps (`recall`), whatever its key, if it was
        built under the site key `site`; none when there is no such entry or it is refused (which
        costs only the time of computing them)."""
        path = self.path(slug)
        if self.secret is None or not re.fullmatch(SLUG_TEXT, slug) or not os.path.lexists(path):
            return {}
        try:
            return read_results(path, slug, site, self.secret)
        except (EntryRefused, ForeignEntry):
            return {}

    def prepare(self) -> None:
        """Create (and mark) the cache folder; a folder the generator does not own is refused.

        A folder that cannot be created or marked (a read-only project, a file in its place) only
        costs time: one warning, and this build reads what it can and writes nothing to it."""
        try:
            exists = self.folder.exists()
        except OSError:  # its parent cannot be read: it cannot be written either
            exists = False
        if exists:
            require_owned(self.folder)
        if self.secret is None and self.writable:  # (`check` only reads, with a secret made before)
            log.warning(
                "Warning: no cache secret (%s of at least 32 characters, or the file %s) can be read or "
                "made, so the build cache is not used: every study is built afresh",
                SECRET_ENV,
                secret_file() or "in the home folder, which has no name",
            )
            self.writable = False
        if not self.writable:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            mark(self.folder)
        except OSError as exc:
            log.warning(
                "Warning: the build cache %s cannot be written (%s); every study is built without it",
                self.folder,
                exc.strerror or exc,
            )
            self.writable = False

    def keep_only(self, slugs: set[str]) -> None:
        """Remove the entries of studies that are gone (and partial writes)."""
        if not self.writable:
            return
        try:
            for path in self.folder.glob("*.zip"):
                if path.stem not in slugs:
                    path.unlink(missing_ok=True)
            for path in self.folder.glob(".*.partial"):
                path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("Old entries of the build cache %s cannot be removed (%s)", self.folder, exc)


# --- reading an entry, which is untrusted ---------------------------------------------------------

STATISTICS_MEMBER = "statistics.json"
"""The member of an entry that keeps the study's statistical results and the site key they were
computed under (`recall`)."""
MAX_ENTRY_BYTES = 200 * 1024**2
"""The largest entry read, both as a file and unpacked (a real study's is 0.1 to 0.5 MB unpacked)."""
MAX_MEMBER_BYTES = 64 * 1024**2
"""The largest file of an entry unpacked (a real study's largest, its audit page, is under 0.2 MB)."""
MAX_META_BYTES = 32 * 1024**2
"""The largest summary (meta.json) decoded (a real study's is 20 to 110 kB)."""
MAX_MEMBERS = 10_000
"""The most files in one entry (a real study writes 20 to 30)."""
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 400
"""The largest zip directory parsed, so that a small file cannot list millions of members."""
MAX_NAME_CHARS = 255
STUDY_FILE_TYPES = frozenset({"md", "csv", "json", "bib", "ris", "zip"})
"""The kinds of file a study writes: its pages, tables, citations and the zip of its tables."""
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""One part of a file's path in an entry: no leading dot (no hidden file, no `.` or `..`), no space,
no backslash, no control character."""
_END_RECORD = struct.Struct("<4s4H2LH")
"""A zip's end of central directory record, without a comment (as zipfile writes it)."""


class StaleEntry(Exception):
    """A well-formed cache entry of other inputs (its key differs)."""


def read_entry(path: Path, slug: str, key: str, secret: bytes) -> StudyOutput:
    """A cache entry, checked before use: raises StaleEntry when its key differs, EntryRefused when
    anything in it is not exactly what `StudyCache.put` writes for this study, ForeignEntry when it is
    not signed with `secret` (then nothing of it is parsed).

    - the file: a regular file (no link, no pipe) of at most MAX_ENTRY_BYTES, a zip whose directory
      is at most MAX_DIRECTORY_BYTES;
    - its members: `key`, `meta.json`, `statistics.json` and files under `files/studies/<slug>/`, each name a
      normalised relative path of plain parts (no `..`, `.`, empty part, backslash, control
      character or leading dot) ending in a kind of file a study writes; no name twice; stored or
      deflated, not encrypted; sizes within MAX_MEMBER_BYTES and MAX_ENTRY_BYTES as the directory
      says, and each read with a bound, so a directory that lies cannot blow up memory;
    - its summary: JSON of at most MAX_META_BYTES, every field of its type (StudySummary.from_json),
      its Markdown exactly of the form the generator writes (check_markdown), its navigation naming
      exactly the study's pages, and its figures (for data/values.json) the study's own."""
    with _opened(path, secret) as archive:
        infos = _checked_members(archive.infolist(), slug)
        if _read_member(archive, infos["key"], 1024) != key.encode():
            raise StaleEntry
        meta = _decoded_meta(_read_member(archive, infos["meta.json"], MAX_META_BYTES))
        files = {
            name.removeprefix("files/"): _read_member(archive, info, MAX_MEMBER_BYTES)
            for name, info in infos.items()
            if name.startswith("files/")
        }
    return _checked_output(slug, meta, files)


def _opened(path: Path, secret: bytes) -> zipfile.ZipFile:
    """The zip of an entry file once it is signed with `secret` and its directory within bounds."""
    data = verified(read_regular(path, MAX_ENTRY_BYTES + len(SIGNED_HEADER) + 65), secret)
    _check_directory(data)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise EntryRefused(f"not a readable zip: {exc}") from None


def read_results(path: Path, slug: str, site: str, secret: bytes) -> dict[str, Result]:
    """The statistical results an entry keeps, if they were computed under the site key `site`: the
    entry checked as `read_entry` checks it up to its members, the results as `checked_results` does;
    EntryRefused (or ForeignEntry) when it is not what `StudyCache.put` writes."""
    with _opened(path, secret) as archive:
        info = _checked_members(archive.infolist(), slug).get(STATISTICS_MEMBER)
        if info is None:
            return {}
        kept = _decoded_results(_read_member(archive, info, MAX_META_BYTES))
    if kept.get("site") != site:
        return {}
    results = checked_results(kept.get("results"))
    if results is None:
        raise EntryRefused("its statistical results are not of the form the generator keeps")
    return results


def _check_directory(data: bytes) -> None:
    """The zip ends with the end record zipfile writes (no comment, no zip64), for a directory of
    at most MAX_DIRECTORY_BYTES and MAX_MEMBERS members: zipfile reads that same record, so it
    parses no more than that before the members are checked."""
    if len(data) < _END_RECORD.size:
        raise EntryRefused("not a zip")
    signature, _, _, _, members, size, _, comment = _END_RECORD.unpack(data[-_END_RECORD.size :])
    if signature != b"PK\x05\x06" or comment != 0:
        raise EntryRefused("not a zip as the cache writes it (its end record)")
    if data[-_END_RECORD.size - 20 : -_END_RECORD.size].startswith(b"PK\x06\x07"):
        raise EntryRefused("a zip64 directory, which the cache never writes")
    if members > MAX_MEMBERS + 2 or size > MAX_DIRECTORY_BYTES:
        raise EntryRefused(f"its directory lists {members} members in {size} bytes")


def _checked_members(infos: list[zipfile.ZipInfo], slug: str) -> dict[str, zipfile.ZipInfo]:
    """Each member by name, once every name, method and size is one the cache writes."""
    if len(infos) > MAX_MEMBERS + 3:
        raise EntryRefused(f"more than {MAX_MEMBERS} files")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if info.orig_filename != name or name in members:
            raise EntryRefused(f"a name that is damaged or twice: {name[:80]!r}")
        if name not in ("key", "meta.json", STATISTICS_MEMBER) and not _is_study_file(name, slug):
            raise EntryRefused(
                f"a file outside the study's folder or of no kind a study writes: {name[:80]!r}"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise EntryRefused(f"{name} is compressed or encrypted in a way the cache never writes")
        if info.file_size > MAX_MEMBER_BYTES:
            raise EntryRefused(f"{name} unpacks to more than {MAX_MEMBER_BYTES // 1024**2} MB")
        total += info.file_size
        if total > MAX_ENTRY_BYTES:
            raise EntryRefused(f"its files unpack to more than {MAX_ENTRY_BYTES // 1024**2} MB")
        members[name] = info
    if "key" not in members or "meta.json" not in members:
        raise EntryRefused("no key or no meta.json")
    return members


def _is_study_file(name: str, slug: str) -> bool:
    """`files/studies/<slug>/...`: a normalised relative POSIX path of plain parts, of a kind a study
    writes."""
    prefix = f"files/studies/{slug}/"
    if len(name) > MAX_NAME_CHARS or not name.startswith(prefix):
        return False
    parts = name.removeprefix(prefix).split("/")
    return (
        all(_SEGMENT.fullmatch(part) for part in parts)
        and parts[-1].rpartition(".")[2] in STUDY_FILE_TYPES
        and "." in parts[-1]
    )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, never more than `limit` (nor other than the directory's size) whatever its
    headers say; a damaged member (its checksum) is refused."""
    if info.file_size > limit:
        raise EntryRefused(f"{info.filename} is larger than {limit} bytes")
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ) as exc:
        raise EntryRefused(f"{info.filename} cannot be read: {exc}") from None
    if len(data) != info.file_size:
        raise EntryRefused(f"{info.filename} is not of the size its directory says")
    return data


def _decoded_meta(data: bytes) -> dict:
    """meta.json as an object with exactly its three fields; JSON too deep or malformed is refused."""
    meta = _decoded(data, "meta.json")
    if not isinstance(meta, dict) or set(meta) != {"nav", "values", "summary"}:
        raise EntryRefused("meta.json is not an object of nav, values and summary")
    return meta


def _decoded_results(data: bytes) -> dict:
    """The statistics member as an object of exactly the site key and the results."""
    kept = _decoded(data, STATISTICS_MEMBER)
    if not isinstance(kept, dict) or set(kept) != {"site", "results"}:
        raise EntryRefused(f"{STATISTICS_MEMBER} is not an object of site and results")
    return kept


def _decoded(data: bytes, name: str) -> object:
    """A member's JSON; JSON too deep or malformed is refused."""
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # ValueError: UTF-8, JSON, and too long an integer
        raise EntryRefused(f"{name} cannot be read: {type(exc).__name__}") from None


def _checked_output(slug: str, meta: dict, files: dict[str, bytes]) -> StudyOutput:
    """The study's output from a checked entry's files and summary, once these are checked too."""
    from generator.comparison import comparison_path
    from generator.render import STUDIES_FOLDER, STUDIES_INDEX

    folder = f"{STUDIES_FOLDER}/{slug}/"
    nav = _checked_nav(meta["nav"])
    pages = {folder + name for _, name in nav}
    if pages != {name for name in files if name.endswith(".md")}:
        raise EntryRefused("its navigation does not name exactly the study's pages")
    for name in pages:
        try:
            files[name].decode("utf-8")
        except UnicodeDecodeError:
            raise EntryRefused(f"{name} is not UTF-8") from None
    try:
        summary = StudySummary.from_json(meta["summary"])
        check_markdown(summary, STUDIES_INDEX, comparison_path)
    except SummaryError as exc:
        raise EntryRefused(str(exc)) from None
    except RecursionError:
        raise EntryRefused("its summary is nested too deep") from None
    if summary.study != slug:
        raise EntryRefused(f"its summary is of {summary.study!r}")
    shown = {entry.page for entry in summary.entries}
    if not shown <= pages:
        raise EntryRefused("its summary names a page the entry does not hold")
    return StudyOutput(slug, files, nav, _checked_values(meta["values"], slug), summary)


def _checked_nav(nav: object) -> list[tuple[str, str]]:
    """(title, page name) pairs as `StudyLayout.nav` writes them: the overview and design pages, the
    result pages (each title a string; the navigation escapes it), then the source and audit pages."""
    from generator.layout import AUDIT, DESIGN, FIXED_TITLES, OVERVIEW, SOURCE

    if not isinstance(nav, list):
        raise EntryRefused("its navigation is not a list of pages")
    pairs = []
    for item in nav:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)):
            raise EntryRefused("its navigation is not a list of (title, page) pairs")
        title, name = item
        if not re.fullmatch(rf"{SLUG_TEXT}\.md", name):
            raise EntryRefused(f"its navigation names a page the generator never writes: {name[:80]!r}")
        pairs.append((title, name))
    first = [(FIXED_TITLES[name], name) for name in (OVERVIEW, DESIGN)]
    last = [(FIXED_TITLES[name], name) for name in (SOURCE, AUDIT)]
    results = pairs[len(first) : len(pairs) - len(last)]
    if pairs[: len(first)] != first or pairs[len(pairs) - len(last) :] != last or len(pairs) < 4:
        raise EntryRefused("its navigation lacks the study's fixed pages or their titles")
    if len({name for _, name in pairs}) != len(pairs) or any(name in FIXED_TITLES for _, name in results):
        raise EntryRefused("its navigation names a page twice")
    return pairs


_VALUE_TEXT = ("label", "text", "quote", "how", "file", "where")
_VALUE_FIELDS = frozenset({"id", "kind", "number", "line", "study", "shown_on", *_VALUE_TEXT})
_VALUE_REQUIRED = frozenset({"id", "label", "text", "kind", "study", "shown_on"})


def _checked_values(values: object, slug: str) -> list[dict]:
    """The study's figures for data/values.json: each of the study, with the fields and types that
    `generator.downloads.published_values` writes."""
    if not isinstance(values, list):
        raise EntryRefused("its figures are not a list")
    ids, pages = set(), set()
    for value in values:
        if not isinstance(value, dict) or not _VALUE_REQUIRED <= set(value) <= _VALUE_FIELDS:
            raise EntryRefused("a figure lacks or has extra fields")
        if not isinstance(value["id"], str) or not value["id"].startswith(f"{slug}/") or value["id"] in ids:
            raise EntryRefused("a figure's id is not the study's, or is there twice")
        ids.add(value["id"])
        if (
            value["study"] != slug
            or value["kind"] not in ("reported", "derived", "computed")
            or not all(isinstance(value[name], str) for name in _VALUE_TEXT if name in value)
            or not _is_count(value.get("line", 0))
            or not _is_number(value.get("number", 0), nested=True)
            or not isinstance(value["shown_on"], list)
            or not all(isinstance(page, str) for page in value["shown_on"])
        ):
            raise EntryRefused(f"the figure {value['id'][:80]!r} has a field of the wrong type or value")
        pages.update(value["shown_on"])
    if not all(_is_page(page) for page in pages):
        raise EntryRefused("a figure is shown on a page whose name is no page's")
    return values


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object, *, nested: bool = False) -> bool:
    """A finite number, or (`nested`) a flat list of them, where None is an interval's open end
    ("8.1 to not reached" is [8.1, None])."""
    if nested and isinstance(value, list):
        return all(item is None or _is_number(item) for item in value)
    return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)


def _finite(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer beyond any float
        return False


def _is_page(name: str) -> bool:
    """A page of the site, relative to the docs folder: plain parts, ending in .md."""
    return (
        len(name) <= MAX_NAME_CHARS
        and name.endswith(".md")
        and all(_SEGMENT.fullmatch(p) for p in name.split("/"))
    )
