"""The storm cap end to end: N+k reset requests put on the bus at once (a compromised integration), N users reset and
mailed, k refused with RESET_CAP_REACHED and waiting in the failed-request queue, and the stack's own alarm, as
synthesized, in ALARM on what the function emitted. A bulk run right after is not held back by the cap.

The local system plays no CloudWatch: the alarm is judged here from the template's definition (its namespace,
metric, dimensions, statistic and threshold) against the embedded-metric records the function printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.results import FailureReason
from contracts.telemetry import REASON_DIMENSION, RESET_FAILED
from local_aws.harness.pool import add_user
from local_aws.harness.synth import SynthesizedStack, synthesize
from local_aws.harness.system import LocalSystem
from tests.e2e.conftest import BREACH_SCALE, running_with_users

CAP = 6
ASKED = CAP + 3


@pytest.fixture(scope="module")
def capped_stack() -> SynthesizedStack:
    return synthesize({"eventResetsPerHour": CAP})


@pytest.fixture
def capped_system(
    capped_stack: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalSystem]:
    yield from running_with_users(capped_stack, tmp_path / "outbox", monkeypatch, sending=BREACH_SCALE)


def emitted_metrics(output: str) -> list[dict[str, Any]]:
    """The embedded-metric records (CloudWatch's EMF) among what the functions printed."""
    records = []
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record:
            records.append(record)
    return records


def alarm_state(alarm: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """ALARM when the metric's Sum over what was emitted reaches the alarm's threshold (one period, as synthesized)."""
    properties = alarm["Properties"]
    assert properties["Statistic"] == "Sum"
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    wanted = {item["Name"]: item["Value"] for item in properties["Dimensions"]}
    total = 0.0
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            if directive["Namespace"] != properties["Namespace"]:
                continue
            names = {metric["Name"] for metric in directive["Metrics"]}
            dimensions = {name: record.get(name) for group in directive["Dimensions"] for name in group}
            if properties["MetricName"] in names and dimensions == wanted:
                values = record[properties["MetricName"]]
                total += sum(values) if isinstance(values, list) else values
    return "ALARM" if total >= properties["Threshold"] else "OK"


def cap_alarm(template: dict[str, Any]) -> dict[str, Any]:
    [alarm] = [
        body
        for body in template["Resources"].values()
        if body["Type"] == "AWS::CloudWatch::Alarm"
        and body["Properties"]["MetricName"] == RESET_FAILED
        and {"Name": REASON_DIMENSION, "Value": FailureReason.RESET_CAP_REACHED} in body["Properties"]["Dimensions"]
    ]
    assert isinstance(alarm, dict)
    return alarm


def test_n_plus_k_events_reset_n_refuse_k_and_the_alarm_fires(
    capped_system: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    system = capped_system
    names = [f"integration-victim-{index}" for index in range(ASKED)]
    for name in names:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    alarm = cap_alarm(system.synthesized.template)
    capsys.readouterr()

    for name in names:
        system.put_reset_request({"username": name, "requestId": f"siem-{name}"})
    system.emulation.events.drain()

    statuses = {name: system.user_status(name) for name in names}
    reset = sorted(name for name, status in statuses.items() if status == "RESET_REQUIRED")
    assert len(reset) == CAP
    mailed = sorted(message.username for message in system.outbox.messages)
    assert mailed == reset  # one message per reset user, none for the others
    sqs = system.aws.client("sqs")
    queued = sqs.receive_message(QueueUrl=system.stack.failed_requests_queue_url, MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(message["Body"]) for message in queued]
    assert sorted(record["requestPayload"]["detail"]["username"] for record in records) == sorted(
        set(names) - set(reset)
    )
    assert {record["responsePayload"]["reason"] for record in records} == {FailureReason.RESET_CAP_REACHED}
    # Answered, not raised: EventBridge and Lambda retried nothing, so retries spent none of the cap.
    assert len(system.emulation.events.delivered) == ASKED
    assert alarm_state(alarm, emitted_metrics(capsys.readouterr().out)) == "ALARM"


def test_the_alarm_stays_quiet_under_the_cap_and_a_bulk_run_is_not_held_back(
    capped_system: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    system = capped_system
    names = [f"breach-user-{index}" for index in range(CAP + 4)]
    for name in names:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    alarm = cap_alarm(system.synthesized.template)
    capsys.readouterr()

    for name in names[:CAP]:
        system.put_reset_request({"username": name})
    system.emulation.events.drain()
    quiet = alarm_state(alarm, emitted_metrics(capsys.readouterr().out))
    summary = system.run_bulk("\n".join(json.dumps({"username": name}) for name in names[CAP:]), run_id="after-cap")

    assert quiet == "OK"
    assert summary["status"] == "SUCCEEDED", summary
    assert all(system.user_status(name) == "RESET_REQUIRED" for name in names)
