"""The function's AWS clients, each with timeouts that fit inside an invocation and no hidden retries.

botocore's defaults (60 s connect and read timeouts, retried) would let one silent endpoint outlive the function's
whole timeout. Here every attempt is bounded by `Timeouts.per_call`, the code decides about retries (retry.py), and
no call starts that cannot end before the invocation's reserve (`Deadline.allows`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds one attempt of one call may take: to connect, then to read the answer."""

    connect: float = 2.0
    read: float = 5.0

    @property
    def per_call(self) -> float:
        """The longest one attempt can last."""
        return self.connect + self.read

    def config(self, *, attempts: int = 1) -> Config:
        return Config(
            connect_timeout=self.connect,
            read_timeout=self.read,
            retries={"total_max_attempts": attempts},
            tcp_keepalive=True,
        )


@dataclass(frozen=True, slots=True)
class AwsClients:
    """Created the standard way, so AWS_ENDPOINT_URL(_<SERVICE>) and the usual credential chain apply."""

    cognito: CognitoIdentityProviderClient
    dynamodb: DynamoDBClient
    events: EventBridgeClient
    timeouts: Timeouts
    # SES in a given Region (where the pool's e-mail identity is), made when asked for: most containers never need it.
    ses_in: Callable[[str], Any] | None = None
    # SQS for the failed-request queue, made when asked for: only a request the storm cap refused needs it.
    sqs: Callable[[], Any] | None = None

    @classmethod
    def create(cls, timeouts: Timeouts | None = None, session: boto3.Session | None = None) -> AwsClients:
        timeouts = timeouts or Timeouts()
        client = session.client if session is not None else boto3.client  # boto3.client: the default session
        # One attempt each: Cognito's errors are classified and retried by the code (retry.py); the dedupe table and
        # the audit bus get no retry either, so a silent endpoint costs at most one `per_call`.
        config = timeouts.config()
        return cls(
            cognito=client("cognito-idp", config=config),
            dynamodb=client("dynamodb", config=config),
            events=client("events", config=config),
            timeouts=timeouts,
            ses_in=lambda region: client("ses", region_name=region, config=config),
            sqs=functools.cache(lambda: client("sqs", config=config)),
        )
