"""`make local`: the local system kept running, for the AWS CLI or boto3 to talk to until Ctrl-C.

Prints the endpoint, the environment to export and the resource names; everything sent to it goes through the same
wiring as `make demo` (rules deliver to the reset function, resets call the CustomMessage trigger, messages land in
the outbox).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import sys
import threading
from pathlib import Path

from local_aws.pool import add_user
from local_aws.system import REQUEST_SOURCE, RESET_REQUESTED, running_system

OUT = Path("out/local")


def main() -> None:
    terminal = sys.stdout
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    OUT.mkdir(parents=True, exist_ok=True)
    logs_path = OUT / "function-logs.jsonl"
    with logs_path.open("w", encoding="utf-8") as logs, contextlib.redirect_stdout(logs):
        print("Synthesizing the CDK app and provisioning a local account...", file=terminal, flush=True)
        with running_system(OUT / "outbox") as system:
            stack = system.stack
            for username, locale in (("lena", "de"), ("sam", "en")):
                add_user(system.cognito, stack.user_pool_id, username, email=f"{username}@example.com", locale=locale)
            exports = {key: system.aws.environment[key] for key in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")} | {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
            }
            detail = {"username": "lena", "clientMetadata": {"reason": "security_incident", "locale": "de"}}
            entry = {
                "EventBusName": stack.event_bus_name,
                "Source": REQUEST_SOURCE,
                "DetailType": RESET_REQUESTED,
                "Detail": json.dumps(detail, separators=(",", ":")),
            }
            entries = json.dumps([entry], separators=(",", ":"))
            lines = [
                f"Local AWS is listening on {system.aws.endpoint_url} (Ctrl-C stops it).",
                "",
                "In another shell:",
                *(f"  export {key}={value}" for key, value in exports.items()),
                "",
                f"  user pool:       {stack.user_pool_id} (users lena, sam)",
                f"  event bus:       {stack.event_bus_name}",
                f"  state machine:   {stack.single_reset_state_machine_arn}",
                f"  failed requests: {stack.failed_requests_queue_url}",
                "",
                f"  aws events put-events --entries {shlex.quote(entries)}",
                "  aws stepfunctions start-execution --state-machine-arn "
                + f'{stack.single_reset_state_machine_arn} --input \'{{"username":"sam"}}\'',
                f"  aws cognito-idp admin-get-user --user-pool-id {stack.user_pool_id} --username lena",
                "",
                f"Messages: {system.wiring.outbox.index.resolve()}   Function logs: {logs_path.resolve()}",
            ]
            print("\n".join(lines), file=terminal, flush=True)
            stop.wait()
    print("Stopped.", file=terminal, flush=True)


if __name__ == "__main__":
    main()
