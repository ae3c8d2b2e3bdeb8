"""The whole product running locally: moto on 127.0.0.1, the account provisioned from the synthesized template,
the emulation switched on, and the calls an operator makes (PutEvents, StartExecution) at hand."""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from unittest import mock

from contracts.bulk import CSV_SUFFIX, DEFAULTS, MANIFEST_KEY, MANIFEST_PREFIX
from contracts.events import REQUEST_SOURCE, request_entry
from custom_message.brands import load_brand_book
from custom_message.handler import Container
from local_aws.emulation.delivery import DeliverySettings
from local_aws.emulation.emulated import Emulation, emulated
from local_aws.emulation.lambda_runtime import Handler
from local_aws.harness.outbox import Outbox
from local_aws.harness.provisioning import ProvisionedStack, provision
from local_aws.harness.server import REGION, LocalAws, running_local_aws
from local_aws.harness.synth import SynthesizedStack, synthesize
from message_tooling.message_pack import MergedSet, local_logos, merge

# The settings of a deployment whose new pool sends e-mail through its own SES identity (EmailSendingAccount
# DEVELOPER), beside the shipped default (Cognito's own sender, COGNITO_DEFAULT). Local SES does not check the identity.
SES_DEPLOYMENT: Final = {
    "sesFromAddress": "no-reply@mail.example.com",
    "sesFromName": "Example Corp",
    "sesVerifiedDomain": "mail.example.com",
    "sesRegion": REGION,
}


@dataclass(frozen=True)
class LocalSystem:
    aws: LocalAws
    synthesized: SynthesizedStack
    stack: ProvisionedStack
    emulation: Emulation
    outbox: Outbox  # what the local Cognito sent

    @property
    def cognito(self) -> Any:
        return self.aws.client("cognito-idp")

    def user_status(self, username: str) -> str:
        return str(self.cognito.admin_get_user(UserPoolId=self.stack.user_pool_id, Username=username)["UserStatus"])

    def choose_new_password(self, client_id: str, username: str, code: str, password: str) -> None:
        """ConfirmForgotPassword, as the user's app sends it with the code from their message and a new password."""
        self.cognito.confirm_forgot_password(
            ClientId=client_id, Username=username, ConfirmationCode=code, Password=password
        )

    def request_own_code(self, client_id: str, username: str) -> dict[str, Any]:
        """ForgotPassword, as a user's app sends it when they click "Forgot password" (no credentials involved)."""
        return dict(self.cognito.forgot_password(ClientId=client_id, Username=username))

    def put_reset_request(self, detail: Mapping[str, Any], source: str = REQUEST_SOURCE) -> str:
        """PutEvents as a requesting system would; returns the event id."""
        entry = request_entry(self.stack.event_bus_name, detail, source)
        response = self.aws.client("events").put_events(Entries=[entry])
        (entry,) = response["Entries"]
        if "EventId" not in entry:
            raise RuntimeError(f"PutEvents refused the event: {entry.get('ErrorCode')}")
        return str(entry["EventId"])

    def run_single_reset(self, request: Mapping[str, Any], timeout_seconds: float = 60.0) -> dict[str, Any]:
        """StartExecution of the single-reset workflow, then DescribeExecution until it has finished."""
        return self._run(self.stack.single_reset_state_machine_arn, f"reset-{uuid.uuid4()}", request, timeout_seconds)

    def run_bulk(
        self,
        manifest: str,
        *,
        run_id: str,
        csv: bool = False,
        defaults: Mapping[str, Any] | None = None,
        timeout_seconds: float = 900.0,
    ) -> dict[str, Any]:
        """A bulk run as an operator starts one: the manifest into the bulk bucket, StartExecution of the bulk workflow
        named by the run id, then DescribeExecution until it has finished (its output is the run's summary)."""
        key = f"{MANIFEST_PREFIX}{run_id}{CSV_SUFFIX if csv else '.jsonl'}"
        self.aws.client("s3").put_object(Bucket=self.stack.bulk_bucket, Key=key, Body=manifest.encode())
        execution_input: dict[str, Any] = {MANIFEST_KEY: key}
        if defaults is not None:
            execution_input[DEFAULTS] = dict(defaults)
        return self._run(self.stack.bulk_reset_state_machine_arn, run_id, execution_input, timeout_seconds)

    def _run(
        self, state_machine_arn: str, name: str, execution_input: Mapping[str, Any], timeout_seconds: float
    ) -> dict[str, Any]:
        sfn = self.aws.client("stepfunctions")
        execution_arn = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        deadline = time.monotonic() + timeout_seconds
        while True:
            described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described
            time.sleep(0.1)


CUSTOM_MESSAGE_HANDLER: Final = "custom_message.handler.lambda_handler"


def messages_from(merged: MergedSet) -> Callable[[], Handler]:
    """New trigger containers that load the merged messages, as the deployed bundle holds them."""

    def new_container() -> Handler:
        container = Container(load_templates=merged.library, load_brands=lambda: load_brand_book(merged.brands))
        return container.handle

    return new_container


@contextmanager
def running_system(
    outbox_dir: Path,
    *,
    synthesized: SynthesizedStack | None = None,
    retry_scale: float = 1.0,
    sending: DeliverySettings | None = None,
) -> Iterator[LocalSystem]:
    """Everything above until the block ends; the process environment is restored afterwards. The outbox starts
    empty; `sending` is what the account's e-mail and SMS channels can send (emulation/delivery.py)."""
    synthesized = synthesized or synthesize()
    with (
        running_local_aws() as aws,
        mock.patch.dict(os.environ, aws.environment),
        tempfile.TemporaryDirectory(prefix="local-messages-") as messages,
    ):
        stack = provision(aws, synthesized.template)
        os.environ.update(stack.environment)
        logos = local_logos(load_brand_book())
        if synthesized.message_pack is not None:
            merged = merge(synthesized.message_pack, Path(messages))
            stack.functions.running(CUSTOM_MESSAGE_HANDLER).new_container = messages_from(merged)
            logos = local_logos(load_brand_book(merged.brands), merged.logo_root)
        stack.functions.start_cold()
        outbox = Outbox(outbox_dir, logos=logos)
        with emulated(
            aws,
            stack.functions,
            outbox.deliver,
            map_runs=stack.map_runs,
            retry_scale=retry_scale,
            sending=sending,
            ses_event_destinations=stack.ses_event_destinations,
        ) as emulation:
            yield LocalSystem(aws=aws, synthesized=synthesized, stack=stack, emulation=emulation, outbox=outbox)
