"""The bulk run's contract (contracts/bulk.py): manifest rows as requests, ResultWriter's files as children, the run id
and how long a run is remembered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.bulk import (
    RUN_ID,
    RUN_MEMORY_SECONDS,
    batch_items,
    batch_results,
    child_executions,
    is_csv,
    request_from_row,
)

ALICE_RESET = {"username": "alice", "status": "reset", "reason": None}
BOB_FAILED = {"username": "bob", "status": "failed", "reason": "USER_NOT_FOUND"}


def succeeded_child(*results: object) -> dict[str, Any]:
    output = {"results": list(results), "counts": {}}
    return {"Status": "SUCCEEDED", "Input": json.dumps({"Items": []}), "Output": json.dumps(output)}


# request_from_row


def test_empty_cells_are_absent_fields_so_one_csv_mixes_rows_by_username_and_by_email() -> None:
    by_username = {"username": "alice", "email": "", "sub": "", "globalSignOut": "true"}
    by_email = {"username": "", "email": "bob@example.com", "sub": "", "globalSignOut": ""}

    assert request_from_row(by_username) == {"username": "alice", "globalSignOut": "true"}
    assert request_from_row(by_email) == {"email": "bob@example.com"}


def test_none_values_are_dropped_like_empty_cells() -> None:
    assert request_from_row({"username": "alice", "requestId": None, "reason": None}) == {"username": "alice"}


def test_metadata_columns_move_into_client_metadata() -> None:
    row = {
        "username": "alice",
        "reason": "security_incident",
        "locale": "de-AT",
        "brand": "acme",
        "reference": "SEC-4211",
        "link": "https://reset.example.com/p",
    }

    assert request_from_row(row) == {
        "username": "alice",
        "clientMetadata": {
            "reason": "security_incident",
            "locale": "de-AT",
            "brand": "acme",
            "reference": "SEC-4211",
            "link": "https://reset.example.com/p",
        },
    }


def test_a_metadata_column_wins_over_the_same_key_in_the_rows_own_client_metadata() -> None:
    row = {
        "username": "alice",
        "reason": "security_incident",
        "clientMetadata": {"reason": "admin_request", "ticket": "T-1"},
    }

    assert request_from_row(row) == {
        "username": "alice",
        "clientMetadata": {"reason": "security_incident", "ticket": "T-1"},
    }


def test_an_empty_metadata_cell_leaves_the_rows_own_client_metadata_alone() -> None:
    row = {"username": "alice", "reason": "", "clientMetadata": {"reason": "admin_request"}}

    assert request_from_row(row) == {"username": "alice", "clientMetadata": {"reason": "admin_request"}}


def test_a_metadata_column_replaces_a_client_metadata_that_is_not_an_object() -> None:
    row = {"username": "alice", "locale": "de-AT", "clientMetadata": "junk"}

    assert request_from_row(row) == {"username": "alice", "clientMetadata": {"locale": "de-AT"}}


def test_a_row_without_metadata_columns_gets_no_client_metadata() -> None:
    assert "clientMetadata" not in request_from_row({"username": "alice", "dryRun": "true"})  # type: ignore[operator]


def test_the_row_itself_is_not_changed() -> None:
    row = {"username": "alice", "email": "", "reason": "security_incident"}

    request_from_row(row)

    assert row == {"username": "alice", "email": "", "reason": "security_incident"}


@pytest.mark.parametrize("row", ["alice", 42, None, ["username", "alice"], True])
def test_anything_but_an_object_is_returned_as_it_is_for_validation_to_refuse(row: object) -> None:
    assert request_from_row(row) is row


# is_csv


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("manifests/r1.csv", True),
        ("manifests/r1.CSV", True),
        ("manifests/r1.Csv", True),
        ("manifests/r1.jsonl", False),
        ("manifests/r1.json", False),
        ("manifests/r1", False),
        ("manifests/csv", False),
        ("manifests/r1.csv.jsonl", False),
    ],
)
def test_the_manifest_format_is_chosen_by_the_keys_suffix(key: str, expected: bool) -> None:
    assert is_csv(key) is expected


# child_executions


def test_json_lines_are_read_one_child_per_line_skipping_blank_lines() -> None:
    lines = ['{"Name": "a"}', "", "   ", '{"Name": "b"}', "\n"]

    assert list(child_executions(lines)) == [{"Name": "a"}, {"Name": "b"}]


def test_a_json_array_is_read_whole_even_when_it_spans_many_lines() -> None:
    lines = ["", "[", '  {"Name": "a"},', '  {"Name": "b"}', "]"]

    assert list(child_executions(lines)) == [{"Name": "a"}, {"Name": "b"}]


def test_a_json_array_on_one_line_is_read_whole() -> None:
    assert list(child_executions(['[{"Name": "a"}, {"Name": "b"}]'])) == [{"Name": "a"}, {"Name": "b"}]


def test_children_are_read_from_any_iterable_of_lines_lazily() -> None:
    consumed: list[str] = []

    def lines() -> Any:
        for line in ('{"Name": "a"}', '{"Name": "b"}', "not json"):
            consumed.append(line)
            yield line

    children = child_executions(lines())

    assert next(children) == {"Name": "a"}
    assert consumed == ['{"Name": "a"}']  # one line at a time: a file of any size streams


def test_values_that_are_not_objects_are_skipped() -> None:
    assert list(child_executions(['{"Name": "a"}', "42", '"text"', "null"])) == [{"Name": "a"}]
    assert list(child_executions(['[{"Name": "a"}, 42, null, ["x"]]'])) == [{"Name": "a"}]


def test_no_lines_are_no_children() -> None:
    assert list(child_executions([])) == []
    assert list(child_executions(["", "  "])) == []


# batch_results and batch_items


def test_a_succeeded_childs_results_are_the_reset_functions_batch_results() -> None:
    assert batch_results(succeeded_child(ALICE_RESET, BOB_FAILED)) == [ALICE_RESET, BOB_FAILED]


@pytest.mark.parametrize(
    "output",
    [None, "", "null", "42", '"text"', "[]", "{}", '{"results": null}', '{"results": "x"}', '{"results": {}}'],
)
def test_an_output_without_results_has_none(output: str | None) -> None:
    assert batch_results({"Output": output}) == []


def test_results_that_are_not_objects_are_dropped() -> None:
    child = {"Output": json.dumps({"results": [ALICE_RESET, "alice", 7, None]})}

    assert batch_results(child) == [ALICE_RESET]


def test_a_childs_items_are_the_manifest_rows_of_its_input() -> None:
    child = {"Input": json.dumps({"Items": [{"username": "a"}, {"username": "b"}], "BatchInput": {"runId": "r1"}})}

    assert batch_items(child) == [{"username": "a"}, {"username": "b"}]


@pytest.mark.parametrize(
    "payload", [None, "", "null", "[]", "{}", '{"Items": null}', '{"Items": "x"}', '{"Items": {"username": "a"}}']
)
def test_an_input_without_a_list_of_items_has_none(payload: str | None) -> None:
    assert batch_items({"Input": payload}) == []


def test_a_missing_input_or_output_has_nothing() -> None:
    assert batch_items({}) == []
    assert batch_results({}) == []


# RUN_ID and RUN_MEMORY_SECONDS


@pytest.mark.parametrize("run_id", ["r", "r1", "2026-11-23_incident", "A" * 80, "0-_", "incident-4211", "a" + "-" * 79])
def test_a_run_id_is_one_to_eighty_portable_characters(run_id: str) -> None:
    assert RUN_ID.fullmatch(run_id)


@pytest.mark.parametrize("run_id", ["", "A" * 81, "-r1", "_r1", "run id", "run.1", "run/1", "rün", "run:1", "r1\n"])
def test_other_run_ids_are_refused(run_id: str) -> None:
    assert RUN_ID.fullmatch(run_id) is None


def test_a_run_is_remembered_for_three_weeks_its_longest_execution_plus_the_redrive_window() -> None:
    assert RUN_MEMORY_SECONDS == 21 * 24 * 60 * 60
