"""Lambda entry point of the delivery events function: the target of the stack's rule for SES's `Email Delivered`,
`Email Bounced` and `Email Complaint Received` events on the default bus (contracts.delivery_events).

Event: an EventBridge event whose detail is SES's event record. Counts it into the runs whose resets sent the message
(counting.py) and logs the event's type and the counts per run: never an address, a message id or a subject. A
DynamoDB error is raised: Lambda retries the event (asynchronous invoke), and an event is counted once however often it
comes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any, Final

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from contracts.environment import IDEMPOTENCY_TABLE_NAME, POWERTOOLS_SERVICE_NAME
from contracts.telemetry import DELIVERY_EVENTS_SERVICE
from delivery_events.counting import CountsTable, DynamoDBCounts, count_event

logger = Logger(service=os.environ.get(POWERTOOLS_SERVICE_NAME) or DELIVERY_EVENTS_SERVICE)
# Throttling and transient DynamoDB errors, retried by botocore (standard mode) before Lambda retries the event.
DYNAMODB_RETRIES: Final = Config(retries={"mode": "standard", "total_max_attempts": 5})


def build_handler(table: Callable[[], CountsTable]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @logger.inject_lambda_context(log_event=False)
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda passes it
        detail = event.get("detail")
        tally = count_event(detail if isinstance(detail, dict) else {}, table())
        logger.info("delivery event counted", extra=tally.log_fields())
        return tally.log_fields()

    return handle


def counts_table() -> CountsTable:
    return DynamoDBCounts(os.environ[IDEMPOTENCY_TABLE_NAME], boto3.client("dynamodb", config=DYNAMODB_RETRIES))


lambda_handler = build_handler(cache(counts_table))
