"""What an operator needs once a run has started: the rows it did not reset (`status RUN --failed`, as a table, JSON or
a CSV file for the ticket), a new run of exactly those (`bulk --rerun RUN`), a stop (`stop RUN`), the shared options
anywhere on the line, and exit 2 for a request the function refused as invalid."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cognito_reset.arguments import shared_options_first
from cognito_reset.cli import Runtime, app
from cognito_reset.runs import LINES_SUFFIX, ORIGINAL_INFIX
from contracts import stack as outputs
from contracts.bulk import (
    DEFAULTS,
    HALT_CAUSE,
    MANIFEST_KEY,
    MANIFEST_PREFIX,
    RERUN_OF,
    SOURCE,
    SOURCE_EVIDENCE,
    SOURCE_LINES,
    STOP_SETTLES_SECONDS,
    STOPPED_BY_OPERATOR,
)
from contracts.events import BULK_RUN_STOPPED, RESET_REQUESTED
from contracts.results import RUN_STOPPED_ERROR
from reset_password.ledger import halt_key
from tests.unit.cognito_reset.fakes import (
    BUCKET,
    BUILT_IN_CATALOG,
    MACHINE_ARN,
    OPERATOR_ARN,
    RUN_MEMORY_TABLE,
    STARTED,
    Clock,
    FakeAws,
    FakeCognito,
    FakeEvents,
    FakeStepFunctions,
    Reading,
    pool_settings,
    summary_object,
    summary_output,
)

RUN, RERUN = "breach-1", "bulk-20261130T1201Z-3fa9"
# The operator's file: Excel's export, a blank row after the header row, so the manifest's rows sit one line lower.
ORIGINAL = b"\xef\xbb\xbfUsername;Email\r\n;;\r\nann;\r\n;ben@example.com\r\n=cmd;\r\n"
MANIFEST = [{"username": "ann"}, {"email": "ben@example.com"}, {"username": "=cmd"}]


def invoke(aws: FakeAws, *args: str, clock: Clock | None = None) -> Result:
    clock = clock or Clock()
    runtime = Runtime(
        aws=aws,
        sleep=clock.sleep,
        clock=clock.monotonic,
        now=lambda: STARTED + timedelta(minutes=1),
        now_seconds=clock.monotonic,
        random_hex=lambda: "3fa9",
        terminal=False,
    )
    return CliRunner().invoke(app, list(args), obj=runtime, env={"COLUMNS": "80"})


def ended_run(aws: FakeAws, **rows: list[dict[str, Any]]) -> None:
    """RUN, ended with its summary object listing `rows`; its manifest (normalised from ORIGINAL) and line map in the
    bucket, as `bulk` left them."""
    statuses = {"reset": 3 - sum(len(listed) for listed in rows.values())} | {"failed": len(rows.get("failedRows", []))}
    output = summary_output(RUN, statuses, reasons={"USER_NOT_FOUND": 1})
    aws.s3.write_summary(summary_object(output, **rows))
    key, lines = f"{MANIFEST_PREFIX}{RUN}.jsonl", f"{MANIFEST_PREFIX}{RUN}{LINES_SUFFIX}"
    aws.s3.objects[BUCKET, key] = "".join(json.dumps(row) + "\n" for row in MANIFEST).encode()
    aws.s3.objects[BUCKET, lines] = json.dumps([[3, 3]]).encode()  # rows 0-2 are the file's lines 3-5
    execution = aws.sfn.add(RUN, [Reading("SUCCEEDED", {"total": 3, "succeeded": 3}, output=output)])
    execution.input = {
        MANIFEST_KEY: key,
        DEFAULTS: {"clientMetadata": {"reason": "security_incident"}},
        SOURCE: {"file": "users.csv", SOURCE_EVIDENCE: f"{MANIFEST_PREFIX}{RUN}.original.csv", SOURCE_LINES: lines},
    }


FAILED_ROWS = {
    "failedRows": [
        {"line": 2, "identifier": {"email": "ben@example.com"}, "reason": "USER_NOT_FOUND"},
        {"line": 3, "identifier": {"username": "=cmd"}, "reason": "USER_DISABLED", "detail": "disabled"},
    ]
}


def test_bulk_uploads_the_normalised_manifest_and_keeps_the_operators_file_beside_it(tmp_path: Path) -> None:
    exported = tmp_path / "users.csv"
    exported.write_bytes(ORIGINAL)
    aws = FakeAws(sfn=FakeStepFunctions([Reading("SUCCEEDED", {"total": 3}, output=summary_output(RERUN, {}))]))

    done = invoke(aws, "bulk", str(exported), "--no-wait")

    assert done.exit_code == 0, done.output
    (started,) = aws.sfn.started
    assert started.input[MANIFEST_KEY] == f"{MANIFEST_PREFIX}{RERUN}.jsonl"
    manifest = aws.s3.objects[BUCKET, started.input[MANIFEST_KEY]].decode().splitlines()
    assert [json.loads(line) for line in manifest] == MANIFEST
    source = started.input[SOURCE]
    assert source[SOURCE_EVIDENCE] == f"{MANIFEST_PREFIX}{RERUN}{ORIGINAL_INFIX}.csv"
    assert aws.s3.objects[BUCKET, source[SOURCE_EVIDENCE]] == ORIGINAL  # the operator's file, byte for byte
    assert json.loads(aws.s3.objects[BUCKET, source[SOURCE_LINES]]) == [[3, 3]]


def test_status_failed_names_every_row_at_its_line_in_the_operators_file() -> None:
    aws = FakeAws()
    ended_run(aws, **FAILED_ROWS)

    shown = invoke(aws, "status", RUN, "--failed")

    assert shown.exit_code == 1, shown.output
    assert shown.stdout.splitlines() == [
        f"run {RUN}: 2 rows to act on (failed 2)",
        "  line  outcome      reason                    user",
        "     4  failed       USER_NOT_FOUND            email=ben@example.com",
        "     5  failed       USER_DISABLED             username==cmd",
        f"  rerun exactly these: cognito-reset bulk --rerun {RUN}",
    ]


def test_status_failed_json_after_the_command_and_a_csv_file_without_formulas(tmp_path: Path) -> None:
    aws = FakeAws()
    ended_run(aws, **FAILED_ROWS)
    ticket = tmp_path / "failed.csv"

    shown = invoke(aws, "status", RUN, "--failed", "--csv", str(ticket), "--json")

    assert shown.exit_code == 1, shown.output
    document = json.loads(shown.stdout)
    assert [(row["line"], row.get("email"), row.get("username"), row["reason"]) for row in document["rows"]] == [
        (4, "ben@example.com", None, "USER_NOT_FOUND"),
        (5, None, "=cmd", "USER_DISABLED"),
    ]
    assert document["csv"] == str(ticket)
    table = list(csv.reader(io.StringIO(ticket.read_text(encoding="utf-8"), newline="")))
    assert table[0] == ["line", "username", "email", "sub", "outcome", "reason", "detail"]
    assert table[1][:3] == ["4", "", "ben@example.com"]
    assert table[2][1] == "'=cmd"  # a spreadsheet would run it as a formula


def test_a_clean_run_has_nothing_to_act_on_and_exits_0() -> None:
    aws = FakeAws()
    ended_run(aws)

    shown = invoke(aws, "status", RUN, "--failed")

    assert (shown.exit_code, shown.stdout.splitlines()) == (0, [f"run {RUN}: 0 rows to act on (none)"])


def test_rerun_starts_exactly_the_rows_with_the_runs_defaults_and_their_lines() -> None:
    aws = FakeAws(sfn=FakeStepFunctions([Reading("SUCCEEDED", {"total": 2}, output=summary_output(RERUN, {}))]))
    ended_run(aws, **FAILED_ROWS)

    done = invoke(aws, "bulk", "--rerun", RUN, "--no-wait")

    assert done.exit_code == 0, done.output
    (started,) = aws.sfn.started
    assert started.name == RERUN
    key = started.input[MANIFEST_KEY]
    assert [json.loads(line) for line in aws.s3.objects[BUCKET, key].decode().splitlines()] == MANIFEST[1:]
    assert started.input[DEFAULTS] == {"clientMetadata": {"reason": "security_incident"}}
    source = started.input[SOURCE]
    assert (source[RERUN_OF], source[SOURCE_EVIDENCE]) == (RUN, f"{MANIFEST_PREFIX}{RUN}.original.csv")
    assert json.loads(aws.s3.objects[BUCKET, source[SOURCE_LINES]]) == [[4, 2]]  # the first file's lines 4 and 5
    assert f"rerun of {RUN}: 2 rows (failed 2), its defaults" in done.stdout


def test_rerun_keeps_the_runs_defaults_and_refuses_others() -> None:
    aws = FakeAws()
    ended_run(aws, **FAILED_ROWS)

    refused = invoke(aws, "bulk", "--rerun", RUN, "--reason", "policy_rotation")

    assert refused.exit_code == 2
    assert "--rerun: a rerun keeps the run's own defaults" in refused.stderr
    assert aws.sfn.started == []


def test_rerun_of_a_clean_run_starts_nothing() -> None:
    aws = FakeAws()
    ended_run(aws)

    refused = invoke(aws, "bulk", "--rerun", RUN)

    assert refused.exit_code == 2
    assert refused.stderr.strip() == f"cognito-reset: --rerun: run {RUN} left no row to act on: nothing to rerun"
    assert aws.sfn.started == []


def running(aws: FakeAws) -> None:
    """RUN, running, its manifest in the bucket and no batch started yet."""
    key = f"{MANIFEST_PREFIX}{RUN}.jsonl"
    aws.s3.objects[BUCKET, key] = "".join(json.dumps(row) + "\n" for row in MANIFEST).encode()
    execution = aws.sfn.add(RUN, [Reading("RUNNING")])
    execution.input = {MANIFEST_KEY: key, DEFAULTS: {}}


def test_stop_marks_the_run_stops_it_waits_for_the_users_in_progress_and_lists_what_was_not_done() -> None:
    aws, clock = FakeAws(), Clock()
    running(aws)

    stopped = invoke(aws, "stop", RUN, clock=clock)

    assert stopped.exit_code == 0, stopped.output
    mark = aws.dynamodb.items[halt_key(RUN)]
    assert mark[HALT_CAUSE] == {"S": STOPPED_BY_OPERATOR}
    assert aws.dynamodb.tables[-1] == RUN_MEMORY_TABLE
    assert aws.sfn.stopped == [(RUN, RUN_STOPPED_ERROR)]
    assert sum(clock.sleeps) >= STOP_SETTLES_SECONDS  # waited for the batches' users in progress
    lines = stopped.stdout.splitlines()
    assert lines[0].startswith(f"run {RUN} stopped: no batch starts another user")
    assert lines[1:4] == [f"run {RUN}: stopped", "  done: nobody", "  not done: 3 rows (unfinished 3)"]


def test_stop_of_an_ended_run_is_refused_and_marks_nothing() -> None:
    aws = FakeAws()
    ended_run(aws)

    refused = invoke(aws, "stop", RUN)

    assert refused.exit_code == 2
    assert f"run {RUN} is not running (SUCCEEDED): nothing to stop" in refused.stderr
    assert (aws.dynamodb.items, aws.sfn.stopped) == ({}, [])


def test_redrive_lifts_the_stop() -> None:
    aws = FakeAws()
    running(aws)
    invoke(aws, "stop", RUN)
    aws.sfn.executions[aws.sfn.add(RUN, [Reading("ABORTED")]).arn].input = {MANIFEST_KEY: "m.jsonl"}

    redriven = invoke(aws, "redrive", RUN, "--no-wait")

    assert redriven.exit_code == 0, redriven.output
    assert aws.sfn.redriven == [RUN]
    assert halt_key(RUN) not in aws.dynamodb.items


def test_a_request_the_function_refuses_as_invalid_exits_2() -> None:
    refused = {"status": "failed", "reason": "INVALID_REQUEST", "detail": "clientMetadata.reason: not allowed"}
    aws = FakeAws(sfn=FakeStepFunctions([Reading("SUCCEEDED", output=refused)]))
    aws.stack_outputs[outputs.SINGLE_RESET_STATE_MACHINE_ARN] = MACHINE_ARN

    done = invoke(aws, "request", "--username", "ann", "--wait")

    assert done.exit_code == 2, done.output
    assert "reason=INVALID_REQUEST" in done.stdout


def test_a_request_the_bus_denies_this_principal_names_the_setting_and_exits_2() -> None:
    aws = FakeAws(events=FakeEvents(denied=frozenset({RESET_REQUESTED})))

    refused = invoke(aws, "request", "--username", "ann")

    assert refused.exit_code == 2, refused.output  # the operator's to fix: not a fault a retry cures
    assert "AccessDeniedException" in refused.stderr
    assert "resetRequesters" in refused.stderr
    assert aws.events.entries == []


def test_a_run_announcement_the_bus_denies_is_a_warning_that_names_the_setting() -> None:
    aws = FakeAws(events=FakeEvents(denied=frozenset({BULK_RUN_STOPPED})))
    aws.sfn.add(RUN, [Reading("RUNNING")])

    stopped = invoke(aws, "stop", RUN, "--no-wait")

    assert stopped.exit_code == 0, stopped.output
    assert "'Bulk Run Stopped' was not published: AccessDeniedException" in stopped.stderr
    assert "resetRequesters" in stopped.stderr
    assert aws.sfn.stopped == [(RUN, RUN_STOPPED_ERROR)]


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        (["status", "r1", "--json"], ["--json", "status", "r1"]),
        (["status", "r1", "--stack-name", "S", "--completion"], ["--stack-name", "S", "status", "r1", "--completion"]),
        (["bulk", "f.csv", "--region=eu-west-1"], ["--region=eu-west-1", "bulk", "f.csv"]),
        (["bulk", "--", "--json"], ["bulk", "--", "--json"]),
        (["--json", "runs"], ["--json", "runs"]),
    ],
)
def test_the_shared_options_are_read_anywhere(typed: list[str], parsed: list[str]) -> None:
    assert shared_options_first(typed) == parsed


@pytest.mark.parametrize("command", [[], ["bulk"], ["status"], ["stop"], ["request"], ["doctor"], ["redrive"]])
def test_help_is_readable_at_80_columns(command: list[str]) -> None:
    shown = invoke(FakeAws(), *command, "--help")

    assert shown.exit_code == 0, shown.output
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    assert "╭" not in shown.stdout  # plain help, not a table squeezed into the width
    listed = shown.stdout.partition("Commands:")[2].splitlines()
    assert not [line for line in listed if line.endswith("...")]  # every command's summary whole, none cut off


def test_an_option_after_the_command_is_never_suggested_as_another() -> None:
    aws = FakeAws()
    ended_run(aws)

    shown = invoke(aws, "status", RUN, "--json", "--no-completion")

    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["runId"] == RUN


# The breach rails: the hold, the excluded groups, and a large run's size typed back.


def users_file(tmp_path: Path, users: int, header: str = "username") -> Path:
    path = tmp_path / "users.csv"
    path.write_text(header + "\n" + "".join(f"user{n:03d}\n" for n in range(users)))
    return path


def interactive(aws: FakeAws, *args: str, answer: str | None) -> Result:
    """The CLI at a terminal (answer: what the operator types) or in a script (answer None: nobody can type)."""
    clock = Clock()
    runtime = Runtime(
        aws=aws,
        sleep=clock.sleep,
        clock=clock.monotonic,
        now=lambda: STARTED + timedelta(minutes=1),
        random_hex=lambda: "3fa9",
        terminal=False,
        interactive=answer is not None,
        ask=lambda _prompt: answer or "",
    )
    return CliRunner().invoke(app, list(args), obj=runtime)


def test_the_rails_go_into_the_runs_defaults(tmp_path: Path) -> None:
    aws = FakeAws(sfn=FakeStepFunctions([Reading("SUCCEEDED", {"total": 3}, output=summary_output(RERUN, {}))]))

    done = invoke(
        aws, "bulk", str(users_file(tmp_path, 3)), "--hold-modified-since", "2026-11-30T12:00+01:00",
        "--exclude-group", "break-glass", "--exclude-group", "admins", "--exclude-group", "break-glass", "--no-wait",
    )  # fmt: skip

    assert done.exit_code == 0, done.output
    (started,) = aws.sfn.started
    assert started.input[DEFAULTS] == {
        "holdModifiedSince": "2026-11-30T12:00:00+01:00",
        "excludeGroups": ["break-glass", "admins"],
    }


@pytest.mark.parametrize(
    ("since", "said"),
    [
        ("2026-11-30T11:00", "--hold-modified-since: give the time's offset (Z for UTC, or such as +01:00)"),
        ("last night", "--hold-modified-since: not an ISO 8601 time"),
        ("2026-12-01T00:00Z", "--hold-modified-since: in the future (2026-12-01 00:00 UTC): it would hold nobody"),
    ],
)
def test_a_hold_time_that_is_not_one_is_refused_before_anything_starts(tmp_path: Path, since: str, said: str) -> None:
    aws = FakeAws()

    refused = invoke(aws, "bulk", str(users_file(tmp_path, 3)), "--hold-modified-since", since)

    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"cognito-reset: {said}")
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])


def test_a_manifest_column_can_never_set_a_rail(tmp_path: Path) -> None:
    aws = FakeAws()
    path = tmp_path / "users.csv"
    path.write_text("username,holdModifiedSince\nann,2026-12-01T00:00Z\n")

    refused = invoke(aws, "bulk", str(path))

    assert refused.exit_code == 2
    assert "holdModifiedSince: set for the whole run" in refused.stderr
    assert aws.sfn.started == []


def test_a_large_run_in_a_script_needs_yes_and_starts_nothing_without_it(tmp_path: Path) -> None:
    aws = FakeAws()

    refused = interactive(aws, "bulk", str(users_file(tmp_path, 101)), "--over-several-days", answer=None)

    assert refused.exit_code == 2
    assert "a run of 101 users starts once its size is typed back" in refused.stderr
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])
    started = interactive(
        aws, "bulk", str(users_file(tmp_path, 101)), "--over-several-days", "--yes", "--no-wait", answer=None
    )
    assert started.exit_code == 0, started.output
    assert len(aws.sfn.started) == 1


@pytest.mark.parametrize(("typed", "code", "runs"), [("101", 0, 1), ("1,01", 0, 1), ("100", 2, 0), ("y", 2, 0)])
def test_a_large_run_at_a_terminal_starts_once_its_size_is_typed_back(
    tmp_path: Path, typed: str, code: int, runs: int
) -> None:
    aws = FakeAws()

    done = interactive(aws, "bulk", str(users_file(tmp_path, 101)), "--over-several-days", "--no-wait", answer=typed)

    assert done.exit_code == code, done.output
    assert len(aws.sfn.started) == runs


def test_a_dry_run_or_a_small_run_is_never_asked(tmp_path: Path) -> None:
    aws = FakeAws()

    dry = interactive(aws, "bulk", str(users_file(tmp_path, 101)), "--dry-run", "--no-wait", answer=None)
    small = interactive(
        aws,
        "bulk",
        str(users_file(tmp_path, 100)),
        "--over-several-days",
        "--run-id",
        "small",
        "--no-wait",
        answer=None,
    )

    assert (dry.exit_code, small.exit_code) == (0, 0)
    assert len(aws.sfn.started) == 2


def test_the_summary_names_the_held_users_and_a_rerun_leaves_them_out() -> None:
    aws = FakeAws(sfn=FakeStepFunctions([Reading("SUCCEEDED", {"total": 1}, output=summary_output(RERUN, {}))]))
    held = {"line": 1, "identifier": {"username": "ann"}, "reason": "HELD_FOR_REVIEW"}
    ended_run(aws, failedRows=[held, FAILED_ROWS["failedRows"][0]])
    output = summary_output(RUN, {"reset": 1, "failed": 2}, reasons={"HELD_FOR_REVIEW": 1, "USER_NOT_FOUND": 1})
    (execution,) = (execution for execution in aws.sfn.executions.values() if execution.name == RUN)
    execution.readings[0].output = output

    shown = invoke(aws, "status", RUN, "--no-completion")
    rerun = invoke(aws, "bulk", "--rerun", RUN, "--no-wait")

    assert (
        "  1 held for review (changed after --hold-modified-since; nothing was sent): verify their e-mail and phone, "
        f"then reset each by hand; `cognito-reset status {RUN} --failed` lists them"
    ) in shown.stdout.splitlines()
    assert rerun.exit_code == 0, rerun.output
    assert "1 rows held for review are left out" in rerun.stderr
    (started,) = aws.sfn.started
    assert aws.s3.objects[BUCKET, started.input[MANIFEST_KEY]] == b'{"email": "ben@example.com"}\n'


# Who and when.


def test_runs_lists_the_newest_runs_with_who_when_status_and_counts(tmp_path: Path) -> None:
    aws = FakeAws(sfn=FakeStepFunctions([Reading("SUCCEEDED", {"total": 3}, output=summary_output(RERUN, {}))]))
    ended_run(aws, **FAILED_ROWS)
    started = invoke(aws, "bulk", str(users_file(tmp_path, 3)), "--no-wait")
    assert started.exit_code == 0, started.output

    listed = invoke(aws, "runs", "--json")

    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)["runs"]
    assert [(run["runId"], run["status"], run["startedBy"]) for run in runs] == [
        (RERUN, "SUCCEEDED", OPERATOR_ARN),  # started by this CLI: who is recorded
        (RUN, "SUCCEEDED", None),  # started another way: nobody recorded
    ]
    assert runs[1]["statuses"] == {"reset": 1, "failed": 2}
    shown = invoke(aws, "runs")
    assert shown.stdout.splitlines()[2].strip() == f"by {OPERATOR_ARN}"


def test_stop_says_who_stopped_the_run_on_the_bus(tmp_path: Path) -> None:
    aws = FakeAws()
    running(aws)

    invoke(aws, "stop", RUN, "--no-wait")

    (stopped,) = aws.events.entries
    assert stopped["DetailType"] == "Bulk Run Stopped"
    detail = json.loads(stopped["Detail"])
    assert (detail["runId"], detail["by"]["arn"], detail["done"]) == (RUN, OPERATOR_ARN, 0)


# Values the deployment knows.


def test_a_reason_the_deployment_does_not_know_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    aws = FakeAws()

    refused = invoke(aws, "bulk", str(users_file(tmp_path, 3)), "--reason", "securty_incident")

    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        "cognito-reset: --reason: 'securty_incident' is not a reason the trigger knows (did you mean "
        "'security_incident'?): users would get the generic wording (admin_request). Known reasons: account_recovery, "
        "admin_request, policy_rotation, security_incident",
        "cognito-reset: nothing was uploaded or started",
    ]
    assert (aws.s3.objects, aws.sfn.started) == ({}, [])


def test_the_deployments_own_catalog_decides_not_the_checkout(tmp_path: Path) -> None:
    """A deployment whose message pack adds a reason and a brand: they are known, though the built-in messages lack
    them."""
    aws = FakeAws()
    deployed = BUILT_IN_CATALOG.to_output().replace('"account_recovery"', '"account_recovery","vendor_breach"')
    aws.stack_outputs[outputs.MESSAGE_CATALOG] = deployed.replace('"acme"', '"acme","globex"')

    done = invoke(aws, "bulk", str(users_file(tmp_path, 3)), "--reason", "vendor_breach", "--brand", "globex")

    assert done.exit_code == 0, done.output
    assert aws.sfn.started[0].input[DEFAULTS]["clientMetadata"] == {"reason": "vendor_breach", "brand": "globex"}


def test_rows_with_an_unknown_reason_or_brand_are_refused_by_line_without_their_values(tmp_path: Path) -> None:
    aws = FakeAws()
    path = tmp_path / "users.csv"
    path.write_text("username,reason,brand,locale\nann,security_incident,acme,de-AT\nben,hacked,,\ncy,,initech,xx\n")

    refused = invoke(aws, "bulk", str(path))

    assert refused.exit_code == 2
    lines = refused.stderr.splitlines()
    assert lines[0].startswith("warning: users.csv:4: locale: the deployed trigger has no messages in that language")
    assert lines[1:3] == [
        "users.csv:3: reason: not one the deployed trigger knows (account_recovery, admin_request, policy_rotation, "
        "security_incident)",
        "users.csv:4: brand: not one the deployed trigger knows (acme, default)",
    ]
    for value in ("hacked", "initech", "xx"):
        assert value not in refused.stderr
    assert aws.sfn.started == []


def test_an_unknown_locale_is_a_warning_naming_what_users_get(tmp_path: Path) -> None:
    aws = FakeAws()

    done = invoke(aws, "bulk", str(users_file(tmp_path, 3)), "--locale", "pt-PT", "--no-wait")

    assert done.exit_code == 0, done.output
    assert done.stderr.startswith("warning: --locale: no messages for 'pt-PT' or its language (did you mean 'pt-BR'?)")
    assert "else the default locale, en" in done.stderr


def test_a_stack_without_a_catalog_is_not_checked_and_says_so(tmp_path: Path) -> None:
    aws = FakeAws()
    del aws.stack_outputs[outputs.MESSAGE_CATALOG]

    done = invoke(aws, "bulk", str(users_file(tmp_path, 3)), "--reason", "anything_at_all", "--no-wait")

    assert done.exit_code == 0, done.output
    assert "warning: the stack publishes no MessageCatalog" in done.stderr


def test_a_single_request_is_checked_too() -> None:
    aws = FakeAws()

    refused = invoke(aws, "request", "--username", "ann", "--brand", "initech")

    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == "cognito-reset: nothing was sent"


def test_duplicates_follow_the_pools_own_case_rule(tmp_path: Path) -> None:
    """In a pool created through the API without a case setting (case-sensitive, no e-mail alias) `alice` and `ALICE`
    are two users, as Cognito treats them: no warning, two users sized."""
    path = tmp_path / "users.csv"
    path.write_text("username\nalice\nALICE\n")
    settings = pool_settings() | {"UsernameConfiguration": {"CaseSensitive": True}, "AliasAttributes": []}
    aws = FakeAws(cognito=FakeCognito(settings=settings))

    done = invoke(aws, "bulk", str(path), "--no-wait")

    assert done.exit_code == 0, done.output
    assert "same user" not in done.stderr
    assert "sized: 2 users" in done.stdout
