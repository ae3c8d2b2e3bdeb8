"""Each container's share of the rate budget, per call category, on a clock the test moves."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from contracts.results import ResetStatus
from reset_password.logic import ResetDependencies, reset_user
from reset_password.pacing import (
    BELOW_LIMIT,
    FIRST_PROBE_STEP,
    LIMIT_MEMORY_SECONDS,
    SLOWEST_SHARE,
    CallCategory,
    Pacer,
)
from reset_password.requests import ResetRequest
from reset_password.retry import Deadline
from tests.unit.reset_password.conftest import POOL
from tests.unit.reset_password.fakes import FakeCognito, FakeUser


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def every_category(rate: float | None) -> dict[CallCategory, float | None]:
    return dict.fromkeys(CallCategory, rate)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_category_is_held_to_its_rate(clock: Clock) -> None:
    pacer = Pacer(rates=every_category(4.0), clock=clock, sleep=clock.sleep)

    for _ in range(9):
        assert pacer.wait_for(CallCategory.RESET, at_most=60.0)

    assert clock.now == pytest.approx(2.0)  # the first call at once, then one every 0.25 s
    assert pacer.wait_for(CallCategory.LOOKUP, at_most=60.0)  # another category has its own bucket
    assert clock.now == pytest.approx(2.0)


def interval(pacer: Pacer, clock: Clock) -> float:
    """Seconds between two calls at the category's current rate (a fresh bucket's burst spent first)."""
    pacer.wait_for(CallCategory.RESET, at_most=60.0)
    start = clock.now
    pacer.wait_for(CallCategory.RESET, at_most=60.0)
    return clock.now - start


def test_throttling_halves_the_rate_down_to_an_eighth_and_calls_that_go_through_win_it_back(clock: Clock) -> None:
    pacer = Pacer(rates=every_category(8.0), clock=clock, sleep=clock.sleep)
    pacer.wait_for(CallCategory.RESET, at_most=60.0)

    for _ in range(5):
        pacer.throttled(CallCategory.RESET)
    assert interval(pacer, clock) == pytest.approx(1 / (8.0 * SLOWEST_SHARE))  # one call a second at the floor

    clock.now += 10 * LIMIT_MEMORY_SECONDS  # quiet minutes lift the ceiling back to the share
    for _ in range(100):
        pacer.went_through(CallCategory.RESET)
    assert interval(pacer, clock) == pytest.approx(1 / 8.0)


def test_after_a_throttle_the_rate_stays_just_under_the_throttled_one_and_each_quiet_minute_probes_higher(
    clock: Clock,
) -> None:
    pacer = Pacer(rates=every_category(10.0), clock=clock, sleep=clock.sleep)
    pacer.wait_for(CallCategory.RESET, at_most=60.0)

    pacer.throttled(CallCategory.RESET)  # at 10 a second: now 5
    assert interval(pacer, clock) == pytest.approx(1 / 5.0)
    for _ in range(100):
        pacer.went_through(CallCategory.RESET)
    assert interval(pacer, clock) == pytest.approx(1 / (10.0 * BELOW_LIMIT))  # not back to the rate Cognito refused

    ceiling = 10.0 * BELOW_LIMIT
    for step in (FIRST_PROBE_STEP, 2 * FIRST_PROBE_STEP):  # a minute without a throttle: a little higher, then more
        clock.now += LIMIT_MEMORY_SECONDS
        for _ in range(20):
            pacer.went_through(CallCategory.RESET)
        ceiling = min(10.0, ceiling * (1 + step))
        assert interval(pacer, clock) == pytest.approx(1 / ceiling)
    assert ceiling == 10.0  # 9 x 1.05 x 1.10 is past the share: the full share again


def test_a_throttle_while_probing_starts_the_probe_over(clock: Clock) -> None:
    pacer = Pacer(rates=every_category(10.0), clock=clock, sleep=clock.sleep)
    pacer.wait_for(CallCategory.RESET, at_most=60.0)
    pacer.throttled(CallCategory.RESET)
    clock.now += LIMIT_MEMORY_SECONDS
    for _ in range(20):
        pacer.went_through(CallCategory.RESET)  # probing at 9 x 1.05

    pacer.throttled(CallCategory.RESET)
    for _ in range(100):
        pacer.went_through(CallCategory.RESET)
    assert interval(pacer, clock) == pytest.approx(1 / (9.0 * (1 + FIRST_PROBE_STEP) * BELOW_LIMIT))
    clock.now += LIMIT_MEMORY_SECONDS
    for _ in range(20):
        pacer.went_through(CallCategory.RESET)
    # The first step again (5%), not the 10% the probe had come to.
    assert interval(pacer, clock) == pytest.approx(1 / (9.0 * (1 + FIRST_PROBE_STEP) * BELOW_LIMIT * 1.05))


def test_from_the_floor_the_full_share_is_found_again_within_six_quiet_minutes(clock: Clock) -> None:
    """A quota that was raised, or spent by others only for a while: gently, but within minutes."""
    pacer = Pacer(rates=every_category(8.0), clock=clock, sleep=clock.sleep)
    pacer.wait_for(CallCategory.RESET, at_most=60.0)
    for _ in range(5):
        pacer.throttled(CallCategory.RESET)  # the floor: one a second

    starts = []
    while clock.now < 10 * LIMIT_MEMORY_SECONDS:
        pacer.wait_for(CallCategory.RESET, at_most=60.0)
        starts.append(clock.now)
        pacer.went_through(CallCategory.RESET)
    full = next(start for start, after in itertools.pairwise(starts) if after - start == pytest.approx(1 / 8.0))

    # The sixth quiet minute lifts the ceiling past the share; a dozen calls climb to it.
    assert 5 * LIMIT_MEMORY_SECONDS < full <= 6 * LIMIT_MEMORY_SECONDS + 5.0


def test_against_a_quota_below_the_budget_few_calls_are_throttled(clock: Clock) -> None:
    """A container with a share of 10 a second against a quota of 6: the sawtooth probes once a minute."""
    pacer = Pacer(rates=every_category(10.0), clock=clock, sleep=clock.sleep)
    quota, tokens, last, calls, throttled = 6.0, 6.0, 0.0, 0, 0
    while clock.now < 600:
        pacer.wait_for(CallCategory.RESET, at_most=60.0)
        tokens, last = min(quota, tokens + (clock.now - last) * quota), clock.now
        calls += 1
        if tokens >= 1.0:
            tokens -= 1.0
            pacer.went_through(CallCategory.RESET)
        else:
            throttled += 1
            pacer.throttled(CallCategory.RESET)
    assert throttled / calls < 0.02  # the target for a budget set above the quota
    assert calls / 600 > 0.95 * quota


def test_no_wait_runs_past_what_the_invocation_can_spare(clock: Clock) -> None:
    pacer = Pacer(rates=every_category(0.5), clock=clock, sleep=clock.sleep)
    assert pacer.wait_for(CallCategory.RESET, at_most=1.0)

    assert not pacer.wait_for(CallCategory.RESET, at_most=1.0)  # the next slot is 2 s away
    assert clock.sleeps == []


def test_without_a_rate_nothing_waits(clock: Clock) -> None:
    pacer = Pacer(rates=every_category(None), clock=clock, sleep=clock.sleep)

    assert all(pacer.wait_for(CallCategory.RESET, at_most=0.0) for _ in range(100))
    assert clock.sleeps == []


def test_resets_are_paced_and_a_throttled_reset_slows_its_category(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser, clock: Clock
) -> None:
    cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "true"})
    paced = replace(deps, pacer=Pacer(rates=every_category(2.0), clock=clock, sleep=clock.sleep))
    cognito.fail("reset_password", "TooManyRequestsException")

    results = [reset_user(ResetRequest(username=name), paced, deadline) for name in ("alice", "bob")]

    assert [result.status for result in results] == [ResetStatus.RESET, ResetStatus.RESET]
    # alice: her lookup and her first reset at once; the reset is throttled, which halves the reset rate to 1/s, so
    # its retry waits a full second, and going through wins back 5% (1.1/s). bob: his lookup has a token again
    # (2/s, a second later); his reset waits for the reset category's next slot at 1.1/s.
    assert cognito.calls == ["get_user", "reset_password", "reset_password", "get_user", "reset_password"]
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1 / 1.1)]


def test_each_category_has_its_own_rate(clock: Clock) -> None:
    pacer = Pacer(rates={CallCategory.RESET: 1.0, CallCategory.LOOKUP: 4.0}, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        pacer.wait_for(CallCategory.LOOKUP, at_most=60.0)
        pacer.wait_for(CallCategory.SIGN_OUT, at_most=60.0)  # no rate: not paced
    assert clock.now == pytest.approx(0.5)
    for _ in range(3):
        pacer.wait_for(CallCategory.RESET, at_most=60.0)
    assert clock.now == pytest.approx(2.5)  # the first at once (0.5 s in), then one a second
