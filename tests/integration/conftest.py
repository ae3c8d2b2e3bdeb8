"""Integration tests: the real handlers, with real boto3 clients, against a moto server over HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local_aws.harness.server import LocalAws, running_local_aws


@pytest.fixture(scope="session")
def local_aws_server() -> Iterator[LocalAws]:
    with running_local_aws() as aws:
        yield aws


@pytest.fixture
def aws(local_aws_server: LocalAws, monkeypatch: pytest.MonkeyPatch) -> LocalAws:
    """An empty local account, and this process's AWS environment pointed at it."""
    local_aws_server.reset()
    for name, value in local_aws_server.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return local_aws_server


def create_dedupe_table(client: Any, name: str) -> Any:
    """The dedupe table as the stack creates it (infra/reset_function.py): partition key `id`, on demand."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client
