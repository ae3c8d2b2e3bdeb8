"""The custom resources the stack declares and the pool trigger attachment function serves: types, properties and
the names in their answers."""

from __future__ import annotations

from typing import Final

# Attaches the CustomMessage trigger to a pool the stack does not own; Delete restores the previous trigger.
CUSTOM_MESSAGE_TRIGGER: Final = "Custom::CognitoCustomMessageTrigger"
# For a pool the stack creates and retains: Delete takes the stack's trigger off it.
CUSTOM_MESSAGE_TRIGGER_DETACHMENT: Final = "Custom::CognitoCustomMessageTriggerDetachment"
# Reads the pool's e-mail sending account; its answer's Data carries it under EMAIL_SENDING_ACCOUNT_KEY.
EMAIL_SENDING_ACCOUNT: Final = "Custom::CognitoUserPoolEmailSendingAccount"

# ResourceProperties.
USER_POOL_ID: Final = "UserPoolId"
TRIGGER_ARN: Final = "TriggerArn"
# Changing it makes CloudFormation run the resource again (it re-reads only when a property changed).
REVISION: Final = "Revision"

# Data of the EMAIL_SENDING_ACCOUNT resource's answer, read with Fn::GetAtt.
EMAIL_SENDING_ACCOUNT_KEY: Final = "EmailSendingAccount"
