"""Reads the Cognito CustomMessage event as real senders shape it, and writes the response back into it.

Cognito's payload varies in the wild (``awsSdk`` or ``awsSdkVersion``, attribute values as strings or booleans,
``linkParameter`` and ``clientMetadata`` missing or null), so every field is read defensively: anything unexpected
becomes "absent", never an exception. No Powertools data classes here: they cost ~80-120 ms of cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from contracts.client_metadata import ResetMetadata
from contracts.cognito import ADMINISTRATOR_CLIENT_ID, EMAIL_MESSAGE, EMAIL_SUBJECT, SMS_MESSAGE


class MessageRequest(NamedTuple):
    """The parts of a CustomMessage event the trigger uses. Every text field is untrusted except the placeholders."""

    trigger_source: str
    code_parameter: str
    username_parameter: str | None = None
    # request.linkParameter (e.g. "{##Click Here##}"): what Cognito replaces with the confirmation link in a pool whose
    # verification messages carry a link (VerificationMessageTemplate.DefaultEmailOption CONFIRM_WITH_LINK).
    link_parameter: str | None = None
    user_name: str = ""
    user_attributes: Mapping[str, str] = MappingProxyType({})
    metadata: ResetMetadata = ResetMetadata()
    client_id: str | None = None  # callerContext.clientId: an app client's id, or ADMINISTRATOR_CLIENT_ID

    @property
    def from_administrator(self) -> bool:
        """An administrator's API call, as Cognito says it (never guessed from clientMetadata, which apps can send).

        Anything else, a missing callerContext included, is treated as the user's own request: only a call Cognito
        marks as an administrator's may be worded as one ("an administrator has reset your password").
        """
        return self.client_id == ADMINISTRATOR_CLIENT_ID


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
    link_parameter = request.get("linkParameter")
    user_name = event.get("userName")
    caller = event.get("callerContext")
    client_id = caller.get("clientId") if isinstance(caller, dict) else None
    return MessageRequest(
        trigger_source=trigger_source,
        code_parameter=code,
        username_parameter=username_parameter if isinstance(username_parameter, str) and username_parameter else None,
        link_parameter=link_parameter if isinstance(link_parameter, str) and link_parameter else None,
        user_name=user_name if isinstance(user_name, str) else "",
        user_attributes=_attributes(request.get("userAttributes")),
        metadata=ResetMetadata.from_client_metadata(request.get("clientMetadata")),
        client_id=client_id if isinstance(client_id, str) else None,
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
    response[EMAIL_SUBJECT] = email_subject
    response[EMAIL_MESSAGE] = email_message
    response[SMS_MESSAGE] = sms_message
