"""How a user pool sends and verifies e-mail: the stack reads it at deploy time and tells the CustomMessage trigger and
the delivery events rule.

With any sending account other than DEVELOPER, Cognito rejects a trigger answer that sets the e-mail message or
subject; and Cognito's link placeholder belongs in a sign-up e-mail only where the pool confirms with a link. So the
trigger must know both settings of the pool it serves. SES tags each message with the configuration set it goes
through (contracts.delivery_events), so the rule that counts the pool's delivery events must know the pool's set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.cognito import COGNITO_DEFAULT, CONFIRM_WITH_CODE
from contracts.custom_resources import (
    CONFIGURATION_SET_KEY,
    DEFAULT_EMAIL_OPTION_KEY,
    EMAIL_SENDING_ACCOUNT_KEY,
    NO_CONFIGURATION_SET,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


@dataclass(frozen=True, slots=True)
class PoolEmailSettings:
    """The pool's EmailConfiguration.EmailSendingAccount and .ConfigurationSet, and its
    VerificationMessageTemplate.DefaultEmailOption."""

    email_sending_account: str
    default_email_option: str
    configuration_set: str

    def answer(self) -> dict[str, str]:
        """The custom resource's Data, read with Fn::GetAtt: every key, always (a key missing from the answer fails
        the Fn::GetAtt that reads it, and with it the deployment)."""
        return {
            EMAIL_SENDING_ACCOUNT_KEY: self.email_sending_account,
            DEFAULT_EMAIL_OPTION_KEY: self.default_email_option,
            CONFIGURATION_SET_KEY: self.configuration_set,
        }


def pool_email_settings(cognito: CognitoIdentityProviderClient, user_pool_id: str) -> PoolEmailSettings:
    """The settings, as Cognito reports them in one DescribeUserPool. A pool without an EmailConfiguration sends as
    COGNITO_DEFAULT (API Reference, EmailConfigurationType) through no configuration set; one without a
    DefaultEmailOption confirms with a code (contracts/cognito.py says why)."""
    pool = cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
    email = pool.get("EmailConfiguration", {})
    return PoolEmailSettings(
        email_sending_account=str(email.get("EmailSendingAccount") or COGNITO_DEFAULT),
        default_email_option=str(
            pool.get("VerificationMessageTemplate", {}).get("DefaultEmailOption") or CONFIRM_WITH_CODE
        ),
        configuration_set=str(email.get("ConfigurationSet") or NO_CONFIGURATION_SET),
    )
