"""One Python Lambda function the way every function of this stack is deployed.

ARM64, the current Python runtime, JSON logs at an explicit level, its own log group with retention, and its own role
whose only standing permission is writing to that log group (no AWSLambdaBasicExecutionRole, no CreateLogGroup).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from contracts import environment as env
from infra.bundling import ARCHITECTURE, RUNTIME, FunctionSource, function_code

_RETENTION: Final = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS, 2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS, 3653: logs.RetentionDays.TEN_YEARS,
}  # fmt: skip


def retention(days: int) -> logs.RetentionDays:
    """CloudWatch's retention enum for a number of days the settings already validated."""
    return _RETENTION[days]


def log_group(scope: Construct, construct_id: str, *, retention_days: int) -> logs.LogGroup:
    """A log group kept after the stack is deleted (logs of password resets are audit evidence)."""
    return logs.LogGroup(
        scope, construct_id, retention=retention(retention_days), removal_policy=cdk.RemovalPolicy.RETAIN
    )


class PythonFunction(Construct):
    """A Lambda function with its log group and its own role; callers add only what the function needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: FunctionSource,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        log_retention_days: int,
        memory_size: int,
        timeout: cdk.Duration,
        log_level: str = "INFO",
        reserved_concurrency: int | None = None,
        max_event_age: cdk.Duration | None = None,
        retry_attempts: int | None = None,
        on_failure: lambda_.IDestination | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "LogGroup", retention_days=log_retention_days)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {construct_id}: {description}",
        )
        # Streams only in this function's own group: CreateLogStream + PutLogEvents on <group ARN>:*.
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            code=function_code(source),
            handler=handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel[log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            memory_size=memory_size,
            timeout=timeout,
            environment={env.POWERTOOLS_LOG_LEVEL: log_level, **environment},
            reserved_concurrent_executions=reserved_concurrency,
            max_event_age=max_event_age,
            retry_attempts=retry_attempts,
            on_failure=on_failure,
        )

    def add_to_role(self, *statements: iam.PolicyStatement) -> None:
        """Grant exactly these statements to the function's role."""
        for statement in statements:
            self.role.add_to_principal_policy(statement)
