"""The AWS account (and Region, and endpoint) the operator's connection reaches, as the commands use it: the stack's
resources, the caller, the pool, the workflows, the run's memory and the bus, each built from the connection and the
stack's outputs; and what an AWS failure means to the operator: one line, and whether it is theirs to fix. The
commands (cli.py) print the line and exit with the code; no other part of the CLI makes a client.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from cognito_reset.audit import started_by
from cognito_reset.completion import reset_users
from cognito_reset.deliveries import RunDeliveries, read_deliveries
from cognito_reset.delivery import DeliveryFacts
from cognito_reset.doctor import read_delivery
from cognito_reset.run_memory import RunMemory
from cognito_reset.runs import BulkWorkflow
from cognito_reset.selection import PacedCognito
from cognito_reset.single import NotPublished, SingleResetWorkflow, StackBus
from cognito_reset.stack import AwsAccess, OperatorError, StackResources
from contracts import stack as outputs
from contracts.identifiers import PoolRules

# What `failure_of` reads: an AWS error, botocore's own (no credentials, no endpoint), the operator's (OperatorError).
FAILURES: Final = (ClientError, BotoCoreError, OperatorError)


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed AWS call as the operator reads it: one line, and whether it is theirs to fix (a stack, an output, a
    setting) rather than AWS's (which a retry may fix)."""

    line: str
    operators_to_fix: bool


def failure_of(error: ClientError | BotoCoreError | OperatorError) -> Failure:
    """An AWS error is AWS's (its code and message); botocore's own is too (expired or missing credentials, an
    endpoint that cannot be reached); an OperatorError is the operator's."""
    if isinstance(error, ClientError):
        return Failure(aws_error_line(error), operators_to_fix=False)
    return Failure(one_line(str(error)), operators_to_fix=isinstance(error, OperatorError))


def refused_request(refused: NotPublished) -> Failure:
    """A reset request the bus did not take: refused for who asked is the operator's (the stack's setting names who
    may ask); any other refusal is EventBridge's."""
    if refused.not_allowed:
        return Failure(
            f"EventBridge refused the request ({refused.code}): only the principals the stack names may ask for "
            "resets through the bus (its setting resetRequesters, docs/security.md); with --wait the request goes "
            "through the single-reset workflow, which the operators' policy allows",
            operators_to_fix=True,
        )
    return Failure(f"EventBridge refused the request: {refused}", operators_to_fix=False)


def aws_error_line(error: ClientError) -> str:
    """An AWS error as one line: its code and message. An endpoint that answers with a web page instead of an AWS
    error (a server's error page, such as an emulator's for an operation it does not implement) is named by the
    page's title, never printed."""
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "error")), str(details.get("Message", ""))
    if "<html" in message.lower() or message.lstrip().lower().startswith("<!doctype"):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
        title = re.search(r"<title>(.*?)</title>", message, re.IGNORECASE | re.DOTALL)
        page = one_line(html.unescape(title.group(1))) if title else "a page"
        return f"HTTP {status}: the endpoint answered {error.operation_name} with a web page ({page}), not an AWS error"
    return f"{code}: {one_line(message)}"


def one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Account:
    """What the commands reach through the connection (a Connection, or a test's in-memory clients). A client is made
    when a method is called, never before: a command that stops on its options asks AWS nothing. The methods that read
    the stack's outputs raise OperatorError for an output the stack lacks; the others raise what AWS answers."""

    connection: AwsAccess

    @property
    def stack_name(self) -> str:
        return self.connection.stack_name

    def stack(self) -> StackResources:
        """The stack's outputs (CloudFormation DescribeStacks); OperatorError when it cannot be read."""
        return StackResources.find(self.connection)

    def caller(self, now: datetime) -> dict[str, Any]:
        """Who starts or stops a run (STS GetCallerIdentity), with the CLI's version and `now`: a run's started_by."""
        return started_by(self.connection.client("sts"), now)

    def pool_rules(self, pool_id: str) -> PoolRules:
        """How the pool names its users (DescribeUserPool): which rows name the same user (docs/identifiers.md)."""
        described = self.connection.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)
        return PoolRules.of_user_pool(described["UserPool"])

    def paced_cognito(self, rate: float, *, clock: Callable[[], float], sleep: Callable[[float], None]) -> PacedCognito:
        """Cognito's user-reading calls at `rate` a second (selection.py)."""
        return PacedCognito(self.connection.client("cognito-idp"), rate, clock=clock, sleep=sleep)

    def reset_users(self, bucket: str, folder: str) -> Iterator[tuple[str | None, str]]:
        """Every user a run reset, read from its results folder (completion.py) as the iterator is read."""
        return reset_users(self.connection.client("s3"), bucket, folder)

    def delivery(
        self, resources: StackResources, pool_id: str | None = None, *, with_alarms: bool = True
    ) -> DeliveryFacts:
        """What the pool (default: the stack's) can deliver today (doctor.py)."""
        return read_delivery(self.connection, resources, pool_id, with_alarms=with_alarms)

    def run_deliveries(self, resources: StackResources, run_id: str) -> RunDeliveries:
        """The run's e-mail as SES reported it (deliveries.py)."""
        return read_deliveries(self.connection, resources, run_id)

    def bulk_workflow(self, resources: StackResources) -> BulkWorkflow:
        """The bulk workflow and its bucket (outputs BulkResetStateMachineArn, BulkBucketName)."""
        return BulkWorkflow(
            sfn=self.connection.client("stepfunctions"),
            s3=self.connection.client("s3"),
            state_machine_arn=resources.require(outputs.BULK_RESET_STATE_MACHINE_ARN),
            bucket=resources.require(outputs.BULK_BUCKET_NAME),
        )

    def run_memory(self, resources: StackResources, clock: Callable[[], float]) -> RunMemory:
        """The runs' stop marks (output RunMemoryTableName); `clock` in epoch seconds, for the records it keeps."""
        return RunMemory(self.connection.client("dynamodb"), resources.require(outputs.RUN_MEMORY_TABLE_NAME), clock)

    def single_reset_workflow(
        self, resources: StackResources, *, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> SingleResetWorkflow:
        """The single-reset workflow (output SingleResetStateMachineArn)."""
        return SingleResetWorkflow(
            self.connection.client("stepfunctions"),
            resources.require(outputs.SINGLE_RESET_STATE_MACHINE_ARN),
            clock=clock,
            sleep=sleep,
        )

    def request_bus(self, resources: StackResources) -> StackBus:
        """The stack's bus (output EventBusName), for a reset request."""
        return StackBus(self.connection.client("events"), resources.require(outputs.EVENT_BUS_NAME))

    def announce(self, resources: StackResources, entry: Mapping[str, Any]) -> str | None:
        """An audit event on the stack's bus: None once it is published, else why not, in one line. A run has started
        or stopped either way, so nothing here raises what AWS answers."""
        bus = resources.outputs.get(outputs.EVENT_BUS_NAME)
        if not bus:
            return "the stack names no event bus"
        try:
            StackBus(self.connection.client("events"), bus).put(entry)
        except ClientError as error:
            return aws_error_line(error)
        except BotoCoreError as error:
            return one_line(str(error))
        except NotPublished as refused:
            if refused.not_allowed:
                return f"{refused} (only the principals the stack names in resetRequesters may announce runs)"
            return str(refused)
        return None
