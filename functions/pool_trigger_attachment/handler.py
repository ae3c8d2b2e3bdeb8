"""Entry point of the existing-pool custom resource (Custom::CognitoCustomMessageTrigger).

Properties: UserPoolId (the pool to attach to) and TriggerArn (the CustomMessage function). CloudFormation always gets
an answer, even on an unexpected error: a custom resource that never answers stalls the stack for its whole timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from pool_trigger_attachment.attachment import NOTHING_ATTACHED, Attachment, PoolTriggers, attach, detach, move
from pool_trigger_attachment.cloudformation import send_response

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

LOGGER = logging.getLogger(__name__)


def lambda_handler(event: Mapping[str, Any], _context: object) -> None:
    """Apply the request, then report SUCCESS or FAILED (with the error) to CloudFormation."""
    request_type = event["RequestType"]
    LOGGER.info("custom resource request", extra={"requestType": request_type, "stackId": event.get("StackId")})
    try:
        physical_resource_id = handle(event, cognito_client)
    except Exception as error:  # any failure must be reported, or CloudFormation waits for the timeout
        LOGGER.exception("request failed", extra={"requestType": request_type})
        send_response(
            event,
            status="FAILED",
            physical_resource_id=event.get("PhysicalResourceId", NOTHING_ATTACHED),
            reason=f"{type(error).__name__}: {error}",
        )
        return
    send_response(event, status="SUCCESS", physical_resource_id=physical_resource_id)


def handle(event: Mapping[str, Any], client_for: Callable[[str], CognitoIdentityProviderClient]) -> str:
    """Apply one Create/Update/Delete; returns the physical resource id to report."""
    properties = event["ResourceProperties"]
    user_pool_id, trigger_arn = str(properties["UserPoolId"]), str(properties["TriggerArn"])
    request_type = event["RequestType"]
    if request_type == "Create":
        return attach(PoolTriggers(client_for(user_pool_id)), user_pool_id, trigger_arn).physical_resource_id
    attachment = Attachment.from_physical_resource_id(str(event.get("PhysicalResourceId", "")))
    if request_type == "Update":
        if attachment is None:
            return attach(PoolTriggers(client_for(user_pool_id)), user_pool_id, trigger_arn).physical_resource_id
        return move(PoolTriggers(client_for(user_pool_id)), attachment, user_pool_id, trigger_arn).physical_resource_id
    if request_type == "Delete":
        if attachment is not None:
            detach(PoolTriggers(client_for(attachment.user_pool_id)), attachment, trigger_arn)
        return str(event["PhysicalResourceId"])
    raise ValueError(f"unknown RequestType {request_type!r}")


def cognito_client(user_pool_id: str) -> CognitoIdentityProviderClient:
    """A client in the pool's own Region (the prefix of its id), retrying throttles with the SDK's standard mode."""
    region = user_pool_id.partition("_")[0]
    retries = Config(retries={"mode": "standard", "max_attempts": 5})
    return boto3.client("cognito-idp", region_name=region, config=retries)
