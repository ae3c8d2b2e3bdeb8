"""A bulk run through the workflow's API: started under its run id with its manifest as given, watched until it ends,
summed up from its output, and redriven only when Step Functions still can."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from cognito_reset.runs import BulkWorkflow, RunSummary, execution_arn, new_run_id
from cognito_reset.stack import OperatorError
from contracts.bulk import (
    DEFAULTS,
    MANIFEST_KEY,
    MANIFEST_PREFIX,
    REDRIVE_WINDOW_DAYS,
    RESULTS_PREFIX,
    RUN_HALT_SECONDS,
    RUN_ID,
    RUN_UNFINISHED,
)
from contracts.results import DELIVERY_LIMIT_REACHED_ERROR
from tests.unit.cognito_reset.fakes import (
    BUCKET,
    MACHINE_ARN,
    STARTED,
    Clock,
    FakeS3,
    FakeStepFunctions,
    Reading,
    results_folder,
    summary_object,
    summary_output,
)


def workflow(sfn: FakeStepFunctions | None = None, s3: FakeS3 | None = None) -> BulkWorkflow:
    return BulkWorkflow(sfn or FakeStepFunctions(), s3 or FakeS3(), MACHINE_ARN, BUCKET)


def test_a_new_run_id_says_when_it_started_and_is_a_valid_execution_name() -> None:
    run_id = new_run_id(STARTED, "3fa9")

    assert run_id == "bulk-20261130T1200Z-3fa9"
    assert RUN_ID.fullmatch(run_id)


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_the_runs_execution_arn_is_derived_from_the_state_machines(partition: str) -> None:
    machine = f"arn:{partition}:states:eu-west-1:123456789012:stateMachine:BulkReset"

    assert execution_arn(machine, "run-1") == f"arn:{partition}:states:eu-west-1:123456789012:execution:BulkReset:run-1"
    with pytest.raises(OperatorError):
        execution_arn("arn:aws:lambda:eu-west-1:123456789012:function:f", "run-1")


def test_a_run_uploads_the_manifest_as_it_is_and_starts_under_its_run_id() -> None:
    sfn, s3 = FakeStepFunctions(), FakeS3()
    manifest = b"username,reason\r\nalice,security_incident\r\n"

    key = workflow(sfn, s3).start("run-1", manifest, ".csv", {"clientMetadata": {"locale": "de"}})

    assert key == f"{MANIFEST_PREFIX}run-1.csv"
    assert s3.objects == {(BUCKET, key): manifest}
    (started,) = sfn.started
    assert started.name == "run-1"
    assert started.input == {MANIFEST_KEY: key, DEFAULTS: {"clientMetadata": {"locale": "de"}}}


def test_a_run_id_that_is_taken_is_refused_before_its_manifest_is_touched() -> None:
    sfn, s3 = FakeStepFunctions(), FakeS3()
    sfn.add("run-1", [Reading("SUCCEEDED", output={})])
    s3.objects[BUCKET, f"{MANIFEST_PREFIX}run-1.csv"] = b"the first run's evidence"

    with pytest.raises(OperatorError, match=r"^run id run-1 is taken: .* a new --run-id starts a new run on purpose"):
        workflow(sfn, s3).start("run-1", b"username\nbob\n", ".csv", {})

    assert s3.objects == {(BUCKET, f"{MANIFEST_PREFIX}run-1.csv"): b"the first run's evidence"}
    assert sfn.started == []


def test_progress_reads_the_map_runs_item_counts() -> None:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [Reading(items={"total": 100, "succeeded": 40, "failed": 5, "timedOut": 1, "running": 20})])

    progress = workflow(sfn).progress("run-1")

    assert (progress.status, progress.total, progress.done, progress.failed, progress.ended) == (
        "RUNNING",
        100,
        46,
        6,
        False,
    )
    assert progress.line(STARTED + timedelta(seconds=23)) == (
        "run run-1: RUNNING, 46 of 100 users done, 6 in failed batches, 2.0 users/s, about 27 s left"
    )


def test_progress_before_the_map_run_has_started_is_zero() -> None:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [Reading()])

    progress = workflow(sfn).progress("run-1")

    assert (progress.total, progress.done, progress.map_run_arn) == (0, 0, None)


def test_an_unknown_run_is_the_operators_to_fix() -> None:
    with pytest.raises(OperatorError, match=r"^no run nope in the bulk workflow$"):
        workflow().progress("nope")
    with pytest.raises(OperatorError, match=r"^a run id is 1-80 letters"):
        workflow().progress("not a run id")


def test_watching_polls_every_second_until_the_run_ends() -> None:
    sfn, clock = FakeStepFunctions(), Clock()
    sfn.add(
        "run-1",
        [
            Reading(),
            Reading(items={"total": 4, "succeeded": 2}),
            Reading(items={"total": 4, "succeeded": 4}),
            Reading("SUCCEEDED", {"total": 4, "succeeded": 4}, output=summary_output("run-1", {"reset": 4})),
        ],
    )
    shown: list[int] = []

    final = workflow(sfn).watch("run-1", lambda progress: shown.append(progress.done), sleep=clock.sleep)

    assert (final.status, shown, clock.sleeps) == ("SUCCEEDED", [0, 2, 4, 4], [1.0, 1.0, 1.0])


def summary_of(reading: Reading, s3: FakeS3 | None = None) -> RunSummary:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [reading])
    run = workflow(sfn, s3)
    return run.summary(run.progress("run-1"))


def test_a_clean_run_exits_0_and_its_summary_is_the_executions_output() -> None:
    output = summary_output("run-1", {"reset": 7, "skipped": 1})
    summary = summary_of(Reading("SUCCEEDED", {"total": 8, "succeeded": 8}, output=output))

    assert summary.exit_code == 0
    document = summary.document()
    assert document["statuses"] == {"reset": 7, "skipped": 1}
    assert (document["results"], document["summary"]) == (output["results"], output["summary"])
    assert summary.lines() == [
        "run run-1: SUCCEEDED",
        "  8 rows, 8 users: reset 7, skipped 1",
        f"  results: {output['results']}",
        f"  summary: {output['summary']}",
    ]


def test_failed_or_unconfirmed_users_exit_1_and_say_where_their_rows_are() -> None:
    failed = summary_output("run-1", {"reset": 7, "failed": 2}, reasons={"USER_NOT_FOUND": 2})
    unconfirmed = summary_output("run-1", {"reset": 7, "unconfirmed": 1})

    failing = summary_of(Reading("SUCCEEDED", {"total": 9}, output=failed))
    unsure = summary_of(Reading("SUCCEEDED", {"total": 8}, output=unconfirmed))

    assert (failing.exit_code, unsure.exit_code) == (1, 1)
    assert "  failed because: USER_NOT_FOUND 2" in failing.lines()
    assert (
        "  1 unconfirmed (a fault hid whether Cognito sent their code; none was sent again): listed in "
        f"{unconfirmed['summary']}"
    ) in unsure.lines()


def test_a_user_named_by_several_rows_counts_once_and_its_other_rows_as_duplicates() -> None:
    output = summary_output("run-1", {"reset": 7, "skipped": 1}, duplicateRows=2)

    summary = summary_of(Reading("SUCCEEDED", {"total": 10}, output=output))

    assert summary.exit_code == 0  # a duplicate is skipped, never reset twice: nothing to act on
    assert summary.lines()[1:3] == [
        "  10 rows, 8 users: reset 7, skipped 1",
        "  2 duplicate rows (a user another row named: counted once, never reset twice)",
    ]
    document = summary.document()
    assert (document["rows"], document["users"], document["duplicateRows"]) == (10, 8, 2)


# A run that ended with rows unfinished: FAILED with RunUnfinished, its cause the summary object's URI.
UNFINISHED = summary_output("run-1", {"reset": 7}, unfinished={"TransientResetError": 10})
UNFINISHED_READING = Reading(
    "FAILED", {"total": 17, "succeeded": 7, "failed": 10}, error="RunUnfinished", cause=UNFINISHED["summary"]
)


def bucket_with_unfinished_summary() -> FakeS3:
    """The summary object of UNFINISHED, its rows naming users (distinctive, so that a leak cannot hide)."""
    s3 = FakeS3()
    rows = [
        {"line": n + 9, "identifier": {"email": f"zq9-{n}@mail.example"}, "error": "TransientResetError"}
        for n in range(10)
    ]
    s3.write_summary(summary_object(UNFINISHED, unfinishedRows=rows))
    return s3


def test_a_run_that_ended_unfinished_is_summed_up_from_the_summary_object_its_failure_names() -> None:
    summary = summary_of(UNFINISHED_READING, bucket_with_unfinished_summary())

    assert summary.exit_code == 1
    assert summary.counts == UNFINISHED  # the counts, not the rows it lists
    assert summary.lines() == [
        "run run-1: FAILED (RunUnfinished)",
        "  17 rows, 7 users: reset 7",
        f"  10 rows unfinished (their batch failed: TransientResetError 10): listed in {UNFINISHED['summary']}; start "
        "a new run with them",
        f"  results: {UNFINISHED['results']}",
        f"  summary: {UNFINISHED['summary']}",
    ]
    document = summary.document()
    assert (document["status"], document["error"], document["complete"], document["unfinished"]) == (
        "FAILED",
        "RunUnfinished",
        False,
        {"TransientResetError": 10},
    )


def test_the_summary_of_a_run_that_ended_unfinished_names_no_user() -> None:
    summary = summary_of(UNFINISHED_READING, bucket_with_unfinished_summary())

    assert "zq9" not in "\n".join(summary.lines())
    assert "zq9" not in json.dumps(summary.document())


def test_a_run_that_ended_unfinished_is_not_redriven_but_run_anew() -> None:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [UNFINISHED_READING], redrive_status="REDRIVABLE")

    refusal = (
        "^run run-1 ended with rows unfinished: a redrive would not run them again .* they are listed in "
        f"{re.escape(UNFINISHED['summary'])}: start a new run with them$"
    )
    with pytest.raises(OperatorError, match=refusal):
        workflow(sfn).redrive("run-1", STARTED + timedelta(days=1))
    assert sfn.redriven == []


def test_a_failed_execution_has_no_output_and_says_how_to_redrive_it() -> None:
    summary = summary_of(
        Reading("FAILED", {"total": 50, "succeeded": 20, "failed": 30}, error="States.ExceedToleratedFailureThreshold")
    )

    assert summary.exit_code == 1
    assert summary.document()["progress"]["failed"] == 30
    assert summary.lines() == [
        "run run-1: FAILED",
        "  50 of 50 users done, 30 in failed batches",
        "  error: States.ExceedToleratedFailureThreshold",
        f"  redrive it (within {REDRIVE_WINDOW_DAYS} days): cognito-reset redrive run-1",
    ]


HALTED = Reading(
    "FAILED",
    {"total": 60, "succeeded": 40, "failed": 20},
    error="States.ExceedToleratedFailureThreshold",
    batch_errors=[DELIVERY_LIMIT_REACHED_ERROR, DELIVERY_LIMIT_REACHED_ERROR],
)


def test_a_run_halted_at_the_delivery_limit_says_so_and_how_it_continues() -> None:
    summary = summary_of(HALTED)

    assert (summary.halted, summary.exit_code) == (True, 1)
    assert summary.document()["haltedAtDeliveryLimit"] is True
    lines = "\n".join(summary.lines())
    assert "stopped at the pool's delivery limit (DELIVERY_LIMIT_REACHED)" in lines
    assert "nobody was failed for it" in lines
    assert "cognito-reset doctor" in lines
    assert "cognito-reset redrive run-1" in lines


def test_a_run_whose_batches_failed_for_another_reason_is_not_called_halted() -> None:
    other = Reading("FAILED", {"total": 6, "failed": 6}, error="States.ExceedToleratedFailureThreshold")
    other.batch_errors = ["UnclassifiedResetError"]

    assert summary_of(other).halted is False
    assert "delivery limit" not in "\n".join(summary_of(other).lines())


def test_a_run_that_ended_with_rows_unfinished_at_the_limit_lists_them_for_a_new_run() -> None:
    s3 = FakeS3()
    summary = summary_output("run-1", {"reset": 45}) | {
        "unfinished": {DELIVERY_LIMIT_REACHED_ERROR: 5},
        "complete": False,
    }
    s3.write_summary(summary)
    reading = Reading(
        "FAILED", {"total": 50, "succeeded": 45, "failed": 5}, error=RUN_UNFINISHED, cause=summary["summary"]
    )

    ended = summary_of(reading, s3)

    assert ended.halted is True
    assert "start a new run with the unfinished rows it lists" in "\n".join(ended.lines())


def test_a_halted_run_is_not_redriven_inside_its_halt_but_is_after_it() -> None:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [HALTED], redrive_status="REDRIVABLE", stop=STARTED)

    with pytest.raises(OperatorError, match="stays halted until 12:15 UTC"):
        workflow(sfn).redrive("run-1", STARTED + timedelta(seconds=RUN_HALT_SECONDS - 60))
    assert sfn.redriven == []

    workflow(sfn).redrive("run-1", STARTED + timedelta(seconds=RUN_HALT_SECONDS + 1))
    assert sfn.redriven == ["run-1"]


def test_the_results_folder_is_beside_the_summary_or_named_after_the_map_run() -> None:
    with_output = summary_of(Reading("SUCCEEDED", {"total": 1}, output=summary_output("run-1", {"reset": 1})))
    without = summary_of(Reading("FAILED", {"total": 1, "failed": 1}))

    assert workflow().results_folder(with_output) == (BUCKET, results_folder("run-1"))
    assert workflow().results_folder(without) == (BUCKET, f"{RESULTS_PREFIX}/run-1-map/")


def test_a_failed_run_is_redriven() -> None:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [Reading("FAILED", {"total": 1, "failed": 1})], redrive_status="REDRIVABLE")

    workflow(sfn).redrive("run-1", STARTED + timedelta(days=1))

    assert sfn.redriven == ["run-1"]


@pytest.mark.parametrize(
    ("reading", "details", "refusal"),
    [
        (Reading(), {}, "^run run-1 is still running: nothing to redrive yet$"),
        (Reading("SUCCEEDED", output={}), {}, "^run run-1 succeeded: nothing to redrive"),
        (
            Reading("FAILED"),
            {"stop": STARTED - timedelta(days=REDRIVE_WINDOW_DAYS, minutes=1)},
            f"^run run-1 stopped 2026-11-16 11:59 UTC, more than {REDRIVE_WINDOW_DAYS} days ago",
        ),
        (Reading("ABORTED"), {"redrive_status": "NOT_REDRIVABLE"}, "^run run-1 cannot be redriven"),
    ],
)
def test_a_run_that_cannot_be_redriven_is_refused(reading: Reading, details: dict[str, object], refusal: str) -> None:
    sfn = FakeStepFunctions()
    sfn.add("run-1", [reading], **details)

    with pytest.raises(OperatorError, match=refusal):
        workflow(sfn).redrive("run-1", STARTED)
    assert sfn.redriven == []
