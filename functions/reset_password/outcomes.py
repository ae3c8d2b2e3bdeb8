"""The result contract (contract 2): what every request comes back as, and the errors the function raises.

Step Functions `Retry`/`Catch` and the DLQ tooling match on the exception class names below, so they are part of
the public contract: rename one and deployed workflows stop retrying.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ResetStatus(StrEnum):
    RESET = "reset"  # Cognito accepted: the user is RESET_REQUIRED and a code is on its way
    FAILED = "failed"  # permanent: retrying the same request cannot help
    SKIPPED = "skipped"  # a duplicate within the cooldown window: nothing was sent again
    DRY_RUN = "dry_run"  # dryRun was asked for: validated and resolved, nothing sent


class FailureReason(StrEnum):
    USER_NOT_FOUND = "USER_NOT_FOUND"
    AMBIGUOUS_USER = "AMBIGUOUS_USER"  # an email or sub that matches more than one user
    USER_DISABLED = "USER_DISABLED"
    INVALID_USER_STATE = "INVALID_USER_STATE"
    NO_VERIFIED_CONTACT = "NO_VERIFIED_CONTACT"
    POOL_NOT_ALLOWED = "POOL_NOT_ALLOWED"
    POOL_NOT_FOUND = "POOL_NOT_FOUND"
    TRIGGER_REJECTED = "TRIGGER_REJECTED"
    DELIVERY_MISCONFIGURED = "DELIVERY_MISCONFIGURED"
    ATTEMPT_LIMIT = "ATTEMPT_LIMIT"
    INVALID_REQUEST = "INVALID_REQUEST"


@dataclass(frozen=True, slots=True)
class ResetResult:
    """One request's outcome, returned to the caller (contract 2). `detail` explains a failure in words."""

    username: str | None
    user_pool_id: str | None
    status: ResetStatus
    reason: FailureReason | None = None
    signed_out: bool = False
    duplicate: bool = False
    request_id: str | None = None
    detail: str | None = None

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
