"""Property-based: whatever Cognito (or anything else) sends, the trigger returns an answer Cognito accepts."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    CODE_PLACEHOLDER,
    COGNITO_DEFAULT,
    CONFIRM_WITH_CODE,
    CONFIRM_WITH_LINK,
    DEVELOPER,
    EMAIL_MESSAGE_LIMIT,
    EMAIL_SUBJECT_LIMIT,
    FORGOT_PASSWORD,
    RESEND_CODE,
    SIGN_UP,
    SMS_MESSAGE_LIMIT,
    TRIGGER_SOURCES,
)
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, NAMESPACE
from custom_message.brands import load_brand_book
from custom_message.handler import Dependencies, handle_custom_message
from custom_message.settings import Settings
from custom_message.telemetry import Telemetry
from custom_message.templates import TemplateLibrary

MARKER = "<zz>"

STREAM = io.StringIO()
# Everything tailored, Cognito's link placeholder included (a pool that confirms sign-ups with a link).
DEPENDENCIES = Dependencies(
    settings=Settings(
        allowed_link_hosts=frozenset({"reset.example.com"}),
        email_sending_account=DEVELOPER,
        email_verification_option=CONFIRM_WITH_LINK,
    ),
    library=TemplateLibrary(),
    brands=load_brand_book(),
    telemetry=Telemetry(service=CUSTOM_MESSAGE_SERVICE, namespace=NAMESPACE, stream=STREAM),
)
# The same trigger on a pool that sends e-mail through Cognito's default sender (or with the mode unset).
COGNITO_DEFAULT_DEPENDENCIES = DEPENDENCIES._replace(
    settings=DEPENDENCIES.settings._replace(email_sending_account=COGNITO_DEFAULT)
)
# The same trigger on a pool that confirms sign-ups with a code (or with the option unset).
CONFIRM_WITH_CODE_DEPENDENCIES = DEPENDENCIES._replace(
    settings=DEPENDENCIES.settings._replace(email_verification_option=CONFIRM_WITH_CODE)
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# Text that is sometimes well-formed for its key and sometimes anything at all, always carrying an HTML marker.
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(max_size=600),
    st.builds(lambda text: MARKER + text, st.text(max_size=60)),
    st.sampled_from(
        ["de-AT", "de", "en-GB", "fr", "security_incident", "acme", "SEC-1", "https://reset.example.com/p"]
    ),
    st.builds(lambda text: "https://reset.example.com/" + text, st.text(max_size=40)),
)
metadata = st.one_of(
    st.none(),
    json_values,
    st.dictionaries(
        st.sampled_from(["reason", "locale", "brand", "reference", "link", "other"]) | st.text(max_size=8),
        hostile_text | json_values,
        max_size=8,
    ),
)
attributes = st.one_of(
    st.none(),
    json_values,
    st.dictionaries(
        st.sampled_from(["given_name", "locale", "email", "email_verified", "sub"]) | st.text(max_size=8),
        hostile_text | st.booleans() | json_values,
        max_size=6,
    ),
)
codes = st.one_of(st.just(CODE_PLACEHOLDER), st.just("####"), st.text(max_size=20), st.none(), st.integers())


@st.composite
def cognito_like_events(draw: st.DrawFn) -> dict[str, Any]:
    request: dict[str, Any] = {
        "userAttributes": draw(attributes),
        "codeParameter": draw(codes),
        "usernameParameter": draw(st.one_of(st.just("{username}"), st.none(), st.text(max_size=12))),
    }
    if draw(st.booleans()):
        request["linkParameter"] = draw(
            st.one_of(
                st.just("{##Click Here##}"), st.none(), st.builds(lambda text: MARKER + text, st.text(max_size=20))
            )
        )
    if draw(st.booleans()):
        request["clientMetadata"] = draw(metadata)
    event: dict[str, Any] = {
        "version": "1",
        "triggerSource": draw(st.one_of(st.sampled_from(TRIGGER_SOURCES), st.text(max_size=20), st.none())),
        "userName": draw(st.one_of(st.text(max_size=40), st.none(), st.integers())),
        "callerContext": draw(
            st.sampled_from(
                [
                    {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": ADMINISTRATOR_CLIENT_ID},
                    {"awsSdk": "aws-sdk-java", "clientId": "4ns1ll0l2q9c5bdbm7l4t9r3qk"},
                    {"awsSdkVersion": "aws-sdk-unknown-unknown"},
                    None,
                    {"clientId": 1},
                ]
            )
        ),
        "request": request if draw(st.integers(0, 9)) else draw(json_values),
        "response": draw(
            st.one_of(st.just({"smsMessage": None, "emailMessage": None, "emailSubject": None}), json_values)
        ),
    }
    return event


def run(event: object, dependencies: Dependencies = DEPENDENCIES) -> tuple[object, list[dict[str, Any]]]:
    STREAM.seek(0)
    STREAM.truncate()
    result = handle_custom_message(event, None, dependencies)
    return result, [json.loads(line) for line in STREAM.getvalue().splitlines()]


def assert_cognito_accepts(event: Any, *, confirms_with_link: bool = True) -> None:
    request = event.get("request")
    code = request.get("codeParameter") if isinstance(request, dict) else None
    response = event.get("response")
    if not isinstance(response, dict) or not isinstance(code, str) or not code:
        return
    required = [code]
    if event.get("triggerSource") == "CustomMessage_AdminCreateUser":
        required.append(request.get("usernameParameter"))
    link = request.get("linkParameter")
    # Cognito replaces its link placeholder in a sign-up confirmation's e-mail of a pool that confirms with a link:
    # there, the e-mail must hold it; in a pool that confirms with a code, nothing replaces it.
    is_sign_up = event.get("triggerSource") in (SIGN_UP, RESEND_CODE)
    link_required = [link] if confirms_with_link and is_sign_up and isinstance(link, str) and link else []
    link_refused = [link] if not confirms_with_link and link == "{##Click Here##}" else []
    limits = {"emailMessage": EMAIL_MESSAGE_LIMIT, "emailSubject": EMAIL_SUBJECT_LIMIT, "smsMessage": SMS_MESSAGE_LIMIT}
    for field, limit in limits.items():
        value = response.get(field)
        if value is None:
            continue
        assert isinstance(value, str)
        assert 0 < len(value) <= limit
        assert MARKER not in value  # no untrusted value reaches a message unescaped
        if field != "emailSubject":
            assert all(isinstance(p, str) and p in value for p in required)
        if field == "emailMessage":
            assert all(p in value for p in link_required)
            assert not any(p in value for p in link_refused)
    subject = response.get("emailSubject")
    if subject is not None:
        assert "\n" not in subject
        assert "\r" not in subject
        assert response.get("emailMessage") is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=cognito_like_events())
def test_any_cognito_like_event_gets_an_acceptable_answer_without_an_internal_error(event: dict[str, Any]) -> None:
    result, lines = run(event)

    assert result is event
    assert_cognito_accepts(event)
    # Robust by construction, not by the last-resort catch: no invocation took the exception path.
    assert all("errorType" not in line for line in lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=cognito_like_events())
def test_under_cognito_default_no_event_ever_gets_an_email_answer(event: dict[str, Any]) -> None:
    # Cognito fails the caller's request when a trigger sets the e-mail of a pool that is not DEVELOPER.
    result, lines = run(event, COGNITO_DEFAULT_DEPENDENCIES)

    assert result is event
    assert_cognito_accepts(event)
    response = event.get("response")
    if isinstance(response, dict) and isinstance(event.get("request"), dict):
        assert response.get("emailMessage") is None
        assert response.get("emailSubject") is None
    assert all("errorType" not in line for line in lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=cognito_like_events())
def test_where_the_pool_confirms_with_a_code_no_e_mail_carries_the_link_placeholder(event: dict[str, Any]) -> None:
    result, lines = run(event, CONFIRM_WITH_CODE_DEPENDENCIES)

    assert result is event
    assert_cognito_accepts(event, confirms_with_link=False)
    assert all("errorType" not in line for line in lines)


@settings(max_examples=200, deadline=None)
@given(event=json_values)
def test_anything_at_all_comes_back_unchanged(event: object) -> None:
    before = json.dumps(event, sort_keys=True)

    result, lines = run(event)

    assert result is event
    assert json.dumps(event, sort_keys=True) == before
    assert all("errorType" not in line for line in lines)


@settings(max_examples=200, deadline=None)
@given(
    reference=st.text(max_size=200),
    given_name=st.text(max_size=200),
    locale=st.text(max_size=20),
    reason=st.text(max_size=70),
    client_id=st.sampled_from([ADMINISTRATOR_CLIENT_ID, "4ns1ll0l2q9c5bdbm7l4t9r3qk"]),
)
def test_forgot_password_with_any_metadata_is_always_tailored_and_escaped(
    reference: str, given_name: str, locale: str, reason: str, client_id: str
) -> None:
    event: dict[str, Any] = {
        "triggerSource": FORGOT_PASSWORD,
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {
            "codeParameter": CODE_PLACEHOLDER,
            "userAttributes": {"given_name": MARKER + given_name, "locale": locale},
            "clientMetadata": {"reference": MARKER + reference, "locale": locale, "reason": reason},
        },
        "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    }

    _, lines = run(event)

    response = event["response"]
    assert CODE_PLACEHOLDER in response["emailMessage"]
    assert CODE_PLACEHOLDER in response["smsMessage"]
    assert response["emailSubject"]
    assert_cognito_accepts(event)
    assert lines[0]["fallbacks"] == []
