"""Configuration from the environment, and the JSON lines the trigger writes."""

from __future__ import annotations

import io
import json

from contracts import environment as env
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, MESSAGE_RENDERED, NAMESPACE, TEMPLATE_FALLBACK
from custom_message.settings import Settings
from custom_message.telemetry import Telemetry


def test_defaults_when_nothing_is_set() -> None:
    assert Settings.from_environment({}) == Settings(
        allowed_link_hosts=frozenset(),
        default_locale="en",
        default_brand="default",
        service_name=CUSTOM_MESSAGE_SERVICE,
        metrics_namespace=NAMESPACE,
        log_level="INFO",
    )


def test_every_variable_is_read_and_normalised() -> None:
    settings = Settings.from_environment(
        {
            env.ALLOWED_LINK_HOSTS: " Reset.Example.com,, login.example.org ,",
            env.DEFAULT_LOCALE: " pt_BR ",
            env.DEFAULT_BRAND: "acme",
            env.POWERTOOLS_SERVICE_NAME: "cm",
            env.POWERTOOLS_METRICS_NAMESPACE: "Ns",
            env.AWS_LAMBDA_LOG_LEVEL: "debug",
        }
    )
    assert settings.allowed_link_hosts == frozenset({"reset.example.com", "login.example.org"})
    assert (settings.default_locale, settings.default_brand) == ("pt-br", "acme")
    assert (settings.service_name, settings.metrics_namespace, settings.log_level) == ("cm", "Ns", "DEBUG")
    assert Settings.from_environment(
        {env.POWERTOOLS_LOG_LEVEL: "ERROR", env.AWS_LAMBDA_LOG_LEVEL: "DEBUG"}
    ).log_level == ("ERROR")


def test_blank_values_mean_the_default() -> None:
    blank = dict.fromkeys((env.DEFAULT_LOCALE, env.DEFAULT_BRAND, env.POWERTOOLS_SERVICE_NAME), "  ")
    assert Settings.from_environment(blank) == Settings()


def test_log_lines_respect_the_level_but_metrics_are_always_written() -> None:
    stream = io.StringIO()
    telemetry = Telemetry(service="svc", namespace="Ns", stream=stream, level="WARNING")

    telemetry.log("INFO", "dropped")
    telemetry.log("INFO", "kept for its metrics", metrics={MESSAGE_RENDERED: 1})
    telemetry.log("WARNING", "kept", cause="over_limit")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["kept for its metrics", "kept"]
    assert lines[1] == {
        "timestamp": lines[1]["timestamp"],
        "level": "WARNING",
        "service": "svc",
        "message": "kept",
        "cause": "over_limit",
    }
    assert lines[1]["timestamp"].endswith("Z")


def test_a_field_cannot_overwrite_a_metric_or_the_service_dimension() -> None:
    stream = io.StringIO()
    Telemetry(service="svc", namespace="Ns", stream=stream).log(
        "INFO", "m", metrics={TEMPLATE_FALLBACK: 2}, TemplateFallback=99, service="other"
    )

    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line[TEMPLATE_FALLBACK] == 2
    assert line["service"] == "svc"
    assert line["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": TEMPLATE_FALLBACK, "Unit": "Count"}]
