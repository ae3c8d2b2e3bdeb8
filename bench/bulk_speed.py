"""Resets at the limits on their path: Cognito's request quota (2,000 users through a quota emulator, bench/quota.py, in
front of the local Cognito), SES's send rate (bench/delivery_speed.py), and, past this machine, a simulated fleet
(bench/pacing_simulation.py).

Modes, in this order, each against a fresh local account and pool of verified users:
- `loop`: one thread, a boto3 client with its default retries, AdminResetUserPassword for each user in turn;
- `threads`: the same from a thread pool (--workers, 16 by default);
- `bulk-under`, `bulk-over`: the stack's bulk workflow on the local system, its rateBudget set under the quota and
  (misconfigured) over it (see run_bulk_mode);
- `ses-threads`, `ses-over`: the same on a pool that sends through its own SES identity, against SES's send rate
  (bench/delivery_speed.py: --ses-users at --ses-rate a second, the budget --ses-over times it);
- `pacing-sim`: the reset function's pacing in --sim-containers containers sharing one Cognito quota of --sim-quota,
  --sim-users users on a simulated clock, with the budget at the quota and 4x over it (bench/pacing_simulation.py).

For each measured mode one line
`bulk: mode=... budget=... quota=... users=... achieved_ratio=... [rate_vs_<baseline>=...] throttled=...
throttled_share=... reset=... failed=... lost=... duplicated=... wall_s=...` and the same, with the calls and throttles
per operation and the process's CPU time, as bench/results/bulk-<mode>.json (one file per mode, so a mode run alone
replaces only its own; the bulk modes' function logs go beside it, bulk-<mode>.log); the simulation prints its own
lines (`pacing-sim: ...`) and files. achieved_ratio is resets per second over min(budget, quota); the baselines have
no budget ("none"), so theirs is over the quota. rate_vs_<baseline> is the mode's resets per second over those of the
mode it is compared with in the same run (threads against loop, bulk-over against bulk-under, ses-over against
ses-threads). reset counts the pool's users in RESET_REQUIRED at the end (ListUsers straight at the local Cognito, not
through the quota); failed, the users the caller was told failed; lost and duplicated as bench/bulk_runs.py counts
them. Targets: achieved_ratio >= 0.95 under the quota, throttled <= 2% of calls when misconfigured over it, 0 lost and
0 duplicated everywhere.

The quota R is 12 requests per second in every category, not Cognito's 30: the whole local system (moto, the
workflows, the functions, the quota) runs in this one Python process, which on a 2-core machine tops out near 20
resets per second; a quota the local system cannot exceed would never throttle the misconfigured run. The budgets are
10 (under) and 20 (over). A run of 2,000 users at these rates takes about three minutes.

Usage: python -m bench.bulk_speed [--users 2000] [--quota 12] [--budget-under 10] [--budget-over 20]
       [--modes loop,threads,bulk-under,bulk-over,ses-threads,ses-over,pacing-sim] [--workers 16]
       [--ses-users 300] [--ses-rate 5] [--ses-over 4] [--sim-users 1000000] [--sim-quota 30] [--sim-containers 25]
       [--out DIR] [--strict]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from bench import delivery_speed, pacing_simulation
from bench.bulk_runs import (
    RESULTS,
    ModeResult,
    Stopwatch,
    client_retries,
    cognito_client,
    judge,
    measure_bulk_run,
    pool_statuses,
    populate_pool,
    reset_all,
    usernames,
    write_result,
)
from bench.quota import DEFAULT_BURST_SECONDS, running_quota_emulator, uniform_quota
from local_aws.emulation.delivery import DeliverySettings
from local_aws.harness.server import LocalAws, running_local_aws
from local_aws.harness.synth import descriptor_into, synthesize
from local_aws.harness.system import running_system

BASELINES: Final = ("loop", "threads")
BULK_MODES: Final = ("bulk-under", "bulk-over")
SIMULATION: Final = "pacing-sim"
MODES: Final = (*BASELINES, *BULK_MODES, *delivery_speed.MODES, SIMULATION)
# The mode each mode's rate is compared with, when both ran.
COMPARED_WITH: Final = {"threads": "loop", "bulk-over": "bulk-under", **delivery_speed.COMPARED_WITH}


def run_baseline(mode: str, aws: LocalAws, *, users: int, quota: float, workers: int) -> ModeResult:
    """`loop` (one thread) or `threads` (`workers` threads) calling AdminResetUserPassword through the quota."""
    names = usernames(users)
    pool_id = populate_pool(aws, f"bench-{mode}", names)
    threads = 1 if mode == "loop" else workers
    with running_quota_emulator(aws.endpoint_url, uniform_quota(quota)) as emulator:
        client = cognito_client(emulator.url, threads)
        stopwatch = Stopwatch()
        failed = reset_all(client, pool_id, names, threads, stopwatch)
        counts = emulator.counts()
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
            "client_retries": client_retries(client),
            "failed_codes": sorted(set(failed.values())),
            "burst_s": DEFAULT_BURST_SECONDS,
        },
    )


def run_bulk_mode(mode: str, *, users: int, quota: float, budget: float, log: Path) -> ModeResult:
    """`bulk-under` or `bulk-over`: `users` users through the stack's bulk workflow on the local system, the stack
    synthesized with rateBudget `budget`, the quota emulator at `quota` in every category between the reset function
    and the local Cognito (bench/bulk_runs.py measure_bulk_run). What the functions print (their structured logs and
    metrics) goes to `log`, not the terminal."""
    synthesized = synthesize({"rateBudget": budget})
    with (
        descriptor_into(1, log),
        tempfile.TemporaryDirectory(prefix="bench-outbox-") as outbox,
        # The run measures Cognito's request quota, not a sending channel: the account's sender takes every e-mail.
        running_system(
            Path(outbox), synthesized=synthesized, sending=DeliverySettings(cognito_default_daily_emails=10 * users)
        ) as system,
    ):
        return measure_bulk_run(
            system,
            mode,
            users=users,
            budget=budget,
            quota=quota,
            cognito_quota=uniform_quota(quota),
            details={"functions_log": log.name},  # beside the mode's file
        )


def run_mode(mode: str, arguments: argparse.Namespace) -> ModeResult:
    """One mode on a local AWS of its own (moto keeps one state per process, and each local AWS starts empty)."""
    if mode in BASELINES:
        with running_local_aws() as aws:
            return run_baseline(mode, aws, users=arguments.users, quota=arguments.quota, workers=arguments.workers)
    if mode in delivery_speed.MODES:
        return delivery_speed.run_mode(
            mode,
            users=arguments.ses_users,
            send_rate=arguments.ses_rate,
            over=arguments.ses_over,
            workers=arguments.workers,
            out=arguments.out,
        )
    budget = arguments.budget_under if mode == "bulk-under" else arguments.budget_over
    log = arguments.out / f"bulk-{mode}.log"
    return run_bulk_mode(mode, users=arguments.users, quota=arguments.quota, budget=budget, log=log)


def _modes(value: str) -> list[str]:
    modes = [mode.strip() for mode in value.split(",") if mode.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown modes: {', '.join(unknown)}")
    return modes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--quota", type=float, default=12.0, help="R: requests per second of each Cognito category")
    parser.add_argument("--budget-under", type=float, default=10.0, help="bulk-under's rateBudget (below R)")
    parser.add_argument("--budget-over", type=float, default=20.0, help="bulk-over's rateBudget (above R)")
    parser.add_argument("--workers", type=int, default=16, help="the threads modes' pool")
    parser.add_argument("--ses-users", type=int, default=delivery_speed.USERS, help="users of the ses modes")
    parser.add_argument("--ses-rate", type=float, default=delivery_speed.SEND_RATE, help="SES's MaxSendRate")
    parser.add_argument("--ses-over", type=float, default=delivery_speed.OVER, help="ses-over's budget, in send rates")
    parser.add_argument("--sim-users", type=int, default=pacing_simulation.USERS)
    parser.add_argument("--sim-quota", type=float, default=pacing_simulation.COGNITO_RESET_QUOTA)
    parser.add_argument("--sim-containers", type=int, default=pacing_simulation.CONTAINERS)
    parser.add_argument("--modes", type=_modes, default=list(MODES), help="comma-separated, in order")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args(argv)
    if arguments.budget_under >= arguments.quota or arguments.budget_over <= arguments.quota:
        parser.error("--budget-under must be below --quota and --budget-over above it")
    if arguments.ses_over <= 1:
        parser.error("--ses-over must be above 1 (the budget over SES's send rate)")

    results: dict[str, ModeResult] = {}
    misses: list[str] = []
    for mode in arguments.modes:
        if mode == SIMULATION:
            simulated = pacing_simulation.run(
                pacing_simulation.SCENARIOS,
                users=arguments.sim_users,
                quota=arguments.sim_quota,
                containers=arguments.sim_containers,
                out=arguments.out,
            )
            misses += [miss for result in simulated for miss in result.misses()]
            continue
        result = run_mode(mode, arguments)
        write_result(result, arguments.out)
        print(result.line(results.get(COMPARED_WITH.get(mode, ""))), flush=True)
        results[mode] = result
        misses += result.misses()
    for miss in misses:
        print(f"target missed: {miss}")
    return 1 if arguments.strict and misses else 0


if __name__ == "__main__":
    sys.exit(main())
