"""The real reset handler, real boto3, a moto server over HTTP: what happens to users in the pool."""

from __future__ import annotations

import pytest

from contracts.cognito import ATTEMPT_LIMIT_MESSAGE
from contracts.events import RESET_REQUESTED
from local_aws.harness.pool import add_user, user_status
from reset_password.outcomes import TransientResetError
from tests.cognito_faults import CognitoFaults
from tests.integration.reset_password.conftest import MISSING_POOL, Deployment


def eventbridge(detail: dict[str, object]) -> dict[str, object]:
    return {
        "version": "0",
        "id": "0d0a2c6e-3b8e-4d6f-9c1a-7f2b7d5e9a10",
        "detail-type": RESET_REQUESTED,
        "source": "acme.siem",
        "account": "123456789012",
        "time": "2026-11-23T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def test_an_eventbridge_request_resets_a_confirmed_user(deployment: Deployment) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "CONFIRMED"

    result = deployment.invoke(
        eventbridge({"username": "alice", "clientMetadata": {"reason": "security_incident", "locale": "de-AT"}})
    )

    assert (result["status"], result["username"], result["userPoolId"]) == ("reset", "alice", deployment.pool_id)
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "RESET_REQUIRED"


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        ({"email": "bob@example.com", "enabled": False}, "USER_DISABLED"),
        ({"email": "bob@example.com", "email_verified": False}, "NO_VERIFIED_CONTACT"),
        ({"email": "bob@example.com", "confirmed": False}, "INVALID_USER_STATE"),
    ],
)
def test_users_cognito_will_not_reset_fail_with_their_reason_and_keep_their_status(
    deployment: Deployment, user: dict[str, object], reason: str
) -> None:
    add_user(deployment.cognito, deployment.pool_id, "bob", **user)  # type: ignore[arg-type]
    before = user_status(deployment.cognito, deployment.pool_id, "bob")

    result = deployment.invoke({"username": "bob"})

    assert (result["status"], result["reason"]) == ("failed", reason)
    assert user_status(deployment.cognito, deployment.pool_id, "bob") == before


def test_a_user_that_does_not_exist(deployment: Deployment) -> None:
    result = deployment.invoke({"username": "ghost"})

    assert (result["status"], result["reason"], result["username"]) == ("failed", "USER_NOT_FOUND", "ghost")


def test_an_allowed_pool_that_does_not_exist(deployment: Deployment) -> None:
    result = deployment.invoke({"username": "alice", "userPoolId": MISSING_POOL})

    assert (result["status"], result["reason"]) == ("failed", "POOL_NOT_FOUND")


def test_a_pool_off_the_allowlist(deployment: Deployment) -> None:
    other_pool = deployment.cognito.create_user_pool(PoolName="other")["UserPool"]["Id"]
    add_user(deployment.cognito, other_pool, "alice", email="alice@example.com")

    result = deployment.invoke({"username": "alice", "userPoolId": other_pool})

    assert (result["status"], result["reason"]) == ("failed", "POOL_NOT_ALLOWED")
    assert user_status(deployment.cognito, other_pool, "alice") == "CONFIRMED"


def test_lookup_by_email_and_by_sub(deployment: Deployment) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    carol_sub = add_user(deployment.cognito, deployment.pool_id, "carol", email="carol@example.com")

    by_email = deployment.invoke({"email": "alice@example.com"})
    by_sub = deployment.invoke({"sub": carol_sub})

    assert (by_email["status"], by_email["username"]) == ("reset", "alice")
    assert (by_sub["status"], by_sub["username"]) == ("reset", "carol")
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "RESET_REQUIRED"
    assert user_status(deployment.cognito, deployment.pool_id, "carol") == "RESET_REQUIRED"


def test_an_email_shared_by_two_users_is_ambiguous(deployment: Deployment) -> None:
    add_user(deployment.cognito, deployment.pool_id, "dave", email="shared@example.com")
    add_user(deployment.cognito, deployment.pool_id, "erin", email="shared@example.com")

    result = deployment.invoke({"email": "shared@example.com"})

    assert (result["status"], result["reason"]) == ("failed", "AMBIGUOUS_USER")
    assert user_status(deployment.cognito, deployment.pool_id, "dave") == "CONFIRMED"


def test_a_batch_with_mixed_outcomes(deployment: Deployment) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    add_user(deployment.cognito, deployment.pool_id, "bob", email="bob@example.com", enabled=False)
    add_user(deployment.cognito, deployment.pool_id, "carol", email="carol@example.com")

    result = deployment.invoke(
        {
            "BatchInput": {"clientMetadata": {"reason": "policy_rotation", "brand": "acme"}},
            "Items": [
                {"username": "alice"},
                {"username": "bob"},
                {"username": "ghost"},
                {"email": "carol@example.com", "dryRun": False},  # a row cannot choose: refused, nothing sent
                {"username": "x" * 200},
            ],
        }
    )

    assert [(r["username"], r["status"], r["reason"]) for r in result["results"]] == [
        ("alice", "reset", None),
        ("bob", "failed", "USER_DISABLED"),
        ("ghost", "failed", "USER_NOT_FOUND"),
        (None, "failed", "INVALID_REQUEST"),
        (None, "failed", "INVALID_REQUEST"),
    ]
    assert result["results"][3]["detail"].startswith("dryRun:")
    assert result["counts"] == {"reset": 1, "failed": 4}
    assert user_status(deployment.cognito, deployment.pool_id, "carol") == "CONFIRMED"
    statuses = {u: user_status(deployment.cognito, deployment.pool_id, u) for u in ("alice", "bob", "carol")}
    assert statuses == {"alice": "RESET_REQUIRED", "bob": "CONFIRMED", "carol": "CONFIRMED"}


def test_invalid_input_never_reaches_cognito(deployment: Deployment, faults: CognitoFaults) -> None:
    faults.error("InternalErrorException", status=500, times=10)  # would answer any reset call that got through

    result = deployment.invoke({"username": "alice", "clientMetadata": {"reason": ["not", "a", "string"]}})

    assert (result["status"], result["reason"]) == ("failed", "INVALID_REQUEST")
    assert result["detail"] == "clientMetadata.reason: must be a string, got list"
    assert faults.answered == 0


def test_global_sign_out_revokes_the_users_tokens(deployment: Deployment) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    client_id = deployment.cognito.create_user_pool_client(
        UserPoolId=deployment.pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    deployment.cognito.admin_set_user_password(
        UserPoolId=deployment.pool_id, Username="alice", Password="Known-Passw0rd!", Permanent=True
    )
    tokens = deployment.cognito.admin_initiate_auth(
        UserPoolId=deployment.pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Known-Passw0rd!"},
    )["AuthenticationResult"]
    assert deployment.cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"

    result = deployment.invoke({"username": "alice", "globalSignOut": True})

    assert (result["status"], result["signedOut"]) == ("reset", True)
    with pytest.raises(deployment.cognito.exceptions.NotAuthorizedException):
        deployment.cognito.get_user(AccessToken=tokens["AccessToken"])


@pytest.mark.parametrize(
    ("code", "status"),
    [("TooManyRequestsException", 400), ("InternalErrorException", 500), ("UnexpectedLambdaException", 400)],
)
def test_transient_errors_are_retried_with_backoff_until_cognito_accepts(
    deployment: Deployment, faults: CognitoFaults, code: str, status: int
) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    faults.error(code, status=status, times=2)

    result = deployment.invoke({"username": "alice"})

    assert result["status"] == "reset"
    assert faults.answered == 2
    assert len(deployment.sleeps) == 2
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "RESET_REQUIRED"


def test_read_timeouts_are_transient(deployment: Deployment, faults: CognitoFaults) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    faults.read_timeout(times=1)

    result = deployment.invoke({"username": "alice"})

    assert (result["status"], faults.answered) == ("reset", 1)


def test_persistent_throttling_raises_the_documented_error_and_changes_nothing(
    deployment: Deployment, faults: CognitoFaults
) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    faults.error("TooManyRequestsException", times=50)

    with pytest.raises(TransientResetError):
        deployment.invoke({"username": "alice"})

    assert faults.answered == 5  # the retry policy's attempts, then it gives up
    assert len(deployment.sleeps) == 4
    assert all(0 <= delay <= 0.2 * 2**n for n, delay in enumerate(deployment.sleeps))
    assert user_status(deployment.cognito, deployment.pool_id, "alice") == "CONFIRMED"


def test_the_attempt_limit_is_reported_not_hammered(deployment: Deployment, faults: CognitoFaults) -> None:
    add_user(deployment.cognito, deployment.pool_id, "alice", email="alice@example.com")
    faults.error("LimitExceededException", times=5, message=ATTEMPT_LIMIT_MESSAGE)

    result = deployment.invoke({"username": "alice"})

    assert (result["status"], result["reason"], faults.answered) == ("failed", "ATTEMPT_LIMIT", 1)
    assert deployment.sleeps == []
