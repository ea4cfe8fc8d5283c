"""One study from its folder to its pages, for every study: in parallel, and cached.

A study's pages depend only on its own folder, the templates, the settings, the shared-outcome
vocabulary and the generator itself. So each study is built on its own (load, compute, audit,
values, charts, pages, downloads), the studies run in a process pool on every core, and each
study's output is kept in a cache keyed on a hash of all it depends on: after an edit to one study,
only that study is built again.

The cache is a folder the generator owns (`paths.cache_dir`): one zip per study, holding its key,
its files and a JSON summary; it holds no code and nothing in it is ever run.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import multiprocessing
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from generator.config import SiteConfig
from generator.errors import BuildError, InputError, Problem
from generator.load import study_files
from generator.model import OutcomeVocabulary
from generator.outputs import mark, require_owned, write_file_atomically
from generator.summary import StudySummary
from generator.yamlfile import read_input_bytes

log = logging.getLogger("generator")

CACHE_FORMAT = "1"
"""Changes when the layout of a cache entry changes; part of every key."""
PARALLEL_FROM = 6
"""Fewest studies to build before a process pool pays for starting its workers."""


@dataclass(frozen=True)
class StudyTask:
    """Everything one study's build depends on (it crosses to a worker process, so it is plain data)."""

    folder: Path
    project_root: Path
    config: SiteConfig
    templates_dir: Path
    vocabulary: OutcomeVocabulary
    site_key: str
    """The hash of what every study depends on (see `site_key`)."""
    key: str
    """This study's cache key, from its files as they were when the build began."""


@dataclass(frozen=True)
class StudyOutput:
    """One study built: its files (relative to the docs folder), its pages in reading order, every
    figure it publishes (for data/values.json) and what the site-wide pages show of it."""

    slug: str
    files: dict[str, bytes]
    nav: list[tuple[str, str]]
    values: list[dict]
    summary: StudySummary


def build_study(task: StudyTask) -> StudyOutput:
    """The per-study pipeline: load -> compute -> audit -> values -> charts -> pages -> downloads."""
    from generator.analysis import analyse_study
    from generator.audit import audit_study, raise_for_failures
    from generator.downloads import published_values, study_downloads
    from generator.figures import FigureLinks
    from generator.formatting import NumberFormat
    from generator.layout import study_layout
    from generator.load import load_study
    from generator.provenance import QuoteIndex, collect_values
    from generator.render import STUDIES_FOLDER, environment, render_study, study_charts

    fmt = NumberFormat(task.config)
    study = load_study(task.folder, task.project_root, task.vocabulary)
    results = analyse_study(study, task.config.statistics)
    audit = audit_study(results)
    raise_for_failures(audit, results)
    book = collect_values(results, fmt)
    blocks = [block for document in study.meta.sources for block in document.blocks()]
    link = FigureLinks(f"{STUDIES_FOLDER}/{study.slug}", book, QuoteIndex.build(blocks, book))
    layout = study_layout(study)
    charts = study_charts(results, layout, fmt)
    env = environment(task.templates_dir)
    pages, summary = render_study(env, results, audit, link, charts, layout, fmt, task.vocabulary)
    files = {**pages, **study_downloads(link.folder, results, audit, charts, task.config)}
    return StudyOutput(study.slug, files, layout.nav, published_values(link), summary)


class StudyFailed(Exception):
    """An unexpected error while building one study, naming the study (workers' errors cross processes)."""


def study_tasks(
    folders: list[Path],
    project_root: Path,
    config: SiteConfig,
    templates_dir: Path,
    vocabulary_file: Path,
    vocabulary: OutcomeVocabulary,
) -> list[StudyTask]:
    """One task for each study folder, keyed on its files and on what every study depends on."""
    site = site_key(config, templates_dir, vocabulary_file)
    return [
        StudyTask(
            folder,
            project_root,
            config,
            templates_dir,
            vocabulary,
            site,
            study_key(folder, project_root, site),
        )
        for folder in folders
    ]


def _build_or_problems(task: StudyTask, cache_dir: Path | None) -> StudyOutput | tuple[str, list[Problem]]:
    """A worker's job: the study's output (stored in the cache), or the kind and list of its problems.

    The output is cached only if the study's files are still those its key was made from: a file
    saved during the build would otherwise be cached under a key that does not describe it."""
    try:
        output = build_study(task)
    except InputError as exc:
        return type(exc).__name__, exc.problems
    except Exception as exc:
        raise StudyFailed(f"while building {task.folder}: {type(exc).__name__}: {exc}") from exc
    if cache_dir is not None and study_key(task.folder, task.project_root, task.site_key) == task.key:
        StudyCache(cache_dir).put(output, task.key)
    return output


# --- the cache ------------------------------------------------------------------------------------


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


def site_key(config: SiteConfig, templates_dir: Path, vocabulary_file: Path) -> str:
    """What every study's output depends on besides its own folder: the generator's code and
    version, the templates, the settings and the shared-outcome vocabulary."""
    import generator

    package = Path(generator.__file__).parent
    templates = [  # Jinja follows linked folders, and so does the key
        Path(folder) / name
        for folder, _, names in os.walk(templates_dir, followlinks=True)
        for name in names
        if (Path(folder) / name).is_file()
    ]
    try:
        vocabulary = read_input_bytes(vocabulary_file) if os.path.lexists(vocabulary_file) else b""
    except InputError:
        vocabulary = b"\1unreadable"  # the loader reports it
    parts = [
        CACHE_FORMAT,
        generator.__version__,
        *(f"{name} {_version(name)}" for name in LIBRARIES),
        digest_files(sorted(package.glob("*.py")), package),
        digest_files(templates, templates_dir) if templates else "",
        config.model_dump_json(),
        hashlib.sha256(vocabulary).hexdigest(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


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

    def path(self, slug: str) -> Path:
        return self.folder / f"{slug}.zip"

    def get(self, slug: str, key: str) -> StudyOutput | None:
        """The study's cached output if its key matches; None when absent, stale or unreadable."""
        path = self.path(slug)
        try:
            with zipfile.ZipFile(path) as archive:
                if archive.read("key").decode() != key:
                    return None
                meta = json.loads(archive.read("meta.json"))
                names = [name for name in archive.namelist() if name.startswith("files/")]
                files = {name.removeprefix("files/"): archive.read(name) for name in names}
            output = StudyOutput(
                slug,
                files,
                [(str(title), str(name)) for title, name in meta["nav"]],
                [dict(value) for value in meta["values"]],
                StudySummary.from_json(meta["summary"]),
            )
        except Exception:  # unreadable, damaged or changed by hand: built again
            return None
        own = f"studies/{slug}/"
        if output.summary.study != slug or not all(name.startswith(own) for name in files):
            return None  # a study's entry holds only the study's own files
        return output

    def put(self, output: StudyOutput, key: str) -> None:
        """Store a study's output; a cache that cannot be written only costs time, never the build."""
        if not self.writable:
            return
        meta = {"nav": output.nav, "values": output.values, "summary": output.summary.to_json()}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("key", key)
            archive.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
            for name in sorted(output.files):
                archive.writestr(f"files/{name}", output.files[name])
        target = self.path(output.slug)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_file_atomically(target, buffer.getvalue())
        except OSError as exc:
            log.warning(
                "The build cache %s cannot be written (%s); the next build starts afresh", target, exc
            )

    def prepare(self) -> None:
        """Create (and mark) the cache folder; a folder the generator does not own is refused."""
        if self.folder.exists():
            require_owned(self.folder)
        if not self.writable:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        mark(self.folder)

    def keep_only(self, slugs: set[str]) -> None:
        """Remove the entries of studies that are gone (and partial writes)."""
        if not self.writable:
            return
        for path in self.folder.glob("*.zip"):
            if path.stem not in slugs:
                path.unlink(missing_ok=True)
        for path in self.folder.glob(".*.partial"):
            path.unlink(missing_ok=True)


# --- every study ----------------------------------------------------------------------------------


def build_studies(
    tasks: list[StudyTask], cache: StudyCache | None, workers: int | None = None
) -> tuple[list[StudyOutput], list[InputError], int]:
    """Every study's output, in the order of `tasks`, from the cache where it is current.

    Returns the outputs, the input errors of the studies that failed, and how many came from the cache.
    """
    outputs: dict[int, StudyOutput] = {}
    todo = []
    for index, task in enumerate(tasks):
        cached = cache.get(task.folder.name, task.key) if cache is not None else None
        if cached is not None:
            outputs[index] = cached
        else:
            todo.append(index)
    from_cache = len(outputs)
    errors: list[InputError] = []
    cache_dir = cache.folder if cache is not None and cache.writable else None
    for index, result in _run(tasks, todo, cache_dir, workers):
        if isinstance(result, StudyOutput):
            outputs[index] = result
        else:
            kind, problems = result
            errors.append(_error_class(kind)(problems))
    return [outputs[i] for i in sorted(outputs)], errors, from_cache


def _run(
    tasks: list[StudyTask], todo: list[int], cache_dir: Path | None, workers: int | None
) -> Iterator[tuple[int, StudyOutput | tuple[str, list[Problem]]]]:
    """Build the studies at `todo`: in this process when few, else in a pool of worker processes."""
    workers = workers or os.cpu_count() or 1
    progress = _Progress(len(todo))
    if workers == 1 or len(todo) < PARALLEL_FROM:
        for index in todo:
            yield index, _build_or_problems(tasks[index], cache_dir)
            progress.step()
        return
    context = multiprocessing.get_context("forkserver")
    # imported once in the server the workers are forked from, not once in each worker
    context.set_forkserver_preload(["generator.render", "generator.audit", "statsmodels.stats.proportion"])
    pending: dict[Future, int] = {}
    try:
        yield from _run_in_pool(tasks, todo, cache_dir, min(workers, len(todo)), context, pending, progress)
    except BrokenProcessPool as exc:
        running = ", ".join(str(tasks[index].folder) for index in pending.values())
        raise BuildError(f"a worker process stopped abruptly while building {running}") from exc


def _run_in_pool(
    tasks: list[StudyTask],
    todo: list[int],
    cache_dir: Path | None,
    workers: int,
    context: multiprocessing.context.BaseContext,
    pending: dict[Future, int],
    progress: _Progress,
) -> Iterator[tuple[int, StudyOutput | tuple[str, list[Problem]]]]:
    """The pool's side of `_run`; `pending` holds the studies in flight, to name them if a worker dies."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        queue = iter(todo)
        for index in queue:  # keep a few jobs a worker in flight, not every study's output at once
            pending[pool.submit(_build_or_problems, tasks[index], cache_dir)] = index
            if len(pending) >= 4 * workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()  # a dead worker raises here, its study still in `pending`
                yield pending.pop(future), result
                progress.step()
                following = next(queue, None)
                if following is not None:
                    pending[pool.submit(_build_or_problems, tasks[following], cache_dir)] = following


def _error_class(name: str) -> Callable[[list[Problem]], InputError]:
    from generator import errors

    found = getattr(errors, name, None)
    return found if isinstance(found, type) and issubclass(found, InputError) else errors.DataError


class _Progress:
    """'Built 120 of 1000 studies' every few seconds on long work."""

    def __init__(self, total: int, every: float = 5.0):
        self.total, self.done, self.every = total, 0, every
        self.last = time.perf_counter()

    def step(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if now - self.last >= self.every and self.done < self.total:
            log.info("  built %d of %d studies", self.done, self.total)
            self.last = now
