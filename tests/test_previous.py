"""`--previous PATH_OR_URL`: whatever a file or a server holds, reading it gives a manifest or one located
input error (exit 1), within one deadline and size, and no message shows a password.

The server here is hostile on purpose: it answers with raw bytes on a socket of 127.0.0.1, in threads
that stop by themselves.
"""

from __future__ import annotations

import base64
import json
import os
import socketserver
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import previous
from generator.cli import main
from generator.downloads import VALUES_INDEX
from generator.errors import InputError, shown_address
from generator.load import content_version
from generator.previous import read_manifest
from tests.conftest import copy_project

MANIFEST = {"data_version": "v1", "built": "2024-01-01", "values": [{"id": "a", "text": "1"}]}
BODY = json.dumps(MANIFEST).encode()
NESTED = b"[" * 100_000 + b"]" * 100_000
DRIP_SECONDS = 1.0
"""The hostile server's pause between two bytes of a slow answer."""


def answer(status: str, body: bytes = b"", headers: tuple[str, ...] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def drip(handler: Hostile, data: bytes) -> None:
    """One byte every DRIP_SECONDS, 15 at most: the client gives up long before."""
    for byte in data[:15]:
        handler.request.sendall(bytes([byte]))
        time.sleep(DRIP_SECONDS)


STREAM_BYTES = 4 * 1024**2
"""What /chunk-size streams after its chunk size: more than the client may hold at once."""


def chunked(handler: Hostile, headers: dict[str, str]) -> None:
    """A chunked answer whose chunk size is the query (e.g. -1), then STREAM_BYTES of data."""
    size = handler.server.seen[-1][0].partition("?")[2]
    handler.request.sendall(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + size.encode("latin-1")
        + b"\r\n"
    )
    for _ in range(STREAM_BYTES // 65536):
        handler.request.sendall(b" " * 65536)


BASIC = "Basic " + base64.b64encode(b"user:secret").decode()
ANSWERS: dict[str, Callable[[Hostile, dict[str, str]], bytes | None]] = {
    "/values.json": lambda h, headers: answer("200 OK", BODY),
    "/private.json": lambda h, headers: (
        answer("200 OK", BODY) if headers.get("authorization") == BASIC else answer("401 Unauthorized")
    ),
    "/garbage": lambda h, headers: b"SPAM SPAM SPAM\r\n\r\n",
    "/long-header": lambda h, headers: answer("200 OK", BODY, ("X-Long: " + "a" * 100_000,)),
    "/many-headers": lambda h, headers: answer("200 OK", BODY, tuple(f"X-{i}: {i}" for i in range(200))),
    "/bad-chunk": lambda h, headers: (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n"
    ),
    "/nested": lambda h, headers: answer("200 OK", NESTED),
    "/chunk-size": lambda h, headers: chunked(h, headers),
    "/drip-status": lambda h, headers: drip(h, answer("200 OK", BODY)),
    "/drip-body": lambda h, headers: h.request.sendall(answer("200 OK", BODY)[: -len(BODY)]) or drip(h, BODY),
    "/padded": lambda h, headers: answer("200 OK", BODY, ("X-Pad: " + "a" * 2000,)),
    "/big": lambda h, headers: answer("200 OK", b" " * 5000 + BODY),
    "/to-file": lambda h, headers: answer("302 Found", headers=("Location: file:///etc/passwd",)),
    "/to-ftp": lambda h, headers: answer("302 Found", headers=("Location: ftp://127.0.0.1:1/values.json",)),
    "/to-other-origin": lambda h, headers: answer(
        "302 Found",
        headers=(f"Location: http://localhost:{h.server.server_address[1]}/values.json?redirected",),
    ),
    "/to-same-origin": lambda h, headers: answer("302 Found", headers=("Location: /private.json",)),
    "/missing": lambda h, headers: answer("404 Not Found"),
}


class Hostile(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self) -> None:
        self.request.settimeout(5)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = self.request.recv(4096)
                head += chunk
                if not chunk or head.startswith(b"\x16"):  # EOF, or a TLS handshake: hang up
                    return
            lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1]
            headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
            self.server.seen.append((target, headers))
            reply = ANSWERS[target.split("?")[0]](self, headers)
            if reply:
                self.request.sendall(reply)
        except OSError:  # the client hung up, as it should on a hostile answer
            return


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Hostile)
        self.seen: list[tuple[str, dict[str, str]]] = []


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    hostile = HostileServer()
    thread = threading.Thread(target=hostile.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield hostile
    hostile.shutdown()
    hostile.server_close()


@pytest.fixture
def url(server: HostileServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loopback server is reached directly, whatever proxy the environment names."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def refused(source: str, tmp_path: Path) -> str:
    """The one located problem reading `source` gives."""
    with pytest.raises(InputError) as caught:
        read_manifest(source, tmp_path)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_a_manifest_is_read_from_a_url_in_any_case(url, tmp_path):
    assert read_manifest(f"{url}/values.json", tmp_path) == MANIFEST
    for scheme in ("HTTP", "Http"):
        assert read_manifest(f"{scheme}{url[4:]}/values.json", tmp_path) == MANIFEST


def test_an_https_url_in_any_case_is_fetched_over_tls_and_shown_as_given(url, tmp_path):
    """The hostile server speaks no TLS: the URL was read as https, not as a file named Https:/..."""
    source = f"Https{url[4:]}/values.json"
    assert refused(source, tmp_path).startswith(f"--previous: {source} cannot be read: ")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/garbage", "the server's answer is not HTTP (its status line is malformed)"),
        (
            "/long-header",
            "the server's answer is malformed: got more than 65536 bytes when reading header line",
        ),
        ("/many-headers", "the server's answer is malformed: got more than 100 headers"),
        ("/bad-chunk", "the answer ended early, or its chunked encoding is broken"),
        ("/missing", "HTTP 404 Not Found"),
    ],
)
def test_a_hostile_answer_is_a_located_input_error(url, tmp_path, path, reason):
    assert refused(f"{url}{path}", tmp_path) == f"--previous: {url}{path} cannot be read: {reason}"


def test_deeply_nested_json_is_an_input_error(url, tmp_path):
    message = "is nested too deeply to be a site's data/values.json"
    assert refused(f"{url}/nested", tmp_path) == f"--previous: {url}/nested {message}"
    nested = tmp_path / "nested.json"
    nested.write_bytes(NESTED)
    assert refused(str(nested), tmp_path) == f"{nested}: {message}"


@pytest.mark.parametrize("path", ["/drip-status", "/drip-body"])
def test_a_slow_drip_is_cut_off_at_the_deadline(url, tmp_path, monkeypatch, path):
    """Each byte comes well within a socket timeout; the whole answer never comes within the deadline."""
    monkeypatch.setattr(previous, "FETCH_SECONDS", 1.5)
    start = time.monotonic()
    message = refused(f"{url}{path}", tmp_path)
    assert message == f"--previous: {url}{path} cannot be read: no complete answer within 1.5 seconds"
    assert time.monotonic() - start < 3
    deadline = time.monotonic() + 3
    while any(t.name == "previous-manifest" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name == "previous-manifest" for t in threading.enumerate()), "the fetch goes on"


def test_the_size_limit_counts_the_headers(url, tmp_path, monkeypatch):
    monkeypatch.setattr(previous, "MAX_MANIFEST_BYTES", 1000)
    assert "is larger than" in refused(f"{url}/padded", tmp_path)
    assert "is larger than" in refused(f"{url}/big", tmp_path)


@pytest.mark.parametrize(
    ("path", "target"), [("/to-file", "file:///etc/passwd"), ("/to-ftp", "ftp://127.0.0.1:1/values.json")]
)
def test_a_redirect_to_another_scheme_is_not_followed(url, tmp_path, path, target):
    assert refused(f"{url}{path}", tmp_path) == (
        f"--previous: {url}{path} cannot be read: it redirects to {target}, "
        "and only redirects to http:// and https:// URLs are followed"
    )


def test_a_password_in_the_url_is_sent_to_its_origin_and_never_shown(server, url, tmp_path):
    authority = url.removeprefix("http://")
    assert read_manifest(f"http://user:secret@{authority}/private.json", tmp_path) == MANIFEST
    assert read_manifest(f"http://user:secret@{authority}/to-same-origin", tmp_path) == MANIFEST
    message = refused(f"http://user:wrong%2Fpass@{authority}/private.json?token=abc#top", tmp_path)
    assert (
        message
        == f"--previous: http://***@{authority}/private.json?*** cannot be read: HTTP 401 Unauthorized"
    )
    server.seen.clear()
    assert read_manifest(f"http://user:secret@{authority}/to-other-origin", tmp_path) == MANIFEST
    assert [(target, "authorization" in headers) for target, headers in server.seen] == [
        ("/to-other-origin", True),
        ("/values.json?redirected", False),
    ]


def test_a_password_never_shows_even_in_a_malformed_url(tmp_path):
    for source in (
        "http://user:p/ss@127.0.0.1:1/x.json",
        "https://user:secret@[::1/x",
        "http://u:secret@:x/",
    ):
        message = refused(source, tmp_path)
        assert "secret" not in message and "ss@" not in message and "***@" in message, message


def test_a_file_url_is_read_as_the_local_file_and_other_schemes_are_refused(tmp_path):
    folder = tmp_path / "with space"
    folder.mkdir()
    (folder / "values.json").write_text(json.dumps(MANIFEST))
    assert read_manifest((folder / "values.json").as_uri(), tmp_path) == MANIFEST
    assert read_manifest("FILE://" + str(folder / "values.json"), tmp_path) == MANIFEST
    pipe = folder / "pipe.json"
    os.mkfifo(pipe)
    assert refused(pipe.as_uri(), tmp_path).startswith(f"{pipe}: is not a regular file")
    assert refused("file://elsewhere/values.json", tmp_path) == (
        "--previous: file://elsewhere/values.json is a file:// URL of another host; only local files are read"
    )
    assert refused("ftp://user:secret@example.org/values.json", tmp_path) == (
        "--previous: ftp://***@example.org/values.json is not read: only http://, https:// and file:// "
        "URLs are"
    )


@pytest.mark.parametrize(
    "text",
    [
        "1e999999",
        "NaN",
        '"2024-01-01"',
        "1" * 5000,
        '{"data_version": 1e400, "built": "2024-01-01", "values": []}',
        '{"data_version": "v", "built": "\\ud800", "values": []}',
        '{"data_version": "v", "built": "2024-01-01\\u0000", "values": []}',
        '{"data_version": "v", "built": "2024-01-01", "values": {"id": "a"}}',
        '{"data_version": "v", "built": "2024-01-01", "values": [[{"id": "a", "text": "1"}]]}',
        '{"data_version": "v", "built": "2024-01-01", "values": [], "history": [[[]]]}',
        '{"data_version": "v", "built": "2024-01-01", "values": [], "history": [{"changed": 1}]}',
    ],
)
def test_no_misshapen_manifest_gets_past_the_shape_check_or_crashes_it(tmp_path, text):
    odd = tmp_path / "odd.json"
    odd.write_text(text)
    message = refused(str(odd), tmp_path)
    assert "is not a site's data/values.json" in message or "is not JSON" in message


def test_odd_numbers_in_a_manifest_are_only_figures(tmp_path):
    odd = tmp_path / "odd.json"
    numbers = ["NaN", "Infinity", "-1e999", "1e-999", "[[[[[[1]]]]]]", "123456789012345678901234567890"]
    values = ", ".join(f'{{"id": "{i}", "text": null, "number": {n}}}' for i, n in enumerate(numbers))
    odd.write_text(f'{{"data_version": "v", "built": "2024-01-01", "values": [{values}]}}')
    assert len(read_manifest(str(odd), tmp_path)["values"]) == len(numbers)


def test_the_command_line_reports_a_hostile_server_as_bad_input(url, tmp_path, capsys):
    """The real `build`: exit 1, no traceback, no password; the manifest is read before anything is built."""
    project = copy_project(tmp_path / "project")
    authority = url.removeprefix("http://")
    for path, reason in (("garbage", "is not HTTP"), ("missing", "HTTP 404 Not Found")):
        assert (
            main(["build", "--project", str(project), "--previous", f"http://u:secret@{authority}/{path}"])
            == 1
        )
        err = capsys.readouterr().err
        assert f"--previous: http://***@{authority}/{path} cannot be read: " in err and reason in err
        assert "Traceback" not in err and "secret" not in err and "internal error" not in err
    assert not (project / "site").exists()


@pytest.mark.parametrize("size", ["-1", "-0x10", "+10", "0x10", "1_0"])
def test_a_chunk_size_that_is_not_hex_digits_is_refused_before_its_data_is_read(url, tmp_path, size):
    """int(size, 16) takes each; -1 would make http.client read the whole stream at once, past the cap."""
    tracemalloc.start()
    try:
        message = refused(f"{url}/chunk-size?{size}", tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == (
        f"--previous: {url}/chunk-size?*** cannot be read: "
        "the answer ended early, or its chunked encoding is broken"
    )
    assert peak < STREAM_BYTES // 2, peak


def test_running_out_of_memory_is_a_located_input_error(url, tmp_path, monkeypatch):
    def exhausted(*args: object) -> bytes:
        raise MemoryError

    monkeypatch.setattr(previous._Url, "_get", exhausted)
    message = refused(f"{url}/values.json", tmp_path)
    assert message == f"--previous: {url}/values.json cannot be read: there is not enough memory to hold it"
    monkeypatch.setattr(previous.json, "loads", exhausted)
    manifest = tmp_path / "values.json"
    manifest.write_text(json.dumps(MANIFEST))
    assert refused(str(manifest), tmp_path) == (
        f"{manifest}: cannot be read: there is not enough memory to hold it"
    )


@pytest.mark.parametrize(
    "password", ["Sup3r#Secret", "Sup3r?Secret", "Sup3r/Secret", "Sup3r?x#Secret/", "Sup3r@Secret#"]
)
def test_a_password_with_a_url_delimiter_never_shows(tmp_path, password):
    source = f"http://alice:{password}@127.0.0.1:1/x.json?token=Secret#Secret"
    message = refused(source, tmp_path)
    assert "Sup3r" not in message and "Secret" not in message and "***@" in message, message
    assert shown_address(source) == "http://***@127.0.0.1:1/x.json?***"


HISTORY_RECORD = {
    "previous_version": None,
    "previous_built": None,
    "changed": [],
    "appeared": [],
    "disappeared": [],
    "data_version": "v1",
    "built": "2024-01-01",
}


@pytest.mark.parametrize(
    "record",
    [
        {"built": "not-a-date"},
        {"built": "2024-02-30"},
        {"built": "1969-12-31"},
        {"built": ""},
        {"built": 20240101},
        {"data_version": None},
        {"new_studies": "s"},
        {"new_studies": [1]},
        {"removed_studies": {"s": 1}},
        {"unknown": []},
    ],
)
def test_a_history_record_that_a_build_cannot_read_is_refused(tmp_path, record):
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({**MANIFEST, "history": [{**HISTORY_RECORD, **record}]}))
    assert "is not a site's data/values.json" in refused(str(odd), tmp_path)
    last = tmp_path / VALUES_INDEX
    last.parent.mkdir(parents=True, exist_ok=True)
    last.write_text(odd.read_text())
    assert read_manifest(None, tmp_path) is None  # the last build's: a warning, compared with nothing


def test_a_history_that_is_read_is_a_build_s_record(tmp_path):
    good = tmp_path / "good.json"
    for history in (
        [],
        [HISTORY_RECORD],
        [{**HISTORY_RECORD, "previous_version": "v0", "previous_built": "x"}],
        [{**HISTORY_RECORD, "new_studies": ["s"], "removed_studies": []}],  # the lists of new records
    ):
        good.write_text(json.dumps({**MANIFEST, "history": history}))
        assert read_manifest(str(good), tmp_path)["history"] == history


@pytest.mark.parametrize("built", ["not-a-date", "2024-02-30"])
def test_a_previous_manifest_of_the_same_data_with_a_bad_date_is_bad_input(tmp_path, capsys, built):
    """The build parses the newest record's date when the data version is the same: refused as read."""
    project = copy_project(tmp_path / "project")
    version = content_version(project / "content")
    manifest = {**MANIFEST, "data_version": version}
    manifest["history"] = [{**HISTORY_RECORD, "data_version": version, "built": built}]
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(manifest))
    assert main(["build", "--project", str(project), "--previous", str(odd)]) == 1
    err = capsys.readouterr().err
    assert f"{odd}: is not a site's data/values.json" in err and "Traceback" not in err
    assert not (project / "site").exists()
