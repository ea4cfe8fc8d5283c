"""Copy one file of an npm package into the repository, pinned by version and checksum.

The update scripts (update_plotly.py, update_axe.py) use it: the tarball is checked against the
registry's sha512, the file and the package's LICENSE are written into `folder`, and a pin file records
the package, version, tarball and the sha256 of both.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"


def pin_from_npm(package: str, version: str, file: str, folder: Path, pin_name: str) -> dict:
    """Download `version` of `package` (a version or a tag such as `latest`), check it, write `file`,
    its LICENSE and the pin `pin_name` into `folder`; the pin, which the tests check the file against."""
    with urllib.request.urlopen(f"{REGISTRY}/{package}/{version}", timeout=60) as response:
        release = json.load(response)
    tarball = release["dist"]["tarball"]
    with urllib.request.urlopen(tarball, timeout=300) as response:
        data = response.read()
    expected = release["dist"].get("integrity", "")
    if not expected.startswith("sha512-"):
        sys.exit(f"the registry gives no sha512 checksum for {package} {release['version']}")
    if base64.b64encode(hashlib.sha512(data).digest()).decode() != expected.removeprefix("sha512-"):
        sys.exit(f"the tarball of {package} {release['version']} does not match the registry's checksum")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        bundle = archive.extractfile(f"package/{file}").read()
        licence = archive.extractfile("package/LICENSE").read()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_bytes(bundle)
    (folder / "LICENSE").write_bytes(licence)
    pin = {
        "package": package,
        "version": release["version"],
        "license": release.get("license", ""),
        "tarball": tarball,
        "tarball_sha256": hashlib.sha256(data).hexdigest(),
        "file": file,
        "file_sha256": hashlib.sha256(bundle).hexdigest(),
    }
    (folder / pin_name).write_text(json.dumps(pin, indent=2) + "\n", encoding="utf-8")
    print(f"{package} {pin['version']}: {len(bundle) / 1e6:.2f} MB, sha256 {pin['file_sha256']}")
    return pin
