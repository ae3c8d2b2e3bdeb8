"""A bulk run (a mass reset through the bulk workflow): its id, its manifest, how long it is remembered, and the
summary it ends with. The stack, the reset function, the run's summary function, the local emulation and the
operator CLI all read these from here.

A run is one execution of the bulk workflow; its **run id is the execution's name** (so a redrive, which continues
the same execution, keeps it, and starting a run under a new name is always possible). Input of the execution::

    {"manifestKey": "manifests/<run id>.csv", "defaults": {"clientMetadata": {"reason": "security_incident"}}}

The manifest is CSV with a header row or JSON Lines, chosen by the key's suffix (`.csv`; anything else is read as
JSON Lines). A row names the user (`username`, `email` or `sub`) and may override the run's defaults: any request
field (contract 1), and the ClientMetadata keys as columns of their own (`reason`, `locale`, `brand`, ...). An empty
cell is an absent field, so one CSV can mix rows by username and rows by e-mail. The operator CLI always writes JSON
Lines (the operator's spreadsheet normalised, the file itself kept beside it: SOURCE); a CSV key serves a manifest
uploaded by other means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from contracts.client_metadata import RECOGNISED_KEYS

# Step Functions' execution names: 1-80 characters, letters, digits, '-' and '_' (the API also allows some other
# characters, which CloudWatch cannot log; a run id stays inside the portable set).
RUN_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
MANIFEST_PREFIX: Final = "manifests/"
RESULTS_PREFIX: Final = "results"
SUMMARY_OBJECT: Final = "summary.json"  # beside ResultWriter's manifest.json, in the map run's results folder
CSV_SUFFIX: Final = ".csv"

# The execution input's fields.
MANIFEST_KEY: Final = "manifestKey"
DEFAULTS: Final = "defaults"
# Where the run's manifest came from, for the operator (the workflow does not read it): the operator's file as given
# (`file`: its name; `evidence`: its key in the bucket, kept beside the manifest), the object that maps each manifest
# row to its line in that file (`lines`: [[first line, rows], ...] runs), and for a rerun, the run it reruns
# (`rerunOf`).
SOURCE: Final = "source"
SOURCE_FILE, SOURCE_EVIDENCE, SOURCE_LINES, RERUN_OF = "file", "evidence", "lines", "rerunOf"
# Who started the run (the workflow does not read it; its summary repeats it): the caller's identity as STS
# GetCallerIdentity gives it (`arn`, `account`), the CLI's version (`cliVersion`) and when (`at`, ISO 8601 UTC).
STARTED_BY: Final = "startedBy"
# The request field that ties a reset to its run (contract 1): set by the workflow on every batch, from the execution's
# name; a manifest row cannot set it.
RUN_ID_FIELD: Final = "runId"
# The fields a manifest row may never set, whatever the run's defaults say: the run id (the run's own), dryRun (a dry
# run belongs to the run: no row can turn it off) and force (a second code inside the cooldown is an operator's explicit
# decision for one user, never a spreadsheet cell's).
DRY_RUN_FIELD: Final = "dryRun"
FORCE_FIELD: Final = "force"
# The breach rails (contract 1), set for a whole run and never by a row, since a row could only weaken them: a user
# whose record changed after `holdModifiedSince` is held for review (an attacker may have changed their e-mail or
# phone), and the members of the `excludeGroups` (break-glass, administrators) are skipped.
HOLD_MODIFIED_SINCE_FIELD: Final = "holdModifiedSince"
EXCLUDE_GROUPS_FIELD: Final = "excludeGroups"
RUN_ONLY_FIELDS: Final = (RUN_ID_FIELD, DRY_RUN_FIELD, FORCE_FIELD, HOLD_MODIFIED_SINCE_FIELD, EXCLUDE_GROUPS_FIELD)

# What the bulk workflow's ItemSelector hands the batcher for each manifest row: the row as ItemReader read it and its
# 0-based position among the rows (Step Functions Developer Guide, "ItemSelector (Map)" and "Context object":
# $$.Map.Item.Value, $$.Map.Item.Index). The position tells a retry of a row (the same position) from a repeated row
# (another position naming the same user), and gives the summary each row's line in the manifest.
ITEM_INDEX: Final = "index"
ITEM_ROW: Final = "row"

# Step Functions keeps a failed, aborted or timed-out Standard execution redrivable for 14 days after it stopped
# (Step Functions Developer Guide, "Restarting state machine executions with redrive"); a bulk execution runs at most
# BULK_EXECUTION_DAYS. What a run did to a user is remembered for both together, so a redrive started at any time the
# console still offers one never resets a user twice. Single requests keep their own, short cooldown.
REDRIVE_WINDOW_DAYS: Final = 14
BULK_EXECUTION_DAYS: Final = 7
RUN_MEMORY_SECONDS: Final = (BULK_EXECUTION_DAYS + REDRIVE_WINDOW_DAYS) * 86_400

# How long a bulk run stays halted after one of its batches met the pool's delivery limit (the reset function's
# DELIVERY_LIMIT_REACHED; its batches then fail with DeliveryLimitReached): long enough for the run's other batches (in
# flight, or started by the map before it ends) to find the halt and start nothing, short enough that a redrive once
# the limit has rolled over runs. A batch that meets the limit again halts the run again. The operator CLI does not
# redrive a run inside its halt.
RUN_HALT_SECONDS: Final = 900
# A run's halt record says why (`cause`): the pool's delivery limit (for RUN_HALT_SECONDS), or an operator's stop
# (`cognito-reset stop`: for as long as the run is remembered, until `cognito-reset redrive` lifts it). A stop is never
# shortened by a delivery-limit halt.
HALT_CAUSE: Final = "cause"
# The halt record's key starts with this (the rest a hash of the run id): the operators' policy lets them write and
# delete keys with this prefix only (dynamodb:LeadingKeys), so a stop mark is all they can put in the table.
HALT_KEY_PREFIX: Final = "halt#"
HALTED_AT_DELIVERY_LIMIT: Final = "delivery_limit"
STOPPED_BY_OPERATOR: Final = "stopped"
# How long after a stop mark a batch may still be working on a user: it reads the mark every HALT_CHECK_SECONDS (the
# reset function's handler) between users, so it finishes at most the user it is on: its lookup, its reset and its
# sign-out, each retried within the function's policy (5 attempts of at most 7 s, 4 waits of at most 5 s: 55 s), and
# the claim's lease (reset_password.ledger). Usually a second or two; `cognito-reset stop` waits for the worst case
# before it reports (tests/unit/reset_password/test_run_stop.py checks it against the function's own figures).
STOP_SETTLES_SECONDS: Final = 240

# The manifest row columns that go into clientMetadata.
METADATA_COLUMNS: Final = RECOGNISED_KEYS


def is_csv(manifest_key: str) -> bool:
    return manifest_key.lower().endswith(CSV_SUFFIX)


def manifest_line(manifest_key: str, index: int) -> int:
    """The 1-based line of the manifest that holds row `index`: a CSV manifest's first line is its header."""
    return index + (2 if is_csv(manifest_key) else 1)


def manifest_index(manifest_key: str, line: int) -> int:
    """The 0-based position of the row at `line` of the manifest (manifest_line's inverse)."""
    return line - (2 if is_csv(manifest_key) else 1)


def item_parts(item: object) -> tuple[int | None, object]:
    """A batch item as (its row's position, the row): the ItemSelector's `{"index": n, "row": {...}}`, or a bare row
    (a batch put together by hand, or by an older workflow), whose position is unknown."""
    if isinstance(item, Mapping) and set(item) == {ITEM_INDEX, ITEM_ROW}:
        index = item[ITEM_INDEX]
        if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
            return index, item[ITEM_ROW]
    return None, item


def request_from_row(row: object) -> object:
    """A manifest row as a request (contract 1): empty cells dropped, metadata columns moved into clientMetadata (a
    column wins over the same key in a row's own clientMetadata object). Anything but an object is returned as it is,
    for validation to refuse."""
    if not isinstance(row, Mapping):
        return row
    request: dict[str, Any] = {key: value for key, value in row.items() if value != "" and value is not None}
    metadata = {key: request.pop(key) for key in METADATA_COLUMNS if key in request}
    if metadata:
        own = request.get("clientMetadata")
        request["clientMetadata"] = {**own, **metadata} if isinstance(own, Mapping) else metadata
    return request


# The summary: the execution's output, and SUMMARY_OBJECT beside the results. It counts users, not rows: `rows` (every
# manifest row), `users` (distinct users with a result), `statuses` (users per status, a user named by several rows
# under the strongest of their statuses), `reasons` (failed users per reason), `duplicateRows` (a user's rows beyond
# the first), `unfinished` (rows whose batch did not finish, per error), `complete` (no row unfinished), and
# where the `results` and the `summary` object are, and who started the run (`startedBy`, from the execution's input;
# null for a run started without one). Counts only: never a user's identifier. SUMMARY_OBJECT also lists
# the rows an operator acts on (failed, unconfirmed, unfinished), each by its manifest line and its identifier as the
# row gave it.
SUMMARY_FIELDS: Final = (
    "runId", "rows", "users", "statuses", "reasons", "duplicateRows", "unfinished", "complete", "results", "summary",
    "startedBy",
)  # fmt: skip
# The bulk execution's error when a row is unfinished (its cause: the summary object's s3:// URI): the run ends FAILED,
# never SUCCEEDED with users left over; its summary lists those rows, for a new run (which resends nothing to a user
# inside their cooldown window).
RUN_UNFINISHED: Final = "RunUnfinished"


def child_executions(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The child executions in one of ResultWriter's result files (`SUCCEEDED_n`, `FAILED_n`, `PENDING_n`), read line
    by line: one object per line (OutputType JSONL, what the stack writes, so a file of any size streams), or a JSON
    array (OutputType JSON). Each has the child's `Input` and, for a finished one, `Output` (or `Error` and `Cause`)
    as JSON strings (Step Functions Developer Guide, "ResultWriter (Map)")."""
    lines = iter(lines)
    for line in lines:
        if not line.strip():
            continue
        if line.lstrip().startswith("["):
            children = json.loads("".join((line, *lines)))
            yield from (child for child in children if isinstance(child, dict))
            return
        child = json.loads(line)
        if isinstance(child, dict):
            yield child


def batch_results(child: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The reset results (contract 2) of one succeeded child: the reset function's batch output."""
    output = json.loads(child.get("Output") or "{}")
    results = output.get("results") if isinstance(output, dict) else None
    return [result for result in results or [] if isinstance(result, dict)]


def batch_items(child: Mapping[str, Any]) -> list[Any]:
    """The manifest rows of one child (what a failed or pending child was asked to do)."""
    payload = json.loads(child.get("Input") or "{}")
    items = payload.get("Items") if isinstance(payload, dict) else None
    return list(items) if isinstance(items, list) else []
