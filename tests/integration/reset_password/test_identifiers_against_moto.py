"""How a row's e-mail address finds its user, per pool configuration, with the real handler and boto3 against the local
Cognito over HTTP (docs/identifiers.md). moto alone finds no user by an alias and none in another case; the local
Cognito resolves names as sign-in does (local_aws/emulation/cognito.py, `usernames_resolved_as_cognito_does`)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from contracts import environment as env
from local_aws.harness.pool import add_user, user_status
from tests.cognito_faults import CognitoFaults
from tests.integration.reset_password.conftest import Deployment

RECOVERY = {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
ALIAS_IGNORING_CASE = {"AliasAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}
ALIAS_MINDING_CASE = {"AliasAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": True}}
EMAIL_AS_USERNAME = {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}
NO_SIGN_IN_SETTINGS: dict[str, Any] = {}  # created through the API without them: usernames only, case-sensitive
ANN_EMAIL = "ann@example.com"
OTHER_CASE = "Ann@Example.COM"


@pytest.fixture
def pool_with(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A pool with the given sign-in settings, on the function's allowlist."""

    def create(settings: dict[str, Any]) -> str:
        pool = deployment.cognito.create_user_pool(PoolName="signs-in", AccountRecoverySetting=RECOVERY, **settings)
        pool_id = str(pool["UserPool"]["Id"])
        monkeypatch.setenv(env.ALLOWED_USER_POOL_IDS, f"{deployment.pool_id},{pool_id}")
        return pool_id

    return create


def test_an_email_in_another_case_resets_the_user_of_a_case_insensitive_alias_pool(
    deployment: Deployment, pool_with: Any
) -> None:
    pool = pool_with(ALIAS_IGNORING_CASE)
    add_user(deployment.cognito, pool, "ann", email=ANN_EMAIL)

    result = deployment.invoke({"email": OTHER_CASE, "userPoolId": pool})

    assert (result["status"], result["username"]) == ("reset", "ann")
    assert user_status(deployment.cognito, pool, "ann") == "RESET_REQUIRED"


def test_an_email_in_another_case_resets_the_user_of_a_pool_that_takes_email_as_the_username(
    deployment: Deployment, pool_with: Any
) -> None:
    pool = pool_with(EMAIL_AS_USERNAME)
    add_user(deployment.cognito, pool, ANN_EMAIL, email=ANN_EMAIL)
    username = deployment.cognito.admin_get_user(UserPoolId=pool, Username=ANN_EMAIL)["Username"]

    result = deployment.invoke({"email": OTHER_CASE, "userPoolId": pool})

    assert (result["status"], result["username"]) == ("reset", username)  # the pool's generated username
    assert user_status(deployment.cognito, pool, username) == "RESET_REQUIRED"


@pytest.mark.parametrize("settings", [NO_SIGN_IN_SETTINGS, ALIAS_MINDING_CASE], ids=["no-alias", "alias-by-case"])
def test_an_email_in_another_case_is_user_not_found_where_the_pool_minds_case_or_has_no_email_alias(
    deployment: Deployment, pool_with: Any, settings: dict[str, Any]
) -> None:
    pool = pool_with(settings)
    add_user(deployment.cognito, pool, "ann", email=ANN_EMAIL)

    missed = deployment.invoke({"email": OTHER_CASE, "userPoolId": pool})
    found = deployment.invoke({"email": ANN_EMAIL, "userPoolId": pool})

    assert (missed["status"], missed["reason"]) == ("failed", "USER_NOT_FOUND")
    assert (found["status"], found["username"]) == ("reset", "ann")


def test_an_unverified_email_in_an_alias_pool_still_reads_no_verified_contact(
    deployment: Deployment, pool_with: Any
) -> None:
    pool = pool_with(ALIAS_IGNORING_CASE)
    add_user(deployment.cognito, pool, "bob", email="bob@example.com", email_verified=False)

    result = deployment.invoke({"email": "bob@example.com", "userPoolId": pool})

    assert (result["status"], result["reason"], result["username"]) == ("failed", "NO_VERIFIED_CONTACT", "bob")
    assert user_status(deployment.cognito, pool, "bob") == "CONFIRMED"


def test_a_refused_describe_user_pool_falls_back_to_the_exact_lookup(deployment: Deployment, pool_with: Any) -> None:
    pool = pool_with(ALIAS_IGNORING_CASE)
    add_user(deployment.cognito, pool, "ann", email=ANN_EMAIL)
    refused = CognitoFaults()
    refused.error("AccessDeniedException", times=2)
    boto3._get_default_session().events.register(
        "before-send.cognito-identity-provider.DescribeUserPool",
        refused,  # type: ignore[arg-type]  # botocore types hooks as returning None; before-send may answer
    )

    missed = deployment.invoke({"email": OTHER_CASE, "userPoolId": pool})
    found = deployment.invoke({"email": ANN_EMAIL, "userPoolId": pool})

    assert refused.answered == 2  # each invocation here builds a new container, which tries once
    assert (missed["status"], missed["reason"]) == ("failed", "USER_NOT_FOUND")
    assert (found["status"], found["username"]) == ("reset", "ann")
