"""Update the pinned plotly.js bundle (templates/assets/javascripts/plotly/) from the npm registry.

The site draws its charts with plotly.js's basic partial bundle (scatter, bar, pie: everything the
site draws), the same version as the plotly.js the Python package makes its figures for. The Python
package ships only the full bundle (4.8 MB against 1.2 MB), so the bundle is kept in the repository,
pinned by version and checksum in plotly.pin.json. Run after upgrading plotly:

    .venv/bin/python scripts/update_plotly.py           # the version the installed plotly uses
    .venv/bin/python scripts/update_plotly.py 4.1.1     # a given version
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "plotly.js-basic-dist-min"
FOLDER = Path(__file__).resolve().parent.parent / "templates" / "assets" / "javascripts" / "plotly"
FILE = "plotly-basic.min.js"


def main(version: str | None = None) -> None:
    if version is None:
        from plotly.offline import get_plotlyjs_version

        version = get_plotlyjs_version()
    with urllib.request.urlopen(f"https://registry.npmjs.org/{PACKAGE}/{version}", timeout=60) as response:
        release = json.load(response)
    tarball = release["dist"]["tarball"]
    with urllib.request.urlopen(tarball, timeout=300) as response:
        data = response.read()
    expected = release["dist"].get("integrity", "")
    if expected.startswith("sha512-"):
        import base64

        if base64.b64encode(hashlib.sha512(data).digest()).decode() != expected.removeprefix("sha512-"):
            sys.exit(f"the tarball of {PACKAGE} {version} does not match the registry's checksum")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        bundle = archive.extractfile(f"package/{FILE}").read()
        licence = archive.extractfile("package/LICENSE").read()
    (FOLDER / FILE).write_bytes(bundle)
    (FOLDER / "LICENSE").write_bytes(licence)
    pin = {
        "package": PACKAGE,
        "version": version,
        "tarball": tarball,
        "tarball_sha256": hashlib.sha256(data).hexdigest(),
        "file": FILE,
        "file_sha256": hashlib.sha256(bundle).hexdigest(),
    }
    (FOLDER / "plotly.pin.json").write_text(json.dumps(pin, indent=2) + "\n", encoding="utf-8")
    print(f"{PACKAGE} {version}: {len(bundle) / 1e6:.1f} MB, sha256 {pin['file_sha256']}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
