"""Publishing: the site's address, and a deploy to a gh-pages branch of a real (local, bare) git remote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build_site, open_project
from generator.publish import SITE_URL_ENV, Source, deploy_message, source_of
from tests.conftest import ROOT, STUDY, CommandLine, copy_project, edit
from tests.test_regenerate import change_the_overall_median

URL = "https://someone.github.io/evidence/"

Run = Callable[..., subprocess.CompletedProcess]


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def run(command_line: CommandLine) -> Run:
    """A command on a project (with none, in the current folder), run in this process (see
    conftest.command_line)."""

    def run(project: Path | None, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return command_line(*args, *([] if project is None else ["--project", str(project)]), env=env)

    return run


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-study project's site, built once for the address URL."""
    out = tmp_path_factory.mktemp("built-once")
    root = copy_project(out / "project", [STUDY])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SITE_URL_ENV, URL)
        build_site(open_project(root, site_dir=out / "site", docs_dir=out / "docs"))
    return out / "site"


@pytest.fixture
def no_build(built_once: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`deploy` takes the site built once instead of building: for tests of what a deploy does with a
    site (where it pushes, what it says), not of the build (the tests above deploy real builds)."""
    import generator.build

    def copy_of_the_site(project, previous: str | None = None, scheduler=None) -> None:
        shutil.copytree(built_once, project.site_dir)

    monkeypatch.setattr(generator.build, "build_site", copy_of_the_site)


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, Path]:
    """The project as a git repository whose origin is a local bare repository. It holds one study:
    where a deploy goes and what it refuses do not depend on the content."""
    project_copy = copy_project(tmp_path / "project", [STUDY])
    shutil.copy(ROOT / ".gitignore", project_copy / ".gitignore")  # the site's folders: no change
    remote = tmp_path.parent / f"{tmp_path.name}-remote.git"
    git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    for command in (
        ("init", "-q", "-b", "main"),
        ("config", "user.email", "tests@example.org"),
        ("config", "user.name", "Tests"),
        ("add", "-A"),
        ("commit", "-q", "-m", "The project"),
        ("remote", "add", "origin", str(remote)),
    ):
        git(*command, cwd=project_copy)
    return project_copy, remote


def test_deploy_pushes_the_built_site_with_nojekyll_to_gh_pages(run, repository):
    project, remote = repository
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 0, result.stderr
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split()
    assert ".nojekyll" in files and "index.html" in files
    assert "studies/kantarjian-2013/index.html" in files and "search/search_index.json" in files
    assert f"will be served at {URL}" in result.stderr
    sitemap = git("show", "gh-pages:sitemap.xml", cwd=remote)
    assert f"<loc>{URL}studies/kantarjian-2013/</loc>" in sitemap, (
        "the sitemap points to the published address"
    )
    published = json.loads(git("show", "gh-pages:data/values.json", cwd=remote))
    source = git("rev-parse", "HEAD", cwd=project).strip()
    assert git("log", "-1", "--format=%B", "gh-pages", cwd=remote).strip() == (
        f"Deployed {source}: data version {published['data_version']}, built {published['built']}"
    ), "the site's commit names the project's commit and the data version, as mkdocs gh-deploy's does"


def test_deploy_is_refused_with_a_placeholder_address_and_pushes_nothing(run, repository):
    project, remote = repository
    result = run(project, "deploy")
    assert result.returncode == 1
    assert "site_config.yml, field 'publish.site_url'" in result.stderr
    assert "is a placeholder" in result.stderr and "EVIDENCE_SITE_URL" in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""


def test_deploy_of_a_failing_build_pushes_nothing(run, repository):
    project, remote = repository
    edit(
        project / "content/studies/kantarjian-2013/responses.csv",
        "cr,Complete response (CR),all,17,90",
        "cr,Complete response (CR),all,18,90",
    )
    result = run(project, "deploy", "--allow-dirty", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1, result.stderr
    assert "responses.csv" in result.stderr and "uncommitted" not in result.stderr, "the build failed"
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""


def test_a_build_warns_of_a_placeholder_address_and_uses_the_one_set(run, one_study_copy):
    project_copy = one_study_copy
    result = run(project_copy, "build")
    assert result.returncode == 0, result.stderr
    assert (
        "Warning: site_url https://evidence-site.example.org/ (from mkdocs.yml site_url) is a placeholder"
        in result.stderr
    )
    edit(project_copy / "site_config.yml", 'site_url: ""', "site_url: https://team.example-pages.net/trials")
    result = run(project_copy, "build")
    assert result.returncode == 0 and "placeholder" not in result.stderr, result.stderr
    sitemap = (project_copy / "site" / "sitemap.xml").read_text()
    assert "<loc>https://team.example-pages.net/trials/</loc>" in sitemap


def test_a_deploy_from_a_fresh_clone_continues_the_published_record(run, built_once, repository, tmp_path):
    """What was published (this project's site, built once) is the record the clone's deploy continues."""
    from generator.publish import check_target, deploy

    project, remote = repository
    deploy(shutil.copytree(built_once, tmp_path / "site"), check_target(project, "origin", "gh-pages"), "v1")
    clone = tmp_path / "clone"
    git("clone", "-q", str(project), str(clone), cwd=tmp_path)
    git("remote", "set-url", "origin", str(remote), cwd=clone)
    change_the_overall_median(clone / "content/studies/kantarjian-2013")
    git("-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-am", "median", cwd=clone)
    result = run(clone, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 0, result.stderr
    source = git("rev-parse", "HEAD", cwd=clone).strip()
    assert git("log", "-1", "--format=%s", "gh-pages", cwd=remote).startswith(f"Deployed {source}: ")
    history = json.loads(git("show", "gh-pages:data/values.json", cwd=remote))["history"]
    assert len(history) == 2 and history[0]["changed"], "the clone's deploy read what was published"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--branch", "main"], "'main' is the branch checked out"),
        (["--remote", "nosuch"], "has no git remote 'nosuch'; its remotes: origin"),
        (["--branch", "gh pages"], "'gh pages' is not a valid branch name"),
    ],
    ids=["checked-out-branch", "unknown-remote", "bad-branch-name"],
)
def test_a_deploy_that_cannot_go_where_asked_is_refused_before_building(run, repository, arguments, expected):
    project, remote = repository
    result = run(project, "deploy", *arguments, env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1 and expected in result.stderr, result.stderr
    assert "Built the site" not in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""


def test_a_branch_of_files_the_generator_did_not_write_is_not_replaced(run, repository, tmp_path):
    project, remote = repository
    other = tmp_path / "other"
    git("init", "-q", "-b", "gh-pages", str(other), cwd=tmp_path)
    (other / "blog.md").write_text("someone's blog")
    for command in (
        ("add", "-A"),
        ("-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "blog"),
    ):
        git(*command, cwd=other)
    git("push", "-q", str(remote), "gh-pages", cwd=other)
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1 and "holds files this generator did not write" in result.stderr
    assert "blog.md" in git("ls-tree", "--name-only", "gh-pages", cwd=remote)


def test_an_address_with_a_password_or_a_query_is_refused(run, one_study_copy):
    project_copy = one_study_copy
    result = run(project_copy, "build", env={"EVIDENCE_SITE_URL": "https://user:pw@me.github.io/x/"})
    assert result.returncode == 1 and "is not a plain http(s) address" in result.stderr
    assert "user:pw" not in result.stderr and "https://***@me.github.io/x/" in result.stderr


# Deploys that must not push: a teammate's commits on the remote stay as they are ---------------------


def commit_as_teammate(remote: Path, tmp_path: Path, branches: tuple[str, ...]) -> None:
    """A teammate's commit, pushed to each of `branches` of `remote`."""
    clone = tmp_path / "teammate"
    git("init", "-q", "-b", branches[0], str(clone), cwd=tmp_path)
    (clone / "notes.md").write_text("a teammate's work")
    git("add", "-A", cwd=clone)
    git("-c", "user.name=Teammate", "-c", "user.email=t@example.org", "commit", "-q", "-m", "work", cwd=clone)
    for branch in branches:
        git("push", "-q", str(remote), f"HEAD:refs/heads/{branch}", cwd=clone)


def remote_refs(remote: Path) -> str:
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=remote)


@pytest.fixture
def shared(repository, tmp_path) -> tuple[Path, Path]:
    """The project (main checked out; other checked out before it, feature in a second worktree, a tag
    v1) whose remote holds a teammate's commit on master and main, and a tag release."""
    project, remote = repository
    commit_as_teammate(remote, tmp_path, ("master", "main"))
    git("tag", "release", "master", cwd=remote)
    for command in (
        ("checkout", "-q", "-b", "other"),
        ("checkout", "-q", "main"),
        ("worktree", "add", "-q", "-b", "feature", str(tmp_path / "feature-worktree")),
        ("tag", "v1"),
    ):
        git(*command, cwd=project)
    return project, remote


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--branch", "@"], "'@' is git's shorthand for what is checked out, not a branch name"),
        (["--branch", "HEAD"], "'HEAD' is git's shorthand for what is checked out, not a branch name"),
        (["--branch", "@{-1}"], "'@{-1}' is git's shorthand for the branch checked out before"),
        (["--branch", "-"], "'-' is git's shorthand for the branch checked out before"),
        (["--branch", "refs/heads/master"], "'refs/heads/master' is a full ref name, not a branch name"),
        (["--branch", "heads/x"], "'heads/x' is a full ref name, not a branch name"),
        (["--branch", "origin/master"], "'origin/master' starts with the remote name 'origin'"),
        (["--branch", "main"], "'main' is the branch checked out: the site goes on a branch of its own"),
        (["--branch", "Main"], "'Main' is the branch checked out"),
        (["--branch", "feature"], "'feature' is the branch checked out (in the worktree"),
        (["--branch", "v1"], "'v1' is a tag of this repository, not a branch"),
        (["--branch", "release"], "'release' is a tag of the remote 'origin', not a branch"),
        (["--branch", "master"], "branch master of remote 'origin' holds files this generator did not"),
        (["--branch", "site+x"], "'site+x' holds characters git may read as shorthand"),
        (["--remote=--upload-pack=touch pwned"], "has no git remote '--upload-pack=touch pwned'"),
        (["--remote=ext::sh -c touch% pwned"], "has no git remote 'ext::sh -c touch% pwned'"),
    ],
)
def test_a_deploy_to_a_branch_git_reads_otherwise_is_refused_and_the_remote_kept(
    run, shared, arguments, expected
):
    project, remote = shared
    before = remote_refs(remote)
    result = run(project, "deploy", *arguments, env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1 and expected in result.stderr, result.stderr
    assert "--branch" in result.stderr or "--remote" in result.stderr, "the message says where it was set"
    assert "Built the site" not in result.stderr and "Traceback" not in result.stderr
    assert remote_refs(remote) == before, "the teammate's commits are where they were, nothing was added"
    assert not any((folder / "pwned").exists() for folder in (project, ROOT, Path.cwd()))


def test_a_branch_set_to_at_in_site_config_is_refused_and_located(run, shared):
    project, remote = shared
    edit(project / "site_config.yml", "branch: gh-pages", 'branch: "@"')
    before = remote_refs(remote)
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1, result.stderr
    assert "site_config.yml, line 27, field 'publish.branch': '@' is git's shorthand" in result.stderr
    assert remote_refs(remote) == before


def test_a_push_the_remote_rejects_is_one_clear_message(run, no_build, repository):
    project, remote = repository
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 3, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "could not be pushed to branch gh-pages of remote 'origin'" in error
    assert "pushes are closed today" in error and "pre-receive hook declined" in error, "what git said"
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""
    assert git("branch", "--list", cwd=project).split() == ["*", "main"], "no branch of the project is made"


# The same, in process with a small site: no build needed -------------------------------------------


def small_site(folder: Path) -> Path:
    from generator.outputs import OWNER_MARK

    folder.mkdir()
    (folder / "index.html").write_text("<p>site</p>")
    (folder / OWNER_MARK).write_text("")
    return folder


def test_a_site_on_top_of_which_someone_committed_is_not_replaced(repository, tmp_path):
    from generator.errors import ConfigError
    from generator.publish import check_target, deploy

    project, remote = repository
    deploy(small_site(tmp_path / "site"), check_target(project, "origin", "gh-pages"), "the site")
    clone = tmp_path / "clone"
    git("clone", "-q", "-b", "gh-pages", str(remote), str(clone), cwd=tmp_path)
    (clone / "CNAME").write_text("evidence.example.org")
    git("add", "-A", cwd=clone)
    git("-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "domain", cwd=clone)
    git("push", "-q", "origin", "gh-pages", cwd=clone)
    before = remote_refs(remote)
    with pytest.raises(ConfigError, match="holds commits this generator did not write"):
        check_target(project, "origin", "gh-pages")
    assert remote_refs(remote) == before


def test_a_deploy_replaces_only_the_branch_it_checked(repository, tmp_path):
    """A branch that changed between the check and the push (another deploy, a teammate) is kept."""
    from generator.errors import BuildError
    from generator.publish import check_target, deploy

    project, remote = repository
    site = small_site(tmp_path / "site")
    target = check_target(project, "origin", "gh-pages")
    assert target.tip is None
    commit_as_teammate(remote, tmp_path, ("gh-pages",))
    before = remote_refs(remote)
    with pytest.raises(BuildError, match="changed on the remote while the site was built"):
        deploy(site, target, "the site")
    assert remote_refs(remote) == before
    git("push", "-q", str(remote), "--delete", "gh-pages", cwd=project)
    commit = deploy(site, check_target(project, "origin", "gh-pages"), "the site")
    assert git("rev-parse", "gh-pages", cwd=remote).strip() == commit
    assert git("rev-list", "--count", "gh-pages", cwd=remote).strip() == "1", "one commit, no parent"
    assert sorted(git("ls-tree", "--name-only", "gh-pages", cwd=remote).split()) == [
        ".evidence-site-output",
        ".nojekyll",
        "index.html",
    ]
    assert git("branch", "--list", cwd=project).split() == ["*", "main"], "no branch of the project is made"


def test_a_push_that_fails_never_shows_the_password_of_the_remote(repository, tmp_path):
    from generator.errors import BuildError
    from generator.publish import check_target, deploy

    project, _ = repository
    git("config", "remote.origin.pushurl", "https://deployer:s3cret-token@127.0.0.1:9/site.git", cwd=project)
    target = check_target(project, "origin", "gh-pages")
    with pytest.raises(BuildError) as failure:
        deploy(small_site(tmp_path / "site"), target, "the site")
    message = str(failure.value)
    assert "could not be pushed to branch gh-pages of remote 'origin'" in message
    assert "https://***@127.0.0.1:9/site.git" in message and "s3cret" not in message, message


def test_the_offline_copy_is_never_written_into_the_content(run, one_study_copy):
    project_copy = one_study_copy
    result = run(project_copy, "share", "--out", str(project_copy / "content" / "copy.zip"))
    assert result.returncode == 1 and "lies inside the content folder" in result.stderr
    assert not (project_copy / "content" / "copy.zip").exists()


def test_git_variables_of_a_hook_never_send_the_deploy_to_another_repository(
    repository, tmp_path, monkeypatch
):
    """Run from a git hook, GIT_DIR and GIT_INDEX_FILE name another repository: the deploy ignores them."""
    from generator.publish import check_target, deploy

    project, remote = repository
    head = git("rev-parse", "HEAD", cwd=project).strip()
    elsewhere = tmp_path / "elsewhere.git"
    git("init", "--bare", "-q", str(elsewhere), cwd=tmp_path)
    monkeypatch.setenv("GIT_DIR", str(elsewhere))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "index"))
    assert source_of(project) == Source(True, head, ()), "the project's commit, and no change"
    commit = deploy(small_site(tmp_path / "site"), check_target(project, "origin", "gh-pages"), "the site")
    assert os.environ["GIT_INDEX_FILE"] == str(tmp_path / "index"), "the environment is given back"
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git("rev-parse", "gh-pages", cwd=remote).strip() == commit
    assert git("for-each-ref", cwd=elsewhere).strip() == "" and not (tmp_path / "index").exists()


def test_deploy_from_the_project_folder_as_make_deploy_runs_it(run, no_build, repository, monkeypatch):
    """`--project .` (the default, and `make deploy`): the site folder was resolved after a chdir."""
    project, remote = repository
    monkeypatch.chdir(project)
    result = run(None, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 0, result.stderr
    assert "index.html" in git("ls-tree", "--name-only", "gh-pages", cwd=remote).split()


def test_a_remote_given_as_an_address_with_a_token_is_refused_without_showing_it(repository):
    from generator.errors import ConfigError
    from generator.publish import check_target

    project, _ = repository
    with pytest.raises(ConfigError) as refused:
        check_target(project, "https://x:TOKEN?1@github.com/o/r", "gh-pages")
    assert "TOKEN" not in str(refused.value) and "https://***@github.com/o/r" in str(refused.value)


# What a deploy is built from: the project's commit, named in the site's ------------------------------


def change_the_project(project: Path) -> list[str]:
    """Thirteen changes git status lists (edits, a rename, untracked files and a folder), and the
    site's own folders, which .gitignore leaves out; the paths as git status names them."""
    template = sorted(path for path in (project / "templates").rglob("*") if path.is_file())[0]
    for path in (project / "site_config.yml", project / "mkdocs.yml", template):
        path.write_text(path.read_text() + "\n")
    edit(project / "content/studies/kantarjian-2013/responses.csv", ",17,90", ",18,90")
    git(
        "mv",
        "content/studies/kantarjian-2013/study.yml",
        "content/studies/kantarjian-2013/moved.yml",
        cwd=project,
    )
    (project / "content/studies/new-study").mkdir()
    (project / "content/studies/new-study/study.yml").write_text("title: new\n")
    for number in range(7):
        (project / f"notes-{number}.txt").write_text("mine")
    (project / "build").mkdir()
    (project / "build" / "notes.txt").write_text("in a folder of the generator's")
    return [
        "content/studies/kantarjian-2013/responses.csv",
        "content/studies/kantarjian-2013/moved.yml",
        "site_config.yml",
        "mkdocs.yml",
        template.relative_to(project).as_posix(),
        "content/studies/new-study/",
        *(f"notes-{number}.txt" for number in range(7)),
    ]


def test_a_deploy_with_uncommitted_changes_is_refused_naming_them_unless_allowed(run, no_build, repository):
    project, remote = repository
    source = git("rev-parse", "HEAD", cwd=project).strip()
    changed = change_the_project(project)
    result = run(project, "deploy", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 1, result.stderr
    assert f"{project}: the project has uncommitted changes" in result.stderr
    listed = result.stderr.split("what it was built from: ", 1)[1].split("; commit them", 1)[0]
    assert listed.endswith(" and 3 more") and len(listed.split(", ")) == 10, "ten named, of thirteen"
    assert set(listed.removesuffix(" and 3 more").split(", ")) <= set(changed)
    assert "study.yml" not in listed and "build/" not in listed, "a rename's new name; no ignored folder"
    assert "--allow-dirty" in result.stderr and "Built the site" not in result.stderr
    assert git("branch", "--list", "gh-pages", cwd=remote).strip() == ""

    result = run(project, "deploy", "--allow-dirty", env={"EVIDENCE_SITE_URL": URL})
    assert result.returncode == 0, result.stderr
    subject, _, body = git("log", "-1", "--format=%B", "gh-pages", cwd=remote).partition("\n\n")
    assert subject.startswith(f"Deployed {source} with uncommitted changes: data version "), subject
    assert body.startswith("Uncommitted changes: ") and body.strip().endswith(" and 3 more"), body
    assert f"deployed {source} with uncommitted changes" in result.stderr


def test_a_project_outside_a_repository_or_before_a_first_commit_is_said_to_be(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # git looks no further up
    project = tmp_path / "project"
    project.mkdir()
    assert source_of(project) == Source(in_repository=False)
    assert deploy_message(source_of(project), "v7", "2024-05-01T10:00:00") == (
        "Deployed from a project that is not in a git repository (no source commit): data version v7, "
        "built 2024-05-01T10:00:00"
    )
    git("init", "-q", str(project), cwd=tmp_path)
    (project / "line\nbreak.txt").write_text("a name git quotes")
    assert source_of(project) == Source(True, None, ("line?break.txt",))
    assert deploy_message(source_of(project), "v7", "2024-05-01T10:00:00") == (
        "Deployed from a git repository with no commit yet, with uncommitted changes: data version v7, "
        "built 2024-05-01T10:00:00\n\nUncommitted changes: line?break.txt\n"
    )
