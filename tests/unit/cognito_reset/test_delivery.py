"""What the pool can deliver, decided from its facts (cognito_reset/delivery.py): the problems and their fixes, the
e-mails left today, and the sizing of a bulk run. Pure: no AWS, no CLI."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cognito_reset.delivery import (
    Code,
    DeliveryFacts,
    SesFacts,
    can_deliver,
    daily_emails,
    document,
    problems,
    screen,
    size_run,
)
from contracts.cognito import COGNITO_DEFAULT_DAILY_EMAILS, DEVELOPER

TRIGGER = "arn:aws:lambda:eu-west-1:123456789012:function:Stack-CustomMessage"
DEFAULT = DeliveryFacts(
    pool_id="eu-west-1_Pool1",
    recovery=("verified_email",),
    trigger=TRIGGER,
    stack_trigger=TRIGGER,
    rate_budget=10.0,
)
SES = SesFacts(
    region="eu-west-1",
    identity="mail.example.com",
    verified=True,
    production_access=True,
    sending_enabled=True,
    max_24_hour_send=50_000.0,
    sent_last_24_hours=120.0,
    max_send_rate=14.0,
)
THROUGH_SES = replace(
    DEFAULT,
    sending_account=DEVELOPER,
    from_address="no-reply@mail.example.com",
    ses=SES,
    configuration_set="reset-delivery-events",
)


def codes(facts: DeliveryFacts) -> list[Code]:
    return [problem.code for problem in problems(facts)]


def test_cognitos_own_sender_delivers_50_a_day_and_nothing_says_how_many_went() -> None:
    emails = daily_emails(DEFAULT)

    assert (emails.limit, emails.sent, emails.left) == (COGNITO_DEFAULT_DAILY_EMAILS, None, 50)
    assert codes(DEFAULT) == [Code.COGNITO_SENDER]
    assert can_deliver(problems(DEFAULT))


def test_a_healthy_ses_deployment_has_no_problem_and_its_quota_left() -> None:
    assert problems(THROUGH_SES) == ()
    assert daily_emails(THROUGH_SES).left == 50_000 - 120


def test_without_a_configuration_set_it_warns_that_status_cannot_say_what_was_delivered() -> None:
    without = replace(THROUGH_SES, configuration_set=None)

    assert [(p.code, p.blocking) for p in problems(without)] == [(Code.NO_CONFIGURATION_SET, False)]
    assert document(without, problems(without))["configurationSet"] is None
    assert size_run(without, 10, over_several_days=False).warnings == ()  # the run delivers as well without it


def test_ses_minus_one_is_no_limit() -> None:
    unlimited = replace(THROUGH_SES, ses=replace(SES, max_24_hour_send=-1.0))

    assert (daily_emails(unlimited).unlimited, daily_emails(unlimited).left) == (True, None)
    assert size_run(unlimited, 1_000_000, over_several_days=False).refusal == ()


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (replace(DEFAULT, recovery=("admin_only",)), Code.ADMIN_ONLY_RECOVERY),
        (replace(DEFAULT, recovery=("verified_phone_number",)), Code.NO_SMS_CONFIGURATION),
        (replace(DEFAULT, trigger=None), Code.NO_TRIGGER),
        (replace(DEFAULT, trigger=TRIGGER.replace("Stack-", "Other-")), Code.OTHER_TRIGGER),
        (replace(THROUGH_SES, ses=replace(SES, verified=False)), Code.SES_IDENTITY_NOT_VERIFIED),
        (replace(THROUGH_SES, ses=replace(SES, sending_enabled=False)), Code.SES_SENDING_PAUSED),
        (replace(THROUGH_SES, ses=replace(SES, sent_last_24_hours=50_000.0)), Code.SES_QUOTA_SPENT),
        (replace(THROUGH_SES, ses=None, source_arn=None), Code.NO_SES_IDENTITY),
    ],
)
def test_what_stops_every_reset_blocks(facts: DeliveryFacts, code: Code) -> None:
    found = problems(facts)

    assert code in [problem.code for problem in found if problem.blocking]
    assert not can_deliver(found)
    assert all(problem.fix for problem in found)


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (replace(THROUGH_SES, ses=replace(SES, production_access=False)), Code.SES_SANDBOX),
        (replace(THROUGH_SES, rate_budget=20.0), Code.PACE_OVER_SEND_RATE),
        (replace(THROUGH_SES, ses=SesFacts("eu-west-1", "mail.example.com", unread="AccessDenied")), Code.SES_NOT_READ),
        (replace(DEFAULT, recovery=("verified_phone_number", "verified_email")), Code.NO_SMS_CONFIGURATION),
        (replace(DEFAULT, recovery=None), Code.NO_SMS_CONFIGURATION),  # no setting: a verified phone comes first
        (replace(DEFAULT, sms_configured=True, sms_sandbox=True, recovery=None), Code.SMS_SANDBOX),
    ],
)
def test_what_spoils_some_deliveries_warns(facts: DeliveryFacts, code: Code) -> None:
    found = problems(facts)

    assert code in [problem.code for problem in found if not problem.blocking]
    assert can_deliver(found)


def test_a_phone_after_the_address_needs_no_sms_configuration_to_deliver_and_an_alias_is_the_stacks() -> None:
    facts = replace(DEFAULT, recovery=("verified_email", "verified_phone_number"), trigger=TRIGGER + ":live")

    assert codes(facts) == [Code.COGNITO_SENDER]


def test_another_pool_than_the_stacks_is_not_compared_with_the_stacks_trigger() -> None:
    facts = replace(DEFAULT, trigger="arn:aws:lambda:eu-west-1:123456789012:function:Theirs", stack_trigger=None)

    assert Code.OTHER_TRIGGER not in codes(facts)


def test_the_screen_fits_30_lines_of_80_columns_with_every_problem_and_its_fix() -> None:
    worst = replace(
        THROUGH_SES,
        recovery=("admin_only",),
        trigger=None,
        sms_configured=True,
        ses=replace(
            SES, verified=False, sending_enabled=False, production_access=False, max_24_hour_send=200.0,
            sent_last_24_hours=200.0, max_send_rate=1.0,
        ),
    )  # fmt: skip
    found = problems(worst)

    lines = screen(worst, "CognitoPasswordReset", found)

    assert len(lines) <= 30
    assert max(len(line) for line in lines) <= 80
    assert sum(line.startswith("  BLOCKS ") for line in lines) == 5
    assert sum(line.startswith("    fix: ") for line in lines) == len(found) == 7
    assert lines[-1] == "Verdict: no reset is delivered as designed: fix what BLOCKS."


def test_the_document_holds_the_same_facts() -> None:
    shown = document(THROUGH_SES, problems(THROUGH_SES))

    assert shown["emailSendingAccount"] == DEVELOPER
    assert shown["ses"]["verified"] is True
    assert shown["email"] == {"dailyLimit": 50_000, "unlimited": False, "sentLast24Hours": 120, "leftToday": 49_880}
    assert (shown["trigger"]["isStacks"], shown["canDeliver"], shown["problems"]) == (True, True, [])


def test_a_run_larger_than_what_is_left_today_is_refused_with_the_limit_and_the_fixes() -> None:
    sizing = size_run(DEFAULT, 60, over_several_days=False)

    assert sizing.refused
    assert sizing.refusal[0] == (
        "60 users, more than the pool can deliver today: at most 50 e-mails (Cognito's own sender: 50 in 24 hours, "
        "sent so far unknown)"
    )
    assert "sesFromAddress" in sizing.refusal[1]
    assert "reset at most 50 users now" in sizing.refusal[1]
    assert "--over-several-days" in sizing.refusal[1]


def test_a_run_that_fits_is_not_refused_and_one_over_it_may_finish_over_several_days() -> None:
    assert size_run(DEFAULT, 50, over_several_days=False).refusal == ()

    several = size_run(DEFAULT, 120, over_several_days=True)

    assert several.refusal == ()
    assert len(several.warnings) == 1
    assert "continues it each next day (about 3 days" in several.warnings[0]


def test_an_ses_run_is_sized_on_what_is_left_of_the_quota() -> None:
    facts = replace(THROUGH_SES, ses=replace(SES, max_24_hour_send=200.0, sent_last_24_hours=190.0))

    assert size_run(facts, 10, over_several_days=False).refusal == ()
    refused = size_run(facts, 11, over_several_days=False)
    assert refused.refusal[0].startswith("11 users, more than the pool can deliver today: 10 e-mails (SES in eu-west-1")
    assert "ask AWS for a higher SES sending quota in eu-west-1" in refused.refusal[1]


def test_a_spent_quota_is_a_size_matter_the_flag_accepts() -> None:
    spent = replace(THROUGH_SES, ses=replace(SES, max_24_hour_send=200.0, sent_last_24_hours=200.0))

    assert size_run(spent, 1, over_several_days=False).refused
    assert not size_run(spent, 1, over_several_days=True).refused


def test_a_pool_that_cannot_reset_is_refused_whatever_the_size_or_flag() -> None:
    sizing = size_run(replace(DEFAULT, recovery=("admin_only",)), 1, over_several_days=True)

    assert sizing.refusal == (
        "the pool cannot deliver a reset: account recovery is admin_only: Cognito refuses AdminResetUserPassword; fix: "
        "recover accounts by verified_email (console: Sign-in, User account recovery; an UpdateUserPool resets what it "
        "is not given)",
    )


def test_the_sandbox_and_a_pace_over_the_send_rate_are_warnings_of_a_run_that_fits() -> None:
    facts = replace(THROUGH_SES, rate_budget=20.0, ses=replace(SES, production_access=False))

    sizing = size_run(facts, 5, over_several_days=False)

    assert sizing.refusal == ()
    assert [warning.split(":")[0] for warning in sizing.warnings] == [
        "SES sandbox in eu-west-1",
        "resets paced at 20/s, SES sends 14/s",
    ]


def test_a_run_that_cannot_be_sized_says_so() -> None:
    unread = replace(THROUGH_SES, ses=SesFacts("eu-west-1", "mail.example.com", unread="AccessDeniedException"))

    sizing = size_run(unread, 10_000, over_several_days=False)

    assert sizing.refusal == ()
    assert sizing.warnings[-1] == "the run is not sized: SES in eu-west-1: not known"
