"""A pool's AdminCreateUserConfig.UnusedAccountValidityDays as Cognito reports it, played by the local Cognito over HTTP
(local_aws/emulation/cognito_pools.py cites the API Reference and says what is inferred): filled in from the password
policy on every CreateUserPool and UpdateUserPool, and refused beside TemporaryPasswordValidityDays."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_aws.harness.server import LocalAws

FIELD = "UnusedAccountValidityDays"


@pytest.fixture
def cognito(aws: LocalAws) -> Any:
    return aws.client("cognito-idp")


def admin_create_user_config(cognito: Any, pool_id: str) -> dict[str, Any]:
    config: dict[str, Any] = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["AdminCreateUserConfig"]
    return config


def policy(days: int) -> dict[str, Any]:
    return {"PasswordPolicy": {"MinimumLength": 8, "TemporaryPasswordValidityDays": days}}


def test_a_pool_created_with_cognitos_defaults_reports_seven_days(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="defaults")["UserPool"]["Id"]

    assert admin_create_user_config(cognito, pool_id)[FIELD] == 7


def test_the_api_references_example_pool_reports_what_its_answer_shows(cognito: Any) -> None:
    # CreateUserPool, "Example user pool with email and username sign-in": no UnusedAccountValidityDays in the request,
    # "UnusedAccountValidityDays": 7 in the answer.
    created = cognito.create_user_pool(
        PoolName="my-test-user-pool",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
        Policies=policy(7),
    )["UserPool"]

    assert created["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False, FIELD: 7}
    assert admin_create_user_config(cognito, created["Id"])[FIELD] == 7


def test_an_update_that_leaves_the_field_out_keeps_it_from_the_password_policy(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="customers", Policies=policy(3))["UserPool"]["Id"]
    assert admin_create_user_config(cognito, pool_id)[FIELD] == 3  # the policy's value: inferred, not documented

    cognito.update_user_pool(
        UserPoolId=pool_id, Policies=policy(3), AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
    )

    assert admin_create_user_config(cognito, pool_id) == {
        "AllowAdminCreateUserOnly": True,
        FIELD: 3,
    }
    cognito.update_user_pool(UserPoolId=pool_id, Policies=policy(5))
    assert admin_create_user_config(cognito, pool_id)[FIELD] == 5


def test_zero_days_is_no_value_and_the_default_of_seven_applies(cognito: Any) -> None:
    # PasswordPolicyType: "If you submit a value of 0, Amazon Cognito treats it as a null value".
    pool_id = cognito.create_user_pool(PoolName="customers", Policies=policy(0), AdminCreateUserConfig={FIELD: 0})[
        "UserPool"
    ]["Id"]

    assert admin_create_user_config(cognito, pool_id)[FIELD] == 7


@pytest.mark.parametrize("operation", ["create_user_pool", "update_user_pool"])
def test_both_validities_in_one_request_are_refused(cognito: Any, operation: str) -> None:
    pool_id = cognito.create_user_pool(PoolName="customers", Policies=policy(3))["UserPool"]["Id"]
    before = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    target = {"PoolName": "other"} if operation == "create_user_pool" else {"UserPoolId": pool_id}

    with pytest.raises(ClientError) as raised:
        getattr(cognito, operation)(**target, Policies=policy(3), AdminCreateUserConfig={FIELD: 3})

    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "TemporaryPasswordValidityDays" in raised.value.response["Error"]["Message"]
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"] == before
    assert [pool["Id"] for pool in cognito.list_user_pools(MaxResults=10)["UserPools"]] == [pool_id]
