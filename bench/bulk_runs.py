"""What a measured run of resets counts and how it is judged, shared by bench/bulk_speed.py (Cognito's request quota)
and bench/delivery_speed.py (SES's send rate): the pool's final statuses, what the caller was told, what reached the
local Cognito through the quota emulator (bench/quota.py), and the messages in the local outbox.

lost: users neither reset nor reported failed, and users reset whose message never reached the outbox; duplicated:
users whose AdminResetUserPassword succeeded more than once at the local Cognito, or who got more than one message.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from unittest import mock

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bench.quota import DEFAULT_BURST_SECONDS, Category, QuotaCounts, running_quota_emulator
from bench.targets import ACHIEVED_RATIO_TARGET, THROTTLED_SHARE_TARGET
from contracts.bulk import RUN_UNFINISHED, batch_items, batch_results, child_executions, item_parts
from contracts.cognito import RESET_REQUIRED
from contracts.results import ResetStatus
from fault_injection.fault_proxy import COGNITO_ENDPOINT
from local_aws.harness.outbox import DeliveredMessage
from local_aws.harness.pool import add_user, create_user_pool
from local_aws.harness.server import REGION, LocalAws
from local_aws.harness.system import LocalSystem

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = ROOT / "bench" / "results"
RESET_OPERATION: Final = "AdminResetUserPassword"


@dataclass(frozen=True, slots=True)
class ModeResult:
    mode: str
    budget: float | None  # the rate budget the mode was given; None for the baselines, which have none
    quota: float  # the limit the run is measured against (Cognito's request quota, or SES's send rate)
    users: int
    reset: int
    failed: int
    lost: int
    duplicated: int
    throttled: int  # calls refused for the rate (by the quota, or for SES's send rate)
    calls: int  # the calls the throttled share is over
    wall_s: float
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def achieved_ratio(self) -> float:
        ceiling = min(self.budget, self.quota) if self.budget is not None else self.quota
        return (self.reset / self.wall_s) / ceiling if self.wall_s > 0 else 0.0

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.calls if self.calls else 0.0

    def line(self, baseline: ModeResult | None = None) -> str:
        """The mode's figures on one line; against `baseline` (a mode of the same run), its rate as a ratio."""
        budget = "none" if self.budget is None else f"{self.budget:g}"
        versus = ""
        if baseline is not None and baseline.reset and baseline.wall_s > 0 and self.wall_s > 0:
            ratio = (self.reset / self.wall_s) / (baseline.reset / baseline.wall_s)
            versus = f" rate_vs_{baseline.mode}={ratio:.2f}"
        return (
            f"bulk: mode={self.mode} budget={budget} quota={self.quota:g} users={self.users}"
            f" achieved_ratio={self.achieved_ratio:.3f}{versus} throttled={self.throttled}"
            f" throttled_share={self.throttled_share:.3f} reset={self.reset} failed={self.failed} lost={self.lost}"
            f" duplicated={self.duplicated} wall_s={self.wall_s:.1f}"
        )

    def document(self) -> dict[str, Any]:
        document = asdict(self)
        document["budget"] = "none" if self.budget is None else self.budget
        document |= {
            "achieved_ratio": round(self.achieved_ratio, 4),
            "throttled_share": round(self.throttled_share, 4),
        }
        return document

    def misses(self) -> list[str]:
        """The targets this run missed: 0 lost and 0 duplicated always; a budget under the limit used, one over it
        held. The baselines have no budget."""
        missed = []
        if self.lost or self.duplicated:
            missed.append(f"{self.mode}: lost {self.lost}, duplicated {self.duplicated} (target 0 and 0)")
        if self.budget is not None and self.budget < self.quota and self.achieved_ratio < ACHIEVED_RATIO_TARGET:
            missed.append(f"{self.mode}: achieved_ratio {self.achieved_ratio:.3f} < {ACHIEVED_RATIO_TARGET}")
        if self.budget is not None and self.budget > self.quota and self.throttled_share > THROTTLED_SHARE_TARGET:
            missed.append(f"{self.mode}: throttled {self.throttled_share:.1%} of calls > {THROTTLED_SHARE_TARGET:.0%}")
        return missed


@dataclass(slots=True)
class Stopwatch:
    """Wall time and the process's CPU time (every thread's; user + system) of what runs between start and stop: the
    whole local system runs in this process, so CPU seconds near wall seconds mean the machine, not the quota, set
    the pace."""

    _wall: float = 0.0
    _cpu: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def start(self) -> None:
        self._wall, self._cpu = time.monotonic(), time.process_time()

    def stop(self) -> None:
        self.wall_s, self.cpu_s = time.monotonic() - self._wall, time.process_time() - self._cpu


def usernames(count: int) -> list[str]:
    return [f"user-{number:05d}" for number in range(count)]


def populate_pool(aws: LocalAws, name: str, users: Sequence[str]) -> str:
    """A fresh pool (as the stack creates one) of `users`."""
    pool_id = create_user_pool(aws.client("cognito-idp"), name)
    populate_users(aws, pool_id, users)
    return pool_id


def populate_users(aws: LocalAws, pool_id: str, users: Sequence[str]) -> None:
    """Confirmed users with verified e-mail addresses, created straight at the local Cognito (not through the quota),
    one at a time: the local system's username lookup (local_aws/emulation/cognito.py) walks the pool's users, and a
    user created on another thread meanwhile breaks the walk."""
    cognito = aws.client("cognito-idp")
    for user in users:
        add_user(cognito, pool_id, user, email=f"{user}@example.com")


def pool_statuses(aws: LocalAws, pool_id: str) -> dict[str, str]:
    """Every user's status, by ListUsers straight at the local Cognito (the quota does not see it)."""
    paginator = aws.client("cognito-idp").get_paginator("list_users")
    return {
        str(user["Username"]): str(user["UserStatus"])
        for page in paginator.paginate(UserPoolId=pool_id)
        for user in page["Users"]
    }


def judge(
    mode: str,
    *,
    budget: float | None,
    quota: float,
    users: Sequence[str],
    statuses: Mapping[str, str],
    reported_failed: Iterable[str],
    counts: QuotaCounts,
    stopwatch: Stopwatch,
    details: Mapping[str, Any],
    counted: str | None = None,
    messages: Sequence[DeliveredMessage] | None = None,
) -> ModeResult:
    """The mode's figures: the pool's final statuses against what the caller reported, what the quota emulator saw
    (the throttled share over `counted`'s calls, None: every Cognito call) and, when given, the outbox's messages."""
    failed = set(reported_failed)
    reset = {user for user in users if statuses.get(user) == RESET_REQUIRED}
    lost = [user for user in users if user not in reset and user not in failed]
    duplicated = [user for user in users if counts.resets[user] > 1]
    throttled, calls = counts.refused_for_rate(counted)
    received: Counter[str] = Counter()
    if messages is not None:
        received = Counter(message.username for message in messages if message.undelivered is None)
        lost += [user for user in sorted(reset) if not received[user]]  # reset, yet no message reached the user
        duplicated += [user for user in users if received[user] > 1 and counts.resets[user] <= 1]
    return ModeResult(
        mode=mode,
        budget=budget,
        quota=quota,
        users=len(users),
        reset=len(reset),
        failed=len(failed),
        lost=len(lost),
        duplicated=len(duplicated),
        throttled=throttled,
        calls=calls,
        wall_s=stopwatch.wall_s,
        details={
            **details,
            "process_cpu_s": round(stopwatch.cpu_s, 1),
            "throttled_share_of": counted or "every Cognito call",
            "calls_per_operation": dict(counts.calls),
            "throttled_per_operation": dict(counts.throttled),
            "refused_for_send_rate_per_operation": dict(counts.over_send_rate),
            **(
                {}
                if messages is None
                else {
                    "messages_delivered": sum(received.values()),
                    "users_with_one_message": sum(1 for user in users if received[user] == 1),
                    "users_sent_two_codes": sum(1 for sent in received.values() if sent > 1),
                }
            ),
            "failed_and_reset": len(failed & reset),  # told it failed, yet reset at the end
            "lost_examples": lost[:10],
            "duplicated_examples": duplicated[:10],
        },
    )


def cognito_client(url: str, threads: int) -> CognitoIdentityProviderClient:
    """A Cognito client at `url` with botocore's default retries (its standard mode unless AWS_RETRY_MODE says
    otherwise) and enough connections that its pool is not what limits `threads`."""
    client: CognitoIdentityProviderClient = boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
        config=Config(max_pool_connections=max(10, threads)),
    )
    return client


def client_retries(client: CognitoIdentityProviderClient) -> dict[str, Any]:
    """What botocore settled on for retries (the stubs do not declare it)."""
    return dict(vars(client.meta.config).get("retries") or {})


def reset_all(
    client: CognitoIdentityProviderClient, pool_id: str, users: Sequence[str], workers: int, stopwatch: Stopwatch
) -> dict[str, str]:
    """AdminResetUserPassword for every user, one thread or `workers`; the users that failed, with the error code."""
    failed: dict[str, str] = {}

    def reset(user: str) -> None:
        try:
            client.admin_reset_user_password(UserPoolId=pool_id, Username=user)
        except ClientError as error:
            failed[user] = str(error.response.get("Error", {}).get("Code", "unknown"))

    stopwatch.start()
    if workers == 1:
        for user in users:
            reset(user)
    else:
        with ThreadPoolExecutor(workers) as executor:
            list(executor.map(reset, users))
    stopwatch.stop()
    return failed


def measure_bulk_run(
    system: LocalSystem,
    mode: str,
    *,
    users: int,
    budget: float,
    quota: float,
    cognito_quota: Mapping[Category, float],
    counted: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> ModeResult:
    """`users` users through the stack's bulk workflow on `system` (synthesized with rateBudget `budget`), the quota
    emulator at `cognito_quota` between the reset function and the local Cognito.

    The reset function builds its Cognito client from the environment when a container starts, so the quota goes in
    through botocore's per-service endpoint variable before every container is started afresh. Step Functions' Retry
    waits and the function's own backoff take their real time."""
    pool_id = system.stack.user_pool_id
    names = usernames(users)
    populate_users(system.aws, pool_id, names)
    manifest = "username\n" + "".join(f"{name}\n" for name in names)
    with (
        running_quota_emulator(system.aws.endpoint_url, cognito_quota) as emulator,
        mock.patch.dict(os.environ, {COGNITO_ENDPOINT: emulator.url}),
    ):
        system.stack.functions.start_cold()
        stopwatch = Stopwatch()
        stopwatch.start()
        execution = system.run_bulk(
            manifest,
            run_id=f"bench-{mode}",
            csv=True,
            defaults={"clientMetadata": {"reason": "security_incident"}},
            timeout_seconds=max(900.0, 10 * users / min(budget, quota)),
        )
        stopwatch.stop()
        counts = emulator.counts()
    reported_failed, summary = run_report(system, execution)
    return judge(
        mode,
        budget=budget,
        quota=quota,
        users=names,
        statuses=pool_statuses(system.aws, pool_id),
        reported_failed=reported_failed,
        counts=counts,
        stopwatch=stopwatch,
        counted=counted,
        messages=system.outbox.messages,
        details={
            "execution_status": execution["status"],
            "summary_statuses": summary.get("statuses", {}),
            "summary_reasons": summary.get("reasons", {}),
            "summary_unfinished": summary.get("unfinished", {}),
            "reserved_concurrency": {
                function.name: function.reserved_concurrency
                for function in system.stack.functions
                if function.reserved_concurrency is not None
            },
            "cognito_quota": {str(category): rate for category, rate in cognito_quota.items()},
            "burst_s": DEFAULT_BURST_SECONDS,
            **(details or {}),
        },
    )


def run_report(system: LocalSystem, execution: Mapping[str, Any]) -> tuple[set[str], dict[str, Any]]:
    """The users the run reported failed (a failed result row, or a batch that never finished) and its summary (the
    execution's output, or the summary object a run that ended with rows unfinished names as its cause), read from
    ResultWriter's files as an operator would."""
    s3 = system.aws.client("s3")
    if execution["status"] == "SUCCEEDED":
        summary: dict[str, Any] = json.loads(execution["output"])
    elif execution.get("error") == RUN_UNFINISHED:
        summary_bucket, _, summary_key = str(execution["cause"]).removeprefix("s3://").partition("/")
        summary = json.loads(s3.get_object(Bucket=summary_bucket, Key=summary_key)["Body"].read())
    else:
        return set(), {}
    bucket, _, folder = str(summary["results"]).removeprefix("s3://").partition("/")
    written = json.loads(s3.get_object(Bucket=bucket, Key=f"{folder}manifest.json")["Body"].read())
    failed: set[str] = set()
    for status, files in written["ResultFiles"].items():
        for file in files:
            body = s3.get_object(Bucket=bucket, Key=file["Key"])["Body"].read().decode()
            for child in child_executions(body.splitlines()):
                if status == "SUCCEEDED":
                    failed |= {
                        str(row.get("username"))
                        for row in batch_results(child)
                        if row.get("status") == ResetStatus.FAILED
                    }
                else:  # the batch did not finish: the summary counts its rows as unfinished
                    rows = (item_parts(item)[1] for item in batch_items(child))
                    failed |= {str(row.get("username")) for row in rows if isinstance(row, dict)}
    return failed, summary


def write_result(result: ModeResult, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bulk-{result.mode}.json"
    path.write_text(json.dumps(result.document(), indent=2, sort_keys=True) + "\n")
    return path
