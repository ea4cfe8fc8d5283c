"""The generator imports, and its builds lock their staging folders, where POSIX's modules are missing
(Windows): each case runs a fresh Python in which they cannot be imported, and Windows' msvcrt is
stood in for by a module that locks as msvcrt.locking does (the lock of one open file at a time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator import outputs
from tests.conftest import ROOT

POSIX_ONLY = (
    "fcntl",
    "termios",
    "tty",
    "pty",
    "pwd",
    "grp",
    "resource",
    "syslog",
    "crypt",
    "spwd",
    "nis",
    "readline",
    "curses",
    "_curses",
)
"""Modules of the standard library that Windows' Python does not have."""

WITHOUT_POSIX = f"""
import errno, os, sys, types
import fcntl as posix_locks  # what the stand-in for msvcrt locks with, taken before it is hidden

def locking(fd, mode, nbytes):
    # msvcrt.locking: lock (or unlock) `nbytes` from the file's position; another open file holding
    # the lock makes LK_NBLCK fail at once with EACCES (LK_LOCK after ten tries)
    assert nbytes == 1 and os.lseek(fd, 0, os.SEEK_CUR) == 0, "the first byte is the lock"
    locking.calls.append(mode)
    if mode == msvcrt.LK_UNLCK:
        return posix_locks.flock(fd, posix_locks.LOCK_UN)
    try:
        posix_locks.flock(fd, posix_locks.LOCK_EX | posix_locks.LOCK_NB)
    except BlockingIOError:
        raise OSError(errno.EACCES, "Permission denied") from None
locking.calls = []

msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK, msvcrt.locking = 0, 1, 2, locking
for name in {POSIX_ONLY!r}:
    sys.modules.pop(name, None)
    sys.modules[name] = None  # `import name` raises ImportError, as on Windows
"""
"""A prelude hiding POSIX's modules, and making `msvcrt`, a stand-in for Windows' module to install
once the generator is imported (the standard library takes a module named msvcrt for Windows)."""

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil
import generator

modules = [m.name for m in pkgutil.walk_packages(generator.__path__, "generator.")]
failed = {}
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
print(json.dumps({"modules": modules, "failed": failed}))
"""

STAGING = """
import json, sys
from pathlib import Path
from generator import outputs

role, parent = sys.argv[1], Path(sys.argv[2])
if "msvcrt" in globals():
    sys.modules["msvcrt"] = msvcrt
if role == "build":  # a build: its staging folder, held until told to finish
    with outputs.staging_folder(parent / "site") as folder:
        print(folder, flush=True)
        sys.stdin.readline()
else:  # the start of another build: it removes the staging folders of killed builds
    outputs.remove_stale_staging(parent, "site")
calls = getattr(sys.modules.get("msvcrt"), "locking", None)
print(json.dumps({"fcntl": outputs.fcntl is not None, "msvcrt calls": calls.calls if calls else []}))
"""


def python(script: str, *args: str, windows: bool, **popen) -> subprocess.Popen:
    """A fresh Python running `script` in the project (without POSIX's modules when `windows`)."""
    code = (WITHOUT_POSIX if windows else "") + textwrap.dedent(script)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, **popen
    )


def finished(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    assert process.returncode == 0, out
    return json.loads(out.splitlines()[-1])


def test_every_module_of_the_generator_imports_without_posixs_modules():
    result = finished(python(IMPORT_EVERY_MODULE, windows=True))
    assert {"generator.outputs", "generator.build", "generator.cli", "generator.publish"} <= set(
        result["modules"]
    )
    assert len(result["modules"]) > 40, "every module was tried"
    assert result["failed"] == {}


@pytest.mark.parametrize("windows", [False, True], ids=["posix", "windows"])
def test_two_builds_never_remove_each_others_staging_folder_and_a_killed_ones_is_removed(tmp_path, windows):
    def other_build_starts() -> dict:
        return finished(python(STAGING, "start", str(tmp_path), windows=windows))

    def build() -> tuple[subprocess.Popen, Path]:
        process = python(STAGING, "build", str(tmp_path), windows=windows, stdin=subprocess.PIPE)
        assert process.stdout is not None
        folder = Path(process.stdout.readline().strip())
        os.utime(folder / outputs.STAGING_LOCK, (1, 1))  # as old as a killed build's: only its lock counts
        return process, folder

    live, live_folder = build()
    killed, killed_folder = build()
    killed.kill()  # as a build killed mid-way: its folder stays, its lock goes with the process
    killed.wait()
    assert killed_folder.is_dir()
    started = other_build_starts()
    assert live_folder.is_dir(), "the live build's folder is kept"
    assert not killed_folder.exists(), "the killed build's folder is removed"
    assert live.stdin is not None
    live.stdin.write("done\n")
    ended = finished(live)
    assert not live_folder.exists(), "a build removes its own folder when it ends"
    assert started["fcntl"] is ended["fcntl"] is (not windows)
    if windows:  # msvcrt locked it: the build took its lock, the other build tried it and let it go
        assert ended["msvcrt calls"] == [1, 0] and sorted(started["msvcrt calls"]) == [0, 2, 2]


READS_WITHOUT_POSIX_FLAGS = """
import os, sys
from pathlib import Path
for flag in ("O_NONBLOCK", "O_NOFOLLOW"):  # Windows' os has neither
    delattr(os, flag)
from generator import previous, signing, yamlfile

folder = Path(sys.argv[1])
(folder / "values.json").write_bytes(b'{"a": 1}\\r\\n')
assert yamlfile.read_input_bytes(folder / "values.json") == b'{"a": 1}\\r\\n'
assert previous._read_bounded(folder / "values.json") == b'{"a": 1}\\r\\n'
os.environ["XDG_CONFIG_HOME"] = str(folder)
os.environ.pop(signing.SECRET_ENV, None)
assert len(signing.cache_secret() or b"") >= signing.MIN_SECRET_BYTES, "the cache secret was made and read"
print("{}")
"""


def test_inputs_the_previous_record_and_the_cache_secret_are_read_without_posixs_open_flags(tmp_path):
    finished(python(READS_WITHOUT_POSIX_FLAGS, str(tmp_path), windows=True))
