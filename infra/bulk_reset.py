"""Step Functions: the bulk workflow, a Distributed Map over a run's manifest, batches through the reset task
(workflows.py), every result written back to the bulk bucket, then the run's summary (contracts.bulk)."""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from contracts.bulk import (
    BULK_EXECUTION_DAYS,
    CSV_SUFFIX,
    DEFAULTS,
    ITEM_INDEX,
    ITEM_ROW,
    MANIFEST_KEY,
    RESULTS_PREFIX,
    RUN_ID_FIELD,
    RUN_UNFINISHED,
)
from contracts.workflow_errors import MAP_ITEMS_UNREADABLE, MAP_RESULTS_UNWRITABLE
from infra.nag import acknowledge, arn_prefix, logical_id, state_machine_name
from infra.run_summary import RunSummaryFunction
from infra.workflows import (
    LAMBDA_SERVICE_ERRORS,
    SERVICE_RETRY,
    TASK_WORST_CASE_SECONDS,
    acknowledge_function_versions,
    reset_task,
    retried,
    state_machine,
)

# The run summary's own failures (an S3 error its client's retries did not get past surfaces as the function's error):
# a few more tries, spread out, before the run ends without its summary.
SUMMARY_RETRY: Final = {"interval": 10, "backoff_rate": 2, "max_attempts": 3, "max_delay": 60}  # seconds
# The Map state's storage errors: its ItemReader could not read the manifest, its ResultWriter could not write the
# results (Step Functions Developer Guide, "ItemReader (Map)", "ResultWriter (Map)": States.ItemReaderFailed,
# States.ResultWriterFailed). More items failing than tolerated (States.ExceedToleratedFailureThreshold) is not
# retried: that run stops, to be redriven.
MAP_STORAGE_ERRORS: Final = (MAP_ITEMS_UNREADABLE, MAP_RESULTS_UNWRITABLE)
MAP_RETRY: Final = {"interval": 5, "backoff_rate": 2, "max_attempts": 3, "max_delay": 60}  # seconds

# An Express execution lasts at most five minutes (Step Functions Developer Guide, "Choosing workflow type"). A bulk
# child runs one batch through the reset task: its retries alone can outlast that (2,196 s against 300 s), and a
# child cut off at five minutes would leave its users to the redrive. Trimming the retries to fit would give up on
# users a throttled Cognito only holds back, so the children are Standard.
EXPRESS_LIMIT_SECONDS: Final = 300
CHILD_EXECUTION_TYPE: Final = (
    sfn.StateMachineType.STANDARD if TASK_WORST_CASE_SECONDS > EXPRESS_LIMIT_SECONDS else sfn.StateMachineType.EXPRESS
)
BULK_EXECUTION_TIMEOUT: Final = cdk.Duration.days(BULK_EXECUTION_DAYS)
# The manifest's format is the key's suffix (contracts.bulk.is_csv); ASL's StringMatches is case-sensitive.
CSV_SUFFIXES: Final = (CSV_SUFFIX, CSV_SUFFIX.upper())
# How long a replaced or deleted manifest or result stays (the current ones stay until someone deletes them), and how
# long the bulk bucket's access logs stay: long enough to answer for a run after the fact, bounded in cost.
NONCURRENT_VERSION_RETENTION: Final = cdk.Duration.days(90)
ACCESS_LOG_RETENTION: Final = cdk.Duration.days(400)


class BulkResetWorkflow(Construct):
    """A bulk run (contracts.bulk): a Distributed Map over the run's manifest in the bulk bucket, CSV with a header or
    JSON Lines; batches of rows, at most `max_concurrency` batches at a time, every result written back to the bucket;
    then the run's summary.

    Input: {"manifestKey": "manifests/<run id>.csv", "defaults": {...}}. The run id is the execution's name: every
    batch carries it (with the defaults, as its BatchInput), so what the run did to a user is remembered by the run,
    across redrives. Each item a batch gets is its row with the row's position in the manifest (ItemSelector), so that
    the summary names every row by its line. Output: the summary (users per status and reason, where the results and
    the list of rows to act on are). A run with any row unfinished ends FAILED (RUN_UNFINISHED, the cause naming its
    summary), never SUCCEEDED with users left over. A redrive does not run those rows again (Step Functions redrives
    only the states that did not finish, and the map did): a new run with the rows its summary lists does.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        max_concurrency: int,
        batch_size: int,
        tolerated_failure_percentage: float,
        log_retention_days: int,
        audit_bus: events.IEventBus,
        evidence_lock_days: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # S3 delivers the bulk bucket's access logs under a bucket policy, never through ACLs, whatever the app's
        # context says (cdk.json sets the same flag; an app built without it would fall back to ACLs).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.bucket = bucket = self._bucket(evidence_lock_days)
        self.summary = RunSummaryFunction(
            self, "Summary", bucket=bucket, log_retention_days=log_retention_days, audit_bus=audit_bus
        )
        summarize = tasks.LambdaInvoke(
            self,
            "Summarize the run",
            lambda_function=self.summary.function.function,
            payload=sfn.TaskInput.from_object(
                {
                    "runId": sfn.JsonPath.string_at(f"$.{RUN_ID_FIELD}"),
                    # The manifest's format gives each row's line (contracts.bulk.manifest_line).
                    "manifestKey": sfn.JsonPath.string_at(f"$.{MANIFEST_KEY}"),
                    "resultWriterDetails": sfn.JsonPath.object_at("$.mapRun.ResultWriterDetails"),
                    # Who started the run (contracts.bulk.STARTED_BY), for the summary and its audit event: the
                    # execution's input as given, which always exists (a field of it may not).
                    "runInput": sfn.JsonPath.object_at("$$.Execution.Input"),
                }
            ),
            output_path="$.Payload",
            retry_on_service_exceptions=False,
        )
        retried(summarize, LAMBDA_SERVICE_ERRORS, SERVICE_RETRY)
        # After the service's own errors: States.TaskFailed matches any error but States.Timeout, so it comes last.
        retried(summarize, ("States.TaskFailed",), SUMMARY_RETRY)
        # A finished run's output is its summary. A run with unfinished rows fails instead, its cause the summary
        # object's s3:// URI: the list of rows is there, never in the execution's history.
        ended = (
            sfn.Choice(self, "Every row finished?")
            .when(sfn.Condition.boolean_equals("$.complete", True), sfn.Succeed(self, "Run finished"))
            .otherwise(sfn.Fail(self, "Run unfinished", error=RUN_UNFINISHED, cause_path="$.summary"))
        )
        summarize.next(ended)

        def resets(kind: str, reader: sfn.IItemReader) -> sfn.DistributedMap:
            reset_batch = reset_task(
                self,
                f"Reset batch ({kind})",
                function,
                # BatchInput cannot take a whole object from a path, so the defaults travel one level down.
                sfn.TaskInput.from_object(
                    {
                        "Items": sfn.JsonPath.list_at("$.Items"),
                        "BatchInput": sfn.JsonPath.object_at("$.BatchInput.defaults"),
                    }
                ),
            )
            resets = sfn.DistributedMap(
                self,
                f"Reset every user in the {kind} manifest",
                item_reader=reader,
                # The row and its position: a retried row keeps its position, a repeated row has another one.
                item_selector={
                    ITEM_INDEX: sfn.JsonPath.number_at("$$.Map.Item.Index"),
                    ITEM_ROW: sfn.JsonPath.object_at("$$.Map.Item.Value"),
                },
                item_batcher=sfn.ItemBatcher(
                    max_items_per_batch=batch_size, batch_input={"defaults.$": "$.batchInput"}
                ),
                max_concurrency=max_concurrency,
                tolerated_failure_percentage=tolerated_failure_percentage,
                # JSON Lines, so that the summary streams the results of any size of run.
                result_writer_v2=sfn.ResultWriterV2(
                    bucket=bucket,
                    prefix=RESULTS_PREFIX,
                    writer_config=sfn.WriterConfig(
                        output_type=sfn.OutputType.JSONL, transformation=sfn.Transformation.NONE
                    ),
                ),
                result_path="$.mapRun",
                # One child per batch, as long as its retries need (CHILD_EXECUTION_TYPE above has the arithmetic).
                map_execution_type=CHILD_EXECUTION_TYPE,
            )
            # CDK reads the child execution type from mapExecutionType but still validates that the processor names
            # one, then warns that the processor's is ignored: both say the same, and the warning is acknowledged.
            resets.item_processor(
                reset_batch,
                mode=sfn.ProcessorMode.DISTRIBUTED,
                execution_type=sfn.ProcessorType[CHILD_EXECUTION_TYPE.name],
            )
            cdk.Annotations.of(resets).acknowledge_warning(
                "@aws-cdk/aws-stepfunctions:propertyIgnored", "mapExecutionType says the same"
            )
            # S3 failing to hand over the manifest or to take the results fails the Map state; its retry runs the map
            # again, and every row the first attempt finished replays (the run remembers what it did to each user).
            return retried(resets, MAP_STORAGE_ERRORS, MAP_RETRY)

        manifest_key = sfn.JsonPath.string_at(f"$.{MANIFEST_KEY}")
        csv_resets = resets(
            "CSV",
            sfn.S3CsvItemReader(bucket=bucket, key=manifest_key, csv_headers=sfn.CsvHeaders.use_first_row()),
        )
        jsonl_resets = resets("JSON Lines", sfn.S3JsonLItemReader(bucket=bucket, key=manifest_key))
        no_defaults = sfn.Pass(self, "No defaults", result=sfn.Result.from_object({}), result_path=f"$.{DEFAULTS}")
        name_the_run = sfn.Pass(
            self, "Name the run", parameters={f"{RUN_ID_FIELD}.$": "$$.Execution.Name"}, result_path="$.run"
        )
        # Every batch's BatchInput: the run's defaults with the run id (the execution's name wins over a default).
        run_defaults = sfn.Pass(
            self,
            "Run defaults",
            parameters={
                f"{MANIFEST_KEY}.$": f"$.{MANIFEST_KEY}",
                f"{RUN_ID_FIELD}.$": f"$.run.{RUN_ID_FIELD}",
                "batchInput.$": f"States.JsonMerge($.{DEFAULTS}, $.run, false)",
            },
        )
        by_format = (
            sfn.Choice(self, "CSV or JSON Lines?")
            .when(
                sfn.Condition.or_(
                    *(sfn.Condition.string_matches(f"$.{MANIFEST_KEY}", f"*{suffix}") for suffix in CSV_SUFFIXES)
                ),
                csv_resets.next(summarize),
            )
            .otherwise(jsonl_resets.next(summarize))
        )
        name_the_run.next(run_defaults).next(by_format)
        definition = (
            sfn.Choice(self, "Defaults given?")
            .when(sfn.Condition.is_present(f"$.{DEFAULTS}"), name_the_run)
            .otherwise(no_defaults.next(name_the_run))
        )
        self.state_machine = state_machine(
            self,
            definition,
            comment="Resets every user listed in a CSV or JSON Lines manifest, within the stack's rate budget",
            timeout=BULK_EXECUTION_TIMEOUT,
            log_retention_days=log_retention_days,
        )
        acknowledge_function_versions(self.state_machine, function)
        acknowledge_function_versions(self.state_machine, self.summary.function.function)
        acknowledge(
            self.state_machine,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<{logical_id(bucket)}>/*]",
            "The workflow reads whichever manifest key it is given and writes result objects, all in the bulk bucket "
            "this construct owns; object names are chosen per execution.",
        )
        # CDK scopes the Distributed Map's DescribeExecution/StopExecution grant to this state machine's executions
        # (<name>:*) and their child executions (<name>/*:*); the execution names are generated per run.
        executions = f"{arn_prefix(self, 'states')}:execution:{state_machine_name(self.state_machine)}"
        for suffix in (":*", "/*:*"):
            acknowledge(
                self.state_machine,
                f"AwsSolutions-IAM5[Resource::{executions}{suffix}]",
                "A Distributed Map describes and stops its own executions and their child executions, whose names "
                "are generated per run; the grant names this state machine only.",
            )

    def _bucket(self, evidence_lock_days: int | None) -> s3.Bucket:
        """Manifests in, results out: the evidence of a mass reset (who was asked to reset, what happened), so
        private, TLS-only, versioned (an overwritten or deleted manifest or result is still there), its access
        logged, and kept with the stack's other evidence. Lifecycle rules bound what versions and logs cost.

        With `evidence_lock_days`, every object version is also under S3 Object Lock in governance mode for that long
        (Amazon S3 User Guide, "Locking objects with Object Lock"): nobody without s3:BypassGovernanceRetention can
        delete or overwrite a manifest, a result or a summary as written; the lifecycle rule removes a replaced version
        only once its retention has ended. S3 allows turning Object Lock on for an existing bucket (User Guide,
        "Configuring S3 Object Lock"), never off."""
        retention = (
            s3.ObjectLockRetention.governance(cdk.Duration.days(evidence_lock_days))
            if evidence_lock_days is not None
            else None
        )
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,  # logging is granted by bucket policy, no ACLs
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=ACCESS_LOG_RETENTION)],
        )
        acknowledge(
            access_logs,
            "AwsSolutions-S1",
            "The bucket that receives the bulk bucket's server access logs does not log access to itself.",
        )
        return s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="bulk/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                    noncurrent_version_expiration=NONCURRENT_VERSION_RETENTION,
                )
            ],
            object_lock_enabled=retention is not None or None,
            object_lock_default_retention=retention,
        )
