"""The build, read as a table of contents: load -> compute -> render -> write -> mkdocs -> publish.

Everything is computed in memory before anything is written. The mkdocs build runs in a staging
folder, and `site/` is replaced only when it succeeded, so a failed build leaves the last good site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.utils.yaml import yaml_load

from generator.analysis import analyse_study
from generator.audit import audit_study, raise_for_failures
from generator.config import SiteConfig, load_site_config
from generator.errors import BuildError, ConfigError, Problem
from generator.load import load_studies
from generator.render import SiteInfo, render_site
from generator.write import write_tree

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

    @property
    def content_dir(self) -> Path:
        return self.root / self.config.paths.content_dir

    @property
    def templates_dir(self) -> Path:
        return self.root / self.config.paths.templates_dir


def open_project(root: Path, *, site_dir: Path | None = None, docs_dir: Path | None = None) -> Project:
    """Read `site_config.yml` and the folders named in `mkdocs.yml`; explicit folders win."""
    config = load_site_config(root / SITE_CONFIG)
    mkdocs_path = root / config.paths.mkdocs_config
    if not mkdocs_path.is_file():
        raise ConfigError([Problem(mkdocs_path, "mkdocs configuration not found")])
    try:
        with mkdocs_path.open(encoding="utf-8") as handle:
            raw = yaml_load(handle) or {}
    except Exception as exc:  # mkdocs' loader raises several YAML and config types
        raise ConfigError([Problem(mkdocs_path, f"cannot be read: {exc}")]) from None
    here = mkdocs_path.parent
    return Project(
        root=root,
        config=config,
        mkdocs_config=mkdocs_path,
        site_name=str(raw.get("site_name", "Evidence site")),
        docs_dir=docs_dir or here / str(raw.get("docs_dir", "docs")),
        site_dir=site_dir or here / str(raw.get("site_dir", "site")),
    )


@contextmanager
def stage(label: str) -> Iterator[None]:
    """Log a pipeline stage with how long it took."""
    start = time.perf_counter()
    yield
    log.info("%s (%.2f s)", label, time.perf_counter() - start)


def generate(project: Project) -> dict[str, bytes]:
    """Load, validate, compute, audit and render: every generated file, in memory."""
    with stage("Loaded and validated the content"):
        studies = load_studies(project.content_dir)
    with stage(f"Computed the results of {len(studies)} stud{'y' if len(studies) == 1 else 'ies'}"):
        results = [analyse_study(study, project.config.statistics) for study in studies]
    with stage("Audited the reported figures"):
        audits = [audit_study(result) for result in results]
        for audit, result in zip(audits, results, strict=True):
            raise_for_failures(audit, result)
    site = SiteInfo(project.site_name, content_version(project.content_dir), build_date())
    with stage("Rendered the pages, charts and downloads"):
        return render_site(results, audits, project.config, project.templates_dir, site)


def content_version(content_dir: Path) -> str:
    """A short hash of every file under content/: the version of the data a site shows."""
    digest = hashlib.sha256()
    for path in sorted(p for p in content_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(content_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def build_date() -> dt.date:
    """Today (UTC), or the date of SOURCE_DATE_EPOCH when set, so builds can be reproduced."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return moment.date()


def build_site(project: Project) -> list[str]:
    """Generate the pages, build the site with mkdocs (strict) and publish both; return pages written."""
    files = generate(project)
    project.site_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".evidence-build-", dir=project.site_dir.parent))
    try:
        write_tree(files, staging / "docs")
        with stage("Built the site with mkdocs (strict)"):
            run_mkdocs(project.mkdocs_config, staging / "docs", staging / "site")
        with stage(f"Published the site to {project.site_dir}"):
            _replace_dir(staging / "site", project.site_dir)
            written = write_tree(files, project.docs_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def run_mkdocs(config_file: Path, docs_dir: Path, site_dir: Path) -> None:
    """A real `mkdocs build --strict` of `docs_dir` into `site_dir`; warnings become a BuildError."""
    warnings = _WarningCollector()
    mkdocs_logger = logging.getLogger("mkdocs")
    mkdocs_logger.addHandler(warnings)
    try:
        config = load_config(str(config_file), strict=True, docs_dir=str(docs_dir), site_dir=str(site_dir))
        mkdocs_build(config)
    except (MkDocsException, SystemExit) as exc:
        details = "\n".join(f"  - {message}" for message in warnings.messages) or f"  - {exc}"
        raise BuildError(f"mkdocs build --strict failed ({config_file}):\n{details}") from exc
    finally:
        mkdocs_logger.removeHandler(warnings)


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _replace_dir(new: Path, target: Path) -> None:
    """Swap `new` in for `target` with two renames, so a reader never sees a half-written site."""
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    new.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
