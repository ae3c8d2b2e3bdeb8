"""The operator CLI (`cognito-reset`, the console script `make setup` installs) against the local system, run as an
operator runs it: a separate process that finds the stack by its outputs, through the local endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from local_aws.system import LocalSystem

CLI = Path(sys.executable).with_name("cognito-reset")


def cognito_reset(system: LocalSystem, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own console script
        [str(CLI), "--endpoint-url", system.aws.endpoint_url, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
        timeout=120,
    )


def test_request_with_wait_runs_the_single_reset_workflow_and_prints_its_result(system: LocalSystem) -> None:
    done = cognito_reset(
        system, "--json", "request", "--username", "lena", "--reason", "security_incident", "--locale", "de", "--wait"
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["username"], result["replayed"]) == ("reset", "lena", False)
    assert system.user_status("lena") == "RESET_REQUIRED"
    assert len(system.outbox.messages) == 1


def test_request_puts_it_on_the_bus_where_the_rule_delivers_it(system: LocalSystem) -> None:
    queued = cognito_reset(system, "request", "--email", "sam@example.com", "--reason", "policy_rotation")

    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.startswith("queued: event ")
    system.wiring.events.drain()
    ((delivery, invocation),) = system.wiring.events.delivered
    assert delivery.event["id"] in queued.stdout
    assert (invocation.payload["status"], invocation.payload["username"]) == ("reset", "sam")
    assert system.user_status("sam") == "RESET_REQUIRED"


def test_a_failed_reset_exits_1_with_the_result(system: LocalSystem) -> None:
    failed = cognito_reset(system, "--json", "request", "--username", "nobody", "--wait")

    assert failed.returncode == 1
    assert (json.loads(failed.stdout)["status"], json.loads(failed.stdout)["reason"]) == ("failed", "USER_NOT_FOUND")


def test_what_the_operator_must_fix_is_one_line_and_exit_2(system: LocalSystem) -> None:
    no_stack = cognito_reset(system, "--stack-name", "NotDeployed", "request", "--username", "lena")
    two_names = cognito_reset(system, "request", "--username", "lena", "--email", "lena@example.com")

    assert (no_stack.returncode, two_names.returncode) == (2, 2)
    assert no_stack.stderr.startswith("cognito-reset: stack NotDeployed:")
    assert two_names.stderr.strip() == "cognito-reset: request: give exactly one of --username, --email or --sub"
    assert len(no_stack.stderr.strip().splitlines()) == 1
    assert system.user_status("lena") == "CONFIRMED"  # nothing was sent
