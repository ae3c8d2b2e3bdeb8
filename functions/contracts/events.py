"""The EventBridge events the product takes in and puts out: their sources and detail types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

# In: a request to reset one user (contract 1). The stack's rule accepts this detail type from the allowed sources;
# the first allowed source, unless a deployer names others, is REQUEST_SOURCE.
RESET_REQUESTED: Final = "Password Reset Requested"
REQUEST_SOURCE: Final = "cognito-admin-reset.requests"

# Out: one audit event per acted-on request, on the audit bus. The rule refuses requests from this source, so the
# function's own audit events can never loop back in as requests.
AUDIT_SOURCE: Final = "cognito-admin-reset"
RESET_COMPLETED: Final = "Password Reset Completed"
RESET_FAILED: Final = "Password Reset Failed"
# A reset an operator forced inside the user's cooldown window (a second code on purpose), and a reset whose outcome a
# fault hid (the user may or may not hold a code; nothing was sent again): each has its own event, so a SIEM rule can
# page on exactly these.
RESET_FORCED: Final = "Password Reset Forced"
RESET_UNCONFIRMED: Final = "Password Reset Unconfirmed"
# A mass reset's start, end and stop, on the same bus from the same source, so a SIEM sees every bulk run: who
# (contracts.bulk.STARTED_BY, or who stopped it), the run id, and counts; never a user's identifier or a metadata value.
# The operator CLI puts Started (when it has started the run) and Stopped; the run's summary step puts Finished.
BULK_RUN_STARTED: Final = "Bulk Run Started"
BULK_RUN_FINISHED: Final = "Bulk Run Finished"
BULK_RUN_STOPPED: Final = "Bulk Run Stopped"

# Who may put what on the request bus (infra/bus_policy.py denies everyone else): the reset outcomes only the reset
# function's role, a run's end only the run summary function's role, a run's start and stop the principals named as
# requesters (the operators' CLI puts them), and requests only those named principals.
RESET_OUTCOMES: Final = (RESET_COMPLETED, RESET_FAILED, RESET_FORCED, RESET_UNCONFIRMED)
OPERATOR_RUN_EVENTS: Final = (BULK_RUN_STARTED, BULK_RUN_STOPPED)
# How PutEvents answers an entry the bus's policy (or the caller's own) does not let this principal put: per entry, in
# its ErrorCode (EventBridge API Reference, PutEventsResultEntry: the non-retryable errors).
PUT_EVENTS_NOT_ALLOWED: Final = frozenset(
    {"AccessDeniedException", "NotAuthorizedForDetailTypeException", "NotAuthorizedForSourceException"}
)


def request_entry(bus_name: str, request: Mapping[str, Any], source: str = REQUEST_SOURCE) -> dict[str, str]:
    """A reset request as one PutEvents entry (contract 1 as the event's detail), for every sender: the CLI, the local
    system and the commands `make local` prints."""
    return {
        "EventBusName": bus_name,
        "Source": source,
        "DetailType": RESET_REQUESTED,
        "Detail": json.dumps(request, separators=(",", ":")),
    }
