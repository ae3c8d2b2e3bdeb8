"""The failed-request queue, as the reset function writes to it: a request it refused on purpose and a person must
decide on (the storm cap's RESET_CAP_REACHED), beside the requests Lambda and EventBridge put there.

The message is shaped as Lambda's own record for an asynchronous invocation's on-failure destination (Lambda Developer
Guide, "Capturing records of Lambda asynchronous invocations": `requestContext`, `requestPayload`, `responseContext`,
`responsePayload`), so one reader handles both; its `requestContext.condition` names why it is there. The queue is
encrypted and holds requests as they came (identifiers included), as Lambda's records do; nothing is logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from reset_password.outcomes import ResetResult


class FailedRequests(Protocol):
    def park(self, event: object, result: ResetResult, function_arn: str | None) -> None:
        """Put the request and its answer on the queue; raises when the queue did not take it."""
        ...


class NoFailedRequests:
    """No queue configured (a direct test of the function): the answer alone says what happened."""

    def park(self, event: object, result: ResetResult, function_arn: str | None) -> None:
        return None


def failed_request_record(event: object, result: ResetResult, function_arn: str | None) -> dict[str, Any]:
    request_id = event.get("id") if isinstance(event, dict) else None
    return {
        "version": "1.0",
        "timestamp": datetime.now(tz=UTC).isoformat(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": result.reason.value if result.reason else result.status.value,
            "approximateInvokeCount": 1,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": result.to_dict(),
    }


class SqsFailedRequests:
    """The stack's failed-request queue (its client made on first use: most containers never park anything)."""

    def __init__(self, queue_url: str, client: Callable[[], Any]) -> None:
        self._url = queue_url
        self._client = client

    def park(self, event: object, result: ResetResult, function_arn: str | None) -> None:
        record = failed_request_record(event, result, function_arn)
        self._client().send_message(QueueUrl=self._url, MessageBody=json.dumps(record))
