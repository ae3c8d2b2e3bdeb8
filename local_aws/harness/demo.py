"""`make demo`: the whole product on this machine, no AWS account: EventBridge, the reset function, Cognito and its
CustomMessage trigger, Step Functions, dedupe, all provisioned from the stack's own template, with both senders a pool
can have: first the default deployment (the pool sends e-mail through Cognito's own sender, about 50 a day, in
Cognito's own words), then the same stack with an SES identity (the tailored e-mail; what `make local` starts), which
carries the breach run.

Every line printed comes from this run: statuses are read back from the local Cognito, results are what the
handlers returned, messages are what the trigger rendered. The functions' own log lines go to a file beside the
outbox, as they would go to CloudWatch Logs.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from contracts import environment as env
from contracts.cognito import COGNITO_DEFAULT
from contracts.events import RESET_REQUESTED
from local_aws.emulation.eventbridge import Delivery
from local_aws.emulation.lambda_runtime import Invocation
from local_aws.harness.pool import add_user, create_app_client
from local_aws.harness.synth import synthesize
from local_aws.harness.system import SES_DEPLOYMENT, LocalSystem, running_system

OUT = Path("out/local")


class Terminal:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def line(self, text: str = "") -> None:
        print(text, file=self._stream, flush=True)

    def result(self, label: str, result: dict[str, Any]) -> None:
        shown = {key: value for key, value in result.items() if value not in (None, False)}
        self.line(f"    {label}: {json.dumps(shown, ensure_ascii=False)}")


def _delivered_since(system: LocalSystem, count: int) -> list[tuple[Delivery, Invocation]]:
    """The reset requests the rule delivered since (not SES's delivery events, which the SES deployment counts too)."""
    system.emulation.events.drain()
    return [
        (delivery, invocation)
        for delivery, invocation in system.emulation.events.delivered[count:]
        if delivery.event.get("detail-type") == RESET_REQUESTED
    ]


SECURITY_INCIDENT = {
    "username": "lena",
    "globalSignOut": True,
    "requestId": "SEC-4211-lena",
    "clientMetadata": {"reason": "security_incident", "locale": "de-AT", "brand": "acme", "reference": "SEC-4211"},
}


def show_messages(system: LocalSystem, sent: int, say: Terminal) -> None:
    """What the local Cognito sent since `sent` messages: each part as the user receives it, and whose it is."""
    for message in system.outbox.messages[sent:]:
        email_origin = "rendered by the trigger" if message.tailored else "Cognito's own default message"
        sms_origin = "rendered by the trigger" if message.sms_tailored else "Cognito's own default message"
        if message.email_to:
            say.line(f"    e-mail to {message.email_to} ({email_origin}):")
            say.line(f"      subject: {message.subject}")
            say.line(f"      e-mail ({system.outbox.root / message.folder / 'email.html'}), as text:")
            for text_line in message.email_text.splitlines():
                say.line(f"        | {text_line}")
        if message.phone_to:
            say.line(f"    SMS to {message.phone_to} ({sms_origin}): {message.sms}")


def security_incident_in_german(system: LocalSystem, say: Terminal) -> None:
    say.line("1. A SIEM finding on EventBridge (PutEvents): reset lena, in German, and sign her out everywhere.")
    say.line(f"    lena before: {system.user_status('lena')}")
    seen, sent = len(system.emulation.events.delivered), len(system.outbox.messages)
    event_id = system.put_reset_request(SECURITY_INCIDENT)
    say.line(f"    PutEvents accepted event {event_id}; the rule delivered it to the reset function:")
    for _, invocation in _delivered_since(system, seen):
        say.result("result", invocation.payload)
    say.line(f"    lena after:  {system.user_status('lena')}")
    show_messages(system, sent, say)


def users_own_forgot_password(system: LocalSystem, client_id: str, say: Terminal, number: int) -> None:
    say.line(f'{number}. sam clicks "Forgot password" in the web app (ForgotPassword through its app client):')
    sent = len(system.outbox.messages)
    system.request_own_code(client_id, "sam")
    say.line(f"    sam after: {system.user_status('sam')} (his password works until he chooses a new one)")
    show_messages(system, sent, say)


def lena_chooses_a_new_password(system: LocalSystem, client_id: str, say: Terminal, number: int) -> None:
    say.line(f"{number}. lena types the code from her e-mail and a new password (ConfirmForgotPassword):")
    latest = next(m for m in reversed(system.outbox.messages) if m.username == "lena")
    try:
        system.choose_new_password(client_id, "lena", "000000" if latest.code != "000000" else "111111", _password())
    except ClientError as error:
        say.line(f"    a mistyped code first: {error.response['Error']['Code']}; lena: {system.user_status('lena')}")
    system.choose_new_password(client_id, "lena", latest.code, _password())
    say.line(f"    the code from her e-mail: accepted; lena: {system.user_status('lena')} (with her own new password)")


def _password() -> str:
    return secrets.token_urlsafe(12) + "aA1!"


def missing_user_through_step_functions(system: LocalSystem, say: Terminal) -> None:
    say.line("2. The single-reset state machine (StartExecution) with a user that does not exist:")
    execution = system.run_single_reset({"username": "nobody", "clientMetadata": {"reason": "admin_request"}})
    say.line(f"    execution {execution['status']}; the workflow's output is the reset function's result:")
    say.result("output", json.loads(execution.get("output") or "{}"))


def duplicate_inside_the_cooldown(system: LocalSystem, say: Terminal) -> None:
    cooldown = system.stack.environment.get(env.COOLDOWN_SECONDS)
    say.line(f"3. Another finding names lena, inside her {cooldown}-second cooldown window:")
    seen, sent = len(system.emulation.events.delivered), len(system.outbox.messages)
    system.put_reset_request(
        {"username": "lena", "requestId": "SIEM-9317-lena", "clientMetadata": {"reason": "security_incident"}}
    )
    for _, invocation in _delivered_since(system, seen):
        say.result("result", invocation.payload)
    say.line(f"    messages sent for it: {len(system.outbox.messages) - sent}; lena: {system.user_status('lena')}")


BREACH_USERS = 300


def breach_in_bulk(system: LocalSystem, say: Terminal, number: int) -> None:
    """A mass reset after a breach: a CSV manifest through the bulk workflow (its Distributed Map played from the
    synthesized definition), with a row for a user who does not exist and one user listed twice."""
    pool = system.stack.user_pool_id
    names = [f"employee-{index:03d}" for index in range(BREACH_USERS)]
    for name in names:
        add_user(system.cognito, pool, name, email=f"{name}@example.com")
    rows = [f"{name},,security_incident" for name in names]
    rows.insert(42, f",{names[7]}@example.com,security_incident")  # employee-007 again, by e-mail
    rows.append("former-employee,,security_incident")  # not in the pool
    manifest = "username,email,reason\n" + "\n".join(rows) + "\n"
    say.line(
        f"{number}. A breach: {BREACH_USERS} users in a CSV manifest ({len(rows)} rows: employee-007 listed twice, "
        "once by e-mail, and a former employee who is not in the pool), through the bulk workflow:"
    )
    sent, started = len(system.outbox.messages), time.monotonic()
    execution = system.run_bulk(
        manifest, run_id="breach-demo", csv=True, defaults={"clientMetadata": {"reference": "INC-2026-11"}}
    )
    elapsed = time.monotonic() - started
    say.line(f"    run breach-demo: execution {execution['status']} in {elapsed:.1f} s; its output, the run's summary:")
    say.result("summary", json.loads(execution.get("output") or "{}"))
    statuses: dict[str, int] = {}
    for name in names:
        status = system.user_status(name)
        statuses[status] = statuses.get(status, 0) + 1
    codes = len(system.outbox.messages) - sent
    say.line(f"    the pool now: {statuses}; messages sent: {codes}, one per user")


def users_and_app(system: LocalSystem) -> str:
    """lena (German) and sam (English) in the pool, each with a verified e-mail address and phone number, and the app
    client they use; returns its client id."""
    pool = system.stack.user_pool_id
    add_user(
        system.cognito, pool, "lena", email="lena@example.com", locale="de", given_name="Lena",
        phone_number="+4915112345678", phone_number_verified="true",
    )  # fmt: skip
    add_user(
        system.cognito, pool, "sam", email="sam@example.com", locale="en", given_name="Sam",
        phone_number="+14155550123", phone_number_verified="true",
    )  # fmt: skip
    return create_app_client(system.cognito, pool)


def default_deployment(say: Terminal, started: float) -> None:
    with running_system(OUT / "outbox") as system:
        pool = system.stack.user_pool_id
        client_id = users_and_app(system)
        say.line(
            f"Local AWS on {system.aws.endpoint_url}: user pool {pool} (CustomMessage trigger attached, e-mail "
            f"through Cognito's own sender: EmailSendingAccount {_mode(system)}), bus {system.stack.event_bus_name}, "
            f"{len(system.stack.state_machine_arns)} state machine(s); ready in {time.monotonic() - started:.1f} s."
        )
        for warning in system.synthesized.warnings:
            say.line(f"(Synth warning, as `cdk synth` reports it: {warning})")
        for name, reason in system.stack.not_provisioned.items():
            say.line(f"(Not played locally: state machine {name}: {reason}.)")
        say.line()
        daily = system.emulation.channels.settings.cognito_default_daily_emails
        say.line('The default deployment (no sesFromAddress; make local ARGS="--cognito-sender" keeps it running).')
        say.line("Cognito refuses a trigger's e-mail on a pool that does not send through its own SES identity, and")
        say.line("the pool recovers accounts by e-mail only: users get Cognito's own e-mail (the SMS the trigger")
        say.line(f"tailors reaches no one), at most {daily} a day for the whole account.")
        say.line()
        security_incident_in_german(system, say)
        say.line()
        missing_user_through_step_functions(system, say)
        say.line()
        duplicate_inside_the_cooldown(system, say)
        say.line()
        users_own_forgot_password(system, client_id, say, number=4)
        say.line()
        say.line(f"Outbox: {system.outbox.index.resolve()}")


# Resets a second, under SES's send rate (14 a second on the simulated production account): above it SES refuses the
# e-mail and Cognito the reset, which a run's rate budget (Cognito's quota) does not account for yet.
SES_DEMO_RATE = 10


def ses_deployment(say: Terminal) -> None:
    say.line("Synthesizing the same stack with sesFromAddress set (the pool sends through its own SES identity)...")
    synthesized = synthesize(SES_DEPLOYMENT | {"rateBudget": SES_DEMO_RATE})
    with running_system(OUT / "outbox-ses", synthesized=synthesized) as system:
        pool = system.stack.user_pool_id
        client_id = users_and_app(system)
        ses = system.emulation.channels.settings.ses
        say.line(
            f"User pool {pool}: EmailSendingAccount {_mode(system)}; the trigger tailors the e-mail too. This is the "
            "deployment `make local` keeps running."
        )
        say.line(
            f"SES out of the sandbox: {ses.max_24_hour_send:,} e-mails a day, {ses.max_send_rate:g} a second; resets "
            f"paced at {SES_DEMO_RATE} a second, under it."
        )
        say.line()
        security_incident_in_german(system, say)
        say.line()
        users_own_forgot_password(system, client_id, say, number=2)
        say.line()
        lena_chooses_a_new_password(system, client_id, say, number=3)
        say.line()
        breach_in_bulk(system, say, number=4)
        say.line()
        say.line(f"Outbox: {system.outbox.index.resolve()}")


def _mode(system: LocalSystem) -> str:
    pool = system.cognito.describe_user_pool(UserPoolId=system.stack.user_pool_id)["UserPool"]
    return str(pool.get("EmailConfiguration", {}).get("EmailSendingAccount", COGNITO_DEFAULT))


def main() -> None:
    say = Terminal(sys.stdout)
    OUT.mkdir(parents=True, exist_ok=True)
    logs_path = OUT / "function-logs.jsonl"
    started = time.monotonic()
    with logs_path.open("w", encoding="utf-8") as logs, contextlib.redirect_stdout(logs):
        say.line("Synthesizing the CDK app and provisioning a local account from its template...")
        default_deployment(say, started)
        say.line()
        ses_deployment(say)
    say.line(f"Function logs (JSON lines, as CloudWatch would hold them): {logs_path.resolve()}")


if __name__ == "__main__":
    main()
