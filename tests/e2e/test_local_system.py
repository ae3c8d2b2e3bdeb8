"""The demo's scenarios and the failure paths around them, asserted on what users, queues and the outbox hold."""

from __future__ import annotations

import io
import json
import re

from contracts.cognito import CODE_PLACEHOLDER
from contracts.events import RESET_REQUESTED
from local_aws.harness.demo import SECURITY_INCIDENT
from local_aws.harness.local import outcome_printer
from local_aws.harness.system import LocalSystem
from reset_password.requests import request_reference
from tests.cognito_faults import inject_cognito_faults


def test_a_security_incident_on_eventbridge_resets_the_user_and_mails_her_in_german(ses_system: LocalSystem) -> None:
    # A pool that sends through its own SES identity: the e-mail is the trigger's too (tests/e2e/test_cognito_rules.py
    # has what the default deployment, on Cognito's own sender, sends).
    system = ses_system
    assert system.user_status("lena") == "CONFIRMED"

    system.put_reset_request(SECURITY_INCIDENT)
    system.emulation.events.drain()

    # The reset function's delivery; the pool's configuration set also has SES's delivery event counted (not a run's).
    ((delivery, invocation),) = [
        (delivery, invocation)
        for delivery, invocation in system.emulation.events.delivered
        if delivery.event["detail-type"] == RESET_REQUESTED
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", delivery.event["time"])  # the envelope AWS sends
    assert (invocation.payload["status"], invocation.payload["signedOut"]) == ("reset", True)
    assert system.user_status("lena") == "RESET_REQUIRED"
    (message,) = system.outbox.messages
    assert (message.email_to, message.tailored) == ("lena@example.com", True)
    assert message.subject.startswith("Sicherheitshinweis")
    assert "ACME" in message.subject
    assert message.phone_to is None  # the pool recovers accounts by e-mail only: one message, on one channel
    code = re.search(r"\b(\d{6})\b", message.email_text)
    assert code is not None
    assert code[1] == message.code
    assert "SEC-4211" in message.email_html
    assert "Hallo Lena" in message.email_html
    assert CODE_PLACEHOLDER not in message.email_html + message.sms
    assert message.folder in system.outbox.index.read_text()
    stored = system.outbox.root / message.folder
    text = (stored / "email.txt").read_text()
    assert "Hallo Lena," in text
    assert code[1] in text
    assert "<" not in text  # markup gone, as a text-only client shows it
    assert not (stored / "sms.txt").exists()
    # The brand's logo: the message names its URL; the filed e-mail shows the local copy, which exists.
    assert 'src="https://assets.acme.example/logo-240x60.png"' in message.email_html
    assert 'src="../logos/acme.svg"' in (stored / "email.html").read_text()
    assert (system.outbox.root / "logos" / "acme.svg").read_text().startswith("<svg")


def test_an_event_from_a_source_the_rule_does_not_allow_is_not_delivered(system: LocalSystem) -> None:
    system.put_reset_request({"username": "lena"}, source="someone.else")
    system.emulation.events.drain()

    assert system.emulation.events.delivered == []
    assert system.user_status("lena") == "CONFIRMED"


def test_the_single_reset_workflow_reports_a_missing_user_as_its_output(system: LocalSystem) -> None:
    execution = system.run_single_reset({"username": "nobody"})

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert (output["status"], output["reason"], output["username"]) == ("failed", "USER_NOT_FOUND", "nobody")
    assert system.outbox.messages == []


def test_another_finding_inside_the_cooldown_is_skipped_and_the_same_one_replayed_and_neither_sends(
    system: LocalSystem,
) -> None:
    system.put_reset_request(SECURITY_INCIDENT)
    system.put_reset_request({**SECURITY_INCIDENT, "requestId": "SIEM-9317-lena"})  # another finding
    system.put_reset_request(SECURITY_INCIDENT)  # the same finding again (its requestId): a retry
    system.emulation.events.drain()

    results = [invocation.payload for _, invocation in system.emulation.events.delivered]
    assert [(r["status"], r["duplicate"], r["replayed"]) for r in results] == [
        ("reset", False, False),
        ("skipped", True, False),
        ("reset", False, True),
    ]
    assert results[1]["lastReset"]["requestRef"] == request_reference(SECURITY_INCIDENT["requestId"])
    assert len(system.outbox.messages) == 1


def test_every_name_of_one_user_is_one_user_and_gets_one_code(system: LocalSystem) -> None:
    sub = next(
        item["Value"]
        for item in system.cognito.admin_get_user(UserPoolId=system.stack.user_pool_id, Username="sam")[
            "UserAttributes"
        ]
        if item["Name"] == "sub"
    )
    names = [{"username": "sam"}, {"username": "SAM"}, {"username": "sam@example.com"}, {"email": "sam@example.com"}]

    for name in [*names, {"sub": sub}]:
        system.put_reset_request({**name, "clientMetadata": {"reason": "policy_rotation"}})
    system.emulation.events.drain()

    results = [
        (invocation.payload["status"], invocation.payload["username"])
        for _, invocation in system.emulation.events.delivered
    ]
    assert results == [("reset", "sam")] + [("skipped", "sam")] * 4  # the pool ignores case and signs in by e-mail
    assert len(system.outbox.messages) == 1


def test_step_functions_retries_a_throttled_reset_and_then_succeeds(system: LocalSystem) -> None:
    faults = inject_cognito_faults()
    faults.error("TooManyRequestsException", times=5)  # every in-function attempt of the first invocation

    execution = system.run_single_reset({"username": "sam", "clientMetadata": {"reason": "policy_rotation"}})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["status"] == "reset"
    assert faults.answered == 5
    (wait,) = system.emulation.retry_clock.waits  # one Retry of TransientResetError, as the synthesized definition says
    assert 0 <= wait <= 5  # IntervalSeconds 5 with full jitter
    assert system.user_status("sam") == "RESET_REQUIRED"
    assert len(system.outbox.messages) == 1


def test_step_functions_catches_an_unclassified_error_without_retrying(system: LocalSystem) -> None:
    faults = inject_cognito_faults()
    faults.error("AccessDeniedException", times=10)

    execution = system.run_single_reset({"username": "sam"})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "UnclassifiedResetError"
    assert faults.answered == 1
    assert system.emulation.retry_clock.waits == []
    assert system.user_status("sam") == "CONFIRMED"


def test_an_event_that_keeps_failing_ends_in_the_failed_requests_queue(system: LocalSystem) -> None:
    faults = inject_cognito_faults()
    faults.error("InternalErrorException", status=500, times=100)

    system.put_reset_request({"username": "sam", "requestId": "rotation-7"})
    system.emulation.events.drain()

    assert len(system.emulation.events.delivered) == 3  # Lambda's asynchronous invoke: 1 try + 2 retries (the stack's)
    sqs = system.aws.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=system.stack.failed_requests_queue_url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "TransientResetError"
    assert record["requestPayload"]["detail"] == {"username": "sam", "requestId": "rotation-7"}
    assert system.user_status("sam") == "CONFIRMED"


def test_make_local_prints_what_became_of_each_event_without_the_request_values(system: LocalSystem) -> None:
    printed = io.StringIO()
    system.emulation.events.observers.append(outcome_printer(printed))
    inject_cognito_faults().error("InternalErrorException", status=500, times=100)  # a refused request never asks

    refused = system.put_reset_request(
        {"username": "lena", "requestId": "SEC-4211-lena", "globalSignout": True, "clientMetadata": {"reason": "Leak!"}}
    )
    system.emulation.events.drain()
    failing = system.put_reset_request({"username": "sam", "clientMetadata": {"reference": "SEC-4211"}})
    system.emulation.events.drain()

    lines = printed.getvalue().splitlines()
    assert len(lines) == 4  # the refused request once; the failing one on each of Lambda's 3 attempts
    assert f"event {refused} from cognito-admin-reset.requests: status=failed reason=INVALID_REQUEST" in lines[0]
    assert "clientMetadata.reason: must be a lower-case identifier" in lines[0]
    assert "globalSignout: unknown field" in lines[0]
    assert all(f"event {failing} " in line for line in lines[1:])
    assert lines[1].endswith("attempt 1 of 3 raised TransientResetError; Lambda retries it")
    queue_name = system.stack.failed_requests_queue_url.rsplit("/", 1)[-1]
    assert lines[3].endswith(f"attempt 3 of 3 raised TransientResetError; no retries left, sent to {queue_name}")
    for value in ("lena", "sam", "SEC-4211", "Leak!"):
        assert value not in printed.getvalue()
