"""The write-back fails closed: settings botocore does not know stop it before anything is written, and a write that
changed more than CustomMessage is reported.

A rewriting proxy between the handler's real boto3 client and moto plays a Cognito newer than the bundled botocore
(fields injected into DescribeUserPool's raw response) or a write that went wrong (UpdateUserPool's request altered on
its way); moto, read directly, says what the pool really holds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from contracts.cognito import DEVELOPER
from contracts.custom_resources import CUSTOM_MESSAGE_TRIGGER_DETACHMENT
from fault_injection.rewriting_proxy import RewritingProxy
from pool_trigger_attachment.attachment import NOTHING_ATTACHED
from tests.integration.pool_trigger_attachment.conftest import CloudFormationResponses
from tests.integration.pool_trigger_attachment.custom_resource import (
    OTHER_TRIGGERS,
    OUR_TRIGGER,
    create_pool,
    describe,
    event,
    moved_to_our_new_trigger,
    resource_event,
    run,
    without_custom_message,
)

DESCRIBE = "DescribeUserPool"
UPDATE = "UpdateUserPool"
ADVICE = "upgrade this stack (its botocore does not know these settings), or detach the trigger by hand"

# Settings a newer Cognito might report, by path below DescribeUserPool's answer: one new top-level member, and one
# new member inside a nested structure.
NEWER_COGNITO: dict[str, dict[tuple[str, ...], Any]] = {
    "top level and LambdaConfig": {
        ("NewTopLevelSetting",): {"Mode": "STRICT"},
        ("LambdaConfig", "SomeNewTrigger"): "arn:aws:lambda:eu-west-1:123456789012:function:new-trigger",
    },
    "top level and PasswordPolicy": {
        ("PasskeyRelyingPartyId",): "auth.example.com",
        ("Policies", "PasswordPolicy", "MinimumEntropyBits"): 60,
    },
}


def injecting(fields: dict[tuple[str, ...], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A DescribeUserPool response rewrite that adds `fields` to the raw UserPool."""

    def rewrite(document: dict[str, Any]) -> dict[str, Any]:
        rewritten = copy.deepcopy(document)
        for path, value in fields.items():
            parent = rewritten["UserPool"]
            for name in path[:-1]:
                parent = parent.setdefault(name, {})
            parent[path[-1]] = value
        return rewritten

    return rewrite


def field_paths(fields: dict[tuple[str, ...], Any]) -> list[str]:
    return [".".join(("UserPool", *path)) for path in fields]


def assert_refused(response: dict[str, Any], fields: dict[tuple[str, ...], Any]) -> None:
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("UnsafeWriteBackError: "), response["Reason"]
    assert ADVICE in response["Reason"]
    for path in field_paths(fields):
        assert path in response["Reason"], (path, response["Reason"])


@pytest.mark.parametrize("fields", NEWER_COGNITO.values(), ids=NEWER_COGNITO.keys())
def test_create_writes_nothing_when_describe_user_pool_holds_settings_botocore_does_not_know(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy, fields: dict[tuple[str, ...], Any]
) -> None:
    pool_id = create_pool(cognito)
    before = describe(cognito, pool_id)
    proxy.rewrite_responses(DESCRIBE, injecting(fields))

    response = run(event("Create", cloudformation, pool_id), cloudformation)

    assert_refused(response, fields)
    assert response["PhysicalResourceId"] == NOTHING_ATTACHED  # the rollback's Delete has nothing to undo
    assert proxy.requests(UPDATE) == []
    assert describe(cognito, pool_id) == before


@pytest.mark.parametrize("fields", NEWER_COGNITO.values(), ids=NEWER_COGNITO.keys())
def test_update_writes_nothing_when_describe_user_pool_holds_settings_botocore_does_not_know(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy, fields: dict[tuple[str, ...], Any]
) -> None:
    pool_id = create_pool(cognito)
    created = run(event("Create", cloudformation, pool_id), cloudformation)
    assert created["Status"] == "SUCCESS", created["Reason"]
    attached = describe(cognito, pool_id)
    writes_before = len(proxy.requests(UPDATE))
    proxy.rewrite_responses(DESCRIBE, injecting(fields))

    response = run(moved_to_our_new_trigger(cloudformation, pool_id, created["PhysicalResourceId"]), cloudformation)

    assert_refused(response, fields)
    assert response["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert len(proxy.requests(UPDATE)) == writes_before
    assert describe(cognito, pool_id) == attached
    assert attached["LambdaConfig"]["CustomMessage"] == OUR_TRIGGER


@pytest.mark.parametrize("fields", NEWER_COGNITO.values(), ids=NEWER_COGNITO.keys())
def test_delete_writes_nothing_when_describe_user_pool_holds_settings_botocore_does_not_know(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy, fields: dict[tuple[str, ...], Any]
) -> None:
    pool_id = create_pool(cognito)
    created = run(event("Create", cloudformation, pool_id), cloudformation)
    attached = describe(cognito, pool_id)
    writes_before = len(proxy.requests(UPDATE))
    proxy.rewrite_responses(DESCRIBE, injecting(fields))

    response = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert_refused(response, fields)
    assert len(proxy.requests(UPDATE)) == writes_before
    assert describe(cognito, pool_id) == attached


def test_the_detachment_of_a_retained_pool_writes_nothing_either(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    fields = NEWER_COGNITO["top level and LambdaConfig"]
    pool_id = create_pool(cognito, custom_message=OUR_TRIGGER)
    before = describe(cognito, pool_id)
    proxy.rewrite_responses(DESCRIBE, injecting(fields))
    properties = {"UserPoolId": pool_id, "TriggerArn": OUR_TRIGGER}

    response = run(
        resource_event(CUSTOM_MESSAGE_TRIGGER_DETACHMENT, "Delete", cloudformation, properties, physical_id=pool_id),
        cloudformation,
    )

    assert_refused(response, fields)
    assert proxy.requests(UPDATE) == []
    assert describe(cognito, pool_id) == before


def test_empty_values_only_stop_the_write_where_the_api_could_carry_them(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito)
    before = describe(cognito, pool_id)
    # SmsAuthenticationMessage has a minimum length of 6: "" cannot be sent and is no setting. A new member's ""
    # might be one.
    proxy.rewrite_responses(DESCRIBE, injecting({("SmsAuthenticationMessage",): "", ("NewEmptySetting",): ""}))

    refused = run(event("Create", cloudformation, pool_id), cloudformation)

    assert_refused(refused, {("NewEmptySetting",): ""})
    assert "UserPool.SmsAuthenticationMessage" not in refused["Reason"]
    assert describe(cognito, pool_id) == before

    proxy.stop_rewriting()
    proxy.rewrite_responses(DESCRIBE, injecting({("SmsAuthenticationMessage",): ""}))
    created = run(event("Create", cloudformation, pool_id), cloudformation)

    assert created["Status"] == "SUCCESS", created["Reason"]
    [request] = proxy.requests(UPDATE)
    assert "SmsAuthenticationMessage" not in request


def test_empty_but_allowed_values_survive_attach_and_detach(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(
        cognito,
        UserPoolTags={"team": "", "cost-centre": "4711"},
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms", "ExternalId": ""},
        EmailConfiguration={
            "EmailSendingAccount": DEVELOPER,
            "SourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
            "From": "",
            "ReplyToEmailAddress": "",
        },
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": []},
    )
    before = describe(cognito, pool_id)
    assert before["UserPoolTags"]["team"] == ""  # moto keeps them, as Cognito does

    created = run(event("Create", cloudformation, pool_id), cloudformation)
    attached = describe(cognito, pool_id)
    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert created["Status"] == deleted["Status"] == "SUCCESS", (created["Reason"], deleted["Reason"])
    assert without_custom_message(attached) == before
    assert describe(cognito, pool_id) == before
    for request in proxy.requests(UPDATE):
        assert request["UserPoolTags"] == {"team": "", "cost-centre": "4711"}
        assert request["SmsConfiguration"]["ExternalId"] == ""
        assert request["EmailConfiguration"]["From"] == request["EmailConfiguration"]["ReplyToEmailAddress"] == ""
        assert request["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": []}
    assert len(proxy.requests(UPDATE)) == 2


def test_dcr_configuration_is_never_sent(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito)
    # botocore knows the member, moto does not report it: the proxy plays a pool that has it.
    proxy.rewrite_responses(
        DESCRIBE, injecting({("DcrConfiguration",): {"EnableStatus": "Disabled", "OpenDcrEnabled": False}})
    )

    created = run(event("Create", cloudformation, pool_id), cloudformation)
    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert created["Status"] == deleted["Status"] == "SUCCESS", (created["Reason"], deleted["Reason"])
    requests = proxy.requests(UPDATE)
    assert len(requests) == 2
    assert all("DcrConfiguration" not in request for request in requests)
    assert [request["LambdaConfig"].get("CustomMessage") for request in requests] == [OUR_TRIGGER, None]


def dropping(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An UpdateUserPool request rewrite that leaves settings out, as a write-back that lost them would."""

    def rewrite(document: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in document.items() if name not in names}

    return rewrite


def test_a_write_that_changed_another_setting_is_reported_and_the_rollback_takes_the_trigger_off(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito)
    before = describe(cognito, pool_id)
    proxy.rewrite_requests(UPDATE, dropping("SmsAuthenticationMessage", "UserPoolTags"))

    failed = run(event("Create", cloudformation, pool_id), cloudformation)

    assert failed["Status"] == "FAILED"
    assert failed["Reason"].startswith("WriteBackMismatchError: "), failed["Reason"]
    assert "UserPool.SmsAuthenticationMessage" in failed["Reason"]
    assert "UserPool.UserPoolTags" in failed["Reason"]
    assert "UserPool.LambdaConfig" not in failed["Reason"]
    after = describe(cognito, pool_id)
    assert after["LambdaConfig"]["CustomMessage"] == OUR_TRIGGER  # written: moto reset the dropped settings
    assert "UserPoolTags" not in after
    # The failed Create names the attachment, so CloudFormation's rollback Delete takes the trigger off again.
    assert failed["PhysicalResourceId"] == f"{pool_id}/CustomMessage/none"
    proxy.stop_rewriting()

    rolled_back = run(
        event("Delete", cloudformation, pool_id, physical_id=failed["PhysicalResourceId"]), cloudformation
    )

    assert rolled_back["Status"] == "SUCCESS", rolled_back["Reason"]
    assert describe(cognito, pool_id)["LambdaConfig"] == before["LambdaConfig"] == OTHER_TRIGGERS


def test_a_write_that_did_not_set_the_trigger_is_reported(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito)

    def without_the_trigger(document: dict[str, Any]) -> dict[str, Any]:
        lambda_config = {key: value for key, value in document["LambdaConfig"].items() if key != "CustomMessage"}
        return {**document, "LambdaConfig": lambda_config}

    proxy.rewrite_requests(UPDATE, without_the_trigger)

    failed = run(event("Create", cloudformation, pool_id), cloudformation)

    assert failed["Status"] == "FAILED"
    assert failed["Reason"].startswith("WriteBackMismatchError: "), failed["Reason"]
    assert "UserPool.LambdaConfig.CustomMessage" in failed["Reason"]
    assert "CustomMessage" not in describe(cognito, pool_id)["LambdaConfig"]


def test_a_detachment_whose_write_changed_another_setting_is_reported(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito, custom_message=OUR_TRIGGER)
    proxy.rewrite_requests(UPDATE, dropping("DeviceConfiguration"))
    properties = {"UserPoolId": pool_id, "TriggerArn": OUR_TRIGGER}

    failed = run(
        resource_event(CUSTOM_MESSAGE_TRIGGER_DETACHMENT, "Delete", cloudformation, properties, physical_id=pool_id),
        cloudformation,
    )

    assert failed["Status"] == "FAILED"
    assert failed["Reason"].startswith("WriteBackMismatchError: "), failed["Reason"]
    assert "UserPool.DeviceConfiguration" in failed["Reason"]
    assert failed["PhysicalResourceId"] == pool_id
