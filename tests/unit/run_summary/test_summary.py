"""The run summary (functions/run_summary): counted from ResultWriter's layout, written beside it, logged as counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from run_summary.handler import build_handler, logger
from run_summary.summary import FAILED_WITHOUT_ERROR, NOT_STARTED, summarize
from tests.lambda_context import LambdaContext

BUCKET = "bulk-bucket"
FOLDER = "results/5b1c7f0e-8d3a-4f7e-9a51-0c2d4e6f8a1b"
MANIFEST = f"{FOLDER}/manifest.json"
MAP_RUN_ARN = "arn:aws:states:eu-west-1:123456789012:mapRun:bulk-reset/Reset every user:5b1c7f0e"
# Distinctive, so that a leak into the logs cannot hide behind a common word.
ALICE, BOB, CAROL, DAVE, ERIN, FRANK = (f"zq9-{name}" for name in ("alice", "bob", "carol", "dave", "erin", "frank"))
UNFINISHED_USERS = tuple(f"zq9-unfinished-{n}@mail.example" for n in range(10))


class InMemoryStore:
    """The run's bucket: objects by (bucket, key); `lines` as S3Store gives them (the body's lines, no newlines)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], str] = {}
        self.written: list[tuple[str, str]] = []

    def put(self, bucket: str, key: str, body: str) -> None:
        self.objects[bucket, key] = body

    def lines(self, bucket: str, key: str) -> Iterator[str]:
        yield from self.objects[bucket, key].splitlines()

    def write(self, bucket: str, key: str, body: str) -> None:
        self.written.append((bucket, key))
        self.objects[bucket, key] = body


def result(username: str, status: str, reason: str | None = None) -> dict[str, Any]:
    return {"username": username, "userPoolId": "eu-west-1_TestPool1", "status": status, "reason": reason}


def items(*usernames: str) -> str:
    rows = [{"username": username, "email": ""} for username in usernames]
    return json.dumps({"Items": rows, "BatchInput": {"runId": "r1", "clientMetadata": {"reason": "security_incident"}}})


def succeeded(*results: dict[str, Any]) -> dict[str, Any]:
    output = {"results": list(results), "counts": {}}
    return {
        "ExecutionArn": "arn:aws:states:eu-west-1:123456789012:execution:child:ok",
        "Status": "SUCCEEDED",
        "Input": items(*(r["username"] for r in results)),
        "InputDetails": {"Included": True},
        "Output": json.dumps(output),
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
    }


def failed(error: str | None, *usernames: str) -> dict[str, Any]:
    return {
        "ExecutionArn": "arn:aws:states:eu-west-1:123456789012:execution:child:failed",
        "Status": "FAILED",
        "Input": items(*usernames),
        "InputDetails": {"Included": True},
        "Error": error,
        "Cause": f"3 of {len(usernames)} items unfinished",
        "RedriveCount": 0,
    }


def pending(*usernames: str) -> dict[str, Any]:
    return {"Input": items(*usernames), "InputDetails": {"Included": True}}


def as_lines(*entries: dict[str, Any]) -> str:
    return "".join(json.dumps(entry) + "\n" for entry in entries)


@pytest.fixture
def store() -> InMemoryStore:
    """A map run's results as ResultWriter writes them (local_aws/wiring/distributed_map.py `_write_results`):
    succeeded children in JSON Lines over two files, failed ones in a JSON array, pending ones in JSON Lines."""
    store = InMemoryStore()
    store.put(BUCKET, f"{FOLDER}/SUCCEEDED_0.json", as_lines(
        succeeded(result(ALICE, "reset"), result(BOB, "failed", "USER_NOT_FOUND"), result(CAROL, "skipped")),
        succeeded(result(DAVE, "failed", "USER_NOT_FOUND")),
    ))  # fmt: skip
    store.put(BUCKET, f"{FOLDER}/SUCCEEDED_1.json", as_lines(
        succeeded(result(ERIN, "failed", "USER_DISABLED"), result(FRANK, "reset")),
    ))  # fmt: skip
    store.put(BUCKET, f"{FOLDER}/FAILED_0.json", json.dumps([
        failed("States.TaskFailed", *UNFINISHED_USERS[0:3]),
        failed(None, *UNFINISHED_USERS[3:5]),
        failed("States.TaskFailed", UNFINISHED_USERS[5]),
    ], indent=2))  # fmt: skip
    store.put(BUCKET, f"{FOLDER}/PENDING_0.json", as_lines(
        pending(*UNFINISHED_USERS[6:9]),
        pending(UNFINISHED_USERS[9]),
    ))  # fmt: skip
    files = {
        "SUCCEEDED": [
            {"Key": f"{FOLDER}/SUCCEEDED_0.json", "Size": 1},
            {"Key": f"{FOLDER}/SUCCEEDED_1.json", "Size": 1},
        ],
        "FAILED": [{"Key": f"{FOLDER}/FAILED_0.json", "Size": 1}],
        "PENDING": [{"Key": f"{FOLDER}/PENDING_0.json", "Size": 1}],
    }
    store.put(
        BUCKET, MANIFEST, json.dumps({"DestinationBucket": BUCKET, "MapRunArn": MAP_RUN_ARN, "ResultFiles": files})
    )
    return store


EXPECTED = {
    "runId": "incident-4211",
    "total": 6 + len(UNFINISHED_USERS),  # results of finished batches, plus the rows of unfinished ones
    "statuses": {"failed": 3, "reset": 2, "skipped": 1},
    "reasons": {"USER_DISABLED": 1, "USER_NOT_FOUND": 2},
    "unfinished": {FAILED_WITHOUT_ERROR: 2, NOT_STARTED: 4, "States.TaskFailed": 4},
    "results": f"s3://{BUCKET}/{FOLDER}/",
    "summary": f"s3://{BUCKET}/{FOLDER}/summary.json",
}


def test_results_are_counted_per_status_reason_and_unfinished_error(store: InMemoryStore) -> None:
    summary = summarize("incident-4211", BUCKET, MANIFEST, store)

    assert summary == EXPECTED


def test_the_summary_is_written_beside_the_results_as_it_is_returned(store: InMemoryStore) -> None:
    summary = summarize("incident-4211", BUCKET, MANIFEST, store)

    assert store.written == [(BUCKET, f"{FOLDER}/summary.json")]
    assert json.loads(store.objects[BUCKET, f"{FOLDER}/summary.json"]) == summary


def test_a_run_where_every_batch_succeeded_has_nothing_unfinished() -> None:
    store = InMemoryStore()
    store.put(BUCKET, f"{FOLDER}/SUCCEEDED_0.json", as_lines(succeeded(result(ALICE, "reset"), result(BOB, "reset"))))
    files = {"SUCCEEDED": [{"Key": f"{FOLDER}/SUCCEEDED_0.json", "Size": 1}], "FAILED": [], "PENDING": []}
    store.put(BUCKET, MANIFEST, json.dumps({"ResultFiles": files}))

    summary = summarize("r1", BUCKET, MANIFEST, store)

    assert (summary["total"], summary["statuses"], summary["reasons"], summary["unfinished"]) == (
        2,
        {"reset": 2},
        {},
        {},
    )


def test_a_run_with_no_result_files_is_an_empty_summary() -> None:
    store = InMemoryStore()
    store.put(BUCKET, MANIFEST, json.dumps({"DestinationBucket": BUCKET, "ResultFiles": {}}))

    summary = summarize("r1", BUCKET, MANIFEST, store)

    assert (summary["total"], summary["statuses"], summary["unfinished"]) == (0, {}, {})
    assert json.loads(store.objects[BUCKET, f"{FOLDER}/summary.json"]) == summary


# The handler


@pytest.fixture
def handler_output(store: InMemoryStore, caplog: pytest.LogCaptureFixture) -> tuple[dict[str, Any], list[str]]:
    """What the handler returns, and its log lines as its logger writes them. The logger keeps the stdout it was built
    with (at import, before capsys could swap it), so the lines are taken from the records, formatted by the logger's
    own formatter."""
    handle = build_handler(lambda: store)
    event = {"runId": "incident-4211", "resultWriterDetails": {"Bucket": BUCKET, "Key": MANIFEST}}
    caplog.clear()

    returned = handle(event, LambdaContext(function_name="run-summary"))

    formatter = logger.registered_formatter
    return returned, [formatter.format(record) for record in caplog.records]


def test_the_handler_returns_the_summary_of_the_map_runs_results(
    handler_output: tuple[dict[str, Any], list[str]], store: InMemoryStore
) -> None:
    returned, _ = handler_output

    assert returned == EXPECTED
    assert json.loads(store.objects[BUCKET, f"{FOLDER}/summary.json"]) == EXPECTED


def test_the_handler_logs_one_line_of_counts(handler_output: tuple[dict[str, Any], list[str]]) -> None:
    _, logged = handler_output

    (line,) = (json.loads(text) for text in logged)
    assert line["message"] == "run summarized"
    assert {key: line[key] for key in ("total", "statuses", "reasons", "unfinished")} == {
        key: EXPECTED[key] for key in ("total", "statuses", "reasons", "unfinished")
    }
    assert (line["service"], line["function_name"]) == ("run-summary", "run-summary")
    assert "runId" not in line
    assert "results" not in line
    assert "summary" not in line


def test_the_handler_logs_no_user_of_the_run(handler_output: tuple[dict[str, Any], list[str]]) -> None:
    _, logged = handler_output

    assert logged  # the line was captured, so the absence of names means something
    assert not [text for text in logged if "zq9" in text]  # no username, no e-mail, from results or unfinished rows
