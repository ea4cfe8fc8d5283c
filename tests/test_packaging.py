"""The project as a package: `pip install .` gives the `evidence-site` command; the site's lock holds
only what building needs, the tests' tools are locked apart."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BACKEND_MISSING = (
    "The wheel is built offline with the build backend installed beside the tests (pip wheel "
    "--no-build-isolation --no-index): one that builds wheels by itself, setuptools 70.1 or newer "
    "(or an older setuptools with the wheel package), must be installed from requirements-dev.lock"
)


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: str) -> dict[str, str]:
    lines = (ROOT / lock).read_text(encoding="utf-8").splitlines()
    return {_name(line): line for line in lines if line and not line.startswith(("#", "-r"))}


def test_a_wheel_installs_the_evidence_site_command(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "generator", source / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    # offline: the build backend installed with the tests' tools, no build isolation (which fetches
    # setuptools from the index), and pip told not to reach any index
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    offline = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    built = subprocess.run(
        [*build, "-w", str(wheels), str(source)], capture_output=True, text=True, timeout=300, env=offline
    )
    assert built.returncode == 0, f"{BACKEND_MISSING}\n{built.stderr[-2000:]}"
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
        metadata = next(archive.read(n).decode() for n in names if n.endswith("METADATA"))
    assert "generator/cli.py" in names and not any(n.startswith(("tests/", "bench/")) for n in names)
    modules = {p.relative_to(source).as_posix() for p in (source / "generator").rglob("*.py")}
    assert modules - set(names) == set(), "every module of the generator, its subpackages' too"
    assert "evidence-site = generator.__main__:run" in entry_points
    required = {
        _name(line.split(":", 1)[1].strip())
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    assert required == {_name(d) for d in PYPROJECT["project"]["dependencies"]}

    target = tmp_path / "installed"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target"]
    subprocess.run(
        [*install, str(target), str(wheel)], check=True, capture_output=True, timeout=300, env=offline
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [str(target / "bin" / "evidence-site"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: evidence-site") and "deploy" in result.stdout


def test_building_installs_only_what_building_needs():
    site, dev = _pinned("requirements-site.lock"), _pinned("requirements-dev.lock")
    assert {_name(d) for d in PYPROJECT["project"]["dependencies"]} <= set(site)
    assert {_name(d) for d in PYPROJECT["project"]["optional-dependencies"]["dev"]} <= set(dev)
    assert not {"pytest", "playwright", "ruff", "hypothesis"} & set(site)
    assert not set(site) & set(dev), "each package is pinned once"
    assert (ROOT / "requirements-dev.lock").read_text().splitlines()[1] == "-r requirements-site.lock"
