"""An HTTP reverse proxy on 127.0.0.1 in front of the local AWS endpoint that rewrites what passes through it.

Point AWS_ENDPOINT_URL (or a client's endpoint_url) at it, and the code under test talks to moto as before while a
test changes, per operation, the JSON request on its way in or the JSON response on its way back, or answers an
operation itself (a throttle, a 500) without asking moto. Operations are named by the X-Amz-Target header of AWS's
JSON protocol ("AWSCognitoIdentityProviderService.DescribeUserPool" is "DescribeUserPool"). It records every
exchange, as forwarded and as answered, so a test can assert on what was really sent.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

JsonRewrite = Callable[[dict[str, Any]], dict[str, Any]]
# Headers that describe one hop or one body; the proxy sets its own.
_NOT_FORWARDED = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}
# A checksum of the body (DynamoDB's); wrong once the body is rewritten.
_BODY_CHECKSUMS = {"x-amz-crc32"}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request through the proxy: the body moto received (or would have) and the answer the client got."""

    operation: str
    request_body: bytes
    status: int
    response_body: bytes
    answered_by_proxy: bool

    def request_json(self) -> dict[str, Any]:
        return dict(json.loads(self.request_body or b"{}"))


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: dict[str, Any]


class RewritingProxy:
    """Forward everything to `upstream` (an http:// endpoint), rewriting or answering the operations a test names."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"expected an http://host:port endpoint, got {upstream!r}")
        self._upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._request_rewrites: dict[str, list[JsonRewrite]] = {}
        self._response_rewrites: dict[str, list[JsonRewrite]] = {}
        self._answers: dict[str, list[_Answer]] = {}
        self._exchanges: list[Exchange] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def rewrite_requests(self, operation: str, rewrite: JsonRewrite) -> None:
        """From now on, every `operation` request body is rewritten before it reaches the upstream."""
        with self._lock:
            self._request_rewrites.setdefault(operation, []).append(rewrite)

    def rewrite_responses(self, operation: str, rewrite: JsonRewrite) -> None:
        """From now on, every successful `operation` response body is rewritten before the client reads it."""
        with self._lock:
            self._response_rewrites.setdefault(operation, []).append(rewrite)

    def answer(self, operation: str, status: int, body: dict[str, Any], times: int = 1) -> None:
        """The next `times` `operation` requests get this answer from the proxy; the upstream never sees them."""
        with self._lock:
            self._answers.setdefault(operation, []).extend([_Answer(status, body)] * times)

    def stop_rewriting(self) -> None:
        """Forward everything unchanged again (recorded exchanges are kept)."""
        with self._lock:
            self._request_rewrites.clear()
            self._response_rewrites.clear()
            self._answers.clear()

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def requests(self, operation: str) -> list[dict[str, Any]]:
        """The JSON bodies of the `operation` requests the upstream received."""
        return [
            exchange.request_json()
            for exchange in self.exchanges
            if exchange.operation == operation and not exchange.answered_by_proxy
        ]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        operation = headers.get("x-amz-target", "").rpartition(".")[2]
        with self._lock:
            queued = self._answers.get(operation)
            answer = queued.pop(0) if queued else None
            request_rewrites = list(self._request_rewrites.get(operation, ()))
            response_rewrites = list(self._response_rewrites.get(operation, ()))
        if answer is not None:
            answered = json.dumps(answer.body).encode()
            self._record(Exchange(operation, body, answer.status, answered, answered_by_proxy=True))
            return answer.status, [("Content-Type", "application/x-amz-json-1.1")], answered
        body = _rewritten(body, request_rewrites)
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            forwarded = {name: value for name, value in headers.items() if name not in _NOT_FORWARDED}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            status, response_headers, response_body = response.status, response.getheaders(), response.read()
        finally:
            connection.close()
        if response_rewrites and status < HTTPStatus.MULTIPLE_CHOICES:  # a successful answer
            response_body = _rewritten(response_body, response_rewrites)
            response_headers = [
                (name, value) for name, value in response_headers if name.lower() not in _BODY_CHECKSUMS
            ]
        self._record(Exchange(operation, body, status, response_body, answered_by_proxy=False))
        kept = [(name, value) for name, value in response_headers if name.lower() not in _NOT_FORWARDED]
        return status, kept, response_body

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, response_headers, response_body = proxy._exchange(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in response_headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response_body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response_body)

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def do_PUT(self) -> None:
                self._forward()

            def do_DELETE(self) -> None:
                self._forward()

            def do_HEAD(self) -> None:
                self._forward()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _rewritten(body: bytes, rewrites: list[JsonRewrite]) -> bytes:
    if not rewrites:
        return body
    document = json.loads(body or b"{}")
    for rewrite in rewrites:
        document = rewrite(document)
    return json.dumps(document).encode()


@contextmanager
def rewriting_proxy(upstream: str) -> Iterator[RewritingProxy]:
    """A running proxy in front of `upstream`, stopped on exit."""
    proxy = RewritingProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
