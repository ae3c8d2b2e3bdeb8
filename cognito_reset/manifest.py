"""A bulk run's selection, checked whole before anything is uploaded or started: every row of a CSV (header row) or
JSON Lines manifest read as the request the run will make of it, over the run's defaults, by the reset function's own
validation (`reset_password.requests.parse_row`). Problems are reported by line number and never quote a value: a
manifest holds users' identifiers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from contracts.bulk import METADATA_COLUMNS, RUN_ONLY_FIELDS, is_csv
from reset_password.requests import REQUEST_FIELDS, ROW_REFUSALS, InvalidRequest, parse_row

# How many problems of each kind are listed before the rest are only counted.
LISTED: Final = 50
JSONL_SUFFIX: Final = ".jsonl"
CSV_COLUMNS: Final = frozenset(REQUEST_FIELDS) | frozenset(METADATA_COLUMNS)
_IDENTIFIERS: Final = ("username", "email", "sub")
# What a CSV row may set besides the identifier (clientMetadata as a whole is an object, which a cell cannot hold).
_OVERRIDES: Final = sorted(CSV_COLUMNS - {*_IDENTIFIERS, *RUN_ONLY_FIELDS, "clientMetadata"})
# The run's defaults are checked on a row that names a user, so that whatever is wrong is the defaults' own.
_DEFAULTS_PROBE: Final = {"username": "defaults"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, at a line of the manifest (None: the manifest as a whole). The message names fields only."""

    line: int | None
    message: str

    def at(self, name: str) -> str:
        return f"{name}:{self.line}: {self.message}" if self.line is not None else f"{name}: {self.message}"


@dataclass(frozen=True, slots=True)
class ManifestCheck:
    """What checking a manifest found: how many users it names, the errors that stop the run, and warnings."""

    name: str
    users: int
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...] = ()
    # The users the rows name once each (by identifier: a user named by username and by e-mail counts twice).
    distinct_users: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

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
) -> dict[str, Any]:
    """The run's defaults (its batches' BatchInput, contract 1 fields): what every row gets unless it sets it."""
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
    return "".join(json.dumps({"username": username}) + "\n" for username in usernames).encode()


def check_manifest(name: str, content: bytes, defaults: Mapping[str, Any]) -> ManifestCheck:
    """Every row of the manifest validated as the run will validate it, over `defaults`."""
    text, problem = _decode(content)
    if text is None:
        return ManifestCheck(name, 0, (problem,) if problem else ())
    rows: list[tuple[int, object]] = []
    errors: list[Finding] = []
    for item in _csv_rows(text) if is_csv(name) else _jsonl_rows(text):
        if isinstance(item, Finding):
            errors.append(item)
        else:
            rows.append(item)
    seen: dict[tuple[str | None, str, str], int] = {}
    warnings: list[Finding] = []
    for line, row in rows:
        parsed = parse_row(dict(defaults), row)
        if isinstance(parsed, InvalidRequest):
            errors.extend(Finding(line, error) for error in parsed.errors)
            continue
        kind, value = parsed.identifier
        # Cognito matches usernames (in a case-insensitive pool, the default) and e-mail addresses without regard to
        # case; a sub is a UUID, whose hex digits have no case either.
        key = (parsed.user_pool_id, kind, value.casefold())
        if key in seen:
            warnings.append(
                Finding(
                    line,
                    f"names the same user as line {seen[key]} (by {kind}): the run resets that user once and skips "
                    "this row as a duplicate",
                )
            )
        else:
            seen[key] = line
    if not rows and not errors:
        errors.append(Finding(None, "names no user: an empty selection starts no run"))
    errors.sort(key=lambda finding: finding.line or 0)
    return ManifestCheck(name, len(rows), tuple(errors), tuple(warnings), distinct_users=len(seen))


def _decode(content: bytes) -> tuple[str | None, Finding | None]:
    if content.startswith(b"\xef\xbb\xbf"):
        # A byte-order mark would become part of the first column's name (or the first JSON line).
        return None, Finding(1, "starts with a byte-order mark: save the file as UTF-8 without BOM")
    try:
        return content.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, Finding(content[: error.start].count(b"\n") + 1, "is not UTF-8 text")


def _csv_rows(text: str) -> Iterator[tuple[int, object] | Finding]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        header_problems = list(_header_problems(header))
        if header_problems:
            yield from header_problems
            return
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not cells:
                yield Finding(start, "is empty: remove blank lines")
            elif len(cells) > len(header):
                yield Finding(start, f"has {len(cells)} cells, the header {len(header)} columns")
            else:
                yield start, dict(zip(header, cells, strict=False))
    except csv.Error:
        yield Finding(reader.line_num, "is not valid CSV (an unclosed quote?)")


def _header_problems(header: list[str]) -> Iterator[Finding]:
    """The header row's problems. A column is named only when it is one of the manifest's columns (or differs from one
    only in case): a first row that is not a header at all holds someone's identifiers."""
    known = {column.lower(): column for column in CSV_COLUMNS}
    unknown: list[int] = []
    for position, column in enumerate(header, start=1):
        if column in CSV_COLUMNS:
            if header.index(column) + 1 != position:
                yield Finding(1, f"column {position} repeats column {column}")
        elif column.lower() in known:
            yield Finding(1, f"column {position}: did you mean {known[column.lower()]}? (names are case-sensitive)")
        else:
            unknown.append(position)
    if unknown:
        columns = ", ".join(map(str, unknown))
        yield Finding(
            1,
            f"column{'s' if len(unknown) > 1 else ''} {columns}: not a request field or a clientMetadata key. "
            f"The first row is a header naming {' or '.join(_IDENTIFIERS)} and any of {', '.join(_OVERRIDES)}",
        )
    elif not set(header) & set(_IDENTIFIERS):
        yield Finding(1, f"the header names none of {', '.join(_IDENTIFIERS)}: no row could name a user")
    for field in RUN_ONLY_FIELDS:
        if field in header:
            # Refused as a column, even with every cell empty: a dry run, a forced reset and the run id are the run's.
            yield Finding(1, f"column {ROW_REFUSALS[field]}")


def _jsonl_rows(text: str) -> Iterator[tuple[int, object] | Finding]:
    lines = text.split("\n")  # not splitlines(): a JSON string may hold U+2028 and other separators unescaped
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            yield Finding(number, "is empty: remove blank lines")
            continue
        try:
            yield number, json.loads(line, parse_constant=_not_json)
        except ValueError:
            yield Finding(number, "is not one JSON object on one line")


def _not_json(_constant: str) -> object:
    raise ValueError("NaN and Infinity are not JSON")
