"""Pacing past this machine, by simulation: the reset function's own pacing (reset_password/pacing.py), one Pacer per
container, as many containers as the reserved concurrency allows, sharing one Cognito quota, on a simulated clock.

Each container works through users one after another (the bulk workflow's batches, back to back): it waits for its
pacer's RESET slot, calls AdminResetUserPassword, and Cognito's UserAccountRecovery quota (bench/quota.py's bucket,
refilled at the quota and holding a second of it) lets the call through or throttles it; the pacer hears which, as
reset_password/logic.py's `_paced` tells it. A throttled call is tried again after the function's backoff
(reset_password/retry.py: full jitter, at most RetryPolicy.max_attempts attempts); a user whose attempts all ran out
goes back to the end of the queue, as the workflow retries a batch that did not finish. A call takes
LATENCY_SECONDS (uniform): the quota sees it half-way, the container hears the answer at the end. Only the reset
category is played: the lookup before each reset has a bucket and a quota of its own (UserRead, 120 a second).

A discrete-event simulation: containers meet only at the quota, so between two calls a container runs on a clock of
its own (its Pacer waits by moving that clock) and a heap hands the calls to the quota in the order they reach it.
Every user is counted each time a reset goes through: lost are users never reset, duplicated users reset twice.

Each scenario prints one line
`pacing-sim: scenario=... budget=... quota=... containers=... users=... achieved_ratio=... throttled_share=...
lost=... duplicated=... hours=... wall_s=...` and writes bench/results/pacing-sim-<scenario>.json. achieved_ratio is
resets per simulated second over min(budget, quota); `vs_at_quota` is a scenario's rate over the at-quota scenario's
in the same run. Targets: achieved_ratio >= 0.95 with the budget at the quota, throttled <= 2% of calls with it 4x
over, 0 lost and 0 duplicated everywhere.

Usage: python -m bench.pacing_simulation [--users 1000000] [--quota 30] [--containers 25] [--over 4]
       [--scenarios at-quota,over] [--seed 1] [--out DIR] [--strict]
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from bench.quota import DEFAULT_BURST_SECONDS, QuotaBucket
from bench.targets import ACHIEVED_RATIO_TARGET, THROTTLED_SHARE_TARGET
from reset_password.pacing import CallCategory, Pacer
from reset_password.retry import RetryPolicy

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = ROOT / "bench" / "results"
# Cognito's default UserAccountRecovery quota (Amazon Cognito Developer Guide, "Quotas", API request rate quotas).
COGNITO_RESET_QUOTA: Final = 30.0
CONTAINERS: Final = 25
USERS: Final = 1_000_000
OVER: Final = 4.0  # the misconfigured budget, in quotas
LATENCY_SECONDS: Final = (0.05, 0.15)
SCENARIOS: Final = ("at-quota", "over")
# No wait the simulation asks of a pacer is refused: the invocation's deadline is not played.
_NO_DEADLINE: Final = float("inf")
_MINUTE: Final = 60.0


@dataclass(frozen=True, slots=True)
class SimulationResult:
    scenario: str
    budget: float
    quota: float
    containers: int
    users: int
    calls: int
    throttled: int
    lost: int
    duplicated: int
    simulated_s: float
    wall_s: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return (self.users - self.lost) / self.simulated_s if self.simulated_s > 0 else 0.0

    @property
    def achieved_ratio(self) -> float:
        return self.rate / min(self.budget, self.quota)

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.calls if self.calls else 0.0

    @property
    def hours(self) -> float:
        return self.simulated_s / 3600

    def line(self, baseline: SimulationResult | None = None) -> str:
        versus = f" vs_at_quota={self.rate / baseline.rate:.3f}" if baseline is not None and baseline.rate else ""
        return (
            f"pacing-sim: scenario={self.scenario} budget={self.budget:g} quota={self.quota:g}"
            f" containers={self.containers} users={self.users} achieved_ratio={self.achieved_ratio:.3f}{versus}"
            f" throttled_share={self.throttled_share:.4f} lost={self.lost} duplicated={self.duplicated}"
            f" hours={self.hours:.2f} wall_s={self.wall_s:.1f}"
        )

    def document(self) -> dict[str, Any]:
        return asdict(self) | {
            "achieved_ratio": round(self.achieved_ratio, 4),
            "throttled_share": round(self.throttled_share, 5),
            "hours": round(self.hours, 3),
        }

    def misses(self) -> list[str]:
        missed = []
        if self.lost or self.duplicated:
            missed.append(f"{self.scenario}: lost {self.lost}, duplicated {self.duplicated} (target 0 and 0)")
        if self.budget <= self.quota and self.achieved_ratio < ACHIEVED_RATIO_TARGET:
            missed.append(f"{self.scenario}: achieved_ratio {self.achieved_ratio:.3f} < {ACHIEVED_RATIO_TARGET}")
        if self.throttled_share > THROTTLED_SHARE_TARGET:
            missed.append(
                f"{self.scenario}: throttled {self.throttled_share:.2%} of calls > {THROTTLED_SHARE_TARGET:.0%}"
            )
        return missed


@dataclass(slots=True)
class _Container:
    """One container: its own clock, its pacer on that clock, and the user it is resetting."""

    now: float = 0.0
    user: int = -1  # -1: none
    attempt: int = 0
    pacer: Pacer = field(init=False)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass(slots=True)
class _Fleet:
    """The containers, the users still to reset, the quota they share, and what it answered."""

    users: int
    rate: float  # the quota, per second
    policy: RetryPolicy
    rng: random.Random
    quota: QuotaBucket = field(init=False)
    queue: deque[int] = field(init=False)
    resets: bytearray = field(init=False)  # per user, how many of its resets went through (at most 255)
    per_minute: list[int] = field(default_factory=list)  # resets that went through, per simulated minute
    containers: list[_Container] = field(default_factory=list)
    heap: list[tuple[float, int]] = field(default_factory=list)  # (when a container's call reaches the quota, which)
    quota_now: float = 0.0  # the simulation's clock: when the call at hand reaches the quota
    calls: int = 0
    throttled: int = 0
    attempts_ran_out: int = 0

    def __post_init__(self) -> None:
        self.quota = QuotaBucket(self.rate, max(1.0, self.rate * DEFAULT_BURST_SECONDS), self.clock)
        self.queue, self.resets = deque(range(self.users)), bytearray(self.users)

    def clock(self) -> float:
        return self.quota_now

    def start(self, count: int, share: float) -> None:
        for number in range(count):
            container = _Container()
            container.pacer = Pacer({CallCategory.RESET: share}, clock=container.clock, sleep=container.sleep)
            self.containers.append(container)
            self.call_next(number)

    def latency(self) -> float:
        """Half a call's round trip: to the quota, or back."""
        return self.rng.uniform(*LATENCY_SECONDS) / 2

    def call_next(self, number: int) -> None:
        """The container's next call, if it has a user: paced, then on its way to the quota."""
        container = self.containers[number]
        if container.user < 0:
            if not self.queue:
                return
            container.user, container.attempt = self.queue.popleft(), 1
        container.pacer.wait_for(CallCategory.RESET, at_most=_NO_DEADLINE)
        heapq.heappush(self.heap, (container.now + self.latency(), number))

    def went_through(self, container: _Container) -> None:
        container.pacer.went_through(CallCategory.RESET)
        self.resets[container.user] = min(255, self.resets[container.user] + 1)
        container.user = -1
        minute = int(self.quota_now // _MINUTE)
        if minute >= len(self.per_minute):
            self.per_minute.extend([0] * (minute + 1 - len(self.per_minute)))
        self.per_minute[minute] += 1

    def throttle(self, container: _Container) -> None:
        """The pacer hears it; the call is made again after the backoff, or the user waits for the batch's retry."""
        self.throttled += 1
        container.pacer.throttled(CallCategory.RESET)
        if container.attempt >= self.policy.max_attempts:
            self.attempts_ran_out += 1
            self.queue.append(container.user)
            container.user = -1
            return
        delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** (container.attempt - 1))
        container.now += delay * self.rng.random()
        container.attempt += 1

    def run(self) -> None:
        while self.heap:
            self.quota_now, number = heapq.heappop(self.heap)
            container = self.containers[number]
            allowed = self.quota.take()
            container.now = self.quota_now + self.latency()  # the answer is back
            self.calls += 1
            if allowed:
                self.went_through(container)
            else:
                self.throttle(container)
            self.call_next(number)


def simulate(
    scenario: str,
    *,
    budget: float,
    quota: float = COGNITO_RESET_QUOTA,
    containers: int = CONTAINERS,
    users: int = USERS,
    seed: int = 1,
    policy: RetryPolicy | None = None,
) -> SimulationResult:
    """`users` resets by `containers` containers, each paced at `budget / containers` a second, against `quota`."""
    started = time.monotonic()
    fleet = _Fleet(
        users=users,
        rate=quota,
        policy=policy or RetryPolicy(),
        rng=random.Random(seed),  # noqa: S311 - a simulation's draws, not cryptography
    )
    fleet.start(containers, budget / containers)
    fleet.run()
    lost = fleet.resets.count(0)
    full_minutes = fleet.per_minute[:-1] or fleet.per_minute  # the last minute is cut short
    return SimulationResult(
        scenario=scenario,
        budget=budget,
        quota=quota,
        containers=containers,
        users=users,
        calls=fleet.calls,
        throttled=fleet.throttled,
        lost=lost,
        duplicated=users - lost - fleet.resets.count(1),
        simulated_s=max(container.now for container in fleet.containers),
        wall_s=time.monotonic() - started,
        details={
            "seed": seed,
            "share_per_container": budget / containers,
            "latency_s": list(LATENCY_SECONDS),
            "quota_burst_s": DEFAULT_BURST_SECONDS,
            # users put back in the queue after RetryPolicy.max_attempts throttles, as a batch retried later
            "attempts_ran_out": fleet.attempts_ran_out,
            "resets_per_minute_median": statistics.median(full_minutes) if full_minutes else 0,
            "resets_per_minute_min": min(full_minutes) if full_minutes else 0,
        },
    )


def scenario_budget(scenario: str, quota: float, over: float) -> float:
    return quota if scenario == "at-quota" else quota * over


def write_result(result: SimulationResult, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"pacing-sim-{result.scenario}.json"
    path.write_text(json.dumps(result.document(), indent=2, sort_keys=True) + "\n")
    return path


def run(
    scenarios: Sequence[str],
    *,
    users: int = USERS,
    quota: float = COGNITO_RESET_QUOTA,
    containers: int = CONTAINERS,
    over: float = OVER,
    seed: int = 1,
    out: Path = RESULTS,
) -> list[SimulationResult]:
    """Each scenario simulated, its line printed (against the at-quota scenario's rate when it ran first) and its
    file written."""
    results: list[SimulationResult] = []
    baseline: SimulationResult | None = None
    for scenario in scenarios:
        budget = scenario_budget(scenario, quota, over)
        result = simulate(scenario, budget=budget, quota=quota, containers=containers, users=users, seed=seed)
        if scenario == "at-quota":
            baseline = result
        write_result(result, out)
        print(result.line(None if result is baseline else baseline), flush=True)
        results.append(result)
    return results


def _scenarios(value: str) -> list[str]:
    scenarios = [scenario.strip() for scenario in value.split(",") if scenario.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scenarios: {', '.join(unknown)}")
    return scenarios


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--quota", type=float, default=COGNITO_RESET_QUOTA, help="Cognito's reset quota, per second")
    parser.add_argument("--containers", type=int, default=CONTAINERS, help="the reset function's reserved concurrency")
    parser.add_argument("--over", type=float, default=OVER, help="the misconfigured budget, in quotas")
    parser.add_argument("--scenarios", type=_scenarios, default=list(SCENARIOS), help="comma-separated, in order")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args(argv)
    results = run(
        arguments.scenarios,
        users=arguments.users,
        quota=arguments.quota,
        containers=arguments.containers,
        over=arguments.over,
        seed=arguments.seed,
        out=arguments.out,
    )
    misses = [miss for result in results for miss in result.misses()]
    for miss in misses:
        print(f"target missed: {miss}")
    return 1 if arguments.strict and misses else 0


if __name__ == "__main__":
    sys.exit(main())
