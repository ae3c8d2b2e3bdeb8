"""Log privacy, end to end over fakes: whatever a request holds and whatever becomes of it, stdout (log lines and EMF
metrics) carries codes, field names and hashes, never a username, e-mail, phone number, sub, requestId, ClientMetadata
value, refused pool id, reset code or unknown field name.

Every secret is a distinctive string, so a leak cannot hide behind a common word; test_the_check_catches_a_leak shows
the check fails when one value does get out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from contracts.cognito import ATTEMPT_LIMIT_MESSAGE
from contracts.results import FailureReason
from reset_password import observability
from reset_password.handler import build_handler
from reset_password.logic import ResetDependencies
from reset_password.outcomes import TransientResetError, UnclassifiedResetError
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL, UNCREATED_POOL, eventbridge
from tests.unit.reset_password.fakes import FakeCognito, RecordingAuditTrail

USERNAME = "zq7-alice-username"
EMAIL = "zq7.alice@mail.example"
PHONE = "+15550107731"
SUB = "7731aaaa-bbbb-4ccc-8ddd-eeeeffff0001"
REQUEST_ID = "zq7-request-id-4211"
REFERENCE = "ZQ7-REF-4211"
TICKET = "zq7-ticket-value"
LINK = "https://reset.example.com/zq7-link-path"
CODE = "zq7-code-913377"  # a reset code never passes through the function; here it rides in Cognito's error texts
REFUSED_POOL = "zq7.pool@mail.example"  # an e-mail where the pool id should be
REFUSED_WELL_FORMED_POOL = "eu-west-1_Zq7Refused"  # a pool id that is fine, in a request refused for another reason
NOT_ALLOWED_POOL = "eu-west-1_zq7NotAllowed"  # a well-formed pool id that is not on the allowlist
UNKNOWN_FIELD = "zq7.field@mail.example"
BOB, CAROL, DAVE, GHOST = "zq7-bob-username", "zq7-carol-username", "zq7-dave-username", "zq7-ghost-username"
SHARED_EMAIL = "zq7.shared@mail.example"
SURROGATE_USERNAME = "zq7-\ud800-username"
SECRETS = (
    *(USERNAME, EMAIL, PHONE, SUB, REQUEST_ID, REFERENCE, TICKET, LINK, CODE),
    *(
        REFUSED_POOL,
        REFUSED_WELL_FORMED_POOL,
        NOT_ALLOWED_POOL,
        UNKNOWN_FIELD,
        BOB,
        CAROL,
        DAVE,
        GHOST,
        SHARED_EMAIL,
        SURROGATE_USERNAME,
    ),
    "zq7",  # the common stem: no part of any of them either
)
METADATA = {"reason": "security_incident", "locale": "de-AT", "reference": REFERENCE, "ticket": TICKET, "link": LINK}
COGNITO_SAYS = f"user {USERNAME} ({EMAIL}, {PHONE}, {SUB}) code {CODE}"  # what an error message might quote


@pytest.fixture
def people(cognito: FakeCognito) -> FakeCognito:
    verified = {"email_verified": "true", "phone_number_verified": "true"}
    cognito.add_user(POOL, USERNAME, attributes={"sub": SUB, "email": EMAIL, "phone_number": PHONE, **verified})
    cognito.add_user(POOL, BOB, attributes={"email": f"{BOB}@mail.example", "email_verified": "false"})
    cognito.add_user(POOL, CAROL, attributes={"email": f"{CAROL}@mail.example", **verified}, enabled=False)
    cognito.add_user(POOL, DAVE, attributes={"email": f"{DAVE}@mail.example", **verified}, status="UNCONFIRMED")
    # An address two users share is an alias of neither (a verified alias belongs to one user), so ListUsers finds both.
    for twin in ("zq7-twin-1", "zq7-twin-2"):
        cognito.add_user(POOL, twin, attributes={"email": SHARED_EMAIL, "email_verified": "false"})
    return cognito


def no_setup(cognito: FakeCognito, audit: RecordingAuditTrail) -> None:
    return None


@dataclass(frozen=True)
class Scenario:
    events: tuple[object, ...]
    outcome: tuple[str, str | None] | None = None  # status and reason of the last single result, when it is one
    raises: type[Exception] | None = None
    setup: Callable[[FakeCognito, RecordingAuditTrail], None] = field(default=no_setup)


def failing(
    operation: str, code: str, times: int = 1, message: str = COGNITO_SAYS
) -> Callable[[FakeCognito, RecordingAuditTrail], None]:
    def setup(cognito: FakeCognito, audit: RecordingAuditTrail) -> None:
        cognito.fail(operation, code, message=message, times=times)

    return setup


def audit_down(cognito: FakeCognito, audit: RecordingAuditTrail) -> None:
    audit.fail_with = RuntimeError(COGNITO_SAYS)


FULL = {"username": USERNAME, "requestId": REQUEST_ID, "clientMetadata": METADATA, "globalSignOut": True}
FAILED = "failed"
SCENARIOS: dict[str, Scenario] = {
    # What the fakes let a valid request come to.
    "reset": Scenario((FULL,), ("reset", None)),
    "reset-by-email": Scenario(
        ({"email": EMAIL, "requestId": REQUEST_ID, "clientMetadata": METADATA},), ("reset", None)
    ),
    "reset-by-sub": Scenario(({"sub": SUB, "clientMetadata": METADATA},), ("reset", None)),
    "duplicate": Scenario((FULL, FULL)),
    "dry-run": Scenario(({**FULL, "dryRun": True},), ("dry_run", None)),
    "eventbridge": Scenario((eventbridge(FULL),), ("reset", None)),
    "user-not-found": Scenario(({**FULL, "username": GHOST},), (FAILED, FailureReason.USER_NOT_FOUND)),
    "email-not-found": Scenario(({"email": f"nobody.{EMAIL}"},), (FAILED, FailureReason.USER_NOT_FOUND)),
    "ambiguous": Scenario(({"email": SHARED_EMAIL, "requestId": REQUEST_ID},), (FAILED, FailureReason.AMBIGUOUS_USER)),
    "disabled": Scenario(({**FULL, "username": CAROL},), (FAILED, FailureReason.USER_DISABLED)),
    "user-state": Scenario(({**FULL, "username": DAVE},), (FAILED, FailureReason.INVALID_USER_STATE)),
    "no-verified-contact": Scenario(({**FULL, "username": BOB},), (FAILED, FailureReason.NO_VERIFIED_CONTACT)),
    "pool-not-allowed": Scenario(({**FULL, "userPoolId": NOT_ALLOWED_POOL},), (FAILED, FailureReason.POOL_NOT_ALLOWED)),
    "pool-not-found": Scenario(({**FULL, "userPoolId": UNCREATED_POOL},), (FAILED, FailureReason.POOL_NOT_FOUND)),
    "trigger-rejected": Scenario(
        (FULL,),
        (FAILED, FailureReason.TRIGGER_REJECTED),
        setup=failing("reset_password", "UserLambdaValidationException"),
    ),
    "delivery-misconfigured": Scenario(
        (FULL,),
        (FAILED, FailureReason.DELIVERY_MISCONFIGURED),
        setup=failing("reset_password", "InvalidEmailRoleAccessPolicyException"),
    ),
    "attempt-limit": Scenario(
        (FULL,),
        (FAILED, FailureReason.ATTEMPT_LIMIT),
        setup=failing("reset_password", "LimitExceededException", message=f"{ATTEMPT_LIMIT_MESSAGE} {COGNITO_SAYS}"),
    ),
    "cognito-rejects-a-parameter": Scenario(
        (FULL,), (FAILED, FailureReason.INVALID_REQUEST), setup=failing("reset_password", "InvalidParameterException")
    ),
    "sign-out-fails": Scenario((FULL,), ("reset", None), setup=failing("global_sign_out", "UserNotFoundException")),
    "audit-fails": Scenario((FULL,), ("reset", None), setup=audit_down),
    "transient": Scenario(
        (FULL,), raises=TransientResetError, setup=failing("reset_password", "TooManyRequestsException", times=20)
    ),
    "unclassified": Scenario(
        (FULL,), raises=UnclassifiedResetError, setup=failing("reset_password", "AccessDeniedException")
    ),
    # Refused requests, of every kind.
    "refused-unknown-field": Scenario(({**FULL, UNKNOWN_FIELD: EMAIL},), (FAILED, FailureReason.INVALID_REQUEST)),
    "refused-pool-id": Scenario(({**FULL, "userPoolId": REFUSED_POOL},), (FAILED, FailureReason.INVALID_REQUEST)),
    "refused-with-a-fine-pool-id": Scenario(
        ({**FULL, "userPoolId": REFUSED_WELL_FORMED_POOL, "dryRun": "perhaps"},),
        (FAILED, FailureReason.INVALID_REQUEST),
    ),
    "refused-two-identifiers": Scenario(
        ({**FULL, "email": EMAIL, "sub": SUB},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-no-identifier": Scenario(
        ({"requestId": REQUEST_ID, "clientMetadata": METADATA},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-lone-surrogate": Scenario(
        ({**FULL, "username": SURROGATE_USERNAME},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-bidi-request-id": Scenario(
        ({**FULL, "requestId": REQUEST_ID + "\u202e"},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-email": Scenario(
        ({"email": f"{EMAIL}\x85", "requestId": REQUEST_ID},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-metadata-value": Scenario(
        ({**FULL, "clientMetadata": {**METADATA, "reference": REFERENCE + "\n", "ticket": TICKET + "\u2028"}},),
        (FAILED, FailureReason.INVALID_REQUEST),
    ),
    "refused-metadata-key": Scenario(
        ({**FULL, "clientMetadata": {UNKNOWN_FIELD: TICKET}},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-not-an-object": Scenario(([USERNAME, EMAIL],), (FAILED, FailureReason.INVALID_REQUEST)),
    "refused-detail-type": Scenario(
        (eventbridge(FULL, detail_type=f"Reset {USERNAME}"),), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-envelope": Scenario(
        ({**eventbridge(FULL), "time": EMAIL, "resources": [PHONE, 7]},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-detail": Scenario(
        (eventbridge({**FULL, UNKNOWN_FIELD: 1, "userPoolId": REFUSED_POOL}),), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-items": Scenario(
        ({"Items": {USERNAME: EMAIL}, "BatchInput": FULL},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    "refused-batch-input": Scenario(
        ({"Items": [FULL], "BatchInput": [REFUSED_POOL]},), (FAILED, FailureReason.INVALID_REQUEST)
    ),
    # Batches: every outcome side by side, with BatchInput carrying values too.
    "batch": Scenario(
        (
            {
                "BatchInput": {"clientMetadata": METADATA, "requestId": REQUEST_ID, "globalSignOut": True},
                "Items": [
                    {"username": USERNAME},
                    {"email": EMAIL},
                    {"username": BOB},
                    {"username": GHOST},
                    {"username": CAROL, "userPoolId": REFUSED_POOL},
                    {"username": SURROGATE_USERNAME},
                    {UNKNOWN_FIELD: USERNAME},
                    {"sub": SUB, "clientMetadata": {"ticket": TICKET + "\u200b"}},
                    {"username": DAVE, "dryRun": True},
                    f"{USERNAME} {EMAIL}",
                ],
            },
        )
    ),
    "batch-refused-defaults": Scenario(
        ({"BatchInput": {"userPoolId": REFUSED_POOL, UNKNOWN_FIELD: 1}, "Items": [{"username": USERNAME}, {}]},)
    ),
}


@pytest.fixture
def run(
    deps: ResetDependencies, people: FakeCognito, audit: RecordingAuditTrail, capsys: pytest.CaptureFixture[str]
) -> Any:
    """Set the scenario up, invoke the handler with each of its events, and return the last answer and all of stdout."""

    def run_scenario(scenario: Scenario) -> tuple[object, str]:
        scenario.setup(people, audit)
        handler = build_handler(lambda: deps)
        context = LambdaContext(aws_request_id="00000000-0000-4000-8000-0000000c0de5")  # fixed: no random digits
        capsys.readouterr()
        answer: object = None
        for event in scenario.events:
            if scenario.raises is not None:
                with pytest.raises(scenario.raises):
                    handler(event, context)
            else:
                answer = handler(event, context)
        captured = capsys.readouterr()
        # A line that cannot be written (a lone surrogate on a UTF-8 stream) would not be in stdout: logging reports
        # it on stderr instead. Nothing else writes there.
        assert captured.err == ""
        return answer, captured.out

    return run_scenario


def leaks(output: str) -> list[str]:
    """The secrets found in stdout: as written, JSON-escaped, or in any string of any JSON line."""
    found = [secret for secret in SECRETS if secret in output or json.dumps(secret)[1:-1] in output]
    for line in output.splitlines():
        parsed = json.loads(line) if line.startswith("{") else line
        found += [secret for text in strings_in(parsed) for secret in SECRETS if secret in text]
    return sorted(set(found))


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def metric_dimensions(output: str) -> set[tuple[str, str]]:
    """Every (dimension, value) pair of every EMF document in stdout."""
    found: set[tuple[str, str]] = set()
    for line in output.splitlines():
        document = json.loads(line) if line.startswith("{") else {}
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                found |= {(name, str(document[name])) for name in dimension_set}
    return found


ALLOWED_DIMENSIONS = {("service", observability.SERVICE)} | {("Reason", reason.value) for reason in FailureReason}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_no_value_of_any_request_reaches_a_log_line_or_a_metric(run: Any, scenario: Scenario) -> None:
    answer, output = run(scenario)

    if scenario.outcome is not None:
        assert isinstance(answer, dict)
        assert (answer["status"], answer["reason"]) == scenario.outcome
    assert "password reset" in output  # the scenario did write its outcome (or error) line
    assert leaks(output) == []
    assert metric_dimensions(output) <= ALLOWED_DIMENSIONS


def test_the_check_catches_a_leak(capsys: pytest.CaptureFixture[str]) -> None:
    # The same checks over output that does hold values: a log field, a metric dimension, and a lone surrogate, whose
    # line cannot be written to a UTF-8 stdout at all (logging reports that on stderr, which the scenarios check).
    capsys.readouterr()
    observability.logger.info("password reset outcome", extra={"user": USERNAME, "pool": json.dumps(REFUSED_POOL)})
    with single_metric(name="Leak", unit=MetricUnit.Count, value=1, namespace="Test") as metric:
        metric.add_dimension(name="ticket", value=TICKET)
    observability.logger.info("password reset outcome", extra={"user": SURROGATE_USERNAME})
    captured = capsys.readouterr()

    assert leaks(captured.out) == sorted({USERNAME, REFUSED_POOL, TICKET, "zq7"})
    assert not metric_dimensions(captured.out) <= ALLOWED_DIMENSIONS
    assert "UnicodeEncodeError" in captured.err
