"""Infrastructure tests: the CDK app as `cdk synth` builds it, synthesized once per variant per test session.

Asset bundling is skipped here (context `aws:cdk:bundling-stacks` = []): it installs Lambda wheels, which would make
every synth slower and tie these tests to the wheelhouse. Bundling itself is tested on its own
(test_bundling.py, against the wheelhouse `make wheels` downloads) and runs for real in `make synth`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Before aws_cdk is imported: quiet jsii's Node banner, no CLI telemetry, and no account/Region from this machine.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
for _variable in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
    os.environ.pop(_variable, None)

from infra.application import STACK_NAME, build_app  # noqa: E402  (after the environment above)
from infra.settings import Settings  # noqa: E402
from local_aws.harness.template import placeholders  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXISTING_POOL_ID = "eu-west-1_AbC123xyz"
OTHER_POOL_ID = "eu-west-1_Other456"
SMS_ROLE_ARN = "arn:aws:iam::123456789012:role/cognito-sms"
ALARM_EMAIL = "platform-oncall@example.com"
# Who the test deployments name as requesters: a SIEM's role, and the SSO roles of a security-operations permission set.
SIEM_ROLE_ARN = "arn:aws:iam::123456789012:role/siem-responder"
SSO_OPERATORS = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SecurityOps_*"
REQUESTERS = (SIEM_ROLE_ARN, SSO_OPERATORS)
# The reset role's only writes beyond its users' records: the storm cap's buckets (reset_password/reset_cap.py).
CAP_KEYS_ONLY = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["cap#*"]}}


def named_settings(context: Mapping[str, object]) -> Settings:
    """The settings from `context` plus the requesters every deployer must name (synth refuses none)."""
    return Settings.from_context({"resetRequesters": list(REQUESTERS), **context})


def shipped_context() -> dict[str, Any]:
    """The defaults cdk.json ships: the tests synthesize what a fresh deploy gets."""
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    assert isinstance(context, dict)
    return context


_PLACEHOLDERS = placeholders()  # the resolver the local account uses too (local_aws/harness/template.py)


def render(value: Any) -> Any:
    """CloudFormation intrinsics as readable text: {"Ref": "X"} -> "${X}", GetAtt -> "${X.Arn}", Join -> joined."""
    return _PLACEHOLDERS.resolve(value)


@dataclass(frozen=True)
class Synthesized:
    """One synthesized variant: the stack's template and the cloud assembly directory."""

    template: dict[str, Any]
    outdir: Path
    # How the stack's Region and partition appear in ARNs: pseudo parameters, or (an existing pool fixes the
    # Region) the values CDK then knows.
    region: str = "${AWS::Region}"
    partition: str = "${AWS::Partition}"

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources = self.template["Resources"]
        assert isinstance(resources, dict)
        return resources

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK_NAME}.template.json"

    def annotations(self, kind: str) -> list[str]:
        """What synth tells the deployer, by kind ("warning", "info"): the stack's construct annotations."""
        metadata = json.loads((self.outdir / f"{STACK_NAME}.metadata.json").read_text())
        return [
            entry["data"] for entries in metadata.values() for entry in entries if entry["type"] == f"aws:cdk:{kind}"
        ]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: body for name, body in self.resources.items() if body["Type"] == resource_type}

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.of_type(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def logical_id(self, path: str) -> str:
        """The logical id of the resource at construct path `<stack>/<path>` (e.g. "Reset/ResetPassword/Function")."""
        # L2 constructs name their CloudFormation resource "Resource"; a CustomResource names it "Default".
        wanted = {f"{STACK_NAME}/{path}{suffix}" for suffix in ("", "/Resource", "/Default")}
        found = [
            name for name, body in self.resources.items() if body.get("Metadata", {}).get("aws:cdk:path") in wanted
        ]
        assert len(found) == 1, f"no single resource at {path}: {found}"
        return found[0]

    def properties(self, path: str) -> dict[str, Any]:
        properties = self.resources[self.logical_id(path)]["Properties"]
        assert isinstance(properties, dict)
        return properties

    def role_permissions(self, role_id: str) -> set[Permission]:
        """Every permission granted to a role (inline policies and attached AWS::IAM::Policy resources), one
        (effect, action, resource, condition) at a time: how CDK groups statements does not matter, what they allow
        does."""
        statements: list[dict[str, Any]] = []
        role = self.resources[role_id]["Properties"]
        assert "ManagedPolicyArns" not in role, f"{role_id} has managed policies"
        for policy in role.get("Policies", []):
            statements.extend(policy["PolicyDocument"]["Statement"])
        for body in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_id} in body["Properties"]["Roles"]:
                statements.extend(body["Properties"]["PolicyDocument"]["Statement"])
        return grants(*(normalise(statement) for statement in statements))


Statement = tuple[str, frozenset[str], frozenset[str], str]
Permission = tuple[str, str, str, str]


def normalise(statement: Mapping[str, Any]) -> Statement:
    actions = statement["Action"]
    resources = render(statement["Resource"])
    return (
        statement["Effect"],
        frozenset([actions] if isinstance(actions, str) else actions),
        frozenset([resources] if isinstance(resources, str) else resources),
        json.dumps(render(statement.get("Condition", {})), sort_keys=True),
    )


def allow(actions: list[str], resources: list[str], condition: Mapping[str, Any] | None = None) -> Statement:
    return ("Allow", frozenset(actions), frozenset(resources), json.dumps(condition or {}, sort_keys=True))


def grants(*statements: Statement) -> set[Permission]:
    """Statements as single permissions, for comparing what is allowed regardless of how it is grouped."""
    return {
        (effect, action, resource, condition)
        for effect, actions, resources, condition in statements
        for action in actions
        for resource in resources
    }


def nag_findings(outdir: Path) -> list[dict[str, Any]]:
    """cdk-nag's findings in a cloud assembly's validation report (which also carries construct annotations)."""
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        violation
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
        if violation["ruleName"].startswith("AwsSolutions")
    ]


def synthesize(
    outdir: Path, region: str = "${AWS::Region}", partition: str = "${AWS::Partition}", **overrides: Any
) -> Synthesized:
    """Synthesize the app exactly as app.py does (cdk-nag included: an unacknowledged finding raises here)."""
    # As the CLI runs the app: path metadata on (construct paths name resources in these tests), bundling skipped.
    context = {
        **shipped_context(),
        "aws:cdk:enable-path-metadata": True,
        "aws:cdk:bundling-stacks": [],
        "resetRequesters": list(REQUESTERS),  # what every deployer must name (synth refuses none)
        **overrides,
    }
    assembly = build_app(context, outdir=str(outdir)).synth()
    template = assembly.get_stack_by_name(STACK_NAME).template
    assert isinstance(template, dict)
    return Synthesized(template=template, outdir=outdir, region=region, partition=partition)


@pytest.fixture(scope="session")
def new_pool(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The shipped defaults (a new pool, a dedicated bus, Cognito's own e-mail) plus an alarm e-mail."""
    return synthesize(tmp_path_factory.mktemp("new-pool"), alarmEmail=ALARM_EMAIL)


@pytest.fixture(scope="session")
def existing_pool(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """An existing pool with an SMS role and a second allowed pool, the default bus, the cooldown window off."""
    return synthesize(
        tmp_path_factory.mktemp("existing-pool"),
        region="eu-west-1",  # the pool's Region is the stack's
        partition="aws",
        existingUserPoolId=EXISTING_POOL_ID,
        existingUserPoolSmsRoleArn=SMS_ROLE_ARN,
        additionalUserPoolIds=[OTHER_POOL_ID],
        eventBusName="default",
        cooldownSeconds=0,
        rateBudget=50,
        lookupRateBudget=130,
        signOutRateBudget="13",
    )


@pytest.fixture(params=["new_pool", "existing_pool"])
def variant(request: pytest.FixtureRequest) -> Synthesized:
    """Both variants, for the properties every deployment must have."""
    synthesized = request.getfixturevalue(request.param)
    assert isinstance(synthesized, Synthesized)
    return synthesized
