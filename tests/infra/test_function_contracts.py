"""What the stack assumes about the functions, checked against the functions' own code: handler entry points, the
environment variables they read, the error names Step Functions retries, the metric the fallback alarm watches."""

from __future__ import annotations

import ast
import io
import json

import pytest

from custom_message.telemetry import TEMPLATE_FALLBACK, Telemetry
from infra.workflows import TRANSIENT_RESET_ERRORS
from reset_password.outcomes import TransientResetError, UnclassifiedResetError
from tests.infra.conftest import PROJECT_ROOT, Synthesized, render

FUNCTIONS = PROJECT_ROOT / "functions"
# Read by the Powertools runtime itself rather than by our code.
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def package_source(package: str) -> str:
    return "\n".join(path.read_text() for path in sorted((FUNCTIONS / package).rglob("*.py")))


@pytest.mark.parametrize("path", ["CustomMessage/CustomMessage/Function", "Reset/ResetPassword/Function"])
def test_handlers_exist_and_every_variable_the_stack_sets_is_read(new_pool: Synthesized, path: str) -> None:
    properties = new_pool.properties(path)
    module, _, function = properties["Handler"].rpartition(".")
    source_file = FUNCTIONS / (module.replace(".", "/") + ".py")
    tree = ast.parse(source_file.read_text())
    assert function in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    package = module.split(".")[0]
    source = package_source(package)
    for variable in set(properties["Environment"]["Variables"]) - POWERTOOLS_VARIABLES:
        assert f'"{variable}"' in source, f"{package} never reads {variable}"


def test_custom_resource_handler_exists(existing_pool: Synthesized) -> None:
    handler = existing_pool.properties("UserPool/TriggerAttachment/Handler/Function")["Handler"]
    module, _, function = handler.rpartition(".")
    tree = ast.parse((FUNCTIONS / (module.replace(".", "/") + ".py")).read_text())
    assert function in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_the_retried_error_is_the_one_the_reset_function_raises() -> None:
    assert TransientResetError.__name__ in TRANSIENT_RESET_ERRORS
    assert UnclassifiedResetError.__name__ not in TRANSIENT_RESET_ERRORS


def test_template_fallback_alarm_matches_the_emf_the_trigger_writes(new_pool: Synthesized) -> None:
    variables = new_pool.properties("CustomMessage/CustomMessage/Function")["Environment"]["Variables"]
    stream = io.StringIO()
    telemetry = Telemetry(
        service=variables["POWERTOOLS_SERVICE_NAME"], namespace=variables["POWERTOOLS_METRICS_NAMESPACE"], stream=stream
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
    from reset_password.observability import report_outcome
    from reset_password.outcomes import FailureReason, ResetResult, ResetStatus

    report_outcome(
        ResetResult("alice", "eu-west-1_AbC123xyz", ResetStatus.FAILED, reason=FailureReason.TRIGGER_REJECTED),
        source="direct",
    )

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [record] = [record for record in records if "ResetFailed" in record]
    [directive] = record["_aws"]["CloudWatchMetrics"]
    emitted_dimensions = {name: record[name] for names in directive["Dimensions"] for name in names}
    [alarm] = [
        render(body["Properties"])
        for body in new_pool.of_type("AWS::CloudWatch::Alarm").values()
        if body["Properties"].get("MetricName") == "ResetFailed"
    ]
    assert alarm["Namespace"] == directive["Namespace"]
    assert {item["Name"]: item["Value"] for item in alarm["Dimensions"]} == emitted_dimensions


def test_the_custom_resource_types_are_the_ones_the_handler_serves() -> None:
    from infra import pool_trigger_attachment as declared
    from pool_trigger_attachment import resource_types as served

    assert (declared.ATTACHMENT_TYPE, declared.DETACHMENT_TYPE, declared.EMAIL_SENDING_ACCOUNT_TYPE) == (
        served.CUSTOM_MESSAGE_TRIGGER,
        served.CUSTOM_MESSAGE_TRIGGER_DETACHMENT,
        served.EMAIL_SENDING_ACCOUNT,
    )
    assert served.EMAIL_SENDING_ACCOUNT_KEY == "EmailSendingAccount"  # the attribute the trigger's variable reads
