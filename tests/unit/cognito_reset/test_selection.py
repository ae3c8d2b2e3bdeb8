"""Selecting a run's users from the pool: every page listed, and the listing paced on the injected clock."""

from __future__ import annotations

import pytest

from cognito_reset.selection import PAGE_SIZE, THROTTLED_ATTEMPTS, PacedCognito, filtered_users, group_members
from cognito_reset.stack import OperatorError
from tests.unit.cognito_reset.fakes import POOL, Clock, FakeCognito


def cognito_with(count: int) -> FakeCognito:
    names = [f"user{n:04d}" for n in range(count)]
    return FakeCognito(users={POOL: dict.fromkeys(names, "CONFIRMED")}, groups={"staff": names})


def test_every_member_of_a_group_is_listed_page_by_page() -> None:
    cognito = cognito_with(2 * PAGE_SIZE + 1)
    clock = Clock()

    members = list(
        group_members(PacedCognito(cognito, rate=5.0, clock=clock.monotonic, sleep=clock.sleep), POOL, "staff")
    )

    assert members == [f"user{n:04d}" for n in range(2 * PAGE_SIZE + 1)]
    assert cognito.calls == ["ListUsersInGroup"] * 3


def test_a_filter_lists_only_what_it_matches() -> None:
    cognito = cognito_with(150)
    clock = Clock()
    paced = PacedCognito(cognito, clock=clock.monotonic, sleep=clock.sleep)

    assert list(filtered_users(paced, POOL, 'username ^= "user00"')) == [f"user{n:04d}" for n in range(100)]
    assert cognito.calls == ["ListUsers"] * 2


def test_calls_are_paced_at_the_rate_on_the_clock() -> None:
    cognito = cognito_with(10 * PAGE_SIZE)
    clock = Clock()
    paced = PacedCognito(cognito, rate=2.0, clock=clock.monotonic, sleep=clock.sleep)

    list(group_members(paced, POOL, "staff"))

    # The first call goes at once, each of the other nine waits half a second: ten calls in 4.5 s at 2 per second.
    assert len(cognito.calls) == 10
    assert clock.sleeps == pytest.approx([0.5] * 9)
    assert clock.now - 1000.0 == pytest.approx(4.5)


def test_a_throttled_call_slows_down_and_is_tried_again() -> None:
    cognito = cognito_with(3)
    cognito.throttle = 2
    clock = Clock()
    paced = PacedCognito(cognito, rate=4.0, clock=clock.monotonic, sleep=clock.sleep)

    assert list(group_members(paced, POOL, "staff")) == ["user0000", "user0001", "user0002"]
    assert cognito.calls == ["ListUsersInGroup"] * 3
    # Halved to 2, then to 1 call per second: the waits grow.
    assert clock.sleeps == pytest.approx([0.5, 1.0])


def test_throttling_that_persists_ends_in_the_error() -> None:
    cognito = cognito_with(3)
    cognito.throttle = THROTTLED_ATTEMPTS
    clock = Clock()

    with pytest.raises(Exception, match="TooManyRequestsException"):
        list(group_members(PacedCognito(cognito, clock=clock.monotonic, sleep=clock.sleep), POOL, "staff"))
    assert len(cognito.calls) == THROTTLED_ATTEMPTS


def test_an_unknown_group_or_a_filter_cognito_refuses_is_the_operators_to_fix() -> None:
    clock = Clock()
    paced = PacedCognito(cognito_with(1), clock=clock.monotonic, sleep=clock.sleep)

    with pytest.raises(OperatorError, match=f"^group admins in pool {POOL}: Group not found"):
        list(group_members(paced, POOL, "admins"))
    with pytest.raises(OperatorError, match=f"^--filter in pool {POOL}: Error while parsing filter"):
        list(filtered_users(paced, POOL, "nonsense"))
