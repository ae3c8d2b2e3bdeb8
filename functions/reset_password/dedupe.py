"""Duplicate suppression: a user reset successfully within the cooldown window is not reset (or messaged) again.

Built on Powertools idempotency with DynamoDB, keyed on the business key (pool + user, or the caller's requestId),
never on the event: EventBridge ids and Step Functions wrappers differ on every retry. Only completed resets are
remembered (a failure raises out of the idempotent call, and Powertools deletes the record), so a corrected retry
goes through; a replay is recognised by Powertools' response hook. A reset whose invocation dies midway leaves an
in-progress record that expires with the invocation, so Lambda's retry is not lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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

from contracts.results import ResetStatus
from reset_password.outcomes import ResetResult, TransientResetError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient


def dedupe_key(user_pool_id: str, username: str, request_id: str | None) -> str:
    """The business key: the caller's requestId when given, else the user. Hashed: the table holds no usernames."""
    subject = f"request\x1f{request_id}" if request_id else f"user\x1f{username}"
    return hashlib.sha256(f"{user_pool_id}\x1f{subject}".encode()).hexdigest()


class Deduplicator(Protocol):
    def register_invocation(self, context: LambdaContext) -> None:
        """Called once per invocation, before any request is handled."""
        ...

    def once(self, key: str, reset: Callable[[], ResetResult]) -> ResetResult | None:
        """Run `reset` and return its result, or return None without running it when a reset with this key is
        remembered within the cooldown window. `reset` returns a completed reset or raises; a raise leaves nothing
        remembered, so a corrected retry goes through."""
        ...


class NoDeduplication:
    """Used when no table is configured: every request is acted on."""

    def register_invocation(self, context: LambdaContext) -> None:
        return None

    def once(self, key: str, reset: Callable[[], ResetResult]) -> ResetResult | None:
        return reset()


class _RememberedReset(BaseIdempotencySerializer):
    """What the table keeps of a reset: that it happened (no username, no metadata). Powertools stores `to_dict` of
    the first run's result and hands `from_dict` of it to the response hook on every replay."""

    def to_dict(self, data: ResetResult) -> dict[str, str]:
        if data.status is not ResetStatus.RESET:
            raise ValueError(f"only a completed reset is remembered, not a {data.status.value} one")
        return {"status": data.status.value}

    def from_dict(self, data: dict[str, Any]) -> dict[str, Any]:
        return data


def _replayed(response: Any, idempotent_data: DataRecord) -> None:  # noqa: ARG001 - Powertools' hook signature
    """Powertools' response hook, run when the key is found completed: nothing is done again, and `once` says so."""
    return


class DynamoDBDeduplicator:
    def __init__(self, table_name: str, cooldown_seconds: int, client: DynamoDBClient | None = None) -> None:
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=cooldown_seconds,
            hash_function="sha256",
            response_hook=_replayed,
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._once = idempotent_function(
            _run,
            data_keyword_argument="claim",
            persistence_store=persistence,
            config=self._config,
            output_serializer=_RememberedReset(),
        )

    def register_invocation(self, context: LambdaContext) -> None:
        """Lets an in-progress record expire with this invocation, so a retry after a crash is not blocked."""
        self._config.register_lambda_context(context)

    def once(self, key: str, reset: Callable[[], ResetResult]) -> ResetResult | None:
        try:
            result: ResetResult | None = self._once(claim={"key": key}, reset=reset)
        except IdempotencyAlreadyInProgressError as busy:
            raise TransientResetError("the same reset is already in progress in another invocation") from busy
        except IdempotencyError as error:
            raise TransientResetError(f"dedupe table unavailable: {type(error).__name__}") from error
        return result


def _run(*, claim: dict[str, str], reset: Callable[[], ResetResult]) -> ResetResult:  # noqa: ARG001
    # `claim` is what Powertools hashes into the record's key; the reset itself does not need it.
    return reset()
