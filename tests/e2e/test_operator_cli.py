"""The operator CLI (`cognito-reset`, the console script `make setup` installs) against the local system, run as an
operator runs it: a separate process that finds the stack by its outputs, through the local endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from contracts.bulk import MANIFEST_PREFIX, RUN_ID
from local_aws.harness.pool import add_user
from local_aws.harness.system import LocalSystem
from tests.e2e.conftest import BREACH_SCALE, RecordingResets, start_bulk, until

CLI = Path(sys.executable).with_name("cognito-reset")


def cognito_reset(system: LocalSystem, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own console script
        [str(CLI), "--endpoint-url", system.aws.endpoint_url, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
        timeout=120,
    )


def test_request_with_wait_runs_the_single_reset_workflow_and_prints_its_result(system: LocalSystem) -> None:
    done = cognito_reset(
        system, "--json", "request", "--username", "lena", "--reason", "security_incident", "--locale", "de", "--wait"
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["username"], result["replayed"]) == ("reset", "lena", False)
    assert system.user_status("lena") == "RESET_REQUIRED"
    assert len(system.outbox.messages) == 1


def test_a_second_request_inside_the_window_is_skipped_and_only_force_sends_another_code(system: LocalSystem) -> None:
    first = cognito_reset(system, "--json", "request", "--username", "lena", "--request-id", "inc-1", "--wait")
    again = cognito_reset(system, "request", "--username", "lena", "--request-id", "inc-2", "--wait")
    forced = cognito_reset(system, "--json", "request", "--username", "lena", "--request-id", "inc-3", "--force")

    assert json.loads(first.stdout)["status"] == "reset"
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("skipped: username=lena")
    assert "lastReset=" in again.stdout
    assert "duplicate" in again.stdout
    assert forced.returncode == 0, forced.stderr
    assert (json.loads(forced.stdout)["status"], json.loads(forced.stdout)["forced"]) == ("reset", True)
    assert [message.username for message in system.outbox.messages] == ["lena", "lena"]


def test_request_puts_it_on_the_bus_where_the_rule_delivers_it(system: LocalSystem) -> None:
    queued = cognito_reset(system, "request", "--email", "sam@example.com", "--reason", "policy_rotation")

    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.startswith("queued: event ")
    system.emulation.events.drain()
    ((delivery, invocation),) = system.emulation.events.delivered
    assert delivery.event["id"] in queued.stdout
    assert (invocation.payload["status"], invocation.payload["username"]) == ("reset", "sam")
    assert system.user_status("sam") == "RESET_REQUIRED"


def test_a_failed_reset_exits_1_with_the_result(system: LocalSystem) -> None:
    failed = cognito_reset(system, "--json", "request", "--username", "nobody", "--wait")

    assert failed.returncode == 1
    assert (json.loads(failed.stdout)["status"], json.loads(failed.stdout)["reason"]) == ("failed", "USER_NOT_FOUND")


def test_what_the_operator_must_fix_is_one_line_and_exit_2(system: LocalSystem) -> None:
    no_stack = cognito_reset(system, "--stack-name", "NotDeployed", "request", "--username", "lena")
    two_names = cognito_reset(system, "request", "--username", "lena", "--email", "lena@example.com")

    assert (no_stack.returncode, two_names.returncode) == (2, 2)
    assert no_stack.stderr.startswith("cognito-reset: stack NotDeployed:")
    assert two_names.stderr.strip() == "cognito-reset: request: give exactly one of --username, --email or --sub"
    assert len(no_stack.stderr.strip().splitlines()) == 1
    assert system.user_status("lena") == "CONFIRMED"  # nothing was sent


# The bulk commands, against the local bulk workflow (its Distributed Map played from the synthesized definition).
BREACH_USERS = ("ana", "ben", "cleo", "dev")


def breach_users(system: LocalSystem) -> list[str]:
    """lena and sam, and four more users, each with a verified e-mail address."""
    for name in BREACH_USERS:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    return ["lena", "sam", *BREACH_USERS]


def bulk_executions(system: LocalSystem) -> list[dict[str, Any]]:
    sfn = system.aws.client("stepfunctions")
    return list(sfn.list_executions(stateMachineArn=system.stack.bulk_reset_state_machine_arn)["executions"])


def manifests(system: LocalSystem) -> list[str]:
    listed = system.aws.client("s3").list_objects_v2(Bucket=system.stack.bulk_bucket, Prefix=MANIFEST_PREFIX)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_bulk_with_a_bad_row_starts_nothing_and_says_where(system: LocalSystem, tmp_path: Path) -> None:
    users = breach_users(system)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("username,email\n" + "".join(f"{name},\n" for name in users) + ",not an address\n")

    refused = cognito_reset(system, "bulk", str(manifest), "--reason", "security_incident")

    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"manifest.csv:{len(users) + 2}: email: has characters or a shape that is not allowed",
        "cognito-reset: manifest.csv: 1 error; nothing was uploaded or started",
    ]
    assert (bulk_executions(system), manifests(system)) == ([], [])
    assert {system.user_status(name) for name in users} == {"CONFIRMED"}
    assert system.outbox.messages == []


def test_bulk_resets_every_user_of_the_manifest_and_the_summary_matches_the_pool(
    system: LocalSystem, tmp_path: Path
) -> None:
    users = breach_users(system)
    manifest = tmp_path / "breach.csv"
    rows = [f"{name},,\n" for name in users] + [",lena@example.com,de\n", "nobody-by-this-name,,\n"]
    manifest.write_text("username,email,locale\n" + "".join(rows))

    done = cognito_reset(
        system, "--json", "bulk", str(manifest), "--reason", "security_incident", "--run-id", "breach-e2e-cli"
    )

    assert done.returncode == 1, done.stderr  # one row names nobody: the run ended with a failed user
    # Line 8 names lena by e-mail: only the pool knows it is lena (line 2), so the run, not the check, skips it.
    assert done.stderr == "breach.csv: CSV, comma-delimited\n"  # how the file was read; no warning
    summary = json.loads(done.stdout)
    assert (summary["runId"], summary["status"]) == ("breach-e2e-cli", "SUCCEEDED")
    statuses = Counter(system.user_status(name) for name in users)
    assert statuses == {"RESET_REQUIRED": len(users)}
    # Users, not rows: lena's second row is a duplicate row, and she counts once, as reset.
    assert summary["statuses"] == {"reset": len(users), "failed": 1}
    assert summary["reasons"] == {"USER_NOT_FOUND": 1}
    assert (summary["rows"], summary["users"], summary["duplicateRows"]) == (len(rows), len(users) + 1, 1)
    assert summary["complete"] is True
    assert summary["results"].startswith(f"s3://{system.stack.bulk_bucket}/")
    assert Counter(message.username for message in system.outbox.messages) == dict.fromkeys(users, 1)
    assert manifests(system) == [
        f"{MANIFEST_PREFIX}breach-e2e-cli.jsonl",  # what the workflow read: the file normalised
        f"{MANIFEST_PREFIX}breach-e2e-cli.lines.json",  # each of its rows' line in the file
        f"{MANIFEST_PREFIX}breach-e2e-cli.original.csv",
    ]
    evidence = f"{MANIFEST_PREFIX}breach-e2e-cli.original.csv"
    uploaded = system.aws.client("s3").get_object(Bucket=system.stack.bulk_bucket, Key=evidence)
    assert uploaded["Body"].read() == manifest.read_bytes()  # the operator's file, as it is: the run's evidence


def test_no_wait_returns_the_run_id_and_status_follows_the_run_to_completion(
    system: LocalSystem, tmp_path: Path
) -> None:
    users = breach_users(system)
    manifest = tmp_path / "users.jsonl"
    manifest.write_text("".join(json.dumps({"username": name}) + "\n" for name in users))

    started = cognito_reset(system, "bulk", str(manifest), "--reason", "policy_rotation", "--no-wait")

    assert started.returncode == 0, started.stderr
    run_id = started.stdout.splitlines()[-1]
    assert RUN_ID.fullmatch(run_id)
    ended = status_when_ended(system, run_id)
    assert ended["statuses"] == {"reset": len(users)}
    assert ended["completion"] == {"reset": len(users), "newPassword": 0, "waiting": len(users), "other": {}}
    # One user chooses a new password (what ConfirmForgotPassword does to the pool: the user is CONFIRMED again).
    pool = system.stack.user_pool_id
    system.cognito.admin_set_user_password(UserPoolId=pool, Username="ana", Password="N3w-pass-word!", Permanent=True)
    later = cognito_reset(system, "status", run_id)
    assert later.returncode == 0, later.stderr
    assert f"of {len(users)} users reset: 1 have chosen a new password, {len(users) - 1} are still waiting" in (
        later.stdout
    )
    assert 'chooses "Forgot password" at sign-in' in later.stdout


def status_when_ended(system: LocalSystem, run_id: str, timeout_seconds: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_seconds
    while True:
        shown = cognito_reset(system, "--json", "status", run_id)
        assert shown.returncode == 0, shown.stderr
        document: dict[str, Any] = json.loads(shown.stdout)
        if document["status"] != "RUNNING" or time.monotonic() > deadline:
            return document
        assert document["progress"]["total"] in {0, len(BREACH_USERS) + 2}
        time.sleep(0.5)


def test_a_dry_run_resolves_every_user_and_sends_nothing(system: LocalSystem, tmp_path: Path) -> None:
    users = breach_users(system)
    manifest = tmp_path / "users.csv"
    manifest.write_text("username\n" + "".join(f"{name}\n" for name in users))

    done = cognito_reset(system, "--json", "bulk", str(manifest), "--dry-run")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["statuses"] == {"dry_run": len(users)}
    assert {system.user_status(name) for name in users} == {"CONFIRMED"}
    assert system.outbox.messages == []


def test_bulk_by_group_lists_the_members_into_the_manifest_it_uploads(system: LocalSystem) -> None:
    breach_users(system)
    pool, cognito = system.stack.user_pool_id, system.cognito
    cognito.create_group(UserPoolId=pool, GroupName="finance")
    for name in ("ben", "dev"):
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName="finance")

    done = cognito_reset(system, "--json", "bulk", "--group", "finance", "--reason", "security_incident")

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["statuses"] == {"reset": 2}
    assert (system.user_status("ben"), system.user_status("dev"), system.user_status("ana")) == (
        "RESET_REQUIRED",
        "RESET_REQUIRED",
        "CONFIRMED",
    )
    (key,) = manifests(system)
    body = system.aws.client("s3").get_object(Bucket=system.stack.bulk_bucket, Key=key)["Body"].read()
    assert (key, body) == (
        f"{MANIFEST_PREFIX}{summary['runId']}.jsonl",
        b'{"username": "ben"}\n{"username": "dev"}\n',
    )


def test_preview_renders_what_an_administrators_reset_sends() -> None:
    shown = subprocess.run(  # noqa: S603 - the project's own console script
        [str(CLI), "preview", "--reason", "security_incident", "--locale", "de"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert shown.returncode == 0, shown.stderr
    assert "SMS (" in shown.stdout
    assert "483920" in shown.stdout  # Cognito's placeholder, shown replaced as Cognito sends it


def test_redrive_continues_a_stopped_run_and_resets_only_who_was_left(system: LocalSystem) -> None:
    """A run stopped mid-way (StopExecution), then `cognito-reset redrive RUN`: the same execution goes on from its
    map, only the batches that had not finished run again, and every user has one code."""
    system.emulation.channels.settings = BREACH_SCALE
    users = [f"stopped-user-{index:03d}" for index in range(60)]
    for name in users:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    resets = RecordingResets(system)
    resets.hold.clear()
    resets.install()
    execution_arn = start_bulk(system, users, "stopped-by-the-operator")
    until(lambda: len(resets.batches) == 5)
    sfn = system.aws.client("stepfunctions")
    sfn.stop_execution(executionArn=execution_arn)
    resets.hold.set()
    # The stopped batches' invocations run on to their end, as Lambda's do. On AWS a redrive that met one still at work
    # would wait it out in the workflow's retries (seconds to minutes); here those waits pass a thousand times faster.
    until(resets.settled)

    done = cognito_reset(system, "--json", "redrive", "stopped-by-the-operator")

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["status"], summary["statuses"], summary["unfinished"]) == ("SUCCEEDED", {"reset": 60}, {})
    described = sfn.describe_execution(executionArn=execution_arn)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    assert Counter(message.username for message in system.outbox.messages) == dict.fromkeys(users, 1)


def test_redrive_of_a_run_that_succeeded_is_refused_in_one_line(system: LocalSystem) -> None:
    system.run_bulk('{"username": "lena"}\n', run_id="finished-run")

    refused = cognito_reset(system, "redrive", "finished-run")

    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("cognito-reset: run finished-run succeeded: nothing to redrive")
