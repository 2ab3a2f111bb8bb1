"""A local HTTP stand-in for the servers tests cannot reach (web pages, the WeChat API).

    with StubServer({("GET", "/page"): (200, {"Content-Type": "text/html"}, "<p>hi</p>"),
                     ("POST", "/cgi-bin/menu/create"): lambda call: {"errcode": 0}}) as stub:
        requests.get(stub.url + "/page")
        assert stub.calls[0].path == "/page"

A route's response is a value or a callable taking the ``Call`` and returning one of:
``(status, headers, body)``, a ``dict``/``list`` (sent as JSON with status 200), or ``str``/``bytes``
(sent as an HTML page with status 200). Unknown routes answer 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, dict[str, str], str | bytes] | dict | list | str | bytes
Route = Response | Callable[["Call"], Response]


@dataclass
class Call:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class StubServer:
    """A threaded HTTP server on 127.0.0.1 with a route table and a record of the calls it got."""

    def __init__(self, routes: dict[tuple[str, str], Route] | None = None):
        self.routes: dict[tuple[str, str], Route] = dict(routes or {})
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def port(self) -> int:
        """The port it listens on (127.0.0.1)."""
        assert self._server is not None
        return self._server.server_address[1]

    def route(self, method: str, path: str, response: Route) -> None:
        """Add or replace the response for ``method path``."""
        self.routes[(method.upper(), path)] = response

    def calls_to(self, path: str, method: str | None = None) -> list[Call]:
        """The received calls for ``path`` (and ``method``), in arrival order."""
        return [c for c in self.calls if c.path == path and (method is None or c.method == method)]

    def __enter__(self) -> StubServer:
        handler = type("StubHandler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = False  # server_close() then waits for slow handlers to finish
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="stub-http", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, call: Call) -> Response:
        with self._lock:
            self.calls.append(call)
        route = self.routes.get((call.method, call.path))
        if route is None:
            return 404, {"Content-Type": "text/plain"}, f"no stub route for {call.method} {call.path}"
        return route(call) if callable(route) else route


class _Handler(BaseHTTPRequestHandler):
    stub: StubServer
    # HTTP/1.0: one request per connection, so no keep-alive connection of a client that is still
    # alive (a requests.Session inside wechatpy) can hold server_close() up.
    protocol_version = "HTTP/1.0"
    timeout = 10  # seconds a silent client may hold a handler thread

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        call = Call(self.command, parts.path, query, parsed, body, dict(self.headers.items()))
        status, headers, payload = _normalise(self.stub._record(call))
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except ConnectionError:
            pass  # the client gave up (a timeout test); nothing left to tell it

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass


def _normalise(response: Response) -> tuple[int, dict[str, str], str | bytes]:
    if isinstance(response, tuple):
        return response
    if isinstance(response, (dict, list)):
        body = json.dumps(response, ensure_ascii=False)
        return 200, {"Content-Type": "application/json; charset=utf-8"}, body
    return 200, {"Content-Type": "text/html; charset=utf-8"}, response
