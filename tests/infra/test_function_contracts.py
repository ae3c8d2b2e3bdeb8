"""What the stack assumes about the functions, checked against the functions' own code: handler entry points, the
environment variables they read, the error names Step Functions retries, the metrics the alarms watch."""

from __future__ import annotations

import importlib
import io
import json

import pytest

from contracts import environment as env
from contracts.telemetry import RESET_FAILED, TEMPLATE_FALLBACK
from custom_message.telemetry import Telemetry
from infra.workflows import TRANSIENT_RESET_ERRORS
from reset_password.outcomes import TransientResetError, UnclassifiedResetError
from tests.infra.conftest import Synthesized, render

# Each function's variables (tests/unit/contracts/test_environment_contract.py shows each one is read and changes
# the settings).
READ_BY: dict[str, frozenset[str]] = {
    "CustomMessage/CustomMessage/Function": env.CUSTOM_MESSAGE_VARIABLES,
    "Reset/ResetPassword/Function": env.RESET_FUNCTION_VARIABLES,
    "BulkReset/Summary/RunSummary/Function": env.RUN_SUMMARY_VARIABLES,
}


def handler_of(properties: dict[str, object]) -> object:
    module, _, function = str(properties["Handler"]).rpartition(".")
    return getattr(importlib.import_module(module), function)


@pytest.mark.parametrize("path", sorted(READ_BY))
def test_handlers_exist_and_every_variable_the_stack_sets_is_one_the_function_reads(
    new_pool: Synthesized, path: str
) -> None:
    properties = new_pool.properties(path)
    assert callable(handler_of(properties))
    assert set(properties["Environment"]["Variables"]) <= READ_BY[path]


def test_custom_resource_handler_exists(existing_pool: Synthesized) -> None:
    assert callable(handler_of(existing_pool.properties("UserPool/TriggerAttachment/Handler/Function")))


def test_the_retried_error_is_the_one_the_reset_function_raises() -> None:
    assert TransientResetError.__name__ in TRANSIENT_RESET_ERRORS
    assert UnclassifiedResetError.__name__ not in TRANSIENT_RESET_ERRORS


def test_template_fallback_alarm_matches_the_emf_the_trigger_writes(new_pool: Synthesized) -> None:
    variables = new_pool.properties("CustomMessage/CustomMessage/Function")["Environment"]["Variables"]
    stream = io.StringIO()
    telemetry = Telemetry(
        service=variables[env.POWERTOOLS_SERVICE_NAME],
        namespace=variables[env.POWERTOOLS_METRICS_NAMESPACE],
        stream=stream,
    )

    telemetry.log("WARNING", "fell back", metrics={TEMPLATE_FALLBACK: 1})

    record = json.loads(stream.getvalue())
    [directive] = record["_aws"]["CloudWatchMetrics"]
    emitted_dimensions = {name: record[name] for names in directive["Dimensions"] for name in names}
    [alarm] = [
        render(body["Properties"])
        for body in new_pool.of_type("AWS::CloudWatch::Alarm").values()
        if body["Properties"].get("MetricName") == TEMPLATE_FALLBACK
    ]
    assert alarm["Namespace"] == directive["Namespace"]
    assert {item["Name"]: item["Value"] for item in alarm["Dimensions"]} == emitted_dimensions
    assert TEMPLATE_FALLBACK in {metric["Name"] for metric in directive["Metrics"]}


def test_trigger_rejected_alarm_matches_the_emf_the_reset_function_writes(
    new_pool: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    from contracts.results import FailureReason, ResetStatus
    from reset_password.observability import report_outcome
    from reset_password.outcomes import ResetResult

    report_outcome(
        ResetResult("alice", "eu-west-1_AbC123xyz", ResetStatus.FAILED, reason=FailureReason.TRIGGER_REJECTED),
        source="direct",
    )

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [record] = [record for record in records if RESET_FAILED in record]
    [directive] = record["_aws"]["CloudWatchMetrics"]
    emitted_dimensions = {name: record[name] for names in directive["Dimensions"] for name in names}
    [alarm] = [
        render(body["Properties"])
        for body in new_pool.of_type("AWS::CloudWatch::Alarm").values()
        if body["Properties"].get("MetricName") == RESET_FAILED
        and {"Name": "Reason", "Value": "TRIGGER_REJECTED"} in body["Properties"]["Dimensions"]
    ]
    assert alarm["Namespace"] == directive["Namespace"]
    assert {item["Name"]: item["Value"] for item in alarm["Dimensions"]} == emitted_dimensions
