"""Logger and metrics of the reset function, built once per container, and the one place outcomes are reported.

Log lines and metrics carry codes, hashes and the result's `detail` (worded with field names only, never a value
from the request): no username, email, sub, requestId or metadata value in clear text. `subject_ref` is a stable
SHA-256 prefix, so an operator can find a user's lines by hashing the same inputs.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from contracts import environment as env
from contracts import telemetry
from contracts.results import DELIVERY_LIMIT_REACHED_ERROR, TRANSIENT_RESET_ERROR, FailureReason, ResetStatus
from reset_password.outcomes import ResetResult

SERVICE = os.environ.get(env.POWERTOOLS_SERVICE_NAME, telemetry.RESET_SERVICE)
NAMESPACE = os.environ.get(env.POWERTOOLS_METRICS_NAMESPACE, telemetry.NAMESPACE)

# A failure is counted with its own Reason dimension (single_metric), which leaves the shared Metrics object empty
# on that invocation; Powertools' warning about that would be one noise line per failed reset.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


class _CurrentStdout:
    """stdout as print() finds it at each write. Powertools Metrics prints its EMF to the current sys.stdout, while a
    Logger keeps the stream it was built with: this keeps log lines and metrics on one stream, in order, wherever
    stdout is redirected (on Lambda it never is; in tests it is captured)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(service=SERVICE, stream=_CurrentStdout())  # type: ignore[arg-type] # a text stream in all but name
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

_STATUS_METRICS = {
    ResetStatus.RESET: telemetry.RESET_SUCCEEDED,
    ResetStatus.SKIPPED: telemetry.RESET_SKIPPED,
    ResetStatus.DRY_RUN: telemetry.RESET_DRY_RUN,
    ResetStatus.UNCONFIRMED: telemetry.RESET_UNCONFIRMED,
}
# A pool id the function refused is the caller's input, however well-formed: it is never written to a log line.
_REFUSED_POOL = frozenset({FailureReason.POOL_NOT_ALLOWED, FailureReason.INVALID_REQUEST})


def subject_ref(*parts: str | None) -> str | None:
    """`sha256("<pool>\\x1f<value>")[:16]`: the same input always gives the same reference."""
    if not all(parts):
        return None
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:16]


def report_outcome(result: ResetResult, source: str) -> None:
    """One structured log line and one metric per outcome."""
    logger.info(
        "password reset outcome",
        extra={
            "status": result.status.value,
            "reason": result.reason.value if result.reason else None,
            "detail": result.detail,
            "user_pool_id": None if result.reason in _REFUSED_POOL else result.user_pool_id,
            "user_ref": subject_ref(result.user_pool_id, result.username),
            "request_ref": result.reference or subject_ref(result.user_pool_id, result.request_id),
            "signed_out": result.signed_out,
            "duplicate": result.duplicate,
            "source": source,
        },
    )
    if result.reason is FailureReason.DELIVERY_LIMIT_REACHED:
        metrics.add_metric(name=telemetry.DELIVERY_LIMIT_REACHED, unit=MetricUnit.Count, value=1)
    if result.status is ResetStatus.FAILED:
        if is_metrics_disabled():  # single_metric, unlike Metrics, does not check POWERTOOLS_METRICS_DISABLED
            return
        with single_metric(name=telemetry.RESET_FAILED, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
            metric.add_dimension(name=telemetry.SERVICE_DIMENSION, value=SERVICE)
            metric.add_dimension(
                name=telemetry.REASON_DIMENSION, value=result.reason.value if result.reason else "UNKNOWN"
            )
        return
    metrics.add_metric(name=_STATUS_METRICS[result.status], unit=MetricUnit.Count, value=1)
    if result.forced:
        metrics.add_metric(name=telemetry.RESET_FORCED, unit=MetricUnit.Count, value=1)


def report_error(error: Exception, source: str) -> None:
    # The message is the function's own words about its state (never a value of the request): what an operator needs to
    # tell a throttled Cognito from a claim held elsewhere or a table that did not answer.
    logger.error(
        "password reset not completed",
        extra={"error_type": type(error).__name__, "error": str(error), "source": source},
    )
    kind = type(error).__name__
    if kind == DELIVERY_LIMIT_REACHED_ERROR:
        metrics.add_metric(name=telemetry.DELIVERY_LIMIT_REACHED, unit=MetricUnit.Count, value=1)
        return
    name = telemetry.RESET_TRANSIENT_ERROR if kind == TRANSIENT_RESET_ERROR else telemetry.RESET_UNCLASSIFIED_ERROR
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def report_parked(result: ResetResult) -> None:
    """A refused request went to the failed-request queue (its reason only: the request itself is in the queue)."""
    logger.warning(
        "request refused and queued for a person",
        extra={"reason": result.reason.value if result.reason else None},
    )


def report_run_halted(*, found: bool) -> None:
    """A batch stopped at the pool's delivery limit: it met the limit and halted its run, or found the run halted."""
    message = "the run is halted at the pool's delivery limit" if found else "the pool's delivery limit is reached"
    logger.warning(message + ": this batch starts nothing more", extra={"halt_found": found})


def report_run_stopped() -> None:
    """A batch found its run stopped by its operator: it starts nothing more."""
    logger.info("the run was stopped by its operator: this batch starts nothing more")


def report_unrecorded_reset() -> None:
    logger.warning(
        "reset done, but the dedupe table did not record it: the user's claim stays, and a later request reads the "
        "pool before it sends anything"
    )
    metrics.add_metric(name=telemetry.DEDUPE_RECORD_FAILED, unit=MetricUnit.Count, value=1)


def report_audit_failure(error: Exception) -> None:
    logger.warning("audit event not published", extra={"error_type": type(error).__name__})
    metrics.add_metric(name=telemetry.AUDIT_EVENT_FAILED, unit=MetricUnit.Count, value=1)
