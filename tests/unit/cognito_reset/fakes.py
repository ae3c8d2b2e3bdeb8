"""In-memory stand-ins for the AWS clients the operator CLI uses (CloudFormation, Step Functions, S3, Cognito, SES v2,
SNS, CloudWatch, DynamoDB), shaped as boto3 answers them, and a clock that moves only when something waits on it."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from contracts import stack as outputs
from contracts.bulk import RESULTS_PREFIX, SUMMARY_OBJECT
from message_tooling.catalog import BUILT_IN, catalog_of

REGION, ACCOUNT = "eu-west-1", "123456789012"
MACHINE_NAME = "BulkReset"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{MACHINE_NAME}"
BUCKET = "bulk-bucket"
POOL = "eu-west-1_Pool1"
TRIGGER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:CognitoPasswordReset-CustomMessage"
SES_IDENTITY = "mail.example.com"
SES_SOURCE_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SES_IDENTITY}"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:CognitoPasswordReset-Alarms"
RUN_MEMORY_TABLE = "CognitoPasswordReset-Dedupe"
# What a stack of the shipped defaults publishes: the built-in messages' reasons, brands and locales.
BUILT_IN_CATALOG = catalog_of(BUILT_IN, "en", None)
EVENT_BUS = "CognitoPasswordReset-Requests"
CONFIGURATION_SET = "CognitoPasswordReset-DeliveryEvents"  # the SES configuration set a new pool sends through


def pool_settings(*, ses: bool = False, recovery: tuple[str, ...] = ("verified_email",), **more: Any) -> dict[str, Any]:
    """DescribeUserPool's answer for the stack's pool as the stack deploys it (the trigger attached, recovery by
    e-mail), sending through Cognito's own sender or, with `ses`, its SES identity; `more` overrides fields."""
    email = (
        {
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": SES_SOURCE_ARN,
            "From": f"Example <no-reply@{SES_IDENTITY}>",
            "ConfigurationSet": CONFIGURATION_SET,
        }
        if ses
        else {"EmailSendingAccount": "COGNITO_DEFAULT"}
    )
    return {
        "EmailConfiguration": email,
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [{"Priority": n, "Name": name} for n, name in enumerate(recovery, start=1)]
        },
        "LambdaConfig": {"CustomMessage": TRIGGER_ARN},
        # How the stack's new pool names its users: a username or the (verified) e-mail as an alias, in any case.
        "AliasAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
    } | more


STARTED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def client_error(code: str, message: str = "", operation: str = "Call") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@dataclass
class Clock:
    """Monotonic time that only sleeping moves; every sleep is recorded. Kept in whole nanoseconds: as on a real clock,
    a sleep moves it by at least its resolution, where a float sum could leave it where it was."""

    nanoseconds: int = 1_000_000_000_000
    sleeps: list[float] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.nanoseconds / 1e9

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.nanoseconds += max(1, math.ceil(seconds * 1e9))


@dataclass
class Reading:
    """The run at one poll: the execution's status, the Map Run's item counts, and the output once it ended."""

    status: str = "RUNNING"
    items: dict[str, int] = field(default_factory=dict)
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None
    batch_errors: list[str] = field(default_factory=list)  # the map run's failed batches (child executions), by error


@dataclass
class FakeExecution:
    arn: str
    name: str
    input: dict[str, Any]
    readings: list[Reading]
    start: datetime = STARTED
    stop: datetime | None = None
    redrive_status: str | None = None
    redrives: int = 0
    polled: int = 0  # how many times DescribeExecution has read it

    def current(self) -> Reading:
        return self.readings[min(max(self.polled - 1, 0), len(self.readings) - 1)]


class FakeStepFunctions:
    """The bulk workflow's executions. A run goes through its readings, one per DescribeExecution, staying at the last
    (ListMapRuns and DescribeMapRun answer from the reading DescribeExecution last gave); a run the CLI starts or
    redrives goes through `timeline`."""

    def __init__(self, timeline: Iterable[Reading] = ()) -> None:
        self.timeline = list(timeline) or [Reading("SUCCEEDED", {"total": 0}, output={})]
        self.executions: dict[str, FakeExecution] = {}
        self.started: list[FakeExecution] = []
        self.redriven: list[str] = []
        self.stopped: list[tuple[str, str]] = []  # (run, error) of each StopExecution
        self.batches: dict[str, str] = {}  # a failed batch's child execution ARN: its error

    def add(self, name: str, readings: list[Reading], **details: Any) -> FakeExecution:
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{MACHINE_NAME}:{name}"
        execution = FakeExecution(arn, name, {}, list(readings), **details)
        self.executions[arn] = execution
        return execution

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:  # noqa: N803
        assert stateMachineArn == MACHINE_ARN
        execution = self.add(name, list(self.timeline))
        execution.input = json.loads(input)
        self.started.append(execution)
        return {"executionArn": execution.arn, "startDate": execution.start}

    def _execution(self, arn: str) -> FakeExecution:
        if arn not in self.executions:
            raise client_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'", "DescribeExecution")
        return self.executions[arn]

    def list_executions(
        self,
        *,
        mapRunArn: str | None = None,  # noqa: N803
        stateMachineArn: str | None = None,  # noqa: N803
        statusFilter: str | None = None,  # noqa: N803
        maxResults: int = 1000,  # noqa: N803
    ) -> dict[str, Any]:
        """The bulk workflow's runs, the newest (the last added) first; or a map run's child executions (one per
        batch), of which only the failed ones are kept here."""
        if mapRunArn is None:
            assert stateMachineArn == MACHINE_ARN
            newest = list(reversed(self.executions.values()))[:maxResults]
            return {"executions": [{"executionArn": e.arn, "name": e.name, "startDate": e.start} for e in newest]}
        name = mapRunArn.rsplit(":", 1)[1].removesuffix("-map")
        execution = self.executions[f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{MACHINE_NAME}:{name}"]
        errors = execution.current().batch_errors if statusFilter in {"FAILED", None} else []
        children = [f"{mapRunArn}:batch-{n}" for n in range(len(errors))]
        self.batches |= dict(zip(children, errors, strict=True))
        return {"executions": [{"executionArn": arn, "status": "FAILED"} for arn in children[:maxResults]]}

    def describe_execution(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803
        if executionArn in self.batches:
            return {"executionArn": executionArn, "status": "FAILED", "error": self.batches[executionArn]}
        execution = self._execution(executionArn)
        execution.polled += 1
        reading = execution.current()
        answer: dict[str, Any] = {
            "executionArn": execution.arn,
            "stateMachineArn": MACHINE_ARN,
            "name": execution.name,
            "status": reading.status,
            "startDate": execution.start,
            "input": json.dumps(execution.input),
        }
        if reading.status != "RUNNING":
            answer["stopDate"] = execution.stop or execution.start + timedelta(minutes=5)
        if reading.output is not None:
            answer["output"] = json.dumps(reading.output)
        if reading.error:
            answer["error"] = reading.error
        if reading.cause:
            answer["cause"] = reading.cause
        if execution.redrive_status:
            answer["redriveStatus"] = execution.redrive_status
        return answer

    def list_map_runs(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803
        execution = self._execution(executionArn)
        if not execution.current().items:
            return {"mapRuns": []}
        map_run = f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:{MACHINE_NAME}/Reset:{execution.name}-map"
        return {"mapRuns": [{"executionArn": execution.arn, "mapRunArn": map_run, "startDate": execution.start}]}

    def describe_map_run(self, *, mapRunArn: str) -> dict[str, Any]:  # noqa: N803
        name = mapRunArn.rsplit(":", 1)[1].removesuffix("-map")
        execution = self.executions[f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{MACHINE_NAME}:{name}"]
        items = {"pending": 0, "running": 0, "succeeded": 0, "failed": 0, "timedOut": 0, "aborted": 0, "total": 0}
        return {"mapRunArn": mapRunArn, "startDate": execution.start, "itemCounts": items | execution.current().items}

    def stop_execution(self, *, executionArn: str, error: str, cause: str) -> dict[str, Any]:  # noqa: N803
        execution = self._execution(executionArn)
        self.stopped.append((execution.name, error))
        execution.readings, execution.polled = [Reading("ABORTED", error=error, cause=cause)], 0
        return {"stopDate": STARTED}

    def redrive_execution(self, *, executionArn: str) -> dict[str, Any]:  # noqa: N803
        execution = self._execution(executionArn)
        self.redriven.append(execution.name)
        execution.redrives += 1
        execution.readings, execution.polled = list(self.timeline), 0
        return {"redriveDate": STARTED}


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.refusal: ClientError | None = None  # what every PutObject answers, when set

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:  # noqa: N803
        if self.refusal is not None:
            raise self.refusal
        self.objects[Bucket, Key] = Body
        return {}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        if (Bucket, Key) not in self.objects:
            raise client_error("NoSuchKey", "The specified key does not exist.", "GetObject")
        body = self.objects[Bucket, Key]
        return {"Body": StreamingBody(io.BytesIO(body), len(body))}

    def write_summary(self, summary: dict[str, Any]) -> None:
        """The summary object where the summary's own `summary` URI says."""
        bucket, key = summary["summary"].removeprefix("s3://").split("/", 1)
        self.objects[bucket, key] = json.dumps(summary).encode()

    def write_results(self, folder: str, batches: list[list[dict[str, Any]]], per_file: int = 2) -> None:
        """ResultWriter's layout as the stack writes it (OutputType JSONL): manifest.json and SUCCEEDED_n.json files of
        child executions, `per_file` each."""
        children = [
            {"Name": f"child-{n}", "Status": "SUCCEEDED", "Output": json.dumps({"results": batch})}
            for n, batch in enumerate(batches)
        ]
        files = []
        for n in range(0, len(children), per_file):
            key = f"{folder}SUCCEEDED_{n // per_file}.json"
            body = "".join(json.dumps(child) + "\n" for child in children[n : n + per_file]).encode()
            self.objects[BUCKET, key] = body
            files.append({"Key": key, "Size": len(body)})
        listing = {"DestinationBucket": BUCKET, "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": files}}
        self.objects[BUCKET, folder + "manifest.json"] = json.dumps(listing).encode()


@dataclass
class FakeCognito:
    """Users by pool (username → status), groups, ListUsers filters on username with = and ^=, and throttling that a
    test can queue."""

    users: dict[str, dict[str, str]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    throttle: int = 0
    calls: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=pool_settings)  # DescribeUserPool's, for every pool

    def _enter(self, operation: str, pool: str) -> dict[str, str]:
        self.calls.append(operation)
        if self.throttle:
            self.throttle -= 1
            raise client_error("TooManyRequestsException", "Too many requests", operation)
        if pool not in self.users:
            raise client_error("ResourceNotFoundException", "User pool does not exist.", operation)
        return self.users[pool]

    @staticmethod
    def _page(names: list[str], token: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        start = int(token or 0)
        following = start + limit
        return [{"Username": name} for name in names[start:following]], (
            str(following) if following < len(names) else None
        )

    def list_users_in_group(self, *, UserPoolId: str, GroupName: str, Limit: int, NextToken: str | None = None) -> Any:  # noqa: N803
        self._enter("ListUsersInGroup", UserPoolId)
        if GroupName not in self.groups:
            raise client_error("ResourceNotFoundException", "Group not found.", "ListUsersInGroup")
        users, token = self._page(self.groups[GroupName], NextToken, Limit)
        return {"Users": users} | ({"NextToken": token} if token else {})

    def list_users(self, *, UserPoolId: str, Filter: str, Limit: int, PaginationToken: str | None = None) -> Any:  # noqa: N803
        pool = self._enter("ListUsers", UserPoolId)
        attribute, operator, quoted = [*Filter.split(" ", 2), "", ""][:3]
        if attribute not in {"username", "cognito:user_status"} or operator not in {"=", "^="}:
            raise client_error("InvalidParameterException", "Error while parsing filter.", "ListUsers")
        if not quoted.startswith('"'):
            raise client_error("InvalidParameterException", "Error while parsing filter.", "ListUsers")
        value = quoted.strip('"')
        field = (lambda name: name) if attribute == "username" else (lambda name: pool[name])
        names = [n for n in pool if (field(n).startswith(value) if operator == "^=" else field(n) == value)]
        users, token = self._page(names, PaginationToken, Limit)
        return {"Users": users} | ({"PaginationToken": token} if token else {})

    def describe_user_pool(self, *, UserPoolId: str) -> Any:  # noqa: N803
        if UserPoolId == POOL:  # the stack's pool is there, users or not
            self.users.setdefault(POOL, {})
        pool = self._enter("DescribeUserPool", UserPoolId)
        return {"UserPool": {"Id": UserPoolId, "EstimatedNumberOfUsers": len(pool)} | self.settings}

    def admin_get_user(self, *, UserPoolId: str, Username: str) -> Any:  # noqa: N803
        pool = self._enter("AdminGetUser", UserPoolId)
        if Username not in pool:
            raise client_error("UserNotFoundException", "User does not exist.", "AdminGetUser")
        return {"Username": Username, "UserStatus": pool[Username], "Enabled": True}


@dataclass
class FakeSes:
    """SES v2's read APIs (GetAccount, GetEmailIdentity) for one account: its identities (name → verified)."""

    production_access: bool = True
    sending_enabled: bool = True
    max_24_hour_send: float = 50_000.0
    sent_last_24_hours: float = 0.0
    max_send_rate: float = 14.0
    identities: dict[str, bool] = field(default_factory=lambda: {SES_IDENTITY: True})
    refusal: ClientError | None = None  # what every call answers, when set

    def get_account(self) -> Any:
        if self.refusal is not None:
            raise self.refusal
        quota = {
            "Max24HourSend": self.max_24_hour_send,
            "SentLast24Hours": self.sent_last_24_hours,
            "MaxSendRate": self.max_send_rate,
        }
        return {
            "ProductionAccessEnabled": self.production_access,
            "SendingEnabled": self.sending_enabled,
            "EnforcementStatus": "HEALTHY",
            "SendQuota": quota,
        }

    def get_email_identity(self, *, EmailIdentity: str) -> Any:  # noqa: N803
        if EmailIdentity not in self.identities:
            raise client_error(
                "NotFoundException", f"Email identity {EmailIdentity} does not exist.", "GetEmailIdentity"
            )
        verified = self.identities[EmailIdentity]
        return {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": verified}


@dataclass
class FakeSns:
    in_sandbox: bool | None = None  # None: the operation is not there (as on an emulator without it)

    def get_sms_sandbox_account_status(self) -> Any:
        if self.in_sandbox is None:
            raise client_error(
                "500", "<html><title>500 Internal Server Error</title></html>", "GetSMSSandboxAccountStatus"
            )
        return {"IsInSandbox": self.in_sandbox}


@dataclass
class FakeCloudWatch:
    """The alarms on the stack's alarm topic: name → state."""

    alarms: dict[str, str] = field(default_factory=dict)

    def describe_alarms(self, *, ActionPrefix: str, MaxRecords: int) -> Any:  # noqa: N803
        assert ActionPrefix == TOPIC_ARN
        alarms = [
            {"AlarmName": name, "StateValue": state, "AlarmActions": [TOPIC_ARN]} for name, state in self.alarms.items()
        ]
        return {"MetricAlarms": alarms[:MaxRecords]}


class ConditionalCheckFailedError(Exception):
    """DynamoDB's ConditionalCheckFailedException, as a client's `exceptions` holds it."""


@dataclass
class FakeDynamoDB:
    """The dedupe table the stack names (items by id, in DynamoDB's typed form): GetItem, and PutItem and DeleteItem
    under the two conditions the ledger writes with (the key absent, or the item's token as read)."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)  # the table each call named
    exceptions: Any = field(
        default_factory=lambda: type("Exceptions", (), {"ConditionalCheckFailedException": ConditionalCheckFailedError})
    )

    def get_item(self, *, TableName: str, Key: dict[str, Any], **_: Any) -> Any:  # noqa: N803
        self.tables.append(TableName)
        item = self.items.get(Key["id"]["S"])
        return {"Item": item} if item is not None else {}

    def _holds(self, key: str, condition: str, values: dict[str, Any] | None) -> bool:
        current = self.items.get(key)
        if condition == "attribute_not_exists(id)":
            return current is None
        return current is not None and current.get("token") == (values or {}).get(":token")

    def put_item(self, *, TableName: str, Item: dict[str, Any], ConditionExpression: str, **more: Any) -> Any:  # noqa: N803
        self.tables.append(TableName)
        if not self._holds(Item["id"]["S"], ConditionExpression, more.get("ExpressionAttributeValues")):
            raise ConditionalCheckFailedError
        self.items[Item["id"]["S"]] = Item
        return {}

    def delete_item(self, *, TableName: str, Key: dict[str, Any], ConditionExpression: str, **more: Any) -> Any:  # noqa: N803
        self.tables.append(TableName)
        if not self._holds(Key["id"]["S"], ConditionExpression, more.get("ExpressionAttributeValues")):
            raise ConditionalCheckFailedError
        del self.items[Key["id"]["S"]]
        return {}


OPERATOR_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/SecOps/ana"


class FakeSts:
    def get_caller_identity(self) -> Any:
        return {"Arn": OPERATOR_ARN, "Account": ACCOUNT, "UserId": "AROAEXAMPLE:ana"}


@dataclass
class FakeEvents:
    """The stack's bus: every entry put on it, in order."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    # Detail-types the bus's policy denies this caller: each such entry is answered as EventBridge answers it.
    denied: frozenset[str] = frozenset()

    def put_events(self, *, Entries: list[dict[str, Any]]) -> Any:  # noqa: N803
        answers: list[dict[str, Any]] = []
        for entry in Entries:
            if entry["DetailType"] in self.denied:
                answers.append({"ErrorCode": "AccessDeniedException", "ErrorMessage": "explicit deny"})
                continue
            self.entries.append(entry)
            answers.append({"EventId": f"event-{len(self.entries)}"})
        failed = sum("ErrorCode" in answer for answer in answers)
        return {"FailedEntryCount": failed, "Entries": answers}

    def detail_types(self) -> list[str]:
        return [entry["DetailType"] for entry in self.entries]


class FakeCloudFormation:
    def __init__(self, stack_outputs: dict[str, str]) -> None:
        self.outputs = stack_outputs

    def describe_stacks(self, *, StackName: str) -> Any:  # noqa: N803
        return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]}]}


@dataclass
class FakeAws:
    """The CLI's AWS access: one fake client per service, the stack's outputs as the bulk workflow has them."""

    sfn: FakeStepFunctions = field(default_factory=FakeStepFunctions)
    s3: FakeS3 = field(default_factory=FakeS3)
    cognito: FakeCognito = field(default_factory=FakeCognito)
    ses: FakeSes = field(default_factory=FakeSes)
    sns: FakeSns = field(default_factory=FakeSns)
    cloudwatch: FakeCloudWatch = field(default_factory=FakeCloudWatch)
    dynamodb: FakeDynamoDB = field(default_factory=FakeDynamoDB)
    events: FakeEvents = field(default_factory=FakeEvents)
    stack_name: str = outputs.STACK_NAME
    requested: list[str] = field(default_factory=list)
    regions: dict[str, str | None] = field(default_factory=dict)  # the Region each service's client was asked for
    stack_outputs: dict[str, str] = field(
        default_factory=lambda: {
            outputs.BULK_RESET_STATE_MACHINE_ARN: MACHINE_ARN,
            outputs.BULK_BUCKET_NAME: BUCKET,
            outputs.USER_POOL_ID: POOL,
            outputs.CUSTOM_MESSAGE_FUNCTION_ARN: TRIGGER_ARN,
            outputs.RESET_RATE_BUDGET: "10",
            outputs.ALARM_TOPIC_ARN: TOPIC_ARN,
            outputs.RUN_MEMORY_TABLE_NAME: RUN_MEMORY_TABLE,
            outputs.EVENT_BUS_NAME: EVENT_BUS,
            outputs.MESSAGE_CATALOG: BUILT_IN_CATALOG.to_output(),
        }
    )

    def client(self, service: str, region: str | None = None) -> Any:
        self.requested.append(service)
        self.regions[service] = region
        clients = {
            "cloudformation": FakeCloudFormation(self.stack_outputs),
            "stepfunctions": self.sfn,
            "s3": self.s3,
            "cognito-idp": self.cognito,
            "sesv2": self.ses,
            "sns": self.sns,
            "cloudwatch": self.cloudwatch,
            "dynamodb": self.dynamodb,
            "sts": FakeSts(),
            "events": self.events,
        }
        return clients[service]


def results_folder(run_id: str) -> str:
    return f"{RESULTS_PREFIX}/{run_id}-map/"


def summary_output(run_id: str, statuses: dict[str, int], **more: Any) -> dict[str, Any]:
    """The execution's output, in contracts.bulk's shape (SUMMARY_FIELDS), as the run's summary step returns it:
    `statuses` counts users; a user's duplicate rows and the rows of unfinished batches are rows besides."""
    folder = results_folder(run_id)
    users, duplicates, unfinished = sum(statuses.values()), more.get("duplicateRows", 0), more.get("unfinished", {})
    return {
        "runId": run_id,
        "rows": users + duplicates + sum(unfinished.values()),
        "users": users,
        "statuses": statuses,
        "reasons": more.get("reasons", {}),
        "duplicateRows": duplicates,
        "unfinished": unfinished,
        "complete": not unfinished,
        "results": f"s3://{BUCKET}/{folder}",
        "summary": f"s3://{BUCKET}/{folder}{SUMMARY_OBJECT}",
    }


def summary_object(output: dict[str, Any], **rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary object beside the results: the counts, and the rows to act on (which name users)."""
    return output | {"failedRows": [], "unconfirmedRows": [], "unfinishedRows": []} | rows
