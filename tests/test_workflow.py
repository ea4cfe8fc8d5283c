"""The GitHub Actions workflow: valid against SchemaStore's schema of workflow files, and doing what the
README says (build with the generator on push, continue the changelog, publish with GitHub Pages)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

SCHEMA = Path(__file__).parent / "fixtures" / "schemastore" / "github-workflow.json"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(path: Path) -> dict:
    """The workflow as GitHub reads it: the key `on` is text (PyYAML, reading YAML 1.1, makes it true)."""
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_workflow_is_valid_against_the_schema_of_workflow_files(path):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    workflow = load(path)
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(workflow)]
    assert errors == []


def test_the_site_workflow_builds_on_push_and_publishes_with_pages():
    workflow = load(ROOT / ".github" / "workflows" / "site.yml")
    assert "main" in workflow["on"]["push"]["branches"]
    assert workflow["permissions"] == {"contents": "read"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}, "only the job that publishes"
    uses = [step.get("uses", "") for step in build["steps"]]
    assert all(re.fullmatch(r"actions/[a-z-]+@v\d+", u) for u in uses if u), (
        "actions pinned to a major version"
    )
    assert {"actions/checkout@v4", "actions/configure-pages@v5", "actions/upload-pages-artifact@v3"} <= set(
        uses
    )
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "data/values.json" in runs and "--previous" in runs, (
        "the changelog continues from the published site"
    )
    assert "make site PYTHON=python" in runs, "the README's command, with the Python set up for it"
    build_step = next(step for step in build["steps"] if "make site" in step.get("run", ""))
    assert "EVIDENCE_SITE_URL" in build_step["env"]
    upload = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "site"
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"] == "actions/deploy-pages@v4"
    assert re.search(
        r"^\s+- uses: actions/setup-python@v5\n\s+with:\n\s+python-version: \"3\.11\"",
        (ROOT / ".github/workflows/site.yml").read_text(),
        re.M,
    )


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    text = (ROOT / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest", 1), encoding="utf-8")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(load(broken)))


def test_the_site_workflow_caches_the_packages_by_lock_and_the_pages_of_each_study_by_commit():
    """Packages once for each lock; each study's pages from the last run, restored whatever changed
    since (every entry's key holds the generator, templates, settings and libraries: generator/cache.py),
    signed with the repository's secret so that one run's entries are another's."""
    build = load(ROOT / ".github" / "workflows" / "site.yml")["jobs"]["build"]
    steps = build["steps"]
    caches = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    build_step = next(step for step in steps if "make site" in step.get("run", ""))
    assert caches and all(steps.index(cache) < steps.index(build_step) for cache in caches), "restored first"

    packages = next(cache for cache in caches if "~/.cache/uv" in cache["with"]["path"].split())
    assert set(packages["with"]["path"].split()) == {"~/.cache/pip", "~/.cache/uv"}, "uv's, and pip's"
    assert "hashFiles('requirements-*.lock', 'Makefile')" in packages["with"]["key"], "the locks and uv's pin"
    assert "github.sha" not in packages["with"]["key"] and "restore-keys" not in packages["with"]

    cache_dir = yaml.safe_load((ROOT / "site_config.yml").read_text(encoding="utf-8"))["paths"]["cache_dir"]
    pages = next(cache for cache in caches if cache["with"]["path"].strip() == cache_dir)
    key = pages["with"]["key"]
    assert key.endswith("-${{ github.sha }}"), "each run saves its own, the next restores the latest"
    assert "hashFiles('requirements-*.lock')" in key
    assert pages["with"]["restore-keys"].splitlines() == [key.removesuffix("${{ github.sha }}")]
    assert build_step["env"]["EVIDENCE_CACHE_SECRET"] == "${{ secrets.EVIDENCE_CACHE_SECRET }}"

    for cache in caches:
        for patterns in re.findall(r"hashFiles\(([^)]*)\)", cache["with"]["key"]):
            for pattern in re.findall(r"'([^']+)'", patterns):
                assert list(ROOT.glob(pattern)), f"hashFiles({pattern!r}) hashes no file"
