"""Unit tests run with sockets disabled (Makefile passes --disable-socket) and with no AWS environment."""

from __future__ import annotations

import pytest

from contracts import environment as env


@pytest.fixture(autouse=True)
def _no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        env.USER_POOL_ID,
        env.ALLOWED_USER_POOL_IDS,
        env.IDEMPOTENCY_TABLE_NAME,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
