"""The deployed stack as its users find it: its name and the outputs the operator CLI reads (CloudFormation
DescribeStacks on AWS; the local system registers the same outputs), and the setting that names its messages."""

from __future__ import annotations

from pathlib import Path
from typing import Final

STACK_NAME: Final = "CognitoPasswordReset"

USER_POOL_ID: Final = "UserPoolId"
EVENT_BUS_NAME: Final = "EventBusName"
SINGLE_RESET_STATE_MACHINE_ARN: Final = "SingleResetStateMachineArn"
BULK_RESET_STATE_MACHINE_ARN: Final = "BulkResetStateMachineArn"
BULK_BUCKET_NAME: Final = "BulkBucketName"
FAILED_REQUEST_QUEUE_URL: Final = "FailedRequestQueueUrl"
RESET_FUNCTION_NAME: Final = "ResetFunctionName"
ALARM_TOPIC_ARN: Final = "AlarmTopicArn"
DASHBOARD_NAME: Final = "DashboardName"
# What `cognito-reset doctor` and the bulk sizing compare the pool with: the function the pool's CustomMessage trigger
# must name, and the rate budget (AdminResetUserPassword calls a second), which is how fast a run's messages leave.
CUSTOM_MESSAGE_FUNCTION_ARN: Final = "CustomMessageFunctionArn"
RESET_RATE_BUDGET: Final = "ResetRateBudget"
# Where `cognito-reset status` reads a run's delivered, bounced and complained counts (contracts.delivery_events);
# only a stack that counts SES's events publishes it.
DELIVERY_COUNTS_TABLE_NAME: Final = "DeliveryCountsTableName"
# Where a bulk run's stop mark goes (`cognito-reset stop` writes it, `redrive` lifts it; the reset function's batches
# read it): the reset function's dedupe table, whose run records are the run's memory.
RUN_MEMORY_TABLE_NAME: Final = "RunMemoryTableName"
# The managed policy for the people who run the CLI (infra/operator_policy.py): attach it to their role or SSO
# permission set.
OPERATOR_POLICY_ARN: Final = "OperatorPolicyArn"
# What `cognito-reset` checks --reason, --brand and --locale against: the reasons, brands and locales the trigger's
# messages (the built-in ones with the deployer's pack over them) know, and the defaults, as JSON
# (message_tooling.catalog.MessageCatalog.to_output).
MESSAGE_CATALOG: Final = "MessageCatalog"
# The request bus's Deny statements (infra/bus_policy.py) as JSON, where the deployer keeps an existing bus's policy
# (manageExistingBusPolicy=false) and the bus's owner adds them.
REQUEST_BUS_POLICY_STATEMENTS: Final = "RequestBusPolicyStatements"

# The stack settings (cdk.json context) that decide what the trigger sends, which the operator CLI's preview reads
# too: the deployer's message pack, and the language and brand of a message whose request names none.
MESSAGE_PACK_SETTING: Final = "messagePack"
DEFAULT_LOCALE_SETTING: Final = "defaultLocale"
# The locale the product ships complete: defaultLocale's default, and the trigger's last resort when even the configured
# default has no templates (a typo in it).
SHIPPED_LOCALE: Final = "en"
DEFAULT_BRAND_SETTING: Final = "defaultBrand"


def message_pack_path(value: str, app_directory: Path) -> Path:
    """Where a messagePack setting points: a relative path is relative to the CDK app (the directory of cdk.json)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else app_directory / path
