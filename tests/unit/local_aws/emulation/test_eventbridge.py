"""EventBridge → Lambda as the local system plays it (local_aws/emulation/eventbridge.py), without a server: a rule's
event reaches the function asynchronously, a function error is retried as Lambda retries an asynchronous invocation
(Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous invocation": by default two more
attempts; EventInvokeConfig's MaximumRetryAttempts sets how many), and after the last one the on-failure destination
receives Lambda's invocation record (Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations")."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from local_aws.emulation.eventbridge import EventDelivery, aws_envelope
from local_aws.emulation.lambda_runtime import AsyncInvokeConfig, Handler, LocalFunction, LocalFunctions

DESTINATION = "arn:aws:sqs:eu-west-1:123456789012:failed-requests"
EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Password Reset Requested",
    "source": "acme.identity",
    "account": "123456789012",
    "time": "2026-12-05T03:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {"userPoolId": "eu-west-1_abc", "username": "alice"},
}


def ignored_handler(event: Any, context: Any) -> Any:
    """What `handler_path` names; each test hands in its handler with `new_container`."""
    raise AssertionError("the handler is the test's")


class FailingHandler:
    """Fails its first `failures` calls with a function error, then answers; counts every call."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.calls.append(event)
        if len(self.calls) <= self.failures:
            raise RuntimeError("the handler's own error")
        return {"status": "reset"}


def function(handler: Handler, config: AsyncInvokeConfig) -> LocalFunction:
    return LocalFunction(
        name="reset",
        handler_path=f"{__name__}.{ignored_handler.__name__}",
        async_config=config,
        new_container=lambda: handler,
    )


class Destination:
    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, arn: str, record: dict[str, Any]) -> None:
        self.records.append((arn, record))


@pytest.fixture
def destination() -> Destination:
    return Destination()


def deliver_once(target: LocalFunction, destination: Destination) -> EventDelivery:
    """One event delivered to `target` on the delivery's own worker thread, as a rule hands it over; returns once
    every attempt (and the record to the destination) is done."""
    delivery = EventDelivery(functions=LocalFunctions([target]), send_to_destination=destination)
    worker = threading.Thread(target=delivery.run, daemon=True)
    worker.start()
    try:
        delivery.enqueue(target, EVENT)
        delivery.drain()
    finally:
        delivery.stop()
        worker.join(timeout=10)
    return delivery


def test_a_function_error_is_retried_twice_by_default_then_the_destination_gets_lambdas_record(
    destination: Destination,
) -> None:
    handler = FailingHandler(failures=5)
    target = function(handler, AsyncInvokeConfig(on_failure_destination=DESTINATION))

    deliver_once(target, destination)

    assert len(handler.calls) == 3  # the first attempt and two retries
    ((arn, record),) = destination.records
    assert arn == DESTINATION
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == f"{target.arn}:$LATEST"
    assert record["requestPayload"] == EVENT  # the event itself, for a person to replay
    assert record["responseContext"]["functionError"] == "Unhandled"


@pytest.mark.parametrize("retries", [0, 1])
def test_maximum_retry_attempts_sets_how_many_times_an_error_is_retried(retries: int, destination: Destination) -> None:
    handler = FailingHandler(failures=5)

    deliver_once(function(handler, AsyncInvokeConfig(retries, DESTINATION)), destination)

    assert len(handler.calls) == 1 + retries
    assert destination.records[0][1]["requestContext"]["approximateInvokeCount"] == 1 + retries


def test_a_retry_that_succeeds_stops_there_and_sends_no_record(destination: Destination) -> None:
    handler = FailingHandler(failures=1)

    delivery = deliver_once(function(handler, AsyncInvokeConfig(on_failure_destination=DESTINATION)), destination)

    assert len(handler.calls) == 2
    assert destination.records == []
    assert [invocation.payload for _, invocation in delivery.delivered][-1] == {"status": "reset"}


def test_the_handler_gets_the_envelope_aws_sends_not_motos() -> None:
    moto_event = {**EVENT, "time": 1796439600.0, "moto-only": "internal"}

    envelope = aws_envelope(moto_event)

    assert "moto-only" not in envelope
    assert envelope["time"] == "2026-12-05T03:00:00Z"  # ISO 8601, as EventBridge writes it
    assert set(envelope) == set(EVENT)
