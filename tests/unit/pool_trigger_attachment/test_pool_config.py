"""The carry-over rules on their own: what DescribeUserPool reports, what an UpdateUserPool request may hold, and what
the raw-response check calls a setting the request would lose."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.model import Shape, StructureShape

from pool_trigger_attachment.pool_config import NOT_WRITTEN_BACK, update_request, with_custom_message
from pool_trigger_attachment.raw_user_pool import fields_changed, fields_not_carried


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


def test_empty_values_are_kept_where_the_model_allows_them_and_dropped_below_its_minimum(
    input_shape: StructureShape,
) -> None:
    request = update_request(
        described(
            EmailVerificationMessage="",  # min 6: cannot be sent, so it equals unset
            EmailConfiguration={},
            SmsConfiguration={"SnsCallerArn": "arn:aws:iam::1:role/sms", "ExternalId": ""},  # min 0: a value
            UserPoolTags={"team": "", "cost-centre": "4711"},  # a tag value "" is a tag
            LambdaConfig={"PreSignUp": "arn:aws:lambda:eu-west-1:1:function:f", "NotAnApiMember": "x"},
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": []},
            Policies={"SignInPolicy": {"AllowedFirstAuthFactors": []}},  # min 1: cannot be sent
        ),
        input_shape,
    )
    assert "EmailVerificationMessage" not in request
    assert "EmailConfiguration" not in request
    assert request["SmsConfiguration"] == {"SnsCallerArn": "arn:aws:iam::1:role/sms", "ExternalId": ""}
    assert request["UserPoolTags"] == {"team": "", "cost-centre": "4711"}
    # Unknown to the model, so the request cannot carry it: the raw-response check is what stops such a write.
    assert request["LambdaConfig"] == {"PreSignUp": "arn:aws:lambda:eu-west-1:1:function:f"}
    # An empty list is a value ("no attribute needs verification"), not an absent setting.
    assert request["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": []}
    assert "Policies" not in request


def test_dcr_configuration_is_never_written_back_although_update_user_pool_takes_it(
    input_shape: StructureShape,
) -> None:
    assert "DcrConfiguration" in input_shape.members  # the reason the table must say so
    request = update_request(described(DcrConfiguration={"EnableStatus": "Disabled"}), input_shape)
    assert "DcrConfiguration" not in request
    assert fields_not_carried(described(DcrConfiguration={"EnableStatus": "Disabled"}), request, input_shape) == []


def test_the_table_covers_every_describe_only_member_of_botocores_model(input_shape: StructureShape) -> None:
    """Each member of UserPoolType that UpdateUserPool lacks is in NOT_WRITTEN_BACK, and the table names no member
    the model does not have (a stale or misspelt entry would excuse nothing, or the wrong thing)."""
    service = botocore.session.get_session().get_service_model("cognito-idp")
    user_pool_type = service.shape_for("UserPoolType")
    assert isinstance(user_pool_type, StructureShape)
    describe_only = set(user_pool_type.members) - set(input_shape.members)
    top_level = {path.removeprefix("UserPool.") for path in NOT_WRITTEN_BACK if path.count(".") == 1}
    assert describe_only <= top_level, describe_only - top_level
    for path in NOT_WRITTEN_BACK:
        shape: Shape = user_pool_type
        for name in path.split(".")[1:]:
            assert isinstance(shape, StructureShape), path
            assert name in shape.members, path
            shape = shape.members[name]
    left_out = {path for path, omission in NOT_WRITTEN_BACK.items() if omission.left_out_of_request}
    assert left_out == {"UserPool.DcrConfiguration", "UserPool.AdminCreateUserConfig.UnusedAccountValidityDays"}


def test_fields_the_request_would_not_carry_are_named_at_any_depth(input_shape: StructureShape) -> None:
    raw = described(
        CreationDate=1796030370.05,
        SchemaAttributes=[{"Name": "email"}],
        NewTopLevelSetting={"Enabled": True},
        LambdaConfig={"PreSignUp": "arn:aws:lambda:eu-west-1:1:function:f", "SomeNewTrigger": "arn:x"},
        Policies={"PasswordPolicy": {"MinimumLength": 12, "NewRule": 3}},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email", "NewFlag": False}]},
        AdminCreateUserConfig={"UnusedAccountValidityDays": 7, "InviteMessageTemplate": {"NewChannel": "x"}},
        UserPoolTags={"team": ""},
        SmsAuthenticationMessage="",  # min 6: not a setting
        NewEmptySetting="",  # unknown: the API might take it, so it counts
    )
    request = update_request(raw, input_shape)

    assert fields_not_carried(raw, request, input_shape) == [
        "UserPool.NewTopLevelSetting",
        "UserPool.LambdaConfig.SomeNewTrigger",
        "UserPool.Policies.PasswordPolicy.NewRule",
        "UserPool.AccountRecoverySetting.RecoveryMechanisms[0].NewFlag",
        "UserPool.AdminCreateUserConfig.InviteMessageTemplate.NewChannel",
        "UserPool.NewEmptySetting",
    ]
    assert fields_not_carried(described(LambdaConfig={"PreSignUp": "x" * 20}), request, input_shape) == []


def test_a_value_the_request_lost_is_named_even_when_the_model_knows_it(input_shape: StructureShape) -> None:
    raw = described(UserPoolTags={"team": "identity"}, MfaConfiguration="OFF")
    request = update_request(raw, input_shape)
    del request["UserPoolTags"]["team"]
    del request["MfaConfiguration"]

    assert fields_not_carried(raw, request, input_shape) == ["UserPool.UserPoolTags.team", "UserPool.MfaConfiguration"]


def test_fields_changed_ignores_read_only_facts_and_checks_custom_message() -> None:
    before = described(
        LastModifiedDate=1.0,
        EstimatedNumberOfUsers=3,
        LambdaConfig={"PreSignUp": "pre", "CustomMessage": "theirs"},
        UserPoolTags={"team": ""},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    )
    after = {
        **before,
        "LastModifiedDate": 2.0,
        "EstimatedNumberOfUsers": 4,
        "LambdaConfig": {"PreSignUp": "pre", "CustomMessage": "ours"},
    }

    assert fields_changed(before, after, "ours") == []
    assert fields_changed(before, after, None) == ["UserPool.LambdaConfig.CustomMessage"]
    tampered = {
        **after,
        "UserPoolTags": {},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 2, "Name": "verified_email"}]},
        "DcrConfiguration": {"EnableStatus": "Enabled"},
    }
    assert fields_changed(before, tampered, "ours") == [
        "UserPool.UserPoolTags.team",
        "UserPool.AccountRecoverySetting.RecoveryMechanisms[0].Priority",
        "UserPool.DcrConfiguration",
    ]


def test_with_custom_message_changes_only_that_trigger_and_leaves_the_input_alone(input_shape: StructureShape) -> None:
    request = update_request(described(LambdaConfig={"PreSignUp": "pre", "CustomMessage": "theirs"}), input_shape)

    ours = with_custom_message(request, "ours")
    removed = with_custom_message(request, None)

    assert ours["LambdaConfig"] == {"PreSignUp": "pre", "CustomMessage": "ours"}
    assert removed["LambdaConfig"] == {"PreSignUp": "pre"}
    assert request["LambdaConfig"] == {"PreSignUp": "pre", "CustomMessage": "theirs"}
    assert with_custom_message({"UserPoolId": "p"}, "ours")["LambdaConfig"] == {"CustomMessage": "ours"}
