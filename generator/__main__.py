import os
import sys

from generator.reproducible import source_date

# Checked before anything else is imported: numpy reads SOURCE_DATE_EPOCH at import and fails on a bad one.
if os.environ.get("SOURCE_DATE_EPOCH") == "":
    del os.environ["SOURCE_DATE_EPOCH"]  # empty means unset, as for every reproducible-builds tool
try:
    source_date(os.environ.get("SOURCE_DATE_EPOCH"))
except ValueError as exc:
    print(f"error: SOURCE_DATE_EPOCH: {exc}", file=sys.stderr)
    sys.exit(1)

from generator.cli import main

sys.exit(main())
