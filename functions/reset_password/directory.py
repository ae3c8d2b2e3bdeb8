"""The only module that talks to Cognito: a thin wrapper over the boto3 `cognito-idp` client.

It turns every failure into a `CognitoError` carrying Cognito's error code, so that the decisions about what an
error means live in one place (`logic.classify`), and unit tests can play Cognito with an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, EndpointConnectionError, HTTPClientError

from contracts.identifiers import PoolRules

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# Codes the wrapper itself uses for failures that never reached Cognito's error model: a connection that was never
# made (the request cannot have reached Cognito), and a request sent whose answer never came (a read timeout, a dropped
# connection: Cognito may have acted, or may still be acting).
CONNECT_ERROR = "ConnectError"
NETWORK_ERROR = "NetworkError"
SDK_ERROR = "SdkError"

# The attributes ListUsers finds a user by; a username (or an alias of it) is read with AdminGetUser.
LookupAttribute = Literal["email", "sub"]


class CognitoError(Exception):
    """A failed Cognito call, by Cognito's error code. The message is Cognito's, never the request's values."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """What AdminGetUser and ListUsers tell about a user: who they are in the pool (the canonical username and the
    sub), and enough to judge whether a reset can reach them."""

    username: str
    enabled: bool
    status: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    # UserLastModifiedDate, in epoch seconds: moves whenever Cognito changes the user, a reset included (how a later
    # attempt tells whether a call whose answer was lost acted: ledger.pool_verdict). None when not told.
    last_modified: float | None = None

    @property
    def sub(self) -> str:
        """The user's immutable id in the pool; every user has one (Developer Guide, "User pool attributes")."""
        return self.attributes.get("sub", "")


class UserDirectory(Protocol):
    """The Cognito operations a reset needs; `CognitoUserDirectory` on AWS, an in-memory fake in unit tests."""

    def get_user(self, user_pool_id: str, username: str) -> DirectoryUser:
        """The user a username names, as the pool resolves it: an alias (a verified e-mail where the pool signs in
        with it) or another case (where the pool ignores case) gives the canonical user (API Reference,
        AdminGetUser: "The username of the user that you want to query or modify. ... can be a username or user
        alias"). Raises CognitoError UserNotFoundException when there is none."""
        ...

    def find_users(self, user_pool_id: str, attribute: LookupAttribute, value: str) -> list[DirectoryUser]:
        """Users whose attribute equals value exactly (at most two: one is an answer, two is ambiguity)."""
        ...

    def pool_rules(self, user_pool_id: str) -> PoolRules:
        """How the pool's users sign in (DescribeUserPool: UsernameAttributes, AliasAttributes,
        UsernameConfiguration). Raises CognitoError."""
        ...

    def reset_password(self, user_pool_id: str, username: str, client_metadata: Mapping[str, str]) -> None: ...

    def global_sign_out(self, user_pool_id: str, username: str) -> None: ...

    def groups_of(self, user_pool_id: str, username: str) -> list[str]:
        """The names of the groups the user is a member of (AdminListGroupsForUser, every page)."""
        ...


def _filter_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class CognitoUserDirectory:
    def __init__(self, client: CognitoIdentityProviderClient) -> None:
        self._client = client

    def get_user(self, user_pool_id: str, username: str) -> DirectoryUser:
        try:
            user = self._client.admin_get_user(UserPoolId=user_pool_id, Username=username)
        except (ClientError, BotoCoreError) as error:
            raise _as_cognito_error(error) from error
        return _directory_user(user, user.get("UserAttributes", []))

    def find_users(self, user_pool_id: str, attribute: LookupAttribute, value: str) -> list[DirectoryUser]:
        query = f'{attribute} = "{_filter_value(value)}"'
        try:
            response = self._client.list_users(UserPoolId=user_pool_id, Filter=query, Limit=2)
        except (ClientError, BotoCoreError) as error:
            raise _as_cognito_error(error) from error
        return [_directory_user(user, user.get("Attributes", [])) for user in response.get("Users", [])]

    def pool_rules(self, user_pool_id: str) -> PoolRules:
        try:
            pool = self._client.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
        except (ClientError, BotoCoreError) as error:
            raise _as_cognito_error(error) from error
        return PoolRules.of_user_pool(pool)

    def reset_password(self, user_pool_id: str, username: str, client_metadata: Mapping[str, str]) -> None:
        try:
            self._client.admin_reset_user_password(
                UserPoolId=user_pool_id, Username=username, ClientMetadata=dict(client_metadata)
            )
        except (ClientError, BotoCoreError) as error:
            raise _as_cognito_error(error) from error

    def global_sign_out(self, user_pool_id: str, username: str) -> None:
        try:
            self._client.admin_user_global_sign_out(UserPoolId=user_pool_id, Username=username)
        except (ClientError, BotoCoreError) as error:
            raise _as_cognito_error(error) from error

    def groups_of(self, user_pool_id: str, username: str) -> list[str]:
        # At most 60 groups a page (API Reference, AdminListGroupsForUser: Limit 0-60), NextToken for the next.
        groups: list[str] = []
        parameters: dict[str, Any] = {"UserPoolId": user_pool_id, "Username": username, "Limit": 60}
        try:
            while True:
                page = self._client.admin_list_groups_for_user(**parameters)
                groups += [str(group["GroupName"]) for group in page.get("Groups", [])]
                if not page.get("NextToken"):
                    return groups
                parameters["NextToken"] = page["NextToken"]
        except (ClientError, BotoCoreError) as error:
            raise _as_cognito_error(error) from error


def _directory_user(user: Mapping[str, Any], attributes: Iterable[Mapping[str, Any]]) -> DirectoryUser:
    return DirectoryUser(
        username=str(user["Username"]),
        enabled=bool(user.get("Enabled", True)),
        status=str(user.get("UserStatus", "UNKNOWN")),
        attributes={str(item["Name"]): str(item.get("Value", "")) for item in attributes},
        last_modified=_epoch_seconds(user.get("UserLastModifiedDate")),
    )


def _epoch_seconds(value: object) -> float | None:
    """botocore parses the API's timestamps into aware datetimes."""
    return value.timestamp() if isinstance(value, datetime) else None


def _as_cognito_error(error: ClientError | BotoCoreError) -> CognitoError:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = details.get("Code") or ("InternalErrorException" if status >= 500 else "UnknownError")
        return CognitoError(code, details.get("Message", ""))
    if isinstance(error, EndpointConnectionError):  # ConnectTimeoutError among them: nothing was sent
        return CognitoError(CONNECT_ERROR, type(error).__name__)
    if isinstance(error, ConnectionError | HTTPClientError):
        return CognitoError(NETWORK_ERROR, type(error).__name__)
    return CognitoError(SDK_ERROR, type(error).__name__)
