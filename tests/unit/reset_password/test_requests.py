"""The three request shapes, and field-level errors for bad input (naming the field, never echoing the value)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.events import RESET_REQUESTED
from reset_password.requests import (
    BatchInvocation,
    InvalidRequest,
    ResetRequest,
    SingleInvocation,
    parse_invocation,
    parse_request,
)

SECRET = "s3cr3t-value-that-must-not-be-echoed"


def eventbridge(detail: object, detail_type: str = RESET_REQUESTED) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "acme.siem",
        "account": "111122223333",
        "time": "2026-11-23T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def test_an_eventbridge_event_yields_its_detail_as_the_request() -> None:
    invocation = parse_invocation(eventbridge({"username": "alice", "clientMetadata": {"reason": "admin_request"}}))

    assert isinstance(invocation, SingleInvocation)
    assert invocation.source == "eventbridge"
    assert invocation.request == ResetRequest(username="alice", clientMetadata={"reason": "admin_request"})


def test_an_eventbridge_event_of_another_detail_type_is_invalid() -> None:
    invocation = parse_invocation(eventbridge({"username": "alice"}, detail_type="Password Changed"))

    assert isinstance(invocation, SingleInvocation)
    assert isinstance(invocation.request, InvalidRequest)
    assert invocation.request.errors == ("detail-type: must be 'Password Reset Requested'",)


def test_a_malformed_envelope_names_the_missing_fields() -> None:
    event = eventbridge({"username": "alice"})
    del event["source"], event["time"]

    invocation = parse_invocation(event)

    assert isinstance(invocation, SingleInvocation)
    assert isinstance(invocation.request, InvalidRequest)
    assert [error.split(":")[0] for error in invocation.request.errors] == ["source", "time"]


def test_a_plain_request_is_a_direct_invocation() -> None:
    invocation = parse_invocation({"email": "alice@example.com", "globalSignOut": True, "dryRun": True})

    assert isinstance(invocation, SingleInvocation)
    assert invocation.source == "direct"
    assert invocation.request == ResetRequest(email="alice@example.com", globalSignOut=True, dryRun=True)


def test_a_batch_applies_batch_input_under_each_item_and_keeps_the_order() -> None:
    event = {
        "BatchInput": {
            "userPoolId": "eu-west-1_Batch1",
            "globalSignOut": True,
            "clientMetadata": {"reason": "policy_rotation", "brand": "acme"},
        },
        "Items": [
            {"username": "alice"},
            {"username": "bob", "globalSignOut": "false", "clientMetadata": {"brand": "globex", "locale": "de"}},
            {"username": ""},
        ],
    }

    invocation = parse_invocation(event)

    assert isinstance(invocation, BatchInvocation)
    alice, bob, empty = invocation.requests
    assert alice == ResetRequest(
        username="alice",
        userPoolId="eu-west-1_Batch1",
        globalSignOut=True,
        clientMetadata={"reason": "policy_rotation", "brand": "acme"},
    )
    assert isinstance(bob, ResetRequest)
    assert bob.global_sign_out is False  # CSV manifests carry strings
    assert bob.client_metadata == {"reason": "policy_rotation", "brand": "globex", "locale": "de"}
    assert isinstance(empty, InvalidRequest)
    assert empty.errors[0].startswith("username:")


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"Items": "alice"}, "Items: must be a list of requests"),
        ({"Items": [], "BatchInput": ["x"]}, "BatchInput: must be a JSON object"),
    ],
)
def test_a_malformed_batch_is_one_invalid_request(event: dict[str, Any], expected: str) -> None:
    invocation = parse_invocation(event)

    assert isinstance(invocation, SingleInvocation)
    assert isinstance(invocation.request, InvalidRequest)
    assert invocation.request.errors == (expected,)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({}, "exactly one of username, email or sub"),
        ({"username": ""}, "username:"),
        ({"username": "x" * 129}, "username:"),
        ({"username": "has space"}, "username:"),
        ({"username": 42}, "username:"),
        ({"username": "alice", "email": "alice@example.com"}, "exactly one of username, email or sub"),
        ({"email": 'a"b@example.com'}, "email:"),
        ({"email": "not-an-email"}, "email:"),
        ({"sub": "123"}, "sub:"),
        ({"username": "alice", "userPoolId": "no-underscore"}, "userPoolId:"),
        ({"username": "alice", "userPoolId": "eu-west-1_" + "a" * 50}, "userPoolId:"),
        ({"username": "alice", "clientMetadata": {"reason": 7}}, "clientMetadata.reason: must be a string"),
        ({"username": "alice", "clientMetadata": {"reference": "x" * 600}}, "clientMetadata.reference: at most 512"),
        ({"username": "alice", "clientMetadata": {f"k{i}": "v" for i in range(11)}}, "clientMetadata: at most 10 keys"),
        ({"username": "alice", "clientMetadata": {"nested": {"a": "b"}}}, "clientMetadata.nested: must be a string"),
        ({"username": "alice", "clientMetadata": ["reason"]}, "clientMetadata: must be an object"),
        ({"username": "alice", "clientMetadata": {"locale": "not a locale"}}, "clientMetadata.locale: must be a BCP"),
        ({"username": "alice", "clientMetadata": {"link": "http://evil.example"}}, "clientMetadata.link: must be"),
        ({"username": "alice", "globalSignOut": "perhaps"}, "globalSignOut:"),
        ({"username": "alice", "dryrun": True}, "dryrun: unknown field"),
        ({"username": "alice", "requestId": "a b"}, "requestId:"),
    ],
)
def test_bad_input_gets_an_error_that_names_the_field(raw: dict[str, Any], field: str) -> None:
    parsed = parse_request(raw)

    assert isinstance(parsed, InvalidRequest)
    assert any(error.startswith(field) for error in parsed.errors), parsed.errors


@pytest.mark.parametrize(
    "raw",
    [
        {"username": "alice", "clientMetadata": {"reference": SECRET * 20}},
        {"username": "alice", "clientMetadata": {"locale": SECRET}},
        {"email": SECRET},
        {"username": "alice", "requestId": SECRET + " "},
        {"username": "alice", SECRET: True},
    ],
)
def test_errors_never_echo_the_rejected_value(raw: dict[str, Any]) -> None:
    parsed = parse_request(raw)

    assert isinstance(parsed, InvalidRequest)
    assert SECRET not in parsed.detail or raw.get(SECRET) is True  # an unknown field is named by its key


def test_a_non_object_request_is_invalid() -> None:
    parsed = parse_request(["alice"])

    assert isinstance(parsed, InvalidRequest)
    assert parsed.errors == ("request: must be a JSON object",)


def test_an_invalid_request_echoes_only_safe_identifying_fields() -> None:
    parsed = parse_request({"username": "alice", "userPoolId": "bad", "requestId": "r-1"})

    assert isinstance(parsed, InvalidRequest)
    assert (parsed.username, parsed.user_pool_id, parsed.request_id) == ("alice", "bad", "r-1")
