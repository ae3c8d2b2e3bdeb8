"""Reads the Cognito CustomMessage event as real senders shape it, and writes the response back into it.

Cognito's payload varies in the wild (``awsSdk`` or ``awsSdkVersion``, attribute values as strings or booleans,
``linkParameter`` and ``clientMetadata`` missing or null), so every field is read defensively: anything unexpected
becomes "absent", never an exception. No Powertools data classes here: they cost ~80-120 ms of cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from client_metadata import ResetMetadata

TRIGGER_SOURCES: Final = (
    "CustomMessage_SignUp",
    "CustomMessage_AdminCreateUser",
    "CustomMessage_ResendCode",
    "CustomMessage_ForgotPassword",
    "CustomMessage_UpdateUserAttribute",
    "CustomMessage_VerifyUserAttribute",
    "CustomMessage_Authentication",
)
RESPONSE_FIELDS: Final = ("emailSubject", "emailMessage", "smsMessage")


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """The parts of a CustomMessage event the trigger uses. Every text field is untrusted except the placeholders."""

    trigger_source: str
    code_parameter: str
    username_parameter: str | None = None
    user_name: str = ""
    user_attributes: Mapping[str, str] = field(default_factory=dict)
    metadata: ResetMetadata = field(default_factory=ResetMetadata)


def read_message_request(event: object) -> MessageRequest | None:
    """The request inside a CustomMessage event, or None when the event cannot be tailored (pass it through)."""
    if not isinstance(event, dict):
        return None
    trigger_source = event.get("triggerSource")
    request = event.get("request")
    if not isinstance(trigger_source, str) or not isinstance(request, dict):
        return None
    code = request.get("codeParameter")
    if not isinstance(code, str) or not code:
        # Without the code placeholder no message of ours can be valid; Cognito's default is the only safe answer.
        return None
    username_parameter = request.get("usernameParameter")
    user_name = event.get("userName")
    return MessageRequest(
        trigger_source=trigger_source,
        code_parameter=code,
        username_parameter=username_parameter if isinstance(username_parameter, str) and username_parameter else None,
        user_name=user_name if isinstance(user_name, str) else "",
        user_attributes=_attributes(request.get("userAttributes")),
        metadata=ResetMetadata.from_client_metadata(request.get("clientMetadata")),
    )


def _attributes(raw: object) -> dict[str, str]:
    # Cognito sends "true"/"false" for email_verified; some SDKs and test tools send JSON booleans.
    if not isinstance(raw, dict):
        return {}
    attributes: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str):
            continue
        if isinstance(value, bool):
            attributes[name] = "true" if value else "false"
        elif isinstance(value, str):
            attributes[name] = value
    return attributes


def write_response(
    event: object, *, email_subject: str | None, email_message: str | None, sms_message: str | None
) -> None:
    """Put the messages into ``event["response"]``; None means "Cognito, use the pool's default"."""
    if not isinstance(event, dict):
        return
    response = event.get("response")
    if not isinstance(response, dict):
        response = {}
        event["response"] = response
    response["emailSubject"] = email_subject
    response["emailMessage"] = email_message
    response["smsMessage"] = sms_message
