"""Integration tests: the real handlers, with real boto3 clients, against a moto server over HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_aws.server import LocalAws, running_local_aws


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
