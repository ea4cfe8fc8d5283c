"""Publishing: the address the site is served at, and the deploy of a built site to a gh-pages branch.

The address (`site_url`) feeds mkdocs: Material's instant navigation works only within it, and the
sitemap and canonical links point to it. It comes from the environment variable EVIDENCE_SITE_URL
(for CI), else `publish.site_url` in site_config.yml, else mkdocs.yml's `site_url`. A missing or
placeholder address is a warning when building and an error when deploying. It is taken apart and
rebuilt (http or https, a host name or IP address, a port, a path): a user name or password, a query, a
fragment, a space or a control character is refused, and what a path holds that is not safe in an
HTML attribute is percent-encoded, as every page writes the address into its canonical link.

The deploy is ghp-import, the library `mkdocs gh-deploy` uses: one commit of the site folder (with
.nojekyll, so GitHub Pages serves it as it is), made in a scratch repository so that no branch of the
project is read or moved. That commit, and nothing else, is pushed to `refs/heads/<branch>` of a
configured remote, replacing the branch only if it still is the one checked before the build: a site
this generator wrote (one parentless commit holding the output mark), or no branch at all. The commit's
message names the project's commit the site was built from (`git rev-parse HEAD`) and its data
version; a project with uncommitted changes (`git status`) is refused unless they are allowed, and the
message then says so.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shutil
import string
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from generator.downloads import VALUES_INDEX
from generator.errors import BuildError, ConfigError, Problem, redacted, shown_address
from generator.outputs import OWNER_MARK

SITE_URL_ENV = "EVIDENCE_SITE_URL"
PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net", "localhost", "127.0.0.1")


@dataclass(frozen=True)
class SiteUrl:
    """The address the site is served at, and where it was set."""

    value: str | None
    origin: str
    """The environment variable, or the file and setting, the address comes from."""
    file: Path | None = None
    """The file that sets it; None when it comes from the environment."""
    field: str | None = None
    """Its key in that file."""

    @property
    def problem(self) -> str | None:
        """Why the address cannot be where the site is published; None when it can."""
        if not self.value:
            return "no site_url is set"
        host = (urlsplit(self.value).hostname or "").lower()
        if any(host == name or host.endswith("." + name) for name in PLACEHOLDER_HOSTS):
            return f"site_url {self.value} (from {self.origin}) is a placeholder"
        return None

    def advice(self) -> str:
        return (
            f"{self.problem}: instant navigation, the sitemap and canonical links need the address the "
            f"site is published at. Set publish.site_url in site_config.yml, or {SITE_URL_ENV} in the "
            "environment (for GitHub Pages: https://<user>.github.io/<repository>/)"
        )


def resolve_site_url(configured: str, mkdocs_value: object, config_file: Path, mkdocs_file: Path) -> SiteUrl:
    """The site's address as given: EVIDENCE_SITE_URL, else publish.site_url, else mkdocs.yml's
    site_url (`check_url` takes it apart and rebuilds it)."""
    from_env = os.environ.get(SITE_URL_ENV, "").strip()
    if from_env:
        return SiteUrl(_with_slash(from_env), SITE_URL_ENV)
    if configured.strip():
        value = _with_slash(configured.strip())
        return SiteUrl(value, f"{config_file.name} publish.site_url", config_file, "publish.site_url")
    if isinstance(mkdocs_value, str) and mkdocs_value.strip():
        return SiteUrl(
            _with_slash(mkdocs_value.strip()), f"{mkdocs_file.name} site_url", mkdocs_file, "site_url"
        )
    return SiteUrl(None, f"{config_file.name} publish.site_url", config_file, "publish.site_url")


def check_url(url: SiteUrl) -> SiteUrl:
    """The address rebuilt from its parts (see `rebuilt_url`); a ConfigError located where it was set
    otherwise, which never shows a user name or password."""
    if not url.value:
        return url
    try:
        return replace(url, value=rebuilt_url(url.value))
    except UnsafeUrl as exc:
        message = (
            f"site_url {shown_address(url.value)!r} is not a plain http(s) address: {exc}; give a scheme, "
            "a host and a path only, such as https://<user>.github.io/<repository>/"
        )
        if url.file is None:
            raise ConfigError([Problem(Path(SITE_URL_ENV), f"(environment variable) {message}")]) from None
        raise ConfigError([Problem(url.file, message, _line(url.file, url.field), url.field)]) from None


class UnsafeUrl(ValueError):
    """Why an address is refused (never quoting a user name or password)."""


SAFE_IN_PATH = frozenset(string.ascii_letters + string.digits + "-._~/!$*+,;=:@")
"""What a rebuilt path keeps as it is: RFC 3986's path characters, less those an HTML attribute, CSS or
a script could read (quotes, ampersand, parentheses); everything else is percent-encoded."""
HEX = frozenset(string.hexdigits)
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def rebuilt_url(value: str) -> str:
    """`value` as scheme://host[:port]/path, built again from the parts it was taken apart into:
    scheme and host in lower case, every character of the path not safe in an HTML attribute
    percent-encoded, a slash at the end. UnsafeUrl when it is anything else."""
    if any(c.isspace() or not c.isprintable() for c in value):
        raise UnsafeUrl("it holds a space or a control character")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("its host or port cannot be read (a port is a number from 1 to 65535)") from None
    if not parts.scheme:
        raise UnsafeUrl("it has no scheme (https:// or http://)")
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"its scheme is {parts.scheme!r}: only http and https are served")
    if "@" in parts.netloc:
        raise UnsafeUrl("it holds a user name or password, which a page would show to every reader")
    if "?" in value:
        raise UnsafeUrl("it has a query ('?')")
    if "#" in value:
        raise UnsafeUrl("it has a fragment ('#')")
    if port == 0:
        raise UnsafeUrl("its port is not a number from 1 to 65535")
    host = _host(parts.netloc, parts.hostname or "")
    if "//" in parts.path:  # a page's `//x/...` is another host: Material's 404 page loads its scripts so
        raise UnsafeUrl("its path holds '//', which a page reads as the start of another host's address")
    path = "".join(_path_character(parts.path, i) for i in range(len(parts.path))) or "/"
    if not path.startswith("/"):
        path = "/" + path
    return _with_slash(f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}{path}")


def _host(netloc: str, hostname: str) -> str:
    """The host as it goes in an address: a DNS name (IDNA-encoded), an IPv4 or a bracketed IPv6 address."""
    if not hostname:
        raise UnsafeUrl("it has no host")
    if netloc.startswith("["):
        try:
            if "%" in hostname:  # a zone, such as %eth0, names an interface of one machine
                raise ValueError(hostname)
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            raise UnsafeUrl("its host is not a valid IPv6 address") from None
    with contextlib.suppress(ValueError):
        return str(ipaddress.IPv4Address(hostname))
    try:
        name = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeUrl("its host is not a valid host name") from None
    labels = name.split(".")
    if len(name) > 253 or not all(HOST_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise UnsafeUrl("its host is not a valid host name or IP address")
    return name


def _path_character(path: str, i: int) -> str:
    c = path[i]
    if c in SAFE_IN_PATH or (c == "%" and len(path) > i + 2 and set(path[i + 1 : i + 3]) <= HEX):
        return c
    return "".join(f"%{byte:02X}" for byte in c.encode("utf-8"))


def _with_slash(value: str) -> str:
    return value if value.endswith("/") else value + "/"


def _line(file: Path, field: str | None) -> int | None:
    from generator.yamlfile import line_index, line_of

    try:
        return line_of(line_index(file), tuple((field or "").split("."))) if field else None
    except Exception:  # the file was read before; a line number is a courtesy
        return None


# The deploy ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A deploy setting (the remote or the branch) and where it was given, to locate a refusal."""

    value: str
    file: Path
    field: str
    line: int | None = None

    def problem(self, message: str) -> Problem:
        return Problem(self.file, message, self.line, self.field)


def deploy_setting(given: str | None, configured: str, key: str, config_file: Path) -> Setting:
    """`--<key>` from the command line when given, else `publish.<key>` of site_config.yml."""
    if given is not None:
        return Setting(given, Path("command line"), f"--{key}")
    return Setting(configured, config_file, f"publish.{key}", _line(config_file, f"publish.{key}"))


@dataclass(frozen=True)
class Target:
    """Where a deploy goes, as checked before the build."""

    repository: Path
    remote: str
    branch: str
    tip: str | None
    """The commit the remote's branch held when checked; None when the remote has no such branch."""
    published: str | None
    """That commit's data/values.json: the record the next build continues."""

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"


PLAIN_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
REF_PREFIXES = ("refs", "heads", "tags", "remotes")
GIT_TIMEOUT = 300
PUSH_TIMEOUT = 3600
MOST_SAID = 600
"""The most of what git said that a message quotes."""


def _git(repository: Path, *args: str, timeout: int = GIT_TIMEOUT) -> subprocess.CompletedProcess:
    """git run in `repository`, its output captured; a BuildError (never a traceback) when it cannot
    run or runs out of time."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=repository,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            env=_without_repository_settings(os.environ),
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"git {args[0]} did not finish within {timeout} s in {repository}") from None
    except OSError as exc:
        raise BuildError(f"git {args[0]} could not be run in {repository}: {exc}") from None


REPOSITORY_VARIABLES = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_SHALLOW_FILE",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    }
)
"""What `git rev-parse --local-env-vars` lists: set (as in a git hook), they would make git work on
another repository than the project or the scratch one the site is committed in."""


def _without_repository_settings(environment: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in environment.items() if name not in REPOSITORY_VARIABLES}


@contextlib.contextmanager
def _plain_git_environment() -> Iterator[None]:
    """os.environ without REPOSITORY_VARIABLES while ghp-import runs git (it passes on the environment)."""
    removed = {name: os.environ.pop(name) for name in list(os.environ) if name in REPOSITORY_VARIABLES}
    try:
        yield
    finally:
        os.environ.update(removed)


def _said(result: subprocess.CompletedProcess) -> str:
    """What git said (its errors, and the lines of a push that name a refused ref), on one line,
    without user names or passwords."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    lines += [line for line in result.stdout.splitlines() if line.startswith("!")]
    text = "".join(c if c.isprintable() else "?" for c in redacted(" ".join(" ".join(lines).split())))
    text = text or f"git exited with status {result.returncode}"
    return text if len(text) <= MOST_SAID else text[:MOST_SAID] + "..."


def check_target(repository: Path, remote: Setting | str, branch: Setting | str) -> Target:
    """Before building: that the deploy can go where it is asked to, and what is published there.

    The project must be a git repository; the remote a remote configured in it (never a URL); the
    branch a plain branch name (no shorthand git would expand, such as @, HEAD, @{-1} or -, no full
    ref name such as refs/heads/x, not a tag) that no worktree has checked out; and a branch already on
    the remote must be a site this generator wrote: one commit with no parent, holding the output mark.
    """
    config_file = Path(repository) / "site_config.yml"
    if isinstance(remote, str):
        remote = Setting(remote, config_file, "publish.remote")
    if isinstance(branch, str):
        branch = Setting(branch, config_file, "publish.branch")
    if shutil.which("git") is None:
        raise BuildError("git is not installed: the deploy pushes the site with git")
    where = Path(repository)
    if _git(repository, "rev-parse", "--git-dir").returncode:
        raise ConfigError([Problem(where, "is not a git repository: deploy pushes the site with git")])
    remotes = _git(repository, "remote").stdout.split()
    problems = [
        p for p in (_remote_problem(remote, remotes), _branch_problem(repository, branch, remotes)) if p
    ]
    if problems:
        raise ConfigError(problems)
    name, remote_name = branch.value, remote.value
    ref = f"refs/heads/{name}"
    listed = _git(repository, "ls-remote", "--heads", "--tags", "--", remote_name, ref, f"refs/tags/{name}")
    if listed.returncode:
        raise BuildError(f"the remote {remote_name!r} cannot be reached: {_said(listed)}")
    refs = dict(reversed(line.split("\t", 1)) for line in listed.stdout.splitlines() if "\t" in line)
    if f"refs/tags/{name}" in refs:
        raise ConfigError(
            [
                branch.problem(
                    f"{name!r} is a tag of the remote {remote_name!r}, not a branch: name another branch"
                )
            ]
        )
    tip = refs.get(ref)
    if tip is None:
        return Target(where, remote_name, name, None, None)
    fetched = _git(repository, "fetch", "--quiet", "--no-tags", "--", remote_name, ref)
    if fetched.returncode:
        raise BuildError(f"branch {name} of remote {remote_name!r} cannot be fetched: {_said(fetched)}")
    if _git(repository, "rev-parse", "--verify", "--quiet", "FETCH_HEAD^{commit}").stdout.strip() != tip:
        raise BuildError(
            f"branch {name} of remote {remote_name!r} changed while it was checked: deploy again"
        )
    if _git(repository, "cat-file", "-e", f"{tip}:{OWNER_MARK}").returncode:
        held = "files this generator did not write"
    elif _git(repository, "rev-list", "--parents", "-n", "1", tip).stdout.split() != [tip]:
        held = "commits this generator did not write (a deploy makes one commit with no parent)"
    else:
        held = None
    if held:
        raise ConfigError(
            [
                branch.problem(
                    f"branch {name} of remote {remote_name!r} holds {held}, which a deploy would replace "
                    f"(its last commit is {tip[:12]}); name another branch (--branch, publish.branch) or "
                    "remove that one from the remote"
                )
            ]
        )
    published = _git(repository, "show", f"{tip}:{VALUES_INDEX}")
    return Target(where, remote_name, name, tip, published.stdout if published.returncode == 0 else None)


def _remote_problem(remote: Setting, remotes: list[str]) -> Problem | None:
    if remote.value in remotes and not remote.value.startswith("-"):
        return None
    names = ", ".join(remotes) or "none"
    return remote.problem(
        f"the repository has no git remote {redacted(repr(remote.value))}; its remotes: {names} (the "
        "deploy pushes to a remote configured with `git remote add`, never to an address given here)"
    )


def _branch_problem(repository: Path, branch: Setting, remotes: list[str]) -> Problem | None:
    """Why `branch` cannot be the site's branch: anything but the plain name of a branch that no
    worktree has checked out, as git would read it."""
    name = branch.value
    advice = "; name the branch the site goes on, such as gh-pages"
    if name in ("@", "HEAD") or name.startswith("@{-") or name == "-":
        what = "the branch checked out before" if name != "@" and name != "HEAD" else "what is checked out"
        return branch.problem(f"{name!r} is git's shorthand for {what}, not a branch name{advice}")
    if name.startswith("-"):
        return branch.problem(f"{name!r} starts with '-', which git would read as an option{advice}")
    expanded = _git(repository, "check-ref-format", "--branch", name)
    if expanded.returncode:
        return branch.problem(f"{name!r} is not a valid branch name{advice}")
    if expanded.stdout.strip() != name:
        return branch.problem(
            f"{name!r} is git's shorthand for the branch {expanded.stdout.strip()!r}{advice}"
        )
    if not PLAIN_BRANCH.fullmatch(name):
        return branch.problem(
            f"{name!r} holds characters git may read as shorthand: a branch for the site takes letters, "
            "digits, '.', '_', '-' and '/'"
        )
    first = name.split("/", 1)[0]
    if first in REF_PREFIXES or name.split("/")[-1] == "HEAD":
        plain = name.removeprefix("refs/").removeprefix("heads/")
        return branch.problem(
            f"{name!r} is a full ref name, not a branch name: git would make it the branch "
            f"refs/heads/{name}; give the branch's own name (such as {plain!r} or gh-pages)"
        )
    if first in remotes:
        return branch.problem(
            f"{name!r} starts with the remote name {first!r}: give the branch's own name, and the remote "
            "with --remote or publish.remote"
        )
    checked_out = _checked_out(repository)
    here = checked_out.get(f"refs/heads/{name}".casefold())
    if here is not None:
        worktree = "" if Path(here).resolve() == Path(repository).resolve() else f" (in the worktree {here})"
        return branch.problem(
            f"{name!r} is the branch checked out{worktree}: the site goes on a branch of its own, "
            "such as gh-pages"
        )
    if not _git(repository, "rev-parse", "--verify", "--quiet", f"refs/tags/{name}").returncode:
        return branch.problem(f"{name!r} is a tag of this repository, not a branch: name another branch")
    return None


def _checked_out(repository: Path) -> dict[str, str]:
    """The branch each worktree has checked out (its ref, in lower case: a case-insensitive disk holds
    one of Main and main), and the worktree."""
    found: dict[str, str] = {}
    worktree = ""
    for line in _git(repository, "worktree", "list", "--porcelain").stdout.splitlines():
        if line.startswith("worktree "):
            worktree = line.removeprefix("worktree ")
        elif line.startswith("branch "):
            found[line.removeprefix("branch ").casefold()] = worktree
    head = _git(repository, "symbolic-ref", "--quiet", "HEAD").stdout.strip()
    if head:
        found.setdefault(head.casefold(), str(repository))
    return found


# What a deploy is built from -------------------------------------------------------------------


MOST_CHANGES_SHOWN = 10
"""The changed paths a message names: enough to recognise them, never a screenful."""


@dataclass(frozen=True)
class Source:
    """What a deploy is built from: the project's commit, and what differs from it."""

    in_repository: bool
    commit: str | None = None
    """The commit checked out (`git rev-parse HEAD`); None outside a repository or before a first commit."""
    changed: tuple[str, ...] = ()
    """What `git status --porcelain` lists in the project folder: uncommitted changes, untracked files
    (what .gitignore ignores aside, as the site's own folders)."""

    def described(self) -> str:
        """The source as the site's commit names it."""
        if not self.in_repository:
            return "from a project that is not in a git repository (no source commit)"
        if self.commit is None:
            source = "from a git repository with no commit yet"
            return f"{source}, with uncommitted changes" if self.changed else source
        return f"{self.commit} with uncommitted changes" if self.changed else self.commit

    def changes_shown(self) -> str:
        shown = ", ".join(self.changed[:MOST_CHANGES_SHOWN])
        more = len(self.changed) - MOST_CHANGES_SHOWN
        return shown + (f" and {more} more" if more > 0 else "")

    def refusal(self) -> str:
        return (
            "the project has uncommitted changes, which the site would publish with no commit to say "
            f"what it was built from: {self.changes_shown()}; commit them (or add them to .gitignore), "
            "or deploy with --allow-dirty (the site's commit then says 'with uncommitted changes')"
        )


def source_of(root: Path) -> Source:
    """The commit the project at `root` has checked out, and what `git status` lists in its folder."""
    if _git(root, "rev-parse", "--show-toplevel").returncode:
        return Source(in_repository=False)
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    status = _git(root, "status", "--porcelain", "-z", "--untracked-files=normal", "--", ".")
    if status.returncode:
        raise BuildError(f"git status could not be read in {root}: {_said(status)}")
    commit = head.stdout.strip() if head.returncode == 0 else None
    return Source(True, commit, _status_paths(status.stdout))


def _status_paths(output: str) -> tuple[str, ...]:
    """The paths `git status --porcelain -z` lists: 'XY path' each, a rename's or a copy's followed by
    the path it had (not shown); each path shown printable."""
    paths = []
    entries = iter(output.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        paths.append("".join(c if c.isprintable() else "?" for c in entry[3:]))
        if {"R", "C"} & set(entry[:2]):
            next(entries, None)
    return tuple(paths)


def deploy_message(source: Source, data_version: str, built: str) -> str:
    """The site's commit message, as `mkdocs gh-deploy`'s ("Deployed <sha> with MkDocs version ..."):
    the project's commit the site was built from and its data version; the uncommitted changes below."""
    subject = f"Deployed {source.described()}: data version {data_version}, built {built}"
    if not source.changed:
        return subject
    return f"{subject}\n\nUncommitted changes: {source.changes_shown()}\n"


SCRATCH_BRANCH = "site"


def deploy(site_dir: Path, target: Target, message: str) -> str:
    """Commit `site_dir` (with .nojekyll) as one commit with no parent and push it, and nothing else,
    to the branch of the remote, if that branch is still what `check_target` found. Returns the commit.

    The branch is the site, not a history: each deploy replaces it (as `mkdocs gh-deploy --force`
    does), so a failed push leaves nothing behind to publish later. No branch of the project is read,
    made or moved: the commit is made in a scratch repository and pushed by its id."""
    where = f"branch {target.branch} of remote {target.remote!r}"
    with tempfile.TemporaryDirectory(prefix="evidence-site-commit-") as scratch:
        commit = _site_commit(site_dir, target.repository, Path(scratch), message)
        fetched = _git(
            target.repository,
            "fetch",
            "--quiet",
            "--no-tags",
            "--",
            scratch,
            f"refs/heads/{SCRATCH_BRANCH}",
        )
        if fetched.returncode:
            raise BuildError(
                f"the site was built, but its commit could not be made for {where}: {_said(fetched)}"
            )
    lease = f"--force-with-lease={target.ref}:{target.tip or ''}"
    pushed = _git(
        target.repository,
        "push",
        "--porcelain",
        lease,
        "--",
        target.remote,
        f"{commit}:{target.ref}",
        timeout=PUSH_TIMEOUT,
    )
    if pushed.returncode:
        address = _git(target.repository, "remote", "get-url", "--push", target.remote).stdout.strip()
        changed = (
            " The branch changed on the remote while the site was built (another deploy?) and was left "
            "as it is: run deploy again."
            if "stale info" in pushed.stdout or "fetch first" in pushed.stdout
            else ""
        )
        raise BuildError(
            f"the site was built, but could not be pushed to {where} ({redacted(address)}) from the "
            f"repository {target.repository}: git says: {_said(pushed)}.{changed}"
        )
    return commit


def _site_commit(site_dir: Path, repository: Path, scratch: Path, message: str) -> str:
    """ghp-import's commit of `site_dir` (with .nojekyll), made in a new repository at `scratch` by the
    project's git user: one commit with no parent on its branch `site`."""
    from ghp_import import GhpError, ghp_import

    if _git(scratch, "init", "--quiet").returncode:
        raise BuildError(f"the site was built, but a scratch git repository could not be made in {scratch}")
    for key in ("user.name", "user.email"):
        value = _git(repository, "config", "--get", key).stdout.strip()
        if value:
            _git(scratch, "config", key, value)
    site = str(site_dir.resolve())  # before the chdir: `--project .` gives a relative site folder
    try:
        with contextlib.chdir(scratch), _plain_git_environment():
            ghp_import(
                site,
                branch=SCRATCH_BRANCH,
                mesg=message,
                push=False,
                no_history=True,
                nojekyll=True,
            )
    except (GhpError, OSError, subprocess.SubprocessError, TypeError) as exc:  # TypeError: its own report
        detail = exc.message if isinstance(exc, GhpError) else str(exc)  # of a failed git fast-import
        raise BuildError(
            f"the site was built, but ghp-import could not commit it: {' '.join(detail.split())}"
        ) from None
    made = _git(scratch, "rev-parse", "--verify", "--quiet", f"refs/heads/{SCRATCH_BRANCH}^{{commit}}")
    commit = made.stdout.strip()
    if made.returncode or _git(scratch, "rev-list", "--parents", "-n", "1", commit).stdout.split() != [
        commit
    ]:
        raise BuildError(
            "the site was built, but ghp-import did not commit it (git fast-import said why above)"
        )
    return commit
