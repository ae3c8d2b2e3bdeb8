"""Entry point of the user-pool custom resources; event["ResourceType"] says which one (contracts/custom_resources.py).

- Custom::CognitoCustomMessageTrigger (UserPoolId, TriggerArn): attaches the trigger to a pool the stack does not own;
  Delete restores the previous one. Physical id: "<pool id>/CustomMessage/<previous trigger ARN or none>".
- Custom::CognitoCustomMessageTriggerDetachment (UserPoolId, TriggerArn): for a pool the stack creates and retains;
  Create and Update write nothing, Delete takes the trigger off the pool if it is still the stack's. Physical id: the
  pool id.
- Custom::CognitoUserPoolEmailSendingAccount (UserPoolId; other properties, such as a Revision or Answers, only make
  CloudFormation run an Update): Data {"EmailSendingAccount": "DEVELOPER" | "COGNITO_DEFAULT", "DefaultEmailOption":
  "CONFIRM_WITH_CODE" | "CONFIRM_WITH_LINK", "ConfigurationSet": the SES configuration set's name | ""}. Physical id:
  "<pool id>/EmailSendingAccount".

CloudFormation always gets an answer, even on an unexpected error: a custom resource that never answers stalls the
stack for its whole timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config

from contracts.custom_resources import (
    CUSTOM_MESSAGE_TRIGGER,
    CUSTOM_MESSAGE_TRIGGER_DETACHMENT,
    EMAIL_SENDING_ACCOUNT,
    EMAIL_SENDING_ACCOUNT_KEY,
    TRIGGER_ARN,
    USER_POOL_ID,
)
from pool_trigger_attachment.attachment import (
    NOTHING_ATTACHED,
    Attachment,
    PoolTriggers,
    WriteBackMismatchError,
    attach,
    detach,
    move,
    release,
)
from pool_trigger_attachment.cloudformation import send_response
from pool_trigger_attachment.email_sending_account import pool_email_settings

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

LOGGER = logging.getLogger(__name__)
ClientFor = Callable[[str], "CognitoIdentityProviderClient"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a successful request reports to CloudFormation."""

    physical_resource_id: str
    data: Mapping[str, str] = field(default_factory=dict)


def lambda_handler(event: Mapping[str, Any], _context: object) -> None:
    """Apply the request, then report SUCCESS or FAILED (with the error) to CloudFormation."""
    request_type = event["RequestType"]
    LOGGER.info(
        "custom resource request",
        extra={"requestType": request_type, "resourceType": event.get("ResourceType"), "stackId": event.get("StackId")},
    )
    try:
        outcome = handle(event, cognito_client)
    except Exception as error:  # any failure must be reported, or CloudFormation waits for the timeout
        LOGGER.exception("request failed", extra={"requestType": request_type})
        send_response(
            event,
            status="FAILED",
            physical_resource_id=_failed_physical_resource_id(event, error),
            reason=f"{type(error).__name__}: {error}",
        )
        return
    send_response(event, status="SUCCESS", physical_resource_id=outcome.physical_resource_id, data=outcome.data)


def handle(event: Mapping[str, Any], client_for: ClientFor) -> Outcome:
    """Apply one Create/Update/Delete of whichever resource type the event names."""
    resource_type = event.get("ResourceType")
    serve = _RESOURCE_TYPES.get(str(resource_type))
    if serve is None:
        raise ValueError(f"unknown ResourceType {resource_type!r}")
    if event["RequestType"] not in ("Create", "Update", "Delete"):
        raise ValueError(f"unknown RequestType {event['RequestType']!r}")
    return serve(event, client_for)


def _custom_message_trigger(event: Mapping[str, Any], client_for: ClientFor) -> Outcome:
    properties = event["ResourceProperties"]
    user_pool_id, trigger_arn = str(properties[USER_POOL_ID]), str(properties[TRIGGER_ARN])
    request_type = event["RequestType"]
    if request_type == "Create":
        return Outcome(attach(PoolTriggers(client_for(user_pool_id)), user_pool_id, trigger_arn).physical_resource_id)
    attachment = Attachment.from_physical_resource_id(str(event.get("PhysicalResourceId", "")))
    if request_type == "Update":
        triggers = PoolTriggers(client_for(user_pool_id))
        if attachment is None:
            return Outcome(attach(triggers, user_pool_id, trigger_arn).physical_resource_id)
        return Outcome(move(triggers, attachment, user_pool_id, trigger_arn).physical_resource_id)
    if attachment is not None:
        detach(PoolTriggers(client_for(attachment.user_pool_id)), attachment, trigger_arn)
    return Outcome(str(event["PhysicalResourceId"]))


def _custom_message_trigger_detachment(event: Mapping[str, Any], client_for: ClientFor) -> Outcome:
    properties = event["ResourceProperties"]
    trigger_arn = str(properties[TRIGGER_ARN])
    if event["RequestType"] != "Delete":
        # The template set the trigger; only Delete has work to do. A changed pool id gives a new physical id, so
        # CloudFormation deletes the old resource, which releases the pool the stack no longer uses.
        return Outcome(str(properties[USER_POOL_ID]))
    user_pool_id = str(event["PhysicalResourceId"])
    if user_pool_id != NOTHING_ATTACHED:
        release(PoolTriggers(client_for(user_pool_id)), user_pool_id, trigger_arn)
    return Outcome(user_pool_id)


def _email_sending_account(event: Mapping[str, Any], client_for: ClientFor) -> Outcome:
    if event["RequestType"] == "Delete":
        return Outcome(str(event["PhysicalResourceId"]))  # reading wrote nothing: nothing to undo
    user_pool_id = str(event["ResourceProperties"][USER_POOL_ID])
    settings = pool_email_settings(client_for(user_pool_id), user_pool_id)
    return Outcome(f"{user_pool_id}/{EMAIL_SENDING_ACCOUNT_KEY}", settings.answer())


_RESOURCE_TYPES: Final[Mapping[str, Callable[[Mapping[str, Any], ClientFor], Outcome]]] = {
    CUSTOM_MESSAGE_TRIGGER: _custom_message_trigger,
    CUSTOM_MESSAGE_TRIGGER_DETACHMENT: _custom_message_trigger_detachment,
    EMAIL_SENDING_ACCOUNT: _email_sending_account,
}


def _failed_physical_resource_id(event: Mapping[str, Any], error: Exception) -> str:
    """The physical id of a FAILED answer: after a Create that wrote the trigger and then found the pool changed, the
    attachment's own, so CloudFormation's rollback Delete takes the trigger off again; otherwise the resource's."""
    if event["RequestType"] == "Create" and isinstance(error, WriteBackMismatchError) and error.attachment is not None:
        return error.attachment.physical_resource_id
    return str(event.get("PhysicalResourceId", NOTHING_ATTACHED))


def cognito_client(user_pool_id: str) -> CognitoIdentityProviderClient:
    """A client in the pool's own Region (the prefix of its id), retrying throttles with the SDK's standard mode."""
    region = user_pool_id.partition("_")[0]
    retries = Config(retries={"mode": "standard", "max_attempts": 5})
    return boto3.client("cognito-idp", region_name=region, config=retries)
