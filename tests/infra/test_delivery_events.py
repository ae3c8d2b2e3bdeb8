"""Delivery events (infra/delivery_events.py): a new pool that sends through SES sends through a configuration set that
publishes delivery, bounce and complaint events to the default bus; the stack's rule takes that set's events to a
function that may only read and count in the dedupe table; the CLI finds the counts by an output. Without SES, or
for an existing pool, none of it."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint

from contracts import environment as env
from contracts import stack as outputs
from infra.delivery_events import OTHER_REGION_WARNING, DeliveryEvents
from infra.settings import Settings
from tests.infra.conftest import Synthesized, allow, grants, nag_findings, render, synthesize
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


def test_the_counting_function_may_only_read_and_count_in_the_dedupe_table(ses_pool: Synthesized) -> None:
    role = ses_pool.logical_id("DeliveryEvents/Counting/Role")
    function = render(ses_pool.properties("DeliveryEvents/Counting/Function"))

    assert ses_pool.role_permissions(role) == grants(
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [ref(ses_pool, "DeliveryEvents/Counting/LogGroup", "Arn")]
        ),
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [ref(ses_pool, "Reset/IdempotencyTable", "Arn")],
        ),
    )
    assert callable(handler_of(ses_pool.properties("DeliveryEvents/Counting/Function")))
    assert set(function["Environment"]["Variables"]) <= env.DELIVERY_EVENTS_VARIABLES
    assert function["Environment"]["Variables"][env.IDEMPOTENCY_TABLE_NAME] == ref(ses_pool, "Reset/IdempotencyTable")


def test_the_reset_function_records_a_runs_recipients_only_where_they_are_counted(
    ses_pool: Synthesized, new_pool: Synthesized
) -> None:
    counted = ses_pool.properties("Reset/ResetPassword/Function")["Environment"]["Variables"]
    not_counted = new_pool.properties("Reset/ResetPassword/Function")["Environment"]["Variables"]

    assert (counted.get(env.DELIVERY_EVENTS_COUNTED), not_counted.get(env.DELIVERY_EVENTS_COUNTED)) == ("true", None)


def test_the_cli_finds_the_counts_by_an_output(ses_pool: Synthesized) -> None:
    output = ses_pool.template["Outputs"][outputs.DELIVERY_COUNTS_TABLE_NAME]

    assert render(output["Value"]) == ref(ses_pool, "Reset/IdempotencyTable")
    assert output["Description"]


def test_the_ses_deployment_is_nag_and_lint_clean(ses_pool: Synthesized) -> None:
    assert not nag_findings(ses_pool.outdir)
    config = ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=["us-east-1", "eu-west-1"])
    matches = lint(ses_pool.template_path.read_text(), config=config)
    assert not matches, "\n".join(str(match) for match in matches)


@pytest.mark.parametrize("variant_name", ["new_pool", "existing_pool"])
def test_without_ses_or_for_an_existing_pool_nothing_is_published_or_counted(
    variant_name: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant_name)

    for resource_type in ("AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination"):
        assert not synthesized.of_type(resource_type)
    assert outputs.DELIVERY_COUNTS_TABLE_NAME not in synthesized.template["Outputs"]
    reset = synthesized.properties("Reset/ResetPassword/Function")["Environment"]["Variables"]
    assert env.DELIVERY_EVENTS_COUNTED not in reset


def test_a_stack_outside_the_ses_region_creates_no_set_and_says_so(tmp_path: Path) -> None:
    settings = Settings.from_context(SES_SETTINGS)
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
