"""The CLI's reach into AWS (cognito_reset/account.py): what each failure means to the operator, as the one line the
CLI prints and whose it is to fix (exit 2 the operator's, exit 3 AWS's), and the parts it builds from the stack's
outputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from cognito_reset.account import FAILURES, Account, Failure, failure_of, refused_request
from cognito_reset.audit import run_event
from cognito_reset.single import NotPublished
from cognito_reset.stack import StackResources
from contracts import stack as outputs
from contracts.events import BULK_RUN_STARTED
from tests.unit.cognito_reset.fakes import EVENT_BUS, OPERATOR_ARN, STARTED, Clock, FakeAws, FakeEvents, client_error

EXPIRED = "The security token included in the request is expired"
STS_ENDPOINT = "https://sts.eu-west-1.amazonaws.com/"
ANNOUNCED = run_event(BULK_RUN_STARTED, "breach-1", {"arn": OPERATOR_ARN}, users=3)


class FailingClient:
    """A client whose every call fails with `error`, as botocore raises it."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        def call(**_: Any) -> Any:
            raise self.error

        return call


@dataclass
class FailingAccess:
    """A connection whose credentials (or endpoint) fail every call."""

    error: Exception
    stack_name: str = outputs.STACK_NAME

    def client(self, service: str, region: str | None = None) -> Any:
        return FailingClient(self.error)


def failure_raised_by(call: Callable[[], object]) -> Failure:
    """How `call` failed, as the CLI reads it (cli.aws_call): the line it prints, and whose it is to fix."""
    try:
        call()
    except FAILURES as error:
        return failure_of(error)
    pytest.fail("the call did not fail")


@pytest.mark.parametrize(
    ("error", "line"),
    [(NoCredentialsError(), "Unable to locate credentials"), (client_error("ExpiredToken", EXPIRED), EXPIRED)],
)
def test_credentials_that_fail_at_the_first_call_are_the_operators_to_fix(error: Exception, line: str) -> None:
    failure = failure_raised_by(Account(FailingAccess(error)).stack)

    assert failure == Failure(f"stack {outputs.STACK_NAME}: {line}", operators_to_fix=True)


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (NoCredentialsError(), "Unable to locate credentials"),
        (client_error("ExpiredToken", EXPIRED, "GetCallerIdentity"), f"ExpiredToken: {EXPIRED}"),
        (
            EndpointConnectionError(endpoint_url=STS_ENDPOINT),
            f'Could not connect to the endpoint URL: "{STS_ENDPOINT}"',
        ),
    ],
)
def test_credentials_that_fail_later_are_one_line_and_awss(error: Exception, line: str) -> None:
    failure = failure_raised_by(lambda: Account(FailingAccess(error)).caller(STARTED))

    assert failure == Failure(line, operators_to_fix=False)


def test_an_aws_message_on_several_lines_is_one_line() -> None:
    refused = client_error("AccessDenied", "Access Denied\n  by an explicit deny", "PutObject")

    assert failure_of(refused) == Failure("AccessDenied: Access Denied by an explicit deny", operators_to_fix=False)


def test_an_endpoint_that_answers_with_a_web_page_is_named_by_its_title_without_the_page() -> None:
    # What moto's server answers for an operation it does not implement: botocore makes the page the error's message.
    page = (
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
        "<p>The server encountered an internal error and was unable to complete your request.</p>\n"
    )
    response: Any = {"Error": {"Code": "500", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 500}}
    untitled: Any = {"Error": {"Code": "502", "Message": "<html><body>Bad Gateway</body></html>"}}

    assert failure_of(ClientError(response, "PutObject")).line == (
        "HTTP 500: the endpoint answered PutObject with a web page (500 Internal Server Error), not an AWS error"
    )
    assert failure_of(ClientError(untitled, "PutEvents")).line == (
        "HTTP 502: the endpoint answered PutEvents with a web page (a page), not an AWS error"
    )


def test_a_request_the_bus_denies_this_principal_names_the_setting_and_is_the_operators_to_fix() -> None:
    refused = refused_request(NotPublished("AccessDeniedException", "explicit deny"))

    assert refused.operators_to_fix
    assert refused.line.startswith("EventBridge refused the request (AccessDeniedException): only the principals")
    assert "resetRequesters" in refused.line


def test_a_request_the_bus_refuses_otherwise_is_awss() -> None:
    refused = refused_request(NotPublished("InternalFailure", "try again"))

    assert refused == Failure("EventBridge refused the request: InternalFailure try again", operators_to_fix=False)


def test_an_announcement_goes_on_the_stacks_bus() -> None:
    aws = FakeAws()

    reason = Account(aws).announce(StackResources({outputs.EVENT_BUS_NAME: EVENT_BUS}), ANNOUNCED)

    assert reason is None
    assert [(entry["EventBusName"], entry["DetailType"]) for entry in aws.events.entries] == [
        (EVENT_BUS, BULK_RUN_STARTED)
    ]


def test_an_announcement_the_bus_denies_this_principal_says_why_and_names_the_setting() -> None:
    aws = FakeAws(events=FakeEvents(denied=frozenset({BULK_RUN_STARTED})))

    reason = Account(aws).announce(StackResources({outputs.EVENT_BUS_NAME: EVENT_BUS}), ANNOUNCED)

    assert reason == (
        "AccessDeniedException explicit deny (only the principals the stack names in resetRequesters may announce runs)"
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (client_error("NotFound", "Event bus\n  missing.", "PutEvents"), "NotFound: Event bus missing."),
        (NoCredentialsError(), "Unable to locate credentials"),
    ],
)
def test_an_announcement_that_fails_says_why_in_one_line(error: Exception, reason: str) -> None:
    said = Account(FailingAccess(error)).announce(StackResources({outputs.EVENT_BUS_NAME: EVENT_BUS}), ANNOUNCED)

    assert said == reason


def test_a_stack_without_a_bus_is_not_asked() -> None:
    aws = FakeAws()

    assert Account(aws).announce(StackResources({}), ANNOUNCED) == "the stack names no event bus"
    assert aws.requested == []


@pytest.mark.parametrize(
    ("build", "output"),
    [
        (lambda account, stack: account.bulk_workflow(stack), outputs.BULK_RESET_STATE_MACHINE_ARN),
        (lambda account, stack: account.run_memory(stack, Clock().monotonic), outputs.RUN_MEMORY_TABLE_NAME),
        (lambda account, stack: account.request_bus(stack), outputs.EVENT_BUS_NAME),
        (
            lambda account, stack: account.single_reset_workflow(stack, clock=Clock().monotonic, sleep=Clock().sleep),
            outputs.SINGLE_RESET_STATE_MACHINE_ARN,
        ),
    ],
)
def test_a_part_the_stack_has_no_output_for_is_the_operators_to_fix_and_names_the_output(
    build: Callable[[Account, StackResources], object], output: str
) -> None:
    failure = failure_raised_by(lambda: build(Account(FakeAws()), StackResources({})))

    assert failure == Failure(
        f"the stack has no output {output}: is it deployed from this version?", operators_to_fix=True
    )
