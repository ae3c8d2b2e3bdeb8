"""Cognito's delivery rules as the local system plays them, without a server: where a code goes, how long it holds,
what each sending channel takes, and an outbox that starts empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError

from contracts.cognito import (
    DAILY_EMAIL_LIMIT_MESSAGE,
    RECOVERY_CODE_VALID_SECONDS,
    SES_DAILY_QUOTA_MESSAGE,
    SES_RATE_MESSAGE,
)
from local_aws.emulation.cognito import Codes, Destination, SentMessage, recovery_destination
from local_aws.emulation.delivery import (
    EMAIL,
    NO_SMS_CONFIGURATION,
    NOT_VERIFIED_IN_SANDBOX,
    SMS,
    Channels,
    DeliverySettings,
    SesAccount,
)
from local_aws.harness.local import delivery_line, deployment, options, sending, sends_through_ses
from local_aws.harness.outbox import Outbox

BOTH_VERIFIED = {
    "email": "ann@example.com",
    "email_verified": "true",
    "phone_number": "+447700900123",
    "phone_number_verified": "true",
}


@dataclass
class Pool:
    extended_config: dict[str, Any] = field(default_factory=dict)
    id: str = "eu-west-1_pool"


def recovering_by(*names: str) -> Pool:
    mechanisms = [{"Name": name, "Priority": priority} for priority, name in enumerate(names, start=1)]
    return Pool({"AccountRecoverySetting": {"RecoveryMechanisms": mechanisms[::-1]}})  # order given by priority


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def code_of(error: JsonRESTError) -> str:
    return str(error.error_type)


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        (recovering_by("verified_email"), Destination(EMAIL, "ann@example.com")),
        (recovering_by("verified_phone_number", "verified_email"), Destination(SMS, "+447700900123")),
        (recovering_by("verified_email", "verified_phone_number"), Destination(EMAIL, "ann@example.com")),
        (Pool(), Destination(SMS, "+447700900123")),  # the legacy order: a verified phone number first
    ],
)
def test_the_code_goes_to_the_first_verified_destination_in_priority_order(pool: Pool, expected: Destination) -> None:
    """Developer Guide, "Recovering user accounts": the first verified destination in AccountRecoverySetting's order."""
    assert recovery_destination(pool, BOTH_VERIFIED) == expected


def test_an_unverified_attribute_is_passed_over() -> None:
    attributes = BOTH_VERIFIED | {"phone_number_verified": "false"}
    pool = recovering_by("verified_phone_number", "verified_email")

    assert recovery_destination(pool, attributes) == Destination(EMAIL, "ann@example.com")


def test_a_user_with_no_verified_destination_the_pool_recovers_by_is_refused() -> None:
    only_phone = {"phone_number": "+447700900123", "phone_number_verified": "true"}

    with pytest.raises(JsonRESTError) as raised:
        recovery_destination(recovering_by("verified_email"), only_phone)

    assert code_of(raised.value) == "InvalidParameterException"


def test_a_pool_with_admin_only_recovery_sends_no_code() -> None:
    with pytest.raises(JsonRESTError) as raised:
        recovery_destination(recovering_by("admin_only"), BOTH_VERIFIED)

    assert code_of(raised.value) == "NotAuthorizedException"


def test_a_code_is_taken_once_within_the_hour() -> None:
    """API Reference, ConfirmForgotPassword; Developer Guide, "Recovering user accounts": a code holds one hour."""
    clock = Clock()
    codes = Codes(clock=clock)
    code = codes.issue("pool", "ann")
    clock.now = RECOVERY_CODE_VALID_SECONDS  # the last moment it holds

    codes.take("pool", "ann", code)

    with pytest.raises(JsonRESTError) as raised:
        codes.take("pool", "ann", code)
    assert code_of(raised.value) == "ExpiredCodeException"


def test_a_code_after_the_hour_is_expired_and_a_wrong_code_is_a_mismatch() -> None:
    clock = Clock()
    codes = Codes(clock=clock)
    code = codes.issue("pool", "ann")
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    with pytest.raises(JsonRESTError) as mismatch:
        codes.take("pool", "ann", wrong)
    clock.now = RECOVERY_CODE_VALID_SECONDS + 0.001
    with pytest.raises(JsonRESTError) as expired:
        codes.take("pool", "ann", code)

    assert (code_of(mismatch.value), code_of(expired.value)) == ("CodeMismatchException", "ExpiredCodeException")


def test_codes_are_per_user_and_per_pool() -> None:
    codes = Codes()
    code = codes.issue("pool", "ann")

    for pool, user in (("pool", "bob"), ("other-pool", "ann")):
        with pytest.raises(JsonRESTError):
            codes.take(pool, user, code)
    codes.take("pool", "ann", code)


def cognito_default_pool() -> Pool:
    return Pool({"EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"}})


def developer_pool() -> Pool:
    return Pool({"EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"}})


def test_cognitos_own_sender_counts_e_mails_over_a_rolling_day_for_the_whole_account() -> None:
    clock = Clock()
    channels = Channels(DeliverySettings(cognito_default_daily_emails=2), clock=clock)
    channels.admit(cognito_default_pool(), EMAIL, "a@example.com")
    clock.now = 3600.0
    channels.admit(Pool(), EMAIL, "b@example.com")  # no EmailConfiguration: Cognito's own sender too

    with pytest.raises(JsonRESTError) as raised:
        channels.admit(cognito_default_pool(), EMAIL, "c@example.com")
    assert (code_of(raised.value), raised.value.message) == ("LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE)

    clock.now = 86_400.0  # the first e-mail is a day old
    assert channels.admit(cognito_default_pool(), EMAIL, "c@example.com") is None


def test_the_shipped_limit_of_cognitos_own_sender_is_fifty_a_day() -> None:
    """Developer Guide, "Quotas in Amazon Cognito": Cognito's own sender sends 50 e-mails a day per account."""
    channels = Channels()
    for index in range(50):
        channels.admit(cognito_default_pool(), EMAIL, f"user{index}@example.com")

    with pytest.raises(JsonRESTError):
        channels.admit(cognito_default_pool(), EMAIL, "one-more@example.com")


def test_ses_out_of_the_sandbox_holds_its_send_rate_and_daily_quota() -> None:
    """SES Developer Guide, "Managing your Amazon SES sending quotas": a daily quota and a maximum send rate."""
    clock = Clock()
    channels = Channels(DeliverySettings(ses=SesAccount(max_24_hour_send=3, max_send_rate=2)), clock=clock)
    channels.admit(developer_pool(), EMAIL, "a@example.com")
    channels.admit(developer_pool(), EMAIL, "b@example.com")
    with pytest.raises(JsonRESTError) as rate:
        channels.admit(developer_pool(), EMAIL, "c@example.com")
    clock.now = 1.0
    channels.admit(developer_pool(), EMAIL, "c@example.com")
    clock.now = 2.0
    with pytest.raises(JsonRESTError) as quota:
        channels.admit(developer_pool(), EMAIL, "d@example.com")

    assert (rate.value.message, quota.value.message) == (SES_RATE_MESSAGE, SES_DAILY_QUOTA_MESSAGE)
    assert channels.sent_last_24_hours() == 3


def test_the_ses_sandbox_reaches_verified_addresses_and_domains_only() -> None:
    """SES Developer Guide, "Request production access (Moving out of the Amazon SES sandbox)": 200 a day, one a
    second, verified identities only."""
    clock = Clock()
    channels = Channels(DeliverySettings(ses=SesAccount.in_sandbox("ann@example.com", "corp.example")), clock=clock)

    verified = channels.admit(developer_pool(), EMAIL, "Ann@Example.com")
    clock.now = 1.0
    by_domain = channels.admit(developer_pool(), EMAIL, "bob@corp.example")
    stranger = channels.admit(developer_pool(), EMAIL, "eve@elsewhere.example")

    assert (verified, by_domain, stranger) == (None, None, NOT_VERIFIED_IN_SANDBOX)
    assert SesAccount.in_sandbox().max_24_hour_send == 200


def test_no_sms_without_an_sms_configuration() -> None:
    """Developer Guide, "SMS message settings for Amazon Cognito user pools": no SMS without SmsConfiguration."""
    channels = Channels()
    configured = Pool({"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}})

    assert channels.admit(Pool(), SMS, "+447700900123") == NO_SMS_CONFIGURATION
    assert channels.admit(configured, SMS, "+447700900123") is None


def message(username: str) -> SentMessage:
    fields: dict[str, str | None] = {"emailSubject": None, "emailMessage": None, "smsMessage": None}
    return SentMessage.of_answer(
        username=username,
        trigger_source="CustomMessage_ForgotPassword",
        destination=Destination(EMAIL, f"{username}@example.com"),
        fields=fields,
        code="123456",
    )


def test_each_start_begins_with_an_empty_outbox_whose_index_lists_exactly_its_messages(tmp_path: Path) -> None:
    root = tmp_path / "outbox"
    first = Outbox(root)
    first.deliver(message("ann"))
    first.deliver(message("bob"))

    second = Outbox(root)
    filed = second.deliver(message("cy"))

    assert sorted(path.name for path in root.iterdir()) == ["001-ForgotPassword", "index.html"]
    index = second.index.read_text()
    assert "cy@example.com" in index
    assert "ann@example.com" not in index
    assert "1 message(s)" in index
    assert "123456" in (root / filed.folder / "email.txt").read_text()


def test_an_outbox_never_empties_a_folder_that_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(FileExistsError):
        Outbox(tmp_path)

    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_make_local_starts_the_pool_on_its_own_ses_identity_out_of_the_sandbox_by_default() -> None:
    chosen = options([])
    assert sends_through_ses(chosen)
    assert deployment(chosen)["sesFromAddress"]  # synthesized with an SES identity: EmailSendingAccount DEVELOPER
    assert sending(chosen) == DeliverySettings(ses=SesAccount())
    assert not sending(chosen).ses.sandbox
    assert "out of the sandbox" in delivery_line(sending(chosen), sends_through_ses(chosen))
    earlier = options(["--ses"])  # what earlier commands asked for: the default now
    assert sends_through_ses(earlier)
    assert sending(earlier) == sending(chosen)


def test_make_local_takes_the_simulated_accounts_delivery_limits_one_option_per_sender() -> None:
    sandbox = options(["--ses-sandbox", "me@example.com"])
    assert sends_through_ses(sandbox)
    assert sending(sandbox) == DeliverySettings(ses=SesAccount.in_sandbox("me@example.com"))
    assert "in the sandbox, reaching only me@example.com" in delivery_line(sending(sandbox), with_ses=True)

    cognito = options(["--cognito-sender", "--cognito-daily-emails", "5"])
    assert not sends_through_ses(cognito)
    assert deployment(cognito) == {}  # the shipped defaults: no sesFromAddress, Cognito's own sender
    assert sending(cognito).cognito_default_daily_emails == 5
    assert delivery_line(sending(cognito), with_ses=False).startswith("Cognito's own sender (no sesFromAddress): 5 ")

    production = sending(options(["--ses-daily-quota", "100000", "--ses-send-rate", "5"]))
    assert production.ses == SesAccount(max_24_hour_send=100_000, max_send_rate=5.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--ses-sandbox", "me@example.com", "--cognito-sender"],
        ["--ses", "--cognito-sender"],
        ["--cognito-sender", "--ses-send-rate", "5"],
        ["--ses-sandbox", "me@example.com", "--ses-daily-quota", "100000"],
        ["--cognito-daily-emails", "5"],  # the default pool does not send through Cognito's own sender
    ],
)
def test_make_local_refuses_options_that_do_not_apply_to_the_sender(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        options(argv)
