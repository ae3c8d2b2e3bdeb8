"""Where the pool sends through SES, SES's send rate bounds each container's resets beside Cognito's budget."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import environment as env
from contracts.cognito import COGNITO_DEFAULT, DEVELOPER
from reset_password.clients import AwsClients, Timeouts
from reset_password.handler import dependencies_from_environment
from reset_password.pacing import CallCategory

POOL = "eu-west-1_Abc123"
IDENTITY = "arn:aws:ses:eu-central-1:123456789012:identity/mail.example.com"


class FakePools:
    def __init__(self, email_configuration: dict[str, str] | None) -> None:
        self.email_configuration = email_configuration
        self.described: list[str] = []

    def describe_user_pool(self, UserPoolId: str) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        self.described.append(UserPoolId)
        pool: dict[str, Any] = {"Id": UserPoolId}
        if self.email_configuration is not None:
            pool["EmailConfiguration"] = self.email_configuration
        return {"UserPool": pool}


class FakeSes:
    def __init__(self, max_send_rate: float | Exception) -> None:
        self.max_send_rate = max_send_rate
        self.regions: list[str] = []

    def client_in(self, region: str) -> FakeSes:
        self.regions.append(region)
        return self

    def get_send_quota(self) -> dict[str, float]:
        if isinstance(self.max_send_rate, Exception):
            raise self.max_send_rate
        return {"Max24HourSend": 50_000.0, "MaxSendRate": self.max_send_rate, "SentLast24Hours": 0.0}


def reset_rate(pools: FakePools, ses: FakeSes, share: str | None = "0.2") -> float | None:
    environ = {env.USER_POOL_ID: POOL, env.RESET_CALLS_PER_SECOND: "4"}
    if share is not None:
        environ[env.SES_SEND_RATE_SHARE] = share
    clients = AwsClients(
        cognito=pools,  # type: ignore[arg-type]
        dynamodb=None,  # type: ignore[arg-type]
        events=None,  # type: ignore[arg-type]
        timeouts=Timeouts(),
        ses_in=ses.client_in,
    )
    return dependencies_from_environment(environ, clients=clients).pacer.rates[CallCategory.RESET]


def test_a_pool_on_ses_paces_resets_under_its_share_of_the_send_rate() -> None:
    ses = FakeSes(max_send_rate=14.0)

    rate = reset_rate(FakePools({"EmailSendingAccount": DEVELOPER, "SourceArn": IDENTITY}), ses)

    assert rate == pytest.approx(14.0 * 0.2)  # under the Cognito share of 4 a second
    assert ses.regions == ["eu-central-1"]  # SES is asked where the pool's identity is


def test_a_send_rate_above_the_budget_leaves_the_budget_in_charge() -> None:
    rate = reset_rate(FakePools({"EmailSendingAccount": DEVELOPER, "SourceArn": IDENTITY}), FakeSes(200.0))

    assert rate == 4.0


@pytest.mark.parametrize("configuration", [None, {"EmailSendingAccount": COGNITO_DEFAULT}])
def test_cognitos_own_sender_is_not_paced_by_ses(configuration: dict[str, str] | None) -> None:
    ses = FakeSes(max_send_rate=1.0)

    assert reset_rate(FakePools(configuration), ses) == 4.0
    assert ses.regions == []


def test_an_unreadable_send_rate_leaves_the_budget_and_throttles_slow_it_down() -> None:
    rate = reset_rate(
        FakePools({"EmailSendingAccount": DEVELOPER, "SourceArn": IDENTITY}), FakeSes(RuntimeError("AccessDenied"))
    )

    assert rate == 4.0


def test_without_a_share_the_pool_is_not_read() -> None:
    pools = FakePools({"EmailSendingAccount": DEVELOPER, "SourceArn": IDENTITY})

    assert reset_rate(pools, FakeSes(1.0), share=None) == 4.0
    assert pools.described == []
