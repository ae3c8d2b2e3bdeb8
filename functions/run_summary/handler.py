"""Lambda entry point of the run summary function: the bulk workflow's last step, after the Distributed Map.

Event: `{"runId": "<execution name>", "manifestKey": "manifests/<run id>.jsonl", "resultWriterDetails": {"Bucket":
..., "Key": ".../manifest.json"}, "runInput": {...}}` (the run's manifest, the Map state's ResultWriterDetails, and the
execution's input, which says who started the run). Returns the summary's counts (contracts.bulk.SUMMARY_FIELDS),
which become the execution's output, and puts the run's end on the stack's bus (contracts.events.BULK_RUN_FINISHED:
who, the run id, the counts). Logs the counts only: never a user's identifier.

S3 calls are retried by the client (botocore's standard mode, more attempts than its default); an S3 error that
outlasts them is raised, and the workflow's Retry runs the summary again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, Final, Protocol

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from contracts.bulk import MANIFEST_KEY, STARTED_BY
from contracts.environment import AUDIT_EVENT_BUS_NAME, POWERTOOLS_SERVICE_NAME
from contracts.events import AUDIT_SOURCE, BULK_RUN_FINISHED
from contracts.telemetry import RUN_SUMMARY_SERVICE
from run_summary.summary import ObjectStore, summarize

# The stack sets POWERTOOLS_SERVICE_NAME to the same name; this default names the service wherever it runs.
logger = Logger(service=os.environ.get(POWERTOOLS_SERVICE_NAME) or RUN_SUMMARY_SERVICE)
# Throttling (503 SlowDown) and transient S3 errors, retried with backoff by botocore (Boto3 documentation, "Retries":
# standard mode): 10 attempts in all instead of its default 3, before the error reaches the workflow's Retry.
S3_RETRIES: Final = Config(retries={"mode": "standard", "total_max_attempts": 10})
# What the log line says: the counts, never the run's names or locations.
LOGGED: Final = ("rows", "users", "statuses", "reasons", "duplicateRows", "unfinished", "complete")


class S3Store:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    def lines(self, bucket: str, key: str) -> Iterator[str]:
        body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
        for line in body.iter_lines():
            yield line.decode("utf-8")

    def write(self, bucket: str, key: str, body: str) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")


class AuditBus(Protocol):
    def put(self, entry: dict[str, Any]) -> None: ...


class EventBridgeBus:
    """The stack's bus (AUDIT_EVENT_BUS_NAME); without one, nothing is put."""

    def __init__(self, client: Any, bus_name: str | None) -> None:
        self._events, self._bus = client, bus_name

    def put(self, entry: dict[str, Any]) -> None:
        if not self._bus:
            return
        answer = self._events.put_events(Entries=[entry | {"EventBusName": self._bus}])
        if answer.get("FailedEntryCount"):
            raise RuntimeError(str(answer["Entries"][0].get("ErrorCode", "refused")))


def environment_bus() -> AuditBus:
    """The bus the function's environment names, through a new client (each call: no endpoint outlives its test)."""
    return EventBridgeBus(boto3.client("events"), os.environ.get(AUDIT_EVENT_BUS_NAME))


def build_handler(
    store: Callable[[], ObjectStore], bus: Callable[[], AuditBus] = environment_bus
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @logger.inject_lambda_context(log_event=False)
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda passes it
        details = event["resultWriterDetails"]
        manifest_key = event.get(MANIFEST_KEY)
        run_input = event.get("runInput")
        by = run_input.get(STARTED_BY) if isinstance(run_input, dict) else None
        summary = summarize(
            str(event["runId"]),
            details["Bucket"],
            details["Key"],
            store(),
            manifest_key=manifest_key if isinstance(manifest_key, str) else None,
            started_by=by if isinstance(by, dict) else None,
        )
        logger.info("run summarized", extra={key: summary[key] for key in LOGGED})
        finished = {key: summary[key] for key in (*LOGGED, "runId")} | {"by": summary[STARTED_BY]}
        try:
            bus().put({"Source": AUDIT_SOURCE, "DetailType": BULK_RUN_FINISHED, "Detail": json.dumps(finished)})
        except Exception as error:  # noqa: BLE001 - the summary stands whatever happens to its audit event
            logger.warning("the run's audit event was not published", extra={"error_type": type(error).__name__})
        return summary

    return handle


def s3_client() -> Any:
    return boto3.client("s3", config=S3_RETRIES)


lambda_handler = build_handler(cache(lambda: S3Store(s3_client())), cache(environment_bus))
