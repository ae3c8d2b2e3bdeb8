"""describe -> update -> describe: attaching, moving and detaching the trigger leaves every other setting as it was.

The handler runs as Lambda runs it (lambda_handler with a CloudFormation event), talking to moto's Cognito over HTTP,
and answers on a local stand-in for CloudFormation's pre-signed response URL.
"""

from __future__ import annotations

from typing import Any

from botocore.model import StructureShape

from local_aws.harness.server import REGION
from pool_trigger_attachment.attachment import NOTHING_ATTACHED
from tests.integration.pool_trigger_attachment.conftest import CloudFormationResponses
from tests.integration.pool_trigger_attachment.custom_resource import (
    OTHER_TRIGGERS,
    OUR_NEW_TRIGGER,
    OUR_TRIGGER,
    THEIR_TRIGGER,
    create_pool,
    describe,
    event,
    moved_to_our_new_trigger,
    run,
    without_custom_message,
)


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
    # The request itself carried the whole configuration (Cognito, and moto too, resets what an update leaves out).
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

    updated = run(moved_to_our_new_trigger(cloudformation, pool_id, created["PhysicalResourceId"]), cloudformation)

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
