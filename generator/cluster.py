"""The per-study stage on a Dask cluster: `--scheduler ADDRESS` or `DASK_SCHEDULER_ADDRESS`.

Each study is built by a worker of an existing Dask distributed cluster instead of this machine's
process pool (`generator.studies`): the same task, the same function, the same output. What a
worker needs and what it is trusted with:

- the project's folder at the same path as here (a shared file system, as on a cluster), and the
  same version of the generator and its dependencies;
- the cluster runs the generator's code and sends back pickled results, which this process reads:
  connect only to a scheduler you run (use `tls://` with Dask's security settings across machines).

Studies in the build cache are never sent: the cache is read and written here, keyed as always.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import BuildError, ConfigError, Problem

ENVIRONMENT_VARIABLE = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT = 20  # seconds to reach the scheduler
SCHEMES = ("tcp", "tls", "ws", "wss")
_ADDRESS = re.compile(
    r"(?P<scheme>[a-z]+)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})/?"
)


@dataclass(frozen=True)
class Scheduler:
    """A Dask scheduler's address, checked, and where it was given (for messages)."""

    address: str
    given_by: str


def scheduler_from(option: str | None, environ: dict[str, str]) -> Scheduler | None:
    """The scheduler named by `--scheduler`, else by DASK_SCHEDULER_ADDRESS; None for neither.

    ConfigError, naming where it came from, for anything but scheme://host:port."""
    if option is not None:
        return _checked(option, "--scheduler")
    value = environ.get(ENVIRONMENT_VARIABLE)
    return _checked(value, ENVIRONMENT_VARIABLE) if value else None


def _checked(value: str, given_by: str) -> Scheduler:
    match = _ADDRESS.fullmatch(value.strip())
    problem = None
    if match is None:
        problem = "is not a Dask scheduler's address"
    elif match["scheme"] not in SCHEMES:
        problem = f"uses {match['scheme']}://, which is not a Dask scheduler's protocol"
    elif not 0 < int(match["port"]) < 65536:
        problem = f"has port {match['port']}, outside 1 to 65535"
    if problem is not None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise ConfigError(
            [
                Problem(
                    Path(given_by),
                    f"{shown!r} {problem}; expected scheme://host:port with scheme "
                    f"{', '.join(SCHEMES)}, such as tcp://127.0.0.1:8786",
                )
            ]
        )
    return Scheduler(value.strip().rstrip("/"), given_by)


@dataclass
class Cluster:
    """A connected cluster: the executor its jobs are given to, and a check, while waiting on them,
    that it still has a scheduler and workers (Dask would otherwise wait for workers forever)."""

    executor: Executor
    client: Any
    scheduler: Scheduler
    no_workers_since: float | None = None

    def check(self) -> None:
        try:
            workers = len(self.client.nthreads(callback_timeout=CONNECT_TIMEOUT))
        except Exception as exc:  # the scheduler gone, the connection closed, no answer in time
            raise BuildError(
                f"lost the Dask scheduler at {self.scheduler.address}: {type(exc).__name__}: {exc}"
            ) from None
        now = time.monotonic()
        self.no_workers_since = None if workers else self.no_workers_since or now
        if self.no_workers_since is not None and now - self.no_workers_since > CONNECT_TIMEOUT:
            raise BuildError(
                f"the Dask scheduler at {self.scheduler.address} has had no workers for "
                f"{CONNECT_TIMEOUT} s; the studies not yet built were not built"
            )


@contextmanager
def cluster_executor(scheduler: Scheduler) -> Iterator[Cluster]:
    """The cluster of `scheduler`, connected: its executor's jobs run on the workers."""
    try:
        from distributed import Client
    except ModuleNotFoundError as exc:
        raise BuildError(
            f"{scheduler.given_by} names a Dask scheduler, but Dask distributed is not installed for "
            "this Python: install it (pip install distributed, or the generator's `distributed` "
            f"extra) or build without {scheduler.given_by}"
        ) from exc
    try:
        client = Client(scheduler.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BuildError(
            f"could not reach the Dask scheduler at {scheduler.address} ({scheduler.given_by}) within "
            f"{CONNECT_TIMEOUT} s: {type(exc).__name__}: {exc}"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise BuildError(
                f"the Dask scheduler at {scheduler.address} has no workers (waited {CONNECT_TIMEOUT} s)"
            ) from None
        yield Cluster(client.get_executor(pure=False), client, scheduler)
    finally:
        client.close()


def on_worker(build: Any, task: Any) -> Any:
    """A study built on a worker: first that the worker sees the study's folder where this machine does."""
    if not Path(task.folder).is_dir():
        raise WorkerCannotRead(
            f"the Dask worker on {socket.gethostname()} cannot read {task.folder}: the workers must see "
            "the project's folder at the same path (a shared file system)"
        )
    return build(task, None)


class WorkerCannotRead(Exception):
    """A worker without the project's files."""


def failed_on_cluster(exc: BaseException, studies: list[Path]) -> BuildError:
    """A study that failed on the cluster (its error, a lost worker, a closed connection), as a
    message naming the study (or the studies in flight when the cluster itself failed)."""
    named = ", ".join(str(study) for study in studies[:5]) + (" ..." if len(studies) > 5 else "")
    return BuildError(f"building {named} on the Dask cluster failed: {type(exc).__name__}: {exc}")
