"""Cognito → CustomMessage trigger: moto resets the user but ignores ClientMetadata and never calls triggers; this
calls the pool's CustomMessage function the way Cognito does after AdminResetUserPassword, checks its answer the
way Cognito does, and puts the message Cognito would send into the outbox.

Like Cognito, a trigger that fails or answers with something unusable fails the AdminResetUserPassword call
(UserLambdaValidationException / InvalidLambdaResponseException), and the user keeps the status they had.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError

from local_aws.wiring.functions import LocalFunctions
from local_aws.wiring.outbox import CODE_PLACEHOLDER, Outbox

FORGOT_PASSWORD = "CustomMessage_ForgotPassword"  # noqa: S105 - a trigger source, not a password
# Cognito's limits on what a CustomMessage trigger may answer with.
LIMITS = {"emailSubject": 140, "emailMessage": 20_000, "smsMessage": 140}


class UserLambdaValidationError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("UserLambdaValidationException", message)


class InvalidLambdaResponseError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidLambdaResponseException", message)


def forgot_password_event(
    *, region: str, pool_id: str, username: str, attributes: dict[str, str], client_metadata: dict[str, str]
) -> dict[str, Any]:
    """The event Cognito sends after an administrator's AdminResetUserPassword (no app client is involved)."""
    return {
        "version": "1",
        "region": region,
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "CLIENT_ID_NOT_APPLICABLE"},
        "triggerSource": FORGOT_PASSWORD,
        "request": {
            "userAttributes": attributes,
            "codeParameter": CODE_PLACEHOLDER,
            "linkParameter": "{##Click Here##}",
            "usernameParameter": None,
            "clientMetadata": client_metadata,
        },
        "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    }


def accepted_response(answer: Any) -> dict[str, str | None]:
    """The message fields of a trigger's answer, or InvalidLambdaResponseError where Cognito would refuse it."""
    response = answer.get("response") if isinstance(answer, dict) else None
    if not isinstance(response, dict):
        raise InvalidLambdaResponseError("Invalid lambda response: no response object")
    fields: dict[str, str | None] = {}
    for name, limit in LIMITS.items():
        value = response.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise InvalidLambdaResponseError(f"Invalid lambda response: {name} is not a string of at most {limit}")
        fields[name] = value
    for name in ("emailMessage", "smsMessage"):
        text = fields[name]
        if text is not None and CODE_PLACEHOLDER not in text:
            raise InvalidLambdaResponseError(f"Invalid lambda response: {name} lacks the code placeholder")
    return fields


@contextmanager
def custom_message_trigger_called(functions: LocalFunctions, outbox: Outbox) -> Iterator[None]:
    original = CognitoIdpResponse.admin_reset_user_password

    def admin_reset_user_password(response: CognitoIdpResponse) -> Any:
        pool_id, username = response._get_param("UserPoolId"), response._get_param("Username")
        backend = response.backend
        user = backend.admin_get_user(pool_id, username)
        status_before = user.status
        result = original(response)  # moto's checks and the status change (raises as Cognito would)
        trigger_arn = (backend.describe_user_pool(pool_id).extended_config.get("LambdaConfig") or {}).get(
            "CustomMessage"
        )
        function = functions.find(trigger_arn) if trigger_arn else None
        if function is None:
            return result
        attributes = {a["Name"]: a["Value"] for a in user.attributes} | {
            "cognito:user_status": getattr(status_before, "value", str(status_before))
        }
        event = forgot_password_event(
            region=response.region,
            pool_id=pool_id,
            username=user.username,
            attributes=attributes,
            client_metadata=response._get_param("ClientMetadata") or {},
        )
        invocation = functions.invoke(function, event)
        try:
            if invocation.function_error:
                raise UserLambdaValidationError(f"CustomMessage failed with error {invocation.error_type}.")
            fields = accepted_response(invocation.payload)
        except JsonRESTError:
            user.status = status_before  # the reset did not happen
            raise
        outbox.deliver(
            username=user.username,
            trigger_source=FORGOT_PASSWORD,
            email_to=attributes.get("email"),
            subject=fields["emailSubject"],
            email_message=fields["emailMessage"],
            sms_message=fields["smsMessage"],
        )
        return result

    with mock.patch.object(CognitoIdpResponse, "admin_reset_user_password", admin_reset_user_password):
        yield
