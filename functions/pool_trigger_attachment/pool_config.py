"""Turn DescribeUserPool's answer into an UpdateUserPool request that changes only LambdaConfig.CustomMessage.

UpdateUserPool resets every setting it is not given to its default, so the request must carry over the pool's whole
configuration. The members to carry are taken from the API model the client itself was built from (botocore's
UpdateUserPool input shape), recursively, so a setting AWS adds later is carried over as soon as botocore knows it.
What DescribeUserPool reports but the write-back does not carry is listed, with the reason, in NOT_WRITTEN_BACK; the
raw-response check (raw_user_pool.py) refuses to write when anything else would be left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

# Every field path starts at DescribeUserPool's answer member, e.g. "UserPool.LambdaConfig.CustomMessage".
USER_POOL: Final = "UserPool"
CUSTOM_MESSAGE: Final = "CustomMessage"
CUSTOM_MESSAGE_PATH: Final = f"{USER_POOL}.LambdaConfig.{CUSTOM_MESSAGE}"
# UpdateUserPool's names for two DescribeUserPool members: the pool's id and name travel under these.
_RENAMED: Final = {"UserPoolId": "Id", "PoolName": "Name"}


class Omission(Enum):
    """Why a field of DescribeUserPool is not written back under its own name."""

    READ_ONLY = "a fact Cognito reports and maintains; UpdateUserPool has no member for it"
    CREATE_ONLY = "fixed when the pool is created; UpdateUserPool has no member for it"
    RENAMED = "carried under UpdateUserPool's name for it"
    DEPRECATED = "deprecated; its value lives on in a member that is carried"
    KEPT_WHEN_OMITTED = "UpdateUserPool keeps the current value when the member is omitted; sending it is riskier"

    @property
    def left_out_of_request(self) -> bool:
        """UpdateUserPool takes the member, but the write-back does not send it."""
        return self in (Omission.DEPRECATED, Omission.KEPT_WHEN_OMITTED)

    @property
    def compared_after_write(self) -> bool:
        """Whether the value must be the same after the write (read-only facts such as dates change by themselves)."""
        return self is not Omission.READ_ONLY


# The one list of what DescribeUserPool reports and the write-back may leave behind. Anything else in the raw
# response that the request does not carry stops the write (raw_user_pool.fields_not_carried). Checked against
# botocore's model: every member of UserPoolType that UpdateUserPool's input lacks is here (tests/unit/
# pool_trigger_attachment/test_pool_config.py keeps it so).
NOT_WRITTEN_BACK: Final[Mapping[str, Omission]] = {
    # Read-only facts (Amazon Cognito API Reference, UserPoolType; UpdateUserPool has no such parameters). The id names
    # the pool in the request (UserPoolId) and cannot change; Status is "no longer used"; the domains are set with
    # CreateUserPoolDomain/UpdateUserPoolDomain; the two *ConfigurationFailure fields report problems, not settings.
    f"{USER_POOL}.Id": Omission.READ_ONLY,
    f"{USER_POOL}.Arn": Omission.READ_ONLY,
    f"{USER_POOL}.Status": Omission.READ_ONLY,
    f"{USER_POOL}.CreationDate": Omission.READ_ONLY,
    f"{USER_POOL}.LastModifiedDate": Omission.READ_ONLY,
    f"{USER_POOL}.EstimatedNumberOfUsers": Omission.READ_ONLY,
    f"{USER_POOL}.Domain": Omission.READ_ONLY,
    f"{USER_POOL}.CustomDomain": Omission.READ_ONLY,
    f"{USER_POOL}.SmsConfigurationFailure": Omission.READ_ONLY,
    f"{USER_POOL}.EmailConfigurationFailure": Omission.READ_ONLY,
    # Fixed at creation (Amazon Cognito Developer Guide, "Updating user pool and app client configuration", settings
    # you can't change); the schema only grows through AddCustomAttributes. UpdateUserPool cannot send them and
    # Cognito keeps them.
    f"{USER_POOL}.SchemaAttributes": Omission.CREATE_ONLY,
    f"{USER_POOL}.AliasAttributes": Omission.CREATE_ONLY,
    f"{USER_POOL}.UsernameAttributes": Omission.CREATE_ONLY,
    f"{USER_POOL}.UsernameConfiguration": Omission.CREATE_ONLY,
    # Carried as PoolName (see _RENAMED), and compared after the write like any setting.
    f"{USER_POOL}.Name": Omission.RENAMED,
    # "This parameter is no longer in use" (Amazon Cognito API Reference, AdminCreateUserConfigType); Cognito refuses it
    # beside Policies.PasswordPolicy.TemporaryPasswordValidityDays, which holds its value and is carried.
    f"{USER_POOL}.AdminCreateUserConfig.UnusedAccountValidityDays": Omission.DEPRECATED,
    # Amazon Cognito API Reference, UpdateUserPool, DcrConfiguration: "If you omit this parameter, Amazon Cognito keeps
    # the existing configuration", while a block that omits EnableStatus turns dynamic client registration on. Left
    # out even though botocore's UpdateUserPool has it; compared after the write to prove it was kept.
    f"{USER_POOL}.DcrConfiguration": Omission.KEPT_WHEN_OMITTED,
}


def update_request(user_pool: Mapping[str, Any], input_shape: StructureShape) -> dict[str, Any]:
    """The UpdateUserPool parameters that rewrite `user_pool` (a DescribeUserPool `UserPool`) exactly as it is."""
    request: dict[str, Any] = {}
    for name, shape in input_shape.members.items():
        described_name = _RENAMED.get(name, name)
        value = _project(user_pool.get(described_name), shape, f"{USER_POOL}.{described_name}")
        if value is not None:
            request[name] = value
    return request


def with_custom_message(request: Mapping[str, Any], trigger_arn: str | None) -> dict[str, Any]:
    """A copy of `request` whose LambdaConfig.CustomMessage is `trigger_arn` (None removes the trigger)."""
    changed = dict(request)
    lambda_config = dict(changed.get("LambdaConfig", {}))
    if trigger_arn is None:
        lambda_config.pop(CUSTOM_MESSAGE, None)
    else:
        lambda_config[CUSTOM_MESSAGE] = trigger_arn
    # An empty LambdaConfig means "no triggers", which is what the pool then has; sending {} says the same.
    changed["LambdaConfig"] = lambda_config
    return changed


def is_unset(value: object, shape: Shape | None) -> bool:
    """Whether `value` is no setting at all: absent, or empty where the API's minimum length forbids sending it.

    An empty string, list or map is a value whenever the input shape allows it (a tag value "" is a tag); only below
    the shape's `min` can it not be sent, and then it equals unset.
    """
    if value is None:
        return True
    if shape is None or not isinstance(value, (str, list, Mapping)) or len(value) > 0:
        return False
    return int(shape.metadata.get("min", 0)) > 0


def _project(value: object, shape: Shape, path: str) -> Any:
    """Keep what `shape` accepts, minus what NOT_WRITTEN_BACK leaves out and what is_unset calls no setting."""
    omission = NOT_WRITTEN_BACK.get(path)
    if (omission is not None and omission.left_out_of_request) or is_unset(value, shape):
        return None
    if isinstance(shape, StructureShape):
        return _project_structure(value, shape, path)
    if isinstance(shape, ListShape):
        return _project_list(value, shape, path)
    if isinstance(shape, MapShape):
        return _project_map(value, shape, path)
    return value


def _project_structure(value: object, shape: StructureShape, path: str) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    projected = {
        name: item
        for name, member in shape.members.items()
        if (item := _project(value.get(name), member, f"{path}.{name}")) is not None
    }
    # A structure with nothing in it sends only defaults, which is what omitting it means too.
    return projected or None


def _project_list(value: object, shape: ListShape, path: str) -> list[Any] | None:
    if not isinstance(value, list):
        return None
    return [
        item
        for index, element in enumerate(value)
        if (item := _project(element, shape.member, f"{path}[{index}]")) is not None
    ]


def _project_map(value: object, shape: MapShape, path: str) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return {
        key: item
        for key, element in value.items()
        if (item := _project(element, shape.value, f"{path}.{key}")) is not None
    }
