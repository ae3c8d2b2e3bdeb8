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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session

from local_aws.server import ACCOUNT_ID, REGION, LocalAws
from local_aws.wiring.functions import AsyncInvokeConfig, LocalFunction, LocalFunctions

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class SynthesizedStack:
    template: dict[str, Any]
    warnings: tuple[str, ...]  # what synth reported as warnings (cdk-nag and the stack's own annotations)


def synthesize(context: Mapping[str, object] | None = None) -> SynthesizedStack:
    """The stack's CloudFormation template, synthesized in-process from cdk.json's context (plus `context`).

    Asset bundling is skipped: the local account runs the handlers from this checkout, not from bundles. What synth
    prints (its validation report, on stderr) is collected into `warnings` instead of the terminal.
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    shipped = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory(prefix="local-synth-") as outdir, _stderr_into(Path(outdir) / "stderr.txt"):
        from infra.application import STACK_NAME, build_app  # noqa: PLC0415 - CDK loads only when synthesizing

        app = build_app({**shipped, **(context or {}), "aws:cdk:bundling-stacks": []}, outdir=outdir)
        template = dict(app.synth().get_stack_by_name(STACK_NAME).template)
        report_path = Path(outdir) / "validation-report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    warnings = tuple(
        violation["description"]
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        if violation.get("severity") == "warning"
    )
    return SynthesizedStack(template=template, warnings=warnings)


@contextmanager
def _stderr_into(path: Path) -> Iterator[None]:
    """File descriptor 2 into a file: the CDK's Node process (started on first import) writes there directly."""
    saved = os.dup(2)
    with path.open("wb") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


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
    not_provisioned: dict[str, str]  # state machines moto's interpreter refused, with its reason
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
    """Create what the template describes, in dependency order, and say where it is."""
    return _Provisioner(aws, template).run()


@dataclass
class _Provisioner:
    aws: LocalAws
    template: Mapping[str, Any]
    resolver: TemplateResolver = field(default_factory=TemplateResolver)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return _of_type(self.template, resource_type)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"

    def run(self) -> LocalStack:
        self.name_what_is_not_created()
        queues = self.create_queues()
        self.create_buckets()
        self.create_tables()
        buses = self.create_buses()
        function_props = self.name_functions()
        pools = self.create_user_pools()
        functions = self.local_functions(function_props)
        self.create_rules()
        state_machines, not_provisioned = self.create_state_machines()
        (pool_id,) = pools
        (queue_url,) = queues
        return LocalStack(
            user_pool_id=pool_id,
            event_bus_name=buses[0] if buses else "default",
            failed_requests_queue_url=queue_url,
            state_machine_arns=state_machines,
            not_provisioned=not_provisioned,
            functions=functions,
            environment=_merged_environment(
                self.resolver.resolve(props.get("Environment", {}).get("Variables", {}))
                for props in function_props.values()
            ),
        )

    def name_what_is_not_created(self) -> None:
        """Roles, log groups and keys are only referred to (a state machine's RoleArn, a queue's key)."""
        attributes = self.resolver.attributes
        for name, props in self.resources("AWS::IAM::Role").items():
            attributes[(name, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{props.get('RoleName', name)}"
        for name in self.resources("AWS::Logs::LogGroup"):
            attributes[(name, "Arn")] = self.arn("logs", f"log-group:{name}:*")
        for name in self.resources("AWS::KMS::Key"):
            attributes[(name, "Arn")] = self.arn("kms", f"key/{name}")

    def create_queues(self) -> list[str]:
        sqs = self.aws.client("sqs")
        for name, props in self.resources("AWS::SQS::Queue").items():
            queue_name = props.get("QueueName", name)
            self.resolver.refs[name] = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
            self.resolver.attributes[(name, "Arn")] = self.arn("sqs", queue_name)
            self.resolver.attributes[(name, "QueueName")] = queue_name
        return [self.resolver.refs[name] for name in self.resources("AWS::SQS::Queue")]

    def create_buckets(self) -> None:
        s3 = self.aws.client("s3")
        for name, props in self.resources("AWS::S3::Bucket").items():
            bucket = props.get("BucketName", name.lower())
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            self.resolver.refs[name] = bucket
            self.resolver.attributes[(name, "Arn")] = f"arn:aws:s3:::{bucket}"

    def create_tables(self) -> None:
        dynamodb = self.aws.client("dynamodb")
        for name, props in self.resources("AWS::DynamoDB::Table").items():
            table_name = props.get("TableName", name)
            dynamodb.create_table(
                TableName=table_name,
                KeySchema=props["KeySchema"],
                AttributeDefinitions=props["AttributeDefinitions"],
                BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
            )
            self.resolver.refs[name] = table_name
            self.resolver.attributes[(name, "Arn")] = self.arn("dynamodb", f"table/{table_name}")

    def create_buses(self) -> list[str]:
        events = self.aws.client("events")
        for name, props in self.resources("AWS::Events::EventBus").items():
            bus_name = props.get("Name", name)
            events.create_event_bus(Name=bus_name)
            self.resolver.refs[name] = bus_name
            self.resolver.attributes[(name, "Arn")] = self.arn("events", f"event-bus/{bus_name}")
        return [self.resolver.refs[name] for name in self.resources("AWS::Events::EventBus")]

    def name_functions(self) -> dict[str, dict[str, Any]]:
        function_props = self.resources("AWS::Lambda::Function")
        for name, props in function_props.items():
            function_name = props.get("FunctionName", name)
            self.resolver.refs[name] = function_name
            self.resolver.attributes[(name, "Arn")] = self.arn("lambda", f"function:{function_name}")
        return function_props

    def create_user_pools(self) -> list[str]:
        cognito = self.aws.client("cognito-idp")
        allowed = _api_members("CreateUserPool")
        for name, props in self.resources("AWS::Cognito::UserPool").items():
            resolved = self.resolver.resolve(props)
            settings = {key: value for key, value in resolved.items() if key in allowed and key != "PoolName"}
            pool = cognito.create_user_pool(PoolName=resolved.get("UserPoolName", name), **settings)["UserPool"]
            self.resolver.refs[name] = pool["Id"]
            self.resolver.attributes[(name, "Arn")] = pool["Arn"]
        return [self.resolver.refs[name] for name in self.resources("AWS::Cognito::UserPool")]

    def local_functions(self, function_props: Mapping[str, dict[str, Any]]) -> LocalFunctions:
        resolve = self.resolver.resolve
        async_configs = {
            resolve(props["FunctionName"]): AsyncInvokeConfig(
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", 2)),
                on_failure_destination=resolve(
                    props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                ),
            )
            for props in self.resources("AWS::Lambda::EventInvokeConfig").values()
        }
        return LocalFunctions(
            LocalFunction.from_handler_path(
                self.resolver.refs[name],
                props["Handler"],
                async_configs.get(self.resolver.refs[name], AsyncInvokeConfig()),
            )
            for name, props in function_props.items()
            if _is_product_handler(props["Handler"])
        )

    def create_rules(self) -> None:
        events = self.aws.client("events")
        for props in self.resources("AWS::Events::Rule").values():
            rule = self.resolver.resolve(props)
            bus = rule.get("EventBusName", "default")
            events.put_rule(
                Name=rule["Name"],
                EventBusName=bus,
                EventPattern=json.dumps(rule["EventPattern"]),
                State=rule.get("State", "ENABLED"),
            )
            events.put_targets(Rule=rule["Name"], EventBusName=bus, Targets=rule["Targets"])

    def create_state_machines(self) -> tuple[dict[str, str], dict[str, str]]:
        sfn = self.aws.client("stepfunctions")
        created, refused = {}, {}
        for name, props in self.resources("AWS::StepFunctions::StateMachine").items():
            try:
                response = sfn.create_state_machine(
                    name=props.get("StateMachineName", name),
                    definition=self.resolver.resolve(props["DefinitionString"]),
                    roleArn=self.resolver.resolve(props["RoleArn"]),
                    type=props.get("StateMachineType", "STANDARD"),
                )
            except sfn.exceptions.ClientError as error:
                # moto's interpreter does not know every ASL feature (Distributed Map's ItemBatcher, for one): such a
                # workflow is left out and named, rather than replaced by a hand-written copy.
                refused[name] = str(error.response.get("Error", {}).get("Message", "refused"))[:200]
                continue
            created[name] = response["stateMachineArn"]
        return created, refused


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
