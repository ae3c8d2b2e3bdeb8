"""What both reset workflows share (single_reset.py, bulk_reset.py): the reset function as a task, its retries, and a
state machine with its logs.

The task uses the `arn:aws:states:::lambda:invoke` integration, so the reset function's error type names reach Retry
and Catch unchanged. Transient failures, and invocations cut short (a timeout, a crashed runtime), are retried with
exponential backoff and full jitter (many executions retrying in step would otherwise hit Cognito's quota together);
whatever still fails is caught by each workflow.
"""

from __future__ import annotations

from typing import Final, TypeVar

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from contracts.results import TRANSIENT_RESET_ERROR
from contracts.workflow_errors import (
    LAMBDA_TIMED_OUT,
    RUNTIME_EXITED,
    TASK_TIMED_OUT,
)
from infra.nag import acknowledge, logical_id
from infra.python_function import log_group

# Raised by the reset function once its own retries of a throttled or failing Cognito call are used up.
TRANSIENT_RESET_ERRORS: Final = (TRANSIENT_RESET_ERROR,)
# An invocation cut short, retried as TRANSIENT_RESET_ERRORS are (in the same retrier, so sharing its attempts): the
# function ran past its timeout (Lambda reports errorType Sandbox.Timedout, "Task timed out after N seconds"; Lambda
# Developer Guide, "Configure Lambda function timeout"), the task past its own TimeoutSeconds (States.Timeout; Step
# Functions Developer Guide, "Handling errors in Step Functions workflows"), or the runtime process exited, a crash
# (Runtime.ExitError; Lambda Developer Guide, "Understanding the Lambda execution environment lifecycle": a function
# that crashes or times out gets a new execution environment). Running the batch again is safe: a user's claim
# outlives the invocation, so a retry replays what was done and never sends a second code.
INTERRUPTED_INVOCATION_ERRORS: Final = (LAMBDA_TIMED_OUT, TASK_TIMED_OUT, RUNTIME_EXITED)
# The Lambda service's own failures, including the throttle when the reserved concurrency is in use.
LAMBDA_SERVICE_ERRORS: Final = (
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
)
TASK_TIMEOUT: Final = cdk.Duration.minutes(2)
TRANSIENT_RETRY: Final = {"interval": 5, "backoff_rate": 2, "max_attempts": 6, "max_delay": 120}  # seconds
SERVICE_RETRY: Final = {"interval": 1, "backoff_rate": 2, "max_attempts": 8, "max_delay": 30}  # seconds


def _waits(interval: int, backoff_rate: int, max_attempts: int, max_delay: int) -> int:
    return sum(min(max_delay, interval * backoff_rate**attempt) for attempt in range(max_attempts))


# The longest a reset task can take with its retries: every try up to the task timeout, every wait at its cap (full
# jitter only shortens them). A transient error and an interrupted invocation share one retrier's attempts:
# (1 + 6 + 8) tries x 120 s + 275 s + 121 s of waits = 2,196 s.
TASK_WORST_CASE_SECONDS: Final = (
    (1 + TRANSIENT_RETRY["max_attempts"] + SERVICE_RETRY["max_attempts"]) * int(TASK_TIMEOUT.to_seconds())
    + _waits(**TRANSIENT_RETRY)
    + _waits(**SERVICE_RETRY)
)


def reset_task(
    scope: Construct, construct_id: str, function: lambda_.IFunction, payload: sfn.TaskInput
) -> tasks.LambdaInvoke:
    """The reset function as a task, with the retries every workflow needs (said once, used by both workflows)."""
    task = tasks.LambdaInvoke(
        scope,
        construct_id,
        lambda_function=function,
        payload=payload,
        # The result only (status, reason, ...), not Lambda's envelope.
        output_path="$.Payload",
        # Retries below, with jitter; CDK's default service-exception retry has none.
        retry_on_service_exceptions=False,
        task_timeout=sfn.Timeout.duration(TASK_TIMEOUT),
    )
    retried(task, TRANSIENT_RESET_ERRORS + INTERRUPTED_INVOCATION_ERRORS, TRANSIENT_RETRY)
    return retried(task, LAMBDA_SERVICE_ERRORS, SERVICE_RETRY)


Retrying = TypeVar("Retrying", tasks.LambdaInvoke, sfn.DistributedMap)


def retried(task: Retrying, errors: tuple[str, ...], retry: dict[str, int]) -> Retrying:
    """Retry `errors` with exponential backoff and full jitter (said once for every state of the workflows)."""
    task.add_retry(
        errors=list(errors),
        interval=cdk.Duration.seconds(retry["interval"]),
        backoff_rate=retry["backoff_rate"],
        max_attempts=retry["max_attempts"],
        max_delay=cdk.Duration.seconds(retry["max_delay"]),
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def state_machine(
    scope: Construct, definition: sfn.IChainable, *, comment: str, timeout: cdk.Duration, log_retention_days: int
) -> sfn.StateMachine:
    """A STANDARD state machine with X-Ray and every transition logged, without inputs and outputs (they hold user
    identifiers)."""
    logs = log_group(scope, "Logs", retention_days=log_retention_days)
    machine = sfn.StateMachine(
        scope,
        "StateMachine",
        comment=comment,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        state_machine_type=sfn.StateMachineType.STANDARD,
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=logs, level=sfn.LogLevel.ALL, include_execution_data=False),
    )
    acknowledge(
        machine.role,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs log delivery "
        "(CreateLogDelivery, ...) do not support resource-level permissions; AWS requires Resource '*'.",
    )
    return machine


def acknowledge_function_versions(machine: sfn.StateMachine, function: lambda_.IFunction) -> None:
    acknowledge(
        machine.role,
        f"AwsSolutions-IAM5[Resource::<{logical_id(function)}.Arn>:*]",
        "Invoking the reset function's versions and aliases (<function ARN>:*) is CDK's grant for LambdaInvoke; it "
        "names that one function only.",
    )
