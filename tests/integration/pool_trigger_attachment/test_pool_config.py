"""The carry-over rules on their own: what DescribeUserPool reports, and what an UpdateUserPool request may hold."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.model import StructureShape

from pool_trigger_attachment.pool_config import update_request, with_custom_message


@pytest.fixture(scope="module")
def input_shape() -> StructureShape:
    shape = (
        botocore.session.get_session().get_service_model("cognito-idp").operation_model("UpdateUserPool").input_shape
    )
    assert isinstance(shape, StructureShape)
    return shape


def described(**fields: Any) -> dict[str, Any]:
    return {"Id": "eu-west-1_AbC123xyz", "Name": "customers", "Arn": "arn:...", "Status": "Enabled", **fields}


def test_ids_and_names_are_renamed_and_describe_only_fields_are_not_sent(input_shape: StructureShape) -> None:
    request = update_request(
        described(
            CreationDate="2026-01-01",
            LastModifiedDate="2026-11-01",
            SchemaAttributes=[{"Name": "email"}],
            UsernameAttributes=["email"],
            EstimatedNumberOfUsers=12,
            Domain="customers",
            MfaConfiguration="OFF",
        ),
        input_shape,
    )
    assert request == {"UserPoolId": "eu-west-1_AbC123xyz", "PoolName": "customers", "MfaConfiguration": "OFF"}


def test_the_deprecated_unused_account_validity_days_is_dropped(input_shape: StructureShape) -> None:
    request = update_request(
        described(
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 7},
            Policies={"PasswordPolicy": {"MinimumLength": 12, "TemporaryPasswordValidityDays": 7}},
        ),
        input_shape,
    )
    assert request["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert request["Policies"] == {"PasswordPolicy": {"MinimumLength": 12, "TemporaryPasswordValidityDays": 7}}
    only_deprecated = update_request(described(AdminCreateUserConfig={"UnusedAccountValidityDays": 7}), input_shape)
    assert "AdminCreateUserConfig" not in only_deprecated


def test_empty_values_are_omitted_and_unknown_nested_members_dropped(input_shape: StructureShape) -> None:
    request = update_request(
        described(
            EmailVerificationMessage="",
            EmailConfiguration={},
            SmsConfiguration={"ExternalId": ""},
            LambdaConfig={"PreSignUp": "arn:aws:lambda:eu-west-1:1:function:f", "NotAnApiMember": "x"},
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": []},
        ),
        input_shape,
    )
    assert "EmailVerificationMessage" not in request
    assert "EmailConfiguration" not in request
    assert "SmsConfiguration" not in request
    assert request["LambdaConfig"] == {"PreSignUp": "arn:aws:lambda:eu-west-1:1:function:f"}
    # An empty list is a value ("no attribute needs verification"), not an absent setting.
    assert request["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": []}


def test_with_custom_message_changes_only_that_trigger_and_leaves_the_input_alone(input_shape: StructureShape) -> None:
    request = update_request(described(LambdaConfig={"PreSignUp": "pre", "CustomMessage": "theirs"}), input_shape)

    ours = with_custom_message(request, "ours")
    removed = with_custom_message(request, None)

    assert ours["LambdaConfig"] == {"PreSignUp": "pre", "CustomMessage": "ours"}
    assert removed["LambdaConfig"] == {"PreSignUp": "pre"}
    assert request["LambdaConfig"] == {"PreSignUp": "pre", "CustomMessage": "theirs"}
    assert with_custom_message({"UserPoolId": "p"}, "ours")["LambdaConfig"] == {"CustomMessage": "ours"}
