"""Update the pinned axe-core (tests/fixtures/axe/) that the accessibility tests run in the browser.

axe-core is Deque's accessibility engine (MPL-2.0). The tests inject its one-file build, axe.min.js,
into every page of the built site; it is kept in the repository, pinned by version and checksum in
axe.pin.json, so the tests need no network and always run the same rules. Run to move to a release:

    .venv/bin/python scripts/update_axe.py            # the registry's latest release
    .venv/bin/python scripts/update_axe.py 4.14.1     # a given version
"""

from __future__ import annotations

import sys
from pathlib import Path

from npm_pin import pin_from_npm

PACKAGE = "axe-core"
FOLDER = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "axe"
FILE = "axe.min.js"


def main(version: str = "latest") -> None:
    """Pin `version` of axe-core (default: the registry's latest release)."""
    pin_from_npm(PACKAGE, version, FILE, FOLDER, "axe.pin.json")


if __name__ == "__main__":
    main(*sys.argv[1:2])
