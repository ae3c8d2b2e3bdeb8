"""A bulk run as the operator handles it: started under its run id (the bulk workflow's execution name) with its
manifest in the bulk bucket, watched through its Map Run's item counts until it ends, summed up from its summary
(contracts.bulk: the execution's output, or for a run that ended with rows unfinished the summary object its failure
names), and redriven while Step Functions still can. Only the summary's counts are read: the rows it lists name users,
and stay in the bucket."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from botocore.exceptions import ClientError

from cognito_reset.stack import OperatorError
from contracts.bulk import (
    DEFAULTS,
    MANIFEST_KEY,
    MANIFEST_PREFIX,
    REDRIVE_WINDOW_DAYS,
    RERUN_OF,
    RESULTS_PREFIX,
    RUN_HALT_SECONDS,
    RUN_ID,
    RUN_UNFINISHED,
    SOURCE,
    SOURCE_EVIDENCE,
    SOURCE_FILE,
    SOURCE_LINES,
    STARTED_BY,
    SUMMARY_FIELDS,
)
from contracts.results import DELIVERY_LIMIT_REACHED_ERROR, RUN_STOPPED_ERROR, FailureReason, ResetStatus

RUN_ID_PREFIX: Final = "bulk"
RUNNING: Final = "RUNNING"
PENDING_REDRIVE: Final = "PENDING_REDRIVE"  # redriven, not running again yet
SUCCEEDED: Final = "SUCCEEDED"
POLL_SECONDS: Final = 1.0
FAILED: Final = "FAILED"
# How many of a map run's failed batches are read to tell a run halted at the delivery limit (every batch of a halted
# run fails with the same error, so the first few say it).
BATCHES_READ_FOR_THE_HALT: Final = 3
# Beside a run's manifest: the operator's original file (`manifests/<run>.original.csv`) and the line map.
ORIGINAL_INFIX: Final = ".original"
LINES_SUFFIX: Final = ".lines.json"


def new_run_id(now: datetime, random_hex: str) -> str:
    """`bulk-20261130T1200Z-3fa9`: when the run was started (UTC), and four hex digits so that two runs started in the
    same minute differ."""
    return f"{RUN_ID_PREFIX}-{now:%Y%m%dT%H%MZ}-{random_hex}"


def require_run_id(run_id: str) -> str:
    if not RUN_ID.fullmatch(run_id):
        raise OperatorError("a run id is 1-80 letters, digits, '-' or '_', starting with a letter or digit")
    return run_id


def execution_arn(state_machine_arn: str, run_id: str) -> str:
    """The run's execution: arn:<partition>:states:<region>:<account>:execution:<state machine name>:<run id>."""
    parts = state_machine_arn.split(":")
    if len(parts) != 7 or parts[2] != "states" or parts[5] != "stateMachine":
        raise OperatorError("the stack's bulk workflow output is not a state machine ARN")
    return ":".join([*parts[:5], "execution", parts[6], run_id])


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


@dataclass(frozen=True, slots=True)
class ManifestSource:
    """Where a run's manifest came from (contracts.bulk.SOURCE): the operator's file by name, its bytes to keep as the
    run's evidence (or the key of evidence kept already, for a rerun), the line of that file each manifest row came
    from (as [first line, rows] runs), and the run a rerun reruns."""

    file: str
    original: bytes | None = None
    original_suffix: str = ""
    evidence: str | None = None
    lines: list[list[int]] | None = None
    rerun_of: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run stands: its execution's status and its Map Run's item counts (one item is one manifest row)."""

    run_id: str
    execution_arn: str
    status: str
    total: int = 0
    succeeded: int = 0
    failed: int = 0  # items whose batch failed, timed out or was aborted after every retry: unfinished users
    pending: int = 0
    running: int = 0
    started: datetime | None = None
    stopped: datetime | None = None
    map_run_arn: str | None = None
    execution: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.succeeded + self.failed

    @property
    def ended(self) -> bool:
        return self.status not in {RUNNING, PENDING_REDRIVE}

    def rate(self, now: datetime) -> float | None:
        """Users done per second since the Map Run started."""
        if self.started is None or not self.done:
            return None
        seconds = ((self.stopped or now) - self.started).total_seconds()
        return self.done / seconds if seconds > 0 else None

    def line(self, now: datetime) -> str:
        rate = self.rate(now)
        parts = [f"run {self.run_id}: {self.status}, {self.done:,} of {self.total:,} users done"]
        parts.append(f"{self.failed:,} in failed batches")
        if rate:
            parts.append(f"{rate:,.1f} users/s")
            if not self.ended and self.total > self.done:
                parts.append(f"about {_duration((self.total - self.done) / rate)} left")
        return ", ".join(parts)

    def document(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "executionArn": self.execution_arn,
            "status": self.status,
            "progress": {
                "total": self.total,
                "done": self.done,
                "succeeded": self.succeeded,
                "failed": self.failed,
                "pending": self.pending,
                "running": self.running,
            },
        }


@dataclass(frozen=True, slots=True)
class RunSummary:
    """How a run ended: its summary's counts (contracts.bulk.SUMMARY_FIELDS), from the execution's output when it
    succeeded or from the summary object when it failed with RUN_UNFINISHED; otherwise its status, error and Map Run
    counts, since a failed execution has no output."""

    progress: Progress
    counts: Mapping[str, Any] | None
    # Stopped at the pool's delivery limit: the reset function halted the run (DeliveryLimitReached), nobody was
    # failed for it, and the unfinished users wait for the limit to roll over.
    halted: bool = False

    @classmethod
    def of(
        cls, progress: Progress, summary_object: Mapping[str, Any] | None = None, *, halted: bool = False
    ) -> RunSummary:
        """From the execution's output, or from `summary_object` (the run's summary.json) for a run without one: its
        counts only, never the rows it lists."""
        output = progress.execution.get("output")
        summary = json.loads(output) if progress.status == SUCCEEDED and output else summary_object
        if not isinstance(summary, Mapping):
            return cls(progress, None, halted)
        counts = {name: summary[name] for name in SUMMARY_FIELDS if name in summary}
        unfinished = counts.get("unfinished")
        at_the_limit = isinstance(unfinished, Mapping) and bool(unfinished.get(DELIVERY_LIMIT_REACHED_ERROR))
        return cls(progress, counts, halted or at_the_limit)

    @property
    def started_by(self) -> Mapping[str, Any]:
        """Who started the run, as its input says (contracts.bulk.STARTED_BY); empty for a run started without."""
        return started_by_of(self.progress)

    def listing(self) -> dict[str, Any]:
        """The run as `runs` lists it: id, who, when, status, counts."""
        started = self.progress.execution.get("startDate")
        return {
            "runId": self.progress.run_id,
            "startedBy": self.started_by.get("arn"),
            "startedAt": started.isoformat() if isinstance(started, datetime) else None,
            "status": self.progress.status,
            "haltedAtDeliveryLimit": self.halted,
            "users": (self.counts or {}).get("users"),
            "statuses": self.statuses,
            "unfinishedRows": self.unfinished_rows,
            "progress": {"done": self.progress.done, "total": self.progress.total},
        }

    @property
    def error(self) -> str | None:
        error = self.progress.execution.get("error")
        return str(error) if error else None

    @property
    def statuses(self) -> Mapping[str, int]:
        return dict((self.counts or {}).get("statuses") or {})

    @property
    def unfinished(self) -> Mapping[str, int]:
        return dict((self.counts or {}).get("unfinished") or {})

    @property
    def unfinished_rows(self) -> int:
        return sum(self.unfinished.values())

    @property
    def results(self) -> str | None:
        value = (self.counts or {}).get("results")
        return value if isinstance(value, str) else None

    @property
    def summary_object(self) -> str | None:
        value = (self.counts or {}).get("summary")
        return value if isinstance(value, str) else None

    @property
    def exit_code(self) -> int:
        """0: every user was reset, dry-run, or skipped as a duplicate; 1: some failed, are unconfirmed or are
        unfinished (or the run failed)."""
        if self.counts is None:
            return 1
        to_act_on = (ResetStatus.FAILED, ResetStatus.UNCONFIRMED)
        clean = not any(self.statuses.get(status) for status in to_act_on) and not self.unfinished_rows
        return 0 if clean and self.progress.status == SUCCEEDED else 1

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "runId": self.progress.run_id,
            "executionArn": self.progress.execution_arn,
            "status": self.progress.status,
        }
        document["haltedAtDeliveryLimit"] = self.halted
        document["startedBy"] = dict(self.started_by) or None
        if self.counts is not None:
            document |= {name: self.counts.get(name) for name in SUMMARY_FIELDS if name not in {"runId", STARTED_BY}}
            if self.error:
                document["error"] = self.error
        else:
            document |= {
                "error": self.progress.execution.get("error"),
                "cause": self.progress.execution.get("cause"),
                "progress": self.progress.document()["progress"],
            }
        return document

    def lines(self) -> list[str]:
        """Counts, and where the rows to act on are listed: never a user's identifier."""
        progress = self.progress
        if self.counts is None:
            lines = [f"run {progress.run_id}: {progress.status}"]
            lines += [line for line in (started_line(progress),) if line]
            lines.append(f"  {progress.done:,} of {progress.total:,} users done, {progress.failed:,} in failed batches")
            if self.error:
                lines.append(f"  error: {self.error}")
            if self.halted:
                lines.extend(self._halt_lines())
                return lines
            lines.append(f"  redrive it (within {REDRIVE_WINDOW_DAYS} days): cognito-reset redrive {progress.run_id}")
            return lines
        counts = self.counts
        lines = [f"run {progress.run_id}: {progress.status}" + (f" ({self.error})" if self.error else "")]
        lines += [line for line in (started_line(progress),) if line]
        rows, users = counts.get("rows", 0), counts.get("users", 0)
        lines.append(f"  {rows:,} rows, {users:,} users: {_counted(self.statuses) or 'none'}")
        duplicates = counts.get("duplicateRows") or 0
        if duplicates:
            lines.append(f"  {duplicates:,} duplicate rows (a user another row named: counted once, never reset twice)")
        reasons = dict(counts.get("reasons") or {})
        if reasons:
            lines.append(f"  failed because: {_counted(reasons)}")
        held = reasons.get(FailureReason.HELD_FOR_REVIEW)
        if held:
            lines.append(
                f"  {held:,} held for review (changed after --hold-modified-since; nothing was sent): verify their "
                f"e-mail and phone, then reset each by hand; `cognito-reset status {progress.run_id} --failed` lists "
                "them"
            )
        listed = f"listed in {self.summary_object}" if self.summary_object else "listed in the run's summary"
        unconfirmed = self.statuses.get(ResetStatus.UNCONFIRMED)
        if unconfirmed:
            lines.append(
                f"  {unconfirmed:,} unconfirmed (a fault hid whether Cognito sent their code; none was sent again): "
                f"{listed}"
            )
        if self.halted:
            lines.extend(self._halt_lines(unfinished_listed=True))
        if self.unfinished_rows:
            lines.append(
                f"  {self.unfinished_rows:,} rows unfinished (their batch failed: {_counted(self.unfinished)}): "
                f"{listed}; start a new run with them"
            )
        if self.results:
            lines.append(f"  results: {self.results}")
        if self.summary_object:
            lines.append(f"  summary: {self.summary_object}")
        return lines

    def _halt_lines(self, *, unfinished_listed: bool = False) -> list[str]:
        """What a run halted at the delivery limit means and how it continues: no user failed for the pool's limit,
        and nobody is sent a second code when it continues."""
        run_id = self.progress.run_id
        continues = (
            "start a new run with the unfinished rows it lists"
            if unfinished_listed
            else f"cognito-reset redrive {run_id} (within {REDRIVE_WINDOW_DAYS} days)"
        )
        return [
            "  stopped at the pool's delivery limit (DELIVERY_LIMIT_REACHED): the rest were not tried and nobody was "
            "failed for it",
            "  cognito-reset doctor shows what the pool can send today; once the limit has rolled over (Cognito's own "
            f"sender: 24 hours), {continues}: nobody it reset is sent a second code",
        ]


@dataclass(slots=True)
class BulkWorkflow:
    """The stack's bulk workflow and its bucket."""

    sfn: Any
    s3: Any
    state_machine_arn: str
    bucket: str

    def execution_arn(self, run_id: str) -> str:
        return execution_arn(self.state_machine_arn, require_run_id(run_id))

    def summary(self, progress: Progress) -> RunSummary:
        """How the run ended. A run that ended with rows unfinished failed with RUN_UNFINISHED, its cause the summary
        object's s3:// URI: its counts are read from there."""
        execution = progress.execution
        if progress.status == SUCCEEDED:
            return RunSummary.of(progress)
        if execution.get("error") != RUN_UNFINISHED:
            return RunSummary.of(progress, halted=self.halted_at_delivery_limit(progress))
        bucket, key = parse_s3_uri(str(execution.get("cause") or ""))
        return RunSummary.of(progress, json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()))

    def halted_at_delivery_limit(self, progress: Progress) -> bool:
        """Whether the run's map failed because its batches met the pool's delivery limit (DeliveryLimitReached): the
        map run's failed batches say (API Reference, ListExecutions with mapRunArn; DescribeExecution's error)."""
        if progress.map_run_arn is None or not progress.failed:
            return False
        failed = self.sfn.list_executions(
            mapRunArn=progress.map_run_arn, statusFilter=FAILED, maxResults=BATCHES_READ_FOR_THE_HALT
        ).get("executions", [])
        for batch in failed[:BATCHES_READ_FOR_THE_HALT]:
            if self.sfn.describe_execution(executionArn=batch["executionArn"]).get("error") == (
                DELIVERY_LIMIT_REACHED_ERROR
            ):
                return True
        return False

    def recent(self, limit: int) -> list[str]:
        """The run ids of the newest `limit` runs, newest first (ListExecutions lists them so)."""
        names: list[str] = []
        parameters: dict[str, Any] = {"stateMachineArn": self.state_machine_arn, "maxResults": min(limit, 1000)}
        while len(names) < limit:
            page = self.sfn.list_executions(**parameters)
            names += [str(execution["name"]) for execution in page.get("executions", [])]
            if not page.get("nextToken"):
                break
            parameters["nextToken"] = page["nextToken"]
        return names[:limit]

    def describe(self, run_id: str) -> dict[str, Any]:
        try:
            return dict(self.sfn.describe_execution(executionArn=self.execution_arn(run_id)))
        except ClientError as error:
            if _code(error) == "ExecutionDoesNotExist":
                raise OperatorError(f"no run {run_id} in the bulk workflow") from error
            raise

    def start(
        self,
        run_id: str,
        manifest: bytes,
        suffix: str,
        defaults: Mapping[str, Any],
        source: ManifestSource | None = None,
        *,
        started_by: Mapping[str, Any] | None = None,
    ) -> str:
        """Upload the manifest under the run's id (with what `source` keeps beside it) and start the run; returns the
        manifest's key. A run id already taken is refused before its manifest could be overwritten."""
        arn = self.execution_arn(run_id)
        try:
            self.sfn.describe_execution(executionArn=arn)
        except ClientError as error:
            if _code(error) != "ExecutionDoesNotExist":
                raise
        else:
            raise _taken(run_id)
        key = f"{MANIFEST_PREFIX}{run_id}{suffix}"
        run_input: dict[str, Any] = {MANIFEST_KEY: key, DEFAULTS: dict(defaults)}
        if source is not None:
            run_input[SOURCE] = self._keep(run_id, source)
        if started_by is not None:
            run_input[STARTED_BY] = dict(started_by)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=manifest)
        try:
            self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=run_id, input=json.dumps(run_input))
        except ClientError as error:
            if _code(error) == "ExecutionAlreadyExists":
                raise _taken(run_id) from error
            raise
        return key

    def _keep(self, run_id: str, source: ManifestSource) -> dict[str, Any]:
        """The operator's file (the run's evidence) and the line map, beside the manifest; what the input says of
        them."""
        kept: dict[str, Any] = {SOURCE_FILE: source.file}
        if source.original is not None:
            evidence = f"{MANIFEST_PREFIX}{run_id}{ORIGINAL_INFIX}{source.original_suffix}"
            self.s3.put_object(Bucket=self.bucket, Key=evidence, Body=source.original)
            kept[SOURCE_EVIDENCE] = evidence
        elif source.evidence is not None:
            kept[SOURCE_EVIDENCE] = source.evidence
        if source.lines is not None:
            lines = f"{MANIFEST_PREFIX}{run_id}{LINES_SUFFIX}"
            self.s3.put_object(Bucket=self.bucket, Key=lines, Body=json.dumps(source.lines).encode())
            kept[SOURCE_LINES] = lines
        if source.rerun_of is not None:
            kept[RERUN_OF] = source.rerun_of
        return kept

    def progress(self, run_id: str) -> Progress:
        execution = self.describe(run_id)
        arn = execution["executionArn"]
        map_runs = self.sfn.list_map_runs(executionArn=arn).get("mapRuns", [])
        base = Progress(run_id, arn, execution["status"], execution=execution, stopped=execution.get("stopDate"))
        if not map_runs:
            return base
        latest = max(map_runs, key=lambda run: run["startDate"])
        map_run = self.sfn.describe_map_run(mapRunArn=latest["mapRunArn"])
        items = map_run.get("itemCounts", {})
        return Progress(
            run_id,
            arn,
            execution["status"],
            total=items.get("total", 0),
            succeeded=items.get("succeeded", 0),
            failed=items.get("failed", 0) + items.get("timedOut", 0) + items.get("aborted", 0),
            pending=items.get("pending", 0),
            running=items.get("running", 0),
            started=map_run.get("startDate"),
            stopped=map_run.get("stopDate"),
            map_run_arn=latest["mapRunArn"],
            execution=execution,
        )

    def watch(
        self,
        run_id: str,
        show: Callable[[Progress], None],
        *,
        sleep: Callable[[float], None] = time.sleep,
        interval: float = POLL_SECONDS,
    ) -> Progress:
        """Poll the run until it ends, showing each reading; returns the last."""
        while True:
            progress = self.progress(run_id)
            show(progress)
            if progress.ended:
                return progress
            sleep(interval)

    def stop(self, run_id: str) -> None:
        """StopExecution: the run ends ABORTED, its map starts no other batch (its running batches are stopped too,
        though a batch's function invocation goes on until it reads the run's stop mark)."""
        self.sfn.stop_execution(
            executionArn=self.execution_arn(run_id),
            error=RUN_STOPPED_ERROR,
            cause="stopped by its operator (cognito-reset stop)",
        )

    def redrive(self, run_id: str, now: datetime, before: Callable[[], object] | None = None) -> None:
        """Redrive a failed, aborted or timed-out run: its unfinished users are tried again, none reset twice.
        `before` runs once the run is known to be redrivable, just before the redrive (the CLI lifts the run's stop
        mark there)."""
        execution = self.describe(run_id)
        status, stopped = execution["status"], execution.get("stopDate")
        if status in {RUNNING, PENDING_REDRIVE}:
            raise OperatorError(f"run {run_id} is still running: nothing to redrive yet")
        if status == SUCCEEDED:
            raise OperatorError(
                f"run {run_id} succeeded: nothing to redrive (a new --run-id starts a new run, which resets its "
                "users again)"
            )
        if execution.get("error") == RUN_UNFINISHED:
            # Step Functions redrives the states that did not finish (Step Functions Developer Guide, "Redriving Map
            # Runs"); the map did, so its failed batches would stay failed.
            raise OperatorError(
                f"run {run_id} ended with rows unfinished: a redrive would not run them again (the run's map "
                f"finished); they are listed in {execution.get('cause')}: start a new run with them"
            )
        if stopped is not None and now - stopped > timedelta(days=REDRIVE_WINDOW_DAYS):
            raise OperatorError(
                f"run {run_id} stopped {stopped:%Y-%m-%d %H:%M} UTC, more than {REDRIVE_WINDOW_DAYS} days ago: Step "
                "Functions no longer redrives it (a new --run-id starts a new run, which resets its users again)"
            )
        if stopped is not None and now - stopped < timedelta(seconds=RUN_HALT_SECONDS):
            progress = self.progress(run_id)
            if self.halted_at_delivery_limit(progress):
                raise OperatorError(
                    f"run {run_id} stopped at the pool's delivery limit at {stopped:%H:%M} UTC and stays halted until "
                    f"{stopped + timedelta(seconds=RUN_HALT_SECONDS):%H:%M} UTC: a redrive before then stops again at "
                    "once; redrive it once the limit has rolled over (cognito-reset doctor shows the pool's limit)"
                )
        if execution.get("redriveStatus") == "NOT_REDRIVABLE":
            reason = execution.get("redriveStatusReason") or "Step Functions says it is not redrivable"
            raise OperatorError(f"run {run_id} cannot be redriven: {reason}")
        if before is not None:
            before()
        try:
            self.sfn.redrive_execution(executionArn=execution["executionArn"])
        except ClientError as error:
            if _code(error) == "ExecutionNotRedrivable":
                message = error.response.get("Error", {}).get("Message", "")
                raise OperatorError(f"run {run_id} cannot be redriven: {message}") from error
            raise

    def results_folder(self, summary: RunSummary) -> tuple[str, str] | None:
        """Where ResultWriter wrote the run's results (bucket, folder ending in '/'): as the summary says, or, for a run
        without one (it failed), under the results prefix in the folder named after the Map Run."""
        if summary.results:
            bucket, folder = parse_s3_uri(summary.results)
            return bucket, folder.rstrip("/") + "/"
        if summary.progress.map_run_arn:
            return self.bucket, f"{RESULTS_PREFIX}/{summary.progress.map_run_arn.rsplit(':', 1)[-1]}/"
        return None


def started_by_of(progress: Progress) -> Mapping[str, Any]:
    """Who started the run, as its input says (contracts.bulk.STARTED_BY); empty for a run started without."""
    try:
        run_input = json.loads(progress.execution.get("input") or "{}")
    except ValueError:
        return {}
    by = run_input.get(STARTED_BY) if isinstance(run_input, Mapping) else None
    return by if isinstance(by, Mapping) else {}


def started_line(progress: Progress) -> str | None:
    """`  started by <arn> at <time> (cognito-reset <version>)`, when the run's input says."""
    by = started_by_of(progress)
    if not by.get("arn"):
        return None
    return f"  started by {by['arn']} at {by.get('at', '?')} (cognito-reset {by.get('cliVersion', '?')})"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise OperatorError("the run's summary names no S3 location")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def _taken(run_id: str) -> OperatorError:
    return OperatorError(
        f"run id {run_id} is taken: see it with `cognito-reset status {run_id}`; a new --run-id starts a new run on "
        "purpose (its users are reset again)"
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _counted(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()) if count)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
