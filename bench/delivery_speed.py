"""Resets at SES's send rate: the stack deployed to send its e-mail through the pool's own SES identity
(EmailSendingAccount DEVELOPER), the simulated SES account's MaxSendRate (local_aws/emulation/delivery.py) set low
enough that the local system, all in one process on two cores, can exceed it fourfold: SEND_RATE, 5 a second.

Modes, each against a fresh local system and pool of USERS verified users:
- `ses-threads`: the baseline: AdminResetUserPassword for every user from a thread pool, a boto3 client with its
  default retries (botocore's standard mode retries LimitExceededException as a throttle) and no pacing;
- `ses-over`: the stack's bulk workflow with rateBudget at OVER times the send rate: misconfigured, as if Cognito's
  quota were the only limit on the path.

Cognito's own request quotas are played at the developer guide's defaults (bench/quota.py DEFAULT_QUOTAS), far above
the send rate, so only SES binds. throttled counts the AdminResetUserPassword calls refused for the rate (the local
Cognito's LimitExceededException "Maximum sending rate exceeded.", and any quota throttle), and throttled_share is over
the AdminResetUserPassword calls; a user is lost who was not reset and not reported failed, or was reset and got no
message in the outbox, and duplicated who got two (bench/bulk_runs.py). achieved_ratio is users reset per second over
min(budget, send rate); `ses-over` is compared with `ses-threads`. A run of 300 users takes about a minute a mode.

Usage: python -m bench.bulk_speed --modes ses-threads,ses-over [--ses-users 300] [--ses-rate 5] [--ses-over 4]
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final

from bench.bulk_runs import (
    RESET_OPERATION,
    ModeResult,
    Stopwatch,
    client_retries,
    cognito_client,
    judge,
    measure_bulk_run,
    pool_statuses,
    populate_users,
    reset_all,
    usernames,
)
from bench.quota import DEFAULT_QUOTAS, running_quota_emulator
from local_aws.emulation.delivery import DeliverySettings, SesAccount
from local_aws.harness.synth import SynthesizedStack, descriptor_into, synthesize
from local_aws.harness.system import SES_DEPLOYMENT, running_system

MODES: Final = ("ses-threads", "ses-over")
COMPARED_WITH: Final = {"ses-over": "ses-threads"}
USERS: Final = 300
SEND_RATE: Final = 5.0
OVER: Final = 4.0
WORKERS: Final = 16


def sending(send_rate: float, users: int) -> DeliverySettings:
    """An SES account out of the sandbox at `send_rate` a second, with a day's quota that never binds."""
    return DeliverySettings(ses=SesAccount(max_send_rate=send_rate, max_24_hour_send=max(50_000, 10 * users)))


def ses_stack(budget: float) -> SynthesizedStack:
    return synthesize(SES_DEPLOYMENT | {"rateBudget": budget})


def run_baseline(*, synthesized: SynthesizedStack, users: int, send_rate: float, workers: int, log: Path) -> ModeResult:
    """`ses-threads`: every user's AdminResetUserPassword from `workers` threads, straight at the local Cognito
    (through the quota emulator, which counts), on the SES deployment's pool."""
    names = usernames(users)
    with (
        descriptor_into(1, log),  # the custom message trigger's logs
        tempfile.TemporaryDirectory(prefix="bench-outbox-") as outbox,
        running_system(Path(outbox), synthesized=synthesized, sending=sending(send_rate, users)) as system,
    ):
        pool_id = system.stack.user_pool_id
        populate_users(system.aws, pool_id, names)
        with running_quota_emulator(system.aws.endpoint_url, DEFAULT_QUOTAS) as emulator:
            client = cognito_client(emulator.url, workers)
            stopwatch = Stopwatch()
            failed = reset_all(client, pool_id, names, workers, stopwatch)
            counts = emulator.counts()
        return judge(
            "ses-threads",
            budget=None,
            quota=send_rate,
            users=names,
            statuses=pool_statuses(system.aws, pool_id),
            reported_failed=failed,
            counts=counts,
            stopwatch=stopwatch,
            counted=RESET_OPERATION,
            messages=system.outbox.messages,
            details={
                "threads": workers,
                "client_retries": client_retries(client),
                "failed_codes": sorted(set(failed.values())),
                "functions_log": log.name,
            },
        )


def run_over(*, synthesized: SynthesizedStack, users: int, send_rate: float, budget: float, log: Path) -> ModeResult:
    """`ses-over`: the bulk workflow with rateBudget `budget` (the stack synthesized with it) against the send rate."""
    with (
        descriptor_into(1, log),
        tempfile.TemporaryDirectory(prefix="bench-outbox-") as outbox,
        running_system(Path(outbox), synthesized=synthesized, sending=sending(send_rate, users)) as system,
    ):
        return measure_bulk_run(
            system,
            "ses-over",
            users=users,
            budget=budget,
            quota=send_rate,
            cognito_quota=DEFAULT_QUOTAS,
            counted=RESET_OPERATION,
            details={"functions_log": log.name},
        )


_stacks: dict[float, SynthesizedStack] = {}


def run_mode(mode: str, *, users: int, send_rate: float, over: float, workers: int, out: Path) -> ModeResult:
    """One mode on a local system of its own; both modes run the stack synthesized with ses-over's budget (the
    baseline does not use it), synthesized once."""
    budget = over * send_rate
    synthesized = _stacks.get(budget) or _stacks.setdefault(budget, ses_stack(budget))
    log = out / f"bulk-{mode}.log"
    if mode == "ses-threads":
        return run_baseline(synthesized=synthesized, users=users, send_rate=send_rate, workers=workers, log=log)
    return run_over(synthesized=synthesized, users=users, send_rate=send_rate, budget=budget, log=log)
