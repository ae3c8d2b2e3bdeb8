"""Custom::CognitoCustomMessageTriggerDetachment: after `cdk destroy`, the pool the stack retains no longer points at
the trigger function the stack deleted, and nothing else about the pool changed."""

from __future__ import annotations

from typing import Any

from contracts.custom_resources import CUSTOM_MESSAGE_TRIGGER_DETACHMENT
from fault_injection.rewriting_proxy import RewritingProxy
from local_aws.harness.server import REGION
from tests.integration.pool_trigger_attachment.conftest import CloudFormationResponses
from tests.integration.pool_trigger_attachment.custom_resource import (
    OTHER_TRIGGERS,
    OUR_TRIGGER,
    THEIR_TRIGGER,
    create_pool,
    describe,
    event,
    moved_to_our_new_trigger,
    resource_event,
    run,
    without_custom_message,
)

UPDATE = "UpdateUserPool"


def detachment(
    request_type: str,
    responses: CloudFormationResponses,
    pool_id: str,
    trigger: str = OUR_TRIGGER,
    physical_id: str | None = None,
    old: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = event(
        request_type, responses, pool_id, trigger, physical_id, old, resource_type=CUSTOM_MESSAGE_TRIGGER_DETACHMENT
    )
    return run(body, responses)


def test_create_and_update_write_nothing(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito, custom_message=OUR_TRIGGER)
    before = describe(cognito, pool_id)

    created = detachment("Create", cloudformation, pool_id)
    updated = run(
        moved_to_our_new_trigger(
            cloudformation, pool_id, created["PhysicalResourceId"], resource_type=CUSTOM_MESSAGE_TRIGGER_DETACHMENT
        ),
        cloudformation,
    )

    assert created["Status"] == updated["Status"] == "SUCCESS", (created["Reason"], updated["Reason"])
    assert created["PhysicalResourceId"] == updated["PhysicalResourceId"] == pool_id
    assert proxy.requests(UPDATE) == []
    assert describe(cognito, pool_id) == before


def test_delete_takes_only_the_trigger_off_the_retained_pool(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito, custom_message=OUR_TRIGGER)
    before = describe(cognito, pool_id)
    created = detachment("Create", cloudformation, pool_id)

    deleted = detachment("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"])

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deleted["PhysicalResourceId"] == pool_id
    after = describe(cognito, pool_id)
    assert after["LambdaConfig"] == OTHER_TRIGGERS
    assert after == without_custom_message(before)
    [request] = proxy.requests(UPDATE)
    assert request["LambdaConfig"] == OTHER_TRIGGERS


def test_delete_leaves_a_trigger_someone_else_set_since(
    cognito: Any, cloudformation: CloudFormationResponses, proxy: RewritingProxy
) -> None:
    pool_id = create_pool(cognito, custom_message=OUR_TRIGGER)
    created = detachment("Create", cloudformation, pool_id)
    cognito.update_user_pool(UserPoolId=pool_id, LambdaConfig={**OTHER_TRIGGERS, "CustomMessage": THEIR_TRIGGER})
    replaced = describe(cognito, pool_id)

    deleted = detachment("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"])

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert describe(cognito, pool_id) == replaced
    assert replaced["LambdaConfig"]["CustomMessage"] == THEIR_TRIGGER
    assert proxy.requests(UPDATE) == []


def test_delete_of_a_pool_that_is_gone_succeeds(cognito: Any, cloudformation: CloudFormationResponses) -> None:
    pool_id = create_pool(cognito, custom_message=OUR_TRIGGER, DeletionProtection="INACTIVE")
    created = detachment("Create", cloudformation, pool_id)
    cognito.delete_user_pool(UserPoolId=pool_id)

    deleted = detachment("Delete", cloudformation, pool_id, physical_id=created["PhysicalResourceId"])

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deleted["PhysicalResourceId"] == pool_id
    assert [pool["Id"] for pool in cognito.list_user_pools(MaxResults=10)["UserPools"]] == []


def test_a_new_pool_id_is_a_new_resource_and_the_old_pools_delete_releases_it(
    cognito: Any, cloudformation: CloudFormationResponses
) -> None:
    first = create_pool(cognito, custom_message=OUR_TRIGGER)
    second = create_pool(cognito, custom_message=OUR_TRIGGER)
    first_before, second_before = describe(cognito, first), describe(cognito, second)
    created = detachment("Create", cloudformation, first)

    updated = detachment(
        "Update",
        cloudformation,
        second,
        physical_id=created["PhysicalResourceId"],
        old={"UserPoolId": first, "TriggerArn": OUR_TRIGGER},
    )
    assert updated["PhysicalResourceId"] == second, "a new id makes CloudFormation delete the old one"
    # CloudFormation's clean-up of the replaced resource carries the old properties and the old physical id.
    detachment("Delete", cloudformation, first, physical_id=created["PhysicalResourceId"])

    assert describe(cognito, first) == without_custom_message(first_before)
    assert describe(cognito, second) == second_before


def test_a_failed_create_rolls_back_without_touching_any_pool(
    cloudformation: CloudFormationResponses, cognito: Any, proxy: RewritingProxy
) -> None:
    body = resource_event(CUSTOM_MESSAGE_TRIGGER_DETACHMENT, "Create", cloudformation, {"TriggerArn": OUR_TRIGGER})

    failed = run(body, cloudformation)
    rolled_back = detachment("Delete", cloudformation, f"{REGION}_Unused1", physical_id=failed["PhysicalResourceId"])

    assert failed["Status"] == "FAILED"
    assert "UserPoolId" in failed["Reason"]
    assert rolled_back["Status"] == "SUCCESS", rolled_back["Reason"]
    assert proxy.exchanges == []
