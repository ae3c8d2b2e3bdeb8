"""Whether a run's users have finished what the reset started: each user the run reset, read from ResultWriter's
output, and their status in the pool now: CONFIRMED has chosen a new password since, RESET_REQUIRED is still waiting.

The statuses come the cheaper of two ways, both paced: one AdminGetUser per user the run reset, or, for a run large
against its pool, a listing of the pool's users in each of those two statuses (ListUsers with a
`cognito:user_status` filter, 60 users a call), matched with the run's users. A million users take 55 hours one by
one at 5 calls a second, and under two hours as two listings of a million-user pool.

ResultWriter's layout (Step Functions Developer Guide, "ResultWriter (Map)"): `<results folder>/manifest.json` lists
`ResultFiles` by child status (SUCCEEDED, FAILED, PENDING), each `{"Key", "Size"}`; only succeeded children hold
results, which contracts.bulk reads (`child_executions`, `batch_results`), as the run's summary does.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

from cognito_reset.selection import PAGE_SIZE, PacedCognito, filtered_users
from cognito_reset.stack import OperatorError
from contracts.bulk import batch_results, child_executions
from contracts.cognito import CONFIRMED, RESET_REQUIRED
from contracts.results import ResetStatus

NOT_FOUND: Final = "NOT_FOUND"  # deleted since the run
RESULTS_MANIFEST: Final = "manifest.json"
# A reset code is valid for one hour (Amazon Cognito Developer Guide, "Recovering user accounts"). Until the user
# chooses a new password, signing in with the old one fails with PasswordResetRequiredException, and the app must run
# the forgot-password flow (Amazon Cognito API Reference, AdminResetUserPassword; ForgotPassword and
# ConfirmForgotPassword).
WAITING_ADVICE: Final = (
    'a reset code is valid for one hour; a user whose code has expired chooses "Forgot password" at sign-in, and '
    "Cognito sends a new code to choose a new password with (signing in with the old password is refused until then)"
)


@dataclass(frozen=True, slots=True)
class Completion:
    """The run's reset users by their status now."""

    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def reset(self) -> int:
        return sum(self.by_status.values())

    @property
    def new_password(self) -> int:
        return self.by_status[CONFIRMED]

    @property
    def waiting(self) -> int:
        return self.by_status[RESET_REQUIRED]

    def document(self) -> dict[str, Any]:
        others = {
            status: n for status, n in sorted(self.by_status.items()) if status not in {CONFIRMED, RESET_REQUIRED}
        }
        return {"reset": self.reset, "newPassword": self.new_password, "waiting": self.waiting, "other": others}

    def lines(self) -> list[str]:
        lines = [
            f"  of {self.reset:,} users reset: {self.new_password:,} have chosen a new password, "
            f"{self.waiting:,} are still waiting"
        ]
        others = self.document()["other"]
        if others:
            lines.append("  others now: " + ", ".join(f"{status} {n:,}" for status, n in others.items()))
        if self.waiting:
            lines.append(f"  waiting: {WAITING_ADVICE}")
        return lines


def reset_users(s3: Any, bucket: str, folder: str) -> Iterator[tuple[str | None, str]]:
    """(pool, username) of every result the run reported `reset`, each once. `folder` ends in '/'."""
    seen: set[tuple[str | None, str]] = set()
    listing = json.loads(b"".join(_lines(s3, bucket, folder + RESULTS_MANIFEST)))
    for result_file in listing.get("ResultFiles", {}).get("SUCCEEDED", []):
        lines = (line.decode("utf-8") for line in _lines(s3, bucket, result_file["Key"]))
        for child in child_executions(lines):
            for result in batch_results(child):
                username = result.get("username")
                if result.get("status") != ResetStatus.RESET or not isinstance(username, str):
                    continue
                user = (result.get("userPoolId"), username)
                if user not in seen:
                    seen.add(user)
                    yield user


def check_completion(paced: PacedCognito, users: Iterator[tuple[str | None, str]], default_pool: str) -> Completion:
    """Each user's status now, the cheaper way (module docstring)."""
    by_pool: dict[str, set[str]] = {}
    for pool, username in users:
        by_pool.setdefault(pool or default_pool, set()).add(username)
    completion = Completion()
    for pool, usernames in by_pool.items():
        if len(usernames) > 2 * math.ceil(_estimated_users(paced, pool) / PAGE_SIZE):
            _listed_statuses(paced, pool, usernames, completion)
        else:
            _looked_up(paced, ((pool, username) for username in sorted(usernames)), default_pool, completion)
    return completion


def _estimated_users(paced: PacedCognito, pool: str) -> int:
    described = paced.call("describe_user_pool", UserPoolId=pool)["UserPool"]
    return int(described.get("EstimatedNumberOfUsers") or 0)


def _listed_statuses(paced: PacedCognito, pool: str, usernames: set[str], completion: Completion) -> None:
    """The run's users among the pool's users in each status; those in neither are looked up one by one."""
    unaccounted = set(usernames)
    for status in (RESET_REQUIRED, CONFIRMED):
        matched = usernames & set(filtered_users(paced, pool, f'cognito:user_status = "{status}"'))
        completion.by_status[status] += len(matched)
        unaccounted -= matched
    _looked_up(paced, ((pool, username) for username in sorted(unaccounted)), pool, completion)


def _looked_up(
    paced: PacedCognito, users: Iterator[tuple[str | None, str]], default_pool: str, completion: Completion
) -> None:
    """One paced AdminGetUser each."""
    for pool, username in users:
        try:
            user = paced.call("admin_get_user", UserPoolId=pool or default_pool, Username=username)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "UserNotFoundException":
                raise
            completion.by_status[NOT_FOUND] += 1
            continue
        completion.by_status[str(user.get("UserStatus"))] += 1


def _lines(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    """An object's lines as they stream in: a result file of a million users is never held whole."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            raise OperatorError(f"the run's results are not there (yet): no s3://{bucket}/{key}") from error
        raise
    yield from body.iter_lines(keepends=True)
