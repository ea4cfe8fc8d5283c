"""The command line: the only place that turns errors into messages and exit codes.

Each command imports what it needs when it runs: `--help`, `--version`, `settings`, `schema` and `new`
never import the statistics (scipy, statsmodels), the charts or mkdocs, which take more
than a second to import. `check` does: it renders every page and audits every figure, as `build` does.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.errors import BuildError, InputError
from generator.invocation import command

if TYPE_CHECKING:
    from pydantic import BaseModel

    from generator.cluster import Scheduler

SITE_CONFIG = "site_config.yml"  # generator.build.SITE_CONFIG, not imported for `--help`
SCHEMA_HELP_DIR, STUDY_SCHEMA_HELP = "schema", "study.schema.json"
"""generator.schema's SCHEMA_DIR and STUDY_SCHEMA as the help shows them (tests/test_cli.py checks them):
generator.schema imports the content model, which is not needed to print the help."""

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_BUILD_FAILED, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
WRITE_FAILED = {
    "new": "the study folder could not be written, so nothing was",
    "schema": "the schemas could not be written",
    "share": "the offline copy could not be written",
    "init": "the new project could not be written",
    "templates": "the templates could not be copied",
}
"""What failed, when the disk or a folder refuses a command that is not a build."""

DESCRIPTION = """\
Turn study data (content/studies/<slug>/: study.yml and outcome CSVs) into a searchable static
evidence site: tables with confidence intervals, interactive charts and the source of every figure.
Run `%(prog)s COMMAND --help` for a command's options.
"""


def epilog() -> str:
    """The exit codes, and examples written as this command was run (so each works as written)."""
    examples = [
        "build",
        "build --site-dir /tmp/preview-site",
        "build --previous https://example.org/site/data/values.json",
        "preview --open --dev-addr 127.0.0.1:8001",
        "init mysite",
        "new smith-2020",
        "schema --out schema",
        "templates --copy home.md.j2",
    ]
    deploy = f"EVIDENCE_SITE_URL=https://me.github.io/evidence/ {command('deploy --remote origin')}"
    return f"""\
exit codes:
  {EXIT_OK}  success
  {EXIT_BAD_INPUT}  bad input: each problem is listed with its file, line and field
  {EXIT_USAGE}  wrong command-line usage
  {EXIT_BUILD_FAILED}  the pages or the mkdocs build failed (the previous site/ is kept), or a module
     the command needs is not installed in this Python (the message says what to run)
  {EXIT_INTERNAL}  an internal error: run again with --debug for the traceback
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)

examples:
{chr(10).join(f"  {command(example)}" for example in examples[:4])}
  {deploy}
{chr(10).join(f"  {command(example)}" for example in examples[4:])}
"""


def make_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project",
        type=Path,
        default=Path("."),
        help="project folder holding site_config.yml (default: the current folder)",
    )
    common.add_argument("--debug", action="store_true", help="show the Python traceback of any error")
    common.add_argument("-q", "--quiet", action="store_true", help="print errors only")

    parser = argparse.ArgumentParser(
        prog=command("").rstrip(),  # as run: evidence-site, .venv/bin/evidence-site, python -m generator
        description=DESCRIPTION,
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build",
        parents=[common],
        help="validate, compute and render, then build the site into site/ (mkdocs --strict)",
        description="Validate the content, compute the results, render the pages "
        "and build the site with `mkdocs build --strict`. The site is built in a "
        "staging folder and replaces site/ only when everything succeeded. After an edit, only the "
        "studies and pages that changed are built again (the site is the one a full build gives).",
    )
    build.add_argument("--site-dir", type=Path, help="write the site here instead of mkdocs.yml's site_dir")
    build.add_argument(
        "--previous",
        metavar="PATH_OR_URL",
        help="the data/values.json of an earlier build to list what changed since: a file, a file:// "
        "URL or an http(s):// URL, read within 60 s (default: the last build in the site folder)",
    )
    build.add_argument(
        "--docs-dir", type=Path, help="write the generated Markdown here instead of mkdocs.yml's docs_dir"
    )
    add_scheduler_option(build)

    deploy = commands.add_parser(
        "deploy",
        parents=[common],
        help="build the site in full, then push it to the gh-pages branch of a git remote (GitHub Pages)",
        description="Build the site as `build` does (mkdocs --strict), then commit site/ with .nojekyll "
        "to a branch (default gh-pages) and push it to a git remote (default origin) with ghp-import, "
        "as `mkdocs gh-deploy` does. Refused when publish.site_url (or EVIDENCE_SITE_URL) is missing "
        "or a placeholder; nothing is pushed when the build fails. Only the site's one commit is pushed, "
        "to a remote configured with `git remote add`; refused, before building: git's shorthand (@, "
        "HEAD, @{-1}, -), full ref names, tags, a checked-out branch, a remote branch holding "
        "anything this command did not write, and uncommitted changes (unless --allow-dirty). The "
        "site's commit names the project's commit it was built from and the data version.",
    )
    deploy.add_argument("--remote", help="the git remote to push to (default: publish.remote, origin)")
    deploy.add_argument("--branch", help="the branch to publish on (default: publish.branch, gh-pages)")
    deploy.add_argument(
        "--previous",
        metavar="PATH_OR_URL",
        help="the data/values.json of the published site, to list what changed since",
    )
    deploy.add_argument(
        "--allow-dirty",
        action="store_true",
        help="deploy even when the project has uncommitted changes (git status); the site's commit "
        "says 'with uncommitted changes' and lists them",
    )
    add_scheduler_option(deploy)

    share = commands.add_parser(
        "share",
        parents=[common],
        help="write an offline copy of the site: one zip that opens by double-click, no server needed",
        description="Build the site for reading from files (links to files, search without a server, "
        "no instant navigation) and write it as one zip, to send to collaborators. Only a new file, or "
        "an offline copy this command wrote, is written.",
    )
    share.add_argument(
        "--out", type=Path, help="the zip to write (default: evidence-site-offline.zip in the project)"
    )
    share.add_argument("--previous", metavar="PATH_OR_URL", help="as for build: the manifest to compare with")

    preview = commands.add_parser(
        "preview",
        parents=[common],
        help="serve the pages with live reload, regenerating on every change",
        description="Generate the pages, serve them with mkdocs' live reload, and "
        "regenerate whenever content/, templates/, site_config.yml or mkdocs.yml change. A bad "
        "edit prints its located error, and every page served shows it in a banner until it is "
        "fixed; the last good pages stay served.",
    )
    preview.add_argument(
        "--dev-addr", default="127.0.0.1:8000", help="address to serve on (default: %(default)s)"
    )
    preview.add_argument("--open", action="store_true", help="open the site in the web browser once served")
    preview.add_argument(
        "--watch",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="also regenerate when this file or folder changes (repeat for more)",
    )

    commands.add_parser(
        "check",
        parents=[common],
        help="validate the settings and every study; write nothing",
        description="Load and validate the settings and every study; write nothing.",
    )
    commands.add_parser(
        "settings",
        parents=[common],
        help="list every setting of site_config.yml with its default and meaning",
    )

    init = commands.add_parser(
        "init",
        help="write a new project (an example study, settings, mkdocs.yml, workflow) that builds as is",
        description="Write a new evidence-site project into DIR (a new or empty folder): an example "
        "study with every field explained in a comment, content/outcomes.yml and glossary.yml, "
        "site_config.yml, a short mkdocs.yml, .gitignore, the GitHub workflow, requirements.txt and "
        "a README with the commands. It passes `check` and builds as written. The page templates, "
        "styles and scripts stay in the package (see the templates command).",
    )
    init.add_argument("folder", metavar="DIR", type=Path, help="the new project's folder")
    init.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    init.add_argument("--debug", action="store_true", help="show the Python traceback of any error")

    templates = commands.add_parser(
        "templates",
        parents=[common],
        help="list the package's page templates, styles and scripts, or copy some in to change them",
        description="List the templates the site is built from (pages, assets, the theme's "
        "overrides). With --copy, copy the ones named (all when none) into the project's templates "
        "folder (paths.templates_dir), where each copy is used instead of the package's file; a "
        "file the project has already is kept.",
    )
    templates.add_argument("--copy", action="store_true", help="copy the named templates into the project")
    templates.add_argument(
        "names", nargs="*", metavar="NAME", help="a template or folder, such as home.md.j2"
    )

    new = commands.add_parser(
        "new",
        parents=[common],
        help="write a commented skeleton study folder content/studies/SLUG/ to fill in",
        description="Write content/studies/SLUG/: a study.yml whose every field is explained in a "
        "comment, and an example CSV table of each kind, to fill in. Every value to replace is marked "
        "REPLACE (and every figure beside one is the skeleton's too); `check` and `build` refuse the "
        "study while one remains, naming each by file, line and field. Refused, writing nothing, "
        "for a slug that is not lowercase letters, digits and hyphens, or a folder that exists.",
    )
    new.add_argument("slug", metavar="SLUG", help="the study's folder name, such as smith-2020")

    schema = commands.add_parser(
        "schema",
        parents=[common],
        help="write the JSON Schemas of study.yml and of each table kind, for editors",
        description="Write JSON Schemas (draft 2020-12), generated from the content model: "
        f"{STUDY_SCHEMA_HELP} for study.yml and <kind>.schema.json for one row of each kind of CSV "
        "table. An editor with the YAML language server validates study.yml as it is typed when "
        "its first line is `# yaml-language-server: "
        f"$schema=../../../{SCHEMA_HELP_DIR}/{STUDY_SCHEMA_HELP}`.",
    )
    schema.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"write the schemas here (default: {SCHEMA_HELP_DIR}/ in the project folder)",
    )
    return parser


def add_scheduler_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="build the studies on the workers of this Dask distributed scheduler, such as "
        "tcp://10.0.0.5:8786 (default: DASK_SCHEDULER_ADDRESS when set; else this machine's cores). "
        "The workers need the project at the same path and the same generator; a scheduler runs "
        "this code and returns pickled results: name only one you run",
    )


def scheduler_of(args: argparse.Namespace) -> Scheduler | None:
    """The Dask scheduler named by --scheduler or DASK_SCHEDULER_ADDRESS (checked), if any."""
    from generator.cluster import scheduler_from

    return scheduler_from(getattr(args, "scheduler", None), dict(os.environ))


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    _setup_logging(args.quiet)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        _fail(args, exc)
        return EXIT_BAD_INPUT
    except BuildError as exc:
        _fail(args, exc)
        return EXIT_BUILD_FAILED
    except OSError as exc:  # the disk is full, a folder is read-only: the command failed, the input is fine
        _fail(args, exc, prefix=f"{WRITE_FAILED.get(args.command, 'the build failed')}: ")
        return EXIT_BUILD_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ModuleNotFoundError as exc:  # run by a Python without the generator's dependencies
        _fail(args, exc, prefix=missing_dependency(exc))
        return EXIT_BUILD_FAILED
    except Exception as exc:  # the last line of defence: say what happened, keep the traceback for --debug
        _fail(args, exc, prefix="internal error: ")
        return EXIT_INTERNAL


def missing_dependency(exc: ModuleNotFoundError) -> str:
    """What to run when a module the command needs is not installed in this Python."""
    return (
        f"{exc.name or 'a module'} is not installed for {sys.executable}, which runs this command. "
        "Install the generator with what it needs (pip install <the generator>, or in its source "
        "folder `make site`, which creates .venv), then run the command with that environment's "
        "evidence-site (such as .venv/bin/evidence-site, or evidence-site once it is activated)"
    )


def _fail(args: argparse.Namespace, exc: BaseException, prefix: str = "") -> None:
    if args.debug:
        logging.getLogger("generator").exception("traceback:")
    print(f"error: {prefix}{'' if isinstance(exc, ModuleNotFoundError) else exc}", file=sys.stderr)
    # (a missing module: the prefix says it all, and what to run)
    if prefix.startswith("internal") and not args.debug:
        print("Run again with --debug to see the traceback.", file=sys.stderr)


def _setup_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("generator")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
    logging.getLogger("mkdocs").setLevel(logging.WARNING)


def run_build(args: argparse.Namespace) -> int:
    from generator.build import build_site, open_project

    start = time.perf_counter()
    scheduler = scheduler_of(args)
    project = open_project(args.project, site_dir=args.site_dir, docs_dir=args.docs_dir)
    build_site(project, previous=args.previous, scheduler=scheduler)
    logging.getLogger("generator").info(
        "Built the site into %s in %.1f s. To look at it: %s (or serve %s with any web server); to "
        "publish it: %s",
        project.site_dir,
        time.perf_counter() - start,
        command("preview --open"),
        project.site_dir,
        command("deploy"),
    )
    return EXIT_OK


def run_share(args: argparse.Namespace) -> int:
    """Write the offline copy: one zip that opens by double-click."""
    from generator.build import open_project
    from generator.share import share

    start = time.perf_counter()
    project = open_project(args.project)
    out = args.out or project.root / "evidence-site-offline.zip"
    size = share(project, out, previous=args.previous)
    logging.getLogger("generator").info(
        "Wrote the offline copy %s (%.1f MB) in %.1f s: unzip it anywhere and open index.html in its "
        "folder by double-click; pages, charts and search work with no server and no network",
        out,
        size / 1e6,
        time.perf_counter() - start,
    )
    return EXIT_OK


def run_deploy(args: argparse.Namespace) -> int:
    """Build the site in full (strict), then push it to the gh-pages branch of a git remote."""
    from generator.build import build_site, open_project
    from generator.errors import ConfigError, Problem
    from generator.publish import check_target, deploy, deploy_message, deploy_setting, source_of

    start = time.perf_counter()
    scheduler = scheduler_of(args)
    project = open_project(args.project)
    if project.site_url.problem:
        where = project.root / SITE_CONFIG
        raise ConfigError([Problem(where, project.site_url.advice(), field="publish.site_url")])
    publish, config_file = project.config.publish, project.root / SITE_CONFIG
    target = check_target(
        project.root,
        deploy_setting(args.remote, publish.remote, "remote", config_file),
        deploy_setting(args.branch, publish.branch, "branch", config_file),
    )
    source = source_of(project.root)
    if source.changed and not args.allow_dirty:
        raise ConfigError([Problem(project.root, source.refusal())])
    with tempfile.TemporaryDirectory(prefix="evidence-deploy-") as scratch:
        previous = args.previous
        if previous is None and target.published is not None:  # the record continues from what readers saw
            previous = str(Path(scratch) / "published-values.json")
            Path(previous).write_text(target.published, encoding="utf-8")
        build_site(project, previous=previous, scheduler=scheduler)
    version = json.loads((project.site_dir / "data" / "values.json").read_text(encoding="utf-8"))
    message = deploy_message(source, str(version["data_version"]), str(version["built"]))
    commit = deploy(project.site_dir, target, message)
    logging.getLogger("generator").info(
        "Published the site (commit %s, deployed %s) to branch %s of remote %s in %.1f s; it will be "
        "served at %s",
        commit[:12],
        source.described(),
        target.branch,
        target.remote,
        time.perf_counter() - start,
        project.site_url.value,
    )
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    """Everything `build` checks before mkdocs runs: the settings, mkdocs.yml, every study loaded,
    validated, computed and audited, and every page rendered from the templates; nothing written
    (studies unchanged since the last build are read from its cache)."""
    from generator.build import generate, open_project

    generate(open_project(args.project), write_cache=False)
    print("The settings and every study are valid.")
    return EXIT_OK


def run_preview(args: argparse.Namespace) -> int:
    from generator.build import open_project
    from generator.preview import serve

    mkdocs_logger = logging.getLogger("mkdocs")  # its server says where it serves and when it reloads
    mkdocs_logger.handlers[:] = logging.getLogger("generator").handlers
    mkdocs_logger.setLevel(logging.WARNING if args.quiet else logging.INFO)
    mkdocs_logger.propagate = False

    serve(open_project(args.project), args.dev_addr, open_browser=args.open, watch=args.watch)
    return EXIT_OK


def run_init(args: argparse.Namespace) -> int:
    """A new project in a new or empty folder, which builds as written."""
    from generator.scaffold import init_project

    written = init_project(args.folder)
    if not args.quiet:
        shown = str(args.folder)
        folder = shlex.quote(f"./{shown}" if shown.startswith("-") else shown)
        print(f"Wrote a new evidence-site project in {args.folder} ({len(written)} files).")
        build, preview = (command(c, from_anywhere=True) for c in ("build", "preview --open"))
        print(f"Next: cd {folder} && {build}, then {preview} to look at it.")
        print("Its README says how to add a study (new SLUG), check and publish.")
    return EXIT_OK


def run_templates(args: argparse.Namespace) -> int:
    """List the package's templates, or copy some into the project to change them."""
    from generator.config import load_site_config
    from generator.mkdocs_hooks import default_templates
    from generator.scaffold import copy_templates

    if not args.copy:
        package = default_templates()
        try:
            for path in sorted(p for p in package.rglob("*") if p.is_file()):
                print(path.relative_to(package).as_posix())
        except BrokenPipeError:  # read by `head`, which stopped reading
            sys.stdout = None  # nothing more to flush at exit (typeshed allows None)
        return EXIT_OK
    config = load_site_config(args.project / SITE_CONFIG)
    own = args.project / config.paths.templates_dir
    written = copy_templates(own, args.names, args.project)
    if not args.quiet:
        print(f"Copied {len(written)} file(s) into {own}; each is used instead of the package's file.")
    return EXIT_OK


def run_settings(args: argparse.Namespace) -> int:
    from generator.config import SiteConfig

    for line in describe_settings(SiteConfig):
        print(line)
    return EXIT_OK


def describe_settings(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every setting as 'key (default): description', nested sections included."""
    from pydantic import BaseModel

    lines = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines.append(f"{prefix}{name}: {field.description}")
            lines += describe_settings(annotation, prefix=f"{prefix}{name}.")
        else:
            lines.append(f"  {prefix}{name} (default {field.default!r}): {field.description}")
    return lines


def run_new(args: argparse.Namespace) -> int:
    from generator.config import load_site_config
    from generator.schema import SCHEMA_DIR, STUDY_SCHEMA
    from generator.skeleton import new_study

    project = args.project
    config = load_site_config(project / SITE_CONFIG)
    schema_file = project / SCHEMA_DIR / STUDY_SCHEMA
    folder = new_study(project / config.paths.content_dir, args.slug, schema_file)
    if args.quiet:
        return EXIT_OK
    files = ", ".join(sorted(path.name for path in folder.iterdir()))
    print(f"Wrote {folder}: {files}.")
    print("Write the study's own in place of each value marked REPLACE and of the figures beside it;")
    print(f"`{command('check')}` lists those that remain, and refuses the study while one does.")
    if not schema_file.is_file():
        print(f"Run `{command('schema')}` to write {schema_file}, which study.yml's first line names.")
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    from generator.config import load_site_config
    from generator.outputs import protected_folders
    from generator.schema import SCHEMA_DIR, schemas, write_schemas

    project = args.project
    config = load_site_config(project / SITE_CONFIG)
    out = args.out if args.out is not None else project / SCHEMA_DIR
    inputs = {
        project / config.paths.content_dir: "the content folder (paths.content_dir)",
        project / config.paths.templates_dir: "the templates folder (paths.templates_dir)",
    }
    protected = protected_folders(project, inputs)
    protected.pop((project / SCHEMA_DIR).resolve(), None)  # the schemas' own folder
    written = write_schemas(out, protected=protected)
    names = sorted(schemas())
    if not args.quiet:
        changed = f"{len(written)} written, the others unchanged" if written else "all unchanged"
        print(f"{len(names)} JSON Schemas in {out} ({changed}): {', '.join(names)}")
    return EXIT_OK


COMMANDS = {
    "build": run_build,
    "check": run_check,
    "deploy": run_deploy,
    "init": run_init,
    "new": run_new,
    "preview": run_preview,
    "schema": run_schema,
    "settings": run_settings,
    "share": run_share,
    "templates": run_templates,
}
