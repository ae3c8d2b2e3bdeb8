"""A bulk run through the local system: the synthesized bulk workflow (its Distributed Map played from the definition,
children run by moto, the real reset function in process), with a Cognito that throttles.

What a security team relies on after a breach: every row of the manifest ends with exactly one result row, no user is
sent two codes, the summary counts users (a repeated row is a duplicate row, not a second reset) and matches the pool,
it lists every row to act on by its line, and neither a rerun of the run's batches (what a redrive does) nor the same
manifest started again inside the users' cooldown window sends anybody a second code.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest
from botocore.exceptions import ClientError

from contracts.bulk import MANIFEST_KEY, RESULTS_PREFIX, batch_items, batch_results, child_executions
from contracts.workflow_errors import MAP_ITEMS_UNREADABLE, MAP_TOLERANCE_EXCEEDED
from fault_injection.fault_proxy import COGNITO, Fault, FaultInjector, FaultPlan, codes_sent, fault_injecting_proxy
from local_aws.harness.pool import add_user
from local_aws.harness.synth import SynthesizedStack, synthesize
from local_aws.harness.system import LocalSystem
from reset_password.outcomes import UnclassifiedResetError
from tests.e2e.conftest import BREACH_SCALE, RecordingResets, running_with_users, start_bulk, until

USERS: Final = 300
# Cognito answers this share of its calls with TooManyRequestsException, whatever the pacing does.
THROTTLED_SHARE: Final = 0.03
COGNITO_ENDPOINT: Final = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"


@pytest.fixture(scope="module")
def fast_synthesized() -> SynthesizedStack:
    """The stack with a rate budget this machine can keep up with (the default 20/s would make the run 30 s)."""
    return synthesize({"rateBudget": 60})


@pytest.fixture
def bulk_system(
    fast_synthesized: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalSystem]:
    yield from running_with_users(fast_synthesized, tmp_path / "outbox", monkeypatch, sending=BREACH_SCALE)


def _add_users(system: LocalSystem, count: int) -> list[str]:
    names = [f"breach-user-{index:04d}" for index in range(count)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda name: add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com"),
                names,
            )
        )
    return names


def _result_rows(system: LocalSystem, summary: dict[str, Any]) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Every result row the run wrote (ResultWriter's files), and the child executions per status."""
    s3 = system.aws.client("s3")
    bucket, _, folder = summary["results"].removeprefix("s3://").partition("/")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}manifest.json")["Body"].read())
    rows: list[dict[str, Any]] = []
    children: Counter[str] = Counter()
    for status, files in manifest["ResultFiles"].items():
        for file in files:
            body = s3.get_object(Bucket=bucket, Key=file["Key"])["Body"].read().decode()
            for child in child_executions(body.splitlines()):
                children[status] += 1
                rows.extend(batch_results(child))
    return rows, children


def test_a_throttled_bulk_run_ends_with_one_result_per_row_and_one_code_per_user(
    bulk_system: LocalSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = bulk_system
    users = _add_users(system, USERS)
    rows = [{"username": name} for name in users]
    rows.insert(100, {"email": f"{users[7]}@example.com"})  # the same user again, by e-mail: skipped, not reset again
    rows.append({"username": "nobody-by-this-name"})  # a row whose user does not exist: failed, with its reason
    rows.append({"sub": "00000000-0000-4000-8000-000000000000", "reason": "security_incident"})  # an unknown sub
    manifest = "".join(json.dumps(row) + "\n" for row in rows)
    injector = FaultInjector(
        seed=11, plans=[FaultPlan(COGNITO, THROTTLED_SHARE, {Fault.THROTTLE_BEFORE: 1.0})], stall_seconds=0.0
    )
    with fault_injecting_proxy(system.aws.endpoint_url, injector) as cognito:
        monkeypatch.setenv(COGNITO_ENDPOINT, cognito.url)
        system.stack.functions.start_cold()  # new containers build their clients towards the throttling Cognito
        execution = system.run_bulk(
            manifest, run_id="breach-e2e", defaults={"clientMetadata": {"reason": "security_incident"}}
        )
        exchanges = cognito.exchanges
    monkeypatch.delenv(COGNITO_ENDPOINT)

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    summary = json.loads(execution["output"])
    assert summary["runId"] == "breach-e2e"
    assert summary["rows"] == len(rows)
    # Users, not rows: the user listed twice is one reset user and one duplicate row; each unknown row its own user.
    assert (summary["users"], summary["duplicateRows"]) == (USERS + 2, 1)
    assert summary["statuses"] == {"reset": USERS, "failed": 2}
    assert summary["reasons"] == {"USER_NOT_FOUND": 2}
    assert (summary["unfinished"], summary["complete"]) == ({}, True)
    assert not {*users, *(f"{name}@example.com" for name in users)} & set(json.dumps(summary).split('"'))

    result_rows, children = _result_rows(system, summary)
    assert len(result_rows) == len(rows)  # one result row per manifest row
    assert children["FAILED"] == children["PENDING"] == 0
    reset_rows = Counter(row["username"] for row in result_rows if row["status"] == "reset")
    assert set(reset_rows) == set(users)
    assert max(reset_rows.values()) == 1
    # Cognito was throttled and the run went on: no user was sent two codes, every user got one.
    assert sum(1 for exchange in exchanges if exchange.interference == Fault.THROTTLE_BEFORE) > 0
    sent = codes_sent(exchanges)
    assert set(sent) == set(users)
    assert max(sent.values()) == 1
    statuses = Counter(system.user_status(name) for name in users)
    assert statuses == {"RESET_REQUIRED": USERS}
    delivered = Counter(message.username for message in system.outbox.messages)
    assert delivered == dict.fromkeys(users, 1)
    # The summary object beside the results says the same as the execution's output, and lists the rows to act on by
    # their line in the manifest (JSON Lines: line 1 is the first row) and their identifier as the row gave it.
    bucket, _, key = summary["summary"].removeprefix("s3://").partition("/")
    stored = json.loads(system.aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert {name: stored[name] for name in summary} == summary
    assert [(row["line"], row["identifier"], row["reason"]) for row in stored["failedRows"]] == [
        (len(rows) - 1, {"username": "nobody-by-this-name"}, "USER_NOT_FOUND"),
        (len(rows), {"sub": "00000000-0000-4000-8000-000000000000"}, "USER_NOT_FOUND"),
    ]
    assert stored["unconfirmedRows"] == stored["unfinishedRows"] == []
    # The map run's counts, as the operator CLI reads them.
    sfn = system.aws.client("stepfunctions")
    (map_run,) = sfn.list_map_runs(executionArn=execution["executionArn"])["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["itemCounts"]
    assert counts["total"] == counts["succeeded"] == len(rows)


def test_a_rerun_of_a_runs_batches_replays_and_the_same_manifest_again_inside_the_window_sends_nothing(
    bulk_system: LocalSystem,
) -> None:
    """A redrive reruns the batches of a run with the same run id: every row reads `reset` (replayed), and no second
    code goes out. The same manifest started again as a new run, inside the users' cooldown window, is skipped user by
    user (each result says which run reset the user): the window belongs to the user, not to the run."""
    system = bulk_system
    users = _add_users(system, 12)
    manifest = "username,reason\n" + "".join(f"{name},policy_rotation\n" for name in users)
    first = system.run_bulk(manifest, run_id="rotation-1", csv=True)
    assert json.loads(first["output"])["statuses"] == {"reset": 12}
    sent_before = len(system.outbox.messages)
    reset_function = system.stack.functions.running("reset_password.handler.lambda_handler")
    rerun = system.stack.functions.invoke(
        reset_function,
        {
            "Items": [{"index": index, "row": {"username": name, "reason": "policy_rotation"}} for index, name in
                      enumerate(users)],
            "BatchInput": {"runId": "rotation-1"},
        },
    )  # fmt: skip
    assert rerun.function_error is None
    assert {result["status"] for result in rerun.payload["results"]} == {"reset"}
    assert all(result["replayed"] for result in rerun.payload["results"])
    assert len(system.outbox.messages) == sent_before == 12

    second = system.run_bulk(manifest, run_id="rotation-2", csv=True)

    summary = json.loads(second["output"])
    assert (summary["statuses"], summary["complete"]) == ({"skipped": 12}, True)
    rows, _ = _result_rows(system, summary)
    assert {row["lastReset"]["runId"] for row in rows} == {"rotation-1"}
    assert len(system.outbox.messages) == 12


def test_a_run_whose_batches_all_fail_stops_at_its_map_under_the_states_error_name(
    bulk_system: LocalSystem,
) -> None:
    """More rows unfinished than the workflow tolerates (bulkToleratedFailurePercentage): the Map state fails with
    States.ExceedToleratedFailureThreshold, as on AWS, and so does the execution, which a redrive can continue."""
    system = bulk_system
    users = _add_users(system, 12)
    reset_function = system.stack.functions.running("reset_password.handler.lambda_handler")

    def refusing(_event: object, _context: object) -> object:
        # What no rule classifies (an access problem, say): not retried, the batch's child fails.
        raise UnclassifiedResetError("AccessDeniedException: not a failure this function knows how to classify")

    reset_function.new_container = lambda: refusing
    reset_function.start_cold()
    manifest = "".join(json.dumps({"username": name}) + "\n" for name in users)

    execution = system.run_bulk(manifest, run_id="refused-everywhere")

    assert (execution["status"], execution.get("error")) == ("FAILED", MAP_TOLERANCE_EXCEEDED)
    assert system.outbox.messages == []


def test_a_run_whose_manifest_cannot_be_read_fails_with_the_item_readers_error_after_its_retries(
    bulk_system: LocalSystem,
) -> None:
    """S3 cannot hand over the manifest (here: there is none under the key): the Map state fails with
    States.ItemReaderFailed, is retried as the workflow says, then the execution fails with that error."""
    sfn = bulk_system.aws.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=bulk_system.stack.bulk_reset_state_machine_arn,
        name="no-manifest",
        input=json.dumps({"manifestKey": "manifests/no-manifest.jsonl"}),
    )
    while (described := sfn.describe_execution(executionArn=started["executionArn"]))["status"] == "RUNNING":
        time.sleep(0.1)

    assert (described["status"], described.get("error")) == ("FAILED", MAP_ITEMS_UNREADABLE)
    # The Map state's Retry ran: its waits were asked for (scaled down here) before the execution gave up.
    assert len(bulk_system.emulation.retry_clock.waits) == 3


# StopExecution and RedriveExecution of a bulk run, against the stack's defaults (batches of 10 rows, at most 5 batches
# at a time, 5 % of the rows may fail): Step Functions API Reference, "StopExecution", "RedriveExecution"; Developer
# Guide, "Redriving Map Runs".
def _ended(system: LocalSystem, execution_arn: str) -> dict[str, Any]:
    sfn = system.aws.client("stepfunctions")

    def described() -> dict[str, Any] | None:
        execution: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return None if execution["status"] in {"RUNNING", "PENDING_REDRIVE"} else execution

    result: dict[str, Any] = until(described)
    return result


def _map_run(system: LocalSystem, execution_arn: str) -> dict[str, Any]:
    sfn = system.aws.client("stepfunctions")
    (listed,) = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    return dict(sfn.describe_map_run(mapRunArn=listed["mapRunArn"]))


def test_a_stopped_run_starts_no_batch_after_its_stop_and_its_map_run_ends_aborted(system: LocalSystem) -> None:
    """StopExecution of the parent stops its Distributed Map: no child starts after it, the running Standard children
    are stopped, the map run ends ABORTED and its counts say which rows were aborted and which never started."""
    users = _add_users(system, 100)
    resets = RecordingResets(system)
    resets.hold.clear()
    resets.install()
    sfn = system.aws.client("stepfunctions")
    execution_arn = start_bulk(system, users, "stopped-mid-way")
    until(lambda: len(resets.batches) == 5)  # the first five batches are running, held in the reset function

    sfn.stop_execution(executionArn=execution_arn, error="Operator.Stop", cause="wrong manifest")

    stopped = sfn.describe_execution(executionArn=execution_arn)
    assert (stopped["status"], stopped["error"], stopped["cause"]) == ("ABORTED", "Operator.Stop", "wrong manifest")
    resets.hold.set()
    map_run = until(lambda: (run := _map_run(system, execution_arn))["status"] != "RUNNING" and run)
    until(resets.settled)
    time.sleep(1.0)  # time for any batch that would (wrongly) start after the stop
    assert map_run["status"] == "ABORTED"
    items, executions = map_run["itemCounts"], map_run["executionCounts"]
    assert (items["aborted"], items["pending"], items["succeeded"], items["running"]) == (50, 50, 0, 0)
    assert (executions["aborted"], executions["pending"], executions["total"]) == (5, 5, 10)
    assert len(resets.batches) == 5
    started = resets.users()
    unstarted = [name for name in users if name not in started]
    assert len(unstarted) == 50
    assert {system.user_status(name) for name in unstarted} == {"CONFIRMED"}
    assert {message.username for message in system.outbox.messages} <= started
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "ABORTED"
    # Whether AWS writes ResultWriter's files for an aborted map run is not documented: nothing is written.
    listed = system.aws.client("s3").list_objects_v2(Bucket=system.stack.bulk_bucket, Prefix=f"{RESULTS_PREFIX}/")
    assert listed.get("KeyCount", 0) == 0


def _succeeded_rows(system: LocalSystem, map_run_arn: str) -> set[str]:
    """The users of the children ResultWriter lists as SUCCEEDED."""
    s3 = system.aws.client("s3")
    folder = f"{RESULTS_PREFIX}/{map_run_arn.rsplit(':', 1)[-1]}"
    manifest = json.loads(s3.get_object(Bucket=system.stack.bulk_bucket, Key=f"{folder}/manifest.json")["Body"].read())
    users: set[str] = set()
    for file in manifest["ResultFiles"]["SUCCEEDED"]:
        body = s3.get_object(Bucket=system.stack.bulk_bucket, Key=file["Key"])["Body"].read().decode()
        for child in child_executions(body.splitlines()):
            users |= {item["row"]["username"] for item in batch_items(child)}
    return users


def test_a_redriven_run_reruns_only_its_unfinished_batches_and_nobody_gets_a_second_code(system: LocalSystem) -> None:
    """API Reference, RedriveExecution; Developer Guide, "Redriving executions", "Redriving Map Runs"."""
    """A batch fails (more rows than tolerated): the map run fails, its running children are aborted. Fixed and
    redriven, the same execution and map run rerun only the failed, aborted and never started batches; the summary
    then counts every user, each of whom got one code."""
    system.emulation.channels.settings = BREACH_SCALE
    users = _add_users(system, 60)
    resets = RecordingResets(system)
    resets.refuse = set(users[20:30])
    resets.install()
    sfn = system.aws.client("stepfunctions")
    execution_arn = start_bulk(system, users, "refused-then-redriven")

    failed = _ended(system, execution_arn)

    assert (failed["status"], failed["error"]) == ("FAILED", MAP_TOLERANCE_EXCEEDED)
    assert (failed["redriveStatus"], failed["redriveCount"]) == ("REDRIVABLE", 0)
    first = _map_run(system, execution_arn)
    assert first["status"] == "FAILED"
    kept = _succeeded_rows(system, first["mapRunArn"])
    assert not kept & resets.refuse
    resets.refuse, resets.batches = set(), []
    # The aborted batches' invocations run on to their end, as Lambda's do. On AWS a redriven batch that met one still
    # at work would wait it out in the workflow's retries (seconds to minutes); here those waits pass a thousand times
    # faster, so the test waits for them instead.
    until(resets.settled)

    sfn.redrive_execution(executionArn=execution_arn)
    redriven = _ended(system, execution_arn)

    assert redriven["status"] == "SUCCEEDED", redriven.get("cause")
    assert (redriven["executionArn"], redriven["redriveCount"]) == (execution_arn, 1)
    assert "redriveDate" in redriven
    summary = json.loads(redriven["output"])
    assert (summary["statuses"], summary["complete"]) == ({"reset": 60}, True)
    again = _map_run(system, execution_arn)  # the same map run, redriven
    assert (again["mapRunArn"], again["status"], again["redriveCount"]) == (first["mapRunArn"], "SUCCEEDED", 1)
    assert again["itemCounts"]["succeeded"] == 60
    # Only the rows that had not finished ran again; the succeeded batches' rows kept their results.
    assert resets.users() == set(users) - kept
    assert Counter(message.username for message in system.outbox.messages) == dict.fromkeys(users, 1)
    assert {system.user_status(name) for name in users} == {"RESET_REQUIRED"}


def test_redrive_is_refused_for_a_succeeded_run_after_14_days_and_for_an_unknown_run(system: LocalSystem) -> None:
    sfn = system.aws.client("stepfunctions")
    succeeded = system.run_bulk('{"username": "lena"}\n', run_id="done-already")
    assert succeeded["status"] == "SUCCEEDED"
    sfn_failed = sfn.start_execution(
        stateMachineArn=system.stack.bulk_reset_state_machine_arn,
        name="no-manifest",
        input=json.dumps({MANIFEST_KEY: "manifests/no-manifest.jsonl"}),
    )
    failed = _ended(system, sfn_failed["executionArn"])
    assert failed["status"] == "FAILED"

    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=succeeded["executionArn"])
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "SUCCEEDED" in refused.value.response["Error"]["Message"]
    described = sfn.describe_execution(executionArn=succeeded["executionArn"])
    assert (described["redriveStatus"], described["redriveCount"]) == ("NOT_REDRIVABLE", 0)

    system.emulation.executions.clock = lambda: datetime.now(UTC) + timedelta(days=14, minutes=1)
    with pytest.raises(ClientError) as too_late:
        sfn.redrive_execution(executionArn=failed["executionArn"])
    assert too_late.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert too_late.value.response["Error"]["Message"] == "Execution redrivable period exceeded."

    system.emulation.executions.clock = lambda: datetime.now(UTC) + timedelta(days=13, hours=23)
    sfn.redrive_execution(executionArn=failed["executionArn"])  # inside the window: the map runs (and fails) again
    again = _ended(system, failed["executionArn"])
    assert (again["status"], again["error"], again["redriveCount"]) == ("FAILED", MAP_ITEMS_UNREADABLE, 1)

    unknown = failed["executionArn"].rsplit(":", 1)[0] + ":never-started"
    with pytest.raises(ClientError) as missing:
        sfn.redrive_execution(executionArn=unknown)
    assert missing.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
