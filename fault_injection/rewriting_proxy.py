"""An HTTP reverse proxy on 127.0.0.1 in front of the local AWS endpoint that rewrites what passes through it, or
interferes with it.

Point AWS_ENDPOINT_URL (or a client's endpoint_url) at it, and the code under test talks to moto as before while a
test changes, per operation, the JSON request on its way in or the JSON response on its way back, or answers an
operation itself (a throttle, a 500) without asking moto. Operations are named by the X-Amz-Target header of AWS's
JSON protocol ("AWSCognitoIdentityProviderService.DescribeUserPool" is "DescribeUserPool" of the service
"AWSCognitoIdentityProviderService").

An interceptor (`RewritingProxy.intercept`) sees every request and may interfere before forwarding (answer instead of
moto, or hang up without an answer, at once or after a stall) and after forwarding (moto did the work; its answer is
replaced, or never arrives). The proxy records every exchange: what the client sent, whether and how moto answered,
what the client got, and what the proxy did instead of passing it through, so a test can assert on what was really
done.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
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
_JSON = "application/x-amz-json-1.1"
# SO_LINGER on with a zero timeout: close() sends a TCP reset instead of an orderly shutdown.
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)


@dataclass(frozen=True, slots=True)
class ProxiedRequest:
    """What an interceptor sees of a request: the service and operation from X-Amz-Target, and the raw body."""

    service: str
    operation: str
    body: bytes

    def json(self) -> dict[str, Any]:
        """The JSON body ({} when there is none or it is not a JSON object)."""
        try:
            document = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return document if isinstance(document, dict) else {}


@dataclass(frozen=True, slots=True)
class Answer:
    """The proxy answers the client itself, with this status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    name: str = "answer"  # what the exchange records as the interference
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class HangUp:
    """The proxy holds the connection `after_seconds`, then closes it without an answer: with a TCP reset when
    `reset`, else with an orderly close."""

    name: str
    after_seconds: float = 0.0
    reset: bool = True


Interference = Answer | HangUp


@dataclass(frozen=True, slots=True)
class Interception:
    """What the proxy does with one request: `before` instead of forwarding it (the upstream never sees it), or
    `after` instead of handing back the upstream's answer (the upstream did the work)."""

    before: Interference | None = None
    after: Interference | None = None


# Called once per request, on the request's own thread; None lets the request through untouched.
Interceptor = Callable[[ProxiedRequest], Interception | None]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request through the proxy: the body moto received (or would have) and the answer the client got."""

    operation: str
    request_body: bytes
    status: int  # what the client got; 0 when the proxy hung up without an answer
    response_body: bytes
    answered_by_proxy: bool  # the client's answer (or its absence) came from the proxy, not from the upstream
    service: str = ""
    upstream_status: int | None = None  # what the upstream answered; None when the request never reached it
    interference: str | None = None  # the name of what the proxy did instead of passing the exchange through

    @property
    def forwarded(self) -> bool:
        return self.upstream_status is not None

    def request_json(self) -> dict[str, Any]:
        return ProxiedRequest(self.service, self.operation, self.request_body).json()


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog (5) refuses connections when several clients connect at once.
    request_queue_size = 128


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


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
        self._answers: dict[str, list[Answer]] = {}
        self._interceptors: list[Interceptor] = [self._queued_answer]
        self._exchanges: list[Exchange] = []
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
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
            self._answers.setdefault(operation, []).extend([Answer(status, body)] * times)

    def intercept(self, interceptor: Interceptor) -> None:
        """From now on, `interceptor` decides about every request that no earlier interceptor interfered with."""
        with self._lock:
            self._interceptors.append(interceptor)

    def stop_rewriting(self) -> None:
        """Forward everything unchanged again (recorded exchanges are kept)."""
        with self._lock:
            self._request_rewrites.clear()
            self._response_rewrites.clear()
            self._answers.clear()
            del self._interceptors[1:]

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def requests(self, operation: str) -> list[dict[str, Any]]:
        """The JSON bodies of the `operation` requests the upstream received."""
        return [
            exchange.request_json()
            for exchange in self.exchanges
            if exchange.operation == operation and exchange.forwarded
        ]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _queued_answer(self, request: ProxiedRequest) -> Interception | None:
        with self._lock:
            queued = self._answers.get(request.operation)
            return Interception(before=queued.pop(0)) if queued else None

    def _interception(self, request: ProxiedRequest) -> Interception:
        with self._lock:
            interceptors = list(self._interceptors)
        for interceptor in interceptors:
            interception = interceptor(request)
            if interception is not None and (interception.before or interception.after):
                return interception
        return Interception()

    def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Reply | HangUp:
        service, _, operation = headers.get("x-amz-target", "").rpartition(".")
        request = ProxiedRequest(service, operation, body)
        interception = self._interception(request)
        if interception.before is not None:
            return self._interfere(interception.before, request, upstream_status=None)
        with self._lock:
            request_rewrites = list(self._request_rewrites.get(operation, ()))
            response_rewrites = list(self._response_rewrites.get(operation, ()))
        request = ProxiedRequest(service, operation, _rewritten(body, request_rewrites))
        upstream = self._forward(method, path, headers, request.body)
        if response_rewrites and upstream.status < HTTPStatus.MULTIPLE_CHOICES:  # a successful answer
            upstream = _Reply(
                upstream.status,
                [(name, value) for name, value in upstream.headers if name.lower() not in _BODY_CHECKSUMS],
                _rewritten(upstream.body, response_rewrites),
            )
        if interception.after is not None:
            return self._interfere(interception.after, request, upstream_status=upstream.status)
        self._record(
            Exchange(
                operation,
                request.body,
                upstream.status,
                upstream.body,
                answered_by_proxy=False,
                service=service,
                upstream_status=upstream.status,
            )
        )
        return upstream

    def _interfere(
        self, interference: Interference, request: ProxiedRequest, upstream_status: int | None
    ) -> _Reply | HangUp:
        reply = _as_reply(interference)
        status, answered = (0, b"") if isinstance(reply, HangUp) else (reply.status, reply.body)
        self._record(
            Exchange(
                request.operation,
                request.body,
                status,
                answered,
                answered_by_proxy=True,
                service=request.service,
                upstream_status=upstream_status,
                interference=interference.name,
            )
        )
        return reply

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Reply:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            forwarded = {name: value for name, value in headers.items() if name not in _NOT_FORWARDED}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            status, response_headers, response_body = response.status, response.getheaders(), response.read()
        finally:
            connection.close()
        kept = [(name, value) for name, value in response_headers if name.lower() not in _NOT_FORWARDED]
        return _Reply(status, kept, response_body)

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                reply = proxy._exchange(self.command, self.path, headers, body)
                if isinstance(reply, HangUp):
                    self._hang_up(reply)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            def _hang_up(self, hang_up: HangUp) -> None:
                time.sleep(hang_up.after_seconds)
                self.close_connection = True
                if hang_up.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
                    self.connection.close()  # the server's own shutdown of the closed socket is a no-op

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


def _as_reply(interference: Interference) -> _Reply | HangUp:
    if isinstance(interference, HangUp):
        return interference
    headers = [("Content-Type", _JSON), *interference.headers]
    return _Reply(interference.status, headers, json.dumps(interference.body).encode())


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
