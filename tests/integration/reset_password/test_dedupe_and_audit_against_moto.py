"""Dedupe on a real DynamoDB table and the audit trail on a real event bus, both served by moto over HTTP."""

from __future__ import annotations

import json

import pytest

from contracts import environment as env
from contracts.events import AUDIT_SOURCE, RESET_COMPLETED, RESET_FAILED
from local_aws.harness.pool import add_user, user_status
from reset_password.outcomes import TransientResetError
from tests.cognito_faults import CognitoFaults
from tests.integration.reset_password.conftest import Deployment


@pytest.fixture
def idempotency_table(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> str:
    dynamodb = deployment.aws.client("dynamodb")
    dynamodb.create_table(
        TableName="reset-dedupe",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv(env.IDEMPOTENCY_TABLE_NAME, "reset-dedupe")
    monkeypatch.setenv(env.COOLDOWN_SECONDS, "600")
    return "reset-dedupe"


@pytest.fixture
def audit_queue(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> str:
    """The audit bus, with a rule that copies every audit event into a queue the test can read."""
    events, sqs = deployment.aws.client("events"), deployment.aws.client("sqs")
    events.create_event_bus(Name="reset-audit")
    queue_url = sqs.create_queue(QueueName="audit-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-audit", EventBusName="reset-audit", EventPattern=json.dumps({"source": [AUDIT_SOURCE]}))
    events.put_targets(Rule="all-audit", EventBusName="reset-audit", Targets=[{"Id": "q", "Arn": queue_arn}])
    monkeypatch.setenv(env.AUDIT_EVENT_BUS_NAME, "reset-audit")
    return str(queue_url)


def test_a_second_request_inside_the_cooldown_is_skipped(deployment: Deployment, idempotency_table: str) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")

    first = deployment.invoke({"username": "alice"})
    deployment.cognito.admin_set_user_password(  # the user completes the reset...
        UserPoolId=deployment.pool_id, Username="alice", Password="New-Passw0rd!", Permanent=True
    )
    second = deployment.invoke({"email": "alice@example.com"})  # ...and a second finding names them again

    assert (first["status"], first["duplicate"]) == ("reset", False)
    assert (second["status"], second["duplicate"], second["username"]) == ("skipped", True, "alice")
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "CONFIRMED"  # no second reset
    stored = deployment.aws.client("dynamodb").scan(TableName=idempotency_table)["Items"]
    assert len(stored) == 1
    assert "alice" not in json.dumps(stored)


def test_a_failed_attempt_does_not_block_the_next_one(deployment: Deployment, idempotency_table: str) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com", enabled=False)
    assert deployment.invoke({"username": "alice"})["reason"] == "USER_DISABLED"

    deployment.cognito.admin_enable_user(UserPoolId=deployment.pool_id, Username="alice")

    assert deployment.invoke({"username": "alice"})["status"] == "reset"


def test_a_transient_failure_leaves_no_claim_behind(
    deployment: Deployment, idempotency_table: str, faults: CognitoFaults
) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    faults.error("TooManyRequestsException", times=5)
    with pytest.raises(TransientResetError):
        deployment.invoke({"username": "alice"})

    retried = deployment.invoke({"username": "alice"})

    assert (retried["status"], retried["duplicate"]) == ("reset", False)
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "RESET_REQUIRED"


def test_audit_events_name_the_outcome_but_carry_no_metadata_values(deployment: Deployment, audit_queue: str) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    metadata = {"reason": "security_incident", "reference": "SEC-4211", "locale": "de-AT"}

    deployment.invoke({"username": "alice", "clientMetadata": metadata, "requestId": "sec-4211-alice"})
    deployment.invoke({"username": "ghost", "clientMetadata": metadata})

    messages = deployment.aws.client("sqs").receive_message(QueueUrl=audit_queue, MaxNumberOfMessages=10)["Messages"]
    events = sorted((json.loads(m["Body"]) for m in messages), key=lambda e: e["detail"]["username"])
    assert [(e["detail-type"], e["detail"]["username"], e["detail"]["status"]) for e in events] == [
        (RESET_COMPLETED, "alice", "reset"),
        (RESET_FAILED, "ghost", "failed"),
    ]
    assert events[1]["detail"]["reason"] == "USER_NOT_FOUND"
    assert events[0]["detail"]["clientMetadataKeys"] == ["locale", "reason", "reference"]
    body = json.dumps(events)
    assert "SEC-4211" not in body
    assert "security_incident" not in body
