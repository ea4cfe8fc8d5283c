"""Publishing: the address the site is served at, and the deploy of a built site to a gh-pages branch.

The address (`site_url`) feeds mkdocs: Material's instant navigation works only within it, and the
sitemap and canonical links point to it. It comes from the environment variable EVIDENCE_SITE_URL
(for CI), else `publish.site_url` in site_config.yml, else mkdocs.yml's `site_url`. A missing or
placeholder address is a warning when building and an error when deploying.

The deploy is ghp-import, the library `mkdocs gh-deploy` uses: one commit of the site folder (with
.nojekyll, so GitHub Pages serves it as it is) on the branch, pushed to the remote.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from generator.downloads import VALUES_INDEX
from generator.errors import BuildError, ConfigError, Problem
from generator.outputs import OWNER_MARK

SITE_URL_ENV = "EVIDENCE_SITE_URL"
PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net", "localhost", "127.0.0.1")


@dataclass(frozen=True)
class SiteUrl:
    """The address the site is served at, and where it was set."""

    value: str | None
    origin: str
    """The environment variable, or the file and setting, the address comes from."""

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
    """The site's address: EVIDENCE_SITE_URL, else publish.site_url, else mkdocs.yml's site_url."""
    from_env = os.environ.get(SITE_URL_ENV, "").strip()
    if from_env:
        return SiteUrl(_with_slash(from_env), SITE_URL_ENV)
    if configured:
        return SiteUrl(_with_slash(configured), f"{config_file.name} publish.site_url")
    if isinstance(mkdocs_value, str) and mkdocs_value.strip():
        return SiteUrl(_with_slash(mkdocs_value.strip()), f"{mkdocs_file.name} site_url")
    return SiteUrl(None, f"{config_file.name} publish.site_url")


def check_url(value: str, origin: Path | str) -> None:
    """An http(s) address with a host and nothing else (no user, password, query, fragment or space);
    a located ConfigError otherwise."""
    parts = urlsplit(value)
    plain = not (
        parts.username or parts.password or parts.query or parts.fragment or any(c.isspace() for c in value)
    )
    if parts.scheme not in ("http", "https") or not parts.hostname or not plain:
        raise ConfigError(
            [
                Problem(
                    Path(str(origin)),
                    f"site_url {value!r} is not a plain http(s) address (scheme, host and path only)",
                )
            ]
        )


def _with_slash(value: str) -> str:
    return value if value.endswith("/") else value + "/"


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repository, capture_output=True, text=True, timeout=300)


def check_target(repository: Path, remote: str, branch: str) -> str | None:
    """Before building: that the deploy can go where it is asked to, and what is published there.

    The project must be a git repository with the remote; the branch a valid name that is not the
    branch checked out; and a branch already on the remote must be a site this generator wrote (it
    holds the output mark). Returns the published data/values.json, or None before the first deploy.
    """
    if shutil.which("git") is None:
        raise BuildError("git is not installed: the deploy pushes the site with git")
    where = Path(repository)
    if _git(repository, "rev-parse", "--git-dir").returncode:
        raise ConfigError([Problem(where, "is not a git repository: deploy pushes the site with git")])
    if branch.startswith("-") or _git(repository, "check-ref-format", "--branch", branch).returncode:
        raise ConfigError([Problem(where, f"{branch!r} is not a valid branch name", field="publish.branch")])
    if remote.startswith("-") or _git(repository, "remote", "get-url", remote).returncode:
        names = ", ".join(_git(repository, "remote").stdout.split()) or "none"
        raise ConfigError(
            [Problem(where, f"has no git remote {remote!r}; its remotes: {names}", field="publish.remote")]
        )
    if _git(repository, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == branch:
        raise ConfigError(
            [
                Problem(
                    where,
                    f"{branch!r} is the branch checked out: the site goes on a branch of its own",
                    field="publish.branch",
                )
            ]
        )
    heads = _git(repository, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    if heads.returncode:
        raise BuildError(f"the remote {remote!r} cannot be reached: {' '.join(heads.stderr.split())}")
    if not heads.stdout.strip():
        return None
    if _git(repository, "fetch", "--quiet", remote, f"refs/heads/{branch}").returncode:
        raise BuildError(f"branch {branch} of remote {remote!r} cannot be fetched")
    if _git(repository, "cat-file", "-e", f"FETCH_HEAD:{OWNER_MARK}").returncode:
        raise ConfigError(
            [
                Problem(
                    where,
                    f"branch {branch} of remote {remote!r} holds files this generator did not write, "
                    "which a deploy would replace; name another branch (--branch) or remove that one",
                    field="publish.branch",
                )
            ]
        )
    published = _git(repository, "show", f"FETCH_HEAD:{VALUES_INDEX}")
    return published.stdout if published.returncode == 0 else None


def deploy(site_dir: Path, repository: Path, remote: str, branch: str, message: str) -> None:
    """Commit `site_dir` (with .nojekyll) as the one commit of `branch` and push it to `remote`.

    The branch is the site, not a history: each deploy replaces it (as `mkdocs gh-deploy --force`
    does), so a failed push leaves nothing behind to publish later."""
    from ghp_import import GhpError, ghp_import

    try:
        with contextlib.chdir(repository):
            ghp_import(
                str(site_dir.resolve()),
                remote=remote,
                branch=branch,
                mesg=message,
                push=True,
                force=True,
                no_history=True,
                nojekyll=True,
            )
    except (GhpError, subprocess.CalledProcessError) as exc:
        detail = " ".join(str(exc).split())
        raise BuildError(
            f"the site was built, but could not be pushed to branch {branch} of remote {remote!r} "
            f"of the repository {repository}: {detail}"
        ) from None
