"""Checking a run's manifest before anything starts: every row validated as the run will validate it, over the run's
defaults, each problem at its line, and never a value from the manifest in a message."""

from __future__ import annotations

import json

import pytest

from cognito_reset.manifest import (
    LISTED,
    check_manifest,
    defaults_errors,
    manifest_suffix,
    run_defaults,
    selection_manifest,
)


def lines(*rows: object) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def messages(check_lines: list[str]) -> str:
    return "\n".join(check_lines)


def test_a_clean_csv_counts_its_users_and_finds_nothing() -> None:
    check = check_manifest(
        "users.csv",
        b"username,email,locale\r\nalice,,de\r\n,bob@example.com,\r\ncarol,,en-GB\r\n",
        run_defaults(reason="security_incident"),
    )

    assert (check.ok, check.users, check.errors, check.warnings) == (True, 3, (), ())


def test_csv_errors_name_the_line_and_the_field_and_never_the_value() -> None:
    content = (
        b"username,email,reason,globalSignOut\n"
        b"alice,,,true\n"  # line 2: fine ("true" is a boolean in a CSV)
        b"not valid,,,\n"  # line 3: a space in a username
        b",,,\n"  # line 4: nobody
        b",secret@@example.com,BAD,\n"  # line 5: two problems
        b"dave,,,maybe\n"  # line 6: not a boolean
    )
    check = check_manifest("manifest.csv", content, {})

    listed = check.listing(check.errors)
    assert [line.split(": ", 1)[0] for line in listed] == [
        "manifest.csv:3",
        "manifest.csv:4",
        "manifest.csv:5",
        "manifest.csv:5",
        "manifest.csv:6",
    ]
    assert listed[0] == "manifest.csv:3: username: has characters or a shape that is not allowed"
    assert listed[1].startswith("manifest.csv:4: request: exactly one of username, email or sub")
    assert "manifest.csv:5: email:" in messages(listed)
    assert "manifest.csv:5: clientMetadata.reason:" in messages(listed)
    assert listed[4].startswith("manifest.csv:6: globalSignOut:")
    for value in ("not valid", "secret@@example.com", "BAD", "maybe"):
        assert value not in messages(listed)
    assert (check.ok, check.users) == (False, 5)


def test_jsonl_rows_are_read_line_by_line_with_their_own_overrides() -> None:
    content = (
        lines(
            {"username": "alice"},
            {"email": "bob@example.com", "clientMetadata": {"locale": "de"}, "globalSignOut": True},
            {"sub": "not-a-uuid"},
            ["alice"],
        )
        + b"{not json\n"
    )
    check = check_manifest("users.jsonl", content, run_defaults(reason="policy_rotation"))

    assert check.listing(check.errors) == [
        "users.jsonl:3: sub: has characters or a shape that is not allowed",
        "users.jsonl:4: request: must be a JSON object",
        "users.jsonl:5: is not one JSON object on one line",
    ]
    assert check.users == 4


def test_a_row_overrides_the_defaults_and_the_merge_is_the_functions() -> None:
    defaults = run_defaults(reason="security_incident", locale="de")
    # The row's own locale wins; the defaults' reason stays; a bad override is the row's error, at its line.
    check = check_manifest("users.csv", b"username,locale,reason\nalice,en,\nbob,,Not_A_Reason\n", defaults)

    assert check.listing(check.errors) == [
        "users.csv:3: clientMetadata.reason: must be a lower-case identifier such as 'security_incident'"
    ]


def test_bad_defaults_are_reported_once_as_the_options() -> None:
    defaults = run_defaults(locale="not a locale", user_pool_id="no pool")

    errors = defaults_errors(defaults)

    assert any(error.startswith("clientMetadata.locale:") for error in errors)
    assert any(error.startswith("userPoolId:") for error in errors)
    assert defaults_errors(run_defaults(reason="security_incident", dry_run=True, global_sign_out=True)) == []


def test_a_row_may_not_set_the_run_id() -> None:
    jsonl = check_manifest("users.jsonl", lines({"username": "alice", "runId": "other-run"}), {})
    csv = check_manifest("users.csv", b"username,runId\nalice,other-run\n", {})

    assert jsonl.listing(jsonl.errors) == ["users.jsonl:1: runId: set by the run, never by a manifest row"]
    assert "users.csv:1: column runId: set by the run, never by a manifest row" in csv.listing(csv.errors)


@pytest.mark.parametrize("field", ["dryRun", "force"])
def test_a_dry_run_or_a_force_column_is_refused_before_anything_starts_even_when_empty(field: str) -> None:
    dry_run = run_defaults(reason="security_incident", dry_run=True)
    csv = check_manifest("users.csv", f"username,{field}\nalice,false\nbob,\n".encode(), dry_run)
    jsonl = check_manifest("users.jsonl", lines({"username": "alice", field: False}), dry_run)

    assert not csv.ok
    assert csv.listing(csv.errors)[0].startswith(f"users.csv:1: column {field}: ")
    assert jsonl.listing(jsonl.errors)[0].startswith(f"users.jsonl:1: {field}: ")


def test_a_first_row_that_is_not_a_header_is_reported_without_its_values() -> None:
    check = check_manifest("users.csv", b"alice@example.com,Alice\nbob@example.com,Bob\n", {})

    (listed,) = check.listing(check.errors)
    assert listed.startswith("users.csv:1: columns 1, 2: not a request field or a clientMetadata key.")
    assert "alice" not in listed.lower()


def test_a_header_that_differs_only_in_case_is_named() -> None:
    check = check_manifest("users.csv", b"Email\nbob@example.com\n", {})

    assert check.listing(check.errors)[0] == "users.csv:1: column 1: did you mean email? (names are case-sensitive)"


def test_csv_rows_with_more_cells_than_the_header_and_blank_lines_are_errors() -> None:
    check = check_manifest("users.csv", b"username\nalice\nbob,extra\n\ncarol\n", {})

    assert check.listing(check.errors) == [
        "users.csv:3: has 2 cells, the header 1 columns",
        "users.csv:4: is empty: remove blank lines",
    ]
    assert check.users == 2


def test_a_row_with_a_quoted_cell_over_two_lines_is_reported_where_it_starts_and_the_next_keeps_its_line() -> None:
    check = check_manifest("users.csv", b'username,reference\nalice,"two\nlines"\nnot valid,\n', {})

    assert check.listing(check.errors) == [
        "users.csv:2: clientMetadata.reference: must be 1-128 printable characters",
        "users.csv:4: username: has characters or a shape that is not allowed",
    ]


def test_the_same_user_twice_is_a_warning_with_both_lines() -> None:
    content = lines(
        {"username": "alice"},
        {"email": "bob@example.com"},
        {"username": "ALICE"},
        {"email": "Bob@Example.com", "clientMetadata": {"locale": "de"}},
        {"username": "alice", "userPoolId": "eu-west-1_Other"},  # another pool: another user
    )
    check = check_manifest("users.jsonl", content, {})

    assert check.ok
    assert check.listing(check.warnings) == [
        "users.jsonl:3: names the same user as line 1 (by username): the run resets that user once and skips this "
        "row as a duplicate",
        "users.jsonl:4: names the same user as line 2 (by email): the run resets that user once and skips this row "
        "as a duplicate",
    ]


def test_an_empty_selection_is_an_error() -> None:
    for name, content in (("users.jsonl", b""), ("users.csv", b"username\n"), ("users.csv", b"")):
        check = check_manifest(name, content, {})
        assert check.listing(check.errors) == [f"{name}: names no user: an empty selection starts no run"]


def test_a_byte_order_mark_or_bytes_that_are_not_utf8_stop_the_check_at_their_line() -> None:
    bom = check_manifest("users.csv", b"\xef\xbb\xbfusername\nalice\n", {})
    latin1 = check_manifest("users.jsonl", lines({"username": "alice"}) + b'{"username": "j\xf6rg"}\n', {})

    assert bom.listing(bom.errors) == ["users.csv:1: starts with a byte-order mark: save the file as UTF-8 without BOM"]
    assert latin1.listing(latin1.errors) == ["users.jsonl:2: is not UTF-8 text"]


def test_the_listing_stops_at_the_cap_and_counts_the_rest() -> None:
    content = b"username\n" + b"not valid\n" * (LISTED + 7)
    check = check_manifest("users.csv", content, {})

    listed = check.listing(check.errors)
    assert len(listed) == LISTED + 1
    assert listed[-1] == "users.csv: ... and 7 more"


@pytest.mark.parametrize(
    ("name", "suffix"), [("users.csv", ".csv"), ("USERS.CSV", ".csv"), ("users.jsonl", ".jsonl"), ("list", ".jsonl")]
)
def test_the_manifest_keeps_its_format_in_the_bucket(name: str, suffix: str) -> None:
    assert manifest_suffix(name) == suffix


def test_a_selection_is_written_as_json_lines_by_username() -> None:
    content = selection_manifest(["alice", "bob"])

    assert content == b'{"username": "alice"}\n{"username": "bob"}\n'
    assert check_manifest("selection.jsonl", content, {}).users == 2
