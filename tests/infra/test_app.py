"""The app as a whole: cdk-nag gates the synth, settings errors stop it with a clear message, Regions must agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from infra.application import STACK_NAME, build_app
from tests.infra.conftest import PROJECT_ROOT, REQUESTERS, shipped_context

NAMED = {"resetRequesters": list(REQUESTERS)}


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    app = build_app({**shipped_context(), **NAMED, "aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
    # A queue without TLS enforcement and without a dead-letter queue: AwsSolutions-SQS3 and -SQS4.
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, cdk.Stack)
    sqs.Queue(stack, "CarelessQueue")

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()

    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules


def test_an_existing_pool_puts_the_stack_in_its_region_whatever_the_cli_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDK_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    existing = build_app({"existingUserPoolId": "eu-west-1_AbC123xyz", **NAMED, "aws:cdk:bundling-stacks": []})
    new = build_app({**NAMED, "aws:cdk:bundling-stacks": []})

    def region(app: cdk.App) -> str:
        stack = app.node.find_child(STACK_NAME)
        assert isinstance(stack, cdk.Stack)
        return stack.region

    assert region(existing) == "eu-west-1"
    assert region(new) == "us-east-1"


def test_app_py_stops_with_the_settings_errors_and_no_traceback(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    environment["CDK_CONTEXT_JSON"] = json.dumps({"rateBudget": "fast", "cooldownSeconds": -5})
    environment["CDK_OUTDIR"] = str(tmp_path)

    completed = subprocess.run(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=False
    )

    assert completed.returncode == 1
    assert "error: invalid settings in CDK context:" in completed.stderr
    assert "rateBudget: must be a number, got 'fast'" in completed.stderr
    assert "cooldownSeconds: must be 0 (off) to 86400 seconds, got -5" in completed.stderr
    assert "Traceback" not in completed.stderr
