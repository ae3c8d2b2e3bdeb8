"""The rows of a run an operator acts on: every row that failed, is unconfirmed, or was not finished, each with its line
in the operator's own file, its identifier as the row gave it, and why. What `status RUN --failed` lists, `stop`
reports, and `bulk --rerun RUN` runs again.

They come from the run's own records, never from a guess:

- a run that wrote its summary (it ended, or ended with rows unfinished): the summary object lists them
  (contracts.bulk.SUMMARY_OBJECT);
- a run without one (stopped, halted at the delivery limit, more failures than tolerated: its map failed before the
  summary): its child executions are read back (ListExecutions with the map run, DescribeExecution of each: a
  succeeded child's output holds its rows' results, an unfinished child's input holds its rows) and counted by the
  summary function's own code (run_summary.summary), with every manifest row no child took as not started;
- each row's line is mapped to the operator's file through the run's line map (contracts.bulk.SOURCE), which the CLI
  wrote when it normalised the file; a run started without one keeps the manifest's own lines.

This module names users (it reads the rows an operator must act on); nothing here logs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cognito_reset.manifest import line_lookup
from cognito_reset.runs import BulkWorkflow, Progress, RunSummary, parse_s3_uri
from cognito_reset.stack import OperatorError
from contracts.bulk import (
    DEFAULTS,
    ITEM_INDEX,
    ITEM_ROW,
    MANIFEST_KEY,
    SOURCE,
    SOURCE_LINES,
    is_csv,
    manifest_index,
)
from run_summary.summary import summarize

# The three kinds of rows, in the order they are listed.
FAILED: Final = "failed"
UNCONFIRMED: Final = "unconfirmed"
UNFINISHED: Final = "unfinished"
KINDS: Final = (FAILED, UNCONFIRMED, UNFINISHED)
_LISTS: Final = {FAILED: "failedRows", UNCONFIRMED: "unconfirmedRows", UNFINISHED: "unfinishedRows"}
IDENTIFIERS: Final = ("username", "email", "sub")
# Where the read-back summary of a run without one is "written" (in memory only).
_REPLAYED: Final = "replayed/manifest.json"
_CHILD_STATUSES: Final = {"SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED", "TIMED_OUT": "FAILED", "ABORTED": "FAILED"}


@dataclass(frozen=True, slots=True)
class RowToActOn:
    """One row the run did not reset: its line in the operator's file (None: unknown), its position in the run's
    manifest, the identifier as the row gave it, what came of it and why (the failure reason, or the unfinished
    batch's error)."""

    line: int | None
    index: int | None
    identifier: Mapping[str, str]
    outcome: str
    reason: str | None
    detail: str | None = None

    @property
    def named(self) -> str:
        """`email=ana@example.com`: how the row named its user."""
        return " ".join(f"{kind}={value}" for kind, value in self.identifier.items()) or "(no identifier)"

    def document(self) -> dict[str, Any]:
        return {
            "line": self.line,
            **{kind: self.identifier.get(kind) for kind in IDENTIFIERS if kind in self.identifier},
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class RunRows:
    """A run's rows to act on, and its counts as the summary (or the read-back) gives them."""

    run_id: str
    rows: tuple[RowToActOn, ...]
    counts: Mapping[str, Any] = field(default_factory=dict)
    from_summary: bool = True

    def of(self, outcome: str) -> list[RowToActOn]:
        return [row for row in self.rows if row.outcome == outcome]

    def counted_line(self) -> str:
        """`failed 2, unfinished 1`: the rows by kind, the kinds that have any."""
        return ", ".join(f"{kind} {len(self.of(kind)):,}" for kind in KINDS if self.of(kind)) or "none"

    def document(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "rows": [row.document() for row in self.rows],
            "counted": {kind: len(self.of(kind)) for kind in KINDS},
        }


class _MemoryStore:
    """The summary function's object store over what was read back: result files by key, the summary kept."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)
        self.written: dict[str, Any] | None = None

    def lines(self, bucket: str, key: str) -> Iterable[str]:
        return io.StringIO(self.files[key])

    def write(self, bucket: str, key: str, body: str) -> None:
        self.written = json.loads(body)


def run_rows(workflow: BulkWorkflow, run_id: str) -> RunRows:
    """The run's rows to act on, once it has ended (a running run is refused: its rows are still changing)."""
    progress = workflow.progress(run_id)
    if not progress.ended:
        raise OperatorError(
            f"run {run_id} is still {progress.status}: its rows are listed once it has ended (cognito-reset stop "
            f"{run_id} stops it)"
        )
    return rows_of(workflow, progress, workflow.summary(progress))


def rows_of(workflow: BulkWorkflow, progress: Progress, summary: RunSummary) -> RunRows:
    run_input = _input(progress)
    manifest_key = str(run_input.get(MANIFEST_KEY) or "")
    runs = _line_runs(workflow, progress)
    line_at = line_lookup(runs) if runs is not None else None
    if summary.summary_object:
        bucket, key = parse_s3_uri(summary.summary_object)
        listed = json.loads(workflow.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        from_summary = True
    else:
        listed = _read_back(workflow, progress, manifest_key)
        from_summary = False
    rows: list[RowToActOn] = []
    for outcome in KINDS:
        for row in listed.get(_LISTS[outcome]) or []:
            index = manifest_index(manifest_key, row["line"]) if isinstance(row.get("line"), int) else None
            line = line_at(index) if line_at is not None and index is not None else row.get("line")
            rows.append(
                RowToActOn(
                    line=line,
                    index=index,
                    identifier={k: str(v) for k, v in (row.get("identifier") or {}).items()},
                    outcome=outcome,
                    reason=row.get("reason") if outcome != UNFINISHED else row.get("error"),
                    detail=row.get("detail"),
                )
            )
    rows.sort(key=lambda row: (row.line is None, row.line or 0))
    counts = {name: listed[name] for name in ("rows", "users", "statuses", "reasons", "unfinished") if name in listed}
    return RunRows(progress.run_id, tuple(rows), counts, from_summary)


def manifest_rows(workflow: BulkWorkflow, progress: Progress) -> tuple[str, list[Any]]:
    """The run's manifest (its key, and its rows as the workflow's ItemReader reads them: JSON Lines objects, or a
    CSV's rows as header-to-cell objects)."""
    key = str(_input(progress).get(MANIFEST_KEY) or "")
    if not key:
        raise OperatorError(f"run {progress.run_id} names no manifest in its input")
    body = workflow.s3.get_object(Bucket=workflow.bucket, Key=key)["Body"].read().decode("utf-8")
    if is_csv(key):
        return key, list(csv.DictReader(io.StringIO(body, newline="")))
    return key, [json.loads(line) for line in body.split("\n") if line.strip()]


def run_defaults_of(progress: Progress) -> dict[str, Any]:
    """The run's defaults, as it was started with them."""
    defaults = _input(progress).get(DEFAULTS)
    return dict(defaults) if isinstance(defaults, Mapping) else {}


def source_of(progress: Progress) -> Mapping[str, Any]:
    """Where the run's manifest came from (contracts.bulk.SOURCE), as its input says; empty for a run started
    without."""
    source = _input(progress).get(SOURCE)
    return source if isinstance(source, Mapping) else {}


def _input(progress: Progress) -> Mapping[str, Any]:
    try:
        value = json.loads(progress.execution.get("input") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, Mapping) else {}


def _line_runs(workflow: BulkWorkflow, progress: Progress) -> list[list[int]] | None:
    key = source_of(progress).get(SOURCE_LINES)
    if not isinstance(key, str) or not key:
        return None
    runs = json.loads(workflow.s3.get_object(Bucket=workflow.bucket, Key=key)["Body"].read())
    return runs if isinstance(runs, list) else None


def _read_back(workflow: BulkWorkflow, progress: Progress, manifest_key: str) -> dict[str, Any]:
    """What the summary would list, from the run's child executions and its manifest."""
    files: dict[str, str] = {}
    listing: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    taken: set[int] = set()
    by_status: dict[str, list[str]] = {"SUCCEEDED": [], "FAILED": []}
    for child in _children(workflow, progress):
        status = _CHILD_STATUSES.get(child["status"])
        if status is None:  # still running: not counted (stop waits for none to run)
            continue
        described = workflow.sfn.describe_execution(executionArn=child["executionArn"])
        record: dict[str, Any] = {"Input": described.get("input") or "{}"}
        if status == "SUCCEEDED":
            record["Output"] = described.get("output") or "{}"
        else:
            record["Error"] = described.get("error") or child["status"]
        by_status[status].append(json.dumps(record))
        for item in json.loads(record["Input"]).get("Items") or []:
            if isinstance(item, Mapping) and isinstance(item.get(ITEM_INDEX), int):
                taken.add(item[ITEM_INDEX])
    for status, records in by_status.items():
        if records:
            key = f"replayed/{status}_0.json"
            files[key] = "\n".join(records) + "\n"
            listing[status].append({"Key": key})
    _, rows = manifest_rows(workflow, progress) if manifest_key else ("", [])
    never = [{ITEM_INDEX: index, ITEM_ROW: row} for index, row in enumerate(rows) if index not in taken]
    if never:
        files["replayed/PENDING_0.json"] = json.dumps({"Input": json.dumps({"Items": never})}) + "\n"
        listing["PENDING"].append({"Key": "replayed/PENDING_0.json"})
    files[_REPLAYED] = json.dumps({"ResultFiles": listing})
    store = _MemoryStore(files)
    summarize(progress.run_id, workflow.bucket, _REPLAYED, store, manifest_key=manifest_key or None)
    return store.written or {}


def _children(workflow: BulkWorkflow, progress: Progress) -> Iterator[dict[str, Any]]:
    """Every child execution of the run's map run (none without one)."""
    if progress.map_run_arn is None:
        return
    parameters: dict[str, Any] = {"mapRunArn": progress.map_run_arn}
    while True:
        page = workflow.sfn.list_executions(**parameters)
        yield from page.get("executions", [])
        if not page.get("nextToken"):
            return
        parameters["nextToken"] = page["nextToken"]
