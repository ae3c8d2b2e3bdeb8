"""How long the real DynamoDBDeduplicator remembers an attempt, read from the table served by moto over HTTP: a bulk
run's reset for as long as the run can be redriven, a single request's for the cooldown; forgetting a run's record
deletes it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

import pytest

from contracts.bulk import RUN_MEMORY_SECONDS
from local_aws.server import LocalAws
from reset_password.dedupe import Attempt, DynamoDBDeduplicator, Memory, dedupe_key
from tests.lambda_context import LambdaContext

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext

TABLE = "reset-dedupe"
COOLDOWN_SECONDS = 600
SLACK_SECONDS = 60
RUN_KEY = dedupe_key("eu-west-1_TestPool1", "00000000-0000-4000-8000-000000000000", None, "r1")
SINGLE_KEY = dedupe_key("eu-west-1_TestPool1", "00000000-0000-4000-8000-000000000000", None)


@pytest.fixture
def dynamodb(aws: LocalAws) -> Any:
    client = aws.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


@pytest.fixture
def dedupe(dynamodb: Any) -> DynamoDBDeduplicator:
    deduplicator = DynamoDBDeduplicator(TABLE, COOLDOWN_SECONDS, dynamodb)
    deduplicator.register_invocation(
        cast("PowertoolsContext", LambdaContext())
    )  # as the handler does on every invocation
    return deduplicator


def reset(origin: str) -> Attempt:
    return Attempt(confirmed=True, status_before="CONFIRMED", origin=origin)


def records(dynamodb: Any) -> list[dict[str, Any]]:
    return list(dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"])


def expiration(record: dict[str, Any]) -> int:
    """Powertools stores when a record expires as epoch seconds."""
    return int(record["expiration"]["N"])


def test_a_runs_reset_expires_when_the_run_can_no_longer_be_redriven(
    dedupe: DynamoDBDeduplicator, dynamodb: Any
) -> None:
    before = time.time()

    outcome = dedupe.once(RUN_KEY, lambda: reset("row-1"), Memory.RUN)

    (record,) = records(dynamodb)
    assert record["status"]["S"] == "COMPLETED"
    assert outcome.attempt == reset("row-1")
    assert before + RUN_MEMORY_SECONDS - SLACK_SECONDS <= expiration(record) <= time.time() + RUN_MEMORY_SECONDS
    assert expiration(record) - time.time() > 20 * 86_400  # three weeks, not the cooldown


def test_a_single_requests_reset_expires_after_the_cooldown(dedupe: DynamoDBDeduplicator, dynamodb: Any) -> None:
    before = time.time()

    dedupe.once(SINGLE_KEY, lambda: reset("single"), Memory.COOLDOWN)

    (record,) = records(dynamodb)
    assert before + COOLDOWN_SECONDS - SLACK_SECONDS <= expiration(record) <= time.time() + COOLDOWN_SECONDS


def test_a_remembered_runs_reset_is_replayed_not_run_again(dedupe: DynamoDBDeduplicator) -> None:
    ran: list[str] = []

    def attempt() -> Attempt:
        ran.append("called")
        return reset("row-1")

    first = dedupe.once(RUN_KEY, attempt, Memory.RUN)
    second = dedupe.once(RUN_KEY, attempt, Memory.RUN)

    assert (first.replayed, second.replayed, second.attempt) == (False, True, reset("row-1"))
    assert ran == ["called"]


def test_forgetting_a_runs_record_deletes_it_and_only_it(dedupe: DynamoDBDeduplicator, dynamodb: Any) -> None:
    dedupe.once(RUN_KEY, lambda: reset("row-1"), Memory.RUN)
    dedupe.once(SINGLE_KEY, lambda: reset("single"), Memory.COOLDOWN)
    assert len(records(dynamodb)) == 2

    dedupe.forget(RUN_KEY, Memory.RUN)

    (left,) = records(dynamodb)
    assert expiration(left) <= time.time() + COOLDOWN_SECONDS  # the single request's record stays
    again = dedupe.once(RUN_KEY, lambda: reset("row-1 again"), Memory.RUN)
    assert (again.replayed, again.attempt.origin) == (False, "row-1 again")
