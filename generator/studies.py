"""One study from its folder to its pages, for every study: in parallel, and cached.

A study's pages depend only on its own folder, the templates, the settings, the shared-outcome
vocabulary and the generator itself. So each study is built on its own (load, compute, audit,
values, charts, pages, downloads), the studies run in a process pool on every core, and each
study's output is kept in a cache keyed on a hash of all it depends on: after an edit to one study,
only that study is built again.

The cache (`generator.cache`) is a folder the generator owns; its entries are untrusted input.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from generator import errors
from generator.analysis import StudyResults, analyse_study
from generator.audit import AuditReport, audit_problems, audit_study
from generator.cache import StudyCache, site_key, study_key
from generator.cluster import Scheduler
from generator.config import SiteConfig, StatisticsSettings
from generator.downloads import published_values, study_downloads
from generator.errors import BuildError, DataError, InputError, Problem
from generator.figures import FigureLinks
from generator.formatting import NumberFormat
from generator.layout import study_layout
from generator.load import Study, cap_per_file, load_study_in_part
from generator.model import OutcomeVocabulary
from generator.provenance import QuoteIndex, collect_values
from generator.recall import Result, Results, recalling
from generator.render import environment, render_study, study_charts
from generator.summary import STUDIES_FOLDER, StudyOutput

log = logging.getLogger("generator")

PARALLEL_FROM = 6
"""Fewest studies to build before a process pool pays for starting its workers."""
CLUSTER_IN_FLIGHT = 256
"""Studies submitted to a Dask cluster at once: enough to keep its workers busy."""
WAITING_CHECK = 5.0
"""Seconds without a study done before checking that the cluster still has a scheduler and workers."""


@dataclass(frozen=True)
class StudyTask:
    """Everything one study's build depends on (it crosses to a worker process, so it is plain data)."""

    folder: Path
    project_root: Path
    config: SiteConfig
    templates: tuple[Path, ...]
    vocabulary: OutcomeVocabulary
    site_key: str
    """The hash of what every study depends on (see `site_key`)."""
    key: str
    """This study's cache key, from its files as they were when the build began."""
    recalled: dict[str, Result] = dataclasses.field(default_factory=dict)
    """The statistical results its last build under this site key kept (`recall`)."""


def build_study(task: StudyTask, *, keep_compiled: bool = False) -> StudyOutput:
    """The per-study pipeline: load -> compute -> audit -> values -> charts -> pages -> downloads.
    The statistics its last build computed are recalled where a call is the same (`recall`);
    `keep_compiled`: the templates compiled here are kept for later builds (`generator.compiled`)."""
    with recalling(task.recalled) as statistics:
        return _built_study(task, statistics, keep_compiled)


def _built_study(task: StudyTask, statistics: Results, keep_compiled: bool) -> StudyOutput:
    fmt = NumberFormat(task.config)
    results, audit = checked_study(task.folder, task.project_root, task.vocabulary, task.config.statistics)
    study = results.study
    book = collect_values(results, fmt)
    blocks = [block for document in study.meta.sources for block in document.blocks()]
    link = FigureLinks(f"{STUDIES_FOLDER}/{study.slug}", book, QuoteIndex.build(blocks, book))
    layout = study_layout(study)
    charts = study_charts(results, layout, fmt)
    env = environment(task.templates, keep_compiled=keep_compiled)
    pages, summary = render_study(
        env, results, audit, link, charts, layout, fmt, task.vocabulary, task.config.evidence.few_patients
    )
    files = {**pages, **study_downloads(link.folder, results, audit, charts, task.config)}
    return StudyOutput(study.slug, files, layout.nav, published_values(link), summary, statistics.used)


def checked_study(
    folder: Path, project_root: Path, vocabulary: OutcomeVocabulary, settings: StatisticsSettings
) -> tuple[StudyResults, AuditReport]:
    """One study loaded, computed and audited; DataError lists every problem found in one pass.

    A table with a problem does not keep the others from being computed and audited: the problems of
    loading come with those of computing and the audit's failures in the tables they leave sound
    (`load_study_in_part`), unless study.yml itself has one.
    """
    study, problems, whole = load_study_in_part(folder, project_root, vocabulary)
    checked: tuple[StudyResults, AuditReport] | None = None
    try:
        results, computing = _computed(study, settings) if study is not None else (None, [])
        problems += computing
        if results is not None:
            audit = audit_study(results)
            problems += audit_problems(audit, results, whole=whole and not computing)
            checked = results, audit
    except Exception:  # a part of a study may hold what the whole would have refused: its problems stand
        if not problems:
            raise
        log.debug("the sound part of %s was not audited", folder, exc_info=True)
    if problems or checked is None:
        raise DataError(cap_per_file(list(dict.fromkeys(problems))))
    return checked


def _computed(study: Study, settings: StatisticsSettings) -> tuple[StudyResults | None, list[Problem]]:
    """The study's results and the problems of computing them: the tables whose computation has a
    problem are left out and the others computed again (none when a problem is not in a table)."""
    problems: list[Problem] = []
    while True:
        try:
            return analyse_study(study, settings), problems
        except DataError as exc:
            problems += exc.problems
            refused = {problem.file for problem in exc.problems}
            tables = {n: t for n, t in study.tables.items() if study.folder / f"{n}.csv" not in refused}
            if len(tables) == len(study.tables):
                return None, problems
            study = dataclasses.replace(study, tables=tables)


StudyResult = StudyOutput | tuple[str, list[Problem]]
"""A study's output, or the kind and list of its problems."""


class StudyFailed(Exception):
    """An unexpected error while building one study, naming the study (workers' errors cross processes)."""


def study_tasks(
    folders: list[Path],
    project_root: Path,
    config: SiteConfig,
    templates: tuple[Path, ...],
    vocabulary_file: Path,
    vocabulary: OutcomeVocabulary,
) -> list[StudyTask]:
    """One task for each study folder, keyed on its files and on what every study depends on."""
    site = site_key(config, templates, vocabulary_file)
    return [
        StudyTask(
            folder,
            project_root,
            config,
            templates,
            vocabulary,
            site,
            study_key(folder, project_root, site),
        )
        for folder in folders
    ]


def _build_or_problems(task: StudyTask, cache_dir: Path | None) -> StudyOutput | tuple[str, list[Problem]]:
    """A worker's job: the study's output (stored in the cache when one is given), or the kind and
    list of its problems."""
    try:
        output = build_study(task, keep_compiled=cache_dir is not None)
    except InputError as exc:
        return type(exc).__name__, exc.problems
    except Exception as exc:
        raise StudyFailed(f"while building {task.folder}: {type(exc).__name__}: {exc}") from exc
    if cache_dir is not None:
        _cache(output, task, cache_dir)
    return output


def _cache(output: StudyOutput, task: StudyTask, cache_dir: Path) -> None:
    """Keep the output in the cache if the study's files are still those its key was made from: a
    file saved during the build would otherwise be cached under a key that does not describe it."""
    if study_key(task.folder, task.project_root, task.site_key) == task.key:
        StudyCache(cache_dir).put(output, task.key, task.site_key)


# --- every study ----------------------------------------------------------------------------------


def build_studies(
    tasks: list[StudyTask],
    cache: StudyCache | None,
    workers: int | None = None,
    scheduler: Scheduler | None = None,
) -> tuple[list[StudyOutput], list[InputError], int]:
    """Every study's output, in the order of `tasks`, from the cache where it is current; the others
    built here (`workers` processes) or on the Dask cluster of `scheduler` (`generator.cluster`).

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
    if cache is not None and scheduler is None and _in_this_process(len(todo), workers):
        tasks = _with_recalled(tasks, todo, cache)
    run = (
        _run(tasks, todo, cache_dir, workers)
        if scheduler is None
        else _run_on_cluster(tasks, todo, cache_dir, scheduler)
    )
    for index, result in run:
        if isinstance(result, StudyOutput):
            outputs[index] = result
        else:
            kind, problems = result
            errors.append(_error_class(kind)(problems))
    return [outputs[i] for i in sorted(outputs)], errors, from_cache


def _in_this_process(count: int, workers: int | None) -> bool:
    """Whether `count` studies are built in this process rather than in a pool."""
    return (workers or os.cpu_count() or 1) == 1 or count < PARALLEL_FROM


def _with_recalled(tasks: list[StudyTask], todo: list[int], cache: StudyCache) -> list[StudyTask]:
    """The tasks, those at `todo` with the statistical results their study's last build kept: a study
    built in this process after a small edit then need not import the statistics libraries (a pool's
    workers have them imported already)."""
    tasks = list(tasks)
    for index in todo:
        task = tasks[index]
        tasks[index] = dataclasses.replace(task, recalled=cache.recalled(task.folder.name, task.site_key))
    return tasks


def _run(
    tasks: list[StudyTask], todo: list[int], cache_dir: Path | None, workers: int | None
) -> Iterator[tuple[int, StudyResult]]:
    """Build the studies at `todo`: in this process when few, else in a pool of worker processes."""
    workers = workers or os.cpu_count() or 1
    progress = _Progress(len(todo))
    if _in_this_process(len(todo), workers):
        for index in todo:
            yield index, _build_or_problems(tasks[index], cache_dir)
            progress.step()
        return
    context = multiprocessing.get_context("forkserver")
    # imported once in the server the workers are forked from, not once in each worker
    context.set_forkserver_preload(["generator.render", "generator.audit", "statsmodels.stats.proportion"])
    workers = min(workers, len(todo))
    pending: dict[Future, int] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            jobs = ((index, functools.partial(_build_or_problems, tasks[index], cache_dir)) for index in todo)
            yield from _in_flight(pool, jobs, 4 * workers, pending, progress)
    except BrokenProcessPool as exc:
        running = ", ".join(str(tasks[index].folder) for index in pending.values())
        raise BuildError(f"a worker process stopped abruptly while building {running}") from exc


def _run_on_cluster(
    tasks: list[StudyTask], todo: list[int], cache_dir: Path | None, scheduler: Scheduler
) -> Iterator[tuple[int, StudyResult]]:
    """Build the studies at `todo` on the Dask cluster's workers; the cache is written here."""
    from generator.cluster import cluster_executor, failed_on_cluster, on_worker

    if not todo:
        return

    progress = _Progress(len(todo))
    log.info(
        "  building %d studies on the Dask scheduler at %s (%s)",
        len(todo),
        scheduler.address,
        scheduler.given_by,
    )
    pending: dict[Future, int] = {}
    tasks = [_absolute(task) for task in tasks]  # a worker's own folder is not this one
    with cluster_executor(scheduler) as cluster:
        jobs = ((index, functools.partial(on_worker, _build_or_problems, tasks[index])) for index in todo)
        try:
            flight = _in_flight(cluster.executor, jobs, CLUSTER_IN_FLIGHT, pending, progress, cluster.check)
            for index, result in flight:
                if cache_dir is not None and isinstance(result, StudyOutput):
                    _cache(result, tasks[index], cache_dir)
                yield index, result
        except BuildError:
            raise
        except Exception as exc:  # a study's error raised on a worker, a lost worker, a closed connection
            failed = [
                i for job, i in pending.items() if job.done() and not job.cancelled() and job.exception()
            ]
            raise failed_on_cluster(exc, [tasks[i].folder for i in failed or pending.values()]) from exc


def _absolute(task: StudyTask) -> StudyTask:
    """The task with every path absolute, as a worker elsewhere must read it (the same key)."""
    return dataclasses.replace(
        task,
        folder=task.folder.absolute(),
        project_root=task.project_root.absolute(),
        templates=tuple(folder.absolute() for folder in task.templates),
    )


def _in_flight(
    executor: Executor,
    jobs: Iterator[tuple[int, Callable[[], StudyResult]]],
    window: int,
    pending: dict[Future, int],
    progress: _Progress,
    while_waiting: Callable[[], None] | None = None,
) -> Iterator[tuple[int, StudyResult]]:
    """Each job's result as it completes, with at most `window` jobs submitted at once (not every
    study's output held at once); `pending` holds the studies in flight, to name them if one fails.
    `while_waiting` is called every few seconds that no job completes (it raises to give up)."""
    for index, job in jobs:
        pending[executor.submit(job)] = index
        if len(pending) >= window:
            break
    while pending:
        done, _ = wait(pending, timeout=WAITING_CHECK if while_waiting else None, return_when=FIRST_COMPLETED)
        if not done and while_waiting is not None:
            while_waiting()
        for future in done:
            result = future.result()  # a dead worker raises here, its study still in `pending`
            yield pending.pop(future), result
            progress.step()
            following = next(jobs, None)
            if following is not None:
                pending[executor.submit(following[1])] = following[0]


def _error_class(name: str) -> Callable[[list[Problem]], InputError]:
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
