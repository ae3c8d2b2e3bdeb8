"""The reset function: validates, dedupes and paces requests, then calls AdminResetUserPassword.

Its role can call only the Cognito actions a reset needs (AdminGetUser and ListUsers to resolve a request to the
pool's user and read its status, AdminListGroupsForUser for a request that excludes groups, AdminResetUserPassword,
AdminUserGlobalSignOut, and DescribeUserPool to learn how the pool sends e-mail and how its users sign in), only on
the configured pools; it
reads SES's sending quota (the send rate that bounds resets where the pool sends through SES), reads and writes its
own idempotency table and publishes audit events to the one bus, and
nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from contracts import environment as env
from contracts.telemetry import NAMESPACE, RESET_SERVICE
from infra.bundling import FunctionSource
from infra.failed_requests import FailedRequestQueue
from infra.nag import acknowledge
from infra.python_function import PythonFunction
from infra.settings import Settings

SOURCE: Final = FunctionSource(
    packages=("reset_password", "contracts"),
    # boto3 is bundled (pinned) rather than taken from the runtime, so Lambda runs the SDK the tests ran.
    requirements=("aws-lambda-powertools", "boto3", "pydantic"),
)
COGNITO_ACTIONS: Final = (
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:ListUsers",
)
DESCRIBE_POOL_ACTION: Final = "cognito-idp:DescribeUserPool"
SES_QUOTA_ACTION: Final = "ses:GetSendQuota"
# What the ledger does (reset_password/ledger.py): consistent reads, conditional puts and deletes; nothing else.
IDEMPOTENCY_ACTIONS: Final = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
)
# The storm cap's buckets: read an hour of them at once, take a slot in the current one.
CAP_ACTIONS: Final = ("dynamodb:BatchGetItem", "dynamodb:UpdateItem")
# One request per invocation on the event and single-reset paths; the in-function retries of a throttled Cognito call
# and the pacing of a batch fit well inside a minute.
TIMEOUT: Final = cdk.Duration.seconds(60)
MEMORY_MB: Final = 512
# Lambda's own retries of a failed asynchronous invocation (EventBridge path): duplicates are suppressed by the
# idempotency key, so retrying a transient failure is safe.
ASYNC_RETRY_ATTEMPTS: Final = 2
# How long an event may wait in Lambda's queue (throttled by the reserved concurrency, or between retries) before it
# goes to the failed-request queue for a human to decide. Past this a reset is more likely stale than useful.
ASYNC_MAX_EVENT_AGE: Final = cdk.Duration.hours(2)


def user_pool_arn(scope: Construct, user_pool_id: str) -> str:
    """The ARN of a pool given by id, in the Region its id names (the stack's own account)."""
    region = user_pool_id.partition("_")[0]
    return cdk.Stack.of(scope).format_arn(
        service="cognito-idp", region=region, resource="userpool", resource_name=user_pool_id
    )


class ResetFunction(Construct):
    """The function, its reserved concurrency, its async failure handling and its dedupe table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        user_pool_id: str,
        user_pool_arns: Sequence[str],
        audit_bus: events.IEventBus,
        failed_requests: FailedRequestQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        # The table is deployed whatever the window: a cooldown of 0 turns the window off, while claims (one code per
        # attempt, whatever happens to it) and a bulk run's memory for its redrives still need the table.
        self.table = self._idempotency_table()
        environment = {
            env.USER_POOL_ID: user_pool_id,
            env.ALLOWED_USER_POOL_IDS: cdk.Fn.join(",", [user_pool_id, *settings.additional_user_pool_ids]),
            env.AUDIT_EVENT_BUS_NAME: audit_bus.event_bus_name,
            env.POWERTOOLS_SERVICE_NAME: RESET_SERVICE,
            env.POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
        }
        # Each container's share of each rate budget (reset_password/pacing.py): at most `reserved_concurrency`
        # containers run at once, so together they stay within every budget.
        shares = (budget / settings.reserved_concurrency for budget in settings.rate_budgets)
        variables = (env.RESET_CALLS_PER_SECOND, env.LOOKUP_CALLS_PER_SECOND, env.SIGN_OUT_CALLS_PER_SECOND)
        environment |= {variable: f"{share:g}" for variable, share in zip(variables, shares, strict=True)}
        # And of the SES account's send rate, read by each container where the pool sends through SES
        # (reset_password/delivery_rate.py).
        environment[env.SES_SEND_RATE_SHARE] = f"{1 / settings.reserved_concurrency:g}"
        environment[env.IDEMPOTENCY_TABLE_NAME] = self.table.table_name
        environment[env.COOLDOWN_SECONDS] = str(settings.cooldown_seconds)
        environment[env.EVENT_RESETS_PER_HOUR] = str(settings.event_resets_per_hour)
        environment[env.FAILED_REQUEST_QUEUE_URL] = failed_requests.queue.queue_url
        self.lambda_ = PythonFunction(
            self,
            "ResetPassword",
            source=SOURCE,
            handler="reset_password.handler.lambda_handler",
            description="Resets Cognito users' passwords on request (EventBridge, Step Functions, direct invoke)",
            environment=environment,
            log_retention_days=settings.log_retention_days,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            reserved_concurrency=settings.reserved_concurrency,
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
            on_failure=failed_requests.as_failure_destination(),
        )
        self.function = self.lambda_.function
        self.lambda_.add_to_role(
            iam.PolicyStatement(actions=list(COGNITO_ACTIONS), resources=list(user_pool_arns)),
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[audit_bus.event_bus_arn]),
        )
        self.lambda_.add_to_role(
            iam.PolicyStatement(actions=list(IDEMPOTENCY_ACTIONS), resources=[self.table.table_arn]),
            # The storm cap's shared counter (reset_password/reset_cap.py): its buckets' keys only.
            iam.PolicyStatement(
                actions=list(CAP_ACTIONS),
                resources=[self.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{env.CAP_KEY_PREFIX}*"]}},
            ),
        )
        # How the pools send e-mail, and SES's send rate where they send through SES (delivery_rate.py): read once per
        # container. GetSendQuota names no resource (Service Authorization Reference, Amazon SES: no resource types
        # for GetSendQuota), so it is granted on '*'; it reads the account's quota and nothing else.
        self.lambda_.add_to_role(
            iam.PolicyStatement(actions=[DESCRIBE_POOL_ACTION], resources=list(user_pool_arns)),
            iam.PolicyStatement(actions=[SES_QUOTA_ACTION], resources=["*"]),
        )
        acknowledge(
            self.lambda_.role,
            "AwsSolutions-IAM5[Resource::*]",
            f"{SES_QUOTA_ACTION} supports no resource-level permissions; it reads the account's sending quota only.",
        )
        send_failures = failed_requests.send_policy(self, "SendFailedRequests", self.lambda_.role)
        # Lambda checks the role's access to the destination when the async configuration is created.
        invoke_config = self.function.node.find_child("EventInvokeConfig")
        invoke_config.node.add_dependency(send_failures)

    def _idempotency_table(self) -> dynamodb.Table:
        """The ledger's table (reset_password/ledger.py): partition key `id`, TTL attribute `expiration`."""
        table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            time_to_live_attribute="expiration",
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        acknowledge(
            table,
            "AwsSolutions-DDB3",
            "The table holds short-lived records (each user's last reset for the cooldown window, a bulk run's resets "
            "for as long as it can be redriven; items expire by TTL); a restore from a point in time would bring back "
            "older claims than the ones it replaces.",
        )
        return table
