"""mkdocs hook: take the navigation the generator wrote (`.nav.json` in docs_dir) when mkdocs.yml has none.

Listed under `hooks:` in mkdocs.yml, so `mkdocs build` and `mkdocs serve` show the pages in
reading order without the generator touching mkdocs.yml.
"""

from __future__ import annotations

import json
from pathlib import Path

NAV_FILE = ".nav.json"


def on_config(config):
    nav_file = Path(config["docs_dir"]) / NAV_FILE
    if config["nav"] is None and nav_file.is_file():
        config["nav"] = json.loads(nav_file.read_text(encoding="utf-8"))
    return config
