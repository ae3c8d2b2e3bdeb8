"""Checking a run's manifest before anything starts: every row validated as the run will validate it, over the run's
defaults, each problem at its line, and never a value from the manifest in a message."""

from __future__ import annotations

import json
import re

import pytest

from cognito_reset.manifest import (
    LISTED,
    Finding,
    ManifestCheck,
    check_manifest,
    defaults_errors,
    line_lookup,
    line_of,
    line_runs,
    manifest_suffix,
    run_defaults,
    selection_manifest,
)
from contracts.identifiers import PoolRules


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
        b",,,false\n"  # line 4: nobody
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


def test_csv_rows_with_more_cells_than_the_header_are_errors_and_blank_lines_are_skipped() -> None:
    check = check_manifest("users.csv", b"username\nalice\nbob,extra\n\ncarol\n", {})

    assert check.listing(check.errors) == ["users.csv:3: has 2 cells, the header 1 columns"]
    assert check.users == 2
    assert check.source_lines == (2, 5)


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
        "users.jsonl:3: may name the same user (the pool's case rule is unknown) as line 1 (by username): the run "
        "resets that user once; this row then reads skipped (a duplicate of line 1), or is tried if line 1 fails",
        "users.jsonl:4: may name the same user (the pool's case rule is unknown) as line 2 (by email): the run "
        "resets that user once; this row then reads skipped (a duplicate of line 2), or is tried if line 2 fails",
    ]
    assert check.distinct_users == 3


def test_an_empty_selection_is_an_error() -> None:
    for name, content in (("users.jsonl", b""), ("users.csv", b"username\n"), ("users.csv", b"")):
        check = check_manifest(name, content, {})
        assert check.listing(check.errors) == [f"{name}: names no user: an empty selection starts no run"]


def test_bytes_that_are_not_utf8_stop_the_check_at_their_line() -> None:
    latin1 = check_manifest("users.jsonl", lines({"username": "alice"}) + b'{"username": "j\xf6rg"}\n', {})
    utf16 = check_manifest("users.csv", "username\r\nalice\r\n".encode("utf-16"), {})

    assert latin1.listing(latin1.errors) == ["users.jsonl:2: is not UTF-8 text"]
    assert utf16.listing(utf16.errors) == [
        "users.csv:1: is UTF-16 text: save the file as UTF-8 (in a spreadsheet: CSV UTF-8)"
    ]
    assert (latin1.users, latin1.normalized, utf16.users, utf16.normalized) == (0, b"", 0, b"")


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


# As a spreadsheet exports it: the manifest the run reads, and each of its rows' line in the operator's file.


def normalized_rows(check: ManifestCheck) -> list[object]:
    text = check.normalized.decode("ascii")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


EXCEL_EXPORT = b"\xef\xbb\xbfUsername;Email ;Locale\r\nalice;;de\r\n;bob@example.com;\r\n;;\r\n;;\r\n"


def test_an_excel_export_with_a_bom_semicolons_crlf_and_empty_rows_is_read_as_its_columns() -> None:
    check = check_manifest("users.csv", EXCEL_EXPORT, run_defaults(reason="security_incident"))

    assert (check.ok, check.users, check.warnings, check.distinct_users) == (True, 2, (), 2)
    assert normalized_rows(check) == [{"username": "alice", "locale": "de"}, {"email": "bob@example.com"}]
    assert check.source_lines == (2, 3)
    assert check.summary_line == (
        'users.csv: CSV, semicolon-delimited, UTF-8 with byte-order mark, CRLF line ends; header "Username" read as '
        'username, "Email " read as email, "Locale" read as locale; 2 blank rows skipped'
    )


def test_a_plain_file_has_a_short_summary_line_and_the_normalised_rows_drop_empty_cells() -> None:
    check = check_manifest("users.csv", b"username,email,locale\nalice,,de\n,bob@example.com,\n", {})

    assert check.summary_line == "users.csv: CSV, comma-delimited"
    assert check.normalized == b'{"username": "alice", "locale": "de"}\n{"email": "bob@example.com"}\n'
    assert check.source_lines == (2, 3)


def test_the_summary_line_never_holds_a_cell_and_counts_what_was_padded() -> None:
    content = b"username\t reference \r\n  alice  \t SEC-77\r\n\t\r\nbob\t  \r\n \t \r\n"
    check = check_manifest("users.csv", content, {})

    assert check.summary_line == (
        'users.csv: CSV, tab-delimited, CRLF line ends; header " reference " read as reference; spaces around 2 '
        "cells removed; 2 blank rows skipped"
    )
    assert normalized_rows(check) == [{"username": "alice", "reference": "SEC-77"}, {"username": "bob"}]
    assert check.source_lines == (2, 4)
    for value in ("alice", "SEC-77", "bob"):
        assert value not in check.summary_line


def test_an_unknown_column_is_named_by_its_text_shortened_with_the_known_columns() -> None:
    excel = check_manifest("users.csv", b"\xef\xbb\xbfUsername;E-Mail ;Locale\r\nalice;;de\r\n", {})
    long_name = "Department of the person who asked for it in full"
    long = check_manifest("users.csv", f"username,{long_name},Note\nalice,IT,x\n".encode(), {})

    assert excel.listing(excel.errors) == [
        'users.csv:1: column "E-Mail ": not a request field or a clientMetadata key. The first row is a header naming '
        "username, email or sub, and any of brand, globalSignOut, link, locale, reason, reference, requestId, "
        "userPoolId"
    ]
    (listed,) = long.listing(long.errors)
    assert listed.startswith(
        'users.csv:1: columns "Department of the person who asked for …", "Note": not request fields or '
        "clientMetadata keys."
    )
    assert (excel.users, excel.normalized, long.users) == (0, b"", 0)


@pytest.mark.parametrize(
    "first_row",
    [
        b"alice@example.com,Alice",  # an e-mail address: no column at all
        b"username,alice@example.com",  # a column, and an e-mail address beside it
        b"sub,8c1b4f5e-2d3a-4e5f-9a8b-7c6d5e4f3a2b",  # a sub
        b"email,+491701234567",  # a phone number
        b"alice,Alice Liddell",  # nothing the manifest knows
    ],
)
def test_a_first_row_that_is_data_is_not_a_header_and_none_of_its_cells_is_quoted(first_row: bytes) -> None:
    check = check_manifest("users.csv", first_row + b"\nbob@example.com,Bob\n", {})

    (listed,) = check.listing(check.errors)
    assert listed.startswith("users.csv:1: is not a header row: ")
    for cell in first_row.decode().split(","):
        if cell not in {"username", "sub", "email"}:
            assert cell not in listed
    assert '"' not in listed
    assert check.summary_line == "users.csv: CSV, comma-delimited"


def test_header_names_are_read_in_any_case_and_a_column_named_twice_is_an_error_naming_both() -> None:
    read = check_manifest("users.csv", b"USERNAME, globalsignout ,ReAsOn\nalice,true,security_incident\n", {})
    twice = check_manifest("users.csv", b"username,EMAIL, Email \nalice,,\n", {})

    assert read.ok
    assert normalized_rows(read) == [{"username": "alice", "globalSignOut": "true", "reason": "security_incident"}]
    assert twice.listing(twice.errors) == ['users.csv:1: columns "EMAIL" and " Email " both name email']


def test_a_run_only_column_is_refused_in_any_case() -> None:
    check = check_manifest("users.csv", b"username,DryRun\nalice,\n", {})

    assert check.listing(check.errors)[0].startswith("users.csv:1: column dryRun: a dry run belongs to the whole run")


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        (b"username", "comma"),  # one column: nothing tells, comma
        (b"username;reference", "semicolon"),
        (b"username\treference", "tab"),
        (b"username,reference;note", "comma"),  # comma splits off the most known columns
        (b"username;reference,x;locale", "semicolon"),
    ],
)
def test_the_delimiter_is_the_one_that_splits_the_header_into_the_most_columns(header: bytes, delimiter: str) -> None:
    check = check_manifest("users.csv", header + b"\n", {})

    assert check.summary_line == f"users.csv: CSV, {delimiter}-delimited"


def test_quoted_cells_keep_their_delimiters_quotes_and_lines_and_later_rows_keep_their_line() -> None:
    content = (
        b'username;reference\r\n"alice";"SEC-1; ""urgent"""\r\n\r\nbob;"two\nlines"\r\n;;\r\nnot valid;\r\ncarol;\r\n'
    )
    check = check_manifest("users.csv", content, {})

    assert normalized_rows(check) == [
        {"username": "alice", "reference": 'SEC-1; "urgent"'},
        {"username": "bob", "reference": "two\nlines"},
        {"username": "not valid"},
        {"username": "carol"},
    ]
    assert check.source_lines == (2, 4, 7, 8)
    assert check.listing(check.errors) == [
        "users.csv:4: clientMetadata.reference: must be 1-128 printable characters",
        "users.csv:7: username: has characters or a shape that is not allowed",
    ]


def test_empty_columns_after_the_header_are_ignored_until_a_row_fills_one() -> None:
    check = check_manifest("users.csv", b"username;locale;;\r\nalice;de;;\r\nbob;;; x \r\n", {})

    assert check.listing(check.errors) == ["users.csv:3: has 4 cells, the header 2 columns"]
    assert normalized_rows(check) == [{"username": "alice", "locale": "de"}]
    assert check.summary_line == (
        "users.csv: CSV, semicolon-delimited, CRLF line ends; 2 empty columns after the last ignored"
    )


def test_a_header_cell_without_a_name_is_an_error() -> None:
    check = check_manifest("users.csv", b"username,,locale\nalice,,de\n", {})

    assert check.listing(check.errors) == ["users.csv:1: column 2 has no name"]


def test_blank_rows_before_the_header_are_skipped_and_the_header_keeps_its_line() -> None:
    check = check_manifest("users.csv", b"\r\n;;\r\nusername;locale\r\nnot valid;\r\n", {})

    assert check.listing(check.errors) == ["users.csv:4: username: has characters or a shape that is not allowed"]
    assert check.source_lines == (4,)


def test_a_jsonl_file_with_a_bom_crlf_and_blank_lines_is_written_back_as_its_objects() -> None:
    content = (
        b'\xef\xbb\xbf{"username": "alice", "clientMetadata": {"locale": "de"}}\r\n'
        b"\r\n"
        b'  {"email":"bob@example.com","globalSignOut":true}\r\n'
        b" \t \r\n"
        b'{"sub": "not-a-uuid"}\r\n'
    )
    check = check_manifest("users.jsonl", content, {})

    assert normalized_rows(check) == [
        {"username": "alice", "clientMetadata": {"locale": "de"}},
        {"email": "bob@example.com", "globalSignOut": True},
        {"sub": "not-a-uuid"},
    ]
    assert check.source_lines == (1, 3, 5)
    assert check.listing(check.errors) == ["users.jsonl:5: sub: has characters or a shape that is not allowed"]
    assert check.summary_line == (
        "users.jsonl: JSON Lines, UTF-8 with byte-order mark, CRLF line ends; 2 blank lines skipped"
    )


def test_a_jsonl_row_is_written_back_in_ascii_whatever_its_strings_hold() -> None:
    check = check_manifest("users.jsonl", lines({"username": "jörg", "clientMetadata": {"reference": "a\u2028b"}}), {})

    assert check.normalized.isascii()
    assert normalized_rows(check) == [{"username": "jörg", "clientMetadata": {"reference": "a\u2028b"}}]


def test_a_number_beyond_a_double_is_refused_rather_than_written_back_as_infinity() -> None:
    check = check_manifest("users.jsonl", b'{"username": "alice", "globalSignOut": 1e999}\n', {})

    assert check.listing(check.errors) == ["users.jsonl:1: is not one JSON object on one line"]
    assert check.normalized == b""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "users.csv",
            b"\xef\xbb\xbfusername;Email;REASON;globalSignOut;userPoolId\r\n"
            b" alice ;;security_incident;true;\r\n"
            b";;\r\n"
            b";bob@example.com;Not_A_Reason;;\r\n"
            b"not valid;;;maybe;\r\n"
            b";;;;eu-west-1_abc\r\n"
            b'carol;;;;"eu-west-1_Other"\r\n'
            b"ALICE;;;;\r\n",
        ),
        (
            "users.jsonl",
            lines(
                {"username": "alice"},
                {"email": "bob@example.com", "clientMetadata": {"reason": "Not_A_Reason"}},
                ["alice"],
                {"username": "alice", "runId": "x"},
                {"username": "ALICE"},
            ),
        ),
    ],
)
def test_the_normalised_manifest_validates_exactly_as_the_operators_file_did(name: str, content: bytes) -> None:
    defaults = run_defaults(locale="de")
    check = check_manifest(name, content, defaults)
    again = check_manifest("normalized.jsonl", check.normalized, defaults)

    def at_original_lines(findings: tuple[Finding, ...]) -> list[Finding]:
        # The normalised file's line N is the operator's line source_lines[N - 1], in the prefix and in a message.
        def original(line: int) -> int:
            return check.source_lines[line - 1]

        return [
            Finding(
                original(finding.line) if finding.line else None,
                re.sub(r"line (\d+)", lambda match: f"line {original(int(match[1]))}", finding.message),
            )
            for finding in findings
        ]

    assert (again.users, again.distinct_users) == (check.users, check.distinct_users)
    assert at_original_lines(again.errors) == list(check.errors)
    assert at_original_lines(again.warnings) == list(check.warnings)
    assert check.errors
    assert check.warnings
    assert again.normalized == check.normalized


# The line map: a normalised row's line in the operator's file, compact enough for a million rows.


def test_line_runs_are_consecutive_lines_and_line_of_finds_each_row() -> None:
    source_lines = (2, 3, 4, 7, 8, 10)
    runs = line_runs(source_lines)

    assert runs == [[2, 3], [7, 2], [10, 1]]
    assert [line_of(runs, index) for index in range(len(source_lines))] == list(source_lines)
    assert (line_of(runs, -1), line_of(runs, len(source_lines)), line_of([], 0)) == (None, None, None)
    assert json.loads(json.dumps(runs)) == runs


def test_a_million_rows_with_a_blank_line_now_and_then_are_a_few_runs() -> None:
    source_lines = [line for line in range(2, 1_000_100) if line % 100_000 != 0]
    runs = line_runs(source_lines)
    line = line_lookup(runs)

    assert len(runs) == 11  # a run before each of the ten blank lines, and one after the last
    assert sum(count for _, count in runs) == len(source_lines)
    for index in (0, 1, 99_997, 99_998, 500_000, len(source_lines) - 1):
        assert line(index) == source_lines[index]
    assert line(len(source_lines)) is None


def test_a_checked_manifest_maps_every_normalised_row_to_its_line() -> None:
    check = check_manifest("users.csv", EXCEL_EXPORT + b"carol;;\r\n\r\ndave;;\r\n", {})

    runs = line_runs(check.source_lines)
    assert runs == [[2, 2], [6, 1], [8, 1]]
    assert [line_of(runs, index) for index in range(check.users)] == [2, 3, 6, 8]


def test_the_pools_own_case_rule_decides_which_rows_name_the_same_user() -> None:
    """The stack's pool (e-mail alias, case ignored) against a pool created through the API without a case setting
    (case-sensitive, no alias): the same rows are one user in the first, three in the second."""
    content = lines(
        {"username": "alice"}, {"username": "ALICE"}, {"email": "Alice@Example.com"}, {"email": "alice@example.com"}
    )
    ignores_case = PoolRules(alias_attributes=frozenset({"email"}), case_sensitive=False)

    stack_pool = check_manifest("users.jsonl", content, {}, ignores_case)
    api_pool = check_manifest("users.jsonl", content, {}, PoolRules())

    assert [finding.line for finding in stack_pool.warnings] == [2, 4]
    assert stack_pool.warnings[0].message.startswith("names the same user as line 1 (by username)")
    assert (stack_pool.distinct_users, api_pool.distinct_users, api_pool.warnings) == (2, 4, ())
