from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from contracts import environment as env
from local_aws.harness.pool import create_user_pool
from local_aws.harness.server import LocalAws
from reset_password import handler
from reset_password.retry import Backoff
from tests.cognito_faults import CognitoFaults, inject_cognito_faults
from tests.lambda_context import LambdaContext

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
        # The dependencies are built from the environment as the deployed function builds them (the test may change
        # it between invocations), with a backoff that records its waits instead of sleeping.
        dependencies = handler.dependencies_from_environment(backoff=Backoff(sleep=self.sleeps.append))
        return handler.build_handler(lambda: dependencies)(event, LambdaContext())


@pytest.fixture
def deployment(aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    pool_id = create_user_pool(aws.client("cognito-idp"), "customers")
    monkeypatch.setenv(env.USER_POOL_ID, pool_id)
    monkeypatch.setenv(env.ALLOWED_USER_POOL_IDS, f"{pool_id},{MISSING_POOL}")
    boto3.setup_default_session()  # a fresh session per test: fault hooks never outlive their test
    yield Deployment(aws=aws, pool_id=pool_id, sleeps=[])
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def faults(deployment: Deployment) -> CognitoFaults:
    return inject_cognito_faults()
