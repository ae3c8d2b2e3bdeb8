"""Attach, move and detach the CustomMessage trigger; every write carries the pool's whole configuration over."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError
from botocore.model import StructureShape

from pool_trigger_attachment.pool_config import CUSTOM_MESSAGE, update_request, with_custom_message
from pool_trigger_attachment.raw_user_pool import describe_user_pool, fields_changed, fields_not_carried

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

LOGGER = logging.getLogger(__name__)
_SEPARATOR: Final = "/CustomMessage/"
_NO_PREVIOUS: Final = "none"
# Reported when Create fails before anything was written, so the rollback's Delete knows there is nothing to undo.
NOTHING_ATTACHED: Final = "pool-trigger-attachment-not-created"


@dataclass(frozen=True, slots=True)
class Attachment:
    """What the stack did to one pool: the trigger it set and the CustomMessage value that was there before.

    It travels as CloudFormation's physical resource id, the one value CloudFormation hands back on Update and Delete,
    so the previous trigger survives without any storage of our own.
    """

    user_pool_id: str
    previous_trigger_arn: str | None

    @property
    def physical_resource_id(self) -> str:
        return f"{self.user_pool_id}{_SEPARATOR}{self.previous_trigger_arn or _NO_PREVIOUS}"

    @classmethod
    def from_physical_resource_id(cls, physical_resource_id: str) -> Attachment | None:
        user_pool_id, separator, previous = physical_resource_id.partition(_SEPARATOR)
        if not separator or not user_pool_id:
            return None
        return cls(user_pool_id, None if previous == _NO_PREVIOUS else previous)


class UnsafeWriteBackError(Exception):
    """DescribeUserPool reports settings the write-back would not carry; UpdateUserPool would reset them, so nothing
    was written."""

    def __init__(self, user_pool_id: str, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(
            f"nothing was written to user pool {user_pool_id}: upgrade this stack (its botocore does not know these"
            " settings), or detach the trigger by hand in the Cognito console. Settings the write-back would not"
            f" carry: {', '.join(fields)}"
        )


class WriteBackMismatchError(Exception):
    """After UpdateUserPool the pool differs from what it was in more than LambdaConfig.CustomMessage."""

    def __init__(self, user_pool_id: str, fields: list[str]) -> None:
        self.fields = fields
        # Set by attach(): what Create reports, so that CloudFormation's rollback (a Delete) undoes the write.
        self.attachment: Attachment | None = None
        super().__init__(
            f"user pool {user_pool_id} was written, and now differs from its earlier configuration in: "
            f"{', '.join(fields)}. Compare it with CloudTrail's UpdateUserPool request and correct it in the Cognito"
            " console"
        )


class PoolTriggers:
    """DescribeUserPool + UpdateUserPool on one client; the only Cognito calls the custom resource makes."""

    def __init__(self, cognito: CognitoIdentityProviderClient) -> None:
        self._cognito = cognito
        input_shape = cognito.meta.service_model.operation_model("UpdateUserPool").input_shape
        if not isinstance(input_shape, StructureShape):
            raise TypeError("botocore's cognito-idp model has no UpdateUserPool input structure")
        self._input_shape = input_shape

    def current_custom_message(self, user_pool_id: str) -> str | None:
        pool: dict[str, Any] = dict(self._cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"])
        value = pool.get("LambdaConfig", {}).get(CUSTOM_MESSAGE)
        return str(value) if value else None

    def set_custom_message(self, user_pool_id: str, trigger_arn: str | None) -> None:
        """Write the pool back with only CustomMessage changed: refuse if the write-back would lose a setting, and
        check afterwards that nothing else changed."""
        before = describe_user_pool(self._cognito, user_pool_id)
        carried = update_request(before.parsed, self._input_shape)
        not_carried = fields_not_carried(before.raw, carried, self._input_shape)
        if not_carried:
            LOGGER.error(
                "the write-back would reset settings this botocore does not know; nothing written",
                extra={"userPoolId": user_pool_id, "notCarried": not_carried},
            )
            raise UnsafeWriteBackError(user_pool_id, not_carried)
        request = with_custom_message(carried, trigger_arn)
        LOGGER.info(
            "updating the user pool with its configuration carried over",
            extra={"userPoolId": user_pool_id, "customMessage": trigger_arn, "carriedOver": sorted(request)},
        )
        self._cognito.update_user_pool(**request)
        after = describe_user_pool(self._cognito, user_pool_id)
        changed = fields_changed(before.raw, after.raw, trigger_arn)
        if changed:
            LOGGER.error(
                "the user pool differs after the write-back", extra={"userPoolId": user_pool_id, "changed": changed}
            )
            raise WriteBackMismatchError(user_pool_id, changed)


def attach(triggers: PoolTriggers, user_pool_id: str, trigger_arn: str) -> Attachment:
    """Create: remember what CustomMessage was, then point it at our trigger."""
    previous = triggers.current_custom_message(user_pool_id)
    if previous == trigger_arn:
        # Already ours (a retried Create): there is nothing earlier to restore.
        previous = None
    attachment = Attachment(user_pool_id, previous)
    try:
        triggers.set_custom_message(user_pool_id, trigger_arn)
    except WriteBackMismatchError as mismatch:
        mismatch.attachment = attachment  # the trigger was written: a rollback must be able to take it off again
        raise
    LOGGER.info("attached", extra={"userPoolId": user_pool_id, "previous": previous})
    return attachment


def move(triggers: PoolTriggers, attachment: Attachment, user_pool_id: str, trigger_arn: str) -> Attachment:
    """Update: a new pool is a new attachment (CloudFormation then deletes the old one); else point at the new ARN."""
    if user_pool_id != attachment.user_pool_id:
        return attach(triggers, user_pool_id, trigger_arn)
    triggers.set_custom_message(user_pool_id, trigger_arn)
    return attachment


def detach(triggers: PoolTriggers, attachment: Attachment, trigger_arn: str) -> None:
    """Delete: restore the previous CustomMessage, unless someone has since replaced ours (then theirs stays)."""
    try:
        current = triggers.current_custom_message(attachment.user_pool_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            LOGGER.info("the user pool is gone; nothing to restore", extra={"userPoolId": attachment.user_pool_id})
            return
        raise
    if current != trigger_arn:
        LOGGER.warning(
            "CustomMessage no longer points at this stack's trigger; leaving it as it is",
            extra={"userPoolId": attachment.user_pool_id, "current": current},
        )
        return
    triggers.set_custom_message(attachment.user_pool_id, attachment.previous_trigger_arn)
    LOGGER.info("restored", extra={"userPoolId": attachment.user_pool_id, "restored": attachment.previous_trigger_arn})


def release(triggers: PoolTriggers, user_pool_id: str, trigger_arn: str) -> None:
    """Delete of a pool the stack created and retains: take the stack's trigger off it, so the pool left behind does not
    point at the function the stack deletes. A pool that is gone, or whose trigger someone has replaced, stays as is."""
    detach(triggers, Attachment(user_pool_id, previous_trigger_arn=None), trigger_arn)
