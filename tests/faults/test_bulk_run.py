"""A breach run that keeps its word: the synthesized bulk workflow on the local system (its Distributed Map played from
the definition, children run by moto, the real reset function in process) under every fault at once, over three seeds.

- 30% of Cognito calls faulted (throttling, 500s and dropped connections before and after Cognito acted, stalls past
  the client's timeout) and 20% of the dedupe table's calls, through the fault-injecting proxy;
- one invocation crashes right after Cognito answered (its runtime exits: Runtime.ExitError) and one hangs past the
  function's timeout after Cognito acted (Sandbox.Timedout), each losing its container;
- S3 fails Step Functions' first read of the manifest and first write of the results (the Map state's retry runs the
  map again), and the run summary's first writes of summary.json (its step retries);
- a manifest with repeated rows (the same user by e-mail), users already RESET_REQUIRED, and rows that name nobody;
- then every batch of the run again with its run id (what a redrive does, also to batches that had finished), and the
  same manifest as a new run inside the users' cooldown window.

Judged by what users receive (the local outbox: one message per code), not by the calls made: every user gets exactly
one code across all of it, ends RESET_REQUIRED, no result says `reset` of a user who got no code, and the first run's
summary is the pool: the users it counts as reset are the users who got their code, and every other user is listed
among its unfinished rows.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Final

import boto3
import pytest
from botocore.exceptions import ClientError

from contracts import environment as env
from contracts.bulk import RUN_UNFINISHED, batch_items, batch_results, child_executions
from fault_injection.fault_proxy import (
    COGNITO,
    COGNITO_ENDPOINT,
    DYNAMODB,
    DYNAMODB_ENDPOINT,
    FaultInjector,
    FaultPlan,
    fault_injecting_proxy,
    faults_injected,
)
from local_aws.emulation.delivery import DeliverySettings
from local_aws.emulation.distributed_map import PLAYER_FUNCTION, MapRunPlayer
from local_aws.harness.pool import add_user
from local_aws.harness.synth import SynthesizedStack, synthesize
from local_aws.harness.system import LocalSystem, running_system
from reset_password import handler
from reset_password.clients import AwsClients
from reset_password.directory import UserDirectory
from reset_password.retry import Backoff, RetryPolicy
from run_summary import handler as run_summary
from tests.faults.conftest import CLAIM_LEASE_SECONDS, RESERVE_SECONDS, STALL_SECONDS, TIMEOUTS

USERS: Final = 60
# Every 9th user is named a second time, by e-mail; every 7th is RESET_REQUIRED before the run.
REPEATED_EVERY: Final = 9
ALREADY_RESET_EVERY: Final = 7
UNKNOWN_ROWS: Final = ({"username": "nobody-by-this-name"}, {"email": "ghost@example.com"})
# The function's timeout here: long enough for a batch of ten under faults, short enough for a hang to outlast it.
FUNCTION_SECONDS: Final = 5.0
# Step Functions' Retry waits, scaled: the transient retrier's 5, 10, 20, ... s become 0.1, 0.2, 0.4, ... s.
RETRY_SCALE: Final = 0.02
SUMMARY_WRITE_FAILURES: Final = 2
RERUN_CONCURRENCY: Final = 6
# The function's own backoff between tries of a call, scaled like its timeout (deployed: 0.2 s doubling to 5 s).
BACKOFF: Final = RetryPolicy(base_delay=0.02, max_delay=0.5, reserve_seconds=RESERVE_SECONDS)
RESET_HANDLER: Final = "reset_password.handler.lambda_handler"
RATE_VARIABLES: Final = (env.RESET_CALLS_PER_SECOND, env.LOOKUP_CALLS_PER_SECOND, env.SIGN_OUT_CALLS_PER_SECOND)
SUMMARY_HANDLER: Final = "run_summary.handler.lambda_handler"


@pytest.fixture(scope="module")
def synthesized() -> SynthesizedStack:
    """The stack with a rate budget this machine keeps up with (the default 20/s would only make the run longer)."""
    return synthesize({"rateBudget": 60})


class Saboteur:
    """What kills invocations: the `crash_at`-th AdminResetUserPassword that Cognito answers is followed by the runtime
    exiting, the `hang_at`-th by a hang past the function's timeout (both once, across every container)."""

    def __init__(self, *, crash_at: int, hang_at: int) -> None:
        self.crash_at, self.hang_at = crash_at, hang_at
        self._answered = 0
        self._lock = threading.Lock()
        self.crashed = self.hung = 0

    def wrap(self, directory: UserDirectory) -> UserDirectory:
        return _SabotagedDirectory(directory, self)

    def after_reset(self) -> None:
        with self._lock:
            self._answered += 1
            answered = self._answered
        if answered == self.crash_at:
            self.crashed += 1
            raise SystemExit(1)
        if answered == self.hang_at:
            self.hung += 1
            time.sleep(FUNCTION_SECONDS + 0.5)


@dataclass
class _SabotagedDirectory:
    directory: UserDirectory
    saboteur: Saboteur

    def __getattr__(self, name: str) -> Any:
        return getattr(self.directory, name)

    def reset_password(self, user_pool_id: str, username: str, client_metadata: Mapping[str, str]) -> None:
        self.directory.reset_password(user_pool_id, username, client_metadata)
        self.saboteur.after_reset()


def s3_internal_error(operation: str) -> ClientError:
    """S3's answer to a request it failed (HTTP 500, InternalError: Amazon S3 API Reference, "Error responses")."""
    return ClientError({"Error": {"Code": "InternalError", "Message": "We encountered an internal error"}}, operation)


class FlakyS3:
    """The S3 client Step Functions reads the manifest and writes the results with, failing the first GetObject and the
    first PutObject with S3's 500."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.failures = {"get_object": 1, "put_object": 1}
        self.failed: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)
        if self.failures.get(name, 0) <= 0:
            return call

        def failing(**kwargs: Any) -> Any:
            self.failures[name] -= 1
            self.failed[name] += 1
            raise s3_internal_error(name)

        return failing


@dataclass
class FlakyStore:
    """The run summary's S3 store, whose first `failures` writes fail with S3's 500 (InternalError)."""

    store: run_summary.S3Store
    failures: list[int] = field(default_factory=lambda: [SUMMARY_WRITE_FAILURES])

    def lines(self, bucket: str, key: str) -> Iterator[str]:
        return self.store.lines(bucket, key)

    def write(self, bucket: str, key: str, body: str) -> None:
        if self.failures[0] > 0:
            self.failures[0] -= 1
            raise s3_internal_error("PutObject")
        self.store.write(bucket, key, body)


def reset_containers(saboteur: Saboteur) -> Callable[[], handler.Handler]:
    """Containers of the reset function as deployed, with clients whose timeouts fit the proxy's stalls, a claim lease
    and reserve scaled like the fault suite's, and the saboteur between them and Cognito."""

    def new_container() -> handler.Handler:
        clients = AwsClients.create(timeouts=TIMEOUTS)  # under the proxy's endpoints, set when the container starts
        dependencies = handler.dependencies_from_environment(
            backoff=Backoff(policy=BACKOFF),
            clients=clients,
            claim_lease_seconds=CLAIM_LEASE_SECONDS,
        )
        sabotaged = replace(dependencies, directory=saboteur.wrap(dependencies.directory))
        return handler.build_handler(lambda: sabotaged)

    return new_container


SummaryHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def summary_containers() -> Callable[[], SummaryHandler]:
    failures = [SUMMARY_WRITE_FAILURES]  # across containers: the step's retries may start new ones

    def new_container() -> SummaryHandler:
        return run_summary.build_handler(cache(lambda: FlakyStore(run_summary.S3Store(boto3.client("s3")), failures)))

    return new_container


@dataclass(frozen=True)
class Run:
    execution: dict[str, Any]
    summary: dict[str, Any]  # summary.json: the counts and the rows to act on
    children: list[tuple[str, dict[str, Any]]]  # (ResultWriter's status of the child, the child)

    @property
    def results(self) -> list[dict[str, Any]]:
        return [result for status, child in self.children if status == "SUCCEEDED" for result in batch_results(child)]


def run_and_read(system: LocalSystem, manifest: str, run_id: str) -> Run:
    execution = system.run_bulk(
        manifest, run_id=run_id, defaults={"clientMetadata": {"reason": "security_incident"}}, timeout_seconds=600
    )
    assert execution["status"] == "SUCCEEDED" or execution.get("error") == RUN_UNFINISHED, (
        f"run {run_id} ended {execution['status']}: {execution.get('error')} {execution.get('cause')}; its failed "
        f"batches: {failed_batches(system)}"
    )
    uri = json.loads(execution["output"])["summary"] if execution["status"] == "SUCCEEDED" else execution["cause"]
    s3 = system.aws.client("s3")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    summary = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    folder = key.rpartition("/")[0]
    manifest_json = json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}/manifest.json")["Body"].read())
    children = [
        (status, child)
        for status, files in manifest_json["ResultFiles"].items()
        for file in files
        for child in child_executions(
            s3.get_object(Bucket=bucket, Key=file["Key"])["Body"].read().decode().splitlines()
        )
    ]
    return Run(execution, summary, children)


def failed_batches(system: LocalSystem) -> Counter[str]:
    """Why the batches whose child execution failed did, from every result file in the bulk bucket."""
    s3, bucket = system.aws.client("s3"), system.stack.bulk_bucket
    errors: Counter[str] = Counter()
    for listed in s3.list_objects_v2(Bucket=bucket, Prefix="results/").get("Contents", []):
        if "/FAILED_" in listed["Key"]:
            body = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read().decode()
            errors.update(
                f"{child.get('Error')}: {child.get('Cause')}"[:200] for child in child_executions(body.splitlines())
            )
    return errors


def rerun_every_batch(system: LocalSystem, run: Run) -> list[dict[str, Any]]:
    """Every batch of the run invoked again with its own input (its run id, its rows' positions), a few at a time, as a
    redrive runs failed children again, each retried while the function raises as the workflow's Retry would; the
    results, row by row."""
    function = system.stack.functions.running(RESET_HANDLER)

    def rerun(child: Mapping[str, Any]) -> list[dict[str, Any]]:
        child_input = json.loads(child["Input"])
        # What the child's task hands the function (infra/bulk_reset.py: the defaults travel one level down).
        batch = {"Items": child_input["Items"], "BatchInput": child_input["BatchInput"]["defaults"]}
        for _attempt in range(20):
            invocation = system.stack.functions.invoke(function, batch)
            if invocation.function_error is None:
                return list(invocation.payload["results"])
            time.sleep(0.2)
        pytest.fail(f"a batch of {len(batch_items(child))} rows never finished: {invocation.payload}")

    with ThreadPoolExecutor(max_workers=RERUN_CONCURRENCY) as pool:
        return [result for results in pool.map(rerun, [child for _, child in run.children]) for result in results]


def messages_by_user(system: LocalSystem) -> Counter[str]:
    return Counter(message.username for message in system.outbox.messages)


def identifier_of(username: str, users: list[str]) -> set[str]:
    return {username, f"{username}@example.com"} if username in users else {username}


@pytest.mark.parametrize("offset", [0, 1, 2], ids=["seed", "seed+1", "seed+2"])
def test_a_breach_run_under_every_fault_sends_each_user_one_code_and_its_summary_is_the_pool(
    synthesized: SynthesizedStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    offset: int,
    report: Callable[[str], None],
) -> None:
    seed += offset
    boto3.setup_default_session()
    # What is under test is exactly once, not the channel: Cognito's own sender takes every message here.
    sending = DeliverySettings(cognito_default_daily_emails=10 * USERS)
    with running_system(
        tmp_path / "outbox", synthesized=synthesized, retry_scale=RETRY_SCALE, sending=sending
    ) as system:
        pool = system.stack.user_pool_id
        users = [f"breach-{index:03d}" for index in range(USERS)]
        for name in users:
            add_user(system.cognito, pool, name, email=f"{name}@example.com")
        already = users[::ALREADY_RESET_EVERY]
        for name in already:
            system.cognito.admin_reset_user_password(UserPoolId=pool, Username=name)
        before = messages_by_user(system)
        rows: list[dict[str, str]] = []
        for index, name in enumerate(users):
            rows.append({"username": name})
            if index % REPEATED_EVERY == 4:
                rows.append({"email": f"{name}@example.com"})
        rows[len(rows) // 2 : len(rows) // 2] = list(UNKNOWN_ROWS)
        manifest = "".join(json.dumps(row) + "\n" for row in rows)
        repeated = sum(1 for index in range(USERS) if index % REPEATED_EVERY == 4)

        saboteur = Saboteur(crash_at=USERS // 3, hang_at=USERS // 2)
        injector = FaultInjector(
            seed, (FaultPlan(COGNITO, 0.30), FaultPlan(DYNAMODB, 0.20)), stall_seconds=STALL_SECONDS
        )
        with fault_injecting_proxy(system.aws.endpoint_url, injector) as proxy:
            monkeypatch.setenv(COGNITO_ENDPOINT, proxy.url)
            monkeypatch.setenv(DYNAMODB_ENDPOINT, proxy.url)
            reset_function = system.stack.functions.running(RESET_HANDLER)
            # Time runs faster here (the function's 60 s are FUNCTION_SECONDS, a call's 7 s are half a second): each
            # container's share of the rate budgets runs as much faster, or a batch could not finish in its time.
            faster = reset_function.timeout_seconds / FUNCTION_SECONDS
            for variable in RATE_VARIABLES:
                monkeypatch.setenv(variable, f"{float(system.stack.environment[variable]) * faster:g}")
            reset_function.timeout_seconds = FUNCTION_SECONDS
            reset_function.new_container = reset_containers(saboteur)
            system.stack.functions.running(SUMMARY_HANDLER).new_container = summary_containers()
            player = system.stack.functions.find(PLAYER_FUNCTION)
            assert player is not None
            assert isinstance(player.handler, MapRunPlayer)
            flaky_s3 = FlakyS3(system.aws.client("s3"))
            player.handler.s3 = lambda: flaky_s3
            system.stack.functions.start_cold()
            started = time.monotonic()

            first = run_and_read(system, manifest, f"breach-{seed}")
            after_first = messages_by_user(system) - before
            statuses_after_first = {name: system.user_status(name) for name in users}
            laps = [time.monotonic() - started]
            rerun = rerun_every_batch(system, first)
            laps.append(time.monotonic() - started)
            second = run_and_read(system, manifest, f"breach-{seed}-again")

            seconds = time.monotonic() - started
            faulted = faults_injected(proxy.exchanges)
        monkeypatch.delenv(COGNITO_ENDPOINT)
        monkeypatch.delenv(DYNAMODB_ENDPOINT)
        sent = messages_by_user(system) - before
        statuses = {name: system.user_status(name) for name in users}
    boto3.DEFAULT_SESSION = None

    context = (
        f"[seed {seed}; {len(rows)} rows for {USERS} users; {sum(faulted.values())} faults {dict(faulted)}; "
        f"crashed {saboteur.crashed}, hung {saboteur.hung}; first run {first.execution['status']} "
        f"{first.summary['statuses']} unfinished {first.summary['unfinished']}; second run "
        f"{second.execution['status']} {second.summary['statuses']}; {seconds:.0f} s]"
    )
    report(
        f"faults bulk-run: seed={seed} users={USERS} rows={len(rows)} faults={sum(faulted.values())} "
        f"crashed={saboteur.crashed} hung={saboteur.hung} first={first.execution['status']} "
        f"lost={sum(1 for name in users if sent[name] == 0)} duplicated={sum(1 for name in users if sent[name] > 1)} "
        f"seconds={seconds:.1f} (first run {laps[0]:.0f} s, rerun {laps[1] - laps[0]:.0f} s, second run "
        f"{seconds - laps[1]:.0f} s)"
    )
    # The scenario happened: faults on both services, a crash and a hang after Cognito acted.
    assert faulted, context
    assert saboteur.crashed == saboteur.hung == 1, context
    assert flaky_s3.failed == {"get_object": 1, "put_object": 1}, context

    # One code per user across the run, the redrive-style rerun and the second run; nobody left out.
    assert {name: count for name, count in sent.items() if count != 1} == {}, context
    assert set(sent) == set(users), context
    assert set(statuses.values()) == {"RESET_REQUIRED"}, context

    # No result contradicts the pool: every row of the rerun says what the pool shows.
    by_user: dict[str, list[str]] = {}
    for result in rerun:
        by_user.setdefault(result["username"] or "?", []).append(result["status"])
    assert {name: by_user.get(name) for name in users if "reset" not in by_user.get(name, [])} == {}, context
    assert Counter(status for result in rerun for status in [result["status"]]) == {
        "reset": USERS,
        "skipped": repeated,
        "failed": len(UNKNOWN_ROWS),
    }, context
    assert all(result["replayed"] for result in rerun if result["status"] == "reset"), context

    # The first run's summary is the pool: who it counts as reset got their code then, every other user is listed
    # among its unfinished rows, and a repeated row is never a second reset.
    reset_in_first = {result["username"] for result in first.results if result["status"] == "reset"}
    assert all(after_first[name] == 1 and statuses_after_first[name] == "RESET_REQUIRED" for name in reset_in_first)
    assert first.summary["statuses"].get("reset", 0) == len(reset_in_first), context
    listed = {value for row in first.summary["unfinishedRows"] for value in row["identifier"].values()}
    assert not (set(users) - reset_in_first) - {name for name in users if identifier_of(name, users) & listed}, context
    assert first.summary["unconfirmedRows"] == [], context
    assert {tuple(row["identifier"].items()) for row in first.summary["failedRows"]} >= (
        {tuple(row.items()) for row in UNKNOWN_ROWS} if first.summary["complete"] else set()
    ), context
    if first.summary["complete"]:
        assert first.execution["status"] == "SUCCEEDED"
        assert first.summary["statuses"] == {"reset": USERS, "failed": len(UNKNOWN_ROWS)}, context
        assert first.summary["duplicateRows"] == repeated, context

    # The same manifest again inside the window: every user skipped, each result saying which run reset them.
    skipped = [result for result in second.results if result["status"] == "skipped"]
    assert not [result for result in second.results if result["status"] not in {"skipped", "failed"}], context
    assert {result["lastReset"]["runId"] for result in skipped} == {f"breach-{seed}"}, context
