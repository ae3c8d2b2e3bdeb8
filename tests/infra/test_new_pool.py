"""The default deployment: a new user pool with secure defaults and the CustomMessage trigger attached."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from contracts import environment as env
from contracts.cognito import COGNITO_DEFAULT, CONFIRM_WITH_CODE, CONFIRM_WITH_LINK, DEVELOPER
from contracts.custom_resources import CUSTOM_MESSAGE_TRIGGER_DETACHMENT as DETACHMENT_TYPE
from contracts.telemetry import NAMESPACE, RESET_SERVICE
from infra.user_pool import NO_SES_WARNING, ResetUserPool, default_email_option
from tests.infra.conftest import ALARM_EMAIL, CAP_KEYS_ONLY, Synthesized, allow, grants, named_settings, render


def pool(new_pool: Synthesized) -> dict[str, Any]:
    properties = render(new_pool.properties("UserPool/UserPool"))
    assert isinstance(properties, dict)
    return properties


def test_pool_is_kept_when_the_stack_goes_and_protected_from_deletion(new_pool: Synthesized) -> None:
    resource = new_pool.resources[new_pool.logical_id("UserPool/UserPool")]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert pool(new_pool)["DeletionProtection"] == "ACTIVE"


def test_pool_has_secure_defaults(new_pool: Synthesized) -> None:
    properties = pool(new_pool)
    assert properties["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert properties["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert properties["AutoVerifiedAttributes"] == ["email"]
    assert properties["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert properties["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["UsernameConfiguration"] == {"CaseSensitive": False}


def test_the_custom_message_trigger_is_attached_and_only_this_pool_may_invoke_it(new_pool: Synthesized) -> None:
    trigger_id = new_pool.logical_id("CustomMessage/CustomMessage/Function")
    pool_id = new_pool.logical_id("UserPool/UserPool")
    assert pool(new_pool)["LambdaConfig"] == {"CustomMessage": "${" + trigger_id + ".Arn}"}
    permissions = [
        render(body["Properties"])
        for body in new_pool.of_type("AWS::Lambda::Permission").values()
        if body["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": "${" + trigger_id + ".Arn}",
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": "${" + pool_id + ".Arn}",
        }
    ]


def test_without_ses_the_pool_uses_cognitos_sender_and_the_synth_says_what_that_means(new_pool: Synthesized) -> None:
    assert pool(new_pool)["EmailConfiguration"] == {"EmailSendingAccount": COGNITO_DEFAULT}
    [warning] = [warning for warning in new_pool.annotations("warning") if NO_SES_WARNING in warning]
    # One line, saying what the deployer gets and where the fix is.
    assert "\n" not in warning
    for fact in ("untailored", "about 50 a day", "bulk runs above that are refused", "docs/deploy.md"):
        assert fact in warning, warning


def test_the_trigger_is_told_the_new_pools_e_mail_sending_account(new_pool: Synthesized) -> None:
    variables = new_pool.properties("CustomMessage/CustomMessage/Function")["Environment"]["Variables"]
    assert variables[env.EMAIL_SENDING_ACCOUNT] == pool(new_pool)["EmailConfiguration"]["EmailSendingAccount"]
    assert variables[env.EMAIL_SENDING_ACCOUNT] == COGNITO_DEFAULT


def test_the_trigger_is_told_how_the_new_pool_confirms_a_sign_up(new_pool: Synthesized) -> None:
    # CDK's UserPool writes a VerificationMessageTemplate whose DefaultEmailOption follows userVerification's
    # emailStyle, CODE unless set; the trigger is told what the template deploys.
    variables = new_pool.properties("CustomMessage/CustomMessage/Function")["Environment"]["Variables"]
    template = pool(new_pool)["VerificationMessageTemplate"]
    assert variables[env.EMAIL_VERIFICATION_OPTION] == template["DefaultEmailOption"] == CONFIRM_WITH_CODE


def test_the_verification_option_is_read_from_the_pool_construct() -> None:
    stack = cdk.Stack(cdk.App(), "PoolOnly")
    link_pool = cognito.UserPool(
        stack,
        "LinkPool",
        user_verification=cognito.UserVerificationConfig(email_style=cognito.VerificationEmailStyle.LINK),
    )

    assert default_email_option(link_pool) == CONFIRM_WITH_LINK
    assert default_email_option(cognito.UserPool(stack, "CodePool")) == CONFIRM_WITH_CODE


def test_with_ses_the_pool_sends_through_the_verified_identity() -> None:
    settings = named_settings(
        {
            "sesFromAddress": "no-reply@mail.example.com",
            "sesFromName": "Example Security",
            "sesVerifiedDomain": "mail.example.com",
            "sesRegion": "eu-west-1",
        }
    )
    stack = cdk.Stack(cdk.App(), "PoolOnly")
    trigger = lambda_.Function.from_function_arn(
        stack, "Trigger", "arn:aws:lambda:eu-west-1:123456789012:function:custom-message"
    )
    user_pool = ResetUserPool(stack, "UserPool", settings=settings, custom_message=trigger)

    assert user_pool.email_sending_account == DEVELOPER  # what the trigger is told: tailor the e-mail too
    template = Template.from_stack(stack).to_json()
    [pool_body] = [body for body in template["Resources"].values() if body["Type"] == "AWS::Cognito::UserPool"]
    assert render(pool_body["Properties"]["EmailConfiguration"]) == {
        "EmailSendingAccount": DEVELOPER,
        "From": "Example Security <no-reply@mail.example.com>",
        "SourceArn": "arn:${AWS::Partition}:ses:eu-west-1:${AWS::AccountId}:identity/mail.example.com",
    }
    assert not [
        entry
        for entry in stack.node.metadata + stack.node.find_child("UserPool").node.metadata
        if entry.type == "aws:cdk:warning"
    ]


def test_reset_role_has_exactly_the_reset_permissions_on_the_new_pool(new_pool: Synthesized) -> None:
    role_id = new_pool.logical_id("Reset/ResetPassword/Role")
    ids = {
        path: new_pool.logical_id(path)
        for path in (
            "Reset/ResetPassword/LogGroup",
            "UserPool/UserPool",
            "RequestBus",
            "Reset/IdempotencyTable",
            "FailedRequests/Queue",
            "MessageKey",
        )
    }
    arn = {path: "${" + logical_id + ".Arn}" for path, logical_id in ids.items()}
    assert new_pool.role_permissions(role_id) == grants(
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [arn["Reset/ResetPassword/LogGroup"]]),
        allow(
            [
                "cognito-idp:AdminGetUser",
                "cognito-idp:AdminListGroupsForUser",
                "cognito-idp:AdminResetUserPassword",
                "cognito-idp:AdminUserGlobalSignOut",
                "cognito-idp:ListUsers",
            ],
            [arn["UserPool/UserPool"]],
        ),
        allow(["events:PutEvents"], [arn["RequestBus"]]),
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            [arn["Reset/IdempotencyTable"]],
        ),
        # The storm cap's buckets, and nothing else of the table, may be updated (reset_password/reset_cap.py).
        allow(["dynamodb:BatchGetItem", "dynamodb:UpdateItem"], [arn["Reset/IdempotencyTable"]], CAP_KEYS_ONLY),
        allow(["sqs:SendMessage"], [arn["FailedRequests/Queue"]]),
        allow(["kms:GenerateDataKey", "kms:Decrypt"], [arn["MessageKey"]]),
        # How the pool sends e-mail, and SES's send rate that bounds resets (reset_password/delivery_rate.py).
        allow(["cognito-idp:DescribeUserPool"], [arn["UserPool/UserPool"]]),
        allow(["ses:GetSendQuota"], ["*"]),
    )


def test_every_role_is_one_this_suite_asserts(new_pool: Synthesized) -> None:
    assert set(new_pool.of_type("AWS::IAM::Role")) == {
        new_pool.logical_id("CustomMessage/CustomMessage/Role"),
        new_pool.logical_id("Reset/ResetPassword/Role"),
        new_pool.logical_id("SingleReset/StateMachine/Role"),
        new_pool.logical_id("BulkReset/StateMachine/Role"),
        new_pool.logical_id("BulkReset/Summary/RunSummary/Role"),
        new_pool.logical_id("UserPool/Handler/Role"),
    }


def test_detachment_role_reads_and_writes_the_new_pool_only(new_pool: Synthesized) -> None:
    role_id = new_pool.logical_id("UserPool/Handler/Role")
    log_group = new_pool.logical_id("UserPool/Handler/LogGroup")
    pool = "${" + new_pool.logical_id("UserPool/UserPool") + ".Arn}"
    assert new_pool.role_permissions(role_id) == grants(
        allow(["cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"], [pool]),
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], ["${" + log_group + ".Arn}"]),
    )


def test_reset_function_settings_and_reserved_concurrency(new_pool: Synthesized) -> None:
    properties = render(new_pool.properties("Reset/ResetPassword/Function"))
    pool_ref = "${" + new_pool.logical_id("UserPool/UserPool") + "}"
    assert properties["Environment"]["Variables"] == {
        env.USER_POOL_ID: pool_ref,
        env.ALLOWED_USER_POOL_IDS: pool_ref,
        env.AUDIT_EVENT_BUS_NAME: "${" + new_pool.logical_id("RequestBus") + "}",
        env.IDEMPOTENCY_TABLE_NAME: "${" + new_pool.logical_id("Reset/IdempotencyTable") + "}",
        env.COOLDOWN_SECONDS: "3600",
        env.POWERTOOLS_SERVICE_NAME: RESET_SERVICE,
        env.POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
        env.POWERTOOLS_LOG_LEVEL: "INFO",
        # 20 calls/s of each category (rateBudget, the default of the other two) shared by at most 5 containers
        env.RESET_CALLS_PER_SECOND: "4",
        env.LOOKUP_CALLS_PER_SECOND: "4",
        env.SIGN_OUT_CALLS_PER_SECOND: "4",
        # and a fifth of the SES account's send rate, where the pool sends through SES
        env.SES_SEND_RATE_SHARE: "0.2",
        # The event path's storm cap (its default), and where the requests it refuses go.
        env.EVENT_RESETS_PER_HOUR: "100",
        env.FAILED_REQUEST_QUEUE_URL: "${" + new_pool.logical_id("FailedRequests/Queue") + "}",
    }
    # ceil(20 resets/s x 0.25 s) = 5
    assert properties["ReservedConcurrentExecutions"] == 5
    assert properties["Timeout"] == 60


def test_the_ledgers_table_has_its_key_and_ttl(new_pool: Synthesized) -> None:
    table = new_pool.properties("Reset/IdempotencyTable")
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_dedicated_bus_carries_requests_and_audit_events(new_pool: Synthesized) -> None:
    bus_id = new_pool.logical_id("RequestBus")
    assert render(new_pool.properties("Requests/Rule"))["EventBusName"] == "${" + bus_id + "}"
    assert render(new_pool.template["Outputs"]["EventBusName"]["Value"]) == "${" + bus_id + "}"
    assert (
        render(new_pool.template["Outputs"]["UserPoolId"]["Value"])
        == "${" + new_pool.logical_id("UserPool/UserPool") + "}"
    )


def test_alarm_email_is_subscribed_to_the_alarm_topic(new_pool: Synthesized) -> None:
    _, subscription = new_pool.only("AWS::SNS::Subscription")
    assert render(subscription["Properties"]) == {
        "Protocol": "email",
        "Endpoint": ALARM_EMAIL,
        "TopicArn": "${" + new_pool.logical_id("Monitoring/AlarmTopic") + "}",
    }


# A name in a policy (a key policy's condition on the request rule, say) grants nothing once its resource is gone:
# only the references a retained resource acts on can dangle.
POLICY_PROPERTIES = frozenset({"KeyPolicy", "PolicyDocument"})


def references(value: Any) -> set[str]:
    """Logical ids a property value refers to (Ref, Fn::GetAtt, ${X} / ${X.Attr} in Fn::Sub), policies aside."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        value = {key: item for key, item in value.items() if key not in POLICY_PROPERTIES}
        if set(value) == {"Ref"}:
            found.add(value["Ref"])
        elif set(value) == {"Fn::GetAtt"}:
            found.add(value["Fn::GetAtt"][0])
        elif set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
        for item in value.values():
            found |= references(item)
    return found


def test_nothing_the_stack_deletes_is_still_referenced_by_what_it_retains(new_pool: Synthesized) -> None:
    """After `cdk destroy`, a retained resource must not point at a deleted one, unless a detachment releases it."""
    resources = new_pool.resources
    retained = {name for name, body in resources.items() if body.get("DeletionPolicy") == "Retain"}
    detachments = [
        (references(body["Properties"]["UserPoolId"]), references(body["Properties"]["TriggerArn"]))
        for body in new_pool.of_type(DETACHMENT_TYPE).values()
    ]
    dangling = {
        (name, target)
        for name in retained
        for target in references(resources[name].get("Properties", {})) - retained
        if target in resources and not any(name in pools and target in triggers for pools, triggers in detachments)
    }
    assert dangling == set()
    # The one reference that needed releasing, and it is released: the retained pool's trigger.
    assert detachments == [
        ({new_pool.logical_id("UserPool/UserPool")}, {new_pool.logical_id("CustomMessage/CustomMessage/Function")})
    ]


def test_the_retained_pool_is_detached_from_the_trigger_before_the_trigger_is_deleted(new_pool: Synthesized) -> None:
    detachment_id = new_pool.logical_id("UserPool/TriggerDetachment")
    detachment = new_pool.resources[detachment_id]
    trigger_id = new_pool.logical_id("CustomMessage/CustomMessage/Function")
    handler_id = new_pool.logical_id("UserPool/Handler/Function")
    assert detachment["Type"] == DETACHMENT_TYPE
    assert render(detachment["Properties"]) == {
        "ServiceToken": "${" + handler_id + ".Arn}",
        "ServiceTimeout": "300",
        "UserPoolId": "${" + new_pool.logical_id("UserPool/UserPool") + "}",
        "TriggerArn": "${" + trigger_id + ".Arn}",
    }
    # CloudFormation deletes a resource before whatever it refers to: the detachment (and its handler's answer)
    # comes before the trigger function, its role and its log group are gone.
    assert detachment["DeletionPolicy"] == "Delete"  # a retained detachment would never run its delete
    assert new_pool.resources[handler_id].get("DeletionPolicy", "Delete") == "Delete"
    assert render(new_pool.properties("UserPool/Handler/Function"))["Handler"] == (
        "pool_trigger_attachment.handler.lambda_handler"
    )
