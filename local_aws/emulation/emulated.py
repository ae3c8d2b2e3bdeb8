"""All of the emulation switched on at once, for as long as the local account runs (see the package's docstring)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from local_aws.emulation import moto_patches
from local_aws.emulation.cognito import (
    Codes,
    MessageRecipient,
    codes_checked_as_cognito_does,
    custom_message_trigger_called,
)
from local_aws.emulation.delivery import Channels, DeliverySettings
from local_aws.emulation.distributed_map import MapRuns, map_runs_answered
from local_aws.emulation.eventbridge import EventDelivery, lambda_targets_delivered
from local_aws.emulation.lambda_runtime import LocalFunctions
from local_aws.emulation.ses import ses_read_from_the_channels
from local_aws.emulation.ses_events import SesEventDestination, SesEvents
from local_aws.emulation.step_functions import (
    ExecutionRecords,
    RetryClock,
    executions_stopped_and_redriven,
    lambda_tasks_in_process,
)
from local_aws.harness.server import LocalAws


@dataclass(frozen=True, slots=True)
class Emulation:
    events: EventDelivery
    retry_clock: RetryClock
    executions: ExecutionRecords  # Step Functions' stops and redrives (its clock can be moved on by a test)
    channels: Channels  # what the account's e-mail and SMS channels have sent (delivery.py)
    codes: Codes  # the password reset codes Cognito has issued


def _send_to_queue(aws: LocalAws) -> Any:
    sqs = aws.client("sqs")

    def send(queue_arn: str, record: dict[str, Any]) -> None:
        queue_url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))

    return send


@contextmanager
def emulated(
    aws: LocalAws,
    functions: LocalFunctions,
    send: MessageRecipient,
    *,
    map_runs: MapRuns | None = None,
    retry_scale: float = 1.0,
    sending: DeliverySettings | None = None,
    ses_event_destinations: Sequence[SesEventDestination] = (),
) -> Iterator[Emulation]:
    """Everything above, until the block ends. `retry_scale` shortens Step Functions' Retry waits (tests); `sending`
    is what the account's channels can send (delivery.py; its defaults otherwise); `ses_event_destinations` are the
    account's configuration sets' event destinations (ses_events.py)."""
    host_port = aws.endpoint_url.rsplit(":", 1)[-1]
    retry_clock = RetryClock(scale=retry_scale)
    delivery = EventDelivery(functions=functions, send_to_destination=_send_to_queue(aws))
    map_runs = map_runs or MapRuns()
    executions = ExecutionRecords(map_runs=map_runs)
    channels, codes = Channels(sending or DeliverySettings()), Codes()
    with ExitStack() as stack:
        # moto's state machine interpreter reaches Lambda at localhost:$MOTO_PORT.
        stack.enter_context(moto_patches.SERVER_PORT.applied(host_port))
        stack.enter_context(lambda_tasks_in_process(functions, retry_clock))
        ses_events = SesEvents(ses_event_destinations)
        stack.enter_context(custom_message_trigger_called(functions, send, channels, codes, ses_events.publish))
        stack.enter_context(codes_checked_as_cognito_does(codes))
        stack.enter_context(ses_read_from_the_channels(channels))
        stack.enter_context(lambda_targets_delivered(delivery))
        stack.enter_context(map_runs_answered(map_runs))
        stack.enter_context(executions_stopped_and_redriven(executions))
        yield Emulation(events=delivery, retry_clock=retry_clock, executions=executions, channels=channels, codes=codes)
