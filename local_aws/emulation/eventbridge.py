"""EventBridge → Lambda: moto matches rules but cannot invoke a Lambda target; this delivers each matching event to
the real handler, asynchronously, with Lambda's retries for asynchronous invokes and its on-failure destination.

What the documents say, and what is played:
- Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous invocation": a function error is
  retried two more times by default; AWS::Lambda::EventInvokeConfig's MaximumRetryAttempts (0 to 2) sets how many.
  Played: 1 + MaximumRetryAttempts attempts, without the one- and two-minute waits between them (`retry_delay_seconds`).
- Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations": after the last attempt, the
  on-failure destination receives the invocation record (requestContext with condition "RetriesExhausted" and
  approximateInvokeCount, requestPayload, responseContext, responsePayload). Played: that record, sent to the queue.

The event reaches the handler in the envelope AWS sends (ISO 8601 `time`, no moto-only fields). Delivery runs on one
worker thread, so `PutEvents` returns at once as on AWS; `drain()` waits until every delivery has finished.
Observers hear of every attempt as it ends (`make local` prints them: on AWS the function's log would show them).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.events.models import Rule

from local_aws.emulation import moto_patches
from local_aws.emulation.lambda_runtime import Invocation, LocalFunction, LocalFunctions

_ENVELOPE_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def aws_envelope(moto_event: dict[str, Any]) -> dict[str, Any]:
    event = {key: moto_event[key] for key in _ENVELOPE_FIELDS if key in moto_event}
    if isinstance(event.get("time"), int | float):
        event["time"] = datetime.fromtimestamp(event["time"], tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def failure_record(function: LocalFunction, event: dict[str, Any], last: Invocation, attempts: int) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination after the last retry of an asynchronous invoke."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(tz=UTC).isoformat(),
        "requestContext": {
            "requestId": event.get("id"),
            "functionArn": f"{function.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": last.function_error},
        "responsePayload": last.payload,
    }


@dataclass
class Delivery:
    function: LocalFunction
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One invocation of a rule's Lambda target for one event, and what the handler answered."""

    delivery: Delivery
    invocation: Invocation
    attempt: int
    attempts: int  # 1 + the EventInvokeConfig's MaximumRetryAttempts

    @property
    def retried_later(self) -> bool:
        return self.invocation.function_error is not None and self.attempt < self.attempts


DeliveryObserver = Callable[[DeliveryAttempt], None]


@dataclass
class EventDelivery:
    """The asynchronous side of Lambda for events from EventBridge rules."""

    functions: LocalFunctions
    send_to_destination: Callable[[str, dict[str, Any]], None]
    retry_delay_seconds: float = 0.0
    delivered: list[tuple[Delivery, Invocation]] = field(default_factory=list)
    observers: list[DeliveryObserver] = field(default_factory=list)
    _queue: queue.Queue[Delivery | None] = field(default_factory=queue.Queue)

    def run(self) -> None:
        while (delivery := self._queue.get()) is not None:
            try:
                self._deliver(delivery)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _deliver(self, delivery: Delivery) -> None:
        attempts = 1 + delivery.function.async_config.maximum_retry_attempts
        for attempt in range(1, attempts + 1):
            invocation = self.functions.invoke(delivery.function, delivery.event)
            self.delivered.append((delivery, invocation))
            for observe in self.observers:
                observe(DeliveryAttempt(delivery, invocation, attempt, attempts))
            if not invocation.function_error:
                return
            if attempt < attempts:
                time.sleep(self.retry_delay_seconds)
        destination = delivery.function.async_config.on_failure_destination
        if destination:
            record = failure_record(delivery.function, delivery.event, invocation, attempts)
            self.send_to_destination(destination, record)

    def enqueue(self, function: LocalFunction, event: dict[str, Any]) -> None:
        self._queue.put(Delivery(function=function, event=event))

    def drain(self) -> None:
        """Wait until every event put so far has been delivered (or sent to its destination)."""
        self._queue.join()

    def stop(self) -> None:
        self._queue.put(None)


@contextmanager
def lambda_targets_delivered(delivery: EventDelivery) -> Iterator[EventDelivery]:
    original_send = moto_patches.RULE_SEND_TO_TARGETS.original()
    targets_lock = threading.Lock()

    def send_to_targets(rule: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not rule.event_pattern.matches_event(original_event):  # type: ignore[arg-type]
            return
        local = [(t, delivery.functions.find(t["Arn"])) for t in rule.targets]
        for _target, function in local:
            if function is not None:
                delivery.enqueue(function, aws_envelope(json.loads(json.dumps(original_event))))
        others = [target for target, function in local if function is None]
        if others:
            with targets_lock:  # moto reads rule.targets; hand it only the targets it can deliver itself
                kept, rule.targets = rule.targets, others
                try:
                    original_send(rule, original_event, transform_input)
                finally:
                    rule.targets = kept

    worker = threading.Thread(target=delivery.run, name="eventbridge-to-lambda", daemon=True)
    worker.start()
    try:
        with moto_patches.RULE_SEND_TO_TARGETS.applied(send_to_targets):
            yield delivery
    finally:
        delivery.stop()
        worker.join(timeout=30)
