"""The result contract (contract 2): what every request comes back as, and the errors the function raises.

The statuses and failure reasons are contracts.results; Step Functions `Retry`/`Catch` and the DLQ tooling match on
the exception class names below, whose names contracts.results states (a test ties the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.results import FailureReason, ResetStatus


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
