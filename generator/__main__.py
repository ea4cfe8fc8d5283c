import os
import sys

# Checked before anything is imported: numpy reads SOURCE_DATE_EPOCH at import time and fails on a bad one.
_epoch = os.environ.get("SOURCE_DATE_EPOCH")
if _epoch and not _epoch.isdigit():
    print(f"error: SOURCE_DATE_EPOCH: expected whole seconds since 1970, found {_epoch!r}", file=sys.stderr)
    sys.exit(1)

from generator.cli import main  # noqa: E402

sys.exit(main())
