"""The Cognito-facing contract: every trigger source and payload variant, the event always back, never a raise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import environment as env
from contracts.cognito import CODE_PLACEHOLDER, DEVELOPER, FORGOT_PASSWORD, TRIGGER_SOURCES
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, MESSAGE_RENDERED, NAMESPACE, TEMPLATE_FALLBACK
from custom_message.brands import Brand, BrandBook
from custom_message.handler import Container
from tests.unit.custom_message.conftest import (
    EVENT_FILES,
    Captured,
    Invoke,
    copy_event,
    forgot_password_event,
    load_event,
    write_templates,
)


def test_fixtures_cover_all_seven_trigger_sources() -> None:
    sources = {load_event(name)["triggerSource"] for name in EVENT_FILES}
    assert sources == set(TRIGGER_SOURCES)


@pytest.mark.parametrize("name", EVENT_FILES)
def test_every_fixture_comes_back_as_the_same_event_with_every_part_tailored(name: str, invoke: Invoke) -> None:
    event = load_event(name)
    before = copy_event(event)

    result = invoke(event)

    assert result is event
    assert {key: value for key, value in result.items() if key != "response"} == {
        key: value for key, value in before.items() if key != "response"
    }
    response = result["response"]
    code = event["request"]["codeParameter"]
    assert code in response["emailMessage"]
    assert code in response["smsMessage"]
    assert response["emailSubject"]


def test_admin_reset_is_tailored_in_the_requested_locale_reason_and_brand(invoke: Invoke, captured: Captured) -> None:
    event = load_event("forgot_password_admin_reset.json")  # reason security_incident, locale de-AT, brand acme

    response = invoke(event)["response"]

    assert response["emailSubject"] == "Sicherheitshinweis: Ihr Passwort bei ACME Industries wurde zurückgesetzt"
    assert "Nach einem Sicherheitsvorfall" in response["emailMessage"]
    assert '<div class="code"' in response["emailMessage"]
    assert "#b3261e" in response["emailMessage"]  # acme's colour
    assert 'Referenz: <span class="reference">SEC-4211</span>' in response["emailMessage"]
    assert 'href="https://reset.example.com/password?code={####}&amp;username=alice"' in response["emailMessage"]
    assert response["smsMessage"] == (
        "ACME Industries Sicherheitshinweis: Ihr Passwort wurde vorsorglich zurückgesetzt."
        " Code: {####} (1 Stunde gültig)."
    )
    (line,) = captured.lines
    assert line["locale"] == "de"
    assert line["variant"] == "security_incident"
    assert line["brand"] == "acme"
    assert line["fallbacks"] == []
    assert line[MESSAGE_RENDERED] == 1
    assert line[TEMPLATE_FALLBACK] == 0


def test_self_service_forgot_password_without_client_metadata_uses_the_user_locale(invoke: Invoke) -> None:
    event = load_event("forgot_password_self_service.json")  # no clientMetadata key, locale attribute "de"
    assert "clientMetadata" not in event["request"]

    response = invoke(event)["response"]

    assert response["emailSubject"] == "Ihr Code zum Zurücksetzen des Passworts bei Example Corp"
    assert "Hallo Alice," in response["emailMessage"]
    assert "Sie haben angefordert" in response["emailMessage"]
    assert CODE_PLACEHOLDER in response["smsMessage"]


def test_aws_sdk_variant_with_boolean_attributes_no_link_parameter_and_null_metadata(invoke: Invoke) -> None:
    event = load_event("forgot_password_aws_sdk_booleans.json")
    assert "awsSdk" in event["callerContext"]
    assert event["request"]["clientMetadata"] is None
    assert "linkParameter" not in event["request"]
    assert event["request"]["userAttributes"]["email_verified"] is True

    response = invoke(event)["response"]

    assert response["emailSubject"] == "Your Example Corp password has been reset"
    assert "An administrator has reset the password" in response["emailMessage"]
    assert "Hello," in response["emailMessage"]


def test_admin_create_user_welcome_holds_both_placeholders(invoke: Invoke) -> None:
    event = load_event("admin_create_user.json")

    response = invoke(event)["response"]

    for field in ("emailMessage", "smsMessage"):
        assert "{username}" in response[field]
        assert CODE_PLACEHOLDER in response[field]
    assert response["emailSubject"] == "Your new Example Corp account"
    assert "Hello Carol," in response["emailMessage"]


def test_admin_create_user_without_username_placeholder_falls_back_to_defaults(
    invoke: Invoke, captured: Captured
) -> None:
    event = load_event("admin_create_user.json")
    event["request"]["usernameParameter"] = None

    response = invoke(event)["response"]

    assert response == {"emailSubject": None, "emailMessage": None, "smsMessage": None}
    assert captured.metric(TEMPLATE_FALLBACK) == 1
    assert captured.lines[0]["fallbackCauses"] == ["missing_placeholder"]


def test_extra_unknown_keys_anywhere_are_tolerated(invoke: Invoke) -> None:
    event = load_event("forgot_password_admin_reset.json")
    event["futureTopLevelKey"] = {"x": 1}
    event["request"]["somethingNew"] = [1, 2]
    event["request"]["clientMetadata"]["tenant"] = "blue"
    event["callerContext"]["extra"] = None

    response = invoke(event)["response"]

    assert CODE_PLACEHOLDER in response["emailMessage"]
    assert event["futureTopLevelKey"] == {"x": 1}


@pytest.mark.parametrize("response", [None, "junk", 3], ids=["null", "string", "number"])
def test_a_missing_or_broken_response_object_is_replaced(invoke: Invoke, response: object) -> None:
    event = load_event("forgot_password_admin_reset.json")
    event["response"] = response

    result = invoke(event)

    assert set(result["response"]) == {"emailSubject", "emailMessage", "smsMessage"}
    assert CODE_PLACEHOLDER in result["response"]["emailMessage"]


def test_missing_response_key_is_added(invoke: Invoke) -> None:
    event = load_event("forgot_password_admin_reset.json")
    del event["response"]

    assert CODE_PLACEHOLDER in invoke(event)["response"]["smsMessage"]


@pytest.mark.parametrize(
    "event",
    [None, [], FORGOT_PASSWORD, 42, {}, {"triggerSource": FORGOT_PASSWORD}],
    ids=["none", "list", "string", "number", "empty", "no-request"],
)
def test_events_that_are_not_custom_message_events_come_back_unchanged(invoke: Invoke, event: object) -> None:
    before = json.dumps(event)

    assert invoke(event) is event
    assert json.dumps(event) == before


@pytest.mark.parametrize("code", [None, "", 123], ids=["null", "empty", "number"])
def test_without_a_code_placeholder_nothing_is_tailored(invoke: Invoke, code: object) -> None:
    event = load_event("forgot_password_admin_reset.json")
    event["request"]["codeParameter"] = code

    result = invoke(event)

    assert result["response"] == {"smsMessage": None, "emailMessage": None, "emailSubject": None}


def test_unknown_trigger_source_passes_through(invoke: Invoke, captured: Captured) -> None:
    event = load_event("forgot_password_admin_reset.json")
    event["triggerSource"] = "CustomMessage_SomethingNew"

    result = invoke(event)

    assert result["response"] == {"smsMessage": None, "emailMessage": None, "emailSubject": None}
    assert captured.lines[0]["message"] == "event passed through: no templates for this trigger source"
    assert "_aws" not in captured.lines[0]


class ExplodingBrandBook(BrandBook):
    """A brand book whose lookup fails with a message that quotes a value, as a real bug's message might."""

    def choose(self, requested: str | None, default_id: str) -> Brand:
        raise ValueError("secret-value-from-metadata alice@example.com")


def test_an_exception_inside_returns_defaults_logs_the_type_only_and_counts_a_fallback(
    invoke: Invoke, captured: Captured
) -> None:
    event = load_event("forgot_password_admin_reset.json")
    event["response"]["emailMessage"] = "left over"

    result = invoke(event, brands_override=ExplodingBrandBook(brands={}))

    assert result is event
    assert result["response"] == {"emailSubject": None, "emailMessage": None, "smsMessage": None}
    (line,) = captured.lines
    assert line["level"] == "ERROR"
    assert line["errorType"] == "ValueError"
    assert line[TEMPLATE_FALLBACK] == 1
    assert line[MESSAGE_RENDERED] == 0
    assert "secret-value" not in captured.text
    assert "alice" not in captured.text


def test_lambda_handler_reads_the_environment_once_and_writes_json_lines_to_stdout(
    container: Container, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(env.ALLOWED_LINK_HOSTS, " Reset.Example.com , other.example.org")
    monkeypatch.setenv(env.POWERTOOLS_SERVICE_NAME, "cm-test")
    monkeypatch.setenv(env.POWERTOOLS_METRICS_NAMESPACE, "TestNamespace")
    monkeypatch.setenv(env.EMAIL_SENDING_ACCOUNT, DEVELOPER)

    class Context:
        aws_request_id = "req-1"

    first: Any = container.handle(load_event("forgot_password_admin_reset.json"), Context())
    monkeypatch.setenv(env.ALLOWED_LINK_HOSTS, "")  # read once per container: no effect on the next invocation
    second: Any = container.handle(load_event("forgot_password_admin_reset.json"), Context())

    for result in (first, second):
        assert "https://reset.example.com/password?code={####}" in result["response"]["emailMessage"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["coldStart"] for line in lines] == [True, False]
    assert {line["service"] for line in lines} == {"cm-test"}
    assert {line["requestId"] for line in lines} == {"req-1"}
    assert lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TestNamespace"


def test_lambda_handler_survives_a_broken_container_setup(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> BrandBook:
        raise OSError("templates unreadable")

    event = load_event("forgot_password_admin_reset.json")

    result: Any = Container({}, load_brands=broken).handle(event, None)

    assert result is event
    assert result["response"] == {"emailSubject": None, "emailMessage": None, "smsMessage": None}
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["errorType"] == "OSError"
    assert line[TEMPLATE_FALLBACK] == 1


def test_logs_never_carry_metadata_attribute_values_codes_or_usernames(invoke: Invoke, captured: Captured) -> None:
    event = forgot_password_event(
        {"reason": "security_incident", "reference": "REF-SECRET-77", "link": "https://reset.example.com/x-secret"},
        given_name="Zacharias",
        email="zacharias@example.org",
        locale="de",
    )
    event["userName"] = "zach-the-user"
    event["request"]["codeParameter"] = CODE_PLACEHOLDER

    invoke(event)

    for secret in ("REF-SECRET-77", "x-secret", "Zacharias", "zacharias@", "zach-the-user", CODE_PLACEHOLDER):
        assert secret not in captured.text


def test_emf_document_has_the_shape_cloudwatch_expects(invoke: Invoke, captured: Captured) -> None:
    invoke(load_event("forgot_password_admin_reset.json"))

    (line,) = captured.lines
    aws: dict[str, Any] = line["_aws"]
    assert isinstance(aws["Timestamp"], int)
    assert aws["CloudWatchMetrics"] == [
        {
            "Namespace": NAMESPACE,
            "Dimensions": [["service"]],
            "Metrics": [{"Name": TEMPLATE_FALLBACK, "Unit": "Count"}, {"Name": MESSAGE_RENDERED, "Unit": "Count"}],
        }
    ]
    assert line["service"] == CUSTOM_MESSAGE_SERVICE
    assert line[TEMPLATE_FALLBACK] == 0
    assert line[MESSAGE_RENDERED] == 1


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        [],
        "reason=security_incident",
        17,
        {"reason": ["security_incident"], "locale": {"de": True}, "brand": 3, "reference": None, "link": False},
        {"reason": "security_incident" * 40, "reference": "R" * 513, "link": "https://reset.example.com/" + "a" * 600},
        {f"key{index}": "v" * 1000 for index in range(2000)},
    ],
    ids=["null", "empty", "list", "string", "number", "wrong-types", "over-long-values", "huge"],
)
def test_missing_null_empty_junk_or_huge_metadata_gives_the_generic_english_message(
    invoke: Invoke, captured: Captured, metadata: object
) -> None:
    event = forgot_password_event(metadata)

    response = invoke(event)["response"]

    assert response["emailSubject"] == "Your Example Corp password has been reset"
    assert "An administrator has reset the password" in response["emailMessage"]
    assert "reset.example.com/" not in response["emailMessage"]
    assert "RRRR" not in response["emailMessage"]
    assert response["smsMessage"].startswith("Example Corp: an administrator reset your password.")
    assert captured.lines[0]["fallbacks"] == []


@pytest.mark.parametrize("junk", [False, 7, {"a": 1}, "x" * 200])
def test_a_passed_through_event_never_keeps_a_response_cognito_would_refuse(
    tmp_path: Path, invoke: Invoke, junk: object
) -> None:
    # Found by the property test: no templates for this source, and a response holding what Cognito never accepts.
    library = write_templates(tmp_path, {"en/forgot_password/admin_request/sms.txt": "{{ code }}"})
    event = load_event("sign_up.json")
    event["response"] = {"smsMessage": junk, "emailMessage": junk, "emailSubject": junk}

    result = invoke(event, library_override=library)

    assert result["response"] == {"smsMessage": None, "emailMessage": None, "emailSubject": None}
