"""`cognito-reset doctor` and the sizing of a bulk run against the local system, run as an operator runs them: a
separate process that reads the pool, the local SES (answered from the account's sending channels) and the stack's
outputs, through the local endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path

from local_aws.emulation.delivery import DeliverySettings, SesAccount
from local_aws.harness.pool import add_user
from local_aws.harness.system import LocalSystem
from tests.e2e.test_operator_cli import bulk_executions, cognito_reset, manifests

ADMIN_ONLY = {"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]}


def test_doctor_on_the_default_deployment_says_cognitos_own_sender_and_blocks_on_admin_only(
    system: LocalSystem,
) -> None:
    shown = cognito_reset(system, "doctor")
    document = json.loads(cognito_reset(system, "--json", "doctor").stdout)

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "E-mail    COGNITO_DEFAULT: Cognito's own sender, no-reply@verificationemail.com" in lines
    assert "  quota     50 a day per account; sent in the last 24 hours: unknown" in lines
    assert "Recovery  verified_email" in lines
    assert lines[lines.index("Recovery  verified_email") + 1].startswith("Trigger   the stack's (")
    assert lines[-1] == "Verdict: a reset can be delivered."
    assert len(lines) <= 30
    assert max(len(line) for line in lines) <= 80
    assert (document["emailSendingAccount"], document["email"]["dailyLimit"], document["canDeliver"]) == (
        "COGNITO_DEFAULT",
        50,
        True,
    )
    assert document["trigger"]["isStacks"] is True
    assert "lena" not in shown.stdout  # no user is named

    # An administrator turns self-service recovery off (keeping the trigger): no reset can be sent any more.
    pool = system.stack.user_pool_id
    lambda_config = system.cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["LambdaConfig"]
    system.cognito.update_user_pool(UserPoolId=pool, LambdaConfig=lambda_config, AccountRecoverySetting=ADMIN_ONLY)
    blocked = cognito_reset(system, "doctor")

    assert blocked.returncode == 1, blocked.stderr
    assert "  BLOCKS account recovery is admin_only: Cognito refuses AdminResetUserPassword" in blocked.stdout
    assert blocked.stdout.splitlines()[-1] == "Verdict: no reset is delivered as designed: fix what BLOCKS."


def test_doctor_on_the_ses_deployment_reads_the_local_ses_account(ses_system: LocalSystem) -> None:
    before = cognito_reset(ses_system, "doctor")
    reset = cognito_reset(ses_system, "request", "--username", "lena", "--wait")
    after = json.loads(cognito_reset(ses_system, "--json", "doctor").stdout)
    ses_system.emulation.channels.settings = DeliverySettings(ses=SesAccount.in_sandbox("lena@example.com"))
    sandboxed = cognito_reset(ses_system, "doctor")

    assert before.returncode == 0, before.stderr
    lines = before.stdout.splitlines()
    assert lines[1:5] == [
        "E-mail    DEVELOPER: SES, from Example Corp <no-reply@mail.example.com>",
        "  identity  mail.example.com in eu-west-1: verified for sending",
        "  account   out of the SES sandbox; sending enabled",
        "  quota     50,000 in 24 hours, 0 sent; 14 a second",
    ]
    assert "Today     50,000 more e-mails can be sent" in lines
    assert reset.returncode == 0, reset.stderr
    assert (after["ses"]["sentLast24Hours"], after["email"]["leftToday"]) == (1.0, 49_999)
    assert sandboxed.returncode == 0, sandboxed.stderr
    assert "  account   in the SES sandbox; sending enabled" in sandboxed.stdout
    assert "  quota     200 in 24 hours, 1 sent; 1 a second" in sandboxed.stdout
    assert "  warns  SES sandbox in eu-west-1: only verified identities receive" in sandboxed.stdout


def test_a_60_user_run_on_the_default_deployment_is_refused_whole_and_over_several_days_starts(
    system: LocalSystem, tmp_path: Path
) -> None:
    users = [f"breach-user-{n:02d}" for n in range(60)]
    for name in users:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    manifest = tmp_path / "breach.csv"
    manifest.write_text("username\n" + "".join(f"{name}\n" for name in users))

    refused = cognito_reset(system, "bulk", str(manifest), "--reason", "security_incident", "--run-id", "too-big")

    assert refused.returncode == 2
    assert refused.stderr.splitlines()[0] == (
        "cognito-reset: 60 users, more than the pool can deliver today: at most 50 e-mails (Cognito's own sender: 50 "
        "in 24 hours, sent so far unknown)"
    )
    assert "--over-several-days" in refused.stderr
    assert (manifests(system), bulk_executions(system), system.outbox.messages) == ([], [], [])

    started = cognito_reset(system, "bulk", str(manifest), "--over-several-days", "--no-wait", "--run-id", "days")

    assert started.returncode == 0, started.stderr
    assert "continues it each next day (about 2 days" in started.stderr
    assert manifests(system) == ["manifests/days.jsonl", "manifests/days.lines.json", "manifests/days.original.csv"]
    assert [execution["name"] for execution in bulk_executions(system)] == ["days"]
    ends_in(system, "days")


def ends_in(system: LocalSystem, run_id: str, timeout_seconds: float = 120.0) -> None:
    """The run left to end before the local account goes (whatever the daily limit made of it)."""
    sfn = system.aws.client("stepfunctions")
    (execution,) = [e for e in bulk_executions(system) if e["name"] == run_id]
    deadline = time.monotonic() + timeout_seconds
    while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.2)
