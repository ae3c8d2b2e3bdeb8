"""What the custom-resource tests share: pools configured like production ones, CloudFormation's events, and running
the handler the way Lambda runs it."""

from __future__ import annotations

from typing import Any

from contracts.cognito import DEVELOPER
from contracts.custom_resources import CUSTOM_MESSAGE_TRIGGER
from local_aws.harness.server import ACCOUNT_ID, REGION
from pool_trigger_attachment.handler import lambda_handler
from tests.integration.pool_trigger_attachment.conftest import CloudFormationResponses

OUR_TRIGGER = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:CognitoPasswordReset-CustomMessage"
OUR_NEW_TRIGGER = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:CognitoPasswordReset-CustomMessage-v2"
THEIR_TRIGGER = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:legacy-custom-message"
OTHER_TRIGGERS = {
    "PreSignUp": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:pre-sign-up",
    "PostConfirmation": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:post-confirmation",
    "PreTokenGeneration": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:pre-token",
}
# Fields Cognito maintains itself; they change on every update or never belong to the configuration.
VOLATILE = {"LastModifiedDate", "EstimatedNumberOfUsers"}

# A pool configured the way production pools are: every UpdateUserPool setting moto keeps is set to a non-default.
# (No AliasAttributes/UsernameAttributes: those are fixed at creation and UpdateUserPool cannot send them, but moto,
# unlike Cognito, forgets them on any update, which would make every comparison below fail for moto's sake.)
PRODUCTION_POOL: dict[str, Any] = {
    "PoolName": "production-customers",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 14,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "TemporaryPasswordValidityDays": 2,
        }
    },
    "DeletionProtection": "ACTIVE",
    "AutoVerifiedAttributes": ["email"],
    "SmsVerificationMessage": "Your verification code is {####}",
    "EmailVerificationMessage": "Verify with {####}",
    "EmailVerificationSubject": "Verify your e-mail",
    "VerificationMessageTemplate": {
        "SmsMessage": "Your verification code is {####}",
        "EmailMessage": "Verify with {####}",
        "EmailSubject": "Verify your e-mail",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    },
    "SmsAuthenticationMessage": "Your sign-in code is {####}",
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "MfaConfiguration": "OPTIONAL",
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
    "EmailConfiguration": {
        "SourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/example.com",
        "ReplyToEmailAddress": "support@example.com",
        "EmailSendingAccount": DEVELOPER,
        "From": "Example <no-reply@example.com>",
        "ConfigurationSet": "transactional",
    },
    "SmsConfiguration": {
        "SnsCallerArn": f"arn:aws:iam::{ACCOUNT_ID}:role/cognito-sms",
        "ExternalId": "production-customers-sms",
        "SnsRegion": REGION,
    },
    "UserPoolTags": {"team": "identity", "cost-centre": "4711"},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "InviteMessageTemplate": {
            "SMSMessage": "Your username is {username} and temporary password is {####}",
            "EmailMessage": "Your username is {username} and temporary password is {####}",
            "EmailSubject": "Welcome",
        },
    },
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
    "AccountRecoverySetting": {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    },
    "Schema": [{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
}


def create_pool(cognito: Any, custom_message: str | None = None, **overrides: Any) -> str:
    lambda_config = dict(OTHER_TRIGGERS)
    if custom_message is not None:
        lambda_config["CustomMessage"] = custom_message
    pool = cognito.create_user_pool(**{**PRODUCTION_POOL, **overrides}, LambdaConfig=lambda_config)["UserPool"]
    return str(pool["Id"])


def describe(cognito: Any, pool_id: str) -> dict[str, Any]:
    pool = dict(cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"])
    for name in VOLATILE:
        pool.pop(name, None)
    return pool


def without_custom_message(pool: dict[str, Any]) -> dict[str, Any]:
    copy = dict(pool)
    copy["LambdaConfig"] = {key: value for key, value in pool["LambdaConfig"].items() if key != "CustomMessage"}
    return copy


def resource_event(
    resource_type: str,
    request_type: str,
    responses: CloudFormationResponses,
    properties: dict[str, str],
    physical_id: str | None = None,
    old: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A CloudFormation custom resource request, as the handler's Lambda receives it."""
    body: dict[str, Any] = {
        "RequestType": request_type,
        "ResponseURL": responses.url,
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/CognitoPasswordReset/0f1e",
        "RequestId": f"{request_type.lower()}-request",
        "ResourceType": resource_type,
        "LogicalResourceId": "UserPoolCustomResource",
        "ResourceProperties": {"ServiceToken": "arn:...", **properties},
    }
    if physical_id is not None:
        body["PhysicalResourceId"] = physical_id
    if old is not None:
        body["OldResourceProperties"] = {"ServiceToken": "arn:...", **old}
    return body


def event(
    request_type: str,
    responses: CloudFormationResponses,
    pool_id: str,
    trigger: str = OUR_TRIGGER,
    physical_id: str | None = None,
    old: dict[str, str] | None = None,
    resource_type: str = CUSTOM_MESSAGE_TRIGGER,
) -> dict[str, Any]:
    """A request for a resource of UserPoolId and TriggerArn: the existing-pool attachment unless told otherwise."""
    properties = {"UserPoolId": pool_id, "TriggerArn": trigger}
    return resource_event(resource_type, request_type, responses, properties, physical_id, old)


def moved_to_our_new_trigger(
    responses: CloudFormationResponses,
    pool_id: str,
    physical_id: str,
    resource_type: str = CUSTOM_MESSAGE_TRIGGER,
) -> dict[str, Any]:
    """The Update CloudFormation sends when the trigger function's ARN changes (OUR_TRIGGER -> OUR_NEW_TRIGGER)."""
    return event(
        "Update",
        responses,
        pool_id,
        trigger=OUR_NEW_TRIGGER,
        physical_id=physical_id,
        old={"UserPoolId": pool_id, "TriggerArn": OUR_TRIGGER},
        resource_type=resource_type,
    )


def run(body: dict[str, Any], responses: CloudFormationResponses) -> dict[str, Any]:
    """lambda_handler as Lambda calls it; returns the response CloudFormation received for this request."""
    sent_before = len(responses.received)
    lambda_handler(body, None)
    assert len(responses.received) == sent_before + 1, "exactly one response per request"
    response = responses.last
    assert response["StackId"] == body["StackId"]
    assert response["RequestId"] == body["RequestId"]
    assert response["LogicalResourceId"] == body["LogicalResourceId"]
    return response
