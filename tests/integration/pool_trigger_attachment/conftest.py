"""The existing-pool custom resource against moto's Cognito over HTTP, with CloudFormation's side played locally."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class CloudFormationResponses:
    """Stands in for the pre-signed S3 URL CloudFormation waits on: records every response PUT to it."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def last(self) -> dict[str, Any]:
        assert self.received, "the custom resource sent no response"
        return self.received[-1]


@pytest.fixture
def cloudformation() -> Iterator[CloudFormationResponses]:
    responses = CloudFormationResponses(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            responses.received.append(json.loads(body))
            responses.headers.append(dict(self.headers.items()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    responses.url = f"http://{host!s}:{port}/cloudformation-response?X-Amz-Signature=redacted"
    try:
        yield responses
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
