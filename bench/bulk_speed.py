"""Resets at Cognito's speed limit: 2,000 users through a quota emulator (bench/quota.py) in front of the local Cognito.

Modes, in this order, each against a fresh local account and pool of verified users:
- `loop`: one thread, a boto3 client with its default retries, AdminResetUserPassword for each user in turn;
- `threads`: the same from a thread pool (--workers, 16 by default);
- `bulk-under`, `bulk-over`: the stack's bulk workflow on the local system, its rateBudget set under the quota and
  (misconfigured) over it (see run_bulk_mode).

For each mode one line
`bulk: mode=... budget=... quota=... users=... achieved_ratio=... throttled=... reset=... failed=... lost=...
duplicated=... wall_s=...` and the same, with the calls and throttles per operation and the process's CPU time, as
bench/results/bulk-<mode>.json (one file per mode, so a mode run alone replaces only its own; the bulk modes' function
logs go beside it, bulk-<mode>.log). achieved_ratio is resets per second over min(budget, quota); the baselines have
no budget ("none"), so theirs is over the quota. reset counts the pool's users in RESET_REQUIRED at the end (ListUsers
straight at the local Cognito, not through the quota); failed, the users the caller was told failed; lost, the users
neither reset nor reported failed; duplicated, the users whose AdminResetUserPassword succeeded more than once at the
local Cognito (each success sends a code). Targets: achieved_ratio >= 0.95 under the quota, throttled <= 2%
of calls when misconfigured, 0 lost and 0 duplicated everywhere.

The quota R is 12 requests per second in every category, not Cognito's 30: the whole local system (moto, the
workflows, the functions, the quota) runs in this one Python process, which on a 2-core machine tops out near 20
resets per second; a quota the local system cannot exceed would never throttle the misconfigured run. The budgets are
10 (under) and 20 (over). A run of 2,000 users at these rates takes about three minutes.

Usage: python -m bench.bulk_speed [--users 2000] [--quota 12] [--budget-under 10] [--budget-over 20]
       [--modes loop,threads,bulk-under,bulk-over] [--workers 16] [--out DIR] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
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

from bench.quota import DEFAULT_BURST_SECONDS, QuotaCounts, running_quota_emulator, uniform_quota
from contracts.bulk import RUN_UNFINISHED, batch_items, batch_results, child_executions, item_parts
from contracts.results import ResetStatus
from local_aws.pool import add_user, create_user_pool
from local_aws.server import REGION, LocalAws, running_local_aws
from local_aws.synth import descriptor_into, synthesize
from local_aws.system import LocalSystem, running_system
from local_aws.wiring.delivery import DeliverySettings
from reset_password.logic import RESET_REQUIRED
from tests.faults.harness import COGNITO_ENDPOINT

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = ROOT / "bench" / "results"
BASELINES: Final = ("loop", "threads")
BULK_MODES: Final = ("bulk-under", "bulk-over")
# The targets.
ACHIEVED_RATIO_TARGET: Final = 0.95
THROTTLED_SHARE_TARGET: Final = 0.02


@dataclass(frozen=True, slots=True)
class ModeResult:
    mode: str
    budget: float | None  # the rate budget the mode was given; None for the baselines, which have none
    quota: float
    users: int
    reset: int
    failed: int
    lost: int
    duplicated: int
    throttled: int
    calls: int
    wall_s: float
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def achieved_ratio(self) -> float:
        ceiling = min(self.budget, self.quota) if self.budget is not None else self.quota
        return (self.reset / self.wall_s) / ceiling if self.wall_s > 0 else 0.0

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.calls if self.calls else 0.0

    def line(self) -> str:
        budget = "none" if self.budget is None else f"{self.budget:g}"
        return (
            f"bulk: mode={self.mode} budget={budget} quota={self.quota:g} users={self.users}"
            f" achieved_ratio={self.achieved_ratio:.3f} throttled={self.throttled} reset={self.reset}"
            f" failed={self.failed} lost={self.lost} duplicated={self.duplicated} wall_s={self.wall_s:.1f}"
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
        """The targets this run missed."""
        missed = []
        if self.lost or self.duplicated:
            missed.append(f"{self.mode}: lost {self.lost}, duplicated {self.duplicated} (target 0 and 0)")
        if self.mode == "bulk-under" and self.achieved_ratio < ACHIEVED_RATIO_TARGET:
            missed.append(f"{self.mode}: achieved_ratio {self.achieved_ratio:.3f} < {ACHIEVED_RATIO_TARGET}")
        if self.mode == "bulk-over" and self.throttled_share > THROTTLED_SHARE_TARGET:
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
    one at a time: the local system's username lookup (local_aws/wiring/cognito.py) walks the pool's users, and a user
    created on another thread meanwhile breaks the walk."""
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
) -> ModeResult:
    """The mode's figures: the pool's final statuses against what the caller reported and the quota counted."""
    failed = set(reported_failed)
    reset = {user for user in users if statuses.get(user) == RESET_REQUIRED}
    lost = [user for user in users if user not in reset and user not in failed]
    duplicated = [user for user in users if counts.resets[user] > 1]
    return ModeResult(
        mode=mode,
        budget=budget,
        quota=quota,
        users=len(users),
        reset=len(reset),
        failed=len(failed),
        lost=len(lost),
        duplicated=len(duplicated),
        throttled=counts.total_throttled,
        calls=counts.total_calls,
        wall_s=stopwatch.wall_s,
        details={
            **details,
            "process_cpu_s": round(stopwatch.cpu_s, 1),
            "calls_per_operation": dict(counts.calls),
            "throttled_per_operation": dict(counts.throttled),
            "failed_and_reset": len(failed & reset),  # told it failed, yet reset at the end
            "lost_examples": lost[:10],
            "duplicated_examples": duplicated[:10],
        },
    )


def _reset_all(
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


def run_baseline(mode: str, aws: LocalAws, *, users: int, quota: float, workers: int) -> ModeResult:
    """`loop` (one thread) or `threads` (`workers` threads) calling AdminResetUserPassword through the quota."""
    names = usernames(users)
    pool_id = populate_pool(aws, f"bench-{mode}", names)
    threads = 1 if mode == "loop" else workers
    with running_quota_emulator(aws.endpoint_url, uniform_quota(quota)) as emulator:
        # Default retries (botocore's standard mode unless AWS_RETRY_MODE says otherwise); enough connections that
        # the client's pool is not what limits the threads.
        config = Config(max_pool_connections=max(10, threads))
        client: CognitoIdentityProviderClient = boto3.client(
            "cognito-idp",
            endpoint_url=emulator.url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
            config=config,
        )
        stopwatch = Stopwatch()
        failed = _reset_all(client, pool_id, names, threads, stopwatch)
        counts = emulator.counts()
        retries = vars(client.meta.config).get("retries")  # what botocore settled on (the stubs do not declare it)
    return judge(
        mode,
        budget=None,
        quota=quota,
        users=names,
        statuses=pool_statuses(aws, pool_id),
        reported_failed=failed,
        counts=counts,
        stopwatch=stopwatch,
        details={
            "threads": threads,
            "client_retries": dict(retries or {}),
            "failed_codes": sorted(set(failed.values())),
            "burst_s": DEFAULT_BURST_SECONDS,
        },
    )


def run_bulk_mode(mode: str, *, users: int, quota: float, budget: float, log: Path) -> ModeResult:
    """`bulk-under` or `bulk-over`: `users` users through the stack's bulk workflow on the local system, the stack
    synthesized with rateBudget `budget`, the quota emulator between the reset function and the local Cognito.

    The reset function builds its Cognito client from the environment when a container starts, so the quota goes in
    through botocore's per-service endpoint variable before every container is started afresh. Step Functions' Retry
    waits and the function's own backoff take their real time. What the functions print (their structured logs and
    metrics) goes to `log`, not the terminal."""
    synthesized = synthesize({"rateBudget": budget})
    names = usernames(users)
    with (
        descriptor_into(1, log),
        tempfile.TemporaryDirectory(prefix="bench-outbox-") as outbox,
        # The run measures Cognito's request quota, not a sending channel: the account's sender takes every e-mail.
        running_system(
            Path(outbox), synthesized=synthesized, sending=DeliverySettings(cognito_default_daily_emails=10 * users)
        ) as system,
    ):
        pool_id = system.stack.user_pool_id
        populate_users(system.aws, pool_id, names)
        manifest = "username\n" + "".join(f"{name}\n" for name in names)
        with (
            running_quota_emulator(system.aws.endpoint_url, uniform_quota(quota)) as emulator,
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
        reported_failed, summary = _run_report(system, execution)
        delivered = Counter(message.username for message in system.outbox.messages)
        return judge(
            mode,
            budget=budget,
            quota=quota,
            users=names,
            statuses=pool_statuses(system.aws, pool_id),
            reported_failed=reported_failed,
            counts=counts,
            stopwatch=stopwatch,
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
                "codes_delivered": sum(delivered.values()),
                "users_sent_two_codes": sum(1 for sent in delivered.values() if sent > 1),
                "burst_s": DEFAULT_BURST_SECONDS,
                "functions_log": log.name,  # beside this file
            },
        )


def _run_report(system: LocalSystem, execution: Mapping[str, Any]) -> tuple[set[str], dict[str, Any]]:
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


def run_mode(mode: str, arguments: argparse.Namespace) -> ModeResult:
    """One mode on a local AWS of its own (moto keeps one state per process, and each local AWS starts empty)."""
    if mode in BASELINES:
        with running_local_aws() as aws:
            return run_baseline(mode, aws, users=arguments.users, quota=arguments.quota, workers=arguments.workers)
    budget = arguments.budget_under if mode == "bulk-under" else arguments.budget_over
    log = arguments.out / f"bulk-{mode}.log"
    return run_bulk_mode(mode, users=arguments.users, quota=arguments.quota, budget=budget, log=log)


def _modes(value: str) -> list[str]:
    modes = [mode.strip() for mode in value.split(",") if mode.strip()]
    unknown = sorted(set(modes) - {*BASELINES, *BULK_MODES})
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown modes: {', '.join(unknown)}")
    return modes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--quota", type=float, default=12.0, help="R: requests per second of each Cognito category")
    parser.add_argument("--budget-under", type=float, default=10.0, help="bulk-under's rateBudget (below R)")
    parser.add_argument("--budget-over", type=float, default=20.0, help="bulk-over's rateBudget (above R)")
    parser.add_argument("--workers", type=int, default=16, help="the threads mode's pool")
    parser.add_argument("--modes", type=_modes, default=[*BASELINES, *BULK_MODES], help="comma-separated, in order")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args(argv)
    if arguments.budget_under >= arguments.quota or arguments.budget_over <= arguments.quota:
        parser.error("--budget-under must be below --quota and --budget-over above it")

    results: list[ModeResult] = []
    for mode in arguments.modes:
        result = run_mode(mode, arguments)
        write_result(result, arguments.out)
        print(result.line(), flush=True)
        results.append(result)
    misses = [miss for result in results for miss in result.misses()]
    for miss in misses:
        print(f"target missed: {miss}")
    return 1 if arguments.strict and misses else 0


if __name__ == "__main__":
    sys.exit(main())
