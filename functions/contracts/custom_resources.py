"""The custom resources the stack declares and the pool trigger attachment function serves: types, properties and
the names in their answers."""

from __future__ import annotations

from typing import Final

# Attaches the CustomMessage trigger to a pool the stack does not own; Delete restores the previous trigger.
CUSTOM_MESSAGE_TRIGGER: Final = "Custom::CognitoCustomMessageTrigger"
# For a pool the stack creates and retains: Delete takes the stack's trigger off it.
CUSTOM_MESSAGE_TRIGGER_DETACHMENT: Final = "Custom::CognitoCustomMessageTriggerDetachment"
# Reads how the pool sends and verifies e-mail, and the SES configuration set it sends through; its answer's Data
# carries them under ANSWER_KEYS.
EMAIL_SENDING_ACCOUNT: Final = "Custom::CognitoUserPoolEmailSendingAccount"

# ResourceProperties.
USER_POOL_ID: Final = "UserPoolId"
TRIGGER_ARN: Final = "TriggerArn"
# Changing it makes CloudFormation run the resource again (it re-reads only when a property changed).
REVISION: Final = "Revision"
# The EMAIL_SENDING_ACCOUNT resource's: the keys its answer carries (ANSWER_KEYS, comma-separated). The handler reads
# every key whatever this says; the property is there so that a key added in a release changes the resource's
# properties, and CloudFormation asks the resource again on the stack's update. Otherwise an existing stack keeps the
# answer of its first deploy, and Fn::GetAtt of the new key fails the update (the stored answer lacks it).
ANSWERS: Final = "Answers"

# Data of the EMAIL_SENDING_ACCOUNT resource's answer, read with Fn::GetAtt.
EMAIL_SENDING_ACCOUNT_KEY: Final = "EmailSendingAccount"
DEFAULT_EMAIL_OPTION_KEY: Final = "DefaultEmailOption"
# EmailConfiguration.ConfigurationSet: whose SES events the stack counts (infra/delivery_events.py).
CONFIGURATION_SET_KEY: Final = "ConfigurationSet"
# Its value for a pool without a set: not a name SES allows (letters, digits, '-' and '_'; SES API Reference,
# CreateConfigurationSet), so a rule that matches it matches no SES event. Not "": whether CloudFormation hands an
# empty custom resource attribute to Fn::GetAtt is not documented.
NO_CONFIGURATION_SET: Final = "(none)"
ANSWER_KEYS: Final = (EMAIL_SENDING_ACCOUNT_KEY, DEFAULT_EMAIL_OPTION_KEY, CONFIGURATION_SET_KEY)
