"""The operator's rails on breach day, end to end with the `cognito-reset` console script against the local system:
a spreadsheet as Excel exports it, the rows the run did not reset named at their lines, a new run of exactly those,
and a run stopped mid-way that resets nobody after the stop and continues when redriven, each user with one code."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.events import AUDIT_SOURCE, BULK_RUN_FINISHED, BULK_RUN_STARTED, BULK_RUN_STOPPED
from local_aws.harness.pool import add_user
from local_aws.harness.system import LocalSystem
from tests.e2e.conftest import BREACH_SCALE, RecordingResets, until
from tests.e2e.test_operator_cli import breach_users, cognito_reset

# Excel's "CSV UTF-8" in a European locale: a byte-order mark, semicolons, CRLF, a padded header, and the empty rows
# the sheet's used range leaves at the end. Line 5 names an address nobody in the pool has yet; line 6 a user that
# is not there, whose name a spreadsheet would run as a formula.
EXPORT = (
    "\ufeffUsername ;Email;Locale\r\n"
    "lena;;de\r\n"
    ";sam@example.com;\r\n"
    "ana;;\r\n"
    ";ghost@example.com;\r\n"
    "=cmd;;\r\n"
    ";;\r\n"
    ";;\r\n"
)


def codes(system: LocalSystem) -> Counter[str]:
    return Counter(message.username for message in system.outbox.messages)


def bulk_run_events(system: LocalSystem) -> str:
    """A queue that a rule on the stack's bus fills with every bulk run's audit event, as a SIEM would subscribe."""
    events, sqs = system.aws.client("events"), system.aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="siem")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = system.stack.event_bus_name
    pattern = {"source": [AUDIT_SOURCE], "detail-type": [BULK_RUN_STARTED, BULK_RUN_FINISHED, BULK_RUN_STOPPED]}
    events.put_rule(Name="siem", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="siem", EventBusName=bus, Targets=[{"Id": "siem", "Arn": queue_arn}])
    return str(queue_url)


def received(system: LocalSystem, queue_url: str) -> list[dict[str, Any]]:
    answer = system.aws.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def test_an_excel_export_runs_its_failures_are_named_and_a_rerun_resets_exactly_them(
    system: LocalSystem, tmp_path: Path
) -> None:
    breach_users(system)
    siem = bulk_run_events(system)
    export = tmp_path / "breach.csv"
    export.write_bytes(EXPORT.encode("utf-8"))

    done = cognito_reset(
        system, "bulk", str(export), "--reason", "security_incident", "--run-id", "excel-breach", "--json"
    )

    assert done.returncode == 1, done.stderr  # two rows name nobody
    assert json.loads(done.stdout)["statuses"] == {"reset": 3, "failed": 2}
    assert done.stderr.splitlines() == [
        'breach.csv: CSV, semicolon-delimited, UTF-8 with byte-order mark, CRLF line ends; header "Username " read as '
        'username, "Email" read as email, "Locale" read as locale; 2 blank rows skipped'
    ]
    ticket = tmp_path / "failed.csv"
    failed = cognito_reset(system, "status", "excel-breach", "--failed", "--csv", str(ticket), "--json")
    assert failed.returncode == 1, failed.stderr
    rows = json.loads(failed.stdout)["rows"]
    assert [(row["line"], row.get("username"), row.get("email"), row["reason"]) for row in rows] == [
        (5, None, "ghost@example.com", "USER_NOT_FOUND"),
        (6, "=cmd", None, "USER_NOT_FOUND"),
    ]
    written = list(csv.reader(io.StringIO(ticket.read_text(encoding="utf-8"), newline="")))
    assert [written[1][0], written[1][2], written[2][0], written[2][1]] == ["5", "ghost@example.com", "6", "'=cmd"]

    # The address was a typo in the pool, fixed by hand: the rerun resets exactly the two rows, and only ghost is new.
    add_user(system.cognito, system.stack.user_pool_id, "ghost", email="ghost@example.com")
    rerun = cognito_reset(system, "--json", "bulk", "--rerun", "excel-breach", "--run-id", "excel-breach-2")

    assert rerun.returncode == 1, rerun.stderr  # =cmd still names nobody
    summary = json.loads(rerun.stdout)
    assert (summary["rows"], summary["statuses"]) == (2, {"reset": 1, "failed": 1})
    again = json.loads(cognito_reset(system, "status", "excel-breach-2", "--failed", "--json").stdout)
    assert [(row["line"], row.get("username")) for row in again["rows"]] == [(6, "=cmd")]  # the first file's line
    assert codes(system) == {"lena": 1, "sam": 1, "ana": 1, "ghost": 1}
    # A SIEM saw both runs start and finish: who, the run, the counts; no user, no metadata value.
    seen = received(system, siem)
    assert sorted((event["detail-type"], event["detail"]["runId"]) for event in seen) == [
        (BULK_RUN_FINISHED, "excel-breach"),
        (BULK_RUN_FINISHED, "excel-breach-2"),
        (BULK_RUN_STARTED, "excel-breach"),
        (BULK_RUN_STARTED, "excel-breach-2"),
    ]
    caller = system.aws.client("sts").get_caller_identity()["Arn"]
    assert {event["detail"]["by"]["arn"] for event in seen} == {caller}
    finished = next(e["detail"] for e in seen if e["detail-type"] == BULK_RUN_FINISHED and e["detail"]["rows"] == 5)
    assert (finished["statuses"], finished["complete"]) == ({"reset": 3, "failed": 2}, True)
    for value in ("lena", "ghost@example.com", "=cmd", "security_incident"):
        assert value not in json.dumps(seen)
    status = cognito_reset(system, "status", "excel-breach", "--no-completion")
    assert f"  started by {caller} at " in status.stdout


def test_a_stopped_run_resets_nobody_after_the_stop_lists_its_rows_and_a_redrive_finishes_it(
    system: LocalSystem, tmp_path: Path
) -> None:
    system.emulation.channels.settings = BREACH_SCALE
    users = [f"stop-user-{index:02d}" for index in range(30)]
    for name in users:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    manifest = tmp_path / "users.csv"
    manifest.write_text("username\n" + "".join(f"{name}\n" for name in users))
    resets = RecordingResets(system)
    resets.hold.clear()  # the first batches are invoked, and wait
    resets.install()
    started = cognito_reset(system, "bulk", str(manifest), "--run-id", "stopped-run", "--no-wait")
    assert started.returncode == 0, started.stderr
    until(lambda: resets.batches)

    stopped = cognito_reset(system, "stop", "stopped-run", "--no-wait")

    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith("run stopped-run stopped: no batch starts another user")
    resets.hold.set()  # the invocations in flight go on, as Lambda's do: they read the stop mark and reset nobody
    until(resets.settled)
    assert codes(system) == {}
    assert {system.user_status(name) for name in users} == {"CONFIRMED"}
    listed = cognito_reset(system, "status", "stopped-run", "--failed", "--json")
    assert listed.returncode == 1, listed.stderr
    rows = json.loads(listed.stdout)["rows"]
    assert sorted(row["line"] for row in rows) == list(range(2, 32))  # every row, at its line in the file
    assert {row["outcome"] for row in rows} == {"unfinished"}
    assert cognito_reset(system, "stop", "stopped-run").returncode == 2  # nothing left to stop

    redriven = cognito_reset(system, "--json", "redrive", "stopped-run")

    assert redriven.returncode == 0, redriven.stderr
    assert json.loads(redriven.stdout)["statuses"] == {"reset": len(users)}
    assert codes(system) == dict.fromkeys(users, 1)


def test_the_breach_rails_hold_a_user_changed_since_the_incident_and_keep_break_glass_accounts_out(
    system: LocalSystem, tmp_path: Path
) -> None:
    users = breach_users(system)
    pool, cognito = system.stack.user_pool_id, system.cognito
    time.sleep(0.01)
    incident = datetime.now(UTC)
    time.sleep(0.01)
    # After the incident began, the attacker moved ben's e-mail to an address of their own (verified, as Cognito's
    # own attribute verification would leave it).
    cognito.admin_update_user_attributes(
        UserPoolId=pool,
        Username="ben",
        UserAttributes=[
            {"Name": "email", "Value": "ben@attacker.example"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.create_group(UserPoolId=pool, GroupName="break-glass")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="cleo", GroupName="break-glass")
    manifest = tmp_path / "users.csv"
    manifest.write_text("username\n" + "".join(f"{name}\n" for name in users))

    done = cognito_reset(
        system, "--json", "bulk", str(manifest), "--reason", "security_incident", "--run-id", "railed",
        "--hold-modified-since", incident.isoformat(), "--exclude-group", "break-glass",
    )  # fmt: skip

    assert done.returncode == 1, done.stderr  # ben is held: something for a person to do
    summary = json.loads(done.stdout)
    assert (summary["statuses"], summary["reasons"]) == (
        {"reset": 4, "failed": 1, "skipped": 1},
        {"HELD_FOR_REVIEW": 1},
    )
    listed = json.loads(cognito_reset(system, "status", "railed", "--failed", "--json").stdout)
    assert [(row["line"], row["username"], row["reason"]) for row in listed["rows"]] == [(5, "ben", "HELD_FOR_REVIEW")]
    assert codes(system) == {"lena": 1, "sam": 1, "ana": 1, "dev": 1}  # nothing to ben's new address, nor to cleo
    assert (system.user_status("ben"), system.user_status("cleo")) == ("CONFIRMED", "CONFIRMED")


def test_a_typo_in_the_reason_is_refused_by_what_the_deployed_trigger_knows(
    system: LocalSystem, tmp_path: Path
) -> None:
    manifest = tmp_path / "users.csv"
    manifest.write_text("username\nlena\nsam\n")

    refused = cognito_reset(system, "bulk", str(manifest), "--reason", "securty_incident")

    assert refused.returncode == 2
    assert "did you mean 'security_incident'?" in refused.stderr
    assert refused.stderr.strip().endswith("cognito-reset: nothing was uploaded or started")
    assert system.outbox.messages == []
    listed = system.aws.client("stepfunctions").list_executions(
        stateMachineArn=system.stack.bulk_reset_state_machine_arn
    )
    assert listed["executions"] == []
