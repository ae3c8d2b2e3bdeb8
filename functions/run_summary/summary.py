"""A bulk run's summary, counted from ResultWriter's results: what happened to every user the run was asked to reset.

ResultWriter writes, under `<prefix>/<map run id>/`, a `manifest.json` that lists its result files by the children's
status (`ResultFiles`: SUCCEEDED, FAILED, PENDING; Step Functions Developer Guide, "ResultWriter (Map)"). A succeeded
child's output is the reset function's batch result, one result per user; a failed or pending child's input holds the
rows it did not finish. The summary counts results per status and, for failures, per reason; rows of unfinished
batches per error. It is written beside the results, as contracts.bulk.SUMMARY_OBJECT, and returned.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from contracts.bulk import SUMMARY_OBJECT, batch_items, batch_results, child_executions

# A pending child never started (the run stopped first); a failed one without an error name is counted under this.
NOT_STARTED = "NotStarted"
FAILED_WITHOUT_ERROR = "ChildExecutionFailed"


class ObjectStore(Protocol):
    def lines(self, bucket: str, key: str) -> Iterable[str]: ...

    def write(self, bucket: str, key: str, body: str) -> None: ...


def summarize(run_id: str, bucket: str, manifest_key: str, store: ObjectStore) -> dict[str, Any]:
    manifest = json.loads("".join(store.lines(bucket, manifest_key)))
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    unfinished: Counter[str] = Counter()
    for child_status, files in (manifest.get("ResultFiles") or {}).items():
        for file in files or []:
            for child in child_executions(store.lines(bucket, file["Key"])):
                if child_status == "SUCCEEDED":
                    for result in batch_results(child):
                        statuses[str(result.get("status"))] += 1
                        if result.get("reason"):
                            reasons[str(result["reason"])] += 1
                else:
                    error = NOT_STARTED if child_status == "PENDING" else child.get("Error") or FAILED_WITHOUT_ERROR
                    unfinished[str(error)] += len(batch_items(child))
    folder = manifest_key.rpartition("/")[0]
    summary_key = f"{folder}/{SUMMARY_OBJECT}" if folder else SUMMARY_OBJECT
    summary = {
        "runId": run_id,
        "total": statuses.total() + unfinished.total(),
        "statuses": dict(sorted(statuses.items())),
        "reasons": dict(sorted(reasons.items())),
        "unfinished": dict(sorted(unfinished.items())),
        "results": f"s3://{bucket}/{folder}/",
        "summary": f"s3://{bucket}/{summary_key}",
    }
    store.write(bucket, summary_key, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary
