"""An embedded moto server on 127.0.0.1 (free port), reached over real HTTP like AWS itself.

Clients find it through the standard AWS_ENDPOINT_URL variable, so the code under test or on show creates its boto3
clients exactly as it does on AWS.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local_aws.emulation import moto_patches

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass(frozen=True, slots=True)
class LocalAws:
    endpoint_url: str

    @property
    def environment(self) -> dict[str, str]:
        """What a process needs to talk to this endpoint instead of AWS (credentials are moto's dummies)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
        )

    def reset(self) -> None:
        """Forget every resource (moto's own reset endpoint): each test starts from an empty account."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            response.read()


@contextmanager
def running_local_aws() -> Iterator[LocalAws]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        # Step Functions runs the definitions it is given (moto's interpreter), instead of only storing them; Cognito
        # changes a user on every reset, finds a user by a name as sign-in does, refuses a reset user's sign-in,
        # reports a pool's settings and answers ListUsers filters as AWS does (imported here: the emulation itself
        # builds on this module).
        from local_aws.emulation.cognito import (  # noqa: PLC0415
            sign_in_refused_while_reset_required,
            usernames_resolved_as_cognito_does,
            users_changed_as_cognito_does,
        )
        from local_aws.emulation.cognito_list_users import users_listed_as_cognito_documents  # noqa: PLC0415
        from local_aws.emulation.cognito_pools import pools_described_as_cognito_does  # noqa: PLC0415

        with (
            moto_patches.EXECUTE_STATE_MACHINES.applied(True),
            users_changed_as_cognito_does(),
            usernames_resolved_as_cognito_does(),
            sign_in_refused_while_reset_required(),
            pools_described_as_cognito_does(),
            users_listed_as_cognito_documents(),
        ):
            host, port = server.get_host_and_port()
            aws = LocalAws(endpoint_url=f"http://{host}:{port}")
            aws.reset()  # moto keeps its state per process, not per server: every local account starts empty
            yield aws
    finally:
        server.stop()
