"""describe -> update -> describe: attaching, moving and detaching the trigger leaves every other setting as it was.

The handler runs as Lambda runs it (lambda_handler with a CloudFormation event), talking to moto's Cognito over HTTP,
and answers on a local stand-in for CloudFormation's pre-signed response URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.model import StructureShape

from local_aws.server import ACCOUNT_ID, REGION, LocalAws
from pool_trigger_attachment.attachment import NOTHING_ATTACHED
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
        "EmailSendingAccount": "DEVELOPER",
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


@pytest.fixture
def cognito(aws: LocalAws) -> Any:
    return aws.client("cognito-idp")


@pytest.fixture
def update_requests() -> Iterator[list[dict[str, Any]]]:
    """Every UpdateUserPool request the handler sends, as botocore is about to serialise it."""
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    events = boto3._get_default_session().events  # the session lambda_handler's boto3.client() uses
    events.register("provide-client-params.cognito-idp.UpdateUserPool", record)
    yield sent
    events.unregister("provide-client-params.cognito-idp.UpdateUserPool", record)


def create_pool(cognito: Any, custom_message: str | None = None) -> str:
    lambda_config = dict(OTHER_TRIGGERS)
    if custom_message is not None:
        lambda_config["CustomMessage"] = custom_message
    pool = cognito.create_user_pool(**PRODUCTION_POOL, LambdaConfig=lambda_config)["UserPool"]
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


def event(
    request_type: str,
    responses: CloudFormationResponses,
    pool_id: str,
    trigger: str = OUR_TRIGGER,
    physical_id: str | None = None,
    old: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "RequestType": request_type,
        "ResponseURL": responses.url,
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/CognitoPasswordReset/0f1e",
        "RequestId": f"{request_type.lower()}-request",
        "ResourceType": "Custom::CognitoCustomMessageTrigger",
        "LogicalResourceId": "UserPoolTriggerAttachmentResource",
        "ResourceProperties": {"ServiceToken": "arn:...", "UserPoolId": pool_id, "TriggerArn": trigger},
    }
    if physical_id is not None:
        body["PhysicalResourceId"] = physical_id
    if old is not None:
        body["OldResourceProperties"] = {"ServiceToken": "arn:...", **old}
    return body


def run(body: dict[str, Any], responses: CloudFormationResponses) -> dict[str, Any]:
    lambda_handler(body, None)
    response = responses.last
    assert response["StackId"] == body["StackId"]
    assert response["RequestId"] == body["RequestId"]
    assert response["LogicalResourceId"] == body["LogicalResourceId"]
    return response


def test_create_sets_only_custom_message_and_carries_every_other_setting_over(
    cognito: Any, cloudformation: CloudFormationResponses, update_requests: list[dict[str, Any]]
) -> None:
    pool_id = create_pool(cognito)
    before = describe(cognito, pool_id)

    response = run(event("Create", cloudformation, pool_id), cloudformation)

    assert response["Status"] == "SUCCESS", response["Reason"]
    after = describe(cognito, pool_id)
    assert after["LambdaConfig"] == {**OTHER_TRIGGERS, "CustomMessage": OUR_TRIGGER}
    assert without_custom_message(after) == before
    # The request itself carried the whole configuration (moto merges an update; Cognito resets what is missing).
    [request] = update_requests
    assert_carries_everything(cognito, before, request)
    assert request["LambdaConfig"] == {**OTHER_TRIGGERS, "CustomMessage": OUR_TRIGGER}


def assert_carries_everything(cognito: Any, described: dict[str, Any], request: dict[str, Any]) -> None:
    """Every UpdateUserPool member the pool has a value for is in the request, with that value."""
    shape = cognito.meta.service_model.operation_model("UpdateUserPool").input_shape
    assert isinstance(shape, StructureShape)
    renamed = {"UserPoolId": "Id", "PoolName": "Name"}
    expected_members = {name for name in shape.members if described.get(renamed.get(name, name)) not in (None, "", {})}
    assert expected_members <= set(request), expected_members - set(request)
    for name in expected_members - {"LambdaConfig", "AdminCreateUserConfig"}:
        assert request[name] == described[renamed.get(name, name)], name
    # Deprecated and refused by UpdateUserPool; its value lives on in the password policy.
    expected_admin = {
        key: value for key, value in described["AdminCreateUserConfig"].items() if key != "UnusedAccountValidityDays"
    }
    assert request["AdminCreateUserConfig"] == expected_admin
    for describe_only in ("Id", "Arn", "Status", "CreationDate", "SchemaAttributes", "AliasAttributes", "Name"):
        assert describe_only not in request


def test_create_records_an_existing_custom_message_and_delete_restores_it(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    pool_id = create_pool(cognito, custom_message=THEIR_TRIGGER)
    before = describe(cognito, pool_id)

    created = run(event("Create", cloudformation, pool_id), cloudformation)
    assert created["Status"] == "SUCCESS", created["Reason"]
    assert describe(cognito, pool_id)["LambdaConfig"]["CustomMessage"] == OUR_TRIGGER

    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert describe(cognito, pool_id) == before


def test_delete_without_a_previous_trigger_removes_ours_and_keeps_the_others(
    cognito: Any, cloudformation: CloudFormationResponses, update_requests: list[dict[str, Any]]
) -> None:
    pool_id = create_pool(cognito)
    before = describe(cognito, pool_id)
    created = run(event("Create", cloudformation, pool_id), cloudformation)

    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert update_requests[-1]["LambdaConfig"] == OTHER_TRIGGERS
    after = describe(cognito, pool_id)
    assert "CustomMessage" not in after["LambdaConfig"]
    assert after == before


def test_delete_leaves_a_trigger_someone_else_set_since(cognito: Any, cloudformation: CloudFormationResponses) -> None:
    pool_id = create_pool(cognito)
    created = run(event("Create", cloudformation, pool_id), cloudformation)
    cognito.update_user_pool(UserPoolId=pool_id, LambdaConfig={**OTHER_TRIGGERS, "CustomMessage": THEIR_TRIGGER})

    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert describe(cognito, pool_id)["LambdaConfig"]["CustomMessage"] == THEIR_TRIGGER


def test_delete_succeeds_when_the_pool_is_gone(cognito: Any, cloudformation: CloudFormationResponses) -> None:
    pool_id = create_pool(cognito)
    created = run(event("Create", cloudformation, pool_id), cloudformation)
    cognito.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
    cognito.delete_user_pool(UserPoolId=pool_id)

    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]


def test_update_to_a_new_trigger_arn_keeps_the_attachment_and_its_memory(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    pool_id = create_pool(cognito, custom_message=THEIR_TRIGGER)
    before = describe(cognito, pool_id)
    created = run(event("Create", cloudformation, pool_id), cloudformation)

    updated = run(
        event(
            "Update",
            cloudformation,
            pool_id,
            trigger=OUR_NEW_TRIGGER,
            physical_id=created["PhysicalResourceId"],
            old={"UserPoolId": pool_id, "TriggerArn": OUR_TRIGGER},
        ),
        cloudformation,
    )

    assert updated["Status"] == "SUCCESS", updated["Reason"]
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert describe(cognito, pool_id)["LambdaConfig"]["CustomMessage"] == OUR_NEW_TRIGGER
    # Deleting later still restores what was there before the stack came.
    run(
        event("Delete", cloudformation, pool_id, trigger=OUR_NEW_TRIGGER, physical_id=updated["PhysicalResourceId"]),
        cloudformation,
    )
    assert describe(cognito, pool_id) == before


def test_update_to_another_pool_attaches_there_and_cloudformations_delete_restores_the_first(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    first = create_pool(cognito, custom_message=THEIR_TRIGGER)
    second = create_pool(cognito)
    first_before, second_before = describe(cognito, first), describe(cognito, second)
    created = run(event("Create", cloudformation, first), cloudformation)

    updated = run(
        event(
            "Update",
            cloudformation,
            second,
            physical_id=created["PhysicalResourceId"],
            old={"UserPoolId": first, "TriggerArn": OUR_TRIGGER},
        ),
        cloudformation,
    )
    assert updated["Status"] == "SUCCESS", updated["Reason"]
    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"], (
        "a new id makes CloudFormation delete the old"
    )
    assert describe(cognito, second)["LambdaConfig"]["CustomMessage"] == OUR_TRIGGER

    # CloudFormation's clean-up of the replaced resource carries the old properties and the old physical id.
    run(event("Delete", cloudformation, first, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert describe(cognito, first) == first_before
    assert without_custom_message(describe(cognito, second)) == second_before


def test_a_failure_is_reported_to_cloudformation_and_its_rollback_is_a_no_op(
    cognito: Any, cloudformation: CloudFormationResponses, update_requests: list[dict[str, Any]]
) -> None:
    missing = f"{REGION}_NoSuchPool1"

    failed = run(event("Create", cloudformation, missing), cloudformation)

    assert failed["Status"] == "FAILED"
    assert failed["Reason"].startswith("ResourceNotFoundException:"), failed["Reason"]
    assert failed["PhysicalResourceId"] == NOTHING_ATTACHED
    rolled_back = run(event("Delete", cloudformation, missing, physical_id=NOTHING_ATTACHED), cloudformation)
    assert rolled_back["Status"] == "SUCCESS"
    assert update_requests == []


def test_the_response_is_a_put_with_an_empty_content_type_as_the_presigned_url_expects(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    pool_id = create_pool(cognito)

    run(event("Create", cloudformation, pool_id), cloudformation)

    [headers] = cloudformation.headers
    assert headers.get("Content-Type", "") == ""
    assert cloudformation.last["PhysicalResourceId"] == f"{pool_id}/CustomMessage/none"
    assert cloudformation.last["NoEcho"] is False
