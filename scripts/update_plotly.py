"""Update the pinned plotly.js bundle (templates/assets/javascripts/plotly/) from the npm registry.

The site draws its charts with plotly.js's basic partial bundle (scatter, bar, pie: everything the
site draws), the same version as the plotly.js the Python package makes its figures for. The Python
package ships only the full bundle (4.8 MB against 1.2 MB), so the bundle is kept in the repository,
pinned by version and checksum in plotly.pin.json. Run after upgrading plotly:

    .venv/bin/python scripts/update_plotly.py           # the version the installed plotly uses
    .venv/bin/python scripts/update_plotly.py 4.1.1     # a given version
"""

from __future__ import annotations

import sys
from pathlib import Path

from npm_pin import pin_from_npm

PACKAGE = "plotly.js-basic-dist-min"
FOLDER = Path(__file__).resolve().parent.parent / "templates" / "assets" / "javascripts" / "plotly"
FILE = "plotly-basic.min.js"


def main(version: str | None = None) -> None:
    """Pin `version` of the bundle (default: the plotly.js version the installed plotly makes figures for)."""
    if version is None:
        from plotly.offline import get_plotlyjs_version

        version = get_plotlyjs_version()
    pin_from_npm(PACKAGE, version, FILE, FOLDER, "plotly.pin.json")


if __name__ == "__main__":
    main(*sys.argv[1:2])
