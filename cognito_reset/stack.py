"""The stack's resources, found by the stack's name in its CloudFormation outputs: on AWS (the standard credential
chain, a Region, a profile) and against the local system alike (`make local` registers the same outputs; an endpoint
URL or AWS_ENDPOINT_URL points the clients at it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contracts import stack as outputs


class OperatorError(Exception):
    """Something the operator can fix (a stack that is not there, credentials, a bad option); one line says what."""


class AwsAccess(Protocol):
    """Where the commands reach AWS: a Connection, or a test's in-memory clients."""

    @property
    def stack_name(self) -> str: ...

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of `service`, in `region` (default: the connection's), such as SES where the pool's identity is."""
        ...


@dataclass(frozen=True, slots=True)
class Connection:
    stack_name: str = outputs.STACK_NAME
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def client(self, service: str, region: str | None = None) -> Any:
        try:
            session = boto3.Session(profile_name=self.profile, region_name=region or self.region)
            return session.client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]
        except BotoCoreError as error:
            raise OperatorError(f"cannot create an AWS client for {service}: {error}") from error


@dataclass(frozen=True, slots=True)
class StackResources:
    """What the commands use, by output name (contracts/stack.py); a missing output is None."""

    outputs: dict[str, str]

    @classmethod
    def find(cls, connection: AwsAccess) -> StackResources:
        try:
            stacks = connection.client("cloudformation").describe_stacks(StackName=connection.stack_name)["Stacks"]
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            raise OperatorError(f"stack {connection.stack_name}: {message or 'not found'}") from error
        except BotoCoreError as error:
            raise OperatorError(f"stack {connection.stack_name}: {error}") from error
        return cls({item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])})

    def require(self, name: str) -> str:
        value = self.outputs.get(name)
        if not value:
            raise OperatorError(f"the stack has no output {name}: is it deployed from this version?")
        return value
