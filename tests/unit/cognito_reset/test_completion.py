"""Completion: the users a run reset, read from ResultWriter's output, and their status in the pool now."""

from __future__ import annotations

import pytest

from cognito_reset.completion import WAITING_ADVICE, check_completion, reset_users
from cognito_reset.selection import PacedCognito
from cognito_reset.stack import OperatorError
from tests.unit.cognito_reset.fakes import BUCKET, POOL, Clock, FakeCognito, FakeS3, results_folder


def result(username: str | None, status: str, **more: object) -> dict[str, object]:
    return {"username": username, "userPoolId": POOL, "status": status, "reason": None} | more


def written_results() -> FakeS3:
    s3 = FakeS3()
    s3.write_results(
        results_folder("run-1"),
        [
            [result("alice", "reset"), result("bob", "reset"), result("carol", "failed", reason="USER_DISABLED")],
            [result("dave", "skipped", duplicate=True), result("erin", "reset")],
            [result("alice", "reset", replayed=True), result(None, "failed", reason="INVALID_REQUEST")],
        ],
    )
    return s3


def test_the_users_the_run_reset_are_read_across_result_files_once_each() -> None:
    users = list(reset_users(written_results(), BUCKET, results_folder("run-1")))

    assert users == [(POOL, "alice"), (POOL, "bob"), (POOL, "erin")]


def test_each_reset_user_is_looked_up_paced_and_counted_by_status() -> None:
    others = {f"other-{n:03d}": "CONFIRMED" for n in range(200)}  # a pool far larger than the run
    cognito = FakeCognito(users={POOL: {"alice": "CONFIRMED", "bob": "RESET_REQUIRED", **others}})
    clock = Clock()
    paced = PacedCognito(cognito, rate=2.0, clock=clock.monotonic, sleep=clock.sleep)

    completion = check_completion(paced, reset_users(written_results(), BUCKET, results_folder("run-1")), POOL)

    assert completion.document() == {"reset": 3, "newPassword": 1, "waiting": 1, "other": {"NOT_FOUND": 1}}
    # Three users of a pool of 202: one lookup each is cheaper than listing the pool (4 pages a status).
    assert cognito.calls == ["DescribeUserPool"] + ["AdminGetUser"] * 3
    assert clock.sleeps == pytest.approx([0.5, 0.5, 0.5])
    assert completion.lines() == [
        "  of 3 users reset: 1 have chosen a new password, 1 are still waiting",
        "  others now: NOT_FOUND 1",
        f"  waiting: {WAITING_ADVICE}",
    ]


def test_results_that_are_not_written_yet_are_said_so() -> None:
    with pytest.raises(OperatorError, match=r"^the run's results are not there"):
        list(reset_users(FakeS3(), BUCKET, results_folder("run-1")))


def test_a_run_large_against_its_pool_is_matched_with_two_listings_not_one_lookup_each() -> None:
    statuses = {f"user-{n:03d}": "RESET_REQUIRED" if n % 3 else "CONFIRMED" for n in range(150)}
    statuses["gone-disabled"] = "UNKNOWN"
    cognito = FakeCognito(users={POOL: statuses})
    clock = Clock()
    paced = PacedCognito(cognito, rate=100.0, clock=clock.monotonic, sleep=clock.sleep)
    reset = [(POOL, name) for name in statuses]

    completion = check_completion(paced, iter(reset), POOL)

    assert completion.document() == {"reset": 151, "newPassword": 50, "waiting": 100, "other": {"UNKNOWN": 1}}
    # 151 users in a pool of 151: the users in each status, 60 a page (100 waiting, 50 confirmed), then the one in
    # neither status looked up: 5 calls instead of 151.
    assert cognito.calls == ["DescribeUserPool"] + ["ListUsers"] * 3 + ["AdminGetUser"]
