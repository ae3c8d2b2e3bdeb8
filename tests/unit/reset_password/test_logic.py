"""What a valid request does to the pool, and how every Cognito error is classified."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contracts.cognito import (
    ATTEMPT_LIMIT_MESSAGE,
    DAILY_EMAIL_LIMIT_MESSAGE,
    SES_DAILY_QUOTA_MESSAGE,
    SES_RATE_MESSAGE,
)
from contracts.results import FailureReason, ResetStatus
from reset_password.logic import ResetDependencies, reset_user
from reset_password.outcomes import TransientResetError, UnclassifiedResetError
from reset_password.pacing import CallCategory, Pacer
from reset_password.requests import ResetRequest, request_reference
from reset_password.retry import Deadline
from tests.unit.reset_password.conftest import POOL, UNCREATED_POOL
from tests.unit.reset_password.fakes import API_DEFAULT_SETTINGS, FakeCognito, FakeUser

METADATA = {"reason": "security_incident", "locale": "de-AT", "brand": "acme", "reference": "SEC-4211"}


def request(**fields: object) -> ResetRequest:
    return ResetRequest.model_validate(fields)


def test_reset_moves_the_user_to_reset_required_and_sends_the_metadata(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser
) -> None:
    result = reset_user(request(username="alice", clientMetadata=METADATA), deps, deadline)

    assert result.status is ResetStatus.RESET
    assert (result.username, result.user_pool_id, result.reason, result.duplicate) == ("alice", POOL, None, False)
    assert alice.status == "RESET_REQUIRED"
    assert alice.codes_sent == [METADATA]
    assert alice.sessions == 1  # no sign-out unless asked


def test_global_sign_out_follows_a_successful_reset(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser
) -> None:
    result = reset_user(request(username="alice", globalSignOut=True), deps, deadline)

    assert (result.status, result.signed_out) == (ResetStatus.RESET, True)
    assert (alice.status, alice.sessions) == ("RESET_REQUIRED", 0)


def test_no_sign_out_when_the_reset_failed(deps: ResetDependencies, deadline: Deadline, alice: FakeUser) -> None:
    alice.enabled = False

    result = reset_user(request(username="alice", globalSignOut=True), deps, deadline)

    assert (result.status, result.reason, result.signed_out) == (ResetStatus.FAILED, FailureReason.USER_DISABLED, False)
    assert alice.sessions == 1


@pytest.mark.parametrize(
    ("identifier", "value"),
    [("email", "alice@example.com"), ("sub", "00000000-0000-4000-8000-000000000000")],
)
def test_email_and_sub_are_resolved_to_the_username(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser, identifier: str, value: str
) -> None:
    result = reset_user(request(**{identifier: value}), deps, deadline)

    assert (result.status, result.username) == (ResetStatus.RESET, "alice")
    assert alice.status == "RESET_REQUIRED"


def test_an_email_nobody_has_is_user_not_found(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito
) -> None:
    result = reset_user(request(email="nobody@example.com"), deps, deadline)

    assert (result.status, result.reason, result.username) == (ResetStatus.FAILED, FailureReason.USER_NOT_FOUND, None)
    assert "reset_password" not in cognito.calls


def test_an_email_two_users_share_is_ambiguous_and_nobody_is_reset(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.settings[POOL] = API_DEFAULT_SETTINGS  # no e-mail alias: ListUsers finds both (test_identifiers.py)
    twin = cognito.add_user(POOL, "alice2", attributes={"email": "alice@example.com", "email_verified": "true"})

    result = reset_user(request(email="alice@example.com"), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, FailureReason.AMBIGUOUS_USER)
    assert "username" in (result.detail or "")
    assert alice.status == twin.status == "CONFIRMED"


def test_a_pool_off_the_allowlist_is_refused_before_cognito_is_called(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito
) -> None:
    result = reset_user(request(username="alice", userPoolId="eu-west-1_Elsewhere"), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, FailureReason.POOL_NOT_ALLOWED)
    assert cognito.calls == []


def test_an_allowed_pool_that_does_not_exist_is_pool_not_found(deps: ResetDependencies, deadline: Deadline) -> None:
    result = reset_user(request(username="alice", userPoolId=UNCREATED_POOL), deps, deadline)

    assert (result.status, result.reason, result.user_pool_id) == (
        ResetStatus.FAILED,
        FailureReason.POOL_NOT_FOUND,
        UNCREATED_POOL,
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enabled": False}, FailureReason.USER_DISABLED),
        ({"status": "FORCE_CHANGE_PASSWORD"}, FailureReason.INVALID_USER_STATE),
        ({"attributes": {"email": "a@example.com", "email_verified": "false"}}, FailureReason.NO_VERIFIED_CONTACT),
    ],
)
def test_user_states_cognito_refuses_are_reported_with_their_reason(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser, change: dict[str, object], reason: FailureReason
) -> None:
    for name, value in change.items():
        setattr(alice, name, value)
    status_before = alice.status

    result = reset_user(request(username="alice"), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, reason)
    assert alice.status == status_before
    assert alice.codes_sent == []


def test_a_missing_user_is_user_not_found(deps: ResetDependencies, deadline: Deadline) -> None:
    result = reset_user(request(username="ghost"), deps, deadline)

    assert (result.status, result.reason, result.username) == (
        ResetStatus.FAILED,
        FailureReason.USER_NOT_FOUND,
        "ghost",
    )


# Every error AdminResetUserPassword declares in the API model, and what it must become.
PERMANENT = [
    ("UserNotFoundException", "User does not exist.", FailureReason.USER_NOT_FOUND),
    ("ResourceNotFoundException", "User pool does not exist.", FailureReason.POOL_NOT_FOUND),
    ("NotAuthorizedException", "User is disabled.", FailureReason.USER_DISABLED),
    ("NotAuthorizedException", "User password cannot be reset in the current state.", FailureReason.INVALID_USER_STATE),
    (
        "InvalidParameterException",
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
        FailureReason.NO_VERIFIED_CONTACT,
    ),
    ("InvalidParameterException", "1 validation error detected", FailureReason.INVALID_REQUEST),
    # One exception, three meanings: Cognito's message tells the user's attempt limit from the pool's delivery limit.
    ("LimitExceededException", ATTEMPT_LIMIT_MESSAGE, FailureReason.ATTEMPT_LIMIT),
    ("LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE, FailureReason.DELIVERY_LIMIT_REACHED),
    ("LimitExceededException", SES_DAILY_QUOTA_MESSAGE, FailureReason.DELIVERY_LIMIT_REACHED),
    ("UserLambdaValidationException", "CustomMessage failed", FailureReason.TRIGGER_REJECTED),
    ("InvalidLambdaResponseException", "Invalid lambda response", FailureReason.TRIGGER_REJECTED),
    ("InvalidEmailRoleAccessPolicyException", "", FailureReason.DELIVERY_MISCONFIGURED),
    ("InvalidSmsRoleAccessPolicyException", "", FailureReason.DELIVERY_MISCONFIGURED),
    ("InvalidSmsRoleTrustRelationshipException", "", FailureReason.DELIVERY_MISCONFIGURED),
    ("OperationNotEnabledException", "", FailureReason.DELIVERY_MISCONFIGURED),
]
# Retried at once: a throttle and a connection never made are a definite "not done"; an error Cognito answered with is
# checked against the pool first. A call that got no answer is not (test_exactly_once.py).
TRANSIENT = ["TooManyRequestsException", "InternalErrorException", "UnexpectedLambdaException", "ConnectError"]


def test_ses_send_rate_is_a_throttle_retried_and_slowing_the_reset_category(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser, sleeps: list[float]
) -> None:
    """SES's send rate, as Cognito relays it, is neither the user's attempt limit nor the pool's daily limit: the code
    did not go out, so the call is made again, and the container's reset rate comes down as for Cognito's throttle."""
    paced = replace(deps, pacer=Pacer(rates={CallCategory.RESET: 10.0}, clock=lambda: sum(sleeps), sleep=sleeps.append))
    cognito.fail("reset_password", "LimitExceededException", SES_RATE_MESSAGE, times=2)

    result = reset_user(request(username="alice"), paced, deadline)

    assert (result.status, alice.status, len(alice.codes_sent)) == (ResetStatus.RESET, "RESET_REQUIRED", 1)
    assert cognito.calls.count("reset_password") == 3
    bucket = paced.pacer._bucket(CallCategory.RESET)
    assert bucket is not None
    assert bucket.current_rate < 10.0


def test_the_delivery_limit_releases_the_claim_so_the_user_is_reset_once_it_rolls_over(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE)
    refused = reset_user(request(username="alice"), deps, deadline)

    again = reset_user(request(username="alice"), deps, deadline)

    assert (refused.reason, again.status, len(alice.codes_sent)) == (
        FailureReason.DELIVERY_LIMIT_REACHED,
        ResetStatus.RESET,
        1,
    )


@pytest.mark.parametrize(("code", "message", "reason"), PERMANENT)
def test_permanent_errors_become_failed_results_without_a_retry(
    deps: ResetDependencies,
    deadline: Deadline,
    cognito: FakeCognito,
    alice: FakeUser,
    sleeps: list[float],
    code: str,
    message: str,
    reason: FailureReason,
) -> None:
    cognito.fail("reset_password", code, message)

    result = reset_user(request(username="alice"), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, reason)
    assert cognito.calls == ["get_user", "reset_password"]  # resolved once; LimitExceeded above all: never hammered
    assert sleeps == []


@pytest.mark.parametrize("code", TRANSIENT)
def test_transient_errors_are_retried_with_growing_backoff_then_succeed(
    deps: ResetDependencies,
    deadline: Deadline,
    cognito: FakeCognito,
    alice: FakeUser,
    sleeps: list[float],
    code: str,
) -> None:
    cognito.fail("reset_password", code, times=3)

    result = reset_user(request(username="alice"), deps, deadline)

    assert result.status is ResetStatus.RESET
    assert alice.status == "RESET_REQUIRED"
    assert sleeps == [0.1, 0.2, 0.4]


def test_transient_errors_that_persist_raise_and_leave_the_user_untouched(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.fail("reset_password", "TooManyRequestsException", times=4)

    with pytest.raises(TransientResetError, match="TooManyRequestsException"):
        reset_user(request(username="alice"), deps, deadline)

    assert cognito.calls.count("reset_password") == 4
    assert alice.status == "CONFIRMED"


def test_retries_stop_when_the_invocation_is_about_to_run_out_of_time(
    deps: ResetDependencies, cognito: FakeCognito, alice: FakeUser, sleeps: list[float]
) -> None:
    cognito.fail("reset_password", "InternalErrorException", times=2)

    with pytest.raises(TransientResetError):
        reset_user(request(username="alice"), deps, Deadline(remaining=lambda: 1.5))

    # 1.5 s left is inside the 2 s reserve: no call starts, not even the lookup.
    assert (cognito.calls, sleeps, alice.status) == ([], [], "CONFIRMED")


def test_an_error_no_rule_knows_is_raised_as_unclassified(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.fail("reset_password", "AccessDeniedException", "not authorized to perform")

    with pytest.raises(UnclassifiedResetError, match="AccessDeniedException"):
        reset_user(request(username="alice"), deps, deadline)


def test_a_second_request_within_the_cooldown_is_skipped_and_sends_nothing(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser
) -> None:
    first = reset_user(request(username="alice"), deps, deadline)
    second = reset_user(request(email="alice@example.com"), deps, deadline)

    assert first.status is ResetStatus.RESET
    assert (second.status, second.duplicate, second.username) == (ResetStatus.SKIPPED, True, "alice")
    assert len(alice.codes_sent) == 1


def test_a_failed_attempt_is_not_remembered(deps: ResetDependencies, deadline: Deadline, alice: FakeUser) -> None:
    alice.enabled = False
    assert reset_user(request(username="alice"), deps, deadline).reason is FailureReason.USER_DISABLED

    alice.enabled = True
    assert reset_user(request(username="alice"), deps, deadline).status is ResetStatus.RESET
    assert len(alice.codes_sent) == 1


def test_a_retry_after_a_failed_sign_out_signs_out_without_a_second_code(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.fail("global_sign_out", "InternalErrorException", times=4)
    with pytest.raises(TransientResetError):
        reset_user(request(username="alice", globalSignOut=True), deps, deadline)
    assert (alice.status, alice.sessions) == ("RESET_REQUIRED", 1)

    retried = reset_user(request(username="alice", globalSignOut=True), deps, deadline)

    # The same request, retried: its reset reads `reset` (replayed), and no second code is sent.
    assert (retried.status, retried.replayed, retried.signed_out, alice.sessions) == (ResetStatus.RESET, True, True, 0)
    assert len(alice.codes_sent) == 1


def test_a_request_id_tells_a_retry_from_a_new_request_inside_the_window(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser
) -> None:
    reset_user(request(username="alice", requestId="sec-1"), deps, deadline)
    again = reset_user(request(username="alice", requestId="sec-1"), deps, deadline)
    other = reset_user(request(username="alice", requestId="sec-2"), deps, deadline)

    # sec-1 again is the same request (a retry): reset, replayed; sec-2 is a new request inside alice's window: skipped.
    assert (again.status, again.replayed, other.status, other.duplicate) == (
        ResetStatus.RESET,
        True,
        ResetStatus.SKIPPED,
        True,
    )
    assert other.last_reset is not None
    assert other.last_reset.request_ref == request_reference("sec-1")
    assert len(alice.codes_sent) == 1


def test_dry_run_resolves_and_judges_but_sends_nothing(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    result = reset_user(request(username="alice", dryRun=True, globalSignOut=True), deps, deadline)

    assert (result.status, result.username, result.signed_out) == (ResetStatus.DRY_RUN, "alice", False)
    assert "sign out" in (result.detail or "")
    assert (alice.status, alice.sessions, alice.codes_sent) == ("CONFIRMED", 1, [])
    assert cognito.calls == ["get_user"]  # resolved by AdminGetUser, as every username is


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enabled": False}, FailureReason.USER_DISABLED),
        ({"status": "FORCE_CHANGE_PASSWORD"}, FailureReason.INVALID_USER_STATE),
        ({"attributes": {"phone_number_verified": "false"}}, FailureReason.NO_VERIFIED_CONTACT),
    ],
)
def test_dry_run_reports_what_cognito_would_refuse(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser, change: dict[str, object], reason: FailureReason
) -> None:
    for name, value in change.items():
        setattr(alice, name, value)

    result = reset_user(request(username="alice", dryRun=True), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, reason)


def test_dry_run_of_a_missing_user(deps: ResetDependencies, deadline: Deadline) -> None:
    result = reset_user(request(username="ghost", dryRun=True), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, FailureReason.USER_NOT_FOUND)
