"""Exactly once per user: what an attempt to reset a user did is remembered for the cooldown window, keyed on the user.

Built on Powertools idempotency with DynamoDB, keyed on the business key: the pool, the user's `sub` and the caller's
requestId if any (never the event: EventBridge ids and Step Functions wrappers differ on every retry; never the name
as given: `alice`, `ALICE`, her e-mail alias and her sub are one user). The key is claimed before Cognito is called,
so a concurrent duplicate finds it in progress and never calls Cognito.

What is remembered is an `Attempt`: whether Cognito confirmed the reset, or its answer was lost and the pool could
not tell yet (then the next attempt reads the user's status before it sends anything), the user's status before the
call, and which request made it. An attempt that raises is not remembered (Powertools deletes the claim), so a
corrected retry goes through. The table keeps no username, no metadata. A replay is recognised by Powertools'
response hook. A claim whose invocation dies midway expires with the invocation, so Lambda's retry is not lost.

How long an attempt is remembered depends on what asked for it (`Memory`): a single request for the cooldown window;
a reset that belongs to a bulk run for as long as the run can be redriven (contracts.bulk.RUN_MEMORY_SECONDS), so a
redrive never resets a user twice while single requests keep their short cooldown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    BaseError as IdempotencyError,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer

from contracts.bulk import RUN_MEMORY_SECONDS
from reset_password.outcomes import TransientResetError
from reset_password.retry import Deadline

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient


class Memory(Enum):
    """How long what an attempt did is remembered."""

    COOLDOWN = "cooldown"  # a single request: the deployment's cooldown window
    RUN = "run"  # a bulk run's reset: as long as the run can be redriven


def dedupe_key(user_pool_id: str, sub: str, request_id: str | None, run_id: str | None = None) -> str:
    """The business key: the user (by pool and sub), within a bulk run when the request belongs to one, else with the
    caller's requestId when given (a run resets a user once, whatever its rows' requestIds). Hashed: no identifiers
    in the table."""
    scope = f"run\x1e{run_id}" if run_id else request_id or ""
    return hashlib.sha256("\x1f".join((user_pool_id, sub, scope)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt to reset a user did."""

    confirmed: bool  # True: Cognito reset the user. False: its answer was lost and the pool could not tell yet.
    status_before: str  # the user's status before the call: how a later attempt tells whether it happened
    origin: str  # the request that made it (`request_origin`)


@dataclass(frozen=True, slots=True)
class Outcome:
    attempt: Attempt
    replayed: bool = False  # the attempt of an earlier invocation, remembered; nothing was done now
    recorded: bool = True  # False: the attempt ran now, but the table failed to remember it


class Deduplicator(Protocol):
    def register_invocation(self, context: LambdaContext) -> None:
        """Called once per invocation, before any request is handled."""
        ...

    def once(self, key: str, attempt: Callable[[], Attempt], memory: Memory = Memory.COOLDOWN) -> Outcome:
        """Run `attempt` and remember what it did for `memory`'s time, or return the remembered attempt without
        running it. An attempt that raises leaves nothing remembered."""
        ...

    def forget(self, key: str, memory: Memory = Memory.COOLDOWN) -> None:
        """Drop what is remembered under `key` (an unconfirmed attempt that turned out not to have reset the user)."""
        ...


class NoDeduplication:
    """Used when no table is configured: every request is acted on."""

    def register_invocation(self, context: LambdaContext) -> None:
        return None

    def once(self, key: str, attempt: Callable[[], Attempt], memory: Memory = Memory.COOLDOWN) -> Outcome:
        return Outcome(attempt())

    def forget(self, key: str, memory: Memory = Memory.COOLDOWN) -> None:
        return None


class _RememberedAttempt(BaseIdempotencySerializer):
    """The table's record of an attempt. Powertools stores `to_dict` of the first run's result and hands `from_dict`
    of it to the response hook on every replay."""

    def to_dict(self, data: Attempt) -> dict[str, Any]:
        return {"confirmed": data.confirmed, "before": data.status_before, "origin": data.origin}

    def from_dict(self, data: dict[str, Any]) -> Attempt:
        return Attempt(
            confirmed=bool(data.get("confirmed")),
            status_before=str(data.get("before", "")),
            origin=str(data.get("origin", "")),
        )


def _replayed(response: Any, idempotent_data: DataRecord) -> Outcome:  # noqa: ARG001 - Powertools' hook signature
    """Powertools' response hook, run when the key is found completed: nothing is done again, and `once` says so."""
    return Outcome(response, replayed=True)


# How often the record of an attempt that ran is written again after the table failed to take it: the attempt
# stands either way, but only a record keeps a new request within the cooldown from sending a second code.
RECORD_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Store:
    """Powertools idempotency over the table with one expiry: its config, its persistence layer (Powertools
    configures a layer once, with the first config it runs with) and the guarded function."""

    config: IdempotencyConfig
    persistence: DynamoDBPersistenceLayer
    once: Callable[..., Any]

    @classmethod
    def expiring_after(cls, seconds: int, table_name: str, client: DynamoDBClient | None) -> _Store:
        config = IdempotencyConfig(
            event_key_jmespath="key",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=seconds,
            hash_function="sha256",
            response_hook=_replayed,
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        once = idempotent_function(
            _run,
            data_keyword_argument="claim",
            persistence_store=persistence,
            config=config,
            output_serializer=_RememberedAttempt(),
        )
        return cls(config, persistence, once)


class DynamoDBDeduplicator:
    def __init__(
        self,
        table_name: str,
        cooldown_seconds: int,
        client: DynamoDBClient | None = None,
        *,
        run_memory_seconds: int = RUN_MEMORY_SECONDS,
        call_seconds: float = 0.0,
        reserve_seconds: float = 0.0,
    ) -> None:
        self._deadline = Deadline.from_context(None)
        self._call_seconds, self._reserve_seconds = call_seconds, reserve_seconds
        self._stores = {
            Memory.COOLDOWN: _Store.expiring_after(cooldown_seconds, table_name, client),
            Memory.RUN: _Store.expiring_after(run_memory_seconds, table_name, client),
        }

    def register_invocation(self, context: LambdaContext) -> None:
        """Lets an in-progress claim expire with this invocation, so a retry after a crash is not blocked; and no
        write of the table starts that could end inside the invocation's reserve."""
        for store in self._stores.values():
            store.config.register_lambda_context(context)
        self._deadline = Deadline.from_context(context)

    def once(self, key: str, attempt: Callable[[], Attempt], memory: Memory = Memory.COOLDOWN) -> Outcome:
        ran: list[Attempt] = []  # what ran here, should the table fail to record it afterwards
        store = self._stores[memory]

        def run_and_keep() -> Attempt:
            ran.append(attempt())
            return ran[-1]

        try:
            remembered: Attempt | Outcome = store.once(claim={"key": key}, attempt=run_and_keep)
        except IdempotencyAlreadyInProgressError as busy:
            raise TransientResetError("the same reset is in progress in another invocation") from busy
        except IdempotencyError as error:
            if ran:  # Cognito was called: what it did stands, whatever the table says
                return Outcome(ran[-1], recorded=self._record_again(store, key, ran[-1]))
            raise TransientResetError(f"dedupe table unavailable: {type(error).__name__}") from error
        return remembered if isinstance(remembered, Outcome) else Outcome(remembered)

    def _record_again(self, store: _Store, key: str, attempt: Attempt) -> bool:
        for _ in range(RECORD_ATTEMPTS - 1):
            if not self._deadline.allows(self._call_seconds + self._reserve_seconds):
                return False
            try:
                store.persistence.save_success(data={"key": key}, result=_RememberedAttempt().to_dict(attempt))
            except Exception:  # noqa: BLE001, S112 - the table still fails: try again while there is time
                continue
            return True
        return False

    def forget(self, key: str, memory: Memory = Memory.COOLDOWN) -> None:
        try:
            self._stores[memory].persistence.delete_record(
                data={"key": key}, exception=RuntimeError("unconfirmed attempt")
            )
        except Exception as error:  # the persistence layer's own call: botocore's errors arrive unwrapped
            raise TransientResetError(f"dedupe table unavailable: {type(error).__name__}") from error


def _run(*, claim: dict[str, str], attempt: Callable[[], Attempt]) -> Attempt:  # noqa: ARG001
    # `claim` is what Powertools hashes into the record's key; the attempt itself does not need it.
    return attempt()


def request_origin(*parts: str | None) -> str:
    """A short hash that tells one request from another (`Attempt.origin`)."""
    return hashlib.sha256("\x1f".join(part or "" for part in parts).encode()).hexdigest()[:16]
