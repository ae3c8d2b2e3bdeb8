"""Deploying against an existing pool: no pool resource, a custom resource attaches the trigger, scoped permissions."""

from __future__ import annotations

import json
import re
from pathlib import Path

from contracts import environment as env
from contracts.custom_resources import ANSWER_KEYS, CUSTOM_MESSAGE_TRIGGER, EMAIL_SENDING_ACCOUNT
from tests.infra.conftest import (
    CAP_KEYS_ONLY,
    EXISTING_POOL_ID,
    OTHER_POOL_ID,
    SMS_ROLE_ARN,
    Synthesized,
    allow,
    grants,
    render,
    synthesize,
)

# The attachment's logical id in every release so far (see the test that pins it).
ATTACHMENT_LOGICAL_ID = "UserPoolTriggerAttachmentAE86073A"


def pool_arn(pool_id: str) -> str:
    return f"arn:aws:cognito-idp:eu-west-1:${{AWS::AccountId}}:userpool/{pool_id}"


def test_no_user_pool_is_created(existing_pool: Synthesized) -> None:
    assert not existing_pool.of_type("AWS::Cognito::UserPool")
    assert existing_pool.template["Outputs"]["UserPoolId"]["Value"] == EXISTING_POOL_ID


def test_custom_resource_attaches_our_trigger_to_that_pool(existing_pool: Synthesized) -> None:
    [(resource_id, resource)] = existing_pool.of_type(CUSTOM_MESSAGE_TRIGGER).items()
    handler_id = existing_pool.logical_id("UserPool/TriggerAttachment/Handler/Function")
    trigger_id = existing_pool.logical_id("CustomMessage/CustomMessage/Function")
    assert render(resource["Properties"]) == {
        "ServiceToken": "${" + handler_id + ".Arn}",
        "ServiceTimeout": "300",
        "UserPoolId": EXISTING_POOL_ID,
        "TriggerArn": "${" + trigger_id + ".Arn}",
    }
    # Cognito may invoke the trigger before the pool starts using it.
    assert existing_pool.logical_id("UserPool/TriggerAttachment/InvokedByUserPool") in resource["DependsOn"]
    handler = existing_pool.properties("UserPool/TriggerAttachment/Handler/Function")
    assert handler["Handler"] == "pool_trigger_attachment.handler.lambda_handler"
    # Pinned: under a new logical id CloudFormation would create a second attachment and then delete the first, whose
    # delete puts the pool's previous trigger back. An upgrade of the stack must never rename it.
    assert resource_id == ATTACHMENT_LOGICAL_ID


def test_the_trigger_is_told_how_the_pool_sends_and_verifies_e_mail_read_at_deploy_time(
    existing_pool: Synthesized,
) -> None:
    reader_id = existing_pool.logical_id("UserPool/TriggerAttachment/EmailSendingAccount")
    reader = existing_pool.resources[reader_id]
    handler_id = existing_pool.logical_id("UserPool/TriggerAttachment/Handler/Function")
    trigger_id = existing_pool.logical_id("CustomMessage/CustomMessage/Function")
    assert reader["Type"] == EMAIL_SENDING_ACCOUNT
    assert render(reader["Properties"]) == {
        "ServiceToken": "${" + handler_id + ".Arn}",
        "ServiceTimeout": "300",
        "UserPoolId": EXISTING_POOL_ID,
        "Revision": "1",
        # The keys of its answer: a key added in a release changes this, so the upgrade reads the pool again.
        "Answers": "EmailSendingAccount,DefaultEmailOption,ConfigurationSet",
    }
    variables = render(existing_pool.properties("CustomMessage/CustomMessage/Function")["Environment"]["Variables"])
    assert variables[env.EMAIL_SENDING_ACCOUNT] == "${" + reader_id + ".EmailSendingAccount}"
    assert variables[env.EMAIL_VERIFICATION_OPTION] == "${" + reader_id + ".DefaultEmailOption}"
    # And the delivery events rule is told the pool's configuration set (test_delivery_events.py).
    rule = render(existing_pool.properties("DeliveryEvents/Rule"))
    assert rule["EventPattern"]["detail"]["mail"]["tags"]["ses:configuration-set"] == [
        "${" + reader_id + ".ConfigurationSet}"
    ]
    # Every attribute the stack reads is one the answer carries (tests/integration: the handler answers each).
    read = re.findall(r'"Fn::GetAtt": \["' + reader_id + r'", "(\w+)"\]', json.dumps(existing_pool.template))
    assert set(read) == set(ANSWER_KEYS)
    # No cycle: the reader needs nothing of the trigger's (the attachment, which does, comes after the trigger).
    assert trigger_id not in json.dumps(reader)


def test_a_new_configuration_revision_makes_the_next_deploy_read_the_pool_again(tmp_path: Path) -> None:
    changed = synthesize(
        tmp_path,
        region="eu-west-1",
        partition="aws",
        existingUserPoolId=EXISTING_POOL_ID,
        existingUserPoolConfigRevision="2026-11-30",
    )

    reader = changed.properties("UserPool/TriggerAttachment/EmailSendingAccount")
    assert reader["Revision"] == "2026-11-30"  # a changed property: CloudFormation sends the reader an Update
    assert changed.logical_id("UserPool/TriggerAttachment/Resource") == ATTACHMENT_LOGICAL_ID


def test_only_the_existing_pool_may_invoke_the_trigger(existing_pool: Synthesized) -> None:
    trigger_id = existing_pool.logical_id("CustomMessage/CustomMessage/Function")
    permissions = [
        render(body["Properties"])
        for body in existing_pool.of_type("AWS::Lambda::Permission").values()
        if body["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": "${" + trigger_id + ".Arn}",
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": pool_arn(EXISTING_POOL_ID),
            "SourceAccount": "${AWS::AccountId}",
        }
    ]


def test_attachment_role_reads_and_writes_that_pool_only_and_passes_only_its_sms_role(
    existing_pool: Synthesized,
) -> None:
    role_id = existing_pool.logical_id("UserPool/TriggerAttachment/Handler/Role")
    log_group = existing_pool.logical_id("UserPool/TriggerAttachment/Handler/LogGroup")
    assert existing_pool.role_permissions(role_id) == grants(
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], ["${" + log_group + ".Arn}"]),
        allow(["cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"], [pool_arn(EXISTING_POOL_ID)]),
        allow(
            ["iam:PassRole"],
            [SMS_ROLE_ARN],
            {"StringEquals": {"iam:PassedToService": "cognito-idp.amazonaws.com"}},
        ),
    )


def test_reset_role_covers_every_allowed_pool_the_default_bus_and_its_table(existing_pool: Synthesized) -> None:
    role_id = existing_pool.logical_id("Reset/ResetPassword/Role")
    log_group = existing_pool.logical_id("Reset/ResetPassword/LogGroup")
    queue = existing_pool.logical_id("FailedRequests/Queue")
    key = existing_pool.logical_id("MessageKey")
    table = existing_pool.logical_id("Reset/IdempotencyTable")
    assert existing_pool.role_permissions(role_id) == grants(
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], ["${" + log_group + ".Arn}"]),
        allow(
            [
                "cognito-idp:AdminGetUser",
                "cognito-idp:AdminListGroupsForUser",
                "cognito-idp:AdminResetUserPassword",
                "cognito-idp:AdminUserGlobalSignOut",
                "cognito-idp:ListUsers",
            ],
            [pool_arn(EXISTING_POOL_ID), pool_arn(OTHER_POOL_ID)],
        ),
        allow(["events:PutEvents"], ["arn:aws:events:eu-west-1:${AWS::AccountId}:event-bus/default"]),
        allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], ["${" + table + ".Arn}"]),
        allow(["dynamodb:BatchGetItem", "dynamodb:UpdateItem"], ["${" + table + ".Arn}"], CAP_KEYS_ONLY),
        allow(["sqs:SendMessage"], ["${" + queue + ".Arn}"]),
        allow(["kms:GenerateDataKey", "kms:Decrypt"], ["${" + key + ".Arn}"]),
        allow(["cognito-idp:DescribeUserPool"], [pool_arn(EXISTING_POOL_ID), pool_arn(OTHER_POOL_ID)]),
        allow(["ses:GetSendQuota"], ["*"]),
    )


def test_counting_role_reads_and_counts_in_the_table_only(existing_pool: Synthesized) -> None:
    role_id = existing_pool.logical_id("DeliveryEvents/Counting/Role")
    log_group = existing_pool.logical_id("DeliveryEvents/Counting/LogGroup")
    table = existing_pool.logical_id("Reset/IdempotencyTable")
    assert existing_pool.role_permissions(role_id) == grants(
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], ["${" + log_group + ".Arn}"]),
        allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], ["${" + table + ".Arn}"]),
    )


def test_every_role_is_one_this_suite_asserts(existing_pool: Synthesized) -> None:
    assert set(existing_pool.of_type("AWS::IAM::Role")) == {
        existing_pool.logical_id("CustomMessage/CustomMessage/Role"),
        existing_pool.logical_id("Reset/ResetPassword/Role"),
        existing_pool.logical_id("SingleReset/StateMachine/Role"),
        existing_pool.logical_id("BulkReset/StateMachine/Role"),
        existing_pool.logical_id("BulkReset/Summary/RunSummary/Role"),
        existing_pool.logical_id("UserPool/TriggerAttachment/Handler/Role"),
        existing_pool.logical_id("DeliveryEvents/Counting/Role"),
    }


def test_reset_function_with_the_window_off_keeps_its_table_and_allows_both_pools(existing_pool: Synthesized) -> None:
    properties = render(existing_pool.properties("Reset/ResetPassword/Function"))
    variables = properties["Environment"]["Variables"]
    assert variables[env.USER_POOL_ID] == EXISTING_POOL_ID
    assert variables[env.ALLOWED_USER_POOL_IDS] == f"{EXISTING_POOL_ID},{OTHER_POOL_ID}"
    assert variables[env.AUDIT_EVENT_BUS_NAME] == "default"
    # cooldownSeconds 0 turns the window off, not the table: claims and a run's memory still need it.
    assert variables[env.COOLDOWN_SECONDS] == "0"
    assert variables[env.IDEMPOTENCY_TABLE_NAME] == "${" + existing_pool.logical_id("Reset/IdempotencyTable") + "}"
    # A bulk run's resets record their recipients: the stack counts the SES events of the pool's configuration set.
    assert variables[env.DELIVERY_EVENTS_COUNTED] == "true"
    assert len(existing_pool.of_type("AWS::DynamoDB::Table")) == 1
    # ceil(50 resets/s x 0.25 s) = 13, each container's share 50/13 calls/s: together at most the budget
    assert properties["ReservedConcurrentExecutions"] == 13
    assert variables[env.RESET_CALLS_PER_SECOND] == "3.84615"
    assert float(variables[env.RESET_CALLS_PER_SECOND]) * 13 <= 50
    # lookupRateBudget 130 and signOutRateBudget 13: each category's own budget, shared the same way
    assert (variables[env.LOOKUP_CALLS_PER_SECOND], variables[env.SIGN_OUT_CALLS_PER_SECOND]) == ("10", "1")


def test_rule_is_on_the_default_bus_and_no_bus_is_created(existing_pool: Synthesized) -> None:
    assert not existing_pool.of_type("AWS::Events::EventBus")
    assert existing_pool.properties("Requests/Rule")["EventBusName"] == "default"
    assert existing_pool.template["Outputs"]["EventBusName"]["Value"] == "default"


def test_no_alarm_email_means_no_subscription(existing_pool: Synthesized) -> None:
    assert not existing_pool.of_type("AWS::SNS::Subscription")
