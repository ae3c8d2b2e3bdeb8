"""Lambda entry point of the run summary function: the bulk workflow's last step, after the Distributed Map.

Event: `{"runId": "<execution name>", "resultWriterDetails": {"Bucket": ..., "Key": ".../manifest.json"}}` (the Map
state's ResultWriterDetails). Returns the summary (contracts.bulk.SUMMARY_FIELDS), which becomes the execution's
output. Logs the counts only: never a user's identifier.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from contracts.environment import POWERTOOLS_SERVICE_NAME
from contracts.telemetry import RUN_SUMMARY_SERVICE
from run_summary.summary import ObjectStore, summarize

# The stack sets POWERTOOLS_SERVICE_NAME to the same name; this default names the service wherever it runs.
logger = Logger(service=os.environ.get(POWERTOOLS_SERVICE_NAME) or RUN_SUMMARY_SERVICE)


class S3Store:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    def lines(self, bucket: str, key: str) -> Iterator[str]:
        body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
        for line in body.iter_lines():
            yield line.decode("utf-8")

    def write(self, bucket: str, key: str, body: str) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")


def build_handler(store: Callable[[], ObjectStore]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @logger.inject_lambda_context(log_event=False)
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda passes it
        details = event["resultWriterDetails"]
        summary = summarize(str(event["runId"]), details["Bucket"], details["Key"], store())
        logger.info(
            "run summarized", extra={key: summary[key] for key in ("total", "statuses", "reasons", "unfinished")}
        )
        return summary

    return handle


lambda_handler = build_handler(cache(lambda: S3Store(boto3.client("s3"))))
