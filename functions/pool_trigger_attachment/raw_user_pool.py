"""What DescribeUserPool really answered, and how a write-back compares with it.

botocore parses a response through its model and silently drops every field the model does not know, so a pool
setting newer than the bundled botocore never reaches update_request and UpdateUserPool would reset it. The body
as Cognito sent it is read here (botocore's `before-parse` event, on the caller's own client), and compared with the
request before anything is written, and with the pool as it is after the write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

from pool_trigger_attachment.pool_config import (
    CUSTOM_MESSAGE,
    CUSTOM_MESSAGE_PATH,
    NOT_WRITTEN_BACK,
    USER_POOL,
    is_unset,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# botocore emits it with the response as received, before parsing (botocore/endpoint.py, _do_get_response).
_BEFORE_PARSE: Final = "before-parse.cognito-identity-provider.DescribeUserPool"
_ABSENT: Final = object()


@dataclass(frozen=True, slots=True)
class DescribedPool:
    """One DescribeUserPool answer twice: as botocore parsed it, and as Cognito sent it."""

    parsed: dict[str, Any]
    raw: dict[str, Any]


class _RawBody:
    """A `before-parse` handler that keeps the body of the last successful answer (retries emit one per attempt)."""

    def __init__(self) -> None:
        self.body: bytes | None = None

    def __call__(self, response_dict: Mapping[str, Any], **_: object) -> None:
        if response_dict.get("status_code") == HTTPStatus.OK:
            self.body = response_dict["body"]


def describe_user_pool(cognito: CognitoIdentityProviderClient, user_pool_id: str) -> DescribedPool:
    """DescribeUserPool, keeping the raw `UserPool` beside the parsed one."""
    raw_body = _RawBody()
    cognito.meta.events.register(_BEFORE_PARSE, raw_body)
    try:
        parsed = dict(cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"])
    finally:
        cognito.meta.events.unregister(_BEFORE_PARSE, raw_body)
    if raw_body.body is None:
        raise RuntimeError("DescribeUserPool answered without a body the custom resource could read")
    raw = json.loads(raw_body.body).get(USER_POOL)
    if not isinstance(raw, dict):
        raise TypeError("DescribeUserPool's raw answer holds no UserPool object")
    return DescribedPool(parsed=parsed, raw=raw)


def fields_not_carried(
    raw_pool: Mapping[str, Any], request: Mapping[str, Any], input_shape: StructureShape
) -> list[str]:
    """Paths of the raw pool's fields, at any depth, that `request` would not write back and that NOT_WRITTEN_BACK
    does not excuse. Empty values count only where the API could carry them (pool_config.is_unset)."""
    lost: list[str] = []
    for name, value in raw_pool.items():
        # Id and Name, which UpdateUserPool names differently, are in NOT_WRITTEN_BACK: no renaming is needed here.
        _collect_not_carried(
            value, request.get(name, _ABSENT), input_shape.members.get(name), f"{USER_POOL}.{name}", lost
        )
    return lost


def _collect_not_carried(raw: object, carried: object, shape: Shape | None, path: str, lost: list[str]) -> None:
    if path in NOT_WRITTEN_BACK or is_unset(raw, shape):
        return
    if isinstance(shape, StructureShape) and isinstance(raw, Mapping):
        # Field by field, so the answer names the deepest setting that would be lost.
        members = carried if isinstance(carried, Mapping) else {}
        for name, value in raw.items():
            _collect_not_carried(value, members.get(name, _ABSENT), shape.members.get(name), f"{path}.{name}", lost)
        return
    if carried is _ABSENT or shape is None:
        lost.append(path)
    elif isinstance(shape, MapShape) and isinstance(raw, Mapping) and isinstance(carried, Mapping):
        for key, value in raw.items():
            _collect_not_carried(value, carried.get(key, _ABSENT), shape.value, f"{path}.{key}", lost)
    elif isinstance(shape, ListShape) and isinstance(raw, list) and isinstance(carried, list):
        for index, value in enumerate(raw):
            element = carried[index] if index < len(carried) else _ABSENT
            _collect_not_carried(value, element, shape.member, f"{path}[{index}]", lost)
    elif isinstance(shape, StructureShape | MapShape | ListShape):
        lost.append(path)  # not the shape the model expects, so the request cannot hold it as it is


def fields_changed(before: Mapping[str, Any], after: Mapping[str, Any], custom_message: str | None) -> list[str]:
    """Paths where the pool after the write differs from the pool before it, other than LambdaConfig.CustomMessage
    (which must now be `custom_message`, or absent for None) and the read-only facts Cognito updates itself."""
    changed = _differences(before, after, USER_POOL)
    lambda_config = after.get("LambdaConfig")
    now = lambda_config.get(CUSTOM_MESSAGE) if isinstance(lambda_config, Mapping) else None
    if now != custom_message:
        changed.append(CUSTOM_MESSAGE_PATH)
    return changed


def _differences(before: object, after: object, path: str) -> list[str]:
    omission = NOT_WRITTEN_BACK.get(path)
    if path == CUSTOM_MESSAGE_PATH or (omission is not None and not omission.compared_after_write):
        return []
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        names = [*before, *(name for name in after if name not in before)]
        return [field for name in names for field in _differences(before.get(name), after.get(name), f"{path}.{name}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            field
            for index, (old, new) in enumerate(zip(before, after, strict=True))
            for field in _differences(old, new, f"{path}[{index}]")
        ]
    return [] if before == after else [path]
