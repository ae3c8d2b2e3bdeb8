"""How a user pool sends e-mail: the stack reads it at deploy time and tells the CustomMessage trigger.

With any sending account other than DEVELOPER, Cognito rejects a trigger answer that sets the e-mail message or
subject, so the trigger must know the mode of the pool it serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.cognito import COGNITO_DEFAULT

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


def email_sending_account(cognito: CognitoIdentityProviderClient, user_pool_id: str) -> str:
    """The pool's EmailConfiguration.EmailSendingAccount (DEVELOPER or COGNITO_DEFAULT), as Cognito reports it; a
    pool without an EmailConfiguration sends as COGNITO_DEFAULT (API Reference, EmailConfigurationType)."""
    pool = cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
    return str(pool.get("EmailConfiguration", {}).get("EmailSendingAccount") or COGNITO_DEFAULT)
