"""Reading the manifest of an earlier build (`--previous PATH_OR_URL`): its data/values.json.

The source is a file path or a URL. http:// and https:// URLs (in any case) are fetched, a file:// URL
is read as the local file it names, and any other URL is refused. Whatever the source holds or a server
sends, reading it gives a manifest or one located InputError, and no message shows a credential:

- a file must be a regular file (a named pipe cannot block) of at most MAX_MANIFEST_BYTES;
- a fetch has one deadline, FETCH_SECONDS, for all of it: connecting, the status line and headers, every
  redirect and the body (a server sending a byte every few seconds is cut off too). It reads at most
  MAX_MANIFEST_BYTES, headers included, and a chunk size only as hex digits (http.client would read
  the whole stream for a size of -1); running out of memory is an InputError as well. It runs in a
  daemon thread that the build waits for until the deadline; then the fetch's sockets are shut down,
  so the thread ends as well;
- only redirects to http:// and https:// URLs are followed, at most MAX_REDIRECTS, and their body is not
  read;
- a user:password in the URL is sent as HTTP basic authentication, to that URL's origin only; a URL is
  shown in messages with its user:password and query replaced by ***.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import os
import re
import socket
import ssl
import stat
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

from generator.changes import is_date, is_history
from generator.downloads import VALUES_INDEX
from generator.errors import InputError, Problem, shown_address

log = logging.getLogger("generator")

MAX_MANIFEST_BYTES = 200 * 1024**2
"""The largest previous manifest read (one of a thousand studies is about 20 MB)."""
FETCH_SECONDS = 60.0
"""The longest a fetch of a previous manifest may take, from connecting to its last byte."""
MAX_REDIRECTS = 5
CHUNK_BYTES = 1024**2
MIN_SECRET = 4
OPTION = Path("--previous")
"""Where a problem of a URL is located: the option that named it (a Path of the URL would print
https:/host, and the URL may hold a password); the message starts with the URL, its credentials hidden."""

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HTTP = re.compile(r"https?://", re.IGNORECASE)
SHAPE = (
    "is not a site's data/values.json: expected an object with data_version, built "
    "(a date) and values (each with a text id, text, and optionally study, label and "
    "number), and optionally its history of data versions"
)


def read_manifest(source: str | None, site_dir: Path) -> dict | None:
    """The figures a previous build published: from `source` (a path or URL) or the last build in site_dir."""
    if source is None:
        last = site_dir / VALUES_INDEX
        try:
            manifest = json.loads(_read_bounded(last)) if last.is_file() else None
        except (InputError, ValueError, RecursionError, MemoryError):
            manifest = False
        if manifest is None or is_manifest(manifest):
            return manifest
        log.warning("The last build's manifest %s cannot be read; comparing with nothing", last)
        return None
    data, where = _read_source(source)
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise where.error("is not UTF-8 text") from None
    except RecursionError:
        raise where.error("is nested too deeply to be a site's data/values.json") from None
    except MemoryError:
        raise where.error(f"cannot be read: {_NO_MEMORY}") from None
    except ValueError as exc:
        raise where.error(f"is not JSON: {exc}") from None
    if not is_manifest(manifest):
        raise where.error(SHAPE)
    return manifest


@dataclass(frozen=True)
class _Where:
    """Where a problem of the previous manifest is: its file, or the option naming its URL."""

    location: Path
    prefix: str = ""

    def error(self, message: str) -> InputError:
        return InputError([Problem(self.location, self.prefix + message)])


def _read_source(source: str) -> tuple[bytes, _Where]:
    """The bytes of the file or URL `source`, and where its problems are reported."""
    if not _URL.match(source):
        path = Path(source)
        return _read_bounded(path), _Where(path)
    url = _Url(source)
    scheme = source.split(":", 1)[0].lower()
    if scheme == "file":
        path = url.local_path()
        return _read_bounded(path), _Where(path)
    if scheme not in ("http", "https"):
        raise url.where.error("is not read: only http://, https:// and file:// URLs are")
    return url.fetch(), url.where


def _read_bounded(path: Path) -> bytes:
    """A regular file of at most MAX_MANIFEST_BYTES, opened so that a named pipe cannot block."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(path, "is not a regular file; expected a site's data/values.json")])
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InputError([Problem(path, "is not a regular file; expected a site's data/values.json")])
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise InputError(
            [Problem(path, f"previous manifest cannot be read: {exc.strerror or exc}")]
        ) from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise InputError([Problem(path, _too_large())])
    return data


def _too_large() -> str:
    return f"is larger than {MAX_MANIFEST_BYTES // 1024**2} MB"


class _Url:
    """A URL given as --previous: shown without credentials, fetched within the deadline and size."""

    def __init__(self, text: str):
        self.text = text
        self.where = _Where(OPTION, f"{shown_address(text)} ")
        self.secrets: list[str] = []
        """Hidden in the text of a failure as well. The request never holds the user:password (it goes
        in a header), but http.client's InvalidURL repeats the path and query. A user name, or a password
        shorter than MIN_SECRET, is not searched for: it would hide parts of words ("Not Fo***nd")."""

    def local_path(self) -> Path:
        """The local file a file:// URL names."""
        parts = self._parts()
        if parts.netloc not in ("", "localhost"):
            raise self.where.error("is a file:// URL of another host; only local files are read")
        return Path(urllib.request.url2pathname(parts.path))

    def _parts(self) -> SplitResult:
        try:
            parts = urlsplit(self.text)
            parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
        except ValueError:
            hint = (
                " (in a user name or password, write # as %23, ? as %3F, / as %2F and @ as %40)"
                if "@" in self.text
                else ""
            )
            raise self.where.error(f"is not a valid URL{hint}") from None
        return parts

    def fetch(self) -> bytes:
        """The body of a 200 answer, fetched in a daemon thread the build waits for FETCH_SECONDS at most."""
        parts = self._parts()
        userinfo, _, hostport = parts.netloc.rpartition("@")
        if not parts.hostname:
            raise self.where.error("is not a valid URL: it names no host")
        request = urllib.request.Request(
            urlunsplit((parts.scheme, hostport, parts.path or "/", parts.query, "")),
            headers={"Accept": "application/json"},
        )
        if userinfo:
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
            self.secrets += [userinfo, password if len(password) >= MIN_SECRET else ""]
            token = base64.b64encode(f"{user}:{password}".encode("utf-8", "surrogateescape")).decode("ascii")
            request.add_unredirected_header("Authorization", f"Basic {token}")
        self.secrets.append(parts.query)
        sockets = _Sockets()
        outcome: dict[str, object] = {}

        def work() -> None:
            try:
                outcome["data"] = self._get(request, sockets)
            except Exception as exc:  # handed to the waiting thread, which judges it
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="previous-manifest", daemon=True)
        worker.start()
        worker.join(FETCH_SECONDS)
        if worker.is_alive():
            sockets.shut_all()
            raise self.where.error(f"cannot be read: no complete answer within {FETCH_SECONDS:g} seconds")
        if "error" in outcome:
            raise self._failure(outcome["error"])  # type: ignore[arg-type]
        return outcome["data"]  # type: ignore[return-value]

    def _get(self, request: urllib.request.Request, sockets: _Sockets) -> bytes:
        with _opener(sockets, self).open(request, timeout=FETCH_SECONDS) as response:
            if response.status != 200:
                reason = _printable(response.reason)
                raise self.where.error(f"cannot be read: HTTP {response.status} {reason}; expected 200 OK")
            headers = sum(len(name) + len(value) + 4 for name, value in response.headers.items())
            room = MAX_MANIFEST_BYTES - headers
            chunks, size = [], 0
            while chunk := response.read(CHUNK_BYTES):
                size += len(chunk)
                if size > room:
                    raise self.where.error(_too_large())
                chunks.append(chunk)
        return b"".join(chunks)

    def _failure(self, exc: Exception) -> Exception:
        """The InputError that says why the fetch failed; any other exception (a bug) as it is."""
        if isinstance(exc, InputError):
            return exc
        reason = _reason(exc)
        if reason is None:
            return exc
        for secret in filter(None, self.secrets):
            reason = reason.replace(secret, "***")
        return self.where.error(f"cannot be read: {_printable(reason)}")


def _reason(exc: BaseException) -> str | None:
    """Why a fetch failed, in words, for the errors of urllib, http.client, sockets and TLS."""
    if isinstance(exc, urllib.error.HTTPError):
        with contextlib.suppress(OSError):
            exc.close()
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        inner = exc.reason
        return (_reason(inner) if isinstance(inner, BaseException) else None) or str(inner)
    if isinstance(exc, MemoryError):
        return _NO_MEMORY
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without an answer"
    if isinstance(exc, http.client.BadStatusLine):
        return "the server's answer is not HTTP (its status line is malformed)"
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer ended early, or its chunked encoding is broken"
    if isinstance(exc, http.client.InvalidURL):
        return f"the URL is not valid: {exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"the server's answer is malformed: {exc or type(exc).__name__}"
    if isinstance(exc, TimeoutError):
        return f"the server sent nothing for {FETCH_SECONDS:g} seconds"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, UnicodeError):
        return f"the URL is not valid: {exc}"
    if isinstance(exc, ValueError):
        return f"the URL or the answer is not valid: {exc}"
    return None


_NO_MEMORY = "there is not enough memory to hold it"
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
"""A chunk's size as HTTP/1.1 writes it: hex digits only (int(x, 16) would take -1, +1, 0x1 or 1_0)."""


class _Response(http.client.HTTPResponse):
    """http.client's answer, reading a chunk's size only as hex digits: a size of -1 would make it read
    the rest of the stream at once, past MAX_MANIFEST_BYTES."""

    def _read_next_chunk_size(self) -> int:
        maxline: int = http.client._MAXLINE  # type: ignore[attr-defined]  # private, so not in typeshed
        line = self.fp.readline(maxline + 1)
        if len(line) > maxline:
            raise http.client.LineTooLong("chunk size")
        size = line.split(b";", 1)[0].strip(b" \t\r\n")
        if not _CHUNK_SIZE.fullmatch(size):
            self._close_conn()  # type: ignore[attr-defined]  # private, so not in typeshed
            raise ValueError("malformed chunk size")  # http.client raises IncompleteRead for it
        return int(size, 16)


def _printable(text: str) -> str:
    """`text` from a server on one line, without control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


_Socket = TypeVar("_Socket", bound=socket.socket)


@dataclass
class _Sockets:
    """The sockets of one fetch, shut down by the waiting thread when the deadline has passed."""

    opened: list[socket.socket] = field(default_factory=list)
    shut: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sock: _Socket) -> _Socket:
        with self.lock:
            self.opened.append(sock)
            shut = self.shut
        if shut:  # opened after the deadline: the fetch is over
            _shut(sock)
        return sock

    def shut_all(self) -> None:
        with self.lock:
            self.shut = True
            opened = list(self.opened)
        for sock in opened:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """End the socket's reads and writes (in another thread, they return at once); it stays open."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _opener(sockets: _Sockets, url: _Url) -> urllib.request.OpenerDirector:
    """urllib's opener for one fetch: proxies from the environment, http and https through connections
    whose sockets `sockets` records, and the redirects _Redirects allows; no other scheme."""

    class Recorded(http.client.HTTPConnection):
        response_class = _Response
        _create_connection: Callable[..., socket.socket]  # set by HTTPConnection; private, not in typeshed

        def __init__(self, *args: object, **kwargs: object):
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            create = self._create_connection
            self._create_connection = lambda *a, **k: sockets.add(create(*a, **k))

    class Secure(Recorded, http.client.HTTPSConnection):
        _tunnel_host: str | None  # set by HTTPConnection; private, so not in typeshed
        _context: ssl.SSLContext  # set by HTTPSConnection; private, so not in typeshed

        def connect(self) -> None:  # HTTPSConnection.connect, the TLS socket recorded before its handshake
            http.client.HTTPConnection.connect(self)
            hostname = self._tunnel_host or self.host
            self.sock = sockets.add(
                self._context.wrap_socket(self.sock, server_hostname=hostname, do_handshake_on_connect=False)
            )
            self.sock.do_handshake()

    class Plain(Recorded):
        pass

    class PlainHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Plain, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        _context: ssl.SSLContext  # set by HTTPSHandler; private, so not in typeshed

        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Secure, req, context=self._context)

    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        PlainHandler(),
        SecureHandler(context=ssl.create_default_context()),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(url),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Redirects to http:// and https:// URLs only, at most MAX_REDIRECTS; their body is not read (it
    could be endless); the basic authentication of the URL goes to its own origin only."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, url: _Url):
        self.url = url

    def http_error_302(self, req, fp, code, msg, headers):  # urllib's signature
        fp.close()  # urllib would read the body to its end
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urljoin(req.full_url, location)
            if not _HTTP.match(target):
                raise self.url.where.error(
                    f"cannot be read: it redirects to {shown_address(target)}, and only redirects to "
                    "http:// and https:// URLs are followed"
                )
            if "@" in urlsplit(target).netloc:
                raise self.url.where.error(
                    f"cannot be read: it redirects to {shown_address(target)}, a URL with a user name; "
                    "such redirects are not followed"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        authorization = req.unredirected_hdrs.get("Authorization")
        if new is not None and authorization and _origin(newurl) == _origin(req.full_url):
            new.add_unredirected_header("Authorization", authorization)
        return new


def is_manifest(data: object) -> bool:
    """Whether `data` has the shape of a published data/values.json, in every field that is compared.

    Any value JSON decodes to gives True or False: the checks go to a fixed depth, and numbers (huge,
    infinite or NaN) are only checked for their type."""
    return (
        isinstance(data, dict)
        and {"data_version", "built", "values"} <= set(data)
        and isinstance(data["data_version"], str)
        and is_date(data["built"])
        and isinstance(data["values"], list)
        and all(_is_value(v) for v in data["values"])
        and ("history" not in data or is_history(data["history"]))
    )


def _is_value(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("text"), str | None)
        and "text" in value
        and isinstance(value.get("study", ""), str)
        and isinstance(value.get("label", ""), str)
        and isinstance(value.get("number"), int | float | list | None)
    )
