"""The storm cap: how many resets the event path may send in any rolling hour, across every container.

A reset locks its user out until they act, and the event path is where an integration's credentials can ask for one:
a compromised SIEM connector could otherwise reset the whole pool. So each code an event is about to send takes one
slot of the hour first, and past the cap the request is answered `failed` (RESET_CAP_REACHED), with nothing sent.
Bulk runs are not counted: an operator starts them deliberately, and their own rate budget and size check bound them.

One shared counter, in the dedupe table, in buckets of BUCKET_SECONDS: a slot is taken by one conditional UpdateItem
on the current bucket (ADD 1, only while the bucket is below the room the earlier buckets of the hour leave), so two
containers can never both take the last slot. The hour counted is the current bucket and the twelve before it: at least
the last 60 minutes (at most 65), so no 60-minute span ever holds more than the cap. The buckets before the current one
are read strongly consistent (DynamoDB Developer Guide, "Read consistency"); one still taking a slot in the bucket that
just closed while another container reads it can put the cap over by at most the requests in flight at that boundary.

A slot is taken after the user's claim and before the call, and kept whatever happens next: a crash or a lost answer
counts a code that may not have gone out, never the other way round. A retry that replays its earlier answer takes
none; a retry that has to call Cognito again takes another.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from contracts.environment import CAP_KEY_PREFIX
from reset_password.ledger import LedgerUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HOUR_SECONDS: Final = 3600
BUCKET_SECONDS: Final = 300
EARLIER_BUCKETS: Final = HOUR_SECONDS // BUCKET_SECONDS  # the current bucket and these cover at least the last hour
COUNT: Final = "n"


def bucket_key(start: int) -> str:
    return f"{CAP_KEY_PREFIX}{start}"


class CapTable(Protocol):
    """The counter's buckets in a table; `DynamoDBCapTable` on AWS, an in-memory one in unit tests. Both methods raise
    LedgerUnavailable when the table fails."""

    def counts(self, keys: Sequence[str]) -> Mapping[str, int]:
        """The buckets' counts, read strongly consistent; a bucket never written is absent."""
        ...

    def take_below(self, key: str, limit: int, expires: int) -> bool:
        """Add one to the bucket only while its count is below `limit` (an absent bucket counts 0); False when full."""
        ...


@dataclass(frozen=True, slots=True)
class ResetCap:
    table: CapTable
    per_hour: int
    clock: Callable[[], float] = time.time

    def take(self) -> bool:
        """One slot of the rolling hour for a code about to be sent; False when the hour is full (nothing taken)."""
        current = math.floor(self.clock() / BUCKET_SECONDS) * BUCKET_SECONDS
        earlier = [bucket_key(current - BUCKET_SECONDS * back) for back in range(1, EARLIER_BUCKETS + 1)]
        room = self.per_hour - sum(self.table.counts(earlier).values())
        if room <= 0:
            return False
        # Kept until the last hour that counts it has passed, then left to the table's TTL.
        expires = current + HOUR_SECONDS + 2 * BUCKET_SECONDS
        return self.table.take_below(bucket_key(current), room, expires)


class DynamoDBCapTable:
    """The buckets in the dedupe table: one BatchGetItem (consistent) and one conditional UpdateItem per slot."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._client = client

    def counts(self, keys: Sequence[str]) -> Mapping[str, int]:
        wanted: dict[str, Any] = {self._table: {"Keys": [{"id": {"S": key}} for key in keys], "ConsistentRead": True}}
        found: dict[str, int] = {}
        # BatchGetItem may leave keys unprocessed under load (API Reference, BatchGetItem): ask again for those.
        for _ in range(3):
            try:
                answer = self._client.batch_get_item(RequestItems=wanted)
            except Exception as error:
                raise LedgerUnavailable(type(error).__name__) from error
            for item in answer.get("Responses", {}).get(self._table, []):
                found[item["id"]["S"]] = int(item.get(COUNT, {}).get("N", "0"))
            wanted = dict(answer.get("UnprocessedKeys") or {})
            if not wanted:
                return found
        raise LedgerUnavailable("the storm cap's buckets could not all be read")

    def take_below(self, key: str, limit: int, expires: int) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"id": {"S": key}},
                UpdateExpression="ADD #n :one SET #expiration = :expires",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": COUNT, "#expiration": "expiration"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(expires)},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        except Exception as error:
            raise LedgerUnavailable(type(error).__name__) from error
        return True
