"""The deployed stack as its users find it: its name and the outputs the operator CLI reads (CloudFormation
DescribeStacks on AWS; the local system registers the same outputs)."""

from __future__ import annotations

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
