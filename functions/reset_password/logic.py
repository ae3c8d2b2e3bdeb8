"""What a reset request means: resolve the user, reset once, sign out if asked, and classify every failure.

Every Cognito error ends in exactly one of three places: a `failed` result with a stable reason (permanent: a retry
cannot help), a `TransientResetError` (after bounded retries: a later retry can help), or an
`UnclassifiedResetError` (no rule knows it: a person must look). The tables below are that decision, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final, TypeVar, cast

from contracts.cognito import (
    CONFIRMED,
    INTERNAL_ERROR,
    RESET_REQUIRED,
    SES_RATE_MESSAGE,
    TOO_MANY_REQUESTS,
    TRIGGER_ANSWER_INVALID,
    TRIGGER_FAILED,
    TRIGGER_NOT_RUN,
)
from contracts.results import FailureReason, ResetStatus
from reset_password.audit import AuditTrail
from reset_password.deliveries import remember_recipient
from reset_password.directory import (
    CONNECT_ERROR,
    NETWORK_ERROR,
    CognitoError,
    DirectoryUser,
    LookupAttribute,
    UserDirectory,
)
from reset_password.failed_requests import FailedRequests, NoFailedRequests
from reset_password.ledger import (
    Entry,
    Ledger,
    LedgerUnavailable,
    RunRecord,
    UserRecord,
    Verdict,
    origin,
    pool_verdict,
    run_key,
    settled_state,
    user_key,
)
from reset_password.observability import report_unrecorded_reset
from reset_password.outcomes import LastReset, ResetResult, TransientResetError, UnclassifiedResetError
from reset_password.pacing import CallCategory, Pacer
from reset_password.pool_rules import PoolRulesCache
from reset_password.requests import InvalidRequest, ParsedRequest, ResetRequest, request_reference
from reset_password.reset_cap import ResetCap
from reset_password.retry import Backoff, Deadline, OutOfTime
from reset_password.settings import ResetSettings

T = TypeVar("T")

# Retrying can help: Cognito's request-rate throttling, its internal errors, a trigger that could not be run,
# and anything that never got an answer.
TRANSIENT_CODES = frozenset({TOO_MANY_REQUESTS, INTERNAL_ERROR, TRIGGER_NOT_RUN, CONNECT_ERROR, NETWORK_ERROR})
LIMIT_EXCEEDED = "LimitExceededException"
# Throttling and a connection never made are a definite "not done" (the request was refused before it was processed,
# or never sent). After Cognito's own errors
# (a 5xx, a trigger it could not run) it may have acted although the answer says nothing: the pool is read before the
# call is made again. After no answer at all (a timeout, a dropped connection) Cognito may still be at work: the claim
# stays, and a later attempt reads the pool once the claim's lease has ended (ledger.py).
THROTTLED = TOO_MANY_REQUESTS
ANSWER_CAME_CODES = frozenset({INTERNAL_ERROR, TRIGGER_NOT_RUN})
# What certainly did not reach Cognito's processing: a throttle and a connection never made. Besides these, only an
# error Cognito classifies as a refusal (`classify`) releases a claim; any other error leaves it to the pool's word.
DEFINITELY_NOT_SENT = frozenset({THROTTLED, CONNECT_ERROR})
# How often an attempt reads the user's record again after another writer changed it first.
CLAIM_ROUNDS: Final = 3

# Retrying cannot help. Each code maps to a reason and the words that explain it to the caller.
PERMANENT_FAILURES: dict[str, tuple[FailureReason, str]] = {
    "UserNotFoundException": (FailureReason.USER_NOT_FOUND, "no such user in the pool"),
    "ResourceNotFoundException": (FailureReason.POOL_NOT_FOUND, "no such user pool"),
    TRIGGER_FAILED: (FailureReason.TRIGGER_REJECTED, "a Lambda trigger rejected the reset"),
    TRIGGER_ANSWER_INVALID: (FailureReason.TRIGGER_REJECTED, "a Lambda trigger returned an invalid response"),
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

# LimitExceededException has three meanings, and only Cognito's message tells them apart (API Reference,
# AdminResetUserPassword: "the user has exceeded the limit for a requested Amazon Web Services resource"):
# - the user's own attempt limit ("Attempt limit exceeded, please try after some time."): that user, later;
# - the pool's delivery limit: Cognito's own sender's daily e-mails (contracts.cognito.DAILY_EMAIL_LIMIT_MESSAGE) or
#   the SES account's daily quota (SES_DAILY_QUOTA_MESSAGE): nobody can be sent a code until it rolls over;
# - SES's send rate (SES_RATE_MESSAGE): a throttle, paced and retried like Cognito's own.
# A message that names no attempt is read as the delivery limit: halting a run costs a redrive, whereas failing every
# user as "attempt limit" would lose the run.
ATTEMPT_LIMIT_WORD: Final = "attempt"
ATTEMPT_LIMIT: Final = (
    FailureReason.ATTEMPT_LIMIT,
    "Cognito's per-user attempt limit is reached; try again later, not now",
)
DELIVERY_LIMIT: Final = (
    FailureReason.DELIVERY_LIMIT_REACHED,
    "the pool's e-mail delivery limit for the day is reached (Cognito's own sender or the SES account's quota); "
    "nobody can be sent a code until it rolls over",
)

RESETTABLE_STATUSES = frozenset({CONFIRMED, RESET_REQUIRED})


class _PermanentFailure(Exception):  # noqa: N818 - carries a classified outcome to the one place that reports it
    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def is_throttled(error: CognitoError) -> bool:
    """Refused for the rate: Cognito's request-rate throttle, or SES's send rate as Cognito relays it."""
    return error.code == THROTTLED or (
        error.code == LIMIT_EXCEEDED and SES_RATE_MESSAGE.lower() in error.message.lower()
    )


def _limit_exceeded(message: str) -> tuple[FailureReason, str] | None:
    if SES_RATE_MESSAGE.lower() in message:
        return None  # a throttle (is_throttled)
    return ATTEMPT_LIMIT if ATTEMPT_LIMIT_WORD in message else DELIVERY_LIMIT


def _not_authorized(message: str) -> tuple[FailureReason, str]:
    # The same code covers two user states; Cognito's message is the only thing that tells them apart.
    if "disabled" in message:
        return FailureReason.USER_DISABLED, "the user is disabled"
    return FailureReason.INVALID_USER_STATE, "the user's state does not allow a password reset"


def _invalid_parameter(message: str) -> tuple[FailureReason, str]:
    if "verified" in message or "registered" in message:
        return FailureReason.NO_VERIFIED_CONTACT, "the user has no verified email or phone number"
    return FailureReason.INVALID_REQUEST, "request: Cognito rejected one of its parameters"


# The codes whose meaning depends on Cognito's message (read lower-cased).
BY_MESSAGE: Final[dict[str, Callable[[str], tuple[FailureReason, str] | None]]] = {
    LIMIT_EXCEEDED: _limit_exceeded,
    "NotAuthorizedException": _not_authorized,
    "InvalidParameterException": _invalid_parameter,
}


def classify(error: CognitoError) -> tuple[FailureReason, str] | None:
    """A permanent failure's reason and explanation; None when the error is transient or unclassified."""
    if error.code in PERMANENT_FAILURES:
        return PERMANENT_FAILURES[error.code]
    by_message = BY_MESSAGE.get(error.code)
    return by_message(error.message.lower()) if by_message is not None else None


@dataclass(frozen=True, slots=True)
class ResetDependencies:
    directory: UserDirectory
    settings: ResetSettings
    ledger: Ledger | None  # None: no dedupe table is configured, and every request is acted on
    audit: AuditTrail
    backoff: Backoff
    call_seconds: float = 0.0  # the longest one AWS call can take (clients.Timeouts.per_call)
    pacer: Pacer = field(default_factory=Pacer)  # this container's share of the rate budget (none: unpaced)
    # How each pool's users sign in (DescribeUserPool, once per pool); None: not read, e-mail rows use ListUsers.
    pool_rules: PoolRulesCache | None = None
    # The event path's storm cap (reset_cap.py); None: not capped. Where the requests it refuses go.
    event_cap: ResetCap | None = None
    failed_requests: FailedRequests = field(default_factory=NoFailedRequests)


class _NotSent(Exception):  # noqa: N818 - Cognito's answer was lost, and the pool shows the reset did not happen
    pass


def _is_transient(error: Exception) -> bool:
    return isinstance(error, CognitoError) and (error.code in TRANSIENT_CODES or is_throttled(error))


def _not_sent(error: CognitoError) -> bool:
    """Certainly refused before the code went out: a throttle (Cognito's or SES's) or a connection never made."""
    return error.code in DEFINITELY_NOT_SENT or is_throttled(error)


def _may_send_again(error: Exception) -> bool:
    """A transient error after which the call can be made again at once: not one that got no answer, since Cognito
    may still be at work on that call."""
    return _is_transient(error) and cast("CognitoError", error).code != NETWORK_ERROR


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
            if is_throttled(error):
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
    if _is_transient(error):
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
    """The pool's canonical user for the request, found as docs/identifiers.md says: a username with AdminGetUser,
    which resolves an alias or another case as the pool signs in; an e-mail address the same way where the pool signs
    in with it, else (and for an address that is no alias: an unverified one) with ListUsers; a sub with ListUsers."""
    kind, value = request.identifier
    if kind == "username":
        return _got(pool, value, deps, deadline)
    if kind == "email" and _signs_in_with_email(pool, deps, deadline):
        try:
            return _got(pool, value, deps, deadline)
        except _PermanentFailure as failure:
            if failure.reason is not FailureReason.USER_NOT_FOUND:
                raise
    return _listed(pool, kind, value, deps, deadline)


def _got(pool: str, name: str, deps: ResetDependencies, deadline: Deadline) -> DirectoryUser:
    """The user AdminGetUser finds by a username or an alias of it (API Reference, AdminGetUser, Username: "typically
    your user's username, but it can be any of their alias attributes")."""
    return _cognito(deps, deadline, CallCategory.LOOKUP, lambda: deps.directory.get_user(pool, name))


def _listed(pool: str, kind: LookupAttribute, value: str, deps: ResetDependencies, deadline: Deadline) -> DirectoryUser:
    """The one user ListUsers' exact filter finds; a sub is looked up in lower case, as Cognito writes subs."""
    wanted = value.lower() if kind == "sub" else value
    found = _cognito(deps, deadline, CallCategory.LOOKUP, lambda: deps.directory.find_users(pool, kind, wanted))
    if not found:
        raise _PermanentFailure(FailureReason.USER_NOT_FOUND, f"no user in the pool has that {kind}")
    if len(found) > 1:
        raise _PermanentFailure(
            FailureReason.AMBIGUOUS_USER, f"more than one user has that {kind}; identify the user by username"
        )
    return found[0]


def _signs_in_with_email(pool: str, deps: ResetDependencies, deadline: Deadline) -> bool:
    """Whether the pool takes an e-mail address as a username or an alias (pool_rules.py); False where that is not
    known. Reading it costs one call per pool and container, which needs the invocation's time like any other."""
    if deps.pool_rules is None:
        return False
    if not deadline.allows(deps.call_seconds + deps.backoff.policy.reserve_seconds):
        raise TransientResetError("not enough of the invocation left for another Cognito call")
    rules = deps.pool_rules.rules_for(pool)
    return rules is not None and rules.signs_in_with_email


class _SetAside(Exception):  # noqa: N818 - carries the answer for a user the request keeps out
    """The user is a member of a group the request excludes: skipped, nothing sent."""


def _excluded(
    request: ResetRequest, user: DirectoryUser, pool: str, deps: ResetDependencies, deadline: Deadline
) -> None:
    """The request's excludeGroups: a member of any of them is set aside (its groups read from the pool, one listing
    per user, only when the request excludes any)."""
    if not request.exclude_groups:
        return
    groups = _cognito(deps, deadline, CallCategory.LOOKUP, lambda: deps.directory.groups_of(pool, user.username))
    named = sorted(set(request.exclude_groups) & set(groups))
    if named:
        raise _SetAside(
            f"a member of {', '.join(named)}, which this request excludes (excludeGroups); nothing was sent"
        )


def _hold(request: ResetRequest, user: DirectoryUser) -> None:
    """The request's holdModifiedSince: a user whose record changed after it (or whose change time the pool does not
    tell) is held for review, never reset. Checked right before a code would go out: a retry that replays what this
    request already did is not held by the change its own reset made."""
    since = request.hold_modified_since
    if since is None:
        return
    if user.last_modified is None or user.last_modified > since.timestamp():
        raise _PermanentFailure(
            FailureReason.HELD_FOR_REVIEW,
            "the user's record changed after holdModifiedSince: their e-mail or phone may not be theirs any more; "
            "verify them, then reset the user by hand",
        )


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


class _Settled(Exception):  # noqa: N818 - carries what came of an attempt out of the call's retries
    def __init__(self, record: UserRecord) -> None:
        super().__init__(record.state.value)
        self.record = record


@dataclass(frozen=True, slots=True)
class _Reset:
    """One valid request, resolved to the pool's user, carried out under the ledger's rules (ledger.py): one code per
    user per cooldown window, whatever path the request came by."""

    pool: str
    user: DirectoryUser
    request: ResetRequest
    deps: ResetDependencies
    ledger: Ledger
    deadline: Deadline
    delivery: str | None = None  # the EventBridge event's id: one event, however often it is delivered
    index: int | None = None  # the manifest row's position, for a bulk run's item
    capped: bool = False  # came through the event path: each code it sends takes a slot of the storm cap

    @property
    def user_key(self) -> str:
        return user_key(self.pool, self.user.sub)

    @property
    def run_key(self) -> str | None:
        return run_key(self.pool, self.user.sub, self.request.run_id) if self.request.run_id else None

    @property
    def origin(self) -> str:
        """Which request this is. The same request again is a retry and replays its result: the same row of the same
        run (a batch retry, a redrive), the same requestId, the same EventBridge event, or (with none of these) the
        same content. Anything else is a new request."""
        if self.request.run_id:
            if self.index is not None:
                return origin("run", self.request.run_id, str(self.index))
            return origin("run", self.request.run_id, self._content)
        if self.request.request_id:
            return origin("request", self.pool, self.request.request_id)
        if self.delivery:
            return origin("event", self.delivery)
        return origin("content", self.pool, self._content)

    @property
    def _content(self) -> str:
        return json.dumps(self.request.model_dump(mode="json", exclude={"dry_run"}), sort_keys=True)

    def _claim(self) -> UserRecord:
        return UserRecord(
            state=Entry.CLAIMED,
            origin=self.origin,
            at=0.0,
            before_status=self.user.status,
            before_modified=self.user.last_modified,
            run_id=self.request.run_id,
            request_ref=request_reference(self.request.request_id) if self.request.request_id else None,
        )

    def carry_out(self, result: ResetResult) -> ResetResult:
        if not self.deadline.allows(2 * self.deps.call_seconds + self.deps.backoff.policy.reserve_seconds):
            raise TransientResetError("not enough of the invocation left to claim the user and reset them")
        try:
            if self.run_key is not None and (done := self.ledger.run(self.run_key, self.deadline)) is not None:
                return self._told(result, done.state, done.origin, LastReset(done.at, self.request.run_id))
            for _ in range(CLAIM_ROUNDS):
                told = self._decide(self.ledger.user(self.user_key, self.deadline), result)
                if told is not None:
                    return told
        except LedgerUnavailable as error:
            raise TransientResetError(f"dedupe table unavailable: {error}") from error
        raise TransientResetError(
            "the user's record changed under every attempt to claim it; another invocation is at work"
        )

    def _decide(self, record: UserRecord | None, result: ResetResult) -> ResetResult | None:
        """What the user's record means for this request; None when another writer changed it first (read again)."""
        if record is not None and record.state is Entry.CLAIMED:
            if not self._lease_over(record):
                raise TransientResetError("another invocation holds the user's claim and may be calling Cognito")
            verdict = self._pool_says(record)
            if verdict is Verdict.NOT_ACTED:
                # The dead claim never reached Cognito: the record it replaced (if any) speaks for the user again.
                if record.previous() is None:
                    return self._send(record, result)
                restored = self.ledger.release(self.user_key, record, self.deadline)
                if restored is None:
                    return None
                record = restored
            else:
                settled = self.ledger.settle(self.user_key, record, settled_state(verdict), self.deadline)
                if settled is None:
                    return None
                record = self._remember_run(settled)

        if record is None or not self.ledger.blocks(record, self.origin):
            return self._send(record, result)
        if record.origin != self.origin and self.request.force:
            return self._send(record, result, forced=True)
        if record.origin == self.origin and record.run_id is not None:
            # The row's retry found no run record (its write had failed): the run remembers it now.
            self._remember_run(record)
        return self._told(result, record.state, record.origin, _last(record))

    def _told(self, result: ResetResult, state: Entry, by: str, last: LastReset) -> ResetResult:
        """The answer from a record: a retry of the same request replays it; another request is a duplicate."""
        if state is Entry.UNCONFIRMED:
            detail = "an earlier attempt's outcome is unconfirmed (the pool cannot tell); nothing was sent again"
            return replace(result, status=ResetStatus.UNCONFIRMED, detail=detail, last_reset=last, replayed=True)
        if by == self.origin:
            return replace(result, status=ResetStatus.RESET, replayed=True, forced=last.forced)
        detail = "reset within the cooldown window; nothing was sent again (force sends a second code)"
        return replace(result, status=ResetStatus.SKIPPED, duplicate=True, detail=detail, last_reset=last)

    def _lease_over(self, claim: UserRecord) -> bool:
        """Whether nobody can be calling Cognito under the claim any more: its lease is over, or ends soon enough to be
        waited out in this invocation, with time left to read the pool and act."""
        wait = claim.lease_until - self.ledger.clock()
        if wait <= 0:
            return True
        if not self.deadline.allows(wait + 2 * self.deps.call_seconds + self.deps.backoff.policy.reserve_seconds):
            return False
        self.deps.backoff.sleep(wait)
        return True

    def _pool_says(self, claim: UserRecord) -> Verdict:
        """Whether an earlier attempt, whose claim this is, reset the user. Raises TransientResetError when the pool
        cannot be read now (the claim stays, and a later attempt asks again), a classified failure when the user is
        gone."""
        directory, pool, username = self.deps.directory, self.pool, self.user.username
        now = _cognito(self.deps, self.deadline, CallCategory.LOOKUP, lambda: directory.get_user(pool, username))
        return pool_verdict(
            before_status=claim.before_status,
            before_modified=claim.before_modified,
            now_status=now.status,
            now_modified=now.last_modified,
        )

    def _remember_run(self, record: UserRecord) -> UserRecord:
        """A reset made by a bulk run's row is also remembered by that run, for as long as it can be redriven, whoever
        settles it (the row's own retry, or another request that found its claim). Best effort: inside the window the
        user's record answers a redrive too, and the row's next retry writes it again."""
        if record.run_id is not None:
            key = run_key(self.pool, self.user.sub, record.run_id)
            try:
                self.ledger.remember_run(key, RunRecord(record.state, record.origin, record.at), self.deadline)
            except LedgerUnavailable:
                report_unrecorded_reset()
        return record

    def _send(self, replacing: UserRecord | None, result: ResetResult, *, forced: bool = False) -> ResetResult | None:
        """Claim the user, then AdminResetUserPassword, never repeated blindly. An error Cognito answered with after it
        may have acted (a 5xx) is checked against the pool before the call is made again; after an answer that never
        came (a timeout, a dropped connection) the pool is read only once Cognito can no longer be acting on the call
        (the claim's lease is over: waited out if the invocation has the time, else left to a later attempt). None
        when another writer took the user first."""
        _hold(self.request, self.user)
        # What this claim replaces, if finished (a forced reset, a reset after the window), is kept in the claim.
        previous = replacing if replacing is not None and replacing.finished else None
        claim = self.ledger.claim(
            self.user_key,
            replace(self._claim(), forced=forced).carrying(previous),
            replacing=replacing.token if replacing else None,
            deadline=self.deadline,
        )
        if claim is None:
            return None
        self._before_the_call(claim)
        held = [claim]
        unknown = [False]  # a call's fate is unknown: the claim must stay for a later attempt to judge
        in_flight = [False]  # a call got no answer: Cognito may still be acting on it until the claim's lease ends
        directory, pool, username = self.deps.directory, self.pool, self.user.username
        metadata = self.request.client_metadata

        def under_the_lease() -> None:
            # Right before the call (after any wait for the rate budget): the lease covers this call and the time
            # Cognito may act on it. A claim taken just now already does; any later call renews it first, and a claim
            # someone else took over after the lease ran out is not called under.
            if self.ledger.clock() + self.ledger.lease_seconds - self.deps.call_seconds > held[-1].lease_until:
                renewed = self.ledger.renew(self.user_key, held[-1], self.deadline)
                if renewed is None:
                    raise TransientResetError("the user's claim was taken over; a later attempt reads the pool")
                held.append(renewed)
            directory.reset_password(pool, username, metadata)

        reset_password = _paced(self.deps, self.deadline, CallCategory.RESET, under_the_lease)

        def send_once() -> None:
            try:
                reset_password()
            except CognitoError as error:
                if not _not_sent(error) and classify(error) is None:
                    # Neither refused before processing nor a classified refusal: Cognito may have acted.
                    unknown[0] = True
                if error.code == NETWORK_ERROR:
                    in_flight[0] = True
                    # Cognito may still be acting on the call until the claim's lease ends: wait it out if there is
                    # time, then read the pool; otherwise a later attempt does.
                    if not self._lease_over(held[-1]):
                        raise
                    in_flight[0] = False
                elif error.code not in ANSWER_CAME_CODES:
                    raise
                verdict = self._pool_says(held[-1])
                if verdict is Verdict.NOT_ACTED:
                    unknown[0] = False
                    raise _NotSent from error
                raise _Settled(self._settle(held[-1], verdict)) from error

        def retry(error: Exception) -> bool:
            # A call that got no answer may still be at work in Cognito: not sent again in this invocation.
            return isinstance(error, _NotSent) or _may_send_again(error)

        try:
            _retried(self.deps, self.deadline, send_once, retry)
        except _Settled as settled:
            return self._outcome(result, settled.record, forced=forced)
        except (_PermanentFailure, TransientResetError, UnclassifiedResetError):
            if not unknown[0]:
                self._release(held[-1])
            elif not in_flight[0]:
                # Cognito answered every call: it is done with them, and the next attempt may read the pool at once.
                self._end_lease(held[-1])
            raise
        self._settle(held[-1], Verdict.ACTED)
        return replace(result, status=ResetStatus.RESET, forced=forced)

    def _before_the_call(self, claim: UserRecord) -> None:
        """What a held claim needs before its code goes out: a slot of the storm cap (on the event path), and a bulk
        run's record of the recipient (before the call: SES may report the e-mail before Cognito answers)."""
        self._take_a_slot(claim)
        if self.request.run_id and self.deps.settings.delivery_events_counted:
            remember_recipient(self.ledger, self.user, self.request.run_id, self.deadline)

    def _take_a_slot(self, claim: UserRecord) -> None:
        """A slot of the event path's rolling hour for the code this claim is about to send (reset_cap.py). The hour
        full: the claim is given up and the request fails with RESET_CAP_REACHED, answered, not raised, so that
        retries do not spend the cap; the table silent: the claim is given up and the request is retried later."""
        cap = self.deps.event_cap
        if not self.capped or cap is None:
            return
        try:
            took = cap.take()
        except LedgerUnavailable as error:
            self._release(claim)
            raise TransientResetError(f"the storm cap's counter did not answer: {error}") from error
        if not took:
            self._release(claim)
            raise _PermanentFailure(
                FailureReason.RESET_CAP_REACHED,
                f"the event path's cap of {cap.per_hour} resets an hour is reached; nothing was sent. A mass reset is "
                "a bulk run (cognito-reset bulk); otherwise ask again later",
            )

    @staticmethod
    def _outcome(result: ResetResult, record: UserRecord, *, forced: bool) -> ResetResult:
        """What this attempt did, as the pool told it after an error Cognito answered with."""
        if record.state is Entry.RESET:
            return replace(result, status=ResetStatus.RESET, forced=forced)
        detail = "Cognito's answer was an error and the pool cannot tell whether it acted; nothing was sent again"
        return replace(result, status=ResetStatus.UNCONFIRMED, detail=detail, last_reset=_last(record))

    def _settle(self, claim: UserRecord, verdict: Verdict) -> UserRecord:
        """Replace a held claim with what came of it. Should the table fail, the claim stays, and a later attempt
        finds what happened in the pool: the answer given now stands."""
        state = settled_state(verdict)
        settled = replace(claim, state=state, lease_until=0.0)
        try:
            written = self.ledger.settle(self.user_key, claim, state, self.deadline)
        except LedgerUnavailable:
            written = None
        if written is None:
            report_unrecorded_reset()
        return self._remember_run(written or settled)

    def _end_lease(self, claim: UserRecord) -> None:
        """Let the next attempt judge a claim at once (best effort: otherwise it waits for the lease to end)."""
        try:
            self.ledger.end_lease(self.user_key, claim, self.deadline)
        except LedgerUnavailable:
            return

    def _release(self, claim: UserRecord) -> None:
        """Give up a claim whose calls are known not to have reset the user (best effort: a claim left behind is
        judged by the pool once its lease ends)."""
        try:
            self.ledger.release(self.user_key, claim, self.deadline)
        except LedgerUnavailable:
            return


def _last(record: UserRecord) -> LastReset:
    return LastReset(record.at, record.run_id, record.request_ref, record.forced)


def reset_user(
    request: ResetRequest,
    deps: ResetDependencies,
    deadline: Deadline,
    delivery: str | None = None,
    index: int | None = None,
    *,
    capped: bool = False,
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
        _excluded(request, user, pool, deps, deadline)
        if request.dry_run:
            _hold(request, user)
            action = "reset the password"
            if request.global_sign_out:
                action += " and sign out every session"
            return replace(result, status=ResetStatus.DRY_RUN, detail=f"would {action}; nothing was sent")
        if deps.ledger is None:
            _hold(request, user)
            _cognito(
                deps,
                deadline,
                CallCategory.RESET,
                lambda: deps.directory.reset_password(pool, user.username, request.client_metadata),
            )
            result = replace(result, status=ResetStatus.RESET)
        else:
            reset = _Reset(pool, user, request, deps, deps.ledger, deadline, delivery, index, capped=capped)
            result = reset.carry_out(result)
    except _PermanentFailure as failure:
        return replace(result, status=ResetStatus.FAILED, reason=failure.reason, detail=failure.detail)
    except _SetAside as aside:
        return replace(result, status=ResetStatus.SKIPPED, detail=str(aside))
    if request.global_sign_out:
        # After the reset, and also for a duplicate or an unconfirmed reset: signing out again is harmless, and it
        # lets a retry that follows a failed sign-out finish the job without sending the user a second code.
        try:
            _cognito(deps, deadline, CallCategory.SIGN_OUT, lambda: deps.directory.global_sign_out(pool, user.username))
            result = replace(result, signed_out=True)
        except _PermanentFailure as failure:
            result = replace(result, detail=f"reset done, but global sign-out failed: {failure.detail}")
    return result


def handle_request(
    request: ParsedRequest,
    deps: ResetDependencies,
    deadline: Deadline,
    delivery: str | None = None,
    index: int | None = None,
    *,
    capped: bool = False,
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
    return reset_user(request, deps, deadline, delivery, index, capped=capped)
