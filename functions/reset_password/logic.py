"""What a reset request means: resolve the user, reset once, sign out if asked, and classify every failure.

Every Cognito error ends in exactly one of three places: a `failed` result with a stable reason (permanent: a retry
cannot help), a `TransientResetError` (after bounded retries: a later retry can help), or an
`UnclassifiedResetError` (no rule knows it: a person must look). The tables below are that decision, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from contracts.results import FailureReason, ResetStatus
from reset_password.audit import AuditTrail
from reset_password.dedupe import Attempt, Deduplicator, Memory, dedupe_key, request_origin
from reset_password.directory import NETWORK_ERROR, CognitoError, DirectoryUser, UserDirectory
from reset_password.observability import report_unrecorded_reset
from reset_password.outcomes import ResetResult, TransientResetError, UnclassifiedResetError
from reset_password.pacing import CallCategory, Pacer
from reset_password.requests import InvalidRequest, ParsedRequest, ResetRequest
from reset_password.retry import Backoff, Deadline, OutOfTime
from reset_password.settings import ResetSettings

T = TypeVar("T")

# Retrying can help: Cognito's request-rate throttling, its internal errors, a trigger that could not be run,
# and anything that never got an answer.
TRANSIENT_CODES = frozenset(
    {"TooManyRequestsException", "InternalErrorException", "UnexpectedLambdaException", NETWORK_ERROR}
)
# Of those, the ones after which Cognito may have acted although the answer says nothing (a 5xx, a dropped
# connection, a timeout): a reset is not sent again before the user's status says it did not happen. Throttling is a
# definite "not done" (the request was refused before it was processed).
THROTTLED = "TooManyRequestsException"
ANSWER_LOST_CODES = TRANSIENT_CODES - {THROTTLED}

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

RESET_REQUIRED = "RESET_REQUIRED"
RESETTABLE_STATUSES = frozenset({"CONFIRMED", RESET_REQUIRED})


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
        return FailureReason.INVALID_REQUEST, "request: Cognito rejected one of its parameters"
    return None


@dataclass(frozen=True, slots=True)
class ResetDependencies:
    directory: UserDirectory
    settings: ResetSettings
    dedupe: Deduplicator
    audit: AuditTrail
    backoff: Backoff
    call_seconds: float = 0.0  # the longest one AWS call can take (clients.Timeouts.per_call)
    pacer: Pacer = field(default_factory=Pacer)  # this container's share of the rate budget (none: unpaced)


class _NotSent(Exception):  # noqa: N818 - Cognito's answer was lost, and the pool shows the reset did not happen
    pass


def _is_transient(error: Exception) -> bool:
    return isinstance(error, CognitoError) and error.code in TRANSIENT_CODES


def _paced(
    deps: ResetDependencies, deadline: Deadline, category: CallCategory, call: Callable[[], T]
) -> Callable[[], T]:
    """The call in the container's share of its category's rate budget: a throttled answer slows the category down,
    one that goes through lets it speed up again; no wait runs into the invocation's reserve."""

    def paced() -> T:
        spare = deadline.remaining() - deps.call_seconds - deps.backoff.policy.reserve_seconds
        if not deps.pacer.wait_for(category, at_most=spare):
            raise OutOfTime
        try:
            answer = call()
        except CognitoError as error:
            if error.code == THROTTLED:
                deps.pacer.throttled(category)
            raise
        deps.pacer.went_through(category)
        return answer

    return paced


def _retried(
    deps: ResetDependencies,
    deadline: Deadline,
    call: Callable[[], T],
    retry: Callable[[Exception], bool] = _is_transient,
) -> T:
    """A call retried while `retry` says so, inside the deadline; whatever ends it is a ResetError or a classified
    failure."""
    try:
        return deps.backoff.run(call, is_transient=retry, deadline=deadline, call_seconds=deps.call_seconds)
    except OutOfTime as late:
        raise TransientResetError("not enough of the invocation left for another Cognito call") from late
    except _NotSent as lost:
        raise TransientResetError("Cognito's answers were lost and the user was not reset") from lost
    except CognitoError as error:
        raise _failure(error) from error


def _cognito(deps: ResetDependencies, deadline: Deadline, category: CallCategory, call: Callable[[], T]) -> T:
    """One Cognito call, paced, retried while transient, then raised or turned into a classified failure."""
    return _retried(deps, deadline, _paced(deps, deadline, category, call))


def _failure(error: CognitoError) -> Exception:
    """What a Cognito error that retrying did not cure means: transient, permanent (classified) or unclassified."""
    if error.code in TRANSIENT_CODES:
        return TransientResetError(f"{error.code} persisted after retries")
    classified = classify(error)
    if classified is None:
        return UnclassifiedResetError(f"{error.code}: not a failure this function knows how to classify")
    return _PermanentFailure(*classified)


def _allowed_pool(pool: str | None, settings: ResetSettings) -> str:
    if pool is None:
        raise _PermanentFailure(FailureReason.INVALID_REQUEST, "userPoolId: required (no default pool is set)")
    if pool not in settings.allowed_user_pool_ids:
        raise _PermanentFailure(FailureReason.POOL_NOT_ALLOWED, "userPoolId: not on this deployment's allowlist")
    return pool


def _resolve(request: ResetRequest, pool: str, deps: ResetDependencies, deadline: Deadline) -> DirectoryUser:
    """The pool's canonical user for the request: a username may be an alias or differ in case (AdminGetUser
    resolves it as the pool signs in); an e-mail or a sub is looked up with ListUsers."""
    kind, value = request.identifier
    if kind == "username":
        return _cognito(deps, deadline, CallCategory.LOOKUP, lambda: deps.directory.get_user(pool, value))
    found = _cognito(deps, deadline, CallCategory.LOOKUP, lambda: deps.directory.find_users(pool, kind, value))
    if not found:
        raise _PermanentFailure(FailureReason.USER_NOT_FOUND, f"no user in the pool has that {kind}")
    if len(found) > 1:
        raise _PermanentFailure(
            FailureReason.AMBIGUOUS_USER, f"more than one user has that {kind}; identify the user by username"
        )
    return found[0]


def _preflight(user: DirectoryUser) -> None:
    """What Cognito would refuse, found before a call of its account-recovery quota is spent on it."""
    if not user.enabled:
        raise _PermanentFailure(FailureReason.USER_DISABLED, "the user is disabled")
    if user.status not in RESETTABLE_STATUSES:
        raise _PermanentFailure(
            FailureReason.INVALID_USER_STATE, f"a user in status {user.status} cannot have the password reset"
        )
    if "true" not in (user.attributes.get("email_verified"), user.attributes.get("phone_number_verified")):
        raise _PermanentFailure(FailureReason.NO_VERIFIED_CONTACT, "the user has no verified email or phone number")


@dataclass(frozen=True, slots=True)
class _Reset:
    """One valid request, resolved to the pool's user, and what this invocation has to carry it out with."""

    pool: str
    user: DirectoryUser
    request: ResetRequest
    deps: ResetDependencies
    deadline: Deadline
    delivery: str | None = None  # the EventBridge event's id: one event, however often it is delivered

    @property
    def key(self) -> str:
        return dedupe_key(self.pool, self.user.sub, self.request.request_id, self.request.run_id)

    @property
    def memory(self) -> Memory:
        return Memory.RUN if self.request.run_id else Memory.COOLDOWN

    @property
    def origin(self) -> str:
        """The same request, retried, has the same origin: its earlier reset reads `reset` (replayed), not
        `skipped`. A retry carries the same content; an EventBridge event also keeps its id through every delivery,
        and two events are two requests even when their content is the same."""
        content = json.dumps(self.request.model_dump(mode="json", exclude={"dry_run"}), sort_keys=True)
        return request_origin(self.pool, content, self.delivery)

    def happened(self) -> bool | None:
        """After a call whose answer was lost: did Cognito reset the user? The user's status says so when it was
        not RESET_REQUIRED before (AdminResetUserPassword sets it: API Reference, AdminResetUserPassword). None when
        it cannot tell: the user was RESET_REQUIRED already, or the pool could not be read in time."""
        if self.user.status == RESET_REQUIRED:
            return None
        try:
            directory, pool, username = self.deps.directory, self.pool, self.user.username
            now = _cognito(self.deps, self.deadline, CallCategory.LOOKUP, lambda: directory.get_user(pool, username))
        except (TransientResetError, UnclassifiedResetError, _PermanentFailure):
            return None
        return now.status == RESET_REQUIRED

    def send(self) -> bool:
        """AdminResetUserPassword, never repeated blindly: after an answer that was lost (a timeout, a dropped
        connection, a 5xx) the pool is read first, and the call is made again only if the user was not reset. True
        when Cognito reset the user; False when that could not be found out before the deadline."""

        directory, pool, username = self.deps.directory, self.pool, self.user.username
        metadata = self.request.client_metadata
        reset_password = _paced(
            self.deps, self.deadline, CallCategory.RESET, lambda: directory.reset_password(pool, username, metadata)
        )

        def send_once() -> bool:
            try:
                reset_password()
            except CognitoError as error:
                if error.code not in ANSWER_LOST_CODES:
                    raise
                happened = self.happened()
                if happened is False:
                    raise _NotSent from error
                return happened is True
            return True

        def retry(error: Exception) -> bool:
            return isinstance(error, _NotSent) or _is_transient(error)

        return _retried(self.deps, self.deadline, send_once, retry)

    def attempt(self) -> Attempt:
        return Attempt(confirmed=self.send(), status_before=self.user.status, origin=self.origin)

    def once(self, result: ResetResult) -> ResetResult:
        """One code per user: the user's key is claimed before Cognito is called, and what happened is remembered."""
        if not self.deadline.allows(2 * self.deps.call_seconds + self.deps.backoff.policy.reserve_seconds):
            raise TransientResetError("not enough of the invocation left to claim the user and reset them")
        outcome = self.deps.dedupe.once(self.key, self.attempt, self.memory)
        attempt = outcome.attempt
        if not outcome.recorded:
            report_unrecorded_reset()
        if outcome.replayed and not attempt.confirmed:
            # An earlier attempt lost Cognito's answer and could not read the pool in time: the pool says it now.
            if RESET_REQUIRED in (attempt.status_before, self.user.status):
                # Reset then (the status changed), or undecidable (it was RESET_REQUIRED already): one code, not two.
                attempt = replace(attempt, confirmed=True)
            else:
                self.deps.dedupe.forget(self.key, self.memory)
                outcome = self.deps.dedupe.once(self.key, self.attempt, self.memory)
                attempt = outcome.attempt
        if not attempt.confirmed:
            raise TransientResetError("Cognito's answer was lost; the next attempt reads the user's status first")
        if outcome.replayed and attempt.origin != self.origin:
            return replace(result, status=ResetStatus.SKIPPED, duplicate=True)
        return replace(result, status=ResetStatus.RESET, replayed=outcome.replayed)


def reset_user(
    request: ResetRequest, deps: ResetDependencies, deadline: Deadline, delivery: str | None = None
) -> ResetResult:
    """Carry out one valid request and say what happened. Raises only `ResetError`s (see outcomes.py)."""
    pool = request.user_pool_id or deps.settings.default_user_pool_id
    result = ResetResult(
        username=request.username, user_pool_id=pool, status=ResetStatus.FAILED, request_id=request.request_id
    )
    try:
        pool = _allowed_pool(pool, deps.settings)
        user = _resolve(request, pool, deps, deadline)
        result = replace(result, username=user.username)
        _preflight(user)
        if request.dry_run:
            action = "reset the password"
            if request.global_sign_out:
                action += " and sign out every session"
            return replace(result, status=ResetStatus.DRY_RUN, detail=f"would {action}; nothing was sent")
        result = _Reset(pool, user, request, deps, deadline, delivery).once(result)
    except _PermanentFailure as failure:
        return replace(result, status=ResetStatus.FAILED, reason=failure.reason, detail=failure.detail)
    if request.global_sign_out:
        # After the reset, and also for a duplicate: signing out again is harmless, and it lets a retry that
        # follows a failed sign-out finish the job without sending the user a second code.
        try:
            _cognito(deps, deadline, CallCategory.SIGN_OUT, lambda: deps.directory.global_sign_out(pool, user.username))
            result = replace(result, signed_out=True)
        except _PermanentFailure as failure:
            result = replace(result, detail=f"reset done, but global sign-out failed: {failure.detail}")
    return result


def handle_request(
    request: ParsedRequest, deps: ResetDependencies, deadline: Deadline, delivery: str | None = None
) -> ResetResult:
    if isinstance(request, InvalidRequest):
        return ResetResult(
            username=None,
            user_pool_id=None,
            status=ResetStatus.FAILED,
            reason=FailureReason.INVALID_REQUEST,
            detail=request.detail,
            reference=request.reference,
        )
    return reset_user(request, deps, deadline, delivery)
