"""User pools and users as an administrator would set them up, for the demo and the tests."""

from __future__ import annotations

import secrets
from typing import Any


def create_user_pool(cognito: Any, name: str) -> str:
    """A pool that recovers accounts by verified email, as the stack creates it; returns the pool id."""
    response = cognito.create_user_pool(
        PoolName=name,
        AutoVerifiedAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    )
    return str(response["UserPool"]["Id"])


def add_user(
    cognito: Any,
    pool_id: str,
    username: str,
    *,
    email: str | None = None,
    email_verified: bool = True,
    confirmed: bool = True,
    enabled: bool = True,
    **attributes: str,
) -> str:
    """Create a user the way an administrator does (no invitation sent), confirmed with a password of its own
    unless `confirmed` is False (then it stays FORCE_CHANGE_PASSWORD). Returns the user's sub."""
    given = dict(attributes)
    if email is not None:
        given |= {"email": email, "email_verified": "true" if email_verified else "false"}
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": key, "Value": value} for key, value in given.items()],
    )
    if confirmed:
        password = secrets.token_urlsafe(16) + "aA1!"
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    if not enabled:
        cognito.admin_disable_user(UserPoolId=pool_id, Username=username)
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    return next(str(a["Value"]) for a in user["UserAttributes"] if a["Name"] == "sub")


def user_status(cognito: Any, pool_id: str, username: str) -> str:
    return str(cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"])


def create_app_client(cognito: Any, pool_id: str, name: str = "web-app") -> str:
    """An app client as an application team adds one (public, no secret), through which users ask for their own
    password reset code (ForgotPassword). Returns its client id."""
    response = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=name, GenerateSecret=False)
    return str(response["UserPoolClient"]["ClientId"])
