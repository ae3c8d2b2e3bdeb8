"""A bulk run's summary, counted from ResultWriter's results: what happened to every user the run was asked to reset,
and which rows of the manifest an operator has to act on.

ResultWriter writes, under `<prefix>/<map run id>/`, a `manifest.json` that lists its result files by the children's
status (`ResultFiles`: SUCCEEDED, FAILED, PENDING; Step Functions Developer Guide, "ResultWriter (Map)"). A succeeded
child's output is the reset function's batch result: one result per item of the child's input, in the same order. A
failed or pending child's input holds the rows it did not finish. Each item is a manifest row with its position
(contracts.bulk.item_parts), which gives the row's line in the manifest; a bare row has no known line.

The summary counts users, not rows: a user named by several rows (a repeated line, the same user by username and by
e-mail) is one user, counted under the strongest of its rows' statuses, and its other rows are duplicate rows. Rows of
unfinished batches are counted per error. What is returned (the execution's output) and logged holds counts only; the
object written beside the results (contracts.bulk.SUMMARY_OBJECT) adds the failed, unconfirmed and unfinished rows,
each with its line and its identifier as the row gave it. That object is the one place a user is named.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

from contracts.bulk import (
    SUMMARY_OBJECT,
    batch_items,
    batch_results,
    child_executions,
    item_parts,
    manifest_line,
    request_from_row,
)
from contracts.results import ResetStatus

# A pending child never started (the run stopped first); a failed one without an error name is counted under this.
NOT_STARTED = "NotStarted"
FAILED_WITHOUT_ERROR = "ChildExecutionFailed"
# Which of a user's rows speaks for the user, strongest first: a code went out; a code may have gone out; an earlier
# row or run already sent one; nothing was sent on purpose; nothing could be sent. A status outside these is weakest.
STRENGTH: Final = (
    ResetStatus.RESET,
    ResetStatus.UNCONFIRMED,
    ResetStatus.SKIPPED,
    ResetStatus.DRY_RUN,
    ResetStatus.FAILED,
)
# How a row names its user (contract 1): exactly one of these, as the row gave it.
IDENTIFIERS: Final = ("username", "email", "sub")

Outcome = tuple[str, str | None]  # a result's status, and its reason when it failed


class ObjectStore(Protocol):
    def lines(self, bucket: str, key: str) -> Iterable[str]: ...

    def write(self, bucket: str, key: str, body: str) -> None: ...


_RANK: Final = {status.value: rank for rank, status in enumerate(STRENGTH)}


def _rank(status: str) -> int:
    """0 for the strongest status."""
    return _RANK.get(status, len(STRENGTH))


class _Users:
    """Every user's strongest outcome so far. A user is (userPoolId, username) as the result gives them; kept by pool
    and username with a small outcome code, so that a run of a million users fits the function's memory. A result
    without a username (refused before its user was resolved) is a user of its own."""

    def __init__(self) -> None:
        self._by_pool: dict[str | None, dict[str, int]] = {}
        self._outcomes: list[Outcome] = []
        self._codes: dict[Outcome, int] = {}
        self._unresolved: Counter[Outcome] = Counter()
        self.duplicate_rows = 0

    def add(self, result: Mapping[str, Any]) -> None:
        status = str(result.get("status"))
        reason = result.get("reason")
        outcome: Outcome = (status, str(reason) if status == ResetStatus.FAILED and reason else None)
        username, pool = result.get("username"), result.get("userPoolId")
        if not isinstance(username, str) or not username:
            self._unresolved[outcome] += 1
            return
        code = self._codes.get(outcome)
        if code is None:
            code = self._codes[outcome] = len(self._outcomes)
            self._outcomes.append(outcome)
        users = self._by_pool.setdefault(pool if isinstance(pool, str) else None, {})
        known = users.get(username)
        if known is None:
            users[username] = code
            return
        self.duplicate_rows += 1
        if _rank(status) < _rank(self._outcomes[known][0]):
            users[username] = code

    def outcomes(self) -> Counter[Outcome]:
        """Users per outcome."""
        counted = Counter(self._unresolved)
        for users in self._by_pool.values():
            counted.update(self._outcomes[code] for code in users.values())
        return counted


class _RowList:
    """The rows of one kind an operator acts on, each by its line (null when unknown) and identifier."""

    def __init__(self, manifest_key: str | None) -> None:
        self._manifest_key = manifest_key
        self.rows: list[dict[str, Any]] = []

    def add(self, item: object, **facts: Any) -> None:
        index, row = item_parts(item)
        line = manifest_line(self._manifest_key, index) if self._manifest_key and index is not None else None
        self.rows.append({"line": line, "identifier": _identifier(row), **facts})

    def by_line(self) -> list[dict[str, Any]]:
        """By line, rows without one last (in the order they were read)."""
        return sorted(self.rows, key=lambda row: (row["line"] is None, row["line"] or 0))


def _identifier(row: object) -> dict[str, Any]:
    """How the row named its user, as it gave it (an empty CSV cell names nothing)."""
    request = request_from_row(row)
    if not isinstance(request, Mapping):
        return {}
    return {name: request[name] for name in IDENTIFIERS if name in request}


class _Run:
    """What the map run's children say, read child by child."""

    def __init__(self, manifest_key: str | None) -> None:
        self.rows = 0
        self.users = _Users()
        self.unfinished: Counter[str] = Counter()
        self.failed, self.unconfirmed, self.not_finished = (_RowList(manifest_key) for _ in range(3))

    def finished(self, child: Mapping[str, Any]) -> None:
        """A succeeded child: a result's position in `results` is its item's position in Items."""
        items = batch_items(child)
        for position, result in enumerate(batch_results(child)):
            self.rows += 1
            self.users.add(result)
            item = items[position] if position < len(items) else None
            facts = {"reason": result.get("reason")} | ({"detail": result["detail"]} if result.get("detail") else {})
            if result.get("status") == ResetStatus.FAILED:
                self.failed.add(item, **facts)
            elif result.get("status") == ResetStatus.UNCONFIRMED:
                self.unconfirmed.add(item, **facts)

    def not_done(self, child: Mapping[str, Any], child_status: str) -> None:
        """A failed or pending child: every row of its batch is unfinished, under the child's error."""
        error = str(NOT_STARTED if child_status == "PENDING" else child.get("Error") or FAILED_WITHOUT_ERROR)
        items = batch_items(child)
        self.rows += len(items)
        self.unfinished[error] += len(items)
        for item in items:
            self.not_finished.add(item, error=error)


def summarize(
    run_id: str,
    bucket: str,
    results_manifest: str,
    store: ObjectStore,
    *,
    manifest_key: str | None,
    started_by: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Count the map run whose ResultWriter manifest is `results_manifest`, write the summary object beside it, and
    return the counts. `manifest_key` (the run's manifest) gives each row's line; without it, lines are null.
    `started_by` (the run's input's) is repeated as it is."""
    listing = json.loads("".join(store.lines(bucket, results_manifest)))
    run = _Run(manifest_key)
    for child_status, files in (listing.get("ResultFiles") or {}).items():
        for file in files or []:
            for child in child_executions(store.lines(bucket, file["Key"])):
                if child_status == "SUCCEEDED":
                    run.finished(child)
                else:
                    run.not_done(child, child_status)
    outcomes = run.users.outcomes()
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for (status, reason), count in outcomes.items():
        statuses[status] += count
        if reason:
            reasons[reason] += count
    folder = results_manifest.rpartition("/")[0]
    summary_key = f"{folder}/{SUMMARY_OBJECT}" if folder else SUMMARY_OBJECT
    summary = {
        "runId": run_id,
        "rows": run.rows,
        "users": outcomes.total(),
        "statuses": dict(sorted(statuses.items())),
        "reasons": dict(sorted(reasons.items())),
        "duplicateRows": run.users.duplicate_rows,
        "unfinished": dict(sorted(run.unfinished.items())),
        "complete": not run.unfinished,
        "results": f"s3://{bucket}/{folder}/",
        "summary": f"s3://{bucket}/{summary_key}",
        "startedBy": dict(started_by) if started_by is not None else None,
    }
    listed = {
        "failedRows": run.failed.by_line(),
        "unconfirmedRows": run.unconfirmed.by_line(),
        "unfinishedRows": run.not_finished.by_line(),
    }
    store.write(bucket, summary_key, json.dumps(summary | listed, indent=2, sort_keys=True) + "\n")
    return summary
