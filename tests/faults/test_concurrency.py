"""Concurrent duplicates from separate processes: the same reset asked for at once by several spawned processes, each
with its own container, clients and connections, against the same moto server and dedupe table. Cognito must be
called once; exactly one execution reports the reset as its own, every other one reports a duplicate or replay
(`duplicate: true` or `replayed: true`), at once or after raising the documented transient error and being
retried by the workflow.

The proxy injects no faults here: it only records what reaches Cognito.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

from contracts.results import TRANSIENT_RESET_ERROR
from fault_injection.fault_proxy import COGNITO_ENDPOINT, codes_sent
from fault_injection.rewriting_proxy import rewriting_proxy
from tests.faults.conftest import BUDGET_SECONDS, CLAIM_LEASE_SECONDS, RESERVE_SECONDS, TABLE_NAME, TIMEOUTS, Pool
from tests.faults.harness import (
    Deployment,
    Event,
    ProcessExecution,
    Workflow,
    execute_in_processes,
)

PROCESSES: Final = 5
USERNAME: Final = "alice"


def _requests(naming: str, sub: str) -> list[Event]:
    if naming == "identical":
        return [{"username": USERNAME}] * PROCESSES
    if naming == "identical-with-request-id":
        return [{"username": USERNAME, "requestId": "ticket-4211"}] * PROCESSES
    # The same user, named each way a request may name them (contract 1: dedupe keys on the user, not the name).
    names: list[Event] = [{"username": USERNAME}, {"email": f"{USERNAME}@example.com"}, {"sub": sub}]
    return [names[index % len(names)] for index in range(PROCESSES)]


@pytest.mark.parametrize("naming", ["identical", "identical-with-request-id", "username-email-sub"])
def test_concurrent_duplicates_from_separate_processes_reach_cognito_once(
    pool: Pool, workflow: Workflow, seed: int, naming: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    sub = pool.add_users([USERNAME])[USERNAME]
    with rewriting_proxy(pool.aws.endpoint_url) as proxy:
        deployment = Deployment.of(
            pool_id=pool.pool_id,
            table_name=TABLE_NAME,
            aws_environment=pool.aws.environment | {COGNITO_ENDPOINT: proxy.url},
            budget_seconds=BUDGET_SECONDS,
            timeouts=TIMEOUTS,
            seed=seed,
            claim_lease_seconds=CLAIM_LEASE_SECONDS,
            reserve_seconds=RESERVE_SECONDS,
        )
        jobs = [
            ProcessExecution(deployment, workflow, request, f"process-{index}", tmp_path / f"process-{index}.log")
            for index, request in enumerate(_requests(naming, sub))
        ]
        executions = execute_in_processes(jobs)
        codes = codes_sent(proxy.exchanges)[USERNAME]
    status = pool.statuses()[USERNAME]
    outcomes = Counter(execution.outcome for execution in executions)
    first_answers = Counter(execution.invocations[0].error or execution.outcome for execution in executions)
    unexpected_errors = Counter(
        invocation.error
        for execution in executions
        for invocation in execution.invocations
        if invocation.error not in {None, TRANSIENT_RESET_ERROR}
    )
    history = "; ".join(execution.describe() for execution in executions)
    report(
        f"faults concurrency-{naming}: seed={seed} cases={PROCESSES} "
        f"failures={sum(outcome not in {'reset', 'skipped'} for outcome in outcomes.elements())} "
        f"codes={codes} outcomes={dict(outcomes)}"
    )
    context = f"[{PROCESSES} processes, {naming}; first answers {dict(first_answers)}; {history}; logs in {tmp_path}]"

    assert codes == 1, f"AdminResetUserPassword reached Cognito {codes} times for one user, not once {context}"
    assert status == "RESET_REQUIRED", f"the user is {status}, not RESET_REQUIRED {context}"
    fresh = [execution.name for execution in executions if execution.claims_own_reset]
    assert len(fresh) == 1, (
        f"{len(fresh)} of {PROCESSES} executions reported a reset of their own (reset, neither duplicate nor "
        f"replayed), for {codes} code sent: {fresh}; outcomes {dict(outcomes)} {context}"
    )
    not_flagged = [
        execution.name
        for execution in executions
        if execution.name not in fresh
        and not (execution.final.result and (execution.final.result["duplicate"] or execution.final.result["replayed"]))
    ]
    assert not not_flagged, (
        f"{len(not_flagged)} of the {PROCESSES - 1} other executions did not report a duplicate or replay "
        f"(duplicate or replayed true): {not_flagged}; outcomes {dict(outcomes)} {context}"
    )
    assert not unexpected_errors, (
        f"invocations raised {dict(unexpected_errors)}, not only the documented {TRANSIENT_RESET_ERROR} {context}"
    )
