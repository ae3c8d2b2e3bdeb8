"""The entry point end to end over fakes: result shapes, one log line and one metric per outcome, no PII out."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from contracts.events import RESET_REQUESTED
from contracts.telemetry import AUDIT_EVENT_FAILED, RESET_FAILED, RESET_SUCCEEDED, RESET_TRANSIENT_ERROR
from reset_password import handler
from reset_password.directory import DirectoryUser
from reset_password.logic import ResetDependencies
from reset_password.outcomes import TransientResetError, UnclassifiedResetError
from reset_password.requests import request_reference
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL
from tests.unit.reset_password.fakes import FakeCognito, FakeUser, RecordingAuditTrail

PII = ("alice", "alice@example.com", "SEC-4211", "de-AT", "sec-4211-alice")


@pytest.fixture
def output(capsys: pytest.CaptureFixture[str]) -> Any:
    """Everything the function writes to stdout (log lines and EMF metrics), as parsed JSON lines."""

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]

    return lines


@pytest.fixture
def invoke(deps: ResetDependencies, output: Any) -> Any:
    lambda_handler = handler.build_handler(lambda: deps)

    def run(event: object) -> tuple[Any, list[dict[str, Any]]]:
        output()
        result = lambda_handler(event, LambdaContext())
        return result, output()

    return run


def outcome_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("message") == "password reset outcome"]


def metric_names(lines: list[dict[str, Any]]) -> list[str]:
    return [m["Name"] for line in lines if "_aws" in line for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]]


def test_a_direct_request_returns_the_result_contract(invoke: Any, alice: FakeUser) -> None:
    result, _ = invoke({"username": "alice", "requestId": "sec-4211-alice"})

    assert result == {
        "username": "alice",
        "userPoolId": POOL,
        "status": "reset",
        "reason": None,
        "signedOut": False,
        "duplicate": False,
        "requestId": "sec-4211-alice",
        "detail": None,
        "replayed": False,
        "reference": None,
        "forced": False,
        "lastReset": None,
    }


def test_each_outcome_is_one_log_line_and_one_metric_without_pii(invoke: Any, alice: FakeUser) -> None:
    event = {
        "username": "alice",
        "requestId": "sec-4211-alice",
        "clientMetadata": {"reason": "security_incident", "locale": "de-AT", "reference": "SEC-4211"},
    }
    _, lines = invoke(event)

    (line,) = outcome_lines(lines)
    assert (line["status"], line["user_pool_id"], line["source"]) == ("reset", POOL, "direct")
    assert len(line["user_ref"]) == len(line["request_ref"]) == 16
    assert metric_names(lines) == [RESET_SUCCEEDED]
    output = json.dumps(lines)
    for value in PII:
        assert value not in output


def test_a_failure_is_counted_by_reason(invoke: Any) -> None:
    result, lines = invoke({"email": "alice@example.com"})

    assert (result["status"], result["reason"]) == ("failed", "USER_NOT_FOUND")
    failed = [line for line in lines if "_aws" in line and RESET_FAILED in line]
    assert failed[0]["Reason"] == "USER_NOT_FOUND"
    assert "alice@example.com" not in json.dumps(lines)


def test_an_eventbridge_event_is_handled_and_audited(invoke: Any, alice: FakeUser, audit: RecordingAuditTrail) -> None:
    event = {
        "version": "0",
        "id": "1",
        "detail-type": RESET_REQUESTED,
        "source": "acme.siem",
        "account": "111122223333",
        "time": "2026-11-23T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {"username": "alice", "clientMetadata": {"reason": "security_incident", "reference": "SEC-4211"}},
    }

    result, lines = invoke(event)

    assert result["status"] == "reset"
    assert outcome_lines(lines)[0]["source"] == "eventbridge"
    assert audit.events == [
        {
            "userPoolId": POOL,
            "username": "alice",
            "status": "reset",
            "reason": None,
            "signedOut": False,
            "duplicate": False,
            "requestId": None,
            "replayed": False,
            "reference": None,
            "forced": False,
            "lastReset": None,
            "clientMetadataKeys": ["reason", "reference"],
        }
    ]
    assert "SEC-4211" not in json.dumps(audit.events)


def test_a_batch_returns_results_in_item_order_with_counts(invoke: Any, cognito: FakeCognito, alice: FakeUser) -> None:
    cognito.add_user(POOL, "bob", attributes={"email_verified": "false"})
    event = {
        "BatchInput": {"clientMetadata": {"reason": "policy_rotation"}},
        "Items": [
            {"username": "alice"},
            {"username": "bob"},
            {"username": "ghost"},
            {"user": "x"},
            {"username": "alice"},
        ],
    }

    result, lines = invoke(event)

    assert [(r["username"], r["status"], r["reason"]) for r in result["results"]] == [
        ("alice", "reset", None),
        ("bob", "failed", "NO_VERIFIED_CONTACT"),
        ("ghost", "failed", "USER_NOT_FOUND"),
        (None, "failed", "INVALID_REQUEST"),
        ("alice", "reset", None),  # the same request again: what happened to alice in this run, not sent again
    ]
    assert [r["replayed"] for r in result["results"]] == [False, False, False, False, True]
    assert result["counts"] == {"reset": 2, "failed": 3}
    assert len(outcome_lines(lines)) == 5
    assert alice.codes_sent == [{"reason": "policy_rotation"}]


def test_a_transient_failure_raises_is_logged_and_counted(
    invoke: Any, cognito: FakeCognito, alice: FakeUser, output: Any
) -> None:
    cognito.fail("reset_password", "TooManyRequestsException", times=10)

    with pytest.raises(TransientResetError):
        invoke({"username": "alice"})

    lines = output()
    assert any(line.get("error_type") == "TransientResetError" for line in lines)
    assert RESET_TRANSIENT_ERROR in metric_names(lines)


def test_an_audit_failure_does_not_undo_the_reset(invoke: Any, alice: FakeUser, audit: RecordingAuditTrail) -> None:
    audit.fail_with = RuntimeError("bus down")

    result, lines = invoke({"username": "alice"})

    assert result["status"] == "reset"
    assert alice.status == "RESET_REQUIRED"
    assert AUDIT_EVENT_FAILED in metric_names(lines)


def test_garbage_is_an_invalid_request_not_a_crash(invoke: Any) -> None:
    result, _ = invoke(["not", "an", "object"])

    assert (result["status"], result["reason"], result["detail"]) == (
        "failed",
        "INVALID_REQUEST",
        "request: must be a JSON object",
    )


@pytest.mark.parametrize(
    ("event", "reason", "detail"),
    [
        (
            {"email": "alice@example.com", "requestId": "sec-4211-alice"},
            "USER_NOT_FOUND",
            "no user in the pool has that email",
        ),
        (
            {
                "username": "alice",
                "globalSignout": True,
                "clientMetadata": {"locale": "de-AT", "reference": "SEC-4211\n"},
            },
            "INVALID_REQUEST",
            "clientMetadata.reference: must be 1-128 printable characters; globalSignout: unknown field",
        ),
    ],
    ids=["user-not-found", "invalid-request"],
)
def test_a_failed_outcome_line_says_why_in_words_without_request_values(
    invoke: Any, event: dict[str, Any], reason: str, detail: str
) -> None:
    result, lines = invoke(event)

    (line,) = outcome_lines(lines)
    assert (line["status"], line["reason"], line["detail"]) == ("failed", reason, detail)
    assert line["detail"] == result["detail"]
    for value in PII:
        assert value not in json.dumps(line)


def test_a_refused_request_is_found_by_its_hashed_reference_never_by_its_values(invoke: Any) -> None:
    raw = {"username": "alice@example.com", "userPoolId": "alice@example.com", "dryRun": "maybe"}

    result, lines = invoke(raw)

    (line,) = outcome_lines(lines)
    assert result["reference"] == request_reference(raw) == line["request_ref"]
    assert (result["username"], result["userPoolId"], line.get("user_pool_id")) == (None, None, None)
    assert "alice@example.com" not in json.dumps([result, *lines])


def test_an_error_from_outside_the_rules_leaves_the_function_as_unclassified(
    deps: ResetDependencies, alice: FakeUser, output: Any
) -> None:
    class BrokenDirectory(FakeCognito):
        def get_user(self, user_pool_id: str, username: str) -> DirectoryUser:
            raise KeyError("a bug, or a library's error nobody classified")

    lambda_handler = handler.build_handler(lambda: replace(deps, directory=BrokenDirectory()))

    with pytest.raises(UnclassifiedResetError, match="KeyError"):
        lambda_handler({"username": "alice"}, LambdaContext())
    assert "ResetUnclassifiedError" in metric_names(output())
