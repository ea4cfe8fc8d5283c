"""generator.cluster: the per-study stage on a Dask distributed cluster (`--scheduler`,
DASK_SCHEDULER_ADDRESS), tested against a real LocalCluster of two worker processes."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import edit, needed

from generator import cluster
from generator.cluster import ENVIRONMENT_VARIABLE, Scheduler, on_worker, scheduler_from
from generator.errors import BuildError, ConfigError

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}  # both builds dated alike


# --- the address -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:8786", "tls://scheduler.example.org:8786", "tcp://[::1]:8786", "ws://head-node:80/"],
)
def test_a_scheduler_address_is_taken_as_given(address):
    assert scheduler_from(address, {}) == Scheduler(address.rstrip("/"), "--scheduler")


def test_the_option_wins_over_the_environment_and_the_environment_is_named_when_it_gives_it():
    environ = {ENVIRONMENT_VARIABLE: "tcp://10.0.0.5:8786"}
    assert scheduler_from("tcp://10.0.0.6:8786", environ) == Scheduler("tcp://10.0.0.6:8786", "--scheduler")
    assert scheduler_from(None, environ) == Scheduler("tcp://10.0.0.5:8786", ENVIRONMENT_VARIABLE)
    assert scheduler_from(None, {}) is None
    assert scheduler_from(None, {ENVIRONMENT_VARIABLE: ""}) is None


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("http://127.0.0.1:8786", "uses http://"),
        ("file:///etc/passwd:1", "is not a Dask scheduler's address"),
        ("tcp://127.0.0.1", "is not a Dask scheduler's address"),
        ("tcp://127.0.0.1:0", "has port 0"),
        ("tcp://127.0.0.1:99999", "has port 99999"),
        ("tcp://a b:8786", "is not a Dask scheduler's address"),
        ("tcp://user:secret@host:8786", "is not a Dask scheduler's address"),
        ("tcp://" + "h" * 300 + ":1", "..."),
    ],
)
def test_anything_but_scheme_host_port_is_refused_naming_where_it_came_from(address, says):
    for option, environ, where in (
        (address, {}, "--scheduler"),
        (None, {ENVIRONMENT_VARIABLE: address}, ENVIRONMENT_VARIABLE),
    ):
        with pytest.raises(ConfigError) as refused:
            scheduler_from(option, environ)
        (problem,) = refused.value.problems
        assert problem.file == Path(where)
        assert says in problem.message and "tcp://127.0.0.1:8786" in problem.message
        assert len(problem.message) < 400


def test_a_worker_that_cannot_see_the_project_says_so(tmp_path):
    task = SimpleNamespace(folder=tmp_path / "not-here")
    with pytest.raises(cluster.WorkerCannotRead, match="same path"):
        on_worker(lambda task, cache: pytest.fail("built without its folder"), task)
    task.folder.mkdir()
    assert on_worker(lambda task, cache: (task.folder, cache), task) == (task.folder, None)


def test_without_dask_installed_a_scheduler_is_a_message_not_a_traceback(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    scheduler = Scheduler("tcp://127.0.0.1:8786", "--scheduler")
    with (
        pytest.raises(BuildError, match="Dask distributed is not installed"),
        cluster.cluster_executor(scheduler),
    ):
        pytest.fail("no executor without Dask")


def test_an_unreachable_scheduler_is_one_message_and_the_last_site_stays(
    one_study_copy, command_line, monkeypatch
):
    needed("distributed")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    site = one_study_copy / "last-good"
    assert (
        command_line("build", "-q", "--project", str(one_study_copy), "--site-dir", str(site)).returncode == 0
    )
    index = (site / "index.html").read_bytes()
    (one_study_copy / "build" / "cache").rename(one_study_copy / "build" / "cache-away")  # nothing cached
    closed = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    result = command_line(
        "build", "-q", "--project", str(one_study_copy), "--site-dir", str(site), "--scheduler", closed
    )
    assert result.returncode == 3, result.stderr
    assert f"could not reach the Dask scheduler at {closed} (--scheduler) within 2 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert (site / "index.html").read_bytes() == index


# --- a real cluster ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_cluster():
    distributed = needed("distributed")
    made = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False},
    )
    client = distributed.Client(made)
    try:
        yield made, client
    finally:
        # distributed's own teardown can find its loop closed already ("IOLoop is closed", seen once
        # on a fresh clone): the cluster is gone either way, and the tests' results stand
        for close in (client.close, made.close):
            with contextlib.suppress(RuntimeError):
                close()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_studies_built_on_two_dask_workers_make_the_same_site_byte_for_byte(
    project_copy, command_line, local_cluster, monkeypatch
):
    from distributed import get_task_stream

    made, client = local_cluster
    studies = sorted(p.name for p in (project_copy / "content" / "studies").iterdir())
    blast = project_copy / "content" / "studies" / "gokbuget-2018"  # unlike the workers' own folder's
    edit(
        blast / "survival.csv",
        ",36.5,months,reported,Median overall survival (OS) was 36.5",
        ",36.7,months,reported,Median overall survival (OS) was 36.7",
    )
    edit(blast / "study.yml", "survival (OS) was 36.5 months", "survival (OS) was 36.7 months")
    monkeypatch.chdir(project_copy)  # `--project .`: the workers' own folder is elsewhere
    args = ("build", "--project", ".")
    site_dask, docs_dask = str(project_copy / "site-dask"), str(project_copy / "docs-dask")
    with get_task_stream(client) as stream:
        on_cluster = command_line(
            *args,
            "--site-dir",
            site_dask,
            "--docs-dir",
            docs_dask,
            env={**EPOCH, ENVIRONMENT_VARIABLE: made.scheduler_address},
        )
    assert on_cluster.returncode == 0, on_cluster.stderr
    assert (
        f"building {len(studies)} studies on the Dask scheduler at {made.scheduler_address}"
        in on_cluster.stderr
    )
    workers = {task["worker"] for task in stream.data}
    assert len(stream.data) == len(studies)
    assert workers and workers <= set(client.scheduler_info()["workers"])

    # the cache the cluster's build wrote: the same build again sends nothing to the cluster
    with get_task_stream(client) as again:
        cached = command_line(
            *args,
            "--site-dir",
            site_dask,
            "--docs-dir",
            docs_dask,
            "--scheduler",
            made.scheduler_address,
            env=EPOCH,
        )
    assert cached.returncode == 0 and not again.data
    assert f"{len(studies)} from the cache" in cached.stderr

    # and a build on this machine alone, from nothing, gives every file the same
    (project_copy / "build" / "cache").rename(project_copy / "build" / "cache-of-the-cluster")
    local = command_line(
        *args,
        "--site-dir",
        str(project_copy / "site-local"),
        "--docs-dir",
        str(project_copy / "docs-local"),
        env=EPOCH,
    )
    assert local.returncode == 0, local.stderr
    for kind in ("site", "docs"):
        cluster_files, local_files = (
            _files(project_copy / f"{kind}-dask"),
            _files(project_copy / f"{kind}-local"),
        )
        assert len(local_files) > 20
        assert cluster_files.keys() == local_files.keys()
        assert [name for name in local_files if cluster_files[name] != local_files[name]] == []
    assert (
        "36.7 months" in (project_copy / "site-dask" / "studies" / "gokbuget-2018" / "index.html").read_text()
    )


def test_a_study_with_a_problem_is_located_as_on_one_machine(one_study_copy, command_line, local_cluster):
    made, _ = local_cluster
    study = next((one_study_copy / "content" / "studies").iterdir())
    table = next(study.glob("*.csv"))
    header = table.read_text().splitlines()[0]
    edit(table, header, header + ",unexpected_column")
    result = command_line(
        "build", "-q", "--project", str(one_study_copy), "--scheduler", made.scheduler_address
    )
    assert result.returncode == 1, result.stderr
    assert table.name in result.stderr and "unexpected_column" in result.stderr
    assert "Dask" not in result.stderr and "Traceback" not in result.stderr


class _Client:
    """A stand-in for a Dask client: the workers it reports, or the error its scheduler gives."""

    def __init__(self, answers):
        self.answers = list(answers)

    def nthreads(self, callback_timeout):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_cluster_that_loses_its_scheduler_or_all_its_workers_is_a_message_not_a_hang(monkeypatch):
    scheduler = Scheduler("tcp://127.0.0.1:8786", "--scheduler")
    lost = cluster.Cluster(None, _Client([OSError("connection closed")]), scheduler)
    with pytest.raises(BuildError, match="lost the Dask scheduler at tcp://127"):
        lost.check()
    clock = iter([100.0, 110.0, 121.0, 200.0, 300.0])
    monkeypatch.setattr(cluster.time, "monotonic", lambda: next(clock))
    empty = cluster.Cluster(None, _Client([{}, {}, {}]), scheduler)
    empty.check()  # no worker since 100 s
    empty.check()  # 10 s
    with pytest.raises(BuildError, match="has had no workers for 20 s"):
        empty.check()
    back = cluster.Cluster(None, _Client([{}, {"tcp://w": 1}]), scheduler)
    back.check()
    back.check()
    assert back.no_workers_since is None


def test_waiting_on_the_studies_checks_the_cluster_until_it_gives_up(monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from generator import studies

    monkeypatch.setattr(studies, "WAITING_CHECK", 0.05)
    release, checks = threading.Event(), []

    def check():
        checks.append(1)
        if len(checks) == 3:
            raise BuildError("gave up")

    with ThreadPoolExecutor(1) as pool:
        jobs = iter([(0, release.wait)])
        with pytest.raises(BuildError, match="gave up"):
            list(studies._in_flight(pool, jobs, 4, {}, studies._Progress(1), check))
        release.set()
    assert len(checks) == 3
