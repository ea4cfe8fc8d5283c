"""A project of one's own: `init DIR` writes a new project that builds as written, and `templates
--copy` copies the package's page templates, assets or theme overrides into a project to change them.

Nothing here overwrites: `init` writes only into a new or empty folder, `templates --copy` only files
the project does not have yet.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from importlib import metadata
from pathlib import Path

from generator import __version__
from generator.errors import ConfigError, Problem
from generator.mkdocs_hooks import default_templates
from generator.outputs import write_file_atomically

STARTER = Path(__file__).resolve().parent / "starter"
DISTRIBUTION = "evidence-site-generator"
EXAMPLE_SLUG = "example"
STARTER_FILES = {
    "README.md": "README.md",
    "mkdocs.yml": "mkdocs.yml",
    "site_config.yml": "site_config.yml",
    ".gitignore": "gitignore",
    ".github/workflows/site.yml": "workflow.yml",
    "content/outcomes.yml": "outcomes.yml",
    "content/glossary.yml": "glossary.yml",
}
"""Each file of a new project, and the package's file it is copied from."""


def init_project(folder: Path) -> list[Path]:
    """Write a new project into `folder` (new or empty): the starter files, requirements.txt and a
    commented example study. Returns the files written."""
    from generator.schema import SCHEMA_DIR, STUDY_SCHEMA, write_schemas
    from generator.skeleton import write_example_study

    if os.path.lexists(folder) and (not folder.is_dir() or any(folder.iterdir())):
        what = "is not empty" if folder.is_dir() else "exists and is not a folder (or is a broken link)"
        raise ConfigError([Problem(folder, f"{what}: name a new or empty folder for the project")])
    folder.mkdir(parents=True, exist_ok=True)
    for target, source in STARTER_FILES.items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(STARTER / source, path)
    (folder / "requirements.txt").write_text(requirements(), encoding="utf-8")
    write_schemas(folder / SCHEMA_DIR, protected={})
    write_example_study(folder / "content", EXAMPLE_SLUG, folder / SCHEMA_DIR / STUDY_SCHEMA)
    return sorted(path for path in folder.rglob("*") if path.is_file())


def requirements() -> str:
    """requirements.txt of a new project: the generator as it was installed (a git URL when it came
    from one) and the versions of everything it needs as this environment has them."""
    lines = [
        "# The generator, and the versions of what it needs that `evidence-site init` ran with.",
        "# Install with: pip install -r requirements.txt",
    ]
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "\n".join([*lines, f"{DISTRIBUTION}=={__version__}", ""])
    lines.append(_installed_from(distribution))
    lines += [f"{name}=={version}" for name, version in sorted(_pins(distribution).items())]
    return "\n".join([*lines, ""])


def _installed_from(distribution: metadata.Distribution) -> str:
    """`name @ git+URL@commit` when pip installed it from git (PEP 610's direct_url.json), else
    `name==version` (with a note when it came from a local file, which another machine cannot reach)."""
    text = distribution.read_text("direct_url.json")
    try:
        origin = json.loads(text) if text else {}
    except ValueError:
        origin = {}
    url, vcs = origin.get("url", ""), origin.get("vcs_info") or {}
    commit, where = vcs.get("commit_id", ""), origin.get("subdirectory", "")
    if (
        vcs.get("vcs") == "git"
        and re.fullmatch(r"(https|ssh)://[^\s#@]*(@[^\s#/]+/[^\s#]*)?", url)
        and re.fullmatch(r"[0-9a-f]{7,64}", commit)
        and re.fullmatch(r"[\w./-]*", where)
    ):
        return f"{DISTRIBUTION} @ git+{url}@{commit}" + (f"#subdirectory={where}" if where else "")
    pinned = f"{DISTRIBUTION}=={distribution.version}"
    if url.startswith("file:"):
        return f"{pinned}  # installed from {url}: name where another machine can install it from"
    return pinned


def _pins(distribution: metadata.Distribution) -> dict[str, str]:
    """Every distribution the generator needs, directly or not, with its installed version."""
    found: dict[str, str] = {}
    waiting = list(distribution.requires or [])
    while waiting:
        requirement = waiting.pop()
        if ";" in requirement and "extra ==" in requirement.split(";", 1)[1]:
            continue  # an optional extra's
        name = re.split(r"[\s<>=!~\[;(]", requirement, maxsplit=1)[0]
        key = name.lower().replace("_", "-")
        if key in found:
            continue
        try:
            needed = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a marker excluded it on this system
        found[key] = needed.version
        waiting += needed.requires or []
    return found


def copy_templates(project_templates: Path, names: list[str], project: Path) -> list[Path]:
    """Copy the package's templates named (files or folders relative to it; all when none) into the
    project's templates folder, where they are used instead. Files the project has are kept; the
    folder must lie in the project, and nothing is written through a link."""
    if project_templates.is_symlink() or not project_templates.resolve().is_relative_to(project.resolve()):
        message = "is a link or lies outside the project: templates are copied into the project only"
        raise ConfigError([Problem(project_templates, message, field="paths.templates_dir")])
    package = default_templates()
    available = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    chosen = [
        n for n in available if not names or any(n == w or n.startswith(w.rstrip("/") + "/") for w in names)
    ]
    unknown = [w for w in names if not any(n == w or n.startswith(w.rstrip("/") + "/") for n in available)]
    if unknown:
        listing = ", ".join(n for n in available if "/plotly/" not in n)
        raise ConfigError(
            [Problem(package, f"has no template {name!r}; it has: {listing}") for name in unknown]
        )
    written = []
    for name in chosen:
        target = project_templates / name
        if os.path.lexists(target):
            continue  # the project's own (a link included: never written through)
        folders = [project_templates.joinpath(*Path(name).parts[:i]) for i in range(1, len(Path(name).parts))]
        linked = next((folder for folder in folders if folder.is_symlink()), None)
        if linked is not None:
            message = "is a link; a template is copied into the templates folder itself, never through one"
            raise ConfigError([Problem(linked, message)])
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomically(target, (package / name).read_bytes())
        written.append(target)
    return written
