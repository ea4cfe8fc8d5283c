"""The build, read as a table of contents: load -> compute -> render -> write -> mkdocs -> publish.

Everything is computed in memory before anything is written. The mkdocs build runs in a staging
folder, and `site/` is replaced only when it succeeded, so a failed build leaves the last good site.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.utils.yaml import yaml_load

from generator import incremental, shards
from generator.cache import StudyCache
from generator.changes import record_version
from generator.cluster import Scheduler
from generator.comparison import build_comparisons, comparison_values
from generator.compiled import compiled_templates
from generator.config import SiteConfig, load_site_config
from generator.downloads import VALUES_INDEX, values_index, with_data_version
from generator.engine import THEME, engine_settings, template_folders
from generator.errors import BuildError, ConfigError, DataError, Problem, TemplateError
from generator.layout import AUDIT, SOURCE
from generator.load import (
    cap_per_file,
    content_version,
    duplicate_studies,
    list_study_folders,
    load_glossary,
    load_vocabulary,
    vocabulary_path,
)
from generator.mkdocs_hooks import NAV_FILE, SITE_FILE, keeps_instant_navigation
from generator.model import Glossary, OutcomeVocabulary
from generator.outputs import (
    FileStamp,
    OutputFolder,
    check_output_folders,
    mark,
    replace_folder,
    staging_folder,
)
from generator.paging import moved_rows, relinked, shown_where, unlisted
from generator.previous import read_manifest
from generator.publish import SiteUrl, check_url, resolve_site_url
from generator.render import (
    STUDIES_INDEX,
    SiteInfo,
    environment,
    in_index_order,
    render_site_pages,
    site_assets,
    site_nav,
)
from generator.reproducible import dated, source_date
from generator.studies import build_studies, study_tasks
from generator.summary import STUDIES_FOLDER, StudyOutput
from generator.write import planned_targets, write_tree
from generator.yamlfile import line_index, line_of

log = logging.getLogger("generator")
SITE_CONFIG = "site_config.yml"


@dataclass(frozen=True)
class Project:
    """Where a project's inputs and outputs are, resolved from its two configuration files."""

    root: Path
    config: SiteConfig
    mkdocs_config: Path
    site_name: str
    docs_dir: Path
    site_dir: Path
    cache_dir: Path
    site_url: SiteUrl
    templates: tuple[Path, ...]
    """The template folders: the project's (when it has one), then the package's."""
    engine: dict[str, Any]
    """What mkdocs is given on top of mkdocs.yml: what the pages need (`generator.engine`)."""
    mkdocs_keys: frozenset[str] = frozenset()
    """The settings mkdocs.yml gives (some, such as its own `nav`, keep a large site's build whole)."""

    @property
    def content_dir(self) -> Path:
        return self.root / self.config.paths.content_dir

    @property
    def templates_dir(self) -> Path:
        return self.root / self.config.paths.templates_dir


def open_project(root: Path, *, site_dir: Path | None = None, docs_dir: Path | None = None) -> Project:
    """Read `site_config.yml` and the folders named in `mkdocs.yml`; folders given here win.

    Every output folder is checked before anything is written: see `generator.outputs`.
    """
    config = load_site_config(root / SITE_CONFIG)
    mkdocs_path = root / config.paths.mkdocs_config
    if not os.path.lexists(mkdocs_path):
        raise ConfigError([Problem(mkdocs_path, "mkdocs configuration not found")])
    raw, lines = check_mkdocs_config(mkdocs_path)
    outputs = [
        _output_folder(name, explicit, mkdocs_path, raw, lines)
        for name, explicit in (("site_dir", site_dir), ("docs_dir", docs_dir))
    ]
    outside = [
        output.problem(f"is outside the project {root.resolve()}; name a folder inside it")
        for output in outputs
        if output.declared_in == mkdocs_path and not output.path.resolve().is_relative_to(root.resolve())
    ]
    if outside:
        raise ConfigError(outside)
    inputs = {
        root / config.paths.content_dir: "the content folder (paths.content_dir)",
        root / config.paths.templates_dir: "the templates folder (paths.templates_dir)",
    }
    cache = OutputFolder(
        "paths.cache_dir",
        root / config.paths.cache_dir,
        root / SITE_CONFIG,
        line_of(line_index(root / SITE_CONFIG), ("paths", "cache_dir")),
    )
    check_output_folders(root, [*outputs, cache], inputs, [root / SITE_CONFIG, mkdocs_path])
    templates = template_folders(root / config.paths.templates_dir)
    return Project(
        root=root,
        config=config,
        mkdocs_config=mkdocs_path,
        site_name=str(raw.get("site_name", "Evidence site")),
        docs_dir=outputs[1].path,
        site_dir=outputs[0].path,
        cache_dir=cache.path,
        site_url=_site_url(root, config, raw, mkdocs_path),
        templates=templates,
        engine=engine_settings(raw, mkdocs_path, lines, templates),
        mkdocs_keys=frozenset(str(key) for key in raw),
    )


def _site_url(root: Path, config: SiteConfig, raw: dict, mkdocs_path: Path) -> SiteUrl:
    """The site's address, rebuilt from its parts: the value mkdocs is given (see generator.publish)."""
    return check_url(
        resolve_site_url(config.publish.site_url, raw.get("site_url"), root / SITE_CONFIG, mkdocs_path)
    )


def _output_folder(name: str, explicit: Path | None, mkdocs_path: Path, raw: dict, lines) -> OutputFolder:
    """An output folder from the command line (`--site-dir`) or else from mkdocs.yml, with its place."""
    if explicit is not None:
        return OutputFolder(f"--{name.replace('_', '-')}", explicit.absolute(), Path("command line"))
    value = raw.get(name, {"docs_dir": "docs", "site_dir": "site"}[name])
    if not value.strip():
        raise ConfigError(
            [Problem(mkdocs_path, "is empty; name a folder such as site", line_of(lines, (name,)), name)]
        )
    return OutputFolder(name, mkdocs_path.parent / value, mkdocs_path, line_of(lines, (name,)))


def check_mkdocs_config(path: Path) -> tuple[dict, dict]:
    """Validate mkdocs.yml with mkdocs' own schema, every error located.

    Returns its raw settings and the line of each key."""
    lines = line_index(path)
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml_load(handle) or {}
    except Exception as exc:  # mkdocs' loader raises several YAML and config types
        raise ConfigError([Problem(path, f"cannot be read: {exc}")]) from None
    problems = [
        Problem(
            path,
            f"{name} must be a folder name, found {type(raw[name]).__name__}",
            line=line_of(lines, (name,)),
            field=name,
        )
        for name in ("docs_dir", "site_dir")
        if name in raw and not isinstance(raw[name], str)
    ]
    errors = _WarningCollector(logging.ERROR)
    logging.getLogger("mkdocs").addHandler(errors)
    theme = raw.get("theme")
    named: dict[str, Any] = {}
    if isinstance(theme, dict) and "name" not in theme:
        named["theme"] = {"name": THEME, **theme}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            (Path(scratch) / "docs").mkdir()
            scratch_dirs = {"docs_dir": str(Path(scratch) / "docs"), "site_dir": str(Path(scratch) / "site")}
            load_config(str(path), **scratch_dirs, **named)  # a theme's name is the generator's to give
    except (TypeError, ValueError, AttributeError) as exc:  # mkdocs' checks of some values raise these
        problems.append(Problem(path, f"mkdocs refused this configuration: {type(exc).__name__}: {exc}"))
    except (MkDocsException, SystemExit):
        for message in errors.messages:
            key = re.search(r"Config value '([^']+)'", message)
            field = key[1] if key else None
            line = line_of(lines, tuple(field.split("."))) if field else None
            problems.append(Problem(path, message.split(": ", 1)[-1], line=line, field=field))
        if not errors.messages:
            problems.append(Problem(path, "mkdocs refused this configuration"))
    finally:
        logging.getLogger("mkdocs").removeHandler(errors)
    if problems:
        raise ConfigError(problems)
    return raw, lines


@contextmanager
def stage(label: str) -> Iterator[Callable[[str], None]]:
    """Log a pipeline stage with how long it took; the stage may add a note to its line."""
    start, notes = time.perf_counter(), list[str]()
    yield notes.append
    note = "".join(f", {n}" for n in notes if n)
    log.info("%s%s (%.2f s)", label, note, time.perf_counter() - start)


def generate(
    project: Project,
    previous_manifest: dict | None = None,
    *,
    write_cache: bool = True,
    scheduler: Scheduler | None = None,
) -> dict[str, bytes]:
    """Load, validate, compute, audit and render: every generated file, in memory.

    Each study goes through load, compute, audit, values, charts, pages and downloads on its own
    (`generator.studies`: in parallel, and from the cache when nothing it depends on changed); then
    the pages about all studies are rendered from their summaries. `previous_manifest` is the
    figures a previous build published, for the "What changed" page. Without `write_cache`, the
    cache is only read (`check` writes nothing). With a `scheduler`, the studies not in the cache
    are built on that Dask cluster (`generator.cluster`).
    """
    with stage("Listed the studies and read the shared-outcome vocabulary and the glossary"):
        vocabulary = load_vocabulary(project.content_dir)
        glossary = load_glossary(project.content_dir)
        tasks = study_tasks(
            list_study_folders(project.content_dir),
            project.root,
            project.config,
            project.templates,
            vocabulary_path(project.content_dir),
            vocabulary,
        )
    cache = StudyCache(project.cache_dir, writable=write_cache)
    cache.prepare()
    count = f"{len(tasks)} stud{'y' if len(tasks) == 1 else 'ies'}"
    with stage(f"Loaded, computed, audited and rendered {count}") as note:
        outputs, errors, from_cache = build_studies(tasks, cache, scheduler=scheduler)
        note(f"{from_cache} from the cache" if from_cache else "")
    problems = [problem for error in errors for problem in error.problems]
    summaries = [output.summary for output in outputs]
    problems += duplicate_studies([(project.root / s.folder, s.doi, s.pmid) for s in summaries])
    if problems:
        kind = type(errors[0]) if errors else DataError
        raise kind(cap_per_file(list(dict.fromkeys(problems))))
    cache.keep_only({output.slug for output in outputs})
    return assemble_site(project, vocabulary, glossary, outputs, previous_manifest, write_cache=write_cache)


def assemble_site(
    project: Project,
    vocabulary: OutcomeVocabulary,
    glossary: Glossary,
    outputs: list[StudyOutput],
    previous: dict | None,
    *,
    write_cache: bool = True,
) -> dict[str, bytes]:
    """The studies' files, and the pages about all of them: home, study index, comparisons, what
    changed (`write_cache`: the templates compiled here may be kept, `generator.compiled`)."""
    with stage("Rendered the study index, the comparisons and what changed"):
        summaries = [output.summary for output in outputs]
        comparisons = build_comparisons(
            vocabulary,
            [entry for summary in summaries for entry in summary.entries],
            project.config.comparison,
            project.config.statistics.ci_level,
        )
        # a study's rows of the study index and of the comparisons beyond their first page
        moves = moved_rows(
            [(STUDIES_INDEX, [s.study for s in in_index_order(summaries)])]
            + [(c.path, [e.study for e in c.entries]) for c in comparisons]
        )
        # the pooled estimates are figures like any other: published, and followed by "What changed"
        values = [
            shown_where(value, moves.get(output.summary.study, {}))
            for output in outputs
            for value in output.values
        ] + comparison_values(comparisons)
        version = content_version(project.content_dir)
        if previous is not None and previous.get("site") not in (None, project.site_name):
            log.warning(
                "Warning: the previous manifest is of the site %r, not %r; its record is taken on",
                previous.get("site"),
                project.site_name,
            )
        history = record_version(previous, values, version, build_date().isoformat())
        # the date this data version was first built: rebuilding the same data changes nothing
        first_built = history[0].built or build_date().isoformat()  # record_version always dates it
        site = SiteInfo(project.site_name, version, dt.date.fromisoformat(first_built))
        env = environment(project.templates, keep_compiled=write_cache)
        files = render_site_pages(env, summaries, comparisons, project.config, site, history, glossary)
        for output in outputs:
            twice = files.keys() & output.files.keys()
            if twice:
                raise BuildError(f"{output.slug} would write {', '.join(sorted(twice))}, written already")
            study = output.summary.study
            if study in moves:  # its figures' links to its rows follow them to their pages
                folder = f"{STUDIES_FOLDER}/{study}"
                linking = {f"{folder}/{name}" for name in (AUDIT, SOURCE)}  # its "Shown on" links
                files.update(relinked(output.files, folder, moves[study], f"u-{study}-", linking))
            else:
                files.update(output.files)
        files.update(with_data_version(files, site.data_version))
        manifest = {
            "site": site.title,
            "data_version": site.data_version,
            "built": site.built.isoformat(),
            "history": [record.to_json() for record in history],
        }
        files[VALUES_INDEX] = values_index(values, manifest, project.config.data)
        nav = site_nav(summaries, {output.slug: output.nav for output in outputs}, comparisons, glossary)
        files[NAV_FILE] = (json.dumps(nav, indent=1, ensure_ascii=False) + "\n").encode()
        search = project.config.search.chosen(len(summaries))
        pages = sum(name.endswith(incremental.PAGE_SUFFIX) for name in files)
        files[SITE_FILE] = site_file(site, glossary, search, unlisted(files), keeps_instant_navigation(pages))
        files.update(site_assets(project.templates))
    return files


def site_file(
    site: SiteInfo, glossary: Glossary, search: str, unlisted: list[str], instant: bool = True
) -> bytes:
    """What the mkdocs hook adds to every page (the data version, for the printed footer; the search
    engine, for the search box) and to the search index (the forms of each glossary term, which find
    the same pages), the pages it keeps out of the navigation (`unlisted`: reached by links), and
    whether the theme's instant navigation is kept (`instant`: not on a large site)."""
    info: dict[str, Any] = {
        "data_version": site.data_version,
        "built": site.built.isoformat(),
        "search": search,
        "search_forms": [term.forms for term in glossary.terms],
        "unlisted": unlisted,
    }
    if not instant:
        info["instant"] = False
    return (json.dumps(info, indent=1, ensure_ascii=False) + "\n").encode()


def build_date() -> dt.date:
    """Today (UTC), or the date of SOURCE_DATE_EPOCH when set, so builds can be reproduced."""
    try:
        date = source_date(os.environ.get("SOURCE_DATE_EPOCH"))
    except ValueError as exc:
        raise ConfigError([Problem(Path("SOURCE_DATE_EPOCH"), str(exc))]) from None
    return date or dt.datetime.now(dt.UTC).date()


def build_site(
    project: Project, previous: str | None = None, scheduler: Scheduler | None = None
) -> list[str]:
    """Generate the pages, build the site with mkdocs (strict) and publish both; return pages written.

    `previous` is a path or URL of an earlier build's data/values.json; by default, the last build's.
    With a `scheduler`, the studies are built on that Dask cluster. When only pages and data files
    changed since the last build, only the changed pages are rendered again (`generator.incremental`).
    Disk and permission failures are a BuildError: the previous site stays as it was.
    """
    if project.site_url.problem:
        log.warning("Warning: %s", project.site_url.advice())
    files = generate(project, read_manifest(previous, project.site_dir), scheduler=scheduler)
    planned_targets(files, project.docs_dir)  # before the site is replaced: the pages can be written
    inputs = incremental.inputs_digest(
        project.engine,
        project.mkdocs_config,
        project.templates,
        files,
        [str(project.site_dir.resolve()), str(project.docs_dir.resolve()), project.site_url.value or ""],
    )
    hashes = incremental.file_hashes(files)
    site_info = json.loads(files[SITE_FILE])  # what every page's footer prints (not the values' index)
    version, built = str(site_info["data_version"]), str(site_info["built"])
    try:
        with staging_folder(project.site_dir) as staging:
            update = incremental.planned_update(project.cache_dir, project.site_dir, inputs, hashes)
            chunked = site_info.get("search") == "pagefind"  # Pagefind's index made in the build
            anchors, known = _built_site(project, staging, files, update, version, built, chunked)
            mark(staging / "site")
            # this build's own site, listed before it is moved (a rename keeps every file's time):
            # a build that replaces it meanwhile leaves a site that does not match this record
            listing = incremental.site_listing(staging / "site")
            incremental.forget_record(project.cache_dir)  # until the new site's is written
            with stage(f"Replaced {project.site_dir} with the new site"):
                replace_folder(staging / "site", project.site_dir, staging)
    except OSError as exc:
        raise BuildError(f"the site could not be written, so the previous site is kept: {exc}") from exc
    record = incremental.SiteRecord(inputs, hashes, listing, anchors, version, built)
    incremental.write_record(project.cache_dir, record)
    try:
        return write_tree(files, project.docs_dir, known)
    except OSError as exc:
        raise BuildError(f"the site was built, but its pages could not be written: {exc}") from exc


def _built_site(
    project: Project,
    staging: Path,
    files: dict[str, bytes],
    update: incremental.Update | None,
    version: str,
    built: str,
    chunked: bool,
) -> tuple[dict[str, list[str]], dict[str, FileStamp]]:
    """The site built in `staging/site` from `staging/docs`: only the changed pages when the last
    build's record allows it (`update`), else in full (`chunked`: searched with Pagefind, whose
    index is made here). Returns every page's anchors, for the record, and the stamps of the pages
    folder's files found to hold this build's bytes (`incremental.stage_docs`)."""
    known: dict[str, FileStamp] = {}
    if update is not None:
        # with no other plugin or hook, mkdocs writes only the changed files (the generator's hook
        # says which) into an empty site, and the last site's other files are linked, not copied
        linked = shards.whole_build_reason(project.engine, project.mkdocs_keys, files) is None
        label = f"Built the {len(update.pages)} changed pages with mkdocs (strict)"
        with stage(label), dated(built), incremental.dirty_build_allowed():
            if linked:
                known = incremental.stage_docs(files, update, staging / "docs", project.docs_dir)
                seen = _mkdocs(project, staging, dirty=True, shard=update.render_setting())
                # linked once mkdocs has written what it writes: whatever a theme, an extension or
                # a plugin writes in place, it cannot write through a link into the last site
                incremental.link_last_site(update, project.site_dir, staging / "site", chunked_search=chunked)
            else:
                write_tree(incremental.staged_files(files, update), staging / "docs")
                incremental.prepare(update, project.site_dir, staging / "site", staging / "docs")
                seen = _mkdocs(project, staging, dirty=True)
            why = incremental.finish(
                update,
                seen,
                project.site_dir,
                staging / "site",
                version,
                built,
                chunked_search=chunked,
                linked=linked,
            )
        if why is None:
            return incremental.new_anchors(update.previous.anchors, seen), known
        log.info("  a full build after all: %s", why)
        shutil.rmtree(staging / "site")
        shutil.rmtree(staging / "docs")
    slices = shards.plan(files)
    if len(slices) > 1 and (why := shards.whole_build_reason(project.engine, project.mkdocs_keys, files)):
        log.info("  mkdocs builds the site whole, not in slices: %s", why)
        slices = slices[:1]
    label = "Built the site with mkdocs (strict)" + (f" in {len(slices)} slices" if len(slices) > 1 else "")
    with stage(label), dated(built):
        write_tree(files, staging / "docs")
        if len(slices) > 1:
            render = functools.partial(_mkdocs_shard, project, staging / "docs", built)
            seen = shards.build_in_shards(
                render,
                slices,
                staging / "site",
                staging,
                chunked_search=chunked,
                check_anchors=_anchors_level(project, staging / "docs") >= logging.WARNING,
            )
        else:
            seen = _mkdocs(project, staging)
    return incremental.new_anchors({}, seen), known


def _anchors_level(project: Project, docs: Path) -> int:
    """The level at which mkdocs reports a link to a missing anchor (a strict build fails from
    WARNING); WARNING when it cannot be read (the slices' own builds then say what is wrong)."""
    try:
        config = load_config(
            str(project.mkdocs_config), docs_dir=str(docs.absolute()), **copy.deepcopy(project.engine)
        )
        return int(config.validation.links.anchors)
    except Exception:  # mkdocs' configuration errors are several types; the slices report them
        return logging.WARNING


def _mkdocs_shard(project: Project, docs: Path, built: str, shard: shards.Shard, site: Path) -> dict:
    """One slice of the site built into `site` (in a worker process: `generator.shards`)."""
    with dated(built), incremental.dirty_build_allowed():
        return run_mkdocs(
            project.mkdocs_config, docs, site, project.site_url.value, shard=shard.setting(), **project.engine
        )


def _mkdocs(
    project: Project, staging: Path, *, dirty: bool = False, shard: dict[str, Any] | None = None
) -> incremental.PageAnchors:
    return run_mkdocs(
        project.mkdocs_config,
        staging / "docs",
        staging / "site",
        project.site_url.value,
        dirty=dirty,
        shard=shard,
        **project.engine,
    )


def built_date(files: dict[str, bytes]) -> str:
    """The date the generated files give as the build's: the day their data version was first built."""
    return json.loads(files[SITE_FILE])["built"]


def run_mkdocs(
    config_file: Path,
    docs_dir: Path,
    site_dir: Path,
    site_url: str | None = None,
    *,
    dirty: bool = False,
    shard: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, dict[str, Any]]:
    """A real `mkdocs build --strict` of `docs_dir` into `site_dir` (served at `site_url` when given,
    with other settings of mkdocs.yml replaced by `overrides`); warnings become a BuildError.

    `dirty`: only the pages newer than their output are rendered (mkdocs' own dirty build); `shard`:
    only its pages, a slice of the site (`generator.shards`). Returns the anchors of each page
    rendered, as the generator's hook saw them (empty without the hook)."""
    warnings = _WarningCollector()
    mkdocs_logger = logging.getLogger("mkdocs")
    mkdocs_logger.addHandler(warnings)
    overrides = copy.deepcopy(overrides)  # mkdocs' validation takes settings apart as it reads them
    if site_url:
        overrides["site_url"] = site_url
    try:
        config = load_config(  # folders made absolute: mkdocs reads relative ones from mkdocs.yml's folder
            str(config_file),
            strict=True,
            docs_dir=str(Path(docs_dir).absolute()),
            site_dir=str(Path(site_dir).absolute()),
            **overrides,
        )
        hook = _generator_hook(config)
        if hook is None and shard is not None:
            raise BuildError(
                f"a slice of the site cannot be built without the generator's hook: {config_file}"
            )
        if hook is not None:  # the hook's module outlives a build in this process: every build sets it
            hook.render_only(shard)
            hook.keep_compiled(compiled_templates())
        try:
            mkdocs_build(config, dirty=dirty or shard is not None)
        finally:
            if hook is not None:
                hook.render_only(None)
                hook.keep_compiled(None)
    except (MkDocsException, SystemExit) as exc:
        details = "\n".join(f"  - {message}" for message in warnings.messages) or f"  - {exc}"
        raise BuildError(f"mkdocs build --strict failed ({config_file}):\n{details}") from exc
    except jinja2.TemplateSyntaxError as exc:  # a theme override the project holds
        where = Path(exc.filename or "theme template")
        raise TemplateError(
            [Problem(where, f"template syntax error: {exc.message}", line=exc.lineno)]
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError([Problem(Path(config_file), f"a theme template failed: {exc}")]) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a theme setting mkdocs took
        raise BuildError(
            f"mkdocs build failed ({config_file}): {type(exc).__name__}: {exc}; check the theme's "
            "settings there (palette, features, ...) against Material for MkDocs' documentation"
        ) from exc
    finally:
        mkdocs_logger.removeHandler(warnings)
    return _page_anchors(config)


def _page_anchors(config: Any) -> dict[str, dict[str, Any]]:
    hook = _generator_hook(config)
    return hook.page_anchors() if hook is not None else {}


def _generator_hook(config: Any) -> Any:
    """The generator's mkdocs hook, as this configuration loaded it (None when it lists no hook)."""
    hooks = config.get("hooks") or {}
    for hook in hooks.values() if isinstance(hooks, dict) else ():
        if callable(getattr(hook, "page_anchors", None)):
            return hook
    return None


class _WarningCollector(logging.Handler):
    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
