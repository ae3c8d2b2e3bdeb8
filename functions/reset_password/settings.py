"""The reset function's configuration: environment variables read once, validated, into one pydantic model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from contracts import environment as env
from contracts.cognito import USER_POOL_ID_MAX_LENGTH
from contracts.patterns import USER_POOL_ID, anchored


class SettingsError(ValueError):
    """The function is deployed with a configuration it cannot run with; the message names each variable."""


def _comma_separated(value: object) -> object:
    return frozenset(item.strip() for item in value.split(",") if item.strip()) if isinstance(value, str) else value


UserPoolId = Annotated[str, Field(max_length=USER_POOL_ID_MAX_LENGTH, pattern=anchored(USER_POOL_ID))]
_POOL_ID = "a user pool id (like eu-west-1_AbC123xyz)"
_CALLS_PER_SECOND = "a number of calls per second, more than 0 and at most 1000"
_NAMES: Final = {"pool": env.USER_POOL_ID, "pools": env.ALLOWED_USER_POOL_IDS}


class ResetSettings(BaseModel):
    """Each field reads the variable contracts.environment names; a field's description says what it must be."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, str_strip_whitespace=True)

    default_user_pool_id: UserPoolId | None = Field(
        default=None, validation_alias=env.USER_POOL_ID, description=_POOL_ID
    )
    # A comma-separated list; without it, the default pool alone is allowed.
    allowed_user_pool_ids: Annotated[frozenset[UserPoolId], BeforeValidator(_comma_separated)] = Field(
        default=frozenset(), validation_alias=env.ALLOWED_USER_POOL_IDS, validate_default=True, description=_POOL_ID
    )
    idempotency_table_name: str | None = Field(default=None, validation_alias=env.IDEMPOTENCY_TABLE_NAME)
    cooldown_seconds: int = Field(
        default=env.DEFAULT_COOLDOWN_SECONDS,
        ge=0,
        le=env.MAX_COOLDOWN_SECONDS,
        validation_alias=env.COOLDOWN_SECONDS,
        description=f"a whole number of seconds from 0 (off) to {env.MAX_COOLDOWN_SECONDS}",
    )
    audit_event_bus_name: str | None = Field(default=None, validation_alias=env.AUDIT_EVENT_BUS_NAME)
    # Unset: the container does not pace that category (the stack always sets all three: infra/reset_function.py).
    reset_calls_per_second: float | None = Field(
        default=None, gt=0, le=1000, validation_alias=env.RESET_CALLS_PER_SECOND, description=_CALLS_PER_SECOND
    )
    lookup_calls_per_second: float | None = Field(
        default=None, gt=0, le=1000, validation_alias=env.LOOKUP_CALLS_PER_SECOND, description=_CALLS_PER_SECOND
    )
    sign_out_calls_per_second: float | None = Field(
        default=None, gt=0, le=1000, validation_alias=env.SIGN_OUT_CALLS_PER_SECOND, description=_CALLS_PER_SECOND
    )
    # Unset: the SES send rate does not pace resets (the stack sets it: infra/reset_function.py).
    ses_send_rate_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        validation_alias=env.SES_SEND_RATE_SHARE,
        description="a fraction, more than 0 and at most 1",
    )

    # Unset: the event path is not capped (the stack always sets it: infra/reset_function.py).
    event_resets_per_hour: int | None = Field(
        default=None,
        ge=1,
        le=env.MAX_EVENT_RESETS_PER_HOUR,
        validation_alias=env.EVENT_RESETS_PER_HOUR,
        description=f"a whole number from 1 to {env.MAX_EVENT_RESETS_PER_HOUR}",
    )
    failed_request_queue_url: str | None = Field(default=None, validation_alias=env.FAILED_REQUEST_QUEUE_URL)
    delivery_events_counted: bool = Field(
        default=False, validation_alias=env.DELIVERY_EVENTS_COUNTED, description="true or false"
    )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ResetSettings:
        """Read this function's variables (a blank one counts as unset); raise SettingsError naming each bad one."""
        values = {name: environ[name] for name in _FIELDS if isinstance(name, str) and environ.get(name, "").strip()}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise SettingsError("; ".join(map(_explain, error.errors(include_url=False)))) from None

    @field_validator("allowed_user_pool_ids")
    @classmethod
    def _the_default_pool_alone_without_a_list(cls, pools: frozenset[str], info: ValidationInfo) -> frozenset[str]:
        default_pool = info.data.get("default_user_pool_id")
        return pools or (frozenset({default_pool}) if default_pool else pools)

    @model_validator(mode="after")
    def _a_pool_to_act_on(self) -> ResetSettings:
        if not self.allowed_user_pool_ids:
            raise PydanticCustomError(
                "no_pool",
                f"{env.USER_POOL_ID} or {env.ALLOWED_USER_POOL_IDS}: at least one user pool must be configured",
            )
        if self.default_user_pool_id and self.default_user_pool_id not in self.allowed_user_pool_ids:
            raise PydanticCustomError(
                "default_pool",
                f"{env.USER_POOL_ID}: the default pool must also be listed in {env.ALLOWED_USER_POOL_IDS}",
            )
        return self


_FIELDS: Final = {field.validation_alias: field for field in ResetSettings.model_fields.values()}


def _explain(problem: ErrorDetails) -> str:
    """Pydantic's error as `VARIABLE: what is wrong`; only a pool id is echoed, as before."""
    if not problem["loc"]:
        return problem["msg"]  # _a_pool_to_act_on names its variables
    variable = str(problem["loc"][0])
    expected = field.description if (field := _FIELDS.get(variable)) else None
    if expected is None:
        return f"{variable}: {problem['msg']}"
    if problem["type"] in {"string_pattern_mismatch", "string_too_long"}:
        return f"{variable}: '{str(problem['input']).strip()}' is not {expected}"
    return f"{variable}: must be {expected}"
