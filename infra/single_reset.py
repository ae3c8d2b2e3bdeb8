"""Step Functions: the single-reset workflow, one request in and the reset function's result out.

The reset task with its retries (workflows.py); whatever still fails is caught into a failure state that keeps the
request next to the error.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.workflows import acknowledge_function_versions, reset_task, state_machine

EXECUTION_TIMEOUT: Final = cdk.Duration.minutes(30)


class SingleResetWorkflow(Construct):
    """Reset user (with Retry and Catch) -> the result, or Reset failed with the request kept next to the error."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, log_retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        reset = reset_task(self, "Reset user", function, sfn.TaskInput.from_json_path_at("$"))
        failed = sfn.Fail(self, "Reset failed", error_path="$.error.Error", cause_path="$.error.Cause")
        # UnclassifiedResetError (do not retry), exhausted retries and timeouts: the request stays at $, the error at
        # $.error, both visible in the execution history.
        reset.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        self.state_machine = state_machine(
            self,
            reset,
            comment="Resets one Cognito user's password (contract 1 request in, contract 2 result out)",
            timeout=EXECUTION_TIMEOUT,
            log_retention_days=log_retention_days,
        )
        acknowledge_function_versions(self.state_machine, function)
