"""The user-pool custom resources against moto's Cognito over HTTP, with CloudFormation's side played locally."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from fault_injection.rewriting_proxy import RewritingProxy, rewriting_proxy
from local_aws.harness.server import LocalAws


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


@pytest.fixture
def cognito(aws: LocalAws) -> Any:
    """A client straight to moto: what the pool really holds, past any proxy the handler is sent through."""
    return aws.client("cognito-idp")


@pytest.fixture
def proxy(aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[RewritingProxy]:
    """The handler's clients reach moto through a rewriting proxy (AWS_ENDPOINT_URL points at it)."""
    with rewriting_proxy(aws.endpoint_url) as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
        yield running


@pytest.fixture
def update_requests() -> Iterator[list[dict[str, Any]]]:
    """Every UpdateUserPool request the handler sends, as botocore is about to serialise it."""
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    events = boto3._get_default_session().events  # the session lambda_handler's boto3.client() uses
    events.register("provide-client-params.cognito-idp.UpdateUserPool", record)
    yield sent
    events.unregister("provide-client-params.cognito-idp.UpdateUserPool", record)
