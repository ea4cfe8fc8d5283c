"""SOURCE_DATE_EPOCH, the reproducible-builds convention for a build's date.

Imports nothing heavy: the command line checks it before numpy, which reads it at import, is loaded.
"""

from __future__ import annotations

import datetime as dt
import re

LATEST_EPOCH = 253_402_300_799
"""The last second of the year 9999, the last date Python can hold."""


def source_date(epoch: str | None) -> dt.date | None:
    """The date of SOURCE_DATE_EPOCH, None when unset; ValueError saying what is expected otherwise."""
    if not epoch:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", epoch) or int(epoch) > LATEST_EPOCH:
        raise ValueError(
            f"expected whole seconds since 1970 (digits 0-9, at most {LATEST_EPOCH}), found {epoch!r}"
        )
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
