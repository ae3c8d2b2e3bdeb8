"""How a row's identifier finds its user in each pool configuration (docs/identifiers.md): an e-mail address is
resolved as sign-in resolves it where the pool signs in with e-mail (AdminGetUser), by ListUsers' exact filter
elsewhere and whenever the pool's configuration cannot be read; `identifier_key` says the same of two identifiers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from contracts import environment as env
from contracts.identifiers import IdentifierKind, PoolRules, identifier_key
from contracts.results import FailureReason, ResetStatus
from reset_password.clients import AwsClients, Timeouts
from reset_password.directory import CognitoError
from reset_password.handler import dependencies_from_environment
from reset_password.logic import ResetDependencies, reset_user
from reset_password.outcomes import TransientResetError
from reset_password.pool_rules import RETRY_SECONDS, PoolRulesCache
from reset_password.requests import ResetRequest
from reset_password.retry import Deadline
from tests.unit.reset_password.conftest import POOL, Clock
from tests.unit.reset_password.fakes import API_DEFAULT_SETTINGS, STACK_POOL_SETTINGS, FakeCognito, FakeUser

ANN_EMAIL = "ann@example.com"
OTHER_CASE = "Ann@Example.COM"
CASE_SENSITIVE_ALIAS = {"AliasAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": True}}
EMAIL_AS_USERNAME = {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}


def request(**fields: object) -> ResetRequest:
    return ResetRequest.model_validate(fields)


@pytest.fixture
def ann(cognito: FakeCognito) -> FakeUser:
    return cognito.add_user(POOL, "ann", attributes={"email": ANN_EMAIL, "email_verified": "true"})


def in_pool(cognito: FakeCognito, settings: dict[str, Any]) -> None:
    cognito.settings[POOL] = settings


# --- resolution, pool by pool ---


def test_an_email_in_another_case_resets_the_user_of_a_case_insensitive_alias_pool(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser
) -> None:
    in_pool(cognito, STACK_POOL_SETTINGS)

    result = reset_user(request(email=OTHER_CASE), deps, deadline)

    assert (result.status, result.username) == (ResetStatus.RESET, "ann")
    assert ann.status == "RESET_REQUIRED"
    assert "find_users" not in cognito.calls  # AdminGetUser found the alias: no ListUsers call


def test_an_email_in_another_case_resets_the_user_of_a_pool_that_takes_email_as_the_username(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito
) -> None:
    in_pool(cognito, EMAIL_AS_USERNAME)
    # Such a pool names its users by a generated id and signs them in with the address.
    user = cognito.add_user(POOL, "7d2f0c1e-user", attributes={"email": ANN_EMAIL, "email_verified": "true"})

    result = reset_user(request(email=OTHER_CASE), deps, deadline)

    assert (result.status, result.username) == (ResetStatus.RESET, "7d2f0c1e-user")
    assert user.status == "RESET_REQUIRED"


@pytest.mark.parametrize("settings", [API_DEFAULT_SETTINGS, CASE_SENSITIVE_ALIAS], ids=["no-alias", "alias-by-case"])
def test_an_email_in_another_case_is_user_not_found_where_the_pool_minds_case_or_has_no_email_alias(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser, settings: dict[str, Any]
) -> None:
    in_pool(cognito, settings)

    missed = reset_user(request(email=OTHER_CASE), deps, deadline)
    found = reset_user(request(email=ANN_EMAIL), deps, deadline)

    assert (missed.status, missed.reason) == (ResetStatus.FAILED, FailureReason.USER_NOT_FOUND)
    assert (found.status, found.username) == (ResetStatus.RESET, "ann")


def test_without_an_email_alias_the_address_is_never_taken_for_a_username(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser
) -> None:
    in_pool(cognito, API_DEFAULT_SETTINGS)

    reset_user(request(email=ANN_EMAIL), deps, deadline)

    assert "get_user" not in cognito.calls
    assert cognito.calls.count("find_users") == 1


def test_an_unverified_email_is_no_alias_and_still_reads_no_verified_contact(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito
) -> None:
    in_pool(cognito, STACK_POOL_SETTINGS)
    bob = cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "false"})

    result = reset_user(request(email="bob@example.com"), deps, deadline)

    assert (result.status, result.reason, result.username) == (
        ResetStatus.FAILED,
        FailureReason.NO_VERIFIED_CONTACT,
        "bob",
    )
    assert cognito.calls[-2:] == ["get_user", "find_users"]  # the alias missed, ListUsers found the address
    assert bob.codes_sent == []


def test_in_an_alias_pool_the_alias_holder_is_the_user_as_at_sign_in(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser
) -> None:
    in_pool(cognito, STACK_POOL_SETTINGS)
    # Another user gave the same address but never verified it: the alias, and sign-in with it, are ann's.
    other = cognito.add_user(POOL, "ann-old", attributes={"email": ANN_EMAIL, "email_verified": "false"})

    result = reset_user(request(email=ANN_EMAIL), deps, deadline)

    assert (result.status, result.username) == (ResetStatus.RESET, "ann")
    assert other.codes_sent == []


def test_usernames_and_subs_never_read_the_pools_configuration(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser
) -> None:
    reset_user(request(username="ANN", dryRun=True), deps, deadline)
    reset_user(request(sub=ann.attributes["sub"], dryRun=True), deps, deadline)

    assert "pool_rules" not in cognito.calls


def test_a_sub_in_upper_case_finds_its_user(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser
) -> None:
    result = reset_user(request(sub=ann.attributes["sub"].upper()), deps, deadline)

    assert (result.status, result.username) == (ResetStatus.RESET, "ann")


def test_the_configuration_is_read_once_per_pool_for_any_number_of_rows(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser
) -> None:
    for _ in range(3):
        reset_user(request(email=OTHER_CASE, dryRun=True), deps, deadline)

    assert cognito.calls.count("pool_rules") == 1


def test_no_time_left_to_read_the_configuration_is_transient(
    deps: ResetDependencies, cognito: FakeCognito, ann: FakeUser
) -> None:
    with pytest.raises(TransientResetError):
        reset_user(request(email=OTHER_CASE), deps, Deadline(remaining=lambda: 0.0))

    assert cognito.calls == []


# --- DescribeUserPool failing: today's lookup, said once, tried again later ---


@pytest.fixture
def unreadable(cognito: FakeCognito, deps: ResetDependencies, clock: Clock) -> ResetDependencies:
    """The pool's configuration cannot be read (the role may not call DescribeUserPool, say) until the test says."""
    cognito.fail("pool_rules", "AccessDeniedException", "User is not authorized to perform: DescribeUserPool")
    return ResetDependencies(
        directory=deps.directory,
        settings=deps.settings,
        ledger=deps.ledger,
        audit=deps.audit,
        backoff=deps.backoff,
        pool_rules=PoolRulesCache(cognito.pool_rules, clock=clock),
    )


def test_a_failed_describe_falls_back_to_the_exact_lookup_and_says_so_without_a_value(
    unreadable: ResetDependencies,
    deadline: Deadline,
    cognito: FakeCognito,
    ann: FakeUser,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missed = reset_user(request(email=OTHER_CASE), unreadable, deadline)
    found = reset_user(request(email=ANN_EMAIL), unreadable, deadline)

    assert (missed.status, missed.reason) == (ResetStatus.FAILED, FailureReason.USER_NOT_FOUND)
    assert (found.status, found.username) == (ResetStatus.RESET, "ann")
    assert "get_user" not in cognito.calls
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    warnings = [line for line in lines if line.get("level") == "WARNING"]
    assert [(w["message"], w["error_code"]) for w in warnings] == [
        (
            "pool configuration not read: e-mail rows are looked up with ListUsers (exact match) until it is",
            "AccessDeniedException",
        )
    ]
    assert not {ANN_EMAIL, OTHER_CASE, POOL, "ann"} & {str(value) for value in warnings[0].values()}


def test_after_a_failed_describe_the_configuration_is_read_again_later_not_on_every_row(
    unreadable: ResetDependencies, deadline: Deadline, cognito: FakeCognito, ann: FakeUser, clock: Clock
) -> None:
    reset_user(request(email=OTHER_CASE, dryRun=True), unreadable, deadline)
    reset_user(request(email=OTHER_CASE, dryRun=True), unreadable, deadline)
    assert cognito.calls.count("pool_rules") == 1

    clock.advance(RETRY_SECONDS)
    result = reset_user(request(email=OTHER_CASE), unreadable, deadline)

    assert cognito.calls.count("pool_rules") == 2
    assert (result.status, result.username) == (ResetStatus.RESET, "ann")


class DescribingClient:
    """The boto3 client's DescribeUserPool, as the deployed function's directory calls it."""

    def __init__(self, answer: dict[str, Any] | ClientError) -> None:
        self.answer = answer

    def describe_user_pool(self, UserPoolId: str) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        if isinstance(self.answer, ClientError):
            raise self.answer
        return {"UserPool": {"Id": UserPoolId, **self.answer}}


def deployed_rules(client: DescribingClient) -> PoolRulesCache:
    clients = AwsClients(
        cognito=client,  # type: ignore[arg-type]
        dynamodb=None,  # type: ignore[arg-type]
        events=None,  # type: ignore[arg-type]
        timeouts=Timeouts(),
    )
    rules = dependencies_from_environment({env.USER_POOL_ID: POOL}, clients=clients).pool_rules
    assert rules is not None
    return rules


def test_the_deployed_function_reads_the_pools_rules_with_describe_user_pool() -> None:
    rules = deployed_rules(DescribingClient(STACK_POOL_SETTINGS)).rules_for(POOL)

    assert rules == PoolRules(alias_attributes=frozenset({"email"}), case_sensitive=False)


def test_the_deployed_function_falls_back_when_describe_user_pool_is_refused() -> None:
    refused = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "DescribeUserPool")

    assert deployed_rules(DescribingClient(refused)).rules_for(POOL) is None


# --- the rules, pure ---


@pytest.mark.parametrize(
    ("pool", "rules"),
    [
        ({}, PoolRules()),  # a pool created through the API without settings: case-sensitive
        ({"UsernameConfiguration": {}}, PoolRules()),
        ({"UsernameConfiguration": {"CaseSensitive": True}}, PoolRules()),
        (STACK_POOL_SETTINGS, PoolRules(alias_attributes=frozenset({"email"}), case_sensitive=False)),
        (EMAIL_AS_USERNAME, PoolRules(username_attributes=frozenset({"email"}), case_sensitive=False)),
        (
            {"AliasAttributes": ["phone_number", "preferred_username"]},
            PoolRules(frozenset(), frozenset({"phone_number", "preferred_username"})),
        ),
        ({"AliasAttributes": None, "UsernameConfiguration": None}, PoolRules()),
    ],
)
def test_pool_rules_from_describe_user_pool(pool: dict[str, Any], rules: PoolRules) -> None:
    assert PoolRules.of_user_pool(pool) == rules


IGNORES_CASE = PoolRules(case_sensitive=False)
ALIAS_IGNORES_CASE = PoolRules(alias_attributes=frozenset({"email"}), case_sensitive=False)
ALIAS_MINDS_CASE = PoolRules(alias_attributes=frozenset({"email"}))
USERNAME_ATTRIBUTE = PoolRules(username_attributes=frozenset({"email"}), case_sensitive=False)
PHONE_ALIAS_IGNORES_CASE = PoolRules(alias_attributes=frozenset({"phone_number"}), case_sensitive=False)


@pytest.mark.parametrize(
    ("kind", "first", "second", "rules", "same"),
    [
        ("username", "Alice", "alice", None, False),
        ("username", "Alice", "alice", PoolRules(), False),
        ("username", "Alice", "alice", IGNORES_CASE, True),
        ("username", "Straße", "STRASSE", IGNORES_CASE, True),  # casefold(); Cognito's fold is not documented
        ("email", OTHER_CASE, ANN_EMAIL, None, False),
        ("email", OTHER_CASE, ANN_EMAIL, PoolRules(), False),
        ("email", OTHER_CASE, ANN_EMAIL, IGNORES_CASE, False),  # no e-mail sign-in: ListUsers, exact
        ("email", OTHER_CASE, ANN_EMAIL, PHONE_ALIAS_IGNORES_CASE, False),
        ("email", OTHER_CASE, ANN_EMAIL, ALIAS_MINDS_CASE, False),
        ("email", OTHER_CASE, ANN_EMAIL, ALIAS_IGNORES_CASE, True),
        ("email", OTHER_CASE, ANN_EMAIL, USERNAME_ATTRIBUTE, True),
        ("email", ANN_EMAIL, "ann@example.org", ALIAS_IGNORES_CASE, False),
        ("sub", "0A1B2C3D-0000-4000-8000-00000000000F", "0a1b2c3d-0000-4000-8000-00000000000f", None, True),
        ("sub", "0a1b2c3d-0000-4000-8000-00000000000f", "0a1b2c3d-0000-4000-8000-00000000000e", IGNORES_CASE, False),
    ],
)
def test_identifier_key(kind: IdentifierKind, first: str, second: str, rules: PoolRules | None, same: bool) -> None:
    assert (identifier_key(kind, first, rules) == identifier_key(kind, second, rules)) is same


def test_a_failed_describe_is_a_cognito_error_the_cache_turns_into_none(clock: Clock) -> None:
    def refuse(pool: str) -> PoolRules:
        raise CognitoError("TooManyRequestsException", "Rate exceeded")

    assert PoolRulesCache(refuse, clock=clock).rules_for(POOL) is None
