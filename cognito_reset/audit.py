"""Who runs a mass reset, and the audit events that say so: the caller's identity (STS GetCallerIdentity) and the
CLI's version go into the run's input (contracts.bulk.STARTED_BY), and the run's start and stop are put on the
stack's bus (contracts.events: Bulk Run Started, Bulk Run Stopped; the run's summary step puts Bulk Run Finished), with
the run id and counts, never a user's identifier or a metadata value."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from contracts.events import AUDIT_SOURCE

DISTRIBUTION: Final = "cognito-admin-reset"
# What a run's audit event says of its defaults: the rails and whether it sends, never a metadata value.
_DEFAULTS_SAID: Final = ("dryRun", "globalSignOut", "holdModifiedSince", "excludeGroups", "userPoolId")


def cli_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout without installing it
        return "unknown"


def started_by(sts: Any, now: datetime) -> dict[str, Any]:
    """The caller as STS says (the identity whose credentials start the run), the CLI's version, and when."""
    caller = sts.get_caller_identity()
    return {
        "arn": str(caller.get("Arn", "")),
        "account": str(caller.get("Account", "")),
        "cliVersion": cli_version(),
        "at": now.isoformat(),
    }


def run_event(detail_type: str, run_id: str, by: Mapping[str, Any], **counts: Any) -> dict[str, Any]:
    """A bulk run's audit event for PutEvents' Entries (the bus is the caller's to add)."""
    detail = {"runId": run_id, "by": dict(by), **counts}
    return {"Source": AUDIT_SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail, sort_keys=True)}


def defaults_said(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The run's defaults an audit event may carry: the rails and the mode, not the message's metadata."""
    return {key: defaults[key] for key in _DEFAULTS_SAID if key in defaults}
