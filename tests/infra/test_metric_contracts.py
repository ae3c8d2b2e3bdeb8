"""The TemplateFallback alarm watches exactly the metric the custom message trigger emits, configured as deployed."""

from __future__ import annotations

import io
import json

from custom_message.telemetry import TEMPLATE_FALLBACK, Telemetry
from tests.infra.conftest import Synthesized, render


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
