"""The audit trail: one EventBridge event per acted-on request, for the SIEM and the people who answer to it.

Events carry who and what happened (pool, username, status, reason) and which ClientMetadata keys were sent, never
their values. A failure to publish is reported, never allowed to undo or repeat a reset that already happened.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

from contracts.events import AUDIT_SOURCE, RESET_COMPLETED, RESET_FAILED, RESET_FORCED, RESET_UNCONFIRMED
from contracts.results import ResetStatus
from reset_password.outcomes import ResetResult
from reset_password.requests import ResetRequest

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class AuditTrail(Protocol):
    def record(self, request: ResetRequest | None, result: ResetResult) -> None: ...


class NoAuditTrail:
    def record(self, request: ResetRequest | None, result: ResetResult) -> None:
        return None


def audit_detail(request: ResetRequest | None, result: ResetResult) -> dict[str, object]:
    """The result without its free-text `detail`, plus the names (never the values) of the ClientMetadata sent."""
    outcome = {key: value for key, value in result.to_dict().items() if key != "detail"}
    return {**outcome, "clientMetadataKeys": sorted(request.client_metadata) if request else []}


def audit_detail_type(result: ResetResult) -> str:
    """Each outcome an auditor acts on differently has its own detail type: a forced second code and an unconfirmed
    reset are never filed as an ordinary completion."""
    if result.status is ResetStatus.FAILED:
        return RESET_FAILED
    if result.status is ResetStatus.UNCONFIRMED:
        return RESET_UNCONFIRMED
    return RESET_FORCED if result.forced and not result.replayed else RESET_COMPLETED


class AuditPublishError(Exception):
    """The audit event was not accepted by EventBridge."""


class EventBridgeAuditTrail:
    def __init__(self, event_bus_name: str, client: EventBridgeClient) -> None:
        self._bus = event_bus_name
        self._client = client

    def record(self, request: ResetRequest | None, result: ResetResult) -> None:
        if result.status is ResetStatus.DRY_RUN:
            return
        detail_type = audit_detail_type(result)
        response = self._client.put_events(
            Entries=[
                {
                    "EventBusName": self._bus,
                    "Source": AUDIT_SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(audit_detail(request, result)),
                }
            ]
        )
        if response.get("FailedEntryCount", 0):
            codes = {entry.get("ErrorCode", "") for entry in response.get("Entries", [])} - {""}
            raise AuditPublishError(f"audit event rejected: {', '.join(sorted(codes)) or 'unknown'}")
