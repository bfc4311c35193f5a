"""A threaded HTTP(S) server on 127.0.0.1 that hands each request to a fake vendor app.

The app implements `handle(request) -> Response`. Faults queued on `server.faults` are applied
before the app sees the request (429, 5xx, token expiry) or after it answered (a timeout: the
change happens but the client never hears back), which is how vendors fail in real life.
"""

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query string
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def param(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key.lower() == name.lower():
                return value
        return default

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data, headers: dict | None = None) -> "Response":
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8",
                                                         **(headers or {})})


@dataclass
class Fault:
    """One injected failure. `match` is "METHOD path-regex"; `times` how many requests it hits."""

    kind: str  # "status" (answer `status` without processing), "timeout" (process, then go silent), "expire_token"
    match: str = ".*"
    status: int = 503
    retry_after: int | None = None
    times: int = 1
    delay: float = 0.0
    headers: dict = field(default_factory=dict)

    def applies_to(self, request: Request) -> bool:
        return re.search(self.match, f"{request.method} {request.path}") is not None


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.fired: list[tuple[str, str]] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._queue.append(fault)
        return fault

    def rate_limit(self, match: str = ".*", *, retry_after: int = 1, times: int = 1, problem: str = "minute"):
        return self.add(Fault("status", match, 429, retry_after, times, headers={"X-Rate-Limit-Problem": problem}))

    def server_error(self, match: str = ".*", *, status: int = 503, times: int = 1):
        return self.add(Fault("status", match, status, None, times))

    def timeout(self, match: str = ".*", *, delay: float = 2.0, times: int = 1):
        return self.add(Fault("timeout", match, 0, None, times, delay))

    def expire_token(self, match: str = ".*", *, times: int = 1):
        return self.add(Fault("expire_token", match, 401, None, times))

    def take(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if fault.applies_to(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._queue.remove(fault)
                    self.fired.append((fault.kind, f"{request.method} {request.path}"))
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._queue)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format, *args):  # noqa: A002 — keep test output quiet
        pass

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            raw_path=self.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        owner = self.server.owner
        response, silence = owner.respond(request)
        if silence:
            # The change happened; the client must not hear back before its timeout.
            owner.stopping.wait(silence)
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "LoopbackServer"


class LoopbackServer:
    def __init__(self, app, *, tls_context: ssl.SSLContext | None = None):
        self.app = app
        self.faults = Faults()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        if tls_context is not None:
            self._httpd.socket = tls_context.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls_context is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-{type(app).__name__}",
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def respond(self, request: Request) -> tuple[Response, float]:
        fault = self.faults.take(request)
        if fault is not None and fault.kind == "status":
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return self.app.fault_response(fault.status, headers), 0.0
        if fault is not None and fault.kind == "expire_token":
            self.app.expire_token(request)
        response = self.app.handle(request)
        if fault is not None and fault.kind == "timeout":
            return response, fault.delay
        return response, 0.0
