"""A bulk run's selection, checked whole before anything is uploaded or started, and written as the one manifest the
workflow reads.

The operator's file is CSV with a header row (as a spreadsheet exports it: comma-, semicolon- or tab-delimited, a
byte-order mark, CRLF, padded cells, blank rows, header names in any case) or JSON Lines. Every row is read as the
request the run will make of it, over the run's defaults, by the reset function's own validation
(`reset_password.requests.parse_row`), and written to a normalised JSON Lines manifest (one object per row, canonical
column names, empty cells dropped), with each row's line in the operator's file, so that what was checked is what the
run reads and every result can be traced back to the operator's line.

Problems are reported by line number and never quote a value: a manifest holds users' identifiers, and what the CLI
prints ends up in terminals, tickets and CI logs. Only a header's text is ever quoted, and only once the first row
reads as a header (none of its cells looks like an identifier).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any, Final

from contracts.bulk import (
    EXCLUDE_GROUPS_FIELD,
    HOLD_MODIFIED_SINCE_FIELD,
    METADATA_COLUMNS,
    RUN_ONLY_FIELDS,
    is_csv,
)
from contracts.identifiers import PoolRules, identifier_key
from reset_password.requests import REQUEST_FIELDS, ROW_REFUSALS, InvalidRequest, parse_row

# How many problems of each kind are listed before the rest are only counted.
LISTED: Final = 50
JSONL_SUFFIX: Final = ".jsonl"
CSV_COLUMNS: Final = frozenset(REQUEST_FIELDS) | frozenset(METADATA_COLUMNS)
_IDENTIFIERS: Final = ("username", "email", "sub")
# What a CSV row may set besides the identifier (clientMetadata as a whole is an object, which a cell cannot hold).
_OVERRIDES: Final = sorted(CSV_COLUMNS - {*_IDENTIFIERS, *RUN_ONLY_FIELDS, "clientMetadata"})
_COLUMNS_HINT: Final = f"{', '.join(_IDENTIFIERS[:-1])} or {_IDENTIFIERS[-1]}, and any of {', '.join(_OVERRIDES)}"
# A header cell read as a column: its text without surrounding spaces, in any case (ASCII only: "\u212a".lower() is
# "k", and a column name is never anything but ASCII).
_BY_LOWER_CASE: Final = {column.lower(): column for column in CSV_COLUMNS}
# The run's defaults are checked on a row that names a user, so that whatever is wrong is the defaults' own.
_DEFAULTS_PROBE: Final = {"username": "defaults"}

_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode Text" export
# The delimiters a spreadsheet writes: comma, semicolon (Excel where the decimal separator is a comma), tab. The first
# wins a tie, so a header that tells nothing (one column) reads as comma-delimited.
_DELIMITERS: Final = {",": "comma", ";": "semicolon", "\t": "tab"}
# A first row with a cell shaped like a user's identifier (an e-mail address, a sub, a phone number as Cognito keeps
# it) is data, not a header: none of its cells is quoted back.
_IDENTIFIER_SHAPED: Final = re.compile(
    r"@|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\+\d{7}", re.IGNORECASE
)
_SPACES_OR_DELIMITERS: Final = re.compile(r"[\s,;]*")
_QUOTED_LENGTH: Final = 40
_LINE_END: Final = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, at a line of the manifest (None: the manifest as a whole). The message names fields only."""

    line: int | None
    message: str

    def at(self, name: str) -> str:
        return f"{name}:{self.line}: {self.message}" if self.line is not None else f"{name}: {self.message}"


@dataclass(frozen=True, slots=True)
class ManifestCheck:
    """What checking a manifest found: how many users it names, the errors that stop the run, and warnings; and the
    manifest the run reads (`normalized`, JSON Lines), each of its rows' line in the operator's file (`source_lines`),
    and one line saying how the file was read (`summary_line`)."""

    name: str
    users: int
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...] = ()
    # The users the rows name once each (by identifier: a user named by username and by e-mail counts twice).
    distinct_users: int = 0
    normalized: bytes = b""
    source_lines: tuple[int, ...] = ()
    summary_line: str = ""
    # Each valid row's user as the row names it: (line, pool, kind, value), for judging duplicates by a pool's rules.
    named: tuple[tuple[int, str | None, str, str], ...] = ()
    # The warnings other than the duplicates (which `judged_by` says again by the pool's rules).
    other_warnings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def judged_by(self, rules: PoolRules | None) -> ManifestCheck:
        """The same check with its duplicate rows told by the pool's rules (contracts.identifiers)."""
        duplicates, distinct = _duplicates(self.named, rules)
        warnings = tuple(sorted((*self.other_warnings, *duplicates), key=lambda finding: finding.line or 0))
        return replace(self, warnings=warnings, distinct_users=distinct)

    def listing(self, findings: tuple[Finding, ...], limit: int = LISTED) -> list[str]:
        """The findings as lines, the first `limit` of them, then how many more there are."""
        lines = [finding.at(self.name) for finding in findings[:limit]]
        if len(findings) > limit:
            lines.append(f"{self.name}: ... and {len(findings) - limit} more")
        return lines


def run_defaults(
    *,
    reason: str | None = None,
    locale: str | None = None,
    brand: str | None = None,
    reference: str | None = None,
    global_sign_out: bool = False,
    user_pool_id: str | None = None,
    dry_run: bool = False,
    hold_modified_since: str | None = None,
    exclude_groups: Sequence[str] = (),
) -> dict[str, Any]:
    """The run's defaults (its batches' BatchInput, contract 1 fields): what every row gets unless it sets it (the
    breach rails, holdModifiedSince and excludeGroups, no row may set)."""
    metadata = {
        key: value
        for key, value in {"reason": reason, "locale": locale, "brand": brand, "reference": reference}.items()
        if value is not None
    }
    defaults: dict[str, Any] = {}
    if metadata:
        defaults["clientMetadata"] = metadata
    if user_pool_id is not None:
        defaults["userPoolId"] = user_pool_id
    if global_sign_out:
        defaults["globalSignOut"] = True
    if dry_run:
        defaults["dryRun"] = True
    if hold_modified_since is not None:
        defaults[HOLD_MODIFIED_SINCE_FIELD] = hold_modified_since
    if exclude_groups:
        defaults[EXCLUDE_GROUPS_FIELD] = list(dict.fromkeys(exclude_groups))
    return defaults


def defaults_errors(defaults: Mapping[str, Any]) -> list[str]:
    """What is wrong with the run's defaults themselves (every row would repeat it)."""
    parsed = parse_row(dict(defaults), dict(_DEFAULTS_PROBE))
    return list(parsed.errors) if isinstance(parsed, InvalidRequest) else []


def manifest_suffix(name: str) -> str:
    """The suffix of the manifest's key in the bucket, which tells the workflow how to read it."""
    return ".csv" if is_csv(name) else JSONL_SUFFIX


def selection_manifest(usernames: Iterable[str]) -> bytes:
    """A JSON Lines manifest naming each user by username, as the CLI writes it for --group and --filter."""
    return _json_lines({"username": username} for username in usernames)


def line_runs(source_lines: Iterable[int]) -> list[list[int]]:
    """`source_lines` as `[first line, rows]` runs of consecutive lines: a million rows without a blank line between
    them are one pair, and the list is JSON as it stands."""
    runs: list[list[int]] = []
    for line in source_lines:
        if runs and runs[-1][0] + runs[-1][1] == line:
            runs[-1][1] += 1
        else:
            runs.append([line, 1])
    return runs


def line_lookup(runs: Sequence[Sequence[int]]) -> Callable[[int], int | None]:
    """The line of the operator's file that holds normalised row `index` (0-based), None past the last row. The runs
    are summed once, each lookup is a bisection: use this for many lookups in one set of runs."""
    ends = list(accumulate(count for _, count in runs))  # ends[k]: the index just past run k

    def line(index: int) -> int | None:
        if index < 0:
            return None
        position = bisect_right(ends, index)
        if position == len(ends):
            return None
        first, count = runs[position]
        return first + index - (ends[position] - count)

    return line


def line_of(runs: Sequence[Sequence[int]], index: int) -> int | None:
    """The line of the operator's file that holds normalised row `index` (0-based), None past the last row."""
    return line_lookup(runs)(index)


def check_manifest(
    name: str, content: bytes, defaults: Mapping[str, Any], rules: PoolRules | None = None
) -> ManifestCheck:
    """Every row of the manifest validated as the run will validate it, over `defaults`, and written as the run will
    read it. Two rows name the same user as the pool's `rules` say (contracts.identifiers, docs/identifiers.md); without
    them, rows that differ only in case are taken as possibly the same user."""
    reading = _Reading("CSV" if is_csv(name) else "JSON Lines")
    text = _decode(content, reading)
    if text is not None:
        reading.line_end(text)
        if is_csv(name):
            _read_csv(text, reading)
        else:
            _read_jsonl(text, reading)
    errors = list(reading.errors)
    named: list[tuple[int, str | None, str, str]] = []
    for line, row in zip(reading.lines, reading.rows, strict=True):
        parsed = parse_row(dict(defaults), row)
        if isinstance(parsed, InvalidRequest):
            errors.extend(Finding(line, error) for error in parsed.errors)
            continue
        kind, value = parsed.identifier
        named.append((line, parsed.user_pool_id, kind, value))
    if not reading.rows and not errors:
        errors.append(Finding(None, "names no user: an empty selection starts no run"))
    errors.sort(key=lambda finding: finding.line or 0)
    check = ManifestCheck(
        name,
        len(reading.rows),
        tuple(errors),
        normalized=_json_lines(reading.rows),
        source_lines=tuple(reading.lines),
        summary_line=reading.summary(name),
        named=tuple(named),
    )
    return check.judged_by(rules)


def _duplicates(
    named: Iterable[tuple[int, str | None, str, str]], rules: PoolRules | None
) -> tuple[list[Finding], int]:
    """The rows that name a user an earlier row named (by the pool's rules; without them, rows that differ only in case
    may), each with what the run will do with it; and how many users the rows name."""
    seen: dict[tuple[str | None, str, str], int] = {}
    duplicates: list[Finding] = []
    names = "names the same user" if rules is not None else "may name the same user (the pool's case rule is unknown)"
    for line, pool, kind, value in named:
        key = (pool, kind, identifier_key(kind, value, rules) if rules is not None else value.casefold())  # type: ignore[arg-type]
        first = seen.setdefault(key, line)
        if first != line:
            duplicates.append(
                Finding(
                    line,
                    f"{names} as line {first} (by {kind}): the run resets that user once; this row then reads "
                    f"skipped (a duplicate of line {first}), or is tried if line {first} fails",
                )
            )
    return duplicates, len(seen)


def _json_lines(rows: Iterable[object]) -> bytes:
    """The rows as the JSON Lines manifest the workflow reads. ASCII (json.dumps' ensure_ascii): every string JSON can
    hold is written, a lone surrogate ("\\ud800" in a JSON Lines row) included."""
    return "".join(json.dumps(row, allow_nan=False) + "\n" for row in rows).encode("ascii")


@dataclass(slots=True)
class _Reading:
    """What reading the operator's file gave: the rows (as the run reads them) with their lines, the errors that
    stop it, and what was unusual about the file, for the summary line (never a cell's value)."""

    form: str
    rows: list[object] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    shape: list[str] = field(default_factory=list)  # delimiter, encoding, line ends
    notes: list[str] = field(default_factory=list)  # what was read differently from the file's text

    def line_end(self, text: str) -> None:
        """The line end of the file's first line, when it is not LF (a quoted cell's own line breaks can differ:
        Excel ends rows with CRLF and a cell's lines with LF)."""
        first = _LINE_END.search(text)
        if first is not None and first[0] != "\n":
            self.shape.append("CRLF line ends" if first[0] == "\r\n" else "CR line ends")

    def summary(self, name: str) -> str:
        described = f"{name}: {', '.join([self.form, *self.shape])}"
        return "; ".join([described, *self.notes])


def _decode(content: bytes, reading: _Reading) -> str | None:
    if content.startswith(_BOM):
        # Spreadsheets save "CSV UTF-8" with a byte-order mark; left in, it would become part of the first column's
        # name (or of the first JSON line).
        reading.shape.append("UTF-8 with byte-order mark")
        content = content[len(_BOM) :]
    elif content.startswith(_UTF16_BOMS):
        reading.errors.append(Finding(1, "is UTF-16 text: save the file as UTF-8 (in a spreadsheet: CSV UTF-8)"))
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        reading.errors.append(Finding(content[: error.start].count(b"\n") + 1, "is not UTF-8 text"))
        return None


def _column(cell: str) -> str | None:
    """The manifest column a header cell names: its text without surrounding spaces, in any case."""
    text = cell.strip()
    return _BY_LOWER_CASE.get(text.lower()) if text.isascii() else None


def _delimiter(text: str) -> str:
    """The delimiter that splits the header row into the most manifest columns (comma when none tells)."""

    def columns(delimiter: str) -> int:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            # The header is the first row that is not blank, whichever delimiter fills the blank rows before it.
            header = next((cells for cells in rows if not all(map(_SPACES_OR_DELIMITERS.fullmatch, cells))), [])
        except csv.Error:
            return 0
        return sum(_column(cell) is not None for cell in header)

    return max(_DELIMITERS, key=columns)


def _quoted(text: str) -> str:
    """A header's text as a message quotes it: in JSON's quotes and escapes, at most _QUOTED_LENGTH characters."""
    if len(text) > _QUOTED_LENGTH:
        text = text[: _QUOTED_LENGTH - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _read_csv(text: str, reading: _Reading) -> None:
    delimiter = _delimiter(text)
    reading.shape.insert(0, f"{_DELIMITERS[delimiter]}-delimited")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: list[str] | None = None
    blank = padded = 0
    try:
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            stripped = [cell.strip() for cell in cells]
            if not any(stripped) or (columns is None and all(map(_SPACES_OR_DELIMITERS.fullmatch, cells))):
                blank += 1
                continue
            if columns is None:
                columns = _header(start, cells, reading)
                if columns is None:
                    return
                continue
            width = max(position for position, cell in enumerate(stripped, start=1) if cell)
            if width > len(columns):
                reading.errors.append(Finding(start, f"has {width} cells, the header {len(columns)} columns"))
                continue
            padded += sum(cell != text for cell, text in zip(cells, stripped, strict=True) if text)
            reading.rows.append({column: cell for column, cell in zip(columns, stripped, strict=False) if cell})
            reading.lines.append(start)
    except csv.Error:
        reading.errors.append(Finding(reader.line_num, "is not valid CSV (an unclosed quote?)"))
        return
    if padded:
        reading.notes.append(f"spaces around {padded} cell{'s' if padded != 1 else ''} removed")
    if blank:
        reading.notes.append(f"{blank} blank row{'s' if blank != 1 else ''} skipped")


def _header(line: int, header: list[str], reading: _Reading) -> list[str] | None:
    """The columns the header row (at `line`) names, in order, or None with the header's problems in `reading`."""
    named = list(header)
    while not named[-1].strip():
        named.pop()  # a spreadsheet's used range can run past the last column: empty cells at the end name nothing
    canonical = [_column(cell) for cell in named]
    problems = _header_problems(line, named, canonical)
    if problems:
        reading.errors.extend(problems)
        return None
    renamed = [
        f"{_quoted(text)} read as {column}" for text, column in zip(named, canonical, strict=True) if text != column
    ]
    if renamed:
        reading.notes.append(f"header {', '.join(renamed)}")
    if len(header) > len(named):
        unnamed = len(header) - len(named)
        reading.notes.append(f"{unnamed} empty column{'s' if unnamed != 1 else ''} after the last ignored")
    return [column for column in canonical if column is not None]


def _header_problems(line: int, named: list[str], canonical: list[str | None]) -> list[Finding]:
    """What is wrong with the header row. Its text is quoted only once the row reads as a header: a first row that is
    data (a cell shaped like an identifier, or no cell naming a column) holds someone's identifiers, so then no cell is
    quoted at all."""
    if not any(canonical):
        return [
            Finding(
                line,
                f"is not a header row: it names none of {', '.join(_IDENTIFIERS)} (a CSV manifest's first line names "
                f"its columns: {_COLUMNS_HINT})",
            )
        ]
    if any(_IDENTIFIER_SHAPED.search(cell) for cell in named):
        return [
            Finding(
                line,
                "is not a header row: a cell of it is shaped like a user's identifier (an e-mail address, a UUID or a "
                f"phone number); a CSV manifest's first line names its columns: {_COLUMNS_HINT}",
            )
        ]
    problems: list[Finding] = []
    first_of: dict[str, str] = {}
    unknown: list[str] = []
    for position, (text, column) in enumerate(zip(named, canonical, strict=True), start=1):
        if column is None and text.strip():
            unknown.append(_quoted(text))
        elif column is None:
            problems.append(Finding(line, f"column {position} has no name"))
        elif column in first_of:
            problems.append(
                Finding(line, f"columns {_quoted(first_of[column])} and {_quoted(text)} both name {column}")
            )
        else:
            first_of[column] = text
    if unknown:
        several = len(unknown) > 1
        problems.append(
            Finding(
                line,
                f"column{'s' if several else ''} {', '.join(unknown)}: not "
                f"{'request fields or clientMetadata keys' if several else 'a request field or a clientMetadata key'}"
                f". The first row is a header naming {_COLUMNS_HINT}",
            )
        )
    elif not set(first_of) & set(_IDENTIFIERS):
        problems.append(Finding(line, f"the header names none of {', '.join(_IDENTIFIERS)}: no row could name a user"))
    # Refused as a column, even with every cell empty: a dry run, a forced reset and the run id are the run's.
    problems.extend(Finding(line, f"column {ROW_REFUSALS[field]}") for field in RUN_ONLY_FIELDS if field in first_of)
    return problems


def _read_jsonl(text: str, reading: _Reading) -> None:
    lines = text.split("\n")  # not splitlines(): a JSON string may hold U+2028 and other separators unescaped
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    blank = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            blank += 1
            continue
        try:
            row = json.loads(line, parse_constant=_not_json, parse_float=_finite)
        except ValueError:
            reading.errors.append(Finding(number, "is not one JSON object on one line"))
            continue
        reading.rows.append(row)
        reading.lines.append(number)
    if blank:
        reading.notes.append(f"{blank} blank line{'s' if blank != 1 else ''} skipped")


def _not_json(_constant: str) -> object:
    raise ValueError("NaN and Infinity are not JSON")


def _finite(text: str) -> float:
    # 1e999 reads as infinity, which the normalised manifest could not write back as JSON.
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number beyond a double")
    return number
