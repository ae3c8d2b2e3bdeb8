"""Attach the CustomMessage trigger to a user pool this stack does not own, without touching its other settings.

A Lambda-backed custom resource (handler: functions/pool_trigger_attachment) reads the pool with DescribeUserPool and
writes the whole configuration back with UpdateUserPool, changing only LambdaConfig.CustomMessage; on delete it puts
the previous value back. Cognito may invoke the trigger only on behalf of that pool.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.bundling import FunctionSource
from infra.python_function import PythonFunction

SOURCE: Final = FunctionSource(packages=("pool_trigger_attachment",), requirements=("boto3",))
RESOURCE_TYPE: Final = "Custom::CognitoCustomMessageTrigger"
COGNITO_ACTIONS: Final = ("cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool")


class PoolTriggerAttachment(Construct):
    """The custom resource, its handler and the handler's role (DescribeUserPool/UpdateUserPool on one pool)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool_id: str,
        user_pool_arn: str,
        trigger: lambda_.IFunction,
        sms_role_arn: str | None,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        handler = PythonFunction(
            self,
            "Handler",
            source=SOURCE,
            handler="pool_trigger_attachment.handler.lambda_handler",
            description="CloudFormation custom resource: sets the CustomMessage trigger of an existing user pool",
            environment={},
            log_retention_days=log_retention_days,
            memory_size=256,
            timeout=cdk.Duration.minutes(2),
        )
        handler.add_to_role(iam.PolicyStatement(actions=list(COGNITO_ACTIONS), resources=[user_pool_arn]))
        if sms_role_arn is not None:
            # UpdateUserPool passes the pool's SMS role back to Cognito, which needs iam:PassRole on that role.
            handler.add_to_role(
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[sms_role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "cognito-idp.amazonaws.com"}},
                )
            )
        # Cognito may invoke the trigger only on behalf of this pool, in this account.
        permission = lambda_.CfnPermission(
            self,
            "InvokedByUserPool",
            action="lambda:InvokeFunction",
            function_name=trigger.function_arn,
            principal="cognito-idp.amazonaws.com",
            source_arn=user_pool_arn,
            source_account=cdk.Stack.of(self).account,
        )
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=handler.function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties={"UserPoolId": user_pool_id, "TriggerArn": trigger.function_arn},
            # The handler answers within seconds; without this CloudFormation would wait an hour on a lost answer.
            service_timeout=cdk.Duration.minutes(5),
        )
        # Cognito must be allowed to invoke the trigger before the pool starts using it.
        self.resource.node.add_dependency(permission)
