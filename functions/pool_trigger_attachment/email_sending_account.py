"""How a user pool sends and verifies e-mail: the stack reads it at deploy time and tells the CustomMessage trigger.

With any sending account other than DEVELOPER, Cognito rejects a trigger answer that sets the e-mail message or
subject; and Cognito's link placeholder belongs in a sign-up e-mail only where the pool confirms with a link. So the
trigger must know both settings of the pool it serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.cognito import COGNITO_DEFAULT, CONFIRM_WITH_CODE
from contracts.custom_resources import DEFAULT_EMAIL_OPTION_KEY, EMAIL_SENDING_ACCOUNT_KEY

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


@dataclass(frozen=True, slots=True)
class PoolEmailSettings:
    """The pool's EmailConfiguration.EmailSendingAccount and VerificationMessageTemplate.DefaultEmailOption."""

    email_sending_account: str
    default_email_option: str

    def answer(self) -> dict[str, str]:
        """The custom resource's Data, read with Fn::GetAtt."""
        return {
            EMAIL_SENDING_ACCOUNT_KEY: self.email_sending_account,
            DEFAULT_EMAIL_OPTION_KEY: self.default_email_option,
        }


def pool_email_settings(cognito: CognitoIdentityProviderClient, user_pool_id: str) -> PoolEmailSettings:
    """Both settings, as Cognito reports them in one DescribeUserPool. A pool without an EmailConfiguration sends as
    COGNITO_DEFAULT (API Reference, EmailConfigurationType); one without a DefaultEmailOption confirms with a code
    (contracts/cognito.py says why)."""
    pool = cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
    return PoolEmailSettings(
        email_sending_account=str(pool.get("EmailConfiguration", {}).get("EmailSendingAccount") or COGNITO_DEFAULT),
        default_email_option=str(
            pool.get("VerificationMessageTemplate", {}).get("DefaultEmailOption") or CONFIRM_WITH_CODE
        ),
    )
