"""The local account, provisioned from the template the CDK app synthesizes: the same pool settings and trigger,
table, bus, rule (pattern, retry policy, dead-letter queue), functions (handlers, environment, asynchronous
failure destination) and state machines (their definitions, tokens resolved), not hand-written copies.

Resources moto does not need to play the product (alarms, dashboards, IAM, KMS, log groups) are skipped.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session

from local_aws.server import ACCOUNT_ID, REGION, LocalAws
from local_aws.wiring.functions import AsyncInvokeConfig, LocalFunction, LocalFunctions

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def synthesized_template(context: Mapping[str, object] | None = None) -> dict[str, Any]:
    """The stack's CloudFormation template, synthesized in-process from cdk.json's context (plus `context`).

    Asset bundling is skipped: the local account runs the handlers from this checkout, not from bundles.
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.application import STACK_NAME, build_app  # noqa: PLC0415 - CDK loads only when a template is needed

    shipped = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory(prefix="local-synth-") as outdir:
        app = build_app({**shipped, **(context or {}), "aws:cdk:bundling-stacks": []}, outdir=outdir)
        template = app.synth().get_stack_by_name(STACK_NAME).template
    return dict(template)


@dataclass
class TemplateResolver:
    """Resolves the intrinsic functions CDK emits, against what was created locally."""

    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            intrinsic: dict[str, Callable[[Any], Any]] = {
                "Ref": self._ref,
                "Fn::GetAtt": self._get_att,
                "Fn::Join": self._join,
                "Fn::Sub": self._sub_fn,
            }
            if key in intrinsic:
                return intrinsic[key](argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        return self.pseudo(name) or self.refs[name]

    def _get_att(self, argument: list[str]) -> str:
        logical_id, attribute = argument
        return self.attributes[(logical_id, attribute)]

    def _join(self, argument: list[Any]) -> str:
        separator, parts = argument
        return str(separator).join(str(self.resolve(part)) for part in parts)

    def _sub_fn(self, argument: str | list[Any]) -> str:
        text = argument if isinstance(argument, str) else argument[0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m[1]), text)

    def _sub(self, name: str) -> str:
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.attributes[(logical_id, attribute)]
        return self.pseudo(name) or self.refs[name]


@dataclass(frozen=True)
class LocalStack:
    """What the local account holds, by the names the stack's outputs would give."""

    user_pool_id: str
    event_bus_name: str
    failed_requests_queue_url: str
    state_machine_arns: dict[str, str]
    functions: LocalFunctions
    environment: dict[str, str]

    @property
    def single_reset_state_machine_arn(self) -> str:
        return next(arn for name, arn in self.state_machine_arns.items() if "SingleReset" in name)


def _of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in template["Resources"].items() if r["Type"] == resource_type}


def _api_members(operation: str) -> frozenset[str]:
    shape = botocore.session.get_session().get_service_model("cognito-idp").operation_model(operation).input_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def provision(aws: LocalAws, template: Mapping[str, Any]) -> LocalStack:
    resolver = TemplateResolver()
    arn = f"{REGION}:{ACCOUNT_ID}"
    for name, props in _of_type(template, "AWS::IAM::Role").items():
        resolver.attributes[(name, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{props.get('RoleName', name)}"
    for name in _of_type(template, "AWS::Logs::LogGroup"):
        resolver.attributes[(name, "Arn")] = f"arn:aws:logs:{arn}:log-group:{name}:*"
    for name in _of_type(template, "AWS::KMS::Key"):
        resolver.attributes[(name, "Arn")] = f"arn:aws:kms:{arn}:key/{name}"

    sqs = aws.client("sqs")
    for name, props in _of_type(template, "AWS::SQS::Queue").items():
        queue_name = props.get("QueueName", name)
        resolver.refs[name] = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        resolver.attributes[(name, "Arn")] = f"arn:aws:sqs:{arn}:{queue_name}"
        resolver.attributes[(name, "QueueName")] = queue_name

    dynamodb = aws.client("dynamodb")
    for name, props in _of_type(template, "AWS::DynamoDB::Table").items():
        table_name = props.get("TableName", name)
        dynamodb.create_table(
            TableName=table_name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        )
        resolver.refs[name] = table_name
        resolver.attributes[(name, "Arn")] = f"arn:aws:dynamodb:{arn}:table/{table_name}"

    events = aws.client("events")
    for name, props in _of_type(template, "AWS::Events::EventBus").items():
        bus_name = props.get("Name", name)
        events.create_event_bus(Name=bus_name)
        resolver.refs[name] = bus_name
        resolver.attributes[(name, "Arn")] = f"arn:aws:events:{arn}:event-bus/{bus_name}"

    function_props = _of_type(template, "AWS::Lambda::Function")
    for name, props in function_props.items():
        function_name = props.get("FunctionName", name)
        resolver.refs[name] = function_name
        resolver.attributes[(name, "Arn")] = f"arn:aws:lambda:{arn}:function:{function_name}"

    pool_props = _of_type(template, "AWS::Cognito::UserPool")
    cognito = aws.client("cognito-idp")
    allowed = _api_members("CreateUserPool")
    for name, props in pool_props.items():
        resolved = resolver.resolve(props)
        settings = {key: value for key, value in resolved.items() if key in allowed and key != "PoolName"}
        pool = cognito.create_user_pool(PoolName=resolved.get("UserPoolName", name), **settings)["UserPool"]
        resolver.refs[name] = pool["Id"]
        resolver.attributes[(name, "Arn")] = pool["Arn"]

    async_configs = {
        resolver.resolve(props["FunctionName"]): AsyncInvokeConfig(
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", 2)),
            on_failure_destination=resolver.resolve(
                props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            ),
        )
        for props in _of_type(template, "AWS::Lambda::EventInvokeConfig").values()
    }
    functions = LocalFunctions(
        LocalFunction.from_handler_path(
            resolver.refs[name], props["Handler"], async_configs.get(resolver.refs[name], AsyncInvokeConfig())
        )
        for name, props in function_props.items()
        if _is_product_handler(props["Handler"])
    )
    environment = _merged_environment(
        resolver.resolve(props.get("Environment", {}).get("Variables", {})) for props in function_props.values()
    )

    for props in _of_type(template, "AWS::Events::Rule").values():
        resolved = resolver.resolve(props)
        events.put_rule(
            Name=resolved["Name"],
            EventBusName=resolved.get("EventBusName", "default"),
            EventPattern=json.dumps(resolved["EventPattern"]),
            State=resolved.get("State", "ENABLED"),
        )
        events.put_targets(Rule=resolved["Name"], EventBusName=resolved.get("EventBusName", "default"),
                           Targets=resolved["Targets"])  # fmt: skip

    sfn = aws.client("stepfunctions")
    state_machines = {}
    for name, props in _of_type(template, "AWS::StepFunctions::StateMachine").items():
        created = sfn.create_state_machine(
            name=props.get("StateMachineName", name),
            definition=resolver.resolve(props["DefinitionString"]),
            roleArn=resolver.resolve(props["RoleArn"]),
            type=props.get("StateMachineType", "STANDARD"),
        )
        state_machines[name] = created["stateMachineArn"]

    (bus_name,) = [resolver.refs[n] for n in _of_type(template, "AWS::Events::EventBus")] or ["default"]
    (queue_url,) = [resolver.refs[n] for n in _of_type(template, "AWS::SQS::Queue")]
    (pool_id,) = [resolver.refs[n] for n in pool_props]
    return LocalStack(
        user_pool_id=pool_id,
        event_bus_name=bus_name,
        failed_requests_queue_url=queue_url,
        state_machine_arns=state_machines,
        functions=functions,
        environment=environment,
    )


def _is_product_handler(handler: str) -> bool:
    """The functions under functions/; CDK's own helper functions (custom resource providers) are not run locally."""
    return (PROJECT_ROOT / "functions" / handler.split(".", 1)[0]).is_dir()


def _merged_environment(variables: Any) -> dict[str, str]:
    """One process runs every function: a variable two functions set differently is left out, so that each function
    falls back to its own default (the stack sets those defaults explicitly, e.g. POWERTOOLS_SERVICE_NAME)."""
    merged: dict[str, str] = {}
    conflicting: set[str] = set()
    for function_variables in variables:
        for key, value in function_variables.items():
            if key in merged and merged[key] != value:
                conflicting.add(key)
            merged[key] = str(value)
    return {key: value for key, value in merged.items() if key not in conflicting}
