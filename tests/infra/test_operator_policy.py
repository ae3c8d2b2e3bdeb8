"""The operators' managed policy (output OperatorPolicyArn): exactly what `cognito-reset` calls (docs/operator.md,
"Permissions"), on this stack's resources, each wildcard a name made per run; the one write to the dedupe table it
allows is a run's stop mark. And the run summary function's small reserved concurrency."""

from __future__ import annotations

import json

from contracts import stack as outputs
from contracts.bulk import HALT_KEY_PREFIX
from infra.run_summary import RESERVED_CONCURRENCY
from tests.infra.conftest import Synthesized, allow, grants, normalise


def _name(variant: Synthesized, machine: str) -> str:
    return json.dumps({"Fn::Select": [6, {"Fn::Split": [":", "${" + variant.logical_id(machine) + "}"]}]})


def test_the_operators_policy_allows_exactly_what_the_cli_calls(new_pool: Synthesized) -> None:
    policy_id, policy = new_pool.only("AWS::IAM::ManagedPolicy")
    arn = f"arn:{new_pool.partition}:states:{new_pool.region}:${{AWS::AccountId}}"
    bulk, single = _name(new_pool, "BulkReset/StateMachine"), _name(new_pool, "SingleReset/StateMachine")
    machines = [
        "${" + new_pool.logical_id(path) + "}" for path in ("BulkReset/StateMachine", "SingleReset/StateMachine")
    ]
    bucket = "${" + new_pool.logical_id("BulkReset/Bucket") + ".Arn}"
    table = "${" + new_pool.logical_id("Reset/IdempotencyTable") + ".Arn}"
    statements = [normalise(statement) for statement in policy["Properties"]["PolicyDocument"]["Statement"]]

    assert grants(*statements) == grants(
        allow(["cloudformation:DescribeStacks"], ["${AWS::StackId}"]),
        allow(
            ["events:PutEvents"],
            ["${" + new_pool.logical_id("RequestBus") + ".Arn}"],
            {
                "StringEquals": {
                    "events:detail-type": ["Password Reset Requested", "Bulk Run Started", "Bulk Run Stopped"]
                }
            },
        ),
        allow(["states:StartExecution", "states:ListExecutions"], machines),
        allow(["states:DescribeExecution"], [f"{arn}:execution:{single}:*"]),
        allow(
            ["states:DescribeExecution", "states:ListMapRuns", "states:RedriveExecution", "states:StopExecution"],
            [f"{arn}:execution:{bulk}:*", f"{arn}:execution:{bulk}/*:*"],
        ),
        allow(["states:DescribeMapRun", "states:ListExecutions"], [f"{arn}:mapRun:{bulk}/*"]),
        allow(["s3:PutObject", "s3:GetObject"], [f"{bucket}/manifests/*"]),
        allow(["s3:GetObject"], [f"{bucket}/results/*"]),
        allow(["dynamodb:GetItem"], [table]),
        allow(
            ["dynamodb:PutItem", "dynamodb:DeleteItem"],
            [table],
            {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{HALT_KEY_PREFIX}*"]}},
        ),
        allow(
            [
                "cognito-idp:AdminGetUser",
                "cognito-idp:DescribeUserPool",
                "cognito-idp:ListUsers",
                "cognito-idp:ListUsersInGroup",
            ],
            ["${" + new_pool.logical_id("UserPool/UserPool") + ".Arn}"],
        ),
        allow(["ses:GetEmailIdentity"], [f"arn:{new_pool.partition}:ses:*:${{AWS::AccountId}}:identity/*"]),
        allow(["cloudwatch:DescribeAlarms", "ses:GetAccount", "sns:GetSMSSandboxAccountStatus"], ["*"]),
    )
    assert new_pool.template["Outputs"][outputs.OPERATOR_POLICY_ARN]["Value"] == {"Ref": policy_id}


def test_the_operators_may_write_only_stop_marks_to_the_dedupe_table(variant: Synthesized) -> None:
    _, policy = variant.only("AWS::IAM::ManagedPolicy")
    writes = [
        normalise(statement)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if {"dynamodb:PutItem", "dynamodb:DeleteItem"} & set(normalise(statement)[1])
    ]

    assert [json.loads(condition) for _, _, _, condition in writes] == [
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{HALT_KEY_PREFIX}*"]}}
    ]


def test_the_run_summary_has_a_small_reserved_concurrency(variant: Synthesized) -> None:
    function = variant.properties("BulkReset/Summary/RunSummary/Function")

    assert function["ReservedConcurrentExecutions"] == RESERVED_CONCURRENCY
