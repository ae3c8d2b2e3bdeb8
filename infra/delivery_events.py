"""Delivery events: what became of each reset's e-mail, counted per bulk run (contracts.delivery_events).

For a pool the stack creates that sends through its own SES identity, an SES configuration set that publishes the
delivery, bounce and complaint events of every message sent through it to EventBridge's default bus (SES API Reference
v2, EventBridgeDestination: the default bus only), named in the pool's EmailConfiguration.ConfigurationSet. For either
pool, a rule on the default bus for those events of the set the pool sends through (by the set's name, which SES tags
every message with); and the function that counts them into the runs in the reset function's dedupe table.

An existing pool is left as it is: its ConfigurationSet, and where that set publishes, stay the deployer's to set
(`cognito-reset doctor` says whether it has one). The stack counts the events of the set the pool names, read at deploy
time (pool_trigger_attachment.py); whether there is one is known only then, and CloudFormation conditions cannot test a
resource's attribute, so the rule and the function are always there. For a pool with no set the name read is "", which
the rule then matches: SES's tag is never empty (a set's name has 1 to 64 characters; EventBridge User Guide,
"Matching events on null values and empty strings": "" matches only an empty string), so nothing is counted, and
`doctor` warns NO_CONFIGURATION_SET. A set given to the pool later, or renamed, is counted from the next deploy with a
new existingUserPoolConfigRevision, which reads the pool again.

A configuration set lives in one Region, the one SES sends from (the pool's sesRegion), and publishes to that Region's
default bus: where the stack is deployed in another Region, known at synth, it creates none and says so. An
environment-agnostic synth is taken to be deployed in sesRegion (`cdk deploy` resolves the Region from the CLI's).
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from contracts import delivery_events as contract
from contracts import environment as env
from contracts.telemetry import DELIVERY_EVENTS_SERVICE
from infra.bundling import FunctionSource
from infra.python_function import PythonFunction
from infra.settings import Settings

SOURCE: Final = FunctionSource(
    packages=("delivery_events", "contracts"), requirements=("aws-lambda-powertools", "boto3")
)
# What the counting does (delivery_events/counting.py): a consistent read of a recipient's run, and one transaction that
# puts the event's marker and updates the run's counters (DynamoDB Developer Guide, "Using IAM with DynamoDB
# transactions": each item of TransactWriteItems needs its own action's permission).
COUNTING_ACTIONS: Final = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
SES_EVENTS: Final = {
    contract.DELIVERY: ses.EmailSendingEvent.DELIVERY,
    contract.BOUNCE: ses.EmailSendingEvent.BOUNCE,
    contract.COMPLAINT: ses.EmailSendingEvent.COMPLAINT,
}
TIMEOUT: Final = cdk.Duration.seconds(30)
MEMORY_MB: Final = 256
# A count is worth little hours late; EventBridge and Lambda's own retries cover a throttled or failed invocation.
TARGET_RETRY_ATTEMPTS: Final = 8
TARGET_MAX_EVENT_AGE: Final = cdk.Duration.hours(6)
OTHER_REGION_WARNING: Final = (
    "The stack is not in sesRegion: SES publishes delivery events in the Region it sends from, so the stack creates "
    "no configuration set and `cognito-reset status` shows no delivered, bounced or complained counts."
)


def publishes_in_the_stacks_region(scope: Construct, settings: Settings) -> bool:
    region = cdk.Stack.of(scope).region
    return cdk.Token.is_unresolved(region) or settings.ses_region in (None, region)


class DeliveryEvents(Construct):
    """A new pool's configuration set (`configuration_set_name`, None when none is created) and, once `count_into` is
    given the set the pool sends through and the dedupe table, the rule and the counting function."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.configuration_set: ses.ConfigurationSet | None = None
        if not (settings.creates_user_pool and settings.sends_email_through_ses):
            return
        if not publishes_in_the_stacks_region(self, settings):
            cdk.Annotations.of(self).add_warning_v2("cognito-admin-reset:ses-other-region", OTHER_REGION_WARNING)
            return
        self.configuration_set = ses.ConfigurationSet(self, "ConfigurationSet")
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        self.configuration_set.add_event_destination(
            "ToEventBridge",
            destination=ses.EventDestination.event_bus(default_bus),
            events=[SES_EVENTS[name] for name in contract.MATCHING_EVENT_TYPES],
        )

    @property
    def configuration_set_name(self) -> str | None:
        return self.configuration_set.configuration_set_name if self.configuration_set is not None else None

    def count_into(
        self, table: dynamodb.ITable, *, configuration_set_name: str | None, log_retention_days: int
    ) -> PythonFunction | None:
        """The rule for the events of `configuration_set_name` (the pool's: the set above for a new pool, the one
        read at deploy time for an existing pool) on the default bus, and the function that counts them into `table`.
        None, and nothing counted, where the pool sends through no set the stack knows of."""
        if configuration_set_name is None:
            return None
        counting = PythonFunction(
            self,
            "Counting",
            source=SOURCE,
            handler="delivery_events.handler.lambda_handler",
            description="Counts SES's delivery, bounce and complaint events of reset e-mails per bulk run",
            environment={
                env.POWERTOOLS_SERVICE_NAME: DELIVERY_EVENTS_SERVICE,
                env.IDEMPOTENCY_TABLE_NAME: table.table_name,
            },
            log_retention_days=log_retention_days,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
        )
        counting.add_to_role(iam.PolicyStatement(actions=list(COUNTING_ACTIONS), resources=[table.table_arn]))
        rule = events.Rule(
            self,
            "Rule",
            description="SES's delivery, bounce and complaint events of the pool's configuration set",
            event_pattern=events.EventPattern(
                source=[contract.SOURCE],
                detail_type=[contract.DETAIL_TYPE[name] for name in contract.MATCHING_EVENT_TYPES],
                detail={"mail": {"tags": {contract.CONFIGURATION_SET_TAG: [configuration_set_name]}}},
            ),
        )
        rule.add_target(
            targets.LambdaFunction(
                counting.function, retry_attempts=TARGET_RETRY_ATTEMPTS, max_event_age=TARGET_MAX_EVENT_AGE
            )
        )
        return counting
