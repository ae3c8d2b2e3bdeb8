"""The `cognito-reset` command: what a security team runs to reset users, watch it happen and finish the job.

Exit codes: 0 done (reset, dry run, or a duplicate within the cooldown), 1 the reset failed for a reason in the
result, 2 the operator must fix something (options, the stack, credentials), 3 AWS failed in a way a retry may fix.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any, NoReturn

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from cognito_reset.stack import Connection, OperatorError, StackResources
from contracts import stack as outputs
from contracts.events import REQUEST_SOURCE, RESET_REQUESTED
from contracts.results import ResetStatus

DONE, FAILED, OPERATOR, AWS = 0, 1, 2, 3
app = typer.Typer(help=__doc__.splitlines()[0], no_args_is_help=True, add_completion=False)
err = Console(stderr=True)


class Options:
    """The options every command shares, set once by the callback."""

    connection = Connection()
    as_json = False


@app.callback()
def connect(
    stack_name: Annotated[str, typer.Option(help="The stack's name.")] = outputs.STACK_NAME,
    region: Annotated[str | None, typer.Option(help="AWS Region (default: the standard chain).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Another endpoint, such as the local system's (or AWS_ENDPOINT_URL).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    Options.connection = Connection(stack_name, region, profile, endpoint_url)
    Options.as_json = json_output


@app.command()
def request(  # noqa: PLR0917 - typer reads the command's options from its signature
    username: Annotated[str | None, typer.Option(help="The user's username (or an alias).")] = None,
    email: Annotated[str | None, typer.Option(help="The user's e-mail address.")] = None,
    sub: Annotated[str | None, typer.Option(help="The user's sub.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why: admin_request, security_incident, ...")] = None,
    locale: Annotated[str | None, typer.Option(help="The message's language, such as de-AT.")] = None,
    brand: Annotated[str | None, typer.Option(help="The message's brand id.")] = None,
    reference: Annotated[str | None, typer.Option(help="A ticket or incident reference for the message.")] = None,
    user_pool_id: Annotated[str | None, typer.Option(help="Another allowed pool (default: the stack's).")] = None,
    global_sign_out: Annotated[bool, typer.Option(help="Also sign the user out everywhere.")] = False,
    request_id: Annotated[str | None, typer.Option(help="An idempotency key of your own.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate and resolve the user; send nothing.")] = False,
    wait: Annotated[
        bool,
        typer.Option(help="Run the single-reset workflow and print its result (default: put the request on the bus)."),
    ] = False,
) -> None:
    """Reset one user: through the request bus, or through the single-reset workflow with --wait."""
    metadata = {
        key: value
        for key, value in {"reason": reason, "locale": locale, "brand": brand, "reference": reference}.items()
        if value is not None
    }
    detail: dict[str, Any] = {
        key: value
        for key, value in {"username": username, "email": email, "sub": sub, "userPoolId": user_pool_id}.items()
        if value is not None
    }
    if len(detail.keys() & {"username", "email", "sub"}) != 1:
        fail(OPERATOR, "request: give exactly one of --username, --email or --sub")
    detail |= {"globalSignOut": global_sign_out, "dryRun": dry_run}
    if metadata:
        detail["clientMetadata"] = metadata
    if request_id:
        detail["requestId"] = request_id
    resources = found()
    try:
        if wait:
            result = run_single_reset(resources, detail)
            say(result, f"{result.get('status')}: {describe(result)}")
            raise typer.Exit(FAILED if result.get("status") == ResetStatus.FAILED else DONE)
        event_id = put_request(resources, detail)
    except OperatorError as error:
        fail(OPERATOR, str(error))
    say({"eventId": event_id, "status": "queued"}, f"queued: event {event_id} is on the request bus")


def found() -> StackResources:
    try:
        return StackResources.find(Options.connection)
    except OperatorError as error:
        fail(OPERATOR, str(error))


def put_request(resources: StackResources, detail: dict[str, Any]) -> str:
    entry = {
        "EventBusName": resources.require(outputs.EVENT_BUS_NAME),
        "Source": REQUEST_SOURCE,
        "DetailType": RESET_REQUESTED,
        "Detail": json.dumps(detail),
    }
    response = aws_call(lambda: Options.connection.client("events").put_events(Entries=[entry]))
    (accepted,) = response["Entries"]
    if "EventId" not in accepted:
        fail(AWS, f"EventBridge refused the request: {accepted.get('ErrorCode')} {accepted.get('ErrorMessage', '')}")
    return str(accepted["EventId"])


def run_single_reset(resources: StackResources, detail: dict[str, Any], timeout_seconds: float = 900.0) -> Any:
    machine = resources.require(outputs.SINGLE_RESET_STATE_MACHINE_ARN)
    sfn = Options.connection.client("stepfunctions")
    name = f"cli-{uuid.uuid4()}"
    started = aws_call(lambda: sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(detail)))
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        execution = aws_call(lambda: sfn.describe_execution(executionArn=started["executionArn"]))
        if execution["status"] == "SUCCEEDED":
            return json.loads(execution.get("output") or "{}")
        if execution["status"] != "RUNNING":
            fail(AWS, f"execution {name} ended {execution['status']}: {execution.get('error', 'see its history')}")
        time.sleep(0.5)
    waited = f"{timeout_seconds:.0f} s"
    raise fail(AWS, f"execution {name} still running after {waited}; watch it in the Step Functions console")


def aws_call(call: Any) -> Any:
    try:
        return call()
    except ClientError as error:
        details = error.response.get("Error", {})
        fail(AWS, f"{details.get('Code', 'error')}: {details.get('Message', '')}")
    except (BotoCoreError, OperatorError) as error:
        fail(OPERATOR if isinstance(error, OperatorError) else AWS, str(error))


def describe(result: dict[str, Any]) -> str:
    parts = [f"{key}={result[key]}" for key in ("username", "reason", "detail") if result.get(key)]
    flags = [name for name in ("signedOut", "duplicate", "replayed") if result.get(name)]
    return " ".join(parts + flags)


def say(document: dict[str, Any], line: str) -> None:
    if Options.as_json:
        typer.echo(json.dumps(document))
    else:
        typer.echo(line)


def fail(code: int, message: str) -> NoReturn:
    err.print(f"cognito-reset: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


def main() -> None:
    app()
