"""The fault suite's fixtures: a moto server, a pool of users and the dedupe table in it, the workflow's Retry, and a
summary line per scenario at the end of the run (`faults <scenario>: ...`, for a target that collects them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import pytest

from local_aws.harness.pool import add_user, create_user_pool
from local_aws.harness.server import LocalAws, running_local_aws
from reset_password.clients import Timeouts
from tests.faults.harness import Workflow, single_reset_workflow

# The deployed function has 60 s and clients that give up after 2 s (connect) and 5 s (read); here a small budget
# and client timeouts of the same proportions keep 1,000 requests under faults within a few minutes.
BUDGET_SECONDS: Final = 4.0
TIMEOUTS: Final = Timeouts(connect=0.2, read=0.3)
# A stall only has to outlast the client's read timeout.
STALL_SECONDS: Final = 2 * TIMEOUTS.read
# How long a claim's owner may still be calling Cognito. Deployed: one call and the 15 s Cognito may still act on it
# (reset_password/ledger.py). Here Cognito (moto behind the proxy) acts within the call or never (the proxy forwards
# nothing late), so a few calls' time is the same margin.
CLAIM_LEASE_SECONDS: Final = 3 * TIMEOUTS.per_call
# What an invocation keeps for reporting: the deployed 2 s of 60, scaled like the budget, with room for a machine
# whose two cores also run the moto server and the proxy.
RESERVE_SECONDS: Final = 0.5
# Concurrent executions (the moto server and the proxy are threaded; this machine has two cores).
WORKERS: Final = 6
DEFAULT_SEED: Final = 20261123
TABLE_NAME: Final = "reset-dedupe"
_SUMMARIES = pytest.StashKey[list[str]]()
_WORKER_SUMMARIES = "exactly-once-summaries"


@pytest.fixture(scope="session")
def seed() -> int:
    """The seed of every random draw (faults, jitter); FAULTS_SEED replays another run."""
    return int(os.environ.get("FAULTS_SEED", DEFAULT_SEED))


@pytest.fixture(scope="session")
def local_aws_server() -> Iterator[LocalAws]:
    with running_local_aws() as aws:
        yield aws


@pytest.fixture
def aws(local_aws_server: LocalAws) -> LocalAws:
    """An empty local account for each test."""
    local_aws_server.reset()
    return local_aws_server


@pytest.fixture(scope="session")
def workflow() -> Workflow:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # as the Makefile sets it
        return single_reset_workflow(BUDGET_SECONDS)


@dataclass(frozen=True)
class Pool:
    """A pool in the local account with a dedupe table beside it, as the stack deploys them."""

    aws: LocalAws
    pool_id: str
    cognito: Any

    def add_users(self, usernames: list[str]) -> dict[str, str]:
        """Confirmed users with verified e-mail addresses (<username>@example.com); returns each one's sub."""

        def add(username: str) -> str:
            return add_user(self.cognito, self.pool_id, username, email=f"{username}@example.com")

        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(zip(usernames, pool.map(add, usernames), strict=True))

    def statuses(self) -> dict[str, str]:
        """Every user's status, as the pool holds it (read past any proxy)."""
        pages = self.cognito.get_paginator("list_users").paginate(UserPoolId=self.pool_id)
        return {user["Username"]: user["UserStatus"] for page in pages for user in page["Users"]}

    @classmethod
    def create(cls, aws: LocalAws) -> Pool:
        """A new pool and an empty dedupe table (key attribute `id`, a string, as Powertools expects)."""
        cognito = aws.client("cognito-idp")
        aws.client("dynamodb").create_table(
            TableName=TABLE_NAME,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        return cls(aws=aws, pool_id=create_user_pool(cognito, "customers"), cognito=cognito)


@pytest.fixture
def pool(aws: LocalAws) -> Pool:
    return Pool.create(aws)


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> Any:
    """Keeps a summary line for the end of the run (shown whether the test passes or fails)."""
    return request.config.stash.setdefault(_SUMMARIES, []).append


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist (make test runs this suite on two workers), a worker hands its lines to the controller."""
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output[_WORKER_SUMMARIES] = session.config.stash.get(_SUMMARIES, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller gathers each worker's lines, to show them as a run on one process would."""
    node.config.stash.setdefault(_SUMMARIES, []).extend(getattr(node, "workeroutput", {}).get(_WORKER_SUMMARIES, []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARIES, [])
    if lines:
        terminalreporter.section("exactly once, under faults")
        for line in lines:
            terminalreporter.write_line(line)
