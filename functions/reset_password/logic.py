"""What a reset request means: resolve the user, reset once, sign out if asked, and classify every failure.

Every Cognito error ends in exactly one of three places: a `failed` result with a stable reason (permanent: a retry
cannot help), a `TransientResetError` (after bounded retries: a later retry can help), or an
`UnclassifiedResetError` (no rule knows it: a person must look). The tables below are that decision, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from contracts.results import FailureReason, ResetStatus
from reset_password.audit import AuditTrail
from reset_password.dedupe import Deduplicator, dedupe_key
from reset_password.directory import NETWORK_ERROR, CognitoError, DirectoryUser, UserDirectory
from reset_password.outcomes import ResetResult, TransientResetError, UnclassifiedResetError
from reset_password.requests import InvalidRequest, ParsedRequest, ResetRequest
from reset_password.retry import Backoff, Deadline
from reset_password.settings import ResetSettings

T = TypeVar("T")

# Retrying can help: Cognito's request-rate throttling, its internal errors, a trigger that could not be run,
# and anything that never got an answer.
TRANSIENT_CODES = frozenset(
    {"TooManyRequestsException", "InternalErrorException", "UnexpectedLambdaException", NETWORK_ERROR}
)

# Retrying cannot help. Each code maps to a reason and the words that explain it to the caller.
PERMANENT_FAILURES: dict[str, tuple[FailureReason, str]] = {
    "UserNotFoundException": (FailureReason.USER_NOT_FOUND, "no such user in the pool"),
    "ResourceNotFoundException": (FailureReason.POOL_NOT_FOUND, "no such user pool"),
    "LimitExceededException": (
        FailureReason.ATTEMPT_LIMIT,
        "Cognito's per-user attempt limit is reached; try again later, not now",
    ),
    "UserLambdaValidationException": (FailureReason.TRIGGER_REJECTED, "a Lambda trigger rejected the reset"),
    "InvalidLambdaResponseException": (FailureReason.TRIGGER_REJECTED, "a Lambda trigger returned an invalid response"),
    "InvalidEmailRoleAccessPolicyException": (
        FailureReason.DELIVERY_MISCONFIGURED,
        "Cognito may not use the pool's SES identity",
    ),
    "InvalidSmsRoleAccessPolicyException": (
        FailureReason.DELIVERY_MISCONFIGURED,
        "the pool's SMS role may not publish with SNS",
    ),
    "InvalidSmsRoleTrustRelationshipException": (
        FailureReason.DELIVERY_MISCONFIGURED,
        "the pool's SMS role does not trust Cognito",
    ),
    "OperationNotEnabledException": (
        FailureReason.DELIVERY_MISCONFIGURED,
        "the pool has no self-service account recovery configured",
    ),
}

RESETTABLE_STATUSES = frozenset({"CONFIRMED", "RESET_REQUIRED"})


class _PermanentFailure(Exception):  # noqa: N818 - carries a classified outcome to the one place that reports it
    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def classify(error: CognitoError) -> tuple[FailureReason, str] | None:
    """A permanent failure's reason and explanation; None when the error is transient or unclassified."""
    if error.code in PERMANENT_FAILURES:
        return PERMANENT_FAILURES[error.code]
    if error.code == "NotAuthorizedException":
        # The same code covers two user states; Cognito's message is the only thing that tells them apart.
        if "disabled" in error.message.lower():
            return FailureReason.USER_DISABLED, "the user is disabled"
        return FailureReason.INVALID_USER_STATE, "the user's state does not allow a password reset"
    if error.code == "InvalidParameterException":
        lowered = error.message.lower()
        if "verified" in lowered or "registered" in lowered:
            return FailureReason.NO_VERIFIED_CONTACT, "the user has no verified email or phone number"
        return FailureReason.INVALID_REQUEST, "Cognito rejected a parameter of the request"
    return None


@dataclass(frozen=True, slots=True)
class ResetDependencies:
    directory: UserDirectory
    settings: ResetSettings
    dedupe: Deduplicator
    audit: AuditTrail
    backoff: Backoff


def _cognito(deps: ResetDependencies, deadline: Deadline, call: Callable[[], T]) -> T:
    """One Cognito call, retried while transient, then raised or turned into a classified failure."""
    try:
        return deps.backoff.run(
            call, is_transient=lambda e: isinstance(e, CognitoError) and e.code in TRANSIENT_CODES, deadline=deadline
        )
    except CognitoError as error:
        if error.code in TRANSIENT_CODES:
            raise TransientResetError(f"{error.code} persisted after retries") from error
        classified = classify(error)
        if classified is None:
            raise UnclassifiedResetError(f"{error.code}: not a failure this function knows how to classify") from error
        raise _PermanentFailure(*classified) from error


def _allowed_pool(pool: str | None, settings: ResetSettings) -> str:
    if pool is None:
        raise _PermanentFailure(FailureReason.INVALID_REQUEST, "userPoolId: required (no default pool is set)")
    if pool not in settings.allowed_user_pool_ids:
        raise _PermanentFailure(FailureReason.POOL_NOT_ALLOWED, "userPoolId: not on this deployment's allowlist")
    return pool


def _resolve(request: ResetRequest, pool: str, deps: ResetDependencies, deadline: Deadline) -> DirectoryUser | str:
    """The Cognito username for the request; the whole user when it had to be looked up."""
    kind, value = request.identifier
    if kind == "username" and not request.dry_run:
        return value
    found = _cognito(deps, deadline, lambda: deps.directory.find_users(pool, kind, value))
    if not found:
        raise _PermanentFailure(FailureReason.USER_NOT_FOUND, f"no user in the pool has that {kind}")
    if len(found) > 1:
        raise _PermanentFailure(
            FailureReason.AMBIGUOUS_USER, f"more than one user has that {kind}; identify the user by username"
        )
    return found[0]


def _judge_dry_run(user: DirectoryUser, request: ResetRequest, result: ResetResult) -> ResetResult:
    if not user.enabled:
        raise _PermanentFailure(FailureReason.USER_DISABLED, "the user is disabled")
    if user.status not in RESETTABLE_STATUSES:
        raise _PermanentFailure(
            FailureReason.INVALID_USER_STATE, f"a user in status {user.status} cannot have the password reset"
        )
    if "true" not in (user.attributes.get("email_verified"), user.attributes.get("phone_number_verified")):
        raise _PermanentFailure(FailureReason.NO_VERIFIED_CONTACT, "the user has no verified email or phone number")
    action = "reset the password and sign out every session" if request.global_sign_out else "reset the password"
    return replace(result, status=ResetStatus.DRY_RUN, detail=f"would {action}; nothing was sent")


def reset_user(request: ResetRequest, deps: ResetDependencies, deadline: Deadline) -> ResetResult:
    """Carry out one valid request and say what happened. Raises only `ResetError`s (see outcomes.py)."""
    pool = request.user_pool_id or deps.settings.default_user_pool_id
    result = ResetResult(
        username=request.username, user_pool_id=pool, status=ResetStatus.FAILED, request_id=request.request_id
    )
    try:
        pool = _allowed_pool(pool, deps.settings)
        user = _resolve(request, pool, deps, deadline)
        username = user if isinstance(user, str) else user.username
        result = replace(result, username=username)
        if isinstance(user, DirectoryUser) and request.dry_run:
            return _judge_dry_run(user, request, result)

        def reset() -> ResetResult:
            _cognito(deps, deadline, lambda: deps.directory.reset_password(pool, username, request.client_metadata))
            return replace(result, status=ResetStatus.RESET)

        done = deps.dedupe.once(dedupe_key(pool, username, request.request_id), reset)
        result = done or replace(result, status=ResetStatus.SKIPPED, duplicate=True)
    except _PermanentFailure as failure:
        return replace(result, status=ResetStatus.FAILED, reason=failure.reason, detail=failure.detail)
    if request.global_sign_out:
        # After the reset, and also for a duplicate: signing out again is harmless, and it lets a retry that
        # follows a failed sign-out finish the job without sending the user a second code.
        try:
            _cognito(deps, deadline, lambda: deps.directory.global_sign_out(pool, username))
            result = replace(result, signed_out=True)
        except _PermanentFailure as failure:
            result = replace(result, detail=f"reset done, but global sign-out failed: {failure.detail}")
    return result


def handle_request(request: ParsedRequest, deps: ResetDependencies, deadline: Deadline) -> ResetResult:
    if isinstance(request, InvalidRequest):
        return ResetResult(
            username=request.username,
            user_pool_id=request.user_pool_id,
            status=ResetStatus.FAILED,
            reason=FailureReason.INVALID_REQUEST,
            request_id=request.request_id,
            detail=request.detail,
        )
    return reset_user(request, deps, deadline)
