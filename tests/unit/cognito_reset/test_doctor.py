"""`cognito-reset doctor` and the sizing of every bulk run, as an operator runs them (typer's CliRunner) over in-memory
AWS clients: what they print, their exit codes, and that a refused run uploads and starts nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts import stack as outputs
from tests.unit.cognito_reset.fakes import (
    BUCKET,
    POOL,
    TRIGGER_ARN,
    FakeAws,
    FakeCloudWatch,
    FakeCognito,
    FakeSes,
    FakeSns,
    client_error,
    pool_settings,
)
from tests.unit.cognito_reset.test_cli import RUN, finishing, invoke


def ses_aws(**ses: object) -> FakeAws:
    """The stack's pool sending through its SES identity, mail.example.com in eu-west-1."""
    return FakeAws(cognito=FakeCognito(settings=pool_settings(ses=True)), ses=FakeSes(**ses))  # type: ignore[arg-type]


def manifest_of(tmp_path: Path, users: int, *, duplicates: int = 0) -> Path:
    path = tmp_path / "users.csv"
    names = [f"user{n:03d}" for n in range(users)] + [f"USER{n:03d}" for n in range(duplicates)]
    path.write_text("username\n" + "".join(f"{name}\n" for name in names))
    return path


# doctor


def test_doctor_on_cognitos_own_sender_says_50_a_day_sent_unknown_and_exits_0() -> None:
    done = invoke(FakeAws(), "doctor")

    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        f"Pool {POOL} of stack CognitoPasswordReset",
        "E-mail    COGNITO_DEFAULT: Cognito's own sender, no-reply@verificationemail.com",
        "  quota     50 a day per account; sent in the last 24 hours: unknown",
    ]
    assert "Trigger   the stack's (CognitoPasswordReset-CustomMessage)" in lines
    assert "Recovery  verified_email" in lines
    assert "  warns  Cognito's own sender: 50 e-mails a day per account, untailored" in lines
    assert lines[-1] == "Verdict: a reset can be delivered."
    assert max(len(line) for line in lines) <= 80


def test_doctor_on_an_ses_identity_shows_its_account_and_asks_ses_in_the_identitys_region() -> None:
    aws = ses_aws(max_24_hour_send=50_000.0, sent_last_24_hours=1_234.0, max_send_rate=14.0)

    done = invoke(aws, "doctor")

    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[1:5] == [
        "E-mail    DEVELOPER: SES, from Example <no-reply@mail.example.com>",
        "  identity  mail.example.com in eu-west-1: verified for sending",
        "  account   out of the SES sandbox; sending enabled",
        "  quota     50,000 in 24 hours, 1,234 sent; 14 a second",
    ]
    assert "Today     48,766 more e-mails can be sent" in done.stdout
    assert "No problems: a reset can be delivered." in done.stdout
    assert aws.regions["sesv2"] == "eu-west-1"


@pytest.mark.parametrize(
    ("aws", "problem"),
    [
        (
            FakeAws(cognito=FakeCognito(settings=pool_settings(recovery=("admin_only",)))),
            "  BLOCKS account recovery is admin_only: Cognito refuses AdminResetUserPassword",
        ),
        (
            FakeAws(cognito=FakeCognito(settings=pool_settings(LambdaConfig={}))),
            "  BLOCKS no CustomMessage trigger: Cognito's default message says nothing of why",
        ),
        (
            ses_aws(identities={"mail.example.com": False}),
            "  BLOCKS SES identity mail.example.com in eu-west-1 is not verified: nothing is",
        ),
        (ses_aws(identities={}), "  BLOCKS SES identity mail.example.com in eu-west-1 is not verified: nothing is"),
    ],
    ids=["admin-only", "no-trigger", "identity-pending", "identity-not-in-the-account"],
)
def test_doctor_exits_1_when_no_reset_is_delivered_and_prints_the_fix(aws: FakeAws, problem: str) -> None:
    done = invoke(aws, "doctor")

    assert done.exit_code == 1, done.output
    lines = done.stdout.splitlines()
    at = lines.index(problem)
    assert lines[at + 1].startswith("    fix: ") or lines[at + 2].startswith("    fix: ")
    assert lines[-1] == "Verdict: no reset is delivered as designed: fix what BLOCKS."


def test_doctor_json_is_one_document_of_the_same_facts() -> None:
    aws = ses_aws(production_access=False, max_24_hour_send=200.0, sent_last_24_hours=3.0, max_send_rate=1.0)
    aws.cloudwatch = FakeCloudWatch({"Errors": "OK", "Throttles": "ALARM"})

    done = invoke(aws, "--json", "doctor")

    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["ses"] | {"unread": "-"} == {
        "region": "eu-west-1",
        "identity": "mail.example.com",
        "verified": True,
        "productionAccess": False,
        "sendingEnabled": True,
        "max24HourSend": 200.0,
        "sentLast24Hours": 3.0,
        "maxSendRate": 1.0,
        "unread": "-",
    }
    assert document["email"]["leftToday"] == 197
    assert document["trigger"] == {"customMessage": TRIGGER_ARN, "stacks": TRIGGER_ARN, "isStacks": True}
    assert document["alarms"] == {"count": 2, "inAlarm": ["Throttles"]}
    assert [(p["code"], p["blocking"]) for p in document["problems"]] == [
        ("SES_SANDBOX", False),
        ("PACE_OVER_SEND_RATE", False),  # the stack paces at 10 a second, SES sends 1
    ]
    assert document["canDeliver"] is True


def test_doctor_says_unknown_for_what_cannot_be_read_and_still_judges_the_rest() -> None:
    aws = ses_aws(refusal=client_error("AccessDeniedException", "not allowed", "GetAccount"))
    aws.cognito.settings = pool_settings(ses=True, SmsConfiguration={"SnsCallerArn": "arn:aws:iam::1:role/sms"})
    aws.stack_outputs.pop(outputs.ALARM_TOPIC_ARN)

    done = invoke(aws, "doctor")

    assert done.exit_code == 0, done.output
    assert "  quota     unknown; unknown a second" in done.stdout
    assert "SMS       configured; SNS SMS sandbox unknown" in done.stdout
    assert "Alarms    unknown (no alarm topic in the stack's outputs, or not readable)" in done.stdout
    assert "  warns  SES in eu-west-1 could not be read (AccessDeniedException)" in done.stdout


def test_doctor_reads_the_sns_sms_sandbox_when_the_pool_sends_sms() -> None:
    settings = pool_settings(
        recovery=("verified_phone_number", "verified_email"), SmsConfiguration={"SnsCallerArn": "arn:aws:iam::1:role/s"}
    )
    aws = FakeAws(cognito=FakeCognito(settings=settings), sns=FakeSns(in_sandbox=True))

    done = invoke(aws, "doctor")

    assert done.exit_code == 0
    assert "SMS       configured; in the SNS SMS sandbox" in done.stdout
    assert "  warns  SNS's SMS sandbox: codes by SMS reach only verified phone numbers" in done.stdout


def test_doctor_without_the_stack_is_an_operator_error() -> None:
    class NoStack(FakeAws):
        def client(self, service: str, region: str | None = None) -> object:
            if service == "cloudformation":
                raise_missing()
            return super().client(service, region)

    def raise_missing() -> None:
        raise client_error("ValidationError", "Stack with id CognitoPasswordReset does not exist", "DescribeStacks")

    done = invoke(NoStack(), "doctor")

    assert done.exit_code == 2
    assert done.stderr.startswith("cognito-reset: stack CognitoPasswordReset: Stack with id")


# bulk: every run sized before anything is uploaded or started


def test_a_run_over_the_days_limit_is_refused_before_anything_is_uploaded(tmp_path: Path) -> None:
    aws = FakeAws()

    done = invoke(aws, "bulk", str(manifest_of(tmp_path, 60)), "--reason", "security_incident")

    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "cognito-reset: 60 users, more than the pool can deliver today: at most 50 e-mails (Cognito's own sender: 50 "
        "in 24 hours, sent so far unknown)",
        "cognito-reset: fix: send through an SES identity (sesFromAddress: docs/deploy.md); reset at most 50 users "
        "now; or let the run finish over several days: --over-several-days",
        "cognito-reset: nothing was uploaded or started (cognito-reset doctor shows the pool)",
    ]
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])


def test_over_several_days_starts_the_run_and_says_when_it_will_end(tmp_path: Path) -> None:
    aws = FakeAws(sfn=finishing(RUN, {"reset": 60}))

    done = invoke(aws, "bulk", str(manifest_of(tmp_path, 60)), "--over-several-days", "--no-wait")

    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        "warning: 60 users, more than the pool can deliver today: at most 50 e-mails (Cognito's own sender: 50 in 24 "
        "hours, sent so far unknown); the run stops at the limit, and `cognito-reset redrive RUN` continues it each "
        "next day (about 2 days, --over-several-days): nobody it reset is sent a second code"
    ]
    assert [execution.name for execution in aws.sfn.started] == [RUN]
    assert (BUCKET, f"manifests/{RUN}.jsonl") in aws.s3.objects


def test_a_run_is_sized_by_its_users_not_its_rows(tmp_path: Path) -> None:
    aws = FakeAws(sfn=finishing(RUN, {"reset": 50}))

    done = invoke(aws, "bulk", str(manifest_of(tmp_path, 50, duplicates=5)), "--no-wait")

    assert done.exit_code == 0, done.output
    assert "sized: 50 users; at most 50 e-mails left today" in done.stdout
    assert len(aws.sfn.started) == 1
    assert "cloudwatch" not in aws.requested  # the alarms are the doctor's, not the run's


def test_an_ses_run_over_what_is_left_of_the_quota_is_refused_and_its_fix_names_the_region(tmp_path: Path) -> None:
    aws = ses_aws(max_24_hour_send=200.0, sent_last_24_hours=190.0, max_send_rate=14.0)

    refused = invoke(aws, "bulk", str(manifest_of(tmp_path, 11)))

    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[0] == (
        "cognito-reset: 11 users, more than the pool can deliver today: 10 e-mails (SES in eu-west-1: 200 in 24 "
        "hours, 190 sent)"
    )
    assert "ask AWS for a higher SES sending quota in eu-west-1" in refused.stderr
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])


def test_a_pool_that_cannot_reset_refuses_any_run_even_over_several_days(tmp_path: Path) -> None:
    aws = FakeAws(cognito=FakeCognito(settings=pool_settings(recovery=("admin_only",))))

    done = invoke(aws, "bulk", str(manifest_of(tmp_path, 2)), "--over-several-days")

    assert done.exit_code == 2
    assert done.stderr.startswith(
        "cognito-reset: the pool cannot deliver a reset: account recovery is admin_only: Cognito refuses "
        "AdminResetUserPassword; fix: recover accounts by verified_email"
    )
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])


def test_a_dry_run_sends_nothing_and_is_not_sized(tmp_path: Path) -> None:
    aws = FakeAws(
        sfn=finishing(RUN, {"dry_run": 60}), cognito=FakeCognito(settings=pool_settings(recovery=("admin_only",)))
    )

    done = invoke(aws, "bulk", str(manifest_of(tmp_path, 60)), "--dry-run", "--no-wait")

    assert done.exit_code == 0, done.output
    assert "sized:" not in done.stdout
    assert aws.requested.count("cognito-idp") == 1  # the pool's naming rules (docs/identifiers.md), no sizing
    assert len(aws.sfn.started) == 1


def test_a_pace_over_the_send_rate_and_the_sandbox_are_warnings_and_the_run_starts(tmp_path: Path) -> None:
    aws = ses_aws(production_access=False, max_24_hour_send=200.0, max_send_rate=1.0)

    done = invoke(aws, "bulk", str(manifest_of(tmp_path, 3)), "--no-wait")

    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        "warning: SES sandbox in eu-west-1: only verified identities receive (fix: request SES production access in "
        "eu-west-1)",
        "warning: resets paced at 10/s, SES sends 1/s: Cognito refuses the excess (fix: deploy with rateBudget at most "
        "1, or ask AWS for a higher SES send rate)",
    ]
    assert len(aws.sfn.started) == 1


def test_a_group_is_sized_after_it_is_listed_and_before_it_is_uploaded() -> None:
    members = [f"member{n:02d}" for n in range(51)]
    cognito = FakeCognito(users={POOL: dict.fromkeys(members, "CONFIRMED")}, groups={"staff": members})
    aws = FakeAws(cognito=cognito)

    done = invoke(aws, "bulk", "--group", "staff")

    assert done.exit_code == 2
    assert done.stderr.startswith("cognito-reset: 51 users, more than the pool can deliver today: at most 50")
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])
