"""What every deployment has, new pool or existing: functions, logs, the rule, the workflow, queues, alarms, lint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from contracts import environment as env
from contracts.events import REQUEST_SOURCE, RESET_REQUESTED
from contracts.results import FailureReason
from contracts.telemetry import (
    CUSTOM_MESSAGE_SERVICE,
    DELIVERY_LIMIT_REACHED,
    NAMESPACE,
    REASON_DIMENSION,
    RESET_FAILED,
    RESET_SERVICE,
    SERVICE_DIMENSION,
    TEMPLATE_FALLBACK,
)
from infra.reset_function import SES_QUOTA_ACTION
from tests.infra.conftest import Synthesized, allow, grants, nag_findings, render

FUNCTION_HANDLERS = {
    "CustomMessage/CustomMessage/Function": "custom_message.handler.lambda_handler",
    "Reset/ResetPassword/Function": "reset_password.handler.lambda_handler",
}
# W3005: CDK adds a DependsOn on each function's (and the state machine's) role that a GetAtt already implies;
# harmless, and the construct library's choice rather than ours.
CFN_LINT_IGNORED = ["W3005"]


def test_cdk_nag_reports_no_unacknowledged_finding(variant: Synthesized) -> None:
    # The synth raises on an error-level finding; the report must not hold cdk-nag warnings either. (The report also
    # carries construct annotations, such as the no-SES warning, which are not findings.) That the gate is wired at
    # all is shown by test_app.py::test_an_unacknowledged_finding_fails_the_synth.
    assert not nag_findings(variant.outdir)


def test_cfn_lint_is_clean(variant: Synthesized) -> None:
    config = ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=["us-east-1", "eu-west-1"])
    matches = lint(variant.template_path.read_text(), config=config)
    assert not matches, "\n".join(str(match) for match in matches)


def test_functions_run_arm64_current_python_with_json_logs_to_their_own_log_group(variant: Synthesized) -> None:
    functions = variant.of_type("AWS::Lambda::Function")
    assert len(functions) >= len(FUNCTION_HANDLERS)
    for name, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.14", name
        assert properties["Architectures"] == ["arm64"], name
        logging = properties["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", name
        assert logging["ApplicationLogLevel"] == "INFO", name
        assert logging["SystemLogLevel"] == "WARN", name
        log_group = logging["LogGroup"]["Ref"]
        assert variant.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
        assert properties["Environment"]["Variables"][env.POWERTOOLS_LOG_LEVEL] == "INFO"
    for path, handler in FUNCTION_HANDLERS.items():
        assert variant.properties(path)["Handler"] == handler


def test_log_groups_have_retention_and_outlive_the_stack(variant: Synthesized) -> None:
    log_groups = variant.of_type("AWS::Logs::LogGroup")
    # One per function, one per state machine.
    assert len(log_groups) == len(variant.of_type("AWS::Lambda::Function")) + 2
    for name, log_group in log_groups.items():
        assert log_group["Properties"]["RetentionInDays"] == 90, name
        assert log_group["DeletionPolicy"] == "Retain", name


def test_custom_message_function_fits_cognitos_budget_and_gets_its_settings(variant: Synthesized) -> None:
    properties = variant.properties("CustomMessage/CustomMessage/Function")
    assert properties["Timeout"] == 5
    assert properties["MemorySize"] == 1024
    variables = render(properties["Environment"]["Variables"])
    assert variables == {
        env.ALLOWED_LINK_HOSTS: "",
        env.DEFAULT_LOCALE: "en",
        env.POWERTOOLS_SERVICE_NAME: CUSTOM_MESSAGE_SERVICE,
        env.POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
        env.POWERTOOLS_LOG_LEVEL: "INFO",
        # The new pool's own settings, or the existing pool's actual ones read at deploy time (both tested apart).
        env.EMAIL_SENDING_ACCOUNT: variables[env.EMAIL_SENDING_ACCOUNT],
        env.EMAIL_VERIFICATION_OPTION: variables[env.EMAIL_VERIFICATION_OPTION],
    }
    assert variables[env.EMAIL_SENDING_ACCOUNT]
    assert variables[env.EMAIL_VERIFICATION_OPTION]
    assert "ReservedConcurrentExecutions" not in properties, "Cognito must never be throttled by the trigger"


def test_reset_function_async_failures_go_to_the_failed_request_queue(variant: Synthesized) -> None:
    function_id = variant.logical_id("Reset/ResetPassword/Function")
    config_id, config = variant.only("AWS::Lambda::EventInvokeConfig")
    properties = render(config["Properties"])
    queue_id = variant.logical_id("FailedRequests/Queue")
    assert properties["FunctionName"] == "${" + function_id + "}"
    assert properties["MaximumRetryAttempts"] == 2
    assert properties["MaximumEventAgeInSeconds"] == 7200
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": "${" + queue_id + ".Arn}"}}
    # Lambda checks the role's access to the destination when it creates the configuration.
    assert variant.logical_id("Reset/SendFailedRequests") in config["DependsOn"], config_id


def test_failed_request_queue_is_kms_encrypted_and_tls_only(variant: Synthesized) -> None:
    queue = variant.properties("FailedRequests/Queue")
    key_id = variant.logical_id("MessageKey")
    assert render(queue["KmsMasterKeyId"]) == "${" + key_id + ".Arn}"
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    _, policy = variant.only("AWS::SQS::QueuePolicy")
    statements = [
        {key: value for key, value in statement.items() if key != "Sid"}
        for statement in render(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert {
        "Action": "sqs:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": "${" + variant.logical_id("FailedRequests/Queue") + ".Arn}",
    } in statements
    rule_id = variant.logical_id("Requests/Rule")
    assert {
        "Action": "sqs:SendMessage",
        "Condition": {"ArnEquals": {"aws:SourceArn": "${" + rule_id + ".Arn}"}},
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Resource": "${" + variant.logical_id("FailedRequests/Queue") + ".Arn}",
    } in statements
    assert len(statements) == 2


def test_request_rule_matches_detail_type_and_sources_and_retries_into_the_queue(variant: Synthesized) -> None:
    rule = render(variant.properties("Requests/Rule"))
    assert rule["EventPattern"] == {
        "detail-type": [RESET_REQUESTED],
        "source": [REQUEST_SOURCE],
    }
    assert rule["Name"] == "CognitoPasswordReset-password-reset-requests"
    assert rule["State"] == "ENABLED"
    [target] = rule["Targets"]
    assert target["Arn"] == "${" + variant.logical_id("Reset/ResetPassword/Function") + ".Arn}"
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 7200}
    assert target["DeadLetterConfig"] == {"Arn": "${" + variant.logical_id("FailedRequests/Queue") + ".Arn}"}
    # Only this rule may invoke the function through EventBridge (the delivery events rule invokes only its own
    # function: test_delivery_events.py).
    reset_function = "${" + variant.logical_id("Reset/ResetPassword/Function") + ".Arn}"
    permissions = [
        render(body["Properties"])
        for body in variant.of_type("AWS::Lambda::Permission").values()
        if body["Properties"]["Principal"] == "events.amazonaws.com"
        and render(body["Properties"]["FunctionName"]) == reset_function
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": reset_function,
            "Principal": "events.amazonaws.com",
            "SourceArn": "${" + variant.logical_id("Requests/Rule") + ".Arn}",
        }
    ]


def test_key_rotates_and_lets_only_the_rule_and_cloudwatch_use_it(variant: Synthesized) -> None:
    key = render(variant.properties("MessageKey"))
    assert key["EnableKeyRotation"] is True
    services = {
        statement["Principal"]["Service"]: statement
        for statement in key["KeyPolicy"]["Statement"]
        if "Service" in statement.get("Principal", {})
    }
    assert set(services) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    assert set(services["events.amazonaws.com"]["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert set(services["cloudwatch.amazonaws.com"]["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert services["cloudwatch.amazonaws.com"]["Condition"] == own_alarms(variant)
    # The rule's ARN is spelt out (naming the rule would be a dependency cycle); it must be the rule's real ARN.
    [source_arn] = services["events.amazonaws.com"]["Condition"]["ArnEquals"].values()
    rule = variant.properties("Requests/Rule")
    bus = render(rule.get("EventBusName", "default"))
    bus_part = "" if bus == "default" else f"{bus}/"
    assert source_arn == (
        f"arn:{variant.partition}:events:{variant.region}:${{AWS::AccountId}}:rule/" + bus_part + rule["Name"]
    )


def _definition(variant: Synthesized) -> dict[str, Any]:
    properties = variant.properties("SingleReset/StateMachine")
    definition = json.loads(render(properties["DefinitionString"]))
    assert isinstance(definition, dict)
    return definition


def test_single_reset_workflow_retries_with_jitter_and_catches_into_a_failure_state(variant: Synthesized) -> None:
    definition = _definition(variant)
    function_id = variant.logical_id("Reset/ResetPassword/Function")
    assert definition["StartAt"] == "Reset user"
    task = definition["States"]["Reset user"]
    assert task["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke"
    assert task["Parameters"] == {"FunctionName": "${" + function_id + ".Arn}", "Payload.$": "$"}
    assert task["OutputPath"] == "$.Payload"
    assert task["Retry"] == RETRIES
    # UnclassifiedResetError is never retried: it is caught, with the request kept at $ and the error at $.error.
    assert all("UnclassifiedResetError" not in retry["ErrorEquals"] for retry in task["Retry"])
    assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Reset failed"}]
    assert definition["States"]["Reset failed"] == {
        "Type": "Fail",
        "ErrorPath": "$.error.Error",
        "CausePath": "$.error.Cause",
    }


def test_single_reset_state_machine_logs_without_execution_data_and_traces(variant: Synthesized) -> None:
    properties = render(variant.properties("SingleReset/StateMachine"))
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False
    assert logging["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": "${" + variant.logical_id("SingleReset/Logs") + ".Arn}"}}
    ]


def test_state_machine_role_may_invoke_only_the_reset_function(variant: Synthesized) -> None:
    role_id = variant.logical_id("SingleReset/StateMachine/Role")
    function_id = variant.logical_id("Reset/ResetPassword/Function")
    assert variant.role_permissions(role_id) == grants(
        ("Allow", frozenset({"lambda:InvokeFunction"}),
         frozenset({"${" + function_id + ".Arn}", "${" + function_id + ".Arn}:*"}), "{}"),
        # Log delivery and X-Ray have no resource-level permissions: AWS requires "*".
        ("Allow", frozenset({
            "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        }), frozenset({"*"}), "{}"),
        ("Allow", frozenset({
            "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
        }), frozenset({"*"}), "{}"),
    )  # fmt: skip


def test_custom_message_role_can_only_write_its_own_logs(variant: Synthesized) -> None:
    role_id = variant.logical_id("CustomMessage/CustomMessage/Role")
    log_group = variant.logical_id("CustomMessage/CustomMessage/LogGroup")
    assert variant.role_permissions(role_id) == grants(
        ("Allow", frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}), frozenset({"${" + log_group + ".Arn}"}),
         "{}"),
    )  # fmt: skip


def test_no_role_grants_a_wildcard_resource_except_where_aws_requires_it(variant: Synthesized) -> None:
    """'*' only for log delivery, X-Ray and SES's sending quota (no resource-level permissions); patterns only under one
    named resource."""
    state_machine_roles = {
        variant.logical_id("SingleReset/StateMachine/Role"),
        variant.logical_id("BulkReset/StateMachine/Role"),
    }
    reset_role = variant.logical_id("Reset/ResetPassword/Role")
    bucket_id = variant.logical_id("BulkReset/Bucket")
    # The bulk bucket's objects, by its name or by its ARN.
    objects = (f"arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}/", f"${{{bucket_id}.Arn}}/")
    bulk_machine = "${" + variant.logical_id("BulkReset/StateMachine") + "}"
    for role_id in variant.of_type("AWS::IAM::Role"):
        for _, action, resource, _ in variant.role_permissions(role_id):
            if resource == "*" and role_id == reset_role:
                assert action == SES_QUOTA_ACTION  # the send rate that bounds resets (reset_password/delivery_rate.py)
            elif resource == "*":
                assert role_id in state_machine_roles
                assert action.startswith(("logs:", "xray:")), action
            elif "*" in resource and not resource.endswith(".Arn}:*"):  # function versions: <function ARN>:*
                assert resource.startswith(objects) or bulk_machine in resource, resource


TRIGGER_REJECTED_DIMENSIONS = {REASON_DIMENSION: FailureReason.TRIGGER_REJECTED.value, SERVICE_DIMENSION: RESET_SERVICE}
TEMPLATE_FALLBACK_DIMENSIONS = {SERVICE_DIMENSION: CUSTOM_MESSAGE_SERVICE}
RESET_CAP_REACHED_DIMENSIONS = {
    REASON_DIMENSION: FailureReason.RESET_CAP_REACHED.value,
    SERVICE_DIMENSION: RESET_SERVICE,
}


def test_alarms_watch_errors_throttles_queue_depth_fallbacks_and_failed_executions(variant: Synthesized) -> None:
    topic_id = variant.logical_id("Monitoring/AlarmTopic")
    reset_id = variant.logical_id("Reset/ResetPassword/Function")
    trigger_id = variant.logical_id("CustomMessage/CustomMessage/Function")
    queue_id = variant.logical_id("FailedRequests/Queue")
    machine_id = variant.logical_id("SingleReset/StateMachine")
    bulk_id = variant.logical_id("BulkReset/StateMachine")
    alarms = {}
    found = variant.of_type("AWS::CloudWatch::Alarm")
    for body in found.values():
        properties = render(body["Properties"])
        assert properties["AlarmActions"] == ["${" + topic_id + "}"]
        assert properties["AlarmDescription"], "an alarm tells the operator what happened"
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["Threshold"] == 1
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["Period"] == 300
        dimensions = {item["Name"]: item["Value"] for item in properties.get("Dimensions", [])}
        key = (properties["Namespace"], properties["MetricName"], json.dumps(dimensions, sort_keys=True))
        alarms[key] = (properties["Statistic"], properties["EvaluationPeriods"], properties["DatapointsToAlarm"])
    assert alarms == {
        ("AWS/Lambda", "Errors", json.dumps({"FunctionName": "${" + reset_id + "}"})): ("Sum", 1, 1),
        ("AWS/Lambda", "Throttles", json.dumps({"FunctionName": "${" + reset_id + "}"})): ("Sum", 3, 3),
        ("AWS/Lambda", "Errors", json.dumps({"FunctionName": "${" + trigger_id + "}"})): ("Sum", 1, 1),
        ("AWS/Lambda", "Throttles", json.dumps({"FunctionName": "${" + trigger_id + "}"})): ("Sum", 1, 1),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", json.dumps({"QueueName": "${" + queue_id + ".QueueName}"})): (
            "Maximum", 1, 1,
        ),
        (NAMESPACE, TEMPLATE_FALLBACK, json.dumps(TEMPLATE_FALLBACK_DIMENSIONS)): ("Sum", 1, 1),
        (NAMESPACE, DELIVERY_LIMIT_REACHED, json.dumps({SERVICE_DIMENSION: RESET_SERVICE})): ("Sum", 1, 1),
        (NAMESPACE, RESET_FAILED, json.dumps(TRIGGER_REJECTED_DIMENSIONS, sort_keys=True)): (
            "Sum", 1, 1,
        ),
        (NAMESPACE, RESET_FAILED, json.dumps(RESET_CAP_REACHED_DIMENSIONS, sort_keys=True)): (
            "Sum", 1, 1,
        ),
        ("AWS/States", "ExecutionsFailed", json.dumps({"StateMachineArn": "${" + machine_id + "}"})): ("Sum", 1, 1),
        ("AWS/States", "ExecutionsFailed", json.dumps({"StateMachineArn": "${" + bulk_id + "}"})): ("Sum", 1, 1),
    }  # fmt: skip
    assert len(found) == len(alarms), "one alarm per signal, none twice"


def test_the_trigger_rejected_alarm_points_at_a_changed_e_mail_configuration(variant: Synthesized) -> None:
    (alarm,) = [
        render(body["Properties"])
        for body in variant.of_type("AWS::CloudWatch::Alarm").values()
        if body["Properties"]["MetricName"] == RESET_FAILED
        and {"Name": REASON_DIMENSION, "Value": FailureReason.TRIGGER_REJECTED} in body["Properties"]["Dimensions"]
    ]
    assert FailureReason.TRIGGER_REJECTED in alarm["AlarmDescription"]
    assert "e-mail configuration changed" in alarm["AlarmDescription"]
    assert "existingUserPoolConfigRevision" in alarm["AlarmDescription"]


def test_the_storm_cap_alarm_says_what_was_refused_and_where_it_waits(variant: Synthesized) -> None:
    (alarm,) = [
        render(body["Properties"])
        for body in variant.of_type("AWS::CloudWatch::Alarm").values()
        if body["Properties"]["MetricName"] == RESET_FAILED
        and {"Name": REASON_DIMENSION, "Value": FailureReason.RESET_CAP_REACHED} in body["Properties"]["Dimensions"]
    ]
    assert "eventResetsPerHour" in alarm["AlarmDescription"]
    assert "failed-request queue" in alarm["AlarmDescription"]


def own_alarms(variant: Synthesized) -> dict[str, Any]:
    alarms = f"arn:{variant.partition}:cloudwatch:{variant.region}:${{AWS::AccountId}}:alarm:*"
    return {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}, "ArnLike": {"aws:SourceArn": alarms}}


def test_alarm_topic_is_encrypted_tls_only_and_takes_only_this_accounts_alarms(variant: Synthesized) -> None:
    topic_id = variant.logical_id("Monitoring/AlarmTopic")
    topic = render(variant.properties("Monitoring/AlarmTopic"))
    assert topic["KmsMasterKeyId"] == "${" + variant.logical_id("MessageKey") + ".Arn}"
    _, policy = variant.only("AWS::SNS::TopicPolicy")
    statements = [
        {key: value for key, value in statement.items() if key != "Sid"}
        for statement in render(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert len(statements) == 2
    [deny] = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": "${" + topic_id + "}",
        "Condition": own_alarms(variant),
    } in statements


def test_dashboard_shows_outcomes_functions_queue_fallbacks_and_executions(variant: Synthesized) -> None:
    body = render(variant.properties("Monitoring/Dashboard")["DashboardBody"])
    for title in (
        "Reset outcomes",
        "Permanent failures by reason",
        "Reset function",
        "Custom message trigger",
        "Template fallbacks",
        "Failed-request queue",
        "Single-reset executions",
        "Bulk-reset executions",
        "Alarms",
    ):
        assert f'"title":"{title}' in body, title


@pytest.mark.parametrize(
    "output",
    [
        "UserPoolId",
        "EventBusName",
        "SingleResetStateMachineArn",
        "BulkResetStateMachineArn",
        "BulkBucketName",
        "FailedRequestQueueUrl",
        "ResetFunctionName",
        "AlarmTopicArn",
        "DashboardName",
        "CustomMessageFunctionArn",
        "ResetRateBudget",
    ],
)
def test_outputs_tell_a_caller_where_everything_is(variant: Synthesized, output: str) -> None:
    assert output in variant.template["Outputs"]
    assert variant.template["Outputs"][output]["Description"]


def test_outputs_point_at_the_resources(variant: Synthesized) -> None:
    outputs = {name: render(body["Value"]) for name, body in variant.template["Outputs"].items()}
    assert outputs["SingleResetStateMachineArn"] == "${" + variant.logical_id("SingleReset/StateMachine") + "}"
    assert outputs["BulkResetStateMachineArn"] == "${" + variant.logical_id("BulkReset/StateMachine") + "}"
    assert outputs["BulkBucketName"] == "${" + variant.logical_id("BulkReset/Bucket") + "}"
    assert outputs["FailedRequestQueueUrl"] == "${" + variant.logical_id("FailedRequests/Queue") + "}"
    assert outputs["ResetFunctionName"] == "${" + variant.logical_id("Reset/ResetPassword/Function") + "}"
    # What `cognito-reset doctor` compares the pool's CustomMessage trigger and SES's send rate with.
    trigger = variant.logical_id("CustomMessage/CustomMessage/Function")
    assert outputs["CustomMessageFunctionArn"] == "${" + trigger + ".Arn}"
    assert float(outputs["ResetRateBudget"]) > 0  # the deployment's rateBudget


RETRIES = [
    {
        # What the reset function raises once its own retries are used up, and an invocation cut short: the function's
        # timeout, the task's own, a crashed runtime. The same backoff, the same attempts.
        "ErrorEquals": ["TransientResetError", "Sandbox.Timedout", "States.Timeout", "Runtime.ExitError"],
        "IntervalSeconds": 5,
        "MaxAttempts": 6,
        "BackoffRate": 2,
        "MaxDelaySeconds": 120,
        "JitterStrategy": "FULL",
    },
    {
        "ErrorEquals": [
            "Lambda.TooManyRequestsException",
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.ClientExecutionTimeoutException",
        ],
        "IntervalSeconds": 1,
        "MaxAttempts": 8,
        "BackoffRate": 2,
        "MaxDelaySeconds": 30,
        "JitterStrategy": "FULL",
    },
]


def test_bulk_workflow_names_the_run_and_gives_every_batch_its_defaults_and_run_id(variant: Synthesized) -> None:
    definition = json.loads(render(variant.properties("BulkReset/StateMachine")["DefinitionString"]))
    states = definition["States"]
    assert definition["StartAt"] == "Defaults given?"
    assert states["Defaults given?"] == {
        "Type": "Choice",
        "Choices": [{"Variable": "$.defaults", "IsPresent": True, "Next": "Name the run"}],
        "Default": "No defaults",
    }
    assert states["No defaults"] == {"Type": "Pass", "Result": {}, "ResultPath": "$.defaults", "Next": "Name the run"}
    # The run id is the execution's name: a redrive keeps it, a new execution is a new run.
    assert states["Name the run"] == {
        "Type": "Pass",
        "Parameters": {"runId.$": "$$.Execution.Name"},
        "ResultPath": "$.run",
        "Next": "Run defaults",
    }
    # Every batch's defaults carry the run id; the execution's name wins over a runId among the defaults.
    assert states["Run defaults"] == {
        "Type": "Pass",
        "Parameters": {
            "manifestKey.$": "$.manifestKey",
            "runId.$": "$.run.runId",
            "batchInput.$": "States.JsonMerge($.defaults, $.run, false)",
        },
        "Next": "CSV or JSON Lines?",
    }
    assert states["CSV or JSON Lines?"] == {
        "Type": "Choice",
        "Choices": [
            {
                "Or": [
                    {"Variable": "$.manifestKey", "StringMatches": "*.csv"},
                    {"Variable": "$.manifestKey", "StringMatches": "*.CSV"},
                ],
                "Next": "Reset every user in the CSV manifest",
            }
        ],
        "Default": "Reset every user in the JSON Lines manifest",
    }


@pytest.mark.parametrize(
    ("kind", "reader_config"),
    [("CSV", {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}), ("JSON Lines", {"InputType": "JSONL"})],
)
def test_bulk_workflow_maps_each_manifest_format_in_batches_within_the_rate_budget(
    variant: Synthesized, kind: str, reader_config: dict[str, str]
) -> None:
    definition = json.loads(render(variant.properties("BulkReset/StateMachine")["DefinitionString"]))
    bucket = "${" + variant.logical_id("BulkReset/Bucket") + "}"
    function_id = variant.logical_id("Reset/ResetPassword/Function")
    mapped = definition["States"][f"Reset every user in the {kind} manifest"]
    assert mapped["ItemReader"] == {
        "Resource": "arn:${AWS::Partition}:states:::s3:getObject",
        "ReaderConfig": reader_config,
        "Parameters": {"Bucket": bucket, "Key.$": "$.manifestKey"},
    }
    # Each item is the row and its position (contracts.bulk.item_parts): the summary gives every row its line.
    assert mapped["ItemSelector"] == {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"}
    assert mapped["ItemBatcher"] == {"MaxItemsPerBatch": 10, "BatchInput": {"defaults.$": "$.batchInput"}}
    # One batch is one invocation at a time: the map runs as many batches as the reserved concurrency.
    reserved = variant.properties("Reset/ResetPassword/Function")["ReservedConcurrentExecutions"]
    assert mapped["MaxConcurrency"] == reserved
    assert mapped["ToleratedFailurePercentage"] == 5
    # JSON Lines results, so that the summary streams a run of any size.
    assert mapped["ResultWriter"] == {
        "Resource": "arn:${AWS::Partition}:states:::s3:putObject",
        "Parameters": {"Bucket": bucket, "Prefix": "results"},
        "WriterConfig": {"OutputType": "JSONL", "Transformation": "NONE"},
    }
    assert mapped["ResultPath"] == "$.mapRun"
    assert mapped["Next"] == "Summarize the run"
    # S3 failing the manifest's read or the results' write is retried (the map again: finished rows replay); too many
    # failed items is not (the run stops, to be redriven).
    assert mapped["Retry"] == [
        {
            "ErrorEquals": ["States.ItemReaderFailed", "States.ResultWriterFailed"],
            "IntervalSeconds": 5,
            "MaxAttempts": 3,
            "BackoffRate": 2,
            "MaxDelaySeconds": 60,
            "JitterStrategy": "FULL",
        }
    ]
    processor = mapped["ItemProcessor"]
    # Standard children: one child's retries can outlast Express's five minutes (infra/workflows.py has the sum).
    assert processor["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    task = processor["States"][f"Reset batch ({kind})"]
    assert task["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke"
    # The reset function's batch contract: {"Items": [...], "BatchInput": {defaults}}.
    assert task["Parameters"] == {
        "FunctionName": "${" + function_id + ".Arn}",
        "Payload": {"Items.$": "$.Items", "BatchInput.$": "$.BatchInput.defaults"},
    }
    assert task["Retry"] == RETRIES


def test_bulk_workflow_ends_with_the_runs_summary(variant: Synthesized) -> None:
    definition = json.loads(render(variant.properties("BulkReset/StateMachine")["DefinitionString"]))
    summary_id = variant.logical_id("BulkReset/Summary/RunSummary/Function")
    task = definition["States"]["Summarize the run"]
    assert task["Parameters"] == {
        "FunctionName": "${" + summary_id + ".Arn}",
        "Payload": {
            "runId.$": "$.runId",
            "manifestKey.$": "$.manifestKey",  # the manifest's format gives each row's line
            "resultWriterDetails.$": "$.mapRun.ResultWriterDetails",
            "runInput.$": "$$.Execution.Input",
        },
    }
    assert task["OutputPath"] == "$.Payload"  # the summary is the execution's output
    assert task["Next"] == "Every row finished?"
    # The Lambda service's own failures, then the function's own (an S3 error it could not get past): a few tries,
    # spread out. States.TaskFailed matches any error, so it comes last.
    assert task["Retry"] == [
        *RETRIES[1:],
        {
            "ErrorEquals": ["States.TaskFailed"],
            "IntervalSeconds": 10,
            "MaxAttempts": 3,
            "BackoffRate": 2,
            "MaxDelaySeconds": 60,
            "JitterStrategy": "FULL",
        },
    ]


def test_a_run_with_unfinished_rows_fails_with_its_summary_as_the_cause(variant: Synthesized) -> None:
    states = json.loads(render(variant.properties("BulkReset/StateMachine")["DefinitionString"]))["States"]
    assert states["Every row finished?"] == {
        "Type": "Choice",
        "Choices": [{"Variable": "$.complete", "BooleanEquals": True, "Next": "Run finished"}],
        "Default": "Run unfinished",
    }
    assert states["Run finished"] == {"Type": "Succeed"}  # its output, the summary, is the execution's
    # Never SUCCEEDED with users left over: FAILED, the cause the summary object's s3:// URI (its rows are there).
    assert states["Run unfinished"] == {"Type": "Fail", "Error": "RunUnfinished", "CausePath": "$.summary"}


def test_run_summary_reads_results_and_writes_only_summaries(variant: Synthesized) -> None:
    bucket = "${" + variant.logical_id("BulkReset/Bucket") + ".Arn}"
    role_id = variant.logical_id("BulkReset/Summary/RunSummary/Role")
    log_group = "${" + variant.logical_id("BulkReset/Summary/RunSummary/LogGroup") + ".Arn}"
    # The run's end goes to the stack's one bus: its own, or the account's default bus where the deployer chose it.
    own = variant.of_type("AWS::Events::EventBus")
    bus = (
        "${" + next(iter(own)) + ".Arn}"
        if own
        else f"arn:{variant.partition}:events:{variant.region}:${{AWS::AccountId}}:event-bus/default"
    )
    assert variant.role_permissions(role_id) == grants(
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [log_group]),
        allow(["s3:GetObject"], [f"{bucket}/results/*"]),
        allow(["s3:PutObject"], [f"{bucket}/results/*/summary.json"]),
        allow(["events:PutEvents"], [bus]),
    )


def test_single_and_bulk_workflows_retry_the_same_way(variant: Synthesized) -> None:
    assert _definition(variant)["States"]["Reset user"]["Retry"] == RETRIES


def test_bulk_role_reads_manifests_writes_results_and_runs_only_its_own_children(variant: Synthesized) -> None:
    role_id = variant.logical_id("BulkReset/StateMachine/Role")
    function_id = variant.logical_id("Reset/ResetPassword/Function")
    summary_id = variant.logical_id("BulkReset/Summary/RunSummary/Function")
    machine = variant.logical_id("BulkReset/StateMachine")
    objects = "arn:${AWS::Partition}:s3:::${" + variant.logical_id("BulkReset/Bucket") + "}/*"
    executions = f"arn:{variant.partition}:states:{variant.region}:${{AWS::AccountId}}:execution:" + json.dumps(
        {"Fn::Select": [6, {"Fn::Split": [":", "${" + machine + "}"]}]}
    )
    permissions = variant.role_permissions(role_id)
    assert permissions == grants(
        allow(["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"], [objects]),
        allow(["s3:GetObject"], [objects]),
        allow(["lambda:InvokeFunction"], ["${" + function_id + ".Arn}", "${" + function_id + ".Arn}:*"]),
        allow(["lambda:InvokeFunction"], ["${" + summary_id + ".Arn}", "${" + summary_id + ".Arn}:*"]),
        allow(
            [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            ["*"],
        ),
        allow(
            ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
            ["*"],
        ),
        allow(["states:StartExecution"], ["${" + machine + "}"]),
        allow(["states:DescribeExecution", "states:StopExecution"], [executions + ":*"]),
        allow(["states:RedriveExecution"], [executions + "/*:*"]),
    )


def test_bulk_bucket_is_private_tls_only_and_kept(variant: Synthesized) -> None:
    bucket_id = variant.logical_id("BulkReset/Bucket")
    bucket = variant.resources[bucket_id]
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    # The run's evidence: every version kept for 90 days after it is replaced, every access logged for 400 days.
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert render(properties["LifecycleConfiguration"]) == {
        "Rules": [
            {
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                "Status": "Enabled",
            }
        ]
    }
    logs_id = variant.logical_id("BulkReset/AccessLogs")
    assert render(properties["LoggingConfiguration"]) == {
        "DestinationBucketName": "${" + logs_id + "}",
        "LogFilePrefix": "bulk/",
    }
    logs = variant.resources[logs_id]
    assert logs["DeletionPolicy"] == "Retain"
    assert render(logs["Properties"]["LifecycleConfiguration"]) == {
        "Rules": [{"ExpirationInDays": 400, "Status": "Enabled"}]
    }
    assert logs["Properties"]["PublicAccessBlockConfiguration"] == properties["PublicAccessBlockConfiguration"]
    assert logs["Properties"]["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policies = {
        render(body["Properties"]["Bucket"]): body for body in variant.of_type("AWS::S3::BucketPolicy").values()
    }
    assert set(policies) == {"${" + bucket_id + "}", "${" + logs_id + "}"}
    [statement] = render(policies["${" + bucket_id + "}"]["Properties"]["PolicyDocument"]["Statement"])
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The log bucket: TLS only, and only S3's logging service may write, only the bulk bucket's logs, only here.
    deny_insecure, allow_logging = render(policies["${" + logs_id + "}"]["Properties"]["PolicyDocument"]["Statement"])
    assert (deny_insecure["Effect"], deny_insecure["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert allow_logging == {
        "Action": "s3:PutObject",
        "Condition": {
            "ArnLike": {"aws:SourceArn": "${" + bucket_id + ".Arn}"},
            "StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"},
        },
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Resource": "${" + logs_id + ".Arn}/bulk/*",
    }
