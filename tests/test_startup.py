"""Start-up: the commands that compute nothing import none of the heavy libraries (a property, not a timing).

pandas, scipy, statsmodels, plotly and mkdocs take more than a second to import together; `--help`
should print at once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = {"numpy", "pandas", "scipy", "statsmodels", "plotly", "mkdocs"}


def imported(*args: str, cwd=ROOT) -> set[str]:
    """The top-level packages `python -m generator ARGS` imports, from `python -X importtime`."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "generator", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = [
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    ]
    assert "generator.cli" in names  # the measure works
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["settings"], ["build", "--help"], ["check", "--help"], ["schema", "--help"]],
)
def test_help_version_and_settings_import_no_heavy_library(args):
    assert imported(*args) & HEAVY == set()


def test_schema_and_new_import_neither_the_statistics_nor_the_charts_nor_mkdocs(project_copy, tmp_path):
    # pandas (and numpy) still come with generator.model, which imports pandas for its annotations
    for args in (["schema", "--out", str(tmp_path / "schema")], ["new", "smith-2020"]):
        assert imported(*args, cwd=project_copy) & {"scipy", "statsmodels", "plotly", "mkdocs"} == set(), args
