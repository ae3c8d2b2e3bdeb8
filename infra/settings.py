"""The stack's settings: read once from CDK context (cdk.json, `-c key=value`), validated, into one pydantic model.

No aws_cdk import on purpose: the local emulation reads the same settings without loading CDK, and a bad value fails
before any construct exists, with one message that lists every problem by its context key.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, PydanticCustomError

from contracts.cognito import USER_POOL_ID_MAX_LENGTH
from contracts.environment import (
    DEFAULT_COOLDOWN_SECONDS,
    DEFAULT_EVENT_RESETS_PER_HOUR,
    MAX_COOLDOWN_SECONDS,
    MAX_EVENT_RESETS_PER_HOUR,
)
from contracts.events import AUDIT_SOURCE, REQUEST_SOURCE
from contracts.patterns import BRAND_ID, EMAIL_ADDRESS, HOST_NAME, LOCALE, REGION, USER_POOL_ID, anchored
from contracts.stack import (
    DEFAULT_BRAND_SETTING,
    DEFAULT_LOCALE_SETTING,
    MESSAGE_PACK_SETTING,
    SHIPPED_LOCALE,
    message_pack_path,
)

# The CDK app's directory (app.py, cdk.json): what a relative messagePack is relative to.
APP_DIRECTORY: Final = Path(__file__).resolve().parent.parent

# What this project's sample requests and docs use as the sender's source; replace it with your senders' sources.
DEFAULT_EVENT_SOURCES: Final = (REQUEST_SOURCE,)
DEFAULT_RATE_BUDGET: Final = 20.0
# Cognito's default AdminResetUserPassword quota (UserAccountRecovery category) is 30 requests per second per account
# and Region; quota increases exist, so the upper bound only catches typos (an extra zero), not policy.
MAX_RATE_BUDGET: Final = 1000.0
DEFAULT_LOG_RETENTION_DAYS: Final = 90
DEFAULT_CONFIG_REVISION: Final = "1"
# Requests per child execution of the bulk workflow (one invocation resets them one after another): 10 keep a batch
# well inside the function's timeout even when Cognito throttles and the function backs off.
DEFAULT_BULK_BATCH_SIZE: Final = 10
MAX_BULK_BATCH_SIZE: Final = 100
# A bulk run stops when more than this share of its batches failed after every retry (a systemic fault, not bad luck).
DEFAULT_BULK_TOLERATED_FAILURE_PERCENTAGE: Final = 5.0
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                             2922, 3288, 3653)  # fmt: skip
# Reserved concurrency = ceil(rate budget x fastest reset seconds), at least MIN_RESERVED_CONCURRENCY.
# A reset is one AdminResetUserPassword call, which includes Cognito's synchronous CustomMessage invocation; its
# fastest round trip is about a quarter of a second, so each concurrent invocation can issue at most ~4 resets per
# second. Sizing on the fastest call keeps the ceiling at or under the budget; slower calls only lower the rate.
FASTEST_RESET_SECONDS: Final = 0.25
MIN_RESERVED_CONCURRENCY: Final = 2

# Identifiers only the settings check (the shared ones come from contracts.patterns), anchored for pydantic.
_EVENT_SOURCE: Final = r"^[A-Za-z0-9._/-]{1,256}$"
_EVENT_BUS_NAME: Final = r"^[A-Za-z0-9._/-]{1,256}$"
_CONFIG_REVISION: Final = r"^[A-Za-z0-9._:-]{1,64}$"
_ROLE_ARN: Final = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"
# Context keys that belong to the CDK toolkit rather than to this app (CDK's own have an '@' or a ':').
_TOOLKIT_KEYS: Final = frozenset({"cli-telemetry", "acknowledged-issue-numbers"})


# The bulk bucket's Object Lock retention, in days: this product's ceiling of ten years (an incident's review and its
# legal holds rarely need longer; a locked version cannot be deleted before its retention ends, even by the deployer
# without s3:BypassGovernanceRetention).
MAX_EVIDENCE_LOCK_DAYS: Final = 3_650
# Who may put reset requests: principals named by ARN. EventBridge's policy for the bus matches them on
# aws:PrincipalArn, which for a role's session is the role's ARN, not the session's (IAM User Guide, "AWS global
# condition context keys", aws:PrincipalArn): a requester is a role (or user, or an account's root) ARN, with the
# wildcards * and ? allowed in its account and name (ArnLike).
_PRINCIPAL_ARN: Final = r"^arn:aws[a-z-]*:iam::(\d{12}|\*):(root|(role|user)/[\w+=,.@/*?-]{1,512})$"


def _not_a_session(arn: object) -> object:
    if isinstance(arn, str) and ":assumed-role/" in arn:
        raise PydanticCustomError(
            "session_arn",
            "'{arn}' is a role's session: name the role itself (arn:aws:iam::<account>:role/<name>), which is what "
            "aws:PrincipalArn holds for every session of it",
            {"arn": arn},
        )
    return arn


class SettingsError(ValueError):
    """The context holds values the stack cannot be built from; the message lists every problem by context key."""


def _number(value: object) -> object:
    """`-c` values arrive as strings; a boolean is no number (pydantic alone would read true as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("number", "must be a number, got a boolean")
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        raise PydanticCustomError("number", "must be a number, got '{value}'", {"value": str(value)}) from None


def _listed(value: object) -> object:
    """A list from `-c` arrives as one string: comma-separated, or written like a JSON list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return [item.strip().strip("\"'") for item in text.split(",") if item.strip()]
    if not isinstance(value, list | tuple):
        raise PydanticCustomError(
            "list", "must be a list (or a comma-separated string), got {type}", {"type": type(value).__name__}
        )
    return value


def _lower_case(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _not_reserved(owner: str) -> Callable[[str], str]:
    def check(name: str) -> str:
        if name.startswith("aws."):
            raise PydanticCustomError("reserved", "'{name}' is reserved for {owner}", {"name": name, "owner": owner})
        return name

    return check


def _retention_period(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise PydanticCustomError(
            "retention",
            "must be one of CloudWatch's retention periods {periods}, got {days}",
            {"periods": str(LOG_RETENTION_DAYS), "days": days},
        )
    return days


def _display_name(name: str) -> str:
    if not 1 <= len(name) <= 64 or any(character in name for character in '<>"\r\n'):
        raise PydanticCustomError("display_name", "must be 1-64 characters without <, >, quotes or line breaks")
    return name


# A field's description says what its value (or each item of its list) must be: error messages quote it.
Number = BeforeValidator(_number)
Listed = BeforeValidator(_listed)
UserPoolId = Annotated[str, Field(max_length=USER_POOL_ID_MAX_LENGTH, pattern=anchored(USER_POOL_ID))]
HostName = Annotated[str, BeforeValidator(_lower_case), Field(pattern=anchored(HOST_NAME))]
EventSource = Annotated[str, Field(pattern=_EVENT_SOURCE), AfterValidator(_not_reserved("AWS services"))]
Requester = Annotated[str, BeforeValidator(_not_a_session), Field(pattern=_PRINCIPAL_ARN)]
EventBusName = Annotated[str, Field(pattern=_EVENT_BUS_NAME), AfterValidator(_not_reserved("AWS partner buses"))]
_POOL_ID = "a user pool id (like eu-west-1_AbC123xyz)"


class Settings(BaseModel):
    """Every setting of the stack, as context keys in camelCase (docs/deploy.md, Settings, has the table)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        regex_engine="python-re",  # HOST_NAME looks ahead, which pydantic's default (Rust) engine cannot
    )

    existing_user_pool_id: UserPoolId | None = Field(default=None, description=_POOL_ID)
    existing_user_pool_sms_role_arn: str | None = Field(default=None, pattern=_ROLE_ARN, description="an IAM role ARN")
    # Any label; a new one makes the next deploy read the existing pool's configuration again (its e-mail mode).
    existing_user_pool_config_revision: str = Field(
        default=DEFAULT_CONFIG_REVISION,
        pattern=_CONFIG_REVISION,
        description="a label of 1-64 letters, digits, '.', '_', ':' or '-'",
    )
    additional_user_pool_ids: Annotated[tuple[UserPoolId, ...], Listed] = Field(default=(), description=_POOL_ID)
    ses_from_address: str | None = Field(default=None, pattern=anchored(EMAIL_ADDRESS), description="an e-mail address")
    ses_from_name: Annotated[str, AfterValidator(_display_name)] | None = None
    ses_verified_domain: HostName | None = Field(default=None, description="a domain name")
    ses_region: str | None = Field(
        default=None, pattern=anchored(REGION), description="an AWS Region such as eu-west-1"
    )
    event_bus_name: EventBusName | None = Field(default=None, description="an event bus name")
    # Who may put 'Password Reset Requested' on the bus (infra/bus_policy.py); none named is refused unless
    # anyPrincipalMayRequestResets says that anyone allowed events:PutEvents on the bus may ask.
    reset_requesters: Annotated[tuple[Requester, ...], Listed] = Field(
        default=(),
        description="an IAM role ARN such as arn:aws:iam::123456789012:role/siem-responder (or a user's, or root; "
        "* and ? allowed)",
    )
    any_principal_may_request_resets: bool = False
    # On an existing bus the stack adds its statements to the bus's policy (AWS::Events::EventBusPolicy); false when
    # the bus's owner keeps its policy: synth names the statements to add, docs/security.md shows them.
    manage_existing_bus_policy: bool = True
    event_resets_per_hour: Annotated[int, Number] = Field(
        default=DEFAULT_EVENT_RESETS_PER_HOUR,
        ge=1,
        le=MAX_EVENT_RESETS_PER_HOUR,
        description=f"1 to {MAX_EVENT_RESETS_PER_HOUR} resets an hour",
    )
    allowed_event_sources: Annotated[tuple[EventSource, ...], Listed] = Field(
        default=DEFAULT_EVENT_SOURCES, description="an event source such as com.example.siem"
    )
    rate_budget: Annotated[float, Number] = Field(
        default=DEFAULT_RATE_BUDGET,
        gt=0,
        le=MAX_RATE_BUDGET,
        description=f"more than 0 and at most {MAX_RATE_BUDGET:g} resets per second",
    )
    # Cognito counts AdminGetUser and ListUsers, and AdminUserGlobalSignOut, against other categories than
    # AdminResetUserPassword, each with its own quota: each gets its own budget (default: rateBudget).
    lookup_rate_budget: Annotated[float, Number] | None = Field(
        default=None,
        gt=0,
        le=MAX_RATE_BUDGET,
        description=f"more than 0 and at most {MAX_RATE_BUDGET:g} calls per second",
    )
    sign_out_rate_budget: Annotated[float, Number] | None = Field(
        default=None,
        gt=0,
        le=MAX_RATE_BUDGET,
        description=f"more than 0 and at most {MAX_RATE_BUDGET:g} calls per second",
    )
    cooldown_seconds: Annotated[int, Number] = Field(
        default=DEFAULT_COOLDOWN_SECONDS,
        ge=0,
        le=MAX_COOLDOWN_SECONDS,
        description=f"0 (off) to {MAX_COOLDOWN_SECONDS} seconds",
    )
    allowed_link_hosts: Annotated[tuple[HostName, ...], Listed] = Field(
        default=(), description="a host name (no scheme, port or path)"
    )
    default_locale: str = Field(
        default=SHIPPED_LOCALE,
        alias=DEFAULT_LOCALE_SETTING,
        pattern=anchored(LOCALE),
        description="a BCP 47 language tag such as en or de-AT",
    )
    default_brand: str | None = Field(
        default=None,
        alias=DEFAULT_BRAND_SETTING,
        pattern=anchored(BRAND_ID),
        description="a lower-case brand id such as acme",
    )
    # A directory of the deployer's own messages and brands, overlaid on the built-in ones (docs/custom-message.md,
    # "Message packs"); relative paths are relative to the CDK app (where cdk.json is).
    message_pack: str | None = Field(
        default=None, alias=MESSAGE_PACK_SETTING, min_length=1, description="a directory path"
    )
    alarm_email: str | None = Field(default=None, pattern=anchored(EMAIL_ADDRESS), description="an e-mail address")
    log_retention_days: Annotated[int, Number, AfterValidator(_retention_period)] = DEFAULT_LOG_RETENTION_DAYS
    bulk_batch_size: Annotated[int, Number] = Field(
        default=DEFAULT_BULK_BATCH_SIZE,
        ge=1,
        le=MAX_BULK_BATCH_SIZE,
        description=f"1 to {MAX_BULK_BATCH_SIZE} requests per batch",
    )
    bulk_tolerated_failure_percentage: Annotated[float, Number] = Field(
        default=DEFAULT_BULK_TOLERATED_FAILURE_PERCENTAGE, ge=0, le=100, description="a percentage from 0 to 100"
    )
    # The bulk bucket's evidence under S3 Object Lock, governance mode, for this many days (none: not locked).
    bulk_evidence_lock_days: Annotated[int, Number] | None = Field(
        default=None, ge=1, le=MAX_EVIDENCE_LOCK_DAYS, description=f"1 to {MAX_EVIDENCE_LOCK_DAYS} days"
    )

    @property
    def message_pack_path(self) -> Path | None:
        return None if self.message_pack is None else message_pack_path(self.message_pack, APP_DIRECTORY)

    @property
    def creates_user_pool(self) -> bool:
        return self.existing_user_pool_id is None

    @property
    def sends_email_through_ses(self) -> bool:
        return self.ses_from_address is not None

    @property
    def rate_budgets(self) -> tuple[float, float, float]:
        """Calls per second the stack may spend of Cognito's quotas: resets, lookups, sign-outs."""
        return (
            self.rate_budget,
            self.lookup_rate_budget or self.rate_budget,
            self.sign_out_rate_budget or self.rate_budget,
        )

    @property
    def reserved_concurrency(self) -> int:
        """The reset function's reserved concurrency, derived from the rate budget (formula above)."""
        return max(MIN_RESERVED_CONCURRENCY, math.ceil(self.rate_budget * FASTEST_RESET_SECONDS))

    @property
    def pool_region(self) -> str | None:
        """The Region of the named pools (their ids start with it): the stack must deploy there, if any are named."""
        regions = _regions(self.existing_user_pool_id, *self.additional_user_pool_ids)
        return regions[0] if regions else None

    @classmethod
    def from_context(cls, context: Mapping[str, object]) -> Settings:
        """Build the settings from a CDK context map (`app.node.get_all_context()`); raise SettingsError on bad values.

        Values from cdk.json arrive typed; values from `-c key=value` arrive as strings, so numbers are parsed and a
        list may be a JSON-style list or a comma-separated string. A blank or null value means the default.
        """
        values = {
            key: value
            for key, value in context.items()
            if not (key in _TOOLKIT_KEYS or key.startswith("@") or ":" in key)
            and not (value is None or (isinstance(value, str) and not value.strip()))
        }
        try:
            return cls.model_validate(values, by_alias=True, by_name=False)
        except ValidationError as error:
            problems = error.errors(include_url=False)
        # Pydantic checks how settings fit together only once every value is valid: check the valid values again,
        # so that one message still lists every problem.
        failed = {problem["loc"][0] for problem in problems if problem["loc"]}
        if failed:
            try:
                cls.model_validate({key: values[key] for key in values.keys() - failed}, by_alias=True, by_name=False)
            except ValidationError as error:
                problems.extend(error.errors(include_url=False))
        problems.sort(key=lambda problem: problem["type"] == "extra_forbidden")  # misspelt keys last
        lines = [line for problem in problems for line in _explain(problem)]
        raise SettingsError("invalid settings in CDK context:\n  - " + "\n  - ".join(lines))

    @field_validator("allowed_event_sources")
    @classmethod
    def _sources_can_match_requests_only(cls, sources: tuple[str, ...]) -> tuple[str, ...]:
        if not sources:
            raise PydanticCustomError("no_source", "at least one event source is needed, or the rule matches nothing")
        if AUDIT_SOURCE in sources:
            raise PydanticCustomError(
                "audit_source",
                "'{source}' is the source of the reset function's own audit events",
                {"source": AUDIT_SOURCE},
            )
        return sources

    @field_validator("additional_user_pool_ids")
    @classmethod
    def _each_pool_once(cls, pools: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(pools)) != len(pools):
            raise PydanticCustomError("duplicate_pool", "lists a pool more than once")
        return pools

    @model_validator(mode="after")
    def _settings_fit_together(self) -> Settings:
        problems = self._combination_errors()
        if problems:
            # One error for all of them: each line names its key already.
            raise PydanticCustomError("combination", "{problems}", {"problems": "\n".join(problems)})
        return self

    def _combination_errors(self) -> list[str]:
        errors: list[str] = []
        if self.existing_user_pool_id is None:
            if self.existing_user_pool_sms_role_arn is not None:
                errors.append("existingUserPoolSmsRoleArn: only applies together with existingUserPoolId")
            if self.existing_user_pool_config_revision != DEFAULT_CONFIG_REVISION:
                errors.append("existingUserPoolConfigRevision: only applies together with existingUserPoolId")
        else:
            errors.extend(
                f"{key}: the stack configures e-mail only for a pool it creates; set it on the existing pool itself"
                for key, value in (
                    ("sesFromAddress", self.ses_from_address),
                    ("sesFromName", self.ses_from_name),
                    ("sesVerifiedDomain", self.ses_verified_domain),
                    ("sesRegion", self.ses_region),
                )
                if value is not None
            )
            if self.existing_user_pool_id in self.additional_user_pool_ids:
                errors.append("additionalUserPoolIds: lists existingUserPoolId again")
        errors.extend(self._requester_errors())
        if self.ses_from_address is None:
            errors.extend(
                f"{key}: only applies together with sesFromAddress"
                for key, value in (
                    ("sesFromName", self.ses_from_name),
                    ("sesVerifiedDomain", self.ses_verified_domain),
                    ("sesRegion", self.ses_region),
                )
                if value is not None
            )
        elif self.ses_region is None:
            errors.append("sesRegion: required with sesFromAddress (the Region where the SES identity is verified)")
        if (
            self.ses_from_address is not None
            and self.ses_verified_domain is not None
            and not self.ses_from_address.lower().endswith("@" + self.ses_verified_domain)
        ):
            errors.append("sesFromAddress: must be an address of sesVerifiedDomain")
        if len(set(_regions(self.existing_user_pool_id, *self.additional_user_pool_ids))) > 1:
            errors.append(
                "additionalUserPoolIds: every pool must be in one Region with the stack (the functions call Cognito "
                "in their own Region)"
            )
        return errors

    def _requester_errors(self) -> list[str]:
        errors: list[str] = []
        if self.any_principal_may_request_resets and self.reset_requesters:
            errors.append("anyPrincipalMayRequestResets: true while resetRequesters names principals; choose one")
        if not self.any_principal_may_request_resets and not self.reset_requesters:
            errors.append(
                "resetRequesters: name who may ask for resets (IAM role ARNs, * allowed: -c resetRequesters="
                "arn:aws:iam::123456789012:role/siem-responder), or set anyPrincipalMayRequestResets=true to let "
                "anyone allowed events:PutEvents on the bus ask (docs/security.md)"
            )
        if not self.manage_existing_bus_policy and self.event_bus_name is None:
            errors.append(
                "manageExistingBusPolicy: only applies together with eventBusName (the stack's own bus always "
                "carries its policy)"
            )
        return errors


def _regions(*pool_ids: str | None) -> list[str]:
    return [match["region"] for pool_id in pool_ids if pool_id and (match := USER_POOL_ID.fullmatch(pool_id))]


_FIELDS: Final = {to_camel(name): field for name, field in Settings.model_fields.items()}
SETTING_KEYS: Final = tuple(_FIELDS)


def _explain(problem: ErrorDetails) -> list[str]:
    """Pydantic's error as lines of `key: what is wrong`, the key as in cdk.json (a list's item as key[index])."""
    if not problem["loc"]:
        return problem["msg"].splitlines()  # _settings_fit_together's lines name their keys
    name, *index = problem["loc"]
    key = f"{name}" + "".join(f"[{position}]" for position in index)
    expected = field.description if (field := _FIELDS.get(str(name))) else None
    value = problem["input"]
    match problem["type"]:
        case "extra_forbidden":
            # A misspelt setting must not silently fall back to its default (say `rateBugdet=5` on a production deploy).
            close = difflib.get_close_matches(str(name), SETTING_KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known settings: {', '.join(SETTING_KEYS)}"
            message = f"not a setting of this stack ({hint})"
        case "string_pattern_mismatch" | "string_too_long":
            message = f"'{str(value).strip()}' is not {expected}"
        case "greater_than" | "greater_than_equal" | "less_than_equal":
            message = f"must be {expected}, got {_shown(value)}"
        case "int_from_float" | "finite_number":
            message = f"must be a whole number, got {_shown(value)}"
        case "string_type":
            message = f"must be a string, got {type(value).__name__}"
        case _:
            message = problem["msg"]
    return [f"{key}: {message}"]


def _shown(number: object) -> str:
    if isinstance(number, float) and not number.is_integer():
        return f"{number:g}"
    return str(int(number)) if isinstance(number, int | float) else str(number)


__all__ = ["SETTING_KEYS", "Settings", "SettingsError"]
