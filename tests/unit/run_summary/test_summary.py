"""The run summary (functions/run_summary): users counted from ResultWriter's layout, the rows to act on listed by
manifest line in the summary object beside the results, and only counts returned and logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from contracts.bulk import SUMMARY_FIELDS
from run_summary.handler import build_handler, logger, s3_client
from run_summary.summary import FAILED_WITHOUT_ERROR, NOT_STARTED, summarize
from tests.lambda_context import LambdaContext

BUCKET = "bulk-bucket"
FOLDER = "results/5b1c7f0e-8d3a-4f7e-9a51-0c2d4e6f8a1b"
RESULTS_MANIFEST = f"{FOLDER}/manifest.json"
SUMMARY_KEY = f"{FOLDER}/summary.json"
CSV_MANIFEST = "manifests/incident-4211.csv"
JSONL_MANIFEST = "manifests/incident-4211.jsonl"
MAP_RUN_ARN = "arn:aws:states:eu-west-1:123456789012:mapRun:bulk-reset/Reset every user:5b1c7f0e"
POOL = "eu-west-1_TestPool1"
# Distinctive, so that a leak into the logs or the execution's output cannot hide behind a common word.
ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE = (
    f"zq9-{name}" for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace")
)
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

    def summary_object(self) -> dict[str, Any]:
        return dict(json.loads(self.objects[BUCKET, SUMMARY_KEY]))


def row(index: int | None, **identifier: str) -> Any:
    """A batch item as the workflow's ItemSelector makes it: a CSV row (every column, empty cells included) with its
    position; without a position, the bare row."""
    cells = {"username": "", "email": "", "reason": ""} | identifier
    return cells if index is None else {"index": index, "row": cells}


def result(username: str | None, status: str, reason: str | None = None, **more: Any) -> dict[str, Any]:
    """A reset result (contract 2): `username` is the pool's canonical username once resolved."""
    return {"username": username, "userPoolId": POOL, "status": status, "reason": reason, "detail": None} | more


def batch_input(items: list[Any]) -> str:
    return json.dumps(
        {"Items": items, "BatchInput": {"runId": "r1", "clientMetadata": {"reason": "security_incident"}}}
    )


def succeeded(*answered: tuple[Any, dict[str, Any]]) -> dict[str, Any]:
    """A child whose batch finished: its Items, and the reset function's results in the same order."""
    output = {"results": [answer for _, answer in answered], "counts": {}}
    return {
        "ExecutionArn": "arn:aws:states:eu-west-1:123456789012:execution:child:ok",
        "Status": "SUCCEEDED",
        "Input": batch_input([item for item, _ in answered]),
        "InputDetails": {"Included": True},
        "Output": json.dumps(output),
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
    }


def failed(error: str | None, *items: Any) -> dict[str, Any]:
    return {
        "ExecutionArn": "arn:aws:states:eu-west-1:123456789012:execution:child:failed",
        "Status": "FAILED",
        "Input": batch_input(list(items)),
        "InputDetails": {"Included": True},
        "Error": error,
        "Cause": f"3 of {len(items)} items unfinished",
        "RedriveCount": 0,
    }


def pending(*items: Any) -> dict[str, Any]:
    return {"Input": batch_input(list(items)), "InputDetails": {"Included": True}}


def as_lines(*entries: dict[str, Any]) -> str:
    return "".join(json.dumps(entry) + "\n" for entry in entries)


def map_run(*succeeded_children: dict[str, Any], failed_children: tuple[dict[str, Any], ...] = ()) -> InMemoryStore:
    """A map run of one SUCCEEDED file and, if given, one FAILED file."""
    store = InMemoryStore()
    files: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for status, children in (("SUCCEEDED", succeeded_children), ("FAILED", failed_children)):
        if children:
            store.put(BUCKET, f"{FOLDER}/{status}_0.json", as_lines(*children))
            files[status].append({"Key": f"{FOLDER}/{status}_0.json", "Size": 1})
    store.put(BUCKET, RESULTS_MANIFEST, json.dumps({"ResultFiles": files}))
    return store


@pytest.fixture
def store() -> InMemoryStore:
    """A map run's results as ResultWriter writes them (local_aws/emulation/distributed_map.py `_write_results`):
    succeeded children in JSON Lines over two files, failed ones in a JSON array, pending ones in JSON Lines. The
    manifest is CSV: row n is on line n + 2. Row 4 names alice again, by e-mail; the reset function skipped it."""
    store = InMemoryStore()
    store.put(BUCKET, f"{FOLDER}/SUCCEEDED_0.json", as_lines(
        succeeded(
            (row(0, username=ALICE), result(ALICE, "reset")),
            (row(1, username=BOB), result(BOB, "failed", "USER_NOT_FOUND")),
            (row(2, username=CAROL), result(CAROL, "skipped")),
        ),
        succeeded(
            (row(3, username=DAVE), result(DAVE, "failed", "USER_NOT_FOUND")),
            (row(4, email=f"{ALICE}@mail.example"), result(ALICE, "skipped", duplicate=True)),
        ),
    ))  # fmt: skip
    store.put(BUCKET, f"{FOLDER}/SUCCEEDED_1.json", as_lines(
        succeeded(
            (row(5, username=ERIN), result(ERIN, "failed", "USER_DISABLED", detail="the user is disabled")),
            (row(6, username=FRANK), result(FRANK, "reset")),
            (row(7, sub="zq9-grace-sub"), result(GRACE, "unconfirmed", detail="the pool could not tell")),
        ),
    ))  # fmt: skip
    unfinished = [row(8 + n, email=email) for n, email in enumerate(UNFINISHED_USERS)]
    store.put(BUCKET, f"{FOLDER}/FAILED_0.json", json.dumps([
        failed("States.TaskFailed", *unfinished[0:3]),
        failed(None, *unfinished[3:5]),
        failed("States.TaskFailed", unfinished[5]),
    ], indent=2))  # fmt: skip
    store.put(BUCKET, f"{FOLDER}/PENDING_0.json", as_lines(
        pending(*unfinished[6:9]),
        pending(unfinished[9]),
    ))  # fmt: skip
    files = {
        "SUCCEEDED": [
            {"Key": f"{FOLDER}/SUCCEEDED_0.json", "Size": 1},
            {"Key": f"{FOLDER}/SUCCEEDED_1.json", "Size": 1},
        ],
        "FAILED": [{"Key": f"{FOLDER}/FAILED_0.json", "Size": 1}],
        "PENDING": [{"Key": f"{FOLDER}/PENDING_0.json", "Size": 1}],
    }
    listing = {"DestinationBucket": BUCKET, "MapRunArn": MAP_RUN_ARN, "ResultFiles": files}
    store.put(BUCKET, RESULTS_MANIFEST, json.dumps(listing))
    return store


EXPECTED = {
    "runId": "incident-4211",
    "rows": 8 + len(UNFINISHED_USERS),  # rows with a result, plus the rows of unfinished batches
    "users": 7,  # alice's two rows are one user
    "statuses": {"failed": 3, "reset": 2, "skipped": 1, "unconfirmed": 1},
    "reasons": {"USER_DISABLED": 1, "USER_NOT_FOUND": 2},
    "duplicateRows": 1,
    "unfinished": {FAILED_WITHOUT_ERROR: 2, NOT_STARTED: 4, "States.TaskFailed": 4},
    "complete": False,
    "results": f"s3://{BUCKET}/{FOLDER}/",
    "summary": f"s3://{BUCKET}/{SUMMARY_KEY}",
    "startedBy": None,
}


def summarize_run(store: InMemoryStore, manifest_key: str | None = CSV_MANIFEST) -> dict[str, Any]:
    return summarize("incident-4211", BUCKET, RESULTS_MANIFEST, store, manifest_key=manifest_key)


def test_users_are_counted_per_status_and_reason_and_unfinished_rows_per_error(store: InMemoryStore) -> None:
    summary = summarize_run(store)

    assert summary == EXPECTED
    assert tuple(summary) == SUMMARY_FIELDS


def test_the_summary_object_is_the_counts_and_the_rows_to_act_on_by_line(store: InMemoryStore) -> None:
    summary = summarize_run(store)

    assert store.written == [(BUCKET, SUMMARY_KEY)]
    written = store.summary_object()
    assert {key: written.pop(key) for key in SUMMARY_FIELDS} == summary
    assert written == {
        "failedRows": [
            {"line": 3, "identifier": {"username": BOB}, "reason": "USER_NOT_FOUND"},
            {"line": 5, "identifier": {"username": DAVE}, "reason": "USER_NOT_FOUND"},
            {"line": 7, "identifier": {"username": ERIN}, "reason": "USER_DISABLED", "detail": "the user is disabled"},
        ],
        "unconfirmedRows": [
            {"line": 9, "identifier": {"sub": "zq9-grace-sub"}, "reason": None, "detail": "the pool could not tell"},
        ],
        "unfinishedRows": [
            {"line": 10 + n, "identifier": {"email": email}, "error": error}
            for n, (email, error) in enumerate(
                zip(
                    UNFINISHED_USERS,
                    ["States.TaskFailed"] * 3 + [FAILED_WITHOUT_ERROR] * 2 + ["States.TaskFailed"] + [NOT_STARTED] * 4,
                    strict=True,
                )
            )
        ],
    }


def test_the_returned_summary_names_no_user(store: InMemoryStore) -> None:
    summary = summarize_run(store)

    assert (
        "zq9" in store.objects[BUCKET, SUMMARY_KEY]
    )  # the object does name them, so the absence below means something
    assert "zq9" not in json.dumps(summary)
    assert set(summary) == set(SUMMARY_FIELDS)


def test_rows_repeating_a_user_count_one_user_reset_and_the_repeats_as_duplicate_rows() -> None:
    # The same user three times: the function replayed the first row's reset for the second (a retry of the same
    # user) and skipped the third. One user, one reset, two duplicate rows.
    store = map_run(
        succeeded(
            (row(0, username=ALICE), result(ALICE, "reset")),
            (row(1, username=ALICE), result(ALICE, "reset", replayed=True)),
        ),
        succeeded((row(2, username=ALICE.upper()), result(ALICE, "skipped", duplicate=True))),
    )

    summary = summarize_run(store)

    assert (summary["rows"], summary["users"], summary["statuses"], summary["duplicateRows"]) == (
        3,
        1,
        {"reset": 1},
        2,
    )
    assert summary["complete"] is True


def test_a_user_reset_by_one_row_and_skipped_by_a_repeat_counts_once_as_reset() -> None:
    store = map_run(
        succeeded((row(0, email=f"{ALICE}@mail.example"), result(ALICE, "skipped", duplicate=True))),
        succeeded((row(1, username=ALICE), result(ALICE, "reset"))),  # read second, though its line comes first
    )

    summary = summarize_run(store)

    assert (summary["users"], summary["statuses"], summary["duplicateRows"]) == (1, {"reset": 1}, 1)


@pytest.mark.parametrize(
    ("statuses", "counted"),
    [
        (("failed", "reset"), "reset"),
        (("skipped", "unconfirmed"), "unconfirmed"),
        (("dry_run", "skipped"), "skipped"),
        (("failed", "dry_run"), "dry_run"),
        (("failed", "failed"), "failed"),
    ],
)
def test_a_user_counts_under_the_strongest_status_of_its_rows(statuses: tuple[str, str], counted: str) -> None:
    store = map_run(succeeded(*((row(n, username=ALICE), result(ALICE, status)) for n, status in enumerate(statuses))))

    summary = summarize_run(store)

    assert (summary["users"], summary["statuses"], summary["duplicateRows"]) == (1, {counted: 1}, 1)


def test_a_user_in_another_pool_is_another_user() -> None:
    store = map_run(
        succeeded(
            (row(0, username=ALICE), result(ALICE, "reset")),
            (row(1, username=ALICE), result(ALICE, "reset", userPoolId="eu-west-1_OtherPool")),
        )
    )

    summary = summarize_run(store)

    assert (summary["users"], summary["statuses"], summary["duplicateRows"]) == (2, {"reset": 2}, 0)


def test_results_without_a_username_are_each_their_own_user() -> None:
    # Refused before the user was resolved (a row naming nobody, a row naming two identifiers).
    store = map_run(
        succeeded(
            (row(0), result(None, "failed", "INVALID_REQUEST")),
            (row(1, username=BOB, email=f"{BOB}@mail.example"), result(None, "failed", "INVALID_REQUEST")),
        )
    )

    summary = summarize_run(store)

    assert (summary["users"], summary["statuses"], summary["reasons"], summary["duplicateRows"]) == (
        2,
        {"failed": 2},
        {"INVALID_REQUEST": 2},
        0,
    )
    assert store.summary_object()["failedRows"] == [
        {"line": 2, "identifier": {}, "reason": "INVALID_REQUEST"},
        {"line": 3, "identifier": {"username": BOB, "email": f"{BOB}@mail.example"}, "reason": "INVALID_REQUEST"},
    ]


def test_a_failed_user_counts_under_the_reason_of_its_row() -> None:
    store = map_run(
        succeeded(
            (row(0, username=BOB), result(BOB, "failed", "USER_NOT_FOUND")),
            (row(1, username=ERIN), result(ERIN, "failed", "ATTEMPT_LIMIT", detail="try again later")),
            (row(2, username=FRANK), result(FRANK, "reset")),
        )
    )

    summary = summarize_run(store)

    assert (summary["statuses"], summary["reasons"]) == (
        {"failed": 2, "reset": 1},
        {"ATTEMPT_LIMIT": 1, "USER_NOT_FOUND": 1},
    )
    assert store.summary_object()["failedRows"] == [
        {"line": 2, "identifier": {"username": BOB}, "reason": "USER_NOT_FOUND"},
        {"line": 3, "identifier": {"username": ERIN}, "reason": "ATTEMPT_LIMIT", "detail": "try again later"},
    ]


def test_unconfirmed_rows_are_listed_for_the_operator() -> None:
    store = map_run(
        succeeded(
            (row(0, username=ALICE), result(ALICE, "reset")),
            (row(1, email=f"{GRACE}@mail.example"), result(GRACE, "unconfirmed", detail="claimed 40 s ago")),
        )
    )

    summary = summarize_run(store)

    assert summary["statuses"] == {"reset": 1, "unconfirmed": 1}
    written = store.summary_object()
    assert written["unconfirmedRows"] == [
        {"line": 3, "identifier": {"email": f"{GRACE}@mail.example"}, "reason": None, "detail": "claimed 40 s ago"}
    ]
    assert (written["failedRows"], written["unfinishedRows"]) == ([], [])


@pytest.mark.parametrize(
    ("manifest_key", "first_line"),
    [
        (CSV_MANIFEST, 2),  # line 1 is the header
        ("manifests/incident-4211.CSV", 2),
        (JSONL_MANIFEST, 1),
    ],
)
def test_rows_of_unfinished_batches_are_listed_by_their_line_and_the_run_is_incomplete(
    manifest_key: str, first_line: int
) -> None:
    store = map_run(
        succeeded((row(0, username=ALICE), result(ALICE, "reset"))),
        failed_children=(failed("TransientResetError", row(1, username=BOB), row(2, email=f"{CAROL}@mail.example")),),
    )

    summary = summarize_run(store, manifest_key)

    assert (summary["rows"], summary["users"], summary["unfinished"], summary["complete"]) == (
        3,
        1,
        {"TransientResetError": 2},
        False,
    )
    assert store.summary_object()["unfinishedRows"] == [
        {"line": first_line + 1, "identifier": {"username": BOB}, "error": "TransientResetError"},
        {"line": first_line + 2, "identifier": {"email": f"{CAROL}@mail.example"}, "error": "TransientResetError"},
    ]


def test_bare_rows_have_no_line() -> None:
    # Items without a position (a batch put together by hand, or by a workflow without the ItemSelector).
    store = map_run(
        succeeded((row(None, username=BOB), result(BOB, "failed", "USER_NOT_FOUND"))),
        failed_children=(failed("States.Timeout", row(None, email=f"{CAROL}@mail.example")),),
    )

    summarize_run(store)

    written = store.summary_object()
    assert written["failedRows"] == [{"line": None, "identifier": {"username": BOB}, "reason": "USER_NOT_FOUND"}]
    assert written["unfinishedRows"] == [
        {"line": None, "identifier": {"email": f"{CAROL}@mail.example"}, "error": "States.Timeout"}
    ]


def test_without_the_runs_manifest_key_no_line_is_known() -> None:
    store = map_run(succeeded((row(0, username=BOB), result(BOB, "failed", "USER_NOT_FOUND"))))

    summarize_run(store, manifest_key=None)

    assert store.summary_object()["failedRows"] == [
        {"line": None, "identifier": {"username": BOB}, "reason": "USER_NOT_FOUND"}
    ]


def test_listed_rows_are_in_line_order_with_unknown_lines_last() -> None:
    store = map_run(
        succeeded((row(None, username="zq9-x"), result("zq9-x", "failed", "USER_NOT_FOUND"))),
        succeeded((row(7, username="zq9-y"), result("zq9-y", "failed", "USER_NOT_FOUND"))),
        succeeded((row(2, username="zq9-z"), result("zq9-z", "failed", "USER_NOT_FOUND"))),
    )

    summarize_run(store)

    assert [listed["line"] for listed in store.summary_object()["failedRows"]] == [4, 9, None]


def test_a_run_where_every_batch_succeeded_is_complete() -> None:
    store = map_run(
        succeeded((row(0, username=ALICE), result(ALICE, "reset")), (row(1, username=BOB), result(BOB, "reset")))
    )

    summary = summarize_run(store)

    assert (summary["rows"], summary["users"], summary["statuses"], summary["unfinished"], summary["complete"]) == (
        2,
        2,
        {"reset": 2},
        {},
        True,
    )


def test_a_run_with_no_result_files_is_an_empty_complete_summary() -> None:
    store = InMemoryStore()
    store.put(BUCKET, RESULTS_MANIFEST, json.dumps({"DestinationBucket": BUCKET, "ResultFiles": {}}))

    summary = summarize_run(store)

    assert (summary["rows"], summary["users"], summary["statuses"], summary["complete"]) == (0, 0, {}, True)
    assert store.summary_object() == summary | {"failedRows": [], "unconfirmedRows": [], "unfinishedRows": []}


# The handler

BY = {"arn": "arn:aws:sts::123456789012:assumed-role/SecOps/ana", "account": "123456789012", "cliVersion": "0.1.0"}
EVENT = {
    "runId": "incident-4211",
    "manifestKey": CSV_MANIFEST,
    "resultWriterDetails": {"Bucket": BUCKET, "Key": RESULTS_MANIFEST},
    "runInput": {"manifestKey": CSV_MANIFEST, "startedBy": BY},
}


class RecordingBus:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fail_with = fail_with

    def put(self, entry: dict[str, Any]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.entries.append(entry)


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
def handler_output(
    store: InMemoryStore, bus: RecordingBus, caplog: pytest.LogCaptureFixture
) -> tuple[dict[str, Any], list[str]]:
    """What the handler returns, and its log lines as its logger writes them. The logger keeps the stdout it was built
    with (at import, before capsys could swap it), so the lines are taken from the records, formatted by the logger's
    own formatter."""
    handle = build_handler(lambda: store, lambda: bus)
    caplog.clear()

    returned = handle(EVENT, LambdaContext(function_name="run-summary"))

    formatter = logger.registered_formatter
    return returned, [formatter.format(record) for record in caplog.records]


def test_the_handler_returns_the_summary_of_the_map_runs_results(
    handler_output: tuple[dict[str, Any], list[str]], store: InMemoryStore
) -> None:
    returned, _ = handler_output

    assert returned == EXPECTED | {"startedBy": BY}
    assert store.summary_object()["failedRows"][0]["line"] == 3  # the manifest key reached the lines
    assert store.summary_object()["startedBy"] == BY


def test_the_runs_end_is_an_audit_event_with_who_and_the_counts_and_no_user(
    handler_output: tuple[dict[str, Any], list[str]], bus: RecordingBus
) -> None:
    (entry,) = bus.entries
    assert (entry["Source"], entry["DetailType"]) == ("cognito-admin-reset", "Bulk Run Finished")
    detail = json.loads(entry["Detail"])
    assert (detail["runId"], detail["by"], detail["statuses"], detail["complete"]) == (
        "incident-4211",
        BY,
        EXPECTED["statuses"],
        False,
    )
    assert "zq9" not in entry["Detail"]  # no username or e-mail of the run
    assert "results" not in detail


def test_a_bus_that_refuses_the_event_does_not_fail_the_summary(store: InMemoryStore) -> None:
    handle = build_handler(lambda: store, lambda: RecordingBus(fail_with=RuntimeError("AccessDenied")))

    returned = handle(EVENT, LambdaContext(function_name="run-summary"))

    assert returned["statuses"] == EXPECTED["statuses"]


def test_the_handler_logs_one_line_of_counts(handler_output: tuple[dict[str, Any], list[str]]) -> None:
    _, logged = handler_output

    (line,) = (json.loads(text) for text in logged)
    assert line["message"] == "run summarized"
    counts = ("rows", "users", "statuses", "reasons", "duplicateRows", "unfinished", "complete")
    assert {key: line[key] for key in counts} == {key: EXPECTED[key] for key in counts}
    assert (line["service"], line["function_name"]) == ("run-summary", "run-summary")
    assert "runId" not in line
    assert "results" not in line
    assert "summary" not in line


def test_the_handler_logs_no_user_of_the_run(handler_output: tuple[dict[str, Any], list[str]]) -> None:
    _, logged = handler_output

    assert logged  # the line was captured, so the absence of names means something
    assert not [text for text in logged if "zq9" in text]  # no username, no e-mail, from results or unfinished rows


class UnavailableStore(InMemoryStore):
    """S3 answering 503 SlowDown after the client's own retries."""

    def lines(self, bucket: str, key: str) -> Iterator[str]:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "GetObject")


def test_an_s3_error_the_client_could_not_get_past_is_raised_for_the_workflows_retry() -> None:
    handle = build_handler(UnavailableStore, RecordingBus)

    with pytest.raises(ClientError, match="SlowDown"):
        handle(EVENT, LambdaContext(function_name="run-summary"))


def test_the_s3_client_retries_in_standard_mode_with_more_attempts_than_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    retries = s3_client().meta.config.retries

    assert retries["mode"] == "standard"
    assert retries["total_max_attempts"] > 3  # botocore's standard default: 3 attempts
