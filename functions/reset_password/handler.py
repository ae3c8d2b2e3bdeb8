"""Lambda entry point of the reset function: wires observability and dependencies, then hands over to logic.

Accepts an EventBridge event, a plain request (Step Functions task, direct invoke) or an ItemBatcher batch, and
returns contract 2 results: one result object, or `{"results": [...], "counts": {...}}` for a batch (same order
as the batch's Items). Raises `TransientResetError` / `UnclassifiedResetError` (see outcomes.py).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from aws_lambda_powertools.utilities.typing import LambdaContext

from contracts.bulk import STOPPED_BY_OPERATOR
from contracts.results import FailureReason
from reset_password.audit import AuditTrail, EventBridgeAuditTrail, NoAuditTrail
from reset_password.clients import AwsClients
from reset_password.delivery_rate import reset_rate, ses_send_rate
from reset_password.directory import CognitoUserDirectory
from reset_password.failed_requests import FailedRequests, NoFailedRequests, SqsFailedRequests
from reset_password.ledger import (
    COGNITO_ACTING_SECONDS,
    LEASE_MARGIN_SECONDS,
    DynamoDBLedgerTable,
    Ledger,
    LedgerUnavailable,
    halt_key,
)
from reset_password.logic import ResetDependencies, handle_request
from reset_password.observability import (
    logger,
    metrics,
    report_audit_failure,
    report_error,
    report_outcome,
    report_parked,
    report_run_halted,
    report_run_stopped,
)
from reset_password.outcomes import (
    DeliveryLimitReached,
    ResetError,
    ResetResult,
    RunStopped,
    TransientResetError,
    UnclassifiedResetError,
)
from reset_password.pacing import CallCategory, Pacer
from reset_password.pool_rules import PoolRulesCache
from reset_password.requests import BatchInvocation, ParsedRequest, ResetRequest, parse_invocation
from reset_password.reset_cap import DynamoDBCapTable, ResetCap
from reset_password.retry import Backoff, Deadline
from reset_password.settings import ResetSettings

BATCH: Final = "batch"
EVENTBRIDGE: Final = "eventbridge"  # requests.SingleInvocation.source of an EventBridge event
# How often a running batch reads whether its run was halted at the delivery limit (a read of the table).
HALT_CHECK_SECONDS: Final = 5.0

# What Lambda calls: any JSON value and its context object.
Handler = Callable[[Any, Any], dict[str, Any]]


def dependencies_from_environment(
    environ: Mapping[str, str] = os.environ,
    *,
    backoff: Backoff | None = None,
    clients: AwsClients | None = None,
    claim_lease_seconds: float | None = None,
    clock: Callable[[], float] = time.time,
) -> ResetDependencies:
    """What the deployed function runs with: its settings, the AWS clients they name, and the backoff. A claim's
    lease covers one call and the time Cognito may still act on it (ledger.COGNITO_ACTING_SECONDS) unless given."""
    settings = ResetSettings.from_environment(environ)
    clients = clients or AwsClients.create()
    backoff = backoff or Backoff()
    ledger, event_cap = None, None
    if settings.idempotency_table_name:
        lease = claim_lease_seconds
        if lease is None:
            lease = clients.timeouts.per_call + COGNITO_ACTING_SECONDS + LEASE_MARGIN_SECONDS
        ledger = Ledger(
            DynamoDBLedgerTable(settings.idempotency_table_name, clients.dynamodb),
            cooldown_seconds=settings.cooldown_seconds,
            lease_seconds=lease,
            clock=clock,
            call_seconds=clients.timeouts.per_call,
            reserve_seconds=backoff.policy.reserve_seconds,
        )
        # The storm cap counts in the same table (reset_cap.py): without one the event path is not capped.
        if settings.event_resets_per_hour is not None:
            event_cap = ResetCap(
                DynamoDBCapTable(settings.idempotency_table_name, clients.dynamodb),
                per_hour=settings.event_resets_per_hour,
                clock=clock,
            )
    failed_requests: FailedRequests = NoFailedRequests()
    if settings.failed_request_queue_url and clients.sqs is not None:
        failed_requests = SqsFailedRequests(settings.failed_request_queue_url, clients.sqs)
    audit: AuditTrail = NoAuditTrail()
    if settings.audit_event_bus_name:
        audit = EventBridgeAuditTrail(settings.audit_event_bus_name, clients.events)
    directory = CognitoUserDirectory(clients.cognito)
    return ResetDependencies(
        directory=directory,
        settings=settings,
        ledger=ledger,
        audit=audit,
        backoff=backoff,
        call_seconds=clients.timeouts.per_call,
        pacer=Pacer(
            rates={
                CallCategory.RESET: _reset_rate(settings, clients),
                CallCategory.LOOKUP: settings.lookup_calls_per_second,
                CallCategory.SIGN_OUT: settings.sign_out_calls_per_second,
            }
        ),
        pool_rules=PoolRulesCache(directory.pool_rules),
        event_cap=event_cap,
        failed_requests=failed_requests,
    )


def _reset_rate(settings: ResetSettings, clients: AwsClients) -> float | None:
    """The container's share of Cognito's reset budget, and of SES's send rate where the default pool sends through
    SES (delivery_rate.py)."""
    share, pool = settings.ses_send_rate_share, settings.default_user_pool_id
    if share is None or pool is None or clients.ses_in is None:
        return settings.reset_calls_per_second
    ses_rate = ses_send_rate(clients.cognito, clients.ses_in, pool)
    return reset_rate(settings.reset_calls_per_second, ses_rate, share)


def _process(
    request: ParsedRequest,
    deps: ResetDependencies,
    deadline: Deadline,
    source: str,
    *,
    delivery: str | None = None,
    index: int | None = None,
) -> ResetResult:
    try:
        # Only the event path is capped (reset_cap.py): a workflow or a direct invoke is an operator's deliberate act.
        result = handle_request(request, deps, deadline, delivery, index, capped=source == EVENTBRIDGE)
    except ResetError as error:
        report_error(error, source)
        raise
    except Exception as error:
        # Nothing but the two documented errors leaves the function: the workflows and the DLQ tooling match on them.
        unclassified = UnclassifiedResetError(f"{type(error).__name__}: not a failure this function can classify")
        report_error(unclassified, source)
        raise unclassified from error
    if source == BATCH and result.reason is FailureReason.DELIVERY_LIMIT_REACHED:
        # Not this user's failure: the pool cannot deliver anyone's code today. The item is unfinished, for the run
        # to continue once the limit rolls over (the claim was released: nothing was sent).
        limit = DeliveryLimitReached("the pool's delivery limit is reached")
        report_error(limit, source)
        raise limit
    report_outcome(result, source)
    try:
        deps.audit.record(request if isinstance(request, ResetRequest) else None, result)
    except Exception as error:  # noqa: BLE001 - the reset stands whatever happens to its audit event
        report_audit_failure(error)
    return result


def handle_invocation(event: object, context: LambdaContext | None, deps: ResetDependencies) -> dict[str, Any]:
    deadline = Deadline.from_context(context)
    invocation = parse_invocation(event)
    if isinstance(invocation, BatchInvocation):
        return _process_batch(invocation, deps, deadline)
    # An EventBridge event keeps its id through EventBridge's and Lambda's retries: one event is one request.
    delivery = event.get("id") if isinstance(event, dict) and invocation.source == EVENTBRIDGE else None
    delivered = str(delivery) if delivery else None
    result = _process(invocation.request, deps, deadline, invocation.source, delivery=delivered)
    if result.reason is FailureReason.RESET_CAP_REACHED:
        _park(event, result, context, deps)
    return result.to_dict()


def _park(event: object, result: ResetResult, context: LambdaContext | None, deps: ResetDependencies) -> None:
    """A request the storm cap refused waits in the failed-request queue for a person. Should the queue not take it,
    the invocation raises, and its retries (which take no slot of the cap) park it again, or Lambda's on-failure
    destination does."""
    try:
        deps.failed_requests.park(event, result, getattr(context, "invoked_function_arn", None))
    except Exception as error:
        transient = TransientResetError(f"the refused request could not be queued: {type(error).__name__}")
        report_error(transient, EVENTBRIDGE)
        raise transient from error
    report_parked(result)


def _process_batch(invocation: BatchInvocation, deps: ResetDependencies, deadline: Deadline) -> dict[str, Any]:
    """Items run one after another, each to its own end: an error of one does not stop the others. The time is
    checked between items, and the batch stops before the deadline. If any item is unfinished the batch raises, so
    that Step Functions retries it whole: the retry finishes the rest, and an item reset by this attempt reads
    `reset` (replayed) then, so every item's result says what happened to that user in the run.

    At the pool's delivery limit the batch stops instead (DeliveryLimitReached, which the workflow does not retry) and
    halts its run, so that the run's other batches start nothing either (`RunHalt`). A run its operator stopped
    (`cognito-reset stop`) stops the same way, before its next user (RunStopped, not retried either)."""
    halt = RunHalt.of(invocation, deps, deadline)
    results: list[dict[str, Any]] = []
    errors: list[ResetError] = []
    for item in invocation.items:
        if not deadline.allows(deps.call_seconds + deps.backoff.policy.reserve_seconds):
            report_error(TransientResetError("the batch stopped before the deadline"), BATCH)
            break
        if halt.in_force():
            break
        try:
            results.append(_process(item.request, deps, deadline, BATCH, index=item.index).to_dict())
        except DeliveryLimitReached:
            halt.declare()
            break
        except ResetError as error:
            errors.append(error)
    unfinished = len(invocation.items) - len(results)
    if unfinished and halt.stopped:
        raise RunStopped(
            f"{unfinished} of {len(invocation.items)} items unfinished: the run was stopped by its operator; a "
            "redrive with cognito-reset or a new run of them continues it"
        )
    if unfinished and halt.declared:
        raise DeliveryLimitReached(
            f"{unfinished} of {len(invocation.items)} items unfinished: the run is halted at the pool's delivery "
            "limit; a redrive or a new run of them continues once the limit rolls over"
        )
    if unfinished:
        kind = UnclassifiedResetError if any(isinstance(e, UnclassifiedResetError) for e in errors) else None
        message = f"{unfinished} of {len(invocation.items)} items unfinished; the retry of the batch finishes them"
        raise (kind or TransientResetError)(message)
    return {"results": results, "counts": dict(Counter(result["status"] for result in results))}


@dataclass(slots=True)
class RunHalt:
    """A bulk run's halt at the pool's delivery limit, shared by its batches through the dedupe table: read when a
    batch starts and every HALT_CHECK_SECONDS while it runs, written by the batch that meets the limit. Without a
    table (or a run id), the batch that meets the limit stops alone. The same record says when the run's operator
    stopped it (contracts.bulk.STOPPED_BY_OPERATOR): the batch then stops too, and halts nothing."""

    key: str | None
    deps: ResetDependencies
    deadline: Deadline
    clock: Callable[[], float] = time.monotonic
    declared: bool = False
    stopped: bool = False
    _checked: float | None = None

    @classmethod
    def of(cls, invocation: BatchInvocation, deps: ResetDependencies, deadline: Deadline) -> RunHalt:
        runs = {item.request.run_id for item in invocation.items if isinstance(item.request, ResetRequest)}
        run_id = next(iter(runs)) if len(runs) == 1 else None
        return cls(halt_key(run_id) if run_id and deps.ledger is not None else None, deps, deadline)

    def in_force(self) -> bool:
        """Whether the run is halted (told once the batch finds it). A table that does not answer is not a halt:
        the items go on, and the one that meets the limit halts the run again."""
        if self.declared or self.stopped:
            return True
        if self.key is None or self.deps.ledger is None:
            return False
        now = self.clock()
        if self._checked is not None and now - self._checked < HALT_CHECK_SECONDS:
            return False
        self._checked = now
        try:
            halt = self.deps.ledger.halt_in_force(self.key, self.deadline)
        except LedgerUnavailable:
            return False
        if halt is not None and halt[1] == STOPPED_BY_OPERATOR:
            self.stopped = True
            report_run_stopped()
        elif halt is not None:
            self.declared = True
            report_run_halted(found=True)
        return halt is not None

    def declare(self) -> None:
        self.declared = True
        report_run_halted(found=False)
        if self.key is not None and self.deps.ledger is not None:
            try:
                self.deps.ledger.halt(self.key, self.deadline)
            except LedgerUnavailable:
                return  # the run's other batches meet the limit themselves, one call each


def build_handler(dependencies: Callable[[], ResetDependencies]) -> Handler:
    """The entry point over the given dependencies (called on each invocation; the deployed ones are built once)."""

    @logger.inject_lambda_context(log_event=False, clear_state=True)
    @metrics.log_metrics
    def handle(event: object, context: LambdaContext) -> dict[str, Any]:
        return handle_invocation(event, context, dependencies())

    return handle


def new_container() -> Handler:
    """A container's entry point: its dependencies are built on its first invocation and kept for the container's
    life (clients reuse their connections, the pacer keeps its rate)."""
    return build_handler(cache(dependencies_from_environment))


lambda_handler = new_container()
