"""The custom resource protocol: answer CloudFormation on the pre-signed URL it sent, whatever happened."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Mapping
from typing import Any, Final, Literal

LOGGER = logging.getLogger(__name__)
_MAX_REASON: Final = 1024
_ATTEMPTS: Final = 3


def send_response(
    event: Mapping[str, Any],
    *,
    status: Literal["SUCCESS", "FAILED"],
    physical_resource_id: str,
    reason: str = "",
    data: Mapping[str, str] | None = None,
) -> None:
    """PUT the outcome to event["ResponseURL"]; CloudFormation waits (up to the resource's timeout) until it arrives."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:_MAX_REASON] or status,
            "PhysicalResourceId": physical_resource_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": dict(data or {}),
        }
    ).encode()
    # The pre-signed S3 URL is signed for an empty content type.
    request = urllib.request.Request(  # noqa: S310  (the URL is CloudFormation's own pre-signed S3 URL)
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (see above)
                response.read()
        except OSError:
            if attempt == _ATTEMPTS:
                raise
            LOGGER.warning("could not deliver the response to CloudFormation, retrying", extra={"attempt": attempt})
            time.sleep(attempt)
        else:
            return
