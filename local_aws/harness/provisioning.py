"""The local account, provisioned from the template the CDK app synthesizes: the same pool settings and trigger,
table, bus, rule (pattern, retry policy, dead-letter queue), functions (handlers, environment, asynchronous
failure destination) and state machines (their definitions, with Ref and Fn::GetAtt resolved by template.py to what
was created here), not hand-written copies.

Resources moto does not need to play the product (alarms, dashboards, IAM, KMS, log groups) are skipped.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session

from contracts.stack import STACK_NAME
from local_aws.emulation.distributed_map import (
    MapRunPlayer,
    MapRuns,
    MapState,
    NotPlayableError,
    child_definition,
    child_execution_type,
    player_function,
    split,
)
from local_aws.emulation.lambda_runtime import AsyncInvokeConfig, LocalFunction, LocalFunctions
from local_aws.emulation.ses_events import SesEventDestination
from local_aws.harness.server import ACCOUNT_ID, REGION, LocalAws
from local_aws.harness.template import physical, pseudo_parameters

FUNCTIONS_ROOT = Path(__file__).resolve().parents[2] / "functions"


@dataclass(frozen=True)
class ProvisionedStack:
    """What the local account holds, by the names the stack's outputs would give."""

    user_pool_id: str
    event_bus_name: str
    failed_requests_queue_url: str
    state_machine_arns: dict[str, str]
    not_provisioned: dict[str, str]  # state machines moto's interpreter refused, with its reason
    functions: LocalFunctions
    environment: dict[str, str]
    map_runs: MapRuns  # the Distributed Map runs the local system plays (emulation/distributed_map.py)
    buckets: dict[str, str]  # by logical id
    # The SES configuration sets' event destinations (moto's SES v2 keeps none): the local SES publishes to them.
    ses_event_destinations: tuple[SesEventDestination, ...] = ()

    @property
    def single_reset_state_machine_arn(self) -> str:
        return next(arn for name, arn in self.state_machine_arns.items() if "SingleReset" in name)

    @property
    def bulk_reset_state_machine_arn(self) -> str:
        return next(arn for name, arn in self.state_machine_arns.items() if "BulkReset" in name)

    @property
    def bulk_bucket(self) -> str:
        return next(bucket for name, bucket in self.buckets.items() if "BulkResetBucket" in name)


def _of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in template["Resources"].items() if r["Type"] == resource_type}


def _api_members(operation: str) -> frozenset[str]:
    shape = botocore.session.get_session().get_service_model("cognito-idp").operation_model(operation).input_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def provision(aws: LocalAws, template: Mapping[str, Any]) -> ProvisionedStack:
    """Create what the template describes, in dependency order, and say where it is."""
    return _Provisioner(aws, template).run()


@dataclass
class _Provisioner:
    aws: LocalAws
    template: Mapping[str, Any]
    # What Ref and Fn::GetAtt give, filled in as each resource is created.
    refs: dict[str, str] = field(default_factory=lambda: pseudo_parameters(region=REGION, account_id=ACCOUNT_ID))
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    map_states: dict[str, MapState] = field(default_factory=dict)
    map_runs: MapRuns = field(default_factory=MapRuns)

    def resolve(self, value: Any) -> Any:
        return physical(self.refs, self.attributes).resolve(value)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return _of_type(self.template, resource_type)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"

    def run(self) -> ProvisionedStack:
        self.name_what_is_not_created()
        queues = self.create_queues()
        self.create_buckets()
        self.create_tables()
        buses = self.create_buses()
        function_props = self.name_functions()
        ses_event_destinations = self.create_configuration_sets()
        pools = self.create_user_pools()
        functions = self.local_functions(function_props)
        functions.add(player_function(MapRunPlayer(self.aws, self.map_states, self.map_runs)))
        self.create_rules()
        state_machines, not_provisioned = self.create_state_machines()
        self.register_outputs()
        (pool_id,) = pools
        (queue_url,) = queues
        return ProvisionedStack(
            user_pool_id=pool_id,
            event_bus_name=buses[0] if buses else "default",
            failed_requests_queue_url=queue_url,
            state_machine_arns=state_machines,
            not_provisioned=not_provisioned,
            functions=functions,
            environment=_merged_environment(
                self.resolve(props.get("Environment", {}).get("Variables", {})) for props in function_props.values()
            ),
            map_runs=self.map_runs,
            buckets={name: self.refs[name] for name in self.resources("AWS::S3::Bucket")},
            ses_event_destinations=ses_event_destinations,
        )

    def register_outputs(self) -> None:
        """The stack's outputs, where `cognito-reset` finds them on AWS (DescribeStacks): every output whose resources
        exist here. moto cannot deploy the template itself, so a stand-in stack carries them."""
        outputs: dict[str, dict[str, str]] = {}
        for name, output in self.template.get("Outputs", {}).items():
            try:
                value = self.resolve(output["Value"])
            except KeyError:  # a resource the local account does not create (the alarm topic, the dashboard)
                continue
            outputs[name] = {"Value": str(value), "Description": str(output.get("Description", ""))}
        stand_in = {"Resources": {"Outputs": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}
        with warnings.catch_warnings():  # moto says it does not model the handle; it needs to hold nothing
            warnings.simplefilter("ignore", UserWarning)
            self.aws.client("cloudformation").create_stack(StackName=STACK_NAME, TemplateBody=json.dumps(stand_in))

    def name_what_is_not_created(self) -> None:
        """Roles, log groups and keys are only referred to (a state machine's RoleArn, a queue's key)."""
        attributes = self.attributes
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
            self.refs[name] = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
            self.attributes[(name, "Arn")] = self.arn("sqs", queue_name)
            self.attributes[(name, "QueueName")] = queue_name
        return [self.refs[name] for name in self.resources("AWS::SQS::Queue")]

    def create_buckets(self) -> None:
        s3 = self.aws.client("s3")
        for name, props in self.resources("AWS::S3::Bucket").items():
            bucket = props.get("BucketName", name.lower())
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            self.refs[name] = bucket
            self.attributes[(name, "Arn")] = f"arn:aws:s3:::{bucket}"

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
            self.refs[name] = table_name
            self.attributes[(name, "Arn")] = self.arn("dynamodb", f"table/{table_name}")

    def create_buses(self) -> list[str]:
        events = self.aws.client("events")
        for name, props in self.resources("AWS::Events::EventBus").items():
            bus_name = props.get("Name", name)
            events.create_event_bus(Name=bus_name)
            self.refs[name] = bus_name
            self.attributes[(name, "Arn")] = self.arn("events", f"event-bus/{bus_name}")
        return [self.refs[name] for name in self.resources("AWS::Events::EventBus")]

    def name_functions(self) -> dict[str, dict[str, Any]]:
        function_props = self.resources("AWS::Lambda::Function")
        for name, props in function_props.items():
            function_name = props.get("FunctionName", name)
            self.refs[name] = function_name
            self.attributes[(name, "Arn")] = self.arn("lambda", f"function:{function_name}")
        return function_props

    def create_configuration_sets(self) -> tuple[SesEventDestination, ...]:
        """SES configuration sets, and their event destinations, which moto cannot hold (its SES v2 has no
        CreateConfigurationSetEventDestination, its SES v1 none for EventBridge): kept for the local SES to publish to.
        The sets are created with SES v1's CreateConfigurationSet, which moto's SES v2 reads too: a v2 call now would
        fix moto's SES v2 routes before the emulation adds GetAccount's (moto_patches.SESV2_ACCOUNT_ROUTE)."""
        ses = self.aws.client("ses")
        for name, props in self.resources("AWS::SES::ConfigurationSet").items():
            set_name = props.get("Name", name)
            ses.create_configuration_set(ConfigurationSet={"Name": set_name})
            self.refs[name] = set_name
        return tuple(
            SesEventDestination.of_template(self.resolve(props))
            for props in self.resources("AWS::SES::ConfigurationSetEventDestination").values()
        )

    def create_user_pools(self) -> list[str]:
        cognito = self.aws.client("cognito-idp")
        allowed = _api_members("CreateUserPool")
        for name, props in self.resources("AWS::Cognito::UserPool").items():
            resolved = self.resolve(props)
            settings = {key: value for key, value in resolved.items() if key in allowed and key != "PoolName"}
            pool = cognito.create_user_pool(PoolName=resolved.get("UserPoolName", name), **settings)["UserPool"]
            self.refs[name] = pool["Id"]
            self.attributes[(name, "Arn")] = pool["Arn"]
        return [self.refs[name] for name in self.resources("AWS::Cognito::UserPool")]

    def local_functions(self, function_props: Mapping[str, dict[str, Any]]) -> LocalFunctions:
        resolve = self.resolve
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
            LocalFunction(
                name=self.refs[name],
                handler_path=props["Handler"],
                async_config=async_configs.get(self.refs[name], AsyncInvokeConfig()),
                timeout_seconds=float(props.get("Timeout", 3)),
                memory_mb=int(props.get("MemorySize", 128)),
                reserved_concurrency=props.get("ReservedConcurrentExecutions"),
            )
            for name, props in function_props.items()
            if _is_product_handler(props["Handler"])
        )

    def create_rules(self) -> None:
        events = self.aws.client("events")
        for logical_id, props in self.resources("AWS::Events::Rule").items():
            rule = self.resolve(props)
            bus = rule.get("EventBusName", "default")
            name = rule.get("Name", logical_id)  # CloudFormation names an unnamed rule; its logical id here
            events.put_rule(
                Name=name,
                EventBusName=bus,
                EventPattern=json.dumps(rule["EventPattern"]),
                State=rule.get("State", "ENABLED"),
            )
            events.put_targets(Rule=name, EventBusName=bus, Targets=rule["Targets"])

    def create_state_machines(self) -> tuple[dict[str, str], dict[str, str]]:
        sfn = self.aws.client("stepfunctions")
        created, refused = {}, {}
        for name, props in self.resources("AWS::StepFunctions::StateMachine").items():
            machine_name = props.get("StateMachineName", name)
            definition = json.loads(self.resolve(props["DefinitionString"]))
            try:
                # moto's interpreter lacks ItemBatcher and ResultWriter: a Distributed Map state is played locally,
                # its children run by moto (emulation/distributed_map.py).
                definition, maps = split(definition, machine_name)
                for index, (key, state) in enumerate(maps.items()):
                    child = sfn.create_state_machine(
                        name=f"{machine_name}-map-{index}",
                        definition=json.dumps(child_definition(state)),
                        roleArn=self.resolve(props["RoleArn"]),
                        type=child_execution_type(state),
                    )
                    self.map_states[key] = MapState(key, state, child["stateMachineArn"])
                response = sfn.create_state_machine(
                    name=machine_name,
                    definition=json.dumps(definition),
                    roleArn=self.resolve(props["RoleArn"]),
                    type=props.get("StateMachineType", "STANDARD"),
                )
            except NotPlayableError as error:
                refused[name] = str(error)
                continue
            except sfn.exceptions.ClientError as error:
                # moto's interpreter does not know every ASL feature: such a workflow is left out and named, rather
                # than replaced by a hand-written copy.
                refused[name] = str(error.response.get("Error", {}).get("Message", "refused"))[:200]
                continue
            created[name] = self.refs[name] = response["stateMachineArn"]
        return created, refused


def _is_product_handler(handler: str) -> bool:
    """The functions under functions/; CDK's own helper functions (custom resource providers) are not run locally."""
    return (FUNCTIONS_ROOT / handler.split(".", 1)[0]).is_dir()


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
