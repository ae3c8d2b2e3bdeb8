"""The run summary function: the bulk workflow's last step. It counts ResultWriter's results into the run's summary,
writes it beside them and puts the run's end on the stack's bus (Bulk Run Finished); its role reads the bulk bucket's
results, writes only summary objects there, and puts events on that one bus."""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contracts import environment as env
from contracts.bulk import RESULTS_PREFIX, SUMMARY_OBJECT
from contracts.telemetry import RUN_SUMMARY_SERVICE
from infra.bundling import FunctionSource
from infra.nag import acknowledge, logical_id
from infra.python_function import PythonFunction

SOURCE: Final = FunctionSource(packages=("run_summary", "contracts"), requirements=("aws-lambda-powertools", "boto3"))
# It streams the result files line by line (OutputType JSONL): memory does not grow with the run. A million users in
# batches of 10 are 100,000 lines of a few kilobytes; the timeout leaves room for several times that.
TIMEOUT: Final = cdk.Duration.minutes(15)
MEMORY_MB: Final = 1024
# It runs once per run (and again on the workflow's retries): a few at a time are plenty, and reserving them keeps it
# from ever taking the account's concurrency from the reset function. A throttled invocation is retried by the task.
RESERVED_CONCURRENCY: Final = 5


class RunSummaryFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        log_retention_days: int,
        audit_bus: events.IEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "RunSummary",
            source=SOURCE,
            handler="run_summary.handler.lambda_handler",
            description="Counts a bulk run's results into its summary",
            environment={
                env.POWERTOOLS_SERVICE_NAME: RUN_SUMMARY_SERVICE,
                env.AUDIT_EVENT_BUS_NAME: audit_bus.event_bus_name,
            },
            log_retention_days=log_retention_days,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            reserved_concurrency=RESERVED_CONCURRENCY,
        )
        # Exactly the two actions it needs: no List (the results manifest names every file), no other prefix.
        results, summaries = (
            bucket.arn_for_objects(f"{RESULTS_PREFIX}/*"),
            bucket.arn_for_objects(f"{RESULTS_PREFIX}/*/{SUMMARY_OBJECT}"),
        )
        self.function.add_to_role(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[results]),
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[summaries]),
            # The run's end, as an audit event (contracts.events.BULK_RUN_FINISHED), on the stack's one bus.
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[audit_bus.event_bus_arn]),
        )
        bucket_arn = f"<{logical_id(bucket)}.Arn>"
        for resource, why in (
            (f"{RESULTS_PREFIX}/*", "reads the result files of whichever map run it summarizes"),
            (f"{RESULTS_PREFIX}/*/{SUMMARY_OBJECT}", "writes the summary beside them"),
        ):
            acknowledge(
                self.function.role,
                f"AwsSolutions-IAM5[Resource::{bucket_arn}/{resource}]",
                f"The run summary {why}; ResultWriter names the folder per map run, in the bulk bucket only.",
            )
