"""Cognito failures on demand: throttling, 500s and timeouts for the reset function's real boto3 client.

The hook answers AdminResetUserPassword calls before they are sent (botocore's `before-send` event), so everything
else on the way (retry logic, error parsing, classification) runs as it does against AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError


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

    def error(self, code: str, status: int = 400, times: int = 1, message: str = "injected") -> None:
        def respond(request: Any) -> AWSResponse:
            body = json.dumps({"__type": code, "message": message}).encode()
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


def inject_cognito_faults() -> CognitoFaults:
    """Hooks a fresh CognitoFaults into boto3's default session, which the reset function builds its client from;
    the caller makes sure that session is new for the test (boto3.setup_default_session())."""
    injected = CognitoFaults()
    boto3._get_default_session().events.register(
        "before-send.cognito-identity-provider.AdminResetUserPassword",
        injected,  # type: ignore[arg-type]  # botocore types hooks as returning None; before-send may answer
    )
    return injected
