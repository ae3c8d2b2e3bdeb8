"""In-memory stand-ins for what the reset function talks to. They follow Cognito's documented behaviour, so unit
tests assert on the state of the pool (user status, codes sent), not on which methods were called."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reset_password.audit import audit_detail
from reset_password.dedupe import Attempt, Memory, Outcome
from reset_password.directory import CognitoError, DirectoryUser, LookupAttribute
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


class FakeCognito:
    """One or more user pools, with failures that can be queued per operation."""

    def __init__(self) -> None:
        self.pools: dict[str, dict[str, FakeUser]] = {}
        self.calls: list[str] = []
        self._failures: dict[str, list[CognitoError | None]] = {}
        self._lost_answers: dict[str, list[CognitoError]] = {}

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

    def get_user(self, user_pool_id: str, username: str) -> DirectoryUser:
        """As the stack's pool resolves a name: any case, or the user's verified e-mail as an alias."""
        users = self._enter("get_user", user_pool_id).values()
        wanted = username.lower()
        for user in users:
            alias = user.attributes.get("email") if user.attributes.get("email_verified") == "true" else None
            if wanted in (user.username.lower(), (alias or "").lower()):
                return DirectoryUser(user.username, user.enabled, user.status, dict(user.attributes))
        raise CognitoError("UserNotFoundException", "User does not exist.")

    def find_users(self, user_pool_id: str, attribute: LookupAttribute, value: str) -> list[DirectoryUser]:
        users = self._enter("find_users", user_pool_id).values()
        matches = [u for u in users if u.attributes.get(attribute) == value]
        return [DirectoryUser(u.username, u.enabled, u.status, dict(u.attributes)) for u in matches[:2]]

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
        user.status = "RESET_REQUIRED"
        user.codes_sent.append(dict(client_metadata))
        self._answer("reset_password")

    def global_sign_out(self, user_pool_id: str, username: str) -> None:
        users = self._enter("global_sign_out", user_pool_id)
        if username not in users:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        users[username].sessions = 0


class InMemoryDeduplicator:
    """Same rules as the DynamoDB one: an attempt that returns is remembered, one that raises leaves nothing (the
    clock never runs out here)."""

    def __init__(self) -> None:
        self.remembered: dict[str, Attempt] = {}
        self.memories: dict[str, Memory] = {}  # how long each key would be kept
        self.invocations: list[object] = []

    def register_invocation(self, context: object) -> None:
        self.invocations.append(context)

    def once(self, key: str, attempt: Callable[[], Attempt], memory: Memory = Memory.COOLDOWN) -> Outcome:
        if key in self.remembered:
            return Outcome(self.remembered[key], replayed=True)
        self.remembered[key] = attempt()
        self.memories[key] = memory
        return Outcome(self.remembered[key])

    def forget(self, key: str, memory: Memory = Memory.COOLDOWN) -> None:
        self.remembered.pop(key, None)
        self.memories.pop(key, None)


class RecordingAuditTrail:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.events: list[dict[str, object]] = []
        self.fail_with = fail_with

    def record(self, request: ResetRequest | None, result: ResetResult) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.events.append(audit_detail(request, result))
