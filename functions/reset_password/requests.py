"""The request contract (contract 1): the three shapes an invocation arrives in, validated field by field.

A request arrives as an EventBridge event (detail-type `Password Reset Requested`), as a plain object (Step
Functions task input or a direct invoke), or as a Distributed Map ItemBatcher batch `{"Items": [...],
"BatchInput": {...}}`. Any JSON value is answered: a request that breaks the contract becomes an `InvalidRequest`
whose errors name the field (never a value, never an unknown field's own name) and which carries no value from the
request, only a hashed `reference` to it (see `request_reference`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from contracts.bulk import (
    DRY_RUN_FIELD,
    EXCLUDE_GROUPS_FIELD,
    FORCE_FIELD,
    HOLD_MODIFIED_SINCE_FIELD,
    RUN_ID,
    RUN_ID_FIELD,
    item_parts,
    request_from_row,
)
from contracts.client_metadata import metadata_errors
from contracts.cognito import USER_POOL_ID_MAX_LENGTH
from contracts.events import RESET_REQUESTED
from contracts.identifiers import IdentifierKind
from contracts.patterns import EMAIL_ADDRESS, UNSAFE_TEXT_PROBLEM, USER_POOL_ID, anchored, is_safe_text

# Pydantic searches a pattern anywhere in the value: every pattern here is anchored. Control, format and separator
# characters and lone surrogates are refused before any pattern is tried (`_safe_text`), in every string field.
_NO_WHITESPACE = r"^\S+$"
_SUB = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Username = Annotated[str, Field(min_length=1, max_length=128, pattern=_NO_WHITESPACE)]
# EMAIL_ADDRESS refuses quotes and backslashes, so a ListUsers filter can never be broken out of.
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=anchored(EMAIL_ADDRESS))]
Sub = Annotated[str, Field(pattern=_SUB)]
UserPoolId = Annotated[str, Field(min_length=1, max_length=USER_POOL_ID_MAX_LENGTH, pattern=anchored(USER_POOL_ID))]
RequestId = Annotated[str, Field(min_length=1, max_length=128, pattern=_NO_WHITESPACE)]
RunId = Annotated[str, Field(pattern=anchored(RUN_ID))]
# A Cognito group's name: 1-128 characters, no whitespace (API Reference, CreateGroup: GroupName).
GroupName = Annotated[str, Field(min_length=1, max_length=128, pattern=_NO_WHITESPACE)]
# How many groups one request may exclude: each costs the user's group listing, once per user.
MAX_EXCLUDED_GROUPS: Final = 10


class ResetRequest(BaseModel):
    """One reset request. Exactly one of username, email or sub identifies the user."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, str_strip_whitespace=False)

    username: Username | None = None
    email: Email | None = None
    sub: Sub | None = None
    user_pool_id: UserPoolId | None = Field(default=None, alias="userPoolId")
    client_metadata: dict[str, str] = Field(default_factory=dict, alias="clientMetadata")
    global_sign_out: bool = Field(default=False, alias="globalSignOut")
    request_id: RequestId | None = Field(default=None, alias="requestId")
    dry_run: bool = Field(default=False, alias=DRY_RUN_FIELD)
    # A second code inside the user's cooldown window, on purpose: one operator's decision for one user, taken from a
    # direct invoke (the CLI, the single-reset workflow) only; an event or a bulk run that sets it is refused.
    force: bool = Field(default=False, alias=FORCE_FIELD)
    # The bulk run this reset belongs to (contracts.bulk): the workflow sets it on every batch. What the reset did is
    # remembered for as long as the run can be redriven, and a run resets a user once.
    run_id: RunId | None = Field(default=None, alias=RUN_ID_FIELD)
    # The breach rails (contracts.bulk): hold a user whose record changed after this time (an ISO 8601 time with its
    # offset), and skip the members of these groups.
    hold_modified_since: AwareDatetime | None = Field(default=None, alias=HOLD_MODIFIED_SINCE_FIELD)
    exclude_groups: tuple[GroupName, ...] = Field(
        default=(), alias=EXCLUDE_GROUPS_FIELD, max_length=MAX_EXCLUDED_GROUPS
    )

    @field_validator("username", "email", "sub", "user_pool_id", "request_id", "run_id", mode="before")
    @classmethod
    def _safe_text(cls, value: Any) -> Any:
        if isinstance(value, str) and not is_safe_text(value):
            raise PydanticCustomError("unsafe_text", UNSAFE_TEXT_PROBLEM)
        return value

    @field_validator("exclude_groups", mode="before")
    @classmethod
    def _safe_group_names(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and any(isinstance(v, str) and not is_safe_text(v) for v in value):
            raise PydanticCustomError("unsafe_text", UNSAFE_TEXT_PROBLEM)
        return value

    @field_validator("client_metadata", mode="before")
    @classmethod
    def _metadata_follows_the_shared_schema(cls, value: Any) -> Any:
        errors = metadata_errors(value)
        if errors:
            raise PydanticCustomError("client_metadata", "; ".join(errors))
        return value

    @model_validator(mode="after")
    def _exactly_one_identifier(self) -> ResetRequest:
        given = [name for name in ("username", "email", "sub") if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise PydanticCustomError(
                "identifier",
                "request: exactly one of username, email or sub identifies the user (got: {found})",
                {"found": found},
            )
        return self

    @property
    def identifier(self) -> tuple[IdentifierKind, str]:
        if self.username is not None:
            return "username", self.username
        if self.email is not None:
            return "email", self.email
        if self.sub is not None:
            return "sub", self.sub
        raise AssertionError("unreachable: _exactly_one_identifier guarantees one identifier")


# The request's fields as callers spell them (contract 1), and every key validation accepts (also the Python names).
REQUEST_FIELDS: Final = tuple(field.alias or name for name, field in ResetRequest.model_fields.items())
_ACCEPTED_KEYS: Final = frozenset(REQUEST_FIELDS) | frozenset(ResetRequest.model_fields)
# A key that differs from a field only in case ("dryrun", "globalSignout") is a slip worth naming: it cannot be anyone's
# data. Any other unknown key is only counted, since a key can be anything (an e-mail address, a token).
_LOWER_CASE_FIELDS: Final = frozenset(field.lower() for field in REQUEST_FIELDS)
_UNKNOWN_FIELDS_HINT: Final = f"(allowed: {', '.join(REQUEST_FIELDS)})"
# The EventBridge envelope's fields as the event spells them.
_ENVELOPE_FIELDS: Final = frozenset(field.alias or name for name, field in EventBridgeModel.model_fields.items())


def request_reference(request: object) -> str | None:
    """A stable reference to a request that was refused, for finding its result and log line without its values.

    Recipe: the first 16 hex digits of the SHA-256 of the request as canonical JSON, as Python writes it::

        hashlib.sha256(
            json.dumps(request, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")
        ).hexdigest()[:16]

    `request` is what the caller wrote: the plain request (Step Functions task input, direct invoke payload), the
    `detail` of an EventBridge event, or one element of a batch's `Items` as it stands (without `BatchInput`). When
    the invocation's shape itself is refused (an EventBridge envelope, `Items` or `BatchInput` that is malformed),
    it is the whole event. `ensure_ascii` writes any character, a lone surrogate included, as an escape, so every
    JSON value has a reference; None only for what JSON cannot write (nesting beyond the recursion limit).
    """
    try:
        canonical = json.dumps(request, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):  # not JSON: a direct caller's Python object, or too deep
        return None
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class InvalidRequest:
    """A request that failed validation: what was wrong, field by field, and a hashed reference to the request.

    It carries no value from the request (a refused request's values are unchecked input, and any of them may be an
    e-mail address or worse): `errors` name fields only, and `reference` is `request_reference` of what the caller
    wrote, which the result and the log line carry instead.
    """

    errors: tuple[str, ...]
    reference: str | None = None

    @property
    def detail(self) -> str:
        return "; ".join(self.errors)


ParsedRequest = ResetRequest | InvalidRequest


@dataclass(frozen=True, slots=True)
class SingleInvocation:
    request: ParsedRequest
    source: Literal["eventbridge", "direct"]


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One item of a batch: the request its row stands for, and the row's position in the manifest when the workflow
    says it (contracts.bulk.item_parts)."""

    request: ParsedRequest
    index: int | None = None


@dataclass(frozen=True, slots=True)
class BatchInvocation:
    items: tuple[BatchItem, ...]

    @property
    def requests(self) -> tuple[ParsedRequest, ...]:
        return tuple(item.request for item in self.items)


Invocation = SingleInvocation | BatchInvocation

# Pydantic's own messages describe the schema, never the input; these types are the exceptions to that or say it
# in a way this contract words better.
_MESSAGES: Final = {
    "string_pattern_mismatch": "has characters or a shape that is not allowed",
    "value_error": "is not valid",  # a validator's exception text could quote the value
    "assertion_error": "is not valid",
}


def _describe(error: dict[str, Any]) -> str:
    """One pydantic error as '<field>: <problem>'. Unknown keys never reach validation, so a location starts with a
    field of the request (or is empty, for a rule over the whole request)."""
    if error["type"] in {"client_metadata", "identifier"}:
        return str(error["msg"])  # already worded with field names by this module or the shared schema
    location = error["loc"]
    field = location[0] if location and location[0] in _ACCEPTED_KEYS else "request"
    return f"{field}: {_MESSAGES.get(error['type'], str(error['msg']))}"


def _is_slip(key: object) -> bool:
    return isinstance(key, str) and key.isascii() and key.lower() in _LOWER_CASE_FIELDS


def _unknown_fields(raw: dict[Any, Any]) -> list[str]:
    unknown = [key for key in raw if key not in _ACCEPTED_KEYS]
    errors = [f"{key}: unknown field" for key in unknown if _is_slip(key)]
    others = len(unknown) - len(errors)
    if others:
        errors.append(f"request: {others} unknown field{'s' if others > 1 else ''} {_UNKNOWN_FIELDS_HINT}")
    return errors


def _refused(errors: list[str] | tuple[str, ...], written: object) -> InvalidRequest:
    return InvalidRequest(errors=tuple(errors), reference=request_reference(written))


def _parse(raw: object, written: object) -> ParsedRequest:
    if not isinstance(raw, dict):
        return _refused(["request: must be a JSON object"], written)
    unknown = _unknown_fields(raw)
    try:
        # Only the known fields are validated: an unknown key never reaches a pydantic error location.
        request = ResetRequest.model_validate({key: value for key, value in raw.items() if key in _ACCEPTED_KEYS})
    except ValidationError as invalid:
        errors = [_describe(dict(error)) for error in invalid.errors(include_url=False, include_input=False)]
        return _refused([*errors, *unknown], written)
    if unknown:
        return _refused(unknown, written)
    return request


def parse_request(raw: object) -> ParsedRequest:
    """Validate one request; never raises on bad input."""
    return _parse(raw, written=raw)


def with_run_defaults(defaults: dict[str, Any], row: object) -> object:
    """A manifest row as the request it stands for: the row read as a request (`contracts.bulk.request_from_row`),
    over the run's defaults (a batch's BatchInput). The row's own fields win; clientMetadata is merged key by key;
    the run id is the run's, never a row's."""
    item = request_from_row(row)
    if not isinstance(item, dict):
        return item
    merged = {**defaults, **item}
    base_metadata, own_metadata = defaults.get("clientMetadata"), item.get("clientMetadata")
    if isinstance(base_metadata, dict) and isinstance(own_metadata, dict):
        merged["clientMetadata"] = {**base_metadata, **own_metadata}
    return merged


# Why a manifest row may not set each of contracts.bulk.RUN_ONLY_FIELDS.
ROW_REFUSALS: Final = {
    # A row cannot move a reset into another run (or out of the run's memory).
    RUN_ID_FIELD: f"{RUN_ID_FIELD}: set by the run, never by a manifest row",
    # A dry run must never send anything, whatever a row says.
    DRY_RUN_FIELD: f"{DRY_RUN_FIELD}: a dry run belongs to the whole run (cognito-reset bulk --dry-run), never a row",
    FORCE_FIELD: f"{FORCE_FIELD}: a second code inside the cooldown is forced for one user (cognito-reset request "
    "--force), never by a bulk run",
    # A row could only weaken a breach rail (a later time, fewer groups).
    HOLD_MODIFIED_SINCE_FIELD: f"{HOLD_MODIFIED_SINCE_FIELD}: set for the whole run (cognito-reset bulk "
    "--hold-modified-since), never by a row",
    EXCLUDE_GROUPS_FIELD: f"{EXCLUDE_GROUPS_FIELD}: set for the whole run (cognito-reset bulk --exclude-group), never "
    "by a row",
}
_FORCE_FROM_AN_EVENT: Final = (
    f"{FORCE_FIELD}: not accepted from an event (an operator forces a reset with cognito-reset request --force)"
)


def parse_row(defaults: dict[str, Any], row: object) -> ParsedRequest:
    """Validate one manifest row over the run's defaults; never raises on bad input. A row that sets a field only the
    run may set is refused (INVALID_REQUEST, naming the field), and so is every row of a run whose defaults force."""
    item = request_from_row(row)
    if isinstance(item, dict) and (own := [ROW_REFUSALS[name] for name in ROW_REFUSALS if name in item]):
        return _refused(own, row)
    if FORCE_FIELD in defaults:
        return _refused([ROW_REFUSALS[FORCE_FIELD]], row)
    return _parse(with_run_defaults(defaults, row), row)


def parse_invocation(event: object) -> Invocation:
    """Recognise which of the three shapes arrived and validate every request in it."""
    if isinstance(event, dict) and "detail-type" in event:
        return SingleInvocation(request=_parse_eventbridge(event), source="eventbridge")
    if isinstance(event, dict) and "Items" in event:
        items, defaults = event.get("Items"), event.get("BatchInput") or {}
        if not isinstance(items, list):
            return SingleInvocation(_refused(["Items: must be a list of requests"], event), source="direct")
        if not isinstance(defaults, dict):
            return SingleInvocation(_refused(["BatchInput: must be a JSON object"], event), source="direct")
        return BatchInvocation(items=tuple(_batch_item(defaults, item) for item in items))
    return SingleInvocation(request=parse_request(event), source="direct")


def _batch_item(defaults: dict[str, Any], item: object) -> BatchItem:
    index, row = item_parts(item)
    return BatchItem(parse_row(defaults, row), index)


def _parse_eventbridge(event: dict[str, Any]) -> ParsedRequest:
    try:
        envelope = EventBridgeModel.model_validate(event)
    except ValidationError as invalid:
        # Name the envelope field only: deeper parts of a location can be keys of the detail (anyone's data).
        fields = sorted(
            {
                str(error["loc"][0]) if error["loc"] and error["loc"][0] in _ENVELOPE_FIELDS else "event"
                for error in invalid.errors(include_url=False, include_input=False)
            }
        )
        return _refused([f"{field}: missing or malformed EventBridge field" for field in fields], event)
    if envelope.detail_type != RESET_REQUESTED:
        return _refused([f"detail-type: must be '{RESET_REQUESTED}'"], event)
    if isinstance(envelope.detail, dict) and FORCE_FIELD in envelope.detail:
        return _refused([_FORCE_FROM_AN_EVENT], event.get("detail"))
    return _parse(envelope.detail, written=event.get("detail"))
