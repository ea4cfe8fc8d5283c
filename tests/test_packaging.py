"""The project as a package: `pip install .` gives the `evidence-site` command; the site's lock holds
only what building needs, the tests' tools are locked apart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile

from tests.conftest import ROOT
from tests.wheel import OFFLINE, build_wheel

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: str) -> dict[str, str]:
    lines = (ROOT / lock).read_text(encoding="utf-8").splitlines()
    return {_name(line): line for line in lines if line and not line.startswith(("#", "-r"))}


def test_a_wheel_installs_the_evidence_site_command(tmp_path):
    wheel, source = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
        metadata = next(archive.read(n).decode() for n in names if n.endswith("METADATA"))
    assert "generator/cli.py" in names and not any(n.startswith(("tests/", "bench/")) for n in names)
    modules = {p.relative_to(source).as_posix() for p in (source / "generator").rglob("*.py")}
    assert modules - set(names) == set(), "every module of the generator, its subpackages' too"
    assert "evidence-site = generator.__main__:run" in entry_points
    # what a project does not copy: the templates, the theme's overrides, the hook, a new project's files
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert {f"generator/{t}" for t in templates} - set(names) == set(), "every template, asset and override"
    starter = {p.name for p in (ROOT / "generator" / "starter").iterdir()}
    assert {f"generator/starter/{name}" for name in starter} - set(names) == set()
    assert "generator/mkdocs_hooks.py" in names
    required = {
        _name(line.split(":", 1)[1].strip())
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    assert required == {_name(d) for d in PYPROJECT["project"]["dependencies"]}

    target = tmp_path / "installed"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target"]
    subprocess.run(
        [*install, str(target), str(wheel)], check=True, capture_output=True, timeout=300, env=OFFLINE
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
    # named as it was run (not on PATH here: by its path), so the help's examples run as written
    program = (target / "bin" / "evidence-site").relative_to(tmp_path).as_posix()
    assert result.stdout.startswith(f"usage: {program}") and "deploy" in result.stdout
    assert f"  {program} init mysite" in result.stdout


def test_building_installs_only_what_building_needs():
    site, dev = _pinned("requirements-site.lock"), _pinned("requirements-dev.lock")
    assert {_name(d) for d in PYPROJECT["project"]["dependencies"]} <= set(site)
    assert {_name(d) for d in PYPROJECT["project"]["optional-dependencies"]["dev"]} <= set(dev)
    assert not {"pytest", "playwright", "ruff", "hypothesis"} & set(site)
    assert not set(site) & set(dev), "each package is pinned once"
    assert (ROOT / "requirements-dev.lock").read_text().splitlines()[1] == "-r requirements-site.lock"
