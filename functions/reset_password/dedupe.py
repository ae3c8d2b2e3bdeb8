"""Duplicate suppression: a user reset successfully within the cooldown window is not reset (or messaged) again.

Built on Powertools idempotency with DynamoDB, keyed on the business key (pool + user, or the caller's requestId),
never on the event: EventBridge ids and Step Functions wrappers differ on every retry. Only successful resets are
remembered; a failed attempt leaves no record, so a corrected retry goes through. A reset whose invocation dies
midway leaves an in-progress record that expires with the invocation, so Lambda's retry is not lost.
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
    def once(self, key: str, reset: Callable[[], ResetResult]) -> ResetResult | None:
        """Run `reset` and return its result, or return None without running it when a successful reset with this
        key is remembered within the cooldown window."""
        ...


class NoDeduplication:
    """Used when no table is configured: every request is acted on."""

    def once(self, key: str, reset: Callable[[], ResetResult]) -> ResetResult | None:
        return reset()


class _NotRemembered(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Carries a failed result out of the idempotent call so that Powertools deletes the record."""

    def __init__(self, result: ResetResult) -> None:
        super().__init__(result.status)
        self.result = result


_REMEMBERED = {"status": ResetStatus.RESET.value}  # all the table keeps of a reset: no username, no metadata


class DynamoDBDeduplicator:
    def __init__(self, table_name: str, cooldown_seconds: int, client: DynamoDBClient | None = None) -> None:
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=cooldown_seconds,
            hash_function="sha256",
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._remembered = idempotent_function(
            self._reset_and_remember,
            data_keyword_argument="claim",
            persistence_store=persistence,
            config=self._config,
        )

    def register_invocation(self, context: LambdaContext) -> None:
        """Lets an in-progress record expire with this invocation, so a retry after a crash is not blocked."""
        self._config.register_lambda_context(context)

    @staticmethod
    def _reset_and_remember(
        *,
        claim: dict[str, str],  # noqa: ARG004 - Powertools reads and hashes it; the reset itself does not need it
        reset: Callable[[], ResetResult],
        done: list[ResetResult],
    ) -> Any:
        result = reset()
        if result.status is not ResetStatus.RESET:
            raise _NotRemembered(result)
        done.append(result)
        return _REMEMBERED

    def once(self, key: str, reset: Callable[[], ResetResult]) -> ResetResult | None:
        done: list[ResetResult] = []
        try:
            self._remembered(claim={"key": key}, reset=reset, done=done)
        except _NotRemembered as forgotten:
            return forgotten.result
        except IdempotencyAlreadyInProgressError as busy:
            raise TransientResetError("the same reset is already in progress in another invocation") from busy
        except IdempotencyError as error:
            raise TransientResetError(f"dedupe table unavailable: {type(error).__name__}") from error
        return done[0] if done else None  # nothing done here: the remembered reset was replayed
