"""EventBridge ingress: the request bus and the rule that delivers `Password Reset Requested` events to the function.

The rule matches the detail-type and the allowed sources only; the function validates each request itself. Delivery
is retried by EventBridge, failures go to the failed-request queue, and the function's own async retries and
on-failure destination take over once it has accepted the event.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contracts.events import RESET_REQUESTED
from infra.failed_requests import FailedRequestQueue
from infra.settings import Settings

# EventBridge retries a failed delivery (the Lambda service refusing the asynchronous invoke) with backoff.
TARGET_RETRY_ATTEMPTS: Final = 8
TARGET_MAX_EVENT_AGE: Final = cdk.Duration.hours(2)


RULE_NAME_SUFFIX: Final = "password-reset-requests"


def rule_arn(stack: cdk.Stack, bus: events.IEventBus, rule_name: str) -> str:
    """A rule's ARN: rule/<name> on the default bus, rule/<bus name>/<name> on any other."""
    bus_name = bus.event_bus_name
    on_default_bus = not cdk.Token.is_unresolved(bus_name) and bus_name == "default"
    return stack.format_arn(
        service="events", resource="rule", resource_name=rule_name if on_default_bus else f"{bus_name}/{rule_name}"
    )


def request_bus(scope: Construct, construct_id: str, settings: Settings) -> events.IEventBus:
    """A dedicated bus, or the named existing one (including `default`)."""
    if settings.event_bus_name is None:
        return events.EventBus(scope, construct_id, description="Password reset requests and their audit events")
    return events.EventBus.from_event_bus_name(scope, construct_id, settings.event_bus_name)


class RequestRule(Construct):
    """The rule and its Lambda target, with retries, a maximum event age and the failed-request queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        bus: events.IEventBus,
        function: lambda_.IFunction,
        failed_requests: FailedRequestQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # Named, so that the KMS key policy can name the rule's ARN without referencing the rule: the rule references
        # the queue (its dead-letter target), the queue the key, and a key policy reference back would be a cycle.
        rule_name = f"{stack.stack_name}-{RULE_NAME_SUFFIX}"
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=rule_name,
            event_bus=bus,
            description=f"Delivers '{RESET_REQUESTED}' events from the allowed sources to the reset function",
            event_pattern=events.EventPattern(
                source=list(settings.allowed_event_sources), detail_type=[RESET_REQUESTED]
            ),
        )
        # CDK adds the Lambda permission (events.amazonaws.com, SourceArn = this rule) and the queue policy statement
        # (events.amazonaws.com may send, SourceArn = this rule); the KMS key needs the same scoped allowance.
        self.rule.add_target(
            targets.LambdaFunction(
                function,
                dead_letter_queue=failed_requests.queue,
                retry_attempts=TARGET_RETRY_ATTEMPTS,
                max_event_age=TARGET_MAX_EVENT_AGE,
            )
        )
        failed_requests.allow_service_through_key("events.amazonaws.com", rule_arn(stack, bus, rule_name))
