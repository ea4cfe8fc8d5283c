"""Every command the README names runs as written, in a fresh clone of the repository, from a shell
without the virtual environment activated (or, for a bare `evidence-site`, with it activated).

The README is read, not copied: a command added to it fails here until this module says how it runs.
Its placeholders (SLUG, DIR, N, ...) get example values; a few settings that only make the work
smaller come from the environment (BENCH_ARGS, SCREENSHOT_ARGS), as a user may set them too."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"
COMMAND = re.compile(r"(make|\.venv/bin/evidence-site|\.venv/bin/python|evidence-site|pip|python3?|cd|\.) ")
EXAMPLES = {
    "SLUG": "smith-2020",
    "DIR": "another-site",
    "NAME": "home.md.j2",
    "PATH": "content/glossary.yml",
    "FILE": "../copy.zip",
    "R": "origin",
    "B": "gh-pages",
    "N": "2",
    "<commit>": "HEAD",
}
NOT_RUN = {
    "make test": "it is the command that runs this test",
    "make lock": "it re-pins every dependency from the package index (by hand, when they change)",
    'pip install "evidence-site-generator @ git+https://github.com/<owner>/<this repository>"': (
        "a placeholder address: tests/test_own_site.py installs the wheel into a new environment instead"
    ),
    "python3 -m venv ~/.venvs/evidence && . ~/.venvs/evidence/bin/activate": (
        "tests/test_own_site.py makes and uses a new environment outside the repository"
    ),
    "cd mysite": "the commands after it run in mysite",
    ".venv/bin/evidence-site build --scheduler tcp://HOST:8786": (
        "it needs a running Dask scheduler: tests/test_cluster.py starts a LocalCluster and builds on it"
    ),
    ".venv/bin/python scripts/engine_compare.py --studies 100 --zensical /path/to/zensical": (
        "it builds 100 studies six ways (minutes); tests/test_zensical.py builds the real site with Zensical"
    ),
}
SERVED = ("make preview", ".venv/bin/evidence-site preview")
"""Serve until stopped: started, seen serving (and rebuilding after an edit of a watched path), then
stopped with Ctrl-C."""
LEFT_BEHIND = {"new": "content/studies/smith-2020", "init DIR": "another-site"}
"""What a command writes into the clone that the next commands must not find (a skeleton study is
refused by `check` until its REPLACE are replaced)."""


def readme_commands(text: str) -> list[str]:
    """Each command of the README, in order: the lines of its sh blocks, and its code spans that start
    with a command."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        found += [re.sub(r"\s+#\s.*$", "", line).strip() for line in block.splitlines()]
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    found += [m[1] for m in re.finditer(r"^ {4}(\S.*)$", prose, re.M) if COMMAND.match(m[1])]
    found += [span for span in re.findall(r"`([^`\n]+)`", prose) if COMMAND.match(span)]
    return list(dict.fromkeys(command for command in found if command))


def with_examples(command: str) -> str:
    return " ".join(EXAMPLES.get(word, word) for word in command.replace("=", "= ").split()).replace(
        "= ", "="
    )


def fresh_clone(folder: Path) -> Path:
    """The repository's files as a clone of this tree has them (tracked, and new files not ignored),
    committed, with a bare repository as its `origin`."""
    clone = folder / "clone"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True)
    subprocess.run([*git, "-C", str(clone), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(clone), "commit", "-qm", "fresh clone"], check=True)
    subprocess.run(["git", "init", "-q", "--bare", str(folder / "remote.git")], check=True)
    subprocess.run(
        ["git", "-C", str(clone), "remote", "add", "origin", str(folder / "remote.git")], check=True
    )
    return clone


def shell(clone: Path, *, activated: bool) -> dict[str, str]:
    """A user's shell: none of the test run's Python settings; the clone's environment on PATH only
    when `activated`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))}
    if activated:
        env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {
        **env,
        "EVIDENCE_SITE_URL": "https://team.github.io/evidence/",
        "BROWSER": "true",  # --open "opens" the page with a command that does nothing
        "BENCH_ARGS": "--skip-edit --skip-preview --skip-compare",
        "SCREENSHOT_ARGS": "--limit 1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }


def run(command: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    said = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{said}"
    return done.stdout + done.stderr


def serve(command: str, cwd: Path, env: dict[str, str], log: Path) -> None:
    """Start it, wait until it serves (and, with --watch, rebuilds after the watched file changes),
    then stop it as a person does, with Ctrl-C."""
    inherited = signal.signal(signal.SIGINT, signal.SIG_DFL)  # an xdist worker ignores Ctrl-C
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    signal.signal(signal.SIGINT, inherited)
    try:
        assert _wait(lambda: "Serving the site" in log.read_text(errors="replace"), process), log.read_text()
        if "--watch" in command:
            watched = cwd / command.split("--watch", 1)[1].split()[0]
            before = log.read_text(errors="replace").count("Detected file changes")
            watched.write_bytes(watched.read_bytes())
            changed = lambda: log.read_text(errors="replace").count("Detected file changes") > before  # noqa: E731
            assert _wait(changed, process), log.read_text()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=60)
    assert code in (0, 2, 130, -signal.SIGINT), f"`{command}` exited {code}:\n{log.read_text()[-3000:]}"


def _wait(check, process: subprocess.Popen, seconds: float = 180) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_the_readme_names_commands_this_module_knows():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert "make site" in commands and "make test" in commands  # its opening block
    assert commands[:2] == ["make site", "make test"], "the README opens with the two commands"
    assert not [c for c in NOT_RUN if c not in commands], "a command left out that the README no longer names"


def test_every_command_in_the_readme_runs_as_written_in_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path)
    own = tmp_path / "home"
    own.mkdir()
    bare, activated = shell(clone, activated=False), shell(clone, activated=True)
    ran = []
    for written in readme_commands(README.read_text(encoding="utf-8")):
        if written in NOT_RUN:
            continue
        command = with_examples(written)
        if written.startswith(SERVED):
            serve(command, clone, bare, tmp_path / f"serve-{len(ran)}.log")
        elif written in ("evidence-site init mysite", "evidence-site build"):  # A site of your own
            run(command, own if "init" in written else own / "mysite", activated)
        else:
            run(command, clone, activated if written.startswith("evidence-site") else bare)
        for what, left in LEFT_BEHIND.items():
            if what in written:
                shutil.rmtree(clone / left)
        ran.append(written)
    assert (own / "mysite" / "site" / "index.html").is_file()
    assert {"make site", "make share", "make deploy", "make check", "make clean"} <= set(ran)
