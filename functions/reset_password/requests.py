"""The request contract (contract 1): the three shapes an invocation arrives in, validated field by field.

A request arrives as an EventBridge event (detail-type `Password Reset Requested`), as a plain object (Step
Functions task input or a direct invoke), or as a Distributed Map ItemBatcher batch `{"Items": [...],
"BatchInput": {...}}`. Validation errors name the field and never echo its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from contracts.client_metadata import metadata_errors
from contracts.cognito import USER_POOL_ID_MAX_LENGTH
from contracts.events import RESET_REQUESTED
from contracts.patterns import EMAIL_ADDRESS, USER_POOL_ID, anchored

# Pydantic searches a pattern anywhere in the value: every pattern here is anchored.
_NO_SPACE_OR_CONTROL = r"^[^\s\x00-\x1f\x7f]+$"
_SUB = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Username = Annotated[str, Field(min_length=1, max_length=128, pattern=_NO_SPACE_OR_CONTROL)]
# EMAIL_ADDRESS refuses quotes and backslashes, so a ListUsers filter can never be broken out of.
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=anchored(EMAIL_ADDRESS))]
Sub = Annotated[str, Field(pattern=_SUB)]
UserPoolId = Annotated[str, Field(min_length=1, max_length=USER_POOL_ID_MAX_LENGTH, pattern=anchored(USER_POOL_ID))]
RequestId = Annotated[str, Field(min_length=1, max_length=128, pattern=_NO_SPACE_OR_CONTROL)]


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
    dry_run: bool = Field(default=False, alias="dryRun")

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
                "exactly one of username, email or sub identifies the user (got: {found})",
                {"found": found},
            )
        return self

    @property
    def identifier(self) -> tuple[Literal["username", "email", "sub"], str]:
        if self.username is not None:
            return "username", self.username
        if self.email is not None:
            return "email", self.email
        if self.sub is not None:
            return "sub", self.sub
        raise AssertionError("unreachable: _exactly_one_identifier guarantees one identifier")


@dataclass(frozen=True, slots=True)
class InvalidRequest:
    """A request that failed validation: what was wrong, field by field, and what can be echoed back safely."""

    errors: tuple[str, ...]
    username: str | None = None
    user_pool_id: str | None = None
    request_id: str | None = None

    @property
    def detail(self) -> str:
        return "; ".join(self.errors)


ParsedRequest = ResetRequest | InvalidRequest


@dataclass(frozen=True, slots=True)
class SingleInvocation:
    request: ParsedRequest
    source: Literal["eventbridge", "direct"]


@dataclass(frozen=True, slots=True)
class BatchInvocation:
    requests: tuple[ParsedRequest, ...]


Invocation = SingleInvocation | BatchInvocation


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "client_metadata":
        return str(error["msg"])  # already worded field by field by the shared schema
    if error["type"] == "extra_forbidden":
        return f"{location}: unknown field"
    message = str(error["msg"])
    if error["type"] == "string_pattern_mismatch":
        message = "has characters or a shape that is not allowed"
    return f"{location}: {message}" if location else message


def _echo(raw: object, key: str, limit: int = 128) -> str | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def parse_request(raw: object) -> ParsedRequest:
    """Validate one request; never raises on bad input."""
    if not isinstance(raw, dict):
        return InvalidRequest(errors=("request: must be a JSON object",))
    try:
        return ResetRequest.model_validate(raw)
    except ValidationError as invalid:
        return InvalidRequest(
            errors=tuple(_describe(dict(error)) for error in invalid.errors(include_url=False, include_input=False)),
            username=_echo(raw, "username"),
            user_pool_id=_echo(raw, "userPoolId", 55),
            request_id=_echo(raw, "requestId"),
        )


def _with_batch_defaults(defaults: dict[str, Any], item: object) -> object:
    """An item's own fields win over BatchInput; clientMetadata is merged key by key."""
    if not isinstance(item, dict):
        return item
    merged = {**defaults, **item}
    base_metadata, own_metadata = defaults.get("clientMetadata"), item.get("clientMetadata")
    if isinstance(base_metadata, dict) and isinstance(own_metadata, dict):
        merged["clientMetadata"] = {**base_metadata, **own_metadata}
    return merged


def parse_invocation(event: object) -> Invocation:
    """Recognise which of the three shapes arrived and validate every request in it."""
    if isinstance(event, dict) and "detail-type" in event:
        return SingleInvocation(request=_parse_eventbridge(event), source="eventbridge")
    if isinstance(event, dict) and "Items" in event:
        items, defaults = event.get("Items"), event.get("BatchInput") or {}
        if not isinstance(items, list):
            return SingleInvocation(InvalidRequest(errors=("Items: must be a list of requests",)), source="direct")
        if not isinstance(defaults, dict):
            return SingleInvocation(InvalidRequest(errors=("BatchInput: must be a JSON object",)), source="direct")
        return BatchInvocation(requests=tuple(parse_request(_with_batch_defaults(defaults, item)) for item in items))
    return SingleInvocation(request=parse_request(event), source="direct")


def _parse_eventbridge(event: dict[str, Any]) -> ParsedRequest:
    try:
        envelope = EventBridgeModel.model_validate(event)
    except ValidationError as invalid:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in invalid.errors()})
        return InvalidRequest(errors=tuple(f"{field}: missing or malformed EventBridge field" for field in fields))
    if envelope.detail_type != RESET_REQUESTED:
        return InvalidRequest(errors=(f"detail-type: must be '{RESET_REQUESTED}'",))
    return parse_request(envelope.detail)
