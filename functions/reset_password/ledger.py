"""One code per user per cooldown window, whatever path a request comes by: the ledger of who was reset, when, and by
which request.

The ledger's records live in the dedupe table (partition key `id`, TTL attribute `expiration`). None holds a
username, an e-mail, a requestId or a metadata value: keys and origins are hashes, and a run id is an execution name.

- **The user's record** (pool + sub). An attempt *claims* it before it calls Cognito, writing what the user looked like
  before the call (status and UserLastModifiedDate) and how long it may still be calling (its lease). What came of the
  attempt replaces the claim: `reset` (Cognito acted) or `unconfirmed` (a fault hid whether it did, and the pool could
  not tell). The record is the cooldown: inside the window a new request for the user is `skipped`; the same request
  again (same origin) replays its result. A claim outlives its invocation: a crash, a timeout or a failed write leaves
  it, and a later attempt that finds it never calls Cognito before the pool says whether the earlier one acted.
- **The run's record** (pool + sub + run id): what a bulk run did to the user, kept as long as the run can be redriven
  (contracts.bulk.RUN_MEMORY_SECONDS), so a redrive or a batch retry long after the window never resets a user again.
- **The run's halt** (run id): written by the batch that meets the pool's delivery limit, read by the run's other
  batches, which then start nothing (handler.RunHalt; contracts.bulk.RUN_HALT_SECONDS).

The same table also keeps, for SES's delivery events, which run sent a code to a hashed address and the run's counts
(deliveries.py, contracts.delivery_events): hashes, run ids and counts only.

Every write of a user's record is conditional on the token its writer last read (or on the record's absence): two
invocations can never both believe they hold a claim. DynamoDB's TTL deletes expired items late (within days), so
expiry is also judged from the record's own times, never from its absence alone.

Powertools' idempotency utility is not used here on purpose: it lets an in-progress record expire with the invocation
(a crashed attempt's claim vanishes, and the retry sends a second code) and deletes the record when the function
raises, which is exactly the moment the claim must stay.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from contracts.bulk import (
    HALT_CAUSE,
    HALT_KEY_PREFIX,
    HALTED_AT_DELIVERY_LIMIT,
    RUN_HALT_SECONDS,
    RUN_MEMORY_SECONDS,
    STOPPED_BY_OPERATOR,
)
from contracts.cognito import RESET_REQUIRED
from reset_password.retry import Deadline

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")

# How long a finished record is kept for a retry of the same request, even with the cooldown window off: the
# single-reset workflow's retries take at most 2,196 s (infra/workflows.py), an EventBridge event is retried for at most
# its target's maximum event age. An hour covers the workflow; past it, a retry is answered like a new request.
RETRY_MEMORY_SECONDS: Final = 3600
# The longest Cognito may still act on an AdminResetUserPassword after it was sent: it calls the CustomMessage trigger
# synchronously, waiting 5 seconds a try for 3 tries (Amazon Cognito Developer Guide, "Customizing user pool workflows
# with Lambda triggers"), before it changes the user. A claim's lease covers that beyond the client's own timeouts.
COGNITO_ACTING_SECONDS: Final = 15.0
LEASE_MARGIN_SECONDS: Final = 5.0


class LedgerUnavailable(Exception):  # noqa: N818 - a state of the table, named as the caller reads it
    """The table did not answer (or answered with an error): nothing can be known or remembered now."""


class Entry(StrEnum):
    CLAIMED = "claimed"  # an attempt may be calling Cognito (until lease_until), or died doing so
    RESET = "reset"  # Cognito reset the user
    UNCONFIRMED = "unconfirmed"  # a fault hid whether Cognito acted and the pool could not tell: never sent again


@dataclass(frozen=True, slots=True)
class UserRecord:
    """The user's record: a claim, or what came of one."""

    state: Entry
    origin: str  # which request (`origin`): the same request again is a retry
    at: float  # epoch seconds: when the claim that led here was taken (for `reset`: when the code was sent)
    lease_until: float = 0.0  # a claim's owner may call Cognito until then
    before_status: str = ""  # the user's status before the call
    before_modified: float | None = None  # the user's UserLastModifiedDate before the call (epoch seconds)
    run_id: str | None = None  # the bulk run that made it, if any
    request_ref: str | None = None  # a hash of the caller's requestId, if any (requests.request_reference's recipe)
    forced: bool = False  # an operator's explicit second reset inside the window
    # A claim that replaced a finished record (a forced reset, a reset after the window) keeps it: a claim given up
    # puts it back, and a dead claim whose call never acted leaves the window to it.
    prev_state: str | None = None
    prev_origin: str | None = None
    prev_at: float | None = None
    prev_run_id: str | None = None
    prev_request_ref: str | None = None
    prev_forced: bool = False
    token: str = ""  # changes with every write; a conditional write names the one it replaces

    @property
    def finished(self) -> bool:
        return self.state is not Entry.CLAIMED

    def previous(self) -> UserRecord | None:
        """The finished record this claim replaced, under this claim's token (a write replaces the claim)."""
        if not self.prev_state:
            return None
        return UserRecord(
            state=Entry(self.prev_state),
            origin=self.prev_origin or "",
            at=self.prev_at or 0.0,
            run_id=self.prev_run_id,
            request_ref=self.prev_request_ref,
            forced=self.prev_forced,
            token=self.token,
        )

    def carrying(self, previous: UserRecord | None) -> UserRecord:
        if previous is None:
            return replace(self, prev_state=None, prev_origin=None, prev_at=None, prev_run_id=None,
                           prev_request_ref=None, prev_forced=False)  # fmt: skip
        return replace(
            self,
            prev_state=previous.state.value,
            prev_origin=previous.origin,
            prev_at=previous.at,
            prev_run_id=previous.run_id,
            prev_request_ref=previous.request_ref,
            prev_forced=previous.forced,
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What a bulk run did to a user: `reset` or `unconfirmed`, and which row did it."""

    state: Entry
    origin: str
    at: float


class Verdict(Enum):
    """What the pool says about an earlier call whose answer was lost."""

    ACTED = "acted"
    NOT_ACTED = "not acted"
    UNKNOWN = "unknown"


def pool_verdict(
    *, before_status: str, before_modified: float | None, now_status: str, now_modified: float | None
) -> Verdict:
    """Did Cognito act on a call made while the user looked like `before`? AdminResetUserPassword changes the user
    (API Reference, AdminResetUserPassword: the user goes to RESET_REQUIRED and a code is sent; the user's
    UserLastModifiedDate moves with it, also for a user who was RESET_REQUIRED already). So an unchanged user was not
    reset, and a changed user now RESET_REQUIRED was. A change that ended anywhere else (the user chose a new password
    since, an administrator disabled them) cannot be told from a reset: UNKNOWN."""
    if before_modified is None or now_modified is None:
        # Without the times only a status change tells, and only for a user who was not RESET_REQUIRED already.
        if before_status != RESET_REQUIRED and now_status == RESET_REQUIRED:
            return Verdict.ACTED
        if before_status != RESET_REQUIRED and now_status == before_status:
            return Verdict.NOT_ACTED
        return Verdict.UNKNOWN
    if now_modified <= before_modified:
        return Verdict.NOT_ACTED if now_status == before_status else Verdict.UNKNOWN
    return Verdict.ACTED if now_status == RESET_REQUIRED else Verdict.UNKNOWN


def settled_state(verdict: Verdict) -> Entry:
    """What a claim becomes once the pool has spoken: reset, or unconfirmed when it could not tell."""
    return Entry.RESET if verdict is Verdict.ACTED else Entry.UNCONFIRMED


def _digest(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(part or "" for part in parts).encode()).hexdigest()


def user_key(user_pool_id: str, sub: str) -> str:
    """The user's record: one per user of a pool, whatever name a request uses (`alice`, `ALICE`, her e-mail, her
    sub)."""
    return _digest("user", user_pool_id, sub)


def run_key(user_pool_id: str, sub: str, run_id: str) -> str:
    return _digest("run", user_pool_id, sub, run_id)


def halt_key(run_id: str) -> str:
    """A bulk run's halt (`Ledger.halt`) or stop mark: one per run, whatever pool its rows name; its prefix is the
    only one the operators may write (contracts.bulk.HALT_KEY_PREFIX)."""
    return HALT_KEY_PREFIX + _digest("halt", run_id)


def origin(*parts: str | None) -> str:
    """A short hash that tells one request from another (`UserRecord.origin`)."""
    return _digest("origin", *parts)[:16]


class LedgerTable(Protocol):
    """Conditional reads and writes of one table; `DynamoDBLedgerTable` on AWS, an in-memory one in unit tests. Every
    method raises LedgerUnavailable when the table fails."""

    def read(self, key: str) -> dict[str, Any] | None:
        """The item, read strongly consistent (`token` included), or None."""
        ...

    def write(self, key: str, item: Mapping[str, Any], *, token: str, expires: int, replacing: str | None) -> bool:
        """Write the item with `token` and TTL `expires`, only if the key is absent (`replacing` None) or its token
        is `replacing`. False when the condition failed."""
        ...

    def delete(self, key: str, *, token: str) -> None:
        """Delete the item if its token is `token` (nothing when it is not)."""
        ...


@dataclass(slots=True)
class Ledger:
    """The ledger's rules over a table: what a record means at a given time, and how it is claimed and settled."""

    table: LedgerTable
    cooldown_seconds: int  # 0: the window is off; retries are still told from new requests
    lease_seconds: float  # how long a claim's owner may call Cognito after it (re)claims
    clock: Callable[[], float] = time.time
    retry_memory_seconds: int = RETRY_MEMORY_SECONDS
    run_memory_seconds: int = RUN_MEMORY_SECONDS
    # Each table call is tried this often while the invocation has time for one (`call_seconds`) and its reserve: a
    # fault of the table fails one call, not the item.
    attempts: int = 3
    call_seconds: float = 0.0
    reserve_seconds: float = 0.0
    new_token: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)

    @property
    def kept_seconds(self) -> int:
        """How long a user's record is kept: the window, and at least long enough to recognise a retry."""
        return max(self.cooldown_seconds, self.retry_memory_seconds)

    def user(self, key: str, deadline: Deadline) -> UserRecord | None:
        item = self._tried(deadline, lambda: self.table.read(key))
        if item is None:
            return None
        return UserRecord(
            state=Entry(str(item["state"])),
            origin=str(item.get("origin", "")),
            at=float(item.get("at", 0)),
            lease_until=float(item.get("lease_until", 0)),
            before_status=str(item.get("before_status", "")),
            before_modified=float(item["before_modified"]) if item.get("before_modified") is not None else None,
            run_id=str(item["run_id"]) if item.get("run_id") else None,
            request_ref=str(item["request_ref"]) if item.get("request_ref") else None,
            forced=bool(item.get("forced", False)),
            prev_state=str(item["prev_state"]) if item.get("prev_state") else None,
            prev_origin=str(item["prev_origin"]) if item.get("prev_origin") else None,
            prev_at=float(item["prev_at"]) if item.get("prev_at") is not None else None,
            prev_run_id=str(item["prev_run_id"]) if item.get("prev_run_id") else None,
            prev_request_ref=str(item["prev_request_ref"]) if item.get("prev_request_ref") else None,
            prev_forced=bool(item.get("prev_forced", False)),
            token=str(item.get("token", "")),
        )

    def run(self, key: str, deadline: Deadline) -> RunRecord | None:
        item = self._tried(deadline, lambda: self.table.read(key))
        if item is None or float(item.get("at", 0)) + self.run_memory_seconds <= self.clock():
            return None
        return RunRecord(state=Entry(str(item["state"])), origin=str(item.get("origin", "")), at=float(item["at"]))

    def blocks(self, record: UserRecord, request_origin: str) -> bool:
        """Whether a finished record still speaks for the user to a request of `request_origin`: to the same request
        (a retry) for as long as it is kept, to any other inside the cooldown window."""
        window = self.kept_seconds if record.origin == request_origin else self.cooldown_seconds
        return self.clock() < record.at + window

    def claim(self, key: str, record: UserRecord, *, replacing: str | None, deadline: Deadline) -> UserRecord | None:
        """Write a claim (its lease starts now); the claim as written, or None when another writer got there first."""
        now = self.clock()
        claim = replace(record, state=Entry.CLAIMED, at=now, lease_until=now + self.lease_seconds)
        return self._write(key, claim, replacing, deadline)

    def renew(self, key: str, claim: UserRecord, deadline: Deadline) -> UserRecord | None:
        """A held claim's lease from now on, before another call to Cognito; None when the claim is no longer ours."""
        return self._write(key, replace(claim, lease_until=self.clock() + self.lease_seconds), claim.token, deadline)

    def end_lease(self, key: str, claim: UserRecord, deadline: Deadline) -> UserRecord | None:
        """A held claim left for the next attempt to judge at once: its owner knows Cognito is done with its calls."""
        return self._write(key, replace(claim, lease_until=self.clock()), claim.token, deadline)

    def settle(self, key: str, record: UserRecord, state: Entry, deadline: Deadline) -> UserRecord | None:
        """What came of a claim, in place of it (its time stays the claim's)."""
        return self._write(key, replace(record, state=state, lease_until=0.0), record.token, deadline)

    def release(self, key: str, claim: UserRecord, deadline: Deadline) -> UserRecord | None:
        """Give up a claim that is known not to have reached Cognito: the record it replaced is put back (the
        returned record), or the claim is deleted."""
        previous = claim.previous()
        if previous is not None:
            return self._write(key, previous, claim.token, deadline)
        self._tried(deadline, lambda: self.table.delete(key, token=claim.token))
        return None

    def remember_run(self, key: str, record: RunRecord, deadline: Deadline) -> None:
        item = {"state": record.state.value, "origin": record.origin, "at": record.at}
        token, expires = self.new_token(), int(record.at) + self.run_memory_seconds
        # Kept once: a later row of the same run never replaces the row that did it.
        self._tried(deadline, lambda: self._written(key, item, token, expires, None))

    def halted_until(self, key: str, deadline: Deadline) -> float | None:
        """When the run's halt ends (epoch seconds), or None when it is not halted."""
        halt = self.halt_in_force(key, deadline)
        return halt[0] if halt is not None else None

    def halt_in_force(self, key: str, deadline: Deadline) -> tuple[float, str] | None:
        """The run's halt in force: when it ends (epoch seconds) and why (contracts.bulk.HALT_CAUSE); None when the
        run is not halted."""
        item = self._tried(deadline, lambda: self.table.read(key))
        until = float(item.get("until", 0)) if item is not None else 0.0
        if until <= self.clock() or item is None:
            return None
        return until, str(item.get(HALT_CAUSE) or HALTED_AT_DELIVERY_LIMIT)

    def stop(self, key: str, deadline: Deadline) -> None:
        """Mark the run stopped by its operator, for as long as the run is remembered: its batches start nothing more
        (whatever halt was there before is replaced)."""
        for _ in range(3):
            current = self._tried(deadline, lambda: self.table.read(key))
            now = self.clock()
            item = {"at": now, "until": now + self.run_memory_seconds, HALT_CAUSE: STOPPED_BY_OPERATOR}
            token, expires = self.new_token(), int(now + self.run_memory_seconds) + 1
            replacing = str(current.get("token", "")) if current is not None else None
            if self._tried(deadline, lambda: self._written(key, item, token, expires, replacing)):  # noqa: B023
                return
        raise LedgerUnavailable("the run's stop mark could not be written: another writer kept changing it")

    def lift_stop(self, key: str, deadline: Deadline) -> bool:
        """Take an operator's stop off the run (before it is redriven); False when it had none. A delivery-limit halt
        stays."""
        current = self._tried(deadline, lambda: self.table.read(key))
        if current is None or current.get(HALT_CAUSE) != STOPPED_BY_OPERATOR:
            return False
        self._tried(deadline, lambda: self.table.delete(key, token=str(current.get("token", ""))))
        return True

    def halt(self, key: str, deadline: Deadline) -> None:
        """Halt the run for RUN_HALT_SECONDS from now (a halt in force is renewed: the limit was met again). An
        operator's stop is never replaced by it."""
        for _ in range(2):
            current = self._tried(deadline, lambda: self.table.read(key))
            if current is not None and current.get(HALT_CAUSE) == STOPPED_BY_OPERATOR:
                return
            now = self.clock()
            item = {"at": now, "until": now + RUN_HALT_SECONDS, HALT_CAUSE: HALTED_AT_DELIVERY_LIMIT}
            token, expires = self.new_token(), int(now + RUN_HALT_SECONDS) + 1
            replacing = str(current.get("token", "")) if current is not None else None
            if self._tried(deadline, lambda: self._written(key, item, token, expires, replacing)):  # noqa: B023
                return
        # Another batch halted the run between the read and the write: the run is halted either way.

    def _write(self, key: str, record: UserRecord, replacing: str | None, deadline: Deadline) -> UserRecord | None:
        item = {name: value for name, value in asdict(record).items() if name != "token" and value is not None}
        item["state"] = record.state.value
        token, expires = self.new_token(), int(record.at) + self.kept_seconds + 1
        written = self._tried(deadline, lambda: self._written(key, item, token, expires, replacing))
        return replace(record, token=token) if written else None

    def _written(self, key: str, item: Mapping[str, Any], token: str, expires: int, replacing: str | None) -> bool:
        """One conditional write. When its answer is lost the record is read back: the write's own token there means
        it landed (every retry writes the same token, so a write that lands late changes nothing)."""
        try:
            return self.table.write(key, item, token=token, expires=expires, replacing=replacing)
        except LedgerUnavailable:
            current = self.table.read(key)
            if current is not None and current.get("token") == token:
                return True
            raise

    def _tried(self, deadline: Deadline, call: Callable[[], T]) -> T:
        for attempt in range(1, self.attempts + 1):
            if not deadline.allows(self.call_seconds + self.reserve_seconds):
                raise LedgerUnavailable("not enough of the invocation left for a call of the table")
            try:
                return call()
            except LedgerUnavailable:
                if attempt == self.attempts:
                    raise
        raise AssertionError("unreachable: attempts >= 1")


class DynamoDBLedgerTable:
    """The ledger's table in DynamoDB: GetItem (consistent), conditional PutItem and DeleteItem. One attempt per call
    (clients.py): a failure is LedgerUnavailable at once, and the caller decides."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._client = client

    def read(self, key: str) -> dict[str, Any] | None:
        try:
            answer = self._client.get_item(TableName=self._table, Key={"id": {"S": key}}, ConsistentRead=True)
        except Exception as error:
            raise LedgerUnavailable(type(error).__name__) from error
        item = answer.get("Item")
        return None if item is None else {name: _decoded(value) for name, value in item.items()}

    def write(self, key: str, item: Mapping[str, Any], *, token: str, expires: int, replacing: str | None) -> bool:
        encoded = {name: _encoded(value) for name, value in item.items()}
        encoded |= {"id": {"S": key}, "token": {"S": token}, "expiration": {"N": str(expires)}}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(id)"}
            if replacing is None
            else {
                "ConditionExpression": "#token = :token",
                "ExpressionAttributeNames": {"#token": "token"},
                "ExpressionAttributeValues": {":token": {"S": replacing}},
            }
        )
        try:
            self._client.put_item(TableName=self._table, Item=encoded, **condition)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        except Exception as error:
            raise LedgerUnavailable(type(error).__name__) from error
        return True

    def delete(self, key: str, *, token: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"id": {"S": key}},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return
        except Exception as error:
            raise LedgerUnavailable(type(error).__name__) from error


def _encoded(value: object) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": repr(float(value)) if isinstance(value, float) else str(value)}
    return {"S": str(value)}


def _decoded(value: Mapping[str, Any]) -> object:
    if "BOOL" in value:
        return bool(value["BOOL"])
    if "N" in value:
        return float(value["N"])
    return value.get("S")
