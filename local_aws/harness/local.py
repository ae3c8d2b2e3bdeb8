"""`make local`: the local system kept running, for the AWS CLI or boto3 to talk to until Ctrl-C.

It starts the deployment production runs: the pool sends e-mail through its own SES identity (sesFromAddress), on an
account out of the SES sandbox, so the first reset e-mail is the tailored one; the sandbox and Cognito's own sender
are one option each (`options`). Prints the endpoint, the environment to export and the resource names; everything
sent to it goes through the same emulation as `make demo` (rules deliver to the reset function, resets call the
CustomMessage trigger, messages land in the outbox). Each event the rule delivers is printed with its outcome as it
happens, so a refused or failed request behind EventBridge (which answers PutEvents before the function runs) does not
pass unseen.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final, TextIO

from contracts.delivery_events import SOURCE as SES_SOURCE
from contracts.events import request_entry
from local_aws.emulation.delivery import DeliverySettings, SesAccount
from local_aws.emulation.eventbridge import DeliveryAttempt, DeliveryObserver
from local_aws.harness.pool import add_user, create_app_client
from local_aws.harness.synth import synthesize
from local_aws.harness.system import SES_DEPLOYMENT, running_system

OUT = Path("out/local")


def outcome_line(attempt: DeliveryAttempt) -> str:
    """What became of one delivery, in the result's own words: status, reason, detail (worded with field names
    only). Never the username, requestId or a metadata value: the event id ties the line to PutEvents' answer."""
    event = attempt.delivery.event
    head = f"{time.strftime('%H:%M:%S')} event {event.get('id')} from {event.get('source')}:"
    invocation = attempt.invocation
    if invocation.function_error:
        tried = f"attempt {attempt.attempt} of {attempt.attempts} raised {invocation.error_type}"
        if attempt.retried_later:
            return f"{head} {tried}; Lambda retries it"
        destination = attempt.delivery.function.async_config.on_failure_destination
        kept = f"sent to {destination.rsplit(':', 1)[-1]}" if destination else "dropped (no on-failure destination)"
        return f"{head} {tried}; no retries left, {kept}"
    result = invocation.payload if isinstance(invocation.payload, dict) else {}
    if event.get("source") == SES_SOURCE:  # SES's event of a sent e-mail, counted per run (never its address)
        runs = json.dumps(result.get("counted") or {})
        return f"{head} {event.get('detail-type')}: counted for runs {runs} (repeated {result.get('repeated', 0)})"
    words = [f"status={result.get('status')}"]
    if result.get("reason"):
        words.append(f"reason={result['reason']}")
    if result.get("detail"):
        words.append(f"detail={json.dumps(result['detail'])}")
    if result.get("signedOut"):
        words.append("signedOut=true")
    return f"{head} {' '.join(words)}"


# The senders `make local` plays, one option each (printed under the delivery line).
SENDERS: Final = (
    'make local: SES out of the sandbox; ARGS="--ses-sandbox lena@example.com": the SES sandbox; '
    'ARGS="--cognito-sender": Cognito\'s own sender; ARGS="--help": the limits'
)


def delivery_line(settings: DeliverySettings, with_ses: bool) -> str:
    """How the pool's messages leave the local account, and what each channel takes."""
    if not with_ses:
        return (
            f"Cognito's own sender (no sesFromAddress): {settings.cognito_default_daily_emails} e-mails a day for the "
            "account, in Cognito's own words (Cognito refuses a trigger's e-mail); no SMS (the pool has no SMS "
            "configuration)"
        )
    ses = settings.ses
    if ses.sandbox:
        reaching = ", ".join(sorted(ses.verified_identities)) or "no one"
        where = f"in the sandbox, reaching only {reaching}"
    else:
        where = "out of the sandbox"
    return (
        f"the pool's own SES identity, {where}: {ses.max_24_hour_send:,} e-mails a day at {ses.max_send_rate:g} a "
        f"second, tailored by the trigger; no SMS (the pool has no SMS configuration)"
    )


def outcome_printer(stream: TextIO) -> DeliveryObserver:
    def print_outcome(attempt: DeliveryAttempt) -> None:
        print(f"  {outcome_line(attempt)}", file=stream, flush=True)

    return print_outcome


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The deployment `make local` starts: by default the pool sends through its own SES identity, on an account out
    of the SES sandbox with a typical production quota (emulation/delivery.py, SesAccount); the sandbox and Cognito's
    own sender are one option each."""
    parser = argparse.ArgumentParser(
        prog="make local ARGS=...",
        description="The local system, with the delivery limits of the account it plays. By default the pool sends "
        "e-mail through its own SES identity (sesFromAddress set), on an account out of the SES sandbox.",
    )
    production, sandbox = SesAccount(), SesAccount.in_sandbox()
    cognito = DeliverySettings().cognito_default_daily_emails
    sender = parser.add_mutually_exclusive_group()
    sender.add_argument(
        "--ses-sandbox",
        nargs="*",
        metavar="IDENTITY",
        help=f"the SES account is in the sandbox ({sandbox.max_24_hour_send} a day, {sandbox.max_send_rate:g} a "
        "second) and reaches only these addresses or domains",
    )
    sender.add_argument(
        "--cognito-sender",
        action="store_true",
        help=f"a pool without sesFromAddress instead: Cognito's own sender, {cognito} e-mails a day for the account, "
        "in Cognito's own words",
    )
    # What earlier commands asked for, the default now: still accepted, so that they keep working.
    parser.add_argument("--ses", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--ses-daily-quota", type=int, help=f"SES's Max24HourSend out of the sandbox ({production.max_24_hour_send:,})"
    )
    parser.add_argument(
        "--ses-send-rate",
        type=float,
        help=f"SES's MaxSendRate out of the sandbox ({production.max_send_rate:g} a second)",
    )
    parser.add_argument(
        "--cognito-daily-emails",
        type=int,
        help=f"with --cognito-sender: the daily e-mail limit of Cognito's own sender for the account ({cognito})",
    )
    chosen = parser.parse_args(argv)
    if chosen.ses and chosen.cognito_sender:
        parser.error("--ses and --cognito-sender are two senders: choose one")
    if (chosen.ses_daily_quota is not None or chosen.ses_send_rate is not None) and (
        chosen.cognito_sender or chosen.ses_sandbox is not None
    ):
        parser.error("--ses-daily-quota and --ses-send-rate set an account out of the SES sandbox (the default)")
    if chosen.cognito_daily_emails is not None and not chosen.cognito_sender:
        parser.error("--cognito-daily-emails applies only with --cognito-sender")
    return chosen


def sends_through_ses(chosen: argparse.Namespace) -> bool:
    return not chosen.cognito_sender


def deployment(chosen: argparse.Namespace) -> Mapping[str, object]:
    """The CDK context the stack is synthesized with: sesFromAddress and its settings, or the shipped defaults."""
    return SES_DEPLOYMENT if sends_through_ses(chosen) else {}


def sending(chosen: argparse.Namespace) -> DeliverySettings:
    default = DeliverySettings()
    if chosen.ses_sandbox is not None:
        ses = SesAccount.in_sandbox(*chosen.ses_sandbox)
    else:
        ses = SesAccount(
            max_24_hour_send=default.ses.max_24_hour_send if chosen.ses_daily_quota is None else chosen.ses_daily_quota,
            max_send_rate=default.ses.max_send_rate if chosen.ses_send_rate is None else chosen.ses_send_rate,
        )
    daily = chosen.cognito_daily_emails
    return DeliverySettings(
        cognito_default_daily_emails=default.cognito_default_daily_emails if daily is None else daily, ses=ses
    )


def main() -> None:
    chosen = options()
    with_ses = sends_through_ses(chosen)
    terminal = sys.stdout
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    OUT.mkdir(parents=True, exist_ok=True)
    logs_path = OUT / "function-logs.jsonl"
    with logs_path.open("w", encoding="utf-8") as logs, contextlib.redirect_stdout(logs):
        print("Synthesizing the CDK app and provisioning a local account...", file=terminal, flush=True)
        synthesized = synthesize(deployment(chosen))
        with running_system(OUT / "outbox", synthesized=synthesized, sending=sending(chosen)) as system:
            stack = system.stack
            for username, locale in (("lena", "de"), ("sam", "en")):
                add_user(system.cognito, stack.user_pool_id, username, email=f"{username}@example.com", locale=locale)
            client_id = create_app_client(system.cognito, stack.user_pool_id)
            exports = {key: system.aws.environment[key] for key in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")} | {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
            }
            detail = {"username": "lena", "clientMetadata": {"reason": "security_incident", "locale": "de"}}
            entry = request_entry(stack.event_bus_name, detail)
            entries = json.dumps([entry], separators=(",", ":"))
            state_machine = stack.single_reset_state_machine_arn
            start_input = json.dumps({"username": "sam"}, separators=(",", ":"))
            lines = [
                f"Local AWS is listening on {system.aws.endpoint_url} (Ctrl-C stops it).",
                "",
                "In another shell:",
                *(f"  export {key}={value}" for key, value in exports.items()),
                "",
                f"  user pool:       {stack.user_pool_id} (users lena, sam)",
                f"  app client:      {client_id} (the users' own ForgotPassword and ConfirmForgotPassword)",
                f"  event bus:       {stack.event_bus_name}",
                f"  state machine:   {stack.single_reset_state_machine_arn}",
                f"  bulk workflow:   {stack.bulk_reset_state_machine_arn}",
                f"  bulk bucket:     {stack.bulk_bucket}",
                f"  failed requests: {stack.failed_requests_queue_url}",
                "",
                "  # the operator CLI finds the stack by its outputs, here as on AWS (through AWS_ENDPOINT_URL):",
                "  .venv/bin/cognito-reset request --username lena --reason security_incident --locale de --wait",
                "  printf 'username\\nlena\\nsam\\n' > users.csv",
                "  .venv/bin/cognito-reset bulk users.csv --reason security_incident",
                "",
                f"  aws events put-events --entries {shlex.quote(entries)}",
                f"  aws cognito-idp admin-get-user --user-pool-id {stack.user_pool_id} --username lena",
                "  # lena chooses a new password with the code in her e-mail (see the outbox):",
                f"  aws cognito-idp confirm-forgot-password --client-id {client_id} --username lena "
                + "--confirmation-code <code> --password 'N3w-passw0rd!'",
                # Execution names are unique per state machine. Without --name, moto's interpreter names every
                # execution None and the second start fails with ExecutionAlreadyExists (AWS would make up a UUID).
                f"  execution=$(aws stepfunctions start-execution --state-machine-arn {state_machine} "
                + f"--name \"sam-$(date +%s%N)\" --input '{start_input}' --query executionArn --output text)",
                "  aws stepfunctions describe-execution --execution-arn \"$execution\" --query '[status,output]'"
                + "   # again while RUNNING",
                "",
                f"Messages: {system.outbox.index.resolve()} (emptied at each start)   "
                f"Function logs: {logs_path.resolve()}",
                f"Delivery: {delivery_line(system.emulation.channels.settings, with_ses)}",
                f"          ({SENDERS})",
                "",
                "What the reset function made of each event the rule delivered (an event that matches no rule, such",
                "as one from a source outside allowedEventSources, is dropped without a trace, as on AWS):",
            ]
            print("\n".join(lines), file=terminal, flush=True)
            system.emulation.events.observers.append(outcome_printer(terminal))
            stop.wait()
    print("Stopped.", file=terminal, flush=True)


if __name__ == "__main__":
    main()
