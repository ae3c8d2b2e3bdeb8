"""SES's read APIs as the local system answers them (local_aws/emulation/ses.py), without a server: from the simulated
account's state and what its channels sent, each rule with the document it follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from local_aws.emulation.delivery import EMAIL, Channels, DeliverySettings, SesAccount
from local_aws.emulation.ses import account, email_identity, pool_identities, send_quota

SOURCE_ARN = "arn:aws:ses:eu-west-1:123456789012:identity/mail.example.com"
THROUGH_SES = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SOURCE_ARN, "From": "no-reply@mail.example.com"}


@dataclass
class Pool:
    extended_config: dict[str, Any] = field(default_factory=lambda: {"EmailConfiguration": THROUGH_SES})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_get_account_out_of_the_sandbox_reports_the_quota_the_rate_and_what_was_sent() -> None:
    # SES API Reference (v2), GetAccount: ProductionAccessEnabled, SendingEnabled, SendQuota.
    clock = Clock()
    channels = Channels(DeliverySettings(ses=SesAccount(max_24_hour_send=1_000, max_send_rate=5.0)), clock=clock)
    for second in range(3):
        clock.now = float(second)
        assert channels.admit(Pool(), EMAIL, "ann@example.com") is None

    answer = account(channels)

    assert answer["ProductionAccessEnabled"] is True
    assert answer["SendingEnabled"] is True
    assert answer["SendQuota"] == {"Max24HourSend": 1_000.0, "MaxSendRate": 5.0, "SentLast24Hours": 3.0}


def test_what_was_sent_ages_out_after_24_hours() -> None:
    # SES API Reference, GetSendQuota: SentLast24Hours counts "the past 24 hours".
    clock = Clock()
    channels = Channels(DeliverySettings(), clock=clock)
    channels.admit(Pool(), EMAIL, "ann@example.com")

    clock.now = 86_400.0

    assert send_quota(channels)["SentLast24Hours"] == 0.0


def test_get_account_in_the_sandbox_has_no_production_access_and_the_sandboxs_quota() -> None:
    # SES Developer Guide, "Request production access": the sandbox's 200 a day, one a second.
    channels = Channels(DeliverySettings(ses=SesAccount.in_sandbox("lena@example.com")))

    answer = account(channels)

    assert answer["ProductionAccessEnabled"] is False
    assert answer["SendQuota"] == {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0}


def test_cognitos_own_sender_sends_count_nothing_against_ses() -> None:
    channels = Channels(DeliverySettings())
    cognito_default = Pool({"EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"}})
    channels.admit(cognito_default, EMAIL, "ann@example.com")

    assert send_quota(channels)["SentLast24Hours"] == 0.0


@pytest.mark.parametrize(
    "settings",
    [DeliverySettings(), DeliverySettings(ses=SesAccount.in_sandbox("lena@example.com"))],
    ids=["production", "sandbox"],
)
def test_the_identity_a_pool_sends_from_is_a_verified_identity_of_the_account(settings: DeliverySettings) -> None:
    # SES API Reference (v2), GetEmailIdentity; the local delivery sends from the pool's identity in and out of the
    # sandbox, so the account has it verified.
    sending = pool_identities([THROUGH_SES, {"EmailSendingAccount": "COGNITO_DEFAULT"}])

    answer = email_identity(Channels(settings), "eu-west-1", "Mail.Example.com", sending)

    assert sending == {("eu-west-1", "mail.example.com")}
    assert answer is not None
    assert (answer["IdentityType"], answer["VerifiedForSendingStatus"], answer["VerificationStatus"]) == (
        "DOMAIN",
        True,
        "SUCCESS",
    )


def test_the_sandboxs_verified_recipients_are_identities_and_nothing_else_is() -> None:
    channels = Channels(DeliverySettings(ses=SesAccount.in_sandbox("lena@example.com")))
    sending = pool_identities([THROUGH_SES])

    lena = email_identity(channels, "eu-west-1", "lena@example.com", sending)

    assert lena is not None
    assert lena["IdentityType"] == "EMAIL_ADDRESS"
    # An identity the account does not have, or the pool's identity asked in another Region: NotFoundException.
    assert email_identity(channels, "eu-west-1", "other.example.com", sending) is None
    assert email_identity(channels, "us-east-1", "mail.example.com", sending) is None


def test_a_pool_that_sends_through_cognito_makes_no_identity() -> None:
    assert pool_identities([{"EmailSendingAccount": "COGNITO_DEFAULT", "SourceArn": SOURCE_ARN}]) == set()
    assert pool_identities([{"EmailSendingAccount": "DEVELOPER", "SourceArn": "not an arn"}]) == set()
