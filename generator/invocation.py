"""How the user ran the generator, so that every command a message names runs as written in the same
shell: `evidence-site check` where that is the command found first on PATH, `.venv/bin/evidence-site
check` or `.venv/bin/python -m generator check` where it is not (a shell without the environment
activated), never a `python` that lacks the generator's dependencies."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

SCRIPT = "evidence-site"


def command(arguments: str, *, from_anywhere: bool = False) -> str:
    """The command line that runs `arguments` (such as "preview") the way this process was started;
    `from_anywhere`: from any folder (for a message that says to change folder first)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    if started.stem == SCRIPT:
        return f"{_program(started, SCRIPT, from_anywhere)} {arguments}"
    return f"{_program(Path(sys.executable), 'python', from_anywhere)} -m generator {arguments}"


def _program(path: Path, name: str, from_anywhere: bool) -> str:
    """`name` when the shell finds this very file by it, else the file's path as typed from here."""
    found = shutil.which(name)
    here = Path(os.path.abspath(path))
    if found and Path(os.path.abspath(found)) == here:
        return name
    try:
        shown = here.as_posix() if from_anywhere else here.relative_to(Path.cwd()).as_posix()
    except ValueError:
        shown = here.as_posix()
    return shlex.quote(shown if "/" in shown else f"./{shown}")
