"""SES's event publishing as the local system plays it, without a server: the configuration set's destinations read
from the template, the records SES publishes for each mailbox simulator scenario, the simulator's place in the
sending limits, and the events put on the default bus only for mail sent through a pool's configuration set (Amazon
SES Developer Guide, "Monitoring email sending using Amazon SES event publishing", "Using the mailbox simulator")."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from contracts.delivery_events import DETAIL_TYPE
from local_aws.emulation.cognito import SentMessage
from local_aws.emulation.delivery import EMAIL, Channels, DeliverySettings, SesAccount, mailbox_simulator_scenario
from local_aws.emulation.eventbridge import Delivery, DeliveryAttempt
from local_aws.emulation.lambda_runtime import Invocation, LocalFunction
from local_aws.emulation.ses_events import SesEventDestination, SesEvents, event_records
from local_aws.harness.local import outcome_line
from tests.unit.local_aws.emulation.test_cognito_delivery import Clock, Pool

REGION, ACCOUNT = "eu-west-1", "123456789012"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
SOURCE_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/mail.example.com"


def records(address: str) -> list[tuple[str, dict[str, Any]]]:
    return list(
        event_records(
            address, configuration_set="set", source="no-reply@mail.example.com", source_arn=SOURCE_ARN,
            account_id=ACCOUNT,
        )
    )  # fmt: skip


@pytest.mark.parametrize(
    ("address", "scenario"),
    [
        ("bounce@simulator.amazonses.com", "bounce"),
        ("Complaint+lena@Simulator.AmazonSES.com", "complaint"),
        ("success+1@simulator.amazonses.com", "success"),
        ("bounce@example.com", None),
        ("nobody@simulator.amazonses.com", None),
    ],
)
def test_the_mailbox_simulators_scenarios_keep_a_label(address: str, scenario: str | None) -> None:
    assert mailbox_simulator_scenario(address) == scenario


def test_what_ses_publishes_for_each_scenario() -> None:
    """EventBridge events reference, "Amazon SES events"; SES Developer Guide, "Using the mailbox simulator"."""
    bounced, delivered, complained = (
        records("bounce+a@simulator.amazonses.com"),
        records("lena@example.com"),
        records("complaint+b@simulator.amazonses.com"),
    )

    assert [event_type for event_type, _ in bounced] == ["BOUNCE"]
    assert bounced[0][1]["bounce"]["bouncedRecipients"][0]["emailAddress"] == "bounce+a@simulator.amazonses.com"
    assert bounced[0][1]["bounce"]["bounceType"] == "Permanent"
    assert [event_type for event_type, _ in delivered] == ["DELIVERY"]
    assert delivered[0][1]["delivery"]["recipients"] == ["lena@example.com"]
    assert [event_type for event_type, _ in complained] == ["DELIVERY", "COMPLAINT"]
    assert complained[1][1]["complaint"]["complainedRecipients"] == [
        {"emailAddress": "complaint+b@simulator.amazonses.com"}
    ]
    mail = complained[1][1]["mail"]
    assert (mail["tags"]["ses:configuration-set"], mail["destination"]) == (["set"], [mail["destination"][0]])
    assert complained[0][1]["mail"]["messageId"] == mail["messageId"]  # one message, two events


def test_the_simulator_receives_in_the_sandbox_and_counts_toward_the_rate_not_the_daily_quota() -> None:
    clock = Clock()
    channels = Channels(
        DeliverySettings(ses=SesAccount(sandbox=True, max_24_hour_send=1, max_send_rate=1)), clock=clock
    )
    pool = Pool({"EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"}})

    assert channels.admit(pool, EMAIL, "bounce@simulator.amazonses.com") is None
    with pytest.raises(Exception, match="Maximum sending rate exceeded"):
        channels.admit(pool, EMAIL, "success@simulator.amazonses.com")
    clock.now = 1.0
    assert channels.admit(pool, EMAIL, "success@simulator.amazonses.com") is None
    assert channels.sent_last_24_hours() == 0


def test_a_destination_reads_cloudformations_event_type_names_as_api_v2s() -> None:
    destination = SesEventDestination.of_template(
        {
            "ConfigurationSetName": "set",
            "EventDestination": {
                "Enabled": True,
                "MatchingEventTypes": ["delivery", "renderingFailure", "COMPLAINT"],
                "EventBridgeDestination": {"EventBusArn": BUS},
            },
        }
    )

    assert destination == SesEventDestination("set", frozenset({"DELIVERY", "RENDERING_FAILURE", "COMPLAINT"}), BUS)


def sent(address: str, undelivered: str | None = None) -> SentMessage:
    return SentMessage(
        "lena", "CustomMessage_ForgotPassword", address, "s", "<p>x</p>", "x", True, True, None, "1", undelivered
    )


def through(configuration_set: str | None, account: str = "DEVELOPER") -> Pool:
    email = {"EmailSendingAccount": account, "SourceArn": SOURCE_ARN, "From": "Example <no-reply@mail.example.com>"}
    return Pool({"EmailConfiguration": email | ({"ConfigurationSet": configuration_set} if configuration_set else {})})


@mock_aws
def test_events_are_put_on_the_default_bus_only_for_mail_sent_through_the_pools_configuration_set() -> None:
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    events.put_rule(Name="ses", EventPattern=json.dumps({"source": ["aws.ses"]}))
    events.put_targets(Rule="ses", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:seen"}])
    publishing = SesEvents([SesEventDestination("set", frozenset({"DELIVERY", "COMPLAINT"}), BUS)])

    put = publishing.publish(through("set"), sent("complaint@simulator.amazonses.com"))
    unmatched = publishing.publish(through("set"), sent("bounce@simulator.amazonses.com"))  # BOUNCE not matched
    others = [
        publishing.publish(through(None), sent("lena@example.com")),
        publishing.publish(through("other-set"), sent("lena@example.com")),
        publishing.publish(through("set", "COGNITO_DEFAULT"), sent("lena@example.com")),
        publishing.publish(through("set"), sent("lena@example.com", undelivered="sandbox")),
    ]

    assert [entry["DetailType"] for entry in put] == [DETAIL_TYPE["DELIVERY"], DETAIL_TYPE["COMPLAINT"]]
    assert (unmatched, others) == ([], [[], [], [], []])
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    assert sorted((body["detail-type"], body["detail"]["eventType"]) for body in bodies) == [
        ("Email Complaint Received", "Complaint"),
        ("Email Delivered", "Delivery"),
    ]
    assert {body["resources"][0] for body in bodies} == {f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/set"}


def test_make_local_prints_an_ses_event_as_its_counts_never_its_address() -> None:
    function = LocalFunction("counting", "delivery_events.handler.lambda_handler")
    event = {"id": "e-1", "source": "aws.ses", "detail-type": "Email Bounced", "detail": records("zq9@x.example")[0][1]}
    answer = Invocation({"event_type": "Delivery", "counted": {"drill-1": 1}, "repeated": 0, "not_a_runs": 0})

    line = outcome_line(DeliveryAttempt(Delivery(function, event), answer, attempt=1, attempts=3))

    assert line.endswith('event e-1 from aws.ses: Email Bounced: counted for runs {"drill-1": 1} (repeated 0)')
    assert "zq9" not in line
