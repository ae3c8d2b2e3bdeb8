"""ListUsers' Filter as the Amazon Cognito API Reference documents it (ListUsers, Filter), played by the local Cognito
over HTTP (local_aws/emulation/cognito_list_users.py quotes the document and lists what it leaves open): `=` matches
exactly and `^=` by prefix; username and status are case-sensitive, cognito:user_status is not; only the listed
standard attributes are searchable, anything else is an InvalidParameterException. Each test fails when the local
Cognito breaks the rule, and the operator's `bulk --filter` selection reads the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognito_reset.selection import PacedCognito, filtered_users
from local_aws.harness.pool import add_user
from local_aws.harness.server import REGION, LocalAws


@pytest.fixture
def cognito(aws: LocalAws) -> Any:
    return aws.client("cognito-idp")


@pytest.fixture
def pool_id(cognito: Any) -> str:
    """alice and alina confirmed, bob never signed in (FORCE_CHANGE_PASSWORD), carol disabled, Dave with a quoted
    nickname in his name."""
    pool = str(cognito.create_user_pool(PoolName="customers")["UserPool"]["Id"])
    add_user(cognito, pool, "alice", email="alice@example.com", given_name="Alice", family_name="Reddy")
    add_user(cognito, pool, "alina", email="alina@example.com", given_name="Alina", family_name="Reddy")
    add_user(cognito, pool, "bob", email="bob@example.com", given_name="Bob", confirmed=False)
    add_user(cognito, pool, "carol", email="carol@example.com", given_name="Carol", enabled=False)
    add_user(cognito, pool, "Dave", email="dave@example.com", name='Dave "DJ" Jones')
    return pool


def listed(cognito: Any, pool_id: str, expression: str, page_size: int = 60) -> list[str]:
    """The usernames ListUsers lists for `expression`, over every page."""
    paginator = cognito.get_paginator("list_users")
    pages = paginator.paginate(UserPoolId=pool_id, Filter=expression, PaginationConfig={"PageSize": page_size})
    return sorted(user["Username"] for page in pages for user in page["Users"])


def refused(cognito: Any, pool_id: str, expression: str) -> tuple[str, str]:
    """The error code and message ListUsers answers `expression` with."""
    with pytest.raises(ClientError) as raised:
        cognito.list_users(UserPoolId=pool_id, Filter=expression)
    error = raised.value.response["Error"]
    return error.get("Code", ""), error.get("Message", "")


def test_equals_matches_the_whole_value_and_the_caret_equals_a_prefix(cognito: Any, pool_id: str) -> None:
    assert listed(cognito, pool_id, 'email = "alice@example.com"') == ["alice"]
    assert listed(cognito, pool_id, 'email = "alice@example"') == []
    assert listed(cognito, pool_id, 'email ^= "al"') == ["alice", "alina"]
    assert listed(cognito, pool_id, 'family_name = "Reddy"') == ["alice", "alina"]
    assert listed(cognito, pool_id, 'given_name ^= "Ca"') == ["carol"]


def test_cognito_user_status_ignores_case(cognito: Any, pool_id: str) -> None:
    # "cognito:user_status (called Status in the Console) (case-insensitive)"
    assert listed(cognito, pool_id, 'cognito:user_status = "FORCE_CHANGE_PASSWORD"') == ["bob"]
    assert listed(cognito, pool_id, 'cognito:user_status = "force_change_password"') == ["bob"]
    assert listed(cognito, pool_id, 'cognito:user_status ^= "Force_"') == ["bob"]
    assert listed(cognito, pool_id, 'cognito:user_status = "Confirmed"') == ["Dave", "alice", "alina", "carol"]


def test_status_and_username_keep_case(cognito: Any, pool_id: str) -> None:
    # "status (called Enabled in the Console) (case-sensitive)", "username (case-sensitive)"
    assert listed(cognito, pool_id, 'status = "Disabled"') == ["carol"]
    assert listed(cognito, pool_id, 'status = "disabled"') == []
    assert listed(cognito, pool_id, 'username = "Dave"') == ["Dave"]
    assert listed(cognito, pool_id, 'username = "dave"') == []
    assert listed(cognito, pool_id, 'username ^= "al"') == ["alice", "alina"]


def test_sub_finds_the_one_user(cognito: Any, pool_id: str) -> None:
    sub = next(
        a["Value"]
        for a in cognito.admin_get_user(UserPoolId=pool_id, Username="bob")["UserAttributes"]
        if a["Name"] == "sub"
    )

    assert listed(cognito, pool_id, f'sub = "{sub}"') == ["bob"]


def test_a_quotation_mark_in_the_value_is_escaped_with_a_backslash(cognito: Any, pool_id: str) -> None:
    # How a value holds a quotation mark is inferred from "Quotation marks within the filter string must be escaped
    # using the backslash (\) character"; reset_password/directory.py writes its lookups that way.
    assert listed(cognito, pool_id, r'name = "Dave \"DJ\" Jones"') == ["Dave"]
    assert listed(cognito, pool_id, r'name ^= "Dave \"D"') == ["Dave"]


def test_an_empty_filter_lists_everyone(cognito: Any, pool_id: str) -> None:
    # "If the filter string is empty, ListUsers returns all users in the user pool."
    assert listed(cognito, pool_id, "") == ["Dave", "alice", "alina", "bob", "carol"]


@pytest.mark.parametrize(
    "expression",
    [
        'custom:tenant = "acme"',  # "Custom attributes aren't searchable."
        'locale = "de"',  # a standard attribute, but not one of the searchable ones
        'Email = "alice@example.com"',  # the names are the list's own
        'email_verified = "true"',
    ],
)
def test_an_attribute_that_is_not_searchable_is_refused(cognito: Any, pool_id: str, expression: str) -> None:
    code, message = refused(cognito, pool_id, expression)

    assert code == "InvalidParameterException"
    assert "Invalid search attribute" in message


@pytest.mark.parametrize(
    "expression",
    [
        "email = alice@example.com",  # the value is not quoted
        'email ~= "alice"',
        'email = "alice@example.com" junk',
        'email = "alice" or given_name = "Bob"',  # "You can only search for one attribute at a time."
    ],
)
def test_a_filter_that_does_not_parse_is_refused(cognito: Any, pool_id: str, expression: str) -> None:
    code, _ = refused(cognito, pool_id, expression)

    assert code == "InvalidParameterException"


def test_a_filtered_listing_pages_through_the_matches_only(cognito: Any, pool_id: str) -> None:
    for number in range(7):
        add_user(cognito, pool_id, f"zed{number}", email=f"zed{number}@example.org")

    assert listed(cognito, pool_id, 'email ^= "zed"', page_size=2) == [f"zed{n}" for n in range(7)]
    first = cognito.list_users(UserPoolId=pool_id, Filter='email ^= "zed"', Limit=3)
    assert [user["Username"] for user in first["Users"]] == ["zed0", "zed1", "zed2"]
    assert first["PaginationToken"]


def test_an_unknown_pool_is_not_found(cognito: Any) -> None:
    code, _ = refused(cognito, f"{REGION}_NoSuchPool1", 'email = "alice@example.com"')

    assert code == "ResourceNotFoundException"


def test_the_operators_bulk_filter_selects_what_cognito_lists(cognito: Any, pool_id: str) -> None:
    paced = PacedCognito(cognito, rate=1000.0)

    selected: Iterator[str] = filtered_users(paced, pool_id, 'cognito:user_status = "confirmed"')

    assert sorted(selected) == ["Dave", "alice", "alina", "carol"]
