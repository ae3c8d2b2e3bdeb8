"""Cognito's documented rules, played by the local system: who asked for a code, how the pool sends e-mail, and how
it confirms a sign-up.

The local Cognito refuses what AWS refuses (an e-mail from the trigger of a pool that is not DEVELOPER fails the
caller's request with InvalidLambdaResponseException), so each test here fails if the product breaks the rule.
"""

from __future__ import annotations

import os
from unittest import mock

import pytest

from contracts import environment as env
from contracts.cognito import COGNITO_DEFAULT, CONFIRM_WITH_CODE, DEVELOPER, FORGOT_PASSWORD
from local_aws.emulation.cognito import COGNITO_DEFAULT_SUBJECT
from local_aws.harness.demo import SECURITY_INCIDENT
from local_aws.harness.pool import create_app_client
from local_aws.harness.system import LocalSystem


def reset_through_eventbridge(system: LocalSystem) -> dict[str, object]:
    system.put_reset_request(SECURITY_INCIDENT)
    system.emulation.events.drain()
    ((_, invocation),) = system.emulation.events.delivered
    assert isinstance(invocation.payload, dict)
    return invocation.payload


def test_the_default_deployment_sends_cognitos_own_e_mail_and_no_sms(system: LocalSystem) -> None:
    # The pool recovers accounts by verified e-mail only (AccountRecovery.EMAIL_ONLY) and sends through Cognito's own
    # sender: lena, who has a verified phone number too, gets one message, an e-mail in Cognito's own words. The SMS
    # the trigger tailored reaches no one (Developer Guide, "Recovering user accounts": one destination only).
    assert system.stack.environment[env.EMAIL_SENDING_ACCOUNT] == COGNITO_DEFAULT

    result = reset_through_eventbridge(system)

    assert result["status"] == "reset"
    assert system.user_status("lena") == "RESET_REQUIRED"
    (message,) = system.outbox.messages
    assert (message.email_to, message.phone_to, message.undelivered) == ("lena@example.com", None, None)
    assert not message.tailored
    assert message.subject == COGNITO_DEFAULT_SUBJECT
    assert message.code in message.email_text
    assert not (system.outbox.root / message.folder / "sms.txt").exists()


def test_cognito_refuses_an_e_mail_from_the_trigger_of_a_pool_on_its_default_sender(system: LocalSystem) -> None:
    """Developer Guide, "Custom message Lambda trigger", response parameters: e-mail fields only from the trigger of a
    pool that sends through its own SES identity (DEVELOPER)."""
    # The trigger wrongly believes the pool sends through SES (its pool's e-mail configuration changed after the
    # deploy, say): Cognito fails the reset, which the reset function reports as TRIGGER_REJECTED.
    with mock.patch.dict(os.environ, {env.EMAIL_SENDING_ACCOUNT: DEVELOPER}):
        system.stack.functions.start_cold()
        result = reset_through_eventbridge(system)
    system.stack.functions.start_cold()

    assert (result["status"], result["reason"]) == ("failed", "TRIGGER_REJECTED")
    assert system.user_status("lena") == "CONFIRMED"  # the reset did not happen
    assert system.outbox.messages == []


@pytest.mark.parametrize("deployment", ["system", "ses_system"])
def test_a_users_own_forgot_password_gets_the_self_service_message(
    deployment: str, request: pytest.FixtureRequest
) -> None:
    system: LocalSystem = request.getfixturevalue(deployment)
    client_id = create_app_client(system.cognito, system.stack.user_pool_id)

    system.request_own_code(client_id, "lena")

    assert system.user_status("lena") == "CONFIRMED"  # her password still works until she chooses a new one
    (message,) = system.outbox.messages
    assert message.trigger_source == FORGOT_PASSWORD
    assert message.email_to == "lena@example.com"
    assert "Ihr Code zum Zurücksetzen des Passworts" in message.sms  # rendered, though the pool sends e-mail only
    assert "Administration" not in message.sms
    if deployment == "ses_system":
        assert message.tailored
        assert "Sie haben angefordert" in message.email_text
        assert "Ihr bisheriges Passwort bleibt gültig" in message.email_text
        assert "Administration" not in message.email_text
    else:
        assert not message.tailored
        assert message.subject == COGNITO_DEFAULT_SUBJECT


def test_the_ses_deployment_tells_the_trigger_developer(ses_system: LocalSystem) -> None:
    assert ses_system.stack.environment[env.EMAIL_SENDING_ACCOUNT] == DEVELOPER
    pool = ses_system.cognito.describe_user_pool(UserPoolId=ses_system.stack.user_pool_id)["UserPool"]
    assert pool["EmailConfiguration"]["EmailSendingAccount"] == DEVELOPER


@pytest.mark.parametrize("deployment", ["system", "ses_system"])
def test_the_trigger_is_told_how_the_pool_it_serves_confirms_a_sign_up(
    deployment: str, request: pytest.FixtureRequest
) -> None:
    # The pool is created from the synthesized template: what it says is what the trigger was told.
    system: LocalSystem = request.getfixturevalue(deployment)
    pool = system.cognito.describe_user_pool(UserPoolId=system.stack.user_pool_id)["UserPool"]

    option = pool["VerificationMessageTemplate"]["DefaultEmailOption"]
    assert system.stack.environment[env.EMAIL_VERIFICATION_OPTION] == option == CONFIRM_WITH_CODE


def test_admin_reset_user_password_moves_the_users_last_modified_time_and_resets_a_reset_required_user_again(
    system: LocalSystem,
) -> None:
    """API Reference, AdminResetUserPassword: Cognito sends a new code whatever the user's resettable status, and the
    change moves AdminGetUser's UserLastModifiedDate, also for a user who was RESET_REQUIRED already (moto leaves such a
    user untouched and keeps the time). The reset function tells an earlier call that lost its answer by exactly
    this."""
    pool, cognito = system.stack.user_pool_id, system.cognito

    def modified() -> object:
        return cognito.admin_get_user(UserPoolId=pool, Username="lena")["UserLastModifiedDate"]

    before = modified()
    cognito.admin_reset_user_password(UserPoolId=pool, Username="lena")
    after_first = modified()
    cognito.admin_reset_user_password(UserPoolId=pool, Username="lena")
    after_second = modified()

    assert before < after_first < after_second  # type: ignore[operator]
    assert system.user_status("lena") == "RESET_REQUIRED"
    assert [message.username for message in system.outbox.messages] == ["lena", "lena"]
