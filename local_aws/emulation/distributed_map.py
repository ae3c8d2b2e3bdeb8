"""Step Functions Distributed Map, played from the synthesized definition: what moto's interpreter lacks (ItemBatcher,
ResultWriter, map runs), done the way the Step Functions Developer Guide describes it, and nothing hand-copied from
the stack.

At provisioning, a state machine with a top-level Distributed Map state is split (`split`): each map state's
ItemProcessor becomes a state machine of its own in moto, and the map state itself becomes a Task that invokes the
player (a local function, run in-process like the product's). Everything else in the definition (Choice, Pass,
intrinsic functions, the summary task, Retry and Catch) stays moto's.

The player (`MapRunPlayer`) reads the manifest as ItemReader says (CSV with its header row or given headers, JSON
Lines, a JSON array), makes each item what ItemSelector says (its template resolved per item, `$$.Map.Item.Index` and
`$$.Map.Item.Value` in the context object), batches them as ItemBatcher says (MaxItemsPerBatch, BatchInput), runs one
child execution per batch through moto's interpreter, at most MaxConcurrency at a time, stops once more than
ToleratedFailurePercentage of the items failed (`States.ExceedToleratedFailureThreshold`), and writes ResultWriter's
layout (Developer Guide, "ResultWriter (Map)"): `<Prefix>/<map run id>/manifest.json` listing `SUCCEEDED_n`,
`FAILED_n`, `PENDING_n` files, in the WriterConfig's OutputType. The Map state's output is `{"MapRunArn",
"ResultWriterDetails": {"Bucket", "Key"}}`. ListMapRuns and DescribeMapRun answer from the player's map runs (their
item and execution counts, live).

StopExecution of the parent stops its map run (Step Functions Developer Guide, "Redriving Map Runs": a Map Run goes on
after its parent stopped only to cancel its in-progress Standard child executions, or to wait for its Express ones to
complete): no child starts after the stop, running Standard children are stopped, and the map run ends ABORTED, its
children counted as DescribeMapRun defines the counts (API Reference, "MapRunItemCounts", "MapRunExecutionCounts": a
child stopped while it ran is aborted, one that never started is pending). The same happens to the running children
when more items failed than tolerated ("aborted": stopped by Step Functions because the Map Run failed). A redrive of
the parent (emulation/step_functions.py) redrives the same map run ("Redriving Map Runs"): its failed, aborted and
timed-out Standard children are redriven (RedriveExecution, same ARNs), the ones never started are started, the
succeeded ones are kept with their results, and its redriveCount goes up.

Not played: ItemsPath, ResultSelector, a map without ResultWriter, and a Distributed Map inside another state: a
definition that needs them is refused at provisioning, by name.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from botocore.exceptions import ClientError
from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import ResourceNotFound
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName

from contracts.workflow_errors import MAP_ITEMS_UNREADABLE, MAP_RESULTS_UNWRITABLE, MAP_TOLERANCE_EXCEEDED
from local_aws.emulation import moto_patches
from local_aws.emulation.lambda_runtime import LocalFunction
from local_aws.harness.server import ACCOUNT_ID, REGION, LocalAws

PLAYER_FUNCTION: Final = "local-distributed-map-player"
LAMBDA_INVOKE: Final = "arn:aws:states:::lambda:invoke"
# The Map state's own errors (Amazon States Language, "Error names"; Step Functions Developer Guide, "ItemReader (Map)",
# "ResultWriter (Map)"): more items failed than tolerated; the items could not be read; the results could not be
# written.
MAP_ERRORS: Final = frozenset({MAP_TOLERANCE_EXCEEDED, MAP_ITEMS_UNREADABLE, MAP_RESULTS_UNWRITABLE})
# More than this many redrives of one map run fail the Map state with States.Runtime (Developer Guide, "Redriving Map
# Runs", redrive eligibility).
MAX_MAP_RUN_REDRIVES: Final = 1000
MAP_RUN_REDRIVES_EXCEEDED: Final = "States.Runtime"
MAP_RUN_ERRORS: Final = MAP_ERRORS | {MAP_RUN_REDRIVES_EXCEEDED}
# A child execution's status, and the DescribeMapRun count it falls under.
COUNT_OF_STATUS: Final = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut", "ABORTED": "aborted"}
STILL_RUNNING: Final = frozenset({"RUNNING", "PENDING_REDRIVE"})
# What the player plays of a Distributed Map state; any other field refuses the definition.
PLAYED_FIELDS: Final = frozenset(
    {
        "Type", "Comment", "ItemProcessor", "ItemReader", "ItemSelector", "ItemBatcher", "MaxConcurrency",
        "ToleratedFailurePercentage", "ToleratedFailureCount", "ResultWriter", "ResultPath", "InputPath", "OutputPath",
        "Next", "End", "Retry", "Catch", "Label",
    }
)  # fmt: skip
POLL_SECONDS: Final = 0.05


class NotPlayableError(ValueError):
    """The definition uses a part of Distributed Map the player does not play."""


@dataclass(frozen=True, slots=True)
class MapState:
    """One Distributed Map state of a provisioned state machine, and the state machine its children run."""

    key: str  # "<state machine name>/<state name>"
    definition: dict[str, Any]
    child_state_machine_arn: str

    @property
    def state_name(self) -> str:
        return self.key.split("/", 1)[1]


def _processor_config(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Map state's ProcessorConfig (in ItemProcessor, or the older Iterator); empty when it has none."""
    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
    return processor.get("ProcessorConfig", {})  # type: ignore[no-any-return]


def _is_distributed(state: Mapping[str, Any]) -> bool:
    return state.get("Type") == "Map" and _processor_config(state).get("Mode") == "DISTRIBUTED"


def child_execution_type(state: Mapping[str, Any]) -> str:
    """What a Distributed Map's children run as: STANDARD unless its ProcessorConfig says EXPRESS."""
    return str(_processor_config(state).get("ExecutionType", "STANDARD"))


def distributed_map_states(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in definition.get("States", {}).items() if _is_distributed(state)}


def split(definition: Mapping[str, Any], machine_name: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The definition with each top-level Distributed Map state replaced by a Task that invokes the player, and the
    map states by their key. Raises NotPlayableError for what the player does not play."""
    states = dict(definition.get("States", {}))
    maps = distributed_map_states(definition)
    for name, state in states.items():
        for inner in _nested_states(state):
            if _is_distributed(inner):
                raise NotPlayableError(f"{name}: a Distributed Map inside another state is not played locally")
    played: dict[str, dict[str, Any]] = {}
    for name, state in maps.items():
        unplayed = sorted(set(state) - PLAYED_FIELDS)
        if unplayed or "ResultWriter" not in state:
            missing = ", ".join(unplayed) or "a map without ResultWriter"
            raise NotPlayableError(f"{name}: {missing} is not played locally")
        key = f"{machine_name}/{name}"
        task = {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE,
            "Parameters": {
                "FunctionName": PLAYER_FUNCTION,
                "Payload": {"mapState": key, "input.$": "$", "executionArn.$": "$$.Execution.Id"},
            },
            "ResultSelector": {
                "MapRunArn.$": "$.Payload.MapRunArn",
                "ResultWriterDetails.$": "$.Payload.ResultWriterDetails",
            },
        }
        task |= {
            field: state[field] for field in ("InputPath", "ResultPath", "OutputPath", "Next", "End") if field in state
        }
        task |= {field: state[field] for field in ("Retry", "Catch") if field in state}
        states[name] = task
        played[key] = state
    return {**definition, "States": states}, played


def _nested_states(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for processor in (state.get("ItemProcessor"), state.get("Iterator")):
        if processor:
            yield from processor.get("States", {}).values()
    for branch in state.get("Branches", []):
        yield from branch.get("States", {}).values()


def child_definition(state: Mapping[str, Any]) -> dict[str, Any]:
    processor = dict(state.get("ItemProcessor") or state["Iterator"])
    processor.pop("ProcessorConfig", None)
    return processor


def path_value(path: str, document: Any, context: Mapping[str, Any]) -> Any:
    """A reference path (`$`, `$.a.b`, `$$.Execution.Name`): the dotted subset of JSONPath that ASL's Parameters use
    here. Anything else is refused, not guessed."""
    root, rest = (context, path[2:]) if path.startswith("$$") else (document, path[1:])
    parts = rest[1:].split(".") if rest else []
    # An empty part is JSONPath's recursive descent (`$..a`) or a stray dot: refused, not read as `$.a`.
    malformed = (rest and not rest.startswith(".")) or "" in parts or any(c in rest for c in "[]*?@")
    if not path.startswith("$") or malformed:
        raise NotPlayableError(f"the path {path!r} is not played locally")
    value = root
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(f"{path}: not found in the state's input")
        value = value[part]
    return value


def resolve_parameters(template: Any, document: Any, context: Mapping[str, Any]) -> Any:
    """ASL Parameters: keys ending in `.$` take the value of their path."""
    if isinstance(template, Mapping):
        return {
            (key[:-2] if key.endswith(".$") else key): (
                path_value(value, document, context)
                if key.endswith(".$")
                else resolve_parameters(value, document, context)
            )
            for key, value in template.items()
        }
    if isinstance(template, list):
        return [resolve_parameters(item, document, context) for item in template]
    return template


def read_items(body: str, reader_config: Mapping[str, Any]) -> list[Any]:
    """The items ItemReader hands the map (Developer Guide, "ItemReader (Map)"): a CSV row is an object of strings by
    the header (empty cells are empty strings), a JSON Lines line is its value."""
    input_type = reader_config.get("InputType", "JSON")
    if input_type == "CSV":
        rows = list(csv.reader(io.StringIO(body)))
        if reader_config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
            headers = list(reader_config["CSVHeaders"])
        else:
            headers, rows = (rows[0], rows[1:]) if rows else ([], [])
        items: list[Any] = [dict(zip(headers, row + [""] * (len(headers) - len(row)), strict=False)) for row in rows]
    elif input_type == "JSONL":
        items = [json.loads(line) for line in body.splitlines() if line.strip()]
    elif input_type == "JSON":
        items = json.loads(body)
    else:
        raise NotPlayableError(f"ItemReader InputType {input_type} is not played locally")
    max_items = reader_config.get("MaxItems")
    return items[: int(max_items)] if max_items else items


def select_items(
    selector: Mapping[str, Any] | None, items: list[Any], document: Any, context: Mapping[str, Any]
) -> list[Any]:
    """Each item as ItemSelector makes it (Developer Guide, "ItemSelector (Map)"): its template resolved like
    Parameters, over the Map state's input, with the context object's `Map.Item.Index` (the item's 0-based position)
    and `Map.Item.Value` (the item as read) besides the execution's. Without an ItemSelector, the items as read."""
    if selector is None:
        return items
    return [
        resolve_parameters(selector, document, {**context, "Map": {"Item": {"Index": index, "Value": item}}})
        for index, item in enumerate(items)
    ]


@dataclass
class Counts:
    """DescribeMapRun's itemCounts or executionCounts (API Reference, "MapRunItemCounts")."""

    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    timedOut: int = 0  # noqa: N815 - DescribeMapRun's own field names
    aborted: int = 0
    total: int = 0
    resultsWritten: int = 0  # noqa: N815
    pendingRedrive: int = 0  # noqa: N815 - unsuccessful, waiting to be redriven
    failuresNotRedrivable: int = 0  # noqa: N815

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))

    def move(self, source: str, target: str, amount: int) -> None:
        setattr(self, source, getattr(self, source) - amount)
        setattr(self, target, getattr(self, target) + amount)


@dataclass(frozen=True)
class _Child:
    index: int
    batch: dict[str, Any]
    items: int


@dataclass
class MapRun:
    """One map run, as DescribeMapRun tells it, and what the player needs to stop or redrive it."""

    arn: str
    execution_arn: str
    state_machine_arn: str
    max_concurrency: int
    tolerated_failure_percentage: float
    items: Counts = field(default_factory=Counts)
    executions: Counts = field(default_factory=Counts)
    status: str = "RUNNING"
    start_date: datetime = field(default_factory=lambda: datetime.now(UTC))
    stop_date: datetime | None = None
    map_state: str = ""  # the MapState key
    redrive_count: int = 0
    redrive_date: datetime | None = None
    batches: list[_Child] = field(default_factory=list)
    # Each child execution as last described (its status, input, output), by batch: kept across redrives.
    finished: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The execution ARN of each child started or redriven in the current attempt, by batch.
    child_arns: dict[int, str] = field(default_factory=dict)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    redrive_requested: bool = False

    @property
    def run_id(self) -> str:
        return self.arn.rsplit(":", 1)[-1]

    def describe(self) -> dict[str, Any]:
        described = {
            "mapRunArn": self.arn,
            "executionArn": self.execution_arn,
            "status": self.status,
            "startDate": self.start_date,
            "maxConcurrency": self.max_concurrency,
            "toleratedFailurePercentage": self.tolerated_failure_percentage,
            "toleratedFailureCount": 0,
            "itemCounts": self.items.as_dict(),
            "executionCounts": self.executions.as_dict(),
            "redriveCount": self.redrive_count,
        }
        described |= {"stopDate": self.stop_date} if self.stop_date else {}
        return described | ({"redriveDate": self.redrive_date} if self.redrive_date else {})

    def list_item(self) -> dict[str, Any]:
        item = {"executionArn": self.execution_arn, "mapRunArn": self.arn, "stateMachineArn": self.state_machine_arn}
        return item | {"startDate": self.start_date} | ({"stopDate": self.stop_date} if self.stop_date else {})

    def unsuccessful(self) -> list[_Child]:
        """The batches whose child failed, timed out or was aborted: what a redrive redrives."""
        return [
            child
            for child in self.batches
            if self.finished.get(child.index, {}).get("status", "SUCCEEDED") != "SUCCEEDED"
        ]

    def begin_redrive(self, now: datetime) -> None:
        """The map run again RUNNING, its unsuccessful children counted as waiting to be redriven (API Reference,
        "MapRunItemCounts": pendingRedrive); the children never started stay pending."""
        for child in self.unsuccessful():
            source = COUNT_OF_STATUS[self.finished[child.index]["status"]]
            self.items.move(source, "pendingRedrive", child.items)
            self.executions.move(source, "pendingRedrive", 1)
        self.status, self.stop_date, self.redrive_date = "RUNNING", None, now
        self.redrive_count += 1
        self.child_arns.clear()
        self.stop_requested.clear()


@dataclass
class MapRuns:
    """Every map run the player started, for ListMapRuns and DescribeMapRun, and the parent executions stopped or
    redriven (by emulation/step_functions.py)."""

    runs: dict[str, MapRun] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopped: set[str] = field(default_factory=set)  # parent executions stopped (and not redriven since)

    def add(self, run: MapRun) -> None:
        with self.lock:
            self.runs[run.arn] = run
            if run.execution_arn in self.stopped:  # stopped while its items were being read
                run.stop_requested.set()

    def of_execution(self, execution_arn: str) -> list[MapRun]:
        with self.lock:
            return [run for run in self.runs.values() if run.execution_arn == execution_arn]

    def stop(self, execution_arn: str) -> None:
        """The parent execution was stopped: its running map runs stop."""
        with self.lock:
            self.stopped.add(execution_arn)
            for run in self.runs.values():
                if run.execution_arn == execution_arn and run.status == "RUNNING":
                    run.stop_requested.set()

    def redrive(self, execution_arn: str) -> None:
        """The parent execution is redriven: its unsuccessful map runs are redriven when its Map state runs again."""
        with self.lock:
            self.stopped.discard(execution_arn)
            for run in self.runs.values():
                if run.execution_arn == execution_arn and run.status in {"FAILED", "ABORTED"}:
                    run.redrive_requested = True

    def take_redrive(self, execution_arn: str, map_state: str) -> MapRun | None:
        with self.lock:
            for run in self.runs.values():
                if (run.execution_arn, run.map_state) == (execution_arn, map_state) and run.redrive_requested:
                    run.redrive_requested = False
                    return run
        return None


@dataclass
class MapRunPlayer:
    """The player function's handler: one invocation plays one map run (or one redrive of it) to its end."""

    aws: LocalAws
    states: dict[str, MapState]
    runs: MapRuns
    # The S3 client Step Functions reads the items and writes the results with (a test hands in one that fails).
    s3: Callable[[], Any] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def _s3(self) -> Any:
        return self.s3() if self.s3 is not None else self.aws.client("s3")

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        state = self.states[event["mapState"]]
        definition, document, execution_arn = state.definition, event["input"], event["executionArn"]
        context_object = {"Execution": {"Id": execution_arn, "Name": execution_arn.rsplit(":", 1)[-1]}}
        run = self.runs.take_redrive(execution_arn, state.key)
        if run is None:
            run = self._new_run(state, document, execution_arn, context_object)
        elif run.redrive_count >= MAX_MAP_RUN_REDRIVES:
            raise MapStateError(MAP_RUN_REDRIVES_EXCEEDED, f"map run {run.arn} was redriven {run.redrive_count} times")
        else:
            with self.runs.lock:
                run.begin_redrive(self.clock())
        self._run_children(run, standard_children=child_execution_type(definition) == "STANDARD")
        if run.stop_requested.is_set():
            with self.runs.lock:
                run.status, run.stop_date = "ABORTED", self.clock()
            # Whether ResultWriter writes the results of a map run aborted by StopExecution is not documented, so
            # nothing is written: what did not run is told by DescribeMapRun's counts (aborted, pending) and the
            # child executions. The parent is stopped: moto's interpreter discards this answer; it only has the
            # Map state's shape, so that nothing in the stopped parent fails after its stop.
            return {"MapRunArn": run.arn, "ResultWriterDetails": None}
        details = self._write_results(definition, document, context_object, run)
        run.stop_date = self.clock()
        if self._exceeded(run):
            run.status = "FAILED"
            raise MapStateError(MAP_TOLERANCE_EXCEEDED, f"{run.items.failed} of {run.items.total} items failed")
        run.status = "SUCCEEDED"
        return {"MapRunArn": run.arn, "ResultWriterDetails": details}

    def _new_run(self, state: MapState, document: Any, execution_arn: str, context: Mapping[str, Any]) -> MapRun:
        definition = state.definition
        items = select_items(
            definition.get("ItemSelector"), self._items(definition, document, context), document, context
        )
        batches = self._batches(definition, items, document, context)
        machine = execution_arn.split(":execution:", 1)[1].rsplit(":", 1)[0]
        run = MapRun(
            arn=f"arn:aws:states:{REGION}:{ACCOUNT_ID}:mapRun:{machine}/{state.state_name}:{uuid.uuid4()}",
            execution_arn=execution_arn,
            state_machine_arn=state.child_state_machine_arn,
            max_concurrency=int(definition.get("MaxConcurrency", 0)),
            tolerated_failure_percentage=float(definition.get("ToleratedFailurePercentage", 0)),
            start_date=self.clock(),
            map_state=state.key,
            batches=batches,
        )
        run.items.total = run.items.pending = len(items)
        run.executions.total = run.executions.pending = len(batches)
        self.runs.add(run)
        return run

    def _items(self, definition: Mapping[str, Any], document: Any, context: Mapping[str, Any]) -> list[Any]:
        reader = definition["ItemReader"]
        if reader.get("Resource", "").rsplit(":", 1)[-1] != "getObject":
            raise NotPlayableError(f"ItemReader {reader.get('Resource')} is not played locally")
        location = resolve_parameters(reader["Parameters"], document, context)
        try:
            body = self._s3().get_object(Bucket=location["Bucket"], Key=location["Key"])["Body"].read()
        except ClientError as error:
            raise MapStateError(MAP_ITEMS_UNREADABLE, f"the items could not be read: {_code(error)}") from error
        return read_items(body.decode("utf-8-sig"), reader.get("ReaderConfig", {}))

    @staticmethod
    def _batches(
        definition: Mapping[str, Any], items: list[Any], document: Any, context: Mapping[str, Any]
    ) -> list[_Child]:
        batcher = definition.get("ItemBatcher")
        if batcher is None:
            return [_Child(index, item, 1) for index, item in enumerate(items)]
        size = int(batcher.get("MaxItemsPerBatch", len(items) or 1))
        batch_input = resolve_parameters(batcher.get("BatchInput", {}), document, context)
        return [
            _Child(
                index,
                {"Items": items[start : start + size], "BatchInput": batch_input},
                len(items[start : start + size]),
            )
            for index, start in enumerate(range(0, len(items), size))
        ]

    def _exceeded(self, run: MapRun) -> bool:
        return run.items.total > 0 and run.items.failed * 100 > run.tolerated_failure_percentage * run.items.total

    def _stopping(self, run: MapRun) -> bool:
        return run.stop_requested.is_set() or self._exceeded(run)

    def _run_children(self, run: MapRun, *, standard_children: bool) -> None:
        """Every batch not yet succeeded as a child execution, at most MaxConcurrency at a time (0: no limit but the
        batches'). Once the parent is stopped or more items failed than tolerated, no child starts, and running
        Standard children are stopped (an Express one runs to its end)."""
        workers = run.max_concurrency or max(1, len(run.batches))
        to_run = iter(run.unsuccessful() + [child for child in run.batches if child.index not in run.finished])
        stopped: set[int] = set()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="map-run") as pool:
            running: dict[Future[dict[str, Any]], _Child] = {}
            while True:
                while len(running) < workers and not self._stopping(run):
                    child = next(to_run, None)
                    if child is None:
                        break
                    redriven = child.index in run.finished
                    self._move(run, child, "pendingRedrive" if redriven else "pending", "running")
                    running[pool.submit(self._run_child, run, child, redriven=redriven)] = child
                if not running:
                    break
                if self._stopping(run) and standard_children:
                    stopped |= self._stop_children(run, running.values(), stopped)
                done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for future in done:
                    child = running.pop(future)
                    described = future.result()
                    with self.runs.lock:
                        run.finished[child.index] = described
                    self._move(run, child, "running", COUNT_OF_STATUS[described["status"]])

    def _stop_children(self, run: MapRun, children: Iterable[_Child], stopped: set[int]) -> set[int]:
        sfn = self.aws.client("stepfunctions")
        with self.runs.lock:
            arns = {child.index: run.child_arns.get(child.index) for child in children if child.index not in stopped}
        for arn in arns.values():
            if arn is not None:
                sfn.stop_execution(executionArn=arn)
        return {index for index, arn in arns.items() if arn is not None}

    def _move(self, run: MapRun, child: _Child, source: str, target: str) -> None:
        with self.runs.lock:
            run.items.move(source, target, child.items)
            run.executions.move(source, target, 1)

    def _run_child(self, run: MapRun, child: _Child, *, redriven: bool) -> dict[str, Any]:
        """The batch's child execution to its end: started, or for a redrive of the map run, redriven (a Standard
        child keeps its ARN; Developer Guide, "Redriving Map Runs")."""
        sfn = self.aws.client("stepfunctions")
        if redriven:
            arn = str(run.finished[child.index]["executionArn"])
            sfn.redrive_execution(executionArn=arn)
        else:
            name = f"{run.run_id[:8]}-{child.index}"
            arn = sfn.start_execution(stateMachineArn=run.state_machine_arn, name=name, input=json.dumps(child.batch))[
                "executionArn"
            ]
        with self.runs.lock:
            run.child_arns[child.index] = arn
        while True:
            described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
            if described["status"] not in STILL_RUNNING:
                return described
            time.sleep(POLL_SECONDS)

    def _write_results(
        self, definition: Mapping[str, Any], document: Any, context: Mapping[str, Any], run: MapRun
    ) -> dict[str, str]:
        writer = definition["ResultWriter"]
        location = resolve_parameters(writer.get("Parameters", {}), document, context)
        bucket, prefix = location["Bucket"], location.get("Prefix", "").strip("/")
        folder = f"{prefix}/{run.run_id}" if prefix else run.run_id
        as_lines = writer.get("WriterConfig", {}).get("OutputType", "JSON") == "JSONL"
        by_status: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
        for child in run.batches:
            described = run.finished.get(child.index)
            if described is None:
                by_status["PENDING"].append({"Input": json.dumps(child.batch), "InputDetails": {"Included": True}})
                continue
            by_status["SUCCEEDED" if described["status"] == "SUCCEEDED" else "FAILED"].append(_result_entry(described))
        s3 = self._s3()
        files: dict[str, list[dict[str, Any]]] = {}
        try:
            for status, entries in by_status.items():
                files[status] = []
                if not entries:
                    continue
                body = "".join(json.dumps(entry) + "\n" for entry in entries) if as_lines else json.dumps(entries)
                key = f"{folder}/{status}_0.json"
                s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
                files[status].append({"Key": key, "Size": len(body.encode())})
            run.items.resultsWritten = run.items.total
            manifest_key = f"{folder}/manifest.json"
            manifest = {"DestinationBucket": bucket, "MapRunArn": run.arn, "ResultFiles": files}
            s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
        except ClientError as error:
            raise MapStateError(MAP_RESULTS_UNWRITABLE, f"the results could not be written: {_code(error)}") from error
        return {"Bucket": bucket, "Key": manifest_key}


class MapStateError(Exception):
    """One of the Map state's own errors, under ASL's name (the errorType the Task's Retry and Catch and the execution
    see; moto_patches.MAP_STATE_ERROR_NAMES lets these names through)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.lambda_error_type = name


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "an S3 error"))


def _result_entry(described: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ExecutionArn": described["executionArn"],
        "Name": described.get("name"),
        "StateMachineArn": described.get("stateMachineArn"),
        "Status": described["status"],
        "Input": described.get("input", "{}"),
        "InputDetails": {"Included": True},
        "StartDate": _iso(described.get("startDate")),
        "StopDate": _iso(described.get("stopDate")),
        "RedriveCount": described.get("redriveCount", 0),
    }
    if described["status"] == "SUCCEEDED":
        entry |= {"Output": described.get("output", "null"), "OutputDetails": {"Included": True}}
    else:
        entry |= {"Error": described.get("error"), "Cause": described.get("cause")}
    return entry


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def player_function(player: MapRunPlayer) -> LocalFunction:
    """The player as a local function: one container per map run at a time, as long as a bulk run may last."""
    function = LocalFunction(
        name=PLAYER_FUNCTION, handler_path=f"{__name__}.{MapRunPlayer.__name__}", timeout_seconds=7 * 86_400.0
    )
    function.handler = player
    function.new_container = lambda: player
    return function


@contextmanager
def map_runs_answered(runs: MapRuns) -> Iterator[None]:
    """ListMapRuns and DescribeMapRun from the player's map runs (moto's own know only its interpreter's), and the Map
    state's errors under their ASL names."""
    original_list = moto_patches.LIST_MAP_RUNS.original()
    original_describe = moto_patches.DESCRIBE_MAP_RUN.original()

    def list_map_runs(response: Any) -> ActionResult:
        execution_arn = response._get_param("executionArn")
        played = runs.of_execution(execution_arn)
        if not played:
            return original_list(response)  # type: ignore[no-any-return]
        return ActionResult({"mapRuns": [run.list_item() for run in played]})

    def describe_map_run(response: Any) -> ActionResult:
        arn = response._get_param("mapRunArn")
        run = runs.runs.get(arn)
        if run is None:
            return original_describe(response)  # type: ignore[no-any-return]
        with runs.lock:
            return ActionResult(run.describe())

    original_list_executions = moto_patches.LIST_EXECUTIONS.original()

    def list_executions(response: Any) -> ActionResult:
        # API Reference, ListExecutions: with mapRunArn, the map run's child executions (statusFilter applies).
        arn = response._get_param("mapRunArn")
        if not arn:
            return original_list_executions(response)  # type: ignore[no-any-return]
        run = runs.runs.get(arn)
        if run is None:
            raise ResourceNotFound(arn)
        wanted = response._get_param("statusFilter")
        with runs.lock:
            children = [dict(described) for _, described in sorted(run.finished.items())]
        listed = [
            {
                key: child[key]
                for key in ("executionArn", "name", "stateMachineArn", "status", "startDate", "stopDate")
                if key in child
            }
            | {"mapRunArn": arn}
            for child in children
            if wanted is None or child.get("status") == wanted
        ]
        return ActionResult({"executions": listed})

    custom_error_name = moto_patches.MAP_STATE_ERROR_NAMES.original()

    def error_name(error_name: str | None) -> Any:
        if error_name in MAP_RUN_ERRORS:
            return StatesErrorName.from_name(error_name)
        return custom_error_name(error_name)

    with ExitStack() as stack:
        stack.enter_context(moto_patches.LIST_MAP_RUNS.applied(list_map_runs))
        stack.enter_context(moto_patches.DESCRIBE_MAP_RUN.applied(describe_map_run))
        stack.enter_context(moto_patches.LIST_EXECUTIONS.applied(list_executions))
        stack.enter_context(moto_patches.MAP_STATE_ERROR_NAMES.applied(error_name))
        yield
