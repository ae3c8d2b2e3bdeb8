"""The operator policy: what the people who run `cognito-reset` need, and nothing else, as one managed policy the
deployer attaches to their operators' role or SSO permission set (output OperatorPolicyArn; docs/operator.md,
"Permissions", lists what each command calls).

- Find the stack: DescribeStacks on this stack only.
- Single requests: PutEvents on the stack's bus, of the request detail-type and the bulk runs' own audit events only;
  the single-reset workflow started and read.
- Bulk runs: manifests uploaded and read back (`manifests/`), results and summaries read (`results/`); the bulk workflow
  started, listed, described, stopped and redriven, its map runs and child executions read.
- A run's stop mark written and lifted in the dedupe table, and nothing else written there: PutItem and DeleteItem only
  on keys that start with the halt prefix (dynamodb:LeadingKeys). Reads of the table (a run's delivery counts, its
  halt) stay reads of hashes and counts.
- The pool and its delivery read (`doctor`, the sizing, the selection of a group or a filter, a run's completion):
  Cognito's reads on the stack's allowed pools, SES's account and identity, SNS's SMS sandbox, the stack's alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from contracts.bulk import HALT_KEY_PREFIX, MANIFEST_PREFIX, RESULTS_PREFIX
from contracts.events import BULK_RUN_STARTED, BULK_RUN_STOPPED, RESET_REQUESTED
from infra.nag import acknowledge, arn_prefix, logical_id, state_machine_name

COGNITO_READS: Final = (
    "cognito-idp:AdminGetUser",
    "cognito-idp:DescribeUserPool",
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
)
RUN_ACTIONS: Final = (
    "states:DescribeExecution",
    "states:ListMapRuns",
    "states:RedriveExecution",
    "states:StopExecution",
)
# The events an operator puts: requests, and the start and stop of the runs they run (contracts.events).
OPERATOR_EVENTS: Final = (RESET_REQUESTED, BULK_RUN_STARTED, BULK_RUN_STOPPED)
# Read-only actions AWS authorizes on "*" only (Service Authorization Reference: no resource type for them).
UNSCOPED_READS: Final = (
    "cloudwatch:DescribeAlarms",
    "ses:GetAccount",
    "sns:GetSMSSandboxAccountStatus",
)


def _executions(machine: sfn.IStateMachine, kind: str = "execution") -> str:
    """`arn:<partition>:states:<region>:<account>:<kind>:<state machine name>`, the prefix of its executions' (and map
    runs') ARNs."""
    stack = cdk.Stack.of(machine)
    name = cdk.Fn.select(6, cdk.Fn.split(":", machine.state_machine_arn))
    return f"arn:{stack.partition}:states:{stack.region}:{stack.account}:{kind}:{name}"


class OperatorPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        bucket: s3.IBucket,
        table: dynamodb.ITable,
        single_reset: sfn.IStateMachine,
        bulk_reset: sfn.IStateMachine,
        user_pool_arns: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        bulk_executions, single_executions = _executions(bulk_reset), _executions(single_reset)
        statements = [
            iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[stack.stack_id]),
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[bus.event_bus_arn],
                conditions={"StringEquals": {"events:detail-type": list(OPERATOR_EVENTS)}},
            ),
            iam.PolicyStatement(
                actions=["states:StartExecution", "states:ListExecutions"],
                resources=[single_reset.state_machine_arn, bulk_reset.state_machine_arn],
            ),
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[f"{single_executions}:*"]),
            # The run's execution (<name>:<run id>) and its map runs' child executions (<name>/<map run>:<child>).
            iam.PolicyStatement(
                actions=list(RUN_ACTIONS), resources=[f"{bulk_executions}:*", f"{bulk_executions}/*:*"]
            ),
            # A run's map runs, and their child executions listed (ListExecutions with mapRunArn).
            iam.PolicyStatement(
                actions=["states:DescribeMapRun", "states:ListExecutions"],
                resources=[f"{_executions(bulk_reset, 'mapRun')}/*"],
            ),
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"], resources=[bucket.arn_for_objects(f"{MANIFEST_PREFIX}*")]
            ),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{RESULTS_PREFIX}/*")]),
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[table.table_arn]),
            iam.PolicyStatement(
                actions=["dynamodb:PutItem", "dynamodb:DeleteItem"],
                resources=[table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{HALT_KEY_PREFIX}*"]}},
            ),
            iam.PolicyStatement(actions=list(COGNITO_READS), resources=list(user_pool_arns)),
            iam.PolicyStatement(
                actions=["ses:GetEmailIdentity"],
                resources=[f"arn:{stack.partition}:ses:*:{stack.account}:identity/*"],
            ),
            iam.PolicyStatement(actions=list(UNSCOPED_READS), resources=["*"]),
        ]
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="What the operators of cognito-reset need: start, watch, stop and redrive bulk runs, upload "
            "manifests, read results, put single requests, read the pool's delivery (docs/operator.md)",
            statements=statements,
        )
        states = arn_prefix(self, "states")
        bulk, single = state_machine_name(bulk_reset), state_machine_name(single_reset)
        bucket_arn = f"<{logical_id(bucket)}.Arn>"
        ses_any_region = arn_prefix(self, "ses", region="*")
        for resource, why in (
            (f"{states}:execution:{single}:*", "the single-reset workflow's executions, named per request"),
            (f"{states}:execution:{bulk}:*", "the bulk workflow's runs, named per run"),
            (f"{states}:execution:{bulk}/*:*", "a run's child executions, named per map run"),
            (f"{states}:mapRun:{bulk}/*", "a run's map runs, named per run"),
            (f"{bucket_arn}/{MANIFEST_PREFIX}*", "the manifests, one per run, in the bulk bucket only"),
            (f"{bucket_arn}/{RESULTS_PREFIX}/*", "the results and summaries, one folder per map run"),
            (f"{ses_any_region}:identity/*", "the pool's SES identity, which may be any of the account's, anywhere"),
            ("*", "read-only calls AWS authorizes on * only (DescribeAlarms, GetAccount, GetSMSSandboxAccountStatus)"),
        ):
            acknowledge(self.policy, f"AwsSolutions-IAM5[Resource::{resource}]", f"The operators read {why}.")
