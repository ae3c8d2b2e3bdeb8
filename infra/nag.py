"""cdk-nag acknowledgments, each with the reason it is safe, attached to the construct that causes the finding."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept one AwsSolutions finding on `scope` and everything under it.

    `rule` is the rule id, optionally with cdk-nag's finding detail, e.g. `AwsSolutions-IAM5[Resource::*]`; the detail
    form is preferred so that a new, different finding of the same rule still fails the synth.
    """
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The logical id of an L2 construct's resource: how cdk-nag names a Ref or Fn::GetAtt in a finding's detail."""
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnResource)  # noqa: S101  (an L2's default child is its L1 resource)
    return cdk.Stack.of(construct).get_logical_id(resource)


def arn_prefix(scope: IConstruct, service: str, region: str | None = None) -> str:
    """`arn:<partition>:<service>:<region>:<account>` as cdk-nag spells it in a finding: a pseudo parameter as
    <AWS::...>, a value the stack knows (a set Region) as itself; `region` (such as "*") instead of the stack's."""
    stack = cdk.Stack.of(scope)
    partition, stack_region, account = (
        f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value
        for value, pseudo in ((stack.partition, "Partition"), (stack.region, "Region"), (stack.account, "AccountId"))
    )
    return f"arn:{partition}:{service}:{region or stack_region}:{account}"


def state_machine_name(machine: IConstruct) -> str:
    """How cdk-nag spells a state machine's name taken from its ARN (Fn::Select 6 of its Ref split on ':')."""
    return '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"' + logical_id(machine) + '"}]}]}'
