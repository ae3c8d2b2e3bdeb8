"""Exactly once, under faults: hundreds of requests through a proxy that faults 30% of the Cognito calls, the
callers retrying as the single-reset workflow does. Nobody lost, nobody sent two codes, no result that contradicts
the pool, no invocation past its deadline.

Each scenario runs once (module-scoped); each of the four tests below judges one count of it, with its numbers.
The requests: one per user, by username, e-mail (every 20th user) or sub (every 20th, offset); every 10th user's
request carries a requestId and is sent again with it once every first request has finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fault_injection.fault_proxy import (
    COGNITO,
    COGNITO_ENDPOINT,
    DYNAMODB,
    DYNAMODB_ENDPOINT,
    FaultInjector,
    FaultPlan,
    codes_sent,
    fault_injecting_proxy,
    faults_injected,
)
from local_aws.harness.server import LocalAws
from tests.faults.conftest import (
    BUDGET_SECONDS,
    CLAIM_LEASE_SECONDS,
    RESERVE_SECONDS,
    STALL_SECONDS,
    TIMEOUTS,
    WORKERS,
    Pool,
)
from tests.faults.harness import (
    Deployment,
    Event,
    Execution,
    ResetFunction,
    Verdict,
    Workflow,
    execute_all,
    function_output,
    judge,
    sample,
)


@dataclass(frozen=True)
class Scenario:
    name: str
    users: int
    plans: tuple[FaultPlan, ...]

    @property
    def faults_dynamodb(self) -> bool:
        return any(plan.errors is DYNAMODB for plan in self.plans)


SCENARIOS = (
    Scenario("cognito-30pct", users=500, plans=(FaultPlan(COGNITO, rate=0.30),)),
    # The dedupe table answers late, wrongly or not at all too.
    Scenario("cognito-30pct-dynamodb-20pct", users=150, plans=(FaultPlan(COGNITO, 0.30), FaultPlan(DYNAMODB, 0.20))),
)


@dataclass(frozen=True, repr=False)
class Run:
    scenario: Scenario
    verdict: Verdict
    seconds: float
    context: str  # seed, fault plan, retry model, where the function's log is: for every failure message
    log: Path  # everything the function wrote (log lines and metrics) during the run
    identifiers: frozenset[str]  # every username, e-mail, sub and requestId the run's requests carried

    def __repr__(self) -> str:  # pytest prints the fixture's value above a failed assertion
        return f"Run({self.scenario.name})"

    @property
    def users(self) -> int:
        return self.scenario.users


def requests_for(usernames: list[str], subs: dict[str, str]) -> tuple[list[tuple[str, Event]], list[tuple[str, Event]]]:
    """The first wave (one request per user) and the repeats (the same request, same requestId, sent again)."""
    first: list[tuple[str, Event]] = []
    repeats: list[tuple[str, Event]] = []
    for index, username in enumerate(usernames):
        request: dict[str, Any] = {"username": username}
        if index % 20 == 7:
            request = {"email": f"{username}@example.com"}
        elif index % 20 == 17:
            request = {"sub": subs[username]}
        if index % 10 == 3:
            request["requestId"] = f"ticket-{index}"
            repeats.append((f"{username}/repeat", request))
        first.append((f"{username}/first", request))
    return first, repeats


def _run(
    scenario: Scenario, aws: LocalAws, workflow: Workflow, seed: int, log: Path, report: Callable[[str], None]
) -> Run:
    aws.reset()
    pool = Pool.create(aws)
    usernames = [f"user-{index:04d}" for index in range(scenario.users)]
    first, repeats = requests_for(usernames, pool.add_users(usernames))
    injector = FaultInjector(seed, scenario.plans, stall_seconds=STALL_SECONDS)
    with fault_injecting_proxy(aws.endpoint_url, injector) as proxy:
        endpoints = {COGNITO_ENDPOINT: proxy.url} | ({DYNAMODB_ENDPOINT: proxy.url} if scenario.faults_dynamodb else {})
        deployment = Deployment.of(
            pool_id=pool.pool_id,
            table_name="reset-dedupe",
            aws_environment=aws.environment | endpoints,
            budget_seconds=BUDGET_SECONDS,
            timeouts=TIMEOUTS,
            seed=seed,
            claim_lease_seconds=CLAIM_LEASE_SECONDS,
            reserve_seconds=RESERVE_SECONDS,
        )
        started = time.monotonic()
        with function_output(log):
            function = ResetFunction(deployment, containers=WORKERS)
            executions = execute_all(function, workflow, first, workers=WORKERS, seed=seed)
            executions += execute_all(function, workflow, repeats, workers=WORKERS, seed=seed)
        seconds = time.monotonic() - started
        exchanges = proxy.exchanges
    by_user: dict[str, list[Execution]] = {username: [] for username in usernames}
    for execution in executions:
        by_user[execution.name.partition("/")[0]].append(execution)
    verdict = judge(by_user, codes=codes_sent(exchanges), statuses=pool.statuses())
    report(verdict.summary(scenario.name, seed, seconds))
    faulted = faults_injected(exchanges)
    context = (
        f"[{scenario.name}: {len(executions)} requests for {scenario.users} users in {seconds:.0f} s; "
        f"{len(exchanges)} calls through the proxy, {sum(faulted.values())} faulted {dict(faulted)}; "
        f"outcomes {dict(verdict.outcomes)}; faults: {injector.describe()}; caller: {workflow.describe()}; "
        f"replay with FAULTS_SEED={seed}; the function's log: {log}]"
    )
    identifiers = (
        frozenset(value for _, request in [*first, *repeats] for value in request.values() if isinstance(value, str))
        | frozenset(usernames)
        | frozenset(f"{username}@example.com" for username in usernames)
    )
    return Run(scenario, verdict, seconds, context, log, identifiers)


@pytest.fixture(scope="module", params=SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def run(
    request: pytest.FixtureRequest,
    local_aws_server: LocalAws,
    workflow: Workflow,
    seed: int,
    tmp_path_factory: pytest.TempPathFactory,
    report: Callable[[str], None],
) -> Run:
    scenario: Scenario = request.param
    log = tmp_path_factory.mktemp(scenario.name) / "function.log"
    return _run(scenario, local_aws_server, workflow, seed, log, report)


def test_no_user_is_lost(run: Run) -> None:
    lost = run.verdict.lost
    assert not lost, (
        f"{len(lost)} of {run.users} users lost: an execution ended neither reset nor skipped although nothing "
        f"permanent was wrong, or the user is not RESET_REQUIRED; {sample(lost)} {run.context}"
    )
    closed = run.verdict.failed_closed
    # Failing closed (TransientResetError to the Catch, nothing sent) is the documented answer to a dedupe table that
    # cannot be reached, and only to that: with the table healthy, every user is reset within the workflow's retries.
    assert run.scenario.faults_dynamodb or not closed, (
        f"{len(closed)} of {run.users} users failed closed although the dedupe table was healthy; {sample(closed)} "
        f"{run.context}"
    )


def test_no_identifier_reaches_a_log_line_or_a_metric_under_faults(run: Run) -> None:
    written = run.log.read_text(encoding="utf-8")
    leaked = sorted(value for value in run.identifiers if value in written)
    lines = written.count("\n")
    assert lines > len(run.identifiers) // 2, f"only {lines} lines were written: the check would prove nothing"
    assert not leaked, (
        f"{len(leaked)} of {len(run.identifiers)} usernames, e-mails, subs and requestIds appear in the {lines} "
        f"lines the function wrote, e.g. {leaked[:3]} {run.context}"
    )


def test_no_user_gets_two_codes(run: Run) -> None:
    duplicated = run.verdict.duplicated
    extra = sum(duplicated.values()) - len(duplicated)
    assert not duplicated, (
        f"{len(duplicated)} of {run.users} users got more than one code ({extra} extra codes, "
        f"{sum(run.verdict.codes.values())} AdminResetUserPassword calls succeeded at Cognito for {run.users} "
        f"users); {sample(duplicated)} {run.context}"
    )


def test_no_result_contradicts_the_pool(run: Run) -> None:
    contradictions = run.verdict.contradictions
    assert not contradictions, (
        f"{len(contradictions)} of {run.users} users were told something the pool and Cognito's record "
        f"contradict; {sample(contradictions)} {run.context}"
    )


def test_no_invocation_runs_past_its_deadline(run: Run) -> None:
    late = run.verdict.past_deadline
    assert not late, (
        f"{len(late)} of {len(run.verdict.executions)} executions had an invocation past its {BUDGET_SECONDS:g} s "
        f"budget ({run.verdict.invocations} invocations in all); {sample(late)} {run.context}"
    )
