"""AWS's wiring that moto does not do, and nothing else.

moto plays each service on its own; on AWS the services call one another. This package makes exactly those calls,
with the real handlers run in-process:

- EventBridge rule → Lambda target (asynchronous, with Lambda's retries and on-failure destination): eventbridge.py
- Cognito AdminResetUserPassword / ForgotPassword → the pool's CustomMessage trigger → the message Cognito sends,
  handed to a recipient (the local system's outbox), and the rules Cognito applies on the way that moto lacks (its
  checks of the trigger's answer): cognito.py
- Cognito's answers where moto's differ, for every local account (server.py applies them): a name found as sign-in
  finds it (in any case where the pool ignores case, by a verified alias), cognito.py; a pool's
  UnusedAccountValidityDays, cognito_pools.py; ListUsers filters, cognito_list_users.py
- SES's event publishing: the delivery, bounce and complaint events of a message sent through a pool's configuration
  set, put on the default bus for its EventBridge destinations (the mailbox simulator's scenarios played): ses_events.py
- SES's read APIs (GetAccount, GetEmailIdentity, GetSendQuota), answered from what the account's channels can send and
  have sent (delivery.py), which moto does not know: ses.py
- Step Functions `lambda:invoke` task → Lambda, and what moto's executions lack (StopExecution that stops,
  RedriveExecution): step_functions.py
- Step Functions Distributed Map (ItemReader, ItemBatcher, ResultWriter, map runs), which moto's interpreter lacks,
  played from the synthesized definition, its children run by moto: distributed_map.py

`wired(...)` switches all of it on for as long as the local account runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from local_aws import moto_patches
from local_aws.server import LocalAws
from local_aws.wiring.cognito import (
    Codes,
    MessageRecipient,
    codes_checked_as_cognito_does,
    custom_message_trigger_called,
)
from local_aws.wiring.delivery import Channels, DeliverySettings
from local_aws.wiring.distributed_map import MapRuns, map_runs_answered
from local_aws.wiring.eventbridge import EventDelivery, lambda_targets_delivered
from local_aws.wiring.functions import LocalFunctions
from local_aws.wiring.ses import ses_read_from_the_channels
from local_aws.wiring.ses_events import SesEventDestination, SesEvents
from local_aws.wiring.step_functions import (
    ExecutionRecords,
    RetryClock,
    executions_stopped_and_redriven,
    lambda_tasks_in_process,
)


@dataclass(frozen=True, slots=True)
class Wiring:
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
def wired(
    aws: LocalAws,
    functions: LocalFunctions,
    send: MessageRecipient,
    *,
    map_runs: MapRuns | None = None,
    retry_scale: float = 1.0,
    sending: DeliverySettings | None = None,
    ses_event_destinations: Sequence[SesEventDestination] = (),
) -> Iterator[Wiring]:
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
        yield Wiring(events=delivery, retry_clock=retry_clock, executions=executions, channels=channels, codes=codes)
