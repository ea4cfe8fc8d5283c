"""SOURCE_DATE_EPOCH, the reproducible-builds convention for a build's date.

Imports nothing heavy: the command line checks it before numpy, which reads it at import, is loaded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator

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


@contextlib.contextmanager
def dated(date: str) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set to the start of `date` (ISO) while the block runs, for the tools that read
    it (mkdocs' sitemap dates): a site rebuilt from the same data carries the same dates."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.combine(dt.date.fromisoformat(date), dt.time(), dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
