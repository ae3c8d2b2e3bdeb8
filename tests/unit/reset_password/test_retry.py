from __future__ import annotations

import pytest

from reset_password.retry import Backoff, Deadline, RetryPolicy


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_delays_grow_exponentially_are_capped_and_jittered() -> None:
    sleeps: list[float] = []
    jitters = iter([1.0, 0.5, 1.0, 1.0, 0.25])
    backoff = Backoff(RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=4.0), sleeps.append, lambda: next(jitters))
    call = Flaky(5, ValueError("busy"))

    assert backoff.run(call, is_transient=lambda _: True, deadline=Deadline(lambda: 100.0)) == "done"
    assert sleeps == [1.0, 1.0, 4.0, 4.0, 1.0]


def test_a_permanent_error_is_raised_at_once() -> None:
    sleeps: list[float] = []
    call = Flaky(1, KeyError("gone"))

    with pytest.raises(KeyError):
        Backoff(sleep=sleeps.append).run(call, is_transient=lambda _: False, deadline=Deadline(lambda: 100.0))
    assert (call.calls, sleeps) == (1, [])


def test_no_sleep_that_would_eat_the_reserve_of_the_invocation() -> None:
    sleeps: list[float] = []
    remaining = iter([10.0, 10.0, 2.5])  # before the first try, after it, after the second
    backoff = Backoff(RetryPolicy(base_delay=1.0, reserve_seconds=2.0), sleeps.append, lambda: 1.0)
    call = Flaky(5, ValueError("busy"))

    with pytest.raises(ValueError, match="busy"):
        backoff.run(call, is_transient=lambda _: True, deadline=Deadline(lambda: next(remaining)))
    assert (call.calls, sleeps) == (2, [1.0])


def test_the_deadline_reads_the_lambda_context() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 4500

    assert Deadline.from_context(Context()).remaining() == 4.5
    assert 59.0 < Deadline.from_context(None).remaining() <= 60.0
