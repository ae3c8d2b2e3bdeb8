"""Step Functions: the single-reset workflow (one request in, the reset function's result out).

Uses the `arn:aws:states:::lambda:invoke` integration, so the reset function's error type names reach Retry and Catch
unchanged. Transient failures are retried with exponential backoff and full jitter (many executions retrying in step
would otherwise hit Cognito's quota together); whatever still fails is caught into a failure state that keeps the
request next to the error.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.nag import acknowledge
from infra.python_function import log_group

# Raised by the reset function once its own retries of a throttled or failing Cognito call are used up.
TRANSIENT_RESET_ERRORS: Final = ("TransientResetError",)
# The Lambda service's own failures, including the throttle when the reserved concurrency is in use.
LAMBDA_SERVICE_ERRORS: Final = (
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
)
EXECUTION_TIMEOUT: Final = cdk.Duration.minutes(30)


class SingleResetWorkflow(Construct):
    """STANDARD state machine: Reset user (with Retry and Catch) -> result, or Reset failed with the input kept."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, log_retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        reset = tasks.LambdaInvoke(
            self,
            "Reset user",
            lambda_function=function,
            payload=sfn.TaskInput.from_json_path_at("$"),
            # The result only (status, reason, ...), not Lambda's envelope.
            output_path="$.Payload",
            # Retries below, with jitter; CDK's default service-exception retry has none.
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(cdk.Duration.minutes(2)),
        )
        reset.add_retry(
            errors=list(TRANSIENT_RESET_ERRORS),
            interval=cdk.Duration.seconds(5),
            backoff_rate=2,
            max_attempts=6,
            max_delay=cdk.Duration.minutes(2),
            jitter_strategy=sfn.JitterType.FULL,
        )
        reset.add_retry(
            errors=list(LAMBDA_SERVICE_ERRORS),
            interval=cdk.Duration.seconds(1),
            backoff_rate=2,
            max_attempts=8,
            max_delay=cdk.Duration.seconds(30),
            jitter_strategy=sfn.JitterType.FULL,
        )
        failed = sfn.Fail(self, "Reset failed", error_path="$.error.Error", cause_path="$.error.Cause")
        # UnclassifiedResetError (do not retry), exhausted retries and timeouts: the request stays at $, the error at
        # $.error, both visible in the execution history.
        reset.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        logs = log_group(self, "Logs", retention_days=log_retention_days)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Resets one Cognito user's password (contract 1 request in, contract 2 result out)",
            definition_body=sfn.DefinitionBody.from_chainable(reset),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=EXECUTION_TIMEOUT,
            tracing_enabled=True,
            # Every state transition is logged, without inputs and outputs: requests carry user identifiers.
            logs=sfn.LogOptions(destination=logs, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        role = self.state_machine.role
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs log delivery "
            "(CreateLogDelivery, ...) do not support resource-level permissions; AWS requires Resource '*'.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{_logical_id_hint(function)}.Arn>:*]",
            "Invoking the reset function's versions and aliases (<function ARN>:*) is CDK's grant for LambdaInvoke; it "
            "names that one function only.",
        )


def _logical_id_hint(function: lambda_.IFunction) -> str:
    """cdk-nag names a GetAtt by the function's logical id."""
    resource = function.node.default_child
    assert isinstance(resource, cdk.CfnResource)  # noqa: S101  (a Function's default child is its CfnFunction)
    return cdk.Stack.of(function).get_logical_id(resource)
