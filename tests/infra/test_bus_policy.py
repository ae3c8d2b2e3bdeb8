"""Who may put what on the request bus (infra/bus_policy.py), judged on the synthesized statements: a principal that is
not named cannot ask for a reset, and nobody but the stack's own roles can put its audit events.

The statements are read from the template and judged the way IAM judges a Deny (IAM User Guide, "Policy evaluation
logic"; "IAM JSON policy elements: Condition operators": every condition key must match, any value of a key may;
ArnLike compares each of an ARN's six colon-separated parts, with * and ? inside a part), for the principals that
matter: the named ones, their neighbours, another account's, and the stack's roles.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from contracts import stack as outputs
from contracts.events import (
    BULK_RUN_FINISHED,
    BULK_RUN_STARTED,
    BULK_RUN_STOPPED,
    RESET_COMPLETED,
    RESET_FAILED,
    RESET_FORCED,
    RESET_REQUESTED,
    RESET_UNCONFIRMED,
)
from infra.bus_policy import ANY_PRINCIPAL_NOTE
from infra.settings import Settings, SettingsError
from tests.infra.conftest import SIEM_ROLE_ARN, Synthesized, render, shipped_context, synthesize

SSO_OPERATOR = (
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_SecurityOps_0a1b2c3d4e5f"
)
SSO_DEVELOPER = (
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Developers_0a1b2c3d4e5f"
)
APPLICATION_ROLE = "arn:aws:iam::123456789012:role/orders-service"  # has events:PutEvents on '*', as many do
OTHER_ACCOUNT_SIEM = "arn:aws:iam::999999999999:role/siem-responder"
AUDIT_EVENTS = (RESET_COMPLETED, RESET_FAILED, RESET_FORCED, RESET_UNCONFIRMED)


def _arn_like(value: str, pattern: str) -> bool:
    if pattern.startswith("${"):  # a role of the stack, as the template names it: that role's ARN and nothing else
        return value == pattern
    values, patterns = value.split(":", 5), pattern.split(":", 5)
    return len(values) == len(patterns) == 6 and all(
        fnmatch.fnmatchcase(part, wanted) for part, wanted in zip(values, patterns, strict=True)
    )


def _matches(operator: str, value: str, wanted: list[str]) -> bool:
    match operator:
        case "StringEquals":
            return value in wanted
        case "ArnNotLike":
            return not any(_arn_like(value, pattern) for pattern in wanted)
    raise AssertionError(f"a condition operator this judge does not know: {operator}")


def _denies(statement: dict[str, Any], principal: str, detail_type: str) -> bool:
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "events:PutEvents"
    request = {"events:detail-type": detail_type, "aws:PrincipalArn": principal}
    return all(
        _matches(operator, request[key], [values] if isinstance(values, str) else values)
        for operator, keys in statement["Condition"].items()
        for key, values in keys.items()
    )


def bus_statements(variant: Synthesized) -> list[dict[str, Any]]:
    policies = variant.of_type("AWS::Events::EventBusPolicy").values()
    return [render(policy["Properties"]["Statement"]) for policy in policies]


def denied(variant: Synthesized, principal: str, detail_type: str) -> bool:
    return any(_denies(statement, principal, detail_type) for statement in bus_statements(variant))


def _roles(variant: Synthesized) -> tuple[str, str]:
    return (
        "${" + variant.logical_id("Reset/ResetPassword/Role") + ".Arn}",
        "${" + variant.logical_id("BulkReset/Summary/RunSummary/Role") + ".Arn}",
    )


def test_only_named_principals_may_ask_for_a_reset(variant: Synthesized) -> None:
    reset_role, summary_role = _roles(variant)

    for named in (SIEM_ROLE_ARN, SSO_OPERATOR):
        assert not denied(variant, named, RESET_REQUESTED), named
    for stranger in (SSO_DEVELOPER, APPLICATION_ROLE, OTHER_ACCOUNT_SIEM, reset_role, summary_role):
        assert denied(variant, stranger, RESET_REQUESTED), stranger


def test_only_the_stacks_own_roles_put_its_audit_events(variant: Synthesized) -> None:
    reset_role, summary_role = _roles(variant)

    for detail_type in AUDIT_EVENTS:
        assert not denied(variant, reset_role, detail_type)
        for forger in (SIEM_ROLE_ARN, SSO_OPERATOR, APPLICATION_ROLE, summary_role):
            assert denied(variant, forger, detail_type), (forger, detail_type)
    assert not denied(variant, summary_role, BULK_RUN_FINISHED)
    for forger in (reset_role, SIEM_ROLE_ARN, SSO_OPERATOR, APPLICATION_ROLE):
        assert denied(variant, forger, BULK_RUN_FINISHED), forger
    # A run's start and stop are the operators' (their CLI puts them): the named principals only.
    for detail_type in (BULK_RUN_STARTED, BULK_RUN_STOPPED):
        assert not denied(variant, SSO_OPERATOR, detail_type)
        assert denied(variant, APPLICATION_ROLE, detail_type)
        assert denied(variant, reset_role, detail_type)


def test_every_statement_is_on_the_request_bus_and_other_events_pass(variant: Synthesized) -> None:
    statements = bus_statements(variant)
    [bus_name] = {
        json.dumps(policy["Properties"]["EventBusName"])
        for policy in variant.of_type("AWS::Events::EventBusPolicy").values()
    }
    [bus_output] = [json.dumps(variant.template["Outputs"][outputs.EVENT_BUS_NAME]["Value"])]

    assert len(statements) == 4
    assert bus_name == bus_output  # the bus the stack's rule and functions use
    # The product binds its own detail-types only: the bus's other traffic is not its business.
    assert not denied(variant, APPLICATION_ROLE, "Order Placed")


def test_an_existing_bus_gets_statements_the_stack_adds_and_removes(existing_pool: Synthesized) -> None:
    policies = existing_pool.of_type("AWS::Events::EventBusPolicy").values()

    assert {policy["Properties"]["EventBusName"] for policy in policies} == {"default"}
    # Several stacks may add statements to the default bus: each id names this stack.
    ids = [policy["Properties"]["StatementId"] for policy in policies]
    assert all(sid.startswith("CognitoPasswordReset") and sid.isalnum() and len(sid) <= 64 for sid in ids)
    assert ids == [policy["Properties"]["Statement"]["Sid"] for policy in policies]
    assert {render(policy["Properties"]["Statement"])["Resource"] for policy in policies} == {
        "arn:aws:events:eu-west-1:${AWS::AccountId}:event-bus/default"
    }


def test_a_kept_bus_policy_is_left_alone_and_its_statements_are_an_output(tmp_path: Path) -> None:
    kept = synthesize(tmp_path, eventBusName="default", manageExistingBusPolicy=False)

    assert kept.of_type("AWS::Events::EventBusPolicy") == {}
    value = render(kept.template["Outputs"][outputs.REQUEST_BUS_POLICY_STATEMENTS]["Value"])
    statements = json.loads(value)["Statement"]
    assert [statement["Sid"] for statement in statements] == [
        "CognitoPasswordResetOnlyNamedRequestersAskForResets",
        "CognitoPasswordResetOnlyNamedRequestersAnnounceRuns",
        "CognitoPasswordResetOnlyTheResetFunctionReportsResets",
        "CognitoPasswordResetOnlyTheRunSummaryReportsRunEnds",
    ]
    assert any("RequestBusPolicyStatements" in warning for warning in kept.annotations("warning"))


def test_anyone_may_ask_only_when_told_and_synth_says_so(tmp_path: Path) -> None:
    open_bus = synthesize(tmp_path, resetRequesters=[], anyPrincipalMayRequestResets=True)

    assert not denied(open_bus, APPLICATION_ROLE, RESET_REQUESTED)
    reset_role, _ = _roles(open_bus)
    assert denied(open_bus, APPLICATION_ROLE, RESET_COMPLETED)  # the audit events stay the stack's own
    assert not denied(open_bus, reset_role, RESET_COMPLETED)
    assert any(warning.startswith(ANY_PRINCIPAL_NOTE) for warning in open_bus.annotations("warning"))


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ({}, "resetRequesters: name who may ask for resets"),
        ({"resetRequesters": []}, "or set anyPrincipalMayRequestResets=true"),
        (
            {"resetRequesters": "arn:aws:sts::123456789012:assumed-role/siem-responder/session-1"},
            "is a role's session: name the role itself",
        ),
        ({"resetRequesters": "*"}, "resetRequesters[0]: '*' is not an IAM role ARN"),
        (
            {"resetRequesters": SIEM_ROLE_ARN, "anyPrincipalMayRequestResets": "true"},
            "anyPrincipalMayRequestResets: true while resetRequesters names principals; choose one",
        ),
        (
            {"anyPrincipalMayRequestResets": True, "manageExistingBusPolicy": "false"},
            "manageExistingBusPolicy: only applies together with eventBusName",
        ),
    ],
)
def test_synth_refuses_a_bus_nobody_was_named_for(context: dict[str, object], says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_context(context)
    assert says in str(refused.value)


def test_the_shipped_cdk_json_refuses_until_the_deployer_names_requesters() -> None:
    shipped = shipped_context()

    with pytest.raises(SettingsError, match="resetRequesters: name who may ask for resets"):
        Settings.from_context(shipped)
    named = Settings.from_context({**shipped, "resetRequesters": f"{SIEM_ROLE_ARN}, {SSO_OPERATOR}"})
    assert named.reset_requesters == (SIEM_ROLE_ARN, SSO_OPERATOR)
