"""SES's delivery, bounce and complaint events counted per bulk run (contracts.delivery_events): each recipient an event
names is looked up by the hash of its address, and an event about a recipient whose code a run sent adds one to that
run's counter, once per user and outcome: however often EventBridge or SES delivers the event, and whatever other
message reaches the same user (their own "Forgot password" after the run). So a run's counts are users. Events about
anyone else (a sign-up code, a single reset) are not a run's and are left alone. Nothing here keeps or returns an
address.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts.bulk import RUN_MEMORY_SECONDS
from contracts.delivery_events import (
    COUNTER,
    OUTCOME_MEMORY_SECONDS,
    RECIPIENTS,
    counts_key,
    outcome_key,
    recipient_key,
)


class CountsTable(Protocol):
    """The dedupe table as the counting sees it; DynamoDBCounts on AWS, an in-memory one in unit tests."""

    def run_of(self, recipient: str) -> str | None:
        """The run whose reset last sent a code to the address hashed as `recipient`, or None."""
        ...

    def count_once(self, outcome: str, counts: str, counter: str, *, outcome_expires: int, counts_expires: int) -> bool:
        """Remember `outcome` and add one to `counter` of the `counts` item, both or neither; False when `outcome` was
        counted already."""
        ...


@dataclass(frozen=True, slots=True)
class Tally:
    """What one SES event did: the event's type, how many of its recipients were counted and for which runs, how many
    were counted before (the event again, or another message to a user already counted), and how many belong to no
    run. Counts and run ids only."""

    event_type: str
    counted: Mapping[str, int] = field(default_factory=dict)  # by run id
    repeated: int = 0
    not_a_runs: int = 0

    def log_fields(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "counter": COUNTER.get(self.event_type),
            "counted": dict(self.counted),
            "repeated": self.repeated,
            "not_a_runs": self.not_a_runs,
        }


def recipients(detail: Mapping[str, Any]) -> Iterator[str]:
    """The addresses the event is about: the delivery's recipients, the bounced or complained recipients (SES Developer
    Guide, "Contents of event data that Amazon SES publishes"); the mail's destination where the record lists none."""
    where = RECIPIENTS.get(str(detail.get("eventType")))
    if where is None:
        return
    section, listed, address_field = where
    entries = _listed(detail.get(section), listed) or _listed(detail.get("mail"), "destination")
    for entry in entries:
        address = entry.get(address_field) if address_field and isinstance(entry, Mapping) else entry
        if isinstance(address, str) and address:
            yield address


def _listed(section: object, name: str) -> list[Any]:
    value = section.get(name) if isinstance(section, Mapping) else None
    return value if isinstance(value, list) else []


def count_event(detail: Mapping[str, Any], table: CountsTable, clock: Callable[[], float] = time.time) -> Tally:
    """Count one SES event record (an EventBridge event's detail) into the runs whose resets sent its messages."""
    event_type = str(detail.get("eventType"))
    counter = COUNTER.get(event_type)
    if counter is None:
        return Tally(event_type)
    counted: Counter[str] = Counter()
    repeated = not_a_runs = 0
    now = int(clock())
    for address in recipients(detail):
        run_id = table.run_of(recipient_key(address))
        if run_id is None:
            not_a_runs += 1
            continue
        if table.count_once(
            outcome_key(run_id, event_type, address),
            counts_key(run_id),
            counter,
            outcome_expires=now + OUTCOME_MEMORY_SECONDS,
            counts_expires=now + RUN_MEMORY_SECONDS,
        ):
            counted[run_id] += 1
        else:
            repeated += 1
    return Tally(event_type, dict(counted), repeated, not_a_runs)


class DynamoDBCounts:
    """The counting in the dedupe table (partition key `id`, TTL attribute `expiration`): a consistent GetItem for the
    run, and one transaction that puts the outcome's marker only if absent and ADDs to the run's counter. Errors other
    than an outcome counted before are raised: Lambda retries the event, which counts it once."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def run_of(self, recipient: str) -> str | None:
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": recipient}}, ConsistentRead=True, ProjectionExpression="run_id"
        ).get("Item")
        run_id = (item or {}).get("run_id", {}).get("S")
        return str(run_id) if run_id else None

    def count_once(self, outcome: str, counts: str, counter: str, *, outcome_expires: int, counts_expires: int) -> bool:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {"id": {"S": outcome}, "expiration": {"N": str(outcome_expires)}},
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"id": {"S": counts}},
                            "UpdateExpression": "ADD #counter :one SET #expiration = :expires",
                            "ExpressionAttributeNames": {"#counter": counter, "#expiration": "expiration"},
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":expires": {"N": str(counts_expires)}},
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True
