"""The result contract (contract 2): what every request comes back as, and the errors the function raises.

The statuses and failure reasons are contracts.results; Step Functions `Retry`/`Catch` and the DLQ tooling match on
the exception class names below, whose names contracts.results states (a test ties the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.results import FailureReason, ResetStatus


@dataclass(frozen=True, slots=True)
class LastReset:
    """When the user was last reset and by what: a bulk run (its id) or a single request (a hash of its requestId,
    `requests.request_reference`'s recipe over the requestId string). Told with a `skipped` result."""

    at: float  # epoch seconds
    run_id: str | None = None
    request_ref: str | None = None
    forced: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="seconds"),
            "runId": self.run_id,
            "requestRef": self.request_ref,
            "forced": self.forced,
        }


@dataclass(frozen=True, slots=True)
class ResetResult:
    """One request's outcome, returned to the caller (contract 2). `detail` explains a failure in words."""

    username: str | None
    user_pool_id: str | None
    status: ResetStatus
    reason: FailureReason | None = None
    signed_out: bool = False
    duplicate: bool = False  # skipped: another request reset this user within the cooldown window
    request_id: str | None = None
    detail: str | None = None
    replayed: bool = False  # reset by an earlier attempt of this same request (a retry); nothing was sent again
    reference: str | None = None  # a refused request's hashed reference (requests.request_reference), never its values
    forced: bool = False  # an operator's explicit second reset inside the cooldown window (`force`)
    last_reset: LastReset | None = None  # skipped or unconfirmed: the reset (or attempt) that speaks for the user

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "userPoolId": self.user_pool_id,
            "status": self.status.value,
            "reason": self.reason.value if self.reason else None,
            "signedOut": self.signed_out,
            "duplicate": self.duplicate,
            "requestId": self.request_id,
            "detail": self.detail,
            "replayed": self.replayed,
            "reference": self.reference,
            "forced": self.forced,
            "lastReset": self.last_reset.to_dict() if self.last_reset else None,
        }


class ResetError(Exception):
    """Base of what the function raises instead of returning a result."""


class TransientResetError(ResetError):
    """Cognito (or the dedupe table) kept failing in a way that a later retry can fix: throttling, internal errors,
    timeouts, a trigger that could not be run. Raised after the in-function retries ran out of attempts or time, so
    that Step Functions `Retry`, Lambda's async retries and finally the DLQ keep the request."""


class UnclassifiedResetError(ResetError):
    """An error no rule classifies (an access problem, an error code this version does not know). Not retried:
    it needs a person. The request is kept by Step Functions `Catch` or the DLQ."""


class DeliveryLimitReached(ResetError):  # noqa: N818 - the name is the workflow's contract (contracts.results)
    """A bulk batch stopped at the pool's delivery limit: the item that met it and every item after it are unfinished,
    and the run is halted so that its other batches start nothing more. Not retried: the limit is daily."""


class RunStopped(ResetError):  # noqa: N818 - the name is the workflow's contract (contracts.results)
    """A bulk batch found its run stopped by its operator (`cognito-reset stop`): it started nothing more, and its
    unfinished items stay so until the run is redriven or rerun. Not retried."""
