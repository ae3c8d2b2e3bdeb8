"""The storm cap's real counter (DynamoDBCapTable) on a DynamoDB table served by moto over HTTP: the conditional ADD
as DynamoDB evaluates it, the hour's buckets read back in one call, and containers racing for the last slots."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from contracts.environment import CAP_KEY_PREFIX
from local_aws.harness.server import LocalAws
from reset_password.reset_cap import BUCKET_SECONDS, HOUR_SECONDS, DynamoDBCapTable, ResetCap
from tests.integration.conftest import create_dedupe_table

TABLE = "reset-dedupe"
START = 1_800_000_000.0


@pytest.fixture
def dynamodb(aws: LocalAws) -> Any:
    return create_dedupe_table(aws.client("dynamodb"), TABLE)


def test_the_hour_is_counted_across_buckets_and_frees_up_as_it_slides(dynamodb: Any) -> None:
    now = [START]
    cap = ResetCap(DynamoDBCapTable(TABLE, dynamodb), per_hour=3, clock=lambda: now[0])

    first = [cap.take(), cap.take()]
    now[0] += 20 * 60  # another bucket, the same hour
    second = [cap.take(), cap.take()]
    now[0] += HOUR_SECONDS - 20 * 60 + BUCKET_SECONDS  # the first bucket has left the hour, the second not yet
    third = [cap.take(), cap.take(), cap.take()]

    assert (first, second, third) == ([True, True], [True, False], [True, True, False])
    items = dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    assert all(item["id"]["S"].startswith(CAP_KEY_PREFIX) for item in items)
    assert sorted(int(item["n"]["N"]) for item in items) == [1, 2, 2]  # counts only: no user, no request
    assert all(int(item["expiration"]["N"]) > START for item in items)


def test_containers_racing_for_the_last_slots_take_exactly_the_cap(aws: LocalAws, dynamodb: Any) -> None:
    taken: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def container() -> None:
        cap = ResetCap(DynamoDBCapTable(TABLE, aws.client("dynamodb")), per_hour=25, clock=lambda: START)
        start.wait()
        for _ in range(10):
            answer = cap.take()
            with lock:
                taken.append(answer)

    threads = [threading.Thread(target=container) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert taken.count(True) == 25
    [bucket] = dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    assert bucket["n"]["N"] == "25"
