"""Turn DescribeUserPool's answer into an UpdateUserPool request that changes only LambdaConfig.CustomMessage.

UpdateUserPool resets every setting it is not given to its default, so the request must carry over the pool's whole
configuration. The members to carry are taken from the API model the client itself was built from (botocore's
UpdateUserPool input shape), recursively, so a setting AWS adds later is carried over as soon as botocore knows it,
and a field DescribeUserPool reports but UpdateUserPool does not accept (Id, Arn, Status, dates, schema, domains,
estimated user count, ...) is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

# DescribeUserPool names differ from UpdateUserPool's for these two members.
_RENAMED: Final = {"UserPoolId": "Id", "PoolName": "Name"}
CUSTOM_MESSAGE: Final = "CustomMessage"


def update_request(user_pool: Mapping[str, Any], input_shape: StructureShape) -> dict[str, Any]:
    """The UpdateUserPool parameters that rewrite `user_pool` (a DescribeUserPool `UserPool`) exactly as it is."""
    request: dict[str, Any] = {}
    for name, shape in input_shape.members.items():
        value = _project(user_pool.get(_RENAMED.get(name, name)), shape)
        if value is not None:
            request[name] = value
    _drop_rejected_fields(request)
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


def _project(value: object, shape: Shape) -> Any:
    """Keep what `shape` accepts; drop empty values, which UpdateUserPool rejects or treats as "default" anyway."""
    if isinstance(shape, StructureShape):
        return _project_structure(value, shape)
    if isinstance(shape, ListShape):
        return (
            [item for element in value if (item := _project(element, shape.member)) is not None]
            if isinstance(value, list)
            else None
        )
    if isinstance(shape, MapShape):
        return _project_map(value, shape)
    # Empty strings fail the API's minimum lengths (messages, ARNs, ids): unset is the same setting.
    return None if value is None or value == "" else value


def _project_structure(value: object, shape: StructureShape) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    projected = {
        name: item for name, member in shape.members.items() if (item := _project(value.get(name), member)) is not None
    }
    return projected or None


def _project_map(value: object, shape: MapShape) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return {key: item for key, element in value.items() if (item := _project(element, shape.value)) is not None}


def _drop_rejected_fields(request: dict[str, Any]) -> None:
    """Fields DescribeUserPool still returns but UpdateUserPool refuses."""
    admin_create_user = request.get("AdminCreateUserConfig")
    if isinstance(admin_create_user, dict):
        # Deprecated: "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays".
        # Its value lives on as Policies.PasswordPolicy.TemporaryPasswordValidityDays, which is carried over.
        admin_create_user.pop("UnusedAccountValidityDays", None)
        if not admin_create_user:
            del request["AdminCreateUserConfig"]
