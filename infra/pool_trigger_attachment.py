"""The custom resources that read and write a user pool's configuration on the stack's behalf.

One Lambda-backed handler (functions/pool_trigger_attachment), allowed DescribeUserPool/UpdateUserPool on one pool,
serves three resource types:

- ``Custom::CognitoCustomMessageTrigger`` (a pool this stack does not own): attach the trigger by writing the pool's
  whole configuration back with only LambdaConfig.CustomMessage changed; on delete, put the previous value back.
- ``Custom::CognitoUserPoolEmailSendingAccount`` (a pool this stack does not own): read the pool's EmailSendingAccount
  and VerificationMessageTemplate.DefaultEmailOption at deploy time, for the trigger's EMAIL_SENDING_ACCOUNT and
  EMAIL_VERIFICATION_OPTION, and its EmailConfiguration.ConfigurationSet, for the delivery events rule (one
  DescribeUserPool: nothing beyond the permission every resource here has).
- ``Custom::CognitoCustomMessageTriggerDetachment`` (the pool this stack creates and retains on delete): writes
  nothing until the stack lets go of the pool; then detaches the trigger, so the retained pool does not call a deleted
  function (every message of the pool would fail).

Every write fails closed: a setting the handler's botocore does not know stops it before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contracts import custom_resources as resources
from infra.bundling import FunctionSource
from infra.python_function import PythonFunction

SOURCE: Final = FunctionSource(packages=("pool_trigger_attachment", "contracts"), requirements=("boto3",))
COGNITO_ACTIONS: Final = ("cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool")


def pool_configuration_handler(
    scope: Construct, *, user_pool_arn: str, sms_role_arn: str | None, log_retention_days: int
) -> PythonFunction:
    """The custom resources' handler (construct id "Handler") and its role: DescribeUserPool/UpdateUserPool on one
    pool, nothing else."""
    handler = PythonFunction(
        scope,
        "Handler",
        source=SOURCE,
        handler="pool_trigger_attachment.handler.lambda_handler",
        description="CloudFormation custom resources: reads a user pool's settings, sets or clears its trigger",
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
    return handler


def pool_custom_resource(
    scope: Construct,
    construct_id: str,
    *,
    handler: PythonFunction,
    resource_type: str,
    properties: Mapping[str, str],
) -> cdk.CustomResource:
    """One custom resource served by ``handler``. Its construct id must never change once deployed: under a new
    logical id CloudFormation creates the new resource and then deletes the old one, and an attachment's delete
    detaches the trigger."""
    return cdk.CustomResource(
        scope,
        construct_id,
        service_token=handler.function.function_arn,
        resource_type=resource_type,
        properties=dict(properties),
        # The handler answers within seconds; without this CloudFormation would wait an hour on a lost answer.
        service_timeout=cdk.Duration.minutes(5),
    )


class PoolTriggerAttachment(Construct):
    """A pool this stack does not own: how it sends and verifies e-mail, and the SES configuration set it sends through
    (`configuration_set_name`, "" for none), read at deploy time; the trigger attached."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool_id: str,
        user_pool_arn: str,
        trigger: lambda_.IFunction,
        sms_role_arn: str | None,
        configuration_revision: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        handler = pool_configuration_handler(
            self, user_pool_arn=user_pool_arn, sms_role_arn=sms_role_arn, log_retention_days=log_retention_days
        )
        # Read before the trigger is deployed (the trigger's environment depends on it; it depends on nothing of the
        # trigger's, so there is no cycle). CloudFormation runs it again only when its properties change: a change of
        # the pool's e-mail configuration reaches the trigger through a new configuration revision (docs/deploy.md),
        # and a key added to its answer through Answers (contracts/custom_resources.py).
        settings = pool_custom_resource(
            self,
            "EmailSendingAccount",
            handler=handler,
            resource_type=resources.EMAIL_SENDING_ACCOUNT,
            properties={
                resources.USER_POOL_ID: user_pool_id,
                resources.REVISION: configuration_revision,
                resources.ANSWERS: ",".join(resources.ANSWER_KEYS),
            },
        )
        self.email_sending_account = settings.get_att_string(resources.EMAIL_SENDING_ACCOUNT_KEY)
        self.email_verification_option = settings.get_att_string(resources.DEFAULT_EMAIL_OPTION_KEY)
        self.configuration_set_name = settings.get_att_string(resources.CONFIGURATION_SET_KEY)
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
        self.resource = pool_custom_resource(
            self,
            "Resource",
            handler=handler,
            resource_type=resources.CUSTOM_MESSAGE_TRIGGER,
            properties={resources.USER_POOL_ID: user_pool_id, resources.TRIGGER_ARN: trigger.function_arn},
        )
        # Cognito must be allowed to invoke the trigger before the pool starts using it.
        self.resource.node.add_dependency(permission)
