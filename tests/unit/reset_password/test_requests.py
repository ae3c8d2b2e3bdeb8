"""The three request shapes, and field-level errors for bad input (naming the field, never echoing the value)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from reset_password.requests import (
    BatchInvocation,
    InvalidRequest,
    ResetRequest,
    SingleInvocation,
    parse_invocation,
    parse_request,
)
from tests.unit.reset_password.conftest import eventbridge

SECRET = "s3cr3t-value-that-must-not-be-echoed"


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
    # A batch item is a manifest row: an empty cell is an absent field, so the row names no user.
    assert empty.errors[0].startswith("request: exactly one of username, email or sub")


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
        ({}, "request: exactly one of username, email or sub"),
        ({"username": ""}, "username:"),
        ({"username": "x" * 129}, "username:"),
        ({"username": "has space"}, "username:"),
        ({"username": 42}, "username:"),
        ({"username": "alice", "email": "alice@example.com"}, "request: exactly one of username, email or sub"),
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
    assert SECRET not in parsed.detail


def test_a_non_object_request_is_invalid() -> None:
    parsed = parse_request(["alice"])

    assert isinstance(parsed, InvalidRequest)
    assert parsed.errors == ("request: must be a JSON object",)


def test_an_invalid_request_echoes_no_value_of_the_request() -> None:
    parsed = parse_request({"username": "alice", "userPoolId": "bad", "requestId": "r-1"})

    assert isinstance(parsed, InvalidRequest)
    assert [value for value in ("alice", "r-1") if value in repr(parsed)] == []  # it holds errors and a hash only
    assert parsed.errors == ("userPoolId: has characters or a shape that is not allowed",)


# Characters no identifier may hold, by family: C1 controls, zero-width and other format characters, bidi embeddings,
# overrides and isolates, line and paragraph separators, and a lone surrogate (no UTF-8 encoding exists for it).
UNSAFE_CHARACTERS = {
    "C1 NEL": "\x85",
    "C1 first": "\x80",
    "C1 last": "\x9f",
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "left-to-right embedding": "\u202a",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "pop directional isolate": "\u2069",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "lone high surrogate": "\ud800",
    "lone low surrogate": "\udfff",
}
REFUSED_TEXT = "has a control, format or separator character, or a lone surrogate"


def request_with(field: str, character: str) -> dict[str, Any]:
    """A request that is valid but for one character in `field`, placed inside an otherwise fine value."""
    values = {"username": f"ali{character}ce", "email": f"ali{character}ce@example.com", "requestId": f"r{character}1"}
    identifier = {} if field in ("username", "email") else {"username": "alice"}
    return {**identifier, field: values[field]}


@pytest.mark.parametrize("character", UNSAFE_CHARACTERS.values(), ids=UNSAFE_CHARACTERS.keys())
@pytest.mark.parametrize("field", ["username", "email", "requestId"])
def test_an_identifier_with_a_control_format_or_separator_character_is_refused_naming_the_field(
    field: str, character: str
) -> None:
    parsed = parse_request(request_with(field, character))

    assert isinstance(parsed, InvalidRequest)
    assert parsed.errors == (f"{field}: {REFUSED_TEXT}",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"username": "\ud800"}, f"username: {REFUSED_TEXT}"),
        ({"email": "a\udc00@example.com"}, f"email: {REFUSED_TEXT}"),
        ({"sub": "\ud800" * 36}, f"sub: {REFUSED_TEXT}"),
        ({"username": "alice", "userPoolId": "eu-west-1_\ud800"}, f"userPoolId: {REFUSED_TEXT}"),
        ({"username": "alice", "requestId": "\ud800"}, f"requestId: {REFUSED_TEXT}"),
        ({"username": "alice", "clientMetadata": {"reference": "SEC-\ud800"}}, "clientMetadata.reference: must be"),
        ({"username": "alice", "clientMetadata": {"ticket": "\ud800"}}, f"clientMetadata.ticket: {REFUSED_TEXT}"),
        ({"username": "alice", "clientMetadata": {"tick\ud800et": "x"}}, "clientMetadata: keys must be"),
        ({"username": "alice", "globalSignOut": "\ud800"}, "globalSignOut: "),
        ({"username": "alice", "\ud800": True}, "request: 1 unknown field (allowed: "),
    ],
    ids=[
        "username",
        "email",
        "sub",
        "userPoolId",
        "requestId",
        "metadata-reference",
        "metadata-own-key",
        "metadata-key",
        "boolean",
        "unknown-field",
    ],
)
def test_a_lone_surrogate_anywhere_is_an_invalid_request_naming_the_field(raw: dict[str, Any], expected: str) -> None:
    parsed = parse_request(raw)

    assert isinstance(parsed, InvalidRequest)
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith(expected), parsed.errors
    parsed.detail.encode()  # the detail itself is always valid text


def test_a_lone_surrogate_in_a_batch_item_refuses_that_item_only() -> None:
    event = {
        "BatchInput": {"clientMetadata": {"reason": "policy_rotation"}},
        "Items": [
            {"username": "alice"},
            {"username": "b\ud800b"},
            {"username": "carol", "clientMetadata": {"reference": "\udfff"}},
            {"email": "dave@example.com"},
        ],
    }

    invocation = parse_invocation(event)

    assert isinstance(invocation, BatchInvocation)
    alice, bob, carol, dave = invocation.requests
    assert isinstance(alice, ResetRequest)
    assert isinstance(dave, ResetRequest)
    assert isinstance(bob, InvalidRequest)
    assert bob.errors == (f"username: {REFUSED_TEXT}",)
    assert isinstance(carol, InvalidRequest)
    assert carol.errors == ("clientMetadata.reference: must be 1-128 printable characters",)


def test_a_lone_surrogate_in_batch_input_refuses_every_item_by_name() -> None:
    invocation = parse_invocation({"BatchInput": {"requestId": "\ud800"}, "Items": [{"username": "a"}, {"sub": "b"}]})

    assert isinstance(invocation, BatchInvocation)
    assert all(isinstance(request, InvalidRequest) for request in invocation.requests)
    assert [request.errors[0] for request in invocation.requests if isinstance(request, InvalidRequest)] == [
        f"requestId: {REFUSED_TEXT}",
        "sub: has characters or a shape that is not allowed",
    ]


@pytest.mark.parametrize(
    "value",
    ["José", "Zoë.Müller", "用户名", "\U0001f98afox", "o'brien+test", "user@example.com", "a" * 128],
    ids=["accent", "diaeresis", "cjk", "astral-emoji", "punctuation", "email-like", "longest"],
)
def test_usernames_in_any_script_are_still_accepted(value: str) -> None:
    parsed = parse_request({"username": value, "requestId": value, "clientMetadata": {"reference": value[:128]}})

    assert isinstance(parsed, ResetRequest)


@pytest.mark.parametrize("character", UNSAFE_CHARACTERS.values(), ids=UNSAFE_CHARACTERS.keys())
def test_a_metadata_value_with_a_control_format_or_separator_character_is_refused(character: str) -> None:
    parsed = parse_request(
        {"username": "alice", "clientMetadata": {"reference": f"SEC{character}42", "ticket": f"T{character}1"}}
    )

    assert isinstance(parsed, InvalidRequest)
    assert parsed.errors == (
        f"clientMetadata.reference: must be 1-128 printable characters; clientMetadata.ticket: {REFUSED_TEXT}",
    )


EMAIL_IN_THE_WRONG_PLACE = "leaked.person@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        {"username": "alice", EMAIL_IN_THE_WRONG_PLACE: "x"},
        {EMAIL_IN_THE_WRONG_PLACE: True, "dryRun": "maybe"},
        {"username": "alice", "userPoolId": EMAIL_IN_THE_WRONG_PLACE},
        {"username": "alice", "userPoolId": EMAIL_IN_THE_WRONG_PLACE, "requestId": EMAIL_IN_THE_WRONG_PLACE + " x"},
        {"username": EMAIL_IN_THE_WRONG_PLACE + "\u202e", "userPoolId": "eu-west-1_Ok1"},
        {"username": "alice", "clientMetadata": {EMAIL_IN_THE_WRONG_PLACE: "x"}},
        {"username": "alice", "clientMetadata": {"ticket": EMAIL_IN_THE_WRONG_PLACE + "\n"}},
        {"email": EMAIL_IN_THE_WRONG_PLACE, "sub": "not-a-sub"},
    ],
    ids=[
        "unknown-field",
        "unknown-field-and-other-error",
        "pool-id",
        "pool-id-and-request-id",
        "username",
        "metadata-key",
        "metadata-value",
        "email-with-bad-sub",
    ],
)
def test_an_email_anywhere_in_a_refused_request_is_never_echoed(raw: dict[str, Any]) -> None:
    parsed = parse_request(raw)

    assert isinstance(parsed, InvalidRequest)
    assert EMAIL_IN_THE_WRONG_PLACE not in repr(parsed)
    assert EMAIL_IN_THE_WRONG_PLACE not in parsed.detail


def test_unknown_fields_are_counted_not_named_and_a_miscased_field_is_named() -> None:
    parsed = parse_request({"username": "alice", "a@example.com": 1, "dryrun": True, "token": "t"})

    assert isinstance(parsed, InvalidRequest)
    assert parsed.errors == (
        "dryrun: unknown field",
        "request: 2 unknown fields (allowed: username, email, sub, userPoolId, clientMetadata, globalSignOut, "
        "requestId, dryRun, force, runId, holdModifiedSince, excludeGroups)",
    )


def test_a_field_name_that_only_looks_like_a_miscased_field_is_not_named() -> None:
    # U+017F (long s) case-folds to "s": long s followed by "ub" could pass for "sub" in a case-insensitive comparison.
    parsed = parse_request({"username": "alice", "\u017fub": "x", "USERNAME\u200b": "y"})

    assert isinstance(parsed, InvalidRequest)
    assert parsed.errors == (
        "request: 2 unknown fields (allowed: username, email, sub, userPoolId, clientMetadata, globalSignOut, "
        "requestId, dryRun, force, runId, holdModifiedSince, excludeGroups)",
    )


def test_every_error_of_a_request_is_reported_in_field_order_then_the_unknown_fields() -> None:
    parsed = parse_request({"zz": 1, "username": "", "clientMetadata": {"locale": "?"}, "globalSignOut": 3})

    assert isinstance(parsed, InvalidRequest)
    assert [error.split(":")[0] for error in parsed.errors] == [
        "username",
        "clientMetadata.locale",
        "globalSignOut",
        "request",
    ]


def test_a_malformed_envelope_names_its_fields_and_nothing_inside_them() -> None:
    event = eventbridge([EMAIL_IN_THE_WRONG_PLACE])
    event["resources"] = [EMAIL_IN_THE_WRONG_PLACE, 7]
    event["time"] = EMAIL_IN_THE_WRONG_PLACE

    invocation = parse_invocation(event)

    assert isinstance(invocation, SingleInvocation)
    assert isinstance(invocation.request, InvalidRequest)
    assert invocation.request.errors == (
        "detail: missing or malformed EventBridge field",
        "resources: missing or malformed EventBridge field",
        "time: missing or malformed EventBridge field",
    )


def test_the_detail_of_a_well_formed_envelope_is_checked_like_any_request() -> None:
    invocation = parse_invocation(eventbridge({"username": "alice", "\ud800" + EMAIL_IN_THE_WRONG_PLACE: 1}))

    assert isinstance(invocation, SingleInvocation)
    assert isinstance(invocation.request, InvalidRequest)
    assert invocation.request.errors[0].startswith("request: 1 unknown field (allowed: ")


def recipe(request: object) -> str:
    """The reference recipe of request_reference's docstring, as an operator would run it."""
    canonical = json.dumps(request, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


def test_a_refused_request_carries_a_stable_reference_an_operator_can_recompute() -> None:
    raw = {"username": "alice", "userPoolId": EMAIL_IN_THE_WRONG_PLACE, "clientMetadata": {"b": "2", "a": "1"}}
    reordered = {"clientMetadata": {"a": "1", "b": "2"}, "userPoolId": EMAIL_IN_THE_WRONG_PLACE, "username": "alice"}

    first, again, same_content = parse_request(raw), parse_request(dict(raw)), parse_request(reordered)

    assert isinstance(first, InvalidRequest)
    assert isinstance(again, InvalidRequest)
    assert isinstance(same_content, InvalidRequest)
    assert first.reference == again.reference == same_content.reference == recipe(raw)
    assert first.reference is not None
    assert len(first.reference) == 16
    assert int(first.reference, 16) >= 0


def test_different_refused_requests_have_different_references() -> None:
    requests = [
        {"username": "alice", "userPoolId": "bad"},
        {"username": "alice", "userPoolId": "bad2"},
        {"username": "bob", "userPoolId": "bad"},
        {"username": "alice", "userPoolId": "bad", "requestId": "r 1"},
        {"username": "\ud800"},
        {"username": "\udfff"},
        ["alice"],
        "alice",
        None,
    ]

    references = [parse_request(raw) for raw in requests]

    assert all(isinstance(parsed, InvalidRequest) for parsed in references)
    found = [parsed.reference for parsed in references if isinstance(parsed, InvalidRequest)]
    assert found == [recipe(raw) for raw in requests]
    assert len(set(found)) == len(requests)


def test_each_shape_references_what_the_caller_wrote() -> None:
    item, defaults = {"username": "bad name"}, {"clientMetadata": {"reason": "policy_rotation"}}
    detail = {"username": "alice", "requestId": "r 1"}
    bad_envelope = eventbridge(detail, detail_type="Something Else")
    bad_items = {"Items": "alice", "BatchInput": defaults}

    batch = parse_invocation({"Items": [item], "BatchInput": defaults})
    from_eventbridge = parse_invocation(eventbridge(detail))
    other_detail_type = parse_invocation(bad_envelope)
    malformed_batch = parse_invocation(bad_items)

    assert isinstance(batch, BatchInvocation)
    assert isinstance(from_eventbridge, SingleInvocation)
    assert isinstance(other_detail_type, SingleInvocation)
    assert isinstance(malformed_batch, SingleInvocation)
    references = [
        batch.requests[0],
        from_eventbridge.request,
        other_detail_type.request,
        malformed_batch.request,
    ]
    assert [getattr(parsed, "reference", None) for parsed in references] == [
        recipe(item),  # the item as it stands in Items, without BatchInput
        recipe(detail),  # the event's detail, not its envelope (whose id and time change on every put)
        recipe(bad_envelope),  # no request to read: the whole event
        recipe(bad_items),
    ]


def test_what_json_cannot_write_has_no_reference_and_still_no_crash() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]

    parsed = parse_request({"username": "alice", "clientMetadata": deep, "x": {1: "not json", "a": 2}})

    assert isinstance(parsed, InvalidRequest)
    assert parsed.reference is None
    assert [error.split(":")[0] for error in parsed.errors] == ["clientMetadata", "request"]
