"""The project built as a wheel, offline, from a copy of what the wheel is made of."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BACKEND_MISSING = (
    "The wheel is built offline with the build backend installed beside the tests (pip wheel "
    "--no-build-isolation --no-index): one that builds wheels by itself, setuptools 70.1 or newer "
    "(or an older setuptools with the wheel package), must be installed from requirements-dev.lock"
)
OFFLINE = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def build_wheel(folder: Path) -> tuple[Path, Path]:
    """The wheel, built in `folder` from a copy of the sources (so nothing else of the tree slips in);
    returns the wheel and the copy."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("generator", "templates"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = folder / "wheels"
    # offline: the build backend installed with the tests' tools, no build isolation (which fetches
    # setuptools from the index), and pip told not to reach any index
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    built = subprocess.run(
        [*build, "-w", str(wheels), str(source)], capture_output=True, text=True, timeout=300, env=OFFLINE
    )
    assert built.returncode == 0, f"{BACKEND_MISSING}\n{built.stderr[-2000:]}"
    (wheel,) = wheels.glob("*.whl")
    return wheel, source
