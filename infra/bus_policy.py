"""Who may put what on the request bus: only named principals ask for resets, only the stack's own roles speak for it.

A `source` allowlist is no authentication: any caller may put any source that does not start with `aws.`. What binds
is the bus's resource-based policy. EventBridge evaluates it for every PutEvents, the bus's own account included, and
an explicit Deny in it overrides any Allow in the caller's identity policy (IAM User Guide, "Policy evaluation logic";
EventBridge User Guide, "Using resource-based policies for Amazon EventBridge"). So each statement here is a Deny of
events:PutEvents for some detail-types (the `events:detail-type` key: EventBridge User Guide, "Using IAM policy
conditions in Amazon EventBridge") to every principal whose `aws:PrincipalArn` is not one of their writers (for a
role's session that key is the role's ARN: IAM User Guide, "AWS global condition context keys"):

- `Password Reset Requested`: the principals the deployer names (settings.resetRequesters);
- the reset outcomes (`Password Reset Completed`, `Failed`, `Forced`, `Unconfirmed`): the reset function's role;
- `Bulk Run Finished`: the run summary function's role;
- `Bulk Run Started` and `Bulk Run Stopped`: the named requesters, whose operators' CLI puts them.

Nothing is allowed here: who may call PutEvents at all is still their own identity policy's business. On the stack's
own bus the statements are its policy; on an existing bus (the default bus included) they are
AWS::Events::EventBusPolicy resources that the stack adds and removes with itself, or, where the deployer keeps the
bus's policy (manageExistingBusPolicy=false), a stack output the bus's owner adds them from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_events as events
from constructs import Construct

from contracts.events import BULK_RUN_FINISHED, OPERATOR_RUN_EVENTS, RESET_OUTCOMES, RESET_REQUESTED
from infra.settings import Settings

PUT_EVENTS: Final = "events:PutEvents"
# A statement id on a bus: letters, digits, '-' and '_', at most 64 (AWS::Events::EventBusPolicy, StatementId).
_STATEMENT_ID_LENGTH: Final = 64
ANY_PRINCIPAL_NOTE: Final = (
    "anyPrincipalMayRequestResets: any principal allowed events:PutEvents on the request bus may ask for any user's "
    "reset (and announce bulk runs); name them with resetRequesters instead (docs/security.md)"
)
KEPT_POLICY_NOTE: Final = (
    "manageExistingBusPolicy=false: the bus {bus} does not carry this stack's statements yet; its owner adds them "
    "from the stack output {output} (docs/security.md), until then anyone allowed PutEvents on it may ask for resets"
)


@dataclass(frozen=True, slots=True)
class Writers:
    """Who may put each of the product's detail-types: role (or user) ARNs, patterns allowed (ArnLike)."""

    requesters: Sequence[str]  # empty: anyone may ask (anyPrincipalMayRequestResets)
    reset_role_arn: str
    run_summary_role_arn: str


def statements(bus_arn: str, writers: Writers, sid_prefix: str = "") -> list[dict[str, Any]]:
    """The bus policy's Deny statements, as JSON policy statements, each Sid `sid_prefix` + what it guards."""
    groups = [
        ("OnlyTheResetFunctionReportsResets", list(RESET_OUTCOMES), [writers.reset_role_arn]),
        ("OnlyTheRunSummaryReportsRunEnds", [BULK_RUN_FINISHED], [writers.run_summary_role_arn]),
    ]
    if writers.requesters:
        groups[:0] = [
            ("OnlyNamedRequestersAskForResets", [RESET_REQUESTED], list(writers.requesters)),
            ("OnlyNamedRequestersAnnounceRuns", list(OPERATOR_RUN_EVENTS), list(writers.requesters)),
        ]
    return [
        {
            "Sid": f"{sid_prefix}{sid}"[:_STATEMENT_ID_LENGTH],
            "Effect": "Deny",
            "Principal": "*",
            "Action": PUT_EVENTS,
            "Resource": bus_arn,
            "Condition": {
                "StringEquals": {"events:detail-type": detail_types},
                "ArnNotLike": {"aws:PrincipalArn": principals},
            },
        }
        for sid, detail_types, principals in groups
    ]


class RequestBusPolicy(Construct):
    """The Deny statements on the request bus: its own policy, or statements added to an existing bus's policy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        bus: events.IEventBus,
        writers: Writers,
        output_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # A bus's statement ids are unique on it, and other stacks' statements may share it (the default bus above
        # all): each starts with the stack's name, letters and digits only (the ids IAM policy grammar allows).
        prefix = "".join(character for character in stack.stack_name if character.isalnum())
        self.statements = statements(bus.event_bus_arn, writers, prefix)
        if settings.any_principal_may_request_resets:
            cdk.Annotations.of(self).add_warning_v2("cognito-admin-reset:anyRequester", ANY_PRINCIPAL_NOTE)
        # The stack's own bus always carries them; an existing one unless its owner keeps its policy.
        if settings.event_bus_name is None or settings.manage_existing_bus_policy:
            for statement in self.statements:
                events.CfnEventBusPolicy(
                    self,
                    statement["Sid"].removeprefix(prefix),
                    event_bus_name=bus.event_bus_name,
                    statement_id=statement["Sid"],
                    statement=statement,
                )
            return
        cdk.Annotations.of(self).add_warning_v2(
            "cognito-admin-reset:busPolicyKept",
            KEPT_POLICY_NOTE.format(bus=settings.event_bus_name, output=output_name),
        )
        cdk.CfnOutput(
            stack,
            output_name,
            value=stack.to_json_string({"Statement": self.statements}),
            description="The statements to add to the request bus's policy: only named principals ask for resets, "
            "only this stack's roles put its audit events (docs/security.md)",
        )
