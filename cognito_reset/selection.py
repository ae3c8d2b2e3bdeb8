"""Selecting a run's users from the pool itself: the members of a group (ListUsersInGroup) or the users a ListUsers
filter matches. The listing is paced with the reset function's own token bucket: its calls count against Cognito's
request-rate quota for the account and Region, which the run and every other app there share."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

from cognito_reset.stack import OperatorError
from contracts.cognito import TOO_MANY_REQUESTS
from reset_password.pacing import CallCategory, Pacer

# The most a page of ListUsers or ListUsersInGroup holds (Amazon Cognito API Reference, ListUsers "Limit": 0-60).
PAGE_SIZE: Final = 60
# Calls per second when the operator names no rate: a small share of Cognito's quotas for reading users.
DEFAULT_RATE: Final = 5.0
# How often one call is tried again when Cognito throttles it (after botocore's own retries), slowing down each time.
THROTTLED_ATTEMPTS: Final = 8


@dataclass(slots=True)
class PacedCognito:
    """Cognito's user-reading calls, at most `rate` a second, slowing down when Cognito throttles them."""

    cognito: Any
    rate: float = DEFAULT_RATE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    pacer: Pacer = field(init=False)
    calls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.pacer = Pacer({CallCategory.LOOKUP: self.rate}, clock=self.clock, sleep=self.sleep)

    def call(self, operation: str, **parameters: Any) -> Any:
        for attempt in range(1, THROTTLED_ATTEMPTS + 1):
            self.pacer.wait_for(CallCategory.LOOKUP, at_most=math.inf)
            self.calls += 1
            try:
                response = getattr(self.cognito, operation)(**parameters)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != TOO_MANY_REQUESTS or attempt == THROTTLED_ATTEMPTS:
                    raise
                self.pacer.throttled(CallCategory.LOOKUP)
                continue
            self.pacer.went_through(CallCategory.LOOKUP)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")


def group_members(paced: PacedCognito, user_pool_id: str, group: str) -> Iterator[str]:
    """The usernames of the group's members, page by page."""
    parameters: dict[str, Any] = {"UserPoolId": user_pool_id, "GroupName": group, "Limit": PAGE_SIZE}
    yield from _usernames(
        paced, "list_users_in_group", "NextToken", parameters, f"group {group} in pool {user_pool_id}"
    )


def filtered_users(paced: PacedCognito, user_pool_id: str, expression: str) -> Iterator[str]:
    """The usernames of the users a ListUsers filter (such as `email ^= "a"`) matches, page by page."""
    parameters: dict[str, Any] = {"UserPoolId": user_pool_id, "Filter": expression, "Limit": PAGE_SIZE}
    yield from _usernames(paced, "list_users", "PaginationToken", parameters, f"--filter in pool {user_pool_id}")


def _usernames(paced: PacedCognito, operation: str, token: str, parameters: dict[str, Any], what: str) -> Iterator[str]:
    """Every page of a listing (each operation names its page token its own way)."""
    while True:
        page = _listed(paced, operation, parameters, what)
        yield from (user["Username"] for user in page.get("Users", []))
        if not page.get(token):
            return
        parameters = {**parameters, token: page[token]}


def _listed(paced: PacedCognito, operation: str, parameters: dict[str, Any], what: str) -> Any:
    try:
        return paced.call(operation, **parameters)
    except ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") in {"ResourceNotFoundException", "InvalidParameterException"}:
            raise OperatorError(f"{what}: {details.get('Message') or details.get('Code')}") from error
        raise
