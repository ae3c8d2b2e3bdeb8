"""The custom resource types this handler serves, and the names in their answers: the stack that declares the
resources imports them from here."""

from __future__ import annotations

from typing import Final

# Attaches the CustomMessage trigger to a pool the stack does not own; Delete restores the previous trigger.
CUSTOM_MESSAGE_TRIGGER: Final = "Custom::CognitoCustomMessageTrigger"
# For a pool the stack creates and retains: Delete takes the stack's trigger off it.
CUSTOM_MESSAGE_TRIGGER_DETACHMENT: Final = "Custom::CognitoCustomMessageTriggerDetachment"
# Reads the pool's e-mail sending account; its answer's Data carries it under EMAIL_SENDING_ACCOUNT_KEY.
EMAIL_SENDING_ACCOUNT: Final = "Custom::CognitoUserPoolEmailSendingAccount"
EMAIL_SENDING_ACCOUNT_KEY: Final = "EmailSendingAccount"
