"""The sign-in rules of each pool the function resets users in, read with DescribeUserPool once per container and pool.

They decide how an e-mail row finds its user (logic._resolve; docs/identifiers.md). Best effort: a pool whose
configuration cannot be read is looked up as before (ListUsers, exact match), which the log says once per try, and the
configuration is read again after `RETRY_SECONDS`. A pool's sign-in attributes and case setting are fixed when it is
created (Developer Guide, "Updating user pool and app client configuration", Settings you can't change; API Reference,
UserPoolType, UsernameConfiguration: immutable once set), so what was read is kept for the container's life.
DescribeUserPool is outside the lookup budget (pacing.py): one call per pool and container.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from contracts.identifiers import PoolRules
from reset_password.directory import CognitoError
from reset_password.observability import logger

# How long a pool whose configuration could not be read is looked up without it before the next try: one failed
# DescribeUserPool per pool and period, not one per row.
RETRY_SECONDS: Final = 60.0


class PoolRulesCache:
    """The container's knowledge of its pools' sign-in rules. `describe` reads one pool's (UserDirectory.pool_rules)."""

    def __init__(
        self,
        describe: Callable[[str], PoolRules],
        *,
        clock: Callable[[], float] = time.monotonic,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._describe = describe
        self._clock = clock
        self._retry_seconds = retry_seconds
        self._known: dict[str, PoolRules] = {}
        self._unread_until: dict[str, float] = {}

    def rules_for(self, user_pool_id: str) -> PoolRules | None:
        """The pool's rules, or None while they cannot be read (then the caller does what it did before it knew)."""
        known = self._known.get(user_pool_id)
        if known is not None:
            return known
        unread_until = self._unread_until.get(user_pool_id)
        if unread_until is not None and self._clock() < unread_until:
            return None
        try:
            rules = self._describe(user_pool_id)
        except CognitoError as error:
            # No pool id, no value: the error's code says why (AccessDeniedException, TooManyRequestsException, ...).
            logger.warning(
                "pool configuration not read: e-mail rows are looked up with ListUsers (exact match) until it is",
                extra={"error_code": error.code},
            )
            self._unread_until[user_pool_id] = self._clock() + self._retry_seconds
            return None
        self._unread_until.pop(user_pool_id, None)
        self._known[user_pool_id] = rules
        return rules
