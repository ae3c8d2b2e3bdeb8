"""Delivery events (infra/delivery_events.py): a new pool that sends through SES sends through a configuration set that
publishes delivery, bounce and complaint events to the default bus; the stack's rule takes that set's events to a
function that may only read and count in the dedupe table; the CLI finds the counts by an output. An existing pool
gets the rule and the counting for the set it names, read at deploy time, and no set of the stack's. A new pool
without SES gets none of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint
from moto.events.models import EventPattern
from moto.events.utils import EventMessageType

from contracts import environment as env
from contracts import stack as outputs
from contracts.custom_resources import CONFIGURATION_SET_KEY, NO_CONFIGURATION_SET
from contracts.delivery_events import CONFIGURATION_SET_TAG, DETAIL_TYPE, SOURCE
from infra.delivery_events import OTHER_REGION_WARNING, DeliveryEvents
from tests.infra.conftest import Synthesized, allow, grants, nag_findings, named_settings, render, synthesize
from tests.infra.test_both_variants import CFN_LINT_IGNORED
from tests.infra.test_function_contracts import handler_of

SES_SETTINGS = {
    "sesFromAddress": "no-reply@mail.example.com",
    "sesFromName": "Example Security",
    "sesVerifiedDomain": "mail.example.com",
    "sesRegion": "eu-west-1",
}


@pytest.fixture(scope="module")
def ses_pool(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The shipped defaults with a new pool that sends through its own SES identity."""
    return synthesize(tmp_path_factory.mktemp("ses-pool"), **SES_SETTINGS)


def ref(synthesized: Synthesized, path: str, attribute: str | None = None) -> str:
    logical_id = synthesized.logical_id(path)
    return "${" + logical_id + (f".{attribute}" if attribute else "") + "}"


def test_the_pools_e_mail_goes_through_a_set_that_publishes_to_the_default_bus(ses_pool: Synthesized) -> None:
    configuration_set = ref(ses_pool, "DeliveryEvents/ConfigurationSet")
    [destination] = [
        render(body["Properties"]) for body in ses_pool.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    ]
    pool = render(ses_pool.properties("UserPool/UserPool"))

    assert pool["EmailConfiguration"]["ConfigurationSet"] == configuration_set
    assert destination == {
        "ConfigurationSetName": configuration_set,
        "EventDestination": {
            "Enabled": True,
            # SES API Reference v2, EventBridgeDestination: the default bus only.
            "EventBridgeDestination": {
                "EventBusArn": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
            },
            "MatchingEventTypes": ["delivery", "bounce", "complaint"],
        },
    }


def test_the_rule_takes_the_sets_events_from_the_default_bus_to_the_counting_function(ses_pool: Synthesized) -> None:
    rule = render(ses_pool.properties("DeliveryEvents/Rule"))

    assert "EventBusName" not in rule  # the default bus
    assert rule["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": ["Email Delivered", "Email Bounced", "Email Complaint Received"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [ref(ses_pool, "DeliveryEvents/ConfigurationSet")]}}},
    }
    [target] = rule["Targets"]
    assert target["Arn"] == ref(ses_pool, "DeliveryEvents/Counting/Function", "Arn")
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 21_600, "MaximumRetryAttempts": 8}


def test_an_existing_pools_rule_takes_the_events_of_the_set_the_pool_names_at_deploy_time(
    existing_pool: Synthesized,
) -> None:
    rule = render(existing_pool.properties("DeliveryEvents/Rule"))
    pools_set = ref(existing_pool, "UserPool/TriggerAttachment/EmailSendingAccount", CONFIGURATION_SET_KEY)

    assert "EventBusName" not in rule  # the default bus, the only one SES publishes to
    assert rule["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": ["Email Delivered", "Email Bounced", "Email Complaint Received"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [pools_set]}}},
    }
    [target] = rule["Targets"]
    assert target["Arn"] == ref(existing_pool, "DeliveryEvents/Counting/Function", "Arn")


def ses_event(detail_type: str, configuration_set: str) -> EventMessageType:
    """An SES event on the default bus (EventBridge events reference, "Amazon SES events"), trimmed to what the rule
    reads."""
    mail = {"messageId": "0100018c-example", "tags": {CONFIGURATION_SET_TAG: [configuration_set]}}
    event = {"source": SOURCE, "detail-type": detail_type, "account": "123456789012", "detail": {"mail": mail}}
    return cast(EventMessageType, event)


def deployed_pattern(synthesized: Synthesized, pools_set: str) -> EventPattern:
    """The existing pool's rule as deployed, with the configuration set the pool was read to name."""
    reader = synthesized.logical_id("UserPool/TriggerAttachment/EmailSendingAccount")

    def resolve(value: Any) -> Any:
        if value == {"Fn::GetAtt": [reader, CONFIGURATION_SET_KEY]}:
            return pools_set
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    return EventPattern.load(json.dumps(resolve(synthesized.properties("DeliveryEvents/Rule")["EventPattern"])))


@pytest.mark.parametrize("detail_type", DETAIL_TYPE.values())
def test_an_existing_pools_rule_matches_its_sets_events_and_nothing_when_it_has_none(
    existing_pool: Synthesized, detail_type: str
) -> None:
    named = deployed_pattern(existing_pool, "transactional")
    none = deployed_pattern(existing_pool, NO_CONFIGURATION_SET)  # the reader's answer for a pool without a set

    assert named.matches_event(ses_event(detail_type, "transactional"))
    assert not named.matches_event(ses_event(detail_type, "marketing"))
    # SES tags a message with its set's name, never "" (1 to 64 characters): with no set, nothing is counted.
    assert not any(none.matches_event(ses_event(detail_type, name)) for name in ("transactional", "marketing"))


@pytest.mark.parametrize("variant_name", ["ses_pool", "existing_pool"])
def test_the_counting_function_may_only_read_and_count_in_the_dedupe_table(
    variant_name: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant_name)
    role = synthesized.logical_id("DeliveryEvents/Counting/Role")
    function = render(synthesized.properties("DeliveryEvents/Counting/Function"))

    assert synthesized.role_permissions(role) == grants(
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [ref(synthesized, "DeliveryEvents/Counting/LogGroup", "Arn")],
        ),
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [ref(synthesized, "Reset/IdempotencyTable", "Arn")],
        ),
    )
    assert callable(handler_of(synthesized.properties("DeliveryEvents/Counting/Function")))
    assert set(function["Environment"]["Variables"]) <= env.DELIVERY_EVENTS_VARIABLES
    assert function["Environment"]["Variables"][env.IDEMPOTENCY_TABLE_NAME] == ref(
        synthesized, "Reset/IdempotencyTable"
    )


@pytest.mark.parametrize("variant_name", ["ses_pool", "existing_pool", "new_pool"])
def test_eventbridge_invokes_the_counting_function_only_from_its_rule_and_nothing_else_from_it(
    variant_name: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant_name)
    from_rules = {
        (render(body["Properties"]["FunctionName"]), render(body["Properties"]["SourceArn"]))
        for body in synthesized.of_type("AWS::Lambda::Permission").values()
        if body["Properties"]["Principal"] == "events.amazonaws.com"
    }

    requests = (ref(synthesized, "Reset/ResetPassword/Function", "Arn"), ref(synthesized, "Requests/Rule", "Arn"))
    if variant_name == "new_pool":  # Cognito's own sender: nothing to count
        assert from_rules == {requests}
    else:
        counting = (
            ref(synthesized, "DeliveryEvents/Counting/Function", "Arn"),
            ref(synthesized, "DeliveryEvents/Rule", "Arn"),
        )
        assert from_rules == {requests, counting}


def test_the_reset_function_records_a_runs_recipients_only_where_they_are_counted(
    ses_pool: Synthesized, existing_pool: Synthesized, new_pool: Synthesized
) -> None:
    counted = [
        variant.properties("Reset/ResetPassword/Function")["Environment"]["Variables"].get(env.DELIVERY_EVENTS_COUNTED)
        for variant in (ses_pool, existing_pool, new_pool)
    ]

    assert counted == ["true", "true", None]


@pytest.mark.parametrize("variant_name", ["ses_pool", "existing_pool"])
def test_the_cli_finds_the_counts_by_an_output(variant_name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant_name)
    output = synthesized.template["Outputs"][outputs.DELIVERY_COUNTS_TABLE_NAME]

    assert render(output["Value"]) == ref(synthesized, "Reset/IdempotencyTable")
    assert output["Description"]


def test_the_ses_deployment_is_nag_and_lint_clean(ses_pool: Synthesized) -> None:
    assert not nag_findings(ses_pool.outdir)
    config = ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=["us-east-1", "eu-west-1"])
    matches = lint(ses_pool.template_path.read_text(), config=config)
    assert not matches, "\n".join(str(match) for match in matches)


def test_without_ses_nothing_is_published_or_counted(new_pool: Synthesized) -> None:
    for resource_type in ("AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination"):
        assert not new_pool.of_type(resource_type)
    assert outputs.DELIVERY_COUNTS_TABLE_NAME not in new_pool.template["Outputs"]
    reset = new_pool.properties("Reset/ResetPassword/Function")["Environment"]["Variables"]
    assert env.DELIVERY_EVENTS_COUNTED not in reset
    assert not any(
        body["Properties"].get("EventPattern", {}).get("source") == [SOURCE]
        for body in new_pool.of_type("AWS::Events::Rule").values()
    )


def test_an_existing_pool_is_counted_but_given_no_configuration_set(existing_pool: Synthesized) -> None:
    # Its ConfigurationSet, and where that set publishes, stay the deployer's: the stack only reads the set's name.
    for resource_type in ("AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination"):
        assert not existing_pool.of_type(resource_type)
    assert existing_pool.logical_id("DeliveryEvents/Rule") in existing_pool.of_type("AWS::Events::Rule")
    assert existing_pool.logical_id("DeliveryEvents/Counting/Function") in existing_pool.of_type(
        "AWS::Lambda::Function"
    )


def test_a_stack_outside_the_ses_region_creates_no_set_and_says_so(tmp_path: Path) -> None:
    settings = named_settings(SES_SETTINGS)
    elsewhere = cdk.Stack(cdk.App(), "Elsewhere", env=cdk.Environment(region="us-east-1"))
    here = cdk.Stack(cdk.App(), "Here", env=cdk.Environment(region="eu-west-1"))

    away, home = (
        DeliveryEvents(elsewhere, "DeliveryEvents", settings=settings),
        DeliveryEvents(here, "D", settings=settings),
    )

    assert (away.configuration_set_name, home.configuration_set_name is not None) == (None, True)
    assert [entry.data for entry in away.node.metadata if entry.type == "aws:cdk:warning"] == [
        f"{OTHER_REGION_WARNING} [ack: cognito-admin-reset:ses-other-region]"
    ]
