"""The ledger's real table (DynamoDBLedgerTable) on a DynamoDB table served by moto over HTTP: conditional writes as
DynamoDB evaluates them, how long each record is kept, and that the table holds no identifier."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from contracts.bulk import RUN_MEMORY_SECONDS
from local_aws.harness.server import LocalAws
from reset_password.ledger import (
    DynamoDBLedgerTable,
    Entry,
    Ledger,
    RunRecord,
    UserRecord,
    run_key,
    user_key,
)
from reset_password.retry import Deadline
from tests.integration.conftest import create_dedupe_table

TABLE = "reset-dedupe"
COOLDOWN_SECONDS = 600
LEASE_SECONDS = 30.0
POOL = "eu-west-1_TestPool1"
SUB = "00000000-0000-4000-8000-000000000000"
SLACK_SECONDS = 60
DEADLINE = Deadline(lambda: 60.0)


@pytest.fixture
def dynamodb(aws: LocalAws) -> Any:
    return create_dedupe_table(aws.client("dynamodb"), TABLE)


@pytest.fixture
def ledger(dynamodb: Any) -> Ledger:
    return Ledger(DynamoDBLedgerTable(TABLE, dynamodb), cooldown_seconds=COOLDOWN_SECONDS, lease_seconds=LEASE_SECONDS)


def records(dynamodb: Any) -> list[dict[str, Any]]:
    return list(dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"])


def a_claim(**fields: Any) -> UserRecord:
    defaults: dict[str, Any] = {
        "state": Entry.CLAIMED,
        "origin": "0123456789abcdef",
        "at": 0.0,
        "before_status": "RESET_REQUIRED",
        "before_modified": 1_796_402_127.537,
        "run_id": "breach-1",
        "request_ref": "fedcba9876543210",
    }
    return UserRecord(**(defaults | fields))


def test_a_claim_is_written_once_read_back_whole_and_settled_only_by_its_holder(ledger: Ledger) -> None:
    key = user_key(POOL, SUB)
    claim = ledger.claim(key, a_claim(), replacing=None, deadline=DEADLINE)
    assert claim is not None

    second = ledger.claim(key, a_claim(origin="another"), replacing=None, deadline=DEADLINE)
    stale = ledger.settle(key, UserRecord(**vars_of(claim, token="stale")), Entry.RESET, DEADLINE)
    read = ledger.user(key, DEADLINE)

    assert second is None  # the key is taken: DynamoDB's condition refused the write
    assert stale is None  # a writer that does not hold the claim cannot settle it
    assert read == claim  # times to the millisecond, the run id and the reference as written
    settled = ledger.settle(key, claim, Entry.RESET, DEADLINE)
    assert settled is not None
    assert ledger.user(key, DEADLINE) == settled
    assert (settled.state, settled.lease_until, settled.at) == (Entry.RESET, 0.0, claim.at)


def vars_of(record: UserRecord, **changes: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__} | changes


def test_a_release_by_another_holder_deletes_nothing(ledger: Ledger, dynamodb: Any) -> None:
    key = user_key(POOL, SUB)
    claim = ledger.claim(key, a_claim(), replacing=None, deadline=DEADLINE)
    assert claim is not None

    ledger.release(key, UserRecord(**vars_of(claim, token="someone-else")), DEADLINE)
    assert len(records(dynamodb)) == 1
    ledger.release(key, claim, DEADLINE)
    assert records(dynamodb) == []


def test_each_record_expires_when_it_can_no_longer_matter(ledger: Ledger, dynamodb: Any) -> None:
    before = time.time()
    claim = ledger.claim(user_key(POOL, SUB), a_claim(), replacing=None, deadline=DEADLINE)
    assert claim is not None
    ledger.remember_run(run_key(POOL, SUB, "breach-1"), RunRecord(Entry.RESET, claim.origin, claim.at), DEADLINE)

    expiry = {item["id"]["S"]: int(item["expiration"]["N"]) for item in records(dynamodb)}

    # The user's record: the window, and at least an hour to recognise a retry (ledger.RETRY_MEMORY_SECONDS).
    user_expiry = expiry[user_key(POOL, SUB)]
    assert before + ledger.kept_seconds - SLACK_SECONDS <= user_expiry <= time.time() + ledger.kept_seconds + 1
    assert ledger.kept_seconds == 3600 > COOLDOWN_SECONDS
    # The run's record: as long as the run can be redriven.
    run_expiry = expiry[run_key(POOL, SUB, "breach-1")]
    assert before + RUN_MEMORY_SECONDS - SLACK_SECONDS <= run_expiry <= time.time() + RUN_MEMORY_SECONDS
    remembered = ledger.run(run_key(POOL, SUB, "breach-1"), DEADLINE)
    assert remembered is not None
    assert remembered.origin == claim.origin


def test_a_runs_record_is_kept_once_the_first_row_that_did_it_stays(ledger: Ledger) -> None:
    key = run_key(POOL, SUB, "breach-1")
    ledger.remember_run(key, RunRecord(Entry.RESET, "row-3", time.time()), DEADLINE)
    ledger.remember_run(key, RunRecord(Entry.UNCONFIRMED, "row-9", time.time()), DEADLINE)

    remembered = ledger.run(key, DEADLINE)
    assert remembered is not None
    assert (remembered.state, remembered.origin) == (Entry.RESET, "row-3")


def test_the_table_holds_no_identifier(ledger: Ledger, dynamodb: Any) -> None:
    ledger.claim(user_key(POOL, SUB), a_claim(), replacing=None, deadline=DEADLINE)

    stored = json.dumps(records(dynamodb))
    assert SUB not in stored
    assert POOL not in stored
