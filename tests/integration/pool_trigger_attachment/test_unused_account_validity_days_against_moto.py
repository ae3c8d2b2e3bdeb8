"""The existing-pool attachment against pools as Cognito reports them: DescribeUserPool carries the deprecated
AdminCreateUserConfig.UnusedAccountValidityDays, which the write-back leaves out (Cognito refuses it beside
TemporaryPasswordValidityDays) and Cognito fills in again from the password policy (local_aws/emulation/cognito_pools.py
cites the documents). The attachment succeeds, and its after-write comparison still catches the field going missing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fault_injection.rewriting_proxy import RewritingProxy
from pool_trigger_attachment.attachment import Attachment
from tests.integration.pool_trigger_attachment.conftest import CloudFormationResponses
from tests.integration.pool_trigger_attachment.custom_resource import (
    OTHER_TRIGGERS,
    OUR_TRIGGER,
    describe,
    event,
    run,
    without_custom_message,
)

DESCRIBE = "DescribeUserPool"
UPDATE = "UpdateUserPool"
FIELD = "UnusedAccountValidityDays"
FIELD_PATH = f"UserPool.AdminCreateUserConfig.{FIELD}"


def password_policy(temporary_password_validity_days: int) -> dict[str, Any]:
    return {
        "PasswordPolicy": {
            "MinimumLength": 8,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "TemporaryPasswordValidityDays": temporary_password_validity_days,
        }
    }


# CreateUserPool settings of each pool kind, and the UnusedAccountValidityDays Cognito then reports.
POOL_KINDS: dict[str, tuple[dict[str, Any], int]] = {
    # Only a name (and the other teams' triggers): Cognito's defaults, a password policy of 7 days among them.
    "without AdminCreateUserConfig": ({}, 7),
    # As in the API Reference's CreateUserPool example "Example user pool with email and username sign-in".
    "with AdminCreateUserConfig": (
        {
            "AdminCreateUserConfig": {
                "AllowAdminCreateUserOnly": False,
                "InviteMessageTemplate": {
                    "EmailMessage": "Your username is {username} and temporary password is {####}.",
                    "EmailSubject": "Your sign-in information",
                    "SMSMessage": "Your username is {username} and temporary password is {####}.",
                },
            },
            "Policies": password_policy(7),
        },
        7,
    ),
    # Temporary passwords valid for 3 days: the reported value follows the policy (inferred, see cognito_pools.py).
    "temporary passwords valid 3 days": ({"Policies": password_policy(3)}, 3),
}


def create_pool_of_kind(cognito: Any, settings: dict[str, Any]) -> str:
    pool = cognito.create_user_pool(PoolName="existing-customers", LambdaConfig=OTHER_TRIGGERS, **settings)
    return str(pool["UserPool"]["Id"])


@pytest.mark.parametrize(("settings", "reported"), POOL_KINDS.values(), ids=POOL_KINDS.keys())
def test_attach_and_detach_succeed_and_keep_the_reported_validity(
    cognito: Any,
    cloudformation: CloudFormationResponses,
    update_requests: list[dict[str, Any]],
    settings: dict[str, Any],
    reported: int,
) -> None:
    pool_id = create_pool_of_kind(cognito, settings)
    before = describe(cognito, pool_id)
    assert before["AdminCreateUserConfig"][FIELD] == reported

    created = run(event("Create", cloudformation, pool_id), cloudformation)

    assert created["Status"] == "SUCCESS", created["Reason"]
    attached = describe(cognito, pool_id)
    assert attached["LambdaConfig"] == {**OTHER_TRIGGERS, "CustomMessage": OUR_TRIGGER}
    assert without_custom_message(attached) == before
    assert attached["AdminCreateUserConfig"][FIELD] == reported
    # The write-back left the deprecated field out, as Cognito requires.
    [request] = update_requests
    assert FIELD not in request.get("AdminCreateUserConfig", {})

    deleted = run(event("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"]), cloudformation)

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert describe(cognito, pool_id) == before


def test_a_write_that_loses_the_validity_is_still_reported(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    """A Cognito that dropped the field after the write (what moto alone does) fails the attachment: the comparison
    after the write does not excuse UnusedAccountValidityDays."""
    pool_id = create_pool_of_kind(cognito, {})

    def dropped_once_written(document: dict[str, Any]) -> dict[str, Any]:
        if not proxy.requests(UPDATE):
            return document
        rewritten = copy.deepcopy(document)
        rewritten["UserPool"].get("AdminCreateUserConfig", {}).pop(FIELD, None)
        return rewritten

    proxy.rewrite_responses(DESCRIBE, dropped_once_written)

    response = run(event("Create", cloudformation, pool_id), cloudformation)

    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("WriteBackMismatchError: "), response["Reason"]
    assert FIELD_PATH in response["Reason"], response["Reason"]
    # The trigger was written: the rollback's Delete can take it off again.
    assert response["PhysicalResourceId"] == Attachment(pool_id, None).physical_resource_id
    assert describe(cognito, pool_id)["LambdaConfig"]["CustomMessage"] == OUR_TRIGGER
