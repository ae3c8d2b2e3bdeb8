"""The delivery events function's table calls (DynamoDBCounts) against DynamoDB over HTTP (moto): the run found by a
consistent read, each outcome counted once by one transaction, and the counters the CLI reads."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.delivery_events import counts_key, outcome_key, recipient_key
from delivery_events.counting import DynamoDBCounts
from local_aws.harness.server import LocalAws
from tests.integration.conftest import create_dedupe_table

TABLE = "dedupe"


@pytest.fixture
def dynamodb(aws: LocalAws) -> Any:
    return create_dedupe_table(aws.client("dynamodb"), TABLE)


def test_an_event_is_counted_once_into_its_runs_counter(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": recipient_key("zq9@mail.example")}, "run_id": {"S": "run-1"}})
    counts = DynamoDBCounts(TABLE, dynamodb)
    outcome = outcome_key("run-1", "Bounce", "zq9@mail.example")

    run = counts.run_of(recipient_key("ZQ9@mail.example"))
    first = counts.count_once(outcome, counts_key("run-1"), "bounced", outcome_expires=10, counts_expires=20)
    again = counts.count_once(outcome, counts_key("run-1"), "bounced", outcome_expires=10, counts_expires=20)
    other = counts.count_once(
        outcome_key("run-1", "Delivery", "zq9@mail.example"), counts_key("run-1"), "delivered", outcome_expires=10,
        counts_expires=30,
    )  # fmt: skip

    assert (run, first, again, other) == ("run-1", True, False, True)
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": counts_key("run-1")}})["Item"]
    assert (item["bounced"], item["delivered"], item["expiration"]) == ({"N": "1"}, {"N": "1"}, {"N": "30"})
    assert counts.run_of(recipient_key("nobody@mail.example")) is None
