"""`python -m generator` and the `evidence-site` command: the same commands (see generator.cli)."""

import os
import sys

from generator.reproducible import source_date


def run() -> int:
    """Check SOURCE_DATE_EPOCH before anything else is imported (numpy reads it at import and fails on a
    bad one), then run the command line."""
    if os.environ.get("SOURCE_DATE_EPOCH") == "":
        del os.environ["SOURCE_DATE_EPOCH"]  # empty means unset, as for every reproducible-builds tool
    try:
        source_date(os.environ.get("SOURCE_DATE_EPOCH"))
    except ValueError as exc:
        print(f"error: SOURCE_DATE_EPOCH: {exc}", file=sys.stderr)
        return 1
    from generator.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
