from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError

from local_aws.lambda_context import LambdaContext
from local_aws.pool import create_user_pool
from local_aws.server import LocalAws
from reset_password import handler
from reset_password.retry import Backoff

MISSING_POOL = "eu-west-1_NotCreated1"  # on the allowlist, but never created


@dataclass
class Deployment:
    """The reset function as deployed against the local account: its pool, its clients, a way to invoke it."""

    aws: LocalAws
    pool_id: str
    sleeps: list[float]
    cognito: Any = field(init=False)

    def __post_init__(self) -> None:
        self.cognito = self.aws.client("cognito-idp")

    def invoke(self, event: object) -> Any:
        return handler.lambda_handler(event, LambdaContext())


@pytest.fixture
def deployment(aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    pool_id = create_user_pool(aws.client("cognito-idp"), "customers")
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    monkeypatch.setenv("ALLOWED_USER_POOL_IDS", f"{pool_id},{MISSING_POOL}")
    sleeps: list[float] = []
    monkeypatch.setattr(handler, "Backoff", lambda: Backoff(sleep=sleeps.append))
    boto3.setup_default_session()  # a fresh session per test: fault hooks never outlive their test
    handler.default_dependencies.cache_clear()
    yield Deployment(aws=aws, pool_id=pool_id, sleeps=sleeps)
    handler.default_dependencies.cache_clear()
    boto3.DEFAULT_SESSION = None


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._body


@dataclass
class CognitoFaults:
    """Answers the next Cognito calls with an error instead of sending them, the way a throttled Cognito would."""

    queued: list[Callable[[Any], AWSResponse]] = field(default_factory=list)
    answered: int = 0

    def error(self, code: str, status: int = 400, times: int = 1) -> None:
        def respond(request: Any) -> AWSResponse:
            body = json.dumps({"__type": code, "message": "injected"}).encode()
            headers = HTTPHeaders()
            headers["x-amzn-ErrorType"] = code
            return AWSResponse(request.url, status, headers, _Body(body))

        self.queued.extend([respond] * times)

    def read_timeout(self, times: int = 1) -> None:
        def respond(request: Any) -> AWSResponse:
            raise ReadTimeoutError(endpoint_url=request.url)

        self.queued.extend([respond] * times)

    def __call__(self, request: Any, **_: object) -> AWSResponse | None:
        if not self.queued:
            return None  # sent to the local endpoint as usual
        self.answered += 1
        return self.queued.pop(0)(request)


@pytest.fixture
def faults(deployment: Deployment) -> CognitoFaults:
    injected = CognitoFaults()
    session = boto3._get_default_session()  # the session the handler's client is built from
    session.events.register(
        "before-send.cognito-identity-provider.AdminResetUserPassword",
        injected,  # type: ignore[arg-type]  # botocore types hooks as returning None; before-send may answer
    )
    return injected
