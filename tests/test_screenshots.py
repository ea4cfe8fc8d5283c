"""The screenshot command for reviewers: every page at both widths, light and dark, from the real browser."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, needed

pytestmark = pytest.mark.browser


def test_the_screenshot_command_writes_each_page_at_both_widths_in_both_schemes(built_site, tmp_path):
    needed("playwright.sync_api")  # skipped here when missing, failed in CI
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    out = tmp_path / "shots"
    assert screenshots.main(["--site", str(built_site / "site"), "--out", str(out), "--limit", "1"]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert len(names) == 4 and "home-phone-dark.png" in names and "home-desktop-light.png" in names
    assert all(p.stat().st_size > 10_000 for p in out.glob("*.png"))
