"""The local Distributed Map's pure parts (local_aws/emulation/distributed_map.py): how a definition is split, the
reference paths and Parameters it resolves, how ItemReader's manifests are read and ItemSelector's items made, and what
DescribeMapRun says.

The definitions are small literal ones in the bulk workflow's shapes (tests/infra/test_both_variants.py has the
synthesized one)."""

from __future__ import annotations

import copy
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from contracts.bulk import ITEM_INDEX, ITEM_ROW, item_parts
from local_aws.emulation.distributed_map import (
    LAMBDA_INVOKE,
    MAP_RUN_ERRORS,
    MAX_MAP_RUN_REDRIVES,
    PLAYER_FUNCTION,
    MapRun,
    MapRunPlayer,
    MapRuns,
    MapState,
    MapStateError,
    NotPlayableError,
    _Child,
    child_definition,
    map_runs_answered,
    path_value,
    read_items,
    resolve_parameters,
    select_items,
    split,
)
from local_aws.emulation.moto_patches import MAP_STATE_ERROR_NAMES
from local_aws.harness.server import LocalAws

MACHINE = "bulk-reset"
RETRY = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2}]
CATCH = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Report"}]
PROCESSOR = {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "Reset batch",
    "States": {
        "Reset batch": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:reset",
                "Payload": {"Items.$": "$.Items", "BatchInput.$": "$.BatchInput.defaults"},
            },
            "OutputPath": "$.Payload",
            "End": True,
        }
    },
}


def distributed_map(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Map",
        "ItemProcessor": copy.deepcopy(PROCESSOR),
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            "Parameters": {"Bucket": "bulk-bucket", "Key.$": "$.manifestKey"},
        },
        "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"defaults.$": "$.batchInput"}},
        "MaxConcurrency": 4,
        "ToleratedFailurePercentage": 5,
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "bulk-bucket", "Prefix": "results"},
            "WriterConfig": {"OutputType": "JSONL", "Transformation": "NONE"},
        },
        "ResultPath": "$.mapRun",
        "Next": "Summarize the run",
    }
    state.update(overrides)
    return state


SUMMARIZE = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "summary", "Payload": {"resultWriterDetails.$": "$.mapRun.ResultWriterDetails"}},
    "OutputPath": "$.Payload",
    "End": True,
}


def workflow(**states: dict[str, Any]) -> dict[str, Any]:
    return {"Comment": "bulk", "StartAt": next(iter(states)), "States": states}


# split


def test_a_distributed_map_becomes_a_task_that_invokes_the_player_keeping_its_wiring() -> None:
    mapped = distributed_map(Retry=RETRY, Catch=CATCH)
    definition = workflow(**{"Reset every user": mapped, "Summarize the run": SUMMARIZE})

    split_definition, played = split(definition, MACHINE)

    assert split_definition["States"]["Reset every user"] == {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {
            "FunctionName": PLAYER_FUNCTION,
            "Payload": {
                "mapState": f"{MACHINE}/Reset every user",
                "input.$": "$",
                "executionArn.$": "$$.Execution.Id",
            },
        },
        # The Map state's own output: {"MapRunArn", "ResultWriterDetails"}, not the Lambda invocation's envelope.
        "ResultSelector": {
            "MapRunArn.$": "$.Payload.MapRunArn",
            "ResultWriterDetails.$": "$.Payload.ResultWriterDetails",
        },
        "ResultPath": "$.mapRun",
        "Next": "Summarize the run",
        "Retry": RETRY,
        "Catch": CATCH,
    }
    assert played == {f"{MACHINE}/Reset every user": mapped}


def test_everything_else_in_the_definition_is_left_to_moto() -> None:
    definition = workflow(**{"Reset every user": distributed_map(), "Summarize the run": SUMMARIZE})

    split_definition, _ = split(definition, MACHINE)

    assert split_definition["Comment"] == "bulk"
    assert split_definition["StartAt"] == "Reset every user"
    assert split_definition["States"]["Summarize the run"] == SUMMARIZE


def test_the_given_definition_is_not_changed() -> None:
    definition = workflow(**{"Reset every user": distributed_map(), "Summarize the run": SUMMARIZE})
    before = copy.deepcopy(definition)

    split(definition, MACHINE)

    assert definition == before


def test_each_distributed_map_is_played_under_its_own_key() -> None:
    csv_map = distributed_map()
    jsonl_map = distributed_map(ItemReader={**csv_map["ItemReader"], "ReaderConfig": {"InputType": "JSONL"}})
    definition = workflow(**{"CSV": csv_map, "JSON Lines": jsonl_map, "Summarize the run": SUMMARIZE})

    split_definition, played = split(definition, MACHINE)

    assert played == {f"{MACHINE}/CSV": csv_map, f"{MACHINE}/JSON Lines": jsonl_map}
    assert {name: state["Type"] for name, state in split_definition["States"].items()} == {
        "CSV": "Task",
        "JSON Lines": "Task",
        "Summarize the run": "Task",
    }
    keys = [split_definition["States"][name]["Parameters"]["Payload"]["mapState"] for name in ("CSV", "JSON Lines")]
    assert keys == [f"{MACHINE}/CSV", f"{MACHINE}/JSON Lines"]


def test_an_end_state_map_stays_an_end_state() -> None:
    mapped = distributed_map(End=True, OutputPath="$.mapRun", InputPath="$.run")
    del mapped["Next"]

    split_definition, _ = split(workflow(**{"Reset": mapped}), MACHINE)

    task = split_definition["States"]["Reset"]
    assert (task["End"], task["OutputPath"], task["InputPath"]) == (True, "$.mapRun", "$.run")
    assert "Next" not in task


def test_an_inline_map_is_moto_s() -> None:
    inline = {
        "Type": "Map",
        "ItemsPath": "$.users",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Each",
            "States": {"Each": {"Type": "Pass", "End": True}},
        },
        "End": True,
    }
    definition = workflow(Inline=inline)

    split_definition, played = split(definition, MACHINE)

    assert (split_definition, played) == (definition, {})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ItemsPath", "$.users"),
        ("ResultSelector", {"arn.$": "$.MapRunArn"}),
    ],
)
def test_a_field_the_player_does_not_play_refuses_the_definition_by_state_and_field(field: str, value: object) -> None:
    definition = workflow(**{"Reset every user": distributed_map(**{field: value}), "Summarize the run": SUMMARIZE})

    with pytest.raises(NotPlayableError, match=f"^Reset every user: {field} is not played locally$"):
        split(definition, MACHINE)


def test_a_map_without_result_writer_is_refused_by_name() -> None:
    mapped = distributed_map()
    del mapped["ResultWriter"]

    with pytest.raises(NotPlayableError, match=r"^Reset every user: a map without ResultWriter"):
        split(workflow(**{"Reset every user": mapped, "Summarize the run": SUMMARIZE}), MACHINE)


def test_a_distributed_map_inside_a_parallel_is_refused_by_the_outer_states_name() -> None:
    parallel = {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "Nothing", "States": {"Nothing": {"Type": "Pass", "End": True}}},
            {"StartAt": "Inner", "States": {"Inner": distributed_map(End=True, Next=None)}},
        ],
        "End": True,
    }

    with pytest.raises(NotPlayableError, match=r"^Fan out: a Distributed Map inside another state"):
        split(workflow(**{"Fan out": parallel}), MACHINE)


@pytest.mark.parametrize("processor_field", ["ItemProcessor", "Iterator"])
def test_a_distributed_map_inside_a_map_is_refused_by_the_outer_states_name(processor_field: str) -> None:
    outer = {
        "Type": "Map",
        processor_field: {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Inner",
            "States": {"Inner": distributed_map(End=True, Next=None)},
        },
        "End": True,
    }

    with pytest.raises(NotPlayableError, match=r"^Per tenant: a Distributed Map inside another state"):
        split(workflow(**{"Per tenant": outer}), MACHINE)


# child_definition


def test_a_childs_definition_is_the_item_processor_without_its_processor_config() -> None:
    state = distributed_map()

    child = child_definition(state)

    assert child == {"StartAt": "Reset batch", "States": PROCESSOR["States"]}
    assert state["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def test_a_childs_definition_is_read_from_the_older_iterator_field_too() -> None:
    state = distributed_map()
    state["Iterator"] = state.pop("ItemProcessor")

    assert child_definition(state) == {"StartAt": "Reset batch", "States": PROCESSOR["States"]}


# path_value

DOCUMENT = {"manifestKey": "manifests/r1.csv", "run": {"runId": "r1", "nested": {"deep": [1, 2]}}, "empty": None}
CONTEXT = {"Execution": {"Id": "arn:aws:states:eu-west-1:123456789012:execution:bulk-reset:r1", "Name": "r1"}}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DOCUMENT),
        ("$.manifestKey", "manifests/r1.csv"),
        ("$.run.runId", "r1"),
        ("$.run.nested.deep", [1, 2]),
        ("$.empty", None),
        ("$$.Execution.Name", "r1"),
        ("$$.Execution", CONTEXT["Execution"]),
        ("$$", CONTEXT),
    ],
)
def test_a_reference_path_reads_the_input_or_the_context_object(path: str, expected: object) -> None:
    assert path_value(path, DOCUMENT, CONTEXT) == expected


@pytest.mark.parametrize(
    "path",
    ["$.run.nested.deep[0]", "$..runId", "$.run..runId", "$.run.", "$.*", "$.run[?(@.x)]", "run.runId", "$run", ""],
)
def test_any_other_jsonpath_is_refused_not_guessed(path: str) -> None:
    with pytest.raises(NotPlayableError, match="is not played locally"):
        path_value(path, DOCUMENT, CONTEXT)


@pytest.mark.parametrize("path", ["$.missing", "$.run.missing", "$.manifestKey.length", "$$.Execution.StartTime"])
def test_a_path_that_is_not_there_is_a_key_error_naming_the_path(path: str) -> None:
    with pytest.raises(KeyError) as missing:
        path_value(path, DOCUMENT, CONTEXT)

    assert missing.value.args[0].startswith(f"{path}: not found")


# resolve_parameters


def test_parameters_take_path_values_for_keys_ending_in_dollar_and_keep_the_rest() -> None:
    template = {
        "Bucket": "bulk-bucket",
        "Key.$": "$.manifestKey",
        "Literal": "$.manifestKey",  # not a .$ key: a string like any other
        "Batch": {"defaults.$": "$.run", "size": 10, "flags": [True, None]},
        "List": [{"name.$": "$$.Execution.Name"}, "plain", 3],
    }

    assert resolve_parameters(template, DOCUMENT, CONTEXT) == {
        "Bucket": "bulk-bucket",
        "Key": "manifests/r1.csv",
        "Literal": "$.manifestKey",
        "Batch": {"defaults": DOCUMENT["run"], "size": 10, "flags": [True, None]},
        "List": [{"name": "r1"}, "plain", 3],
    }


@pytest.mark.parametrize("template", ["text", 7, None, True, []])
def test_a_template_without_objects_is_itself(template: object) -> None:
    assert resolve_parameters(template, DOCUMENT, CONTEXT) == template


def test_a_missing_path_in_parameters_names_the_path() -> None:
    with pytest.raises(KeyError, match="batchInput: not found"):
        resolve_parameters({"ItemBatcher": {"defaults.$": "$.batchInput"}}, DOCUMENT, CONTEXT)


# read_items

CSV_FIRST_ROW = {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}


def test_a_csv_row_is_an_object_of_strings_by_the_header_row() -> None:
    body = 'username,email,reason\nalice,,security_incident\n,bob@example.com,\n"smith, j",,"a ""quoted"" reason"\n'

    assert read_items(body, CSV_FIRST_ROW) == [
        {"username": "alice", "email": "", "reason": "security_incident"},
        {"username": "", "email": "bob@example.com", "reason": ""},
        {"username": "smith, j", "email": "", "reason": 'a "quoted" reason'},
    ]


def test_a_short_csv_row_is_padded_with_empty_strings() -> None:
    body = "username,email,reason\nalice\nbob,bob@example.com\n"

    assert read_items(body, CSV_FIRST_ROW) == [
        {"username": "alice", "email": "", "reason": ""},
        {"username": "bob", "email": "bob@example.com", "reason": ""},
    ]


def test_the_header_row_is_the_default_for_csv() -> None:
    assert read_items("username\nalice\n", {"InputType": "CSV"}) == [{"username": "alice"}]


def test_given_csv_headers_make_every_row_an_item() -> None:
    config = {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["username", "reason"]}

    assert read_items("alice,security_incident\nbob\n", config) == [
        {"username": "alice", "reason": "security_incident"},
        {"username": "bob", "reason": ""},
    ]


def test_a_csv_without_rows_has_no_items() -> None:
    assert read_items("", CSV_FIRST_ROW) == []
    assert read_items("username,email\n", CSV_FIRST_ROW) == []


def test_csv_line_endings_of_windows_are_read_as_line_ends() -> None:
    assert read_items("username,email\r\nalice,\r\n", CSV_FIRST_ROW) == [{"username": "alice", "email": ""}]


def test_a_json_lines_line_is_its_value_and_blank_lines_are_skipped() -> None:
    body = '{"username": "alice"}\n\n   \n{"email": "bob@example.com", "reason": "policy_rotation"}\n"junk"\n'

    assert read_items(body, {"InputType": "JSONL"}) == [
        {"username": "alice"},
        {"email": "bob@example.com", "reason": "policy_rotation"},
        "junk",  # handed to the map as it is: the reset function refuses it by its own rules
    ]


def test_a_json_array_is_its_elements() -> None:
    body = '[{"username": "alice"}, {"username": "bob"}]'

    assert read_items(body, {"InputType": "JSON"}) == [{"username": "alice"}, {"username": "bob"}]
    assert read_items(body, {}) == [{"username": "alice"}, {"username": "bob"}]  # JSON is ItemReader's default


@pytest.mark.parametrize(
    ("body", "config"),
    [
        ("username\na\nb\nc\n", {**CSV_FIRST_ROW, "MaxItems": 2}),
        ('{"username": "a"}\n{"username": "b"}\n{"username": "c"}\n', {"InputType": "JSONL", "MaxItems": 2}),
        ('[{"username": "a"}, {"username": "b"}, {"username": "c"}]', {"InputType": "JSON", "MaxItems": 2}),
    ],
)
def test_max_items_takes_the_first_items(body: str, config: dict[str, Any]) -> None:
    assert read_items(body, config) == [{"username": "a"}, {"username": "b"}]


def test_an_input_type_the_player_does_not_play_is_refused() -> None:
    with pytest.raises(NotPlayableError, match="MANIFEST"):
        read_items("", {"InputType": "MANIFEST"})


# select_items

# The bulk workflow's ItemSelector (infra/bulk_reset.py): each row with its position.
ROW_AND_POSITION = {f"{ITEM_INDEX}.$": "$$.Map.Item.Index", f"{ITEM_ROW}.$": "$$.Map.Item.Value"}


def test_item_selector_makes_each_item_from_the_item_and_its_position() -> None:
    items = [{"username": "alice", "email": ""}, {"username": "", "email": "bob@example.com"}, "junk"]

    selected = select_items(ROW_AND_POSITION, items, DOCUMENT, CONTEXT)

    assert selected == [
        {"index": 0, "row": {"username": "alice", "email": ""}},
        {"index": 1, "row": {"username": "", "email": "bob@example.com"}},
        {"index": 2, "row": "junk"},  # an item that is not an object is still an item
    ]
    # What the reset function and the run summary read back (contracts.bulk).
    assert [item_parts(item) for item in selected] == list(enumerate(items))


def test_item_selector_reads_the_maps_input_the_execution_and_the_items_fields_too() -> None:
    selector = {
        "user.$": "$$.Map.Item.Value.username",
        "run.$": "$.run.runId",
        "execution.$": "$$.Execution.Name",
        "kind": "reset",
    }

    selected = select_items(selector, [{"username": "alice"}], DOCUMENT, CONTEXT)

    assert selected == [{"user": "alice", "run": "r1", "execution": "r1", "kind": "reset"}]


def test_without_an_item_selector_the_items_are_as_read() -> None:
    items = [{"username": "alice"}]

    assert select_items(None, items, DOCUMENT, CONTEXT) == items


def test_selected_items_are_what_the_batches_carry() -> None:
    selected = select_items(ROW_AND_POSITION, [{"username": name} for name in "abc"], DOCUMENT, CONTEXT)
    definition = distributed_map(ItemSelector=ROW_AND_POSITION, ItemBatcher={"MaxItemsPerBatch": 2})

    batches = MapRunPlayer._batches(definition, selected, DOCUMENT, CONTEXT)

    assert [batch.batch["Items"] for batch in batches] == [
        [{"index": 0, "row": {"username": "a"}}, {"index": 1, "row": {"username": "b"}}],
        [{"index": 2, "row": {"username": "c"}}],
    ]


def test_a_map_with_an_item_selector_is_played() -> None:
    mapped = distributed_map(ItemSelector=ROW_AND_POSITION)

    _, played = split(workflow(**{"Reset every user": mapped, "Summarize the run": SUMMARIZE}), MACHINE)

    assert played[f"{MACHINE}/Reset every user"]["ItemSelector"] == ROW_AND_POSITION


class _Object:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter names
        assert (Bucket, Key) == ("bulk-bucket", "manifests/r1.csv")
        return {"Body": io.BytesIO(self.body)}


class _OneObjectAws:
    """What the player reads the manifest with: an S3 client that has one object."""

    def __init__(self, body: bytes) -> None:
        self.s3 = _Object(body)

    def client(self, service: str) -> _Object:
        assert service == "s3"
        return self.s3


def test_a_manifest_saved_with_a_byte_order_mark_has_bom_free_headers() -> None:
    # Spreadsheet programs save "CSV UTF-8" with a BOM; the first header must still be `username`.
    body = "username,email\nalice,\n".encode("utf-8-sig")
    player = MapRunPlayer(aws=cast(LocalAws, _OneObjectAws(body)), states={}, runs=MapRuns())

    items = player._items(distributed_map(), {"manifestKey": "manifests/r1.csv"}, CONTEXT)

    assert items == [{"username": "alice", "email": ""}]


# MapRun.describe

MAP_RUN_ARN = "arn:aws:states:eu-west-1:123456789012:mapRun:bulk-reset/Reset every user:5b1c7f0e"
EXECUTION_ARN = "arn:aws:states:eu-west-1:123456789012:execution:bulk-reset:r1"


def map_run() -> MapRun:
    return MapRun(
        arn=MAP_RUN_ARN,
        execution_arn=EXECUTION_ARN,
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:bulk-reset-children",
        max_concurrency=4,
        tolerated_failure_percentage=5.0,
        start_date=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    )


def test_a_map_run_is_described_as_describe_map_run_answers() -> None:
    run = map_run()
    run.items.total, run.items.pending, run.items.running, run.items.succeeded = 25, 5, 10, 10
    run.executions.total, run.executions.pending, run.executions.running, run.executions.succeeded = 3, 1, 1, 1

    described = run.describe()

    assert described == {
        "mapRunArn": MAP_RUN_ARN,
        "executionArn": EXECUTION_ARN,
        "status": "RUNNING",
        "startDate": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        "maxConcurrency": 4,
        "toleratedFailurePercentage": 5.0,
        "toleratedFailureCount": 0,
        "itemCounts": {
            "pending": 5,
            "running": 10,
            "succeeded": 10,
            "failed": 0,
            "timedOut": 0,
            "aborted": 0,
            "total": 25,
            "resultsWritten": 0,
            "pendingRedrive": 0,
            "failuresNotRedrivable": 0,
        },
        "executionCounts": {
            "pending": 1,
            "running": 1,
            "succeeded": 1,
            "failed": 0,
            "timedOut": 0,
            "aborted": 0,
            "total": 3,
            "resultsWritten": 0,
            "pendingRedrive": 0,
            "failuresNotRedrivable": 0,
        },
        "redriveCount": 0,
    }


def test_a_stopped_map_run_says_when_it_stopped() -> None:
    run = map_run()
    run.status, run.stop_date = "SUCCEEDED", datetime(2026, 11, 23, 11, 0, tzinfo=UTC)

    described = run.describe()

    assert (described["status"], described["stopDate"]) == ("SUCCEEDED", datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    assert run.list_item()["stopDate"] == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def test_a_map_run_is_listed_by_its_execution() -> None:
    runs = MapRuns()
    run = map_run()
    runs.add(run)

    assert runs.of_execution(EXECUTION_ARN) == [run]
    assert runs.of_execution(EXECUTION_ARN + "-other") == []
    assert run.list_item() == {
        "executionArn": EXECUTION_ARN,
        "mapRunArn": MAP_RUN_ARN,
        "stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:bulk-reset-children",
        "startDate": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    }


# Stopping and redriving a map run (Step Functions Developer Guide, "Redriving Map Runs"; API Reference,
# "MapRunItemCounts"), the player's children run by an in-memory Step Functions.

PARENT = "arn:aws:states:eu-west-1:123456789012:execution:bulk-reset:r1"
CHILDREN = "arn:aws:states:eu-west-1:123456789012:stateMachine:bulk-reset-map-0"
HOLD = "HOLD"  # a child that runs until it is stopped


class _Children:
    """Step Functions for the player's children: each child ends as `outcome` says for its batch's first item."""

    def __init__(self, outcome: dict[str, str]) -> None:
        self.outcome = outcome
        self.status: dict[str, str] = {}
        self.started: list[str] = []  # the first user of each batch started
        self.redriven: list[str] = []
        self.stopped: list[str] = []
        self.lock = threading.Lock()

    def _first_user(self, arn: str) -> str:
        return arn.rsplit(":", 1)[-1]

    def _run(self, arn: str) -> None:
        result = self.outcome.get(self._first_user(arn), "SUCCEEDED")
        self.status[arn] = "RUNNING" if result == HOLD else result

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:  # noqa: N803
        first = json.loads(input)["Items"][0]["row"]["username"]
        arn = f"{stateMachineArn}:{first}"
        with self.lock:
            self.started.append(first)
            self._run(arn)
        return {"executionArn": arn}

    def redrive_execution(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803
        with self.lock:
            self.redriven.append(self._first_user(executionArn))
            self._run(executionArn)
        return {}

    def stop_execution(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803
        with self.lock:
            self.stopped.append(self._first_user(executionArn))
            if self.status[executionArn] == "RUNNING":
                self.status[executionArn] = "ABORTED"
        return {}

    def describe_execution(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803
        with self.lock:
            return {"executionArn": executionArn, "status": self.status[executionArn], "input": "{}"}


class _Bucket:
    def __init__(self, manifest: bytes) -> None:
        self.manifest = manifest
        self.written: dict[str, bytes] = {}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        return {"Body": io.BytesIO(self.manifest)}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:  # noqa: N803
        self.written[Key] = Body
        return {}


class _MapAws:
    def __init__(self, children: _Children, bucket: _Bucket) -> None:
        self.clients = {"stepfunctions": children, "s3": bucket}

    def client(self, service: str) -> Any:
        return self.clients[service]


def _player(outcome: dict[str, str], users: int, **map_fields: Any) -> tuple[MapRunPlayer, _Children, _Bucket]:
    manifest = ("username\n" + "".join(f"u{index:02d}\n" for index in range(users))).encode()
    children, bucket = _Children(outcome), _Bucket(manifest)
    definition = distributed_map(
        ItemSelector=ROW_AND_POSITION, ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"runId": "r1"}}, **map_fields
    )
    state = MapState(f"{MACHINE}/Reset", definition, CHILDREN)
    player = MapRunPlayer(aws=cast(LocalAws, _MapAws(children, bucket)), states={state.key: state}, runs=MapRuns())
    return player, children, bucket


def _play(player: MapRunPlayer) -> Any:
    return player({"mapState": f"{MACHINE}/Reset", "input": {"manifestKey": "m.csv"}, "executionArn": PARENT}, None)


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_stopped_parent_starts_no_child_after_the_stop_and_stops_its_running_standard_children() -> None:
    # 10 users in batches of 2, 2 at a time; the batches run until stopped.
    player, children, bucket = _player(dict.fromkeys((f"u{index:02d}" for index in range(10)), HOLD), 10,
                                       MaxConcurrency=2)  # fmt: skip
    with ThreadPoolExecutor(max_workers=1) as parent:
        played = parent.submit(_play, player)
        _wait_for(lambda: len(children.started) == 2)

        player.runs.stop(PARENT)  # StopExecution of the parent
        answer = played.result(timeout=10)

    (run,) = player.runs.of_execution(PARENT)
    assert (children.started, sorted(children.stopped)) == (["u00", "u02"], ["u00", "u02"])
    assert run.status == "ABORTED"
    assert run.stop_date is not None
    assert (run.items.aborted, run.items.pending, run.items.running, run.items.succeeded) == (4, 6, 0, 0)
    assert (run.executions.aborted, run.executions.pending) == (2, 3)
    # Not documented whether ResultWriter writes an aborted map run's results: nothing is written.
    assert bucket.written == {}
    assert answer["MapRunArn"] == run.arn


def test_a_parent_stopped_before_its_map_run_began_starts_no_child() -> None:
    player, children, _ = _player({}, 4, MaxConcurrency=2)
    player.runs.stop(PARENT)

    _play(player)

    (run,) = player.runs.of_execution(PARENT)
    assert (children.started, run.status, run.items.pending) == ([], "ABORTED", 4)


def test_more_failures_than_tolerated_stop_the_running_children_which_count_as_aborted() -> None:
    # The first batch fails at once (2 of 8 items: more than the 5 % tolerated); the second runs until stopped.
    player, children, bucket = _player({"u00": "FAILED", "u02": HOLD}, 8, MaxConcurrency=2)

    with pytest.raises(MapStateError) as failed:
        _play(player)

    (run,) = player.runs.of_execution(PARENT)
    assert failed.value.lambda_error_type == "States.ExceedToleratedFailureThreshold"
    assert (children.started, children.stopped) == (["u00", "u02"], ["u02"])
    assert (run.status, run.items.failed, run.items.aborted, run.items.pending) == ("FAILED", 2, 2, 4)
    assert any(key.endswith("PENDING_0.json") for key in bucket.written)


def test_a_redrive_reruns_only_the_unsuccessful_and_unstarted_children_of_the_same_map_run() -> None:
    player, children, bucket = _player({"u02": "FAILED"}, 8, MaxConcurrency=1)
    with pytest.raises(MapStateError):
        _play(player)
    (run,) = player.runs.of_execution(PARENT)
    assert (children.started, run.items.succeeded, run.items.failed, run.items.pending) == (["u00", "u02"], 2, 2, 4)
    children.outcome = {}  # the cause of the failure is fixed

    player.runs.redrive(PARENT)  # RedriveExecution of the parent
    answer = _play(player)

    assert player.runs.of_execution(PARENT) == [run]  # the same map run, not a new one
    assert children.redriven == ["u02"]  # the failed Standard child is redriven (same ARN)
    assert children.started == ["u00", "u02", "u04", "u06"]  # the ones never started are started; u00 is kept
    assert (run.status, run.redrive_count, run.items.succeeded, run.items.failed) == ("SUCCEEDED", 1, 8, 0)
    assert (run.items.pendingRedrive, run.items.pending, run.executions.succeeded) == (0, 0, 4)
    assert run.describe()["redriveCount"] == 1
    assert "redriveDate" in run.describe()
    assert answer["MapRunArn"] == run.arn
    succeeded = bucket.written[f"results/{run.run_id}/SUCCEEDED_0.json"].decode().splitlines()
    assert len(succeeded) == 4


def test_a_map_run_redriven_more_than_the_limit_fails_with_states_runtime() -> None:
    player, _, _ = _player({"u00": "FAILED"}, 2)
    with pytest.raises(MapStateError):
        _play(player)
    (run,) = player.runs.of_execution(PARENT)
    run.redrive_count = MAX_MAP_RUN_REDRIVES

    player.runs.redrive(PARENT)
    with pytest.raises(MapStateError) as refused:
        _play(player)

    assert refused.value.lambda_error_type == "States.Runtime"


def test_a_retry_of_the_map_state_without_a_redrive_starts_a_new_map_run() -> None:
    player, _, _ = _player({"u00": "FAILED"}, 2)
    with pytest.raises(MapStateError):
        _play(player)

    with pytest.raises(MapStateError):
        _play(player)

    assert len(player.runs.of_execution(PARENT)) == 2


def test_begin_redrive_counts_the_unsuccessful_children_as_pending_redrive() -> None:
    run = map_run()
    run.batches = [_Child(index, {}, 10) for index in range(4)]
    run.finished = {
        0: {"status": "SUCCEEDED"},
        1: {"status": "FAILED"},
        2: {"status": "ABORTED"},
    }
    run.items.total, run.items.succeeded, run.items.failed, run.items.aborted, run.items.pending = 40, 10, 10, 10, 10
    run.status = "FAILED"

    run.begin_redrive(datetime(2026, 11, 24, tzinfo=UTC))

    assert [child.index for child in run.unsuccessful()] == [1, 2]
    assert (run.items.pendingRedrive, run.items.failed, run.items.aborted, run.items.pending) == (20, 0, 0, 10)
    assert (run.status, run.redrive_count, run.redrive_date) == ("RUNNING", 1, datetime(2026, 11, 24, tzinfo=UTC))
    assert run.stop_date is None


# The Map state's own errors reach the execution under their ASL names (Amazon States Language, "Error names").


@pytest.mark.parametrize("name", sorted(MAP_RUN_ERRORS))
def test_the_map_states_own_errors_keep_their_states_names(name: str) -> None:
    with map_runs_answered(MapRuns()):
        error_name = MAP_STATE_ERROR_NAMES.original()(name)  # what moto's lambda:invoke task names the error

    assert error_name.error_name == name
