"""A small threaded HTTP server that the three service fakes build on.

Each fake listens on 127.0.0.1 on an ephemeral port, records every request, and lets a test
inject faults (a status and body for the next N matching requests, instead of the work or after
it: a lost answer) and latency. Real clients (python-telegram-bot, PyGithub, httpx) talk to it
over real HTTP.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # A streamed answer: `chunks` go out one by one (chunked transfer encoding), `chunk_delay`
    # seconds apart, and `on_chunk(index)` hears when each has been written. `body` is unused.
    chunks: list[bytes] | None = None
    chunk_delay: float = 0.0
    on_chunk: Callable[[int], None] | None = None

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)


@dataclass
class Fault:
    method: str
    path_pattern: re.Pattern[str]
    response: Response
    remaining: int
    delay: float = 0.0
    # True: the request is handled as usual, then its answer is thrown away and `response` is
    # sent instead (after `delay`): the service did the work and the client never heard of it.
    after_work: bool = False


class FakeServer:
    """Subclasses implement `handle(request) -> Response`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        # Bugs in the fake itself and contract violations by the client; tests assert it is empty.
        self.errors: list[str] = []
        self.latency: float = 0.0
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle that stalls ~40 ms a request.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                fake.dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and every test tears fakes down.
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.02), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping = True
            self.notify()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults ------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        response: Response,
        times: int = 1,
        delay: float = 0.0,
        *,
        after_work: bool = False,
    ) -> None:
        """The next `times` requests matching method and path (re.search) get `response`.

        With `after_work` each of them is first handled as usual (its effects stay) and only its
        answer is lost: a 5xx or a timeout after the work, or, with a `delay` long enough to
        kill the client in, a crash before the answer was read."""
        with self._lock:
            self._faults.append(
                Fault(method.upper(), re.compile(path_regex), response, times, delay, after_work)
            )

    def clear_faults(self) -> None:
        """The service is healthy again: drop every fault not yet served."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*") and fault.path_pattern.search(path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- waiting -----------------------------------------------------------------------------
    def notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Block until predicate() is truthy (re-checked whenever the fake changes)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout}s")
                self._changed.wait(min(remaining, 0.05))

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        with self._lock:
            return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    # -- dispatch ----------------------------------------------------------------------------
    def dispatch(self, http: BaseHTTPRequestHandler) -> None:
        """One HTTP exchange, from the parsed request line to the written answer (public so a
        benchmark can time it by overriding)."""
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = RecordedRequest(
            method=http.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(request.method, request.path)
        if self.latency:
            time.sleep(self.latency)
        if fault is None or fault.after_work:
            response = self._handle_reporting_bugs(request)
        if fault is not None:
            if fault.after_work:
                self.notify()  # the work is visible now, before the answer is (never) sent
            if fault.delay:
                time.sleep(fault.delay)
            response = fault.response
        self._write(http, response)
        self.notify()

    def _handle_reporting_bugs(self, request: RecordedRequest) -> Response:
        try:
            return self.handle(request)
        except Exception as exc:  # a bug in the fake must be loud, not a hung client
            with self._lock:
                self.errors.append(f"{request.method} {request.path}: {exc!r}")
            return Response.json(500, {"fake_error": repr(exc)})

    @staticmethod
    def _write(http: BaseHTTPRequestHandler, response: Response) -> None:
        if response.chunks is not None:
            FakeServer._write_chunked(http, response, response.chunks)
            return
        try:
            http.send_response(response.status)
            for key, value in response.headers.items():
                http.send_header(key, value)
            http.send_header("Content-Length", str(len(response.body)))
            http.end_headers()
            http.wfile.write(response.body)
            http.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout or a killed bot); nothing to tell it

    @staticmethod
    def _write_chunked(
        http: BaseHTTPRequestHandler, response: Response, chunks: list[bytes]
    ) -> None:
        try:
            http.send_response(response.status)
            for key, value in response.headers.items():
                http.send_header(key, value)
            http.send_header("Transfer-Encoding", "chunked")
            http.end_headers()
            http.wfile.flush()
            for index, chunk in enumerate(chunks):
                if index and response.chunk_delay:
                    time.sleep(response.chunk_delay)
                if chunk:
                    http.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    http.wfile.flush()
                if response.on_chunk is not None:
                    response.on_chunk(index)
            http.wfile.write(b"0\r\n\r\n")
            http.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def handle(self, request: RecordedRequest) -> Response:
        raise NotImplementedError
