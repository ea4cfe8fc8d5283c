import os
import sys

from generator.reproducible import source_date

# Checked before anything else is imported: numpy reads SOURCE_DATE_EPOCH at import and fails on a bad one.
try:
    source_date(os.environ.get("SOURCE_DATE_EPOCH"))
except ValueError as exc:
    print(f"error: SOURCE_DATE_EPOCH: {exc}", file=sys.stderr)
    sys.exit(1)

from generator.cli import main

sys.exit(main())
