"""The bulk commands as an operator runs them (typer's CliRunner), over in-memory AWS clients handed in as the
command's context object: what they print, what they upload and start, and their exit codes."""

from __future__ import annotations

import io
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from cognito_reset.audit import cli_version
from cognito_reset.cli import Runtime, app
from contracts.bulk import DEFAULTS, MANIFEST_KEY, MANIFEST_PREFIX, SOURCE, STARTED_BY
from tests.unit.cognito_reset.fakes import (
    ACCOUNT,
    BUCKET,
    EVENT_BUS,
    OPERATOR_ARN,
    POOL,
    STARTED,
    Clock,
    FakeAws,
    FakeCognito,
    FakeStepFunctions,
    Reading,
    client_error,
    results_folder,
    summary_object,
    summary_output,
)

RUN = "bulk-20261130T1201Z-3fa9"  # the run id the CLI makes at the runtime's time, with its four hex digits


# Where the CLI looks for a cdk.json (and the messagePack it names): by default a directory that has none.
NO_APP = Path(__file__).resolve().parent
EXAMPLE_PACK = Path(__file__).resolve().parents[3] / "examples" / "message-pack"


def invoke(aws: FakeAws, *args: str, stdout: Console | None = None, app_directory: Path = NO_APP) -> Result:
    clock = Clock()
    runtime = Runtime(
        aws=aws,
        sleep=clock.sleep,
        clock=clock.monotonic,
        now=lambda: STARTED + timedelta(minutes=1),
        random_hex=lambda: "3fa9",
        terminal=stdout is not None,
        app_directory=lambda: app_directory,
    )
    if stdout is not None:
        runtime.stdout = stdout
    return CliRunner().invoke(app, list(args), obj=runtime)


def finishing(run_id: str, statuses: dict[str, int], **more: object) -> FakeStepFunctions:
    total = sum(statuses.values())
    return FakeStepFunctions(
        [
            Reading(items={"total": total, "succeeded": total // 2}),
            Reading("SUCCEEDED", {"total": total, "succeeded": total}, output=summary_output(run_id, statuses, **more)),
        ]
    )


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_bytes(b"username,email,locale\nalice,,de\n,bob@example.com,\ncarol,,\n")
    return path


def test_a_bad_row_stops_everything_before_aws_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "manifest.csv"
    path.write_bytes(b"username,email\nalice,\n,not-an-address\nbad name,\n")
    aws = FakeAws()

    done = invoke(aws, "bulk", str(path), "--reason", "security_incident")

    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "manifest.csv:3: email: has characters or a shape that is not allowed",
        "manifest.csv:4: username: has characters or a shape that is not allowed",
        "cognito-reset: manifest.csv: 2 errors; nothing was uploaded or started",
    ]
    assert "not-an-address" not in done.output
    assert (aws.requested, aws.s3.objects, aws.sfn.started) == ([], {}, [])


def test_a_clean_manifest_is_uploaded_as_it_is_and_the_run_reports_its_summary(manifest: Path) -> None:
    aws = FakeAws(sfn=finishing(RUN, {"reset": 3}))

    done = invoke(aws, "bulk", str(manifest), "--reason", "security_incident", "--reference", "SEC-1")

    assert done.exit_code == 0, done.output
    key = f"{MANIFEST_PREFIX}{RUN}.jsonl"
    assert [json.loads(line) for line in aws.s3.objects[BUCKET, key].splitlines()] == [
        {"username": "alice", "locale": "de"},
        {"email": "bob@example.com"},
        {"username": "carol"},
    ]
    evidence, lines = f"{MANIFEST_PREFIX}{RUN}.original.csv", f"{MANIFEST_PREFIX}{RUN}.lines.json"
    assert aws.s3.objects[BUCKET, evidence] == manifest.read_bytes()
    (started,) = aws.sfn.started
    assert started.name == RUN
    assert started.input == {
        MANIFEST_KEY: key,
        DEFAULTS: {"clientMetadata": {"reason": "security_incident", "reference": "SEC-1"}},
        SOURCE: {"file": "manifest.csv", "evidence": evidence, "lines": lines},
        STARTED_BY: {
            "arn": OPERATOR_ARN,
            "account": ACCOUNT,
            "cliVersion": cli_version(),
            "at": "2026-11-30T12:01:00+00:00",
        },
    }
    (started_event,) = aws.events.entries
    assert (started_event["DetailType"], started_event["EventBusName"]) == ("Bulk Run Started", EVENT_BUS)
    assert json.loads(started_event["Detail"]) == {
        "runId": RUN,
        "by": started.input[STARTED_BY],
        "rows": 3,
        "users": 3,
    }  # no user, no metadata value (the reason and the reference stay in the run's input)
    assert done.stdout.splitlines() == [
        "manifest.csv: CSV, comma-delimited",
        "manifest.csv: 3 users checked, no errors, 0 warning(s)",
        "sized: 3 users; at most 50 e-mails left today (Cognito's own sender: 50 in 24 hours, sent so far unknown)",
        f"run {RUN} started: s3://{BUCKET}/{key}",
        f"run {RUN}: SUCCEEDED",
        f"  started by {OPERATOR_ARN} at 2026-11-30T12:01:00+00:00 (cognito-reset {cli_version()})",
        "  3 rows, 3 users: reset 3",
        f"  results: s3://{BUCKET}/{results_folder(RUN)}",
        f"  summary: s3://{BUCKET}/{results_folder(RUN)}summary.json",
    ]


def test_json_is_one_document_with_the_counts_and_where_the_results_are(manifest: Path) -> None:
    aws = FakeAws(sfn=finishing(RUN, {"reset": 2, "failed": 1}, reasons={"USER_NOT_FOUND": 1}))

    done = invoke(aws, "--json", "bulk", str(manifest))

    assert done.exit_code == 1  # a user failed
    document = json.loads(done.stdout)
    assert document["runId"] == RUN
    assert document["executionArn"].endswith(f":execution:BulkReset:{RUN}")
    assert (document["status"], document["statuses"], document["reasons"]) == (
        "SUCCEEDED",
        {"reset": 2, "failed": 1},
        {"USER_NOT_FOUND": 1},
    )
    assert document["results"] == f"s3://{BUCKET}/{results_folder(RUN)}"


def test_no_wait_prints_the_run_id_and_returns(manifest: Path) -> None:
    aws = FakeAws()

    done = invoke(aws, "bulk", str(manifest), "--no-wait", "--run-id", "breach-4211")

    assert done.exit_code == 0
    assert done.stdout.splitlines()[-1] == "breach-4211"
    assert [execution.name for execution in aws.sfn.started] == ["breach-4211"]
    assert aws.sfn.started[0].polled == 0  # not watched


def test_dry_run_runs_the_workflow_with_dry_run_in_the_defaults(manifest: Path) -> None:
    aws = FakeAws(sfn=finishing(RUN, {"dry_run": 3}))

    done = invoke(aws, "bulk", str(manifest), "--dry-run", "--global-sign-out")

    assert done.exit_code == 0
    assert aws.sfn.started[0].input[DEFAULTS] == {"globalSignOut": True, "dryRun": True}
    assert f"run {RUN} started (dry run: nothing is sent)" in done.stdout
    assert "  3 rows, 3 users: dry_run 3" in done.stdout


def test_a_run_id_that_is_taken_is_refused_and_a_new_one_is_the_way(manifest: Path) -> None:
    aws = FakeAws()
    aws.sfn.add("breach-4211", [Reading("SUCCEEDED", output={})])

    done = invoke(aws, "bulk", str(manifest), "--run-id", "breach-4211")

    assert done.exit_code == 2
    assert done.stderr.startswith("cognito-reset: run id breach-4211 is taken")
    assert "a new --run-id starts a new run on purpose" in done.stderr
    assert aws.s3.objects == {}


def test_duplicates_are_warnings_with_both_lines_and_the_run_goes_ahead(tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    path.write_text('{"username": "alice"}\n{"username": "bob"}\n{"username": "Alice"}\n')
    aws = FakeAws(sfn=finishing(RUN, {"reset": 2, "skipped": 1}))

    done = invoke(aws, "bulk", str(path))

    assert done.exit_code == 0
    assert done.stderr.splitlines() == [
        "warning: users.jsonl:3: names the same user as line 1 (by username): the run resets that user once; this row "
        "then reads skipped (a duplicate of line 1), or is tried if line 1 fails"
    ]
    assert (BUCKET, f"{MANIFEST_PREFIX}{RUN}.jsonl") in aws.s3.objects


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "cognito-reset: bulk: give exactly one of FILE, --group, --filter or --rerun"),
        (("--group", "staff", "--filter", 'username ^= "a"'), "cognito-reset: bulk: give exactly one of FILE, --group"),
        (("--group", "staff", "--locale", "not a locale"), "cognito-reset: options: clientMetadata.locale: must be"),
        (("--group", "staff", "--run-id", "no spaces please"), "cognito-reset: --run-id: a run id is 1-80 letters"),
        (("missing.csv",), "cognito-reset: missing.csv: No such file or directory"),
    ],
)
def test_what_the_operator_must_fix_exits_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    aws = FakeAws()

    done = invoke(aws, "bulk", *args)

    assert done.exit_code == 2
    assert done.stderr.startswith(message)
    assert len(done.stderr.splitlines()) == 1
    assert aws.sfn.started == []


def test_a_group_is_listed_into_a_jsonl_manifest_the_run_reads() -> None:
    cognito = FakeCognito(users={POOL: {"alice": "CONFIRMED", "bob": "CONFIRMED"}}, groups={"staff": ["alice", "bob"]})
    aws = FakeAws(sfn=finishing(RUN, {"reset": 2}), cognito=cognito)

    done = invoke(aws, "bulk", "--group", "staff", "--reason", "policy_rotation")

    assert done.exit_code == 0, done.output
    key = f"{MANIFEST_PREFIX}{RUN}.jsonl"
    assert aws.s3.objects[BUCKET, key] == b'{"username": "alice"}\n{"username": "bob"}\n'
    assert aws.sfn.started[0].input[MANIFEST_KEY] == key
    assert f"selection.jsonl: 2 users listed from pool {POOL} (1 Cognito calls)" in done.stdout


def test_a_group_with_no_members_is_an_empty_selection() -> None:
    aws = FakeAws(cognito=FakeCognito(users={POOL: {}}, groups={"staff": []}))

    done = invoke(aws, "bulk", "--group", "staff")

    assert done.exit_code == 2
    assert "selection.jsonl: names no user: an empty selection starts no run" in done.stderr
    assert aws.sfn.started == []


def test_an_aws_failure_is_exit_3_in_one_line(manifest: Path) -> None:
    aws = FakeAws()
    aws.s3.refusal = client_error("AccessDenied", "Access Denied", "PutObject")

    done = invoke(aws, "bulk", str(manifest))

    assert (done.exit_code, done.stderr) == (3, "cognito-reset: AccessDenied: Access Denied\n")


def test_a_terminal_shows_a_progress_bar(manifest: Path) -> None:
    aws = FakeAws(sfn=finishing(RUN, {"reset": 3}))
    screen = io.StringIO()

    done = invoke(aws, "bulk", str(manifest), stdout=Console(file=screen, force_terminal=True, width=150))

    assert done.exit_code == 0
    assert "3/3" in screen.getvalue()
    assert "0 in failed batches" in screen.getvalue()


def test_status_while_running_prints_progress_once() -> None:
    aws = FakeAws()
    aws.sfn.add("run-1", [Reading(items={"total": 100, "succeeded": 30})])

    done = invoke(aws, "status", "run-1")

    assert done.exit_code == 0
    assert done.stdout.startswith("run run-1: RUNNING, 30 of 100 users done, 0 in failed batches")


def test_status_of_an_ended_run_is_its_summary_and_completion() -> None:
    aws = FakeAws(cognito=FakeCognito(users={POOL: {"alice": "CONFIRMED", "bob": "RESET_REQUIRED"}}))
    output = summary_output("run-1", {"reset": 2})
    aws.sfn.add("run-1", [Reading("SUCCEEDED", {"total": 2, "succeeded": 2}, output=output)])
    aws.s3.write_results(
        results_folder("run-1"),
        [[{"username": "alice", "userPoolId": POOL, "status": "reset"}, {"username": "bob", "status": "reset"}]],
    )

    done = invoke(aws, "--json", "status", "run-1")

    assert done.exit_code == 0
    document = json.loads(done.stdout)
    assert document["statuses"] == {"reset": 2}
    assert document["completion"] == {"reset": 2, "newPassword": 1, "waiting": 1, "other": {}}
    human = invoke(aws, "status", "run-1").stdout
    assert "of 2 users reset: 1 have chosen a new password, 1 are still waiting" in human
    assert 'chooses "Forgot password" at sign-in' in human


def test_status_of_a_run_that_ended_unfinished_reads_its_summary_object_and_names_no_user() -> None:
    aws = FakeAws(cognito=FakeCognito(users={POOL: {"zq9-alice": "RESET_REQUIRED"}}))
    output = summary_output("run-1", {"reset": 1}, duplicateRows=1, unfinished={"TransientResetError": 2})
    unfinished = [
        {"line": line, "identifier": {"email": f"zq9-{line}@mail.example"}, "error": "TransientResetError"}
        for line in (4, 5)
    ]
    aws.s3.write_summary(summary_object(output, unfinishedRows=unfinished))
    aws.s3.write_results(results_folder("run-1"), [[{"username": "zq9-alice", "userPoolId": POOL, "status": "reset"}]])
    failed = Reading(
        "FAILED", {"total": 4, "succeeded": 2, "failed": 2}, error="RunUnfinished", cause=output["summary"]
    )
    aws.sfn.add("run-1", [failed])

    shown, as_json = invoke(aws, "status", "run-1"), invoke(aws, "--json", "status", "run-1")

    assert (shown.exit_code, as_json.exit_code) == (1, 1)
    assert shown.stdout.splitlines()[:5] == [
        "run run-1: FAILED (RunUnfinished)",
        "  4 rows, 1 users: reset 1",
        "  1 duplicate rows (a user another row named: counted once, never reset twice)",
        f"  2 rows unfinished (their batch failed: TransientResetError 2): listed in {output['summary']}; start a new "
        "run with them",
        f"  results: {output['results']}",
    ]
    assert "of 1 users reset: 0 have chosen a new password, 1 are still waiting" in shown.stdout
    document = json.loads(as_json.stdout)
    assert {name: document[name] for name in output} == output
    assert (document["status"], document["error"]) == ("FAILED", "RunUnfinished")
    assert document["completion"] == {"reset": 1, "newPassword": 0, "waiting": 1, "other": {}}
    assert "zq9" not in shown.stdout + as_json.stdout  # the users are in the summary object only


def test_redrive_refuses_a_run_that_ended_unfinished() -> None:
    aws = FakeAws()
    output = summary_output("run-1", {"reset": 1}, unfinished={"States.Timeout": 1})
    aws.sfn.add(
        "run-1", [Reading("FAILED", error="RunUnfinished", cause=output["summary"])], redrive_status="REDRIVABLE"
    )

    done = invoke(aws, "redrive", "run-1")

    assert done.exit_code == 2
    assert done.stderr.startswith("cognito-reset: run run-1 ended with rows unfinished: a redrive would not run them")
    assert aws.sfn.redriven == []


def test_redrive_refuses_a_run_that_succeeded() -> None:
    aws = FakeAws()
    aws.sfn.add("run-1", [Reading("SUCCEEDED", output={})])

    done = invoke(aws, "redrive", "run-1")

    assert done.exit_code == 2
    assert done.stderr.startswith("cognito-reset: run run-1 succeeded: nothing to redrive")
    assert aws.sfn.redriven == []


def test_redrive_tries_a_failed_run_again_and_reports_like_bulk() -> None:
    aws = FakeAws(sfn=finishing("run-1", {"reset": 4}))
    aws.sfn.timeline.insert(0, Reading("PENDING_REDRIVE", {"total": 4, "succeeded": 2, "pending": 2}))
    aws.sfn.add("run-1", [Reading("FAILED", {"total": 4, "succeeded": 2, "failed": 2})])

    done = invoke(aws, "redrive", "run-1")

    assert done.exit_code == 0, done.output
    assert aws.sfn.redriven == ["run-1"]
    assert done.stdout.splitlines()[:3] == [
        "run run-1 redriven: its unfinished users are tried again",
        "run run-1: SUCCEEDED",
        "  4 rows, 4 users: reset 4",
    ]


def test_preview_prints_what_the_trigger_renders_and_writes_the_html(tmp_path: Path) -> None:
    html = tmp_path / "reset.html"

    done = invoke(
        FakeAws(), "preview", "--reason", "security_incident", "--locale", "de", "--brand", "acme", "--html", str(html)
    )

    assert done.exit_code == 0, done.output
    assert "Subject: Sicherheitshinweis: Ihr Passwort bei ACME Industries wurde zurückgesetzt" in done.stdout
    assert "Ihr Bestätigungscode: 483920" in done.stdout
    assert "SMS (113 characters): ACME Industries Sicherheitshinweis" in done.stdout
    assert html.read_text().startswith("<!DOCTYPE html>")


GLOBEX_SECURITY_SMS = "Globex: we reset your password after a security incident. Code 483920, valid 1 hour."


def test_preview_renders_the_deployments_message_pack() -> None:
    options = ("preview", "--reason", "security_incident", "--locale", "en", "--brand", "globex")
    built_in = invoke(FakeAws(), *options)
    with_pack = invoke(FakeAws(), *options, "--message-pack", str(EXAMPLE_PACK))

    assert with_pack.exit_code == 0, with_pack.output
    assert f"messages: built-in, with the message pack {EXAMPLE_PACK} over them" in with_pack.stdout
    assert GLOBEX_SECURITY_SMS in with_pack.stdout
    # Without the pack there is no Globex brand: the default one stands in.
    assert built_in.stdout.startswith("messages: built-in\n")
    assert GLOBEX_SECURITY_SMS not in built_in.stdout


def test_preview_finds_the_message_pack_the_cdk_app_deploys(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_PACK, tmp_path / "messages")
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": {"messagePack": "messages"}}))

    done = invoke(
        FakeAws(), "--json", "preview", "--reason", "security_incident", "--brand", "globex", app_directory=tmp_path
    )

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["sms"] == GLOBEX_SECURITY_SMS


def test_preview_applies_the_deployments_default_language_and_brand(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_PACK, tmp_path / "messages")
    context = {"messagePack": "messages", "defaultLocale": "de", "defaultBrand": "globex"}
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context}))

    done = invoke(FakeAws(), "--json", "preview", "--reason", "security_incident", app_directory=tmp_path)

    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert (shown["locale"], shown["brand"]) == ("de", "globex")
    assert shown["sms"].startswith("Globex:")


def test_preview_says_when_the_refused_pack_comes_from_cdk_json(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"messagePack": "nowhere"}}))

    done = invoke(FakeAws(), "preview", app_directory=tmp_path)

    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        f"cognito-reset: the message pack ./cdk.json names ({tmp_path / 'nowhere'}) is refused:",
        f"cognito-reset: messagePack: {tmp_path / 'nowhere'} is not a directory",
    ]


def test_preview_refuses_a_message_pack_synth_would_refuse(tmp_path: Path) -> None:
    sms = tmp_path / "pack" / "de" / "forgot_password" / "security_incident" / "sms.txt"
    sms.parent.mkdir(parents=True)
    sms.write_text("Ihr Passwort wurde zurückgesetzt.", encoding="utf-8")

    done = invoke(FakeAws(), "preview", "--message-pack", str(tmp_path / "pack"))

    assert done.exit_code == 2
    assert "de/forgot_password/security_incident/sms.txt: does not contain the code" in done.stderr


def test_preview_refuses_metadata_the_run_would_refuse() -> None:
    done = invoke(FakeAws(), "preview", "--reason", "Not A Reason")

    assert done.exit_code == 2
    assert done.stderr.startswith("cognito-reset: options: clientMetadata.reason:")
