"""In-memory stand-ins for what the reset function talks to. They follow Cognito's documented behaviour, so unit
tests assert on the state of the pool (user status, codes sent), not on which methods were called."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.identifiers import PoolRules
from reset_password.audit import audit_detail
from reset_password.directory import CognitoError, DirectoryUser, LookupAttribute
from reset_password.failed_requests import failed_request_record
from reset_password.ledger import LedgerUnavailable
from reset_password.outcomes import ResetResult
from reset_password.requests import ResetRequest


@dataclass
class FakeUser:
    username: str
    attributes: dict[str, str]
    enabled: bool = True
    status: str = "CONFIRMED"
    sessions: int = 1
    codes_sent: list[dict[str, str]] = field(default_factory=list)
    last_modified: float = 1_000_000.0  # UserLastModifiedDate, epoch seconds
    groups: list[str] = field(default_factory=list)

    def directory_user(self) -> DirectoryUser:
        return DirectoryUser(self.username, self.enabled, self.status, dict(self.attributes), self.last_modified)


# DescribeUserPool's sign-in settings of the stack's pool (infra/user_pool.py: username and e-mail sign-in, case
# ignored), which every fake pool has unless a test gives it others.
STACK_POOL_SETTINGS: dict[str, Any] = {"AliasAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}
# A pool created through the API without sign-in settings: usernames only, case-sensitive.
API_DEFAULT_SETTINGS: dict[str, Any] = {}


class FakeCognito:
    """One or more user pools, with failures that can be queued per operation. Each pool finds a user by a name as
    its sign-in settings say (`settings`, DescribeUserPool's fields; the stack's pool's unless given)."""

    def __init__(self) -> None:
        self.pools: dict[str, dict[str, FakeUser]] = {}
        self.settings: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self._failures: dict[str, list[CognitoError | None]] = {}
        self._lost_answers: dict[str, list[CognitoError]] = {}
        self._clock = itertools.count(1)  # every change of a user moves its UserLastModifiedDate forward

    def add_user(
        self, pool: str, username: str, attributes: dict[str, str], enabled: bool = True, status: str = "CONFIRMED"
    ) -> FakeUser:
        sub = f"00000000-0000-4000-8000-{len(self.pools.get(pool, {})):012d}"
        user = FakeUser(username=username, attributes={"sub": sub, **attributes}, enabled=enabled, status=status)
        self.pools.setdefault(pool, {})[username] = user
        return user

    def fail(self, operation: str, code: str, message: str = "", times: int = 1, after: int = 0) -> None:
        """The next `times` calls of `operation` fail, once `after` more calls have gone through."""
        queue = self._failures.setdefault(operation, [])
        queue.extend([None] * after)
        queue.extend(CognitoError(code, message) for _ in range(times))

    def lose_answer(self, operation: str, code: str, times: int = 1) -> None:
        """Cognito does the work, and the answer is lost on the way back (a timeout, a reset connection, a 5xx)."""
        self._lost_answers.setdefault(operation, []).extend(CognitoError(code) for _ in range(times))

    def _answer(self, operation: str) -> None:
        lost = self._lost_answers.get(operation)
        if lost:
            raise lost.pop(0)

    def _enter(self, operation: str, pool: str) -> dict[str, FakeUser]:
        self.calls.append(operation)
        queued = self._failures.get(operation)
        failure = queued.pop(0) if queued else None
        if failure is not None:
            raise failure
        if pool not in self.pools:
            raise CognitoError("ResourceNotFoundException", "User pool does not exist.")
        return self.pools[pool]

    def rules(self, pool: str) -> PoolRules:
        return PoolRules.of_user_pool(self.settings.get(pool, STACK_POOL_SETTINGS))

    def pool_rules(self, user_pool_id: str) -> PoolRules:
        self._enter("pool_rules", user_pool_id)
        return self.rules(user_pool_id)

    def get_user(self, user_pool_id: str, username: str) -> DirectoryUser:
        """As Cognito resolves a name in the pool: the username, or an e-mail address where the pool takes it as the
        username (any) or as an alias (verified only); in any case where the pool ignores case."""
        users = self._enter("get_user", user_pool_id).values()
        rules = self.rules(user_pool_id)

        def same(found: str | None) -> bool:
            if not found:
                return False
            return found == username if rules.case_sensitive else found.casefold() == username.casefold()

        for user in users:
            email = user.attributes.get("email")
            verified = user.attributes.get("email_verified") == "true"
            by_email = "email" in rules.username_attributes or ("email" in rules.alias_attributes and verified)
            if same(user.username) or (by_email and same(email)):
                return user.directory_user()
        raise CognitoError("UserNotFoundException", "User does not exist.")

    def find_users(self, user_pool_id: str, attribute: LookupAttribute, value: str) -> list[DirectoryUser]:
        users = self._enter("find_users", user_pool_id).values()
        matches = [u for u in users if u.attributes.get(attribute) == value]
        return [user.directory_user() for user in matches[:2]]

    def reset_password(self, user_pool_id: str, username: str, client_metadata: Mapping[str, str]) -> None:
        users = self._enter("reset_password", user_pool_id)
        user = users.get(username)
        if user is None:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        if not user.enabled:
            raise CognitoError("NotAuthorizedException", "User is disabled.")
        if user.status not in ("CONFIRMED", "RESET_REQUIRED"):
            raise CognitoError("NotAuthorizedException", "User password cannot be reset in the current state.")
        if "true" not in (user.attributes.get("email_verified"), user.attributes.get("phone_number_verified")):
            raise CognitoError(
                "InvalidParameterException",
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            )
        # Also for a user who is RESET_REQUIRED already: a new code is sent and the user's record moves.
        user.status = "RESET_REQUIRED"
        user.last_modified += next(self._clock)
        user.codes_sent.append(dict(client_metadata))
        self._answer("reset_password")

    def global_sign_out(self, user_pool_id: str, username: str) -> None:
        users = self._enter("global_sign_out", user_pool_id)
        if username not in users:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        users[username].sessions = 0

    def groups_of(self, user_pool_id: str, username: str) -> list[str]:
        users = self._enter("groups_of", user_pool_id)
        if username not in users:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        return list(users[username].groups)


class Crash(BaseException):
    """The runtime process dying mid-invocation (nothing the function can catch, as Lambda kills it)."""


class CrashingCognito:
    """The fake Cognito, with the invocation dying right after AdminResetUserPassword answered (or right before it was
    sent)."""

    def __init__(self, cognito: FakeCognito, *, before: bool = False) -> None:
        self._cognito = cognito
        self._before = before

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cognito, name)

    def reset_password(self, user_pool_id: str, username: str, client_metadata: Mapping[str, str]) -> None:
        if self._before:
            raise Crash
        self._cognito.reset_password(user_pool_id, username, client_metadata)
        raise Crash


class InMemoryLedgerTable:
    """The ledger's table with DynamoDB's conditions (absent, or the token the writer names), and faults that can be
    queued: `fail_next(n)` fails the next n calls before they act, `lose_next_answers(n)` lets the next n writes act and
    then fail, as a dropped connection does."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self._failures = 0
        self._lost_answers = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures += times

    def lose_next_answers(self, times: int = 1) -> None:
        self._lost_answers += times

    def _enter(self) -> None:
        self.calls += 1
        if self._failures:
            self._failures -= 1
            raise LedgerUnavailable("InternalServerError")

    def read(self, key: str) -> dict[str, Any] | None:
        self._enter()
        item = self.items.get(key)
        return None if item is None else dict(item)

    def write(self, key: str, item: Mapping[str, Any], *, token: str, expires: int, replacing: str | None) -> bool:
        self._enter()
        current = self.items.get(key)
        if (current is None and replacing is not None) or (current is not None and current["token"] != replacing):
            return False
        self.items[key] = {**item, "token": token, "expiration": expires}
        if self._lost_answers:
            self._lost_answers -= 1
            raise LedgerUnavailable("ReadTimeoutError")
        return True

    def delete(self, key: str, *, token: str) -> None:
        self._enter()
        if self.items.get(key, {}).get("token") == token:
            del self.items[key]


class InMemoryCapTable:
    """The storm cap's buckets with DynamoDB's conditional ADD (atomic: one lock, as one item's conditional update is),
    and faults that can be queued: `fail_next(n)` fails the next n calls before they act."""

    def __init__(self) -> None:
        self.buckets: dict[str, int] = {}
        self.expirations: dict[str, int] = {}
        self._lock = threading.Lock()
        self._failures = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures += times

    def _enter(self) -> None:
        if self._failures:
            self._failures -= 1
            raise LedgerUnavailable("InternalServerError")

    def counts(self, keys: Sequence[str]) -> Mapping[str, int]:
        with self._lock:
            self._enter()
            return {key: self.buckets[key] for key in keys if key in self.buckets}

    def take_below(self, key: str, limit: int, expires: int) -> bool:
        with self._lock:
            self._enter()
            if self.buckets.get(key, 0) >= limit:
                return False
            self.buckets[key] = self.buckets.get(key, 0) + 1
            self.expirations[key] = expires
            return True

    @property
    def taken(self) -> int:
        return sum(self.buckets.values())


class RecordingFailedRequests:
    """The failed-request queue: every record parked on it, as the function would send it."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail_with = fail_with

    def park(self, event: object, result: ResetResult, function_arn: str | None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.records.append(failed_request_record(event, result, function_arn))


class RecordingAuditTrail:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.events: list[dict[str, object]] = []
        self.fail_with = fail_with

    def record(self, request: ResetRequest | None, result: ResetResult) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.events.append(audit_detail(request, result))
