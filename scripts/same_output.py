"""Check that a change leaves the built output byte-identical: build REF and the working tree, compare.

For a change meant to alter no output (a restructuring, issue 17), this builds, with each tree's own
generator code and in temporary folders only, two sites from each of two trees:

- the real site, from content/;
- the fixture site: the project with content/studies/ replaced by every study in
  tests/fixtures/studies/, together (as tests/test_fixtures.py's `project_with` assembles it);

then compares every file of each site (the built site/ and the generated Markdown pages) byte for
byte. The two trees are a git commit-ish of this repository (--against, default HEAD, extracted with
`git archive`) and a folder (--tree, default this repository's working tree, uncommitted edits
included).

Every build is made reproducible and hermetic: SOURCE_DATE_EPOCH is fixed, each build gets a fresh
copy of its project with no build cache (a cache of its own, signed with a fixed
EVIDENCE_CACHE_SECRET, so the user's secret and cache are untouched), no previous build (so "What
changed" is a first build on both sides), and no EVIDENCE_SITE_URL or PYTHON* settings from the
environment. Nothing is written in the repository: the trees are copied into a temporary folder
that is removed afterwards (unless --keep).

Exclusions: none. Every file is compared byte for byte. The only file a reader could expect to
vary, site/sitemap.xml.gz, is reproducible: mkdocs writes the gzip header's time from
SOURCE_DATE_EPOCH (the generator sets it to the data version's date while mkdocs runs). Should a
gzip file still differ, its decompressed content is compared and reported, so the report says
whether only the header differs; it counts as a difference either way.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOURCE_DATE_EPOCH = "1700000000"
"""2023-11-14: the date the tests build with."""
CACHE_SECRET = "same-output-comparison-fixed-cache-secret-0123456789"
"""A fixed secret of 32+ characters, so the builds never read or make the user's secret file."""

NOT_COPIED = {
    ".git",
    ".venv",
    "venv",
    "site",
    "build",
    ".site.previous",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "test-results",
    ".lock-venv",
    "node_modules",
    "evidence-site-offline.zip",
}
"""Top-level names of a tree that are outputs, caches or environments, never inputs of a build."""
NOT_COPIED_ANYWHERE = ("__pycache__", "*.pyc", ".evidence-build-*", "*.egg-info")

MAX_LISTED = 40
"""Files listed per site and kind of difference; the rest are counted."""
SHOWN = 70
"""Characters shown on each side of the first differing character of a line."""


@dataclass(frozen=True)
class Side:
    """One of the two trees: a label for messages and the folder its builds copy."""

    label: str
    tree: Path


@dataclass(frozen=True)
class Site:
    """One of the sites built from each tree: its name and how its project is assembled."""

    name: str
    description: str
    assemble: Callable[[Path], None]


def real_content(project: Path) -> None:
    """The real site: the project as it is."""
    if not (project / "content").is_dir():
        raise Failure(f"{project}: no content/ folder")


def fixture_studies(project: Path) -> None:
    """Every fixture study together, in place of the real studies (tests/test_fixtures.py)."""
    fixtures = project / "tests" / "fixtures" / "studies"
    shapes = sorted(path for path in fixtures.iterdir() if path.is_dir()) if fixtures.is_dir() else []
    if not shapes:
        raise Failure(f"{fixtures}: no fixture studies")
    studies = project / "content" / "studies"
    shutil.rmtree(studies, ignore_errors=True)
    studies.mkdir(parents=True)
    for shape in shapes:
        shutil.copytree(shape, studies / shape.name)


SITES = [
    Site("real", "the real site from content/", real_content),
    Site("fixtures", "every fixture study of tests/fixtures/studies/ in one site", fixture_studies),
]


class Failure(Exception):
    """Something stopped the comparison before it could be made (exit 2)."""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        python = args.python or default_python()
        tree = args.tree.resolve()
        if not (tree / "site_config.yml").is_file():
            raise Failure(f"--tree {tree}: not a project folder (no site_config.yml)")
        commit = resolve_commit(args.against)
        scratch = Path(tempfile.mkdtemp(prefix="same-output-"))
        try:
            print(f"Comparing {args.against} ({commit[:12]}) with {tree}, in {scratch}", flush=True)
            reference = scratch / "ref-tree"
            extract_commit(commit, reference)
            sides = [Side(f"{args.against} ({commit[:12]})", reference), Side(str(tree), tree)]
            outputs = build_all(sides, scratch, python)
            differences, files = compare_all(sides, outputs)
        finally:
            if args.keep:
                print(f"Kept the trees and builds in {scratch}", flush=True)
            else:
                shutil.rmtree(scratch, ignore_errors=True)
    except Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Compared in {time.monotonic() - started:.0f} s", flush=True)
    if differences:
        print(
            f"different: {differences} of {files} files in {len(SITES)} sites differ or are on one side only"
        )
        return 1
    print(f"identical: {files} files in {len(SITES)} sites")
    return 0


DESCRIPTION = """\
Check that a change leaves the built output byte-identical.

Builds two sites from a git commit of this repository (--against REF) and two from a project folder
(--tree, by default this working tree with its uncommitted edits), each tree with its own generator
code: the real site from content/, and one site of every fixture study in tests/fixtures/studies/.
Then compares every file of each (the built site/ and the generated Markdown pages) byte for byte.

Four builds of 20 to 60 s each, one after the other, in a temporary folder removed afterwards:
SOURCE_DATE_EPOCH fixed, a fresh build cache with a fixed EVIDENCE_CACHE_SECRET, no previous build,
no EVIDENCE_SITE_URL. The repository's site/, build/ and cache, and the user's cache secret, are
never touched. No file is excluded from the comparison.
"""

EPILOG = """\
exit status:
  0  every file identical: prints "identical: N files in M sites"
  1  some file differs or is on one side only: each is listed (up to 40 per site), a differing
     file with its first differing line (for a .gz file or a .zip download, of its content)
  2  the comparison could not be made: an unknown REF, a tree that is not a project, a failed
     build (its output is shown)

examples:
  make same-output                                   the working tree against HEAD
  make same-output REF=main~3                        the working tree against another commit
  .venv/bin/python scripts/same_output.py --against HEAD --tree ../other-checkout
  .venv/bin/python scripts/same_output.py --keep     keep the builds to inspect a difference
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/same_output.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--against",
        metavar="REF",
        default="HEAD",
        help="the reference: any git commit-ish of this repository (a branch, tag, commit, HEAD~2), "
        "its committed tree extracted with git archive (default: HEAD)",
    )
    parser.add_argument(
        "--tree",
        metavar="PATH",
        type=Path,
        default=ROOT,
        help="the project folder compared with REF, as it is on disk (uncommitted and untracked files "
        "included): "
        f"another checkout or copy of the project (default: this repository's working tree, {ROOT})",
    )
    parser.add_argument(
        "--python",
        metavar="PYTHON",
        help="the Python that runs both trees' generators, with the site's dependencies installed "
        "(default: this repository's .venv/bin/python, else the Python running this script)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary folder of trees and builds (its path is printed), to inspect a difference",
    )
    return parser.parse_args(argv)


def default_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def git(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]


def resolve_commit(ref: str) -> str:
    """The full id of the commit `ref` names in this repository; Failure if none."""
    if ref.startswith("-"):
        raise Failure(f"--against {ref!r}: not a commit-ish")
    found = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise Failure(f"--against {ref!r}: no such commit in {ROOT}")
    return found.stdout.decode().strip()


def extract_commit(commit: str, destination: Path) -> None:
    """The committed tree of `commit`, written into `destination` (git archive | tar -x)."""
    destination.mkdir(parents=True)
    with subprocess.Popen(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit], stdout=subprocess.PIPE
    ) as archive:
        extracted = subprocess.run(["tar", "-x", "-C", str(destination)], stdin=archive.stdout, check=False)
        if archive.stdout is not None:
            archive.stdout.close()
    if archive.returncode != 0 or extracted.returncode != 0:
        raise Failure(f"could not extract {commit[:12]} with git archive | tar -x")


def copy_project(tree: Path, destination: Path) -> None:
    """The tree's inputs, without its outputs, caches, environments or compiled files."""
    top = shutil.ignore_patterns(*NOT_COPIED_ANYWHERE)

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(top(folder, names))
        if Path(folder) == tree:
            skipped |= NOT_COPIED & set(names)
        return skipped

    shutil.copytree(tree, destination, ignore=ignore)
    drop_cache(destination)


def drop_cache(project: Path) -> None:
    """Remove a cache folder the project's site_config.yml names elsewhere than build/ (copied with
    the tree), so every build starts from no cache."""
    try:
        import yaml

        settings = yaml.safe_load((project / "site_config.yml").read_text(encoding="utf-8")) or {}
        cache = (settings.get("paths") or {}).get("cache_dir")
    except Exception:  # the build reports a broken site_config.yml itself
        return
    if isinstance(cache, str) and cache:
        folder = (project / cache).resolve()
        if folder.is_relative_to(project.resolve()) and folder != project.resolve():
            shutil.rmtree(folder, ignore_errors=True)


def build_environment(project: Path, scratch: Path) -> dict[str, str]:
    """The environment of one build: the user's, without settings that would change the output or
    reach outside the temporary folder, and with the date and cache secret fixed."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "EVIDENCE_", "GIT_")) and name != "SOURCE_DATE_EPOCH"
    }
    environment.update(
        SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH,
        EVIDENCE_CACHE_SECRET=CACHE_SECRET,
        PYTHONPATH=str(project),  # the tree's own generator package, whatever the working directory
        PYTHONDONTWRITEBYTECODE="1",
        XDG_CONFIG_HOME=str(scratch / "config"),
        TZ="UTC",
        LC_ALL="C.UTF-8",
    )
    return environment


def build_all(sides: list[Side], scratch: Path, python: str) -> dict[tuple[int, str], Path]:
    """Build every site of every side, one after the other; the output folder of each."""
    outputs = {}
    total = len(sides) * len(SITES)
    step = 0
    for site in SITES:
        for index, side in enumerate(sides):
            step += 1
            folder = scratch / f"{'ref' if index == 0 else 'tree'}-{site.name}"
            print(
                f"[{step}/{total}] building {site.name} site ({site.description}) of {side.label} ...",
                flush=True,
            )
            started = time.monotonic()
            outputs[index, site.name] = build(side, site, folder, scratch, python)
            print(f"[{step}/{total}]   built in {time.monotonic() - started:.0f} s", flush=True)
    return outputs


def build(side: Side, site: Site, folder: Path, scratch: Path, python: str) -> Path:
    """One site built by the tree's own generator in a fresh copy of its project; its output folder,
    holding site/ and docs/ (the generated Markdown)."""
    project = folder / "project"
    out = folder / "out"
    copy_project(side.tree, project)
    site.assemble(project)
    out.mkdir()
    environment = build_environment(project, scratch)
    found = subprocess.run(
        [python, "-c", "import generator; print(generator.__file__)"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    module = Path(found.stdout.strip() or "?").resolve()
    if found.returncode != 0 or not module.is_relative_to(project.resolve()):
        raise Failure(
            f"{python} does not import the generator of {project}: {found.stdout}{found.stderr}".strip()
        )
    command = [python, "-m", "generator", "build", "--project", str(project)]
    command += ["--site-dir", str(out / "site"), "--docs-dir", str(out / "docs")]
    done = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shown = (done.stdout + done.stderr).replace(str(project), f"<{side.label}>").strip()[-4000:]
        raise Failure(
            f"the build of the {site.name} site of {side.label} failed (exit {done.returncode}):\n{shown}"
        )
    return out


def files_under(folder: Path) -> dict[str, Path]:
    return {
        path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if not path.is_dir()
    }


def compare_all(sides: list[Side], outputs: dict[tuple[int, str], Path]) -> tuple[int, int]:
    """Report every difference between the two sides' sites; the count of differences and of files."""
    differences = files = 0
    print(f"REF  = {sides[0].label}\nTREE = {sides[1].label}", flush=True)
    for site in SITES:
        left = files_under(outputs[0, site.name])
        right = files_under(outputs[1, site.name])
        files += len(left.keys() | right.keys())
        for only, side in ((left.keys() - right.keys(), "REF"), (right.keys() - left.keys(), "TREE")):
            if only:
                differences += len(only)
                print(f"{site.name} site: {len(only)} file(s) only in {side}:")
                listed([f"  {name}" for name in sorted(only)[:MAX_LISTED]], len(only))
        changed = [
            name for name in sorted(left.keys() & right.keys()) if not same_file(left[name], right[name])
        ]
        if changed:
            differences += len(changed)
            print(f"{site.name} site: {len(changed)} file(s) differ:")
            shown = changed[:MAX_LISTED]
            listed(
                [describe(name, left[name].read_bytes(), right[name].read_bytes()) for name in shown],
                len(changed),
            )
    return differences, files


def listed(lines: list[str], total: int) -> None:
    """The first MAX_LISTED of `total` lines, and how many more there are."""
    for line in lines:
        print(line)
    if total > len(lines):
        print(f"  ... and {total - len(lines)} more")


def same_file(left: Path, right: Path) -> bool:
    if left.stat().st_size != right.stat().st_size:
        return False
    with left.open("rb") as one, right.open("rb") as other:
        while True:
            chunk = one.read(1 << 20)
            if chunk != other.read(1 << 20):
                return False
            if not chunk:
                return True


def describe(name: str, left: bytes, right: bytes) -> str:
    """A differing file's name and where it first differs: its first differing line, or for a gzip
    file or a zip archive, where their content first differs."""
    return f"  {name}: {first_difference(name, left, right)}"


def first_difference(name: str, left: bytes, right: bytes) -> str:
    if name.endswith(".gz"):
        with contextlib.suppress(OSError, EOFError):
            inner_left, inner_right = gzip.decompress(left), gzip.decompress(right)
            if inner_left == inner_right:
                return "the gzip headers differ (time or name); the decompressed content is identical"
            return f"decompressed, {first_difference(name[:-3], inner_left, inner_right)}"
    if name.endswith(".zip"):
        with contextlib.suppress(zipfile.BadZipFile, OSError):
            return zip_difference(left, right)
    try:
        return line_difference(left.decode("utf-8"), right.decode("utf-8"))
    except UnicodeDecodeError:
        at = next(
            (i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b),
            min(len(left), len(right)),
        )
        return f"binary, first differing byte at offset {at} (sizes {len(left)} and {len(right)})"


def zip_difference(left: bytes, right: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(left)) as one, zipfile.ZipFile(io.BytesIO(right)) as other:
        names, others = one.namelist(), other.namelist()
        if names != others:
            only = sorted(set(names) ^ set(others))
            return f"zip members differ: {', '.join(only[:5]) or 'same members in another order'}"
        for member in names:
            a, b = one.read(member), other.read(member)
            if a != b:
                return f"member {member}: {first_difference(member, a, b)}"
        return "the archives differ in their metadata (dates, compression); every member is identical"


def line_difference(left: str, right: str) -> str:
    one, other = left.splitlines(keepends=True), right.splitlines(keepends=True)
    for number, (a, b) in enumerate(zip(one, other, strict=False), start=1):
        if a != b:
            column = next(
                (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
            )
            shown = f"\n    REF : {excerpt(a, column)}\n    TREE: {excerpt(b, column)}"
            return f"line {number}, column {column + 1}{shown}"
    number = min(len(one), len(other)) + 1
    longer = "REF" if len(one) > len(other) else "TREE"
    extra = (one if len(one) > len(other) else other)[number - 1]
    counts = f"{len(one)} and {len(other)} lines"
    return f"line {number} only in {longer} ({counts})\n    {longer}: {excerpt(extra, 0)}"


def excerpt(line: str, column: int) -> str:
    """The line around `column`, shortened to SHOWN characters each side, control characters shown."""
    start, end = max(0, column - SHOWN), column + SHOWN
    text = repr(line[start:end])[1:-1]
    return ("..." if start > 0 else "") + text + ("..." if end < len(line) else "")


if __name__ == "__main__":
    sys.exit(main())
