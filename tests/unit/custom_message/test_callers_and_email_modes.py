"""Who asked (an administrator or the user), how the pool sends e-mail and how it confirms a sign-up decide what the
trigger may answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import environment as env
from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    CODE_PLACEHOLDER,
    COGNITO_DEFAULT,
    CONFIRM_WITH_CODE,
    CONFIRM_WITH_LINK,
    DEVELOPER,
)
from contracts.telemetry import MESSAGE_RENDERED, TEMPLATE_FALLBACK
from custom_message.brands import BrandBook
from custom_message.handler import Container
from custom_message.settings import Settings
from custom_message.templates import TemplateLibrary
from tests.unit.custom_message.conftest import (
    LINK_HOST,
    Captured,
    Invoke,
    forgot_password_event,
    load_event,
    write_templates,
)

APP_CLIENT_ID = "4ns1ll0l2q9c5bdbm7l4t9r3qk"
# What only the administrator's messages say, in every shipped locale: a user's own request must never read so.
ADMINISTRATOR_WORDING = (
    "administrator",
    "Administration",
    "wurde zurückgesetzt",
    "has been reset",
    "no longer works",
    "nicht mehr gültig",
    "administrateur",
    "a été réinitialisé",
    "ne fonctionne plus",
    "administrador",
    "Se ha restablecido",
    "ya no es válida",
    "amministratore",
    "è stata reimpostata",
    "non è più valida",
)
# What only the self-service message says, per locale: (body, SMS, subject).
SELF_SERVICE_WORDING = {
    "en": ("You asked to reset the password", "you asked to reset your password", "password reset code"),
    "de": ("Sie haben angefordert", "Ihr Code zum Zurücksetzen", "Ihr Code zum Zurücksetzen"),
    "fr": ("Vous avez demandé la réinitialisation", "votre code de réinitialisation", "Code de réinitialisation"),
    "es": ("Ha solicitado restablecer", "ha solicitado restablecer", "Su código para restablecer"),
    "it": ("Ha chiesto di reimpostare", "ha chiesto di reimpostare", "Il suo codice per reimpostare"),
}
# A reason from each locale's administrator messages that must not leak into a self-service message.
REASON_WORDING = ("security incident", "Sicherheitsvorfall", "security notice", "Sicherheitshinweis")


def self_service_event(metadata: object = None, **attributes: object) -> dict[str, Any]:
    """A user's own ForgotPassword through an app client, with its clientMetadata and attributes replaced."""
    event = forgot_password_event(metadata, **attributes)
    event["callerContext"] = {"awsSdkVersion": "aws-sdk-js-3.699.0", "clientId": APP_CLIENT_ID}
    return event


@pytest.mark.parametrize("locale", sorted(SELF_SERVICE_WORDING))
@pytest.mark.parametrize("brand", ["default", "acme"])
def test_a_users_own_forgot_password_gets_the_self_service_message_in_every_locale_and_brand(
    invoke: Invoke, brands: BrandBook, locale: str, brand: str
) -> None:
    response = invoke(self_service_event({"locale": locale, "brand": brand}))["response"]

    body, sms, subject = SELF_SERVICE_WORDING[locale]
    assert body in response["emailMessage"]
    assert sms in response["smsMessage"]
    assert subject in response["emailSubject"]
    assert brands.brands[brand].name in response["emailMessage"]
    for field in ("emailMessage", "smsMessage"):
        assert CODE_PLACEHOLDER in response[field]
    for text in (response["emailMessage"], response["emailSubject"], response["smsMessage"]):
        assert not any(wording in text for wording in ADMINISTRATOR_WORDING)
    # The promises the issue asks for: it was the user's own request, ignorable, and the password still works.
    if locale == "en":
        assert "still works until you choose a new one" in response["emailMessage"]
        assert "If you did not ask for this, you can ignore this e-mail" in response["emailMessage"]


@pytest.mark.parametrize("reason", ["security_incident", "policy_rotation", "admin_request", "account_recovery"])
def test_reset_reasons_apply_to_administrator_calls_only(invoke: Invoke, captured: Captured, reason: str) -> None:
    # An app may send any clientMetadata with ForgotPassword: a reason there must not make it read like an admin reset.
    user_response = invoke(self_service_event({"reason": reason, "locale": "en"}))["response"]
    admin_response = invoke(forgot_password_event({"reason": reason, "locale": "en"}))["response"]

    assert "You asked to reset the password" in user_response["emailMessage"]
    assert not any(wording in user_response["emailMessage"] for wording in REASON_WORDING)
    assert "You asked to reset the password" not in admin_response["emailMessage"]
    user_line, admin_line = captured.lines
    assert (user_line["variant"], admin_line["variant"]) == ("default", reason)
    assert user_line["fallbacks"] == []


@pytest.mark.parametrize(
    "caller",
    [None, {}, {"awsSdkVersion": "aws-sdk-unknown-unknown"}, {"clientId": None}, {"clientId": 7}, {"clientId": ""}],
    ids=["null", "empty", "no-client-id", "null-client-id", "number", "blank"],
)
def test_only_a_call_cognito_marks_as_an_administrators_is_worded_as_one(invoke: Invoke, caller: object) -> None:
    event = forgot_password_event({"reason": "security_incident"})
    event["callerContext"] = caller

    response = invoke(event)["response"]

    assert "You asked to reset the password" in response["emailMessage"]
    assert not any(wording in response["emailMessage"] for wording in ADMINISTRATOR_WORDING)


def test_an_administrators_reset_keeps_its_reason_wording(invoke: Invoke) -> None:
    event = forgot_password_event({"reason": "security_incident", "locale": "de"})
    assert event["callerContext"]["clientId"] == ADMINISTRATOR_CLIENT_ID

    response = invoke(event)["response"]

    assert "Nach einem Sicherheitsvorfall" in response["emailMessage"]


def test_the_self_service_message_has_the_same_fallbacks(tmp_path: Path, invoke: Invoke, captured: Captured) -> None:
    directory = "en/forgot_password_self_service/default/"
    library = write_templates(
        tmp_path,
        {
            directory + "body.html": "{% broken",
            directory + "body.txt": "Your own code {{ code }}",
            directory + "subject.txt": "Your code",
            directory + "sms.txt": "x" * 150 + "{{ code }}",
        },
    )

    response = invoke(self_service_event(), library_override=library)["response"]

    assert response["emailMessage"] == "<p>Your own code {####}</p>"
    assert response["smsMessage"] is None  # over Cognito's 140 characters: Cognito's default instead
    (line,) = captured.lines
    assert {(f["part"], f["cause"]) for f in line["fallbacks"]} == {
        ("body.html", "template_error"),
        ("sms", "over_limit"),
    }


@pytest.mark.parametrize("mode", [COGNITO_DEFAULT, None], ids=["cognito-default", "unset-or-unknown"])
@pytest.mark.parametrize("caller", ["administrator", "user"])
def test_without_developer_e_mail_only_the_sms_is_tailored(
    invoke: Invoke, settings: Settings, captured: Captured, mode: str | None, caller: str
) -> None:
    metadata = {"reason": "security_incident", "locale": "de", "brand": "acme"}
    event = forgot_password_event(metadata) if caller == "administrator" else self_service_event(metadata)

    response = invoke(event, settings_override=Settings(email_sending_account=mode))["response"]

    # Cognito fails the whole request (InvalidLambdaResponseException) if either is set on a non-DEVELOPER pool.
    assert response["emailMessage"] is None
    assert response["emailSubject"] is None
    assert response["smsMessage"].startswith("ACME Industries")
    assert CODE_PLACEHOLDER in response["smsMessage"]
    (line,) = captured.lines
    assert (line["emailVariant"], line["sms"], line["fallbacks"]) == ("default", True, [])
    assert line[MESSAGE_RENDERED] == 1
    assert line[TEMPLATE_FALLBACK] == 0


def test_under_developer_every_part_is_tailored(invoke: Invoke) -> None:
    settings = Settings(allowed_link_hosts=frozenset({LINK_HOST}), email_sending_account=DEVELOPER)

    response = invoke(forgot_password_event({"reason": "admin_request"}), settings_override=settings)["response"]

    assert all(response[field] for field in ("emailSubject", "emailMessage", "smsMessage"))


@pytest.mark.parametrize(
    ("value", "mode", "tailors_email"),
    [
        (DEVELOPER, DEVELOPER, True),
        (" developer ", DEVELOPER, True),
        (COGNITO_DEFAULT, COGNITO_DEFAULT, False),
        ("", None, False),
        ("SES", None, False),
    ],
)
def test_the_mode_is_read_from_the_environment_and_anything_unknown_is_the_safe_side(
    value: str, mode: str | None, tailors_email: bool
) -> None:
    settings = Settings.from_environment({env.EMAIL_SENDING_ACCOUNT: value})

    assert (settings.email_sending_account, settings.tailors_email) == (mode, tailors_email)
    assert Settings.from_environment({}).tailors_email is False


@pytest.mark.parametrize(
    ("value", "option", "confirms_with_link"),
    [
        (CONFIRM_WITH_LINK, CONFIRM_WITH_LINK, True),
        (" confirm_with_link ", CONFIRM_WITH_LINK, True),
        (CONFIRM_WITH_CODE, CONFIRM_WITH_CODE, False),
        ("", CONFIRM_WITH_CODE, False),
        ("LINK", CONFIRM_WITH_CODE, False),
    ],
)
def test_the_verification_option_is_read_from_the_environment_and_anything_unknown_confirms_with_a_code(
    value: str, option: str, confirms_with_link: bool
) -> None:
    # A missing or unknown option must not put a placeholder that nothing replaces in front of the user.
    settings = Settings.from_environment({env.EMAIL_VERIFICATION_OPTION: value})

    assert (settings.email_verification_option, settings.confirms_with_link) == (option, confirms_with_link)
    assert Settings.from_environment({}).confirms_with_link is False
    assert Settings().email_verification_option == CONFIRM_WITH_CODE


@pytest.mark.parametrize(
    ("value", "level", "logged_mode"),
    [
        (COGNITO_DEFAULT, "INFO", COGNITO_DEFAULT),
        (None, "WARNING", None),
        (DEVELOPER, None, None),
    ],
    ids=["cognito-default", "unset", "developer"],
)
def test_the_mode_is_said_once_per_container(
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str | None,
    level: str | None,
    logged_mode: str | None,
) -> None:
    if value is None:
        monkeypatch.delenv(env.EMAIL_SENDING_ACCOUNT, raising=False)
    else:
        monkeypatch.setenv(env.EMAIL_SENDING_ACCOUNT, value)

    for _ in range(2):
        container.handle(load_event("forgot_password_admin_reset.json"), None)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    said = [line for line in lines if "emailSendingAccount" in line]
    if level is None:
        assert said == []
    else:
        (line,) = said
        assert (line["level"], line["emailSendingAccount"]) == (level, logged_mode)
        assert "only the SMS is tailored" in line["message"]
    assert container.dependencies().settings.tailors_email is (value == DEVELOPER)


def test_a_template_library_without_self_service_templates_leaves_cognitos_default(
    tmp_path: Path, invoke: Invoke
) -> None:
    # A deployer's own template tree that has only the administrator's messages: the user's own request must not
    # borrow them; it passes through to Cognito's default message instead.
    library: TemplateLibrary = write_templates(
        tmp_path,
        {
            "en/forgot_password/admin_request/" + name: text
            for name, text in {
                "body.html": "Admin {{ code }}",
                "body.txt": "Admin {{ code }}",
                "subject.txt": "Admin",
                "sms.txt": "Admin {{ code }}",
            }.items()
        },
    )

    response = invoke(self_service_event(), library_override=library)["response"]

    assert response == {"smsMessage": None, "emailMessage": None, "emailSubject": None}
