"""The one exception hierarchy. Only the command line turns these into messages and exit codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: Path
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = shortened(str(self.file), MOST_CHARACTERS // 4)
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field '{shortened(self.field, MOST_CHARACTERS // 8)}'"
        return f"{where}: {shortened(self.message, MOST_CHARACTERS - len(where))}"


MOST_CHARACTERS = 1000
"""The longest problem line: about a screen (a header of 100,000 columns, a long quote or field name
would otherwise print a line of megabytes)."""


def shortened(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def shown_address(url: str) -> str:
    """An address as a message shows it: anything between :// and its last @ (user:password) and its
    query as ***, its fragment left out.

    Cut by text, not parsed, so that no address, however malformed, shows its password: the user info
    is hidden first, as a password may hold # ? or / (a path with an @ is hidden up to it as well)."""
    scheme, slashes, rest = url.partition("://")
    hidden = "@" in rest
    rest = rest.rpartition("@")[2]
    rest = rest.split("#", 1)[0]
    rest, question, _ = rest.partition("?")
    return f"{scheme}{slashes}{'***@' if hidden else ''}{rest}{'?***' if question else ''}"


def redacted(text: str) -> str:
    """`text` (such as what git said) with the user name and password of every address in it as ***."""
    return re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s'\"]*@", r"\1***@", text)


class GeneratorError(Exception):
    """Base of every error the generator reports to a user."""


MOST_SHOWN = 50
"""Problems listed in one message; a file full of bad rows would otherwise print each of them."""


class InputError(GeneratorError):
    """Bad input: one or more located problems, reported together (the first MOST_SHOWN listed)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  - {p}" for p in problems[:MOST_SHOWN])
        if count > MOST_SHOWN:
            lines += f"\n  ... and {count - MOST_SHOWN} more; fix these and run again to see the rest"
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the input:\n{lines}")

    def __reduce__(self) -> tuple:
        """Pickled with its problems (as a worker process sends it back), not its message."""
        return (type(self), (self.problems,))


class ConfigError(InputError):
    """A problem in site_config.yml or mkdocs.yml."""


class DataError(InputError):
    """A problem in a study's data under content/."""


class TemplateError(InputError):
    """A problem in a page template under templates/."""


class BuildError(GeneratorError):
    """Rendering or the mkdocs build failed."""
